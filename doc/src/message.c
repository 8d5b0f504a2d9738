/*
 * message.c - the one form every document error takes, so that a user reads
 * the same "deploy.yaml: document 2, line 14: ..." whether the YAML reader,
 * the JSON fast path or the manifest checks found the problem.
 */
#include <stdio.h>

#include "internal.h"

int doc_verr(char *err, size_t errlen, const char *name, int document, int line, const char *fmt, va_list ap)
{
    char msg[SG_ERRMAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return sg_err(err, errlen, "%s: document %d, line %d: %s", name, document, line, msg);
}
