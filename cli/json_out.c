/*
 * json_out.c - print a JSON document the way every command does: indented,
 * keys in order, numbers to 10 significant digits (60.33 prints as 60.33, not
 * 60.329999999999998), serialised once and written with one call (jansson's
 * json_dumpf writes token by token, which dominates large reports).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int sg_cli_print_json(FILE *out, const json_t *doc)
{
    char *text = sg_json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), NULL);
    if (!text)
        return -1;
    size_t len = strlen(text);
    int rc = fwrite(text, 1, len, out) == len && fputc('\n', out) != EOF ? 0 : -1;
    free(text);
    return rc;
}
