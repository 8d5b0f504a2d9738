/*
 * fuzz_kube_auth.c - libFuzzer target for what the kube module parses for
 * credentials: a plugin's ExecCredential (its standard output), an oidc
 * id-token's JWT payload, and a user's `exec` and `auth-provider` mappings.
 *
 * The first byte picks the parser; the rest is its input:
 *  - 0: an ExecCredential, as a v1 plugin's answer (second byte odd: v1beta1);
 *  - 1: a JWT (its exp claim);
 *  - 2: a JSON object read as a user's exec mapping and as its auth-provider.
 * Every failure must come with a message and leave nothing behind; a decoded
 * credential has a token or a certificate with its key; a parsed plugin gives
 * KUBERNETES_EXEC_INFO that is JSON. Nothing is run.
 * Seeds: tests/fuzz/corpus/kube_auth/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube_testing.h>

static void exec_credential(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    json_t *exec = json_pack("{s:s,s:s,s:s}", "apiVersion",
                             data[0] & 1 ? "client.authentication.k8s.io/v1beta1" : "client.authentication.k8s.io/v1",
                             "command", "plugin", "interactiveMode", "Never");
    kb_exec *x;
    char err[SG_ERRMAX] = "";
    if (!exec || kb_exec_parse(exec, "/nonexistent", "user 'u'", &x, err, sizeof err) < 0)
        abort();
    json_decref(exec);
    kb_exec_result r;
    if (kb_exec_decode(x, (const char *)data + 1, size - 1, &r, err, sizeof err) == 0) {
        if ((!r.token && !r.cert) || !r.cert != !r.key)
            abort();
        kb_exec_result_clear(&r);
    } else if (!err[0] || r.token || r.cert || r.key) {
        abort();
    }
    kb_exec_free(x);
}

static void jwt(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size);
    if (!text)
        abort();
    time_t exp;
    char err[SG_ERRMAX] = "";
    if (kb_jwt_expiry(text, &exp, err, sizeof err) < 0 && !err[0])
        abort();
    free(text);
}

static void user_sections(const uint8_t *data, size_t size)
{
    json_t *obj = json_loadb((const char *)data, size, 0, NULL);
    if (!obj)
        return;
    kb_exec *x = NULL;
    char err[SG_ERRMAX] = "";
    if (kb_exec_parse(obj, "/nonexistent", "user 'u'", &x, err, sizeof err) == 0) {
        if (!x->argv || !x->argv[0] || !x->api_version)
            abort();
        char *info = kb_exec_info(x, false);
        json_t *back = json_loads(info, 0, NULL);
        if (!back)
            abort();
        json_decref(back);
        free(info);
        kb_exec_free(x);
    } else if (!err[0] || x) {
        abort();
    }
    char *token = NULL;
    time_t expires;
    err[0] = '\0';
    if (kb_auth_provider(obj, "user 'u'", &token, &expires, err, sizeof err) == 0) {
        if (!token)
            abort();
        free(token);
    } else if (!err[0] || token) {
        abort();
    }
    json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (64u << 10))
        return 0;
    switch (data[0] % 3) {
    case 0:
        exec_credential(data + 1, size - 1);
        break;
    case 1:
        jwt(data + 1, size - 1);
        break;
    default:
        user_sections(data + 1, size - 1);
        break;
    }
    return 0;
}
