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
 * the manifests or the settings goes through scan_xml_escape().
 */
#include <string.h>
#include <time.h>

#include "scan.h"

static const char css[] =
    ":root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--red:#dc2626;"
    "--amber:#d97706;--green:#16a34a;--blue:#2563eb}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}"
    "header h1{font-size:24px;margin:0}header p{margin:4px 0 0;color:var(--muted)}"
    "h2{font-size:17px;margin:0 0 14px}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px;"
    "margin-top:18px;box-shadow:0 1px 2px rgba(0,0,0,.04)}"
    ".overview{display:grid;grid-template-columns:260px 1fr;gap:24px;align-items:center}"
    ".gauge{display:block;margin:0 auto}.g-value{font-size:25px;font-weight:700;fill:var(--fg)}"
    ".g-label{font-size:12px;fill:var(--muted);text-transform:uppercase;letter-spacing:.06em}"
    ".stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(112px,1fr));gap:12px}"
    ".stat{border:1px solid var(--line);border-radius:8px;padding:12px 14px}"
    ".stat b{display:block;font-size:24px;line-height:1.2}.stat span{color:var(--muted);font-size:12px;"
    "text-transform:uppercase;letter-spacing:.05em}"
    ".stat.bad b{color:var(--red)}.stat.warn b{color:var(--amber)}.stat.good b{color:var(--green)}"
    ".stat.info b{color:var(--blue)}"
    ".ctl{display:grid;grid-template-columns:340px 1fr 130px;gap:14px;align-items:center;padding:7px 0;"
    "border-top:1px solid var(--line)}.ctl:first-of-type{border-top:0}"
    ".ctl .name{font-weight:600}.sub{color:var(--muted);font-size:12px}.ctl.off{opacity:.55}"
    ".bar{position:relative;height:12px;background:var(--line);border-radius:6px;overflow:hidden}"
    ".bar i{position:absolute;left:0;top:0;bottom:0;border-radius:6px;background:var(--green)}"
    ".bar i.mid{background:var(--amber)}.bar i.low{background:var(--red)}.bar i.before{background:#9ca3af;"
    "opacity:.55}"
    ".pts{text-align:right;font-variant-numeric:tabular-nums}"
    ".pred{display:flex;gap:28px;align-items:flex-end;flex-wrap:wrap;margin-bottom:10px}.pred .big{font-size:28px;font-weight:700}"
    ".delta.up{color:var(--green)}.delta.down{color:var(--red)}.delta.same{color:var(--muted)}"
    ".res{padding:0;overflow:hidden}"
    ".res-head{display:flex;gap:10px;align-items:center;flex-wrap:wrap;padding:14px 20px;"
    "border-bottom:1px solid var(--line);background:#fafafa}"
    ".res-head h3{margin:0;font-size:15px;font-weight:600}.res-head .src{color:var(--muted);font-size:12px;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}.res-head .right{margin-left:auto;display:flex;"
    "gap:6px}"
    ".kind{background:#eef2ff;color:#3730a3;border-radius:5px;padding:2px 8px;font-size:12px;font-weight:600}"
    ".pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:11px;font-weight:700;"
    "letter-spacing:.04em;text-transform:uppercase;white-space:nowrap}"
    ".pill.deny{background:#fee2e2;color:#991b1b}.pill.warn,.pill.enforce{background:#fef3c7;color:#92400e}"
    ".pill.audit{background:#e5e7eb;color:#374151}.pill.exempt,.pill.na{background:#dbeafe;color:#1e40af}"
    ".pill.ok{background:#dcfce7;color:#166534}"
    "table{width:100%;border-collapse:collapse;table-layout:fixed}th{text-align:left;font-size:11px;text-transform:uppercase;"
    "letter-spacing:.05em;color:var(--muted);font-weight:600;padding:8px 12px;border-bottom:1px solid var(--line)}"
    "td{padding:10px 12px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}"
    "tr:last-child td{border-bottom:0}"
    ".sev{font-weight:600;font-size:12px}.sev.high{color:var(--red)}.sev.medium{color:var(--amber)}"
    ".sev.low{color:var(--muted)}"
    ".rec{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:var(--muted)}"
    ".fix{margin-top:6px;padding:6px 10px;background:#f0fdf4;border-left:3px solid var(--green);"
    "border-radius:4px;font-size:13px}"
    ".note{padding:12px 20px;color:var(--muted)}"
    "details{padding:10px 20px;border-top:1px solid var(--line)}summary{cursor:pointer;color:var(--muted)}"
    "details ul{margin:8px 0 0;padding-left:18px;columns:2;font-size:13px}"
    "footer{margin-top:28px;color:var(--muted);font-size:12px;text-align:center}"
    "@media (max-width:760px){.overview{grid-template-columns:1fr}.ctl{grid-template-columns:1fr}}";

