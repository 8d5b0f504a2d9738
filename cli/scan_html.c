/*
 * scan_html.c - `scan -f html`: one self-contained page for people (attach it
 * to a CI run, open it from the artifacts). Inline CSS and SVG only: no
 * script, no font, no image, no link to anything outside the file, so it
 * renders offline and leaks nothing when opened.
 *
 * Sections: a gauge (the secure score when the report has one, otherwise the
 * share of healthy findings), totals, per-control bars (current vs max
 * points) when the score has controls, the predicted before/after with
 * --baseline, then every resource with its findings (worst first) and their
 * remediation; passing checks fold into a <details>. Every piece of text from
 * the manifests or the settings goes through sg_html_escape().
 */
#include <string.h>
#include <time.h>

#include <scoregate/webhook.h>

#include "scan.h"

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static void overview(FILE *out, const scan_report *r, const scan_counts *c)
{
    fputs("<section class=\"card overview\">\n<div>\n", out);
    char value[64];
    const json_t *pct = r->score ? json_object_get(r->score, "percent") : NULL;
    if (json_is_number(pct)) {
        snprintf(value, sizeof value, "%.2f%%", json_number_value(pct));
        sg_html_gauge(out, json_number_value(pct), value, "secure score");
    } else {
        size_t judged = c->healthy + c->unhealthy;
        double share = judged ? 100.0 * (double)c->healthy / (double)judged : 100.0;
        snprintf(value, sizeof value, "%zu/%zu", c->healthy, judged);
        sg_html_gauge(out, judged ? share : 0, value, r->score ? "checks pass (score n/a)" : "checks pass");
    }
    fputs("</div>\n<div class=\"stats\">\n", out);
    sg_html_stat(out, "", r->count, r->count == 1 ? "resource" : "resources");
    sg_html_stat(out, c->unhealthy ? "warn" : "good", c->unhealthy, "unhealthy");
    sg_html_stat(out, r->denied ? "bad" : "good", r->denied, "denied");
    sg_html_stat(out, "good", c->healthy, "healthy");
    sg_html_stat(out, "info", c->exempt, "exempt");
    fputs("</div>\n</section>\n", out);
}

static void controls(FILE *out, const scan_report *r)
{
    sg_score s;
    sg_inventory_score(r->inventory, &s);
    if (!r->score || s.ncontrols == 0)
        return;
    fputs("<section class=\"card\">\n<h2>Controls</h2>\n", out);
    for (size_t i = 0; i < s.ncontrols; i++) {
        const sg_score_control *c = &s.controls[i];
        sg_html_control_row row = {c->id, c->name, c->current, c->max, c->healthy, c->unhealthy, c->not_applicable};
        sg_html_control(out, &row, NULL);
    }
    fputs("</section>\n", out);
}

/* The control's name and max from the score, for the prediction rows. */
static const json_t *score_control(const scan_report *r, const char *id)
{
    const json_t *list = r->score ? json_object_get(r->score, "controls") : NULL;
    size_t i;
    const json_t *ctl;
    json_array_foreach(list, i, ctl) {
        const char *cid = json_string_value(json_object_get(ctl, "id"));
        if (cid && id && !strcmp(cid, id))
            return ctl;
    }
    return NULL;
}

static void percent_or_na(FILE *out, const json_t *v)
{
    if (json_is_number(v))
        fprintf(out, "%.2f%%", json_number_value(v));
    else
        fputs("n/a", out);
}

static void prediction(FILE *out, const scan_report *r)
{
    const json_t *p = r->prediction;
    if (!json_is_object(p))
        return;
    const json_t *delta = json_object_get(p, "delta");
    double d = json_is_number(delta) ? json_number_value(delta) : 0;
    const json_t *exact = json_object_get(p, "exactDelta");
    fputs("<section class=\"card\">\n<h2>Predicted change against the baseline</h2>\n<div class=\"pred\">", out);
    fputs("<div><div class=\"sub\">before</div><div class=\"big\">", out);
    percent_or_na(out, json_object_get(p, "before"));
    fputs("</div></div><div class=\"big\">&rarr;</div><div><div class=\"sub\">after</div><div class=\"big\">", out);
    percent_or_na(out, json_object_get(p, "after"));
    fputs("</div></div>", out);
    if (json_is_number(delta)) {
        const char *cls = d > 0 ? "up" : d < 0 ? "down" : "same";
        fprintf(out, "<div class=\"delta %s big\">%+.2f</div>", cls, d);
        if (json_is_number(exact))
            fprintf(out, "<div class=\"sub\">exact change %+.4f percentage points</div>", json_number_value(exact));
    }
    fputs("</div>\n", out);
    const json_t *list = json_object_get(p, "controls");
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const json_t *sc = score_control(r, id);
        const char *name = sc ? json_string_value(json_object_get(sc, "name")) : NULL;
        double before = num(c, "before"), after = num(c, "after");
        double max = sc ? num(sc, "max") : (before > after ? before : after);
        fputs("<div class=\"ctl\"><div><div class=\"name\">", out);
        sg_html_escape(out, name ? name : id);
        fputs("</div><div class=\"sub\">", out);
        sg_html_escape(out, id);
        fprintf(out, " &middot; before %.2f pts</div></div>", before);
        sg_html_bar(out, after, max, after < before ? "low" : "");
        fprintf(out, "<div class=\"pts\"><b>%.2f</b> pts <span class=\"delta %s\">(%+.2f)</span></div></div>\n", after,
                after > before ? "up" : after < before ? "down" : "same", after - before);
    }
    fputs("</section>\n", out);
}

