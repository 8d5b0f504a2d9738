/*
 * test_certs.c - unit tests of the certs module through its public header.
 * Every call takes `now` explicitly, so expiry, renewal thresholds and CA
 * rotation are tested at chosen points of a certificate's life instead of
 * waiting for clocks: T0 is the moment of generation, later checks move now.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scoregate/certs.h"

#define DAY 86400
static const time_t T0 = 1800000000; /* 2027-01-15 */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *new_dir(void)
{
    char tmpl[] = "/tmp/sg-certs-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void free_dir(char *d)
{
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

static void generate_into(const char *dir, time_t now)
{
    char err[SG_ERRMAX] = "";
    sg_certs_options o;
    sg_certs_options_init(&o);
    const char *extra[] = {"127.0.0.1", "webhook.example.com"};
    o.extra_names = extra;
    o.nextra = 2;
    o.force = true;
    int rc = sg_certs_generate(dir, &o, now, err, sizeof err);
    if (rc)
        fail_msg("generate: %s", err);
}

/* Inspect dir's tls.crt against its ca.crt and tls.key. */
static void inspect_dir(const char *dir, time_t now, int warn_days, sg_certs_report *r)
{
    char crt[512], key[512], ca[512], err[SG_ERRMAX] = "";
    path_of(crt, sizeof crt, dir, SG_CERTS_TLS_CERT);
    path_of(key, sizeof key, dir, SG_CERTS_TLS_KEY);
    path_of(ca, sizeof ca, dir, SG_CERTS_CA_CERT);
    if (sg_certs_inspect(crt, key, ca, NULL, warn_days, now, r, err, sizeof err))
        fail_msg("inspect: %s", err);
}

static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_generate_files_and_modes(void **state)
{
    (void)state;
    char *dir = new_dir(), path[512];
    generate_into(dir, T0);
    static const struct { const char *name; mode_t mode; } files[] = {
        {SG_CERTS_CA_CERT, 0644}, {SG_CERTS_CA_KEY, 0600}, {SG_CERTS_TLS_CERT, 0644},
        {SG_CERTS_TLS_KEY, 0600}, {SG_CERTS_CA_BUNDLE_B64, 0644},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat st;
        path_of(path, sizeof path, dir, files[i].name);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, files[i].mode);
    }

    sg_certs_report r;
    inspect_dir(dir, T0, 30, &r);
    assert_int_equal(r.problems, 0);
    assert_string_equal(r.summary, "ok");
    assert_int_equal(r.chain, SG_CERTS_CHECK_OK);
    assert_int_equal(r.key, SG_CERTS_CHECK_OK);
    assert_string_equal(r.leaf.key_type, "ECDSA P-256");
    assert_false(r.leaf.is_ca);
    assert_true(r.leaf.server_auth);
    assert_int_equal(r.leaf.not_after, T0 + 365 * DAY);
    assert_int_equal(r.leaf.not_before, T0 - 300);
    assert_int_equal(r.days_left, 365);
    assert_int_equal(r.ncas, 1);
    assert_true(r.cas[0].is_ca);
    assert_int_equal(r.cas[0].not_after, T0 + 3650 * DAY);
    assert_int_equal(r.leaf.nsans, 6);
    assert_string_equal(r.leaf.sans[0], "DNS:scoregate");
    assert_string_equal(r.leaf.sans[2], "DNS:scoregate.scoregate-system.svc");
    assert_string_equal(r.leaf.sans[3], "DNS:scoregate.scoregate-system.svc.cluster.local");
    assert_string_equal(r.leaf.sans[4], "IP:127.0.0.1");
    assert_string_equal(r.leaf.sans[5], "DNS:webhook.example.com");
    assert_string_equal(r.leaf.issuer, r.cas[0].subject);
    sg_certs_report_free(&r);
    free_dir(dir);
}

static void test_generate_refuses_overwrite(void **state)
{
    (void)state;
    char *dir = new_dir(), err[SG_ERRMAX] = "";
    generate_into(dir, T0);
    sg_certs_options o;
    sg_certs_options_init(&o);
    assert_int_equal(sg_certs_generate(dir, &o, T0, err, sizeof err), -1);
    assert_non_null(strstr(err, "ca.crt already exists"));
    o.service = "Bad_Name";
    o.force = true;
    assert_int_equal(sg_certs_generate(dir, &o, T0, err, sizeof err), -1);
    assert_non_null(strstr(err, "Bad_Name"));
    sg_certs_options_init(&o);
    const char *extra[] = {"not a name"};
    o.extra_names = extra;
    o.nextra = 1;
    o.force = true;
    assert_int_equal(sg_certs_generate(dir, &o, T0, err, sizeof err), -1);
    assert_non_null(strstr(err, "'not a name'"));
    free_dir(dir);
}

static void test_load_pair(void **state)
{
    (void)state;
    char *dir = new_dir(), *other = new_dir(), crt[512], key[512], okey[512], err[SG_ERRMAX];
    generate_into(dir, T0);
    generate_into(other, T0);
    path_of(crt, sizeof crt, dir, SG_CERTS_TLS_CERT);
    path_of(key, sizeof key, dir, SG_CERTS_TLS_KEY);
    path_of(okey, sizeof okey, other, SG_CERTS_TLS_KEY);

    sg_certs_pair p;
    assert_int_equal(sg_certs_load_pair(crt, key, T0, &p, err, sizeof err), 0);
    assert_non_null(strstr(p.cert_pem, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(p.key_pem, "BEGIN PRIVATE KEY"));
    assert_int_equal(p.not_after, T0 + 365 * DAY);
    sg_certs_pair_free(&p);

    char want[2048];
    assert_int_equal(sg_certs_load_pair(crt, key, T0 + 366 * DAY, &p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: certificate expired on 2028-01-15", crt);
    assert_string_equal(err, want);
    assert_null(p.cert_pem);

    assert_int_equal(sg_certs_load_pair(crt, okey, T0, &p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s does not match %s", okey, crt);
    assert_string_equal(err, want);

    assert_int_equal(sg_certs_load_pair(crt, key, T0 - DAY, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "not valid before"));

    time_t t = 0;
    assert_int_equal(sg_certs_expiry(crt, &t, err, sizeof err), 0);
    assert_int_equal(t, T0 + 365 * DAY);
    free_dir(dir);
    free_dir(other);
}

static void test_bad_input_names_file(void **state)
{
    (void)state;
    char *dir = new_dir(), path[512], crt[512], err[SG_ERRMAX];
    generate_into(dir, T0);
    path_of(crt, sizeof crt, dir, SG_CERTS_TLS_CERT);
    path_of(path, sizeof path, dir, "garbage.pem");
    write_text(path, "this is not PEM\n");
    time_t t;
    sg_certs_report r;
    sg_certs_pair p;

    assert_int_equal(sg_certs_expiry(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "no PEM certificate"));

    assert_int_equal(sg_certs_inspect(crt, path, NULL, NULL, 30, T0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "no PEM private key"));

    write_text(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert_int_equal(sg_certs_inspect(path, NULL, NULL, NULL, 30, T0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, path));

    path_of(path, sizeof path, dir, "missing.crt");
    assert_int_equal(sg_certs_load_pair(path, crt, T0, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.crt: cannot open: No such file"));

    assert_int_equal(sg_certs_inspect(crt, NULL, NULL, NULL, -1, T0, &r, err, sizeof err), -1);
    free_dir(dir);
}

static void test_inspect_problems(void **state)
{
    (void)state;
    char *dir = new_dir(), *other = new_dir(), crt[512], okey[512], oca[512], err[SG_ERRMAX];
    generate_into(dir, T0);
    generate_into(other, T0);
    path_of(crt, sizeof crt, dir, SG_CERTS_TLS_CERT);
    path_of(okey, sizeof okey, other, SG_CERTS_TLS_KEY);
    path_of(oca, sizeof oca, other, SG_CERTS_CA_CERT);
    sg_certs_report r;

    inspect_dir(dir, T0 + 340 * DAY, 30, &r);
    assert_int_equal(r.problems, SG_CERTS_P_EXPIRING);
    assert_int_equal(r.days_left, 25);
    assert_non_null(strstr(r.summary, "expires on 2028-01-15, in 25 days"));
    sg_certs_report_free(&r);

    inspect_dir(dir, T0 + 340 * DAY, 20, &r);
    assert_int_equal(r.problems, 0);
    sg_certs_report_free(&r);

    inspect_dir(dir, T0 + 400 * DAY, 30, &r);
    assert_int_equal(r.problems, SG_CERTS_P_EXPIRED);
    assert_int_equal(r.chain, SG_CERTS_CHECK_OK);
    assert_int_equal(r.days_left, -35);
    assert_non_null(strstr(r.summary, "certificate expired on 2028-01-15"));
    sg_certs_report_free(&r);

    assert_int_equal(sg_certs_inspect(crt, okey, oca, NULL, 30, T0, &r, err, sizeof err), 0);
    assert_int_equal(r.problems, SG_CERTS_P_CHAIN | SG_CERTS_P_KEY);
    assert_int_equal(r.chain, SG_CERTS_CHECK_FAILED);
    assert_int_equal(r.key, SG_CERTS_CHECK_FAILED);
    assert_non_null(strstr(r.summary, "does not verify against"));
    assert_non_null(strstr(r.summary, "does not match"));
    sg_certs_report_free(&r);

    assert_int_equal(sg_certs_inspect(crt, NULL, NULL, "scoregate.scoregate-system.svc", 30, T0, &r,
                                      err, sizeof err), 0);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.chain, SG_CERTS_NOT_CHECKED);
    assert_int_equal(r.host, SG_CERTS_CHECK_OK);
    sg_certs_report_free(&r);
    assert_int_equal(sg_certs_inspect(crt, NULL, NULL, "10.0.0.1", 30, T0, &r, err, sizeof err), 0);
    assert_int_equal(r.problems, SG_CERTS_P_HOST);
    sg_certs_report_free(&r);
    free_dir(dir);
    free_dir(other);
}

static void test_rotate_leaf(void **state)
{
    (void)state;
    char *dir = new_dir(), err[SG_ERRMAX];
    generate_into(dir, T0);
    sg_certs_options o;
    sg_certs_options_init(&o);
    sg_certs_action done;
    sg_certs_report before, after;
    inspect_dir(dir, T0, 30, &before);

    assert_int_equal(sg_certs_rotate(dir, &o, T0 + 100 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_UNCHANGED);

    assert_int_equal(sg_certs_rotate(dir, &o, T0 + 340 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_LEAF_RENEWED);
    inspect_dir(dir, T0 + 340 * DAY, 30, &after);
    assert_int_equal(after.problems, 0);
    assert_int_equal(after.leaf.not_after, T0 + 705 * DAY);
    assert_int_equal(after.ncas, 1);
    assert_string_equal(after.cas[0].serial, before.cas[0].serial);
    assert_string_not_equal(after.leaf.serial, before.leaf.serial);
    assert_int_equal(after.leaf.nsans, before.leaf.nsans);
    for (size_t i = 0; i < after.leaf.nsans; i++)
        assert_string_equal(after.leaf.sans[i], before.leaf.sans[i]);
    assert_string_equal(after.leaf.subject, before.leaf.subject);
    sg_certs_report_free(&after);

    o.force = true;
    assert_int_equal(sg_certs_rotate(dir, &o, T0 + 341 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_LEAF_RENEWED);
    sg_certs_report_free(&before);
    free_dir(dir);
}

static void test_rotate_ca_overlap(void **state)
{
    (void)state;
    char *dir = new_dir(), err[SG_ERRMAX], crt[512], oldca[512], path[512];
    generate_into(dir, T0);
    path_of(crt, sizeof crt, dir, SG_CERTS_TLS_CERT);
    path_of(oldca, sizeof oldca, dir, "old-ca.crt");
    path_of(path, sizeof path, dir, SG_CERTS_CA_CERT);
    copy_file(path, oldca);
    sg_certs_options o;
    sg_certs_options_init(&o);
    sg_certs_action done;
    sg_certs_report r;

    time_t t1 = T0 + 3400 * DAY; /* the CA has 250 days left: due (365) */
    assert_int_equal(sg_certs_rotate(dir, &o, t1, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_CA_ROTATED);
    inspect_dir(dir, t1, 30, &r);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.ncas, 2);
    assert_int_equal(r.nextra, 1);                       /* the cross-signed new CA */
    assert_string_equal(r.leaf.issuer, r.cas[0].subject); /* signed by the new CA */
    assert_string_equal(r.extra[0].subject, r.cas[0].subject);
    assert_string_equal(r.extra[0].issuer, r.cas[1].subject);
    assert_int_equal(r.extra[0].not_after, T0 + 3650 * DAY); /* ends with the old CA */
    assert_int_equal(r.leaf.not_after, t1 + 365 * DAY);
    sg_certs_report_free(&r);

    /* A client that still trusts only the old CA verifies through the cross certificate. */
    assert_int_equal(sg_certs_inspect(crt, NULL, oldca, NULL, 30, t1, &r, err, sizeof err), 0);
    assert_int_equal(r.chain, SG_CERTS_CHECK_OK);
    assert_int_equal(r.expires, T0 + 3650 * DAY); /* ... until the old CA ends */
    sg_certs_report_free(&r);

    /* Nothing due right after. */
    assert_int_equal(sg_certs_rotate(dir, &o, t1 + DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_UNCHANGED);

    /* After the old CA expired: it and the cross certificate are pruned. */
    time_t t2 = T0 + 3651 * DAY;
    assert_int_equal(sg_certs_rotate(dir, &o, t2, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_PRUNED);
    inspect_dir(dir, t2, 30, &r);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.ncas, 1);
    assert_int_equal(r.nextra, 0);
    sg_certs_report_free(&r);

    /* The old CA alone no longer verifies the leaf, and it has expired. */
    assert_int_equal(sg_certs_inspect(crt, NULL, oldca, NULL, 30, t2, &r, err, sizeof err), 0);
    assert_int_equal(r.chain, SG_CERTS_CHECK_FAILED);
    sg_certs_report_free(&r);
    free_dir(dir);
}

static void test_ensure(void **state)
{
    (void)state;
    char *base = new_dir(), dir[512], path[512], err[SG_ERRMAX];
    path_of(dir, sizeof dir, base, "state/certs");
    sg_certs_options o;
    sg_certs_options_init(&o);
    sg_certs_action done;

    assert_int_equal(sg_certs_ensure(dir, &o, T0, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_GENERATED);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(sg_certs_ensure(dir, &o, T0 + DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_UNCHANGED);
    assert_int_equal(sg_certs_ensure(dir, &o, T0 + 350 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_LEAF_RENEWED);

    /* The configured names changed: the leaf follows them, the CA stays. */
    sg_certs_report r;
    const char *extra[] = {"10.1.2.3"};
    o.service = "hooks";
    o.extra_names = extra;
    o.nextra = 1;
    assert_int_equal(sg_certs_ensure(dir, &o, T0 + 351 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_LEAF_RENEWED);
    inspect_dir(dir, T0 + 351 * DAY, 30, &r);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.leaf.nsans, 5);
    assert_string_equal(r.leaf.sans[2], "DNS:hooks.scoregate-system.svc");
    assert_string_equal(r.leaf.sans[4], "IP:10.1.2.3");
    assert_string_equal(r.leaf.subject, "CN=hooks.scoregate-system.svc,O=scoregate");
    assert_int_equal(r.ncas, 1);
    sg_certs_report_free(&r);
    assert_int_equal(sg_certs_ensure(dir, &o, T0 + 352 * DAY, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_UNCHANGED);
    /* rotate keeps the names that were issued, whatever the options say. */
    sg_certs_options_init(&o);
    o.force = true;
    assert_int_equal(sg_certs_rotate(dir, &o, T0 + 352 * DAY, &done, err, sizeof err), 0);
    inspect_dir(dir, T0 + 352 * DAY, 30, &r);
    assert_string_equal(r.leaf.sans[0], "DNS:hooks");
    sg_certs_report_free(&r);

    path_of(path, sizeof path, dir, SG_CERTS_TLS_KEY);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sg_certs_ensure(dir, &o, T0, &done, err, sizeof err), -1);
    assert_non_null(strstr(err, "tls.key is missing"));
    assert_int_equal(stat(path, &st), -1);
    assert_string_equal(sg_certs_action_name(SG_CERTS_CA_ROTATED), "CA rotated");
    free_dir(base);
}

static void test_rotate_mismatched_key_renews(void **state)
{
    (void)state;
    char *dir = new_dir(), *other = new_dir(), key[512], okey[512], err[SG_ERRMAX];
    generate_into(dir, T0);
    generate_into(other, T0);
    path_of(key, sizeof key, dir, SG_CERTS_TLS_KEY);
    path_of(okey, sizeof okey, other, SG_CERTS_TLS_KEY);
    copy_file(okey, key);
    sg_certs_options o;
    sg_certs_options_init(&o);
    sg_certs_action done;
    assert_int_equal(sg_certs_rotate(dir, &o, T0, &done, err, sizeof err), 0);
    assert_int_equal(done, SG_CERTS_LEAF_RENEWED);
    sg_certs_report r;
    inspect_dir(dir, T0, 30, &r);
    assert_int_equal(r.problems, 0);
    sg_certs_report_free(&r);

    char cakey[512], ocakey[512];
    path_of(cakey, sizeof cakey, dir, SG_CERTS_CA_KEY);
    path_of(ocakey, sizeof ocakey, other, SG_CERTS_CA_KEY);
    copy_file(ocakey, cakey);
    assert_int_equal(sg_certs_rotate(dir, &o, T0, &done, err, sizeof err), -1);
    assert_non_null(strstr(err, "ca.key does not match any certificate"));
    free_dir(dir);
    free_dir(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_files_and_modes),
        cmocka_unit_test(test_generate_refuses_overwrite),
        cmocka_unit_test(test_load_pair),
        cmocka_unit_test(test_bad_input_names_file),
        cmocka_unit_test(test_inspect_problems),
        cmocka_unit_test(test_rotate_leaf),
        cmocka_unit_test(test_rotate_ca_overlap),
        cmocka_unit_test(test_ensure),
        cmocka_unit_test(test_rotate_mismatched_key_renews),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
