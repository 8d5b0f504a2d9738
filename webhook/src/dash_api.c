/*
 * dash_api.c - the dashboard's JSON documents (docs/dashboard.md): summary,
 * controls, recommendations, one recommendation and its resources,
 * namespaces and history. The pages are rendered from these very documents
 * (dash_pages.c, overview.c), so a page shows what the API returns.
 *
 * Everything comes from the score inventory (which keeps, per resource, the
 * outcome of every recommendation and the containers of unhealthy ones) and
 * the policy; no object is kept, so no Secret value can be shown: Secrets are
 * inventoried by kind, namespace, name and labels only.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

void wh_rfc3339(time_t t, char *buf, size_t len)
{
    struct tm tm;
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static json_t *ns_json(const wh_view *v) { return v->ns ? json_string(v->ns) : json_null(); }

static json_t *gain_json(const sg_score_gain *g)
{
    return json_pack("{s:f,s:f,s:f}", "points", g->points, "percent", g->percent, "exactPercent", g->exact_percent);
}

/* The statistics of the view's namespace. */
static void stats_of(const wh_view *v, sg_stats *st) { sg_inventory_stats(v->inv, v->ns, st); }

json_t *wh_api_summary(const wh_view *v)
{
    sg_stats st;
    stats_of(v, &st);
    size_t evaluated = 0, unhealthy = 0;
    for (size_t i = 0; i < sg_policy_rec_count(v->policy); i++) {
        const sg_rec_info *info = sg_policy_rec(v->policy, i);
        long k = sg_score_model_rec_index(st.model, info->id);
        if (!info->enabled || !info->configured || k < 0)
            continue;
        evaluated++;
        unhealthy += st.recs[k].unhealthy > 0;
    }
    char when[32];
    wh_rfc3339(v->now, when, sizeof when);
    json_t *doc = json_pack("{s:o,s:s,s:o,s:I,s:I,s:{s:I,s:I},s:I}", "namespace", ns_json(v), "generated", when,
                            "score", sg_score_to_json(&st.score), "resources", (json_int_t)st.score.resources,
                            "staleResources", (json_int_t)st.score.stale_resources, "recommendations", "evaluated",
                            (json_int_t)evaluated, "unhealthy", (json_int_t)unhealthy, "historySamples",
                            (json_int_t)(v->history ? sg_history_count(v->history) : 0));
    sg_stats_free(&st);
    return doc;
}

typedef struct ranked {
    size_t index;
    double key1, key2;
} ranked;

static int by_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key1 != y->key1)
        return x->key1 < y->key1 ? 1 : -1;
    if (x->key2 != y->key2)
        return x->key2 < y->key2 ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

json_t *wh_api_controls(const wh_view *v)
{
    sg_stats st;
    stats_of(v, &st);
    ranked order[SG_SCORE_MAX_CONTROLS];
    size_t n = st.score.ncontrols;
    for (size_t c = 0; c < n; c++)
        order[c] = (ranked){c, st.control_gain[c].exact_percent, st.score.controls[c].potential};
    qsort(order, n, sizeof *order, by_rank);
    json_t *list = json_array();
    for (size_t k = 0; list && k < n; k++) {
        const sg_score_control *c = &st.score.controls[order[k].index];
        json_array_append_new(list, json_pack("{s:s,s:s,s:f,s:f,s:f,s:I,s:I,s:I,s:o}", "id", c->id, "name", c->name,
                                              "max", c->max, "current", c->current, "potential", c->potential,
                                              "healthy", (json_int_t)c->healthy, "unhealthy", (json_int_t)c->unhealthy,
                                              "notApplicable", (json_int_t)c->not_applicable, "increase",
                                              gain_json(&st.control_gain[order[k].index])));
    }
    json_t *doc = json_pack("{s:o,s:o,s:o}", "namespace", ns_json(v), "score", sg_score_to_json(&st.score),
                            "controls", list);
    sg_stats_free(&st);
    return doc;
}

/* One recommendation's entry: what it is, and its figures over the view. */
static json_t *rec_json(const sg_rec_info *info, const sg_rec_stats *rs)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o}", "id", info->id, "title",
                     info->title, "severity", sg_severity_name(info->severity), "control", info->control ? info->control : "",
                     "action", sg_action_name(info->action), "standard", info->standard, "scored", info->scored,
                     "preview", info->preview, "hasFix", info->has_fix, "unhealthy", (json_int_t)rs->unhealthy,
                     "healthy", (json_int_t)rs->healthy, "exempt", (json_int_t)rs->exempt, "notApplicable",
                     (json_int_t)rs->not_applicable, "unknown", (json_int_t)rs->unknown, "increase",
                     gain_json(&rs->gain));
}

