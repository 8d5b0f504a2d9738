/*
 * internal.h - helpers shared by the files of the certs module (not public).
 * One group per file: pem_io.c (reading and writing PEM), issue.c (keys and
 * certificates), describe.c (turning a certificate into an sg_certs_cert),
 * certset.c (a certificate directory loaded into memory and written back
 * with base's crash-safe writes).
 */
#ifndef SCOREGATE_CERTS_INTERNAL_H
#define SCOREGATE_CERTS_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scoregate/certs.h"
/* The parsers and the description that tests reach too (sgc_parse_certs,
 * sgc_parse_key, sgc_key_matches, sgc_describe, sgc_cert_free, sgc_short_name). */
#include "scoregate/certs_testing.h"

#define SGC_MAX_FILE (1u << 20)   /* largest PEM file we read */
#define SGC_SKEW (5 * 60)          /* certificates start this long before now */

/* The first OpenSSL error on the queue as text (or "unknown error"), and clear the queue. */
const char *sgc_ssl_reason(char *buf, size_t len);

/* ---- pem_io.c ---- */
/* Read a PEM file of certificates. */
int sgc_load_certs(const char *path, STACK_OF(X509) **certs, char *err, size_t errlen);
int sgc_load_key(const char *path, EVP_PKEY **key, char *err, size_t errlen);
/* PEM text of certificates / a PKCS#8 key, malloc'd and NUL-terminated. */
int sgc_certs_pem(STACK_OF(X509) *certs, char **out, size_t *len, char *err, size_t errlen);
int sgc_key_pem(EVP_PKEY *key, char **out, size_t *len, char *err, size_t errlen);

/* ---- issue.c ---- */
/* New ECDSA P-256 key. */
EVP_PKEY *sgc_new_key(char *err, size_t errlen);
/* Self-signed CA valid from now - SGC_SKEW to now + days. `label` goes into
 * the subject (OU) so that CAs of different services are told apart. */
X509 *sgc_issue_ca(EVP_PKEY *key, const char *label, int days, time_t now,
                   char *err, size_t errlen);
/* Serving certificate for `pub` with `subject` (copied) and `sans`
 * (copied; GENERAL_NAMES), signed by ca/ca_key; never outlives the CA. */
X509 *sgc_issue_leaf(EVP_PKEY *pub, const X509_NAME *subject, const GENERAL_NAMES *sans,
                     X509 *ca, EVP_PKEY *ca_key, int days, time_t now,
                     char *err, size_t errlen);
/* `new_ca` re-issued (same subject, key and key identifier) by old_ca, valid
 * until the earlier of both CAs' ends. */
X509 *sgc_issue_cross(X509 *new_ca, X509 *old_ca, EVP_PKEY *old_key, time_t now,
                      char *err, size_t errlen);
/* The SANs for a service (NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local
 * and the extras, IP addresses as IP SANs), validated. */
GENERAL_NAMES *sgc_service_sans(const sg_certs_options *o, char *err, size_t errlen);
/* Subject for a service's serving certificate: O=scoregate, CN=NAME.NS.svc
 * (CN omitted when longer than 64 characters). */
X509_NAME *sgc_service_subject(const sg_certs_options *o, char *err, size_t errlen);

/* ---- describe.c ---- */
time_t sgc_asn1_time(const ASN1_TIME *t);
/* "2026-01-02" */
void sgc_format_day(time_t t, char *buf, size_t len);

/* ---- certset.c ---- */
/* The four files of a certificate directory, in memory. */
typedef struct sgc_set {
    STACK_OF(X509) *cas;     /* ca.crt, in file order */
    EVP_PKEY *ca_key;        /* ca.key */
    STACK_OF(X509) *chain;   /* tls.crt: leaf, then intermediates */
    EVP_PKEY *key;           /* tls.key */
} sgc_set;

/* Load the four files of dir; each must exist. */
int sgc_set_load(const char *dir, sgc_set *s, char *err, size_t errlen);
/* Write the four files and ca-bundle.b64: ca.crt first, then ca.key, then
 * the serving pair, so a crash in between leaves a set that still loads.
 * Each file is replaced crash-safely (sg_file_write_atomic); keys get 0600. */
int sgc_set_write(const char *dir, const sgc_set *s, char *err, size_t errlen);
void sgc_set_free(sgc_set *s);
/* dir + "/" + name into buf; -1 when it does not fit. */
int sgc_join(char *buf, size_t len, const char *dir, const char *name);

#endif
