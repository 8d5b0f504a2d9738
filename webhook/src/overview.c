/*
 * overview.c - the overview page: the secure score gauge and totals, every
 * control with its points and the score it would gain if all its unhealthy
 * resources were fixed (ordered by that gain), and the score over time. The
 * dashboard serves it at "/"; `scoregate score -f html` writes the same page
 * to a file (sg_webhook_overview_html), without the links between pages.
 */
#include <stdlib.h>
#include <string.h>

#include <scoregate/webhook.h>

#include "internal.h"

static const struct range {
    const char *name, *label;
    time_t span;
} ranges[] = {{"24h", "24 hours", 86400}, {"7d", "7 days", 7 * 86400}, {"90d", "90 days", 90 * 86400}};

static const struct range *range_of(const char *name)
{
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (!strcmp(name ? name : "24h", ranges[i].name))
            return &ranges[i];
    return NULL;
}

bool wh_range_known(const char *name) { return range_of(name) != NULL; }

static void score_card(FILE *out, const json_t *sum)
{
    const json_t *score = json_object_get(sum, "score"), *pct = json_object_get(score, "percent");
    double current = json_number_value(json_object_get(score, "current")), max = json_number_value(json_object_get(score, "max"));
    const json_t *recs = json_object_get(sum, "recommendations");
    char value[32];
    fputs("<section class=\"card overview\">\n<div>\n", out);
    if (json_is_number(pct)) {
        snprintf(value, sizeof value, "%.2f%%", json_number_value(pct));
        sg_html_gauge(out, json_number_value(pct), value, "secure score");
        fprintf(out, "<p class=\"sub\" id=\"score\" data-percent=\"%.2f\" style=\"text-align:center;margin:0\">"
                     "%.2f of %g points</p>\n", json_number_value(pct), current, max);
    } else {
        sg_html_gauge(out, 0, "n/a", "secure score");
        fputs("<p class=\"sub\" id=\"score\" data-percent=\"n/a\" style=\"text-align:center;margin:0\">nothing "
              "scored yet</p>\n", out);
    }
    fputs("</div>\n<div class=\"stats\">\n", out);
    size_t resources = (size_t)json_integer_value(json_object_get(sum, "resources"));
    size_t unhealthy = (size_t)json_integer_value(json_object_get(recs, "unhealthy"));
    size_t evaluated = (size_t)json_integer_value(json_object_get(recs, "evaluated"));
    size_t stale = (size_t)json_integer_value(json_object_get(sum, "staleResources"));
    sg_html_stat(out, "", resources, resources == 1 ? "resource" : "resources");
    sg_html_stat(out, unhealthy ? "warn" : "good", unhealthy, "recommendations unhealthy");
    sg_html_stat(out, "info", evaluated, "recommendations evaluated");
    if (stale)
        sg_html_stat(out, "warn", stale, "stale resources");
    fputs("</div>\n</section>\n", out);
}

/* A control from its API entry, for the kit's control row. */
static sg_html_control_row control_of(const json_t *c)
{
    sg_html_control_row sc = {0};
    sc.id = json_string_value(json_object_get(c, "id"));
    sc.name = json_string_value(json_object_get(c, "name"));
    sc.max = json_number_value(json_object_get(c, "max"));
    sc.current = json_number_value(json_object_get(c, "current"));
    sc.healthy = (size_t)json_integer_value(json_object_get(c, "healthy"));
    sc.unhealthy = (size_t)json_integer_value(json_object_get(c, "unhealthy"));
    sc.not_applicable = (size_t)json_integer_value(json_object_get(c, "notApplicable"));
    return sc;
}

static int controls_card(FILE *out, const json_t *ctl)
{
    fputs("<section class=\"card\">\n<h2>Controls <span class=\"sub\">ordered by the potential score increase: what "
          "fixing every unhealthy resource in the control would add</span></h2>\n", out);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(ctl, "controls"), i, c) {
        char *gain = NULL;
        size_t len = 0;
        FILE *g = sg_check_alloc(open_memstream(&gain, &len));
        wh_page_gain(g, json_object_get(c, "increase"), "div");
        if (fclose(g) != 0)
            sg_oom();
        sg_html_control_row row = control_of(c);
        sg_html_control(out, &row, gain);
        free(gain);
    }
    fputs("</section>\n", out);
    return 0;
}

static void history_card(FILE *out, const wh_view *v, const struct range *r)
{
    fputs("<section class=\"card\">\n<h2>Score over time</h2>\n<div class=\"ranges\">", out);
    for (size_t i = 0; v->live && i < sizeof ranges / sizeof *ranges; i++) {
        char q[32];
        snprintf(q, sizeof q, "range=%s", ranges[i].name);
        if (&ranges[i] == r) {
            fprintf(out, "<b>%s</b>", ranges[i].label);
            continue;
        }
        fputs("<a href=\"", out);
        wh_page_href(out, v, "/", q);
        fprintf(out, "\">%s</a>", ranges[i].label);
    }
    if (!v->live)
        fprintf(out, "<b>the last %s</b>", r->label);
    if (v->ns)
        fputs("<span class=\"sub\">the history is of the whole cluster's score</span>", out);
    fputs("</div>\n", out);
    wh_chart(out, v->history, v->now - r->span, v->now);
    fputs("</section>\n", out);
}

int wh_page_overview(FILE *out, const wh_view *v, const char *range)
{
    const struct range *r = range_of(range);
    json_t *sum = wh_api_summary(v), *ctl = wh_api_controls(v);
    int rc = r && sum && ctl ? 0 : -1;
    if (rc == 0) {
        wh_page_head(out, v, "Secure score", "/");
        score_card(out, sum);
        rc = controls_card(out, ctl);
        history_card(out, v, r);
        wh_page_foot(out, v);
    }
    json_decref(sum);
    json_decref(ctl);
    return rc;
}

int sg_webhook_overview_html(FILE *out, const struct sg_policy *p, struct sg_inventory *inv, struct sg_history *h,
                             char *err, size_t errlen)
{
    wh_view v = {p, inv, h, NULL, NULL, time(NULL), false};
    if (wh_page_overview(out, &v, "90d") < 0 || ferror(out)) {
        snprintf(err, errlen, "cannot write the overview (out of memory or the output failed)");
        return -1;
    }
    return 0;
}
