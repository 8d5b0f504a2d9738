/*
 * quantity.c - Kubernetes resource quantities ("500m", "64Gi", "1e3").
 *
 * Limits such as cpu-memory-limits compare quantities, so we read them the
 * way k8s.io/apimachinery/pkg/api/resource does:
 *
 *   quantity     ::= signedNumber suffix
 *   signedNumber ::= [+-]? number
 *   number       ::= digits | digits "." digits | digits "." | "." digits
 *   suffix       ::= binarySI | decimalExponent | decimalSI
 *   binarySI     ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   decimalSI    ::= n | u | m | "" | k | M | G | T | P | E
 *   decimalExponent ::= (e | E) [+-]? digits
 *
 * "1." is valid: the grammar lists `digits "."`, and the upstream
 * parser accepts "1." and "1.G", so we do too. Where the upstream parser is
 * looser than its own grammar ("." "+" "-" read as zero) we follow the
 * grammar and reject. "1E" is one exa (E is a decimalSI suffix); "1e" is
 * invalid. The value is returned in base units as a double (upstream caps
 * binarySI at 2^63-1 and rounds below a nano; we do neither). A huge exponent
 * gives +-inf, a value beyond every limit.
 */
#include <scoregate/policy.h>

#include <scoregate/doc.h>

#include <stdlib.h>
#include <string.h>

static bool pol_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Power of ten of a decimalSI suffix; false when `s` (length n) is not one. */
static bool pol_decimal_si(const char *s, size_t n, int *exp10)
{
    static const struct { char c; int exp; } table[] = {
        {'n', -9}, {'u', -6}, {'m', -3}, {'k', 3}, {'M', 6},
        {'G', 9},  {'T', 12}, {'P', 15}, {'E', 18},
    };
    if (n == 0) {
        *exp10 = 0;
        return true;
    }
    if (n != 1)
        return false;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].c == s[0]) {
            *exp10 = table[i].exp;
            return true;
        }
    }
    return false;
}

/* Power of 1024 of a binarySI suffix; false when `s` is not one. */
static bool pol_binary_si(const char *s, size_t n, int *pow1024)
{
    static const char letters[] = "KMGTPE";
    if (n != 2 || s[1] != 'i' || s[0] == '\0')
        return false;
    const char *p = strchr(letters, s[0]);
    if (!p)
        return false;
    *pow1024 = (int)(p - letters) + 1;
    return true;
}

int sg_quantity_parse(const char *s, double *value)
{
    if (!s || !value)
        return -1;
    size_t len = strlen(s);
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';

    size_t int_start = i;
    while (i < len && pol_is_digit(s[i]))
        i++;
    size_t int_len = i - int_start;
    size_t frac_start = i, frac_len = 0;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && pol_is_digit(s[i]))
            i++;
        frac_len = i - frac_start;
    }
    if (int_len == 0 && frac_len == 0)
        return -1;

    const char *suffix = s + i;
    size_t suffix_len = len - i;
    long long exp10 = 0;
    int pow1024 = 0, si = 0;
    if (pol_binary_si(suffix, suffix_len, &pow1024)) {
        exp10 = 0;
    } else if (pol_decimal_si(suffix, suffix_len, &si)) {
        exp10 = si;
    } else if (suffix_len > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
        if (sg_decimal_exponent(suffix + 1, suffix_len - 1, &exp10) != 0)
            return -1;
    } else {
        return -1;
    }

    /* Mantissa: integer and fraction digits as one integer, shifted back by the fraction. */
    char small[64];
    char *digits = small;
    size_t n = int_len + frac_len;
    bool heap = n > sizeof(small);
    if (heap)
        digits = sg_malloc(n);
    memcpy(digits, s + int_start, int_len);
    memcpy(digits + int_len, s + frac_start, frac_len);
    double v = sg_decimal_value(negative, digits, n, exp10 - (long long)frac_len);
    if (heap)
        free(digits);
    for (int k = 0; k < pow1024; k++)
        v *= 1024.0;
    *value = v;
    return 0;
}
