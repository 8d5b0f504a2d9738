/*
 * internal.h - what the files of the webhook module share, and nothing
 * outside it sees: the policy snapshot, the decoded request, the decision,
 * metrics, logs and TLS credentials.
 */
#ifndef SCOREGATE_WEBHOOK_INTERNAL_H
#define SCOREGATE_WEBHOOK_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include <scoregate/policy.h>
#include <scoregate/scoring.h>
#include <scoregate/webhook.h>

/* ------------------------------------------------------------------ */
/* Policy snapshot (snapshot.c): what one request decides with.         */
/* ------------------------------------------------------------------ */

typedef struct wh_snapshot {
    atomic_int refs;
    sg_policy *policy;
    sg_score_model *model;
    unsigned long generation;    /* 1 for the first load, +1 per reload */
} wh_snapshot;

/* Load the settings at `config_path` (NULL: defaults) into a snapshot with one reference. */
int wh_snapshot_load(const char *config_path, unsigned long generation, wh_snapshot **out,
                     char *err, size_t errlen);
wh_snapshot *wh_snapshot_ref(wh_snapshot *s);
void wh_snapshot_unref(wh_snapshot *s);

/* ------------------------------------------------------------------ */
/* Metrics (metrics.c).                                                 */
/* ------------------------------------------------------------------ */

typedef struct wh_metrics wh_metrics;
wh_metrics *wh_metrics_new(void);
void wh_metrics_free(wh_metrics *m);
/* One admission request, its outcome ("allowed", "denied", "patched", "error") and duration. */
void wh_metrics_request(wh_metrics *m, const char *operation, const char *kind, const char *decision,
                        double seconds);
/* `count` unhealthy findings of one recommendation. */
void wh_metrics_finding(wh_metrics *m, const char *recommendation, const char *action, size_t count);
/* What can be reloaded while serving. */
typedef enum wh_reload { WH_RELOAD_SETTINGS, WH_RELOAD_CERTIFICATE, WH_RELOAD_KINDS } wh_reload;
/* A load of the settings or the certificate (at start, or a reload) worked or was rejected. */
void wh_metrics_reload(wh_metrics *m, wh_reload what, bool ok, time_t now);
/* A connection was closed at once because --max-connections were open. */
void wh_metrics_refused(wh_metrics *m);
/* The Prometheus text exposition; malloc'd, NULL when out of memory. */
char *wh_metrics_render(wh_metrics *m, const sg_score *score, size_t inventory, bool have_expiry,
                        time_t cert_expiry, size_t *len);

/* ------------------------------------------------------------------ */
/* Logs (log.c): one JSON object per line on stderr.                   */
/* ------------------------------------------------------------------ */

