/*
 * inventory.c - the resources of a cluster, keyed by (apiVersion group, kind,
 * namespace, name), each with its outcome bit sets, plus per-control
 * healthy/unhealthy counters kept up to date on every change, so that the
 * score costs O(controls). A chained hash table; one allocation per resource.
 * The read/write lock makes every public call safe from any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LOCK_READ(inv) pthread_rwlock_rdlock(&(inv)->lock)
#define LOCK_WRITE(inv) pthread_rwlock_wrlock(&(inv)->lock)
#define UNLOCK(inv) pthread_rwlock_unlock(&(inv)->lock)

uint64_t sg__key_hash(const char *key, size_t keylen) { return sg_fnv1a(SG_FNV1A_INIT, key, keylen); }

int sg_inventory_new(sg_score_model *m, sg_inventory **out, char *err, size_t errlen)
{
    sg_inventory *inv = sg_calloc(1, sizeof *inv);
    *out = NULL;
    inv->nbuckets = 64;
    inv->buckets = sg_calloc(inv->nbuckets, sizeof *inv->buckets);
    int rc = pthread_rwlock_init(&inv->lock, NULL);
    if (rc) {
        free(inv->buckets);
        free(inv);
        return sg_err(err, errlen, "inventory: cannot create its lock: %s", strerror(rc));
    }
    inv->model = sg_score_model_ref(m);
    *out = inv;
    return 0;
}

void sg__table_free(resource **buckets, size_t nbuckets)
{
    for (size_t i = 0; buckets && i < nbuckets; i++)
        for (resource *r = buckets[i], *next; r; r = next) {
            next = r->next;
            free(r);
        }
    free(buckets);
}

void sg_inventory_free(sg_inventory *inv)
{
    if (!inv)
        return;
    sg__table_free(inv->buckets, inv->nbuckets);
    sg__owners_free(inv->owners, inv->owner_buckets);
    sg_score_model_free(inv->model);
    pthread_rwlock_destroy(&inv->lock);
    free(inv);
}

sg_score_model *sg_inventory_model(sg_inventory *inv)
{
    LOCK_READ(inv);
    sg_score_model *m = sg_score_model_ref(inv->model);
    UNLOCK(inv);
    return m;
}

size_t sg_inventory_count(sg_inventory *inv)
{
    LOCK_READ(inv);
    size_t n = inv->count;
    UNLOCK(inv);
    return n;
}

resource *sg__resource_new(size_t nwords, const uint64_t *bits, const resource_text *t)
{
    size_t setbytes = SG_SETS * nwords * sizeof(uint64_t);
    resource *r = sg_malloc(sizeof *r + setbytes + t->keylen + t->labelslen + t->detailslen);
    r->next = NULL;
    r->hash = sg__key_hash(t->key, t->keylen);
    r->keylen = (uint32_t)t->keylen;
    r->labelslen = (uint32_t)t->labelslen;
    r->detailslen = (uint32_t)t->detailslen;
    char *text = (char *)r->bits + setbytes;
    memcpy(r->bits, bits, setbytes);
    memcpy(text, t->key, t->keylen);
    if (t->labelslen)
        memcpy(text + t->keylen, t->labels, t->labelslen);
    if (t->detailslen)
        memcpy(text + t->keylen + t->labelslen, t->details, t->detailslen);
    return r;
}

resource_text sg__resource_text(const resource *r, size_t nwords)
{
    return (resource_text){resource_key(r, nwords), resource_labels(r, nwords), resource_details(r, nwords),
                           r->keylen, r->labelslen, r->detailslen};
}

static resource *table_find(resource *const *buckets, size_t nbuckets, size_t nwords,
                            const char *key, size_t keylen, uint64_t hash)
{
    for (resource *r = buckets[hash & (nbuckets - 1)]; r; r = r->next)
        if (r->hash == hash && r->keylen == keylen &&
            !memcmp(resource_key(r, nwords), key, keylen))
            return r;
    return NULL;
}

resource *sg__inv_find(const sg_inventory *inv, const char *key, size_t keylen, uint64_t hash)
{
    return table_find(inv->buckets, inv->nbuckets, inv->model->nwords, key, keylen, hash);
}

void sg__table_put(resource ***buckets, size_t *nbuckets, size_t *count, resource *r, size_t nwords)
{
    if (*count >= *nbuckets) {
        size_t n = *nbuckets * 2;
        resource **grown = sg_calloc(n, sizeof *grown);
        for (size_t i = 0; i < *nbuckets; i++)
            for (resource *p = (*buckets)[i], *next; p; p = next) {
                next = p->next;
                p->next = grown[p->hash & (n - 1)];
                grown[p->hash & (n - 1)] = p;
            }
        free(*buckets);
        *buckets = grown;
        *nbuckets = n;
    }
    assert(!table_find(*buckets, *nbuckets, nwords, resource_key(r, nwords), r->keylen, r->hash));
    (void)nwords;
    resource **head = &(*buckets)[r->hash & (*nbuckets - 1)];
    r->next = *head;
    *head = r;
    (*count)++;
}

void sg__count(const sg_score_model *m, const uint64_t *bits, int sign, size_t *healthy,
               size_t *unhealthy, size_t *stale)
{
    for (size_t c = 0; c < m->ncontrols; c++) {
        sg_score_state s = sg__control_state(m, bits, c);
        size_t *counter = s == SG_SCORE_HEALTHY ? &healthy[c]
                          : s == SG_SCORE_UNHEALTHY ? &unhealthy[c] : NULL;
        if (!counter)
            continue;
        assert(sign > 0 || *counter > 0);
        *counter += (size_t)(long)sign;
    }
    if (stale && sg__is_stale(m, bits)) {
        assert(sign > 0 || *stale > 0);
        *stale += (size_t)(long)sign;
    }
}

void sg__inv_insert(sg_inventory *inv, resource *r)
{
    sg__table_put(&inv->buckets, &inv->nbuckets, &inv->count, r, inv->model->nwords);
    sg__count(inv->model, r->bits, +1, inv->healthy, inv->unhealthy, &inv->stale);
}

resource *sg__inv_unlink(sg_inventory *inv, resource *r)
{
    resource **p = &inv->buckets[r->hash & (inv->nbuckets - 1)];
    while (*p != r) {
        assert(*p);
        p = &(*p)->next;
    }
    *p = r->next;
    r->next = NULL;
    assert(inv->count > 0);
    inv->count--;
    sg__count(inv->model, r->bits, -1, inv->healthy, inv->unhealthy, &inv->stale);
    return r;
}

/* Recount everything from the resources into the given counters. */
static void recount(const sg_inventory *inv, size_t *healthy, size_t *unhealthy, size_t *stale,
                    size_t *count)
{
    memset(healthy, 0, SG_SCORE_MAX_CONTROLS * sizeof *healthy);
    memset(unhealthy, 0, SG_SCORE_MAX_CONTROLS * sizeof *unhealthy);
    *stale = *count = 0;
    for (size_t i = 0; i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next) {
            sg__count(inv->model, r->bits, +1, healthy, unhealthy, stale);
            (*count)++;
        }
}

