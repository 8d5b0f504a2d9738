/*
 * pod_view.c - the pod spec as a pod-scope check sees it when the
 * recommendation excludes containers (excludedContainers, excludedImages).
 *
 * Container checks simply skip an excluded container. A pod check judges the
 * whole pod (host ports of every container, the host paths they mount), so an
 * excluded container must be taken out of the pod before the check runs:
 * otherwise excluding it would change nothing. The view drops the excluded
 * containers from every container list, and the volumes that only they mount.
 * Pod-level fields (hostNetwork, hostPID, ...) stay: they belong to the pod.
 */
#include <string.h>

#include "internal_policy.h"

static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};

bool pol_container_excluded(const pol_rec *r, const json_t *container)
{
    const char *name = json_string_value(json_object_get(container, "name"));
    const char *image = json_string_value(json_object_get(container, "image"));
    return (r->excluded_containers && pol_name_listed(r->excluded_containers, name)) ||
           (r->excluded_images && pol_name_listed(r->excluded_images, image));
}

/* Whether `container` mounts (or attaches as a device) the volume `name`. */
static bool uses_volume(const json_t *container, const char *name)
{
    static const char *const fields[] = {"volumeMounts", "volumeDevices"};
    for (int f = 0; f < 2; f++) {
        size_t i;
        const json_t *m;
        json_array_foreach(json_object_get(container, fields[f]), i, m) {
            const char *used = json_string_value(json_object_get(m, "name"));
            if (name && used && !strcmp(used, name))
                return true;
        }
    }
    return false;
}

/* Whether volume `name` is used by excluded containers only. */
static bool only_excluded_use(const pol_rec *r, const json_t *pod, const char *name)
{
    bool by_excluded = false;
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(pod, lists[l]), i, c) {
            if (!uses_volume(c, name))
                continue;
            if (!pol_container_excluded(r, c))
                return false;
            by_excluded = true;
        }
    }
    return by_excluded;
}

static bool any_excluded(const pol_rec *r, const json_t *pod)
{
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(pod, lists[l]), i, c)
            if (pol_container_excluded(r, c))
                return true;
    }
    return false;
}

json_t *pol_pod_view(const pol_rec *r, const json_t *pod)
{
    if (!pod || !any_excluded(r, pod))
        return NULL;
    json_t *view = json_copy((json_t *)pod);
    for (int l = 0; l < 3; l++) {
        const json_t *list = json_object_get(pod, lists[l]);
        if (!json_is_array(list))
            continue;
        json_t *kept = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
            if (!pol_container_excluded(r, c))
                json_array_append(kept, c);
        json_object_set_new(view, lists[l], kept);
    }
    const json_t *volumes = json_object_get(pod, "volumes");
    if (json_is_array(volumes)) {
        json_t *kept = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(volumes, i, v)
            if (!only_excluded_use(r, pod, json_string_value(json_object_get(v, "name"))))
                json_array_append(kept, v);
        json_object_set_new(view, "volumes", kept);
    }
    return view;
}
