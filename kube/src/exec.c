/*
 * exec.c - client-go credential plugins (client.authentication.k8s.io/v1
 * and v1beta1), the data side: the user's `exec` mapping read with
 * clientcmd's validation, the ExecCredential handed to the plugin in
 * KUBERNETES_EXEC_INFO (with the cluster when provideClusterInfo is set), and
 * the ExecCredential it prints, decoded with the checks of client-go's exec
 * authenticator. Running the plugin is exec_run.c's job; when to run it,
 * credentials.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define EXEC_GROUP "client.authentication.k8s.io/"
#define EXEC_EXTENSION "client.authentication.k8s.io/exec"
#define MAX_CA (4u << 20)

static const char *const api_versions[] = {EXEC_GROUP "v1", EXEC_GROUP "v1beta1"};

void kb_exec_free(kb_exec *x)
{
    if (!x)
        return;
    free(x->where);
    free(x->api_version);
    for (char **p = x->argv; p && *p; p++)
        free(*p);
    free(x->argv);
    for (char **p = x->env; p && *p; p++)
        free(*p);
    free(x->env);
    free(x->install_hint);
    json_decref(x->cluster);
    free(x);
}

/* A string member, or NULL when absent or null; -1 when of another type. */
static int opt_string(const kb_exec *x, const json_t *obj, const char *key, const char **out, char *err,
                      size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return sg_err(err, errlen, "%s: exec: %s must be a string", x->where, key);
    *out = json_string_value(v);
    return 0;
}

/* A list member (absent or null: empty), each element checked by the caller. */
static int opt_list(const kb_exec *x, const json_t *obj, const char *key, const json_t **out, char *err,
                    size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return sg_err(err, errlen, "%s: exec: %s must be a list", x->where, key);
    *out = v;
    return 0;
}

static int parse_argv(kb_exec *x, const json_t *exec, const char *dir, char *err, size_t errlen)
{
    const char *command;
    const json_t *args;
    if (opt_string(x, exec, "command", &command, err, errlen) < 0 || opt_list(x, exec, "args", &args, err, errlen) < 0)
        return -1;
    if (!command || !*command)
        return sg_err(err, errlen, "%s: exec: command must be specified to use an exec credential plugin", x->where);
    size_t n = json_array_size(args), i;
    x->argv = sg_calloc(n + 2, sizeof *x->argv);
    /* clientcmd resolves a command with a path separator against the kubeconfig's directory, like
     * its other file names; a bare name is looked up in PATH. */
    if (strchr(command, '/') && command[0] != '/') {
        size_t len = strlen(dir) + strlen(command) + 2;
        x->argv[0] = sg_malloc(len);
        snprintf(x->argv[0], len, "%s/%s", dir, command);
    } else {
        x->argv[0] = sg_strdup(command);
    }
    const json_t *a;
    json_array_foreach(args, i, a) {
        if (!json_is_string(a))
            return sg_err(err, errlen, "%s: exec: args[%zu] must be a string", x->where, i);
        x->argv[i + 1] = sg_strdup(json_string_value(a));
    }
    return 0;
}

static int parse_env(kb_exec *x, const json_t *exec, char *err, size_t errlen)
{
    const json_t *env, *e;
    if (opt_list(x, exec, "env", &env, err, errlen) < 0)
        return -1;
    size_t n = json_array_size(env), i;
    x->env = sg_calloc(n + 1, sizeof *x->env);
    json_array_foreach(env, i, e) {
        const json_t *name = json_object_get(e, "name"), *value = json_object_get(e, "value");
        if (!json_is_string(name) || !json_string_length(name) || strchr(json_string_value(name), '='))
            return sg_err(err, errlen, "%s: exec: env[%zu] needs a name (without '=')", x->where, i);
        if (value && !json_is_string(value) && !json_is_null(value))
            return sg_err(err, errlen, "%s: exec: env[%zu].value must be a string", x->where, i);
        const char *v = json_is_string(value) ? json_string_value(value) : "";
        size_t len = json_string_length(name) + strlen(v) + 2;
        x->env[i] = sg_malloc(len);
        snprintf(x->env[i], len, "%s=%s", json_string_value(name), v);
    }
    return 0;
}