static const char *tone(double percent)
{
    return percent >= 80 ? "#16a34a" : percent >= 50 ? "#d97706" : "#dc2626";
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* A half-circle gauge filled to `percent` (0..100) with `value` in the middle. */
static void gauge(FILE *out, double percent, const char *value, const char *label)
{
    if (percent < 0)
        percent = 0;
    if (percent > 100)
        percent = 100;
    static const char arc[] = "M 20 100 A 80 80 0 0 1 180 100";
    fprintf(out, "<svg class=\"gauge\" viewBox=\"0 0 200 122\" width=\"240\" height=\"146\" role=\"img\" aria-label=\"");
    scan_xml_escape(out, label);
    fprintf(out, " ");
    scan_xml_escape(out, value);
    fprintf(out, "\">\n<path d=\"%s\" fill=\"none\" stroke=\"#e5e7eb\" stroke-width=\"16\" stroke-linecap=\"round\"/>\n",
            arc);
    if (percent > 0)
        fprintf(out,
                "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"16\" stroke-linecap=\"round\" "
                "pathLength=\"100\" stroke-dasharray=\"%.2f 100\"/>\n",
                arc, tone(percent), percent);
    fprintf(out, "<text x=\"100\" y=\"94\" text-anchor=\"middle\" class=\"g-value\">");
    scan_xml_escape(out, value);
    fprintf(out, "</text>\n<text x=\"100\" y=\"118\" text-anchor=\"middle\" class=\"g-label\">");
    scan_xml_escape(out, label);
    fprintf(out, "</text>\n</svg>\n");
}

static void stat_box(FILE *out, const char *cls, size_t n, const char *label)
{
    fprintf(out, "<div class=\"stat %s\"><b>%zu</b><span>%s</span></div>\n", cls, n, label);
}

static void overview(FILE *out, const scan_report *r, const scan_counts *c)
{
    fputs("<section class=\"card overview\">\n<div>\n", out);
    char value[64];
    const json_t *pct = r->score ? json_object_get(r->score, "percent") : NULL;
    if (json_is_number(pct)) {
        snprintf(value, sizeof value, "%.2f%%", json_number_value(pct));
        gauge(out, json_number_value(pct), value, "secure score");
    } else {
        size_t judged = c->healthy + c->unhealthy;
        double share = judged ? 100.0 * (double)c->healthy / (double)judged : 100.0;
        snprintf(value, sizeof value, "%zu/%zu", c->healthy, judged);
        gauge(out, judged ? share : 0, value, r->score ? "checks pass (score n/a)" : "checks pass");
    }
    fputs("</div>\n<div class=\"stats\">\n", out);
    stat_box(out, "", r->count, r->count == 1 ? "resource" : "resources");
    stat_box(out, c->unhealthy ? "warn" : "good", c->unhealthy, "unhealthy");
    stat_box(out, r->denied ? "bad" : "good", r->denied, "denied");
    stat_box(out, "good", c->healthy, "healthy");
    stat_box(out, "info", c->exempt, "exempt");
    fputs("</div>\n</section>\n", out);
}

static void bar(FILE *out, double value, double max, const char *extra)
{
    double w = max > 0 ? 100.0 * value / max : 0;
    if (w < 0)
        w = 0;
    if (w > 100)
        w = 100;
    fprintf(out, "<div class=\"bar\"><i class=\"%s\" style=\"width:%.1f%%\"></i></div>", extra, w);
}

static void controls(FILE *out, const scan_report *r)
{
    const json_t *list = r->score ? json_object_get(r->score, "controls") : NULL;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return;
    fputs("<section class=\"card\">\n<h2>Controls</h2>\n", out);
    size_t i;
    const json_t *ctl;
    json_array_foreach(list, i, ctl) {
        double max = num(ctl, "max"), cur = num(ctl, "current");
        double share = max > 0 ? 100 * cur / max : 100;
        fprintf(out, "<div class=\"ctl%s\"><div><div class=\"name\">", max > 0 ? "" : " off");
        scan_xml_escape(out, json_string_value(json_object_get(ctl, "name")));
        fputs("</div><div class=\"sub\">", out);
        scan_xml_escape(out, json_string_value(json_object_get(ctl, "id")));
        fprintf(out, " &middot; %.0f healthy &middot; %.0f unhealthy &middot; %.0f n/a</div></div>", num(ctl, "healthy"),
                num(ctl, "unhealthy"), num(ctl, "notApplicable"));
        bar(out, cur, max, share >= 80 ? "" : share >= 50 ? "mid" : "low");
        if (max > 0)
            fprintf(out, "<div class=\"pts\"><b>%.2f</b> / %g pts</div></div>\n", cur, max);
        else
            fputs("<div class=\"pts\">not scored</div></div>\n", out);
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
        scan_xml_escape(out, name ? name : id);
        fputs("</div><div class=\"sub\">", out);
        scan_xml_escape(out, id);
        fprintf(out, " &middot; before %.2f pts</div></div>", before);
        bar(out, after, max, after < before ? "low" : "");
        fprintf(out, "<div class=\"pts\"><b>%.2f</b> pts <span class=\"delta %s\">(%+.2f)</span></div></div>\n", after,
                after > before ? "up" : after < before ? "down" : "same", after - before);
    }
    fputs("</section>\n", out);
}

static void finding_row(FILE *out, const scan_report *r, const scan_item *it, size_t k)
{
    const sg_finding *f = &it->adm.eval.findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    const char *pill = f->status == SG_STATUS_EXEMPT           ? "exempt"
                       : f->status == SG_STATUS_NOT_APPLICABLE ? "na"
                       : it->adm.denials[k]                         ? "deny"
                                                               : sg_action_name(f->action);
    const char *sev = sg_severity_name(rec->severity);
    fprintf(out, "<tr><td><span class=\"pill %s\">%s</span></td><td><span class=\"sev %s\">%s</span></td><td>", pill,
            !strcmp(pill, "na") ? "n/a" : pill, sev, sev);
    scan_xml_escape(out, rec->title);
    fputs("<div class=\"rec\">", out);
    scan_xml_escape(out, rec->id);
    fputs(" &middot; ", out);
    scan_xml_escape(out, rec->control);
    fputs("</div></td><td>", out);
    scan_xml_escape(out, f->container ? f->container : "\xe2\x80\x94");
    fputs("</td><td>", out);
    if (f->status == SG_STATUS_EXEMPT) {
        fputs("Exempt by <b>", out);
        scan_xml_escape(out, f->exemption);
        fprintf(out, "</b> (%s)", sg_exemption_category_name(f->exemption_category));
    } else {
        scan_xml_escape(out, f->message && *f->message ? f->message : rec->title);
        char note[320];
        if (scan_expired_note(f, note, sizeof note)) {
            fputs("<div class=\"expired\">", out);
            scan_xml_escape(out, note);
            fputs("</div>", out);
        }
        fputs("<div class=\"fix\"><b>Fix:</b> ", out);
        scan_xml_escape(out, rec->remediation);
        fputs("</div>", out);
    }
    fputs("</td></tr>\n", out);
}

/* Rank for ordering a resource's rows: denied, then unhealthy by severity, then the rest. */
static int rank(const scan_report *r, const scan_item *it, size_t k)
{
    const sg_finding *f = &it->adm.eval.findings[k];
    if (f->status == SG_STATUS_UNHEALTHY)
        return it->adm.denials[k] ? 0 : 3 - (int)sg_policy_rec(r->policy, f->rec)->severity;
    return f->status == SG_STATUS_HEALTHY ? 6 : 5;
}

static void resource(FILE *out, const scan_report *r, const scan_item *it)
{
    const sg_eval *ev = &it->adm.eval;
    size_t bad = 0, denied = 0, healthy = 0;
    for (size_t k = 0; k < ev->count; k++) {
        if (ev->findings[k].status == SG_STATUS_UNHEALTHY) {
            bad++;
            denied += it->adm.denials[k] != SG_DENIAL_NONE;
        } else if (ev->findings[k].status == SG_STATUS_HEALTHY) {
            healthy++;
        }
    }
    fputs("<section class=\"card res\">\n<div class=\"res-head\"><span class=\"kind\">", out);
    scan_xml_escape(out, ev->kind);
    fputs("</span><h3>", out);
    if (ev->namespace_) {
        scan_xml_escape(out, ev->namespace_);
        fputs(" / ", out);
    }
    scan_xml_escape(out, ev->name ? ev->name : "(unnamed)");
    fputs("</h3><span class=\"src\">", out);
    scan_xml_escape(out, it->manifest->file);
    fprintf(out, ":%d</span><span class=\"right\">", it->manifest->line);
    if (denied)
        fprintf(out, "<span class=\"pill deny\">%zu denied</span>", denied);
    else if (it->adm.gate.denied)
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
    if (it->adm.gate.denied) {
        fputs("<div class=\"note gate\"><span class=\"pill deny\">deny</span> <b>" SCAN_GATE_ID "</b>: ", out);
        scan_xml_escape(out, it->adm.gate.message);
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
            const sg_finding *f = &ev->findings[k];
            if (f->status != SG_STATUS_HEALTHY)
                continue;
            fputs("<li>", out);
            scan_xml_escape(out, sg_policy_rec(r->policy, f->rec)->id);
            if (f->container) {
                fputs(" <span class=\"rec\">(", out);
                scan_xml_escape(out, f->container);
                fputs(")</span>", out);
            }
            fputs("</li>", out);
        }
        fputs("</ul></details>\n", out);
    }
    fputs("</section>\n", out);
}

int scan_write_html(const scan_report *r, FILE *out)
{
    scan_counts c;
    scan_count(r, &c);
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>scoregate scan report</title>\n<style>",
          out);
    fputs(css, out);
    fputs("</style>\n</head>\n<body>\n<main>\n<header><h1>scoregate scan report</h1><p>", out);
    fprintf(out, "%zu resource%s from %zu source%s &middot; %zu unhealthy finding%s &middot; generated %s",
            r->count, r->count == 1 ? "" : "s", r->manifests.nfiles, r->manifests.nfiles == 1 ? "" : "s", c.unhealthy,
            c.unhealthy == 1 ? "" : "s", when);
    fputs("</p></header>\n", out);
    overview(out, r, &c);
    controls(out, r);
    prediction(out, r);
    for (size_t i = 0; i < r->count; i++)
        resource(out, r, &r->items[i]);
    if (r->count == 0)
        fputs("<section class=\"card\"><div class=\"note\">No Kubernetes objects in the input.</div></section>\n", out);
    fprintf(out, "<footer>scoregate %s &middot; %s</footer>\n</main>\n</body>\n</html>\n", SG_VERSION,
            r->denied ? "admission would deny some of these objects" : "nothing here would be denied");
    return ferror(out) ? -1 : 0;
}
