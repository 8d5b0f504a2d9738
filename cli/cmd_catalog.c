/*
 * cmd_catalog.c - `scoregate catalog`: every recommendation with its standard,
 * control, severity, action, parameters, and whether it is active (configured);
 * then the exemptions, active, expiring within 14 days, or expired (an expired
 * exemption is ignored, so it must not pass unnoticed).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "scan.h"

#define EXPIRING_SECONDS (14 * 24 * 3600)

static void usage(FILE *out)
{
    fprintf(out, "usage: scoregate catalog [-c FILE] [--standard NAME]... [-f text|json]\n\n"
                 "List the recommendations (built-in and custom) with their standard, control,\n"
                 "severity, action, parameters and whether they are active, and the exemptions:\n"
                 "active, expiring within 14 days, or expired (and so ignored).\n\n"
                 "options:\n"
                 "  -c, --config FILE      settings file (default: built-in recommendations)\n"
                 "      --standard NAME    also enable a standard: mcsb, pss-baseline, pss-restricted\n"
                 "  -f, --format FORMAT    text (default) or json\n"
                 "  -h, --help             show this help\n");
}

static json_t *rec_json(const sg_rec_info *r)
{
    json_t *params = json_object();
    const char *name;
    const json_t *spec;
    json_object_foreach((json_t *)r->declared, name, spec) {
        json_t *p = json_pack("{s:O}", "type", json_object_get(spec, "type"));
        const json_t *v = json_object_get(r->parameters, name);
        json_object_set(p, "value", v ? (json_t *)v : json_null());
        if (json_object_get(spec, "description"))
            json_object_set(p, "description", json_object_get(spec, "description"));
        json_object_set_new(params, name, p);
    }
    json_t *required = r->required ? json_copy((json_t *)r->required) : json_array();
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:s,s:o,s:o}", "id", r->id, "title",
                     r->title, "standard", r->standard, "control", r->control, "severity",
                     sg_severity_name(r->severity), "scope", r->scope, "action", sg_action_name(r->action),
                     "enabled", r->enabled, "configured", r->configured, "scored", r->scored, "preview", r->preview,
                     "builtin", r->builtin, "fix", r->has_fix, "remediation", r->remediation, "requires", required,
                     "parameters", params);
}

/* "active", "expiring" (within 14 days) or "expired" at `now`. */
static const char *exemption_state(const sg_exemption_info *x, time_t now)
{
    if (x->expires && x->expires <= now)
        return "expired";
    return x->expires && x->expires - now <= EXPIRING_SECONDS ? "expiring" : "active";
}

static json_t *exemption_json(const sg_exemption_info *x, time_t now)
{
    char when[32];
    scan_time_text(x->expires, when, sizeof when);
    json_t *o = json_pack("{s:s,s:s,s:s,s:O}", "name", x->name, "category", sg_exemption_category_name(x->category),
                          "state", exemption_state(x, now), "recommendations", x->recommendations);
    json_object_set_new(o, "expires", x->expires ? json_string(when) : json_null());
    json_object_set_new(o, "justification", x->justification ? json_string(x->justification) : json_null());
    return o;
}

static void print_exemptions(const sg_policy *p, time_t now)
{
    size_t n = sg_policy_exemption_count(p);
    if (!n)
        return;
    printf("\n%-28s %-10s %-21s %-10s %s\n", "EXEMPTION", "STATE", "EXPIRES", "CATEGORY", "RECOMMENDATIONS");
    for (size_t i = 0; i < n; i++) {
        const sg_exemption_info *x = sg_policy_exemption(p, i);
        char when[32] = "never";
        if (x->expires)
            scan_time_text(x->expires, when, sizeof when);
        const char *state = exemption_state(x, now);
        printf("%-28s %-10s %-21s %-10s ", x->name, !strcmp(state, "expired") ? "EXPIRED" : state, when,
               sg_exemption_category_name(x->category));
        size_t k;
        const json_t *id;
        json_array_foreach(x->recommendations, k, id)
            printf("%s%s", k ? ", " : "", json_string_value(id));
        printf("%s\n", !strcmp(state, "expired") ? "  (ignored)" : "");
    }
}

static void print_text(const sg_policy *p)
{
    printf("%-36s %-15s %-24s %-6s %-8s %s\n", "RECOMMENDATION", "STANDARD", "CONTROL", "SEV", "ACTION", "STATE");
    for (size_t i = 0; i < sg_policy_rec_count(p); i++) {
        const sg_rec_info *r = sg_policy_rec(p, i);
        const char *state = !r->enabled          ? "off"
                            : !r->configured     ? "inactive until configured"
                            : r->scored          ? "scored"
                                                 : "evaluated, not scored";
        printf("%-36s %-15s %-24s %-6s %-8s %s\n", r->id, r->standard, r->control, sg_severity_name(r->severity),
               sg_action_name(r->action), state);
        if (r->enabled && !r->configured) {
            size_t k;
            const json_t *req;
            json_array_foreach(r->required, k, req)
                printf("%-36s   needs parameter %s\n", "", json_string_value(req));
        }
    }
}

/* The pod controllers: custom resources with a pod template, checked like Deployments. */
static json_t *pod_controllers_json(const sg_policy *p)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sg_policy_pod_controller_count(p); i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:b}", "apiVersion", pc->api_version, "kind", pc->kind,
                                              "podTemplate", pc->pod_template, "resource", pc->resource, "builtin",
                                              pc->builtin));
    }
    return list;
}

static void print_pod_controllers(const sg_policy *p)
{
    printf("\n%-36s %-24s %-16s %s\n", "POD CONTROLLER", "API VERSION", "POD TEMPLATE", "SOURCE");
    for (size_t i = 0; i < sg_policy_pod_controller_count(p); i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        printf("%-36s %-24s %-16s %s\n", pc->kind, pc->api_version, pc->pod_template,
               pc->builtin ? "built in" : "settings");
    }
}

int sg_cmd_catalog(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"standard", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL, *format = "text";
    const char *standards[8];
    size_t nstandards = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'f': format = optarg; break;
        case 's':
            if (nstandards < 8)
                standards[nstandards++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: fprintf(stderr, "Run 'scoregate catalog --help' for usage.\n"); return 2;
        }
    }
    if (optind < argc || (strcmp(format, "text") && strcmp(format, "json"))) {
        usage(stderr);
        return 2;
    }
    char err[SG_ERRMAX];
    sg_policy_options opts = {.config_path = config, .extra_standards = standards, .n_extra_standards = nstandards};
    sg_policy *p;
    if (cli_policy_load(&opts, &p, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate catalog: %s\n", err);
        return 2;
    }
    time_t now = time(NULL);
    if (!strcmp(format, "json")) {
        json_t *recs = json_array(), *exemptions = json_array();
        for (size_t i = 0; i < sg_policy_rec_count(p); i++)
            json_array_append_new(recs, rec_json(sg_policy_rec(p, i)));
        for (size_t i = 0; i < sg_policy_exemption_count(p); i++)
            json_array_append_new(exemptions, exemption_json(sg_policy_exemption(p, i), now));
        json_t *doc = json_pack("{s:o,s:o,s:o}", "recommendations", recs, "exemptions", exemptions,
                                "podControllers", pod_controllers_json(p));
        sg_cli_print_json(stdout, doc);
        json_decref(doc);
    } else {
        print_text(p);
        print_exemptions(p, now);
        print_pod_controllers(p);
    }
    sg_policy_free(p);
    return 0;
}
