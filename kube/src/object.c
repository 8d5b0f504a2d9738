/*
 * object.c - one object (namespaced or cluster-scoped): GET, POST (create) and PUT (replace),
 * and the read-modify-write loop every Kubernetes controller uses to write
 * without losing someone else's change: the PUT carries the resourceVersion
 * that was read, the API server answers 409 Conflict when the object changed
 * since, and the writer reads it again and builds its change anew.
 *
 * Requests reuse request.c's transfer (TLS, token, limits); this file only
 * adds the method, the JSON body and the errors of single-object calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define OBJECT_TIMEOUT 30
#define WRITE_ATTEMPTS 5

int kb_object_path(const sg_kube_resource *r, const char *ns, const char *name, char *buf, size_t len)
{
    char prefix[512], scope[600] = "";
    int n = *r->group ? snprintf(prefix, sizeof prefix, "/apis/%s/%s", r->group, r->version)
                      : snprintf(prefix, sizeof prefix, "/api/%s", r->version);
    if (n < 0 || (size_t)n >= sizeof prefix)
        return -1;
    if (ns) {   /* NULL: a cluster-scoped object */
        char *ens = sg_check_alloc(curl_easy_escape(NULL, ns, 0));
        n = snprintf(scope, sizeof scope, "/namespaces/%s", ens);
        curl_free(ens);
        if (n < 0 || (size_t)n >= sizeof scope)
            return -1;
    }
    char *ename = name ? sg_check_alloc(curl_easy_escape(NULL, name, 0)) : NULL;
    n = snprintf(buf, len, "%s%s/%s%s%s", prefix, scope, r->resource, name ? "/" : "", name ? ename : "");
    curl_free(ename);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* "ns/name", or "name" for a cluster-scoped object (ns NULL). */
static const char *shown_name(const char *ns, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", ns ? ns : "", ns ? "/" : "", name);
    return buf;
}

/*
 * Whether a 404's body is the Status of a missing object (details.name set,
 * as the registry answers) rather than of a path the API server does not
 * serve ("the server could not find the requested resource", no details):
 * the answer for a custom resource whose CRD is not installed.
 */
static bool names_object(const kb_transfer *t)
{
    json_t *st = t->body.len ? json_loadb(t->body.data, t->body.len, 0, NULL) : NULL;
    bool named = json_is_string(json_object_get(json_object_get(st, "details"), "name"));
    json_decref(st);
    return named;
}

/* What a failed call means for a person; 403 names the verb the RBAC lacks. */
static void describe(kb_transfer *t, CURLcode rc, const char *verb, const sg_kube_resource *r, const char *ns,
                     const char *name, char *err, size_t errlen)
{
    char what[512], full[400];
    snprintf(what, sizeof what, "%s %s %s", verb, r->resource, shown_name(ns, name, full, sizeof full));
    if (rc == CURLE_OK && kb_transfer_status(t) == 403) {
        const char *msg = "";
        json_t *st = t->body.len ? json_loadb(t->body.data, t->body.len, 0, NULL) : NULL;
        if (json_is_string(json_object_get(st, "message")))
            msg = json_string_value(json_object_get(st, "message"));
        snprintf(err, errlen, "%s: 403 Forbidden: %s; the service account needs RBAC verb '%s' on it",
                 what, *msg ? msg : "RBAC denies it", verb);
        json_decref(st);
        return;
    }
    kb_transfer_error(t, rc, what, err, errlen);
}

/* What call() returns for a 404 of an optional resource whose path is not served (names_object). */
#define NOT_SERVED_STATUS 1404

/*
 * One request: `method` on the object's path (name NULL: the collection;
 * ns NULL: cluster-scoped), with `body` as JSON. Returns the HTTP status (0
 * when none came; NOT_SERVED_STATUS) and, on 2xx, the parsed answer in *out.
 */
static long call(sg_kube_config *c, const char *method, const sg_kube_resource *r, const char *ns, const char *name,
                 const json_t *body, json_t **out, const char *verb, const char *shown, char *err, size_t errlen)
{
    char path[2048], full[400];
    *out = NULL;
    if ((ns && !*ns) || (name && !*name) || kb_object_path(r, ns, name, path, sizeof path) < 0) {
        snprintf(err, errlen, "%s %s: a namespace (or none, cluster-scoped) and a name are required", verb,
                 r->resource);
        return 0;
    }
    kb_transfer t;
    if (kb_transfer_init(&t, c, path, KB_ACCEPT_JSON, OBJECT_TIMEOUT, NULL, NULL, err, errlen) < 0)
        return 0;
    char *text = body ? sg_check_alloc(sg_json_dumps(body, JSON_COMPACT, NULL)) : NULL;
    kb_transfer_method(&t, method, "application/json", text);
    CURLcode rc = curl_easy_perform(t.easy);
    long status = rc == CURLE_OK ? kb_transfer_status(&t) : 0;
    if (status >= 200 && status < 300) {
        json_error_t je;
        *out = json_loadb(t.body.data ? t.body.data : "", t.body.len, 0, &je);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            snprintf(err, errlen, "%s %s %s: the API server sent no JSON object", verb, r->resource,
                     shown_name(ns, shown, full, sizeof full));
            status = 0;
        }
    } else if (status == 404 && r->optional && !names_object(&t)) {
        snprintf(err, errlen, "%s %s%s%s: the API server does not serve %s (is its CustomResourceDefinition "
                 "installed?)", verb, r->resource, *r->group ? "." : "", r->group, r->resource);
        status = NOT_SERVED_STATUS;
    } else if (status != 404 && status != 409) {
        describe(&t, rc, verb, r, ns, shown, err, errlen);
    } else {
        kb_transfer_error(&t, rc, verb, err, errlen);
    }
    kb_transfer_cleanup(&t);
    free(text);
    return status;
}

