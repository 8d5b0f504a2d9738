/*
 * rotate.c - renew a certificate directory before it breaks clients, and
 * sg_certs_ensure(), which `serve` calls at start and periodically.
 *
 * Leaf renewal keeps the CA, so nothing changes for clients. CA rotation is
 * the delicate case: clients (the API server, through the webhook
 * configuration's caBundle) trust a CA, and until they are given the new one
 * they cannot verify a leaf it signed. So the new CA is also cross-signed by
 * the old one and sent after the leaf in tls.crt: a client that trusts only
 * the old CA builds leaf -> new CA (cross) -> old CA, a client that has the
 * new bundle stops at the new CA. ca.crt holds both CAs until the old one
 * expires, and expired CAs and cross certificates are pruned on every run.
 * `rotate` reissues a leaf with the names it had; `ensure` with the names of
 * the configured service, so a renamed Service gets a matching certificate.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"

const char *sg_certs_action_name(sg_certs_action a)
{
    switch (a) {
    case SG_CERTS_UNCHANGED: return "unchanged";
    case SG_CERTS_GENERATED: return "generated";
    case SG_CERTS_LEAF_RENEWED: return "leaf renewed";
    case SG_CERTS_CA_ROTATED: return "CA rotated";
    case SG_CERTS_PRUNED: return "expired CAs pruned";
    }
    return "unknown";
}

static time_t not_after(X509 *x)
{
    return sgc_asn1_time(X509_get0_notAfter(x));
}

/* 1 when `leaf` carries ca's name as issuer and ca's signature. */
static int signed_by(X509 *leaf, X509 *ca)
{
    int r = X509_check_issued(ca, leaf) == X509_V_OK && X509_verify(leaf, X509_get0_pubkey(ca)) == 1;
    ERR_clear_error();
    return r;
}

/* Push `x` onto `sk`, which takes a reference of its own. */
static void push_ref(STACK_OF(X509) *sk, X509 *x)
{
    if (!X509_up_ref(x) || !sk_X509_push(sk, x))
        sg_oom();
}

/* The OU of a CA subject (its "service.namespace" label), or "". */
static void ca_label(X509 *ca, char *buf, size_t len)
{
    X509_NAME *name = X509_get_subject_name(ca);
    int i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, -1);
    ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
    snprintf(buf, len, "%.*s", s ? ASN1_STRING_length(s) : 0,
             s ? (const char *)ASN1_STRING_get0_data(s) : "");
}

/* Subject and SANs for the next leaf. */
typedef struct leaf_names {
    X509_NAME *subject;
    GENERAL_NAMES *sans;
} leaf_names;

static void leaf_names_free(leaf_names *n)
{
    X509_NAME_free(n->subject);
    GENERAL_NAMES_free(n->sans);
}

/* From the options when `from_options` (ensure: the directory follows the
 * configured service), else the old leaf's subject and SANs (rotate keeps
 * what was issued; the options' SANs when the old leaf had none). */
static int wanted_names(X509 *old_leaf, const sg_certs_options *o, bool from_options,
                        leaf_names *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    if (from_options) {
        n->subject = sgc_service_subject(o, err, errlen);
        n->sans = n->subject ? sgc_service_sans(o, err, errlen) : NULL;
    } else {
        n->subject = sg_check_alloc(X509_NAME_dup(X509_get_subject_name(old_leaf)));
        n->sans = X509_get_ext_d2i(old_leaf, NID_subject_alt_name, NULL, NULL);
        ERR_clear_error();
        if (!n->sans)
            n->sans = sgc_service_sans(o, err, errlen);
    }
    if (!n->subject || !n->sans) {
        leaf_names_free(n);
        return -1;
    }
    return 0;
}

/* 1 when the leaf carries exactly `want` as SANs, in order. */
static int same_sans(X509 *leaf, const GENERAL_NAMES *want)
{
    GENERAL_NAMES *have = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int same = have && sk_GENERAL_NAME_num(have) == sk_GENERAL_NAME_num(want);
    for (int i = 0; same && i < sk_GENERAL_NAME_num(have); i++)
        same = GENERAL_NAME_cmp(sk_GENERAL_NAME_value(have, i), sk_GENERAL_NAME_value(want, i)) == 0;
    GENERAL_NAMES_free(have);
    ERR_clear_error();
    return same;
}

