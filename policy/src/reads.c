/*
 * reads.c - which part of an object the enabled recommendations read, so
 * that the inventory sync can ask the API server for only the metadata of a
 * kind that nothing reads further (PartialObjectMetadata): fewer bytes cross
 * the wire, and values such as a ConfigMap's data never reach the process
 * when no recommendation needs them.
 *
 * The answer comes from the compiled rules (rule_analyze.c). An object-scope
 * recommendation that applies to the kind reads beyond the metadata when its
 * `applies` or `unhealthy` expression uses `object` other than as
 * object.metadata, object.kind or object.apiVersion (`let`s are expanded in
 * place, so they are covered). `pod`, `podMetadata`, `container` and `containerType` are null for
 * kinds without a pod template, and the common parameters and exemptions read
 * only namespace, name and labels. Messages and fixes decide no status, so
 * they are not looked at. Workload kinds and pod controllers always read
 * their pod template.
 *
 * sg_policy_reads_managed_fields: whether any enabled recommendation may see
 * metadata.managedFields anywhere (conditions, messages, fixes), so that the
 * webhook can leave it out of the requests it decodes.
 */
#include <string.h>

#include "internal_policy.h"

bool sg_policy_reads_beyond_metadata(const sg_policy *p, const char *group, const char *kind, const char **which)
{
    if (which)
        *which = NULL;
    if (pol_workload_def_of(p, group, kind))
        return true;
    for (size_t i = 0; i < p->nrecs; i++) {
        const pol_rec *r = &p->recs[i];
        if (!r->info.enabled || !r->info.configured || strcmp(r->info.scope, "object") ||
            !pol_kinds_match(&r->gks, group, kind))
            continue;
        if ((pol_expr_reads(r->applies) | pol_expr_reads(r->unhealthy)) & POL_READS_OBJECT_BODY) {
            if (which)
                *which = r->info.id;
            return true;
        }
    }
    return false;
}

bool sg_policy_reads_managed_fields(const sg_policy *p)
{
    for (size_t i = 0; i < p->nrecs; i++) {
        const pol_rec *r = &p->recs[i];
        if (!r->info.enabled)
            continue;
        unsigned reads = pol_expr_reads(r->applies) | pol_expr_reads(r->unhealthy) | pol_template_reads(r->message);
        for (size_t k = 0; k < r->nfix; k++) {
            const pol_fix_op *op = &r->fix[k];
            reads |= pol_expr_reads(op->when) | pol_path_reads(op->path) | pol_expr_reads(op->value) |
                     pol_template_reads(op->fail);
        }
        if (reads & POL_READS_MANAGED_FIELDS)
            return true;
    }
    return false;
}
