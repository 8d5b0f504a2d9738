/*
 * internal.h - what the files of the kube module share, and nothing outside
 * it sees: the connection's fields, HTTP transfers on libcurl, list pages,
 * watch lines, object clean-up, the key set an informer keeps per kind, and
 * the backoff. What tests and fuzz targets reach as well (the parsers, a
 * request's credentials) is declared in kube/testing/scoregate/kube_testing.h,
 * included here.
 */
#ifndef SCOREGATE_KUBE_INTERNAL_H
#define SCOREGATE_KUBE_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <scoregate/base.h>
#include <scoregate/doc.h>
#include <scoregate/kube.h>
#include <scoregate/kube_testing.h>

/* Largest list page body and largest single watch event line we accept. */
#define KB_MAX_BODY (256u << 20)
#define KB_MAX_LINE (64u << 20)
/* Seconds: connecting, a whole list page, and how often a token file is looked at regardless of mtime. */
#define KB_CONNECT_TIMEOUT 10
#define KB_LIST_TIMEOUT 120
#define KB_TOKEN_REREAD 60

/* ------------------------------------------------------------------ */
/* Credential plugins (exec.c, exec_run.c) and auth providers         */
/* (auth_provider.c).                                                  */
/* ------------------------------------------------------------------ */

/* Seconds a plugin may run without a terminal before it is killed, and after a failed run, before
 * it runs again (requests meanwhile fail with its error). */
#define KB_EXEC_TIMEOUT 60
#define KB_EXEC_RETRY 5
/* client-go's expiryDelta: an oidc id-token this close to its exp counts as expired. */
#define KB_OIDC_EXPIRY_DELTA 10

/* The plugin's mapping and answer, the auth providers and JWTs: kube_testing.h. */

