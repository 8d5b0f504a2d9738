/*
 * main.c - entry point of `scoregate`: dispatches to one subcommand, like
 * kubectl or helm. Every subcommand lives in its own cmd_*.c file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <scoregate/base.h>
#include <scoregate/doc.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"serve", sg_cmd_serve, "run the admission webhook (TLS)"},
    {"scan", sg_cmd_scan, "check manifests against the recommendations, before deployment"},
    {"fix", sg_cmd_fix, "apply the enforce fixes to manifests (minimal edits) or to live workloads"},
    {"catalog", sg_cmd_catalog, "list the recommendations, their settings and state"},
    {"certs", sg_cmd_certs, "generate, inspect and rotate TLS certificates"},
    {"score", sg_cmd_score, "secure score of a cluster from files (inventory, scan JSON, objects)"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: scoregate COMMAND [OPTIONS]\n\n"
                 "Kubernetes admission webhook and pre-deployment checker that predicts\n"
                 "the secure score.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'scoregate COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    /* One out-of-memory policy for the whole process (scoregate/base.h):
     * jansson allocates through sg_malloc too (base's arena hooks, which
     * serve a request from its thread's arena; docs/architecture.md), so a
     * JSON value built from valid text is never NULL here. Set before
     * anything touches jansson. */
    sg_json_use_arena();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("scoregate %s\n", SG_VERSION);
        return 0;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "scoregate: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
