/*
 * json_read.c - AdmissionReview bodies into jansson trees, fast.
 *
 * Decoding the body is most of what a review costs (bench/run, BENCHMARKS.md):
 * jansson's own reader takes about 200 instructions per byte, reading the
 * text one character at a time through a stream and a growing buffer. This
 * reader scans the text in place (runs of plain ASCII string bytes in a tight
 * loop, escapes decoded only where they occur) and builds the very same tree
 * with jansson's constructors, so everything downstream is unchanged. It
 * accepts exactly what json_loadb(text, len, 0) accepts (tests/webhook
 * compare the two on samples and mutations of them): one object or array,
 * strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF),
 * no raw control characters and no \u0000 in strings, no leading zeros,
 * integers within json_int_t, reals that do not overflow a double, at most
 * JSON_PARSER_MAX_DEPTH nested values, and a repeated key keeps its first
 * position with the last value. One difference, on purpose: a NUL byte right
 * after a number is an error here, where jansson's stream skips it.
 */
#include <scoregate/doc.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    const char *err_at;          /* where the error was found */
    char *buf;                   /* scratch for strings with escapes */
    size_t cap;
    const char *const *const *skip; /* paths checked but not built (sg_json_read_skip), or NULL */
} reader;

#define SKIP_MAX 32 /* paths a mask can follow */

__attribute__((format(printf, 3, 4)))
static json_t *fail(reader *r, const char *at, const char *fmt, ...)
{
    if (!r->err_at) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
        r->err_at = at;
    }
    return NULL;
}

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* Length of the valid UTF-8 sequence (2 to 4 bytes) at p, or 0. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

static int hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void reserve(reader *r, size_t n)
{
    if (n <= r->cap)
        return;
    size_t cap = r->cap ? r->cap : 256;
    while (cap < n)
        cap *= 2;
    r->buf = sg_realloc(r->buf, cap);
    r->cap = cap;
}

/* Code point `cp` (at most U+10FFFF) as UTF-8 at `o`; returns the number of bytes. */
static size_t utf8_encode(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * The escape whose backslash is at p (with at least one byte after it),
 * decoded into r->buf at *used (room for 4 bytes reserved): returns what
 * follows it, or NULL on error. A \u escape of a high surrogate must be
 * followed by one of a low surrogate; \u0000 is refused, as jansson does.
 */
static const unsigned char *read_escape(reader *r, const unsigned char *p, const unsigned char *end, size_t *used)
{
    char e = (char)p[1];
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) {
        r->buf[(*used)++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
        return p + 2;
    }
    if (e != 'u') {
        fail(r, (const char *)p, "invalid escape '\\%c'", e);
        return NULL;
    }
    int cp = hex4((const char *)p + 2, (const char *)end);
    if (cp < 0) {
        fail(r, (const char *)p, "invalid \\u escape");
        return NULL;
    }
    p += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = end - p >= 2 && p[0] == '\\' && p[1] == 'u' ? hex4((const char *)p + 2, (const char *)end) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail(r, (const char *)p - 6, "invalid Unicode '\\u%04X'", (unsigned)cp);
            return NULL;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(r, (const char *)p - 6, "invalid Unicode '\\u%04X'", (unsigned)cp);
        return NULL;
    } else if (cp == 0) {
        fail(r, (const char *)p - 6, "\\u0000 is not allowed in a string");
        return NULL;
    }
    *used += utf8_encode((unsigned)cp, r->buf + *used);
    return p;
}

/* Where the run of plain string bytes from `p` ends: the first byte that is
 * not ASCII, is a control character, '"' or '\\' (or `end`). Eight bytes at
 * a time (most of a body is such runs): each test below sets the top bit of
 * every byte it matches, and of no byte before the first match. */
static const unsigned char *plain_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
        uint64_t hit = (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) &
                       tops;
        if (hit)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

/*
 * The string whose opening quote r->p is past: *out points at its bytes
 * (in the text when it has no escapes, else in r->buf) and *len is their
 * number. Leaves r->p after the closing quote. -1 on error.
 */
