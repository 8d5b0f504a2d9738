/*
 * test_kube_config.c - unit tests of the kube module's connection settings:
 * kubeconfig files (current context, merging of a colon-separated list,
 * relative file names, inline base64 data, exec plugins and auth-providers
 * as clientcmd validates them, the errors a person must be able to act on)
 * and the in-cluster service account. Requests themselves are tested end to
 * end against the API server double (test_kube.py, test_kube_exec.py).
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

#include <scoregate/kube.h>

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sg-kubecfg-XXXXXX");
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

#define CONFIG_HEAD                                                                                                  \
    "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"                                                           \
    "contexts:\n- name: dev\n  context: {cluster: c1, user: u1}\n"                                                    \
    "- name: prod\n  context: {cluster: c2, user: u1}\n"

/* Load `text` as a kubeconfig; returns 0 or -1 with the message in err. */
static int load(const char *text, const char *context, sg_kube_config **out, char *err)
{
    const char *path = write_file("config", text);
    return sg_kube_config_from_kubeconfig(path, context, out, err, 512);
}

static void current_context_and_token(void **state)
{
    (void)state;
    sg_kube_config *c;
    char err[512];
    assert_int_equal(load(CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://10.1.1.1:6443/'}\n"
                                      "- name: c2\n  cluster: {server: 'https://prod:443'}\n"
                                      "users:\n- name: u1\n  user: {token: abc}\n",
                          NULL, &c, err),
                     0);
    assert_string_equal(sg_kube_config_server(c), "https://10.1.1.1:6443");
    assert_non_null(strstr(sg_kube_config_source(c), "context dev"));
    sg_kube_config_free(c);
    assert_int_equal(load(CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://a'}\n"
                                      "- name: c2\n  cluster: {server: 'https://prod:443'}\n"
                                      "users:\n- name: u1\n  user: {token: abc}\n",
                          "prod", &c, err),
                     0);
    assert_string_equal(sg_kube_config_server(c), "https://prod:443");
    sg_kube_config_free(c);
}

static void merged_list_first_wins(void **state)
{
    (void)state;
    char list[1200], err[512];
    const char *a = write_file("a", "current-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c1, user: u1}\n");
    const char *b = write_file("b", "current-context: other\nclusters:\n- name: c1\n  cluster: {server: 'https://from-b'}\n"
                                    "users:\n- name: u1\n  user: {token: t}\n");
    const char *c3 = write_file("c", "clusters:\n- name: c1\n  cluster: {server: 'https://from-c'}\n");
    snprintf(list, sizeof list, "%s:%s/missing:%s:%s", a, dir, b, c3);
    sg_kube_config *c;
    assert_int_equal(sg_kube_config_from_kubeconfig(list, NULL, &c, err, sizeof err), 0);
    assert_string_equal(sg_kube_config_server(c), "https://from-b");
    sg_kube_config_free(c);
}

static void relative_files_and_data(void **state)
{
    (void)state;
    sg_kube_config *c;
    char err[512];
    write_file("ca.crt", "-----BEGIN CERTIFICATE-----\n");
    write_file("token", "tok\n");
    assert_int_equal(load(CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x', certificate-authority: ca.crt}\n"
                                      "users:\n- name: u1\n  user: {tokenFile: token, client-certificate-data: Zm9v,"
                                      " client-key-data: YmFy}\n",
                          NULL, &c, err),
                     0);
    sg_kube_config_free(c);
    assert_int_equal(load(CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x', certificate-authority: nope.crt}\n"
                                      "users: []\n",
                          NULL, &c, err),
                     -1);
    assert_non_null(strstr(err, "nope.crt"));
    assert_non_null(strstr(err, dir));
}

