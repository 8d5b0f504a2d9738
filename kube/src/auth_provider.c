/*
 * auth_provider.c - the legacy `auth-provider` users of a kubeconfig.
 *
 * client-go today registers three: gcp and azure are stubs that fail with a
 * message naming the exec plugin that replaced them (gke-gcloud-auth-plugin,
 * kubelogin), and scoregate says the same. oidc sends its id-token as the
 * bearer token while the token's `exp` claim is more than 10 seconds ahead;
 * past that, client-go would use the refresh-token at the issuer's token
 * endpoint and write the new tokens back into the kubeconfig. scoregate does
 * the first and not the second (it neither calls identity providers nor
 * writes kubeconfigs): an expired id-token is an error saying how to get a new
 * one. Like client-go, idp-issuer-url and client-id must be set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int kb_jwt_expiry(const char *jwt, time_t *exp, char *err, size_t errlen)
{
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.'))
        return sg_err(err, errlen, "the id-token is not a valid JWT (three dot-separated parts)");
    /* base64url without padding: the standard alphabet's decoder after swapping two characters. */
    size_t len = (size_t)(dot2 - dot1 - 1);
    char *b64 = sg_strndup(dot1 + 1, len);
    for (char *p = b64; *p; p++) {
        if (*p == '+' || *p == '/' || *p == '=')
            *p = '!';
        else if (*p == '-')
            *p = '+';
        else if (*p == '_')
            *p = '/';
    }
    unsigned char *payload;
    size_t plen;
    int rc = sg_base64_decode(b64, len, &payload, &plen);
    free(b64);
    if (rc < 0)
        return sg_err(err, errlen, "the id-token's payload is not base64url");
    json_t *claims = json_loadb((const char *)payload, plen, 0, NULL);
    free(payload);
    const json_t *v = json_object_get(claims, "exp");
    rc = 0;
    if (json_is_integer(v))
        *exp = (time_t)json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) > -1e15 && json_real_value(v) < 1e15)
        *exp = (time_t)json_real_value(v);
    else
        rc = sg_err(err, errlen, "the id-token's payload has no numeric exp claim");
    json_decref(claims);
    return rc;
}

static int oidc(const json_t *cfg, const char *where, char **token, time_t *expires, char *err, size_t errlen)
{
    static const char *const required[] = {"idp-issuer-url", "client-id"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = json_string_value(json_object_get(cfg, required[i]));
        if (!v || !*v)
            return sg_err(err, errlen, "%s: auth-provider oidc: must provide %s", where, required[i]);
    }
    const char *id = json_string_value(json_object_get(cfg, "id-token"));
    if (!id || !*id)
        return sg_err(err, errlen,
                      "%s: auth-provider oidc has no id-token; scoregate does not log in or refresh tokens at the "
                      "identity provider: log in with kubectl first, or use an exec plugin such as kubelogin "
                      "(kubectl oidc-login)",
                      where);
    char jerr[SG_ERRMAX];
    if (kb_jwt_expiry(id, expires, jerr, sizeof jerr) < 0)
        return sg_err(err, errlen, "%s: auth-provider oidc: %s", where, jerr);
    *token = sg_strdup(id);
    return 0;
}

int kb_auth_provider(const json_t *ap, const char *where, char **token, time_t *expires, char *err, size_t errlen)
{
    *token = NULL;
    *expires = 0;
    const char *name = json_string_value(json_object_get(ap, "name"));
    const json_t *cfg = json_object_get(ap, "config");
    if (!json_is_object(ap) || !name)
        return sg_err(err, errlen, "%s: auth-provider must be a mapping with a name", where);
    if (cfg && !json_is_object(cfg) && !json_is_null(cfg))
        return sg_err(err, errlen, "%s: auth-provider config must be a mapping", where);
    if (!strcmp(name, "oidc"))
        return oidc(cfg, where, token, expires, err, errlen);
    if (!strcmp(name, "gcp"))
        return sg_err(err, errlen,
                      "%s: the gcp auth plugin has been removed (from client-go too): install the "
                      "gke-gcloud-auth-plugin credential plugin and let `gcloud container clusters get-credentials` "
                      "write an exec user",
                      where);
    if (!strcmp(name, "azure"))
        return sg_err(err, errlen,
                      "%s: the azure auth plugin has been removed (from client-go too): install the kubelogin "
                      "credential plugin (Azure/kubelogin) and convert the kubeconfig with "
                      "`kubelogin convert-kubeconfig`",
                      where);
    return sg_err(err, errlen, "%s: no auth-provider named '%s' (client-go knows oidc; gcp and azure were replaced "
                               "by exec plugins)",
                  where, name);
}
