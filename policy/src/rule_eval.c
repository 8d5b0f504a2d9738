/*
 * rule_eval.c - evaluate compiled rule expressions against a jansson tree.
 *
 * Values borrow from the document, the compiled rule or the context's arena,
 * so a typical check allocates nothing. Missing fields are null and type
 * mismatches give null/false: rules are written over optional Kubernetes
 * fields, and "absent" must be a value, not an error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <scoregate/doc.h>

#include "internal_rule_ast.h"
#include "scoregate/policy.h"

/* Upper bound on nodes visited per check: nested macros over large lists
 * cannot make one request expensive. A check that reaches it is cut (see
 * pol_rule_ctx.cut) and its caller fails closed. */
#define MAX_STEPS 200000
/* PCRE2 limits, so a user pattern cannot backtrack catastrophically. */
#define REGEX_MATCH_LIMIT 100000
#define REGEX_DEPTH_LIMIT 1000
/* After this many matches stopped at those limits in one evaluation, further
 * matches are not tried (each stopped one costs milliseconds, and an object
 * may have thousands of containers): they are cut at once. */
#define REGEX_CUTS_MAX 8

static const pol_value null_value = {.t = POL_V_NULL};

static pol_value bool_value(bool b)
{
    return (pol_value){.t = POL_V_BOOL, .b = b};
}

static pol_value num_value(double n)
{
    return (pol_value){.t = POL_V_NUM, .n = n};
}

static pol_value str_value(const char *s, size_t len)
{
    return (pol_value){.t = POL_V_STR, .s = s, .len = len};
}

