/*
 * persist.c - crash-safe saving and strict loading of the inventory.
 *
 * File format (integers little-endian):
 *   "SGINV003"                                   magic and version
 *   u32 nrecs, then per recommendation: u16 length, id bytes, u64 params_hash
 *   u64 nresources, then per resource: u32 keylen, u32 labelslen, u32
 *       detailslen, key (group \0 kind \0 namespace \0 name \0), labels
 *       (key \0 value \0 ...), details (u16 recommendation, container \0 ...),
 *       SG_SETS bit sets of ceil(nrecs / 8) bytes each (see internal.h)
 *   u64 nowners, then per controller seen (owners.c): u32 keylen, key, u32
 *       uidlen, uid \0, u32 labelslen, labels, u32 ctllen, its controller's
 *       key (or nothing), u32 ctluidlen, that one's uid \0
 *   trailer: u64 payload length, u64 FNV-1a of the payload, "SGINVEND"
 * Older files still load: version 002 has no detailslen and details, version
 * 001 no controllers either.
 * The trailer makes a torn write (any truncation) or a changed byte (FNV-1a
 * changes with any single byte) detectable before anything is parsed, and
 * parsing builds the new table aside: a bad file is never half-loaded.
 * Saving replaces the file crash-safely (sg_file_write_atomic: a new file
 * next to it, fsync, rename, fsync of the directory), so a crash leaves the
 * old or the new file, never a mix, and temporary files of saves a crash
 * interrupted are removed by the next save.
 */
#include <stdlib.h>
#include <string.h>

#include <scoregate/scoring_testing.h>

#include "internal.h"

#define MAGIC "SGINV003"
#define MAGIC_V2 "SGINV002"
#define MAGIC_V1 "SGINV001"
#define END_MAGIC "SGINVEND"
#define TRAILER 24
#define MAX_KEY (4 * SG_SCORE_MAX_STRING + 4)
#define MAX_LABELS 65536
#define MAX_FILE (1ULL << 30)   /* bytes: far more than any cluster's inventory */

/* ---- writing ---- */

