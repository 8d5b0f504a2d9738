/*
 * server.c - the HTTPS layer: libmicrohttpd with GnuTLS, an epoll thread
 * pool, HTTP/1.1 keep-alive, and the limits of docs/webhook.md.
 *
 * Routes: POST /validate and /mutate (AdmissionReview), GET /healthz,
 * /readyz and /metrics. Every refusal is a Kubernetes Status-shaped JSON body
 * and a log line: unknown path 404, wrong method 405, a body that is not
 * application/json 415, a body above the limit 413 (from Content-Length
 * before anything is read, or while reading a chunked body), and a malformed
 * AdmissionReview 400. A slow or idle client cannot hold a worker: the
 * threads are event-driven and a connection silent for `timeout` seconds is
 * closed. A connection past max_connections is closed as soon as it is
 * accepted (on_accept), so the client fails at once instead of waiting in the
 * listen backlog; the listening socket comes bound from listen.c. TLS is 1.2 or newer (AEAD ciphers, forward secrecy), with the
 * certificate from tls.c's callback.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

/* TLS 1.2 and 1.3; in 1.2 only forward-secret (ECDHE) key exchange and AEAD
 * ciphers: no CBC with SHA-1 MACs, no static RSA (which a user's RSA
 * certificate would otherwise enable). The API server (Go) speaks all of these. */
#define TLS_PRIORITIES                                                                                  \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:" \
    "+AES-256-CCM:+AES-128-CCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

const char *wh_tls_priorities(void) { return TLS_PRIORITIES; }

typedef enum route { R_NONE, R_VALIDATE, R_MUTATE, R_HEALTHZ, R_READYZ, R_METRICS } route;

/* Request bodies all connections together may hold at once: at least this,
 * and at least four bodies of the largest size. Many connections each sending
 * a large body slowly would otherwise hold max_body bytes apiece (1000 x 8 MiB)
 * and get the server killed for memory; past the budget they get 503. */
#define BUFFERED_FLOOR ((size_t)64 << 20)

/* One request in progress. */
typedef struct request_ctx {
    route route;
    char *body;
    size_t len, cap;          /* cap counts against server.buffered */
    bool too_large;
    bool busy;                /* the server-wide body budget was full: 503 */
} request_ctx;

typedef struct server {
    sg_webhook *w;
    struct MHD_Daemon *daemon;
    atomic_size_t buffered;   /* bytes of request bodies held, all connections */
    size_t buffered_limit;
    atomic_long open;         /* connections libmicrohttpd has taken (started, not yet closed) */
    atomic_llong refused_logged; /* monotonic second of the last "refusing connections" log line */
} server;

/* Connections past --max-connections that libmicrohttpd may still take while
 * on_accept() races on several threads, per thread. */
#define ACCEPT_SLACK 4
/* Seconds between two log lines about refused connections. */
#define REFUSED_LOG_INTERVAL 10

static route route_of(const char *url)
{
    static const struct { const char *path; route r; } routes[] = {
        {"/validate", R_VALIDATE}, {"/mutate", R_MUTATE}, {"/healthz", R_HEALTHZ},
        {"/readyz", R_READYZ},     {"/metrics", R_METRICS}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(url, routes[i].path))
            return routes[i].r;
    return R_NONE;
}

