/*
 * test_kube_exec.c - unit tests of the kube module's credential plugins from
 * inside (scoregate/kube_testing.h): the ExecCredential a plugin prints, decoded with
 * client-go's checks; the KUBERNETES_EXEC_INFO it is given; JWT expiry for
 * oidc id-tokens; and when a plugin runs again (client-go's exec
 * authenticator): not while its answer is valid, once after it expired, once
 * after a 401 to the current answer and not after a 401 to an older one.
 * test_kube_exec.py runs plugins against the API server double.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <scoregate/kube_testing.h>

#define V1 "client.authentication.k8s.io/v1"
#define CERT "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
#define KEY "-----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC PRIVATE KEY-----\\n"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sg-kubeexec-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static kb_exec *plugin(const char *json)
{
    json_t *exec = json_loads(json, 0, NULL);
    assert_non_null(exec);
    kb_exec *x;
    char err[SG_ERRMAX];
    if (kb_exec_parse(exec, dir, "user 'u'", &x, err, sizeof err) < 0)
        fail_msg("%s", err);
    json_decref(exec);
    return x;
}

static void decode(void **state)
{
    (void)state;
    kb_exec *x = plugin("{\"apiVersion\": \"" V1 "\", \"command\": \"p\", \"interactiveMode\": \"Never\"}");
    kb_exec_result r;
    char err[SG_ERRMAX];
    const char *ok = "{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"token\": \"t-1\","
                     " \"expirationTimestamp\": \"2030-01-02T03:04:05+01:00\"}}";
    assert_int_equal(kb_exec_decode(x, ok, strlen(ok), &r, err, sizeof err), 0);
    assert_string_equal(r.token, "t-1");
    assert_int_equal(r.expires, 1893549845);
    assert_null(r.cert);
    kb_exec_result_clear(&r);
    const char *pair = "{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"clientCertificateData\": "
                       "\"" CERT "\", \"clientKeyData\": \"" KEY "\"}}";
    assert_int_equal(kb_exec_decode(x, pair, strlen(pair), &r, err, sizeof err), 0);
    assert_null(r.token);
    assert_non_null(strstr(r.cert, "BEGIN CERTIFICATE"));
    assert_int_equal(r.expires, 0);
    kb_exec_result_clear(&r);
    static const struct {
        const char *out, *expect;
    } bad[] = {
        {"token please", "decoding stdout"},
        {"[1]", "not a JSON object"},
        {"{\"apiVersion\": \"" V1 "\", \"status\": {\"token\": \"t\"}}", "not ExecCredential"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"status\": {\"token\": "
         "\"t\"}}",
         "configured to use API version " V1 ", plugin returned version client.authentication.k8s.io/v1beta1"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\"}", "didn't return a status field"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"token\": \"\"}}",
         "didn't return a token or cert/key pair"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"clientKeyData\": \"" KEY "\"}}",
         "only certificate or key"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"token\": 7}}",
         "status.token must be a string"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"token\": \"t\", "
         "\"expirationTimestamp\": \"tomorrow\"}}",
         "RFC 3339"},
        {"{\"kind\": \"ExecCredential\", \"apiVersion\": \"" V1 "\", \"status\": {\"clientCertificateData\": \"x\", "
         "\"clientKeyData\": \"y\"}}",
         "must be PEM"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (kb_exec_decode(x, bad[i].out, strlen(bad[i].out), &r, err, sizeof err) != -1 ||
            !strstr(err, bad[i].expect))
            fail_msg("case %zu: err='%s', expected '%s'", i, err, bad[i].expect);
        assert_null(r.token);
    }
    kb_exec_free(x);
}

/* A connection loaded from a kubeconfig of context c (cluster k, user u) plus `rest`. */
static sg_kube_config *kubeconfig(const char *rest)
{
    char path[400];
    snprintf(path, sizeof path, "%s/kubeconfig", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n%s", rest);
    fclose(f);
    sg_kube_config *c;
    char err[SG_ERRMAX];
    if (sg_kube_config_from_kubeconfig(path, NULL, &c, err, sizeof err) < 0)
        fail_msg("%s", err);
    return c;
}

/* KUBERNETES_EXEC_INFO: kind, apiVersion, spec.interactive, and spec.cluster only with provideClusterInfo. */
static void exec_info(void **state)
{
    (void)state;
    kb_exec *x = plugin("{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"command\": \"p\"}");
    assert_int_equal(x->interactive, KB_INTERACTIVE_IF_AVAILABLE);
    char *info = kb_exec_info(x, false);
    json_t *j = json_loads(info, 0, NULL);
    free(info);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "ExecCredential");
    assert_true(json_is_false(json_object_get(json_object_get(j, "spec"), "interactive")));
    assert_null(json_object_get(json_object_get(j, "spec"), "cluster"));
    assert_null(json_object_get(j, "status"));
    json_decref(j);
    kb_exec_free(x);

    x = plugin("{\"apiVersion\": \"" V1 "\", \"command\": \"bin/p\", \"interactiveMode\": \"Always\", "
               "\"provideClusterInfo\": true}");
    char expect[300];
    snprintf(expect, sizeof expect, "%s/bin/p", dir);
    assert_string_equal(x->argv[0], expect);
    /* The connection: its CA data ("PEM") and TLS server name go into spec.cluster. */
    sg_kube_config *c = kubeconfig("clusters: [{name: k, cluster: {server: 'https://10.0.0.1:6443', "
                                   "certificate-authority-data: UEVN, tls-server-name: kubernetes}}]\n"
                                   "users: [{name: u, user: {token: t}}]\n");
    json_t *cluster = json_loads("{\"server\": \"https://10.0.0.1:6443/\", \"extensions\": [{\"name\": \"other\", "
                                 "\"extension\": 1}, {\"name\": \"client.authentication.k8s.io/exec\", \"extension\": "
                                 "{\"audience\": \"a1\"}}]}",
                                 0, NULL);
    char err[SG_ERRMAX];
    assert_int_equal(kb_exec_cluster_info(x, c, cluster, err, sizeof err), 0);
    info = kb_exec_info(x, true);
    j = json_loads(info, 0, NULL);
    free(info);
    json_t *spec = json_object_get(j, "spec"), *cl = json_object_get(spec, "cluster");
    assert_true(json_is_true(json_object_get(spec, "interactive")));
    assert_string_equal(json_string_value(json_object_get(cl, "server")), "https://10.0.0.1:6443/");
    assert_string_equal(json_string_value(json_object_get(cl, "certificate-authority-data")), "UEVN");
    assert_string_equal(json_string_value(json_object_get(cl, "tls-server-name")), "kubernetes");
    assert_null(json_object_get(cl, "insecure-skip-tls-verify"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(cl, "config"), "audience")), "a1");
    json_decref(j);
    json_decref(cluster);
    sg_kube_config_free(c);
    kb_exec_free(x);
}

