/*
 * scan_text.c - `scan -f text`: findings grouped by resource, for terminals.
 * Colour only when asked (a TTY without NO_COLOR).
 */
#include <string.h>

#include "scan.h"

#define RED "\033[31m"
#define YELLOW "\033[33m"
#define GREEN "\033[32m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

int scan_write_text(const scan_report *r, FILE *out, bool color)
{
    size_t unhealthy = 0, healthy = 0, exempt = 0;
    if (r->score) {
        const json_t *pct = json_object_get(r->score, "percent");
        if (json_is_number(pct))
            fprintf(out, "%sSecure score: %.2f%%%s (%.2f of %g points)\n", color ? BOLD : "",
                    json_number_value(pct), color ? RESET : "",
                    json_number_value(json_object_get(r->score, "current")),
                    json_number_value(json_object_get(r->score, "max")));
        else
            fprintf(out, "Secure score: n/a (nothing scored)\n");
    }
    for (size_t i = 0; i < r->count; i++) {
        const scan_item *it = &r->items[i];
        const sg_eval *ev = &it->eval;
        fprintf(out, "\n%s%s %s%s%s%s  (%s:%d)\n", color ? BOLD : "", ev->kind, ev->namespace_ ? ev->namespace_ : "",
                ev->namespace_ ? "/" : "", ev->name ? ev->name : "(unnamed)", color ? RESET : "",
                it->manifest->file, it->manifest->line);
        if (ev->excluded)
            fprintf(out, "  namespace excluded: not evaluated\n");
        for (size_t k = 0; k < ev->count; k++) {
            const sg_finding *f = &ev->findings[k];
            const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
            if (f->status == SG_STATUS_HEALTHY) {
                healthy++;
                continue;
            }
            if (f->status == SG_STATUS_EXEMPT) {
                exempt++;
                fprintf(out, "  exempt     %-32s (%s)\n", rec->id, f->exemption);
                continue;
            }
            unhealthy++;
            const char *c = it->denied[k] ? RED : YELLOW;
            fprintf(out, "  %s%-10s%s %-32s %s\n", color ? c : "", it->denied[k] ? "DENY" : sg_action_name(f->action),
                    color ? RESET : "", rec->id, f->message ? f->message : "");
            fprintf(out, "             fix: %s\n", rec->remediation);
        }
    }
    fprintf(out, "\n%zu resource%s, %s%zu unhealthy%s, %zu healthy, %zu exempt; %zu would be denied\n", r->count,
            r->count == 1 ? "" : "s", color && unhealthy ? RED : color ? GREEN : "", unhealthy, color ? RESET : "",
            healthy, exempt, r->denied);
    return ferror(out) ? -1 : 0;
}
