/*
 * history_codec.c - the score history as text, for a file in the state
 * directory or a ConfigMap in the cluster, and as the dashboard's JSON.
 *
 * Stored form (version 1), compact and exact (integers only):
 *   {"version": 1, "controls": [id, ...],
 *    "minutes": [[time, percent, current, max, [points, ...]], ...],
 *    "hours":   [...]}
 * time in Unix seconds; percent in hundredths or null ("n/a"); current, max
 * and each control's points in cents, a point null where it was not
 * recorded. About 60 bytes a sample with the default seven controls, so the
 * 3602 samples of a full history take some 220 KB; a wider control table is
 * kept within SG_HISTORY_MAX_BYTES by dropping the oldest hourly samples.
 *
 * Decoding is strict (a text we did not write is refused with what is wrong)
 * and builds the content aside: the history is replaced whole or not at all.
 * A newer version is refused and said to be newer, so that an older replica
 * never overwrites what a newer one wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

#define DECODE_MAX (1u << 20)
#define MAX_CENTS (100LL * 1000000 * SG_SCORE_MAX_CONTROLS)
#define MAX_TIME 253402300799LL   /* 9999-12-31T23:59:59Z */

static void put_value(FILE *f, int64_t v)
{
    if (v == HS_NONE)
        fputs("null", f);
    else
        fprintf(f, "%lld", (long long)v);
}

static void put_tier(FILE *f, const char *name, const tier *t, size_t ncontrols)
{
    fprintf(f, ",\"%s\":[", name);
    for (size_t k = 0; k < t->n; k++) {
        const hsample *s = &t->s[k];
        fprintf(f, "%s[%lld,", k ? "," : "", (long long)s->time);
        put_value(f, s->percent);
        fprintf(f, ",%lld,%lld,[", (long long)s->current, (long long)s->max);
        for (size_t i = 0; i < ncontrols; i++) {
            if (i)
                fputc(',', f);
            put_value(f, s->points[i]);
        }
        fputs("]]", f);
    }
    fputc(']', f);
}

static char *encode_content(const hcontent *c, size_t *len)
{
    char *text = NULL;
    FILE *f = sg_check_alloc(open_memstream(&text, len));
    fprintf(f, "{\"version\":%d,\"controls\":[", HS_VERSION);
    for (size_t i = 0; i < c->ncontrols; i++) {
        json_t *id = sg_check_alloc(json_string(c->ids[i]));
        char *quoted = sg_check_alloc(sg_json_dumps(id, JSON_ENCODE_ANY, NULL));
        fprintf(f, "%s%s", i ? "," : "", quoted);
        free(quoted);
        json_decref(id);
    }
    fputc(']', f);
    put_tier(f, "minutes", &c->fine, c->ncontrols);
    put_tier(f, "hours", &c->coarse, c->ncontrols);
    fputs("}\n", f);
    if (fclose(f) != 0)
        sg_oom();
    return text;
}

/* Drop the oldest `n` samples of a tier. */
static void drop_oldest(tier *t, size_t n)
{
    n = n < t->n ? n : t->n;
    if (!n)
        return;
    memmove(t->s, t->s + n, (t->n - n) * sizeof *t->s);
    t->n -= n;
}

char *sg_history_encode(sg_history *h, size_t *len)
{
    char *text;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        text = encode_content(&h->c, len);
        if (*len <= SG_HISTORY_MAX_BYTES)
            break;
        /* Past the bound: the oldest hourly samples go first, by the average size of a sample. */
        size_t count = h->c.fine.n + h->c.coarse.n, per = *len / (count ? count : 1) + 1;
        size_t drop = (*len - SG_HISTORY_MAX_BYTES) / per + 1;
        drop_oldest(h->c.coarse.n ? &h->c.coarse : &h->c.fine, drop);
        h->generation++;
        free(text);
    }
    pthread_mutex_unlock(&h->lock);
    return text;
}

/* ---- decoding ---- */

typedef struct decoder {
    const char *name;
    char *err;
    size_t errlen;
} decoder;

static int bad(const decoder *d, const char *what)
{
    return sg_err(d->err, d->errlen, "score history %s: %s", d->name, what);
}