/* apiVersion and interactiveMode, with clientcmd's defaulting (v1beta1: IfAvailable) and validation. */
static int parse_modes(kb_exec *x, const json_t *exec, char *err, size_t errlen)
{
    const char *version, *mode;
    if (opt_string(x, exec, "apiVersion", &version, err, errlen) < 0 ||
        opt_string(x, exec, "interactiveMode", &mode, err, errlen) < 0)
        return -1;
    if (!version || !*version)
        return sg_err(err, errlen, "%s: exec: apiVersion must be specified to use an exec credential plugin",
                      x->where);
    for (size_t i = 0; i < sizeof api_versions / sizeof api_versions[0] && !x->api_version; i++)
        if (!strcmp(version, api_versions[i]))
            x->api_version = sg_strdup(version);
    if (!x->api_version)
        return sg_err(err, errlen,
                      "%s: exec: invalid apiVersion '%s' (client-go and scoregate speak " EXEC_GROUP
                      "v1 and " EXEC_GROUP "v1beta1; v1alpha1 was removed in Kubernetes 1.24)",
                      x->where, version);
    if (!mode || !*mode) {
        if (strcmp(x->api_version, EXEC_GROUP "v1beta1"))
            return sg_err(err, errlen, "%s: exec: interactiveMode must be specified for %s (Never, IfAvailable or Always)",
                          x->where, x->api_version);
        x->interactive = KB_INTERACTIVE_IF_AVAILABLE;
    } else if (!strcmp(mode, "Never")) {
        x->interactive = KB_INTERACTIVE_NEVER;
    } else if (!strcmp(mode, "IfAvailable")) {
        x->interactive = KB_INTERACTIVE_IF_AVAILABLE;
    } else if (!strcmp(mode, "Always")) {
        x->interactive = KB_INTERACTIVE_ALWAYS;
    } else {
        return sg_err(err, errlen, "%s: exec: invalid interactiveMode '%s' (Never, IfAvailable or Always)", x->where,
                      mode);
    }
    return 0;
}

int kb_exec_parse(const json_t *exec, const char *dir, const char *where, kb_exec **out, char *err, size_t errlen)
{
    *out = NULL;
    kb_exec *x = sg_calloc(1, sizeof *x);
    x->where = sg_strdup(where);
    const char *hint = NULL;
    const json_t *provide = json_object_get(exec, "provideClusterInfo");
    int rc = -1;
    if (!json_is_object(exec))
        sg_err(err, errlen, "%s: exec must be a mapping", where);
    else if (provide && !json_is_boolean(provide) && !json_is_null(provide))
        sg_err(err, errlen, "%s: exec: provideClusterInfo must be true or false", where);
    else if (parse_modes(x, exec, err, errlen) == 0 && parse_argv(x, exec, dir, err, errlen) == 0 &&
             parse_env(x, exec, err, errlen) == 0 && opt_string(x, exec, "installHint", &hint, err, errlen) == 0)
        rc = 0;
    if (rc < 0) {
        kb_exec_free(x);
        return -1;
    }
    x->install_hint = hint && *hint ? sg_strdup(hint) : NULL;
    /* A placeholder until kb_exec_cluster_info() fills it: the cluster is read after the user. */
    x->cluster = json_is_true(provide) ? json_object() : NULL;
    *out = x;
    return 0;
}

/* The cluster's per-plugin configuration: extensions[name == client.authentication.k8s.io/exec].extension. */
static json_t *exec_extension(const json_t *cluster)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(cluster, "extensions"), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const json_t *ext = json_object_get(e, "extension");
        if (name && !strcmp(name, EXEC_EXTENSION) && ext && !json_is_null(ext))
            return json_deep_copy(ext);
    }
    return NULL;
}

/* The CA bundle's bytes, base64 (a []byte in Go's JSON), or NULL when there is none. */
static int ca_base64(const sg_kube_config *c, char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (c->ca.data) {
        *out = sg_base64_encode(c->ca.data, c->ca.len, NULL);
    } else if (c->ca.file) {
        char *data, rerr[SG_ERRMAX];
        size_t len;
        if (sg_file_read(c->ca.file, MAX_CA, &data, &len, rerr, sizeof rerr) < 0)
            return sg_err(err, errlen, "cannot load the CA bundle for the exec plugin (provideClusterInfo): %s", rerr);
        *out = sg_base64_encode(data, len, NULL);
        free(data);
    }
    return 0;
}

