/*
 * yaml_scalar.c - what a YAML scalar means, the way Kubernetes reads it.
 *
 * kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml, which
 * decodes with go-yaml v2 (YAML 1.1 rules). A manifest must mean the same here
 * as there: `privileged: yes` is true, `"yes"` is a string, `0x10` is 16.
 * The rules below follow go-yaml v2's resolver (read, not copied):
 *
 *  - only plain (unquoted) untagged scalars are resolved; quoted and block
 *    scalars, !!str, !!binary, !!timestamp and unknown tags stay strings;
 *  - booleans: y Y yes Yes YES true True TRUE on On ON and their negatives
 *    n N no No NO false False FALSE off Off OFF;
 *  - null: "" ~ null Null NULL;
 *  - integers: text starting with a digit or sign, underscores removed, read
 *    as Go's strconv.ParseInt(s, 0, 64): [+-], then 0x/0o/0b prefixes or a
 *    leading 0 for octal; values beyond int64 but within uint64 are numbers
 *    too (here: doubles, since a JSON tree holds int64 or double);
 *  - floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? (so "1." and
 *    "09" are floats); a value that overflows a double stays a string;
 *  - .inf .nan and their spellings are floats in YAML, but JSON cannot hold
 *    them (kubectl fails to encode them). We keep them as the string written
 *    (".inf"), so a check that wants a number reports a wrong type instead
 *    of the whole file failing;
 *  - !!int !!float !!bool !!null resolve the text (even when quoted) and fail
 *    when it is not of that type; !!float accepts an integer.
 * Timestamps stay strings, as go-yaml v2 leaves them for interface{} targets.
 */
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef enum doc_scalar_kind {
    DOC_SCALAR_STR,
    DOC_SCALAR_NULL,
    DOC_SCALAR_BOOL,
    DOC_SCALAR_INT,
    DOC_SCALAR_FLOAT,
    DOC_SCALAR_SPECIAL    /* .inf / .nan: a float JSON cannot hold */
} doc_scalar_kind;

typedef struct doc_scalar_value {
    doc_scalar_kind kind;
    bool b;
    long long i;
    double d;
} doc_scalar_value;

static bool doc_text_is(const char *text, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(text, word, len) == 0;
}

static bool doc_text_in(const char *text, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (doc_text_is(text, len, *words))
            return true;
    return false;
}

static int doc_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseUint(s, 0, 64): 0 ok, -1 syntax, -2 out of range. */
static int doc_parse_uint_base0(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return -1;
    unsigned base = 10;
    if (s[0] == '0') {
        char p = n >= 3 ? (char)(s[1] | 0x20) : 0;
        if (p == 'b' || p == 'o' || p == 'x') {
            base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
            s += 2;
            n -= 2;
        } else {
            base = 8;
            s += 1;
            n -= 1;
        }
    }
    uint64_t v = 0;
    bool overflow = false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)doc_digit_value(s[i]);
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - d) / base)
            overflow = true;
        else
            v = v * base + d;
    }
    if (overflow)
        return -2;
    *out = v;
    return 0;
}

/* Whether `s` matches the float pattern above (after the caller's underscore removal). */
static bool doc_float_syntax(const char *s, size_t n, const char **int_digits, size_t *n_int,
                            const char **frac_digits, size_t *n_frac, const char **exp, size_t *n_exp)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t a = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    *int_digits = s + a;
    *n_int = i - a;
    *frac_digits = s + i;
    *n_frac = 0;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        *frac_digits = s + f;
        *n_frac = i - f;
        if (*n_int == 0 && *n_frac == 0)
            return false;
    } else if (*n_int == 0) {
        return false;
    }
    *exp = s + n;
    *n_exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = ++i;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
        *exp = s + e;
        *n_exp = i - e;
    }
    return i == n;
}

