/*
 * cmd_score.c - `scoregate score FILE...`: the secure score of a cluster
 * described by files (the webhook's saved inventory, a scan's JSON, or the
 * objects, e.g. `kubectl get deploy,sts,ds,svc,ing -A -o json`), per control
 * and per namespace; or, with --kubeconfig, of the live cluster, from a one-off
 * list of every scored kind through the API server (the kube module). With
 * -f html it writes the dashboard's overview page (the webhook module renders
 * it) to one self-contained file.
 *
 * Exit codes: 0 scored; 2 usage or input error; 3 score below --min-score.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>
#include <scoregate/webhook.h>

#include "cli.h"
#include "score.h"

#define MAX_STANDARDS 8

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scoregate score [OPTIONS] FILE...\n"
            "       scoregate score [OPTIONS] --kubeconfig FILE [FILE...]\n\n"
            "Compute the secure score of the resources in FILE (- for standard input): a saved\n"
            "inventory (the webhook's state file), the JSON of 'scoregate scan -f json', or\n"
            "Kubernetes objects in YAML or JSON (a 'kubectl get -o json' List included).\n"
            "With --kubeconfig, list the live cluster's objects of every scored kind (workloads,\n"
            "Services, Ingresses, ConfigMaps, Secrets' metadata, ServiceAccounts) and score them;\n"
            "needs get/list on those kinds in all namespaces.\n\n"
            "options:\n"
            "  -c, --config FILE      settings file (default: built-in recommendations)\n"
            "  -f, --format FORMAT    text (default), json, or html: the dashboard's overview page as one\n"
            "                         self-contained file (gauge, controls by potential increase, score over time)\n"
            "  -o, --output FILE      write to FILE instead of standard output\n"
            "      --history FILE     with -f html: the score history to chart (the state directory's\n"
            "                         history.json, or the history ConfigMap as kubectl get -o json shows it)\n"
            "      --standard NAME    also enable a standard: mcsb, pss-baseline, pss-restricted\n"
            "      --namespace NS     namespace for objects that name none (default: default)\n"
            "      --min-score P      exit 3 when the score is below P percent\n"
            "      --kubeconfig FILE  score the live cluster of FILE's current context ('' : $KUBECONFIG,\n"
            "                         ~/.kube/config, then the in-cluster service account)\n"
            "      --context NAME     with --kubeconfig: use this context instead of current-context\n"
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

typedef struct cluster_ctx {
    const sg_policy *policy;
    sg_score_model *model;
    sg_inventory *inv;
    const char *ns;
    time_t now;
    size_t objects, skipped;
    char first_error[SG_ERRMAX];
} cluster_ctx;

/* One listed object, recorded as the cluster holds it (owned and excluded ones are not inventoried). */
static int cluster_object(void *ctx, const sg_kube_resource *r, json_t *object, char *err, size_t errlen)
{
    (void)r;
    cluster_ctx *cc = ctx;
    char why[SG_ERRMAX];
    int rc = score_record(cc->policy, cc->model, cc->inv, object, cc->ns, cc->now, why, sizeof why);
    json_decref(object);
    if (rc < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    cc->objects++;
    if (rc > 0 && cc->skipped++ == 0)
        snprintf(cc->first_error, sizeof cc->first_error, "%s", why);
    return 0;
}

/* List the policy's pod controllers too; one whose CRD is not installed holds nothing (sg_kube_list: 1). */
static int list_pod_controllers(const sg_policy *p, sg_kube_config *kc, cluster_ctx *cc, char *err, size_t errlen)
{
    for (size_t i = 0; i < sg_policy_pod_controller_count(p); i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        sg_kube_resource r = {pc->group, pc->version, pc->resource, pc->kind, false, true};
        if (sg_kube_list(kc, &r, 0, cluster_object, cc, NULL, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* List every scored kind of the cluster into `inv`. */
static int read_cluster(const sg_policy *p, sg_inventory *inv, const char *kubeconfig, const char *context,
                        const char *ns, char *err, size_t errlen)
{
    sg_kube_config *kc;
    int rc = cli_kube_connect(kubeconfig, context, &kc, err, errlen);
    if (rc < 0)
        return -1;
    if (sg_kube_config_warning(kc))
        fprintf(stderr, "scoregate score: warning: %s\n", sg_kube_config_warning(kc));
    cluster_ctx cc = {p, sg_inventory_model(inv), inv, ns, time(NULL), 0, 0, ""};
    size_t n;
    const sg_kube_resource *rs = sg_kube_resources(&n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        /* Only the metadata of a kind no recommendation reads further (Secrets always). */
        sg_kube_resource r = rs[i];
        r.metadata_only = r.metadata_only || !sg_policy_reads_beyond_metadata(p, r.group, r.kind, NULL);
        rc = sg_kube_list(kc, &r, 0, cluster_object, &cc, NULL, err, errlen);
    }
    if (rc == 0)
        rc = list_pod_controllers(p, kc, &cc, err, errlen);
    if (rc == 0)
        fprintf(stderr, "scoregate score: listed %zu objects from %s (%s)\n", cc.objects, sg_kube_config_server(kc),
                sg_kube_config_source(kc));
    if (rc == 0 && cc.skipped)
        fprintf(stderr, "scoregate score: %zu objects could not be evaluated and are not scored; the first: %s\n",
                cc.skipped, cc.first_error);
    sg_score_model_free(cc.model);
    sg_kube_config_free(kc);
    return rc;
}

static int write_json(const sg_score *s, const sg_score_namespace *ns, size_t nns, FILE *out)
{
    json_t *doc = json_object(), *list = json_array();
    json_object_set_new(doc, "score", sg_score_to_json(s));
    for (size_t i = 0; i < nns; i++)
        json_array_append_new(list, json_pack("{s:s,s:o}", "namespace", ns[i].namespace_, "score",
                                              sg_score_to_json(&ns[i].score)));
    json_object_set_new(doc, "namespaces", list);
    int rc = sg_cli_print_json(out, doc);
    json_decref(doc);
    return rc;
}

typedef struct score_opts {
    const char *kubeconfig, *context, *config, *format, *ns, *output, *history;
    const char *standards[MAX_STANDARDS];
    size_t nstandards;
    double min_score;
} score_opts;

/* One option; 0, or 2 on a usage error (said on standard error). */
static int option(int c, score_opts *o)
{
    char *end;
    switch (c) {
    case 'c': o->config = optarg; return 0;
    case 'f': o->format = optarg; return 0;
    case 'n': o->ns = optarg; return 0;
    case 'o': o->output = optarg; return 0;
    case 'k': o->kubeconfig = optarg; return 0;
    case 'x': o->context = optarg; return 0;
    case 'H': o->history = optarg; return 0;
    case 's':
        if (o->nstandards == MAX_STANDARDS) {
            fprintf(stderr, "scoregate score: too many --standard options\n");
            return 2;
        }
        o->standards[o->nstandards++] = optarg;
        return 0;
    case 'm':
        o->min_score = strtod(optarg, &end);
        if (*end || end == optarg || o->min_score < 0 || o->min_score > 100) {
            fprintf(stderr, "scoregate score: --min-score takes a percentage from 0 to 100, not '%s'\n", optarg);
            return 2;
        }
        return 0;
    default:
        fprintf(stderr, "Run 'scoregate score --help' for usage.\n");
        return 2;
    }
}

/* The command line into `o`: 0, 1 after --help, 2 on a usage error. */
static int parse(int argc, char **argv, score_opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},    {"format", required_argument, NULL, 'f'},
        {"standard", required_argument, NULL, 's'},  {"namespace", required_argument, NULL, 'n'},
        {"min-score", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {"kubeconfig", required_argument, NULL, 'k'}, {"context", required_argument, NULL, 'x'},
        {"output", required_argument, NULL, 'o'},    {"history", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0}};
    *o = (score_opts){.format = "text", .min_score = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:f:o:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 1;
        }
        if (option(c, o))
            return 2;
    }
    const char *problem = strcmp(o->format, "text") && strcmp(o->format, "json") && strcmp(o->format, "html")
                              ? "unknown format (expected text, json or html)"
                          : o->context && !o->kubeconfig ? "--context goes with --kubeconfig"
                          : o->history && strcmp(o->format, "html") ? "--history goes with -f html"
                          : optind >= argc && !o->kubeconfig ? "no FILE given (Run 'scoregate score --help' for usage.)"
                                                              : NULL;
    if (problem) {
        fprintf(stderr, "scoregate score: %s\n", problem);
        return 2;
    }
    return 0;
}

/* The inventory of the files and the cluster the options name; 0 or 2 with err. */
static int read_all(const score_opts *o, int argc, char **argv, const sg_policy *policy, sg_inventory *inv,
                    char *err, size_t errlen)
{
    for (int i = optind; i < argc; i++)
        if (score_read_inventory(policy, inv, argv[i], o->ns, err, errlen))
            return 2;
    if (o->kubeconfig && read_cluster(policy, inv, o->kubeconfig, o->context, o->ns, err, errlen) < 0)
        return 2;
    return 0;
}

/* The overview page (the dashboard's, offline), with the score history of o->history when given. */
static int write_html(const score_opts *o, const sg_policy *policy, sg_inventory *inv, FILE *out, char *err,
                      size_t errlen)
{
    sg_history *h = o->history ? sg_history_new() : NULL;
    int rc = h && score_read_history(h, o->history, err, errlen) ? -1 : 0;
    if (rc == 0)
        rc = sg_webhook_overview_html(out, policy, inv, h, err, errlen);
    sg_history_free(h);
    return rc;
}

/* Write the score in the chosen format; 0, 2 when writing failed, 3 below --min-score. */
static int report(const score_opts *o, const sg_policy *policy, sg_inventory *inv, FILE *out, char *err, size_t errlen)
{
    sg_score_namespace *list = NULL;
    size_t nlist = 0;
    sg_inventory_namespace_scores(inv, &list, &nlist);
    sg_score s;
    sg_inventory_score(inv, &s);
    int status = 0;
    if (!strcmp(o->format, "html"))
        status = write_html(o, policy, inv, out, err, errlen) ? 2 : 0;
    else if (!strcmp(o->format, "json"))
        status = write_json(&s, list, nlist, out) ? 2 : 0;
    else
        write_text(&s, list, nlist, out);
    if (!status && ferror(out))
        status = 2, snprintf(err, errlen, "cannot write the report");
    if (!status && o->min_score >= 0 && s.has_percent && s.percent < o->min_score)
        status = 3;
    sg_score_namespaces_free(list, nlist);
    return status;
}

int sg_cmd_score(int argc, char **argv)
{
    score_opts o;
    int status = parse(argc, argv, &o);
    if (status)
        return status == 1 ? 0 : 2;
    char err[SG_ERRMAX] = "";
    sg_policy_options popts = {.config_path = o.config, .extra_standards = o.standards,
                               .n_extra_standards = o.nstandards};
    sg_policy *policy;
    if (cli_policy_load(&popts, &policy, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate score: %s\n", err);
        return 2;
    }
    sg_score_model *m = NULL;
    sg_inventory *inv = NULL;
    FILE *out = stdout;
    status = sg_score_model_from_policy(policy, NULL, 0, &m, err, sizeof err) || sg_inventory_new(m, &inv, err, sizeof err)
                 ? 2
                 : read_all(&o, argc, argv, policy, inv, err, sizeof err);
    if (!status && o.output && !(out = fopen(o.output, "w"))) {
        snprintf(err, sizeof err, "%s: %s", o.output, strerror(errno));
        status = 2;
    }
    if (!status)
        status = report(&o, policy, inv, out, err, sizeof err);
    if (out && out != stdout && fclose(out) != 0 && !status) {
        snprintf(err, sizeof err, "%s: %s", o.output, strerror(errno));
        status = 2;
    }
    if (status == 2)
        fprintf(stderr, "scoregate score: %s\n", err);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_policy_free(policy);
    return status;
}
