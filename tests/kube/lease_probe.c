/*
 * lease_probe.c - a test driver of the kube module's single-object calls and
 * leader election, for test_lease.py (not a test by itself). Output is JSON
 * lines on stdout.
 *
 *   lease_probe elect KUBECONFIG NS NAME IDENTITY DURATION RENEW RETRY
 *       rounds every RETRY seconds; a line {"leading", "holder", "rc"} at
 *       every change; when standard input closes, releases the lease and
 *       prints {"released": rc}.
 *   lease_probe write KUBECONFIG NS NAME KEY VALUE [stale]
 *       sets data[KEY] = VALUE (@FILE: the file's content) in ConfigMap NAME, keeping its other keys
 *       (sg_kube_write). With "stale": reads it first, prints {"read": rv},
 *       waits for a line on standard input, then writes from what it read.
 *       Prints {"rc", "error", "object", "builds"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <scoregate/kube.h>

static void emit(json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(line);
    printf("%s\n", text);
    fflush(stdout);
    free(text);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether standard input closed, waiting at most `seconds` for it. */
static int stdin_closed(double seconds)
{
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(0, &fds);
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6)};
    if (select(1, &fds, NULL, NULL, &tv) <= 0)
        return 0;
    char buf[256];
    return read(0, buf, sizeof buf) <= 0;
}

static int elect(sg_kube_config *c, char **argv)
{
    sg_kube_lease_options o = {argv[3], argv[4], argv[5], (unsigned)atoi(argv[6]), (unsigned)atoi(argv[7]),
                               (unsigned)atoi(argv[8])};
    sg_kube_elector *e;
    char err[512];
    if (sg_kube_elector_new(c, &o, &e, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int last_leading = -1, last_rc = 2;
    char last_holder[256] = "\x01";
    for (;;) {
        double t = now();
        int rc = sg_kube_elector_try(e, t, err, sizeof err);
        int leading = sg_kube_elector_leading(e, t);
        if (leading != last_leading || strcmp(last_holder, sg_kube_elector_holder(e)) || (rc < 0) != (last_rc < 0)) {
            emit(json_pack("{s:b,s:s,s:i,s:s}", "leading", leading, "holder", sg_kube_elector_holder(e), "rc", rc,
                           "error", rc < 0 ? err : ""));
            last_leading = leading;
            last_rc = rc;
            snprintf(last_holder, sizeof last_holder, "%s", sg_kube_elector_holder(e));
        }
        if (stdin_closed(sg_kube_elector_retry_period(e)))
            break;
    }
    int rc = sg_kube_elector_release(e, err, sizeof err);
    emit(json_pack("{s:i,s:s}", "released", rc, "error", rc < 0 ? err : ""));
    sg_kube_elector_free(e);
    return 0;
}

typedef struct write_ctx {
    const char *key, *value;
    int builds;
} write_ctx;

static int build(void *ctx, const json_t *current, json_t **out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    write_ctx *w = ctx;
    w->builds++;
    json_t *data = json_deep_copy(json_object_get(current, "data"));
    if (!json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    json_object_set_new(data, w->key, json_string(w->value));
    *out = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ConfigMap", "data", data);
    return 0;
}

static const sg_kube_resource configmaps = {"", "v1", "configmaps", "ConfigMap", false, false};

/* VALUE, or the content of FILE for @FILE (malloc'd). */
static char *value_of(const char *arg)
{
    if (arg[0] != '@')
        return strdup(arg);
    FILE *f = fopen(arg + 1, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, out);
    fclose(out);
    fclose(f);
    return data;
}

static int write_cmd(sg_kube_config *c, int argc, char **argv)
{
    char *value = value_of(argv[6]);
    if (!value)
        return 2;
    write_ctx w = {argv[5], value, 0};
    json_t *known = NULL, *stored = NULL;
    char err[512] = "";
    if (argc == 8) {
        int rc = sg_kube_get(c, &configmaps, argv[3], argv[4], &known, err, sizeof err);
        const json_t *rv = json_object_get(json_object_get(known, "metadata"), "resourceVersion");
        emit(json_pack("{s:s?,s:i}", "read", json_string_value(rv), "rc", rc));
        char line[64];
        if (!fgets(line, sizeof line, stdin))
            return 2;
    }
    int rc = sg_kube_write(c, &configmaps, argv[3], argv[4], known, build, &w, &stored, err, sizeof err);
    emit(json_pack("{s:i,s:s,s:o?,s:i}", "rc", rc, "error", rc < 0 ? err : "", "object", stored, "builds", w.builds));
    json_decref(known);
    free(value);
    return 0;
}

int main(int argc, char **argv)
{
    bool is_elect = argc == 9 && !strcmp(argv[1], "elect");
    bool is_write = (argc == 7 || (argc == 8 && !strcmp(argv[7], "stale"))) && !strcmp(argv[1], "write");
    if (!is_elect && !is_write) {
        fprintf(stderr, "usage: lease_probe elect KUBECONFIG NS NAME IDENTITY DURATION RENEW RETRY\n"
                        "       lease_probe write KUBECONFIG NS NAME KEY VALUE [stale]\n");
        return 2;
    }
    sg_kube_config *c;
    char err[512];
    if (sg_kube_config_from_kubeconfig(argv[2], NULL, &c, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int rc = is_elect ? elect(c, argv) : write_cmd(c, argc, argv);
    sg_kube_config_free(c);
    return rc;
}
