/*
 * cli.h - the subcommands of the `scoregate` binary (internal to cli/).
 * Each command takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status.
 */
#ifndef SCOREGATE_CLI_H
#define SCOREGATE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>

/* Print `doc` indented, in key order, with a final newline (json_out.c). 0 or -1. */
int sg_cli_print_json(FILE *out, const json_t *doc);

/* The files PATH arguments name (paths.c): a file as given, "-" for standard
 * input, a directory's *.yaml, *.yml and *.json recursively in name order
 * (names starting with '.' skipped). */
typedef struct cli_file {
    char *path;
    bool from_dir;         /* found by walking a directory (not named on the command line) */
    char *chart;           /* the Helm chart folder it lies in (a folder holding Chart.yaml), or NULL */
} cli_file;

typedef struct cli_file_error {
    char *path;            /* the directory that could not be walked */
    char *message;         /* "DIR: why" */
} cli_file_error;

typedef struct cli_files {
    cli_file *files;
    size_t count;
    cli_file_error *errors;
    size_t nerrors;
} cli_files;
/* Add the files `path` names; `extra` (may be NULL) says which other names a
 * directory walk takes besides *.yaml, *.yml and *.json. */
void cli_files_add(cli_files *f, const char *path, bool (*extra)(const char *));
void cli_files_free(cli_files *f);

/* Whether `ns` is a namespace name: a DNS-1123 label (1-63 of a-z, 0-9 and
 * '-', starting and ending with a letter or digit); anything else matches no
 * namespace (paths.c). */
bool cli_valid_namespace(const char *ns);

/* Load the settings as sg_policy_load() does and check their `server` section, which the webhook
 * reads (settings.c): a broken one is an error for every command, as for `serve`. */
int cli_policy_load(const sg_policy_options *opts, sg_policy **out, char *err, size_t errlen);

/*
 * The connection `score --kubeconfig` and `fix --kubeconfig` use
 * (kube_connect.c): `kubeconfig` ("" : $KUBECONFIG, ~/.kube/config, then the
 * in-cluster service account) and, when `context` is set, that context
 * instead of current-context.
 */
struct sg_kube_config;
int cli_kube_connect(const char *kubeconfig, const char *context, struct sg_kube_config **out, char *err,
                     size_t errlen);

/* scoregate scan (cmd_scan.c) */
int sg_cmd_scan(int argc, char **argv);
/* scoregate catalog (cmd_catalog.c) */
int sg_cmd_catalog(int argc, char **argv);
/* scoregate certs generate|inspect|rotate (cmd_certs.c) */
int sg_cmd_certs(int argc, char **argv);
/* scoregate score FILE... (cmd_score.c) */
int sg_cmd_score(int argc, char **argv);
/* scoregate serve: the admission webhook (cmd_serve.c) */
int sg_cmd_serve(int argc, char **argv);
/* scoregate fix: fix manifests or live workloads (cmd_fix.c) */
int sg_cmd_fix(int argc, char **argv);

#endif
