/*
 * report_build.c - what the in-cluster PolicyReports say (server.policyReports):
 * the inventory, the background scan's result, as one PolicyReport per
 * namespace and one ClusterPolicyReport, all named "scoregate". Writing them
 * is policy_reports.c's.
 *
 * One result per recommendation that applies to an inventoried resource, in
 * the shape `scan -f policyreport` writes (policy/src/report.c): pass, fail
 * (scored, or its action denies), warn (unhealthy, not scored and not
 * denied), skip (an exemption applies). Properties (strings): action,
 * control, containers where it is unhealthy, the exemption's category, and
 * for an unhealthy scored recommendation its score impact: the points its
 * control and the secure score (percent) would gain if it were fixed on this
 * resource, counted as the score is (docs/scoring.md); 0 where another scored
 * recommendation of the control is unhealthy on it too, as fixing this one
 * alone then gains nothing.
 *
 * The inventory keeps neither apiVersion nor uid: the sync remembers them
 * (wh_sync_ref). Results are ordered by kind, name and recommendation, so the
 * same inventory gives the same report, and comparing reports (timestamps
 * aside) tells whether anything changed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>

#include "internal.h"

#define PAGE 10000
/* Beyond this a report would pass etcd's request limit (1.5 MiB): passes and skips go first. */
#define REPORT_MAX_BYTES (1024 * 1024)

/* One recommendation on one resource, copied out of a listing page. */
typedef struct entry {
    char *ns, *kind, *name, *group, *containers;   /* one allocation, from ns */
    const sg_rec_info *rec;
    long control;                                  /* model control index, -1 when not scored */
    sg_score_state state;
    sg_exemption_category exemption;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

static void add_entry(entries *e, const sg_listed_resource *it, const sg_rec_info *rec, long control)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 256;
        e->v = sg_reallocarray(e->v, e->cap, sizeof *e->v);
    }
    size_t clen = 0;
    for (size_t k = 0; k < it->ncontainers; k++)
        clen += strlen(it->containers[k]) + 2;
    size_t len = strlen(it->namespace_) + strlen(it->kind) + strlen(it->name) + strlen(it->group) + clen + 5;
    char *p = sg_malloc(len);
    entry *x = &e->v[e->n++];
    x->ns = p;
    p += sprintf(p, "%s", it->namespace_) + 1;
    x->kind = p;
    p += sprintf(p, "%s", it->kind) + 1;
    x->name = p;
    p += sprintf(p, "%s", it->name) + 1;
    x->group = p;
    p += sprintf(p, "%s", it->group) + 1;
    x->containers = p;
    *p = '\0';
    for (size_t k = 0; k < it->ncontainers; k++)
        p += sprintf(p, "%s%s", k ? ", " : "", it->containers[k]);
    x->rec = rec;
    x->control = control;
    x->state = it->state;
    x->exemption = it->exemption;
}

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->ns, y->ns);
    if (!c)
        c = strcmp(x->kind, y->kind);
    if (!c)
        c = strcmp(x->name, y->name);
    if (!c)
        c = strcmp(x->group, y->group);
    return c ? c : strcmp(x->rec->id, y->rec->id);
}

static bool same_resource(const entry *x, const entry *y)
{
    return !strcmp(x->ns, y->ns) && !strcmp(x->kind, y->kind) && !strcmp(x->name, y->name) &&
           !strcmp(x->group, y->group);
}

/* Every applicable result of every enabled recommendation, sorted; -1 when a listing fails. */
static int collect(sg_inventory *inv, sg_score_model *m, const sg_policy *p, entries *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < sg_score_model_rec_count(m); i++) {
        const char *id = sg_score_model_rec_id(m, i);
        long pi = id ? sg_policy_rec_index(p, id) : -1;
        const sg_rec_info *rec = pi >= 0 ? sg_policy_rec(p, (size_t)pi) : NULL;
        if (!rec || !rec->enabled)
            continue;
        char *cont = NULL;
        do {
            sg_resource_page page;
            if (sg_inventory_rec_resources(inv, id, NULL, SG_LIST_UNHEALTHY | SG_LIST_HEALTHY | SG_LIST_EXEMPT, cont,
                                           PAGE, &page, err, errlen) < 0) {
                free(cont);
                return -1;
            }
            for (size_t k = 0; k < page.count; k++)
                add_entry(out, &page.items[k], rec, sg_score_model_rec_control(m, i));
            free(cont);
            cont = page.next ? sg_strdup(page.next) : NULL;
            sg_resource_page_free(&page);
        } while (cont);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, entry_cmp);
    return 0;
}

