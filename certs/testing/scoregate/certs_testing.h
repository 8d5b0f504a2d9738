/*
 * scoregate/certs_testing.h - for tests and fuzz targets only: the PEM
 * parsers and the certificate description of the certs module, which
 * tests/fuzz/fuzz_certs.c drives with arbitrary text. Not API: only tests link
 * sg_certs_testing, and the names carry the module's internal prefix. The
 * module's own files get these through src/internal.h.
 */
#ifndef SCOREGATE_CERTS_TESTING_H
#define SCOREGATE_CERTS_TESTING_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <scoregate/certs.h>

/* pem_io.c: every certificate of a PEM buffer into a new stack; at least one.
 * `name` is used in messages. */
int sgc_parse_certs(const char *name, const char *data, size_t len,
                    STACK_OF(X509) **certs, char *err, size_t errlen);
/* One unencrypted PEM private key. */
int sgc_parse_key(const char *name, const char *data, size_t len, EVP_PKEY **key,
                  char *err, size_t errlen);
/* 1 when `key` is the private half of cert's public key. */
int sgc_key_matches(X509 *cert, EVP_PKEY *key);

/* describe.c: a certificate as the public sg_certs_cert (freed with sgc_cert_free). */
void sgc_describe(X509 *x, sg_certs_cert *out);
void sgc_cert_free(sg_certs_cert *c);
/* A short name for messages: the CN, else the whole subject. */
void sgc_short_name(X509 *x, char *buf, size_t len);

#endif
