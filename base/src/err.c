/*
 * err.c - the one way an error message is written (see base.h: `err` is
 * never NULL, always NUL-terminated).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include <scoregate/base.h>

int sg_err(char *err, size_t errlen, const char *fmt, ...)
{
    assert(err && errlen);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}