static void errors_name_the_problem(void **state)
{
    (void)state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"clusters: []\n", "no current-context"},
        {CONFIG_HEAD "clusters: []\nusers: []\n", "no clusters entry named 'c1'"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x'}\nusers: []\n", "no users entry named 'u1'"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'x.example.com'}\n", "https://"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x', certificate-authority-data: '!!'}\n",
         "certificate-authority-data is not valid base64"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x', insecure-skip-tls-verify: true,"
                     " certificate-authority-data: Zm9v}\n",
         "insecure-skip-tls-verify"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x'}\n"
                     "users:\n- name: u1\n  user: {client-certificate-data: Zm9v}\n",
         "client-certificate and client-key go together"},
        {CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x'}\n"
                     "users:\n- name: u1\n  user: {tokenFile: /nonexistent/token}\n",
         "/nonexistent/token"},
        {"contexts: {a: b}\ncurrent-context: dev\n", "must be a list"},
        {"- just\n- a list\n", "not a mapping"},
        {"key: [unclosed\n", "kubeconfig"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_kube_config *c = (sg_kube_config *)1;
        char err[512] = "";
        int rc = load(cases[i].text, NULL, &c, err);
        if (rc != -1 || !strstr(err, cases[i].expect))
            fail_msg("case %zu: rc=%d err='%s', expected '%s'", i, rc, err, cases[i].expect);
        assert_null(c);
    }
    sg_kube_config *c;
    char err[512];
    assert_int_equal(sg_kube_config_from_kubeconfig("/nonexistent/kubeconfig", NULL, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/kubeconfig"));
}

#define PLUGIN_HEAD CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x'}\nusers:\n- name: u1\n  user:\n"
/* JWT payloads (base64url) with exp in 2100 and in 2000. */
#define JWT_2100 "eyJhbGciOiJub25lIn0.eyJpc3MiOiAiaHR0cHM6Ly9pZHAiLCAiZXhwIjogNDEwMjQ0NDgwMH0.sig"
#define JWT_2000 "eyJhbGciOiJub25lIn0.eyJpc3MiOiAiaHR0cHM6Ly9pZHAiLCAiZXhwIjogOTQ2Njg0ODAwfQ.sig"
#define OIDC(extra) "    auth-provider: {name: oidc, config: {idp-issuer-url: 'https://idp', client-id: k8s" extra "}}\n"

/* exec and auth-provider users: what loads (a plugin is not run by loading) and what clientcmd refuses. */
static void plugins_and_auth_providers(void **state)
{
    (void)state;
    static const char *const loads[] = {
        PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /nonexistent/plugin}\n",
        PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never,"
                    " args: [eks, get-token], env: [{name: AWS_PROFILE, value: prod}], provideClusterInfo: true,"
                    " installHint: 'install the AWS CLI'}\n",
        PLUGIN_HEAD OIDC(", id-token: '" JWT_2100 "'"),
        /* A token wins over the plugin, as in client-go: an expired id-token then does not matter. */
        PLUGIN_HEAD "    token: t\n" OIDC(", id-token: '" JWT_2000 "'"),
    };
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
        sg_kube_config *c;
        char err[512] = "";
        if (load(loads[i], NULL, &c, err) != 0)
            fail_msg("case %zu: %s", i, err);
        assert_null(sg_kube_config_warning(c));
        sg_kube_config_free(c);
    }
    static const struct {
        const char *text, *expect;
    } refused[] = {
        {PLUGIN_HEAD "    exec: {command: aws}\n", "apiVersion must be specified"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}\n",
         "invalid apiVersion 'client.authentication.k8s.io/v1alpha1'"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}\n",
         "interactiveMode must be specified"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Sometimes}\n",
         "invalid interactiveMode 'Sometimes'"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, args: [x]}\n", "command must be specified"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, env: [{value: x}]}\n",
         "env[0] needs a name"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [a, [2]]}\n",
         "args[1] must be a string"},
        {PLUGIN_HEAD "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}\n" OIDC(""),
         "in combination with an exec plugin"},
        {PLUGIN_HEAD "    auth-provider: {name: gcp}\n", "gke-gcloud-auth-plugin"},
        {PLUGIN_HEAD "    auth-provider: {name: azure, config: {tenant-id: t}}\n", "kubelogin"},
        {PLUGIN_HEAD "    auth-provider: {name: keystone}\n", "no auth-provider named 'keystone'"},
        {PLUGIN_HEAD "    auth-provider: {name: oidc, config: {client-id: k8s, id-token: '" JWT_2100 "'}}\n",
         "must provide idp-issuer-url"},
        {PLUGIN_HEAD OIDC(""), "has no id-token"},
        {PLUGIN_HEAD OIDC(", id-token: not-a-jwt"), "not a valid JWT"},
        {PLUGIN_HEAD OIDC(", id-token: 'a.!!.c'"), "not base64url"},
        {PLUGIN_HEAD OIDC(", id-token: '" JWT_2000 "'"), "expired at 2000-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        sg_kube_config *c = (sg_kube_config *)1;
        char err[512] = "";
        int rc = load(refused[i].text, NULL, &c, err);
        if (rc != -1 || !strstr(err, refused[i].expect) || !strstr(err, "user 'u1'"))
            fail_msg("case %zu: rc=%d err='%s', expected '%s'", i, rc, err, refused[i].expect);
        assert_null(c);
    }
}