/* An integer in [lo, hi], or null when `nullable` (then HS_NONE). */
static int int_value(const json_t *v, long long lo, long long hi, bool nullable, int64_t *out)
{
    if (nullable && json_is_null(v)) {
        *out = HS_NONE;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int decode_sample(const json_t *v, size_t ncontrols, hsample *s)
{
    int64_t percent, point;
    if (!json_is_array(v) || json_array_size(v) != 5 || int_value(json_array_get(v, 0), 0, MAX_TIME, false, &s->time) ||
        int_value(json_array_get(v, 1), 0, 10000, true, &percent) ||
        int_value(json_array_get(v, 2), 0, MAX_CENTS, false, &s->current) ||
        int_value(json_array_get(v, 3), 0, MAX_CENTS, false, &s->max) || s->current > s->max)
        return -1;
    s->percent = (int32_t)percent;
    const json_t *points = json_array_get(v, 4);
    if (!json_is_array(points) || json_array_size(points) != ncontrols)
        return -1;
    for (size_t i = 0; i < SG_SCORE_MAX_CONTROLS; i++)
        s->points[i] = HS_NONE;
    for (size_t i = 0; i < ncontrols; i++) {
        if (int_value(json_array_get(points, i), 0, 100LL * 1000000, true, &point))
            return -1;
        s->points[i] = (int32_t)point;
    }
    return 0;
}

static int decode_tier(const decoder *d, const json_t *doc, const char *key, size_t max, hcontent *c, tier *t)
{
    const json_t *list = json_object_get(doc, key);
    char what[96];
    if (!json_is_array(list) || json_array_size(list) > max) {
        snprintf(what, sizeof what, "\"%s\" is not a list of at most %zu samples", key, max);
        return bad(d, what);
    }
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        hsample s;
        if (decode_sample(v, c->ncontrols, &s) < 0 || (t->n && s.time <= t->s[t->n - 1].time)) {
            snprintf(what, sizeof what, "sample %zu of \"%s\" is malformed or out of order", i + 1, key);
            return bad(d, what);
        }
        hs_push(t, &s);
    }
    return 0;
}

static int decode_controls(const decoder *d, const json_t *doc, hcontent *c)
{
    const json_t *ids = json_object_get(doc, "controls");
    if (!json_is_array(ids) || json_array_size(ids) > SG_SCORE_MAX_CONTROLS)
        return bad(d, "\"controls\" is not a list of at most 32 ids");
    size_t i;
    const json_t *id;
    json_array_foreach(ids, i, id) {
        const char *text = json_string_value(id);
        if (!text || !*text || strlen(text) > HS_ID_MAX)
            return bad(d, "a control id is not a non-empty string of at most 253 bytes");
        for (size_t k = 0; k < c->ncontrols; k++)
            if (!strcmp(c->ids[k], text))
                return bad(d, "a control id is listed twice");
        c->ids[c->ncontrols++] = sg_strdup(text);
    }
    return 0;
}

static int decode_doc(const decoder *d, const json_t *doc, bool *newer, hcontent *c)
{
    static const char *const keys[] = {"version", "controls", "minutes", "hours"};
    if (!json_is_object(doc))
        return bad(d, "not a JSON object");
    const json_t *version = json_object_get(doc, "version");
    if (!json_is_integer(version))
        return bad(d, "no \"version\"");
    if (json_integer_value(version) != HS_VERSION) {
        char what[160];
        *newer = json_integer_value(version) > HS_VERSION;
        snprintf(what, sizeof what, "version %lld, this scoregate reads version %d%s",
                 (long long)json_integer_value(version), HS_VERSION,
                 *newer ? " (written by a newer scoregate)" : "");
        return bad(d, what);
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            known |= !strcmp(key, keys[i]);
        if (!known)
            return bad(d, "an unknown key at the top level");
    }
    return decode_controls(d, doc, c) || decode_tier(d, doc, "minutes", HS_FINE_MAX, c, &c->fine) ||
                   decode_tier(d, doc, "hours", HS_COARSE_MAX, c, &c->coarse)
               ? -1
               : 0;
}

int sg_history_decode(sg_history *h, const char *name, const char *data, size_t len, bool *newer, char *err,
                      size_t errlen)
{
    decoder d = {name, err, errlen};
    bool is_newer = false;
    if (newer)
        *newer = false;
    if (len > DECODE_MAX)
        return bad(&d, "larger than 1 MiB");
    json_error_t je;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        char what[224];
        snprintf(what, sizeof what, "line %d, column %d: %s", je.line, je.column, je.text);
        return bad(&d, what);
    }
    hcontent c = {0};
    int rc = decode_doc(&d, doc, &is_newer, &c);
    json_decref(doc);
    if (newer)
        *newer = is_newer;
    if (rc < 0) {
        hs_content_free(&c);
        return -1;
    }
    hs_normalize(&c);
    pthread_mutex_lock(&h->lock);
    hcontent old = h->c;
    h->c = c;
    h->generation++;
    pthread_mutex_unlock(&h->lock);
    hs_content_free(&old);
    return 0;
}

int sg_history_save(sg_history *h, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = sg_history_encode(h, &len), why[SG_ERRMAX];
    int rc = sg_file_write_atomic(path, text, len, 0600, why, sizeof why);
    free(text);
    return rc < 0 ? sg_err(err, errlen, "saving the score history: %s", why) : 0;
}

int sg_history_load(sg_history *h, const char *path, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(path, DECODE_MAX, &data, &len, err, errlen) < 0)
        return -1;
    int rc = sg_history_decode(h, path, data, len, NULL, err, errlen);
    free(data);
    return rc;
}

/* ---- the dashboard's JSON ---- */

static json_t *sample_json(const sg_history_view *v, const sg_history_sample *s)
{
    char when[32];
    struct tm tm;
    time_t t = s->time;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *controls = sg_check_alloc(json_object());
    for (size_t i = 0; i < v->ncontrols; i++)
        if (s->has_points[i])
            json_object_set_new(controls, v->ids[i], json_real(s->points[i]));
    return sg_check_alloc(json_pack("{s:s,s:o,s:f,s:f,s:o}", "time", when, "percent",
                                    s->has_percent ? json_real(s->percent) : json_null(), "current", s->current,
                                    "max", s->max, "controls", controls));
}

json_t *sg_history_view_to_json(const sg_history_view *v)
{
    json_t *ids = sg_check_alloc(json_array()), *samples = sg_check_alloc(json_array());
    for (size_t i = 0; i < v->ncontrols; i++)
        json_array_append_new(ids, sg_check_alloc(json_string(v->ids[i])));
    for (size_t i = 0; i < v->count; i++)
        json_array_append_new(samples, sample_json(v, &v->samples[i]));
    return sg_check_alloc(json_pack("{s:i,s:o,s:o}", "version", HS_VERSION, "controls", ids, "samples",
                                    samples));
}
