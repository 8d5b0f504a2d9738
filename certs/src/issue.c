/*
 * issue.c - keys and certificates: ECDSA P-256 keys, a self-signed CA, a
 * serving certificate for a Kubernetes Service, and a cross-signed CA for
 * rotation overlaps. Extensions are built through the X509V3 API (no
 * deprecated calls); serials are 127 random bits.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "internal.h"

EVP_PKEY *sgc_new_key(char *err, size_t errlen)
{
    char why[256];
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!k)
        sg_err(err, errlen, "cannot generate an ECDSA P-256 key: %s",
               sgc_ssl_reason(why, sizeof why));
    return k;
}

/* A random positive serial of 16 bytes (top bit clear, never zero). */
static int set_random_serial(X509 *x)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[0] &= 0x7f;
    b[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

/* Add one extension given in openssl.cnf syntax ("critical,CA:TRUE"). */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* Version, serial, validity, subject, issuer and public key of a new cert. */
static X509 *new_cert(EVP_PKEY *pub, const X509_NAME *subject, const X509_NAME *issuer,
                      time_t not_before, time_t not_after)
{
    X509 *x = X509_new();
    if (!x || !X509_set_version(x, X509_VERSION_3) || set_random_serial(x) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), not_after) ||
        !X509_set_subject_name(x, subject) || !X509_set_issuer_name(x, issuer) ||
        !X509_set_pubkey(x, pub)) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static time_t days_after(time_t now, int days)
{
    return now + (time_t)days * 86400;
}

X509 *sgc_issue_ca(EVP_PKEY *key, const char *label, int days, time_t now,
                   char *err, size_t errlen)
{
    char why[256], cn[64];
    unsigned char id[8];
    X509 *x = NULL;
    X509_NAME *name = X509_NAME_new();
    if (!name || RAND_bytes(id, sizeof id) != 1)
        goto fail;
    /* A random id in the CN keeps an old and a new CA apart by name, which
     * path building in clients relies on during a rotation overlap. */
    int n = snprintf(cn, sizeof cn, "scoregate-ca-");
    for (size_t i = 0; i < sizeof id; i++)
        n += snprintf(cn + n, sizeof cn - (size_t)n, "%02x", id[i]);
    char ou[65];
    snprintf(ou, sizeof ou, "%s", label);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"scoregate", -1, -1, 0) ||
        (ou[0] && !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0)) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        goto fail;
    x = new_cert(key, name, name, now - SGC_SKEW, days_after(now, days));
    if (!x)
        goto fail;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
        !X509_sign(x, key, EVP_sha256()))
        goto fail;
    X509_NAME_free(name);
    return x;
fail:
    sg_err(err, errlen, "cannot create the CA certificate: %s", sgc_ssl_reason(why, sizeof why));
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

X509 *sgc_issue_leaf(EVP_PKEY *pub, const X509_NAME *subject, const GENERAL_NAMES *sans,
                     X509 *ca, EVP_PKEY *ca_key, int days, time_t now,
                     char *err, size_t errlen)
{
    char why[256];
    time_t end = days_after(now, days);
    time_t ca_end = sgc_asn1_time(X509_get0_notAfter(ca));
    if (ca_end < end)
        end = ca_end;
    X509 *x = new_cert(pub, subject, X509_get_subject_name(ca), now - SGC_SKEW, end);
    if (!x)
        goto fail;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
        add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
        !X509_add1_ext_i2d(x, NID_subject_alt_name, (void *)sans, 0, X509V3_ADD_DEFAULT) ||
        !X509_sign(x, ca_key, EVP_sha256()))
        goto fail;
    return x;
fail:
    sg_err(err, errlen, "cannot create the serving certificate: %s",
           sgc_ssl_reason(why, sizeof why));
    X509_free(x);
    return NULL;
}

