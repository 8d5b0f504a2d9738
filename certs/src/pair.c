/*
 * pair.c - what a TLS server asks before it serves a certificate: do the
 * files parse, does the key belong to the certificate, is the certificate
 * valid now. The validated bytes are handed back, so the server loads
 * exactly what was checked even if the files change meanwhile. Also the
 * expiry of a certificate file, for the expiry metric.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

void sg_certs_pair_free(sg_certs_pair *p)
{
    if (!p)
        return;
    free(p->cert_pem);
    if (p->key_pem)
        OPENSSL_cleanse(p->key_pem, p->key_len);
    free(p->key_pem);
    memset(p, 0, sizeof *p);
}

int sg_certs_load_pair(const char *cert_file, const char *key_file, time_t now,
                       sg_certs_pair *p, char *err, size_t errlen)
{
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    char day[32];
    int rc = -1;
    memset(p, 0, sizeof *p);
    if (sg_file_read(cert_file, SGC_MAX_FILE, &p->cert_pem, &p->cert_len, err, errlen) ||
        sgc_parse_certs(cert_file, p->cert_pem, p->cert_len, &chain, err, errlen) ||
        sg_file_read(key_file, SGC_MAX_FILE, &p->key_pem, &p->key_len, err, errlen) ||
        sgc_parse_key(key_file, p->key_pem, p->key_len, &key, err, errlen))
        goto done;
    X509 *leaf = sk_X509_value(chain, 0);
    p->not_before = sgc_asn1_time(X509_get0_notBefore(leaf));
    p->not_after = sgc_asn1_time(X509_get0_notAfter(leaf));
    if (!sgc_key_matches(leaf, key)) {
        sg_err(err, errlen, "%s does not match %s", key_file, cert_file);
        goto done;
    }
    if (p->not_after <= now) {
        sgc_format_day(p->not_after, day, sizeof day);
        sg_err(err, errlen, "%s: certificate expired on %s", cert_file, day);
        goto done;
    }
    if (p->not_before > now) {
        sgc_format_day(p->not_before, day, sizeof day);
        sg_err(err, errlen, "%s: certificate is not valid before %s (check the clock)", cert_file, day);
        goto done;
    }
    rc = 0;
done:
    if (rc)
        sg_certs_pair_free(p);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int sg_certs_expiry(const char *cert_file, time_t *not_after, char *err, size_t errlen)
{
    STACK_OF(X509) *chain = NULL;
    if (sgc_load_certs(cert_file, &chain, err, errlen))
        return -1;
    *not_after = sgc_asn1_time(X509_get0_notAfter(sk_X509_value(chain, 0)));
    sk_X509_pop_free(chain, X509_free);
    return 0;
}
