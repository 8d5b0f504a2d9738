/*
 * inspect.c - describe a certificate and check what breaks webhooks: expiry
 * (of the leaf and of every certificate on its verified path), a chain that
 * does not lead to the CA clients are given, a key that does not belong to
 * the certificate, and a host name it does not cover. Problems are data in
 * the report, not errors; only unreadable input is an error.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"

void sg_certs_report_free(sg_certs_report *r)
{
    if (!r)
        return;
    sgc_cert_free(&r->leaf);
    for (size_t i = 0; i < r->nextra; i++)
        sgc_cert_free(&r->extra[i]);
    free(r->extra);
    for (size_t i = 0; i < r->ncas; i++)
        sgc_cert_free(&r->cas[i]);
    free(r->cas);
    memset(r, 0, sizeof *r);
}

/* Describe certificates [from, n) of sk into a new array. */
static void describe_all(STACK_OF(X509) *sk, int from, sg_certs_cert **out, size_t *count)
{
    int n = sk_X509_num(sk) - from;
    if (n <= 0)
        return;
    *out = sg_calloc((size_t)n, sizeof **out);
    for (int i = 0; i < n; i++)
        sgc_describe(sk_X509_value(sk, from + i), &(*out)[(*count)++]);
}

/* Append "; " and a formatted message to the summary. */
static void add_problem(sg_certs_report *r, unsigned bit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_problem(sg_certs_report *r, unsigned bit, const char *fmt, ...)
{
    size_t n = r->problems ? strlen(r->summary) : 0;
    if (r->problems && n + 2 < sizeof r->summary) {
        memcpy(r->summary + n, "; ", 3);
        n += 2;
    }
    r->problems |= bit;
    if (n + 1 < sizeof r->summary) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->summary + n, sizeof r->summary - n, fmt, ap);
        va_end(ap);
    }
}

/* Verify the leaf for TLS server use against `cas`, with the rest of `chain`
 * as intermediates; validity periods are checked by the caller. On success
 * *weakest is the certificate of the path that expires first. */
