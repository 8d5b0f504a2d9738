/*
 * fuzz_kube.c - libFuzzer target for what the kube module parses: kubeconfig
 * files (one, or two merged as KUBECONFIG=a:b), list pages and watch event
 * lines from the API server, and base64 *-data fields.
 *
 * The first byte picks the parser; the rest is its input:
 *  - 0: one kubeconfig file;  1: two kubeconfig files, split at the first NUL;
 *  - 2: a list page body;     3: a watch event line;   4: base64 text.
 * Every failure must come with a message; a parsed list item or watch object
 * of kind Secret must come out of kb_object_clean() without data, stringData
 * or the last-applied-configuration annotation.
 *
 * Kubeconfig files are written into a private temporary directory, so
 * relative file names resolve there (to nothing). Inputs naming /dev, /proc
 * or /sys are skipped: a tokenFile of /dev/stdin would block the fuzzer, not
 * the product (a kubeconfig is the operator's own file).
 * Seeds: tests/fuzz/corpus/kube/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <scoregate/kube_testing.h>

static char dir[64];

static const char *workdir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/sg-fuzz-kube-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f))
        abort();
}

static void kubeconfig(const uint8_t *data, size_t size, bool two)
{
    static const char *const forbidden[] = {"/dev", "/proc", "/sys"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (memmem(data, size, forbidden[i], strlen(forbidden[i])))
            return;
    char a[128], b[128], paths[300];
    snprintf(a, sizeof a, "%s/config", workdir());
    snprintf(b, sizeof b, "%s/second", workdir());
    const uint8_t *cut = two ? memchr(data, '\0', size) : NULL;
    if (cut) {
        write_file(a, data, (size_t)(cut - data));
        write_file(b, cut + 1, size - (size_t)(cut - data) - 1);
        snprintf(paths, sizeof paths, "%s:%s", a, b);
    } else {
        write_file(a, data, size);
        snprintf(paths, sizeof paths, "%s", a);
    }
    sg_kube_config *c = NULL;
    char err[SG_ERRMAX] = "";
    if (sg_kube_config_from_kubeconfig(paths, NULL, &c, err, sizeof err) == 0) {
        const char *server = sg_kube_config_server(c);
        if (!server || (strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) || !sg_kube_config_source(c))
            abort();
        sg_kube_config_free(c);
    } else if (!err[0] || c) {
        abort();
    }
}

/* A Secret handed on must hold no values. */
static void check_clean(const sg_kube_resource *r, json_t *object)
{
    kb_object_clean(r, object);
    if (!json_is_object(object))
        return;
    if (strcmp(json_string_value(json_object_get(object, "kind")), r->kind))
        abort();
    if (!strcmp(r->kind, "Secret") &&
        (json_object_get(object, "data") || json_object_get(object, "stringData") ||
         json_object_get(json_object_get(json_object_get(object, "metadata"), "annotations"),
                         "kubectl.kubernetes.io/last-applied-configuration")))
        abort();
}

static const sg_kube_resource *resource_of(uint8_t pick)
{
    size_t n;
    const sg_kube_resource *all = sg_kube_resources(&n);
    return &all[pick % n];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (256u << 10))
        return 0;
    uint8_t mode = data[0] % 5;
    const sg_kube_resource *r = resource_of(data[1]);
    char err[SG_ERRMAX] = "";
    switch (mode) {
    case 0:
    case 1:
        kubeconfig(data + 1, size - 1, mode == 1);
        break;
    case 2: {
        kb_page page;
        if (kb_page_parse(r, (const char *)data + 2, size - 2, &page, err, sizeof err) == 0) {
            if (!page.resource_version || !*page.resource_version)
                abort();
            for (size_t i = 0; i < page.nitems; i++) {
                json_t *item = kb_page_item(&page, i);
                if (!item)
                    abort();
                check_clean(r, item);
                json_decref(item);
            }
            kb_page_free(&page);
        } else if (!err[0] || page.root) {
            abort();
        }
        break;
    }
    case 3: {
        kb_event ev;
        if (kb_event_parse((const char *)data + 2, size - 2, &ev, err, sizeof err) == 0) {
            if (ev.type == SG_KUBE_ERROR ? !ev.message : (!ev.resource_version || !json_is_object(ev.object)))
                abort();
            if (ev.type != SG_KUBE_ERROR)
                check_clean(r, ev.object);
            kb_event_free(&ev);
        } else if (!err[0] || ev.root) {
            abort();
        }
        break;
    }
    default: {
        char *text = malloc(size);
        if (!text)
            abort();
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        unsigned char *out = NULL;
        size_t len = 0;
        if (sg_base64_decode(text, strlen(text), &out, &len) == 0) {
            if (len > strlen(text) / 4 * 3 + 2)
                abort();
            free(out);
        }
        free(text);
        break;
    }
    }
    return 0;
}
