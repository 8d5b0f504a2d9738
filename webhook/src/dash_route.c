/*
 * dash_route.c - what the dashboard answers for a GET, however it came (the
 * listener in dashboard.c, or sg_webhook_dashboard_get in memory): the
 * routes of docs/dashboard.md, their parameters checked (a bad one is 400
 * with the reason, an unknown path or recommendation 404), and the page or
 * document built from the current policy snapshot, inventory, history and
 * recent decisions. Read-only: nothing here changes state.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define API "/api/v1/"
#define REC_PAGE "/recommendations/"
#define MAX_PARAMS 16

static const char JSON_TYPE[] = "application/json";
static const char HTML_TYPE[] = "text/html; charset=utf-8";

static int respond_json(wh_dash_resp *resp, json_t *doc)
{
    if (!doc)
        return -1;
    resp->body = sg_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), NULL);
    json_decref(doc);
    if (!resp->body)
        return -1;
    resp->len = strlen(resp->body);
    resp->status = 200;
    resp->type = JSON_TYPE;
    return 0;
}

/* An error: a Status body for the API, a short page for people. */
static int respond_error(wh_dash_resp *resp, bool api, unsigned status, const char *message)
{
    resp->status = status;
    if (api) {
        resp->type = JSON_TYPE;
        resp->body = wh_error_body(status, message, &resp->len);
        return resp->body ? 0 : -1;
    }
    FILE *f = sg_check_alloc(open_memstream(&resp->body, &resp->len));
    sg_html_begin(f, "scoregate dashboard");
    fprintf(f, "<header><h1>%u</h1></header>\n<section class=\"card\"><p>", status);
    sg_html_escape(f, message);
    fputs("</p><p><a href=\"/\">Overview</a></p></section>\n", f);
    sg_html_end(f, "scoregate");
    resp->type = HTML_TYPE;
    return fclose(f) == 0 ? 0 : -1;
}

/* A page rendered by `render` into the response. */
typedef int (*render_fn)(FILE *out, const wh_view *v, const void *arg);

static int respond_page(wh_dash_resp *resp, const wh_view *v, render_fn render, const void *arg)
{
    FILE *f = sg_check_alloc(open_memstream(&resp->body, &resp->len));
    int rc = render(f, v, arg);
    if (fclose(f) != 0 || rc < 0) {
        free(resp->body);
        resp->body = NULL;
        return -1;
    }
    resp->status = 200;
    resp->type = HTML_TYPE;
    return 0;
}

static int render_overview(FILE *out, const wh_view *v, const void *arg) { return wh_page_overview(out, v, arg); }
static int render_recs(FILE *out, const wh_view *v, const void *arg) { return wh_page_recommendations(out, v, arg); }
static int render_namespaces(FILE *out, const wh_view *v, const void *arg)
{
    (void)arg;
    return wh_page_namespaces(out, v);
}
static int render_decisions(FILE *out, const wh_view *v, const void *arg)
{
    (void)arg;
    return wh_page_decisions(out, v);
}

typedef struct rec_docs {
    const json_t *rec, *resources;
} rec_docs;

static int render_rec(FILE *out, const wh_view *v, const void *arg)
{
    const rec_docs *d = arg;
    return wh_page_recommendation(out, v, d->rec, d->resources);
}

/* The JSON routes below /api/v1/. */
static int api(sg_webhook *w, const wh_dash_req *req, const wh_view *v, const char *route, wh_dash_resp *resp)
{
    char err[SG_ERRMAX];
    const char *(*arg)(void *, const char *) = req->arg;
    if (!strcmp(route, "summary"))
        return respond_json(resp, wh_api_summary(v));
    if (!strcmp(route, "controls"))
        return respond_json(resp, wh_api_controls(v));
    if (!strcmp(route, "recommendations"))
        return respond_json(resp, wh_api_recommendations(v, arg(req->arg_ctx, "sort")));
    if (!strcmp(route, "namespaces"))
        return respond_json(resp, wh_api_namespaces(v));
    if (!strcmp(route, "decisions"))
        return respond_json(resp, wh_decisions_json(w->decisions, v->ns));
    if (!strcmp(route, "history")) {
        const char *since = arg(req->arg_ctx, "since");
        time_t t = 0;
        if (since && sg_time_parse_rfc3339(since, &t) < 0)
            return respond_error(resp, true, 400, "since must be an RFC 3339 time such as 2025-01-01T00:00:00Z");
        return respond_json(resp, wh_api_history(v, t));
    }
    if (!strncmp(route, "recommendations/", 16)) {
        char id[256];
        const char *rest = route + 16, *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        if (n == 0 || n >= sizeof id || (slash && strcmp(slash, "/resources")))
            return respond_error(resp, true, 404, "no such path (see docs/dashboard.md)");
        memcpy(id, rest, n);
        id[n] = '\0';
        if (!slash) {
            json_t *doc = wh_api_recommendation(v, id);
            return doc ? respond_json(resp, doc) : respond_error(resp, true, 404, "no such recommendation");
        }
        unsigned status;
        json_t *doc = wh_api_rec_resources(v, id, arg(req->arg_ctx, "status"), arg(req->arg_ctx, "limit"),
                                           arg(req->arg_ctx, "continue"), &status, err, sizeof err);
        return doc ? respond_json(resp, doc) : respond_error(resp, true, status, err);
    }
    return respond_error(resp, true, 404, "no such path (see docs/dashboard.md)");
}

