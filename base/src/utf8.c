/*
 * utf8.c - text that every JSON string and XML document can carry. Object
 * names, messages and file names reach reports, logs and AdmissionReview
 * responses; a single stray byte must not make jansson refuse the string or
 * a consumer refuse the document. What cannot be carried becomes U+FFFD, so
 * the reader sees that something was there (never a silent '?').
 */
#include <string.h>

#include <scoregate/base.h>

size_t sg_utf8_char(const char *s, size_t left)
{
    const unsigned char *p = (const unsigned char *)s;
    if (left == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4 || n > left)
        return 0;
    unsigned long cp = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

const char *sg_utf8_clean(const char *s, char **owned)
{
    size_t len = strlen(s), i = 0, n;
    *owned = NULL;
    while (i < len && (n = sg_utf8_char(s + i, len - i)) > 0)
        i += n;
    if (i == len)
        return s;
    char *out = sg_malloc(i + 3 * (len - i) + 1), *q = out;
    memcpy(q, s, i);
    q += i;
    while (i < len) {
        n = sg_utf8_char(s + i, len - i);
        if (n == 0) {
            memcpy(q, SG_UTF8_REPLACEMENT, 3);
            q += 3;
            i++;
        } else {
            memcpy(q, s + i, n);
            q += n;
            i += n;
        }
    }
    *q = '\0';
    *owned = out;
    return out;
}
