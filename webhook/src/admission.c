/*
 * admission.c - AdmissionReview admission.k8s.io/v1 in and out.
 *
 * The body is parsed once (sg_json_read of the doc module, into a jansson
 * tree) and every field the decision reads is checked here, so the rest of
 * the module works on a typed wh_request; a malformed or incomplete review is rejected with a
 * message naming the field (HTTP 400). The response is built as one JSON
 * tree and serialised once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/doc.h>

#include "internal.h"

#define API_VERSION "admission.k8s.io/v1"

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* An optional string member: "" when absent or null; -1 when of another type. */
static int opt_string(const json_t *obj, const char *key, const char **out, const char *where, char *err,
                      size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = "";
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "malformed AdmissionReview: %s.%s must be a string", where, key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* An optional object member: NULL when absent or null; -1 when of another type. */
static int opt_object(json_t *obj, const char *key, json_t **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(err, errlen, "malformed AdmissionReview: request.%s must be an object or null", key);
        return -1;
    }
    *out = v;
    return 0;
}

static int decode(wh_request *r, char *err, size_t errlen)
{
    json_t *root = r->root;
    if (!json_is_object(root))
        return fail(err, errlen, "malformed AdmissionReview: the body must be a JSON object%s", "");
    const char *api, *kind;
    if (opt_string(root, "apiVersion", &api, "review", err, errlen) < 0 ||
        opt_string(root, "kind", &kind, "review", err, errlen) < 0)
        return -1;
    if (strcmp(kind, "AdmissionReview"))
        return fail(err, errlen, "not an AdmissionReview: kind is '%s'", kind);
    if (strcmp(api, API_VERSION)) {
        snprintf(err, errlen,
                 "unsupported AdmissionReview apiVersion '%.100s': scoregate speaks " API_VERSION
                 " only (set admissionReviewVersions: [v1] in the webhook configuration)", api);
        return -1;
    }
    json_t *req = json_object_get(root, "request");
    if (!json_is_object(req))
        return fail(err, errlen, "malformed AdmissionReview: request is missing or not an object%s", "");
    if (opt_string(req, "uid", &r->uid, "request", err, errlen) < 0)
        return -1;
    if (!*r->uid)
        return fail(err, errlen, "malformed AdmissionReview: request.uid is missing or empty%s", "");
    const char *op;
    if (opt_string(req, "operation", &op, "request", err, errlen) < 0)
        return -1;
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    size_t i;
    for (i = 0; i < 4 && strcmp(op, ops[i]); i++)
        ;
    if (i == 4)
        return fail(err, errlen,
                    "malformed AdmissionReview: request.operation '%.64s' is not CREATE, UPDATE, DELETE or CONNECT",
                    op);
    r->operation = (wh_operation)i;
    r->operation_name = ops[i];
    json_t *k = json_object_get(req, "kind");
    if (!json_is_object(k))
        return fail(err, errlen, "malformed AdmissionReview: request.kind is missing or not an object%s", "");
    if (opt_string(k, "group", &r->group, "request.kind", err, errlen) < 0 ||
        opt_string(k, "version", &r->version, "request.kind", err, errlen) < 0 ||
        opt_string(k, "kind", &r->kind, "request.kind", err, errlen) < 0)
        return -1;
    if (!*r->kind || !*r->version)
        return fail(err, errlen, "malformed AdmissionReview: request.kind needs version and kind%s", "");
    if (opt_string(req, "subResource", &r->subresource, "request", err, errlen) < 0 ||
        opt_string(req, "namespace", &r->namespace_, "request", err, errlen) < 0 ||
        opt_string(req, "name", &r->name, "request", err, errlen) < 0 ||
        opt_object(req, "object", &r->object, err, errlen) < 0 ||
        opt_object(req, "oldObject", &r->old_object, err, errlen) < 0)
        return -1;
    json_t *dry = json_object_get(req, "dryRun");
    if (dry && !json_is_null(dry) && !json_is_boolean(dry))
        return fail(err, errlen, "malformed AdmissionReview: request.dryRun must be a boolean%s", "");
    r->dry_run = json_is_true(dry);
    if (r->operation == WH_CREATE && !r->object)
        return fail(err, errlen, "incomplete AdmissionReview: a CREATE request needs request.object%s", "");
    if (r->operation == WH_UPDATE && (!r->object || !r->old_object))
        return fail(err, errlen,
                    "incomplete AdmissionReview: an UPDATE request needs request.object and request.oldObject%s", "");
    return 0;
}