static double sort_key(const char *sort, const sg_rec_info *info, const sg_rec_stats *rs, int which)
{
    bool severity = sort && !strcmp(sort, "severity"), unhealthy = sort && !strcmp(sort, "unhealthy");
    double sev = (double)info->severity, gain = rs->gain.exact_percent, count = (double)rs->unhealthy;
    if (which == 1)
        return severity ? sev : unhealthy ? count : gain;
    return severity ? gain : unhealthy ? gain : count * 4 + sev;
}

json_t *wh_api_recommendations(const wh_view *v, const char *sort)
{
    sg_stats st;
    stats_of(v, &st);
    size_t n = sg_policy_rec_count(v->policy), k = 0;
    ranked *order = sg_calloc(n + 1, sizeof *order);
    const sg_rec_stats **of = sg_calloc(n + 1, sizeof *of);
    json_t *list = sg_check_alloc(json_array());
    for (size_t i = 0; list && i < n; i++) {
        const sg_rec_info *info = sg_policy_rec(v->policy, i);
        long idx = sg_score_model_rec_index(st.model, info->id);
        if (!info->enabled || !info->configured || idx < 0)
            continue;
        of[i] = &st.recs[idx];
        order[k++] = (ranked){i, sort_key(sort, info, of[i], 1), sort_key(sort, info, of[i], 2)};
    }
    if (list)
        qsort(order, k, sizeof *order, by_rank);
    for (size_t j = 0; list && j < k; j++)
        json_array_append_new(list, rec_json(sg_policy_rec(v->policy, order[j].index), of[order[j].index]));
    json_t *doc = list ? json_pack("{s:o,s:s,s:o}", "namespace", ns_json(v), "sort",
                                   sort && (!strcmp(sort, "severity") || !strcmp(sort, "unhealthy")) ? sort : "gain",
                                   "recommendations", list)
                       : NULL;
    free(order);
    free(of);
    sg_stats_free(&st);
    return doc;
}

/* The exemptions of the settings that name recommendation `id`. */
static json_t *exemptions_json(const wh_view *v, const char *id)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < sg_policy_exemption_count(v->policy); i++) {
        const sg_exemption_info *x = sg_policy_exemption(v->policy, i);
        bool names = false;
        size_t k;
        const json_t *rid;
        json_array_foreach(x->recommendations, k, rid)
            names |= json_is_string(rid) && !strcmp(json_string_value(rid), id);
        if (!names)
            continue;
        char expires[32];
        wh_rfc3339(x->expires, expires, sizeof expires);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s?,s:b,s:s?,s:O?}", "name", x->name, "category",
                                              sg_exemption_category_name(x->category), "expires",
                                              x->expires ? expires : NULL, "active",
                                              !x->expires || x->expires > v->now, "justification", x->justification,
                                              "match", x->match));
    }
    return list;
}

json_t *wh_api_recommendation(const wh_view *v, const char *id)
{
    long i = sg_policy_rec_index(v->policy, id);
    const sg_rec_info *info = i >= 0 ? sg_policy_rec(v->policy, (size_t)i) : NULL;
    if (!info)
        return NULL;
    sg_stats st;
    stats_of(v, &st);
    long idx = sg_score_model_rec_index(st.model, id);
    sg_rec_stats none = {0};
    json_t *doc = rec_json(info, idx >= 0 ? &st.recs[idx] : &none);
    sg_stats_free(&st);
    if (doc)
        json_object_update_new(doc, json_pack("{s:o,s:s,s:s,s:b,s:O?,s:o}", "namespace", ns_json(v), "remediation",
                                              info->remediation ? info->remediation : "", "scope", info->scope,
                                              "evaluated", info->enabled && info->configured, "fix", info->fix,
                                              "exemptions", exemptions_json(v, id)));
    return doc;
}

/* Which states a `status` parameter lists; 0 when it is not one we know. */
static unsigned which_of(const char *status)
{
    static const struct { const char *name; unsigned bits; } names[] = {
        {"unhealthy", SG_LIST_UNHEALTHY}, {"healthy", SG_LIST_HEALTHY}, {"exempt", SG_LIST_EXEMPT},
        {"affected", SG_LIST_UNHEALTHY | SG_LIST_EXEMPT}, {"all", SG_LIST_UNHEALTHY | SG_LIST_HEALTHY | SG_LIST_EXEMPT}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(status ? status : "unhealthy", names[i].name))
            return names[i].bits;
    return 0;
}

