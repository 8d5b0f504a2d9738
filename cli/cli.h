/*
 * cli.h - the subcommands of the `scoregate` binary (internal to cli/).
 * Each command takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status.
 */
#ifndef SCOREGATE_CLI_H
#define SCOREGATE_CLI_H

#include <stdio.h>

#include <scoregate/policy.h>

/* Print `doc` indented, in key order, with a final newline (json_out.c). 0 or -1. */
int sg_cli_print_json(FILE *out, const json_t *doc);

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

#endif