static void finding_row(FILE *out, const scan_report *r, const scan_item *it, size_t k)
{
    const scan_finding *f = &it->eval.findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    const char *pill = f->status == SG_STATUS_EXEMPT           ? "exempt"
                       : f->status == SG_STATUS_NOT_APPLICABLE ? "na"
                       : it->denials[k]                         ? "deny"
                                                               : sg_action_name(f->action);
    const char *sev = sg_severity_name(rec->severity);
    fprintf(out, "<tr><td><span class=\"pill %s\">%s</span></td><td><span class=\"sev %s\">%s</span></td><td>", pill,
            !strcmp(pill, "na") ? "n/a" : pill, sev, sev);
    sg_html_escape(out, rec->title);
    fputs("<div class=\"rec\">", out);
    sg_html_escape(out, rec->id);
    fputs(" &middot; ", out);
    sg_html_escape(out, rec->control);
    fputs("</div></td><td>", out);
    sg_html_escape(out, f->container ? f->container : "\xe2\x80\x94");
    fputs("</td><td>", out);
    if (f->status == SG_STATUS_EXEMPT) {
        fputs("Exempt by <b>", out);
        sg_html_escape(out, f->exemption);
        fprintf(out, "</b> (%s)", sg_exemption_category_name(f->exemption_category));
    } else {
        sg_html_escape(out, f->message && *f->message ? f->message : rec->title);
        char note[320];
        if (scan_expired_note(f, note, sizeof note)) {
            fputs("<div class=\"expired\">", out);
            sg_html_escape(out, note);
            fputs("</div>", out);
        }
        fputs("<div class=\"fix\"><b>Fix:</b> ", out);
        sg_html_escape(out, rec->remediation);
        fputs("</div>", out);
    }
    fputs("</td></tr>\n", out);
}

/* Rank for ordering a resource's rows: denied, then unhealthy by severity, then the rest. */
static int rank(const scan_report *r, const scan_item *it, size_t k)
{
    const scan_finding *f = &it->eval.findings[k];
    if (f->status == SG_STATUS_UNHEALTHY)
        return it->denials[k] ? 0 : 3 - (int)sg_policy_rec(r->policy, f->rec)->severity;
    return f->status == SG_STATUS_HEALTHY ? 6 : 5;
}

