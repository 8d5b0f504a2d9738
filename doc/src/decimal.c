/*
 * decimal.c - decimal text to double without the C locale's decimal point.
 *
 * strtod() reads "1.5" differently under a locale whose radix is ','. Both
 * YAML floats and Kubernetes quantities are decimal text, so we hand strtod
 * an integer mantissa and an exponent ("15e-1"), which every locale reads
 * the same way. Long mantissas are cut to enough digits for correct rounding
 * (a sticky non-zero digit keeps the rounding direction of what was cut).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define DECIMAL_KEEP 800     /* more than the 767 significant digits a double can need */
#define DECIMAL_EXP_MAX 1000000000LL

double sg_decimal_value(bool negative, const char *digits, size_t n, long long exp10)
{
    while (n > 0 && *digits == '0') {
        digits++;
        n--;
    }
    if (n == 0)
        return negative ? -0.0 : 0.0;
    /* Fast path (Clinger): a mantissa below 2^53 and 10^|exp| up to 10^22 are
     * both exact doubles, so one IEEE operation gives the correctly rounded
     * value. Most quantities ("500m", "64Gi") take it, without strtod. */
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (n <= 15 && exp10 >= -22 && exp10 <= 22) {
        double m = 0;
        for (size_t i = 0; i < n; i++)
            m = m * 10 + (digits[i] - '0');
        double v = exp10 >= 0 ? m * powers[exp10] : m / powers[-exp10];
        return negative ? -v : v;
    }
    char buf[DECIMAL_KEEP + 48];
    size_t len = 0;
    if (negative)
        buf[len++] = '-';
    size_t keep = n > DECIMAL_KEEP ? DECIMAL_KEEP : n;
    for (size_t i = 0; i < keep; i++)
        buf[len++] = digits[i];
    bool sticky = false;
    for (size_t i = keep; i < n && !sticky; i++)
        sticky = digits[i] != '0';
    if (sticky)
        buf[len++] = '1';
    /* Every digit dropped (or replaced by the sticky one) shifts the exponent. */
    long long exp = exp10 + (long long)(n - keep) - (sticky ? 1 : 0);
    if (exp > DECIMAL_EXP_MAX)
        exp = DECIMAL_EXP_MAX;
    if (exp < -DECIMAL_EXP_MAX)
        exp = -DECIMAL_EXP_MAX;
    snprintf(buf + len, sizeof(buf) - len, "e%lld", exp);
    return strtod(buf, NULL);
}

int sg_decimal_exponent(const char *s, size_t n, long long *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    if (i == n)
        return -1;
    long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v < DECIMAL_EXP_MAX)
            v = v * 10 + (s[i] - '0');
    }
    if (v > DECIMAL_EXP_MAX)
        v = DECIMAL_EXP_MAX;
    *out = negative ? -v : v;
    return 0;
}
