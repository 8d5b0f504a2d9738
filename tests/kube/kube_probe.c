/*
 * kube_probe.c - a test driver of the kube module's public API, for
 * test_kube.py: what the client hands its consumer, as JSON lines on stdout.
 *
 *   kube_probe list KUBECONFIG [CR...]   every object of every kind (sg_kube_list, pages of 2)
 *   kube_probe watch KUBECONFIG [CR...]  an informer (pages of 2, 3-second watches, short backoff):
 *                                 {"event": TYPE, "object": ...} and {"synced": bool} lines,
 *                                 until standard input closes; then it stops the informer.
 *
 * Each CR (GROUP/VERSION/RESOURCE/KIND) is one more kind, optional as pod
 * controllers are (its CRD may not be installed; checked again every second).
 * `list` then prints {"notServed": RESOURCE} for one that is not served.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void emit(json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(line);
    pthread_mutex_lock(&out_lock);
    printf("%s\n", text);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    free(text);
}

static int on_listed(void *ctx, const sg_kube_resource *r, json_t *object, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    emit(json_pack("{s:s,s:o}", "resource", r->resource, "object", object));
    return 0;
}

static void on_object(void *ctx, sg_kube_event type, const sg_kube_resource *r, const json_t *object)
{
    (void)ctx;
    emit(json_pack("{s:s,s:s,s:O}", "event", sg_kube_event_name(type), "resource", r->resource, "object", object));
}

static void on_synced(void *ctx, bool synced)
{
    (void)ctx;
    emit(json_pack("{s:b}", "synced", synced));
}

static void on_log(void *ctx, const char *level, const char *message)
{
    (void)ctx;
    fprintf(stderr, "%s: %s\n", level, message);
}

/* The built-in kinds, then the optional custom resources of argv (GROUP/VERSION/RESOURCE/KIND, split in place). */
static sg_kube_resource *kinds(int n_extra, char **extra, size_t *n)
{
    size_t nbuiltin;
    const sg_kube_resource *rs = sg_kube_resources(&nbuiltin);
    sg_kube_resource *all = calloc(nbuiltin + (size_t)n_extra, sizeof *all);
    memcpy(all, rs, nbuiltin * sizeof *all);
    *n = nbuiltin;
    for (int i = 0; i < n_extra; i++) {
        char *parts[4], *save = NULL;
        int k = 0;
        for (char *tok = strtok_r(extra[i], "/", &save); tok && k < 4; tok = strtok_r(NULL, "/", &save))
            parts[k++] = tok;
        if (k == 4)
            all[(*n)++] = (sg_kube_resource){parts[0], parts[1], parts[2], parts[3], false, true};
    }
    return all;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "watch"))) {
        fprintf(stderr, "usage: kube_probe list|watch KUBECONFIG [GROUP/VERSION/RESOURCE/KIND...]\n");
        return 2;
    }
    char err[512];
    sg_kube_config *c;
    if (sg_kube_config_from_kubeconfig(argv[2], NULL, &c, err, sizeof err) < 0) {
        fprintf(stderr, "kube_probe: %s\n", err);
        return 2;
    }
    int status = 0;
    size_t n;
    sg_kube_resource *rs = kinds(argc - 3, argv + 3, &n);
    if (!strcmp(argv[1], "list")) {
        for (size_t i = 0; i < n && !status; i++) {
            int rc = sg_kube_list(c, &rs[i], 2, on_listed, NULL, NULL, err, sizeof err);
            if (rc < 0) {
                fprintf(stderr, "kube_probe: %s\n", err);
                status = 1;
            } else if (rc > 0) {
                emit(json_pack("{s:s}", "notServed", rs[i].resource));
            }
        }
    } else {
        sg_kube_informer_options o;
        sg_kube_informer_options_init(&o);
        o.page_size = 2;
        o.backoff_initial = 0.1;
        o.backoff_max = 1;
        o.watch_timeout = 3;
        o.resources = rs;
        o.nresources = n;
        o.not_served_recheck = 1;
        sg_kube_handler h = {on_object, on_synced, on_log, NULL};
        sg_kube_informer *inf;
        if (sg_kube_informer_start(c, &o, &h, &inf, err, sizeof err) < 0) {
            fprintf(stderr, "kube_probe: %s\n", err);
            status = 1;
        } else {
            char buf[256];
            while (fgets(buf, sizeof buf, stdin)) {
                if (!strncmp(buf, "relist", 6))
                    sg_kube_informer_relist(inf);
                if (!strncmp(buf, "stats", 5)) {
                    sg_kube_stats st;
                    sg_kube_informer_stats(inf, &st);
                    emit(json_pack("{s:{s:b,s:I,s:I,s:I,s:I}}", "stats", "synced", st.synced, "relists",
                                   (json_int_t)st.relists, "errors", (json_int_t)st.errors, "bookmarks",
                                   (json_int_t)st.events[SG_KUBE_BOOKMARK], "lastSync", (json_int_t)st.last_sync));
                }
            }
            sg_kube_informer_stop(inf);
        }
    }
    sg_kube_config_free(c);
    free(rs);
    return status;
}
