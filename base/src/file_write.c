/*
 * file_write.c - crash-safe file replacement and mkdir -p, for the saved
 * inventory and certificate directories. A server may read a file at any
 * moment (an inventory at start, tls.crt/tls.key on reload) and the process
 * may die at any moment, so a file is never rewritten in place: the new
 * content goes to a temporary file in the same directory, which is synced and
 * then renamed over the old one (rename is atomic), and the directory is
 * synced so the rename itself survives a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scoregate/base.h>

#define TMP_SUFFIX ".tmp."
#define TMP_RANDOM 6    /* the XXXXXX of mkstemp */

/* The directory of `path` (a new string: "." when it has none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return sg_strdup(".");
    return sg_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) ? -1 : 0;
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Remove "<base>.tmp.XXXXXX" files in `dir` that interrupted writes left.
 * Best effort: what cannot be removed stays. */
static void remove_leftovers(const char *dir, const char *base)
{
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strlen(e->d_name) == blen + strlen(TMP_SUFFIX) + TMP_RANDOM && !strncmp(e->d_name, base, blen) &&
            !strncmp(e->d_name + blen, TMP_SUFFIX, strlen(TMP_SUFFIX)))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

/*
 * Write `data` to the new file `fd` (named `tmp`) with `mode` and move it
 * over `path`. Returns NULL, or the step that failed (errno says why).
 * Closes fd; on failure before the rename, removes tmp.
 */
static const char *replace(int fd, const char *tmp, const char *path, const char *dir, const void *data,
                           size_t len, unsigned mode)
{
    const char *step = NULL;
    if (fchmod(fd, (mode_t)mode))
        step = "setting its mode";
    else if (write_all(fd, data, len))
        step = "writing";
    else if (fsync(fd))
        step = "syncing";
    int saved = errno;
    if (close(fd) && !step) {
        saved = errno;
        step = "closing";
    }
    if (!step && rename(tmp, path)) {
        saved = errno;
        step = "renaming";
    }
    if (step) {
        unlink(tmp);
        errno = saved;
        return step;
    }
    return sync_dir(dir) ? "syncing its directory" : NULL;
}

int sg_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
                         size_t errlen)
{
    char *dir = dir_of(path);
    const char *slash = strrchr(path, '/');
    remove_leftovers(dir, slash ? slash + 1 : path);
    size_t tlen = strlen(path) + sizeof TMP_SUFFIX + TMP_RANDOM;
    char *tmp = sg_malloc(tlen);
    snprintf(tmp, tlen, "%s" TMP_SUFFIX "XXXXXX", path);
    int fd = mkstemp(tmp);
    const char *step = fd < 0 ? "creating a temporary file" : replace(fd, tmp, path, dir, data, len, mode);
    int rc = step ? sg_err(err, errlen, "%s: %s: %s", path, step, strerror(errno)) : 0;
    free(tmp);
    free(dir);
    return rc;
}

int sg_mkdirs(const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    if (n == 0)
        return sg_err(err, errlen, "no directory name given");
    char *path = sg_strdup(dir);
    int rc = 0;
    for (size_t i = 1; i <= n && rc == 0; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            rc = sg_err(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
        path[i] = c;
    }
    free(path);
    struct stat st;
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = sg_err(err, errlen, "%s: not a directory", dir);
    return rc;
}
