/*
 * kinds.c - which kind is which: kinds are told apart by their API group as
 * well as their name, so that an OpenKruise apps.kruise.io StatefulSet is not
 * the built-in apps StatefulSet, and a Knative serving.knative.dev Service not
 * a core Service.
 *
 * The table below knows the built-in Kubernetes kinds (their group, whether
 * they are cluster-scoped, and for workloads where the pod template is).
 * Objects of the legacy extensions group (Deployment, DaemonSet, ReplicaSet,
 * Ingress, NetworkPolicy, PodSecurityPolicy of extensions/v1beta1) count as
 * the kinds they became. Pod controllers, custom resources that embed one pod
 * template (Argo Rollouts, OpenKruise workloads, the settings' podControllers;
 * controllers.c), come after the table. A kind of any other group is a
 * custom resource that no pod or container check sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_policy.h"

static const char *const spec_template[] = {"spec", "template", NULL};
static const char *const template_only[] = {"template", NULL};
static const char *const job_template[] = {"spec", "jobTemplate", "spec", "template", NULL};
static const char *const pod_itself[] = {NULL};

#define WORKLOAD(g, k) {g, k, spec_template, "/spec/template/spec", "/spec/template/metadata", false}

/* The built-in workloads: the kinds whose objects hold a pod spec. */
static const pol_workload_def workloads[] = {
    {"", "Pod", pod_itself, "/spec", "/metadata", false},
    WORKLOAD("apps", "Deployment"),
    WORKLOAD("apps", "ReplicaSet"),
    WORKLOAD("apps", "StatefulSet"),
    WORKLOAD("apps", "DaemonSet"),
    WORKLOAD("batch", "Job"),
    WORKLOAD("", "ReplicationController"),
    {"", "PodTemplate", template_only, "/template/spec", "/template/metadata", false},
    {"batch", "CronJob", job_template, "/spec/jobTemplate/spec/template/spec",
     "/spec/jobTemplate/spec/template/metadata", false},
};

/* The other built-in kinds a rule or an exemption may name without a group,
 * and whether they live outside namespaces. The first entry of a name is
 * the one a bare name means (Event is the core one). */
static const struct {
    const char *group, *kind;
    bool cluster_scoped;
} kinds[] = {
    {"", "Service", false}, {"", "ServiceAccount", false}, {"", "ConfigMap", false}, {"", "Secret", false},
    {"", "Namespace", true}, {"", "Node", true}, {"", "PersistentVolume", true}, {"", "PersistentVolumeClaim", false},
    {"", "Endpoints", false}, {"", "Event", false}, {"", "LimitRange", false}, {"", "ResourceQuota", false},
    {"", "ComponentStatus", true}, {"apps", "ControllerRevision", false},
    {"networking.k8s.io", "Ingress", false}, {"networking.k8s.io", "IngressClass", true},
    {"networking.k8s.io", "NetworkPolicy", false}, {"policy", "PodDisruptionBudget", false},
    {"policy", "PodSecurityPolicy", true}, {"rbac.authorization.k8s.io", "Role", false},
    {"rbac.authorization.k8s.io", "RoleBinding", false}, {"rbac.authorization.k8s.io", "ClusterRole", true},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", true}, {"autoscaling", "HorizontalPodAutoscaler", false},
    {"storage.k8s.io", "StorageClass", true}, {"storage.k8s.io", "CSIDriver", true},
    {"storage.k8s.io", "CSINode", true}, {"storage.k8s.io", "VolumeAttachment", true},
    {"storage.k8s.io", "CSIStorageCapacity", false}, {"apiextensions.k8s.io", "CustomResourceDefinition", true},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", true},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", true},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", true},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", true},
    {"apiregistration.k8s.io", "APIService", true}, {"scheduling.k8s.io", "PriorityClass", true},
    {"node.k8s.io", "RuntimeClass", true}, {"certificates.k8s.io", "CertificateSigningRequest", true},
    {"coordination.k8s.io", "Lease", false}, {"discovery.k8s.io", "EndpointSlice", false},
    {"events.k8s.io", "Event", false}, {"flowcontrol.apiserver.k8s.io", "FlowSchema", true},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", true}, {"cert-manager.io", "ClusterIssuer", true},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The group a legacy extensions/v1beta1 kind moved to, or NULL. */
