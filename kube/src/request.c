/*
 * request.c - one HTTP GET to the API server on libcurl: TLS as the
 * connection says (CA file or data, client certificate, insecure skip, a TLS
 * server name other than the URL's host), the credentials taken at the moment
 * of the request (so a rotated token or a plugin's new answer is used at
 * once; a 401 answer marks them rejected), bodies collected with a
 * size limit or, for watches, split into lines as they arrive; and errors
 * described so that a person knows what to change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ERROR_BODY (1u << 20)

int kb_buf_append(kb_buf *b, const char *p, size_t n, size_t max)
{
    if (b->len + n > max)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = sg_realloc(b->data, cap);
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void kb_buf_free(kb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Hand every complete line in t->body to on_line and keep the rest. */
static int split_lines(kb_transfer *t)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(t->body.data + start, '\n', t->body.len - start);
        if (!nl)
            break;
        size_t len = (size_t)(nl - (t->body.data + start));
        *nl = '\0';
        if (len && t->body.data[start + len - 1] == '\r')
            t->body.data[start + --len] = '\0';
        if (len) {
            t->got_data = true;
            if (t->on_line(t->line_ctx, t->body.data + start, len)) {
                t->aborted = true;
                return -1;
            }
        }
        start = (size_t)(nl - t->body.data) + 1;
    }
    if (start) {
        memmove(t->body.data, t->body.data + start, t->body.len - start);
        t->body.len -= start;
        t->body.data[t->body.len] = '\0';
    }
    return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    kb_transfer *t = ud;
    size_t n = size * nmemb;
    if (t->on_line) {
        long status = kb_transfer_status(t);
        if (status >= 200 && status < 300) {
            if (kb_buf_append(&t->body, p, n, KB_MAX_LINE) < 0) {
                t->too_large = true;
                return 0;
            }
            return split_lines(t) < 0 ? 0 : n;
        }
        if (kb_buf_append(&t->body, p, n, MAX_ERROR_BODY) < 0)
            return n;
        return n;
    }
    if (kb_buf_append(&t->body, p, n, KB_MAX_BODY) < 0) {
        t->too_large = true;
        return 0;
    }
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    kb_transfer *t = ud;
    size_t n = size * nmemb;
    if (n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        long status = kb_transfer_status(t);
        t->established = status >= 200 && status < 300;
        if (status == 401 && t->config)
            kb_config_rejected(t->config, t->auth_gen);
    }
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void kb_curl_init(void)
{
    pthread_once(&curl_once, curl_init_once);
}

/* Split "https://host:port" into scheme, host and port (default 443 / 80). */
static int split_server(const char *server, char *scheme, char *host, char *port, size_t len)
{
    const char *sep = strstr(server, "://");
    if (!sep)
        return -1;
    snprintf(scheme, len, "%.*s", (int)(sep - server), server);
    const char *h = sep + 3, *end = h + strcspn(h, "/");
    const char *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return -1;
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        snprintf(host, len, "%.*s", (int)(close + 1 - h), h);
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        snprintf(host, len, "%.*s", (int)((colon ? colon : end) - h), h);
    }
    if (colon)
        snprintf(port, len, "%.*s", (int)(end - colon - 1), colon + 1);
    else
        snprintf(port, len, "%s", strcmp(scheme, "http") ? "443" : "80");
    return 0;
}

static void set_blob(CURL *e, CURLoption opt, const kb_material *m)
{
    struct curl_blob blob = {m->data, m->len, CURL_BLOB_COPY};
    curl_easy_setopt(e, opt, &blob);
}

/* The server's trust (CA, or none with insecure-skip-tls-verify) and the client certificate and key. */
static void set_tls(CURL *e, const sg_kube_config *c)
{
    if (c->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->ca.data) {
        set_blob(e, CURLOPT_CAINFO_BLOB, &c->ca);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    } else if (c->ca.file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca.file);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    }
    if (c->cert.data) {
        set_blob(e, CURLOPT_SSLCERT_BLOB, &c->cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (c->cert.file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert.file);
    }
    if (c->key.data) {
        set_blob(e, CURLOPT_SSLKEY_BLOB, &c->key);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (c->key.file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->key.file);
    }
}

