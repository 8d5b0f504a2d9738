/*
 * sanitize.c - prepare an object from the API server before anyone sees it.
 * List items carry no apiVersion and kind, so they are set from the resource.
 * managedFields are dropped (large, never read). Secrets lose data,
 * stringData and the last-applied-configuration annotation (which repeats
 * them): the recommendations read only a Secret's metadata, and a Secret's
 * values must never be kept or logged.
 */
#include <string.h>

#include "internal.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

void kb_object_clean(const sg_kube_resource *r, json_t *object)
{
    if (!json_is_object(object))
        return;
    char api_version[128];
    kb_resource_api_version(r, api_version, sizeof api_version);
    json_object_set_new(object, "apiVersion", json_string(api_version));
    json_object_set_new(object, "kind", json_string(r->kind));
    json_t *meta = json_object_get(object, "metadata");
    json_object_del(meta, "managedFields");
    if (strcmp(r->kind, "Secret") != 0)
        return;
    json_object_del(object, "data");
    json_object_del(object, "stringData");
    json_object_del(json_object_get(meta, "annotations"), LAST_APPLIED);
}
