/*
 * fix_set.c - the recommendations `scoregate fix` applies when told which
 * (--recommendation ID, --all) rather than taking the settings' enforce
 * actions: the policy is loaded with those set to enforce, so the admission
 * decision builds exactly their fixes, the one way fixes are built. Every
 * other enforce becomes deny: not fixed by this run, yet still a check a fix
 * must not break.
 */
#include <string.h>

#include "internal_policy.h"

static bool pol_named(const sg_policy_options *o, const char *id)
{
    for (size_t i = 0; i < o->n_fix_only; i++)
        if (!strcmp(o->fix_only[i], id))
            return true;
    return false;
}

/* Whether the named recommendation can be fixed by this policy; err says why not. */
static int pol_check_named(const sg_policy *p, const char *id, char *err, size_t errlen)
{
    long i = sg_policy_rec_index(p, id);
    if (i < 0)
        return sg_err(err, errlen, "unknown recommendation '%s' (see 'scoregate catalog')", id);
    const sg_rec_info *r = &p->recs[i].info;
    if (!r->has_fix)
        return sg_err(err, errlen, "%s has no automatic fix (see 'scoregate catalog')", id);
    if (r->builtin && !sg_policy_standard_enabled(p, r->standard))
        return sg_err(err, errlen, "%s belongs to standard %s, which is not enabled: add --standard %s", id,
                      r->standard, r->standard);
    if (!r->configured)
        return sg_err(err, errlen, "%s is not configured: the settings must give its required parameters", id);
    return 0;
}

int pol_apply_fix_set(sg_policy *p, const sg_policy_options *o, char *err, size_t errlen)
{
    if (!o || (!o->n_fix_only && !o->fix_all))
        return 0;
    for (size_t i = 0; i < o->n_fix_only; i++)
        if (pol_check_named(p, o->fix_only[i], err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < p->nrecs; i++) {
        sg_rec_info *r = &p->recs[i].info;
        bool chosen = o->fix_all ? r->enabled && r->has_fix && r->configured : pol_named(o, r->id);
        if (chosen)
            r->action = SG_ACTION_ENFORCE;
        else if (r->action == SG_ACTION_ENFORCE)
            r->action = SG_ACTION_DENY;
        r->enabled = r->action != SG_ACTION_DISABLED && (!r->builtin || sg_policy_standard_enabled(p, r->standard));
        r->scored = r->builtin && !r->preview && r->enabled && r->configured;
    }
    return 0;
}
