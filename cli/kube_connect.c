/*
 * kube_connect.c - the API server connection of the commands that talk to a
 * live cluster (`score --kubeconfig`, `fix --kubeconfig`), chosen one way for
 * both: a kubeconfig file, or kubectl's search ($KUBECONFIG, ~/.kube/config,
 * then the in-cluster service account), and a context other than the current
 * one when asked.
 */
#include <stdio.h>
#include <stdlib.h>

#include <scoregate/kube.h>

#include "cli.h"

int cli_kube_connect(const char *kubeconfig, const char *context, sg_kube_config **out, char *err, size_t errlen)
{
    if (!context)
        return sg_kube_config_load(kubeconfig, false, out, err, errlen);
    const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
    char path[4096];
    snprintf(path, sizeof path, "%s/.kube/config", home ? home : "");
    return sg_kube_config_from_kubeconfig(*kubeconfig ? kubeconfig : env && *env ? env : path, context, out, err,
                                          errlen);
}
