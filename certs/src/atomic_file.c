/*
 * atomic_file.c - crash-safe file writes for certificate directories.
 * A server may read tls.crt/tls.key at any moment (at start, on reload), so
 * each file is replaced in one rename: write a temporary file in the same
 * directory with its final mode, fsync it, rename it over the target, fsync
 * the directory. Keys never exist on disk with a looser mode than 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int sgc_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int sgc_mkdirs(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path)
        return sgc_fail(err, errlen, "%s: invalid directory name", dir);
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return sgc_fail(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sgc_fail(err, errlen, "%s: not a directory", dir);
    return 0;
}

/* write() all of buf, retrying on short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int sgc_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                     unsigned mode, char *err, size_t errlen)
{
    char target[4096], tmp[4096];
    if (sgc_join(target, sizeof target, dir, name) ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp)
        return sgc_fail(err, errlen, "%s: path too long", dir);

    int fd = mkstemp(tmp);
    if (fd < 0)
        return sgc_fail(err, errlen, "%s: cannot create temporary file: %s", target, strerror(errno));
    int rc = -1;
    if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        sgc_fail(err, errlen, "%s: cannot write: %s", target, strerror(errno));
        close(fd);
        goto done;
    }
    if (close(fd) != 0) {
        sgc_fail(err, errlen, "%s: cannot write: %s", target, strerror(errno));
        goto done;
    }
    if (rename(tmp, target) != 0) {
        sgc_fail(err, errlen, "%s: cannot replace: %s", target, strerror(errno));
        goto done;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fsync(dfd) != 0) {
        sgc_fail(err, errlen, "%s: cannot sync directory: %s", dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    close(dfd);
    return 0;
done:
    unlink(tmp);
    return rc;
}
