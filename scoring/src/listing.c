/*
 * listing.c - the resources of one recommendation, a page at a time, in an
 * order that does not depend on the hash table (namespace, kind, name, API
 * group). A continue token names the last resource of a page and the next
 * page starts after it, whatever changed meanwhile, so paging never repeats
 * or skips a resource that stayed. One pass under the read lock keeps the
 * `limit` smallest keys after the token in a max-heap: O(resources log
 * limit), never a sort of the whole inventory.
 *
 * The token is "1." and the key's bytes in hex: opaque to clients, checked
 * strictly when it comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TOKEN_PREFIX "1."
#define MAX_LIMIT 10000
#define MAX_KEY_BYTES (4 * SG_SCORE_MAX_STRING + 4)

/* The four fields of a key: group, kind, namespace, name. */
static void key_fields(const char *key, const char *f[4])
{
    for (int i = 0; i < 4; i++) {
        f[i] = key;
        key += strlen(key) + 1;
    }
}

/* Order of keys: namespace, kind, name, group. */
static int key_cmp(const char *a, const char *b)
{
    static const int order[] = {2, 1, 3, 0};
    const char *fa[4], *fb[4];
    key_fields(a, fa);
    key_fields(b, fb);
    for (int i = 0; i < 4; i++) {
        int c = strcmp(fa[order[i]], fb[order[i]]);
        if (c)
            return c;
    }
    return 0;
}

