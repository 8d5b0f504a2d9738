/*
 * config.c - one connection to an API server: the in-cluster service account
 * and the choice between it and a kubeconfig. Its credentials, and when to
 * read them again, are credentials.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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
    kb_config_free_credentials(c);
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

const char *sg_kube_config_warning(const sg_kube_config *c)
{
    if (!c->insecure)
        return NULL;
    return "insecure-skip-tls-verify is set: the API server's certificate is not verified, so whoever can reach "
           "the network path can pose as the API server and read the credentials sent to it; set "
           "certificate-authority (or -data) instead";
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
    kb_auth a;
    int rc = kb_config_auth(c, &a, err, errlen);
    kb_auth_clear(&a);
    if (rc < 0) {
        sg_kube_config_free(c);
        return -1;
    }
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
