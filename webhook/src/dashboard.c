/*
 * dashboard.c - the dashboard's listener: a second, read-only libmicrohttpd
 * daemon beside the admission server (--dashboard-address,
 * server.dashboard.address; "" turns it off).
 *
 * Plain HTTP only on a loopback address (127.0.0.0/8, ::1): inside a pod,
 * `kubectl port-forward` reaches it and nothing else can. On any other
 * address it needs server.dashboard.tls (HTTPS with the server's own
 * certificate, rotated with it) and may require client certificates
 * (server.dashboard.clientCAFile); otherwise serve refuses to start and says
 * why. Over plain HTTP the Host header must name a loopback host, so a web
 * page cannot read the dashboard through DNS rebinding.
 *
 * GET and HEAD only; one event thread, a few connections, a short timeout:
 * the dashboard cannot take CPU or connections from admissions. Every answer
 * forbids caching, framing and fetching anything (Content-Security-Policy
 * default-src 'none').
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

#define CONNECTIONS 32
#define TIMEOUT 10
#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; " \
            "frame-ancestors 'none'"

typedef struct dash {
    sg_webhook *w;
    struct MHD_Daemon *daemon;
    bool plain;                  /* HTTP on loopback */
    const char *client_ca;       /* PEM when client certificates are required (borrowed from w) */
} dash;

static bool loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Whether a Host header names a loopback host: localhost, 127.x.y.z or [::1], with any port. */
static bool host_allowed(const char *host)
{
    if (!host)
        return false;
    char name[256];
    const char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
    size_t n = host[0] == '[' ? (end ? (size_t)(end - host + 1) : 0) : end ? (size_t)(end - host) : strlen(host);
    if (n == 0 || n >= sizeof name)
        return false;
    memcpy(name, host, n);
    name[n] = '\0';
    if (!strcasecmp(name, "localhost") || !strcmp(name, "[::1]"))
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static const char *lookup(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result queue(struct MHD_Connection *c, const char *method, wh_dash_resp *r)
{
    bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
    struct MHD_Response *resp =
        head ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
             : MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (head)
        free(r->body);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A refusal before any page is built: a JSON Status body. */
static enum MHD_Result refuse(struct MHD_Connection *c, const char *method, unsigned status, const char *message)
{
    wh_dash_resp r = {status, "application/json", NULL, 0};
    r.body = wh_error_body(status, message, &r.len);
    return r.body ? queue(c, method, &r) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    dash *d = cls;
    static int seen;
    if (!*con_cls) {
        *con_cls = &seen;   /* answer once the request is complete */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;   /* a body is read and dropped: the dashboard takes none */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return refuse(c, method, MHD_HTTP_METHOD_NOT_ALLOWED, "the dashboard is read-only: GET and HEAD only");
    if (d->plain && !host_allowed(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        return refuse(c, method, MHD_HTTP_FORBIDDEN,
                      "over plain HTTP the dashboard answers only requests for a loopback host (localhost, "
                      "127.0.0.1, [::1]); use kubectl port-forward and open http://127.0.0.1:PORT/");
    if (d->client_ca && !wh_client_verified(c))
        return refuse(c, method, MHD_HTTP_FORBIDDEN,
                      "a client certificate signed by server.dashboard.clientCAFile is required");
    wh_dash_req req = {url, lookup, c};
    wh_dash_resp r;
    if (wh_dash_handle(d->w, &req, &r) < 0)
        return MHD_NO;
    return queue(c, method, &r);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)socket_context;
    dash *d = cls;
    if (d->plain || toe != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info)
        wh_tls_session_closed(info->tls_session);
}

static struct MHD_Daemon *start(dash *d, int fd)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | (d->plain ? 0 : MHD_USE_TLS);
    if (d->plain)
        return MHD_start_daemon(flags, 0, NULL, NULL, &on_request, d, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                MHD_OPTION_CONNECTION_LIMIT, CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, TIMEOUT,
                                MHD_OPTION_END);
    return MHD_start_daemon(flags, 0, NULL, NULL, &on_request, d, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                            MHD_OPTION_CONNECTION_LIMIT, CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, TIMEOUT,
                            MHD_OPTION_NOTIFY_CONNECTION, &on_connection, d, MHD_OPTION_HTTPS_PRIORITIES,
                            wh_tls_priorities(), MHD_OPTION_HTTPS_CERT_CALLBACK, wh_tls_callback(),
                            d->client_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, d->client_ca, MHD_OPTION_END);
}

/* The largest client CA bundle read (server.dashboard.clientCAFile). */
#define CLIENT_CA_MAX ((size_t)4 << 20)

/* The dashboard's client CA (PEM certificates) into w->dashboard_ca. */
static int read_client_ca(sg_webhook *w, const char *path, char *err, size_t errlen)
{
    char *data, why[SG_ERRMAX];
    size_t len;
    if (sg_file_read(path, CLIENT_CA_MAX, &data, &len, why, sizeof why) < 0)
        return sg_err(err, errlen, "server.dashboard.clientCAFile: %s", why);
    if (!strstr(data, "-----BEGIN CERTIFICATE-----")) {
        free(data);
        return sg_err(err, errlen, "server.dashboard.clientCAFile %s holds no PEM certificate", path);
    }
    w->dashboard_ca = data;
    return 0;
}

int wh_dashboard_preflight(sg_webhook *w, char *err, size_t errlen)
{
    const wh_settings *s = &w->snap->server;
    if (s->inventory_sync && wh_history_namespace(w, err, errlen) < 0)
        return -1;
    if (!*w->dashboard_address)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len;
    bool any;
    char why[SG_ERRMAX];
    if (wh_address_parse(w->dashboard_address, &ss, &len, &any, why, sizeof why) < 0)
        return sg_err(err, errlen, "dashboard: %s (--dashboard-address, server.dashboard.address)", why);
    w->dashboard_plain = !s->dashboard_tls;
    if (w->dashboard_plain && (any || !loopback(&ss)))
        return sg_err(err, errlen,
                      "dashboard address '%s' is not a loopback address: plain HTTP is served only on 127.0.0.1 or "
                      "::1 (reach it with kubectl port-forward); to serve it elsewhere set server.dashboard.tls: true "
                      "(HTTPS with the server's certificate, and server.dashboard.clientCAFile to require client "
                      "certificates), or turn it off with --dashboard-address \"\"",
                      w->dashboard_address);
    return s->dashboard_client_ca_file ? read_client_ca(w, s->dashboard_client_ca_file, err, errlen) : 0;
}

int wh_dashboard_start(sg_webhook *w, int fd, void **daemon, char *err, size_t errlen)
{
    *daemon = NULL;
    if (fd < 0)
        return 0;
    dash *d = sg_calloc(1, sizeof *d);
    d->w = w;
    d->plain = w->dashboard_plain;
    d->client_ca = w->dashboard_ca;
    d->daemon = start(d, fd);
    if (!d->daemon) {
        free(d);
        return sg_err(err, errlen, "dashboard: cannot serve on %s", w->dashboard_address);
    }
    wh_log("info", "dashboard", json_pack("{s:s,s:s}", "address", w->dashboard_address, "scheme",
                                          d->plain ? "http" : "https"));
    *daemon = d;
    return 0;
}

void wh_dashboard_stop(void *daemon)
{
    dash *d = daemon;
    if (!d)
        return;
    MHD_stop_daemon(d->daemon);
    free(d);
}