/* One recommendation's page: its document and a page of its resources. */
static int rec_page(const wh_dash_req *req, const wh_view *v, const char *id, wh_dash_resp *resp)
{
    char err[SG_ERRMAX];
    unsigned status;
    json_t *rec = wh_api_recommendation(v, id);
    if (!rec)
        return respond_error(resp, false, 404, "no such recommendation");
    json_t *res = wh_api_rec_resources(v, id, req->arg(req->arg_ctx, "status"), req->arg(req->arg_ctx, "limit"),
                                       req->arg(req->arg_ctx, "continue"), &status, err, sizeof err);
    rec_docs d = {rec, res};
    int rc = res ? respond_page(resp, v, render_rec, &d) : respond_error(resp, false, status, err);
    json_decref(rec);
    json_decref(res);
    return rc;
}

/* A Kubernetes namespace name: an RFC 1123 label. */
static bool namespace_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static int route(sg_webhook *w, const wh_dash_req *req, const wh_view *v, wh_dash_resp *resp)
{
    const char *path = req->path, *sort = req->arg(req->arg_ctx, "sort");
    bool is_api = !strncmp(path, API, strlen(API));
    if (v->ns && !namespace_name(v->ns))
        return respond_error(resp, is_api, 400, "namespace must be a namespace name (lower-case letters, digits and "
                                                "'-', at most 63)");
    if (sort && strcmp(sort, "gain") && strcmp(sort, "severity") && strcmp(sort, "unhealthy"))
        return respond_error(resp, is_api, 400, "sort must be gain, severity or unhealthy");
    if (is_api)
        return api(w, req, v, path + strlen(API), resp);
    if (!strcmp(path, "/")) {
        const char *range = req->arg(req->arg_ctx, "range");
        if (!wh_range_known(range))
            return respond_error(resp, false, 400, "range must be 24h, 7d or 90d");
        return respond_page(resp, v, render_overview, range);
    }
    if (!strcmp(path, "/recommendations"))
        return respond_page(resp, v, render_recs, sort);
    if (!strncmp(path, REC_PAGE, strlen(REC_PAGE)) && path[strlen(REC_PAGE)] && !strchr(path + strlen(REC_PAGE), '/'))
        return rec_page(req, v, path + strlen(REC_PAGE), resp);
    if (!strcmp(path, "/namespaces"))
        return respond_page(resp, v, render_namespaces, NULL);
    if (!strcmp(path, "/decisions"))
        return respond_page(resp, v, render_decisions, NULL);
    return respond_error(resp, false, 404, "no such page: the dashboard has /, /recommendations, /namespaces and "
                                           "/decisions, and its API is below /api/v1/");
}

int wh_dash_handle(sg_webhook *w, const wh_dash_req *req, wh_dash_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    wh_snapshot *snap = wh_current(w);
    const char *ns = req->arg(req->arg_ctx, "namespace");
    wh_view v = {snap->policy, w->inv, w->history, w->decisions, ns && *ns ? ns : NULL, time(NULL), true};
    int rc = route(w, req, &v, resp);
    wh_snapshot_unref(snap);
    return rc;
}

/* ---- in memory: sg_webhook_dashboard_get ---- */

typedef struct query {
    size_t n;
    char *key[MAX_PARAMS], *value[MAX_PARAMS];
} query;

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode a query component in place: %XX and '+' (a space); a stray '%' stays. */
static void decode(char *s)
{
    char *out = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *out++ = ' ';
        } else if (*p == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0 && (hex(p[1]) || hex(p[2]))) {
            *out++ = (char)(hex(p[1]) << 4 | hex(p[2]));
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/* Split "a=1&b=2" (in place) into at most MAX_PARAMS pairs; later ones are ignored. */
static void parse_query(char *q, query *out)
{
    out->n = 0;
    for (char *p = q; p && *p && out->n < MAX_PARAMS;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        decode(p);
        if (eq)
            decode(eq + 1);
        out->key[out->n] = p;
        out->value[out->n++] = eq ? eq + 1 : p + strlen(p);
        p = amp ? amp + 1 : NULL;
    }
}

static const char *query_arg(void *ctx, const char *key)
{
    const query *q = ctx;
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->key[i], key))
            return q->value[i];
    return NULL;
}

int sg_webhook_dashboard_get(sg_webhook *w, const char *target, unsigned *status, const char **type, char **body,
                             size_t *len)
{
    char *copy = sg_strdup(target ? target : "/");
    char *qmark = strchr(copy, '?');
    query q = {0};
    if (qmark) {
        *qmark = '\0';
        parse_query(qmark + 1, &q);
    }
    decode(copy);
    wh_dash_req req = {copy, query_arg, &q};
    wh_dash_resp resp;
    int rc = wh_dash_handle(w, &req, &resp);
    free(copy);
    *status = resp.status;
    *type = resp.type;
    *body = resp.body;
    *len = resp.len;
    return rc;
}
