/*
 * ref_server.c - the reference servers of the benchmarks: what scoregate's
 * HTTPS path costs without scoregate's work.
 *
 *   bench_ref_server fixed CERT KEY PORT   (a) the transport limit: every POST
 *       gets the same AdmissionReview response, the body is read and ignored;
 *       a GET gets {"status":"ok"}, as scoregate's /healthz (the handshake runs)
 *   bench_ref_server json CERT KEY PORT    (b) the JSON limit: the body is
 *       parsed with jansson and a response carrying its uid is built and
 *       serialised (one parse, one dump: the least a webhook must do)
 *
 * Both start libmicrohttpd exactly as webhook/src/server.c does: the same
 * flags (TLS, epoll thread pool of one thread per core, inter-thread
 * communication), connection limit, idle timeout, TLS priorities,
 * keep-alive, a GnuTLS certificate-retrieve callback (with the pair loaded
 * once), and the body gathered into one growing buffer. So the ratio of
 * scoregate to these servers measures only scoregate's own work.
 *
 * It listens on 127.0.0.1 only. SIGTERM or SIGINT stops it; it then prints
 * "connections N requests M" (bench/run checks with it that a
 * "Connection: close" load really opens one connection per request).
 */
#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* As webhook/src/server.c (bench/run checks that the priorities match) and the defaults of webhook.h. */
#define TLS_PRIORITIES                                                                                  \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:" \
    "+AES-256-CCM:+AES-128-CCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
#define MAX_CONNECTIONS 1000
#define TIMEOUT 10
#define MAX_BODY (3u << 20)

/* The answer of (a): an allowed review with the warnings and audit
 * annotations scoregate gives a typical Deployment, about the same size. */
static const char fixed_response[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{"
    "\"uid\":\"00000000-0000-4000-8000-000000000000\",\"allowed\":true,\"warnings\":["
    "\"scoregate: 3 findings; secure score n/a -> 72.41% (new)\","
    "\"warning: trusted-registries: container log-shipper uses image docker.io/fluent/fluent-bit:3.0\","
    "\"warning: apparmor-profiles: container log-shipper has no AppArmor profile\","
    "\"warning: readonly-root-filesystem: container log-shipper can write its root filesystem\"],"
    "\"auditAnnotations\":{\"score-before\":\"n/a\",\"score-after\":\"72.41\",\"score-delta\":\"n/a\","
    "\"failed-recommendations\":\"trusted-registries,apparmor-profiles,readonly-root-filesystem\"}}}";

typedef struct body {
    char *data;
    size_t len, cap;
} body;

static bool json_mode;
static atomic_long connections, requests;
static gnutls_pcert_st pcerts[8];
static unsigned npcerts = 8;
static gnutls_privkey_t key;

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    *pcert = pcerts;
    *pcert_length = npcerts;
    *privkey = key;
    return 0;
}

/* (b): parse, take the uid, build and serialise the response. NULL on a bad body. */
static char *json_answer(const body *b, size_t *len)
{
    json_t *root = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
    const char *uid = json_string_value(json_object_get(json_object_get(root, "request"), "uid"));
    char *text = NULL;
    if (uid) {
        json_t *review = json_pack(
            "{s:s,s:s,s:{s:s,s:b,s:[s,s,s,s],s:{s:s,s:s,s:s,s:s}}}", "apiVersion", "admission.k8s.io/v1", "kind",
            "AdmissionReview", "response", "uid", uid, "allowed", 1, "warnings",
            "scoregate: 3 findings; secure score n/a -> 72.41% (new)",
            "warning: trusted-registries: container log-shipper uses image docker.io/fluent/fluent-bit:3.0",
            "warning: apparmor-profiles: container log-shipper has no AppArmor profile",
            "warning: readonly-root-filesystem: container log-shipper can write its root filesystem",
            "auditAnnotations", "score-before", "n/a", "score-after", "72.41", "score-delta", "n/a",
            "failed-recommendations", "trusted-registries,apparmor-profiles,readonly-root-filesystem");
        text = review ? json_dumps(review, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(review);
    }
    json_decref(root);
    if (text)
        *len = strlen(text);
    return text;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *text, size_t len,
                              enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text, mode);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    body *b = *con_cls;
    if (!b) {
        if (!(b = calloc(1, sizeof *b)))
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (b->len + n > MAX_BODY)
            return MHD_NO;
        if (b->len + n + 1 > b->cap) {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < b->len + n + 1)
                cap *= 2;
            char *grown = realloc(b->data, cap);
            if (!grown)
                return MHD_NO;
            b->data = grown;
            b->cap = cap;
        }
        memcpy(b->data + b->len, upload_data, n);
        b->len += n;
        b->data[b->len] = '\0';
        return MHD_YES;
    }
    atomic_fetch_add(&requests, 1);
    if (!strcmp(method, MHD_HTTP_METHOD_GET)) {
        static const char ok[] = "{\"status\":\"ok\"}";
        return answer(c, MHD_HTTP_OK, ok, sizeof ok - 1, MHD_RESPMEM_PERSISTENT);
    }
    if (!json_mode)
        return answer(c, MHD_HTTP_OK, fixed_response, sizeof fixed_response - 1, MHD_RESPMEM_PERSISTENT);
    size_t len = 0;
    char *text = json_answer(b, &len);
    if (!text) {
        static const char bad[] = "{\"kind\":\"Status\",\"code\":400,\"message\":\"not an AdmissionReview\"}";
        return answer(c, MHD_HTTP_BAD_REQUEST, bad, sizeof bad - 1, MHD_RESPMEM_PERSISTENT);
    }
    return answer(c, MHD_HTTP_OK, text, len, MHD_RESPMEM_MUST_FREE);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    body *b = *con_cls;
    if (b) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&connections, 1);
}

