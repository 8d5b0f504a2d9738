/*
 * internal.h - the data structures shared by the files of the scoring module:
 * the model, outcomes and their bit sets, inventory resources. Not installed,
 * not used outside scoring/ (the fuzz target reads scoregate/scoring_testing.h
 * only).
 *
 * Every outcome, in an sg_score_outcome or a stored resource, is SG_SETS bit
 * sets of `nwords` 64-bit words each, indexed by catalog index of the model it
 * was recorded against:
 *   KNOWN      the recommendation was evaluated (absence of a finding means
 *              "does not apply", not "unknown")
 *   APPLIES    it produced a finding (APPLIES is a subset of KNOWN)
 *   UNHEALTHY  some finding was unhealthy before exemptions
 *   WAIVED     a waiver exemption applies
 *   MITIGATED  a mitigated exemption applies
 *   STALE      recorded under other parameters than the model's
 *
 * Besides the bit sets, an outcome keeps its "details": the containers in
 * which a recommendation is unhealthy, for people (the dashboard lists them),
 * never for the score. Each entry is a 2-byte little-endian catalog index and
 * a NUL-terminated container name; at most SG_DETAILS_MAX bytes per resource
 * (later entries are dropped: a pod with hundreds of containers is shown in
 * part).
 */
#ifndef SG_SCORING_INTERNAL_H
#define SG_SCORING_INTERNAL_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>

#include <scoregate/doc.h>
#include <scoregate/scoring.h>

enum { SET_KNOWN, SET_APPLIES, SET_UNHEALTHY, SET_WAIVED, SET_MITIGATED, SET_STALE, SG_SETS };

#define SG_SCORE_MAX_STRING 4096
#define SG_SCORE_MAX_CENTS 100000000LL   /* 1000000 points */
#define SG_DETAILS_MAX 16384
#define SG_CONTAINER_NAME_MAX 253

typedef struct model_rec {
    char *id;
    long control;            /* index, or -1 when not scored */
    bool scored, evaluated;
    uint64_t params_hash;
} model_rec;

struct sg_score_model {
    atomic_long refs;
    size_t ncontrols, nrecs, nwords;
    sg_score_control_def controls[SG_SCORE_MAX_CONTROLS];   /* strings owned */
    long long max_cents[SG_SCORE_MAX_CONTROLS];
    model_rec *recs;
    model_rec **by_id;       /* the recs sorted by id */
    uint64_t *masks;         /* per control: nwords words of its scored recs */
    uint64_t *scored;        /* nwords: every scored rec */
    uint64_t *evaluated;     /* nwords: every evaluated rec */
};

struct sg_score_outcome {
    sg_score_model *model;   /* one reference */
    char *key;               /* group \0 kind \0 namespace \0 name \0 */
    size_t keylen;
    uint64_t hash;           /* of the key */
    char *labels;            /* key \0 value \0 ..., or NULL */
    size_t labelslen;
    bool ignored;
    uint64_t *bits;          /* SG_SETS * model->nwords */
    char *details;           /* see above, or NULL */
    size_t detailslen;
};

/* One inventoried resource, one allocation: bits, then key, labels, details. */
typedef struct resource {
    struct resource *next;
    uint64_t hash;
    uint32_t keylen, labelslen, detailslen;
    uint64_t bits[];
} resource;

typedef struct sg__owner sg__owner;

struct sg_inventory {
    pthread_rwlock_t lock;
    sg_score_model *model;
    resource **buckets;
    size_t nbuckets, count, stale;
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    sg__owner **owners;          /* the controllers seen (owners.c), a hash table */
    size_t owner_buckets, nowners;
};

/* Bit sets. */
static inline bool bit_get(const uint64_t *set, size_t i) { return (set[i / 64] >> (i % 64)) & 1u; }
static inline void bit_set(uint64_t *set, size_t i) { set[i / 64] |= (uint64_t)1 << (i % 64); }
static inline void bit_clear(uint64_t *set, size_t i) { set[i / 64] &= ~((uint64_t)1 << (i % 64)); }

static inline const char *resource_key(const resource *r, size_t nwords)
{
    return (const char *)(r->bits + SG_SETS * nwords);
}
static inline const char *resource_labels(const resource *r, size_t nwords)
{
    return resource_key(r, nwords) + r->keylen;
}
static inline const char *resource_details(const resource *r, size_t nwords)
{
    return resource_labels(r, nwords) + r->labelslen;
}

/* The catalog index of the details entry at `p`. */
static inline size_t detail_rec(const char *p)
{
    return (size_t)(unsigned char)p[0] | (size_t)(unsigned char)p[1] << 8;
}

/* health.c: the healthy-in-a-control rule over one outcome's bit sets. */
sg_score_state sg__rec_state(const uint64_t *bits, size_t nwords, size_t rec);
sg_score_state sg__control_state(const sg_score_model *m, const uint64_t *bits, size_t control);
/* Whether a scored recommendation of `m` is unknown or stale in `bits`. */
bool sg__is_stale(const sg_score_model *m, const uint64_t *bits);

/*
 * remap.c: map bit sets recorded against `from` onto `to` by recommendation
 * id. `map` (from->nrecs entries) receives each old index's new index or -1.
 * A known recommendation whose params_hash differs becomes stale.
 */