static int verify_chain(STACK_OF(X509) *chain, STACK_OF(X509) *cas, X509 **weakest,
                        sg_certs_report *r)
{
    int ok = 0;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!store || !ctx || !untrusted)
        goto done;
    for (int i = 0; i < sk_X509_num(cas); i++)
        if (!X509_STORE_add_cert(store, sk_X509_value(cas, i)))
            goto done;
    for (int i = 1; i < sk_X509_num(chain); i++)
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i)))
            goto done;
    if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) ||
        !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER))
        goto done;
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(ctx) == 1) {
        STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
        *weakest = sk_X509_value(path, 0);
        for (int i = 1; i < sk_X509_num(path); i++) {
            X509 *x = sk_X509_value(path, i);
            if (sgc_asn1_time(X509_get0_notAfter(x)) < sgc_asn1_time(X509_get0_notAfter(*weakest)))
                *weakest = x;
        }
        if (!X509_up_ref(*weakest))
            *weakest = NULL;
        ok = 1;
    } else {
        snprintf(r->chain_error, sizeof r->chain_error, "%s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
done:
    if (!ok && !r->chain_error[0])
        sgc_ssl_reason(r->chain_error, sizeof r->chain_error);
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

static int covers_host(X509 *leaf, const char *host)
{
    unsigned char addr[16];
    int r;
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        r = X509_check_ip_asc(leaf, host, 0);
    else
        r = X509_check_host(leaf, host, 0, 0, NULL);
    ERR_clear_error();
    return r == 1;
}

/* Which file a certificate of the verified path came from. */
static const char *origin(X509 *x, STACK_OF(X509) *chain, const char *cert_file, const char *ca_file)
{
    for (int i = 0; i < sk_X509_num(chain); i++)
        if (sk_X509_value(chain, i) == x)
            return cert_file;
    return ca_file;
}

static void check_times(sg_certs_report *r, X509 *leaf, X509 *weakest, STACK_OF(X509) *chain,
                        const char *cert_file, const char *ca_file, int warn_days, time_t now)
{
    char day[32], name[128];
    time_t d = r->expires - now;
    r->days_left = d >= 0 ? (long)(d / 86400) : -(long)((-d + 86399) / 86400);
    const char *file = origin(weakest, chain, cert_file, ca_file);
    sgc_short_name(weakest, name, sizeof name);
    sgc_format_day(r->expires, day, sizeof day);
    if (r->leaf.not_before > now) {
        char from[32];
        sgc_format_day(r->leaf.not_before, from, sizeof from);
        add_problem(r, SG_CERTS_P_NOT_YET_VALID, "%s: certificate is not valid before %s", cert_file, from);
    }
    if (r->expires <= now) {
        if (weakest == leaf)
            add_problem(r, SG_CERTS_P_EXPIRED, "%s: certificate expired on %s", cert_file, day);
        else
            add_problem(r, SG_CERTS_P_EXPIRED, "%s: CA certificate '%s' expired on %s", file, name, day);
    } else if (d < (time_t)warn_days * 86400) {
        if (weakest == leaf)
            add_problem(r, SG_CERTS_P_EXPIRING, "%s: certificate expires on %s, in %ld days "
                        "(warning period %d days)", cert_file, day, r->days_left, warn_days);
        else
            add_problem(r, SG_CERTS_P_EXPIRING, "%s: CA certificate '%s' expires on %s, in %ld days "
                        "(warning period %d days)", file, name, day, r->days_left, warn_days);
    }
}

int sg_certs_inspect(const char *cert_file, const char *key_file, const char *ca_file,
                     const char *host, int warn_days, time_t now, sg_certs_report *r,
                     char *err, size_t errlen)
{
    STACK_OF(X509) *chain = NULL, *cas = NULL;
    EVP_PKEY *key = NULL;
    X509 *weakest = NULL;
    int rc = -1;
    memset(r, 0, sizeof *r);
    if (warn_days < 0 || warn_days > SG_CERTS_MAX_DAYS)
        return sg_err(err, errlen, "the warning period must be between 0 and %d days", SG_CERTS_MAX_DAYS);
    if (sgc_load_certs(cert_file, &chain, err, errlen) ||
        (ca_file && sgc_load_certs(ca_file, &cas, err, errlen)) ||
        (key_file && sgc_load_key(key_file, &key, err, errlen)))
        goto done;
    X509 *leaf = sk_X509_value(chain, 0);
    sgc_describe(leaf, &r->leaf);
    describe_all(chain, 1, &r->extra, &r->nextra);
    if (cas)
        describe_all(cas, 0, &r->cas, &r->ncas);

    if (cas) {
        if (verify_chain(chain, cas, &weakest, r)) {
            r->chain = SG_CERTS_CHECK_OK;
        } else {
            r->chain = SG_CERTS_CHECK_FAILED;
            add_problem(r, SG_CERTS_P_CHAIN, "%s does not verify against %s: %s", cert_file, ca_file,
                        r->chain_error);
        }
    }
    if (!weakest) {
        X509_up_ref(leaf);
        weakest = leaf;
    }
    r->expires = sgc_asn1_time(X509_get0_notAfter(weakest));
    if (key) {
        r->key = sgc_key_matches(leaf, key) ? SG_CERTS_CHECK_OK : SG_CERTS_CHECK_FAILED;
        if (r->key == SG_CERTS_CHECK_FAILED)
            add_problem(r, SG_CERTS_P_KEY, "%s does not match %s", key_file, cert_file);
    }
    if (host) {
        r->host = covers_host(leaf, host) ? SG_CERTS_CHECK_OK : SG_CERTS_CHECK_FAILED;
        if (r->host == SG_CERTS_CHECK_FAILED)
            add_problem(r, SG_CERTS_P_HOST, "%s does not cover host name %s", cert_file, host);
    }
    check_times(r, leaf, weakest, chain, cert_file, ca_file ? ca_file : cert_file, warn_days, now);
    if (!r->problems)
        snprintf(r->summary, sizeof r->summary, "ok");
    rc = 0;
done:
    if (rc)
        sg_certs_report_free(r);
    X509_free(weakest);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(cas, X509_free);
    return rc;
}
