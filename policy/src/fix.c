/*
 * fix.c - turn the fixes of enforced recommendations into a JSON Patch.
 *
 * A fix names a place relative to a rule variable (container, pod,
 * podMetadata, metadata, object). Here that place becomes absolute steps from
 * the object's root (through the pod template of whatever workload kind it
 * is), missing parent objects are created with their own "add" operations,
 * and every operation is applied to a copy as it is emitted, so later fixes
 * see earlier ones and the patch is exactly what turns object into fixed.
 *
 * The copy is made along the way: it starts as a shallow copy of the root,
 * and an operation copies (shallowly) only the objects and arrays on its own
 * path; every other part stays shared with the object by reference. A typical
 * fix touches two paths of a Deployment, so copying the whole object first
 * cost more than the rest of the fix (issue 21).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/doc.h>

#include "internal_policy.h"

typedef struct patcher {
    json_t *fixed;       /* the copy being fixed: shares with the object what no operation touched */
    json_t *patch;       /* operations emitted so far */
    json_t **own;        /* the containers of `fixed` that are its own (copied or created here),
                            each with a reference so that no address is reused while they are looked up */
    size_t nown, capown;
} patcher;

static void own_add(patcher *pt, json_t *node)
{
    if (pt->nown == pt->capown) {
        pt->capown = pt->capown ? 2 * pt->capown : 16;
        pt->own = sg_realloc(pt->own, pt->capown * sizeof *pt->own);
    }
    pt->own[pt->nown++] = json_incref(node);
}

static bool owned(const patcher *pt, const json_t *node)
{
    for (size_t i = 0; i < pt->nown; i++)
        if (pt->own[i] == node)
            return true;
    return false;
}

/* Append "/"-separated pointer text to steps. */
static void pointer_steps(const char *pointer, json_t *steps)
{
    const char *p = pointer;
    while (p && *p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
        json_array_append_new(steps, json_stringn(p + 1, len));
        p = end;
    }
}

/* The decimal text of an array index (never negative), in buf[32]. */
static const char *index_text(json_int_t index, char *buf)
{
    char *p = buf + 31;
    *p = '\0';
    unsigned long long v = index < 0 ? 0 : (unsigned long long)index;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) && p > buf);
    return p;
}

/* JSON Pointer (RFC 6901) of the first n steps: "~" as "~0", "/" as "~1". */
static char *pointer_of(const json_t *steps, size_t n)
{
    size_t cap = 64, len = 0;
    char *out = sg_malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(steps, i);
        char num[32];
        const char *text = json_is_integer(s) ? index_text(json_integer_value(s), num) : json_string_value(s);
        size_t need = len + 2 * strlen(text) + 2;
        if (need > cap) {
            cap = need * 2;
            char *grown = sg_realloc(out, cap);
            out = grown;
        }
        out[len++] = '/';
        for (const char *c = text; *c; c++) {
            if (*c == '~' || *c == '/') {
                out[len++] = '~';
                out[len++] = *c == '~' ? '0' : '1';
            } else {
                out[len++] = *c;
            }
        }
        out[len] = '\0';
    }
    return out;
}

static void emit(patcher *pt, const char *op, const json_t *steps, size_t n, json_t *value)
{
    char *path = pointer_of(steps, n);
    json_t *o = sg_check_alloc(json_object());
    /* The op is a literal and the path is made of the object's own keys: UTF-8 already. */
    json_object_set_new(o, "op", json_string_nocheck(op));
    json_object_set_new(o, "path", json_string_nocheck(path));
    free(path);
    if (value)
        json_object_set_new(o, "value", sg_json_deep_copy(value));
    json_array_append_new(pt->patch, o);
}

static json_t *child(json_t *node, const json_t *step)
{
    if (json_is_object(node) && json_is_string(step))
        return json_object_get(node, json_string_value(step));
    if (json_is_array(node) && json_is_integer(step))
        return json_array_get(node, (size_t)json_integer_value(step));
    return NULL;
}

/* The child of an own container at step, made the copy's own (a shallow copy
 * put in its place) when it is a container still shared with the object. */
static json_t *own_child(patcher *pt, json_t *node, const json_t *step)
{
    json_t *next = child(node, step);
    if ((!json_is_object(next) && !json_is_array(next)) || owned(pt, next))
        return next;
    json_t *copy = sg_check_alloc(json_copy(next));
    if (json_is_object(node))
        json_object_set_new(node, json_string_value(step), copy);
    else
        json_array_set_new(node, (size_t)json_integer_value(step), copy);
    own_add(pt, copy);
    return copy;
}

