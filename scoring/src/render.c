/*
 * render.c - the JSON shapes of DESIGN.md 5 that the CLI (`scan -f json`,
 * `score`) and the webhook share, so both print the same score the same way.
 */
#include "internal.h"

/* Steal `value` into obj[key]; false when either failed. */
static bool set(json_t *obj, const char *key, json_t *value)
{
    return value && !json_object_set_new(obj, key, value);
}

static json_t *count(size_t n) { return json_integer((json_int_t)n); }

static json_t *control_json(const sg_score_control *c)
{
    json_t *o = json_object();
    if (o && set(o, "id", json_string(c->id)) && set(o, "name", json_string(c->name)) &&
        set(o, "max", json_real(c->max)) && set(o, "current", json_real(c->current)) &&
        set(o, "healthy", count(c->healthy)) && set(o, "unhealthy", count(c->unhealthy)) &&
        set(o, "notApplicable", count(c->not_applicable)))
        return o;
    json_decref(o);
    return NULL;
}

json_t *sg_score_to_json(const sg_score *s)
{
    json_t *o = json_object(), *controls = json_array();
    bool ok = o && controls;
    for (size_t i = 0; ok && i < s->ncontrols; i++)
        ok = !json_array_append_new(controls, control_json(&s->controls[i]));
    ok = ok && set(o, "percent", s->has_percent ? json_real(s->percent) : json_null()) &&
         set(o, "current", json_real(s->current)) && set(o, "max", json_real(s->max));
    if (ok && s->stale_resources)
        ok = set(o, "staleResources", count(s->stale_resources));
    ok = ok && set(o, "controls", json_incref(controls));
    json_decref(controls);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *sg_score_prediction_to_json(const sg_score_prediction *p)
{
    json_t *o = json_object(), *controls = json_array();
    bool ok = o && controls;
    for (size_t i = 0; ok && i < p->nchanges; i++) {
        const sg_score_change *c = &p->changes[i];
        json_t *item = json_object();
        ok = item && set(item, "id", json_string(c->id)) &&
             set(item, "before", json_real(c->before)) && set(item, "after", json_real(c->after)) &&
             !json_array_append(controls, item);
        json_decref(item);
    }
    ok = ok &&
         set(o, "before", p->before.has_percent ? json_real(p->before.percent) : json_null()) &&
         set(o, "after", p->after.has_percent ? json_real(p->after.percent) : json_null()) &&
         set(o, "delta", p->has_delta ? json_real(p->delta) : json_null()) &&
         set(o, "exactDelta", p->has_delta ? json_real(p->exact_delta) : json_null()) &&
         set(o, "controls", json_incref(controls));
    json_decref(controls);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
