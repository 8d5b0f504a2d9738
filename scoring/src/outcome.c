/*
 * outcome.c - what one evaluated object contributes to the score: its key
 * (apiVersion group, kind, namespace, name), its labels (what exemptions match
 * on) and, per recommendation, the raw outcome and the exemption that matched,
 * as bit sets, plus the containers in which each is unhealthy (for people). Built finding by finding, or from an sg_eval of the policy
 * module (a pure adapter: it reads the struct, calls nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int checked_len(const char *s, size_t *len)
{
    *len = s ? strlen(s) : 0;
    return *len > SG_SCORE_MAX_STRING ? -1 : 0;
}

int sg_score_outcome_new(sg_score_model *m, const char *api_version, const char *kind,
                         const char *ns, const char *name, sg_score_outcome **out,
                         char *err, size_t errlen)
{
    size_t la, lk, ln, lm;
    *out = NULL;
    if (!api_version || !*api_version || !kind || !*kind)
        return sg_err(err, errlen, "score outcome: apiVersion and kind are required");
    if (checked_len(api_version, &la) || checked_len(kind, &lk) || checked_len(ns, &ln) ||
        checked_len(name, &lm))
        return sg_err(err, errlen, "score outcome: a name is longer than %d bytes",
                      SG_SCORE_MAX_STRING);
    const char *slash = strchr(api_version, '/');
    size_t lg = slash ? (size_t)(slash - api_version) : 0;
    sg_score_outcome *o = sg_calloc(1, sizeof *o);
    o->keylen = lg + lk + ln + lm + 4;
    o->key = sg_malloc(o->keylen);
    o->bits = sg_calloc(SG_SETS * m->nwords, sizeof *o->bits);
    char *p = o->key;
    memcpy(p, api_version, lg);
    p += lg;
    *p++ = 0;
    memcpy(p, kind, lk + 1);
    p += lk + 1;
    memcpy(p, ns ? ns : "", ln + 1);
    p += ln + 1;
    memcpy(p, name ? name : "", lm + 1);
    o->hash = sg__key_hash(o->key, o->keylen);
    memcpy(o->bits + SET_KNOWN * m->nwords, m->evaluated, m->nwords * sizeof *o->bits);
    o->model = sg_score_model_ref(m);
    *out = o;
    return 0;
}

int sg_score_outcome_record(sg_score_outcome *o, size_t rec, bool raw_unhealthy,
                            sg_exemption_category exemption, char *err, size_t errlen)
{
    const sg_score_model *m = o->model;
    size_t nw = m->nwords;
    if (rec >= m->nrecs)
        return sg_err(err, errlen, "score outcome: recommendation %zu is not in the model", rec);
    if (!bit_get(o->bits + SET_KNOWN * nw, rec))
        return sg_err(err, errlen,
                      "score outcome: recommendation '%s' has a finding but is not evaluated",
                      m->recs[rec].id);
    bit_set(o->bits + SET_APPLIES * nw, rec);
    if (raw_unhealthy)
        bit_set(o->bits + SET_UNHEALTHY * nw, rec);
    if (exemption == SG_EXEMPT_WAIVER)
        bit_set(o->bits + SET_WAIVED * nw, rec);
    else if (exemption == SG_EXEMPT_MITIGATED)
        bit_set(o->bits + SET_MITIGATED * nw, rec);
    return 0;
}

int sg_score_outcome_label(sg_score_outcome *o, const char *key, const char *value,
                           char *err, size_t errlen)
{
    size_t lk, lv;
    if (!key || checked_len(key, &lk) || checked_len(value, &lv))
        return sg_err(err, errlen, "score outcome: a label is missing or too long");
    if (o->labelslen + lk + lv + 2 > 65536)
        return sg_err(err, errlen, "score outcome: labels longer than 64 KiB");
    o->labels = sg_realloc(o->labels, o->labelslen + lk + lv + 2);
    memcpy(o->labels + o->labelslen, key, lk + 1);
    memcpy(o->labels + o->labelslen + lk + 1, value ? value : "", lv + 1);
    o->labelslen += lk + lv + 2;
    return 0;
}

int sg_score_outcome_container(sg_score_outcome *o, size_t rec, const char *container, char *err, size_t errlen)
{
    if (rec >= o->model->nrecs || !container)
        return sg_err(err, errlen, "score outcome: no such recommendation or container");
    size_t len = strlen(container);
    /* Display only: names the API server would reject, and what passes the
     * per-resource budget, are left out rather than refused. */
    if (len > SG_CONTAINER_NAME_MAX || o->detailslen + len + 3 > SG_DETAILS_MAX)
        return 0;
    o->details = sg_realloc(o->details, o->detailslen + len + 3);
    char *p = o->details + o->detailslen;
    p[0] = (char)(rec & 0xff);
    p[1] = (char)(rec >> 8);
    memcpy(p + 2, container, len + 1);
    o->detailslen += len + 3;
    return 0;
}


