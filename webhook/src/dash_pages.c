/*
 * dash_pages.c - the dashboard's pages besides the overview (overview.c):
 * recommendations, one recommendation with its resources, namespaces and
 * recent decisions, plus the head, navigation and namespace filter every
 * page shares. Each page is rendered from the very JSON document the API
 * returns for it (dash_api.c), so a page shows what the API says.
 *
 * Server-rendered with the HTML kit (html.c): no script; sorting and paging
 * are links, the namespace filter is a GET form. Every number a test or a
 * reader may want to check also sits in a data-* attribute.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long count(const json_t *o, const char *key) { return (long long)json_integer_value(json_object_get(o, key)); }

static double number(const json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

/* Percent-encode a query value (everything but unreserved characters). */
static void url_encode(FILE *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            fputc(*p, out);
        else
            fprintf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

void wh_page_href(FILE *out, const wh_view *v, const char *path, const char *extra_query)
{
    bool first = true;
    for (const char *p = path; *p; p++) {
        if (*p == '/' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", (unsigned char)*p);
    }
    if (v->ns) {
        fputs("?namespace=", out);
        url_encode(out, v->ns);
        first = false;
    }
    if (extra_query && *extra_query)
        fprintf(out, "%s%s", first ? "?" : "&amp;", extra_query);
}

static void link_to(FILE *out, const wh_view *v, const char *path, const char *extra, const char *cls, const char *text)
{
    fputs("<a href=\"", out);
    wh_page_href(out, v, path, extra);
    fprintf(out, "\"%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    sg_html_escape(out, text);
    fputs("</a>", out);
}

void wh_page_head(FILE *out, const wh_view *v, const char *title, const char *current)
{
    char heading[400];
    snprintf(heading, sizeof heading, "%s%s%s", title, v->ns ? " \u00b7 namespace " : "", v->ns ? v->ns : "");
    sg_html_begin(out, heading);
    fputs("<header><h1>", out);
    sg_html_escape(out, heading);
    char when[32];
    wh_rfc3339(v->now, when, sizeof when);
    fprintf(out, "</h1><p>scoregate %s &middot; %s &middot; %zu resources in the inventory</p>\n", v->live ? "dashboard" : "report",
            when, sg_inventory_count(v->inv));
    if (v->live) {
        static const struct { const char *path, *name; } pages[] = {
            {"/", "Overview"}, {"/recommendations", "Recommendations"}, {"/namespaces", "Namespaces"},
            {"/decisions", "Recent decisions"}};
        fputs("<nav class=\"nav\">", out);
        for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
            link_to(out, v, pages[i].path, NULL, !strcmp(current, pages[i].path) ? "on" : NULL, pages[i].name);
        fputs("<form method=\"get\"><input name=\"namespace\" placeholder=\"all namespaces\" aria-label=\"namespace\" "
              "value=\"", out);
        sg_html_escape(out, v->ns);
        fputs("\"><button type=\"submit\">Filter</button>", out);
        if (v->ns) {
            fputs("<a href=\"", out);
            sg_html_escape(out, current);
            fputs("\">all</a>", out);
        }
        fputs("</form></nav>\n", out);
    }
    fputs("</header>\n", out);
}

void wh_page_foot(FILE *out, const wh_view *v)
{
    char footer[160];
    snprintf(footer, sizeof footer, "scoregate %s \u00b7 %s", SG_VERSION,
             v->live ? "read-only dashboard: nothing here changes the cluster" : "written offline");
    sg_html_end(out, footer);
}

void wh_page_gain(FILE *out, const json_t *increase, const char *tag)
{
    double pct = number(increase, "percent"), exact = number(increase, "exactPercent");
    fprintf(out, "<%s class=\"gain%s\" data-increase=\"%.2f\" data-exact-increase=\"%.6f\">", tag,
            exact > 0 ? "" : " none", pct, exact);
    if (pct >= 0.005)
        fprintf(out, "+%.2f%%", pct);
    else if (exact > 0)
        fprintf(out, "+%.4f%%", exact);
    else
        fputs("\xe2\x80\x94", out);
    if (number(increase, "points") > 0)
        fprintf(out, "<div class=\"sub\">+%.2f pts</div>", number(increase, "points"));
    fprintf(out, "</%s>", tag);
}

/* The strings of a JSON array, comma-separated, or `none` when it is empty. */
static void join(FILE *out, const json_t *list, const char *none)
{
    size_t k;
    const json_t *v;
    json_array_foreach(list, k, v) {
        fputs(k ? ", " : "", out);
        sg_html_escape(out, json_string_value(v));
    }
    if (!json_array_size(list))
        sg_html_escape(out, none);
}

static void pill(FILE *out, const char *cls, const char *text)
{
    fprintf(out, "<span class=\"pill %s\">", cls);
    sg_html_escape(out, text);
    fputs("</span>", out);
}

static void sort_header(FILE *out, const wh_view *v, const char *sort, const char *key, const char *label, bool num)
{
    char q[32];
    snprintf(q, sizeof q, "sort=%s", key);
    fprintf(out, "<th%s>", num ? " class=\"num\"" : "");
    if (!strcmp(sort, key))
        fprintf(out, "<b>%s &#9662;</b>", label);
    else
        link_to(out, v, "/recommendations", q, NULL, label);
    fputs("</th>", out);
}

int wh_page_recommendations(FILE *out, const wh_view *v, const char *sort)
{
    json_t *doc = wh_api_recommendations(v, sort);
    if (!doc)
        return -1;
    const char *used = str(doc, "sort");
    wh_page_head(out, v, "Recommendations", "/recommendations");
    const json_t *list = json_object_get(doc, "recommendations");
    fprintf(out, "<section class=\"card\">\n<h2>Recommendations <span class=\"sub\">%zu evaluated; the increase is "
                 "what remediating each alone adds to the secure score</span></h2>\n", json_array_size(list));
    fputs("<table><colgroup><col style=\"width:90px\"><col><col style=\"width:140px\"><col style=\"width:86px\">"
          "<col style=\"width:86px\"><col style=\"width:76px\"><col style=\"width:70px\"><col style=\"width:60px\">"
          "<col style=\"width:110px\"></colgroup><thead><tr>", out);
    sort_header(out, v, used, "severity", "Severity", false);
    fputs("<th>Recommendation</th><th>Control</th><th>Action</th>", out);
    sort_header(out, v, used, "unhealthy", "Unhealthy", true);
    fputs("<th class=\"num\">Healthy</th><th class=\"num\">Exempt</th><th class=\"num\">N/A</th>", out);
    sort_header(out, v, used, "gain", "Increase", true);
    fputs("</tr></thead><tbody>\n", out);
    size_t i;
    const json_t *r;
    json_array_foreach(list, i, r) {
        fprintf(out, "<tr data-rec=\"");
        sg_html_escape(out, str(r, "id"));
        fprintf(out, "\" data-unhealthy=\"%lld\" data-healthy=\"%lld\" data-exempt=\"%lld\" data-na=\"%lld\">"
                     "<td><span class=\"sev %s\">%s</span></td><td>", count(r, "unhealthy"), count(r, "healthy"),
                count(r, "exempt"), count(r, "notApplicable"), str(r, "severity"), str(r, "severity"));
        char path[600];
        snprintf(path, sizeof path, "/recommendations/%s", str(r, "id"));
        link_to(out, v, path, NULL, NULL, str(r, "title"));
        fputs("<div class=\"rec\">", out);
        sg_html_escape(out, str(r, "id"));
        fputs(json_is_true(json_object_get(r, "scored")) ? "" : " &middot; not scored", out);
        fputs("</div></td><td>", out);
        sg_html_escape(out, str(r, "control"));
        fputs("</td><td>", out);
        pill(out, str(r, "action"), str(r, "action"));
        fprintf(out, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                     "<td class=\"num\">%lld</td>", count(r, "unhealthy"), count(r, "healthy"), count(r, "exempt"),
                count(r, "notApplicable"));
        wh_page_gain(out, json_object_get(r, "increase"), "td");
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n</section>\n", out);
    json_decref(doc);
    wh_page_foot(out, v);
    return 0;
}

/* The fix as written, one operation a line: "set PATH = VALUE", "remove PATH",
 * each with its condition, and the conditions under which it cannot fix. */
static void fix_text(FILE *out, const json_t *fix)
{
    size_t i;
    const json_t *op;
    fputs("<pre class=\"patch\">", out);
    json_array_foreach(fix, i, op) {
        const json_t *value = json_object_get(op, "value");
        if (json_object_get(op, "fail")) {
            sg_html_escape(out, "no fix when ");
            sg_html_escape(out, str(op, "when"));
            sg_html_escape(out, ":\n    ");
            sg_html_escape(out, str(op, "fail"));
            fputc('\n', out);
            continue;
        }
        bool remove = json_object_get(op, "remove") != NULL;
        sg_html_escape(out, remove ? "remove " : "set ");
        sg_html_escape(out, str(op, remove ? "remove" : "set"));
        if (value) {
            char *text = sg_json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT, NULL);
            sg_html_escape(out, " = ");
            sg_html_escape(out, json_is_string(value) ? json_string_value(value) : text);
            free(text);
        }
        if (json_object_get(op, "when")) {
            sg_html_escape(out, "\n    when ");
            sg_html_escape(out, str(op, "when"));
        }
        fputc('\n', out);
    }
    fputs("</pre>", out);
}

static void rec_exemptions(FILE *out, const json_t *list)
{
    fputs("<section class=\"card\">\n<h2>Exemptions that name it</h2>\n", out);
    if (!json_array_size(list)) {
        fputs("<div class=\"sub\">None in the settings.</div>\n</section>\n", out);
        return;
    }
    fputs("<table><thead><tr><th>Exemption</th><th>Category</th><th>State</th><th>Expires</th><th>Match</th>"
          "<th>Justification</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x) {
        bool active = json_is_true(json_object_get(x, "active"));
        fputs("<tr><td>", out);
        sg_html_escape(out, str(x, "name"));
        fputs("</td><td>", out);
        sg_html_escape(out, str(x, "category"));
        fputs("</td><td>", out);
        pill(out, active ? "ok" : "warned", active ? "active" : "expired");
        fputs("</td><td>", out);
        sg_html_escape(out, json_is_string(json_object_get(x, "expires")) ? str(x, "expires") : "never");
        fputs("</td><td class=\"mono\">", out);
        char *match = sg_json_dumps(json_object_get(x, "match"), JSON_COMPACT | JSON_ENCODE_ANY, NULL);
        sg_html_escape(out, match ? match : "");
        free(match);
        fputs("</td><td>", out);
        sg_html_escape(out, str(x, "justification"));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n</section>\n", out);
}

static void resource_row(FILE *out, const json_t *it)
{
    fputs("<tr data-resource=\"", out);
    sg_html_escape(out, str(it, "namespace"));
    fputc('/', out);
    sg_html_escape(out, str(it, "kind"));
    fputc('/', out);
    sg_html_escape(out, str(it, "name"));
    fputs("\"><td>", out);
    sg_html_escape(out, *str(it, "namespace") ? str(it, "namespace") : "(cluster)");
    fputs("</td><td><span class=\"kind\">", out);
    sg_html_escape(out, str(it, "kind"));
    fputs("</span></td><td>", out);
    sg_html_escape(out, str(it, "name"));
    fputs("</td><td>", out);
    join(out, json_object_get(it, "containers"), "\xe2\x80\x94");
    fputs("</td><td>", out);
    pill(out, str(it, "status"), str(it, "status"));
    const json_t *x = json_object_get(it, "exemption");
    if (json_is_object(x)) {
        fputs("<div class=\"sub\">", out);
        sg_html_escape(out, str(x, "category"));
        if (json_is_string(json_object_get(x, "name"))) {
            fputs(" by ", out);
            sg_html_escape(out, str(x, "name"));
        }
        if (json_is_string(json_object_get(x, "expires"))) {
            fputs(" until ", out);
            sg_html_escape(out, str(x, "expires"));
        }
        fputs("</div>", out);
    }
    fputs("</td></tr>\n", out);
}

static void rec_resources(FILE *out, const wh_view *v, const json_t *rec, const json_t *res)
{
    const json_t *items = json_object_get(res, "items");
    fprintf(out, "<section class=\"card\">\n<h2>Affected resources <span class=\"sub\" id=\"total\" data-total=\"%lld\">"
                 "%lld %s</span></h2>\n", count(res, "total"), count(res, "total"), str(res, "status"));
    if (!json_array_size(items)) {
        fputs("<div class=\"sub\">None.</div>\n", out);
    } else {
        fputs("<table><colgroup><col style=\"width:18%\"><col style=\"width:130px\"><col><col style=\"width:20%\">"
              "<col style=\"width:22%\"></colgroup><thead><tr><th>Namespace</th><th>Kind</th><th>Name</th>"
              "<th>Containers</th><th>Status</th></tr></thead><tbody>\n", out);
        size_t i;
        const json_t *it;
        json_array_foreach(items, i, it)
            resource_row(out, it);
        fputs("</tbody></table>\n", out);
    }
    char path[600];
    snprintf(path, sizeof path, "/recommendations/%s", str(rec, "id"));
    fputs("<div class=\"pager\">", out);
    static const char *const states[] = {"unhealthy", "exempt", "healthy", "all"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        char q[40];
        snprintf(q, sizeof q, "status=%s", states[i]);
        if (!strcmp(states[i], str(res, "status")))
            fprintf(out, "<b>%s</b>", states[i]);
        else
            link_to(out, v, path, q, NULL, states[i]);
    }
    if (json_is_string(json_object_get(res, "continue"))) {
        char q[9000];
        snprintf(q, sizeof q, "status=%s&amp;continue=%s", str(res, "status"), str(res, "continue"));
        link_to(out, v, path, q, "next", "next page \xe2\x86\x92");
    }
    fputs("</div>\n</section>\n", out);
}

int wh_page_recommendation(FILE *out, const wh_view *v, const json_t *rec, const json_t *resources)
{
    char title[400];
    snprintf(title, sizeof title, "%s", str(rec, "title"));
    wh_page_head(out, v, title, "/recommendations");
    fputs("<section class=\"card\">\n<div class=\"rec\">", out);
    sg_html_escape(out, str(rec, "id"));
    fprintf(out, " &middot; <span class=\"sev %s\">%s</span> &middot; control ", str(rec, "severity"),
            str(rec, "severity"));
    sg_html_escape(out, str(rec, "control"));
    fputs(" &middot; standard ", out);
    sg_html_escape(out, str(rec, "standard"));
    fputs(" &middot; ", out);
    pill(out, str(rec, "action"), str(rec, "action"));
    fputs("</div>\n<div class=\"stats\" style=\"margin-top:14px\">", out);
    sg_html_stat(out, count(rec, "unhealthy") ? "warn" : "good", (size_t)count(rec, "unhealthy"), "unhealthy");
    sg_html_stat(out, "good", (size_t)count(rec, "healthy"), "healthy");
    sg_html_stat(out, "info", (size_t)count(rec, "exempt"), "exempt");
    sg_html_stat(out, "", (size_t)count(rec, "notApplicable"), "not applicable");
    fputs("<div class=\"stat\">", out);
    wh_page_gain(out, json_object_get(rec, "increase"), "b");
    fputs("<span>score increase if remediated</span></div></div>\n<div class=\"fix\"><b>Remediation:</b> ", out);
    sg_html_escape(out, str(rec, "remediation"));
    fputs("</div>\n", out);
    if (json_is_array(json_object_get(rec, "fix"))) {
        fprintf(out, "<div style=\"margin-top:12px\"><b>The fix enforce %s</b> <span class=\"sub\">(a JSON Patch "
                     "built from these operations on each object)</span>",
                !strcmp(str(rec, "action"), "enforce") ? "applies" : "would apply");
        fix_text(out, json_object_get(rec, "fix"));
        fputs("</div>\n", out);
    } else {
        fputs("<div class=\"sub\" style=\"margin-top:12px\">No automatic fix: enforce denies instead.</div>\n", out);
    }
    fputs("</section>\n", out);
    rec_resources(out, v, rec, resources);
    rec_exemptions(out, json_object_get(rec, "exemptions"));
    wh_page_foot(out, v);
    return 0;
}

int wh_page_namespaces(FILE *out, const wh_view *v)
{
    json_t *doc = wh_api_namespaces(v);
    if (!doc)
        return -1;
    wh_page_head(out, v, "Namespaces", "/namespaces");
    const json_t *list = json_object_get(doc, "namespaces");
    fprintf(out, "<section class=\"card\">\n<h2>Namespaces <span class=\"sub\">%zu, each scored alone; what to fix "
                 "first there</span></h2>\n", json_array_size(list));
    fputs("<table><colgroup><col style=\"width:22%\"><col style=\"width:90px\"><col style=\"width:220px\"><col>"
          "</colgroup><thead><tr><th>Namespace</th><th class=\"num\">Resources</th><th>Secure score</th>"
          "<th>Fix first</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *ns;
    json_array_foreach(list, i, ns) {
        const char *name = str(ns, "namespace");
        const json_t *score = json_object_get(ns, "score"), *pct = json_object_get(score, "percent");
        wh_view only = *v;
        only.ns = name;
        fputs("<tr data-namespace=\"", out);
        sg_html_escape(out, name);
        if (json_is_number(pct))
            fprintf(out, "\" data-percent=\"%.2f\"><td>", json_number_value(pct));
        else
            fputs("\" data-percent=\"n/a\"><td>", out);
        link_to(out, &only, "/recommendations", NULL, NULL, *name ? name : "(cluster-scoped)");
        fprintf(out, "</td><td class=\"num\">%lld</td><td>", count(ns, "resources"));
        if (json_is_number(pct)) {
            fprintf(out, "<b>%.2f%%</b>", json_number_value(pct));
            sg_html_bar(out, json_number_value(pct), 100, json_number_value(pct) >= 80 ? "" : json_number_value(pct) >= 50 ? "mid" : "low");
        } else {
            fputs("n/a", out);
        }
        fputs("</td><td>", out);
        size_t k;
        const json_t *f;
        json_array_foreach(json_object_get(ns, "fixFirst"), k, f) {
            char path[600];
            snprintf(path, sizeof path, "/recommendations/%s", str(f, "id"));
            fputs(k ? "<br>" : "", out);
            link_to(out, &only, path, NULL, NULL, str(f, "title"));
            fprintf(out, " <span class=\"sub\">%lld unhealthy", count(f, "unhealthy"));
            double gain = number(json_object_get(f, "increase"), "percent");
            if (gain > 0)
                fprintf(out, ", +%.2f%%", gain);
            fputs("</span>", out);
        }
        if (!json_array_size(json_object_get(ns, "fixFirst")))
            fputs("<span class=\"sub\">nothing unhealthy</span>", out);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n</section>\n", out);
    json_decref(doc);
    wh_page_foot(out, v);
    return 0;
}

int wh_page_decisions(FILE *out, const wh_view *v)
{
    json_t *doc = wh_decisions_json(v->decisions, v->ns);
    if (!doc)
        return -1;
    wh_page_head(out, v, "Recent decisions", "/decisions");
    const json_t *list = json_object_get(doc, "decisions");
    fprintf(out, "<section class=\"card\">\n<h2>Recent decisions <span class=\"sub\">the last %zu denials and warnings "
                 "this replica answered (at most %lld kept, in memory)</span></h2>\n", json_array_size(list),
            count(doc, "capacity"));
    if (!json_array_size(list))
        fputs("<div class=\"sub\">None since this replica started.</div>\n", out);
    else
        fputs("<table><colgroup><col style=\"width:170px\"><col style=\"width:96px\"><col style=\"width:24%\">"
              "<col style=\"width:120px\"><col></colgroup><thead><tr><th>Time</th><th>Decision</th><th>Object</th>"
              "<th>Score</th><th>Findings</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *d;
    json_array_foreach(list, i, d) {
        fputs("<tr data-uid=\"", out);
        sg_html_escape(out, str(d, "uid"));
        fputs("\"><td>", out);
        char when[32];
        snprintf(when, sizeof when, "%.10s %.9s", str(d, "time"), str(d, "time") + (strlen(str(d, "time")) > 11 ? 11 : 0));
        sg_html_escape(out, when);
        fputs("</td><td>", out);
        pill(out, str(d, "decision"), str(d, "decision"));
        fputs("</td><td>", out);
        sg_html_escape(out, str(d, "operation"));
        fputs(" <span class=\"kind\">", out);
        sg_html_escape(out, str(d, "kind"));
        fputs("</span><div>", out);
        sg_html_escape(out, str(d, "namespace"));
        fputs(*str(d, "namespace") ? " / " : "", out);
        sg_html_escape(out, str(d, "name"));
        fputs("</div></td><td>", out);
        sg_html_escape(out, str(d, "scoreBefore"));
        fputs(" \xe2\x86\x92 ", out);
        sg_html_escape(out, str(d, "scoreAfter"));
        fputs("</td><td><div class=\"rec\">", out);
        join(out, json_object_get(d, "recommendations"), "");
        fputs("</div>", out);
        const json_t *warnings = json_object_get(d, "warnings");
        if (json_is_string(json_object_get(d, "message"))) {
            fputs("<div>", out);
            sg_html_escape(out, str(d, "message"));
            fputs("</div>", out);
        }
        /* The warnings after their summary line, which the score column already shows. */
        for (size_t w = json_array_size(warnings) > 1 ? 1 : 0; w < json_array_size(warnings); w++) {
            fputs("<div>", out);
            sg_html_escape(out, json_string_value(json_array_get(warnings, w)));
            fputs("</div>", out);
        }
        fputs("</td></tr>\n", out);
    }
    if (json_array_size(list))
        fputs("</tbody></table>\n", out);
    fputs("</section>\n", out);
    json_decref(doc);
    wh_page_foot(out, v);
    return 0;
}
