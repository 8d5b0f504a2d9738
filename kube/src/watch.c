/*
 * watch.c - the watch protocol ("Efficient detection of changes", "Watch
 * bookmarks"): a GET with watch=1 from a resourceVersion answers with a
 * stream of JSON lines {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR,
 * "object": ...}. A BOOKMARK carries only the resourceVersion to resume from;
 * an ERROR carries a Status, code 410 when the version is too old (the client
 * must list again). timeoutSeconds makes the server end the stream cleanly.
 */
#include <stdio.h>
#include <string.h>

#include <scoregate/doc.h>

#include "internal.h"

static const char *const names[SG_KUBE_EVENT_TYPES] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

const char *sg_kube_event_name(sg_kube_event e)
{
    return (unsigned)e < SG_KUBE_EVENT_TYPES ? names[e] : "UNKNOWN";
}

void kb_watch_url(const sg_kube_resource *r, const char *resource_version, unsigned timeout, char *buf, size_t len)
{
    kb_resource_path(r, buf, len);
    char n[32];
    snprintf(n, sizeof n, "%u", timeout);
    kb_query_add(buf, len, "watch", "1");
    kb_query_add(buf, len, "allowWatchBookmarks", "true");
    kb_query_add(buf, len, "resourceVersion", resource_version);
    kb_query_add(buf, len, "timeoutSeconds", n);
}

int kb_event_parse(const char *line, size_t len, kb_event *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    int at_line, at_column;
    char jerr[SG_ERRMAX];
    /* As list pages (list.c): managedFields, which kb_object_clean drops, are never built. */
    static const char *const managed_path[] = {"object", "metadata", "managedFields", NULL};
    static const char *const *const managed_fields[] = {managed_path, NULL};
    ev->root = sg_json_read_skip(line, len, managed_fields, &at_line, &at_column, jerr, sizeof jerr);
    const char *type = json_string_value(json_object_get(ev->root, "type"));
    ev->object = json_object_get(ev->root, "object");
    if (!type || !json_is_object(ev->object)) {
        snprintf(err, errlen, "a watch event is not {\"type\": ..., \"object\": {...}}%s%s", ev->root ? "" : ": ",
                 ev->root ? "" : jerr);
        kb_event_free(ev);
        return -1;
    }
    int t = -1;
    for (int i = 0; i < SG_KUBE_EVENT_TYPES; i++)
        if (!strcmp(type, names[i]))
            t = i;
    if (t < 0) {
        snprintf(err, errlen, "a watch event has the unknown type '%.40s'", type);
        kb_event_free(ev);
        return -1;
    }
    ev->type = (sg_kube_event)t;
    if (ev->type == SG_KUBE_ERROR) {
        json_t *code = json_object_get(ev->object, "code");
        ev->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
        ev->message = json_string_value(json_object_get(ev->object, "message"));
        if (!ev->message)
            ev->message = "";
        return 0;
    }
    ev->resource_version =
        json_string_value(json_object_get(json_object_get(ev->object, "metadata"), "resourceVersion"));
    if (!ev->resource_version || !*ev->resource_version) {
        snprintf(err, errlen, "a %s watch event has no metadata.resourceVersion", type);
        kb_event_free(ev);
        return -1;
    }
    return 0;
}

void kb_event_free(kb_event *ev)
{
    json_decref(ev->root);
    memset(ev, 0, sizeof *ev);
}
