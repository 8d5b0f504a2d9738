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
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>
#include <scoregate/scoring.h>
#include <scoregate/webhook.h>
#include <scoregate/webhook_testing.h>

/* ------------------------------------------------------------------ */
/* Policy snapshot (snapshot.c): what one request decides with.         */
/* ------------------------------------------------------------------ */

/* The settings' `server` section (server_settings.c): strings borrowed from the policy, NULL when not set. */
typedef struct wh_settings {
    const char *address;         /* ":8443" by default */
    const char *state_dir;       /* "./scoregate-state" by default */
    const char *cert_file;       /* NULL: generate into state_dir */
    const char *key_file;
    const char *client_ca_file;
    bool inventory_sync;         /* server.inventorySync.enabled: list and watch the cluster (default false) */
    const char *kubeconfig;      /* server.inventorySync.kubeconfig; NULL: in-cluster service account */
    const char *dashboard_address;        /* server.dashboard.address: "127.0.0.1:8080" by default; "": off */
    bool dashboard_tls;                   /* server.dashboard.tls: HTTPS with the server's certificate */
    const char *dashboard_client_ca_file; /* server.dashboard.clientCAFile; NULL: no client certificate */
    const char *history_namespace;        /* server.history.namespace; NULL: the pod's own namespace */
    const char *history_name;             /* server.history.name: the ConfigMap and Lease ("scoregate-history") */
    bool policy_reports;                  /* server.policyReports.enabled: write PolicyReports (needs the sync) */
    unsigned policy_reports_interval;     /* server.policyReports.interval in seconds (60 by default) */
} wh_settings;

/* Read and check the `server` section of p's settings into *s (defaults when there is none); -1 with
 * "FILE: line L: ..." when it is broken. */
int wh_settings_read(const sg_policy *p, wh_settings *s, char *err, size_t errlen);

typedef struct wh_snapshot {
    atomic_int refs;
    sg_policy *policy;
    sg_score_model *model;
    wh_settings server;          /* the policy's `server` section, read with it */
    unsigned long generation;    /* 1 for the first load, +1 per reload */
    bool skip_managed_fields;    /* no recommendation sees metadata.managedFields: requests leave it out */
} wh_snapshot;

/* JSON text written straight into a buffer (json_text.c): on the stack up to
 * 2 KiB, on the heap past it. Strings in ASCII as jansson's JSON_ENSURE_ASCII
 * writes them, cut at `max` bytes (a UTF-8 boundary) with "…" when max is not
 * 0; reals with three decimals. wh_jbuf_take: the text so far, malloc'd. */
typedef struct wh_jbuf_s {
    char *data;
    size_t len, cap;
    char small[2048];
} wh_jbuf;
void wh_jbuf_init(wh_jbuf *b);
void wh_jbuf_free(wh_jbuf *b);
char *wh_jbuf_take(wh_jbuf *b);
void wh_jbuf_put(wh_jbuf *b, const char *s, size_t n);
void wh_jbuf_char(wh_jbuf *b, char c);
void wh_jbuf_string(wh_jbuf *b, const char *s, size_t n, size_t max);
void wh_jbuf_value(wh_jbuf *b, const json_t *v, size_t max);

/* Load the settings at `config_path` (NULL: defaults) into a snapshot with one reference. */
int wh_snapshot_load(const char *config_path, unsigned long generation, wh_snapshot **out,
                     char *err, size_t errlen);
wh_snapshot *wh_snapshot_ref(wh_snapshot *s);
void wh_snapshot_unref(wh_snapshot *s);
/* The webhook's current snapshot, with a reference the caller releases. */
struct sg_webhook;
wh_snapshot *wh_current(struct sg_webhook *w);

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
/*
 * /metrics is one output that each part appends its metrics to, at scrape
 * time, in the order of these slots: a part registers its collector when it
 * is set up (before serving starts); none reads another's text.
 */
