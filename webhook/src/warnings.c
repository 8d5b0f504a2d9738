/*
 * warnings.c - the words a user sees at `kubectl apply` time: the AdmissionReview
 * warnings and the denial message (docs/webhook.md).
 *
 * The API server shows every warning and drops those it finds too long, so
 * each is cut to WH_WARNING_MAX bytes (at a UTF-8 boundary, ending in "…"),
 * and there are few: the summary line with the score change first, then the
 * worst findings (denied first, then by severity), then "and N more" — at
 * most WH_WARNING_LINES lines, so the total stays far below 4096 characters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DENIAL_ITEMS 10
#define DENIAL_TEXT_MAX 300
#define PATCH_TEXT_MAX 1500

/* Cut `s` in place to at most `max` bytes without splitting a UTF-8
 * sequence, ending in "…" when something was cut; newlines become spaces. */
static void fit(char *s, size_t max)
{
    for (char *c = s; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    size_t len = strlen(s);
    if (len <= max)
        return;
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(s + cut, "\xE2\x80\xA6", 4);
}

static void signed_number(double v, int decimals, char *buf, size_t len)
{
    /* U+2212 MINUS SIGN, as in "(−1.11)". */
    if (v < 0)
        snprintf(buf, len, "\xE2\x88\x92%.*f", decimals, -v);
    else
        snprintf(buf, len, "+%.*f", decimals, v);
}

void wh_score_change(const sg_score_prediction *p, char *buf, size_t len)
{
    char before[16] = "n/a", after[16] = "n/a", delta[32] = "";
    if (p->before.has_percent)
        snprintf(before, sizeof before, "%.2f%%", p->before.percent);
    if (p->after.has_percent)
        snprintf(after, sizeof after, "%.2f%%", p->after.percent);
    if (p->has_delta) {
        char d[24];
        /* A change that rounds to 0.00 is still shown, unrounded. */
        if (fabs(p->delta) < 0.005 && fabs(p->exact_delta) >= 0.00005)
            signed_number(p->exact_delta, 4, d, sizeof d);
        else
            signed_number(p->delta, 2, d, sizeof d);
        snprintf(delta, sizeof delta, " (%s)", d);
    }
    snprintf(buf, len, "%s \xE2\x86\x92 %s%s", before, after, delta);
}

static int item_order(const void *a, const void *b)
{
    const wh_item *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->finding->rec != y->finding->rec)
        return x->finding->rec < y->finding->rec ? -1 : 1;
    return x->finding->container_index < y->finding->container_index ? -1
           : x->finding->container_index > y->finding->container_index;
}

static const char *finding_text(const wh_item *it)
{
    const char *m = it->finding->message;
    return m && *m ? m : it->rec->title;
}

/* "exemption NAME expired on TIME; REC, REC apply again", one line per exemption. */
static size_t expired_lines(json_t *out, const json_t *expired, size_t room)
{
    size_t i, shown = 0;
    const json_t *e;
    json_array_foreach(expired, i, e) {
        if (shown == room)
            break;
        char recs[256] = "", line[512];
        size_t k, used = 0;
        const json_t *rec;
        json_array_foreach(json_object_get(e, "recommendations"), k, rec)
            if (used < sizeof recs)
                used += (size_t)snprintf(recs + used, sizeof recs - used, "%s%s", k ? ", " : "",
                                         json_string_value(rec));
        size_t nrecs = json_array_size(json_object_get(e, "recommendations"));
        snprintf(line, sizeof line, "exemption %s expired on %s; %s %s again",
                 json_string_value(json_object_get(e, "name")), json_string_value(json_object_get(e, "expires")), recs,
                 nrecs == 1 ? "applies" : "apply");
        fit(line, WH_WARNING_MAX);
        json_array_append_new(out, wh_text(line));
        shown++;
    }
    return shown;
}

json_t *wh_warnings(const char *summary, const json_t *expired, wh_item *items, size_t n)
{
    json_t *out = sg_check_alloc(json_array());
    qsort(items, n, sizeof *items, item_order);
    char line[512];
    snprintf(line, sizeof line, "%s", summary);
    fit(line, WH_WARNING_MAX);
    json_array_append_new(out, wh_text(line));
    /* At most half the lines for expiries, so findings are always shown. */
    size_t room = WH_WARNING_LINES - 1 - expired_lines(out, expired, (WH_WARNING_LINES - 1) / 2);
    size_t shown = n <= room ? n : room - 1;
    for (size_t i = 0; i < shown; i++) {
        snprintf(line, sizeof line, "[%s] %s: %s", items[i].tag, items[i].rec->id, finding_text(&items[i]));
        fit(line, WH_WARNING_MAX);
        json_array_append_new(out, wh_text(line));
    }
    if (shown < n) {
        snprintf(line, sizeof line, "and %zu more (scoregate scan shows every finding)", n - shown);
        json_array_append_new(out, wh_text(line));
    }
    return out;
}

/* The patch /mutate would have sent, when a denial is only for its absence. */
static void write_missed_patch(FILE *f, const wh_item *items, size_t denied, const json_t *patch)
{
    bool missed = false;
    for (size_t i = 0; i < denied && !missed; i++)
        missed = items[i].denial == SG_DENIAL_NOT_FIXED;
    if (!missed || !patch)
        return;
    char *text = sg_json_dumps(patch, JSON_COMPACT, NULL);
    if (!text)
        return;
    if (strlen(text) > PATCH_TEXT_MAX)
        memcpy(text + PATCH_TEXT_MAX - 3, "...", 4);
    fprintf(f, "\nThe mutating webhook (/mutate) did not run; it would have applied: %s", text);
    free(text);
}

char *wh_denial_message(const char *kind, const char *name, const sg_score_prediction *p,
                        const char *gate_reason, wh_item *items, size_t n, const json_t *patch)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = sg_check_alloc(open_memstream(&text, &size));
    qsort(items, n, sizeof *items, item_order);
    size_t denied = 0;
    for (size_t i = 0; i < n; i++)
        denied += items[i].rank < 3;
    char change[96];
    wh_score_change(p, change, sizeof change);
    fprintf(f, "scoregate denied %s %s: ", kind, *name ? name : "(unnamed)");
    if (denied)
        fprintf(f, "%zu finding%s denied", denied, denied == 1 ? "" : "s");
    if (gate_reason)
        fprintf(f, "%s%s", denied ? "; " : "", gate_reason);
    fprintf(f, "; secure score %s", change);
    size_t shown = 0;
    for (size_t i = 0; i < n && i < denied && shown < DENIAL_ITEMS; i++, shown++) {
        char what[DENIAL_TEXT_MAX], fix[DENIAL_TEXT_MAX];
        snprintf(what, sizeof what, "%s", finding_text(&items[i]));
        snprintf(fix, sizeof fix, "%s", items[i].rec->remediation ? items[i].rec->remediation : "");
        /* Below the buffer size, so a cut snprintf made mid-character is cut again cleanly. */
        fit(what, sizeof what - 2);
        fit(fix, sizeof fix - 2);
        fprintf(f, "\n- %s (%s): %s.", items[i].rec->id, items[i].rec->title, what);
        if (items[i].denial != SG_DENIAL_DENY)
            fprintf(f, " It is %s.", sg_denial_text(items[i].denial));
        if (*fix)
            fprintf(f, " Fix: %s", fix);
    }
    if (denied > shown)
        fprintf(f, "\nand %zu more", denied - shown);
    write_missed_patch(f, items, denied, patch);
    if (fclose(f) != 0)   /* a memory stream fails only for want of memory */
        sg_oom();
    return text;
}
