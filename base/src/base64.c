/*
 * base64.c - RFC 4648 base64 with the standard alphabet: encoding for the
 * JSON Patch of an AdmissionReview response and the CA bundle of a
 * certificate directory, decoding for the *-data fields of a kubeconfig.
 */
#include <stdlib.h>

#include <scoregate/base.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sg_base64_encode(const void *data, size_t len, size_t *outlen)
{
    const unsigned char *in = data;
    char *out = sg_malloc((len + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

static int value_of(unsigned char ch)
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

static bool is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

int sg_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = sg_malloc(len / 4 * 3 + 4);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (is_space(ch))
            continue;
        if (ch == '=') {
            if (++pad > 2)
                goto bad;
            continue;
        }
        int v = value_of(ch);
        if (v < 0 || pad)   /* nothing but padding after padding */
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* A lone character in the last group carries no whole byte. */
    if (bits >= 6)
        goto bad;
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return 0;
bad:
    free(buf);
    return -1;
}
