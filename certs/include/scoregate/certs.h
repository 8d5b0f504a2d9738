/*
 * scoregate/certs.h - the certs module: TLS material for the admission
 * webhook. Generates a CA and a serving certificate (ECDSA P-256), inspects
 * a certificate set, rotates it before it expires, and validates a cert/key
 * pair before a server loads it.
 *
 * Expired or mismatched webhook certificates are the most common way
 * admission webhooks break clusters, so every check here reports in words a
 * user can act on ("tls.crt: certificate expired on 2026-01-02").
 *
 * A certificate directory holds the names of a kubernetes.io/tls Secret and
 * of cert-manager:
 *   ca.crt         PEM: the CA bundle clients trust (one CA, two during a
 *                  CA rotation overlap), mode 0644
 *   ca.key         PEM (PKCS#8): key of the current CA, mode 0600
 *   tls.crt        PEM: serving certificate, then any intermediates (during
 *                  a CA rotation overlap: the new CA cross-signed by the old
 *                  one), mode 0644
 *   tls.key        PEM (PKCS#8): key of the serving certificate, mode 0600
 *   ca-bundle.b64  base64 of ca.crt on one line: a webhook configuration's
 *                  caBundle, mode 0644
 * Every file is written atomically (temporary file, fsync, rename, fsync of
 * the directory), so a reader sees the old file or the new one, never half.
 *
 * Conventions (errors, memory, ownership) are those of scoregate/base.h;
 * messages name the file concerned. Besides:
 *  - Times are time_t (seconds since the epoch, UTC). Functions take `now`
 *    explicitly so that callers and tests decide what "now" is.
 */
#ifndef SCOREGATE_CERTS_H
#define SCOREGATE_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <scoregate/base.h>

#ifndef SG_ERRMAX
#define SG_ERRMAX 512
#endif

/* File names inside a certificate directory. */
#define SG_CERTS_CA_CERT "ca.crt"
#define SG_CERTS_CA_KEY "ca.key"
#define SG_CERTS_TLS_CERT "tls.crt"
#define SG_CERTS_TLS_KEY "tls.key"
#define SG_CERTS_CA_BUNDLE_B64 "ca-bundle.b64"

/* Defaults (days and names). */
#define SG_CERTS_DEFAULT_SERVICE "scoregate"
#define SG_CERTS_DEFAULT_NAMESPACE "scoregate-system"
#define SG_CERTS_DEFAULT_CA_DAYS 3650
#define SG_CERTS_DEFAULT_LEAF_DAYS 365
#define SG_CERTS_DEFAULT_RENEW_BEFORE_DAYS 30
#define SG_CERTS_DEFAULT_CA_RENEW_BEFORE_DAYS 365
#define SG_CERTS_DEFAULT_WARN_DAYS 30
#define SG_CERTS_MAX_DAYS 36500
#define SG_CERTS_MAX_NAMES 64     /* extra SANs accepted by generate */

/* What to generate and when to renew. Fill with sg_certs_options_init(). */
typedef struct sg_certs_options {
    const char *service;          /* Service name; SANs NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local */
    const char *namespace_name;   /* Service namespace */
    const char *const *extra_names; /* more SANs: DNS names, or IPv4/IPv6 addresses (IP SANs); borrowed */
    size_t nextra;
    int ca_days;                  /* CA lifetime; 0 = expires at once (tests) */
    int leaf_days;                /* serving certificate lifetime; 0 = expires at once */
    int renew_before_days;        /* rotate: renew the leaf when it expires within this many days */
    int ca_renew_before_days;     /* rotate: replace the CA when it expires within this many days */
    bool force;                   /* generate: overwrite an existing set; rotate: renew the leaf now */
} sg_certs_options;

/* Set every field to its default (service "scoregate", namespace
 * "scoregate-system", CA 10 years, leaf 1 year, renew 30 / 365 days before). */
void sg_certs_options_init(sg_certs_options *o);

