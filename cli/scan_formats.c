/*
 * scan_formats.c - the -f values of `scoregate scan` and their writers, in
 * one table so that the option check and the dispatch agree (the usage text
 * in cmd_scan.c and scan_format_names() list the same names).
 */
#include <string.h>

#include "scan.h"

typedef struct scan_format {
    const char *name;
    int (*write)(const scan_report *r, FILE *out);
} scan_format;

static const scan_format formats[] = {
    {"text", NULL},  /* takes the colour flag too: see scan_write() */
    {"json", scan_write_json},
    {"sarif", scan_write_sarif},
    {"junit", scan_write_junit},
    {"policyreport", scan_write_policyreport},
    {"html", scan_write_html},
};

#define NFORMATS (sizeof formats / sizeof formats[0])

bool scan_format_known(const char *name)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (!strcmp(formats[i].name, name))
            return true;
    return false;
}

const char *scan_format_names(void)
{
    return "text, json, sarif, junit, policyreport or html";
}

int scan_write(const scan_report *r, const char *format, FILE *out, bool color)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (!strcmp(formats[i].name, format))
            return formats[i].write ? formats[i].write(r, out) : scan_write_text(r, out, color);
    return -1;
}