static enum MHD_Result send_body(sg_webhook *w, struct MHD_Connection *c, unsigned status, char *body, size_t len,
                                 const char *content_type)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (atomic_load(&w->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A JSON error answer, logged with the path and method (never the body). */
static enum MHD_Result send_error(sg_webhook *w, struct MHD_Connection *c, unsigned status, const char *url,
                                  const char *method, const char *message)
{
    json_t *fields = json_pack("{s:i,s:s,s:s}", "status", (int)status, "path", url, "method", method);
    wh_log("warn", message, fields);
    size_t len = 0;
    char *body = wh_error_body(status, message, &len);
    if (!body)
        return MHD_NO;
    return send_body(w, c, status, body, len, "application/json");
}

static enum MHD_Result send_json(sg_webhook *w, struct MHD_Connection *c, unsigned status, const char *text)
{
    char *body = sg_strdup(text);
    return send_body(w, c, status, body, strlen(body), "application/json");
}

static bool is_json(const char *content_type)
{
    if (!content_type)
        return false;
    size_t n = strlen("application/json");
    if (strncasecmp(content_type, "application/json", n))
        return false;
    const char *rest = content_type + n;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

static enum MHD_Result serve_get(server *s, struct MHD_Connection *c, route r)
{
    sg_webhook *w = s->w;
    if (r == R_HEALTHZ)
        return send_json(w, c, MHD_HTTP_OK, "{\"status\":\"ok\"}");
    time_t expiry = w->tls ? wh_tls_expiry(w->tls) : 0;
    if (r == R_READYZ) {
        if (!atomic_load(&w->ready) || atomic_load(&w->draining))
            return send_json(w, c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"status\":\"not ready\"}");
        if (expiry && expiry <= time(NULL))
            return send_json(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "{\"status\":\"not ready\",\"reason\":\"the serving certificate has expired\"}");
        /* Ready either way (admission works), but say what is degraded. */
        json_t *warnings = wh_health_warnings(w);
        if (!warnings)
            return MHD_NO;
        if (!json_array_size(warnings)) {
            json_decref(warnings);
            return send_json(w, c, MHD_HTTP_OK, "{\"status\":\"ready\"}");
        }
        json_t *doc = json_pack("{s:s,s:o}", "status", "ready", "warnings", warnings);
        char *text = doc ? sg_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL) : NULL;
        json_decref(doc);
        if (!text)
            return MHD_NO;
        return send_body(w, c, MHD_HTTP_OK, text, strlen(text), "application/json");
    }
    size_t len = 0;
    char *text = wh_metrics_text(w->metrics, &len);
    if (!text)
        return MHD_NO;
    return send_body(w, c, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result serve_review(server *s, struct MHD_Connection *c, request_ctx *rq)
{
    unsigned status;
    char *out;
    size_t len;
    sg_webhook_endpoint ep = rq->route == R_MUTATE ? SG_WEBHOOK_MUTATE : SG_WEBHOOK_VALIDATE;
    if (sg_webhook_review(s->w, ep, rq->body ? rq->body : "", rq->len, &status, &out, &len) < 0)
        return MHD_NO;
    return send_body(s->w, c, status, out, len, "application/json");
}

/* First call for a request: route it and refuse what can be refused from the
 * headers (that answer closes the connection, as the body is left unread). */
static enum MHD_Result first_call(server *s, struct MHD_Connection *c, request_ctx *rq, const char *url,
                                  const char *method)
{
    sg_webhook *w = s->w;
    char msg[256];
    rq->route = route_of(url);
    if (rq->route == R_NONE) {
        snprintf(msg, sizeof msg, "no such path: %.100s (use /validate, /mutate, /healthz, /readyz or /metrics)", url);
        return send_error(w, c, MHD_HTTP_NOT_FOUND, url, method, msg);
    }
    bool admission = rq->route == R_VALIDATE || rq->route == R_MUTATE;
    bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    if (admission ? strcmp(method, MHD_HTTP_METHOD_POST) : !get) {
        snprintf(msg, sizeof msg, "method %.20s not allowed on %s (use %s)", method, url, admission ? "POST" : "GET");
        return send_error(w, c, MHD_HTTP_METHOD_NOT_ALLOWED, url, method, msg);
    }
    if (!admission) {
        /* Answered on the next call: a response queued before the request is
         * complete makes libmicrohttpd close the connection. */
        return MHD_YES;
    }
    if (w->client_ca && !wh_client_verified(c))
        return send_error(w, c, MHD_HTTP_FORBIDDEN, url, method,
                          "a client certificate signed by the configured clientCAFile is required");
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!is_json(type)) {
        snprintf(msg, sizeof msg, "content type must be application/json, not '%.60s'", type ? type : "(none)");
        return send_error(w, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, url, method, msg);
    }
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && strtoull(length, NULL, 10) > w->opts.max_body) {
        snprintf(msg, sizeof msg, "request body of %.20s bytes is larger than the limit of %zu bytes", length,
                 w->opts.max_body);
        return send_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, url, method, msg);
    }
    return MHD_YES;
}

/* Make room for `need` bytes of body within the server-wide budget, or set
 * rq->busy when that would pass it. */
static void grow(server *s, request_ctx *rq, size_t need)
{
    size_t cap = rq->cap ? rq->cap : 4096;
    while (cap < need)
        cap *= 2;
    size_t more = cap - rq->cap;
    if (atomic_fetch_add(&s->buffered, more) + more > s->buffered_limit) {
        atomic_fetch_sub(&s->buffered, more);
        rq->busy = true;
        return;
    }
    rq->body = sg_realloc(rq->body, cap);
    rq->cap = cap;
}

/* Release a request's body (and its share of the budget). */
static void drop_body(server *s, request_ctx *rq)
{
    free(rq->body);
    atomic_fetch_sub(&s->buffered, rq->cap);
    rq->body = NULL;
    rq->cap = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    server *s = cls;
    sg_webhook *w = s->w;
    request_ctx *rq = *con_cls;
    if (!rq) {
        rq = sg_calloc(1, sizeof *rq);
        *con_cls = rq;
        atomic_fetch_add(&w->inflight, 1);
        return first_call(s, c, rq, url, method);
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!rq->busy && rq->len + n > w->opts.max_body)
            rq->too_large = true;
        if (!rq->too_large && !rq->busy && rq->len + n + 1 > rq->cap)
            grow(s, rq, rq->len + n + 1);
        if (rq->too_large || rq->busy) {
            /* Read the rest without keeping it, to answer 413 or 503 at the end. */
            drop_body(s, rq);
            rq->len += n;
            /* Stop reading a stream that goes far past the limit. */
            return rq->len > 4 * w->opts.max_body ? MHD_NO : MHD_YES;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        rq->body[rq->len] = '\0';
        return MHD_YES;
    }
    if (rq->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body is larger than the limit of %zu bytes", w->opts.max_body);
        return send_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, url, method, msg);
    }
    if (rq->busy) {
        char msg[160];
        snprintf(msg, sizeof msg, "the server holds %zu MiB of request bodies, its limit; retry shortly",
                 s->buffered_limit >> 20);
        return send_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE, url, method, msg);
    }
    if (rq->route != R_VALIDATE && rq->route != R_MUTATE)
        return serve_get(s, c, rq->route);
    return serve_review(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    server *s = cls;
    request_ctx *rq = *con_cls;
    if (!rq)
        return;
    drop_body(s, rq);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->w->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    server *s = cls;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->open, 1);
        return;
    }
    atomic_fetch_sub(&s->open, 1);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info)
        wh_tls_session_closed(info->tls_session);
}

