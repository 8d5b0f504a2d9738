/*
 * certset.c - a certificate directory (ca.crt, ca.key, tls.crt, tls.key)
 * loaded into memory and written back, with ca-bundle.b64 derived from
 * ca.crt. Generation and rotation build an sgc_set and hand it here, so the
 * file names, modes and write order live in one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

void sgc_set_free(sgc_set *s)
{
    sk_X509_pop_free(s->cas, X509_free);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_PKEY_free(s->ca_key);
    EVP_PKEY_free(s->key);
    memset(s, 0, sizeof *s);
}

int sgc_set_load(const char *dir, sgc_set *s, char *err, size_t errlen)
{
    char path[4096];
    memset(s, 0, sizeof *s);
    if (sgc_join(path, sizeof path, dir, SG_CERTS_CA_CERT) || sgc_load_certs(path, &s->cas, err, errlen) ||
        sgc_join(path, sizeof path, dir, SG_CERTS_CA_KEY) || sgc_load_key(path, &s->ca_key, err, errlen) ||
        sgc_join(path, sizeof path, dir, SG_CERTS_TLS_CERT) || sgc_load_certs(path, &s->chain, err, errlen) ||
        sgc_join(path, sizeof path, dir, SG_CERTS_TLS_KEY) || sgc_load_key(path, &s->key, err, errlen)) {
        sgc_set_free(s);
        return -1;
    }
    return 0;
}

int sgc_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Replace dir/name with `len` bytes of `data`, crash-safely, with `mode`. */
static int write_file(const char *dir, const char *name, const void *data, size_t len, unsigned mode, char *err,
                      size_t errlen)
{
    char path[4096];
    if (sgc_join(path, sizeof path, dir, name))
        return sg_err(err, errlen, "%s: path too long", dir);
    return sg_file_write_atomic(path, data, len, mode, err, errlen);
}

int sgc_set_write(const char *dir, const sgc_set *s, char *err, size_t errlen)
{
    char *ca_pem = NULL, *ca_key = NULL, *crt = NULL, *key = NULL, *b64 = NULL;
    size_t ca_len, ca_key_len, crt_len, key_len, b64_len;
    int rc = -1;
    if (sgc_certs_pem(s->cas, &ca_pem, &ca_len, err, errlen) ||
        sgc_key_pem(s->ca_key, &ca_key, &ca_key_len, err, errlen) ||
        sgc_certs_pem(s->chain, &crt, &crt_len, err, errlen) ||
        sgc_key_pem(s->key, &key, &key_len, err, errlen))
        goto done;
    /* The CA bundle as a webhook configuration's caBundle takes it: base64 on one line. */
    b64 = sg_base64_encode(ca_pem, ca_len, &b64_len);
    b64 = sg_realloc(b64, b64_len + 2);
    memcpy(b64 + b64_len++, "\n", 2);
    if (write_file(dir, SG_CERTS_CA_CERT, ca_pem, ca_len, 0644, err, errlen) ||
        write_file(dir, SG_CERTS_CA_BUNDLE_B64, b64, b64_len, 0644, err, errlen) ||
        write_file(dir, SG_CERTS_CA_KEY, ca_key, ca_key_len, 0600, err, errlen) ||
        write_file(dir, SG_CERTS_TLS_KEY, key, key_len, 0600, err, errlen) ||
        write_file(dir, SG_CERTS_TLS_CERT, crt, crt_len, 0644, err, errlen))
        goto done;
    rc = 0;
done:
    if (ca_key)
        OPENSSL_cleanse(ca_key, ca_key_len);
    if (key)
        OPENSSL_cleanse(key, key_len);
    free(ca_pem);
    free(ca_key);
    free(crt);
    free(key);
    free(b64);
    return rc;
}