/* A new key and leaf for `ns` with `names`, signed by `ca` with ns's CA key. */
static int renew_leaf(sgc_set *ns, X509 *ca, const leaf_names *names, const sg_certs_options *o,
                      time_t now, char *err, size_t errlen)
{
    X509 *leaf;
    if (!(ns->key = sgc_new_key(err, errlen)) ||
        !(leaf = sgc_issue_leaf(ns->key, names->subject, names->sans, ca, ns->ca_key,
                                o->leaf_days, now, err, errlen)))
        return -1;
    if (!sk_X509_push(ns->chain, leaf))
        sg_oom();
    return 0;
}

/* One rotation of a directory: the set as loaded, what is due, the set to write. */
typedef struct rotation {
    const sg_certs_options *o;
    time_t now;
    sgc_set old;             /* as loaded */
    X509 *ca;                /* borrowed from old.cas: the CA whose key is old.ca_key */
    sgc_set next;            /* what is written when anything changes */
    X509 *new_ca;            /* when ca_due: the new CA (next.cas holds a reference too) */
    leaf_names names;        /* for a renewed leaf */
    bool ca_due, leaf_due;
    int pruned;              /* expired CAs and intermediates left out of `next` */
} rotation;

static int check_days(const sg_certs_options *o, char *err, size_t errlen)
{
    if (o->ca_days < 0 || o->ca_days > SG_CERTS_MAX_DAYS || o->leaf_days < 0 ||
        o->leaf_days > SG_CERTS_MAX_DAYS || o->renew_before_days < 0 ||
        o->renew_before_days > SG_CERTS_MAX_DAYS || o->ca_renew_before_days < 0 ||
        o->ca_renew_before_days > SG_CERTS_MAX_DAYS)
        return sg_err(err, errlen, "lifetimes and renewal thresholds must be between 0 and %d days",
                      SG_CERTS_MAX_DAYS);
    return 0;
}

/* The CA of ca.crt whose key is ca.key: the one that signs. */
static int find_ca(rotation *rt, const char *dir, char *err, size_t errlen)
{
    for (int i = 0; i < sk_X509_num(rt->old.cas) && !rt->ca; i++)
        if (sgc_key_matches(sk_X509_value(rt->old.cas, i), rt->old.ca_key))
            rt->ca = sk_X509_value(rt->old.cas, i);
    if (!rt->ca)
        return sg_err(err, errlen, "%s/%s does not match any certificate in %s/%s; cannot sign with it",
                      dir, SG_CERTS_CA_KEY, dir, SG_CERTS_CA_CERT);
    return 0;
}

/* The CA side of `next`: a new CA and key when the CA is due (else the old
 * key), then every CA of ca.crt that has not expired. */
static int next_cas(rotation *rt, char *err, size_t errlen)
{
    rt->next.cas = sg_check_alloc(sk_X509_new_null());
    if (rt->ca_due) {
        char label[65];
        ca_label(rt->ca, label, sizeof label);
        if (!(rt->next.ca_key = sgc_new_key(err, errlen)) ||
            !(rt->new_ca = sgc_issue_ca(rt->next.ca_key, label, rt->o->ca_days, rt->now, err, errlen)))
            return -1;
        push_ref(rt->next.cas, rt->new_ca);
    } else {
        if (!EVP_PKEY_up_ref(rt->old.ca_key))
            sg_oom();
        rt->next.ca_key = rt->old.ca_key;
    }
    for (int i = 0; i < sk_X509_num(rt->old.cas); i++) {
        X509 *x = sk_X509_value(rt->old.cas, i);
        if (not_after(x) <= rt->now)
            rt->pruned++;
        else
            push_ref(rt->next.cas, x);
    }
    return 0;
}

/* The serving side of `next`: the leaf (renewed when due, signed by the
 * signing CA) and its key, the new CA cross-signed by the old one while that
 * is valid, then the intermediates of tls.crt that still lead to the CA key. */