void sg__inv_replace_table(sg_inventory *inv, sg_score_model *m, resource **buckets,
                           size_t nbuckets, size_t count)
{
    size_t n;
    sg__table_free(inv->buckets, inv->nbuckets);
    if (m != inv->model) {
        /* Scores handed out borrow only control names, which are interned: the
         * old model can go (kept, every reload would grow memory for good). */
        sg_score_model_free(inv->model);
        inv->model = sg_score_model_ref(m);
    }
    inv->buckets = buckets;
    inv->nbuckets = nbuckets;
    recount(inv, inv->healthy, inv->unhealthy, &inv->stale, &n);
    assert(n == count);
    inv->count = count;
}

void sg_inventory_score(sg_inventory *inv, sg_score *out)
{
    LOCK_READ(inv);
    sg__score_counts(inv->model, inv->healthy, inv->unhealthy, inv->count, inv->stale, out);
    UNLOCK(inv);
}

void sg_inventory_clear(sg_inventory *inv)
{
    LOCK_WRITE(inv);
    for (size_t i = 0; i < inv->nbuckets; i++) {
        for (resource *r = inv->buckets[i], *next; r; r = next) {
            next = r->next;
            free(r);
        }
        inv->buckets[i] = NULL;
    }
    inv->count = inv->stale = 0;
    memset(inv->healthy, 0, sizeof inv->healthy);
    memset(inv->unhealthy, 0, sizeof inv->unhealthy);
    sg__owners_free(inv->owners, inv->owner_buckets);
    inv->owners = NULL;
    inv->owner_buckets = inv->nowners = 0;
    UNLOCK(inv);
}

#define SWAP(type, x, y) \
    do { \
        type tmp_ = (x); \
        (x) = (y); \
        (y) = tmp_; \
    } while (0)

int sg_inventory_swap(sg_inventory *a, sg_inventory *b, char *err, size_t errlen)
{
    if (a == b)
        return 0;
    /* Always lock in address order, so two swaps cannot deadlock. */
    sg_inventory *first = a < b ? a : b, *second = a < b ? b : a;
    LOCK_WRITE(first);
    LOCK_WRITE(second);
    int rc = 0;
    if (a->model != b->model) {
        rc = sg_err(err, errlen, "cannot swap inventories that score with different models");
    } else {
        SWAP(resource **, a->buckets, b->buckets);
        SWAP(size_t, a->nbuckets, b->nbuckets);
        SWAP(size_t, a->count, b->count);
        SWAP(size_t, a->stale, b->stale);
        SWAP(sg__owner **, a->owners, b->owners);
        SWAP(size_t, a->owner_buckets, b->owner_buckets);
        SWAP(size_t, a->nowners, b->nowners);
        size_t tmp[SG_SCORE_MAX_CONTROLS];
        memcpy(tmp, a->healthy, sizeof tmp);
        memcpy(a->healthy, b->healthy, sizeof tmp);
        memcpy(b->healthy, tmp, sizeof tmp);
        memcpy(tmp, a->unhealthy, sizeof tmp);
        memcpy(a->unhealthy, b->unhealthy, sizeof tmp);
        memcpy(b->unhealthy, tmp, sizeof tmp);
    }
    UNLOCK(second);
    UNLOCK(first);
    return rc;
}

int sg_inventory_check(sg_inventory *inv, char *err, size_t errlen)
{
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS], stale, count;
    int rc = 0;
    LOCK_READ(inv);
    recount(inv, healthy, unhealthy, &stale, &count);
    if (count != inv->count)
        rc = sg_err(err, errlen, "inventory: %zu resources counted, %zu held", inv->count, count);
    else if (stale != inv->stale)
        rc = sg_err(err, errlen, "inventory: %zu stale counted, %zu recomputed", inv->stale, stale);
    for (size_t c = 0; !rc && c < inv->model->ncontrols; c++)
        if (healthy[c] != inv->healthy[c] || unhealthy[c] != inv->unhealthy[c])
            rc = sg_err(err, errlen,
                        "inventory: control '%s' counts %zu healthy %zu unhealthy, "
                        "recomputed %zu healthy %zu unhealthy",
                        inv->model->controls[c].id, inv->healthy[c], inv->unhealthy[c],
                        healthy[c], unhealthy[c]);
    UNLOCK(inv);
    return rc;
}

