/*
 * policy_adapter.c - the two places where the scoring module calls into the
 * policy module: building the model of a loaded policy, and re-deciding
 * exemptions on reload with sg_policy_exemption_match(). Kept apart from the
 * core so that everything else is testable from plain data.
 */
#include <stdlib.h>

#include "internal.h"

int sg_score_model_from_policy(const sg_policy *p, const sg_score_control_def *controls,
                               size_t ncontrols, sg_score_model **out, char *err, size_t errlen)
{
    size_t n = sg_policy_rec_count(p);
    if (!controls)
        controls = sg_score_default_controls(&ncontrols);
    sg_score_rec_def *defs = sg_calloc(n, sizeof *defs);
    for (size_t i = 0; i < n; i++)
        defs[i] = sg_score_rec_def_from_info(sg_policy_rec(p, i));
    int rc = sg_score_model_new(controls, ncontrols, defs, n, out, err, errlen);
    free(defs);
    return rc;
}

typedef struct policy_match {
    const sg_policy *policy;
    time_t now;
} policy_match;

static sg_exemption_category match_policy(void *ctx, size_t rec, const char *group, const char *kind,
                                          const char *ns, const char *name, const json_t *labels)
{
    const policy_match *pm = ctx;
    const sg_exemption_info *e =
        sg_policy_exemption_match(pm->policy, rec, group, kind, ns, name, labels, pm->now, NULL);
    return e ? e->category : SG_EXEMPT_NONE;
}

void sg_inventory_reload_policy(sg_inventory *inv, sg_score_model *m, const sg_policy *p, time_t now)
{
    policy_match pm = {p, now};
    sg_inventory_reload(inv, m, match_policy, &pm);
}