/* What one unhealthy resource of each control turned healthy gains: points of the control, percent. */
static void unit_gains(sg_inventory *inv, sg_score_model *m, double *points, double *percent)
{
    sg_score before;
    sg_inventory_score(inv, &before);
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    for (size_t c = 0; c < before.ncontrols; c++) {
        healthy[c] = before.controls[c].healthy;
        unhealthy[c] = before.controls[c].unhealthy;
    }
    for (size_t c = 0; c < before.ncontrols; c++) {
        points[c] = percent[c] = 0;
        if (!unhealthy[c])
            continue;
        healthy[c]++;
        unhealthy[c]--;
        sg_score after;
        sg_score_compute(m, healthy, unhealthy, NULL, &after);
        healthy[c]--;
        unhealthy[c]++;
        points[c] = (double)(llround(after.controls[c].current * 100) - llround(before.controls[c].current * 100)) / 100;
        if (after.has_percent && before.has_percent)
            percent[c] = after.exact_percent - before.exact_percent;
    }
}

/* The reference of a resource: apiVersion and uid as the sync saw them, else the group's kind table's. */
static json_t *resource_ref(sg_webhook *w, const sg_policy *p, const entry *x)
{
    char key[1200], av[300] = "", uid[128] = "";
    wh_sync_ref_key(x->group, x->kind, x->ns, x->name, key, sizeof key);
    if (!wh_sync_ref(w, key, av, sizeof av, uid, sizeof uid)) {
        size_t n;
        const sg_kube_resource *k = sg_kube_resources(&n);
        const char *version = "v1";
        for (size_t i = 0; i < n; i++)
            if (!strcmp(k[i].group, x->group) && !strcmp(k[i].kind, x->kind))
                version = k[i].version;
        for (size_t i = 0; i < sg_policy_pod_controller_count(p); i++) {
            const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
            if (!strcmp(pc->group, x->group) && !strcmp(pc->kind, x->kind))
                version = pc->version;
        }
        snprintf(av, sizeof av, "%s%s%s", x->group, *x->group ? "/" : "", version);
    }
    return sg_policyreport_resource(av, x->kind, *x->ns ? x->ns : NULL, x->name, *uid ? uid : NULL);
}

static const char *status_of(const entry *x, sg_status *st)
{
    *st = x->exemption != SG_EXEMPT_NONE      ? SG_STATUS_EXEMPT
          : x->state == SG_SCORE_UNHEALTHY    ? SG_STATUS_UNHEALTHY
          : x->state == SG_SCORE_HEALTHY      ? SG_STATUS_HEALTHY
                                              : SG_STATUS_NOT_APPLICABLE;
    bool denied = x->rec->action == SG_ACTION_DENY || (x->rec->action == SG_ACTION_ENFORCE && !x->rec->has_fix);
    return sg_policyreport_result(x->rec, *st, denied);
}

/* One result; `sole` tells that no other scored recommendation of its control is unhealthy on the resource. */
static json_t *result(sg_webhook *w, const sg_policy *p, const entry *x, bool sole, const double *points,
                      const double *percent, const struct timespec *now)
{
    sg_status st;
    const char *res = status_of(x, &st);
    json_t *props = json_pack("{s:s,s:s}", "action", sg_action_name(x->rec->action), "control", x->rec->control);
    char msg[1400], num[64];
    snprintf(msg, sizeof msg, "%s", x->rec->title);
    if (st == SG_STATUS_UNHEALTHY && *x->containers) {
        json_object_set_new(props, "containers", json_string(x->containers));
        snprintf(msg, sizeof msg, "%s (unhealthy in %s)", x->rec->title, x->containers);
    }
    if (st == SG_STATUS_EXEMPT)
        json_object_set_new(props, "exemptionCategory", json_string(sg_exemption_category_name(x->exemption)));
    if (st == SG_STATUS_UNHEALTHY && x->control >= 0) {
        snprintf(num, sizeof num, "%.2f", sole ? points[x->control] : 0.0);
        json_object_set_new(props, "scoreImpactPoints", json_string(num));
        snprintf(num, sizeof num, "%.4f", sole ? percent[x->control] : 0.0);
        json_object_set_new(props, "scoreImpactPercent", json_string(num));
    }
    return sg_policyreport_result_json(x->rec, res, msg, resource_ref(w, p, x), now, props);
}

