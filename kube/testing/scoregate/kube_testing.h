/*
 * scoregate/kube_testing.h - for tests and fuzz targets only: the parsers of
 * the kube module without a network or a plugin run (a credential plugin's
 * `exec` mapping and its ExecCredential answer, KUBERNETES_EXEC_INFO, an
 * `auth-provider`, a JWT's expiry, list pages, watch lines, the clean-up of
 * what is handed on) and the credentials one request gets (when a plugin runs
 * again). For tests/fuzz/fuzz_kube*.c and tests/kube/test_kube_exec.c. Not
 * API: only tests link sg_kube_testing, and the names carry kube's internal
 * prefix. kube/src/internal.h includes it, so there is one declaration.
 */
#ifndef SCOREGATE_KUBE_TESTING_H
#define SCOREGATE_KUBE_TESTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <scoregate/base.h>
#include <scoregate/kube.h>

/* ------------------------------------------------------------------ */
/* Credential plugins (exec.c) and auth providers (auth_provider.c).   */
/* ------------------------------------------------------------------ */

/* A user's client-go credential plugin (client.authentication.k8s.io), as the kubeconfig declares it. */
typedef enum kb_interactive { KB_INTERACTIVE_NEVER, KB_INTERACTIVE_IF_AVAILABLE, KB_INTERACTIVE_ALWAYS } kb_interactive;

typedef struct kb_exec {
    char *where;                 /* "kubeconfig FILE: user 'NAME'", for messages */
    char *api_version;           /* client.authentication.k8s.io/v1 or /v1beta1 */
    char **argv;                 /* the command (relative to the kubeconfig when it holds a '/'), args, NULL */
    char **env;                  /* extra "NAME=value" entries, NULL-terminated */
    kb_interactive interactive;
    char *install_hint;          /* or NULL */
    json_t *cluster;             /* spec.cluster for KUBERNETES_EXEC_INFO (provideClusterInfo), or NULL */
} kb_exec;

/* What a plugin answered (status of its ExecCredential). */
typedef struct kb_exec_result {
    char *token;                 /* bearer token, or NULL */
    char *cert, *key;            /* PEM client certificate and key, both or neither */
    time_t expires;              /* expirationTimestamp; 0: none */
} kb_exec_result;

/*
 * Read a user's `exec` mapping (`where` names the user for messages, `dir`
 * is the kubeconfig's directory) with clientcmd's validation: command and
 * apiVersion required, a known apiVersion, env entries with names,
 * interactiveMode required for v1 (IfAvailable by default for v1beta1).
 */
int kb_exec_parse(const json_t *exec, const char *dir, const char *where, kb_exec **out, char *err, size_t errlen);
/* Set spec.cluster from the connection and the kubeconfig's cluster mapping (its
 * client.authentication.k8s.io/exec extension becomes `config`); reads the CA file. */
int kb_exec_cluster_info(kb_exec *x, const sg_kube_config *c, const json_t *cluster, char *err, size_t errlen);
void kb_exec_free(kb_exec *x);
/* The KUBERNETES_EXEC_INFO value: an ExecCredential with spec only (malloc'd JSON). */
char *kb_exec_info(const kb_exec *x, bool interactive);
/* Decode a plugin's standard output: an ExecCredential of x's apiVersion with a status. */
int kb_exec_decode(const kb_exec *x, const char *out, size_t len, kb_exec_result *r, char *err, size_t errlen);
void kb_exec_result_clear(kb_exec_result *r);

/*
 * A user's legacy `auth-provider`. Only oidc can be honoured without a
 * network call of its own: its id-token is the bearer token while the
 * token's `exp` claim (*expires) is more than KB_OIDC_EXPIRY_DELTA seconds
 * ahead. gcp and azure (removed from
 * client-go) and others are errors naming what replaces them.
 */
int kb_auth_provider(const json_t *ap, const char *where, char **token, time_t *expires, char *err, size_t errlen);
/* The `exp` claim of a JWT (header.payload.signature, base64url, unverified). */
int kb_jwt_expiry(const char *jwt, time_t *exp, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Credentials of one request (credentials.c).                         */
/* ------------------------------------------------------------------ */

/* Bytes from a file or inline data (exactly one of them, or neither). */
typedef struct kb_material {
    char *file;
    unsigned char *data;
    size_t len;
} kb_material;

/* The credentials of one request: copies, cleared by kb_auth_clear(). */
typedef struct kb_auth {
    char *token;                 /* bearer token, or NULL */
    kb_material cert, key;       /* a plugin's client certificate and key (data), or empty */
    unsigned long gen;           /* the generation they belong to, for kb_config_rejected() */
} kb_auth;

/*
 * The credentials for the next request. A token file is re-read when its
 * mtime or inode changed, when KB_TOKEN_REREAD seconds passed, or after a 401
 * (one that cannot be read keeps the last token and fails only when there is
 * none yet). A plugin runs when there is no answer yet, when its answer's
 * expirationTimestamp has passed, or after a 401 (client-go's exec
 * authenticator); one run serves every request until then. An oidc id-token
 * that expired is an error. No credentials: a->token NULL, success.
 */
int kb_config_auth(sg_kube_config *c, kb_auth *a, char *err, size_t errlen);
void kb_auth_clear(kb_auth *a);
/* The API server answered 401 to credentials of generation `gen`: unless they
 * changed since, read the token file again or run the plugin before the next request. */
void kb_config_rejected(sg_kube_config *c, unsigned long gen);

/* ------------------------------------------------------------------ */
/* Objects (sanitize.c), list pages (list.c), watch lines (watch.c).  */
/* ------------------------------------------------------------------ */

/*
 * Make a listed or watched object fit to hand on: set apiVersion and kind
 * (list items carry neither), drop metadata.managedFields, and for Secrets
 * drop data, stringData and the last-applied-configuration annotation.
 */
void kb_object_clean(const sg_kube_resource *r, json_t *object);

/* A parsed list page: the whole body validated, its envelope built (root, without items), and where its
 * items are in the body (which must outlive the page): kb_page_item builds one at a time, so that a page
 * of 500 objects never has more than one object's tree in memory. */
struct sg_json_split;
typedef struct kb_page {
    json_t *root;
    size_t nitems;
    const char *body;
    struct sg_json_split *items;  /* owned */
    const char *resource_version;
    const char *continue_token;  /* NULL or "" on the last page */
} kb_page;

/* Parse a list response body; errors name the resource. */
int kb_page_parse(const sg_kube_resource *r, const char *body, size_t len, kb_page *page, char *err,
                  size_t errlen);
/* Item i (< nitems) of a parsed page, a new reference (any JSON type), managedFields left out. */
json_t *kb_page_item(const kb_page *page, size_t i);
void kb_page_free(kb_page *page);

/* One decoded watch event line. */
typedef struct kb_event {
    json_t *root;                /* owned */
    sg_kube_event type;
    json_t *object;              /* borrowed from root */
    const char *resource_version;/* of the object (for ERROR: NULL) */
    long code;                   /* ERROR: the Status code (410 for Gone), else 0 */
    const char *message;         /* ERROR: the Status message, or "" */
} kb_event;

int kb_event_parse(const char *line, size_t len, kb_event *ev, char *err, size_t errlen);
void kb_event_free(kb_event *ev);

#endif