static long long monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

/* Every accepted TCP connection, before TLS: past --max-connections it is
 * closed at once, so that the API server's call fails fast and it can try
 * another replica, instead of waiting in the listen backlog until its timeout.
 * Counted in scoregate_connections_refused_total; logged at most every
 * REFUSED_LOG_INTERVAL seconds. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    server *s = cls;
    sg_webhook *w = s->w;
    long open = atomic_load(&s->open);
    if (open < (long)w->opts.max_connections)
        return MHD_YES;
    wh_metrics_refused(w->metrics);
    long long now = monotonic_seconds(), last = atomic_load(&s->refused_logged);
    if (now - last >= REFUSED_LOG_INTERVAL && atomic_compare_exchange_strong(&s->refused_logged, &last, now))
        wh_log("warn", "connection refused: --max-connections are open (the count of refusals is "
               "scoregate_connections_refused_total)",
               json_pack("{s:I,s:I}", "open", (json_int_t)open, "maxConnections", (json_int_t)w->opts.max_connections));
    return MHD_NO;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    wh_log("debug", msg, json_pack("{s:s}", "component", "libmicrohttpd"));
}

/* libmicrohttpd's own limit sits above --max-connections (its worker threads
 * each get a share of it and would stop accepting, leaving the rest waiting in
 * the kernel's backlog); on_accept() enforces --max-connections by closing. */
static struct MHD_Daemon *start(server *s, int fd)
{
    sg_webhook *w = s->w;
    unsigned threads = w->opts.threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, 0, &on_accept, s, &on_request, s, MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_error, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, w->opts.max_connections + threads * ACCEPT_SLACK,
        MHD_OPTION_CONNECTION_TIMEOUT, w->opts.timeout,
        MHD_OPTION_NOTIFY_COMPLETED, &on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, &on_connection, s,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
        MHD_OPTION_HTTPS_CERT_CALLBACK, wh_tls_callback(),
        /* Last: without a client CA the list ends here. */
        w->client_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, w->client_ca, MHD_OPTION_END);
}

int wh_server_start(sg_webhook *w, int fd, void **daemon, char *err, size_t errlen)
{
    server *s = sg_calloc(1, sizeof *s);
    s->w = w;
    atomic_init(&s->buffered, 0);
    atomic_init(&s->open, 0);
    atomic_init(&s->refused_logged, 0);
    s->buffered_limit = w->opts.max_body > BUFFERED_FLOOR / 4 ? 4 * w->opts.max_body : BUFFERED_FLOOR;
    s->daemon = start(s, fd);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot start the HTTPS server on %s (see the libmicrohttpd message above)",
                 w->address);
        free(s);
        return -1;
    }
    *daemon = s;
    return 0;
}

void wh_server_stop(sg_webhook *w, void *daemon, unsigned grace)
{
    server *s = daemon;
    atomic_store(&w->draining, true);
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (unsigned long waited = 0; atomic_load(&w->inflight) > 0 && waited < grace * 100UL; waited++)
        nanosleep(&tick, NULL);
    long left = atomic_load(&w->inflight);
    if (left > 0)
        wh_logf("warn", "shutdown: %ld requests still in flight after %u s; closing them", left, grace);
    MHD_stop_daemon(s->daemon);
    free(s);
}
