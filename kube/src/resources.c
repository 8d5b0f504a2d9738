/*
 * resources.c - the kinds scoregate lists and watches: exactly those the
 * recommendations read and the chart's RBAC grants (get, list, watch).
 * Secrets are always asked for as metadata only: their values never leave
 * the API server.
 */
#include <stdio.h>

#include "internal.h"

static const sg_kube_resource resources[] = {
    {"", "v1", "pods", "Pod", false, false},
    {"apps", "v1", "deployments", "Deployment", false, false},
    {"apps", "v1", "replicasets", "ReplicaSet", false, false},
    {"apps", "v1", "statefulsets", "StatefulSet", false, false},
    {"apps", "v1", "daemonsets", "DaemonSet", false, false},
    {"batch", "v1", "jobs", "Job", false, false},
    {"batch", "v1", "cronjobs", "CronJob", false, false},
    {"", "v1", "replicationcontrollers", "ReplicationController", false, false},
    {"", "v1", "services", "Service", false, false},
    {"networking.k8s.io", "v1", "ingresses", "Ingress", false, false},
    {"", "v1", "configmaps", "ConfigMap", false, false},
    {"", "v1", "secrets", "Secret", true, false},
    {"", "v1", "serviceaccounts", "ServiceAccount", false, false},
};

const sg_kube_resource *sg_kube_resources(size_t *n)
{
    *n = sizeof resources / sizeof resources[0];
    return resources;
}

void kb_resource_path(const sg_kube_resource *r, char *buf, size_t len)
{
    if (*r->group)
        snprintf(buf, len, "/apis/%s/%s/%s", r->group, r->version, r->resource);
    else
        snprintf(buf, len, "/api/%s/%s", r->version, r->resource);
}

void kb_resource_api_version(const sg_kube_resource *r, char *buf, size_t len)
{
    if (*r->group)
        snprintf(buf, len, "%s/%s", r->group, r->version);
    else
        snprintf(buf, len, "%s", r->version);
}
