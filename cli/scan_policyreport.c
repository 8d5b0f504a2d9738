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
 * An object the score gate denies has one more result: policy "scoregate",
 * rule "score-gate", fail, with the gate's message.
 * Files a directory scan skipped and inputs that could not be read or judged
 * (the scan then exits 2) are the results (skip, error) of policy
 * "scoregate", rule "inputs", in one more ClusterPolicyReport,
 * "scoregate-scan-inputs". Objects in excluded namespaces have no results.
 * The mapping and the shape of a result are policy/src/report.c's, shared
 * with the reports `serve` keeps in the cluster.
 * Reports are written one result at a time (memory stays flat on large
 * scans); each report's summary follows its results.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"

#define REPORT_NAME "scoregate-scan"

static json_t *result_json(const scan_report *r, const scan_item *it, size_t k, const struct timespec *now,
                           const char **result)
{
    const scan_eval *ev = &it->eval;
    const scan_finding *f = &ev->findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    *result = sg_policyreport_result(rec, f->status, it->denials[k]);
    json_t *props = json_pack("{s:s,s:s}", "title", rec->title, "action",
                              it->denials[k] ? "deny" : sg_action_name(f->action));
    if (f->container)
        json_object_set_new(props, "container", json_string(f->container));
    json_t *file = scan_json_text(it->source.file);
    json_object_set_new(props, "source", json_sprintf("%s:%d", json_string_value(file), it->source.line));
    json_decref(file);
    json_object_set_new(props, "remediation", json_string(rec->remediation));
    if (f->exemption) {
        json_object_set_new(props, "exemption", json_string(f->exemption));
        json_object_set_new(props, "exemptionCategory",
                            json_string(sg_exemption_category_name(f->exemption_category)));
    }
    char note[320];
    if (scan_expired_note(f, note, sizeof note)) {
        json_object_set_new(props, "expiredExemption", json_string(f->expired_exemption));
        json_object_set_new(props, "exemptionExpired", json_string(note));
    }
    json_t *res = sg_policyreport_resource(ev->api_version, ev->kind, ev->namespace_, ev->name, NULL);
    return sg_policyreport_result_json(rec, *result, f->message, res, now, props);
}

/* The score gate's denial of an object, as a failed result of its own. */
static json_t *gate_result_json(const scan_item *it, const struct timespec *now)
{
    const scan_eval *ev = &it->eval;
    json_t *res = sg_policyreport_resource(ev->api_version, ev->kind, ev->namespace_, ev->name, NULL);
    json_t *file = scan_json_text(it->source.file);
    json_t *props = json_pack("{s:s,s:s,s:s,s:o}", "title", SCAN_GATE_TITLE, "action", "deny", "remediation",
                              SCAN_GATE_REMEDIATION, "source",
                              json_sprintf("%s:%d", json_string_value(file), it->source.line));
    json_decref(file);
    return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:[o],s:{s:I,s:i},s:s,s:o}", "policy", "scoregate", "rule",
                     SCAN_GATE_ID, "result", "fail", "scored", false, "severity", "high", "category", SCAN_GATE_ID,
                     "message", it->gate.message, "resources", res, "timestamp", "seconds", (json_int_t)now->tv_sec,
                     "nanos", (int)now->tv_nsec, "source", "scoregate", "properties", props);
}

/* The report group of each item with findings: 0 for cluster-scoped objects,
 * then one per namespace in order of first appearance; -1 for no findings.
 * Returns the number of groups (group 0 counts even when empty). */
static size_t group_items(const scan_report *r, long *group)
{
    json_t *ids = json_object();   /* namespace -> group */
    size_t ngroups = 1;
    for (size_t i = 0; i < r->count; i++) {
        const scan_item *it = scan_item_get(r, i);
        const scan_eval *ev = &it->eval;
        group[i] = -1;
        if (ev->count == 0 && !it->gate.denied)
            continue;
        if (!ev->namespace_) {
            group[i] = 0;
            continue;
        }
        json_t *id = json_object_get(ids, ev->namespace_);
        if (!id) {
            id = json_integer((json_int_t)ngroups++);
            json_object_set_new(ids, ev->namespace_, id);
        }
        group[i] = (long)json_integer_value(id);
    }
    json_decref(ids);
    return ngroups;
}