typedef enum wh_collector_slot {
    WH_COLLECT_ADMISSION,        /* requests, durations, findings, reloads, refused connections (metrics.c) */
    WH_COLLECT_SCORE,            /* the inventory's score and size, the certificate's expiry (metrics.c) */
    WH_COLLECT_SYNC,             /* the inventory sync (sync.c) */
    WH_COLLECT_PERSIST,          /* saving the inventory (persist.c) */
    WH_COLLECT_HISTORY,          /* the score history (score_history.c) */
    WH_COLLECT_REPORTS,          /* the in-cluster PolicyReports (policy_reports.c) */
    WH_COLLECTORS
} wh_collector_slot;
/* Append metrics (Prometheus text format, with HELP and TYPE lines) to `out`. */
typedef void (*wh_collect_fn)(void *ctx, FILE *out);
void wh_metrics_collector(wh_metrics *m, wh_collector_slot slot, wh_collect_fn fn, void *ctx);
/* The Prometheus text exposition: every collector in slot order; malloc'd, NULL when out of memory. */
char *wh_metrics_text(wh_metrics *m, size_t *len);
/* The collectors of the parts (ctx: the sg_webhook). */
void wh_score_collect(void *ctx, FILE *out);
void wh_sync_collect(void *ctx, FILE *out);
void wh_persist_collect(void *ctx, FILE *out);
void wh_keeper_collect(void *ctx, FILE *out);
void wh_reports_collect(void *ctx, FILE *out);

/* ------------------------------------------------------------------ */
/* Logs (log.c): one JSON object per line on stderr.                   */
/* ------------------------------------------------------------------ */