typedef struct buf {
    unsigned char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        b->data = sg_realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void put_uint(buf *b, uint64_t v, int bytes)
{
    unsigned char le[8];
    for (int i = 0; i < bytes; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    put(b, le, (size_t)bytes);
}

static void put_set(buf *b, const uint64_t *set, size_t nrecs)
{
    unsigned char bytes[SG_SCORE_MAX_RECS / 8 + 1] = {0};
    for (size_t i = 0; i < nrecs; i++)
        if (bit_get(set, i))
            bytes[i / 8] |= (unsigned char)(1u << (i % 8));
    put(b, bytes, (nrecs + 7) / 8);
}

static void put_field(buf *b, const void *data, size_t len)
{
    put_uint(b, len, 4);
    put(b, data, len);
}

static void put_owner(void *ctx, const char *key, size_t keylen, const char *uid, const char *labels,
                      size_t labelslen, const char *ctl, size_t ctllen, const char *ctluid)
{
    buf *b = ctx;
    put_field(b, key, keylen);
    put_field(b, uid, strlen(uid) + 1);
    put_field(b, labels, labelslen);
    put_field(b, ctl, ctllen);
    put_field(b, ctluid, strlen(ctluid) + 1);
}

static void serialize(const sg_inventory *inv, buf *b)
{
    const sg_score_model *m = inv->model;
    put(b, MAGIC, 8);
    put_uint(b, m->nrecs, 4);
    for (size_t i = 0; i < m->nrecs; i++) {
        size_t len = strlen(m->recs[i].id);
        put_uint(b, len, 2);
        put(b, m->recs[i].id, len);
        put_uint(b, m->recs[i].params_hash, 8);
    }
    put_uint(b, inv->count, 8);
    for (size_t i = 0; i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next) {
            put_uint(b, r->keylen, 4);
            put_uint(b, r->labelslen, 4);
            put_uint(b, r->detailslen, 4);
            put(b, resource_key(r, m->nwords), r->keylen);
            put(b, resource_labels(r, m->nwords), r->labelslen);
            put(b, resource_details(r, m->nwords), r->detailslen);
            for (int s = 0; s < SG_SETS; s++)
                put_set(b, r->bits + (size_t)s * m->nwords, m->nrecs);
        }
    put_uint(b, inv->nowners, 8);
    sg__owners_each(inv->owners, inv->owner_buckets, put_owner, b);
    size_t payload = b->len;
    uint64_t sum = sg_fnv1a(SG_FNV1A_INIT, b->data, payload);
    put_uint(b, payload, 8);
    put_uint(b, sum, 8);
    put(b, END_MAGIC, 8);
}

int sg_inventory_save(sg_inventory *inv, const char *path, char *err, size_t errlen)
{
    buf b = {0};
    pthread_rwlock_rdlock(&inv->lock);
    serialize(inv, &b);
    pthread_rwlock_unlock(&inv->lock);
    char why[SG_ERRMAX];
    int rc = sg_file_write_atomic(path, b.data, b.len, 0600, why, sizeof why);
    free(b.data);
    return rc ? sg_err(err, errlen, "saving inventory %s", why) : 0;
}

/* ---- reading ---- */

typedef struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
} reader;

static const unsigned char *take(reader *r, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t take_uint(reader *r, int bytes)
{
    const unsigned char *p = take(r, (size_t)bytes);
    uint64_t v = 0;
    for (int i = 0; p && i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void get_set(const unsigned char *bytes, size_t nrecs, uint64_t *set)
{
    for (size_t i = 0; i < nrecs; i++)
        if (bytes[i / 8] & (1u << (i % 8)))
            bit_set(set, i);
}

/* A key holds exactly four NUL-terminated fields and a non-empty kind. */
static bool valid_key(const unsigned char *key, size_t len)
{
    size_t fields = 0;
    for (size_t i = 0; i < len; i++)
        fields += key[i] == 0;
    return len >= 4 && fields == 4 && key[len - 1] == 0 && key[strlen((const char *)key) + 1] != 0;
}

/* Labels are NUL-terminated key/value pairs with non-empty keys. */
static bool valid_labels(const unsigned char *labels, size_t len)
{
    size_t fields = 0;
    bool at_start = true;
    for (size_t i = 0; i < len; i++) {
        if (at_start && fields % 2 == 0 && labels[i] == 0)
            return false;
        at_start = labels[i] == 0;
        fields += labels[i] == 0;
    }
    return len == 0 || (labels[len - 1] == 0 && fields % 2 == 0);
}

/* Every set must agree with the format's invariants (see internal.h). */
static bool valid_sets(const uint64_t *bits, size_t nw, size_t nrecs)
{
    for (size_t w = 0; w < nw; w++) {
        uint64_t known = bits[SET_KNOWN * nw + w], applies = bits[SET_APPLIES * nw + w];
        uint64_t in_range = w * 64 + 64 <= nrecs ? ~(uint64_t)0
                            : nrecs > w * 64   ? (((uint64_t)1 << (nrecs - w * 64)) - 1)
                                               : 0;
        for (int s = 0; s < SG_SETS; s++)
            if (bits[(size_t)s * nw + w] & ~in_range)
                return false;
        if (applies & ~known || bits[SET_STALE * nw + w] & ~known)
            return false;
        for (int s = SET_UNHEALTHY; s <= SET_MITIGATED; s++)
            if (bits[(size_t)s * nw + w] & ~applies)
                return false;
    }
    return true;
}

/* The model the file was saved with: ids and parameter fingerprints. */
static int parse_recs(reader *r, sg_score_model **out, char *err, size_t errlen)
{
    static const sg_score_control_def none = {"file", "file", 0};
    uint64_t nrecs = take_uint(r, 4);
    *out = NULL;
    if (r->bad || nrecs > SG_SCORE_MAX_RECS)
        return sg_err(err, errlen, "bad recommendation count");
    sg_score_rec_def *defs = sg_calloc(nrecs, sizeof *defs);
    char **ids = sg_calloc(nrecs, sizeof *ids);
    int rc = 0;
    for (size_t i = 0; !rc && i < nrecs; i++) {
        size_t len = take_uint(r, 2);
        const unsigned char *id = take(r, len);
        defs[i].params_hash = take_uint(r, 8);
        if (r->bad || len == 0 || memchr(id, 0, len))
            rc = sg_err(err, errlen, "bad id of recommendation %zu", i + 1);
        else
            ids[i] = sg_strndup((const char *)id, len);
        defs[i].id = ids[i];
        defs[i].evaluated = true;
    }
    if (!rc)
        rc = sg_score_model_new(&none, 1, defs, nrecs, out, err, errlen);
    for (size_t i = 0; i < nrecs; i++)
        free(ids[i]);
    free(ids);
    free(defs);
    return rc;
}

/* A string field: NUL-terminated, nothing after the NUL, at most `max` bytes. */
static const char *take_text(reader *r, size_t max)
{
    size_t len = take_uint(r, 4);
    const unsigned char *p = len && len <= max ? take(r, len) : NULL;
    if (!p || memchr(p, 0, len) != p + len - 1) {
        r->bad = true;
        return NULL;
    }
    return (const char *)p;
}

/* The controllers section (version 002) into a table built aside. */
static int parse_owners(reader *r, sg__owner ***buckets, size_t *nbuckets, size_t *count, char *err,
                        size_t errlen)
{
    uint64_t n = take_uint(r, 8);
    if (r->bad || n > r->left / 20)
        return sg_err(err, errlen, "bad controller count");
    for (uint64_t i = 0; i < n; i++) {
        size_t keylen = take_uint(r, 4);
        const unsigned char *key = keylen <= MAX_KEY ? take(r, keylen) : NULL;
        const char *uid = take_text(r, 256);
        size_t labelslen = take_uint(r, 4);
        const unsigned char *labels = labelslen <= MAX_LABELS ? take(r, labelslen) : NULL;
        size_t ctllen = take_uint(r, 4);
        const unsigned char *ctl = ctllen <= MAX_KEY ? take(r, ctllen) : NULL;
        const char *ctluid = take_text(r, 256);
        if (r->bad || !key || !labels || !ctl || !valid_key(key, keylen) || !valid_labels(labels, labelslen) ||
            (ctllen && !valid_key(ctl, ctllen)))
            return sg_err(err, errlen, "bad controller %llu", (unsigned long long)i + 1);
        sg__owners_put(buckets, nbuckets, count, (const char *)key, keylen, uid, (const char *)labels, labelslen,
                       (const char *)ctl, ctllen, ctluid);
    }
    return 0;
}

/* What parsing the resources needs: the saved model, the map onto the live
 * one, scratch bit sets and details, and the table being built. */
typedef struct parse_ctx {
    const sg_score_model *m, *saved;
    const long *map;
    int version;                 /* 1, 2 or 3: details from 3 on, controllers from 2 on */
    uint64_t *in, *out;
    char *details;               /* SG_DETAILS_MAX bytes */
    resource **buckets;
    size_t nbuckets, count;
} parse_ctx;

/* Parse resource number `i` (1-based, for messages) into the table. */
static int parse_resource(parse_ctx *pc, reader *r, uint64_t i, char *err, size_t errlen)
{
    const sg_score_model *m = pc->m, *saved = pc->saved;
    size_t setlen = (saved->nrecs + 7) / 8;
    size_t keylen = take_uint(r, 4), labelslen = take_uint(r, 4), detailslen = pc->version >= 3 ? take_uint(r, 4) : 0;
    const unsigned char *key = keylen <= MAX_KEY ? take(r, keylen) : NULL;
    const unsigned char *labels = labelslen <= MAX_LABELS ? take(r, labelslen) : NULL;
    const unsigned char *details = detailslen <= SG_DETAILS_MAX ? take(r, detailslen) : NULL;
    const unsigned char *sets = take(r, SG_SETS * setlen);
    if (!key || !labels || !details || !sets || !valid_key(key, keylen) || !valid_labels(labels, labelslen) ||
        !sg__details_valid((const char *)details, detailslen, saved->nrecs))
        return sg_err(err, errlen, "bad key, labels or details of resource %llu", (unsigned long long)i);
    memset(pc->in, 0, SG_SETS * saved->nwords * sizeof *pc->in);
    for (int s = 0; s < SG_SETS; s++)
        get_set(sets + (size_t)s * setlen, saved->nrecs, pc->in + (size_t)s * saved->nwords);
    if (!valid_sets(pc->in, saved->nwords, saved->nrecs))
        return sg_err(err, errlen, "inconsistent outcome of resource %llu", (unsigned long long)i);
    sg__remap_bits(saved, m, pc->map, pc->in, pc->out);
    uint64_t hash = sg__key_hash((const char *)key, keylen);
    for (const resource *p = pc->buckets[hash & (pc->nbuckets - 1)]; p; p = p->next)
        if (p->hash == hash && p->keylen == keylen && !memcmp(resource_key(p, m->nwords), key, keylen))
            return sg_err(err, errlen, "resource %llu is listed twice", (unsigned long long)i);
    resource_text t = {(const char *)key, (const char *)labels, pc->details, keylen, labelslen, 0};
    t.detailslen = sg__remap_details(pc->map, (const char *)details, detailslen, pc->details);
    sg__table_put(&pc->buckets, &pc->nbuckets, &pc->count, sg__resource_new(m->nwords, pc->out, &t), m->nwords);
    return 0;
}

/* The version of a file's magic, or 0 when it is not an inventory. */
static int version_of(const unsigned char *magic)
{
    return !magic ? 0 : !memcmp(magic, MAGIC, 8) ? 3 : !memcmp(magic, MAGIC_V2, 8) ? 2 : !memcmp(magic, MAGIC_V1, 8);
}

/* Parse a payload onto model `m`, building the tables aside. */
static int parse_payload(const sg_score_model *m, const void *data, size_t len,
                         resource ***buckets_out, size_t *nbuckets_out, size_t *count_out,
                         sg__owner ***owners_out, size_t *owner_buckets_out, size_t *nowners_out,
                         char *err, size_t errlen)
{
    reader r = {data, len, false};
    sg_score_model *saved = NULL;
    parse_ctx pc = {.m = m, .nbuckets = 64};
    pc.buckets = sg_calloc(pc.nbuckets, sizeof *pc.buckets);
    pc.out = sg_calloc(SG_SETS * m->nwords, sizeof *pc.out);
    pc.details = sg_malloc(SG_DETAILS_MAX);
    pc.version = version_of(take(&r, 8));
    long *map = NULL;
    int rc = 0;
    if (!pc.version)
        rc = sg_err(err, errlen, "not a scoregate inventory (bad magic)");
    else if (!parse_recs(&r, &saved, err, errlen)) {
        map = sg_calloc(saved->nrecs, sizeof *map);
        pc.in = sg_calloc(SG_SETS * saved->nwords, sizeof *pc.in);
        sg__remap_index(saved, m, map);
    } else
        rc = -1;
    pc.saved = saved;
    pc.map = map;
    uint64_t n = rc ? 0 : take_uint(&r, 8);
    size_t setlen = saved ? (saved->nrecs + 7) / 8 : 0;
    if (!rc && (r.bad || n > r.left / (8 + 4 + SG_SETS * setlen)))
        rc = sg_err(err, errlen, "bad resource count");
    for (uint64_t i = 0; !rc && i < n; i++)
        rc = parse_resource(&pc, &r, i + 1, err, errlen);
    sg__owner **owners = NULL;
    size_t owner_buckets = 0, nowners = 0;
    if (!rc && pc.version >= 2)
        rc = parse_owners(&r, &owners, &owner_buckets, &nowners, err, errlen);
    if (!rc && r.left)
        rc = sg_err(err, errlen, "%zu unexpected bytes after the resources", r.left);
    sg_score_model_free(saved);
    free(map);
    free(pc.in);
    free(pc.out);
    free(pc.details);
    if (rc) {
        sg__table_free(pc.buckets, pc.nbuckets);
        sg__owners_free(owners, owner_buckets);
        return -1;
    }
    *buckets_out = pc.buckets;
    *nbuckets_out = pc.nbuckets;
    *count_out = pc.count;
    *owners_out = owners;
    *owner_buckets_out = owner_buckets;
    *nowners_out = nowners;
    return 0;
}

int sg__inventory_parse_payload(const sg_score_model *m, const void *payload, size_t len,
                                size_t *count, char *err, size_t errlen)
{
    resource **buckets;
    sg__owner **owners;
    size_t nbuckets, owner_buckets, nowners;
    if (parse_payload(m, payload, len, &buckets, &nbuckets, count, &owners, &owner_buckets, &nowners, err, errlen))
        return -1;
    sg__table_free(buckets, nbuckets);
    sg__owners_free(owners, owner_buckets);
    return 0;
}

int sg_inventory_load_buffer(sg_inventory *inv, const char *name, const void *data, size_t len,
                             char *err, size_t errlen)
{
    const unsigned char *bytes = data;
    char why[SG_ERRMAX];
    resource **buckets;
    sg__owner **owners;
    size_t nbuckets, count, owner_buckets, nowners;
    if (len < 8 + TRAILER || memcmp(bytes + len - 8, END_MAGIC, 8))
        return sg_err(err, errlen, "loading inventory %s: file is truncated or not an inventory "
                      "(no trailer)", name);
    reader t = {bytes + len - TRAILER, TRAILER, false};
    uint64_t payload = take_uint(&t, 8), sum = take_uint(&t, 8);
    if (payload != len - TRAILER)
        return sg_err(err, errlen, "loading inventory %s: length %llu in the trailer, %zu in "
                      "the file: torn or corrupt", name, (unsigned long long)payload,
                      len - TRAILER);
    if (sg_fnv1a(SG_FNV1A_INIT, bytes, payload) != sum)
        return sg_err(err, errlen, "loading inventory %s: checksum mismatch: corrupt", name);
    pthread_rwlock_wrlock(&inv->lock);
    int rc = parse_payload(inv->model, bytes, payload, &buckets, &nbuckets, &count, &owners, &owner_buckets,
                           &nowners, why, sizeof why);
    if (!rc) {
        sg__inv_replace_table(inv, inv->model, buckets, nbuckets, count);
        sg__owners_free(inv->owners, inv->owner_buckets);
        inv->owners = owners;
        inv->owner_buckets = owner_buckets;
        inv->nowners = nowners;
    }
    pthread_rwlock_unlock(&inv->lock);
    return rc ? sg_err(err, errlen, "loading inventory %s: %s", name, why) : 0;
}

int sg_inventory_load(sg_inventory *inv, const char *path, char *err, size_t errlen)
{
    char *data, why[SG_ERRMAX];
    size_t len;
    if (sg_file_read(path, MAX_FILE, &data, &len, why, sizeof why) < 0)
        return sg_err(err, errlen, "loading inventory %s", why);
    int rc = sg_inventory_load_buffer(inv, path, data, len, err, errlen);
    free(data);
    return rc;
}
