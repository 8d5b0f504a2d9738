/*
 * credentials.c - what authenticates the next request, and when to get it
 * again.
 *
 *  - A token file is re-read when it changes (the kubelet replaces a projected
 *    token long before it expires, so a file that changed is read again; a
 *    minute's re-read and a re-read after a 401 cover clocks and missed
 *    changes).
 *  - An exec plugin runs once and its answer serves every request until its
 *    expirationTimestamp passes or the API server answers 401 to it; then it
 *    runs again before the next request (client-go's exec authenticator: a
 *    401 to credentials that were already replaced runs nothing). A run that
 *    failed is not repeated for KB_EXEC_RETRY seconds.
 *  - An oidc id-token serves until its exp claim.
 * Every change bumps a generation number, so that a 401 to older credentials
 * does not throw away newer ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define MAX_TOKEN (64u << 10)

static void wipe(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

void kb_config_free_credentials(sg_kube_config *c)
{
    free(c->token_file);
    wipe(c->token);
    free(c->token_owner);
    kb_exec_free(c->exec);
    kb_exec_result_clear(&c->cred);
}

/* Read the token file into c->token (lock held). */
static int reread_token(sg_kube_config *c, const struct stat *st, time_t now, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (sg_file_read(c->token_file, MAX_TOKEN, &data, &len, err, errlen) < 0)
        return -1;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
        data[--len] = '\0';
    if (!len || strpbrk(data, "\r\n")) {
        free(data);
        return sg_err(err, errlen, "the token file %s is empty or holds more than one line", c->token_file);
    }
    if (!c->token || strcmp(c->token, data))
        c->cred_gen++;
    wipe(c->token);
    c->token = data;
    c->token_mtime = st->st_mtim;
    c->token_ino = st->st_ino;
    c->token_read_at = now;
    c->token_stale = false;
    return 0;
}

/* The token file's token, re-read when due (lock held). */
static int file_token(sg_kube_config *c, char *err, size_t errlen)
{
    struct stat st;
    time_t now = time(NULL);
    if (stat(c->token_file, &st) < 0) {
        if (!c->token)
            return sg_err(err, errlen, "cannot read the token file %s: %s", c->token_file, strerror(errno));
        return 0;
    }
    if (c->token && !c->token_stale && st.st_ino == c->token_ino && st.st_mtim.tv_sec == c->token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == c->token_mtime.tv_nsec && now - c->token_read_at < KB_TOKEN_REREAD)
        return 0;
    char rerr[SG_ERRMAX];
    if (reread_token(c, &st, now, rerr, sizeof rerr) < 0 && !c->token)
        return sg_err(err, errlen, "%s", rerr);
    return 0;
}

/* The plugin's answer, from a new run when there is none, it expired or it was rejected (lock held).
 * A run that failed is not repeated for KB_EXEC_RETRY seconds: the informer's kinds would otherwise
 * each run a broken (or hanging) plugin in turn. */
static int plugin_credentials(sg_kube_config *c, char *err, size_t errlen)
{
    time_t now = time(NULL);
    if (c->cred_valid && (!c->cred.expires || now < c->cred.expires))
        return 0;
    if (c->exec_failed_at && now - c->exec_failed_at < KB_EXEC_RETRY)
        return sg_err(err, errlen, "%s", c->exec_error);
    kb_exec_result r;
    if (kb_exec_run(c->exec, &r, c->exec_error, sizeof c->exec_error) < 0) {
        c->exec_failed_at = time(NULL);
        return sg_err(err, errlen, "%s", c->exec_error);
    }
    c->exec_failed_at = 0;
    kb_exec_result_clear(&c->cred);
    c->cred = r;
    c->cred_valid = true;
    c->cred_gen++;
    return 0;
}

static void copy_pem(kb_material *m, const char *pem)
{
    if (!pem)
        return;
    m->len = strlen(pem);
    m->data = (unsigned char *)sg_strdup(pem);
}

int kb_config_auth(sg_kube_config *c, kb_auth *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (c->token_file) {
        rc = file_token(c, err, errlen);
    } else if (c->exec) {
        rc = plugin_credentials(c, err, errlen);
    } else if (c->token_expires && time(NULL) + KB_OIDC_EXPIRY_DELTA >= c->token_expires) {
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&c->token_expires, &(struct tm){0}));
        rc = sg_err(err, errlen,
                    "%s: the oidc id-token expired at %s; scoregate does not refresh it: run any kubectl command "
                    "with this user to refresh it, or switch the user to an exec plugin such as kubelogin",
                    c->token_owner ? c->token_owner : "kubeconfig", when);
    }
    if (rc == 0) {
        const char *token = c->exec ? c->cred.token : c->token;
        a->token = token ? sg_strdup(token) : NULL;
        if (c->exec) {
            copy_pem(&a->cert, c->cred.cert);
            copy_pem(&a->key, c->cred.key);
        }
        a->gen = c->cred_gen;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void kb_auth_clear(kb_auth *a)
{
    wipe(a->token);
    free(a->cert.data);
    if (a->key.data)
        memset(a->key.data, 0, a->key.len);
    free(a->key.data);
    memset(a, 0, sizeof *a);
}

void kb_config_rejected(sg_kube_config *c, unsigned long gen)
{
    pthread_mutex_lock(&c->lock);
    if (gen == c->cred_gen) {
        c->token_stale = true;
        c->cred_valid = false;
    }
    pthread_mutex_unlock(&c->lock);
}