/* The float value of text with valid float syntax; false when it overflows (Go: ErrRange). */
static bool doc_float_value(const char *s, size_t n, double *out)
{
    const char *ip, *fp, *ep;
    size_t ni, nf, ne;
    if (!doc_float_syntax(s, n, &ip, &ni, &fp, &nf, &ep, &ne))
        return false;
    long long exp = 0;
    if (ne > 0 && sg_decimal_exponent(ep, ne, &exp) != 0)
        return false;
    char small[64];
    char *digits = ni + nf <= sizeof(small) ? small : sg_malloc(ni + nf);
    memcpy(digits, ip, ni);
    memcpy(digits + ni, fp, nf);
    double v = sg_decimal_value(s[0] == '-', digits, ni + nf, exp - (long long)nf);
    if (digits != small)
        free(digits);
    if (isinf(v))
        return false;
    *out = v;
    return true;
}

/* The number in text starting with a digit or sign (go-yaml's 'D' and 'S' hints). */
static void doc_resolve_number(const char *text, size_t len, doc_scalar_value *out)
{
    char small[64];
    char *plain = len < sizeof(small) ? small : sg_malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != '_')
            plain[n++] = text[i];

    bool negative = n > 0 && plain[0] == '-';
    size_t skip = n > 0 && (plain[0] == '-' || plain[0] == '+') ? 1 : 0;
    uint64_t u = 0;
    int rc = doc_parse_uint_base0(plain + skip, n - skip, &u);
    if (rc == 0 && !negative && u <= (uint64_t)INT64_MAX) {
        out->kind = DOC_SCALAR_INT;
        out->i = (long long)u;
    } else if (rc == 0 && negative && u <= (uint64_t)INT64_MAX + 1u) {
        out->kind = DOC_SCALAR_INT;
        out->i = u == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(long long)u;
    } else if (rc == 0 && skip == 0) {
        /* Go: ParseInt overflows, ParseUint (no sign allowed) succeeds. */
        out->kind = DOC_SCALAR_FLOAT;
        out->d = (double)u;
    } else if (doc_float_value(plain, n, &out->d)) {
        out->kind = DOC_SCALAR_FLOAT;
    }
    if (plain != small)
        free(plain);
}

static void doc_resolve(const char *text, size_t len, doc_scalar_value *out)
{
    static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                                        "on", "On", "ON", NULL};
    static const char *const falses[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                                         "off", "Off", "OFF", NULL};
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const specials[] = {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
                                           "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
    /* Every word above has at most 5 bytes and starts with one of these, so
     * most scalars (names, images, paths) skip the lists at once. */
    bool word = len > 0 && len <= 5 && memchr("yYnNtTfFoO~.+-", text[0], 14);
    out->kind = DOC_SCALAR_STR;
    if (len == 0 || (word && doc_text_in(text, len, nulls))) {
        out->kind = DOC_SCALAR_NULL;
    } else if (word && (doc_text_in(text, len, trues) || doc_text_in(text, len, falses))) {
        out->kind = DOC_SCALAR_BOOL;
        out->b = doc_text_in(text, len, trues);
    } else if (word && doc_text_in(text, len, specials)) {
        out->kind = DOC_SCALAR_SPECIAL;
    } else if (text[0] == '.') {
        /* Go's ParseFloat on the text as written: no underscores, no sign here. */
        if (doc_float_value(text, len, &out->d))
            out->kind = DOC_SCALAR_FLOAT;
    } else if ((text[0] >= '0' && text[0] <= '9') || text[0] == '+' || text[0] == '-') {
        doc_resolve_number(text, len, out);
    }
}

bool doc_yaml_plain_is_string(const char *text, size_t len)
{
    doc_scalar_value v = {DOC_SCALAR_STR, false, 0, 0};
    doc_resolve(text, len, &v);
    return v.kind == DOC_SCALAR_STR;
}

static const char *doc_short_tag(const char *tag)
{
    size_t n = strlen(TAG_PREFIX);
    return strncmp(tag, TAG_PREFIX, n) == 0 ? tag + n : NULL;
}