int sg_score_outcome_from_eval(sg_score_model *m, const sg_eval *ev, sg_score_outcome **out,
                               char *err, size_t errlen)
{
    sg_score_outcome *o;
    const char *key;
    json_t *value;
    if (sg_score_outcome_new(m, ev->api_version, ev->kind, ev->namespace_, ev->name, &o, err,
                             errlen))
        return -1;
    o->ignored = ev->owned || ev->excluded;
    json_object_foreach((json_t *)ev->labels, key, value) {
        if (json_is_string(value) &&
            sg_score_outcome_label(o, key, json_string_value(value), err, errlen))
            goto fail;
    }
    for (size_t i = 0; i < ev->count; i++) {
        const sg_finding *f = &ev->findings[i];
        if (f->raw_status != SG_STATUS_HEALTHY && f->raw_status != SG_STATUS_UNHEALTHY)
            continue;
        sg_exemption_category cat = f->exemption_expired ? SG_EXEMPT_NONE : f->exemption_category;
        bool unhealthy = f->raw_status == SG_STATUS_UNHEALTHY;
        if (sg_score_outcome_record(o, f->rec, unhealthy, cat, err, errlen) ||
            (unhealthy && f->container && sg_score_outcome_container(o, f->rec, f->container, err, errlen)))
            goto fail;
    }
    *out = o;
    return 0;
fail:
    sg_score_outcome_free(o);
    return -1;
}

sg_score_state sg_score_outcome_rec_state(const sg_score_outcome *o, size_t rec)
{
    if (rec >= o->model->nrecs)
        return SG_SCORE_NOT_APPLICABLE;
    return sg__rec_state(o->bits, o->model->nwords, rec);
}

sg_score_state sg_score_outcome_control_state(const sg_score_outcome *o, size_t control)
{
    if (control >= o->model->ncontrols)
        return SG_SCORE_NOT_APPLICABLE;
    return sg__control_state(o->model, o->bits, control);
}

void sg_score_outcome_free(sg_score_outcome *o)
{
    if (!o)
        return;
    sg_score_model_free(o->model);
    free(o->key);
    free(o->labels);
    free(o->bits);
    free(o->details);
    free(o);
}

const uint64_t *sg__outcome_bits_for(const sg_score_outcome *o, const sg_score_model *m,
                                     uint64_t *scratch)
{
    if (o->model == m)
        return o->bits;
    long *map = sg_calloc(o->model->nrecs, sizeof *map);
    sg__remap_index(o->model, m, map);
    sg__remap_bits(o->model, m, map, o->bits, scratch);
    free(map);
    return scratch;
}

const char *sg__outcome_details_for(const sg_score_outcome *o, const sg_score_model *m, size_t *len, char **copy)
{
    *copy = NULL;
    *len = o->detailslen;
    if (o->model == m || !o->detailslen)
        return o->details;
    long *map = sg_calloc(o->model->nrecs, sizeof *map);
    *copy = sg_malloc(o->detailslen);
    sg__remap_index(o->model, m, map);
    *len = sg__remap_details(map, o->details, o->detailslen, *copy);
    free(map);
    return *copy;
}
