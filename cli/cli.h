/*
 * cli.h - the subcommands of the `scoregate` binary (internal to cli/).
 * Each command takes the arguments after its name (argv[0] is the command
 * name) and returns the process exit status.
 */
#ifndef SCOREGATE_CLI_H
#define SCOREGATE_CLI_H

/* scoregate certs generate|inspect|rotate (cmd_certs.c) */
int sg_cmd_certs(int argc, char **argv);

#endif