/* Set the value at steps, creating missing parent objects. Returns -1 when a
 * step runs into a non-object (the fix cannot apply and is skipped). */
static int apply_set(patcher *pt, const json_t *steps, json_t *value)
{
    size_t n = json_array_size(steps);
    json_t *node = pt->fixed;
    for (size_t i = 0; i + 1 < n; i++) {
        const json_t *step = json_array_get(steps, i);
        json_t *next = own_child(pt, node, step);
        if (!next || json_is_null(next)) {
            if (!json_is_object(node) || !json_is_string(step))
                return -1;
            next = sg_check_alloc(json_object());
            json_object_set_new(node, json_string_value(step), next);
            own_add(pt, next);
            emit(pt, "add", steps, i + 1, next);
        } else if (!json_is_object(next) && !json_is_array(next)) {
            return -1;
        }
        node = next;
    }
    const json_t *last = json_array_get(steps, n - 1);
    json_t *old = child(node, last);
    if (old && json_equal(old, value))
        return 0;
    if (json_is_object(node) && json_is_string(last)) {
        json_object_set(node, json_string_value(last), value);
    } else if (json_is_array(node) && json_is_integer(last) && old) {
        json_array_set(node, (size_t)json_integer_value(last), value);
    } else {
        return -1;
    }
    emit(pt, old ? "replace" : "add", steps, n, value);
    return 0;
}

static void apply_remove(patcher *pt, const json_t *steps)
{
    size_t n = json_array_size(steps);
    json_t *node = pt->fixed;
    for (size_t i = 0; node && i + 1 < n; i++)
        node = child(node, json_array_get(steps, i));
    const json_t *last = json_array_get(steps, n - 1);
    if (!node || !child(node, last))
        return;
    node = pt->fixed;   /* there is something to remove: make its parents the copy's own */
    for (size_t i = 0; i + 1 < n; i++)
        node = own_child(pt, node, json_array_get(steps, i));
    if (json_is_object(node))
        json_object_del(node, json_string_value(last));
    else
        json_array_remove(node, (size_t)json_integer_value(last));
    emit(pt, "remove", steps, n, NULL);
}

/* Steps from the object root to a rule variable. */
static void root_steps(enum pol_var root, const pol_workload *w, const sg_finding *f, json_t *steps)
{
    switch (root) {
    case POL_VAR_POD:
        pointer_steps(w->spec_pointer, steps);
        break;
    case POL_VAR_POD_METADATA:
        pointer_steps(w->metadata_pointer ? w->metadata_pointer : "/metadata", steps);
        break;
    case POL_VAR_METADATA:
        json_array_append_new(steps, json_string("metadata"));
        break;
    case POL_VAR_CONTAINER:
        pointer_steps(w->spec_pointer, steps);
        json_array_append_new(steps, json_string(f->container_type));
        json_array_append_new(steps, json_integer(f->container_index));
        break;
    default:
        break;
    }
}

/* One run of sg_policy_fix: the copy being fixed and a rule context over it. */
typedef struct fix_run {
    const sg_policy *p;
    sg_eval *ev;
    patcher pt;
    pol_rule_ctx ctx;
} fix_run;

/* Bind the rule variables to the object as fixed so far, for finding f.
 * Re-done for every operation: an earlier one may have created the pod metadata. */
static void bind_finding(fix_run *run, const sg_finding *f, pol_workload *w)
{
    pol_workload_find(pol_eval_workload(run->ev), run->pt.fixed, w);
    pol_bind_object(&run->ctx, run->pt.fixed, w, run->ev->kind, run->ev->namespace_, run->ev->name);
    if (f->container_type) {
        run->ctx.vars[POL_VAR_CONTAINER] =
            json_array_get(json_object_get(w->pod_spec, f->container_type), (size_t)f->container_index);
        run->ctx.strvars[POL_VAR_CONTAINER_TYPE] = f->container_type;
    }
}

/* The rendered `fail` of the first fail operation of f's fix whose condition
 * holds on the object as fixed so far (malloc'd), or NULL when it can apply. */
static char *blocker(fix_run *run, const sg_finding *f)
{
    const pol_rec *r = &run->p->recs[f->rec];
    char *why = NULL;
    for (size_t i = 0; i < r->nfix && !why; i++) {
        const pol_fix_op *op = &r->fix[i];
        if (!op->fail)
            continue;
        pol_workload w;
        bind_finding(run, f, &w);
        if (pol_expr_test(op->when, &run->ctx))
            why = pol_template_render(op->fail, &run->ctx);
        pol_rule_ctx_reset(&run->ctx);
    }
    return why;
}