static int read_string(reader *r, const char **out, size_t *len)
{
    const unsigned char *p = (const unsigned char *)r->p, *end = (const unsigned char *)r->end;
    const unsigned char *begin = p;
    size_t used = 0;
    bool escaped = false;
    for (;;) {
        const unsigned char *run = p;
        p = plain_run(p, end);
        if (escaped) {
            reserve(r, used + (size_t)(p - run) + 4);
            memcpy(r->buf + used, run, (size_t)(p - run));
            used += (size_t)(p - run);
        }
        if (p >= end) {
            fail(r, (const char *)p, "premature end of input in a string");
            return -1;
        }
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20) {
            fail(r, (const char *)p, "control character 0x%x in a string", c);
            return -1;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence(p, end);
            if (!n) {
                fail(r, (const char *)p, "invalid UTF-8 byte 0x%x", c);
                return -1;
            }
            if (escaped) {
                memcpy(r->buf + used, p, n);
                used += n;
            }
            p += n;
            continue;
        }
        /* A backslash: from here on the string is decoded into r->buf. */
        if (!escaped) {
            reserve(r, (size_t)(p - begin) + 4);
            used = (size_t)(p - begin);
            memcpy(r->buf, begin, used);
            escaped = true;
        }
        if (end - p < 2) {
            fail(r, (const char *)p, "premature end of input in a string");
            return -1;
        }
        p = read_escape(r, p, end, &used);
        if (!p)
            return -1;
    }
    *out = escaped ? r->buf : (const char *)begin;
    *len = escaped ? used : (size_t)(p - begin);
    r->p = (const char *)p + 1;
    return 0;
}

static json_t *read_number(reader *r)
{
    const char *p = r->p, *start = p;
    bool real = false;
    if (p < r->end && *p == '-')
        p++;
    if (p >= r->end || *p < '0' || *p > '9')
        return fail(r, start, "invalid number");
    if (*p == '0') {
        p++;
        if (p < r->end && *p >= '0' && *p <= '9')
            return fail(r, start, "invalid number (leading zero)");
    } else {
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && *p == '.') {
        real = true;
        p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return fail(r, start, "invalid number");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return fail(r, start, "invalid number");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - start);
    char small[64];
    char *text = n < sizeof small ? small : sg_malloc(n + 1);
    memcpy(text, start, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (!real) {
        long long i = strtoll(text, NULL, 10);
        if (errno == ERANGE)
            fail(r, start, "too big %sinteger", *start == '-' ? "negative " : "");
        else
            v = sg_check_alloc(json_integer((json_int_t)i));
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
            fail(r, start, "real number overflow");
        else
            v = sg_check_alloc(json_real(d));   /* finite: checked above */
    }
    if (text != small)
        free(text);
    if (!v)
        return NULL;
    r->p = p;
    return v;
}

static json_t *read_value(reader *r, int depth, unsigned skip);
static bool skip_value(reader *r, int depth);

/* Of the skip paths in `mask` (bits), those that go on through `key` at
 * `level` (*below), and whether one of them ends there (its value is skipped). */
static bool skip_key(const reader *r, unsigned mask, int level, const char *key, size_t keylen, unsigned *below)
{
    *below = 0;
    for (unsigned i = 0; mask >> i; i++) {
        if (!(mask >> i & 1))
            continue;
        const char *part = r->skip[i][level];
        if (strlen(part) != keylen || memcmp(part, key, keylen))
            continue;
        if (!r->skip[i][level + 1])
            return true;
        *below |= 1u << i;
    }
    return false;
}

static json_t *read_object(reader *r, int depth, unsigned skip)
{
    json_t *obj = sg_check_alloc(json_object());
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return obj;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"') {
            json_decref(obj);
            return fail(r, r->p, "string or '}' expected");
        }
        r->p++;
        const char *key;
        size_t keylen;
        if (read_string(r, &key, &keylen) < 0) {
            json_decref(obj);
            return NULL;
        }
        /* A key with escapes sits in r->buf, which the value reuses (and may
         * move): keep a copy. */
        char small[128], *k = (char *)key;
        bool copied = key == r->buf;
        if (copied) {
            k = keylen < sizeof small ? small : sg_malloc(keylen + 1);
            memcpy(k, key, keylen);
        }
        skip_space(r);
        json_t *value = NULL;
        if (r->p >= r->end || *r->p != ':') {
            fail(r, r->p, "':' expected");
        } else {
            r->p++;
            skip_space(r);
            unsigned below = 0;
            if (skip && skip_key(r, skip, depth - 1, k, keylen, &below)) {
                if (copied && k != small)
                    free(k);
                if (!skip_value(r, depth)) {
                    json_decref(obj);
                    return NULL;
                }
                goto next;
            }
            value = read_value(r, depth, below);
        }
        if (value && json_object_setn_new_nocheck(obj, k, keylen, value))
            sg_oom();
        if (copied && k != small)
            free(k);
        if (!value) {
            json_decref(obj);
            return NULL;
        }
    next:
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            skip_space(r);
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return obj;
        }
        json_decref(obj);
        return fail(r, r->p, "',' or '}' expected");
    }
}

