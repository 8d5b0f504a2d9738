/*
 * alloc.c - allocation that never returns NULL. Running out of memory ends
 * the process with a message instead of threading an error through every
 * caller (Redis' zmalloc does the same): an admission webhook that cannot
 * allocate cannot answer anyway, and the API server's failurePolicy decides
 * what happens to the request. One policy, so no caller checks for NULL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <scoregate/base.h>

_Noreturn void sg_oom(void)
{
    static const char msg[] = "scoregate: out of memory\n";
    /* write(2), not stdio: stdio may need the memory that ran out. */
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
    abort();
}

void *sg_check_alloc(void *p)
{
    if (!p)
        sg_oom();
    return p;
}

void *sg_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        sg_oom();
    return p;
}

void *sg_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        sg_oom();
    return p;
}

void *sg_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        sg_oom();
    return q;
}

void *sg_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        sg_oom();
    return sg_realloc(p, count * size);
}

char *sg_strdup(const char *s)
{
    return sg_strndup(s, strlen(s));
}

char *sg_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = sg_malloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}