/* Whether the entry is the only unhealthy scored recommendation of its control among v[from..to). */
static bool sole_unhealthy(const entry *v, size_t from, size_t to, const entry *x)
{
    for (size_t j = from; j < to; j++)
        if (&v[j] != x && v[j].control == x->control && v[j].exemption == SG_EXEMPT_NONE &&
            v[j].state == SG_SCORE_UNHEALTHY)
            return false;
    return true;
}

/* Passes and skips left out, then the last results, until the report fits; the summary keeps every result. */
static void fit(json_t *report, const char *ns)
{
    json_t *results = json_object_get(report, "results");
    size_t len = 0, before = json_array_size(results);
    free(sg_json_dumps(report, JSON_COMPACT, &len));
    if (len <= REPORT_MAX_BYTES)
        return;
    for (size_t i = json_array_size(results); i-- > 0;) {
        const char *r = json_string_value(json_object_get(json_array_get(results, i), "result"));
        if (r && (!strcmp(r, "pass") || !strcmp(r, "skip")))
            json_array_remove(results, i);
    }
    size_t n = json_array_size(results), per = before ? len / before + 1 : 1;
    while (n && n * per > REPORT_MAX_BYTES)
        json_array_remove(results, --n);
    wh_log("warn", "policy reports: a report is too large for the API server; passes and skips are left out of "
           "its results (its summary counts them)", json_pack("{s:s,s:I,s:I}", "namespace", ns, "results",
                                                              (json_int_t)before, "kept", (json_int_t)n));
}

/* The report of namespace `ns` ("": cluster) from v[from..to), summary included. */
static json_t *report_of(sg_webhook *w, const sg_policy *p, const entries *e, size_t from, size_t to,
                         const double *points, const double *percent, const struct timespec *now)
{
    const char *ns = from < to ? e->v[from].ns : "";
    json_t *report = sg_policyreport_new(*ns ? ns : NULL, WH_REPORT_NAME);
    json_t *results = sg_check_alloc(json_array());
    for (size_t i = from; i < to;) {
        size_t end = i;
        while (end < to && same_resource(&e->v[i], &e->v[end]))
            end++;
        for (size_t j = i; j < end; j++)
            json_array_append_new(results, result(w, p, &e->v[j], sole_unhealthy(e->v, i, end, &e->v[j]), points,
                                                  percent, now));
        i = end;
    }
    json_object_set_new(report, "summary", sg_policyreport_summary(results));
    json_object_set_new(report, "results", results);
    fit(report, ns);
    return report;
}

json_t *wh_reports_build(sg_webhook *w, const wh_snapshot *snap, const struct timespec *now, char *err, size_t errlen)
{
    sg_score_model *m = sg_inventory_model(w->inv);
    if (m != snap->model) {   /* a reload is re-scoring the inventory: the next round sees it done */
        sg_score_model_free(m);
        sg_err(err, errlen, "the settings are being reloaded");
        return NULL;
    }
    entries e = {0};
    double points[SG_SCORE_MAX_CONTROLS], percent[SG_SCORE_MAX_CONTROLS];
    json_t *reports = NULL;
    if (collect(w->inv, m, snap->policy, &e, err, errlen) == 0) {
        unit_gains(w->inv, m, points, percent);
        reports = sg_check_alloc(json_object());
        json_object_set_new(reports, "", report_of(w, snap->policy, &e, 0, 0, points, percent, now));
        for (size_t i = 0; i < e.n;) {
            size_t end = i;
            while (end < e.n && !strcmp(e.v[end].ns, e.v[i].ns))
                end++;
            json_object_set_new(reports, e.v[i].ns, report_of(w, snap->policy, &e, i, end, points, percent, now));
            i = end;
        }
    }
    for (size_t i = 0; i < e.n; i++)
        free(e.v[i].ns);
    free(e.v);
    sg_score_model_free(m);
    return reports;
}
