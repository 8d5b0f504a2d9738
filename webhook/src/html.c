/*
 * html.c - the look of every page scoregate writes for people: `scan -f
 * html`, `score -f html` and the dashboard, from one source (webhook.h,
 * "HTML"). One embedded stylesheet, inline SVG for the gauge, no script, no
 * font, no image and no link to anything outside the page, so a page renders
 * offline and its viewer fetches nothing.
 *
 * Every piece of text from manifests, settings or the cluster goes through
 * sg_html_escape(), which keeps the output well-formed whatever the bytes.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char css[] =
    ":root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--red:#dc2626;"
    "--amber:#d97706;--green:#16a34a;--blue:#2563eb}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}"
    "header h1{font-size:24px;margin:0}header p{margin:4px 0 0;color:var(--muted)}"
    "h2{font-size:17px;margin:0 0 14px}h2 .sub{font-weight:400;margin-left:8px}"
    "a{color:var(--blue);text-decoration:none}a:hover{text-decoration:underline}"
    ".nav{display:flex;gap:20px;align-items:center;flex-wrap:wrap;margin-top:14px;border-bottom:1px solid var(--line)}"
    ".nav a{font-weight:600;padding:6px 0;border-bottom:2px solid transparent}.nav a.on{color:var(--fg);"
    "border-bottom-color:var(--blue)}.nav form{margin-left:auto;display:flex;gap:6px;align-items:center}"
    ".nav input{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:6px;width:170px}"
    ".nav button{font:inherit;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card)}"
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
    ".ctl.gains{grid-template-columns:300px 1fr 120px 150px}"
    ".ctl .name{font-weight:600}.sub{color:var(--muted);font-size:12px}.ctl.off{opacity:.55}"
    ".bar{position:relative;height:12px;background:var(--line);border-radius:6px;overflow:hidden}"
    ".bar i{position:absolute;left:0;top:0;bottom:0;border-radius:6px;background:var(--green)}"
    ".bar i.mid{background:var(--amber)}.bar i.low{background:var(--red)}.bar i.before{background:#9ca3af;"
    "opacity:.55}"
    ".pts{text-align:right;font-variant-numeric:tabular-nums}"
    ".gain{color:var(--green);font-weight:600;text-align:right;font-variant-numeric:tabular-nums}"
    ".gain.none{color:var(--muted);font-weight:400}.stat .gain{text-align:left;font-size:24px;line-height:1.2}"
    ".stat .gain .sub{font-size:12px}"
    ".pred{display:flex;gap:28px;align-items:flex-end;flex-wrap:wrap;margin-bottom:10px}.pred .big{font-size:28px;"
    "font-weight:700}"
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
    ".pill.deny,.pill.denied{background:#fee2e2;color:#991b1b}.pill.warn,.pill.enforce,.pill.warned,"
    ".pill.unhealthy{background:#fef3c7;color:#92400e}"
    ".pill.audit,.pill.disabled{background:#e5e7eb;color:#374151}.pill.exempt,.pill.na{background:#dbeafe;"
    "color:#1e40af}.pill.ok,.pill.healthy,.pill.patched{background:#dcfce7;color:#166534}"
    "table{width:100%;border-collapse:collapse;table-layout:fixed}th{text-align:left;font-size:11px;"
    "text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;padding:8px 12px;"
    "border-bottom:1px solid var(--line)}"
    "td{padding:10px 12px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}"
    "tr:last-child td{border-bottom:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".sev{font-weight:600;font-size:12px}.sev.high{color:var(--red)}.sev.medium{color:var(--amber)}"
    ".sev.low{color:var(--muted)}"
    ".rec,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:var(--muted)}"
    ".fix{margin-top:6px;padding:6px 10px;background:#f0fdf4;border-left:3px solid var(--green);"
    "border-radius:4px;font-size:13px}"
    ".expired{margin-top:6px;padding:6px 10px;background:#fffbeb;border-left:3px solid var(--amber);"
    "border-radius:4px;font-size:13px}"
    "pre.patch{margin:8px 0 0;padding:10px 12px;background:#f9fafb;border:1px solid var(--line);border-radius:6px;"
    "font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".note{padding:12px 20px;color:var(--muted)}"
    ".pager{display:flex;gap:16px;justify-content:flex-end;padding-top:12px}"
    ".chart{display:block;width:100%;height:auto}.chart .axis{stroke:var(--line)}.chart .line{fill:none;"
    "stroke:var(--blue);stroke-width:2}.chart .area{fill:#dbeafe;opacity:.6}.chart .dot{fill:var(--blue)}"
    ".chart text{font-size:11px;fill:var(--muted)}"
    ".ranges{display:flex;gap:12px;font-size:13px;margin-bottom:8px}.ranges b{color:var(--fg)}"
    "details{padding:10px 20px;border-top:1px solid var(--line)}summary{cursor:pointer;color:var(--muted)}"
    "details ul{margin:8px 0 0;padding-left:18px;columns:2;font-size:13px}"
    "footer{margin-top:28px;color:var(--muted);font-size:12px;text-align:center}"
    "@media (max-width:760px){.overview{grid-template-columns:1fr}.ctl,.ctl.gains{grid-template-columns:1fr}}";

void sg_html_escape(FILE *out, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    while (p < end) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        case '\t': fputs("&#9;", out); break;
        case '\n': fputs("&#10;", out); break;
        case '\r': fputs("&#13;", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fputs(SG_UTF8_REPLACEMENT, out);
            } else {
                size_t n = sg_utf8_char((const char *)p, (size_t)(end - p));
                if (n == 0) {
                    fputs(SG_UTF8_REPLACEMENT, out);
                } else {
                    fwrite(p, 1, n, out);
                    p += n;
                    continue;
                }
            }
        }
        p++;
    }
}

void sg_html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    sg_html_escape(out, title);
    fputs("</title>\n<style>", out);
    fputs(css, out);
    fputs("</style>\n</head>\n<body>\n<main>\n", out);
}

void sg_html_end(FILE *out, const char *footer)
{
    fputs("<footer>", out);
    sg_html_escape(out, footer);
    fputs("</footer>\n</main>\n</body>\n</html>\n", out);
}

const char *sg_html_tone(double percent)
{
    return percent >= 80 ? "#16a34a" : percent >= 50 ? "#d97706" : "#dc2626";
}

void sg_html_gauge(FILE *out, double percent, const char *value, const char *label)
{
    if (percent < 0)
        percent = 0;
    if (percent > 100)
        percent = 100;
    static const char arc[] = "M 20 100 A 80 80 0 0 1 180 100";
    fprintf(out, "<svg class=\"gauge\" viewBox=\"0 0 200 122\" width=\"240\" height=\"146\" role=\"img\" aria-label=\"");
    sg_html_escape(out, label);
    fputc(' ', out);
    sg_html_escape(out, value);
    fprintf(out, "\">\n<path d=\"%s\" fill=\"none\" stroke=\"#e5e7eb\" stroke-width=\"16\" stroke-linecap=\"round\"/>\n",
            arc);
    if (percent > 0)
        fprintf(out,
                "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"16\" stroke-linecap=\"round\" "
                "pathLength=\"100\" stroke-dasharray=\"%.2f 100\"/>\n",
                arc, sg_html_tone(percent), percent);
    fprintf(out, "<text x=\"100\" y=\"94\" text-anchor=\"middle\" class=\"g-value\">");
    sg_html_escape(out, value);
    fprintf(out, "</text>\n<text x=\"100\" y=\"118\" text-anchor=\"middle\" class=\"g-label\">");
    sg_html_escape(out, label);
    fprintf(out, "</text>\n</svg>\n");
}

void sg_html_stat(FILE *out, const char *cls, size_t n, const char *label)
{
    fprintf(out, "<div class=\"stat %s\"><b>%zu</b><span>", cls, n);
    sg_html_escape(out, label);
    fputs("</span></div>\n", out);
}

void sg_html_bar(FILE *out, double value, double max, const char *cls)
{
    double w = max > 0 ? 100.0 * value / max : 0;
    if (w < 0)
        w = 0;
    if (w > 100)
        w = 100;
    fprintf(out, "<div class=\"bar\"><i class=\"%s\" style=\"width:%.1f%%\"></i></div>", cls, w);
}

void sg_html_control(FILE *out, const sg_html_control_row *c, const char *gain_html)
{
    double share = c->max > 0 ? 100 * c->current / c->max : 100;
    fprintf(out, "<div class=\"ctl%s%s\" data-control=\"", c->max > 0 ? "" : " off", gain_html ? " gains" : "");
    sg_html_escape(out, c->id);
    fprintf(out, "\" data-points=\"%.2f\"><div><div class=\"name\">", c->current);
    sg_html_escape(out, c->name);
    fputs("</div><div class=\"sub\">", out);
    sg_html_escape(out, c->id);
    fprintf(out, " &middot; %zu healthy &middot; %zu unhealthy &middot; %zu n/a</div></div>", c->healthy, c->unhealthy,
            c->not_applicable);
    sg_html_bar(out, c->current, c->max, share >= 80 ? "" : share >= 50 ? "mid" : "low");
    if (c->max > 0)
        fprintf(out, "<div class=\"pts\"><b>%.2f</b> / %g pts</div>", c->current, c->max);
    else
        fputs("<div class=\"pts\">not scored</div>", out);
    if (gain_html)
        fputs(gain_html, out);
    fputs("</div>\n", out);
}