/*
 * Generate a new CA and a serving certificate signed by it into `dir`
 * (created with mode 0700 when missing, parents included) and write the five
 * files above. Both keys are ECDSA P-256; serials are random; the leaf
 * carries the service SANs plus `extra_names`, keyUsage digitalSignature,
 * EKU serverAuth, basicConstraints CA:FALSE; the CA keyCertSign/cRLSign and
 * CA:TRUE; both carry subject and authority key identifiers. Certificates
 * start 5 minutes before `now` (clock skew) and end `days` after `now`; the
 * leaf never outlives its CA. Refuses to replace an existing ca.crt, ca.key,
 * tls.crt or tls.key unless o->force.
 */
int sg_certs_generate(const char *dir, const sg_certs_options *o, time_t now,
                      char *err, size_t errlen);

/* What sg_certs_rotate() / sg_certs_ensure() did. */
typedef enum sg_certs_action {
    SG_CERTS_UNCHANGED = 0,  /* nothing was due */
    SG_CERTS_GENERATED,      /* ensure only: the directory had no certificates */
    SG_CERTS_LEAF_RENEWED,   /* new serving key and certificate, same CA */
    SG_CERTS_CA_ROTATED,     /* new CA (bundle holds old and new), new leaf signed by it */
    SG_CERTS_PRUNED          /* only expired CAs or intermediates were dropped */
} sg_certs_action;

/* A short phrase for an action ("unchanged", "leaf renewed", ...); static. */
const char *sg_certs_action_name(sg_certs_action a);

/*
 * Rotate the set in `dir` (all of ca.crt, ca.key, tls.crt, tls.key must
 * exist). The current CA is the certificate in ca.crt that matches ca.key.
 *  - CA due (expires within o->ca_renew_before_days): a new CA (o->ca_days)
 *    is created; ca.crt becomes the new CA followed by every unexpired old
 *    one, so clients holding either bundle trust both; the new leaf is signed
 *    by the new CA, and tls.crt carries after it the new CA cross-signed by
 *    the old one, so clients that still trust only the old CA can build a
 *    path leaf -> new CA (cross) -> old CA until the old CA expires.
 *  - Leaf due (expires within o->renew_before_days, not signed by the
 *    current CA, not matching tls.key, or o->force): a new key and leaf
 *    (o->leaf_days) with the old leaf's subject and SANs, signed by the
 *    current CA; still-valid cross certificates are kept.
 *  - Expired CAs and cross certificates are dropped in every case.
 * Nothing due: no file is touched and *done is SG_CERTS_UNCHANGED.
 * `done` may be NULL.
 */
int sg_certs_rotate(const char *dir, const sg_certs_options *o, time_t now,
                    sg_certs_action *done, char *err, size_t errlen);

/*
 * What `serve` calls at start and periodically when it owns its
 * certificates: generate into `dir` when it holds none of the four files
 * (SG_CERTS_GENERATED), otherwise rotate as sg_certs_rotate() does, except
 * that the leaf's subject and SANs come from `o`: a leaf whose SANs differ
 * from the configured service's (renamed Service, changed extra names) is
 * renewed too. A partial set (some of the four files missing) is an error
 * that names the missing file; it is never overwritten.
 */