/* Run the plugin and decode its answer; errors name the plugin and the user, and carry its standard error. */
int kb_exec_run(const kb_exec *x, kb_exec_result *r, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Connections (config.c, kubeconfig.c, credentials.c).              */
/* ------------------------------------------------------------------ */

struct sg_kube_config {
    char *server;                /* base URL, no trailing slash */
    char *source;                /* for logs */
    kb_material ca, cert, key;
    bool insecure;               /* insecure-skip-tls-verify */
    char *tls_server_name;       /* name to verify instead of the URL's host, or NULL */
    char *proxy;                 /* proxy-url, or NULL (curl then honours the environment) */
    char *username, *password;   /* basic auth, or NULL */
    char *token_file;            /* re-read when it changes, or NULL */
    kb_exec *exec;               /* credentials from a plugin, or NULL */
    char *token_owner;           /* an oidc id-token's user, for messages; NULL for other tokens */
    pthread_mutex_t lock;        /* guards the credential fields below (and runs of the plugin) */
    char *token;                 /* bearer token, or NULL */
    time_t token_expires;        /* an oidc id-token's exp claim; 0: none */
    struct timespec token_mtime;
    ino_t token_ino;
    time_t token_read_at;
    bool token_stale;            /* re-read before the next request (after a 401) */
    kb_exec_result cred;         /* the plugin's last answer */
    time_t exec_failed_at;       /* when its last run failed; 0: it did not */
    char exec_error[SG_ERRMAX];  /* why */
    bool cred_valid;             /* cred holds an answer that is not stale */
    unsigned long cred_gen;      /* bumped whenever the credentials change */
};

/* A new, empty config (lock initialised). */
sg_kube_config *kb_config_new(void);

/* Free the credential fields (token, plugin, answer). */
void kb_config_free_credentials(sg_kube_config *c);

/* ------------------------------------------------------------------ */
/* HTTP (request.c).                                                    */
/* ------------------------------------------------------------------ */

typedef struct kb_buf {
    char *data;
    size_t len, cap;
} kb_buf;

/* Append; -1 when the buffer would pass `max` bytes. */
int kb_buf_append(kb_buf *b, const char *p, size_t n, size_t max);
void kb_buf_free(kb_buf *b);

/* Called with each complete line of a watch stream; non-zero aborts the transfer. */
typedef int (*kb_line_fn)(void *ctx, char *line, size_t len);

/* One HTTP GET to the API server, run by curl_easy_perform or a curl multi handle. */
typedef struct kb_transfer {
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *connect_to;
    kb_buf body;                 /* the whole body, or (watch) the incomplete last line */
    kb_line_fn on_line;          /* non-NULL: a watch stream, split into lines while 2xx */
    void *line_ctx;
    bool too_large;              /* a body or line passed the limit */
    bool aborted;                /* on_line asked to stop */
    bool got_data;               /* a watch delivered at least one line */
    bool established;            /* the response headers arrived with a 2xx status */
    sg_kube_config *config;      /* told when the answer is 401 */
    unsigned long auth_gen;      /* the generation of the credentials sent */
    char url[4096];
    char curl_err[CURL_ERROR_SIZE];
} kb_transfer;

/* What a request accepts: whole objects, or only their metadata ("Receiving resources as
 * PartialObjectMetadata": a list of them, or one per watch event), as client-go's metadata
 * client asks for it. */
#define KB_ACCEPT_JSON "application/json"
#define KB_ACCEPT_METADATA_LIST "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#define KB_ACCEPT_METADATA "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

/*
 * Prepare a GET of `path_and_query` (starting with '/') on the connection:
 * TLS as configured, the credentials of kb_config_auth() (a 401 answer marks
 * them rejected) or basic auth, `accept` as the Accept header (NULL:
 * KB_ACCEPT_JSON), connect timeout, keep-alive probes, and `timeout` seconds
 * in all (0: none).
 */
int kb_transfer_init(kb_transfer *t, sg_kube_config *c, const char *path_and_query, const char *accept, long timeout,
                     kb_line_fn on_line, void *line_ctx, char *err, size_t errlen);
void kb_transfer_cleanup(kb_transfer *t);

/* Make the prepared transfer a `method` request (PATCH, PUT, ...) with `body`
 * (NUL-terminated, borrowed until the transfer is done; NULL: none) of
 * `content_type`. */
void kb_transfer_method(kb_transfer *t, const char *method, const char *content_type, const char *body);

/* The HTTP status of a finished transfer (0 when none was received). */
long kb_transfer_status(kb_transfer *t);

/* Whether a finished transfer failed because its connection broke off (reset, closed early)
 * rather than because it could not be made at all (refused, TLS, DNS) or the answer was refused. */
bool kb_transfer_broke(kb_transfer *t, CURLcode rc);

/*
 * Describe a failed transfer for a person: the curl error, or the HTTP status
 * with the Status message the API server sent and what to do about it (401:
 * credentials; 403: RBAC). `what` says what was asked, e.g. "list pods".
 */
void kb_transfer_error(kb_transfer *t, CURLcode rc, const char *what, char *err, size_t errlen);

/* The URL path of a resource's collection, e.g. "/apis/apps/v1/deployments". */
void kb_resource_path(const sg_kube_resource *r, char *buf, size_t len);
/* apiVersion of a resource: "v1" or "apps/v1". */
void kb_resource_api_version(const sg_kube_resource *r, char *buf, size_t len);

/* The path of one namespaced object, /api/v1/namespaces/NS/RESOURCE/NAME or
 * /apis/GROUP/VERSION/namespaces/NS/RESOURCE/NAME (name NULL: the collection),
 * escaped; -1 when it does not fit (object.c). */
int kb_object_path(const sg_kube_resource *r, const char *ns, const char *name, char *buf, size_t len);

/* Append "&name=value" (value URL-escaped) to a query in `buf`. */
int kb_query_add(char *buf, size_t len, const char *name, const char *value);

/* ------------------------------------------------------------------ */
/* Objects (sanitize.c), list pages (list.c), watch lines (watch.c).     */
/* ------------------------------------------------------------------ */

/* The list URL for one page: limit, and continue when non-NULL. */
void kb_list_url(const sg_kube_resource *r, unsigned limit, const char *cont, char *buf, size_t len);
/* The watch URL from `resource_version`, with bookmarks and timeoutSeconds. */
void kb_watch_url(const sg_kube_resource *r, const char *resource_version, unsigned timeout, char *buf,
                  size_t len);

/* ------------------------------------------------------------------ */
/* Keys an informer has delivered, per kind (keyset.c).                 */
/* ------------------------------------------------------------------ */

typedef struct kb_keyset kb_keyset;

kb_keyset *kb_keyset_new(void);
void kb_keyset_free(kb_keyset *s);
/* Mark (namespace, name) seen in generation `gen`; returns true when it was not held. */
bool kb_keyset_put(kb_keyset *s, const char *ns, const char *name, unsigned gen);
/* Remove (namespace, name); returns true when it was held. */
bool kb_keyset_remove(kb_keyset *s, const char *ns, const char *name);
/* Remove every key whose generation is not `gen`, calling fn(ctx, ns, name) for each first. */
void kb_keyset_sweep(kb_keyset *s, unsigned gen, void (*fn)(void *ctx, const char *ns, const char *name),
                     void *ctx);

/* ------------------------------------------------------------------ */
/* Backoff (backoff.c).                                                  */
/* ------------------------------------------------------------------ */

typedef struct kb_backoff {
    double initial, max;         /* seconds */
    unsigned attempt;            /* failures in a row */
    uint64_t rng;                /* xorshift state for the jitter */
} kb_backoff;

/* client-go's reflector: 800 ms doubling up to 30 s. */
#define KB_BACKOFF_INITIAL 0.8
#define KB_BACKOFF_MAX 30.0

void kb_backoff_init(kb_backoff *b, double initial, double max, uint64_t seed);
/* The delay before the next retry, in seconds: d = initial * 2^(failures so far) plus a random
 * part of up to d (client-go's jitter 1.0), capped at `max`. */
double kb_backoff_next(kb_backoff *b);
/* A request succeeded: start again from `initial`. */
void kb_backoff_reset(kb_backoff *b);
/* A uniformly random number in [0, 1). */
double kb_random(uint64_t *state);

/* Make sure curl_global_init has run (once per process). */
void kb_curl_init(void);

/* Monotonic seconds. */
double kb_now(void);

#endif
