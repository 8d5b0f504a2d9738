/*
 * time.c - RFC 3339 date-times as Kubernetes writes them (metav1.Time: an
 * exemption's `expires`, an exec credential's expirationTimestamp). One
 * parser, so that every module reads a timestamp the same way.
 */
#include <stdio.h>
#include <time.h>

#include <scoregate/base.h>

int sg_time_parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        p = strptime(s, "%Y-%m-%dt%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
            return -1;
        offset = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 1 + n;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *out = timegm(&tm) - offset;
    return 0;
}