static json_t *read_array(reader *r, int depth)
{
    json_t *arr = sg_check_alloc(json_array());
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return arr;
    }
    for (;;) {
        json_t *value = read_value(r, depth, 0);
        if (!value) {
            json_decref(arr);
            return NULL;
        }
        if (json_array_append_new(arr, value))
            sg_oom();
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            skip_space(r);
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return arr;
        }
        json_decref(arr);
        return fail(r, r->p, "',' or ']' expected");
    }
}

static bool word(reader *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
        return false;
    r->p += n;
    return true;
}

/* One value at r->p (whitespace skipped); `depth` counts enclosing values, as jansson does. */
static json_t *read_value(reader *r, int depth, unsigned skip)
{
    if (++depth > JSON_PARSER_MAX_DEPTH)
        return fail(r, r->p, "maximum parsing depth reached");
    if (r->p >= r->end)
        return fail(r, r->p, "premature end of input");
    switch (*r->p) {
    case '{':
        return read_object(r, depth, skip);
    case '[':
        return read_array(r, depth);
    case '"': {
        const char *s;
        size_t n;
        r->p++;
        if (read_string(r, &s, &n) < 0)
            return NULL;
        return sg_check_alloc(json_stringn_nocheck(s, n));
    }
    case 't':
        if (word(r, "true", 4))
            return json_true();
        break;
    case 'f':
        if (word(r, "false", 5))
            return json_false();
        break;
    case 'n':
        if (word(r, "null", 4))
            return json_null();
        break;
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return read_number(r);
        break;
    }
    return fail(r, r->p, "invalid token");
}

/*
 * A value at r->p checked exactly as read_value() would check it, with the
 * same messages, but not built: containers and strings allocate nothing
 * (a number is built and dropped, for jansson's range checks). false on error.
 */
static bool skip_value(reader *r, int depth)
{
    if (++depth > JSON_PARSER_MAX_DEPTH)
        return fail(r, r->p, "maximum parsing depth reached"), false;
    if (r->p >= r->end)
        return fail(r, r->p, "premature end of input"), false;
    const char *s;
    size_t n;
    char open = *r->p;
    if (open == '"') {
        r->p++;
        return read_string(r, &s, &n) == 0;
    }
    if (open != '{' && open != '[') {
        json_t *v = read_value(r, depth - 1, 0);
        json_decref(v);
        return v != NULL;
    }
    char close = open == '{' ? '}' : ']';
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return true;
    }
    for (;;) {
        if (open == '{') {
            if (r->p >= r->end || *r->p != '"')
                return fail(r, r->p, "string or '}' expected"), false;
            r->p++;
            if (read_string(r, &s, &n) < 0)
                return false;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':')
                return fail(r, r->p, "':' expected"), false;
            r->p++;
            skip_space(r);
        }
        if (!skip_value(r, depth))
            return false;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            skip_space(r);
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return true;
        }
        return fail(r, r->p, open == '{' ? "',' or '}' expected" : "',' or ']' expected"), false;
    }
}

json_t *sg_json_read(const char *text, size_t len, int *line, int *column, char *err, size_t errlen)
{
    return sg_json_read_skip(text, len, NULL, line, column, err, errlen);
}

json_t *sg_json_read_skip(const char *text, size_t len, const char *const *const *skip, int *line, int *column,
                          char *err, size_t errlen)
{
    reader r = {text, text + len, text, err, errlen, NULL, NULL, 0, skip};
    unsigned mask = 0;
    for (unsigned i = 0; skip && skip[i]; i++) {
        if (i >= SKIP_MAX || !skip[i][0])
            abort(); /* a caller's bug: more paths than a mask holds, or an empty one */
        mask |= 1u << i;
    }
    skip_space(&r);
    json_t *root = NULL;
    if (r.p < r.end && (*r.p == '{' || *r.p == '['))
        root = read_value(&r, 0, mask);
    else
        fail(&r, r.p, r.p < r.end ? "'[' or '{' expected" : "the body is empty");
    if (root) {
        skip_space(&r);
        if (r.p < r.end) {
            json_decref(root);
            root = fail(&r, r.p, "end of input expected");
        }
    }
    free(r.buf);
    if (!root) {
        *line = 1;
        const char *bol = text;
        for (const char *q = text; q < r.err_at; q++)
            if (*q == '\n') {
                (*line)++;
                bol = q + 1;
            }
        *column = (int)(r.err_at - bol) + 1;
    }
    return root;
}