/* One report over items[idx[0..n-1]]: its results streamed, then the summary that counts them. */
static int write_report(FILE *out, const scan_report *r, const size_t *idx, size_t n, const struct timespec *now,
                        bool first)
{
    const char *ns = scan_item_get(r, idx[0])->eval.namespace_;   /* used before the next scan_item_get */
    json_t *report = sg_policyreport_new(ns, REPORT_NAME);
    fprintf(out, "%s    {\n      \"apiVersion\": \"%s\",\n      \"kind\": \"%s\",\n      \"metadata\": ",
            first ? "" : ",\n", SG_POLICYREPORT_API, json_string_value(json_object_get(report, "kind")));
    json_t *meta = json_incref(json_object_get(report, "metadata"));
    json_decref(report);
    int rc = scan_json_put(out, meta, 3);
    fputs(",\n      \"results\": [", out);
    size_t pass = 0, fail = 0, warn = 0, skip = 0;
    const char *sep = "\n        ";
    for (size_t j = 0; j < n && rc == 0; j++) {
        const scan_item *it = scan_item_get(r, idx[j]);
        for (size_t k = 0; k < it->eval.count && rc == 0; k++) {
            const char *result;
            json_t *res = result_json(r, it, k, now, &result);
            pass += !strcmp(result, "pass");
            fail += !strcmp(result, "fail");
            warn += !strcmp(result, "warn");
            skip += !strcmp(result, "skip");
            fputs(sep, out);
            sep = ",\n        ";
            rc |= scan_json_put(out, res, 4);
        }
        if (it->gate.denied && rc == 0) {
            fail++;
            fputs(sep, out);
            sep = ",\n        ";
            rc |= scan_json_put(out, gate_result_json(it, now), 4);
        }
    }
    fprintf(out, "%s],\n      \"summary\": {\"pass\": %zu, \"fail\": %zu, \"warn\": %zu, \"error\": 0, \"skip\": %zu}\n"
                 "    }",
            *sep == ',' ? "\n      " : "", pass, fail, warn, skip);
    return rc;
}

/* A skipped file (skip) or an input error (error) as a result of policy "scoregate", rule "inputs". */
static json_t *input_result_json(const scan_note *n, bool error, const struct timespec *now)
{
    json_t *file = scan_json_text(n->file);
    json_t *props = json_pack("{s:o}", "source", n->line ? json_sprintf("%s:%d", json_string_value(file), n->line)
                                                         : json_incref(file));
    json_t *msg = scan_json_text(n->message);
    json_t *res = json_pack("{s:s,s:s,s:s,s:b,s:s,s:o,s:{s:I,s:i},s:s,s:o}", "policy", "scoregate", "rule", "inputs",
                            "result", error ? "error" : "skip", "scored", false, "category", "inputs", "message",
                            json_sprintf("%s: %s", json_string_value(file), json_string_value(msg)), "timestamp",
                            "seconds", (json_int_t)now->tv_sec, "nanos", (int)now->tv_nsec, "source", "scoregate",
                            "properties", props);
    json_decref(msg);
    json_decref(file);
    return res;
}

/* The inputs a scan skipped or could not read, as a ClusterPolicyReport of their own
 * ("scoregate-scan-inputs"; none when every input was read). */
static int write_inputs_report(FILE *out, const scan_report *r, const struct timespec *now, bool first)
{
    if (!r->nskipped && !r->nerrors)
        return 0;
    json_t *report = sg_policyreport_new(NULL, REPORT_NAME "-inputs");
    fprintf(out, "%s    {\n      \"apiVersion\": \"%s\",\n      \"kind\": \"ClusterPolicyReport\",\n"
                 "      \"metadata\": ", first ? "\n" : ",\n", SG_POLICYREPORT_API);
    int rc = scan_json_put(out, json_incref(json_object_get(report, "metadata")), 3);
    json_decref(report);
    fputs(",\n      \"results\": [", out);
    for (size_t i = 0; i < r->nerrors + r->nskipped && rc == 0; i++) {
        bool error = i < r->nerrors;
        fputs(i ? ",\n        " : "\n        ", out);
        rc |= scan_json_put(out, input_result_json(error ? &r->errors[i] : &r->skipped[i - r->nerrors], error, now), 4);
    }
    fprintf(out, "\n      ],\n      \"summary\": {\"pass\": 0, \"fail\": 0, \"warn\": 0, \"error\": %zu, \"skip\": %zu}\n    }",
            r->nerrors, r->nskipped);
    return rc;
}

int scan_write_policyreport(const scan_report *r, FILE *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long *group = sg_malloc((r->count + 1) * sizeof *group);
    size_t ngroups = group_items(r, group);
    /* Counting sort of the items by group, keeping input order within a group. */
    size_t *start = sg_calloc(ngroups + 1, sizeof *start), *idx = sg_calloc(r->count, sizeof *idx);
    for (size_t i = 0; i < r->count; i++)
        if (group[i] >= 0)
            start[group[i] + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        start[g + 1] += start[g];
    size_t *fill = sg_calloc(ngroups + 1, sizeof *fill);
    for (size_t i = 0; i < r->count; i++)
        if (group[i] >= 0)
            idx[start[group[i]] + fill[group[i]]++] = i;
    fputs("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [", out);
    int rc = 0;
    bool first = true;
    for (size_t g = 0; g < ngroups && rc == 0; g++) {
        if (start[g + 1] == start[g])
            continue;
        if (first)
            fputc('\n', out);
        rc = write_report(out, r, idx + start[g], start[g + 1] - start[g], &now, first);
        first = false;
    }
    if (rc == 0)
        rc = write_inputs_report(out, r, &now, first);
    first = first && !r->nskipped && !r->nerrors;
    fputs(first ? "]\n}\n" : "\n  ]\n}\n", out);
    free(fill);
    free(idx);
    free(start);
    free(group);
    return rc < 0 || ferror(out) ? -1 : 0;
}
