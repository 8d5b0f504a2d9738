/*
 * scan_util.c - helpers every scan writer shares: finding totals, streamed
 * JSON elements and resource labels (XML and HTML escaping is the webhook
 * module's sg_html_escape). Kept in one place so that every format counts the
 * same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"

void scan_count(const scan_report *r, scan_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < r->count; i++) {
        const scan_item *it = scan_item_get(r, i);
        for (size_t k = 0; k < it->eval.count; k++) {
            switch (it->eval.findings[k].status) {
            case SG_STATUS_HEALTHY: c->healthy++; break;
            case SG_STATUS_UNHEALTHY:
                c->unhealthy++;
                if (it->denials[k])
                    c->denied++;
                break;
            case SG_STATUS_EXEMPT: c->exempt++; break;
            case SG_STATUS_NOT_APPLICABLE: c->not_applicable++; break;
            }
        }
    }
}

/* Cut a trailing, incomplete UTF-8 sequence left by truncation. */
static void utf8_trim(char *buf)
{
    size_t n = strlen(buf), lead = n;
    while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0)
        return;
    unsigned char c = (unsigned char)buf[lead - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (n - (lead - 1) < need)
        buf[lead - 1] = '\0';
}

void scan_label(const char *kind, const char *ns, const char *name, char *buf, size_t len)
{
    name = name ? name : "(unnamed)";
    int n = ns ? snprintf(buf, len, "%s/%s/%s", kind, ns, name) : snprintf(buf, len, "%s/%s", kind, name);
    if (n >= 0 && (size_t)n >= len)
        utf8_trim(buf);
}

void scan_time_text(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "%lld", (long long)t);
}

const char *scan_expired_note(const scan_finding *f, char *buf, size_t len)
{
    if (!f->exemption_expired || !f->expired_exemption)
        return NULL;
    char when[32];
    scan_time_text(f->exemption_expires, when, sizeof when);
    snprintf(buf, len, "exemption %s expired on %s, so it no longer applies", f->expired_exemption, when);
    return buf;
}

int scan_json_put(FILE *out, json_t *value, int level)
{
    char *text = value ? sg_json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), NULL) : NULL;
    json_decref(value);
    if (!text)
        return -1;
    /* JSON strings never hold a raw newline, so every newline starts a line of structure. */
    const char *p = text, *nl;
    while ((nl = strchr(p, '\n'))) {
        fwrite(p, 1, (size_t)(nl - p) + 1, out);
        fprintf(out, "%*s", 2 * level, "");
        p = nl + 1;
    }
    fputs(p, out);
    free(text);
    return ferror(out) ? -1 : 0;
}

json_t *scan_json_text(const char *s)
{
    char *owned;
    json_t *v = json_string_nocheck(sg_utf8_clean(s ? s : "", &owned));
    free(owned);
    return v;
}

json_t *scan_notes_json(const scan_note *notes, size_t n, const char *text_key)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:o}", "file", scan_json_text(notes[i].file));
        if (notes[i].line) {
            json_object_set_new(o, "document", json_integer(notes[i].document));
            json_object_set_new(o, "line", json_integer(notes[i].line));
        }
        json_object_set_new(o, text_key, scan_json_text(notes[i].message));
        json_array_append_new(list, o);
    }
    return list;
}
