/*
 * crash_shim.c - an LD_PRELOAD library for test_fix.py (not a test by
 * itself): it kills the process (SIGKILL, nothing is cleaned up) at a chosen
 * point of a file replacement, so the test sees what a crash there leaves.
 * SG_CRASH_AT=write: after half of the first write to a file (fd > 2) of
 * more than one byte; SG_CRASH_AT=rename: before the rename of the
 * temporary file over the original.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int crash_at(const char *point)
{
    const char *at = getenv("SG_CRASH_AT");
    return at && !strcmp(at, point);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*real)(int, const void *, size_t) = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (fd > 2 && n > 1 && crash_at("write")) {
        real(fd, buf, n / 2);
        raise(SIGKILL);
    }
    return real(fd, buf, n);
}

int rename(const char *from, const char *to)
{
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (crash_at("rename"))
        raise(SIGKILL);
    return real(from, to);
}
