/*
 * cmd_fix.c - `scoregate fix`: apply the fixes of the enforce step to
 * manifests (fix_files.c) or to live workloads (fix_live.c). Which fixes:
 * those of the recommendations whose action is enforce in the settings, or
 * the ones named (--recommendation), or all that have one (--all); the
 * policy is loaded with exactly those set to enforce, so the fixes are the
 * patches /mutate sends. docs/fix.md.
 *
 * Exit codes: 0 everything asked for was fixed (or nothing needed it); 1
 * something could not be fixed; 2 usage or input error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fix.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scoregate fix [OPTIONS] PATH...\n"
            "       scoregate fix [OPTIONS] --kubeconfig FILE [--context NAME] [--apply]\n\n"
            "Apply the automatic fixes of the recommendations whose action is enforce (the patches\n"
            "the webhook's /mutate sends) to manifests (files, directories, or - for standard input),\n"
            "changing only the values that change; or to the live workloads of a cluster.\n\n"
            "options:\n"
            "  -c, --config FILE         settings file; its enforce actions say what to fix\n"
            "      --recommendation ID   fix this recommendation instead (repeatable)\n"
            "      --all                 fix every enabled recommendation that has an automatic fix\n"
            "      --standard NAME       also enable a standard: mcsb, pss-baseline, pss-restricted\n"
            "      --namespace NS        files: namespace for objects that name none (default: default);\n"
            "                            cluster: fix only objects in NS\n"
            "files (default: the fixed stream on standard output, the report on standard error):\n"
            "  -w, --write               rewrite the files in place (crash-safely; a file that does not\n"
            "                            change is not touched)\n"
            "  -d, --diff                print a unified diff to review instead of the fixed stream\n"
            "cluster (default: a dry run that shows each patch):\n"
            "      --kubeconfig FILE     fix the live workloads of FILE's cluster ('' : $KUBECONFIG,\n"
            "                            ~/.kube/config, then the in-cluster service account)\n"
            "      --context NAME        use this context instead of current-context\n"
            "      --apply               send the patches (a server-side dry run first, each led by a test\n"
            "                            of metadata.resourceVersion)\n"
            "  -h, --help                show this help\n\n"
            "exit status: 0 everything asked for was fixed, 1 something could not be fixed,\n"
            "             2 usage or input error\n");
}

static int add(const char **list, size_t *n, const char *value, const char *what)
{
    if (*n == FIX_MAX_LIST) {
        fprintf(stderr, "scoregate fix: too many %s options\n", what);
        return -1;
    }
    list[(*n)++] = value;
    return 0;
}

/* One option into `o`: 0, or -1 after a usage error said on standard error. */
static int option(int c, fix_options *o)
{
    switch (c) {
    case 'c': o->config = optarg; return 0;
    case 'w': o->write = true; return 0;
    case 'd': o->diff = true; return 0;
    case 'a': o->all = true; return 0;
    case 'A': o->apply = true; return 0;
    case 'k': o->kubeconfig = optarg; return 0;
    case 'x': o->context = optarg; return 0;
    case 'r': return add(o->recommendations, &o->nrecommendations, optarg, "--recommendation");
    case 's': return add(o->standards, &o->nstandards, optarg, "--standard");
    case 'n':
        if (cli_valid_namespace(optarg)) {
            o->namespace_ = optarg;
            return 0;
        }
        fprintf(stderr, "scoregate fix: --namespace '%s' is not a namespace name (1-63 characters: a-z, 0-9 and '-', "
                "starting and ending with a letter or digit)\n", optarg);
        return -1;
    default:
        fprintf(stderr, "Run 'scoregate fix --help' for usage.\n");
        return -1;
    }
}

/* What the options cannot mean together, or NULL. */
static const char *conflict(const fix_options *o, int argc, char **argv)
{
    bool live = o->kubeconfig != NULL, paths = optind < argc;
    if (o->all && o->nrecommendations)
        return "--all and --recommendation exclude each other";
    if (live && paths)
        return "give PATHs or --kubeconfig, not both";
    if (!live && !paths)
        return "no PATH given (a file, a directory, or - for standard input; or --kubeconfig for a cluster)";
    if (live && (o->write || o->diff))
        return "--write and --diff are for files; a cluster is changed with --apply";
    if (!live && (o->apply || o->context))
        return "--apply and --context go with --kubeconfig";
    for (int i = optind; o->write && i < argc; i++)
        if (!strcmp(argv[i], "-"))
            return "--write cannot rewrite standard input";
    return NULL;
}

int sg_cmd_fix(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},     {"recommendation", required_argument, NULL, 'r'},
        {"all", no_argument, NULL, 'a'},              {"standard", required_argument, NULL, 's'},
        {"namespace", required_argument, NULL, 'n'},  {"write", no_argument, NULL, 'w'},
        {"diff", no_argument, NULL, 'd'},             {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'x'},    {"apply", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    fix_options o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:wdh", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (option(c, &o) < 0)
            return 2;
    }
    const char *problem = conflict(&o, argc, argv);
    if (problem) {
        fprintf(stderr, "scoregate fix: %s\n", problem);
        return 2;
    }
    char err[SG_ERRMAX];
    sg_policy_options popts = {.config_path = o.config, .extra_standards = o.standards,
                               .n_extra_standards = o.nstandards, .fix_only = o.recommendations,
                               .n_fix_only = o.nrecommendations, .fix_all = o.all};
    sg_policy *policy;
    if (cli_policy_load(&popts, &policy, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate fix: %s\n", err);
        return 2;
    }
    int status = o.kubeconfig ? fix_live(policy, &o) : fix_files(policy, &o, argv + optind, argc - optind);
    sg_policy_free(policy);
    return status;
}
