/*
 * fix_object.c - one object in `scoregate fix`: the admission decision's
 * enforce step gives the patch (the one /mutate sends) and says which of
 * the findings `fix` was asked to fix it heals; and the report lines that
 * say so, the same for files and for the live cluster.
 */
#include <stdio.h>
#include <string.h>

#include "fix.h"
#include "scan.h"

int fix_decide(const fix_ctx *x, const json_t *object, sg_score_op op, bool dry_run, fix_object *out, char *err,
               size_t errlen)
{
    memset(out, 0, sizeof *out);
    sg_admission_request req = {.mode = SG_ADMISSION_ADMIT, .operation = op, .object = object,
                                .namespace_ = x->namespace_, .dry_run = dry_run, .now = x->now};
    if (sg_admission_decide(x->policy, x->model, x->inventory, &req, &out->adm, err, errlen) < 0)
        return -1;
    if (*out->adm.refusal) {
        snprintf(err, errlen, "%s", out->adm.refusal);
        sg_admission_free(&out->adm);
        return -1;
    }
    out->policy = x->policy;
    /* What a patch heals is what /mutate's patch heals: the decision stores the fixed object only then. */
    if (out->adm.stores_fixed) {
        out->patch = out->adm.fix.patch;
        out->fixed = out->adm.fix.fixed;
    }
    for (size_t i = 0; out->adm.judged && i < out->adm.eval.count; i++) {
        if (!fix_wanted(out, i))
            continue;
        out->wanted++;
        out->healed += out->patch && out->adm.fix.healed[i];
    }
    return 0;
}

void fix_object_free(fix_object *o)
{
    sg_admission_free(&o->adm);
    memset(o, 0, sizeof *o);
}

bool fix_wanted(const fix_object *o, size_t i)
{
    const sg_finding *f = &o->adm.eval.findings[i];
    return f->status == SG_STATUS_UNHEALTHY && f->action == SG_ACTION_ENFORCE;
}

static bool fix_healed(const fix_object *o, size_t i)
{
    return o->patch && o->adm.fix.healed[i];
}

void fix_label(const sg_eval *ev, const char *place, char *buf, size_t len)
{
    char resource[512];
    scan_resource_label(ev, resource, sizeof resource);
    snprintf(buf, len, "%s%s%s", place ? place : "", place ? ": " : "", resource);
}

/* "rec (container c)" for finding `i`. */
static void fix_put_finding(FILE *out, const fix_object *o, size_t i)
{
    const sg_finding *f = &o->adm.eval.findings[i];
    fputs(sg_policy_rec(o->policy, f->rec)->id, out);
    if (f->container)
        fprintf(out, " (container %s)", f->container);
}

void fix_print_fixed(FILE *out, const char *label, const char *verb, const fix_object *o, const char *suffix)
{
    if (!o->healed)
        return;
    fprintf(out, "%s: %s ", label, verb);
    size_t n = 0;
    for (size_t i = 0; i < o->adm.eval.count; i++) {
        if (!fix_wanted(o, i) || !fix_healed(o, i))
            continue;
        fputs(n++ ? ", " : "", out);
        fix_put_finding(out, o, i);
    }
    if (suffix)
        fprintf(out, " %s", suffix);
    fputc('\n', out);
}

void fix_print_unfixed(FILE *out, const char *label, const fix_object *o)
{
    const sg_enforcement *e = &o->adm.fix;
    for (size_t i = 0; i < o->adm.eval.count; i++) {
        if (!fix_wanted(o, i) || fix_healed(o, i))
            continue;
        const sg_finding *f = &o->adm.eval.findings[i];
        fprintf(out, "%s: not fixed: ", label);
        fix_put_finding(out, o, i);
        fprintf(out, ": %s", f->message ? f->message : "");
        if (!sg_policy_rec(o->policy, f->rec)->has_fix)
            fputs("; it has no automatic fix", out);
        else if (o->adm.has_fix && e->broken)
            fprintf(out, "; the fix would make %s unhealthy (%s), so it is not applied",
                    sg_policy_rec(o->policy, e->broken->rec)->id, e->broken->message ? e->broken->message : "");
        else if (!f->fix_blocked)
            fputs("; its fix does not make the object healthy", out);
        fputc('\n', out);
    }
}

static void fix_put_percent(FILE *out, const sg_score *s)
{
    if (s->has_percent)
        fprintf(out, "%.2f%%", s->percent);
    else
        fputs("n/a", out);
}

void fix_print_score(FILE *out, const char *what, const sg_score *before, const sg_score *after)
{
    fprintf(out, "Secure score%s%s: ", what ? " " : "", what ? what : "");
    fix_put_percent(out, before);
    fputs(" -> ", out);
    fix_put_percent(out, after);
    if (before->has_percent && after->has_percent)
        fprintf(out, " (%+.2f)", after->percent - before->percent);
    fputc('\n', out);
}