bool doc_yaml_is_merge_key(const char *text, size_t len, const char *tag, bool plain)
{
    if (tag) {
        const char *s = doc_short_tag(tag);
        return s && strcmp(s, "merge") == 0;
    }
    return plain && doc_text_is(text, len, "<<");
}

json_t *doc_yaml_scalar(const char *text, size_t len, const char *tag, bool plain, const char **why)
{
    doc_scalar_value v = {DOC_SCALAR_STR, false, 0, 0};
    const char *want = NULL;     /* a type tag the text must resolve to */
    bool resolve = plain;
    if (tag) {
        const char *s = doc_short_tag(tag);
        resolve = s && (strcmp(s, "int") == 0 || strcmp(s, "float") == 0 || strcmp(s, "bool") == 0 ||
                        strcmp(s, "null") == 0);
        want = resolve ? s : NULL;
    }
    if (resolve)
        doc_resolve(text, len, &v);
    if (want && strcmp(want, "int") == 0 && v.kind != DOC_SCALAR_INT) {
        *why = "the value is tagged !!int but is not an integer";
        return NULL;
    }
    if (want && strcmp(want, "float") == 0) {
        if (v.kind == DOC_SCALAR_INT) {
            v.kind = DOC_SCALAR_FLOAT;
            v.d = (double)v.i;
        } else if (v.kind != DOC_SCALAR_FLOAT && v.kind != DOC_SCALAR_SPECIAL) {
            *why = "the value is tagged !!float but is not a number";
            return NULL;
        }
    }
    if (want && strcmp(want, "bool") == 0 && v.kind != DOC_SCALAR_BOOL) {
        *why = "the value is tagged !!bool but is not a boolean";
        return NULL;
    }
    if (want && strcmp(want, "null") == 0 && v.kind != DOC_SCALAR_NULL) {
        *why = "the value is tagged !!null but is not null";
        return NULL;
    }

    switch (v.kind) {
    case DOC_SCALAR_NULL:
        return json_null();
    case DOC_SCALAR_BOOL:
        return json_boolean(v.b);
    case DOC_SCALAR_INT:
        return sg_check_alloc(json_integer((json_int_t)v.i));
    case DOC_SCALAR_FLOAT:
        return sg_check_alloc(json_real(v.d));   /* finite: doc_float_value refuses the rest */
    case DOC_SCALAR_STR:
    case DOC_SCALAR_SPECIAL:
        break;
    }
    /* jansson refuses text that is not UTF-8 (and says no more). */
    json_t *out = json_stringn(text, len);
    if (!out)
        *why = "the text is not valid UTF-8";
    return out;
}

/* Go's strconv.FormatFloat(float64(float32(d)), 'g', -1, 32), as sigs.k8s.io/yaml uses for keys. */
static void doc_go_float32_g(double d, char *buf, size_t size)
{
    float f = (float)d;
    if (isnan(f)) {
        snprintf(buf, size, ".nan");
        return;
    }
    if (isinf(f)) {
        snprintf(buf, size, f > 0 ? ".inf" : "-.inf");
        return;
    }
    if (f == 0.0f) {
        snprintf(buf, size, signbit(f) ? "-0" : "0");
        return;
    }
    /* Fewest significant digits that read back as the same float32. */
    int p = 1;
    for (; p < 9; p++) {
        snprintf(buf, size, "%.*e", p - 1, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    snprintf(buf, size, "%.*e", p - 1, (double)f);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp < -4 || exp >= 6)
        return;
    int decimals = p - 1 - exp;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, (double)f);
}

char *doc_yaml_key_text(const json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return sg_strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        doc_go_float32_g(json_real_value(v), buf, sizeof(buf));
        break;
    case JSON_TRUE:
        return sg_strdup("true");
    case JSON_FALSE:
        return sg_strdup("false");
    case JSON_NULL:
        return sg_strdup("null");
    default:
        return NULL;
    }
    return sg_strdup(buf);
}
