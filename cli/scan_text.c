/*
 * scan_text.c - `scan -f text`: findings grouped by resource, for terminals.
 * Colour only when asked (a TTY without NO_COLOR). The score, its per-control
 * points and the --baseline prediction come first when the report has them.
 */
#include <string.h>

#include "scan.h"

#define RED "\033[31m"
#define YELLOW "\033[33m"
#define GREEN "\033[32m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

/* Text from manifests and settings, with control characters (ESC included)
 * shown as '?' so that a crafted name cannot drive the terminal. Written in
 * runs of clean bytes, not byte by byte: once a scan has had threads, every
 * stdio call takes the stream's lock, and the report is the scan's serial tail. */
static void put(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = 0;
        while (p[n] && p[n] >= 0x20 && p[n] != 0x7f)
            n++;
        fwrite(p, 1, n, out);
        p += n;
        if (*p) {
            fputc('?', out);
            p++;
        }
    }
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* One line per control of the score: points against max (or "not scored" when
 * the control dropped out with max 0) and the resource counts. */
static void write_controls(const json_t *score, FILE *out)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(score, "controls"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        fprintf(out, "  %-42s ", name ? name : json_string_value(json_object_get(c, "id")));
        if (num(c, "max") > 0)
            fprintf(out, "%6.2f / %-3g ", num(c, "current"), num(c, "max"));
        else
            fputs("not scored  ", out);
        fprintf(out, " (%.0f healthy, %.0f unhealthy, %.0f not applicable)\n", num(c, "healthy"), num(c, "unhealthy"),
                num(c, "notApplicable"));
    }
}

static void write_percent(const json_t *v, FILE *out)
{
    if (json_is_number(v))
        fprintf(out, "%.2f%%", json_number_value(v));
    else
        fputs("n/a", out);
}

/* The --baseline prediction: before -> after, and the controls that change. */
static void write_prediction(const json_t *p, FILE *out, bool color)
{
    const json_t *delta = json_object_get(p, "delta");
    fputs("Predicted score: ", out);
    write_percent(json_object_get(p, "before"), out);
    fputs(" -> ", out);
    write_percent(json_object_get(p, "after"), out);
    if (json_is_number(delta)) {
        double d = json_number_value(delta);
        fprintf(out, " (%s%+.2f%s", color ? (d < 0 ? RED : GREEN) : "", d, color ? RESET : "");
        if (json_is_number(json_object_get(p, "exactDelta")))
            fprintf(out, ", exactly %+.4f", num(p, "exactDelta"));
        fputc(')', out);
    }
    fputc('\n', out);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(p, "controls"), i, c)
        fprintf(out, "  %-42s %6.2f -> %.2f\n", json_string_value(json_object_get(c, "id")), num(c, "before"),
                num(c, "after"));
}

/* Skipped files or input errors, each with its place. */
static void write_notes(FILE *out, const char *title, const scan_note *notes, size_t n)
{
    if (!n)
        return;
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++) {
        fputs("  ", out);
        put(out, notes[i].file);
        if (notes[i].line)
            fprintf(out, ":%d (document %d)", notes[i].line, notes[i].document);
        fputs(": ", out);
        put(out, notes[i].message);
        fputc('\n', out);
    }
}

/* The last line: resources, findings, denials, and the files skipped and input errors when there are any. */
static void write_summary(FILE *out, const scan_report *r, size_t unhealthy, size_t healthy, size_t exempt, bool color)
{
    fprintf(out, "\n%zu resource%s, %s%zu unhealthy%s, %zu healthy, %zu exempt; %zu would be denied", r->count,
            r->count == 1 ? "" : "s", color && unhealthy ? RED : color ? GREEN : "", unhealthy, color ? RESET : "",
            healthy, exempt, r->denied);
    if (r->nskipped)
        fprintf(out, "; %zu file%s skipped", r->nskipped, r->nskipped == 1 ? "" : "s");
    if (r->nerrors)
        fprintf(out, "; %s%zu input error%s%s", color ? RED : "", r->nerrors, r->nerrors == 1 ? "" : "s",
                color ? RESET : "");
    fputc('\n', out);
}

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
        write_controls(r->score, out);
    }
    if (r->prediction)
        write_prediction(r->prediction, out, color);
    for (size_t i = 0; i < r->count; i++) {
        const scan_item *it = scan_item_get(r, i);
        const scan_eval *ev = &it->eval;
        fprintf(out, "\n%s", color ? BOLD : "");
        put(out, ev->kind);
        fputc(' ', out);
        if (ev->namespace_) {
            put(out, ev->namespace_);
            fputc('/', out);
        }
        put(out, ev->name ? ev->name : "(unnamed)");
        fprintf(out, "%s  (", color ? RESET : "");
        put(out, it->source.file);
        fprintf(out, ":%d)\n", it->source.line);
        if (ev->excluded)
            fprintf(out, "  namespace excluded: not evaluated\n");
        for (size_t k = 0; k < ev->count; k++) {
            const scan_finding *f = &ev->findings[k];
            const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
            if (f->status == SG_STATUS_HEALTHY) {
                healthy++;
                continue;
            }
            if (f->status == SG_STATUS_NOT_APPLICABLE)
                continue;
            if (f->status == SG_STATUS_EXEMPT) {
                exempt++;
                fprintf(out, "  exempt     %-32s (", rec->id);
                put(out, f->exemption);
                fputs(")\n", out);
                continue;
            }
            unhealthy++;
            const char *c = it->denials[k] ? RED : YELLOW;
            fprintf(out, "  %s%-10s%s %-32s ", color ? c : "", it->denials[k] ? "DENY" : sg_action_name(f->action),
                    color ? RESET : "", rec->id);
            put(out, f->message);
            char note[320];
            if (scan_expired_note(f, note, sizeof note)) {
                fputs("\n             ", out);
                put(out, note);
            }
            fputs("\n             fix: ", out);
            put(out, rec->remediation);
            fputc('\n', out);
        }
        if (it->gate.denied) {
            fprintf(out, "  %sDENY%s       %-32s ", color ? RED : "", color ? RESET : "", SCAN_GATE_ID);
            put(out, it->gate.message);
            fprintf(out, "\n             fix: %s\n", SCAN_GATE_REMEDIATION);
        }
    }
    write_notes(out, "Skipped (files of a directory that are not objects for the API server):", r->skipped,
                r->nskipped);
    write_notes(out, "Input errors (these inputs are not in the report; the scan exits 2):", r->errors, r->nerrors);
    write_summary(out, r, unhealthy, healthy, exempt, color);
    return ferror(out) ? -1 : 0;
}
