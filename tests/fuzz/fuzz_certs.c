/*
 * fuzz_certs.c - libFuzzer target for the certificate inputs the certs
 * module reads from files it does not own (a mounted Secret, cert-manager,
 * a user's --ca file): PEM certificate chains, PEM private keys, and what
 * inspection makes of them (names, SANs, key types, validity, chain and host
 * checks).
 *
 * The first byte picks how the rest is used:
 *  - even: PEM text as is (certificates and a key in one file);
 *  - odd: DER bytes, wrapped here into one CERTIFICATE block, so mutations
 *    reach the X.509 structure instead of dying in base64.
 * The text goes through the internal parsers (sgc_parse_certs, sgc_parse_key,
 * sgc_describe) and, via a memfd, through sg_certs_inspect() and
 * sg_certs_load_pair() as the server and `scoregate certs inspect` call them.
 * Every failure must come with a message; nothing may crash or leak.
 * Seeds: tests/fuzz/corpus/certs/ (generated sets, RSA and Ed25519 keys,
 * certificates with IP, e-mail and URI SANs).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/err.h>

#include <scoregate/certs_testing.h>

#define FUZZ_NOW 1800000000   /* 2027-01-15: inside the validity of the seeds */

/* PEM armour around DER bytes (base64 in lines of 64); malloc'd, NUL-terminated. */
static char *pem_wrap(const char *label, const uint8_t *der, size_t len, size_t *outlen)
{
    size_t blen;
    char *b64 = sg_base64_encode(der, len, &blen);
    size_t cap = 64 + 2 * strlen(label) + blen + blen / 64 + 8;
    char *out = sg_malloc(cap);
    size_t o = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < blen; i += 64) {
        size_t n = blen - i < 64 ? blen - i : 64;
        memcpy(out + o, b64 + i, n);
        o += n;
        out[o++] = '\n';
    }
    o += (size_t)snprintf(out + o, cap - o, "-----END %s-----\n", label);
    free(b64);
    *outlen = o;
    return out;
}

/* An in-memory file holding `data`, named /proc/self/fd/N in `path`; -1 on failure. */
static int memfile(const char *data, size_t len, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz-certs", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

static void describe_all(STACK_OF(X509) *certs)
{
    char name[256];
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        sg_certs_cert c;
        sgc_describe(x, &c);
        if (!c.subject || !c.issuer || !c.serial || !c.key_type || (c.nsans && !c.sans))
            abort();
        for (size_t k = 0; k < c.nsans; k++)
            if (!c.sans[k])
                abort();
        sgc_cert_free(&c);
        sgc_short_name(x, name, sizeof name);
        if (memchr(name, '\0', sizeof name) == NULL)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (64u << 10))
        return 0;
    bool der = data[0] & 1;
    size_t len;
    char *text;
    if (der) {
        text = pem_wrap("CERTIFICATE", data + 1, size - 1, &len);
    } else {
        len = size - 1;
        text = malloc(len + 1);
        if (!text)
            abort();
        memcpy(text, data + 1, len);
        text[len] = '\0';
    }
    char err[SG_ERRMAX] = "";
    STACK_OF(X509) *certs = NULL;
    EVP_PKEY *key = NULL;
    if (sgc_parse_certs("fuzz.crt", text, len, &certs, err, sizeof err) == 0) {
        if (sk_X509_num(certs) < 1)
            abort();
        describe_all(certs);
    } else if (strncmp(err, "fuzz.crt: ", 10)) {
        abort();
    }
    err[0] = '\0';
    if (!der && sgc_parse_key("fuzz.key", text, len, &key, err, sizeof err) < 0 && strncmp(err, "fuzz.key: ", 10))
        abort();
    if (certs && key)
        (void)sgc_key_matches(sk_X509_value(certs, 0), key);
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);

    /* The public entry points, through a file. */
    char path[64];
    int fd = memfile(text, len, path, sizeof path);
    if (fd >= 0) {
        sg_certs_report r;
        err[0] = '\0';
        if (sg_certs_inspect(path, der ? NULL : path, path, "scoregate.scoregate-system.svc", 30, FUZZ_NOW, &r,
                             err, sizeof err) == 0) {
            if (!r.summary[0] || (r.problems == 0) != !strcmp(r.summary, "ok"))
                abort();
            sg_certs_report_free(&r);
        } else if (!err[0]) {
            abort();
        }
        sg_certs_pair pair;
        err[0] = '\0';
        if (!der && sg_certs_load_pair(path, path, FUZZ_NOW, &pair, err, sizeof err) == 0)
            sg_certs_pair_free(&pair);
        else if (!der && !err[0])
            abort();
        close(fd);
    }
    ERR_clear_error();
    free(text);
    return 0;
}
