/*
 * pem_io.c - reading and writing PEM certificates and keys, with errors that
 * name the file. Files are bounded (SGC_MAX_FILE) and read whole, so the
 * bytes parsed are the bytes a caller later hands to a TLS library.
 * Encrypted keys are refused rather than prompting on a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "internal.h"

const char *sgc_ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        snprintf(buf, len, "unknown error");
    else if (ERR_reason_error_string(e))
        snprintf(buf, len, "%s", ERR_reason_error_string(e));
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

int sgc_parse_certs(const char *name, const char *data, size_t len,
                    STACK_OF(X509) **certs, char *err, size_t errlen)
{
    char why[256];
    int rc = -1;
    STACK_OF(X509) *out = sg_check_alloc(sk_X509_new_null());
    BIO *bio = sg_check_alloc(BIO_new_mem_buf(data, (int)len));
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE && sk_X509_num(out) > 0) {
                ERR_clear_error();
                break;
            }
            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                sg_err(err, errlen, "%s: no PEM certificate found "
                       "(expected -----BEGIN CERTIFICATE-----)", name);
            } else {
                sg_err(err, errlen, "%s: certificate %d is not valid PEM: %s", name,
                       sk_X509_num(out) + 1, sgc_ssl_reason(why, sizeof why));
            }
            goto done;
        }
        if (!sk_X509_push(out, x))
            sg_oom();
    }
    *certs = out;
    out = NULL;
    rc = 0;
done:
    sk_X509_pop_free(out, X509_free);
    BIO_free(bio);
    return rc;
}

int sgc_load_certs(const char *path, STACK_OF(X509) **certs, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(path, SGC_MAX_FILE, &data, &len, err, errlen))
        return -1;
    int rc = sgc_parse_certs(path, data, len, certs, err, errlen);
    free(data);
    return rc;
}

/* Passphrase callback that refuses: an encrypted key fails to load instead
 * of prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)u = 1;
    return -1;
}

int sgc_parse_key(const char *name, const char *data, size_t len, EVP_PKEY **key,
                  char *err, size_t errlen)
{
    char why[256];
    int asked = 0;
    if (!strstr(data, "-----BEGIN ") || !strstr(data, "PRIVATE KEY-----"))
        return sg_err(err, errlen, "%s: no PEM private key found "
                      "(expected -----BEGIN PRIVATE KEY-----)", name);
    BIO *bio = sg_check_alloc(BIO_new_mem_buf(data, (int)len));
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
    BIO_free(bio);
    if (!k) {
        if (asked) {
            ERR_clear_error();
            return sg_err(err, errlen, "%s: the private key is encrypted; "
                          "scoregate needs an unencrypted PEM key", name);
        }
        return sg_err(err, errlen, "%s: not a valid PEM private key: %s", name,
                      sgc_ssl_reason(why, sizeof why));
    }
    *key = k;
    return 0;
}

int sgc_load_key(const char *path, EVP_PKEY **key, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(path, SGC_MAX_FILE, &data, &len, err, errlen))
        return -1;
    int rc = sgc_parse_key(path, data, len, key, err, errlen);
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

/* Copy a memory BIO's contents into a malloc'd NUL-terminated string. */
static void bio_to_string(BIO *bio, char **out, size_t *len)
{
    char *mem;
    long n = BIO_get_mem_data(bio, &mem);
    *len = n > 0 ? (size_t)n : 0;
    *out = sg_strndup(mem, *len);
}

int sgc_certs_pem(STACK_OF(X509) *certs, char **out, size_t *len, char *err, size_t errlen)
{
    char why[256];
    int rc = -1;
    BIO *bio = sg_check_alloc(BIO_new(BIO_s_mem()));
    for (int i = 0; i < sk_X509_num(certs); i++) {
        if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i))) {
            sg_err(err, errlen, "cannot encode certificate: %s",
                   sgc_ssl_reason(why, sizeof why));
            goto done;
        }
    }
    bio_to_string(bio, out, len);
    rc = 0;
done:
    BIO_free(bio);
    return rc;
}

int sgc_key_pem(EVP_PKEY *key, char **out, size_t *len, char *err, size_t errlen)
{
    char why[256];
    int rc = -1;
    BIO *bio = sg_check_alloc(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        sg_err(err, errlen, "cannot encode private key: %s", sgc_ssl_reason(why, sizeof why));
        goto done;
    }
    bio_to_string(bio, out, len);
    rc = 0;
done:
    BIO_free(bio);
    return rc;
}

int sgc_key_matches(X509 *cert, EVP_PKEY *key)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    int r = pub && EVP_PKEY_eq(pub, key) == 1;
    ERR_clear_error();
    return r;
}
