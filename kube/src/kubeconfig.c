/*
 * kubeconfig.c - connections from kubeconfig files, as kubectl reads them:
 * a colon-separated list merges with the first definition winning, the
 * current context names a cluster and a user, relative file names are
 * relative to the file that holds them, and inline *-data fields (base64)
 * override the matching files. Token files are re-read as they rotate.
 * Users' exec credential plugins are read here (exec.c) and run at the first
 * request (credentials.c); of the legacy auth-providers, oidc's id-token is
 * used and gcp and azure get an error naming their replacement
 * (auth_provider.c).
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <scoregate/doc.h>

#include "internal.h"

#define MAX_KUBECONFIG (16u << 20)
#define MAX_FILES 32

typedef struct kc_file {
    char *path;
    char *dir;
    json_t *doc;                 /* the file's mapping */
} kc_file;

typedef struct kc_set {
    kc_file files[MAX_FILES];
    size_t n;
} kc_set;

static void set_free(kc_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->files[i].path);
        free(s->files[i].dir);
        json_decref(s->files[i].doc);
    }
}

static int load_file(kc_set *s, const char *path, bool must_exist, char *err, size_t errlen)
{
    if (!must_exist && access(path, F_OK) < 0)
        return 0;
    if (s->n == MAX_FILES) {
        snprintf(err, errlen, "more than %d kubeconfig files", MAX_FILES);
        return -1;
    }
    char *data;
    size_t len;
    char rerr[SG_ERRMAX];
    if (sg_file_read(path, MAX_KUBECONFIG, &data, &len, rerr, sizeof rerr) < 0) {
        snprintf(err, errlen, "kubeconfig: %s", rerr);
        return -1;
    }
    json_t *docs;
    int rc = sg_yaml_load(path, data, len, &docs, NULL, NULL, rerr, sizeof rerr);
    free(data);
    if (rc < 0) {
        snprintf(err, errlen, "kubeconfig %s", rerr);
        return -1;
    }
    json_t *doc = json_array_get(docs, 0);
    if (doc && !json_is_object(doc)) {
        json_decref(docs);
        snprintf(err, errlen, "kubeconfig %s: not a mapping (kind: Config)", path);
        return -1;
    }
    kc_file *f = &s->files[s->n++];
    f->path = sg_strdup(path);
    char *copy = sg_strdup(path);
    f->dir = sg_strdup(dirname(copy));
    free(copy);
    f->doc = doc ? json_incref(doc) : json_object();
    json_decref(docs);
    return 0;
}

/* The named entry (e.g. clusters[].name == name): its body (e.g. .cluster, NULL when empty) and its file. */
static int find_named(const kc_set *s, const char *list, const char *field, const char *name, const json_t **body,
                      const kc_file **where, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++) {
        const json_t *arr = json_object_get(s->files[i].doc, list);
        if (arr && !json_is_array(arr) && !json_is_null(arr)) {
            snprintf(err, errlen, "kubeconfig %s: %s must be a list", s->files[i].path, list);
            return -1;
        }
        size_t k;
        const json_t *e;
        json_array_foreach(arr, k, e) {
            const char *n = json_string_value(json_object_get(e, "name"));
            if (n && !strcmp(n, name)) {
                const json_t *b = json_object_get(e, field);
                if (b && !json_is_object(b) && !json_is_null(b)) {
                    snprintf(err, errlen, "kubeconfig %s: %s '%s': %s must be a mapping", s->files[i].path, list,
                             name, field);
                    return -1;
                }
                *where = &s->files[i];
                *body = json_is_object(b) ? b : NULL;
                return 0;
            }
        }
    }
    snprintf(err, errlen, "kubeconfig %s: no %s entry named '%s'", s->n ? s->files[0].path : "", list, name);
    return -1;
}

/* A string field, or NULL when absent; -1 when present but not a string. */
static int string_field(const kc_file *f, const json_t *obj, const char *what, const char *key, const char **out,
                        char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "kubeconfig %s: %s: %s must be a string", f->path, what, key);
        return -1;
    }
    *out = json_string_length(v) ? json_string_value(v) : NULL;
    return 0;
}

static char *resolve(const kc_file *f, const char *path)
{
    if (path[0] == '/')
        return sg_strdup(path);
    size_t n = strlen(f->dir) + strlen(path) + 2;
    char *p = sg_malloc(n);
    snprintf(p, n, "%s/%s", f->dir, path);
    return p;
}

