/*
 * cmd_score.c - `scoregate score FILE...`: the secure score of a cluster
 * described by files (the webhook's saved inventory, a scan's JSON, or the
 * objects, e.g. `kubectl get deploy,sts,ds,svc,ing -A -o json`), per control
 * and per namespace.
 *
 * Exit codes: 0 scored; 2 usage or input error; 3 score below --min-score.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "score.h"

#define MAX_STANDARDS 8

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scoregate score [OPTIONS] FILE...\n\n"
            "Compute the secure score of the resources in FILE (- for standard input): a saved\n"
            "inventory (the webhook's state file), the JSON of 'scoregate scan -f json', or\n"
            "Kubernetes objects in YAML or JSON (a 'kubectl get -o json' List included).\n\n"
            "options:\n"
            "  -c, --config FILE      settings file (default: built-in recommendations)\n"
            "  -f, --format FORMAT    text (default) or json\n"
            "      --standard NAME    also enable a standard: mcsb, pss-baseline, pss-restricted\n"
            "      --namespace NS     namespace for objects that name none (default: default)\n"
            "      --min-score P      exit 3 when the score is below P percent\n"
            "  -h, --help             show this help\n\n"
            "exit status: 0 scored, 2 usage or input error, 3 score below --min-score\n");
}

static void write_score_text(const sg_score *s, FILE *out)
{
    if (s->has_percent)
        fprintf(out, "%.2f%% (%.2f of %g points", s->percent, s->current, s->max);
    else
        fprintf(out, "n/a (nothing scored");
    fprintf(out, ", %zu resource%s", s->resources, s->resources == 1 ? "" : "s");
    if (s->stale_resources)
        fprintf(out, ", %zu stale", s->stale_resources);
    fputs(")\n", out);
}

static void write_text(const sg_score *s, const sg_score_namespace *ns, size_t nns, FILE *out)
{
    fputs("Secure score: ", out);
    write_score_text(s, out);
    for (size_t i = 0; i < s->ncontrols; i++) {
        const sg_score_control *c = &s->controls[i];
        fprintf(out, "  %-42s %6.2f / %-3g  (%zu healthy, %zu unhealthy, %zu not applicable)\n",
                c->name, c->current, c->max, c->healthy, c->unhealthy, c->not_applicable);
    }
    if (nns)
        fputs("\nBy namespace:\n", out);
    for (size_t i = 0; i < nns; i++) {
        fprintf(out, "  %-30s ", *ns[i].namespace_ ? ns[i].namespace_ : "(cluster-scoped)");
        write_score_text(&ns[i].score, out);
    }
}

static int write_json(const sg_score *s, const sg_score_namespace *ns, size_t nns, FILE *out)
{
    json_t *doc = json_object(), *list = json_array();
    json_object_set_new(doc, "score", sg_score_to_json(s));
    for (size_t i = 0; i < nns; i++)
        json_array_append_new(list, json_pack("{s:s,s:o}", "namespace", ns[i].namespace_, "score",
                                              sg_score_to_json(&ns[i].score)));
    json_object_set_new(doc, "namespaces", list);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    fputc('\n', out);
    json_decref(doc);
    return rc;
}

int sg_cmd_score(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},    {"format", required_argument, NULL, 'f'},
        {"standard", required_argument, NULL, 's'},  {"namespace", required_argument, NULL, 'n'},
        {"min-score", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL, *format = "text", *ns = NULL, *standards[MAX_STANDARDS];
    size_t nstandards = 0;
    double min_score = -1;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'f': format = optarg; break;
        case 'n': ns = optarg; break;
        case 's':
            if (nstandards == MAX_STANDARDS) {
                fprintf(stderr, "scoregate score: too many --standard options\n");
                return 2;
            }
            standards[nstandards++] = optarg;
            break;
        case 'm':
            min_score = strtod(optarg, &end);
            if (*end || end == optarg || min_score < 0 || min_score > 100) {
                fprintf(stderr, "scoregate score: --min-score takes a percentage from 0 to 100, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "Run 'scoregate score --help' for usage.\n");
            return 2;
        }
    }
    if (strcmp(format, "text") && strcmp(format, "json")) {
        fprintf(stderr, "scoregate score: unknown format '%s' (expected text or json)\n", format);
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "scoregate score: no FILE given (Run 'scoregate score --help' for usage.)\n");
        return 2;
    }
    char err[SG_ERRMAX];
    sg_policy_options popts = {config, standards, nstandards};
    sg_policy *policy;
    if (sg_policy_load(&popts, &policy, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate score: %s\n", err);
        return 2;
    }
    sg_score_model *m = NULL;
    sg_inventory *inv = NULL;
    int status = sg_score_model_from_policy(policy, NULL, 0, &m, err, sizeof err) ||
                         sg_inventory_new(m, &inv, err, sizeof err)
                     ? 2
                     : 0;
    for (int i = optind; i < argc && !status; i++)
        if (score_read_inventory(policy, inv, argv[i], ns, err, sizeof err))
            status = 2;
    sg_score_namespace *list = NULL;
    size_t nlist = 0;
    if (!status && sg_inventory_namespace_scores(inv, &list, &nlist, err, sizeof err))
        status = 2;
    if (status) {
        fprintf(stderr, "scoregate score: %s\n", err);
    } else {
        sg_score s;
        sg_inventory_score(inv, &s);
        if (!strcmp(format, "json") ? write_json(&s, list, nlist, stdout) != 0
                                    : (write_text(&s, list, nlist, stdout), false))
            status = 2;
        else if (min_score >= 0 && s.has_percent && s.percent < min_score)
            status = 3;
    }
    sg_score_namespaces_free(list, nlist);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_policy_free(policy);
    return status;
}
