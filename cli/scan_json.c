/*
 * scan_json.c - `scan -f json`: the report in the shape docs/scan.md documents.
 */
#include "scan.h"

json_t *scan_finding_json(const scan_report *r, const sg_finding *f)
{
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "recommendation", rec->id, "standard",
                          rec->standard, "title", rec->title, "severity", sg_severity_name(rec->severity),
                          "control", rec->control, "status", sg_status_name(f->status), "action",
                          sg_action_name(f->action), "preview", rec->preview, "builtin", rec->builtin);
    json_object_set_new(o, "container", f->container ? json_string(f->container) : json_null());
    json_object_set_new(o, "message", json_string(f->message ? f->message : ""));
    json_object_set_new(o, "remediation", json_string(rec->remediation));
    if (f->exemption) {
        json_object_set_new(o, "exemption", json_string(f->exemption));
        json_object_set_new(o, "exemptionCategory", json_string(sg_exemption_category_name(f->exemption_category)));
    }
    if (f->exemption_expired) {
        json_object_set_new(o, "exemptionExpired", json_true());
        json_object_set_new(o, "expiredExemption", json_string(f->expired_exemption));
    }
    if (f->exemption_expires) {
        char when[32];
        scan_time_text(f->exemption_expires, when, sizeof when);
        json_object_set_new(o, "exemptionExpires", json_string(when));
    }
    return o;
}

/* The score gate's verdict: null when it let the object pass. */
static json_t *gate_json(const sg_admission *a)
{
    if (!a->gate.denied)
        return json_null();
    const sg_score *before = &a->prediction.before, *after = &a->prediction.after;
    return json_pack("{s:f,s:o,s:o,s:s}", a->gate.by_max_drop ? "maxDrop" : "minScore", a->gate.limit, "before",
                     before->has_percent ? json_real(before->percent) : json_null(), "after",
                     after->has_percent ? json_real(after->percent) : json_null(), "message", a->gate.message);
}

/* The decision the webhook would answer for the object (docs/architecture.md): allowed,
 * why not, the score gate, the enforce patch the cluster applies (null when
 * none is applied), and the predicted score change. */
static json_t *decision_json(const scan_report *r, const scan_item *it)
{
    const sg_admission *a = &it->adm;
    json_t *reasons = json_array();
    for (size_t k = 0; k < a->eval.count; k++) {
        if (!a->denials[k])
            continue;
        const sg_finding *f = &a->eval.findings[k];
        json_t *reason = json_pack("{s:s,s:s,s:s}", "recommendation", sg_policy_rec(r->policy, f->rec)->id, "message",
                                   f->message ? f->message : "", "why", sg_denial_text(a->denials[k]));
        json_object_set_new(reason, "container", f->container ? json_string(f->container) : json_null());
        json_array_append_new(reasons, reason);
    }
    const json_t *patch = sg_admission_patch(a);
    return json_pack("{s:b,s:o,s:o,s:O,s:o}", "allowed", a->allowed, "reasons", reasons, "gate", gate_json(a),
                     "patch", patch ? patch : json_null(), "prediction", sg_score_prediction_to_json(&a->prediction));
}

static json_t *resource_json(const scan_report *r, const scan_item *it)
{
    const sg_eval *ev = &it->adm.eval;
    json_t *o = json_pack("{s:s,s:s}", "apiVersion", ev->api_version, "kind", ev->kind);
    json_object_set_new(o, "namespace", ev->namespace_ ? json_string(ev->namespace_) : json_null());
    json_object_set_new(o, "name", ev->name ? json_string(ev->name) : json_null());
    json_object_set_new(o, "source", json_pack("{s:o,s:i,s:i}", "file", scan_json_text(it->manifest->file),
                                               "document", it->manifest->document, "line", it->manifest->line));
    json_t *findings = json_array();
    for (size_t i = 0; i < ev->count; i++)
        json_array_append_new(findings, scan_finding_json(r, &ev->findings[i]));
    json_object_set_new(o, "findings", findings);
    json_object_set_new(o, "decision", decision_json(r, it));
    return o;
}

/* Streamed one resource at a time: a report of 10 000 objects never exists
 * in memory as one JSON tree. The output is what one json_dumps would give. */
int scan_write_json(const scan_report *r, FILE *out)
{
    int rc = 0;
    fputs("{\n", out);
    if (r->score) {
        fputs("  \"score\": ", out);
        rc |= scan_json_put(out, json_incref(r->score), 1);
        fputs(",\n", out);
    }
    if (r->prediction) {
        fputs("  \"prediction\": ", out);
        rc |= scan_json_put(out, json_incref(r->prediction), 1);
        fputs(",\n", out);
    }
    fputs("  \"resources\": [", out);
    for (size_t i = 0; i < r->count; i++) {
        fputs(i ? ",\n    " : "\n    ", out);
        rc |= scan_json_put(out, resource_json(r, &r->items[i]), 2);
    }
    fputs(r->count ? "\n  ],\n  \"skipped\": " : "],\n  \"skipped\": ", out);
    rc |= scan_json_put(out, scan_notes_json(r->skipped, r->nskipped, "reason"), 1);
    fputs(",\n  \"errors\": ", out);
    rc |= scan_json_put(out, scan_notes_json(r->errors, r->nerrors, "message"), 1);
    fputs("\n}\n", out);
    return rc || ferror(out) ? -1 : 0;
}
