/*
 * chart.c - the secure score over time as an inline SVG line chart (no
 * script, no external asset): percent from 0 to 100 against time from
 * `since` to now. A stretch where the score was "n/a" breaks the line; the
 * newest value is carried to now, since the score holds until it changes
 * (that is when samples are taken).
 */
#include <stdlib.h>

#include "internal.h"

#define W 1000.0
#define H 240.0
#define LEFT 44.0
#define RIGHT 12.0
#define TOP 10.0
#define BOTTOM 26.0

static double x_of(time_t t, time_t since, time_t now)
{
    double span = now > since ? (double)(now - since) : 1;
    return LEFT + (W - LEFT - RIGHT) * (double)(t - since) / span;
}

static double y_of(double percent) { return TOP + (H - TOP - BOTTOM) * (1 - percent / 100.0); }

static void axes(FILE *out, time_t since, time_t now)
{
    for (int p = 0; p <= 100; p += 25)
        fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"end\">%d%%</text>\n",
                LEFT, y_of(p), W - RIGHT, y_of(p), LEFT - 6, y_of(p) + 4, p);
    for (int i = 0; i <= 4; i++) {
        time_t t = since + (now - since) * i / 4;
        struct tm tm;
        char label[32];
        strftime(label, sizeof label, now - since > 2 * 86400 ? "%d %b" : "%H:%M", gmtime_r(&t, &tm));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n", x_of(t, since, now), H - 8,
                i == 0 ? "start" : i == 4 ? "end" : "middle", label);
    }
}

void wh_chart(FILE *out, sg_history *h, time_t since, time_t now)
{
    sg_history_view v = {0};
    bool any = false;
    if (h)
        sg_history_view_get(h, since, &v);
    for (size_t i = 0; i < v.count; i++)
        any |= v.samples[i].has_percent;
    if (!any) {
        fputs("<div class=\"sub\" id=\"chart-empty\">No score in this period yet: a sample is taken when the score "
              "changes (at most one a minute) and once an hour.</div>\n", out);
        sg_history_view_free(&v);
        return;
    }
    fprintf(out, "<svg class=\"chart\" id=\"chart\" data-samples=\"%zu\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                 "aria-label=\"secure score over time, UTC\">\n", v.count, W, H);
    axes(out, since, now);
    bool open = false;
    for (size_t i = 0; i < v.count; i++) {
        const sg_history_sample *s = &v.samples[i];
        if (!s->has_percent) {
            fputs(open ? "\"/>\n" : "", out);
            open = false;
            continue;
        }
        fprintf(out, "%s%.1f,%.1f", open ? " " : "<polyline class=\"line\" points=\"", x_of(s->time, since, now),
                y_of(s->percent));
        open = true;
    }
    const sg_history_sample *last = &v.samples[v.count - 1];
    if (open)
        fprintf(out, " %.1f,%.1f\"/>\n", x_of(now, since, now), y_of(last->percent));
    for (size_t i = 0; v.count <= 120 && i < v.count; i++)
        if (v.samples[i].has_percent)
            fprintf(out, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%.2f%%</title></circle>\n",
                    x_of(v.samples[i].time, since, now), y_of(v.samples[i].percent), v.samples[i].percent);
    fputs("</svg>\n", out);
    if (last->has_percent)
        fprintf(out, "<div class=\"sub\">%zu samples; the latest %.2f%%</div>\n", v.count, last->percent);
    sg_history_view_free(&v);
}
