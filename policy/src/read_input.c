/*
 * read_input.c - read a whole file or standard input, for every loader of the
 * policy module (manifests, settings), with the same size limit and the same
 * messages ("deploy.yaml: cannot open: No such file or directory").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal_io.h"

/* Read a whole stream, refusing more than SG_MAX_INPUT bytes. */
static int read_stream(FILE *f, const char *name, char **data, size_t *len, char *err, size_t errlen)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap > SG_MAX_INPUT) {
                free(buf);
                snprintf(err, errlen, "%s: larger than the limit of %u bytes", name,
                         (unsigned)SG_MAX_INPUT);
                return -1;
            }
            cap *= 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                snprintf(err, errlen, "%s: out of memory", name);
                return -1;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                snprintf(err, errlen, "%s: cannot read: %s", name, strerror(e ? e : EIO));
                return -1;
            }
            break;
        }
    }
    if (n > SG_MAX_INPUT) {
        free(buf);
        snprintf(err, errlen, "%s: larger than the limit of %u bytes", name, (unsigned)SG_MAX_INPUT);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

int sg_read_input(const char *path, const char **name_out, char **data, size_t *len, char *err, size_t errlen)
{
    if (!path) {
        snprintf(err, errlen, "no manifest path given");
        return -1;
    }
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    *name_out = name;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        return -1;
    }
    struct stat st;
    if (!is_stdin && fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            snprintf(err, errlen, "%s: is a directory, not a manifest file", name);
            return -1;
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > SG_MAX_INPUT) {
            fclose(f);
            snprintf(err, errlen, "%s: %lld bytes, larger than the limit of %u bytes", name,
                     (long long)st.st_size, (unsigned)SG_MAX_INPUT);
            return -1;
        }
    }
    int rc = read_stream(f, name, data, len, err, errlen);
    if (!is_stdin)
        fclose(f);
    return rc;
}
