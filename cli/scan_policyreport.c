/*
 * scan_policyreport.c - `scan -f policyreport`: the results as Policy Report
 * objects (wgpolicyk8s.io/v1alpha2, the Kubernetes Policy working group's
 * CRD that Kyverno, Policy Reporter and kube-bench adapters read).
 *
 * Output: one JSON document, a `v1` `List` whose items are one PolicyReport
 * per namespace (name "scoregate-scan", in that namespace) and one
 * ClusterPolicyReport ("scoregate-scan") for cluster-scoped objects, in order
 * of first appearance (cluster report first). JSON rather than a YAML stream
 * so that `kubectl apply -f` and any JSON tool read it alike.
 *
 * One result per finding: policy = the standard (mcsb, pss-baseline, ...),
 * rule = the recommendation id, category = the control id, severity, scored,
 * message, resources = the object, source "scoregate", one timestamp for the
 * whole scan, properties (strings) with title, action, container and source.
 * Result mapping:
 *   healthy                                   -> pass
 *   unhealthy and admission would deny it     -> fail
 *   unhealthy, scored recommendation          -> fail (it lowers the secure score)
 *   unhealthy, not scored (custom, preview)   -> warn (the CRD's "non-scored
 *                                                policies whose requirements
 *                                                were not met")
 *   exempt, not applicable                    -> skip
 * `error` is never produced: an object that cannot be evaluated fails the scan
 * (exit 2) instead. Objects in excluded namespaces have no results.
 */
#include <string.h>
#include <time.h>

#include "scan.h"

#define REPORT_NAME "scoregate-scan"

static const char *result_of(const sg_rec_info *rec, const sg_finding *f, bool denied)
{
    switch (f->status) {
    case SG_STATUS_HEALTHY: return "pass";
    case SG_STATUS_UNHEALTHY: return denied || rec->scored ? "fail" : "warn";
    case SG_STATUS_EXEMPT:
    case SG_STATUS_NOT_APPLICABLE: return "skip";
    }
    return "error";
}

static json_t *new_report(const char *ns)
{
    json_t *meta = json_pack("{s:s,s:{s:s}}", "name", REPORT_NAME, "labels", "app.kubernetes.io/managed-by",
                             "scoregate");
    if (ns)
        json_object_set_new(meta, "namespace", json_string(ns));
    return json_pack("{s:s,s:s,s:o,s:{s:i,s:i,s:i,s:i,s:i},s:[]}", "apiVersion", "wgpolicyk8s.io/v1alpha2", "kind",
                     ns ? "PolicyReport" : "ClusterPolicyReport", "metadata", meta, "summary", "pass", 0, "fail", 0,
                     "warn", 0, "error", 0, "skip", 0, "results");
}

static json_t *result_json(const scan_report *r, const scan_item *it, size_t k, const struct timespec *now,
                           const char **result)
{
    const sg_eval *ev = &it->eval;
    const sg_finding *f = &ev->findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    *result = result_of(rec, f, it->denied[k]);
    json_t *res = json_pack("{s:s,s:s}", "apiVersion", ev->api_version, "kind", ev->kind);
    if (ev->namespace_)
        json_object_set_new(res, "namespace", json_string(ev->namespace_));
    if (ev->name)
        json_object_set_new(res, "name", json_string(ev->name));
    json_t *props = json_pack("{s:s,s:s}", "title", rec->title, "action",
                              it->denied[k] ? "deny" : sg_action_name(f->action));
    if (f->container)
        json_object_set_new(props, "container", json_string(f->container));
    json_object_set_new(props, "source", json_sprintf("%s:%d", it->manifest->file, it->manifest->line));
    json_object_set_new(props, "remediation", json_string(rec->remediation));
    if (f->exemption) {
        json_object_set_new(props, "exemption", json_string(f->exemption));
        json_object_set_new(props, "exemptionCategory",
                            json_string(sg_exemption_category_name(f->exemption_category)));
    }
    const char *msg = f->message && *f->message ? f->message : rec->title;
    return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:[o],s:{s:I,s:i},s:s,s:o}", "policy", rec->standard, "rule",
                     rec->id, "result", *result, "scored", rec->scored, "severity", sg_severity_name(rec->severity),
                     "category", rec->control, "message", msg, "resources", res, "timestamp", "seconds",
                     (json_int_t)now->tv_sec, "nanos", (int)now->tv_nsec, "source", "scoregate", "properties", props);
}

int scan_write_policyreport(const scan_report *r, FILE *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_t *cluster = NULL;
    json_t *by_ns = json_object();   /* namespace -> report; jansson keeps insertion order */
    for (size_t i = 0; i < r->count; i++) {
        const scan_item *it = &r->items[i];
        const char *ns = it->eval.namespace_;
        for (size_t k = 0; k < it->eval.count; k++) {
            json_t *report = ns ? json_object_get(by_ns, ns) : cluster;
            if (!report) {
                report = new_report(ns);
                if (ns)
                    json_object_set_new(by_ns, ns, report);
                else
                    cluster = report;
            }
            const char *result;
            json_array_append_new(json_object_get(report, "results"), result_json(r, it, k, &now, &result));
            json_t *summary = json_object_get(report, "summary");
            json_t *n = json_object_get(summary, result);
            json_integer_set(n, json_integer_value(n) + 1);
        }
    }
    json_t *items = json_array();
    if (cluster)
        json_array_append_new(items, cluster);
    const char *key;
    json_t *value;
    json_object_foreach(by_ns, key, value)
        json_array_append(items, value);
    json_decref(by_ns);
    json_t *doc = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "List", "items", items);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
    return rc < 0 || ferror(out) ? -1 : 0;
}
