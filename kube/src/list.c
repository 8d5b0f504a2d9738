/*
 * list.c - paginated lists ("Retrieving large results sets in chunks"): ask
 * for `limit` objects, follow metadata.continue until it is empty; the list's
 * metadata.resourceVersion is where a watch starts. A continue token that has
 * expired (410 Gone) means the list must start over; a connection lost in the
 * middle of a page asks for that page again, with the same continue token. A
 * metadata-only kind asks for a PartialObjectMetadataList. The page parsing
 * here is shared with the informer, which runs the same requests without
 * blocking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/doc.h>

#include "internal.h"

#define MAX_RESTARTS 3
#define MAX_RETRIES 3

void kb_list_url(const sg_kube_resource *r, unsigned limit, const char *cont, char *buf, size_t len)
{
    kb_resource_path(r, buf, len);
    char n[32];
    snprintf(n, sizeof n, "%u", limit);
    kb_query_add(buf, len, "limit", n);
    if (cont && *cont)
        kb_query_add(buf, len, "continue", cont);
}

int kb_page_parse(const sg_kube_resource *r, const char *body, size_t len, kb_page *page, char *err, size_t errlen)
{
    memset(page, 0, sizeof *page);
    /* sg_json_read accepts and builds what json_loadb does, several times faster: a first list of a large
     * cluster is hundreds of megabytes of JSON (bench/list_sync.py). The whole page is validated first, and
     * the items are built one at a time (kb_page_item) without their managedFields (a third of an object
     * or more, dropped by kb_object_clean anyway). */
    static const char *const items_path[] = {"items", NULL};
    static const char *const *const items[] = {items_path, NULL};
    int line, column;
    char jerr[SG_ERRMAX];
    page->items = sg_malloc(sizeof *page->items);
    page->root = sg_json_read_split(body, len, items, page->items, &line, &column, jerr, sizeof jerr);
    if (!json_is_object(page->root)) {
        snprintf(err, errlen, "list %s: the API server sent no JSON object: %s", r->resource,
                 page->root ? "another JSON value" : jerr);
        kb_page_free(page);
        return -1;
    }
    char type = page->items->type;
    if (type && type != '[' && type != 'n') {
        snprintf(err, errlen, "list %s: items is not a list", r->resource);
        kb_page_free(page);
        return -1;
    }
    page->body = body;
    page->nitems = type == '[' ? page->items->n : 0;
    json_t *meta = json_object_get(page->root, "metadata");
    page->resource_version = json_string_value(json_object_get(meta, "resourceVersion"));
    page->continue_token = json_string_value(json_object_get(meta, "continue"));
    if (!page->resource_version || !*page->resource_version) {
        snprintf(err, errlen, "list %s: the response has no metadata.resourceVersion", r->resource);
        kb_page_free(page);
        return -1;
    }
    return 0;
}

json_t *kb_page_item(const kb_page *page, size_t i)
{
    static const char *const managed_path[] = {"metadata", "managedFields", NULL};
    static const char *const *const managed_fields[] = {managed_path, NULL};
    const sg_json_span *s = &page->items->spans[i];
    return sg_json_read_element(page->body + s->start, s->end - s->start, managed_fields);
}

void kb_page_free(kb_page *page)
{
    json_decref(page->root);
    if (page->items)
        free(page->items->spans);
    free(page->items);
    memset(page, 0, sizeof *page);
}

int sg_kube_list(sg_kube_config *c, const sg_kube_resource *r, unsigned page_size, sg_kube_list_fn fn, void *ctx,
                 char **resource_version, char *err, size_t errlen)
{
    if (resource_version)
        *resource_version = NULL;
    if (!page_size)
        page_size = 500;
    char *cont = NULL, what[256];
    snprintf(what, sizeof what, "list %s", r->resource);
    int restarts = 0, retries = 0;
    kb_backoff backoff;
    kb_backoff_init(&backoff, KB_BACKOFF_INITIAL, KB_BACKOFF_MAX, (uint64_t)time(NULL));
    for (;;) {
        char url[4096];
        kb_list_url(r, page_size, cont, url, sizeof url);
        kb_transfer t;
        if (kb_transfer_init(&t, c, url, r->metadata_only ? KB_ACCEPT_METADATA_LIST : NULL, KB_LIST_TIMEOUT, NULL,
                             NULL, err, errlen) < 0) {
            free(cont);
            return -1;
        }
        CURLcode rc = curl_easy_perform(t.easy);
        long status = kb_transfer_status(&t);
        if (rc == CURLE_OK && status == 410 && cont && restarts < MAX_RESTARTS) {
            restarts++;
            free(cont);
            cont = NULL;
            kb_transfer_cleanup(&t);
            continue;
        }
        if (kb_transfer_broke(&t, rc) && retries < MAX_RETRIES) {
            /* The connection broke off in the middle: this page again, after a pause. */
            retries++;
            kb_transfer_cleanup(&t);
            double pause = kb_backoff_next(&backoff);
            struct timespec ts = {(time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9)};
            nanosleep(&ts, NULL);
            continue;
        }
        if (rc == CURLE_OK && status == 404 && r->optional) {
            kb_transfer_cleanup(&t);
            free(cont);
            return 1;   /* a custom resource whose CRD is not installed: nothing to list */
        }
        if (rc != CURLE_OK || status != 200) {
            kb_transfer_error(&t, rc, what, err, errlen);
            kb_transfer_cleanup(&t);
            free(cont);
            return -1;
        }
        kb_page page;
        int prc = kb_page_parse(r, t.body.data, t.body.len, &page, err, errlen);
        free(cont);
        cont = NULL;
        if (prc < 0) {
            kb_transfer_cleanup(&t);
            return -1;
        }
        retries = 0;
        kb_backoff_reset(&backoff);
        for (size_t i = 0; i < page.nitems; i++) {
            json_t *item = kb_page_item(&page, i);
            kb_object_clean(r, item);
            if (fn(ctx, r, item, err, errlen) != 0) {
                kb_page_free(&page);
                kb_transfer_cleanup(&t);
                return -1;
            }
        }
        if (page.continue_token && *page.continue_token)
            cont = sg_strdup(page.continue_token);
        else if (resource_version)
            *resource_version = sg_strdup(page.resource_version);
        kb_page_free(&page);
        kb_transfer_cleanup(&t);
        if (!cont)
            return 0;
    }
}