static const char *object_name(const json_t *object)
{
    const char *name = json_string_value(json_object_get(json_object_get(object, "metadata"), "name"));
    return name ? name : "";
}

int sg_kube_get(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name, json_t **out,
                char *err, size_t errlen)
{
    char full[400];
    long status = call(c, "GET", r, ns, name, NULL, out, "get", name, err, errlen);
    if (status == NOT_SERVED_STATUS)
        return SG_KUBE_NOT_SERVED;
    if (status == 404) {
        snprintf(err, errlen, "%s %s not found", r->resource, shown_name(ns, name, full, sizeof full));
        return SG_KUBE_NOT_FOUND;
    }
    return status == 200 ? 0 : -1;
}

int sg_kube_create(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const json_t *object, json_t **out,
                   char *err, size_t errlen)
{
    const char *name = object_name(object);
    char full[400];
    long status = call(c, "POST", r, ns, NULL, object, out, "create", name, err, errlen);
    if (status == NOT_SERVED_STATUS)
        return SG_KUBE_NOT_SERVED;
    if (status == 409) {
        snprintf(err, errlen, "%s %s already exists", r->resource, shown_name(ns, name, full, sizeof full));
        return SG_KUBE_CONFLICT;
    }
    return status == 201 || status == 200 ? 0 : -1;
}

int sg_kube_update(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const json_t *object, json_t **out,
                   char *err, size_t errlen)
{
    const char *name = object_name(object);
    char full[400];
    long status = *name ? call(c, "PUT", r, ns, name, object, out, "update", name, err, errlen) : 0;
    if (!*name)
        snprintf(err, errlen, "update %s: the object has no metadata.name", r->resource);
    if (status == NOT_SERVED_STATUS)
        return SG_KUBE_NOT_SERVED;
    if (status == 404) {
        snprintf(err, errlen, "%s %s not found", r->resource, shown_name(ns, name, full, sizeof full));
        return SG_KUBE_NOT_FOUND;
    }
    if (status == 409) {
        snprintf(err, errlen, "%s %s was changed by someone else since it was read", r->resource,
                 shown_name(ns, name, full, sizeof full));
        return SG_KUBE_CONFLICT;
    }
    return status == 200 || status == 201 ? 0 : -1;
}

/* Name, namespace and, from `current`, the resourceVersion precondition of the object to write. */
static void address(json_t *object, const char *ns, const char *name, const json_t *current)
{
    json_t *meta = json_object_get(object, "metadata");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(object, "metadata", meta);
    }
    json_object_set_new(meta, "name", json_string(name));
    if (ns)
        json_object_set_new(meta, "namespace", json_string(ns));
    else
        json_object_del(meta, "namespace");
    const json_t *rv = json_object_get(json_object_get(current, "metadata"), "resourceVersion");
    if (json_is_string(rv))
        json_object_set(meta, "resourceVersion", (json_t *)rv);
    else
        json_object_del(meta, "resourceVersion");
}

int sg_kube_write(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name, const json_t *known,
                  sg_kube_build_fn build, void *ctx, json_t **stored, char *err, size_t errlen)
{
    json_t *current = known ? json_incref((json_t *)known) : NULL;
    bool fresh = !known;
    int rc = -1;
    if (stored)
        *stored = NULL;
    if (fresh) {
        rc = sg_kube_get(c, r, ns, name, &current, err, errlen);
        if (rc < 0 || rc == SG_KUBE_NOT_SERVED)
            return rc;
    }
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        json_t *object = NULL, *out = NULL;
        int b = build(ctx, current, &object, err, errlen);
        if (b != 0) {
            json_decref(current);
            return b < 0 ? -1 : 0;
        }
        address(object, ns, name, current);
        rc = current ? sg_kube_update(c, r, ns, object, &out, err, errlen)
                     : sg_kube_create(c, r, ns, object, &out, err, errlen);
        json_decref(object);
        if (rc == SG_KUBE_NOT_SERVED) {
            json_decref(current);
            return rc;
        }
        if (rc == 0) {
            json_decref(current);
            if (stored)
                *stored = out;
            else
                json_decref(out);
            return 0;
        }
        if (rc < 0)
            break;
        /* Someone else wrote it, or it was deleted, since we read it: read it again. */
        json_decref(current);
        current = NULL;
        rc = sg_kube_get(c, r, ns, name, &current, err, errlen);
        if (rc < 0 || rc == SG_KUBE_NOT_SERVED)
            return rc;
    }
    json_decref(current);
    char full[400];
    if (rc > 0)
        snprintf(err, errlen, "write %s %s: still changed by someone else after %d attempts", r->resource,
                 shown_name(ns, name, full, sizeof full), WRITE_ATTEMPTS);
    return -1;
}

char *sg_kube_pod_namespace(const char *dir)
{
    char path[4096], *data = NULL, err[SG_ERRMAX];
    size_t len;
    snprintf(path, sizeof path, "%s/namespace", dir ? dir : SG_KUBE_SERVICEACCOUNT_DIR);
    if (sg_file_read(path, 256, &data, &len, err, sizeof err) < 0)
        return NULL;
    while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
        data[--len] = '\0';
    if (!len) {
        free(data);
        return NULL;
    }
    return data;
}
