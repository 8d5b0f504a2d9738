/*
 * scan_score.c - the inventory a scan admits its objects into (empty, or a
 * baseline), the score and prediction it ends with, and reading inventories
 * from files (see score.h). A baseline is
 * whatever describes the cluster: a saved inventory, an earlier scan's JSON,
 * or the objects themselves (`kubectl get deploy,svc -A -o json`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "score.h"

static int put_outcome(sg_inventory *inv, sg_score_outcome *o, char *err, size_t errlen)
{
    int rc = sg_inventory_apply(inv, SG_SCORE_UPDATE, o, err, errlen);
    sg_score_outcome_free(o);
    return rc;
}

int score_record(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const json_t *object, const char *ns,
                 time_t now, char *why, size_t whylen)
{
    sg_admission_request req = {.mode = SG_ADMISSION_RECORD, .operation = SG_SCORE_UPDATE, .object = object,
                                .namespace_ = ns, .now = now};
    sg_admission a;
    if (sg_admission_decide(p, m, inv, &req, &a, why, whylen) < 0)
        return -1;
    int rc = *a.refusal ? 1 : 0;
    if (rc)
        snprintf(why, whylen, "%s", a.refusal);
    sg_admission_free(&a);
    return rc;
}

/* One resource of a scan's JSON: findings by recommendation id and status. */
static int put_scanned(sg_score_model *m, sg_inventory *inv, const json_t *res, const char *path,
                       size_t index, char *err, size_t errlen)
{
    const char *api = json_string_value(json_object_get(res, "apiVersion"));
    const char *kind = json_string_value(json_object_get(res, "kind"));
    sg_score_outcome *o;
    char why[SG_ERRMAX];
    if (!json_is_object(res) ||
        sg_score_outcome_new(m, api, kind, json_string_value(json_object_get(res, "namespace")),
                             json_string_value(json_object_get(res, "name")), &o, why, sizeof why)) {
        snprintf(err, errlen, "%s: resource %zu: needs apiVersion and kind", path, index + 1);
        return -1;
    }
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(res, "findings"), i, f) {
        long rec = sg_score_model_rec_index(m, json_string_value(json_object_get(f, "recommendation")));
        const char *status = json_string_value(json_object_get(f, "status"));
        const char *category = json_string_value(json_object_get(f, "exemptionCategory"));
        sg_exemption_category cat = SG_EXEMPT_NONE;
        if (rec < 0 || !status)
            continue; /* not in this catalog */
        if (!strcmp(status, "exempt"))
            cat = category && !strcmp(category, "mitigated") ? SG_EXEMPT_MITIGATED : SG_EXEMPT_WAIVER;
        else if (strcmp(status, "healthy") && strcmp(status, "unhealthy"))
            continue;
        /* Fails for a recommendation this configuration does not evaluate: it is absent. */
        sg_score_outcome_record(o, (size_t)rec, strcmp(status, "healthy") != 0, cat, why, sizeof why);
    }
    return put_outcome(inv, o, err, errlen);
}

static int put_scan_json(sg_score_model *m, sg_inventory *inv, const json_t *doc, const char *path,
                         char *err, size_t errlen)
{
    size_t i;
    const json_t *res;
    json_array_foreach(json_object_get(doc, "resources"), i, res)
        if (put_scanned(m, inv, res, path, i, err, errlen))
            return -1;
    return 0;
}

static int put_objects(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const char *path,
                       const char *data, size_t len, const char *ns, char *err, size_t errlen)
{
    sg_manifest_list list = {0};
    time_t now = time(NULL);
    int rc = sg_manifest_parse(&list, path, data, len, err, errlen);
    for (size_t i = 0; !rc && i < list.count; i++) {
        const sg_manifest *mf = &list.items[i];
        char why[SG_ERRMAX];
        if (score_record(p, m, inv, mf->object, ns, now, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: document %d, line %d: %s", mf->file, mf->document, mf->line, why);
            rc = -1;
        }
    }
    sg_manifest_list_free(&list);
    return rc;
}

int score_read_inventory(const sg_policy *p, sg_inventory *inv, const char *path, const char *ns,
                         char *err, size_t errlen)
{
    size_t len;
    char *data;
    if (sg_file_read(path, SG_MAX_INPUT, &data, &len, err, errlen) < 0)
        return -1;
    sg_score_model *m = sg_inventory_model(inv);
    int rc;
    json_t *doc = NULL;
    if (len >= 8 && !memcmp(data, "SGINV", 5)) {
        rc = sg_inventory_load_buffer(inv, path, data, len, err, errlen);
    } else if ((doc = json_loadb(data, len, 0, NULL)) && json_is_object(doc) &&
               json_is_array(json_object_get(doc, "resources")) && !json_object_get(doc, "kind")) {
        rc = put_scan_json(m, inv, doc, path, err, errlen);
    } else {
        rc = put_objects(p, m, inv, path, data, len, ns, err, errlen);
    }
    json_decref(doc);
    sg_score_model_free(m);
    free(data);
    return rc;
}

int scan_open_inventory(scan_report *r, const char *baseline, const char *ns, char *err, size_t errlen)
{
    if (sg_score_model_from_policy(r->policy, NULL, 0, &r->model, err, errlen) ||
        sg_inventory_new(r->model, &r->inventory, err, errlen))
        return -1;
    if (baseline && score_read_inventory(r->policy, r->inventory, baseline, ns, err, errlen))
        return -1;
    sg_inventory_score(r->inventory, &r->before);
    return 0;
}

void scan_score(scan_report *r, bool baseline, double *percent)
{
    sg_score after;
    sg_inventory_score(r->inventory, &after);
    r->score = sg_score_to_json(&after);
    *percent = after.has_percent ? after.percent : -1;
    if (baseline) {
        sg_score_prediction p;
        sg_score_diff(&r->before, &after, &p);
        r->prediction = sg_score_prediction_to_json(&p);
    }
}

int score_read_history(sg_history *h, const char *path, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(path, 4u << 20, &data, &len, err, errlen))
        return -1;
    /* A ConfigMap (kubectl get -o json) holds the history's text in data.history. */
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *name = sg_file_name(path);
    int rc;
    if (!kind || strcmp(kind, "ConfigMap")) {
        rc = sg_history_decode(h, name, data, len, NULL, err, errlen);
    } else {
        json_t *text = json_object_get(json_object_get(doc, "data"), "history");
        rc = json_is_string(text)
                 ? sg_history_decode(h, name, json_string_value(text), json_string_length(text), NULL, err, errlen)
                 : (snprintf(err, errlen, "%s: the ConfigMap has no data.history", name), -1);
    }
    json_decref(doc);
    free(data);
    return rc;
}
