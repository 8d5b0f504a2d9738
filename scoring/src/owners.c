/*
 * owners.c - the controllers the inventory has seen (every workload with a
 * pod template but Pods: Deployments, ReplicaSets, Jobs, CronJobs, ...), so
 * that an exemption of a workload covers the objects its controller creates
 * and a forged ownerReference buys nothing. An owner reference counts only
 * when the inventory holds an object of that group, kind and name in the
 * object's namespace whose uid is the one the reference names (an object
 * seen without a uid, as in a manifest, is taken by name). Owned controllers
 * (the ReplicaSets of a Deployment) are kept here although the score leaves
 * them out. Guarded by the inventory's lock like everything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"



struct sg__owner {
    struct sg__owner *next;
    uint64_t hash;
    uint32_t keylen, uidlen, labelslen, ctllen, ctluidlen;
    char data[];        /* key, uid, labels (k\0v\0...), controller key, controller uid */
};

static const char *o_key(const sg__owner *o) { return o->data; }
static const char *o_uid(const sg__owner *o) { return o->data + o->keylen; }
static const char *o_labels(const sg__owner *o) { return o_uid(o) + o->uidlen; }
static const char *o_ctl(const sg__owner *o) { return o_labels(o) + o->labelslen; }
static const char *o_ctluid(const sg__owner *o) { return o_ctl(o) + o->ctllen; }

/* The key of an object (group \0 kind \0 namespace \0 name \0) into buf; its length, or 0. */
static size_t key_of(const char *api_version, const char *kind, const char *ns, const char *name, char *buf,
                     size_t len)
{
    if (!api_version || !kind || !*kind || !name)
        return 0;
    const char *slash = strchr(api_version, '/');
    size_t glen = slash ? (size_t)(slash - api_version) : 0;
    size_t need = glen + strlen(kind) + strlen(ns ? ns : "") + strlen(name) + 4;
    if (need > len)
        return 0;
    memcpy(buf, api_version, glen);
    char *p = buf + glen;
    *p++ = 0;
    for (const char *part[] = {kind, ns ? ns : "", name}, **q = part; q < part + 3; q++) {
        size_t n = strlen(*q);
        memcpy(p, *q, n + 1);
        p += n + 1;
    }
    return need;
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static sg__owner *find(sg__owner *const *buckets, size_t nbuckets, const char *key, size_t keylen, uint64_t hash)
{
    if (!nbuckets)
        return NULL;
    for (sg__owner *o = buckets[hash & (nbuckets - 1)]; o; o = o->next)
        if (o->hash == hash && o->keylen == keylen && !memcmp(o_key(o), key, keylen))
            return o;
    return NULL;
}

/* Labels as key \0 value \0 ... (string values only); their length. */
static size_t flat_labels(const json_t *labels, char *buf, size_t len)
{
    size_t used = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)labels, k, v) {
        size_t kl = strlen(k) + 1, vl = json_string_length(v) + 1;
        if (!json_is_string(v) || used + kl + vl > len)
            continue;
        memcpy(buf + used, k, kl);
        memcpy(buf + used + kl, json_string_value(v), vl);
        used += kl + vl;
    }
    return used;
}

/* Room for one more owner (the table doubles at one per bucket). */
static void grow(sg__owner ***buckets, size_t *nbuckets, size_t count)
{
    if (count < *nbuckets)
        return;
    size_t n = *nbuckets ? *nbuckets * 2 : 64;
    sg__owner **grown = sg_calloc(n, sizeof *grown);
    for (size_t i = 0; i < *nbuckets; i++)
        for (sg__owner *o = (*buckets)[i], *next; o; o = next) {
            next = o->next;
            o->next = grown[o->hash & (n - 1)];
            grown[o->hash & (n - 1)] = o;
        }
    free(*buckets);
    *buckets = grown;
    *nbuckets = n;
}

static char *append(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}

void sg__owners_put(sg__owner ***buckets, size_t *nbuckets, size_t *count, const char *key, size_t keylen,
                    const char *uid, const char *labels, size_t labelslen, const char *ctl, size_t ctllen,
                    const char *ctluid)
{
    size_t uidlen = strlen(uid) + 1, ctluidlen = strlen(ctluid) + 1;
    sg__owner *o = sg_malloc(sizeof *o + keylen + uidlen + labelslen + ctllen + ctluidlen);
    grow(buckets, nbuckets, *count);
    o->hash = sg__key_hash(key, keylen);
    o->keylen = (uint32_t)keylen;
    o->uidlen = (uint32_t)uidlen;
    o->labelslen = (uint32_t)labelslen;
    o->ctllen = (uint32_t)ctllen;
    o->ctluidlen = (uint32_t)ctluidlen;
    char *p = append(o->data, key, keylen);
    p = append(append(append(append(p, uid, uidlen), labels, labelslen), ctl, ctllen), ctluid, ctluidlen);
    sg__owners_forget(*buckets, *nbuckets, count, key, keylen);
    size_t b = o->hash & (*nbuckets - 1);
    o->next = (*buckets)[b];
    (*buckets)[b] = o;
    (*count)++;
}