/* The exemption of the settings that applies to a listed resource now (its name and dates), or null. */
static json_t *item_exemption(const wh_view *v, size_t rec, const sg_listed_resource *it)
{
    if (it->exemption == SG_EXEMPT_NONE)
        return json_null();
    bool expired = false;
    const sg_exemption_info *x = sg_policy_exemption_match(v->policy, rec, it->group, it->kind,
                                                           *it->namespace_ ? it->namespace_ : NULL, it->name,
                                                           it->labels, v->now, &expired);
    char expires[32];
    if (x)
        wh_rfc3339(x->expires, expires, sizeof expires);
    return json_pack("{s:s,s:s?,s:s?,s:b}", "category", sg_exemption_category_name(it->exemption), "name",
                     x ? x->name : NULL, "expires", x && x->expires ? expires : NULL, "active", x != NULL);
}

static json_t *item_json(const wh_view *v, size_t rec, const sg_listed_resource *it)
{
    json_t *containers = json_array();
    for (size_t k = 0; containers && k < it->ncontainers; k++)
        json_array_append_new(containers, wh_text(it->containers[k]));
    const char *status = it->exemption != SG_EXEMPT_NONE       ? "exempt"
                         : it->state == SG_SCORE_UNHEALTHY ? "unhealthy"
                                                           : "healthy";
    return json_pack("{s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "apiGroup", wh_text(it->group), "kind", wh_text(it->kind),
                     "namespace", wh_text(it->namespace_), "name", wh_text(it->name), "status", status, "containers",
                     containers, "exemption", item_exemption(v, rec, it));
}

json_t *wh_api_rec_resources(const wh_view *v, const char *id, const char *status_filter, const char *limit,
                             const char *cont, unsigned *status, char *err, size_t errlen)
{
    long rec = sg_policy_rec_index(v->policy, id);
    *status = 400;
    if (rec < 0) {
        *status = 404;
        snprintf(err, errlen, "no recommendation '%.200s' (see /api/v1/recommendations)", id);
        return NULL;
    }
    unsigned which = which_of(status_filter);
    if (!which) {
        snprintf(err, errlen, "status must be unhealthy, exempt, healthy, affected or all, not '%.60s'", status_filter);
        return NULL;
    }
    char *end = NULL;
    unsigned long n = limit ? strtoul(limit, &end, 10) : DEFAULT_LIMIT;
    if (limit && (!*limit || *end || *limit == '-' || n < 1 || n > MAX_LIMIT)) {
        snprintf(err, errlen, "limit must be a whole number from 1 to %d, not '%.40s'", MAX_LIMIT, limit);
        return NULL;
    }
    sg_resource_page page;
    if (sg_inventory_rec_resources(v->inv, id, v->ns, which, cont, n, &page, err, errlen) < 0) {
        if (!strstr(err, "continue token"))
            *status = 404;   /* not in the inventory's model: a reload is under way */
        return NULL;
    }
    json_t *items = json_array();
    for (size_t i = 0; items && i < page.count; i++)
        json_array_append_new(items, item_json(v, (size_t)rec, &page.items[i]));
    json_t *doc = json_pack("{s:s,s:o,s:s,s:I,s:o,s:s?}", "recommendation", id, "namespace", ns_json(v), "status",
                            status_filter ? status_filter : "unhealthy", "total", (json_int_t)page.total, "items",
                            items, "continue", page.next);
    sg_resource_page_free(&page);
    *status = 200;
    return doc;
}

json_t *wh_api_namespaces(const wh_view *v)
{
    sg_score_namespace *list;
    size_t n;
    sg_inventory_namespace_scores(v->inv, &list, &n);
    json_t *out = json_array();
    for (size_t i = 0; out && i < n; i++) {
        const sg_score_namespace *ns = &list[i];
        if (v->ns && strcmp(v->ns, ns->namespace_))
            continue;
        json_t *first = json_array();
        for (size_t k = 0; first && k < ns->ntop; k++) {
            long r = sg_policy_rec_index(v->policy, ns->top_ids[k]);
            const char *title = r >= 0 ? sg_policy_rec(v->policy, (size_t)r)->title : ns->top_ids[k];
            json_array_append_new(first, json_pack("{s:s,s:s,s:I,s:o}", "id", ns->top_ids[k], "title", title,
                                                   "unhealthy", (json_int_t)ns->top[k].unhealthy, "increase",
                                                   gain_json(&ns->top[k].gain)));
        }
        json_array_append_new(out, json_pack("{s:o,s:I,s:o,s:o}", "namespace", wh_text(ns->namespace_), "resources",
                                             (json_int_t)ns->score.resources, "score", sg_score_to_json(&ns->score),
                                             "fixFirst", first));
    }
    sg_score_namespaces_free(list, n);
    return json_pack("{s:o,s:o}", "namespace", ns_json(v), "namespaces", out);
}

json_t *wh_api_history(const wh_view *v, time_t since)
{
    sg_history_view hv = {0};
    if (v->history)
        sg_history_view_get(v->history, since, &hv);
    json_t *doc = sg_history_view_to_json(&hv);
    sg_history_view_free(&hv);
    return doc;
}
