/*
 * scoregate/kube.h - the kube module: a small Kubernetes API client (libcurl)
 * that lists and watches the kinds scoregate scores, so that every replica
 * learns the cluster's inventory from the API server, its source of truth.
 *
 * It knows nothing about scores: it delivers objects and events through
 * callbacks; the webhook and the CLI wire them to the scoring module.
 *
 *  - A connection (sg_kube_config) comes from a kubeconfig file (current
 *    context; token, tokenFile, client certificate and key as files or inline
 *    data, client-go credential plugins (exec), the oidc auth-provider's
 *    id-token, CA as file or data, insecure-skip-tls-verify) or from the
 *    in-cluster service account (token re-read when it rotates, ca.crt,
 *    KUBERNETES_SERVICE_HOST and _PORT).
 *  - sg_kube_list() is a one-off paginated list (limit/continue).
 *  - sg_kube_get/create/update/write() read and write one object, writes
 *    with resourceVersion preconditions; sg_kube_elector elects one leader
 *    among replicas on a Lease. Both are generic: the webhook keeps its score
 *    history in a ConfigMap with them.
 *  - sg_kube_patch() sends one JSON Patch, or its server-side dry run.
 *  - An informer (sg_kube_informer) runs one background thread that lists
 *    every kind, then watches each from the list's resourceVersion with
 *    bookmarks; it relists on 410 Gone, and retries failures with client-go's
 *    backoff (jittered, doubling from 800 ms to 30 s, reset only by a healthy
 *    watch), so an API server that keeps failing is not hammered.
 *
 * A kind marked metadata_only is asked for as PartialObjectMetadata (its
 * objects carry apiVersion, kind and metadata, nothing else). Secrets always
 * are: their values never leave the API server. Their last-applied-
 * configuration annotation, which `kubectl apply` fills with the whole Secret,
 * is metadata and still arrives; it is removed from every Secret as soon as
 * it is parsed, and never kept, logged or passed on.
 *
 * Conventions (errors, memory, ownership) are those of scoregate/base.h.
 */
#ifndef SCOREGATE_KUBE_H
#define SCOREGATE_KUBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Where the in-cluster service account's files are. */
#define SG_KUBE_SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* ------------------------------------------------------------------ */
/* Connections.                                                         */
/* ------------------------------------------------------------------ */

typedef struct sg_kube_config sg_kube_config;

/*
 * Read a kubeconfig: `paths` is one file or a colon-separated list, merged as
 * kubectl does (the first file that sets current-context, or that defines a
 * named cluster, context or user, wins). `context` NULL uses current-context.
 * Relative file names inside a kubeconfig are relative to its directory.
 * Fails naming the file and the entry: no current context, an unknown cluster
 * or user, unreadable or malformed files, invalid base64, an exec section
 * client-go would refuse, an oidc id-token that expired, or an auth-provider
 * other than oidc (gcp and azure were replaced by exec plugins; the message
 * names them). An exec plugin is not run here but before the first request
 * (and again when its credential expires or is answered with 401); its
 * failures are those requests' errors, with its standard error.
 */
int sg_kube_config_from_kubeconfig(const char *paths, const char *context, sg_kube_config **out,
                                   char *err, size_t errlen);

/*
 * The in-cluster connection: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
 * the CA in `dir`/ca.crt and the bearer token in `dir`/token, re-read when the
 * file changes (and at least every minute, and at once after a 401). `dir`
 * NULL means SG_KUBE_SERVICEACCOUNT_DIR.
 */
int sg_kube_config_in_cluster(const char *dir, sg_kube_config **out, char *err, size_t errlen);

/*
 * The connection scoregate uses: `kubeconfig` when non-NULL and non-empty;
 * otherwise, with `in_cluster_first` (what `serve` does), the in-cluster
 * service account when KUBERNETES_SERVICE_HOST is set, then $KUBECONFIG, then
 * ~/.kube/config; without it (what the CLI does, like kubectl), $KUBECONFIG,
 * ~/.kube/config when it exists, then the in-cluster service account.
 */
int sg_kube_config_load(const char *kubeconfig, bool in_cluster_first, sg_kube_config **out, char *err,
                        size_t errlen);

/* The API server's base URL, e.g. "https://10.0.0.1:443" (borrowed). */
const char *sg_kube_config_server(const sg_kube_config *c);
/* Where the connection came from, for logs: "in-cluster" or "kubeconfig FILE, context NAME" (borrowed). */
const char *sg_kube_config_source(const sg_kube_config *c);
/* What a person should be warned about (insecure-skip-tls-verify: the server's certificate is not
 * verified), or NULL (borrowed). */
