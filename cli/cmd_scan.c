/*
 * cmd_scan.c - `scoregate scan`: check manifests before deployment with the
 * admission decision the webhook makes (sg_admission_decide), so CI and the
 * cluster agree by construction: objects are admitted one after another, in
 * input order, into the --baseline inventory (or an empty one), fixed where
 * enforce fixes them, and judged by the score gate as the cluster would.
 *
 * Exit codes (docs/scan.md): 0 nothing would be denied; 1 at least one object
 * would be denied (a deny finding, an enforce finding its fix cannot heal, or
 * the score gate); 2 usage or input error; 3 score below --min-score.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "scan.h"
#include "score.h"

#define MAX_STANDARDS 8
#define MAX_JOBS 256

typedef struct scan_options {
    const char *config;
    const char *format;
    const char *output;
    const char *namespace_;
    const char *baseline;
    const char *help_base_url;
    double min_score;
    bool strict;
    unsigned jobs;                 /* threads reading files; 0: one per core */
    const char *standards[MAX_STANDARDS];
    size_t nstandards;
} scan_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scoregate scan [OPTIONS] PATH...\n\n"
            "Check Kubernetes manifests (files, directories, or - for standard input) against\n"
            "the enabled recommendations, as the admission webhook would.\n\n"
            "options:\n"
            "  -c, --config FILE      settings file (default: built-in recommendations)\n"
            "  -f, --format FORMAT    text (default), json, sarif, junit, policyreport or html\n"
            "  -o, --output FILE      write the report to FILE instead of standard output\n"
            "      --standard NAME    also enable a standard: mcsb, pss-baseline, pss-restricted\n"
            "      --namespace NS     namespace for objects that name none (default: default)\n"
            "      --baseline FILE    predict the score change against this inventory\n"
            "      --min-score P      exit 3 when the resulting score is below P percent\n"
            "      --help-base-url URL  SARIF: each rule's helpUri is URL followed by its id, and the\n"
            "                         tool's informationUri is URL (your documentation of the checks)\n"
            "      --strict           read every file of a directory as a manifest: no file is skipped\n"
            "                         (by default files with no Kubernetes object, kustomizations and\n"
            "                         the patches they name are skipped, each with a notice)\n"
            "  -j, --jobs N           read and parse files on N threads (default: one per core); the\n"
            "                         objects are still decided one after another in input order, so\n"
            "                         the report is the same whatever N\n"
            "  -h, --help             show this help\n\n"
            "exit status: 0 nothing would be denied, 1 something would be denied,\n"
            "             2 usage or input error (the report of everything else is still written\n"
            "             when an input cannot be read), 3 score below --min-score\n");
}

/* An absolute http(s) URL with a host, made of characters a URI may hold (RFC 3986). */
static bool valid_url(const char *s)
{
    const char *host = !strncmp(s, "https://", 8) ? s + 8 : !strncmp(s, "http://", 7) ? s + 7 : NULL;
    if (!host || !*host || *host == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("\"<>\\^`{|}", *p))
            return false;
    return true;
}

static int parse_jobs(const char *arg, unsigned *jobs)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || n < 1 || n > MAX_JOBS) {
        fprintf(stderr, "scoregate scan: --jobs takes a number of threads from 1 to %d, not '%s'\n", MAX_JOBS, arg);
        return -1;
    }
    *jobs = (unsigned)n;
    return 0;
}