static void jwt(void **state)
{
    (void)state;
    time_t exp;
    char err[SG_ERRMAX];
    /* {"iss": "https://idp", "exp": 1500000000.0}, and a payload whose base64url needs '-'. */
    assert_int_equal(kb_jwt_expiry("h.eyJpc3MiOiAiaHR0cHM6Ly9pZHAiLCAiZXhwIjogMTUwMDAwMDAwMC4wfQ.s", &exp, err, sizeof err), 0);
    assert_int_equal(exp, 1500000000);
    assert_int_equal(kb_jwt_expiry("h.eyJzdWIiOiAiYT8-PiJ9.s", &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "no numeric exp"));
    assert_int_equal(kb_jwt_expiry("h.e+J9.s", &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "base64url"));
    assert_int_equal(kb_jwt_expiry("a.b.c.d", &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "three"));
}

/* A plugin script that counts its runs and answers token-<run>, expiring `expires` (RFC 3339 or ""). */
static sg_kube_config *counting_plugin(const char *expires)
{
    char path[400], text[1200];
    snprintf(path, sizeof path, "%s/runs", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/plugin.sh", dir);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho x >> '%s/runs'\nn=$(wc -l < '%s/runs')\n"
             "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"status\":{\"token\":\"token-%%s\"%s%s%s}}' "
             "$n\n",
             dir, dir, V1, *expires ? ",\"expirationTimestamp\":\"" : "", expires, *expires ? "\"" : "");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0700);
    snprintf(text, sizeof text,
             "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
             "users: [{name: u, user: {exec: {apiVersion: %s, command: ./plugin.sh, interactiveMode: Never}}}]\n",
             V1);
    sg_kube_config *c = kubeconfig(text);
    return c;
}

static void expect_token(sg_kube_config *c, const char *token, unsigned long *gen)
{
    kb_auth a;
    char err[SG_ERRMAX];
    if (kb_config_auth(c, &a, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_string_equal(a.token, token);
    *gen = a.gen;
    kb_auth_clear(&a);
}

static void when_a_plugin_runs(void **state)
{
    (void)state;
    unsigned long g1, g2, g;
    sg_kube_config *c = counting_plugin("2100-01-01T00:00:00Z");
    expect_token(c, "token-1", &g1);
    expect_token(c, "token-1", &g);             /* cached until it expires */
    assert_int_equal(g, g1);
    kb_config_rejected(c, g1);                  /* a 401 to it: run again */
    expect_token(c, "token-2", &g2);
    assert_true(g2 != g1);
    kb_config_rejected(c, g1);                  /* a late 401 to the old token changes nothing */
    expect_token(c, "token-2", &g);
    sg_kube_config_free(c);

    c = counting_plugin("2001-01-01T00:00:00Z"); /* expired at once: every request runs it */
    expect_token(c, "token-1", &g1);
    expect_token(c, "token-2", &g2);
    expect_token(c, "token-3", &g);
    sg_kube_config_free(c);

    c = counting_plugin("");                    /* no expiry: until a 401 */
    expect_token(c, "token-1", &g1);
    expect_token(c, "token-1", &g1);
    sg_kube_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode),
        cmocka_unit_test(exec_info),
        cmocka_unit_test(jwt),
        cmocka_unit_test(when_a_plugin_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