static void resource(FILE *out, const scan_report *r, const scan_item *it)
{
    const scan_eval *ev = &it->eval;
    size_t bad = 0, denied = 0, healthy = 0;
    for (size_t k = 0; k < ev->count; k++) {
        if (ev->findings[k].status == SG_STATUS_UNHEALTHY) {
            bad++;
            denied += it->denials[k] != SG_DENIAL_NONE;
        } else if (ev->findings[k].status == SG_STATUS_HEALTHY) {
            healthy++;
        }
    }
    fputs("<section class=\"card res\">\n<div class=\"res-head\"><span class=\"kind\">", out);
    sg_html_escape(out, ev->kind);
    fputs("</span><h3>", out);
    if (ev->namespace_) {
        sg_html_escape(out, ev->namespace_);
        fputs(" / ", out);
    }
    sg_html_escape(out, ev->name ? ev->name : "(unnamed)");
    fputs("</h3><span class=\"src\">", out);
    sg_html_escape(out, it->source.file);
    fprintf(out, ":%d</span><span class=\"right\">", it->source.line);
    if (denied)
        fprintf(out, "<span class=\"pill deny\">%zu denied</span>", denied);
    else if (it->gate.denied)
        fputs("<span class=\"pill deny\">denied by the score gate</span>", out);
    if (bad)
        fprintf(out, "<span class=\"pill warn\">%zu unhealthy</span>", bad);
    else if (!ev->excluded)
        fputs("<span class=\"pill ok\">healthy</span>", out);
    fputs("</span></div>\n", out);
    if (ev->excluded) {
        fputs("<div class=\"note\">Namespace excluded globally: not evaluated.</div>\n</section>\n", out);
        return;
    }
    if (it->gate.denied) {
        fputs("<div class=\"note gate\"><span class=\"pill deny\">deny</span> <b>" SCAN_GATE_ID "</b>: ", out);
        sg_html_escape(out, it->gate.message);
        fputs("<div class=\"fix\"><b>Fix:</b> " SCAN_GATE_REMEDIATION "</div></div>\n", out);
    }
    if (ev->count == healthy) {
        fprintf(out, "<div class=\"note\">%s</div>\n",
                ev->count ? "Every applicable check passes." : "No recommendation applies to this kind.");
    } else {
        fputs("<table><colgroup><col style=\"width:96px\"><col style=\"width:86px\"><col style=\"width:30%\">"
              "<col style=\"width:120px\"><col></colgroup><thead><tr><th>Status</th><th>Severity</th>"
              "<th>Recommendation</th><th>Container</th><th>Finding and fix</th></tr></thead><tbody>\n",
              out);
        for (int want = 0; want <= 5; want++)
            for (size_t k = 0; k < ev->count; k++)
                if (rank(r, it, k) == want)
                    finding_row(out, r, it, k);
        fputs("</tbody></table>\n", out);
    }
    if (healthy && ev->count != healthy) {
        fprintf(out, "<details><summary>%zu passing check%s</summary><ul>", healthy, healthy == 1 ? "" : "s");
        for (size_t k = 0; k < ev->count; k++) {
            const scan_finding *f = &ev->findings[k];
            if (f->status != SG_STATUS_HEALTHY)
                continue;
            fputs("<li>", out);
            sg_html_escape(out, sg_policy_rec(r->policy, f->rec)->id);
            if (f->container) {
                fputs(" <span class=\"rec\">(", out);
                sg_html_escape(out, f->container);
                fputs(")</span>", out);
            }
            fputs("</li>", out);
        }
        fputs("</ul></details>\n", out);
    }
    fputs("</section>\n", out);
}

/* Files skipped, or input errors: a card listing each with its place (none when there are none). */
static void notes(FILE *out, const char *title, const scan_note *list, size_t n)
{
    if (!n)
        return;
    fprintf(out, "<section class=\"card\">\n<h2>%s (%zu)</h2>\n<ul>", title, n);
    for (size_t i = 0; i < n; i++) {
        fputs("<li><code>", out);
        sg_html_escape(out, list[i].file);
        if (list[i].line)
            fprintf(out, ":%d", list[i].line);
        fputs("</code> ", out);
        sg_html_escape(out, list[i].message);
        fputs("</li>", out);
    }
    fputs("</ul>\n</section>\n", out);
}

int scan_write_html(const scan_report *r, FILE *out)
{
    scan_counts c;
    scan_count(r, &c);
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    sg_html_begin(out, "scoregate scan report");
    fputs("<header><h1>scoregate scan report</h1><p>", out);
    fprintf(out, "%zu resource%s from %zu source%s &middot; %zu unhealthy finding%s &middot; generated %s",
            r->count, r->count == 1 ? "" : "s", r->nfiles, r->nfiles == 1 ? "" : "s", c.unhealthy,
            c.unhealthy == 1 ? "" : "s", when);
    fputs("</p></header>\n", out);
    overview(out, r, &c);
    controls(out, r);
    prediction(out, r);
    notes(out, "Inputs that could not be read (the scan exits 2)", r->errors, r->nerrors);
    notes(out, "Files skipped: not objects for the API server", r->skipped, r->nskipped);
    for (size_t i = 0; i < r->count; i++)
        resource(out, r, scan_item_get(r, i));
    if (r->count == 0)
        fputs("<section class=\"card\"><div class=\"note\">No Kubernetes objects in the input.</div></section>\n", out);
    char footer[160];
    snprintf(footer, sizeof footer, "scoregate %s \u00b7 %s", SG_VERSION,
             r->denied ? "admission would deny some of these objects" : "nothing here would be denied");
    sg_html_end(out, footer);
    return ferror(out) ? -1 : 0;
}
