/*
 * config.c - one connection to an API server: the in-cluster service account,
 * the choice between it and a kubeconfig, and the bearer token, which is
 * re-read from its file when it rotates (the kubelet replaces a projected
 * token long before it expires, so a file that changed is read again; a
 * minute's re-read and a re-read after a 401 cover clocks and missed changes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_TOKEN (64u << 10)
#define MAX_CA (4u << 20)

sg_kube_config *kb_config_new(void)
{
    sg_kube_config *c = sg_calloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void material_free(kb_material *m)
{
    free(m->file);
    free(m->data);
}

void sg_kube_config_free(sg_kube_config *c)
{
    if (!c)
        return;
    free(c->server);
    free(c->source);
    material_free(&c->ca);
    material_free(&c->cert);
    material_free(&c->key);
    free(c->tls_server_name);
    free(c->proxy);
    free(c->username);
    if (c->password)
        memset(c->password, 0, strlen(c->password));
    free(c->password);
    free(c->token_file);
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->token);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *sg_kube_config_server(const sg_kube_config *c)
{
    return c->server;
}

const char *sg_kube_config_source(const sg_kube_config *c)
{
    return c->source;
}

/* Read the token file into c->token (lock held). */
static int reread_token(sg_kube_config *c, const struct stat *st, time_t now, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(c->token_file, MAX_TOKEN, &data, &len, err, errlen) < 0)
        return -1;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
        data[--len] = '\0';
    if (!len || strpbrk(data, "\r\n")) {
        free(data);
        snprintf(err, errlen, "the token file %s is empty or holds more than one line", c->token_file);
        return -1;
    }
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->token);
    c->token = data;
    c->token_mtime = st->st_mtim;
    c->token_ino = st->st_ino;
    c->token_read_at = now;
    c->token_stale = false;
    return 0;
}

int kb_config_token(sg_kube_config *c, char **token, char *err, size_t errlen)
{
    *token = NULL;
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (c->token_file) {
        struct stat st;
        time_t now = time(NULL);
        if (stat(c->token_file, &st) < 0) {
            if (!c->token) {
                snprintf(err, errlen, "cannot read the token file %s: %s", c->token_file, strerror(errno));
                rc = -1;
            }
        } else if (!c->token || c->token_stale || st.st_ino != c->token_ino ||
                   st.st_mtim.tv_sec != c->token_mtime.tv_sec || st.st_mtim.tv_nsec != c->token_mtime.tv_nsec ||
                   now - c->token_read_at >= KB_TOKEN_REREAD) {
            char rerr[SG_ERRMAX];
            if (reread_token(c, &st, now, rerr, sizeof rerr) < 0 && !c->token) {
                snprintf(err, errlen, "%s", rerr);
                rc = -1;
            }
        }
    }
    if (rc == 0 && c->token) {
        *token = sg_strdup(c->token);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void kb_config_token_rejected(sg_kube_config *c)
{
    pthread_mutex_lock(&c->lock);
    c->token_stale = true;
    pthread_mutex_unlock(&c->lock);
}

int sg_kube_config_in_cluster(const char *dir, sg_kube_config **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!dir)
        dir = SG_KUBE_SERVICEACCOUNT_DIR;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
        snprintf(err, errlen,
                 "not running inside a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; "
                 "give a kubeconfig file instead");
        return -1;
    }
    sg_kube_config *c = kb_config_new();
    size_t n = strlen(host) + strlen(port) + 16;
    c->server = sg_malloc(n);
    bool v6 = strchr(host, ':') != NULL;
    snprintf(c->server, n, v6 ? "https://[%s]:%s" : "https://%s:%s", host, port);
    char path[4096];
    snprintf(path, sizeof path, "%s/token", dir);
    c->token_file = sg_strdup(path);
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    if (access(path, R_OK) < 0) {
        snprintf(err, errlen, "in-cluster configuration: cannot read the CA %s: %s (is a service account token mounted?)",
                 path, strerror(errno));
        sg_kube_config_free(c);
        return -1;
    }
    c->ca.file = sg_strdup(path);
    c->source = sg_strdup("in-cluster service account");
    char *token;
    if (kb_config_token(c, &token, err, errlen) < 0) {
        sg_kube_config_free(c);
        return -1;
    }
    free(token);
    *out = c;
    return 0;
}

int sg_kube_config_load(const char *kubeconfig, bool in_cluster_first, sg_kube_config **out, char *err,
                        size_t errlen)
{
    if (kubeconfig && *kubeconfig)
        return sg_kube_config_from_kubeconfig(kubeconfig, NULL, out, err, errlen);
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (in_cluster_first && host && *host)
        return sg_kube_config_in_cluster(NULL, out, err, errlen);
    const char *env = getenv("KUBECONFIG");
    if (env && *env)
        return sg_kube_config_from_kubeconfig(env, NULL, out, err, errlen);
    const char *home = getenv("HOME");
    char path[4096];
    if (home && *home && snprintf(path, sizeof path, "%s/.kube/config", home) < (int)sizeof path &&
        (in_cluster_first || access(path, F_OK) == 0 || !host || !*host))
        return sg_kube_config_from_kubeconfig(path, NULL, out, err, errlen);
    return sg_kube_config_in_cluster(NULL, out, err, errlen);
}