/* Log `fields` (stolen; may be NULL) with "time", "level" and "msg" added. */
void wh_log(const char *level, const char *msg, json_t *fields);
/* Same, with a printf-style message and no other fields. */
void wh_logf(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* AdmissionReview decoding and encoding (admission.c).                */
/* ------------------------------------------------------------------ */

typedef enum wh_operation { WH_CREATE, WH_UPDATE, WH_DELETE, WH_CONNECT } wh_operation;

typedef struct wh_request {
    json_t *root;                /* the parsed body (owned) */
    const char *uid;             /* every pointer below is borrowed from root */
    wh_operation operation;
    const char *operation_name;
    const char *group, *version, *kind;     /* request.kind */
    const char *subresource;     /* "" when none */
    const char *namespace_;      /* "" when none */
    const char *name;            /* "" when none */
    json_t *object;              /* NULL when null or absent */
    json_t *old_object;
    bool dry_run;
} wh_request;

/* Parse and check an AdmissionReview admission.k8s.io/v1 body. On failure
 * nothing is held and `err` says what is wrong, naming the field. */
int wh_request_decode(const char *body, size_t len, wh_request *r, char *err, size_t errlen);
void wh_request_free(wh_request *r);

/* What the webhook answers. */
typedef struct wh_result {
    bool allowed;
    int code;                    /* status code when denied: 403, or 400 for an unreadable object */
    char *message;               /* malloc'd, when denied */
    json_t *warnings;            /* array of strings (owned), may be empty */
    json_t *patch;               /* JSON Patch array (owned) or NULL: only /mutate, only when non-empty */
    char score_before[32], score_after[32], score_delta[32];
    char *failed;                /* malloc'd comma-separated ids ("" when none) */
    json_t *expired;             /* [{name, expires, recommendations}] of exemptions that matched but
                                    have expired (owned), or NULL: for the warnings and the log line */
    const char *decision;        /* for metrics and logs: allowed | denied | patched */
} wh_result;

void wh_result_free(wh_result *res);

/* The AdmissionReview response for `r`, serialised once; malloc'd. */
char *wh_response_encode(const wh_request *r, const wh_result *res, size_t *len);

/* A JSON string of `s`; bytes that are not valid UTF-8 (a message may quote
 * a cut or hostile input) become U+FFFD, so the answer can always be encoded. */
json_t *wh_text(const char *s);

/* A Kubernetes Status-shaped JSON error body {"kind":"Status",...,"code","reason","message"}. */
char *wh_error_body(unsigned code, const char *message, size_t *len);

/* ------------------------------------------------------------------ */
/* Decisions (decision.c) and their words (warnings.c).                 */
/* ------------------------------------------------------------------ */

/* What decide() needs from the server. */
typedef struct wh_context {
    wh_snapshot *snap;
    sg_inventory *inv;
    wh_metrics *metrics;
    sg_webhook_endpoint endpoint;
    time_t now;
    atomic_bool *dirty;          /* set when the inventory changes */
} wh_context;

/* Decide one decoded request. Fails only when the admission decision refuses its arguments. */
int wh_decide(const wh_context *ctx, const wh_request *r, wh_result *res, char *err, size_t errlen);

/* A finding as shown to people: ordered, with the part of the decision it played. */
typedef struct wh_item {
    const sg_finding *finding;
    const sg_rec_info *rec;
    const char *tag;             /* "denied", "warning", "fixed" */
    int rank;                    /* lower first */
    sg_denial denial;            /* why it is denied, or SG_DENIAL_NONE */
} wh_item;

/* "84.21% → 83.10% (−1.11)" (or "n/a", exact delta when it rounds to 0). */
void wh_score_change(const sg_score_prediction *p, char *buf, size_t len);

/*
 * The warnings (array of strings, each at most WH_WARNING_MAX bytes): the
 * summary line first, then one line per expired exemption (`expired`, as in
 * wh_result; may be NULL), then the worst items, then "and N more". `items`
 * is sorted in place.
 */
#define WH_WARNING_MAX 120
#define WH_WARNING_LINES 8
json_t *wh_warnings(const char *summary, const json_t *expired, wh_item *items, size_t n);
/* The denial message: what was denied, the score change, then each denied
 * item with its container and remediation, and, when an enforce finding was
 * denied only because the mutation did not happen, the `patch` that would
 * have healed it (may be NULL). malloc'd. */
char *wh_denial_message(const char *kind, const char *name, const sg_score_prediction *p,
                        const char *gate_reason, wh_item *items, size_t n, const json_t *patch);

/* ------------------------------------------------------------------ */
/* TLS credentials (tls.c).                                             */
/* ------------------------------------------------------------------ */

typedef struct wh_tls wh_tls;

/* Load and validate the pair (sg_certs_load_pair) and make it the served one. */
int wh_tls_new(const char *cert_file, const char *key_file, wh_tls **out, char *err, size_t errlen);
void wh_tls_free(wh_tls *t);
/* Reload when either file changed (inode, size or mtime); 1 reloaded, 0 unchanged, -1 rejected (old kept). */
int wh_tls_check(wh_tls *t, char *err, size_t errlen);
/* notAfter of the served certificate. */
time_t wh_tls_expiry(wh_tls *t);
/* The GnuTLS certificate-retrieve callback for MHD_OPTION_HTTPS_CERT_CALLBACK
 * (as a void pointer, so this header does not need GnuTLS). */
void *wh_tls_callback(void);
/* Release the credentials a closing session used (from the connection-closed notification). */
void wh_tls_session_closed(void *gnutls_session);

/* ------------------------------------------------------------------ */
/* The server object (webhook.c) and the HTTP layer (server.c).         */
/* ------------------------------------------------------------------ */

struct sg_webhook {
    sg_webhook_options opts;
    char *config_path;
    char *address;
    char *state_dir;
    char *inventory_path;        /* NULL without persistence */
    pthread_mutex_t snap_lock;
    wh_snapshot *snap;
    sg_inventory *inv;
    wh_metrics *metrics;
    atomic_bool dirty;
    pthread_mutex_t save_lock;
    /* Persistence health for /metrics and /readyz (guarded by health_lock). */
    pthread_mutex_t health_lock;
    unsigned long save_failures;
    time_t last_save;            /* last successful save; 0: none yet */
    char save_error[SG_ERRMAX];  /* why the last save failed; "" when it worked */
    char reload_error[WH_RELOAD_KINDS][SG_ERRMAX]; /* why the last reload was rejected; "" when it worked */
    char *client_ca;             /* server.tls.clientCAFile's PEM text, when client certificates are verified */
    wh_tls *tls;                 /* NULL until serving */
    atomic_bool ready;
    atomic_bool draining;
    atomic_long inflight;
    struct wh_sync *sync;        /* inventory sync (sync.c), NULL when off */
};

/* ------------------------------------------------------------------ */
/* Inventory sync from the API server (sync.c).                          */
/* ------------------------------------------------------------------ */

typedef struct wh_sync wh_sync;
/* When server.inventorySync.enabled: load its connection (kubeconfig or service account) into w->sync. */
int wh_sync_new(sg_webhook *w, char *err, size_t errlen);
/* Start listing and watching when wh_sync_new() set up a sync (else a no-op); never waits on the API server. */
int wh_sync_start(sg_webhook *w, char *err, size_t errlen);
/* Stop the sync thread (a no-op when none runs). */
void wh_sync_stop(sg_webhook *w);
/* Relist every kind (after a reload: parameters may have changed). */
void wh_sync_relist(sg_webhook *w);
/* `text` (a rendered exposition of *len bytes, taken) with the sync metrics appended; *len updated. */
char *wh_sync_metrics(sg_webhook *w, char *text, size_t *len);

/* `text` (a rendered exposition of *len bytes, taken) with the persistence metrics appended; *len updated. */
char *wh_persist_metrics(sg_webhook *w, char *text, size_t *len);

/* Everything serve checks before it writes anything (preflight.c); reads the client CA into w->client_ca. */
int wh_preflight(sg_webhook *w, char *err, size_t errlen);

/* Health (health.c): a load of the settings or the certificate worked (rc 0) or was rejected (rc -1, `err`). */
void wh_health_reload(sg_webhook *w, wh_reload what, int rc, const char *err);
/* What /readyz lists as degraded: a new JSON array of strings (empty when all is well), NULL when out of memory. */
json_t *wh_health_warnings(sg_webhook *w);

/* The current snapshot, with a reference the caller releases. */
wh_snapshot *wh_current(sg_webhook *w);

/* Start the HTTPS daemon on the listening socket `fd` (wh_listen); *daemon receives an opaque handle. */
int wh_server_start(sg_webhook *w, int fd, void **daemon, char *err, size_t errlen);

/* The listening socket (listen.c). */
/* Parse ":8443", "127.0.0.1:8443", "[::1]:8443" or "host:8443" (an empty host: every address, *any). */
int wh_address_parse(const char *address, struct sockaddr_storage *ss, socklen_t *sslen, bool *any, char *err,
                     size_t errlen);
/* Bind and listen on `address`: "cannot listen on ADDRESS: address in use" and the like on failure. */
int wh_listen(const char *address, int *fd, char *err, size_t errlen);
/* Stop accepting, wait (at most `grace` seconds) for requests in flight, then close everything. */
void wh_server_stop(sg_webhook *w, void *daemon, unsigned grace);

#endif