static int parse_args(int argc, char **argv, scan_options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},    {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},    {"standard", required_argument, NULL, 's'},
        {"namespace", required_argument, NULL, 'n'}, {"baseline", required_argument, NULL, 'b'},
        {"min-score", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {"help-base-url", required_argument, NULL, 'u'}, {"strict", no_argument, NULL, 'S'},
        {"jobs", required_argument, NULL, 'j'},      {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->format = "text";
    o->min_score = -1;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:f:o:j:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'f': o->format = optarg; break;
        case 'o': o->output = optarg; break;
        case 'n':
            if (!cli_valid_namespace(optarg)) {
                fprintf(stderr, "scoregate scan: --namespace '%s' is not a namespace name (1-63 characters: a-z, 0-9 "
                        "and '-', starting and ending with a letter or digit)\n", optarg);
                return -1;
            }
            o->namespace_ = optarg;
            break;
        case 'b': o->baseline = optarg; break;
        case 'S': o->strict = true; break;
        case 'j':
            if (parse_jobs(optarg, &o->jobs) < 0)
                return -1;
            break;
        case 'u':
            if (!valid_url(optarg)) {
                fprintf(stderr, "scoregate scan: --help-base-url takes an absolute http:// or https:// URL without "
                        "spaces, quotes or angle brackets, not '%s'\n", optarg);
                return -1;
            }
            o->help_base_url = optarg;
            break;
        case 's':
            if (o->nstandards == MAX_STANDARDS) {
                fprintf(stderr, "scoregate scan: too many --standard options\n");
                return -1;
            }
            o->standards[o->nstandards++] = optarg;
            break;
        case 'm':
            o->min_score = strtod(optarg, &end);
            if (*end || end == optarg || o->min_score < 0 || o->min_score > 100) {
                fprintf(stderr, "scoregate scan: --min-score takes a percentage from 0 to 100, not '%s'\n", optarg);
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "Run 'scoregate scan --help' for usage.\n");
            return -1;
        }
    }
    if (!scan_format_known(o->format)) {
        fprintf(stderr, "scoregate scan: unknown format '%s' (expected %s)\n", o->format, scan_format_names());
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "scoregate scan: no PATH given (a file, a directory, or - for standard input)\n");
        return -1;
    }
    return 0;
}

/* --jobs by default: one thread per core. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (unsigned)n;
}

static void report_free(scan_report *r)
{
    scan_records_free(r->records);
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i]);
    free(r->files);
    json_decref(r->score);
    json_decref(r->prediction);
    sg_inventory_free(r->inventory);
    sg_score_model_free(r->model);
    scan_notes_free(r->skipped, r->nskipped);
    scan_notes_free(r->errors, r->nerrors);
}

static int write_report(const scan_report *r, const scan_options *o)
{
    FILE *out = stdout;
    if (o->output && !(out = fopen(o->output, "w"))) {
        fprintf(stderr, "scoregate scan: %s: %s\n", o->output, strerror(errno));
        return -1;
    }
    bool color = !o->output && isatty(fileno(stdout)) && !getenv("NO_COLOR");
    int rc = scan_write(r, o->format, out, color);
    if (out != stdout && fclose(out) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "scoregate scan: could not write the report\n");
    return rc;
}

int sg_cmd_scan(int argc, char **argv)
{
    scan_options o;
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    char err[2 * SG_ERRMAX];   /* a place ("file: document 2, line 9: ") and a message */
    sg_policy_options popts = {.config_path = o.config, .extra_standards = o.standards,
                               .n_extra_standards = o.nstandards};
    sg_policy *policy;
    if (cli_policy_load(&popts, &policy, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate scan: %s\n", err);
        return 2;
    }
    scan_report r = {.policy = policy, .help_base_url = o.help_base_url};
    int status = 0;
    scan_inputs in;
    scan_list_inputs(&r, argv + optind, (size_t)(argc - optind), o.strict, &in);
    if (scan_open_inventory(&r, o.baseline, o.namespace_, err, sizeof err) < 0)
        status = 2;
    if (status == 0)
        scan_run(&r, &in, o.namespace_, o.jobs ? o.jobs : default_jobs());
    scan_inputs_free(&in);
    double percent = -1; /* the resulting secure score (scan_score.c), -1 when n/a */
    if (status == 0)
        scan_score(&r, o.baseline != NULL, &percent);
    /* An input error still leaves the report of everything else (a SARIF upload is not empty). */
    if (status == 2) {
        fprintf(stderr, "scoregate scan: %s\n", err);
    } else if (write_report(&r, &o) < 0 || r.nerrors > 0) {
        status = 2;
    } else if (r.denied > 0) {
        status = 1;
    } else if (o.min_score >= 0 && percent >= 0 && percent < o.min_score) {
        status = 3;
    }
    report_free(&r);
    sg_policy_free(policy);
    return status;
}