/* Fill material from `<file_key>` or `<file_key>-data` (data wins). */
static int material(const kc_file *f, const json_t *obj, const char *what, const char *file_key, kb_material *m,
                    char *err, size_t errlen)
{
    char data_key[64];
    snprintf(data_key, sizeof data_key, "%s-data", file_key);
    const char *file, *data;
    if (string_field(f, obj, what, file_key, &file, err, errlen) < 0 ||
        string_field(f, obj, what, data_key, &data, err, errlen) < 0)
        return -1;
    if (data) {
        if (sg_base64_decode(data, strlen(data), &m->data, &m->len) < 0) {
            snprintf(err, errlen, "kubeconfig %s: %s: %s is not valid base64", f->path, what, data_key);
            return -1;
        }
        return 0;
    }
    if (file) {
        m->file = resolve(f, file);
        if (access(m->file, R_OK) < 0) {
            snprintf(err, errlen, "kubeconfig %s: %s: cannot read %s %s", f->path, what, file_key, m->file);
            return -1;
        }
    }
    return 0;
}

static int load_cluster(sg_kube_config *c, const kc_file *f, const json_t *cl, const char *name, char *err,
                        size_t errlen)
{
    char what[300];
    snprintf(what, sizeof what, "cluster '%s'", name);
    const char *server, *tls_name, *proxy;
    if (string_field(f, cl, what, "server", &server, err, errlen) < 0 ||
        string_field(f, cl, what, "tls-server-name", &tls_name, err, errlen) < 0 ||
        string_field(f, cl, what, "proxy-url", &proxy, err, errlen) < 0)
        return -1;
    if (!server || (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))) {
        snprintf(err, errlen, "kubeconfig %s: %s: server must be an https:// (or http://) URL, not '%s'", f->path, what,
                 server ? server : "");
        return -1;
    }
    c->server = sg_strdup(server);
    size_t n = strlen(c->server);
    while (n > 8 && c->server[n - 1] == '/')
        c->server[--n] = '\0';
    c->tls_server_name = tls_name ? sg_strdup(tls_name) : NULL;
    c->proxy = proxy ? sg_strdup(proxy) : NULL;
    const json_t *insecure = json_object_get(cl, "insecure-skip-tls-verify");
    if (insecure && !json_is_boolean(insecure)) {
        snprintf(err, errlen, "kubeconfig %s: %s: insecure-skip-tls-verify must be true or false", f->path, what);
        return -1;
    }
    c->insecure = json_is_true(insecure);
    if (material(f, cl, what, "certificate-authority", &c->ca, err, errlen) < 0)
        return -1;
    if (c->insecure && (c->ca.file || c->ca.data)) {
        snprintf(err, errlen,
                 "kubeconfig %s: %s: a certificate authority together with insecure-skip-tls-verify is not allowed "
                 "(as in kubectl); remove one",
                 f->path, what);
        return -1;
    }
    return 0;
}

/*
 * The user's exec plugin or auth-provider. As in client-go, a user that also
 * has a token, token file, basic auth or client certificate (`has_static`)
 * uses those and never runs its plugin, and exec together with auth-provider
 * is refused.
 */
static int plugin_user(sg_kube_config *c, const kc_file *f, const json_t *u, const char *name, bool has_static,
                       char *err, size_t errlen)
{
    const json_t *exec = json_object_get(u, "exec"), *ap = json_object_get(u, "auth-provider");
    exec = json_is_null(exec) ? NULL : exec;
    ap = json_is_null(ap) ? NULL : ap;
    char where[600];
    snprintf(where, sizeof where, "kubeconfig %s: user '%s'", f->path, name);
    if (exec && ap)
        return sg_err(err, errlen, "%s: auth-provider cannot be provided in combination with an exec plugin", where);
    if (exec) {
        kb_exec *x;
        if (kb_exec_parse(exec, f->dir, where, &x, err, errlen) < 0)
            return -1;
        if (has_static)
            kb_exec_free(x);
        else
            c->exec = x;
        return 0;
    }
    if (!ap)
        return 0;
    char *token;
    time_t expires;
    if (kb_auth_provider(ap, where, &token, &expires, err, errlen) < 0)
        return -1;
    if (c->token || c->token_file || c->username) {
        memset(token, 0, strlen(token));
        free(token);
        return 0;
    }
    c->token = token;
    c->token_expires = expires;
    c->token_owner = sg_strdup(where);
    return 0;
}

