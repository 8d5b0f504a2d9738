/*
 * file_read.c - a whole file or standard input into memory, bounded. Every
 * loader (manifests, settings, kubeconfigs, tokens, PEM files, inventories)
 * reads through here, so they share one size check and one set of messages
 * ("deploy.yaml: cannot open: No such file or directory").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <scoregate/base.h>

/* Read `f` to its end, at most `max` bytes; `hint` is the expected size. */
static int read_stream(FILE *f, const char *name, size_t max, size_t hint, char **data, size_t *len, char *err,
                       size_t errlen)
{
    size_t cap = (hint < max ? hint : max) + 1, n = 0;
    char *buf = sg_malloc(cap);
    for (;;) {
        if (n == cap) {
            cap = cap > max / 2 ? max + 1 : cap * 2;
            buf = sg_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            free(buf);
            return sg_err(err, errlen, "%s: larger than the limit of %zu bytes", name, max);
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        return sg_err(err, errlen, "%s: cannot read: %s", name, strerror(e ? e : EIO));
    }
    if (n == cap)
        buf = sg_realloc(buf, n + 1);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

const char *sg_file_name(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

int sg_file_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen)
{
    if (!path)
        return sg_err(err, errlen, "no file name given");
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = sg_file_name(path);
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return sg_err(err, errlen, "%s: cannot open: %s", name, strerror(errno));
    size_t hint = 64 * 1024;
    struct stat st;
    if (!is_stdin && fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            return sg_err(err, errlen, "%s: is a directory, not a file", name);
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
            fclose(f);
            return sg_err(err, errlen, "%s: %lld bytes, larger than the limit of %zu bytes", name,
                          (long long)st.st_size, max);
        }
        if (S_ISREG(st.st_mode))
            hint = (size_t)st.st_size;
    }
    int rc = read_stream(f, name, max, hint, data, len, err, errlen);
    if (!is_stdin)
        fclose(f);
    return rc;
}
