/*
 * util.c - the two helpers every file of the module uses: writing an error
 * message in the module's convention, and the FNV-1a hash (keys, parameter
 * fingerprints and the checksum of saved files).
 */
#include <stdio.h>

#include "internal.h"

int sg__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

uint64_t sg__fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