static int load_pair(const char *cert_file, const char *key_file)
{
    gnutls_datum_t cert, pem;
    int rc = gnutls_load_file(cert_file, &cert);
    if (rc < 0) {
        fprintf(stderr, "bench_ref_server: %s: %s\n", cert_file, gnutls_strerror(rc));
        return -1;
    }
    rc = gnutls_pcert_list_import_x509_raw(pcerts, &npcerts, &cert, GNUTLS_X509_FMT_PEM, 0);
    gnutls_free(cert.data);
    if (rc < 0) {
        fprintf(stderr, "bench_ref_server: %s: %s\n", cert_file, gnutls_strerror(rc));
        return -1;
    }
    if ((rc = gnutls_load_file(key_file, &pem)) < 0 || (rc = gnutls_privkey_init(&key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        fprintf(stderr, "bench_ref_server: %s: %s\n", key_file, gnutls_strerror(rc));
        return -1;
    }
    gnutls_free(pem.data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "fixed") && strcmp(argv[1], "json")) || atoi(argv[4]) <= 0) {
        fprintf(stderr, "usage: bench_ref_server fixed|json CERT KEY PORT\n");
        return 2;
    }
    json_mode = !strcmp(argv[1], "json");
    if (load_pair(argv[2], argv[3]) < 0)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(argv[4]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL, &on_request,
        NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 1),
        MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, TIMEOUT,
        MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, &on_connection, NULL,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_HTTPS_CERT_CALLBACK, &retrieve, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench_ref_server: cannot listen on 127.0.0.1:%s\n", argv[4]);
        return 1;
    }
    printf("bench_ref_server %s: listening on 127.0.0.1:%s\n", argv[1], argv[4]);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    for (unsigned i = 0; i < npcerts; i++)
        gnutls_pcert_deinit(&pcerts[i]);
    gnutls_privkey_deinit(key);
    printf("connections %ld requests %ld\n", atomic_load(&connections), atomic_load(&requests));
    return 0;
}
