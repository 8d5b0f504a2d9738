/*
 * scan_json.c - `scan -f json`: the report in the shape docs/scan.md documents.
 */
#include "scan.h"

json_t *scan_finding_json(const scan_report *r, const scan_finding *f)
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

static json_t *real_or_null(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

/* The score gate's verdict: null when it let the object pass. */
static json_t *gate_json(const scan_item *it)
{
    if (!it->gate.denied)
        return json_null();
    return json_pack("{s:f,s:o,s:o,s:s}", it->gate.by_max_drop ? "maxDrop" : "minScore", it->gate.limit, "before",
                     real_or_null(it->prediction.has_before, it->prediction.before), "after",
                     real_or_null(it->prediction.has_after, it->prediction.after), "message", it->gate.message);
}

/* The object's predicted score change, as sg_score_prediction_to_json() writes it. */
static json_t *prediction_json(const scan_item *it)
{
    json_t *controls = json_array();
    for (size_t i = 0; i < it->prediction.nchanges; i++) {
        const scan_change *c = &it->prediction.changes[i];
        json_array_append_new(controls, json_pack("{s:s,s:f,s:f}", "id", c->id, "before", c->before, "after",
                                                  c->after));
    }
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "before", real_or_null(it->prediction.has_before, it->prediction.before),
                     "after", real_or_null(it->prediction.has_after, it->prediction.after), "delta",
                     real_or_null(it->prediction.has_delta, it->prediction.delta), "exactDelta",
                     real_or_null(it->prediction.has_delta, it->prediction.exact_delta), "controls", controls);
}

/* The decision the webhook would answer for the object (docs/architecture.md): allowed,
 * why not, the score gate, the enforce patch the cluster applies (null when
 * none is applied, kept as text in the record), and the predicted score change. */
static json_t *decision_json(const scan_report *r, const scan_item *it)
{
    json_t *reasons = json_array();
    for (size_t k = 0; k < it->eval.count; k++) {
        if (!it->denials[k])
            continue;
        const scan_finding *f = &it->eval.findings[k];
        json_t *reason = json_pack("{s:s,s:s,s:s}", "recommendation", sg_policy_rec(r->policy, f->rec)->id, "message",
                                   f->message ? f->message : "", "why", sg_denial_text(it->denials[k]));
        json_object_set_new(reason, "container", f->container ? json_string(f->container) : json_null());
        json_array_append_new(reasons, reason);
    }
    json_t *patch = it->patch ? json_loads(it->patch, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : json_null();
    return json_pack("{s:b,s:o,s:o,s:o,s:o}", "allowed", it->allowed, "reasons", reasons, "gate", gate_json(it),
                     "patch", patch, "prediction", prediction_json(it));
}

static json_t *resource_json(const scan_report *r, const scan_item *it)
{
    const scan_eval *ev = &it->eval;
    json_t *o = json_pack("{s:s,s:s}", "apiVersion", ev->api_version, "kind", ev->kind);
    json_object_set_new(o, "namespace", ev->namespace_ ? json_string(ev->namespace_) : json_null());
    json_object_set_new(o, "name", ev->name ? json_string(ev->name) : json_null());
    json_object_set_new(o, "source", json_pack("{s:o,s:i,s:i}", "file", scan_json_text(it->source.file),
                                               "document", it->source.document, "line", it->source.line));
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
        rc |= scan_json_put(out, resource_json(r, scan_item_get(r, i)), 2);
    }
    fputs(r->count ? "\n  ],\n  \"skipped\": " : "],\n  \"skipped\": ", out);
    rc |= scan_json_put(out, scan_notes_json(r->skipped, r->nskipped, "reason"), 1);
    fputs(",\n  \"errors\": ", out);
    rc |= scan_json_put(out, scan_notes_json(r->errors, r->nerrors, "message"), 1);
    fputs("\n}\n", out);
    return rc || ferror(out) ? -1 : 0;
}
