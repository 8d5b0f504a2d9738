/*
 * generate.c - a new CA and a serving certificate for a Kubernetes Service,
 * written as a certificate directory. This is `scoregate certs generate` and
 * the first step of sg_certs_ensure().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

void sg_certs_options_init(sg_certs_options *o)
{
    memset(o, 0, sizeof *o);
    o->service = SG_CERTS_DEFAULT_SERVICE;
    o->namespace_name = SG_CERTS_DEFAULT_NAMESPACE;
    o->ca_days = SG_CERTS_DEFAULT_CA_DAYS;
    o->leaf_days = SG_CERTS_DEFAULT_LEAF_DAYS;
    o->renew_before_days = SG_CERTS_DEFAULT_RENEW_BEFORE_DAYS;
    o->ca_renew_before_days = SG_CERTS_DEFAULT_CA_RENEW_BEFORE_DAYS;
}

static int check_days(const char *what, int days, char *err, size_t errlen)
{
    if (days < 0 || days > SG_CERTS_MAX_DAYS)
        return sg_err(err, errlen, "%s must be between 0 and %d days, not %d", what,
                      SG_CERTS_MAX_DAYS, days);
    return 0;
}

/* -1 (with a message) when one of the four files exists. */
static int refuse_overwrite(const char *dir, char *err, size_t errlen)
{
    static const char *const names[] = {SG_CERTS_CA_CERT, SG_CERTS_CA_KEY, SG_CERTS_TLS_CERT,
                                        SG_CERTS_TLS_KEY};
    char path[4096];
    struct stat st;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (sgc_join(path, sizeof path, dir, names[i]))
            return sg_err(err, errlen, "%s: path too long", dir);
        if (lstat(path, &st) == 0)
            return sg_err(err, errlen, "%s already exists; use 'scoregate certs rotate' to renew "
                          "it, or --force to replace the whole set (clients must then be given "
                          "the new CA)", path);
    }
    return 0;
}

int sg_certs_generate(const char *dir, const sg_certs_options *o, time_t now,
                      char *err, size_t errlen)
{
    char label[300];
    int rc = -1;
    sgc_set s;
    memset(&s, 0, sizeof s);
    GENERAL_NAMES *sans = NULL;
    X509_NAME *subject = NULL;
    X509 *ca = NULL, *leaf = NULL;

    if (check_days("the CA lifetime", o->ca_days, err, errlen) ||
        check_days("the certificate lifetime", o->leaf_days, err, errlen))
        return -1;
    if (!(sans = sgc_service_sans(o, err, errlen)) || !(subject = sgc_service_subject(o, err, errlen)))
        goto done;
    if (sg_mkdirs(dir, err, errlen) || (!o->force && refuse_overwrite(dir, err, errlen)))
        goto done;

    snprintf(label, sizeof label, "%s.%s", o->service, o->namespace_name);
    s.cas = sg_check_alloc(sk_X509_new_null());
    s.chain = sg_check_alloc(sk_X509_new_null());
    if (!(s.ca_key = sgc_new_key(err, errlen)) ||
        !(ca = sgc_issue_ca(s.ca_key, label, o->ca_days, now, err, errlen)))
        goto done;
    if (!sk_X509_push(s.cas, ca))
        sg_oom();
    if (!(s.key = sgc_new_key(err, errlen)) ||
        !(leaf = sgc_issue_leaf(s.key, subject, sans, ca, s.ca_key, o->leaf_days, now, err, errlen)))
        goto done;
    if (!sk_X509_push(s.chain, leaf))
        sg_oom();
    rc = sgc_set_write(dir, &s, err, errlen);
done:
    sgc_set_free(&s);
    GENERAL_NAMES_free(sans);
    X509_NAME_free(subject);
    return rc;
}