X509 *sgc_issue_cross(X509 *new_ca, X509 *old_ca, EVP_PKEY *old_key, time_t now,
                      char *err, size_t errlen)
{
    char why[256];
    time_t end = sgc_asn1_time(X509_get0_notAfter(old_ca));
    time_t new_end = sgc_asn1_time(X509_get0_notAfter(new_ca));
    if (new_end < end)
        end = new_end;
    X509 *x = new_cert(X509_get0_pubkey(new_ca), X509_get_subject_name(new_ca),
                       X509_get_subject_name(old_ca), now - SGC_SKEW, end);
    if (!x)
        goto fail;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, old_ca, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
        !X509_sign(x, old_key, EVP_sha256()))
        goto fail;
    return x;
fail:
    sg_err(err, errlen, "cannot cross-sign the new CA: %s", sgc_ssl_reason(why, sizeof why));
    X509_free(x);
    return NULL;
}

/* A DNS name as RFC 1123 allows it (labels of letters, digits and '-',
 * a leading "*." wildcard allowed), at most 253 characters. */
static int valid_dns_name(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253)
        return 0;
    if (!strncmp(s, "*.", 2))
        s += 2;
    for (; *s; s++) {
        char c = *s;
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* Append one SAN: an IP SAN when `name` parses as an address, else DNS. */
static int push_san(GENERAL_NAMES *gens, const char *name, char *err, size_t errlen)
{
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    if (!is_ip && !valid_dns_name(name))
        return sg_err(err, errlen, "'%s' is neither a DNS name nor an IP address", name);
    GENERAL_NAME *gen = is_ip ? a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, name, 0)
                              : GENERAL_NAME_new();
    if (gen && !is_ip) {
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!s || !ASN1_STRING_set(s, name, -1)) {
            ASN1_IA5STRING_free(s);
            GENERAL_NAME_free(gen);
            gen = NULL;
        } else {
            GENERAL_NAME_set0_value(gen, GEN_DNS, s);
        }
    }
    if (!gen || !sk_GENERAL_NAME_push(gens, gen)) {
        GENERAL_NAME_free(gen);
        ERR_clear_error();
        return sg_err(err, errlen, "cannot add subject alternative name '%s'", name);
    }
    return 0;
}

GENERAL_NAMES *sgc_service_sans(const sg_certs_options *o, char *err, size_t errlen)
{
    char name[512];
    const char *svc = o->service, *ns = o->namespace_name;
    if (!svc || !ns)
        return sg_err(err, errlen, "a service name and a namespace are required"), NULL;
    if (!valid_dns_name(svc) || strchr(svc, '.'))
        return sg_err(err, errlen, "service name '%s' is not a DNS label", svc), NULL;
    if (!valid_dns_name(ns) || strchr(ns, '.'))
        return sg_err(err, errlen, "namespace '%s' is not a DNS label", ns), NULL;
    if (o->nextra > SG_CERTS_MAX_NAMES)
        return sg_err(err, errlen, "too many extra names (at most %d)", SG_CERTS_MAX_NAMES), NULL;
    GENERAL_NAMES *gens = sg_check_alloc(sk_GENERAL_NAME_new_null());
    static const char *const forms[] = {"%s", "%s.%s", "%s.%s.svc", "%s.%s.svc.cluster.local"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (i == 0)
            snprintf(name, sizeof name, "%s", svc);
        else
            snprintf(name, sizeof name, forms[i], svc, ns);
        if (push_san(gens, name, err, errlen))
            goto fail;
    }
    for (size_t i = 0; i < o->nextra; i++)
        if (push_san(gens, o->extra_names[i], err, errlen))
            goto fail;
    return gens;
fail:
    GENERAL_NAMES_free(gens);
    return NULL;
}

X509_NAME *sgc_service_subject(const sg_certs_options *o, char *err, size_t errlen)
{
    char cn[512];
    int n = snprintf(cn, sizeof cn, "%s.%s.svc", o->service, o->namespace_name);
    X509_NAME *name = X509_NAME_new();
    if (!name ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"scoregate", -1, -1, 0) ||
        (n <= 64 && !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))) {
        X509_NAME_free(name);
        ERR_clear_error();
        sg_err(err, errlen, "cannot build the certificate subject");
        return NULL;
    }
    return name;
}