/* The API server's bookkeeping of who set which field: often half of an
 * object's bytes, and read by nothing of scoregate's (kube/src/sanitize.c
 * drops it from listed objects too), so it is checked but not built unless a
 * recommendation may see it (sg_policy_reads_managed_fields). */
static const char *const managed_object[] = {"request", "object", "metadata", "managedFields", NULL};
static const char *const managed_old[] = {"request", "oldObject", "metadata", "managedFields", NULL};
static const char *const *const managed_fields[] = {managed_object, managed_old, NULL};

int wh_request_decode(const char *body, size_t len, bool skip_managed_fields, wh_request *r, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    char why[160];
    int line, column;
    r->root = sg_json_read_skip(body, len, skip_managed_fields ? managed_fields : NULL, &line, &column, why,
                                sizeof why);
    if (!r->root) {
        snprintf(err, errlen, "malformed AdmissionReview: invalid JSON at line %d, column %d: %s", line, column, why);
        return -1;
    }
    if (decode(r, err, errlen) < 0) {
        wh_request_free(r);
        return -1;
    }
    return 0;
}

void wh_request_free(wh_request *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

void wh_result_free(wh_result *res)
{
    free(res->message);
    free(res->failed);
    json_decref(res->warnings);
    json_decref(res->patch);
    json_decref(res->expired);
    memset(res, 0, sizeof *res);
}

json_t *wh_text(const char *s)
{
    char *owned;
    json_t *v = json_string_nocheck(sg_utf8_clean(s, &owned));
    free(owned);
    return v;
}

static bool set(json_t *obj, const char *key, json_t *value)
{
    return value && !json_object_set_new(obj, key, value);
}

static json_t *response_tree(const wh_request *r, const wh_result *res)
{
    json_t *resp = json_object(), *annotations = json_object();
    bool ok = resp && annotations && set(resp, "uid", json_string(r->uid)) &&
              set(resp, "allowed", json_boolean(res->allowed));
    if (ok && !res->allowed) {
        json_t *status = json_object();
        ok = status && set(status, "code", json_integer(res->code)) &&
             set(status, "reason", json_string(res->code == 403 ? "Forbidden" : "BadRequest")) &&
             set(status, "message", wh_text(res->message ? res->message : "denied")) &&
             set(resp, "status", json_incref(status));
        json_decref(status);
    }
    if (ok && res->warnings && json_array_size(res->warnings))
        ok = set(resp, "warnings", json_incref(res->warnings));
    if (ok && res->patch && json_array_size(res->patch) && res->allowed) {
        char *text = sg_json_dumps(res->patch, JSON_COMPACT, NULL);
        char *b64 = text ? sg_base64_encode(text, strlen(text), NULL) : NULL;   /* ASCII: no UTF-8 check */
        ok = b64 && set(resp, "patchType", json_string("JSONPatch")) && set(resp, "patch", json_string_nocheck(b64));
        free(text);
        free(b64);
    }
    ok = ok && set(annotations, "score-before", json_string(res->score_before)) &&
         set(annotations, "score-after", json_string(res->score_after)) &&
         set(annotations, "score-delta", json_string(res->score_delta)) &&
         set(annotations, "failed-recommendations", json_string(res->failed ? res->failed : "")) &&
         set(resp, "auditAnnotations", json_incref(annotations));
    json_decref(annotations);
    json_t *review = json_object();
    ok = ok && review && set(review, "apiVersion", json_string(API_VERSION)) &&
         set(review, "kind", json_string("AdmissionReview")) && set(review, "response", json_incref(resp));
    json_decref(resp);
    if (!ok) {
        json_decref(review);
        return NULL;
    }
    return review;
}

char *wh_response_encode(const wh_request *r, const wh_result *res, size_t *len)
{
    json_t *review = response_tree(r, res);
    if (!review)
        return NULL;
    char *text = sg_json_dumps(review, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL);
    json_decref(review);
    if (text)
        *len = strlen(text);
    return text;
}

static const char *reason_of(unsigned code)
{
    switch (code) {
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 503: return "ServiceUnavailable";
    default: return "InternalError";
    }
}

char *wh_error_body(unsigned code, const char *message, size_t *len)
{
    json_t *o = json_object();
    char *text = NULL;
    if (o && set(o, "kind", json_string("Status")) && set(o, "apiVersion", json_string("v1")) &&
        set(o, "status", json_string("Failure")) && set(o, "code", json_integer(code)) &&
        set(o, "reason", json_string(reason_of(code))) &&
        set(o, "message", wh_text(message)))
        text = sg_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL);
    json_decref(o);
    if (text)
        *len = strlen(text);
    return text;
}
