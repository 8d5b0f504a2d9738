/*
 * patch.c - one JSON Patch (RFC 6902) of one object, as `scoregate fix
 * --apply` sends it: PATCH with Content-Type application/json-patch+json,
 * optionally as a server-side dry run (dryRun=All: admission and validation
 * run, nothing is stored). The API server's refusal comes back as its Status
 * (code, reason, message, whether it names fields), for the caller to tell a
 * conflict from an invalid object or missing RBAC; nothing is retried here.
 *
 * Requests reuse request.c's transfer (TLS, token, limits); this file adds
 * the method, the body and the Status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PATCH_TIMEOUT 30

/* The Status the API server answered with, or what the answer was when it is none. */
static void kb_read_status(kb_transfer *t, long code, sg_kube_status *st)
{
    memset(st, 0, sizeof *st);
    st->code = code;
    json_t *body = t->body.len ? json_loadb(t->body.data, t->body.len, 0, NULL) : NULL;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *message = json_string_value(json_object_get(body, "message"));
    snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
    if (message)
        snprintf(st->message, sizeof st->message, "%s", message);
    else
        snprintf(st->message, sizeof st->message, "HTTP %ld from the API server", code);
    st->causes = json_array_size(json_object_get(json_object_get(body, "details"), "causes")) > 0;
    json_decref(body);
}

int sg_kube_patch(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name,
                  const json_t *patch, bool dry_run, json_t **out, sg_kube_status *st, char *err, size_t errlen)
{
    *out = NULL;
    memset(st, 0, sizeof *st);
    char url[4096], what[512];
    snprintf(what, sizeof what, "patch %s %s/%s", r->resource, ns ? ns : "", name ? name : "");
    if (!ns || !*ns || !name || !*name || !json_is_array(patch) || kb_object_path(r, ns, name, url, sizeof url) < 0 ||
        (dry_run && kb_query_add(url, sizeof url, "dryRun", "All") < 0))
        return sg_err(err, errlen, "%s: a namespace, a name and a JSON Patch (an array) are required", what);
    kb_transfer t;
    if (kb_transfer_init(&t, c, url, NULL, PATCH_TIMEOUT, NULL, NULL, err, errlen) < 0)
        return -1;
    char *body = sg_check_alloc(sg_json_dumps(patch, JSON_COMPACT, NULL));
    kb_transfer_method(&t, "PATCH", "application/json-patch+json", body);
    CURLcode rc = curl_easy_perform(t.easy);
    long code = rc == CURLE_OK ? kb_transfer_status(&t) : 0;
    int result = 0;
    if (code >= 200 && code < 300) {
        *out = json_loadb(t.body.data ? t.body.data : "", t.body.len, 0, NULL);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            result = sg_err(err, errlen, "%s: the API server answered %ld without the object", what, code);
        } else {
            kb_object_clean(r, *out);
        }
    } else if (code) {
        kb_read_status(&t, code, st);
        result = 1;
    } else {
        kb_transfer_error(&t, rc, what, err, errlen);
        result = -1;
    }
    kb_transfer_cleanup(&t);
    free(body);
    return result;
}