int sg_certs_ensure(const char *dir, const sg_certs_options *o, time_t now,
                    sg_certs_action *done, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Inspection.                                                          */
/* ------------------------------------------------------------------ */

/* One certificate, described. */
typedef struct sg_certs_cert {
    char *subject;      /* RFC 2253, e.g. "CN=scoregate.ns.svc,O=scoregate" */
    char *issuer;
    char *serial;       /* hex */
    char *key_type;     /* "ECDSA P-256", "RSA 2048", "Ed25519", ... */
    char **sans;        /* "DNS:name" / "IP:1.2.3.4" */
    size_t nsans;
    time_t not_before, not_after;
    bool is_ca;         /* basicConstraints CA:TRUE */
    bool server_auth;   /* EKU serverAuth present (or no EKU at all) */
} sg_certs_cert;

typedef enum sg_certs_check {
    SG_CERTS_NOT_CHECKED = 0,  /* no CA / key file given */
    SG_CERTS_CHECK_OK,
    SG_CERTS_CHECK_FAILED
} sg_certs_check;

/* Problems found by sg_certs_inspect(), as bits of sg_certs_report.problems. */
#define SG_CERTS_P_EXPIRED        0x01u  /* the leaf, or a certificate of its verified chain, has expired */
#define SG_CERTS_P_NOT_YET_VALID  0x02u
#define SG_CERTS_P_EXPIRING       0x04u  /* expires within warn_days */
#define SG_CERTS_P_CHAIN          0x08u  /* does not verify against the CA file */
#define SG_CERTS_P_KEY            0x10u  /* key does not match the certificate */
#define SG_CERTS_P_HOST           0x20u  /* does not cover the requested host name */

typedef struct sg_certs_report {
    sg_certs_cert leaf;          /* first certificate of the cert file */
    sg_certs_cert *extra;        /* further certificates of the cert file (intermediates) */
    size_t nextra;
    sg_certs_cert *cas;          /* certificates of the CA file */
    size_t ncas;
    sg_certs_check chain;        /* verification against the CA file (time checked separately) */
    char chain_error[256];       /* why verification failed, when it did */
    sg_certs_check key;          /* key file matches the leaf */
    sg_certs_check host;         /* leaf covers the requested host name */
    time_t expires;              /* earliest not_after over the leaf and its verified chain */
    long days_left;              /* whole days from now to `expires` (negative when expired) */
    unsigned problems;           /* SG_CERTS_P_* bits */
    char summary[SG_ERRMAX];     /* "ok", or the problems as one message naming the files */
} sg_certs_report;

/*
 * Inspect the certificate(s) in `cert_file`, against `ca_file` and
 * `key_file` when non-NULL, and against `host` (a DNS name or IP address)
 * when non-NULL. The leaf must verify for TLS server use (EKU serverAuth),
 * with any further certificates of cert_file as intermediates. Problems
 * (expired, expiring within `warn_days` of `now`, chain, key, host) go into
 * r->problems and r->summary and are not errors: the function returns -1 only
 * when a file cannot be read or holds no valid PEM (the message names it).
 * On success free *r with sg_certs_report_free(); on failure *r holds nothing.
 */
int sg_certs_inspect(const char *cert_file, const char *key_file, const char *ca_file,
                     const char *host, int warn_days, time_t now, sg_certs_report *r,
                     char *err, size_t errlen);
void sg_certs_report_free(sg_certs_report *r);

/* ------------------------------------------------------------------ */
/* Loading for a server.                                                */
/* ------------------------------------------------------------------ */

/* A validated cert/key pair: the exact bytes that were checked, so a server
 * loads what was validated (no re-read race). */
typedef struct sg_certs_pair {
    char *cert_pem;     /* NUL-terminated; leaf first, then intermediates */
    size_t cert_len;
    char *key_pem;      /* NUL-terminated */
    size_t key_len;
    time_t not_before, not_after;   /* of the leaf */
} sg_certs_pair;

/*
 * Read and validate a PEM certificate (chain) and its private key, as a
 * server does before it starts serving them: parseable, the key matches the
 * leaf, and the leaf is valid at `now`. Errors read like
 * "tls.crt: certificate expired on 2026-01-02" or
 * "tls.key does not match tls.crt" (with the paths as given). On success
 * free *p with sg_certs_pair_free(); on failure *p holds nothing.
 */
int sg_certs_load_pair(const char *cert_file, const char *key_file, time_t now,
                       sg_certs_pair *p, char *err, size_t errlen);
void sg_certs_pair_free(sg_certs_pair *p);

/* Expiry (notAfter) of the first certificate in a PEM file, for the metric
 * scoregate_certificate_expiry_timestamp_seconds. */
int sg_certs_expiry(const char *cert_file, time_t *not_after, char *err, size_t errlen);

/* Format `t` as "2026-01-02T03:04:05Z" into buf (at least 21 bytes). */
void sg_certs_format_time(time_t t, char *buf, size_t len);

#endif