/* Apply the set and remove operations of f's fix. Returns why one that was
 * needed could not be applied (malloc'd), or NULL. */
static char *apply_ops(fix_run *run, const sg_finding *f)
{
    const pol_rec *r = &run->p->recs[f->rec];
    char *why = NULL;
    for (size_t i = 0; i < r->nfix; i++) {
        const pol_fix_op *op = &r->fix[i];
        if (op->fail)
            continue;
        pol_workload w;
        bind_finding(run, f, &w);
        if (op->when && !pol_expr_test(op->when, &run->ctx)) {
            pol_rule_ctx_reset(&run->ctx);
            continue;
        }
        /* A review of ephemeral containers can change nothing but them. */
        if (run->ev->ephemeral_only && pol_path_root(op->path) != POL_VAR_CONTAINER) {
            pol_rule_ctx_reset(&run->ctx);
            if (!why)
                why = sg_strdup("the fix must change the pod, and an update of ephemeral containers can change only them");
            continue;
        }
        json_t *rel = pol_path_resolve(op->path, &run->ctx);
        json_t *value = op->remove ? NULL : op->value ? pol_value_to_json(pol_expr_eval(op->value, &run->ctx))
                                                      : sg_json_deep_copy(op->value_const);
        pol_rule_ctx_reset(&run->ctx);
        if (rel) {
            json_t *steps = json_array();
            root_steps(pol_path_root(op->path), &w, f, steps);
            json_array_extend(steps, rel);
            if (op->remove)
                apply_remove(&run->pt, steps);
            else if (value && !json_is_null(value))
                apply_set(&run->pt, steps, value);
            json_decref(steps);
        }
        json_decref(rel);
        json_decref(value);
    }
    return why;
}

/* Record that f's fix cannot apply, and say so in its message (once, however
 * often the fix is built for the same evaluation). Takes `why`. */
static void block(sg_eval *ev, sg_finding *f, char *why)
{
    if (f->fix_blocked || !why) {
        free(why);
        return;
    }
    f->fix_blocked = pol_eval_keep(ev, why);
    const char *msg = f->message ? f->message : "";
    size_t len = strlen(msg) + strlen(why) + 16;
    char *both = sg_malloc(len);
    snprintf(both, len, "%s; not fixed: %s", msg, why);
    f->message = pol_eval_keep(ev, both);
}

static bool to_fix(const sg_policy *p, const sg_finding *f)
{
    return f->status == SG_STATUS_UNHEALTHY && f->action == SG_ACTION_ENFORCE && p->recs[f->rec].info.has_fix;
}

/* Apply every enforced fix that can apply, retrying blocked ones while others
 * make progress (one may remove what blocks another); block the rest. */
static void fix_all(fix_run *run)
{
    sg_eval *ev = run->ev;
    size_t *pending = sg_malloc((ev->count + 1) * sizeof *pending), n = 0;
    char **why = sg_calloc(ev->count + 1, sizeof *why);
    for (size_t i = 0; i < ev->count; i++)
        if (to_fix(run->p, &ev->findings[i]))
            pending[n++] = i;
    bool progress = true;
    while (n && progress) {
        progress = false;
        size_t kept = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = pending[k];
            free(why[i]);
            if ((why[i] = blocker(run, &ev->findings[i]))) {
                pending[kept++] = i;
                continue;
            }
            block(ev, &ev->findings[i], apply_ops(run, &ev->findings[i]));
            progress = true;
        }
        n = kept;
    }
    for (size_t k = 0; k < n; k++) {
        block(ev, &ev->findings[pending[k]], why[pending[k]]);
        why[pending[k]] = NULL;
    }
    for (size_t i = 0; i < ev->count; i++)
        free(why[i]);
    free(why);
    free(pending);
}

void sg_policy_fix(const sg_policy *p, const json_t *object, sg_eval *ev, json_t **patch, json_t **fixed)
{
    fix_run run = {.p = p, .ev = ev,
                   .pt = {.fixed = sg_check_alloc(json_copy((json_t *)object)), .patch = sg_check_alloc(json_array())}};
    own_add(&run.pt, run.pt.fixed);
    pol_rule_ctx_init(&run.ctx);
    fix_all(&run);
    pol_rule_ctx_free(&run.ctx);
    for (size_t i = 0; i < run.pt.nown; i++)
        json_decref(run.pt.own[i]);
    free(run.pt.own);
    *patch = run.pt.patch;
    if (fixed)
        *fixed = run.pt.fixed;
    else
        json_decref(run.pt.fixed);
}
