/*
 * report.c - a recommendation's results in the form of the Kubernetes Policy
 * working group's Policy Report (wgpolicyk8s.io/v1alpha2), the CRD that
 * Kyverno, Policy Reporter and kube-bench adapters read. One shape for
 * `scan -f policyreport` (cli/scan_policyreport.c) and the reports `serve`
 * keeps in the cluster (webhook/src/report_build.c), so that CI and the
 * cluster show a finding alike: policy = the standard, rule = the
 * recommendation id, category = the control.
 */
#include <string.h>

#include "internal_policy.h"

const char *sg_policyreport_result(const sg_rec_info *rec, sg_status status, bool denied)
{
    switch (status) {
    case SG_STATUS_HEALTHY: return "pass";
    case SG_STATUS_UNHEALTHY: return denied || rec->scored ? "fail" : "warn";
    case SG_STATUS_EXEMPT:
    case SG_STATUS_NOT_APPLICABLE: return "skip";
    }
    return "error";
}

json_t *sg_policyreport_resource(const char *api_version, const char *kind, const char *ns, const char *name,
                                 const char *uid)
{
    json_t *res = sg_check_alloc(json_pack("{s:s,s:s}", "apiVersion", api_version, "kind", kind));
    if (ns)
        json_object_set_new(res, "namespace", json_string(ns));
    if (name)
        json_object_set_new(res, "name", json_string(name));
    if (uid)
        json_object_set_new(res, "uid", json_string(uid));
    return res;
}

json_t *sg_policyreport_result_json(const sg_rec_info *rec, const char *result, const char *message,
                                    json_t *resource, const struct timespec *now, json_t *props)
{
    if (!json_object_get(props, "title"))
        json_object_set_new(props, "title", json_string(rec->title));
    if (!json_object_get(props, "remediation"))
        json_object_set_new(props, "remediation", json_string(rec->remediation));
    const char *msg = message && *message ? message : rec->title;
    return sg_check_alloc(json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:[o],s:{s:I,s:i},s:s,s:o}", "policy",
                                    rec->standard, "rule", rec->id, "result", result, "scored", rec->scored,
                                    "severity", sg_severity_name(rec->severity), "category", rec->control,
                                    "message", msg, "resources", resource, "timestamp", "seconds",
                                    (json_int_t)now->tv_sec, "nanos", (int)now->tv_nsec, "source", "scoregate",
                                    "properties", props));
}

json_t *sg_policyreport_new(const char *ns, const char *name)
{
    json_t *meta = sg_check_alloc(json_pack("{s:s}", "name", name));
    if (ns)
        json_object_set_new(meta, "namespace", json_string(ns));
    json_object_set_new(meta, "labels", json_pack("{s:s}", "app.kubernetes.io/managed-by", "scoregate"));
    return sg_check_alloc(json_pack("{s:s,s:s,s:o}", "apiVersion", SG_POLICYREPORT_API, "kind",
                                    ns ? "PolicyReport" : "ClusterPolicyReport", "metadata", meta));
}

json_t *sg_policyreport_summary(const json_t *results)
{
    static const char *const names[] = {"pass", "fail", "warn", "error", "skip"};
    json_int_t counts[5] = {0};
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r) {
        const char *result = json_string_value(json_object_get(r, "result"));
        for (size_t k = 0; result && k < 5; k++)
            counts[k] += !strcmp(result, names[k]);
    }
    json_t *summary = sg_check_alloc(json_object());
    for (size_t k = 0; k < 5; k++)
        json_object_set_new(summary, names[k], json_integer(counts[k]));
    return summary;
}