int kb_exec_cluster_info(kb_exec *x, const sg_kube_config *c, const json_t *cluster, char *err, size_t errlen)
{
    if (!x->cluster)
        return 0;
    char *ca;
    if (ca_base64(c, &ca, err, errlen) < 0)
        return -1;
    json_t *info = x->cluster;
    const char *server = json_string_value(json_object_get(cluster, "server"));
    json_object_set_new(info, "server", json_string(server ? server : c->server));
    if (c->tls_server_name)
        json_object_set_new(info, "tls-server-name", json_string(c->tls_server_name));
    if (c->insecure)
        json_object_set_new(info, "insecure-skip-tls-verify", json_true());
    if (ca)
        json_object_set_new(info, "certificate-authority-data", json_string(ca));
    free(ca);
    if (c->proxy)
        json_object_set_new(info, "proxy-url", json_string(c->proxy));
    if (json_is_true(json_object_get(cluster, "disable-compression")))
        json_object_set_new(info, "disable-compression", json_true());
    json_t *config = exec_extension(cluster);
    if (config)
        json_object_set_new(info, "config", config);
    return 0;
}

char *kb_exec_info(const kb_exec *x, bool interactive)
{
    json_t *spec = json_pack("{s:b}", "interactive", interactive);
    if (x->cluster)
        json_object_set(spec, "cluster", x->cluster);
    json_t *cred = json_pack("{s:s,s:s,s:o}", "kind", "ExecCredential", "apiVersion", x->api_version, "spec", spec);
    char *text = cred ? sg_json_dumps(cred, JSON_COMPACT, NULL) : NULL;
    json_decref(cred);
    if (!text)
        sg_oom();
    return text;
}

void kb_exec_result_clear(kb_exec_result *r)
{
    char *secrets[] = {r->token, r->key};
    for (size_t i = 0; i < 2; i++)
        if (secrets[i])
            memset(secrets[i], 0, strlen(secrets[i]));
    free(r->token);
    free(r->cert);
    free(r->key);
    memset(r, 0, sizeof *r);
}

/* A string of the status, or NULL when absent, null or empty; -1 when of another type. */
static int status_string(const json_t *status, const char *key, char **out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(status, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return sg_err(err, errlen, "decoding stdout: status.%s must be a string", key);
    if (json_string_length(v))
        *out = sg_strdup(json_string_value(v));
    return 0;
}

static int decode_status(const json_t *status, kb_exec_result *r, char *err, size_t errlen)
{
    if (!json_is_object(status))
        return sg_err(err, errlen, "exec plugin didn't return a status field");
    const json_t *exp = json_object_get(status, "expirationTimestamp");
    if (status_string(status, "token", &r->token, err, errlen) < 0 ||
        status_string(status, "clientCertificateData", &r->cert, err, errlen) < 0 ||
        status_string(status, "clientKeyData", &r->key, err, errlen) < 0)
        return -1;
    if (exp && !json_is_null(exp) &&
        (!json_is_string(exp) || sg_time_parse_rfc3339(json_string_value(exp), &r->expires) < 0))
        return sg_err(err, errlen, "decoding stdout: status.expirationTimestamp is not an RFC 3339 time");
    if (!r->token && !r->cert && !r->key)
        return sg_err(err, errlen, "exec plugin didn't return a token or cert/key pair");
    if (!r->cert != !r->key)
        return sg_err(err, errlen, "exec plugin returned only certificate or key, not both");
    if (r->cert && (!strstr(r->cert, "-----BEGIN ") || !strstr(r->key, "-----BEGIN ")))
        return sg_err(err, errlen, "failed parsing client key/certificate: clientCertificateData and clientKeyData "
                                   "must be PEM");
    return 0;
}

int kb_exec_decode(const kb_exec *x, const char *out, size_t len, kb_exec_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    json_error_t je;
    json_t *root = json_loadb(out, len, 0, &je);
    int rc = -1;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *version = json_string_value(json_object_get(root, "apiVersion"));
    if (!json_is_object(root))
        sg_err(err, errlen, "decoding stdout: %s", root ? "not a JSON object" : je.text);
    else if (!kind || strcmp(kind, "ExecCredential"))
        sg_err(err, errlen, "decoding stdout: kind is '%s', not ExecCredential", kind ? kind : "");
    else if (!version || strcmp(version, x->api_version))
        sg_err(err, errlen, "exec plugin is configured to use API version %s, plugin returned version %s",
               x->api_version, version && *version ? version : "(none)");
    else
        rc = decode_status(json_object_get(root, "status"), r, err, errlen);
    json_decref(root);
    if (rc < 0)
        kb_exec_result_clear(r);
    return rc;
}