/* A JSON node from the document as a value. */
static pol_value from_json(const json_t *j)
{
    if (!j)
        return null_value;
    switch (json_typeof(j)) {
    case JSON_STRING:
        return str_value(json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
    case JSON_REAL:
        return num_value(json_number_value(j));
    case JSON_TRUE:
        return bool_value(true);
    case JSON_FALSE:
        return bool_value(false);
    case JSON_OBJECT:
    case JSON_ARRAY:
        return (pol_value){.t = POL_V_JSON, .j = j};
    default:
        return null_value;
    }
}

json_t *pol_value_to_json(pol_value v)
{
    switch (v.t) {
    case POL_V_BOOL:
        return json_boolean(v.b);
    case POL_V_NUM:
        if (v.n == floor(v.n) && fabs(v.n) < 9e15)
            return json_integer((json_int_t)v.n);
        return json_real(v.n);
    case POL_V_STR:
        return json_stringn_nocheck(v.s, v.len);
    case POL_V_JSON:
        return json_deep_copy(v.j);
    default:
        return json_null();
    }
}

/* A copy of s[0..len) in the context's arena, as a string value. */
static pol_value arena_string(pol_rule_ctx *ctx, const char *s, size_t len)
{
    char *copy = pol_rule_arena_alloc(ctx, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return str_value(copy, len);
}

/* ---------- comparisons ---------- */

static bool values_equal(pol_value a, pol_value b)
{
    if (a.t != b.t)
        return false;
    switch (a.t) {
    case POL_V_NULL:
        return true;
    case POL_V_BOOL:
        return a.b == b.b;
    case POL_V_NUM:
        return a.n == b.n;
    case POL_V_STR:
        return a.len == b.len && !memcmp(a.s, b.s, a.len);
    case POL_V_JSON:
        return json_equal(a.j, b.j);
    }
    return false;
}

/* -1, 0, 1, or 2 when the values are not ordered (different types). */
static int values_compare(pol_value a, pol_value b)
{
    if (a.t == POL_V_NUM && b.t == POL_V_NUM)
        return a.n < b.n ? -1 : a.n > b.n;
    if (a.t == POL_V_STR && b.t == POL_V_STR) {
        size_t n = a.len < b.len ? a.len : b.len;
        int c = memcmp(a.s, b.s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a.len < b.len ? -1 : a.len > b.len;
    }
    return 2;
}

static bool value_in(pol_value needle, pol_value hay)
{
    if (hay.t == POL_V_JSON && json_is_array(hay.j)) {
        size_t i;
        const json_t *item;
        json_array_foreach(hay.j, i, item)
            if (values_equal(needle, from_json(item)))
                return true;
        return false;
    }
    if (hay.t == POL_V_JSON && json_is_object(hay.j) && needle.t == POL_V_STR)
        return json_object_getn(hay.j, needle.s, needle.len) != NULL;
    return false;
}

/* ---------- helper functions ---------- */

pcre2_code *pol_regex_compile(const char *pattern, size_t len, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        /* The pattern is quoted at most 100 bytes long: the offset says where the error is. */
        snprintf(err, errlen, "invalid regular expression '%.*s' at offset %zu: %s", (int)(len > 100 ? 100 : len),
                 pattern, (size_t)offset, (char *)msg);
    }
    return re;
}

static bool regex_match(const pcre2_code *re, pol_value subject, pol_rule_ctx *ctx)
{
    if (ctx->regex_cuts >= REGEX_CUTS_MAX) {
        ctx->cut = true;
        return false;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (!md || !mc)
        sg_oom();
    pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(mc, REGEX_DEPTH_LIMIT);
    int rc = pcre2_match(re, (PCRE2_SPTR)subject.s, subject.len, 0, 0, md, mc);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    /* A pattern that hits its limits neither matches nor fails to: the check
     * is cut, and fails closed whichever way the rule uses the match. */
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
        ctx->cut = true;
        ctx->regex_cuts++;
        return false;
    }
    return rc >= 0;
}

static bool quantity_of(pol_value v, double *out)
{
    if (v.t == POL_V_NUM) {
        *out = v.n;
        return true;
    }
    if (v.t != POL_V_STR || v.len > 64 || memchr(v.s, '\0', v.len))
        return false;
    return sg_quantity_parse(v.s, out) == 0;
}

/* Segment-wise prefix: "/foo" is a prefix of "/foo" and "/foo/bar", not "/fool". */
static bool path_has_prefix(pol_value path, pol_value prefix)
{
    if (path.t != POL_V_STR || prefix.t != POL_V_STR)
        return false;
    size_t plen = prefix.len;
    while (plen > 1 && prefix.s[plen - 1] == '/')
        plen--;
    if (plen == 1 && prefix.s[0] == '/')
        return path.len > 0 && path.s[0] == '/';
    if (path.len < plen || memcmp(path.s, prefix.s, plen))
        return false;
    return path.len == plen || path.s[plen] == '/';
}

/* A number within any of [{min, max}], where max -1 means no maximum. */
static bool in_ranges(pol_value v, pol_value ranges)
{
    if (v.t != POL_V_NUM || ranges.t != POL_V_JSON || !json_is_array(ranges.j))
        return false;
    size_t i;
    const json_t *r;
    json_array_foreach(ranges.j, i, r) {
        const json_t *min = json_object_get(r, "min"), *max = json_object_get(r, "max");
        if (!json_is_number(min) || !json_is_number(max))
            continue;
        double hi = json_number_value(max);
        if (v.n >= json_number_value(min) && (hi < 0 || v.n <= hi))
            return true;
    }
    return false;
}

static pol_value case_map(pol_rule_ctx *ctx, pol_value v, bool upper)
{
    if (v.t != POL_V_STR)
        return null_value;
    char *s = pol_rule_arena_alloc(ctx, v.len + 1);
    for (size_t i = 0; i < v.len; i++) {
        char c = v.s[i];
        s[i] = upper ? (c >= 'a' && c <= 'z' ? c - 32 : c) : (c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    s[v.len] = '\0';
    return str_value(s, v.len);
}

static pol_value to_string(pol_rule_ctx *ctx, pol_value v)
{
    char buf[64];
    switch (v.t) {
    case POL_V_STR:
        return v;
    case POL_V_NUM:
        if (v.n == floor(v.n) && fabs(v.n) < 9e15)
            snprintf(buf, sizeof buf, "%lld", (long long)v.n);
        else
            snprintf(buf, sizeof buf, "%.17g", v.n);
        return arena_string(ctx, buf, strlen(buf));
    case POL_V_BOOL:
        return str_value(v.b ? "true" : "false", v.b ? 4 : 5);
    default:
        return null_value;
    }
}

/* The items of a list as text, separated by `sep`: strings as they are,
 * numbers and booleans as string() gives them, anything else as JSON. An
 * empty or missing list gives "". For messages. */
static pol_value join(pol_rule_ctx *ctx, pol_value list, pol_value sep)
{
    if (list.t != POL_V_JSON || !json_is_array(list.j) || sep.t != POL_V_STR)
        return list.t == POL_V_NULL ? str_value("", 0) : null_value;
    char buf[1024];
    size_t used = 0;
    buf[0] = '\0';
    size_t i;
    const json_t *item;
    json_array_foreach(list.j, i, item) {
        if (i)
            pol_value_format(sep, buf, sizeof buf, &used);
        pol_value_format(from_json(item), buf, sizeof buf, &used);
    }
    return arena_string(ctx, buf, used);
}

static const json_t *security_context_field(const json_t *owner, const char *field)
{
    const json_t *sc = json_object_get(owner, "securityContext");
    const json_t *v = json_is_object(sc) ? json_object_get(sc, field) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

/* size(): the length of a string, a list or a map; 0 for anything else. */
static pol_value size_of(pol_value a)
{
    if (a.t == POL_V_STR)
        return num_value((double)a.len);
    if (a.t == POL_V_JSON)
        return num_value((double)(json_is_array(a.j) ? json_array_size(a.j) : json_object_size(a.j)));
    return num_value(0);
}

/* matches(): a constant pattern was compiled at load; any other is compiled here, each time. */
static bool matches(const pol_node *n, pol_rule_ctx *ctx, pol_value a, pol_value b)
{
    if (a.t != POL_V_STR)
        return false;
    if (n->re)
        return regex_match(n->re, a, ctx);
    if (b.t != POL_V_STR)
        return false;
    char err[SG_ERRMAX];
    pcre2_code *re = pol_regex_compile(b.s, b.len, err, sizeof err);
    bool m = re && regex_match(re, a, ctx);
    if (re)
        pcre2_code_free(re);
    return m;
}

/* coalesce(): the first argument that is not null (`first` is the first one, evaluated). */
static pol_value coalesce(const pol_node *n, pol_rule_ctx *ctx, pol_value first)
{
    for (size_t i = 0; i < n->nkids; i++) {
        pol_value v = i == 0 ? first : pol_node_eval(n->kids[i], ctx);
        if (v.t != POL_V_NULL)
            return v;
    }
    return null_value;
}

/* effective('field'): the container's securityContext.field, else the pod's. */
static pol_value effective(const pol_node *n, const pol_rule_ctx *ctx)
{
    const json_t *v = NULL;
    if (ctx->vars[POL_VAR_CONTAINER])
        v = security_context_field(ctx->vars[POL_VAR_CONTAINER], n->name);
    if (!v && ctx->vars[POL_VAR_POD])
        v = security_context_field(ctx->vars[POL_VAR_POD], n->name);
    return from_json(v);
}

/* int(): a number without its fraction, or a string that is a whole base-10 integer; else null. */
static pol_value to_int(pol_value a)
{
    if (a.t == POL_V_NUM)
        return num_value(trunc(a.n));
    if (a.t != POL_V_STR || a.len >= 32)
        return null_value;
    char buf[32], *end;
    memcpy(buf, a.s, a.len);
    buf[a.len] = '\0';
    long long v = strtoll(buf, &end, 10);
    return a.len && *end == '\0' ? num_value((double)v) : null_value;
}

/* keys(): the keys of a map as a new list; null for anything else. */
static pol_value keys_of(pol_rule_ctx *ctx, pol_value a)
{
    if (a.t != POL_V_JSON || !json_is_object(a.j))
        return null_value;
    json_t *arr = json_array();
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)a.j, key, v)
        json_array_append_new(arr, json_string(key));
    return (pol_value){.t = POL_V_JSON, .j = pol_rule_keep(ctx, arr)};
}

static pol_value type_of(pol_value a)
{
    static const char *names[] = {"null", "bool", "number", "string", "json"};
    const char *t = names[a.t];
    if (a.t == POL_V_JSON)
        t = json_is_array(a.j) ? "list" : "map";
    return str_value(t, strlen(t));
}

static pol_value call(const pol_node *n, pol_rule_ctx *ctx)
{
    pol_value a = n->nkids > 0 ? pol_node_eval(n->kids[0], ctx) : null_value;
    pol_value b = n->nkids > 1 && n->func != POL_F_COALESCE ? pol_node_eval(n->kids[1], ctx) : null_value;
    double q;
    switch (n->func) {
    case POL_F_HAS:
        return bool_value(a.t != POL_V_NULL);
    case POL_F_SIZE:
        return size_of(a);
    case POL_F_LOWER:
    case POL_F_UPPER:
        return case_map(ctx, a, n->func == POL_F_UPPER);
    case POL_F_STARTS_WITH:
        return bool_value(a.t == POL_V_STR && b.t == POL_V_STR && a.len >= b.len && !memcmp(a.s, b.s, b.len));
    case POL_F_ENDS_WITH:
        return bool_value(a.t == POL_V_STR && b.t == POL_V_STR && a.len >= b.len &&
                          !memcmp(a.s + a.len - b.len, b.s, b.len));
    case POL_F_CONTAINS:
        if (a.t == POL_V_STR && b.t == POL_V_STR)
            return bool_value(b.len == 0 || memmem(a.s, a.len, b.s, b.len) != NULL);
        return bool_value(value_in(b, a));
    case POL_F_MATCHES:
        return bool_value(matches(n, ctx, a, b));
    case POL_F_QUANTITY:
        return quantity_of(a, &q) ? num_value(q) : null_value;
    case POL_F_IS_QUANTITY:
        return bool_value(quantity_of(a, &q));
    case POL_F_PATH_PREFIX:
        return bool_value(path_has_prefix(a, b));
    case POL_F_IN_RANGES:
        return bool_value(in_ranges(a, b));
    case POL_F_COALESCE:
        return coalesce(n, ctx, a);
    case POL_F_EFFECTIVE:
        return effective(n, ctx);
    case POL_F_STRING:
        return to_string(ctx, a);
    case POL_F_INT:
        return to_int(a);
    case POL_F_KEYS:
        return keys_of(ctx, a);
    case POL_F_JOIN:
        return join(ctx, a, b);
    case POL_F_TYPE:
        return type_of(a);
    }
    return null_value;
}

static pol_value macro(const pol_node *n, pol_rule_ctx *ctx)
{
    pol_value list = pol_node_eval(n->kids[0], ctx);
    const json_t *arr = list.t == POL_V_JSON && json_is_array(list.j) ? list.j : NULL;
    size_t count = arr ? json_array_size(arr) : 0, matched = 0;
    json_t *out = NULL;
    if (n->macro == POL_M_FILTER || n->macro == POL_M_MAP) {
        if (!arr)
            return null_value;
        out = json_array();
        pol_rule_keep(ctx, out);
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *item = json_array_get(arr, i);
        ctx->locals[n->var] = from_json(item);
        pol_value r = pol_node_eval(n->kids[1], ctx);
        bool t = r.t == POL_V_BOOL && r.b;
        switch (n->macro) {
        case POL_M_EXISTS:
            if (t)
                return bool_value(true);
            break;
        case POL_M_ALL:
            if (!t)
                return bool_value(false);
            break;
        case POL_M_EXISTS_ONE:
            matched += t;
            break;
        case POL_M_FILTER:
            if (t)
                json_array_append(out, (json_t *)item);
            break;
        case POL_M_MAP:
            json_array_append_new(out, pol_value_to_json(r));
            break;
        }
    }
    switch (n->macro) {
    case POL_M_EXISTS:
        return bool_value(false);
    case POL_M_ALL:
        return bool_value(true);
    case POL_M_EXISTS_ONE:
        return bool_value(matched == 1);
    default:
        return (pol_value){.t = POL_V_JSON, .j = out};
    }
}

static pol_value add(pol_rule_ctx *ctx, pol_value a, pol_value b)
{
    if (a.t == POL_V_NUM && b.t == POL_V_NUM)
        return num_value(a.n + b.n);
    if (a.t == POL_V_STR && b.t == POL_V_STR) {
        char *s = pol_rule_arena_alloc(ctx, a.len + b.len + 1);
        memcpy(s, a.s, a.len);
        memcpy(s + a.len, b.s, b.len);
        s[a.len + b.len] = '\0';
        return str_value(s, a.len + b.len);
    }
    bool alist = a.t == POL_V_JSON && json_is_array(a.j), blist = b.t == POL_V_JSON && json_is_array(b.j);
    if ((alist || a.t == POL_V_NULL) && (blist || b.t == POL_V_NULL) && (alist || blist)) {
        json_t *out = alist ? json_copy((json_t *)a.j) : json_array();
        if (blist)
            json_array_extend(out, (json_t *)b.j);
        return (pol_value){.t = POL_V_JSON, .j = pol_rule_keep(ctx, out)};
    }
    return null_value;
}

static pol_value field(pol_rule_ctx *ctx, pol_value base, const char *name)
{
    if (base.t != POL_V_JSON || !json_is_object(base.j))
        return null_value;
    if (!ctx->cache_on)
        return from_json(json_object_get(base.j, name));
    size_t h = (((uintptr_t)base.j >> 4) ^ ((uintptr_t)name >> 3) ^ ((uintptr_t)name >> 11)) % POL_FIELD_CACHE;
    pol_field_slot *slot = &ctx->cache[h];
    if (slot->parent != base.j || slot->name != name) {
        slot->parent = base.j;
        slot->name = name;
        slot->value = json_object_get(base.j, name);
    }
    return from_json(slot->value);
}

static pol_value index_value(pol_value base, pol_value idx)
{
    if (base.t != POL_V_JSON)
        return null_value;
    if (json_is_object(base.j) && idx.t == POL_V_STR)
        return from_json(json_object_getn(base.j, idx.s, idx.len));
    if (json_is_array(base.j) && idx.t == POL_V_NUM && idx.n >= 0 && idx.n == floor(idx.n))
        return from_json(json_array_get(base.j, (size_t)idx.n));
    return null_value;
}

static pol_value variable(const pol_rule_ctx *ctx, int var)
{
    const char *s = ctx->strvars[var];
    if (s)
        return str_value(s, strlen(s));
    return from_json(ctx->vars[var]);
}

static bool truth(pol_value v)
{
    return v.t == POL_V_BOOL && v.b;
}

pol_value pol_node_eval(const pol_node *n, pol_rule_ctx *ctx)
{
    if (++ctx->steps > MAX_STEPS) {
        ctx->cut = true;
        return null_value;
    }
    switch (n->type) {
    case POL_N_CONST:
        return n->value;
    case POL_N_VAR:
        return variable(ctx, n->var);
    case POL_N_LOCAL:
        return ctx->locals[n->var];
    case POL_N_FIELD:
        return field(ctx, pol_node_eval(n->kids[0], ctx), n->name);
    case POL_N_INDEX:
        return index_value(pol_node_eval(n->kids[0], ctx), pol_node_eval(n->kids[1], ctx));
    case POL_N_NOT:
        return bool_value(!truth(pol_node_eval(n->kids[0], ctx)));
    case POL_N_NEG: {
        pol_value v = pol_node_eval(n->kids[0], ctx);
        return v.t == POL_V_NUM ? num_value(-v.n) : null_value;
    }
    case POL_N_AND:
        return bool_value(truth(pol_node_eval(n->kids[0], ctx)) && truth(pol_node_eval(n->kids[1], ctx)));
    case POL_N_OR:
        return bool_value(truth(pol_node_eval(n->kids[0], ctx)) || truth(pol_node_eval(n->kids[1], ctx)));
    case POL_N_COND:
        return truth(pol_node_eval(n->kids[0], ctx)) ? pol_node_eval(n->kids[1], ctx)
                                                    : pol_node_eval(n->kids[2], ctx);
    case POL_N_EQ:
    case POL_N_NE: {
        bool eq = values_equal(pol_node_eval(n->kids[0], ctx), pol_node_eval(n->kids[1], ctx));
        return bool_value(n->type == POL_N_EQ ? eq : !eq);
    }
    case POL_N_LT:
    case POL_N_LE:
    case POL_N_GT:
    case POL_N_GE: {
        int c = values_compare(pol_node_eval(n->kids[0], ctx), pol_node_eval(n->kids[1], ctx));
        if (c == 2)
            return bool_value(false);
        bool r = n->type == POL_N_LT ? c < 0 : n->type == POL_N_LE ? c <= 0 : n->type == POL_N_GT ? c > 0 : c >= 0;
        return bool_value(r);
    }
    case POL_N_IN:
        return bool_value(value_in(pol_node_eval(n->kids[0], ctx), pol_node_eval(n->kids[1], ctx)));
    case POL_N_ADD:
        return add(ctx, pol_node_eval(n->kids[0], ctx), pol_node_eval(n->kids[1], ctx));
    case POL_N_SUB: {
        pol_value a = pol_node_eval(n->kids[0], ctx), b = pol_node_eval(n->kids[1], ctx);
        return a.t == POL_V_NUM && b.t == POL_V_NUM ? num_value(a.n - b.n) : null_value;
    }
    case POL_N_LIST: {
        json_t *arr = json_array();
        for (size_t i = 0; i < n->nkids; i++)
            json_array_append_new(arr, pol_value_to_json(pol_node_eval(n->kids[i], ctx)));
        return (pol_value){.t = POL_V_JSON, .j = pol_rule_keep(ctx, arr)};
    }
    case POL_N_CALL:
        return call(n, ctx);
    case POL_N_MACRO:
        return macro(n, ctx);
    }
    return null_value;
}

pol_value pol_expr_eval(const pol_expr *e, pol_rule_ctx *ctx)
{
    return pol_node_eval(e->root, ctx);
}

bool pol_expr_test(const pol_expr *e, pol_rule_ctx *ctx)
{
    return truth(pol_node_eval(e->root, ctx));
}

void pol_value_format(pol_value v, char *buf, size_t size, size_t *used)
{
    if (*used >= size)
        return;
    char *out = buf + *used;
    size_t room = size - *used;
    int n = 0;
    switch (v.t) {
    case POL_V_NULL:
        n = snprintf(out, room, "null");
        break;
    case POL_V_BOOL:
        n = snprintf(out, room, "%s", v.b ? "true" : "false");
        break;
    case POL_V_NUM:
        if (v.n == floor(v.n) && fabs(v.n) < 9e15)
            n = snprintf(out, room, "%lld", (long long)v.n);
        else
            n = snprintf(out, room, "%g", v.n);
        break;
    case POL_V_STR:
        n = snprintf(out, room, "%.*s", (int)v.len, v.s);
        break;
    case POL_V_JSON: {
        char *dump = sg_json_dumps(v.j, JSON_COMPACT | JSON_ENCODE_ANY, NULL);
        n = snprintf(out, room, "%s", dump ? dump : "");
        free(dump);
        break;
    }
    }
    if (n > 0)
        *used += (size_t)n < room ? (size_t)n : room - 1;
}