const char *sg_kube_config_warning(const sg_kube_config *c);
void sg_kube_config_free(sg_kube_config *c);

/* ------------------------------------------------------------------ */
/* The kinds.                                                           */
/* ------------------------------------------------------------------ */

typedef struct sg_kube_resource {
    const char *group;       /* "" for the core group */
    const char *version;     /* "v1" */
    const char *resource;    /* the plural in the URL, e.g. "deployments" */
    const char *kind;        /* e.g. "Deployment" */
    bool metadata_only;      /* list and watch PartialObjectMetadata: only apiVersion, kind and metadata */
    bool optional;           /* a custom resource whose CustomResourceDefinition may not be installed: a
                                404 Not Found means there is none to list (see sg_kube_list and the informer) */
} sg_kube_resource;

/*
 * The kinds the recommendations read (workloads, Services, Ingresses,
 * ConfigMaps, Secrets, ServiceAccounts), the same set as the chart's RBAC
 * and webhook rules, with Secrets metadata-only. A static array (borrowed);
 * its length goes to *n. Callers that know more kinds are read only for
 * their metadata copy it and set the flag.
 */
const sg_kube_resource *sg_kube_resources(size_t *n);

/* ------------------------------------------------------------------ */
/* One-off list.                                                        */
/* ------------------------------------------------------------------ */

/*
 * Called once per listed object. `object` is a new reference the callee owns
 * (kind and apiVersion set, Secret data stripped). A non-zero return stops
 * the list, which then fails with the callee's message in `err`.
 */
typedef int (*sg_kube_list_fn)(void *ctx, const sg_kube_resource *r, json_t *object, char *err,
                               size_t errlen);

/*
 * List every object of `r` in all namespaces, `page_size` at a time (0: 500),
 * following `continue` tokens, and return 0; when `r` is optional and the API
 * server does not serve it (404: its CRD is not installed), list nothing and
 * return 1; a continue token that expired (410 Gone) starts
 * the list over (at most three times), and a page whose connection broke off
 * is asked for again with the same token (at most three times in a row, with
 * backoff). *resource_version (when non-NULL)
 * receives the list's resourceVersion, malloc'd. Errors name the resource and
 * the HTTP status with the API server's message (401: the credentials were
 * rejected; 403: RBAC lacks `list` on the resource).
 */
int sg_kube_list(sg_kube_config *c, const sg_kube_resource *r, unsigned page_size, sg_kube_list_fn fn,
                 void *ctx, char **resource_version, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* One object: get, create, replace (object.c).                          */
/* ------------------------------------------------------------------ */

/* What the object calls return besides 0 (done) and -1 (failed, `err` says why). */
#define SG_KUBE_NOT_FOUND 1      /* 404: no such object */
#define SG_KUBE_CONFLICT 2       /* 409: changed since its resourceVersion was read, or it already exists */
#define SG_KUBE_NOT_SERVED 3     /* 404 on an optional resource whose path the API server does not serve (its
                                    CustomResourceDefinition is not installed); only for r->optional */

/*
 * In the calls below, `ns` NULL addresses a cluster-scoped object
 * (/apis/GROUP/VERSION/RESOURCE/NAME). When `r` is optional, a 404 whose
 * Status names no object (the resource itself is not served) returns
 * SG_KUBE_NOT_SERVED, with `err` saying so, instead of SG_KUBE_NOT_FOUND or -1.
 */

/*
 * GET the object `name` of resource `r` in namespace `ns`. *out receives it
 * (a new reference) when found. Returns 0, SG_KUBE_NOT_FOUND or -1; errors
 * name the object and say what to do (401: credentials; 403: the RBAC verb).
 */
int sg_kube_get(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name, json_t **out,
                char *err, size_t errlen);

/*
 * POST `object` (which names itself in metadata.name) into namespace `ns`:
 * 0 with the stored object in *out, SG_KUBE_CONFLICT when it already exists,
 * or -1.
 */
int sg_kube_create(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const json_t *object, json_t **out,
                   char *err, size_t errlen);

/*
 * PUT `object` over the stored one: its metadata.resourceVersion is the
 * precondition, so the write fails with SG_KUBE_CONFLICT when someone else
 * wrote since (optimistic concurrency, as every Kubernetes controller
 * writes). 0 with the stored object in *out, SG_KUBE_NOT_FOUND, or -1.
 */
int sg_kube_update(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const json_t *object, json_t **out,
                   char *err, size_t errlen);

/*
 * What to write, given the object as the API server holds it (`current`,
 * NULL when it does not exist): 0 with the object in *out (a new reference;
 * its metadata.name, namespace and resourceVersion are set by the caller of
 * the callback), 1 to write nothing, -1 to fail with `err`.
 */