int kb_transfer_init(kb_transfer *t, sg_kube_config *c, const char *path_and_query, const char *accept, long timeout,
                     kb_line_fn on_line, void *line_ctx, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    kb_curl_init();
    t->on_line = on_line;
    t->line_ctx = line_ctx;
    kb_auth auth;
    if (kb_config_auth(c, &auth, err, errlen) < 0)
        return -1;
    t->config = c;
    t->auth_gen = auth.gen;
    t->easy = curl_easy_init();
    if (!t->easy) {
        kb_auth_clear(&auth);
        snprintf(err, errlen, "cannot create a curl handle");
        return -1;
    }
    CURL *e = t->easy;
    if (c->tls_server_name) {
        char scheme[16], host[1024], port[16], connect[2200];
        if (split_server(c->server, scheme, host, port, sizeof host) < 0) {
            kb_auth_clear(&auth);
            kb_transfer_cleanup(t);
            snprintf(err, errlen, "cannot parse the server URL %s", c->server);
            return -1;
        }
        snprintf(t->url, sizeof t->url, "%s://%s:%s%s", scheme, c->tls_server_name, port, path_and_query);
        snprintf(connect, sizeof connect, "%s:%s:%s:%s", c->tls_server_name, port, host, port);
        t->connect_to = curl_slist_append(NULL, connect);
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);
    } else {
        snprintf(t->url, sizeof t->url, "%s%s", c->server, path_and_query);
    }
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "scoregate");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_err);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)KB_CONNECT_TIMEOUT);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    if (c->proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
    set_tls(e, c);
    /* A plugin's certificate (never together with the kubeconfig's own: client-go then runs no plugin). */
    if (auth.cert.data) {
        set_blob(e, CURLOPT_SSLCERT_BLOB, &auth.cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        set_blob(e, CURLOPT_SSLKEY_BLOB, &auth.key);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    char accept_line[160];
    snprintf(accept_line, sizeof accept_line, "Accept: %s", accept ? accept : KB_ACCEPT_JSON);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, accept_line);
    if (auth.token) {
        size_t n = strlen(auth.token) + 32;
        char *line = sg_malloc(n);
        snprintf(line, n, "Authorization: Bearer %s", auth.token);
        h = curl_slist_append(h, line);
        memset(line, 0, n);
        free(line);
    } else if (c->username) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, c->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
    }
    kb_auth_clear(&auth);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    t->headers = h;
    return 0;
}

void kb_transfer_cleanup(kb_transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->connect_to);
    kb_buf_free(&t->body);
    t->easy = NULL;
    t->headers = t->connect_to = NULL;
}

void kb_transfer_method(kb_transfer *t, const char *method, const char *content_type, const char *body)
{
    curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
    if (!body)
        return;
    char header[256];
    snprintf(header, sizeof header, "Content-Type: %s", content_type);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    t->headers = curl_slist_append(t->headers, header);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

long kb_transfer_status(kb_transfer *t)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

bool kb_transfer_broke(kb_transfer *t, CURLcode rc)
{
    if (rc == CURLE_OK || t->too_large || t->aborted)
        return false;
    return kb_transfer_status(t) != 0 || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
}

void kb_transfer_error(kb_transfer *t, CURLcode rc, const char *what, char *err, size_t errlen)
{
    long status = kb_transfer_status(t);
    if (t->too_large) {
        snprintf(err, errlen, "%s: the response is larger than scoregate accepts (%u MiB)", what,
                 (t->on_line ? KB_MAX_LINE : KB_MAX_BODY) >> 20);
        return;
    }
    if (rc != CURLE_OK && status == 0) {
        snprintf(err, errlen, "%s: cannot reach the API server at %s: %s", what, t->url,
                 t->curl_err[0] ? t->curl_err : curl_easy_strerror(rc));
        return;
    }
    const char *msg = "";
    json_t *st = t->body.len ? json_loadb(t->body.data, t->body.len, 0, NULL) : NULL;
    if (json_is_string(json_object_get(st, "message")))
        msg = json_string_value(json_object_get(st, "message"));
    switch (status) {
    case 401:
        snprintf(err, errlen,
                 "%s: 401 Unauthorized: the API server rejected the credentials (an expired or wrong token, or a "
                 "client certificate it does not trust); check the kubeconfig user or the service account token",
                 what);
        break;
    case 403:
        snprintf(err, errlen,
                 "%s: 403 Forbidden: %s; scoregate needs get, list and watch on this resource in every namespace "
                 "(the chart's ClusterRole grants them)",
                 what, *msg ? msg : "RBAC denies it");
        break;
    case 404:
        snprintf(err, errlen, "%s: 404 Not Found: the API server does not serve %s%s%s", what, t->url, *msg ? ": " : "",
                 msg);
        break;
    default:
        if (rc != CURLE_OK)
            snprintf(err, errlen, "%s: %s", what, t->curl_err[0] ? t->curl_err : curl_easy_strerror(rc));
        else
            snprintf(err, errlen, "%s: HTTP %ld from the API server%s%s", what, status, *msg ? ": " : "", msg);
    }
    json_decref(st);
}

int kb_query_add(char *buf, size_t len, const char *name, const char *value)
{
    char *esc = curl_easy_escape(NULL, value, 0);
    if (!esc)
        sg_oom();
    size_t used = strlen(buf);
    int n = snprintf(buf + used, len - used, "%s%s=%s", strchr(buf, '?') ? "&" : "?", name, esc);
    curl_free(esc);
    return n < 0 || (size_t)n >= len - used ? -1 : 0;
}