bool sg__owners_forget(sg__owner **buckets, size_t nbuckets, size_t *count, const char *key, size_t keylen)
{
    if (!nbuckets)
        return false;
    uint64_t hash = sg__key_hash(key, keylen);
    for (sg__owner **pp = &buckets[hash & (nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == hash && (*pp)->keylen == keylen && !memcmp(o_key(*pp), key, keylen)) {
            sg__owner *gone = *pp;
            *pp = gone->next;
            free(gone);
            (*count)--;
            return true;
        }
    return false;
}

void sg__owners_note(sg_inventory *inv, const json_t *object, const char *ns)
{
    const json_t *meta = json_object_get(object, "metadata"), *ref = sg_controller_ref(meta);
    char key[4 * SG_SCORE_MAX_STRING + 4], ctl[4 * SG_SCORE_MAX_STRING + 4], labels[65536];
    size_t keylen = key_of(str(object, "apiVersion"), str(object, "kind"), ns, str(meta, "name"), key, sizeof key);
    size_t ctllen = ref ? key_of(str(ref, "apiVersion"), str(ref, "kind"), ns, str(ref, "name"), ctl, sizeof ctl) : 0;
    if (!keylen)
        return;
    size_t labelslen = flat_labels(json_object_get(meta, "labels"), labels, sizeof labels);
    pthread_rwlock_wrlock(&inv->lock);
    sg__owners_put(&inv->owners, &inv->owner_buckets, &inv->nowners, key, keylen, str(meta, "uid"), labels, labelslen,
                   ctl, ctllen, str(ref, "uid"));
    pthread_rwlock_unlock(&inv->lock);
}

bool sg__owners_remove(sg_inventory *inv, const char *api_version, const char *kind, const char *ns,
                       const char *name)
{
    char key[4 * SG_SCORE_MAX_STRING + 4];
    size_t keylen = key_of(api_version, kind, ns, name, key, sizeof key);
    if (!keylen)
        return false;
    pthread_rwlock_wrlock(&inv->lock);
    bool removed = sg__owners_forget(inv->owners, inv->owner_buckets, &inv->nowners, key, keylen);
    pthread_rwlock_unlock(&inv->lock);
    return removed;
}

/* Labels key \0 value \0 ... as a JSON object. */
static json_t *labels_json(const char *labels, size_t len)
{
    json_t *out = sg_check_alloc(json_object());
    for (const char *p = labels; p < labels + len;) {
        const char *v = p + strlen(p) + 1;
        if (json_object_set_new_nocheck(out, p, sg_check_alloc(json_string_nocheck(v))))
            sg_oom();
        p = v + strlen(v) + 1;
    }
    return out;
}

/* Whether the held owner `o` is the one a reference with uid `uid` names:
 * the same uid, or any when `o` was seen without one (a manifest). */
static bool same_uid(const sg__owner *o, const char *uid)
{
    return !*o_uid(o) || !strcmp(uid, o_uid(o));
}

void sg__owners_chain(sg_inventory *inv, const json_t *object, const char *ns, sg__chain *out)
{
    memset(out, 0, sizeof *out);
    const json_t *ref = sg_controller_ref(json_object_get(object, "metadata"));
    if (!ref)
        return;
    char key[4 * SG_SCORE_MAX_STRING + 4];
    size_t keylen = key_of(str(ref, "apiVersion"), str(ref, "kind"), ns, str(ref, "name"), key, sizeof key);
    char uid[256];
    snprintf(uid, sizeof uid, "%s", str(ref, "uid"));
    pthread_rwlock_rdlock(&inv->lock);
    while (keylen && out->n < SG__CHAIN_MAX) {
        const sg__owner *o = find(inv->owners, inv->owner_buckets, key, keylen, sg__key_hash(key, keylen));
        if (!o || !same_uid(o, uid))
            break;   /* unverified: neither it nor anything above it counts */
        const char *group = o_key(o), *kind = group + strlen(group) + 1;
        const char *name = kind + strlen(kind) + 1;
        name += strlen(name) + 1;
        out->groups[out->n] = sg_strdup(group);
        out->kinds[out->n] = sg_strdup(kind);
        out->names[out->n] = sg_strdup(name);
        out->labels[out->n] = labels_json(o_labels(o), o->labelslen);
        out->owners[out->n] = (sg_owner){out->groups[out->n], out->kinds[out->n], out->names[out->n],
                                         out->labels[out->n]};
        out->n++;
        keylen = o->ctllen;
        if (keylen) {
            memcpy(key, o_ctl(o), keylen);
            snprintf(uid, sizeof uid, "%s", o_ctluid(o));
        }
    }
    pthread_rwlock_unlock(&inv->lock);
}

void sg__owners_chain_free(sg__chain *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->groups[i]);
        free(c->kinds[i]);
        free(c->names[i]);
        json_decref(c->labels[i]);
    }
    memset(c, 0, sizeof *c);
}

void sg__owners_free(sg__owner **buckets, size_t nbuckets)
{
    for (size_t i = 0; i < nbuckets; i++)
        for (sg__owner *o = buckets[i], *next; o; o = next) {
            next = o->next;
            free(o);
        }
    free(buckets);
}

void sg__owners_each(sg__owner *const *buckets, size_t nbuckets, sg__owner_fn fn, void *ctx)
{
    for (size_t i = 0; i < nbuckets; i++)
        for (const sg__owner *o = buckets[i]; o; o = o->next)
            fn(ctx, o_key(o), o->keylen, o_uid(o), o_labels(o), o->labelslen, o_ctl(o), o->ctllen, o_ctluid(o));
}
