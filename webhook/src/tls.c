/*
 * tls.c - the serving certificate, swappable without a restart.
 *
 * libmicrohttpd asks for the certificate of each handshake through a GnuTLS
 * certificate-retrieve callback (MHD_OPTION_HTTPS_CERT_CALLBACK). The
 * callback hands out the current credentials and takes a reference for the
 * session; the reference is dropped when the connection closes, so replaced
 * credentials stay alive exactly as long as a session still uses them.
 * wh_tls_check() watches the files (inode, size, mtime: a kubelet Secret
 * update swaps a symlink, cert-manager rewrites in place) and swaps in a new
 * pair only after sg_certs_load_pair() validated it; a broken pair is logged
 * and the old one kept.
 *
 * wh_client_verified() tells both listeners whether a client's certificate
 * verified against the trusted CA.
 *
 * GnuTLS gives the callback no user pointer, so the one served store is
 * file-static: one server per process.
 */
#include <gnutls/abstract.h>
#include <assert.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <scoregate/certs.h>

#include "internal.h"

#define WH_MAX_CHAIN 8

typedef struct wh_creds {
    atomic_int refs;
    gnutls_pcert_st pcerts[WH_MAX_CHAIN];
    unsigned npcerts;
    gnutls_privkey_t key;
    time_t not_after;
} wh_creds;

/* Which credentials each live session holds a reference to. */
typedef struct session_ref {
    gnutls_session_t session;
    wh_creds *creds;
} session_ref;

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_id;

struct wh_tls {
    pthread_mutex_t lock;
    wh_creds *current;
    char *cert_file, *key_file;
    file_id cert_id, key_id;
    session_ref *sessions;
    size_t nsessions, cap;
};

static wh_tls *served;

static void creds_unref(wh_creds *c)
{
    if (!c)
        return;
    int before = atomic_fetch_sub(&c->refs, 1);
    assert(before > 0);
    if (before != 1)
        return;
    for (unsigned i = 0; i < c->npcerts; i++)
        gnutls_pcert_deinit(&c->pcerts[i]);
    gnutls_privkey_deinit(c->key);
    free(c);
}

static int creds_load(const char *cert_file, const char *key_file, wh_creds **out, char *err, size_t errlen)
{
    sg_certs_pair pair;
    if (sg_certs_load_pair(cert_file, key_file, time(NULL), &pair, err, errlen) < 0)
        return -1;
    wh_creds *c = sg_calloc(1, sizeof *c);
    atomic_init(&c->refs, 1);
    c->not_after = pair.not_after;
    gnutls_datum_t cert = {(unsigned char *)pair.cert_pem, (unsigned)pair.cert_len};
    gnutls_datum_t key = {(unsigned char *)pair.key_pem, (unsigned)pair.key_len};
    c->npcerts = WH_MAX_CHAIN;
    int rc = gnutls_pcert_list_import_x509_raw(c->pcerts, &c->npcerts, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        snprintf(err, errlen, "%s: GnuTLS cannot load the certificate chain (at most %d certificates): %s", cert_file,
                 WH_MAX_CHAIN, gnutls_strerror(rc));
        c->npcerts = 0;
    } else if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
               (rc = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(err, errlen, "%s: GnuTLS cannot load the private key: %s", key_file, gnutls_strerror(rc));
    }
    sg_certs_pair_free(&pair);
    if (rc < 0) {
        creds_unref(c);
        return -1;
    }
    *out = c;
    return 0;
}

static void file_stat(const char *path, file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->size = st.st_size;
        id->mtime = st.st_mtim;
    }
}

static bool same_file(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int wh_tls_new(const char *cert_file, const char *key_file, wh_tls **out, char *err, size_t errlen)
{
    wh_tls *t = sg_calloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->cert_file = sg_strdup(cert_file);
    t->key_file = sg_strdup(key_file);
    file_stat(cert_file, &t->cert_id);
    file_stat(key_file, &t->key_id);
    if (creds_load(cert_file, key_file, &t->current, err, errlen) < 0) {
        wh_tls_free(t);
        return -1;
    }
    served = t;
    *out = t;
    return 0;
}

void wh_tls_free(wh_tls *t)
{
    if (!t)
        return;
    if (served == t)
        served = NULL;
    for (size_t i = 0; i < t->nsessions; i++)
        creds_unref(t->sessions[i].creds);
    free(t->sessions);
    creds_unref(t->current);
    free(t->cert_file);
    free(t->key_file);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int wh_tls_check(wh_tls *t, char *err, size_t errlen)
{
    file_id cert, key;
    file_stat(t->cert_file, &cert);
    file_stat(t->key_file, &key);
    if (same_file(&cert, &t->cert_id) && same_file(&key, &t->key_id))
        return 0;
    /* Remember what was seen either way, so a broken pair is reported once. */
    t->cert_id = cert;
    t->key_id = key;
    wh_creds *fresh;
    if (creds_load(t->cert_file, t->key_file, &fresh, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&t->lock);
    wh_creds *old = t->current;
    t->current = fresh;
    pthread_mutex_unlock(&t->lock);
    creds_unref(old);
    return 1;
}

time_t wh_tls_expiry(wh_tls *t)
{
    pthread_mutex_lock(&t->lock);
    time_t when = t->current->not_after;
    pthread_mutex_unlock(&t->lock);
    return when;
}

/* Forget (and release) the credentials recorded for `session`; lock held. */
static void forget(wh_tls *t, gnutls_session_t session)
{
    for (size_t i = 0; i < t->nsessions; i++)
        if (t->sessions[i].session == session) {
            creds_unref(t->sessions[i].creds);
            t->sessions[i] = t->sessions[--t->nsessions];
            return;
        }
}

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    wh_tls *t = served;
    if (!t)
        return -1;
    pthread_mutex_lock(&t->lock);
    forget(t, session);
    if (t->nsessions == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        t->sessions = sg_reallocarray(t->sessions, cap, sizeof *t->sessions);
        t->cap = cap;
    }
    wh_creds *c = t->current;
    atomic_fetch_add(&c->refs, 1);
    t->sessions[t->nsessions++] = (session_ref){session, c};
    pthread_mutex_unlock(&t->lock);
    *pcert = c->pcerts;
    *pcert_length = c->npcerts;
    *privkey = c->key;
    return 0;
}

void *wh_tls_callback(void)
{
    return (void *)&retrieve;
}

void wh_tls_session_closed(void *gnutls_session)
{
    wh_tls *t = served;
    if (!t || !gnutls_session)
        return;
    pthread_mutex_lock(&t->lock);
    forget(t, gnutls_session);
    pthread_mutex_unlock(&t->lock);
}

/* Whether the client presented a certificate that verifies against clientCAFile. */
bool wh_client_verified(void *connection)
{
    struct MHD_Connection *c = connection;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return false;
    gnutls_session_t session = (gnutls_session_t)info->tls_session;
    unsigned status = 0;
    if (!gnutls_certificate_get_peers(session, NULL))
        return false;
    return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}