static int next_chain(rotation *rt, char *err, size_t errlen)
{
    X509 *leaf = sk_X509_value(rt->old.chain, 0);
    rt->next.chain = sg_check_alloc(sk_X509_new_null());
    if (rt->leaf_due) {
        if (renew_leaf(&rt->next, rt->ca_due ? rt->new_ca : rt->ca, &rt->names, rt->o, rt->now, err, errlen))
            return -1;
    } else {
        push_ref(rt->next.chain, leaf);
        if (!EVP_PKEY_up_ref(rt->old.key))
            sg_oom();
        rt->next.key = rt->old.key;
    }
    if (rt->ca_due && not_after(rt->ca) > rt->now) {
        X509 *cross = sgc_issue_cross(rt->new_ca, rt->ca, rt->old.ca_key, rt->now, err, errlen);
        if (!cross)
            return -1;
        if (!sk_X509_push(rt->next.chain, cross))
            sg_oom();
    }
    for (int i = 1; i < sk_X509_num(rt->old.chain); i++) {
        X509 *x = sk_X509_value(rt->old.chain, i);
        if (not_after(x) > rt->now && sgc_key_matches(x, rt->next.ca_key))
            push_ref(rt->next.chain, x);
        else
            rt->pruned++;
    }
    return 0;
}

/* sg_certs_rotate(), with the leaf's names taken from the options (and a
 * leaf with other SANs renewed) when `from_options`. */
static int rotate_dir(const char *dir, const sg_certs_options *o, bool from_options, time_t now,
                      sg_certs_action *done, char *err, size_t errlen)
{
    rotation rt;
    memset(&rt, 0, sizeof rt);
    rt.o = o;
    rt.now = now;
    int rc = -1;
    if (done)
        *done = SG_CERTS_UNCHANGED;
    if (check_days(o, err, errlen) || sgc_set_load(dir, &rt.old, err, errlen))
        return -1;
    X509 *leaf = sk_X509_value(rt.old.chain, 0);
    if (find_ca(&rt, dir, err, errlen) || wanted_names(leaf, o, from_options, &rt.names, err, errlen))
        goto done;
    rt.ca_due = not_after(rt.ca) <= now + (time_t)o->ca_renew_before_days * 86400;
    rt.leaf_due = rt.ca_due || o->force || not_after(leaf) <= now + (time_t)o->renew_before_days * 86400 ||
                  !sgc_key_matches(leaf, rt.old.key) || !signed_by(leaf, rt.ca) ||
                  (from_options && !same_sans(leaf, rt.names.sans));
    if (next_cas(&rt, err, errlen) || next_chain(&rt, err, errlen))
        goto done;
    if (!rt.ca_due && !rt.leaf_due && !rt.pruned) {
        rc = 0;
        goto done;
    }
    if (sgc_set_write(dir, &rt.next, err, errlen))
        goto done;
    if (done)
        *done = rt.ca_due ? SG_CERTS_CA_ROTATED : rt.leaf_due ? SG_CERTS_LEAF_RENEWED : SG_CERTS_PRUNED;
    rc = 0;
done:
    leaf_names_free(&rt.names);
    X509_free(rt.new_ca);
    sgc_set_free(&rt.next);
    sgc_set_free(&rt.old);
    return rc;
}

int sg_certs_ensure(const char *dir, const sg_certs_options *o, time_t now,
                    sg_certs_action *done, char *err, size_t errlen)
{
    static const char *const names[] = {SG_CERTS_CA_CERT, SG_CERTS_CA_KEY, SG_CERTS_TLS_CERT,
                                        SG_CERTS_TLS_KEY};
    char path[4096];
    const char *missing = NULL;
    size_t present = 0;
    struct stat st;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (sgc_join(path, sizeof path, dir, names[i]))
            return sg_err(err, errlen, "%s: path too long", dir);
        if (stat(path, &st) == 0)
            present++;
        else if (!missing)
            missing = names[i];
    }
    if (done)
        *done = SG_CERTS_UNCHANGED;
    if (present == 0) {
        sg_certs_options g = *o;
        g.force = false;
        if (sg_certs_generate(dir, &g, now, err, errlen))
            return -1;
        if (done)
            *done = SG_CERTS_GENERATED;
        return 0;
    }
    if (missing)
        return sg_err(err, errlen, "%s/%s is missing but other certificate files exist; "
                      "restore it, or remove %s's ca.crt, ca.key, tls.crt and tls.key to "
                      "generate a new set", dir, missing, dir);
    return rotate_dir(dir, o, true, now, done, err, errlen);
}

int sg_certs_rotate(const char *dir, const sg_certs_options *o, time_t now,
                    sg_certs_action *done, char *err, size_t errlen)
{
    return rotate_dir(dir, o, false, now, done, err, errlen);
}