typedef int (*sg_kube_build_fn)(void *ctx, const json_t *current, json_t **out, char *err, size_t errlen);

/*
 * Write one object with resourceVersion preconditions: starting from
 * `known` (the object as last read or written, NULL: read it now), build
 * the object to write from the current one and create or replace it; when
 * someone else wrote in between (409), read it again and build again, at
 * most five times. *stored (when non-NULL) receives what the API server
 * stored, or NULL when `build` wrote nothing. 0, SG_KUBE_NOT_SERVED (see
 * above), or -1 with `err`.
 */
int sg_kube_write(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name,
                  const json_t *known, sg_kube_build_fn build, void *ctx, json_t **stored, char *err,
                  size_t errlen);

/* ------------------------------------------------------------------ */
/* Leader election on a Lease (lease.c).                                 */
/* ------------------------------------------------------------------ */

/*
 * One replica of several leads, as client-go's leaderelection does it on a
 * coordination.k8s.io/v1 Lease: the holder renews the lease every retry
 * period; the others take it over once they have observed it unchanged for
 * leaseDurationSeconds (by their own clock, so clock skew between nodes does
 * not matter); every write carries the resourceVersion read, so two
 * candidates cannot both win. A leader that could not renew for the renew
 * deadline stops leading before anyone else may take over. The caller runs
 * the rounds (sg_kube_elector_try every retry period) from one thread.
 */
typedef struct sg_kube_lease_options {
    const char *namespace_;
    const char *name;
    const char *identity;      /* unique per replica, e.g. the pod name and a random suffix */
    unsigned duration;         /* leaseDurationSeconds; 0: 15 */
    unsigned renew_deadline;   /* seconds a leader may fail to renew before it stops leading; 0: 10 */
    unsigned retry_period;     /* seconds between rounds; 0: 2 */
} sg_kube_lease_options;

typedef struct sg_kube_elector sg_kube_elector;

/* A new elector (options copied; `c` must outlive it). */
int sg_kube_elector_new(sg_kube_config *c, const sg_kube_lease_options *o, sg_kube_elector **out, char *err,
                        size_t errlen);
/*
 * One round (client-go's tryAcquireOrRenew) at monotonic time `now`
 * (seconds): create the lease when there is none, renew it when held, take
 * it over when its holder let it expire. 1 when this replica holds it
 * afterwards, 0 when another does, -1 when the API server could not be
 * asked (then `err` says why; leadership lapses after the renew deadline).
 */
int sg_kube_elector_try(sg_kube_elector *e, double now, char *err, size_t errlen);
/* Whether this replica leads at `now`: it holds the lease and renewed it within the renew deadline. */
bool sg_kube_elector_leading(const sg_kube_elector *e, double now);
/* The holder last observed ("" when none; borrowed until the next round). */
const char *sg_kube_elector_holder(const sg_kube_elector *e);
/* The retry period in seconds. */
unsigned sg_kube_elector_retry_period(const sg_kube_elector *e);
/*
 * Give the lease up when holding it (holderIdentity "", leaseDurationSeconds
 * 1, as client-go's ReleaseOnCancel), so the next replica takes over at once
 * instead of after the lease duration. 0 when released or not held.
 */
int sg_kube_elector_release(sg_kube_elector *e, char *err, size_t errlen);
void sg_kube_elector_free(sg_kube_elector *e);

/* The namespace of the in-cluster service account (`dir`/namespace; NULL
 * dir: SG_KUBE_SERVICEACCOUNT_DIR), malloc'd, or NULL when not in a pod. */
char *sg_kube_pod_namespace(const char *dir);

/* ------------------------------------------------------------------ */
/* One JSON Patch (patch.c).                                             */
/* ------------------------------------------------------------------ */

/* The API server's refusal of a request: its HTTP status and its Status object. */
typedef struct sg_kube_status {
    long code;              /* HTTP status: 409, 422, 403, 404, ... */
    char reason[64];        /* the Status' reason ("Conflict", "Invalid", "Forbidden", "NotFound"), or "" */
    char message[1024];     /* the Status' message, or "HTTP 500 from the API server" when it sent none */
    bool causes;            /* details.causes is not empty: the Status names the fields at fault */
} sg_kube_status;

/*
 * PATCH the namespaced object `name` of resource `r` in namespace `ns` with
 * the JSON Patch `patch` (an array of RFC 6902 operations, sent as
 * application/json-patch+json), as a server-side dry run (dryRun=All:
 * admission and validation run, nothing is stored) when `dry_run`. Returns 0 with the object as the API server stored it (or would
 * store it) in *out (a new reference, cleaned as listed objects are); 1 when
 * the API server refused it, with its Status in *st (a failed `test`
 * operation is 422 Invalid without causes; a stale resourceVersion in the
 * object 409 Conflict; RBAC 403 Forbidden); -1 when no answer came (`err`
 * says why). Nothing is retried.
 */