/* Log `fields` (stolen; may be NULL) with "time", "level" and "msg" added. */
void wh_log(const char *level, const char *msg, json_t *fields);
/* Same, with a printf-style message and no other fields. */
void wh_logf(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct wh_jbuf_s;
/* Log fields already written as text (`,"key":value...`, as wh_log_str
 * writes them) after "time", "level" and "msg": the review's line, without a
 * tree. wh_log_str: one string field, cut as wh_log cuts them. */
void wh_log_text(const char *level, const char *msg, const struct wh_jbuf_s *fields);
void wh_log_str(struct wh_jbuf_s *b, const char *key, const char *value);

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
int wh_request_decode(const char *body, size_t len, bool skip_managed_fields, wh_request *r, char *err,
                      size_t errlen);
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
    struct wh_decisions *decisions;   /* the recent-decisions ring, or NULL */
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
 * is sorted in place. WH_WARNING_MAX is in webhook_testing.h (the fuzz target checks it).
 */
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

/* The TLS priorities of both listeners (server.c): TLS 1.2 and 1.3, forward-secret AEAD only. */
const char *wh_tls_priorities(void);

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
/* The server object (webhook.c), serving (serve.c), HTTP (server.c).   */
/* ------------------------------------------------------------------ */

struct sg_webhook {
    sg_webhook_options opts;
    char *config_path;
    char *address;
    char *state_dir;
    pthread_mutex_t snap_lock;
    wh_snapshot *snap;
    sg_inventory *inv;
    wh_metrics *metrics;
    atomic_bool dirty;           /* the inventory changed since the last save */
    struct wh_persist *persist;  /* the saved inventory (persist.c), NULL without persistence */
    pthread_mutex_t health_lock; /* guards reload_error */
    char reload_error[WH_RELOAD_KINDS][SG_ERRMAX]; /* why the last reload was rejected; "" when it worked */
    char *client_ca;             /* server.tls.clientCAFile's PEM text, when client certificates are verified */
    wh_tls *tls;                 /* NULL until serving */
    atomic_bool ready;
    atomic_bool draining;
    atomic_long inflight;
    struct wh_sync *sync;        /* inventory sync (sync.c), NULL when off */
    struct wh_decisions *decisions;   /* the last denials and warnings (decisions.c) */
    sg_history *history;         /* the score over time (score_history.c) */
    char *history_path;          /* state directory file, NULL in a cluster or without persistence */
    char *history_namespace;     /* in a cluster: where its ConfigMap and Lease are (preflight) */
    struct wh_keeper *keeper;    /* samples and keeps the history while serving, NULL otherwise */
    struct wh_reporter *reporter;     /* writes the PolicyReports (server.policyReports), NULL otherwise */
    atomic_bool inventory_current;    /* the inventory is the cluster's (synced), or admissions are its source */
    char *dashboard_address;     /* "" when the dashboard is off */
    bool dashboard_plain;        /* HTTP on loopback (preflight); else TLS */
    char *dashboard_ca;          /* server.dashboard.clientCAFile's PEM text, or NULL */
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
/* The sync's connection, shared with the score history's (one credential cache: a plugin runs once), or NULL. */
struct sg_kube_config *wh_sync_config(sg_webhook *w);
/* The key of a resource in the sync's references: group/kind/namespace/name ("" for none). */
void wh_sync_ref_key(const char *group, const char *kind, const char *ns, const char *name, char *buf, size_t len);
/* With server.policyReports: the apiVersion and uid ("" when unknown) of the synced object `key`; false
 * when the sync has not seen it. Thread-safe. */
bool wh_sync_ref(sg_webhook *w, const char *key, char *api_version, size_t avlen, char *uid, size_t uidlen);

/* ------------------------------------------------------------------ */
/* The saved inventory (persist.c).                                     */
/* ------------------------------------------------------------------ */

typedef struct wh_persist wh_persist;
/* With o->persist: the saved inventory's place in the state directory, its metrics, and the saved
 * inventory loaded into w->inv (one that cannot be loaded is set aside). Without: w->persist stays NULL. */
void wh_persist_open(sg_webhook *w);
void wh_persist_free(wh_persist *p);
/* Serve's main loop, every second: save when save_interval seconds passed and the inventory changed. */
void wh_persist_tick(sg_webhook *w, time_t now);
/* Whether the last save failed, and why (into `why`), for /readyz. */
bool wh_persist_failing(sg_webhook *w, char *why, size_t len);

/* Everything serve checks before it writes anything (preflight.c); reads the client CA into w->client_ca. */
int wh_preflight(sg_webhook *w, char *err, size_t errlen);

/* Health (health.c): a load of the settings or the certificate worked (rc 0) or was rejected (rc -1, `err`). */
void wh_health_reload(sg_webhook *w, wh_reload what, int rc, const char *err);
/* What /readyz lists as degraded: a new JSON array of strings (empty when all is well), NULL when out of memory. */
json_t *wh_health_warnings(sg_webhook *w);


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

/* ------------------------------------------------------------------ */
/* Recent decisions (decisions.c).                                      */
/* ------------------------------------------------------------------ */

#define WH_DECISIONS 200
typedef struct wh_decisions wh_decisions;
wh_decisions *wh_decisions_new(void);
void wh_decisions_free(wh_decisions *d);
/* Remember an answer that denied or warned (`name`: the object's). */
void wh_decisions_add(wh_decisions *d, time_t now, const wh_request *r, const char *name, const wh_result *res);
/* {"capacity", "recordedSinceStart", "decisions": [newest first]} of namespace `ns` (NULL: all). */
json_t *wh_decisions_json(wh_decisions *d, const char *ns);

/* ------------------------------------------------------------------ */
/* Score history (score_history.c).                                     */
/* ------------------------------------------------------------------ */

typedef struct wh_keeper wh_keeper;
/* The history (w->history), loaded from the state directory outside a cluster; a corrupt file is set aside. */
void wh_history_open(sg_webhook *w);
/* In a cluster: the namespace of the history's ConfigMap and Lease into w->history_namespace
 * (server.history.namespace, $POD_NAMESPACE or the service account's); -1 when none is known. */
int wh_history_namespace(sg_webhook *w, char *err, size_t errlen);
/* Start sampling the score and keeping the history (the state directory, or the cluster's ConfigMap). */
int wh_keeper_start(sg_webhook *w, char *err, size_t errlen);
/* Stop: a last save or write, and the Lease released. A no-op when none runs. */
void wh_keeper_stop(sg_webhook *w);
/* Whether this replica holds the history's Lease (in a cluster); the PolicyReports follow the same leader. */
bool wh_keeper_leading(sg_webhook *w);

/* ------------------------------------------------------------------ */
/* PolicyReports in the cluster (report_build.c, policy_reports.c).      */
/* ------------------------------------------------------------------ */

#define WH_REPORT_NAME "scoregate"   /* every PolicyReport's and the ClusterPolicyReport's name */
typedef struct wh_reporter wh_reporter;
/* The reports of the inventory: namespace ("" for the ClusterPolicyReport, always there) -> report with
 * results and summary (no resourceVersion). NULL with `err` while a reload re-scores the inventory. */
json_t *wh_reports_build(sg_webhook *w, const wh_snapshot *snap, const struct timespec *now, char *err,
                         size_t errlen);
/* With server.policyReports on: start writing them (after the sync and the history keeper). */
int wh_reports_start(sg_webhook *w, char *err, size_t errlen);
/* Stop (before the keeper and the sync; a no-op when not running). */
void wh_reports_stop(sg_webhook *w);

/* ------------------------------------------------------------------ */
/* The dashboard (dashboard.c, dash_route.c, dash_api.c, dash_pages.c,   */
/* overview.c, chart.c).                                                 */
/* ------------------------------------------------------------------ */

/* What a page or an API answer is built from. */
typedef struct wh_view {
    const sg_policy *policy;
    sg_inventory *inv;
    sg_history *history;         /* NULL: none (the chart says so) */
    wh_decisions *decisions;     /* NULL: none */
    const char *ns;              /* the namespace filter, or NULL for all */
    time_t now;
    bool live;                   /* served (links between pages, the filter form) or a file */
} wh_view;

/* `t` as RFC 3339 in UTC ("2025-01-01T00:00:00Z") into buf (32 bytes are enough). */
void wh_rfc3339(time_t t, char *buf, size_t len);

/* The JSON API (dash_api.c); NULL when out of memory unless said otherwise. */
json_t *wh_api_summary(const wh_view *v);
json_t *wh_api_controls(const wh_view *v);
/* `sort`: "gain" (default), "severity" or "unhealthy". */
json_t *wh_api_recommendations(const wh_view *v, const char *sort);
/* One recommendation's details (recommendations entry plus remediation, fix and exemptions), or NULL when unknown. */
json_t *wh_api_recommendation(const wh_view *v, const char *id);
/* A page of its resources; on a bad parameter NULL with the reason in err and *status 400 (404: unknown id). */
json_t *wh_api_rec_resources(const wh_view *v, const char *id, const char *status_filter, const char *limit,
                             const char *cont, unsigned *status, char *err, size_t errlen);
json_t *wh_api_namespaces(const wh_view *v);
json_t *wh_api_history(const wh_view *v, time_t since);

/* Pages (dash_pages.c, overview.c): HTML into `out` from the API's documents. 0, or -1 when out of memory. */
int wh_page_overview(FILE *out, const wh_view *v, const char *range);
int wh_page_recommendations(FILE *out, const wh_view *v, const char *sort);
int wh_page_recommendation(FILE *out, const wh_view *v, const json_t *rec, const json_t *resources);
int wh_page_namespaces(FILE *out, const wh_view *v);
int wh_page_decisions(FILE *out, const wh_view *v);
/* The page head: title, heading, the navigation and the namespace filter (live pages only). */
void wh_page_head(FILE *out, const wh_view *v, const char *title, const char *current);
void wh_page_foot(FILE *out, const wh_view *v);
/* An increase ({points, percent, exactPercent}) as "+0.42%" (or "—") with its points, in element `tag`. */
void wh_page_gain(FILE *out, const json_t *increase, const char *tag);
/* A link to `path` keeping the namespace filter, as an attribute value (escaped). */
void wh_page_href(FILE *out, const wh_view *v, const char *path, const char *extra_query);

/* Whether `name` is a chart range of the overview: 24h, 7d or 90d (NULL: the default, 24h). */
bool wh_range_known(const char *name);
/* The score-over-time chart of the history since `since` (chart.c). */
void wh_chart(FILE *out, sg_history *h, time_t since, time_t now);

/* A dashboard request, however it came (socket or sg_webhook_dashboard_get). */
typedef struct wh_dash_req {
    const char *path;
    const char *(*arg)(void *ctx, const char *key);   /* a query parameter, decoded, or NULL */
    void *arg_ctx;
} wh_dash_req;

typedef struct wh_dash_resp {
    unsigned status;
    const char *type;            /* Content-Type */
    char *body;                  /* malloc'd */
    size_t len;
} wh_dash_resp;

/* Answer one GET (dash_route.c). -1 only when out of memory. */
int wh_dash_handle(sg_webhook *w, const wh_dash_req *req, wh_dash_resp *resp);

/* The dashboard's address and TLS rules, its client CA and (in a cluster) the history's namespace:
 * what serve can check before it writes anything (preflight.c calls it). */
int wh_dashboard_preflight(sg_webhook *w, char *err, size_t errlen);
/* The listener (dashboard.c) on the listening socket `fd` (wh_listen); fd < 0: off, *daemon NULL. */
int wh_dashboard_start(sg_webhook *w, int fd, void **daemon, char *err, size_t errlen);
void wh_dashboard_stop(void *daemon);

/* Whether the client of `connection` (a struct MHD_Connection) presented a certificate the trusted CA signed (tls.c). */
bool wh_client_verified(void *connection);

#endif
