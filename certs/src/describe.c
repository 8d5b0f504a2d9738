/*
 * describe.c - turn an X509 into an sg_certs_cert (subject, issuer, serial,
 * key type, SANs, validity, CA flag, EKU) and format times, so inspection and
 * error messages speak in names and dates rather than ASN.1.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"

time_t sgc_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return timegm(&tm);
}

void sg_certs_format_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "@%lld", (long long)t);
}

void sgc_format_day(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d", &tm))
        snprintf(buf, len, "@%lld", (long long)t);
}

/* RFC 2253 text of a name, malloc'd. */
static char *name_text(const X509_NAME *name)
{
    BIO *bio = sg_check_alloc(BIO_new(BIO_s_mem()));
    char *mem;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)   /* fails only for want of memory */
        sg_oom();
    long n = BIO_get_mem_data(bio, &mem);
    char *out = sg_strndup(mem, n > 0 ? (size_t)n : 0);
    BIO_free(bio);
    return out;
}

void sgc_short_name(X509 *x, char *buf, size_t len)
{
    X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
    if (s) {
        snprintf(buf, len, "%.*s", ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
        return;
    }
    char *text = name_text(name);
    snprintf(buf, len, "%s", *text ? text : "(no subject)");
    free(text);
}

static char *key_type(EVP_PKEY *k)
{
    char buf[96], group[64];
    size_t glen = 0;
    if (!k)
        snprintf(buf, sizeof buf, "unknown");
    else if (EVP_PKEY_is_a(k, "EC") &&
             EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen))
        snprintf(buf, sizeof buf, "ECDSA %s",
                 !strcmp(group, "prime256v1") ? "P-256" : !strcmp(group, "secp384r1") ? "P-384"
                 : !strcmp(group, "secp521r1") ? "P-521" : group);
    else if (EVP_PKEY_is_a(k, "RSA"))
        snprintf(buf, sizeof buf, "RSA %d", EVP_PKEY_get_bits(k));
    else
        snprintf(buf, sizeof buf, "%s", EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown");
    ERR_clear_error();
    return sg_strdup(buf);
}

static char *serial_hex(X509 *x)
{
    BIGNUM *bn = sg_check_alloc(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL));
    char *hex = sg_check_alloc(BN_bn2hex(bn));
    char *out = sg_strdup(hex);
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

/* The SANs as "DNS:name" / "IP:addr" strings. */
static void collect_sans(X509 *x, sg_certs_cert *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return;
    int n = sk_GENERAL_NAME_num(gens);
    out->sans = sg_calloc((size_t)n, sizeof *out->sans);
    for (int i = 0; i < n; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char buf[600];
        buf[0] = '\0';
        if (g->type == GEN_DNS) {
            snprintf(buf, sizeof buf, "DNS:%.*s", ASN1_STRING_length(g->d.dNSName),
                     (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            char ip[INET6_ADDRSTRLEN];
            int len = g->d.iPAddress->length;
            int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
            if (af < 0 || !inet_ntop(af, g->d.iPAddress->data, ip, sizeof ip))
                snprintf(ip, sizeof ip, "(%d-byte address)", len);
            snprintf(buf, sizeof buf, "IP:%s", ip);
        } else if (g->type == GEN_URI) {
            snprintf(buf, sizeof buf, "URI:%.*s", ASN1_STRING_length(g->d.uniformResourceIdentifier),
                     (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
        } else if (g->type == GEN_EMAIL) {
            snprintf(buf, sizeof buf, "email:%.*s", ASN1_STRING_length(g->d.rfc822Name),
                     (const char *)ASN1_STRING_get0_data(g->d.rfc822Name));
        } else {
            continue;
        }
        out->sans[out->nsans++] = sg_strdup(buf);
    }
    GENERAL_NAMES_free(gens);
}

void sgc_describe(X509 *x, sg_certs_cert *out)
{
    memset(out, 0, sizeof *out);
    out->subject = name_text(X509_get_subject_name(x));
    out->issuer = name_text(X509_get_issuer_name(x));
    out->serial = serial_hex(x);
    out->key_type = key_type(X509_get0_pubkey(x));
    out->not_before = sgc_asn1_time(X509_get0_notBefore(x));
    out->not_after = sgc_asn1_time(X509_get0_notAfter(x));
    uint32_t flags = X509_get_extension_flags(x);
    out->is_ca = (flags & EXFLAG_CA) != 0;
    out->server_auth = !(flags & EXFLAG_XKUSAGE) || (X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    collect_sans(x, out);
    ERR_clear_error();
}

void sgc_cert_free(sg_certs_cert *c)
{
    if (!c)
        return;
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->key_type);
    for (size_t i = 0; i < c->nsans; i++)
        free(c->sans[i]);
    free(c->sans);
    memset(c, 0, sizeof *c);
}