static const char *moved_from_extensions(const char *kind)
{
    static const struct {
        const char *kind, *group;
    } moved[] = {{"Deployment", "apps"}, {"DaemonSet", "apps"}, {"ReplicaSet", "apps"},
                 {"Ingress", "networking.k8s.io"}, {"NetworkPolicy", "networking.k8s.io"},
                 {"PodSecurityPolicy", "policy"}};
    for (size_t i = 0; i < COUNT(moved); i++)
        if (!strcmp(moved[i].kind, kind))
            return moved[i].group;
    return NULL;
}

const char *pol_group_of(const char *api_version, const char *kind, char *buf, size_t len)
{
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    size_t n = slash ? (size_t)(slash - api_version) : 0;
    if (n == 10 && !strncmp(api_version, "extensions", n) && kind && moved_from_extensions(kind))
        return moved_from_extensions(kind);
    snprintf(buf, len, "%.*s", (int)n, n ? api_version : "");
    return buf;
}

const pol_workload_def *pol_workload_def_of(const sg_policy *p, const char *group, const char *kind)
{
    for (size_t i = 0; i < COUNT(workloads); i++)
        if (!strcmp(workloads[i].kind, kind) && !strcmp(workloads[i].group, group))
            return &workloads[i];
    size_t n;
    const pol_controller *c = pol_controllers(p, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].def.kind, kind) && !strcmp(c[i].def.group, group))
            return &c[i].def;
    return NULL;
}

bool pol_kind_cluster_scoped(const char *group, const char *kind)
{
    for (size_t i = 0; i < COUNT(kinds); i++)
        if (kinds[i].cluster_scoped && !strcmp(kinds[i].kind, kind) && !strcmp(kinds[i].group, group))
            return true;
    return false;
}

const char *pol_builtin_group(const char *kind)
{
    for (size_t i = 0; i < COUNT(workloads); i++)
        if (!strcmp(workloads[i].kind, kind))
            return workloads[i].group;
    for (size_t i = 0; i < COUNT(kinds); i++)
        if (!strcmp(kinds[i].kind, kind))
            return kinds[i].group;
    return NULL;
}

void pol_workload_find(const pol_workload_def *def, const json_t *object, pol_workload *out)
{
    memset(out, 0, sizeof *out);
    if (!def)
        return;
    out->def = def;
    const json_t *t = object;
    for (int k = 0; t && def->steps[k]; k++)
        t = json_object_get(t, def->steps[k]);
    /* A custom resource may leave its template out (an Argo Rollout with a workloadRef):
     * then it has no pod to check. A template that is there must be one. */
    if (def->custom && !t)
        return;
    out->spec_pointer = def->spec_pointer;
    out->metadata_pointer = def->metadata_pointer;
    if (!json_is_object(t))
        return;
    out->pod_spec = json_object_get(t, "spec");
    out->pod_metadata = json_object_get(t, "metadata");
    if (!json_is_object(out->pod_spec))
        out->pod_spec = NULL;
    if (!json_is_object(out->pod_metadata))
        out->pod_metadata = NULL;
}

bool pol_kinds_match(const pol_kinds *ks, const char *group, const char *kind)
{
    for (size_t i = 0; i < ks->n; i++)
        if (!strcmp(ks->items[i].kind, kind) && !strcmp(ks->items[i].group, group))
            return true;
    return false;
}

void pol_kinds_free(pol_kinds *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->items[i].group);
        free(ks->items[i].kind);
    }
    free(ks->items);
    memset(ks, 0, sizeof *ks);
}
