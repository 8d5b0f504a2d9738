/*
 * base64.c - standard base64 decoding, for the *-data fields of a kubeconfig
 * (certificate-authority-data, client-certificate-data, client-key-data).
 */
#include <stdlib.h>

#include "internal.h"

static int value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int kb_base64_decode(const char *in, unsigned char **out, size_t *outlen)
{
    size_t n = 0;
    for (const char *p = in; *p; p++)
        n++;
    unsigned char *buf = malloc(n / 4 * 3 + 4);
    if (!buf)
        return -1;
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            continue;
        if (*p == '=') {
            pad++;
            continue;
        }
        int v = value(*p);
        if (v < 0 || pad) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (bits >= 6 || pad > 2) {
        free(buf);
        return -1;
    }
    buf[len] = 0;
    *out = buf;
    *outlen = len;
    return 0;
}
