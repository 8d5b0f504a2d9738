/*
 * render.c - the JSON shapes of docs/scan.md that the CLI (`scan -f json`,
 * `score`) and the webhook share, so both print the same score the same way.
 */
#include "internal.h"

/* Steal `value` into obj[key]. Every value here is built from numbers and
 * valid text, so a failure can only be jansson running out of memory. */
static void set(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value))
        sg_oom();
}

static json_t *count(size_t n) { return json_integer((json_int_t)n); }

static json_t *control_json(const sg_score_control *c)
{
    json_t *o = sg_check_alloc(json_object());
    set(o, "id", json_string(c->id));
    set(o, "name", json_string(c->name));
    set(o, "max", json_real(c->max));
    set(o, "current", json_real(c->current));
    set(o, "healthy", count(c->healthy));
    set(o, "unhealthy", count(c->unhealthy));
    set(o, "notApplicable", count(c->not_applicable));
    return o;
}

json_t *sg_score_to_json(const sg_score *s)
{
    json_t *o = sg_check_alloc(json_object()), *controls = sg_check_alloc(json_array());
    for (size_t i = 0; i < s->ncontrols; i++)
        if (json_array_append_new(controls, control_json(&s->controls[i])))
            sg_oom();
    set(o, "percent", s->has_percent ? json_real(s->percent) : json_null());
    set(o, "current", json_real(s->current));
    set(o, "max", json_real(s->max));
    if (s->stale_resources)
        set(o, "staleResources", count(s->stale_resources));
    set(o, "controls", controls);
    return o;
}

/* A percent, or null when that side has no score. */
static json_t *maybe(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

json_t *sg_score_prediction_to_json(const sg_score_prediction *p)
{
    json_t *o = sg_check_alloc(json_object()), *controls = sg_check_alloc(json_array());
    for (size_t i = 0; i < p->nchanges; i++) {
        const sg_score_change *c = &p->changes[i];
        json_t *item = sg_check_alloc(json_object());
        set(item, "id", json_string(c->id));
        set(item, "before", json_real(c->before));
        set(item, "after", json_real(c->after));
        if (json_array_append_new(controls, item))
            sg_oom();
    }
    set(o, "before", maybe(p->before.has_percent, p->before.percent));
    set(o, "after", maybe(p->after.has_percent, p->after.percent));
    set(o, "delta", maybe(p->has_delta, p->delta));
    set(o, "exactDelta", maybe(p->has_delta, p->exact_delta));
    set(o, "controls", controls);
    return o;
}
