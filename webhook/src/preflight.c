/*
 * preflight.c - everything `serve` can check before it writes anything: the
 * listen address, that the state directory is (or can be made) a writable
 * directory, the serving certificate files when the settings name them, the
 * client CA, and the inventory sync's connection. A mistake in any of them is
 * a usage error that leaves no state directory or generated certificate
 * behind. What can only be known by trying (a port in use) is found by
 * binding first, before anything is written (sg_webhook_serve).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scoregate/certs.h>

#include "internal.h"

/* The state directory exists as a writable directory, or its nearest existing ancestor lets it be created. */
static int check_state_dir(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(err, errlen, "state directory path is too long: %s", dir);
        return -1;
    }
    for (;;) {
        struct stat st;
        bool self = !strcmp(path, dir);
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                if (self)
                    snprintf(err, errlen, "state directory %s is not a directory", dir);
                else
                    snprintf(err, errlen, "state directory %s cannot be created: %s is not a directory", dir, path);
                return -1;
            }
            if (access(path, W_OK | X_OK) < 0) {
                if (self)
                    snprintf(err, errlen, "state directory %s is not writable: %s", dir, strerror(errno));
                else
                    snprintf(err, errlen, "state directory %s cannot be created in %s: %s", dir, path,
                             strerror(errno));
                return -1;
            }
            return 0;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(err, errlen, "state directory %s: %s: %s", dir, path, strerror(errno));
            return -1;
        }
        char *slash = strrchr(path, '/');
        while (slash && slash > path && slash[1] == '\0') {
            *slash = '\0';
            slash = strrchr(path, '/');
        }
        if (!slash)
            snprintf(path, sizeof path, ".");
        else if (slash == path)
            path[1] = '\0';
        else
            *slash = '\0';
    }
}

/* The largest client CA bundle read (server.tls.clientCAFile). */
#define CLIENT_CA_MAX ((size_t)4 << 20)

/* Read server.tls.clientCAFile (PEM certificates, at most CLIENT_CA_MAX bytes) into w->client_ca. */
static int read_client_ca(sg_webhook *w, const char *path, char *err, size_t errlen)
{
    char *data, why[SG_ERRMAX];
    size_t len;
    if (sg_file_read(path, CLIENT_CA_MAX, &data, &len, why, sizeof why) < 0) {
        snprintf(err, errlen, "server.tls.clientCAFile: %s", why);
        return -1;
    }
    if (!strstr(data, "-----BEGIN CERTIFICATE-----")) {
        snprintf(err, errlen, "server.tls.clientCAFile %s holds no PEM certificate", path);
        free(data);
        return -1;
    }
    w->client_ca = data;
    return 0;
}

int wh_preflight(sg_webhook *w, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool any;
    if (wh_address_parse(w->address, &ss, &len, &any, err, errlen) < 0)
        return -1;
    const wh_settings *settings = &w->snap->server;
    if ((w->opts.persist || !settings->cert_file) && check_state_dir(w->state_dir, err, errlen) < 0)
        return -1;
    if (settings->cert_file) {
        sg_certs_pair pair;
        char cerr[SG_ERRMAX];
        if (sg_certs_load_pair(settings->cert_file, settings->key_file, time(NULL), &pair, cerr, sizeof cerr) < 0) {
            snprintf(err, errlen, "server.tls: %s", cerr);
            return -1;
        }
        sg_certs_pair_free(&pair);
    }
    const char *ca = settings->client_ca_file;
    if (ca && *ca && read_client_ca(w, ca, err, errlen) < 0)
        return -1;
    return wh_sync_new(w, err, errlen) < 0 ? -1 : wh_dashboard_preflight(w, err, errlen);
}
