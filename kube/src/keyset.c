/*
 * keyset.c - the (namespace, name) keys an informer has delivered for one
 * kind, with the generation of the list or event that last saw each. After a
 * relist, keys the new list did not return are swept: their objects were
 * deleted while no watch was running, and the consumer is told so. Keys only:
 * the objects themselves are never kept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct node {
    struct node *next;
    uint64_t hash;
    unsigned gen;
    size_t nslen;
    char key[];                  /* namespace, NUL, name, NUL */
} node;

struct kb_keyset {
    node **buckets;
    size_t nbuckets, count;
};

static uint64_t hash_key(const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = ns; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

kb_keyset *kb_keyset_new(void)
{
    kb_keyset *s = sg_calloc(1, sizeof *s);
    s->nbuckets = 64;
    s->buckets = sg_calloc(s->nbuckets, sizeof *s->buckets);
    return s;
}

void kb_keyset_free(kb_keyset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (node *n = s->buckets[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
    free(s->buckets);
    free(s);
}

static node **find(kb_keyset *s, const char *ns, const char *name, uint64_t h)
{
    node **pp = &s->buckets[h & (s->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && !strcmp((*pp)->key, ns) && !strcmp((*pp)->key + (*pp)->nslen + 1, name))
            return pp;
    return pp;
}

static void grow(kb_keyset *s)
{
    size_t nb = s->nbuckets * 2;
    node **b = sg_calloc(nb, sizeof *b);
    for (size_t i = 0; i < s->nbuckets; i++)
        for (node *n = s->buckets[i], *next; n; n = next) {
            next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

bool kb_keyset_put(kb_keyset *s, const char *ns, const char *name, unsigned gen)
{
    if (!ns)
        ns = "";
    uint64_t h = hash_key(ns, name);
    node **pp = find(s, ns, name, h);
    if (*pp) {
        (*pp)->gen = gen;
        return false;
    }
    size_t nslen = strlen(ns), namelen = strlen(name);
    node *n = sg_malloc(sizeof *n + nslen + namelen + 2);
    n->next = NULL;
    n->hash = h;
    n->gen = gen;
    n->nslen = nslen;
    memcpy(n->key, ns, nslen + 1);
    memcpy(n->key + nslen + 1, name, namelen + 1);
    *pp = n;
    if (++s->count > s->nbuckets)
        grow(s);
    return true;
}

bool kb_keyset_remove(kb_keyset *s, const char *ns, const char *name)
{
    if (!ns)
        ns = "";
    node **pp = find(s, ns, name, hash_key(ns, name));
    if (!*pp)
        return false;
    node *n = *pp;
    *pp = n->next;
    free(n);
    s->count--;
    return true;
}

void kb_keyset_sweep(kb_keyset *s, unsigned gen, void (*fn)(void *ctx, const char *ns, const char *name), void *ctx)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        node **pp = &s->buckets[i];
        while (*pp) {
            node *n = *pp;
            if (n->gen == gen) {
                pp = &n->next;
                continue;
            }
            fn(ctx, n->key, n->key + n->nslen + 1);
            *pp = n->next;
            free(n);
            s->count--;
        }
    }
}