int sg_kube_patch(sg_kube_config *c, const sg_kube_resource *r, const char *ns, const char *name,
                  const json_t *patch, bool dry_run, json_t **out, sg_kube_status *st, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Informer: list, then watch, in the background.                        */
/* ------------------------------------------------------------------ */

typedef enum sg_kube_event {
    SG_KUBE_ADDED,
    SG_KUBE_MODIFIED,
    SG_KUBE_DELETED,
    SG_KUBE_BOOKMARK,
    SG_KUBE_ERROR,
    SG_KUBE_EVENT_TYPES
} sg_kube_event;

/* "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR". */
const char *sg_kube_event_name(sg_kube_event e);

typedef struct sg_kube_handler {
    /*
     * An object was added or changed (SG_KUBE_ADDED or SG_KUBE_MODIFIED: watch
     * events, and every object of a list) or removed (SG_KUBE_DELETED: watch
     * events, and objects a relist no longer returns, which then carry only
     * apiVersion, kind and metadata.namespace/name). `object` is borrowed for
     * the call. Called from the informer's thread, one call at a time.
     */
    void (*object)(void *ctx, sg_kube_event type, const sg_kube_resource *r, const json_t *object);
    /*
     * The informer became synced or stopped being so. Synced: every kind is
     * listed and its watch has proved healthy (it delivered an event or
     * bookmark, or stayed open a few seconds) with no failure since. A kind
     * whose watch keeps failing (410 Gone again and again, an unreachable API
     * server, a watch that hangs) is not synced. May be NULL.
     */
    void (*synced)(void *ctx, bool synced);
    /* A line for the log: level "info", "warn" or "error". May be NULL. */
    void (*log)(void *ctx, const char *level, const char *message);
    void *ctx;
} sg_kube_handler;

typedef struct sg_kube_informer_options {
    const sg_kube_resource *resources;   /* NULL: sg_kube_resources() */
    size_t nresources;
    unsigned page_size;                  /* objects per list page; 0: 500 */
    double backoff_initial;              /* seconds before the first retry (plus up to as much again); 0: 0.8 */
    double backoff_max;                  /* cap of the doubling backoff; 0: 30 */
    unsigned watch_timeout;              /* timeoutSeconds of a watch; 0: random in [300, 600) */
    double not_served_recheck;           /* seconds between lists of an optional kind the API server does not
                                            serve (its CRD is not installed; it counts as in sync, holding
                                            nothing); 0: 60 */
} sg_kube_informer_options;

/* Fill `o` with the defaults above. */
void sg_kube_informer_options_init(sg_kube_informer_options *o);

typedef struct sg_kube_stats {
    bool synced;                               /* every kind listed and its watch healthy */
    time_t last_sync;                          /* last time all kinds were known in sync; 0: never */
    unsigned long events[SG_KUBE_EVENT_TYPES]; /* watch events received, by type */
    unsigned long relists;                     /* lists after a kind's first one (410 Gone, relist requested) */
    unsigned long errors;                      /* failed requests and dropped streams */
    unsigned long requests;                    /* list and watch requests started */
} sg_kube_stats;

typedef struct sg_kube_informer sg_kube_informer;

/*
 * Start the background thread. It takes its own reference to nothing: `c`
 * must outlive the informer. The handler is copied. Fails only when the
 * thread or curl cannot be set up; an unreachable API server is retried in
 * the background, never an error here.
 */
int sg_kube_informer_start(sg_kube_config *c, const sg_kube_informer_options *o, const sg_kube_handler *h,
                           sg_kube_informer **out, char *err, size_t errlen);

/* Ask for a relist of every kind (e.g. after parameters changed): objects are delivered again. */
void sg_kube_informer_relist(sg_kube_informer *inf);

/*
 * From its next list on, ask for kind number `index` of the options'
 * resources as metadata only (`on`) or whole. A kind whose resource is marked
 * metadata_only (Secrets) stays metadata-only. Call sg_kube_informer_relist()
 * afterwards for the change to take effect at once. Thread-safe.
 */
void sg_kube_informer_metadata_only(sg_kube_informer *inf, size_t index, bool on);

/* The counters and state, consistent with each other. Thread-safe. */
void sg_kube_informer_stats(sg_kube_informer *inf, sg_kube_stats *out);

/* Stop the thread (aborting requests in flight), wait for it and free everything. NULL is ignored. */
void sg_kube_informer_stop(sg_kube_informer *inf);

#endif