static char *token_encode(const char *key, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *t = sg_malloc(sizeof TOKEN_PREFIX + 2 * len);
    memcpy(t, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
    char *p = t + sizeof TOKEN_PREFIX - 1;
    for (size_t i = 0; i < len; i++) {
        *p++ = hex[(unsigned char)key[i] >> 4];
        *p++ = hex[(unsigned char)key[i] & 15];
    }
    *p = '\0';
    return t;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The key a token names, malloc'd into *key; -1 when it is not a token of ours. */
static int token_decode(const char *token, char **key)
{
    size_t plen = sizeof TOKEN_PREFIX - 1, len = strlen(token);
    *key = NULL;
    if (len <= plen || strncmp(token, TOKEN_PREFIX, plen) || (len - plen) % 2 || (len - plen) / 2 > MAX_KEY_BYTES)
        return -1;
    size_t n = (len - plen) / 2, fields = 0;
    char *k = sg_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(token[plen + 2 * i]), lo = hex_value(token[plen + 2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(k);
            return -1;
        }
        k[i] = (char)(hi << 4 | lo);
        fields += k[i] == 0;
    }
    k[n] = '\0';
    if (fields != 4 || k[n - 1] != 0) {
        free(k);
        return -1;
    }
    *key = k;
    return 0;
}

/* A max-heap of resources by key: the `limit` smallest seen. */
typedef struct heap {
    const resource **items;
    size_t n, cap, nwords;
} heap;

static int heap_cmp(const heap *h, size_t a, size_t b)
{
    return key_cmp(resource_key(h->items[a], h->nwords), resource_key(h->items[b], h->nwords));
}

static void heap_swap(heap *h, size_t a, size_t b)
{
    const resource *t = h->items[a];
    h->items[a] = h->items[b];
    h->items[b] = t;
}

static void heap_offer(heap *h, const resource *r)
{
    if (h->n < h->cap) {
        size_t i = h->n++;
        h->items[i] = r;
        while (i > 0 && heap_cmp(h, (i - 1) / 2, i) < 0) {
            heap_swap(h, (i - 1) / 2, i);
            i = (i - 1) / 2;
        }
        return;
    }
    if (key_cmp(resource_key(r, h->nwords), resource_key(h->items[0], h->nwords)) >= 0)
        return;
    h->items[0] = r;
    for (size_t i = 0;;) {
        size_t big = i, l = 2 * i + 1, rr = l + 1;
        if (l < h->n && heap_cmp(h, l, big) > 0)
            big = l;
        if (rr < h->n && heap_cmp(h, rr, big) > 0)
            big = rr;
        if (big == i)
            break;
        heap_swap(h, i, big);
        i = big;
    }
}

static int by_key(const void *a, const void *b, void *nwords)
{
    size_t nw = *(size_t *)nwords;
    return key_cmp(resource_key(*(const resource *const *)a, nw), resource_key(*(const resource *const *)b, nw));
}

/* Whether the recommendation's state on `bits` is one of `which`. */
static bool wanted(const uint64_t *bits, size_t nw, size_t rec, unsigned which)
{
    if (!bit_get(bits + SET_APPLIES * nw, rec))
        return false;
    bool exempt = bit_get(bits + SET_WAIVED * nw, rec) || bit_get(bits + SET_MITIGATED * nw, rec);
    if (exempt)
        return which & SG_LIST_EXEMPT;
    return which & (sg__rec_state(bits, nw, rec) == SG_SCORE_UNHEALTHY ? SG_LIST_UNHEALTHY : SG_LIST_HEALTHY);
}

/* Fill one listed item from a held resource; its strings go into one block. */
static void fill_item(const resource *r, size_t nw, size_t rec, sg_listed_resource *it, void **block)
{
    resource_text t = sg__resource_text(r, nw);
    size_t n = 0;
    for (size_t i = 0; i < t.detailslen; i += 3 + strlen(t.details + i + 2))
        n += detail_rec(t.details + i) == rec;
    char *mem = sg_malloc(n * sizeof(char *) + t.keylen + t.detailslen + 1);
    it->labels = sg__labels_json(t.labels, t.labelslen);
    *block = mem;
    it->containers = (const char **)(void *)mem;
    char *text = mem + n * sizeof(char *);
    memcpy(text, t.key, t.keylen);
    const char *f[4];
    key_fields(text, f);
    it->group = f[0];
    it->kind = f[1];
    it->namespace_ = f[2];
    it->name = f[3];
    char *names = text + t.keylen;
    for (size_t i = 0; i < t.detailslen; i += 3 + strlen(t.details + i + 2)) {
        if (detail_rec(t.details + i) != rec)
            continue;
        size_t len = strlen(t.details + i + 2) + 1;
        memcpy(names, t.details + i + 2, len);
        it->containers[it->ncontainers++] = names;
        names += len;
    }
    it->state = sg__rec_state(r->bits, nw, rec);
    it->exemption = bit_get(r->bits + SET_WAIVED * nw, rec)      ? SG_EXEMPT_WAIVER
                    : bit_get(r->bits + SET_MITIGATED * nw, rec) ? SG_EXEMPT_MITIGATED
                                                                 : SG_EXEMPT_NONE;
}

/* The page from the heap's resources (still under the read lock). */
static void build_page(heap *h, size_t rec, bool more, sg_resource_page *out)
{
    if (h->n > 1)
        qsort_r(h->items, h->n, sizeof *h->items, by_key, &h->nwords);
    void **blocks = sg_calloc(h->n + 1, sizeof *blocks);
    out->items = sg_calloc(h->n + 1, sizeof *out->items);
    out->internal_ = blocks;
    for (size_t i = 0; i < h->n; i++)
        fill_item(h->items[i], h->nwords, rec, &out->items[i], &blocks[i]);
    out->count = h->n;
    if (more && h->n) {
        const resource *last = h->items[h->n - 1];
        out->next = token_encode(resource_key(last, h->nwords), last->keylen);
    }
}

int sg_inventory_rec_resources(sg_inventory *inv, const char *rec_id, const char *ns, unsigned which,
                               const char *continue_token, size_t limit, sg_resource_page *out, char *err,
                               size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *after = NULL;
    if (limit < 1 || limit > MAX_LIMIT)
        return sg_err(err, errlen, "limit must be from 1 to %d, not %zu", MAX_LIMIT, limit);
    if (continue_token && *continue_token && token_decode(continue_token, &after) < 0)
        return sg_err(err, errlen, "the continue token is not one this listing returned");
    pthread_rwlock_rdlock(&inv->lock);
    size_t nw = inv->model->nwords;
    long rec = sg_score_model_rec_index(inv->model, rec_id);
    heap h = {sg_calloc(limit, sizeof *h.items), 0, limit, nw};
    size_t after_count = 0;
    int rc = rec < 0 ? sg_err(err, errlen, "no recommendation '%s' in the inventory's model", rec_id ? rec_id : "") : 0;
    for (size_t i = 0; !rc && i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next) {
            const char *key = resource_key(r, nw);
            const char *f[4];
            key_fields(key, f);
            if ((ns && strcmp(f[2], ns)) || !wanted(r->bits, nw, (size_t)rec, which))
                continue;
            out->total++;
            if (after && key_cmp(key, after) <= 0)
                continue;
            after_count++;
            heap_offer(&h, r);
        }
    if (!rc)
        build_page(&h, (size_t)rec, after_count > limit, out);
    pthread_rwlock_unlock(&inv->lock);
    free(h.items);
    free(after);
    if (rc)
        sg_resource_page_free(out);
    return rc;
}

void sg_resource_page_free(sg_resource_page *p)
{
    if (!p)
        return;
    void **blocks = p->internal_;
    for (size_t i = 0; i < p->count; i++) {
        json_decref(p->items[i].labels);
        free(blocks[i]);
    }
    free(blocks);
    free(p->items);
    free(p->next);
    memset(p, 0, sizeof *p);
}
