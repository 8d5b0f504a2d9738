/*
 * hash.c - FNV-1a, 64 bits: the hash of inventory keys, parameter
 * fingerprints, saved-file checksums, line-map and anchor tables and SARIF
 * fingerprints. Saved inventories and published fingerprints depend on its
 * exact value, so there is one copy.
 */
#include <scoregate/base.h>

#define FNV1A_PRIME 0x100000001b3ULL

uint64_t sg_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV1A_PRIME;
    }
    return h;
}

uint64_t sg_fnv1a_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        h ^= *p;
        h *= FNV1A_PRIME;
    }
    return h;
}