void sg__remap_index(const sg_score_model *from, const sg_score_model *to, long *map);
void sg__remap_bits(const sg_score_model *from, const sg_score_model *to, const long *map,
                    const uint64_t *in, uint64_t *out);
/* Map `len` bytes of details through `map` into `out` (room for `len`
 * bytes); entries of recommendations the new model lacks are dropped.
 * Returns the length written. */
size_t sg__remap_details(const long *map, const char *in, size_t len, char *out);
/* Whether `len` bytes are well-formed details for a model of `nrecs` recommendations. */
bool sg__details_valid(const char *details, size_t len, size_t nrecs);

/* inventory.c: the hash table and counters; callers hold the lock. */
resource *sg__inv_find(const sg_inventory *inv, const char *key, size_t keylen, uint64_t hash);
/* The text parts of a new resource: key, labels and details (lengths in bytes). */
typedef struct resource_text {
    const char *key, *labels, *details;
    size_t keylen, labelslen, detailslen;
} resource_text;
resource *sg__resource_new(size_t nwords, const uint64_t *bits, const resource_text *t);
/* The text parts of a held resource. */
resource_text sg__resource_text(const resource *r, size_t nwords);
/* Link a new resource (no other with its key may be held) and count it. */
void sg__inv_insert(sg_inventory *inv, resource *r);
/* Unlink and uncount a held resource; returns it for the caller to free. */
resource *sg__inv_unlink(sg_inventory *inv, resource *r);
/* Add (+1) or subtract (-1) one outcome from counters. */
void sg__count(const sg_score_model *m, const uint64_t *bits, int sign, size_t *healthy,
               size_t *unhealthy, size_t *stale);
/* Score of counters with `resources` resources in total. */
void sg__score_counts(const sg_score_model *m, const size_t *healthy, const size_t *unhealthy,
                      size_t resources, size_t stale, sg_score *out);
/* Swap in a table built elsewhere (buckets, count) and rebuild the counters. */
void sg__inv_replace_table(sg_inventory *inv, sg_score_model *m, resource **buckets,
                           size_t nbuckets, size_t count);
void sg__table_free(resource **buckets, size_t nbuckets);
/* Insert into a bare table being built (no counters); grows it. */
void sg__table_put(resource ***buckets, size_t *nbuckets, size_t *count, resource *r, size_t nwords);
uint64_t sg__key_hash(const char *key, size_t keylen);
/* reload.c: flat labels (key \0 value \0 ...) as a JSON object. */
json_t *sg__labels_json(const char *flat, size_t len);

/*
 * predict.c: predict the request and, when `judge` (called under the write
 * lock with the prediction) says so, apply it: the change is exactly the
 * prediction judged. *applied tells whether a resource was put or removed.
 */
typedef bool (*sg__judge_fn)(void *ctx, const sg_score_prediction *p);
int sg__inventory_judge_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                              sg__judge_fn judge, void *ctx, sg_score_prediction *out, bool *applied,
                              char *err, size_t errlen);

/*
 * owners.c: the controllers the inventory has seen, keyed like resources,
 * each with its uid, labels and its own controller's key and uid (both
 * possibly empty). Tables are passed explicitly so that loading can build one
 * aside; the callers hold the inventory's lock, except for the sg__owners_note,
 * _remove and _chain, which take it.
 */
void sg__owners_put(sg__owner ***buckets, size_t *nbuckets, size_t *count, const char *key, size_t keylen,
                    const char *uid, const char *labels, size_t labelslen, const char *ctl, size_t ctllen,
                    const char *ctluid);
bool sg__owners_forget(sg__owner **buckets, size_t nbuckets, size_t *count, const char *key, size_t keylen);
void sg__owners_free(sg__owner **buckets, size_t nbuckets);
typedef void (*sg__owner_fn)(void *ctx, const char *key, size_t keylen, const char *uid, const char *labels,
                             size_t labelslen, const char *ctl, size_t ctllen, const char *ctluid);
void sg__owners_each(sg__owner *const *buckets, size_t nbuckets, sg__owner_fn fn, void *ctx);
/* Remember `object` (a workload that controls pods) in namespace `ns`; forget
 * one (true when it was held). */
void sg__owners_note(sg_inventory *inv, const json_t *object, const char *ns);
bool sg__owners_remove(sg_inventory *inv, const char *api_version, const char *kind, const char *ns,
                       const char *name);

/* The verified controllers of an object, nearest first (copies the caller frees). */
#define SG__CHAIN_MAX 4
typedef struct sg__chain {
    size_t n;
    sg_owner owners[SG__CHAIN_MAX];
    char *groups[SG__CHAIN_MAX], *kinds[SG__CHAIN_MAX], *names[SG__CHAIN_MAX];
    json_t *labels[SG__CHAIN_MAX];
} sg__chain;
void sg__owners_chain(sg_inventory *inv, const json_t *object, const char *ns, sg__chain *out);
void sg__owners_chain_free(sg__chain *c);

/* outcome.c: a copy of `o`'s bits mapped onto `m` (o->bits itself when same model). */
const uint64_t *sg__outcome_bits_for(const sg_score_outcome *o, const sg_score_model *m,
                                     uint64_t *scratch);
/* `o`'s details mapped onto `m`: o->details itself when same model, else a
 * malloc'd copy in *copy (which the caller frees). Length in *len. */
const char *sg__outcome_details_for(const sg_score_outcome *o, const sg_score_model *m, size_t *len, char **copy);

#endif