static int load_user(sg_kube_config *c, const kc_file *f, const json_t *u, const char *name, char *err, size_t errlen)
{
    char what[300];
    snprintf(what, sizeof what, "user '%s'", name);
    const char *token, *token_file, *username, *password;
    if (string_field(f, u, what, "token", &token, err, errlen) < 0 ||
        string_field(f, u, what, "tokenFile", &token_file, err, errlen) < 0 ||
        string_field(f, u, what, "username", &username, err, errlen) < 0 ||
        string_field(f, u, what, "password", &password, err, errlen) < 0)
        return -1;
    if (material(f, u, what, "client-certificate", &c->cert, err, errlen) < 0 ||
        material(f, u, what, "client-key", &c->key, err, errlen) < 0)
        return -1;
    bool has_cert = c->cert.file || c->cert.data, has_key = c->key.file || c->key.data;
    if (has_cert != has_key) {
        snprintf(err, errlen, "kubeconfig %s: %s: client-certificate and client-key go together", f->path, what);
        return -1;
    }
    if (token_file) {
        c->token_file = resolve(f, token_file);
    } else if (token) {
        c->token = sg_strdup(token);
    }
    if (username) {
        c->username = sg_strdup(username);
        c->password = sg_strdup(password ? password : "");
    }
    return plugin_user(c, f, u, name, token || token_file || username || has_cert, err, errlen);
}

static int build(const kc_set *s, const char *context, sg_kube_config *c, char *err, size_t errlen)
{
    const char *ctx_name = context;
    for (size_t i = 0; i < s->n && !ctx_name; i++) {
        const json_t *v = json_object_get(s->files[i].doc, "current-context");
        if (json_is_string(v) && json_string_length(v))
            ctx_name = json_string_value(v);
    }
    if (!ctx_name) {
        snprintf(err, errlen, "kubeconfig %s: no current-context is set (kubectl config use-context NAME)",
                 s->files[0].path);
        return -1;
    }
    const kc_file *cf, *clf, *uf;
    const json_t *ctx, *cl, *u;
    if (find_named(s, "contexts", "context", ctx_name, &ctx, &cf, err, errlen) < 0)
        return -1;
    char what[300];
    snprintf(what, sizeof what, "context '%s'", ctx_name);
    const char *cluster_name, *user_name;
    if (string_field(cf, ctx, what, "cluster", &cluster_name, err, errlen) < 0 ||
        string_field(cf, ctx, what, "user", &user_name, err, errlen) < 0)
        return -1;
    if (!cluster_name) {
        snprintf(err, errlen, "kubeconfig %s: %s names no cluster", cf->path, what);
        return -1;
    }
    if (find_named(s, "clusters", "cluster", cluster_name, &cl, &clf, err, errlen) < 0 ||
        load_cluster(c, clf, cl, cluster_name, err, errlen) < 0)
        return -1;
    if (user_name) {
        if (find_named(s, "users", "user", user_name, &u, &uf, err, errlen) < 0 ||
            load_user(c, uf, u, user_name, err, errlen) < 0)
            return -1;
    }
    if (c->exec && kb_exec_cluster_info(c->exec, c, cl, err, errlen) < 0)
        return -1;
    size_t n = strlen(s->files[0].path) + strlen(ctx_name) + 32;
    c->source = sg_malloc(n);
    snprintf(c->source, n, "kubeconfig %s, context %s", s->files[0].path, ctx_name);
    return 0;
}

int sg_kube_config_from_kubeconfig(const char *paths, const char *context, sg_kube_config **out, char *err,
                                   size_t errlen)
{
    *out = NULL;
    kc_set set = {.n = 0};
    bool list = strchr(paths, ':') != NULL;
    char *copy = sg_strdup(paths);
    int rc = 0;
    char *save = NULL;
    for (char *p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save))
        rc = load_file(&set, p, !list, err, errlen);
    free(copy);
    if (rc == 0 && set.n == 0) {
        snprintf(err, errlen, "kubeconfig: none of the files in '%s' exists", paths);
        rc = -1;
    }
    sg_kube_config *c = NULL;
    if (rc == 0) {
        c = kb_config_new();
        rc = build(&set, context, c, err, errlen);
    }
    set_free(&set);
    /* Read a token file and check an id-token now; a plugin runs at the first request, as in client-go. */
    if (rc == 0 && !c->exec) {
        kb_auth a;
        rc = kb_config_auth(c, &a, err, errlen);
        kb_auth_clear(&a);
    }
    if (rc < 0) {
        sg_kube_config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}