/* insecure-skip-tls-verify loads, with a warning for the log or the terminal. */
static void insecure_warns(void **state)
{
    (void)state;
    sg_kube_config *c;
    char err[512];
    assert_int_equal(load(CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://x', insecure-skip-tls-verify: true}\n"
                                      "users:\n- name: u1\n  user: {token: t}\n",
                          NULL, &c, err),
                     0);
    assert_non_null(sg_kube_config_warning(c));
    assert_non_null(strstr(sg_kube_config_warning(c), "not verified"));
    sg_kube_config_free(c);
}

static void in_cluster(void **state)
{
    (void)state;
    sg_kube_config *c;
    char err[512];
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    assert_int_equal(sg_kube_config_in_cluster(dir, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    char sa[300];
    snprintf(sa, sizeof sa, "%s/sa", dir);
    mkdir(sa, 0700);
    assert_int_equal(sg_kube_config_in_cluster(sa, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "ca.crt"));
    write_file("sa/ca.crt", "x");
    assert_int_equal(sg_kube_config_in_cluster(sa, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "token"));
    write_file("sa/token", "eyJhbGciOi.token\n");
    assert_int_equal(sg_kube_config_in_cluster(sa, &c, err, sizeof err), 0);
    assert_string_equal(sg_kube_config_server(c), "https://10.96.0.1:443");
    assert_string_equal(sg_kube_config_source(c), "in-cluster service account");
    sg_kube_config_free(c);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(sg_kube_config_in_cluster(sa, &c, err, sizeof err), 0);
    assert_string_equal(sg_kube_config_server(c), "https://[fd00::1]:443");
    sg_kube_config_free(c);
    write_file("sa/token", "\n");
    assert_int_equal(sg_kube_config_in_cluster(sa, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void load_order(void **state)
{
    (void)state;
    sg_kube_config *c;
    char err[512];
    const char *path = write_file("envcfg", CONFIG_HEAD "clusters:\n- name: c1\n  cluster: {server: 'https://from-env'}\n"
                                                        "users:\n- name: u1\n  user: {token: t}\n");
    setenv("KUBECONFIG", path, 1);
    assert_int_equal(sg_kube_config_load(NULL, false, &c, err, sizeof err), 0);
    assert_string_equal(sg_kube_config_server(c), "https://from-env");
    sg_kube_config_free(c);
    assert_int_equal(sg_kube_config_load("", true, &c, err, sizeof err), 0);
    assert_string_equal(sg_kube_config_server(c), "https://from-env");
    sg_kube_config_free(c);
    unsetenv("KUBECONFIG");
}

static void kinds(void **state)
{
    (void)state;
    size_t n;
    const sg_kube_resource *r = sg_kube_resources(&n);
    assert_int_equal(n, 13);
    int secrets = 0, ingresses = 0;
    for (size_t i = 0; i < n; i++) {
        secrets += !strcmp(r[i].kind, "Secret") && !*r[i].group;
        ingresses += !strcmp(r[i].resource, "ingresses") && !strcmp(r[i].group, "networking.k8s.io");
    }
    assert_int_equal(secrets, 1);
    assert_int_equal(ingresses, 1);
    assert_string_equal(sg_kube_event_name(SG_KUBE_BOOKMARK), "BOOKMARK");
    assert_string_equal(sg_kube_event_name(SG_KUBE_ERROR), "ERROR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(current_context_and_token), cmocka_unit_test(merged_list_first_wins),
        cmocka_unit_test(relative_files_and_data),   cmocka_unit_test(errors_name_the_problem),
        cmocka_unit_test(in_cluster),                cmocka_unit_test(load_order),
        cmocka_unit_test(kinds),                     cmocka_unit_test(plugins_and_auth_providers),
        cmocka_unit_test(insecure_warns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
