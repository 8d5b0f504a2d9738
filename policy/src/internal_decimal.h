/*
 * internal_decimal.h - decimal text to double, independent of the C locale
 * (policy-internal; shared by YAML scalar resolution and quantities).
 */
#ifndef SG_INTERNAL_DECIMAL_H
#define SG_INTERNAL_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The value of (negative ? -1 : 1) * <digits> * 10^exp10, where
 * `digits` holds `n` ASCII digits (an integer mantissa). Correctly rounded;
 * may be +-inf on overflow or 0 on underflow. `exp10` is clamped to a range
 * where that already holds.
 */
double sg_decimal_value(bool negative, const char *digits, size_t n, long long exp10);

/*
 * Parse a decimal exponent "[+-]?digits" of `n` bytes into *out (clamped to
 * +-10^9, which is already far outside double range). Returns 0, or -1 when
 * the text is not such an exponent.
 */
int sg_decimal_exponent(const char *s, size_t n, long long *out);

#endif
