/*
 * rule_compile.c - parse rule expressions into the AST of internal_rule_ast.h.
 *
 * A recursive-descent parser over a CEL-like grammar:
 *   expr    := or ('?' expr ':' expr)?
 *   or      := and ('||' and)*
 *   and     := rel ('&&' rel)*
 *   rel     := add (('=='|'!='|'<'|'<='|'>'|'>='|'in') add)?
 *   add     := unary (('+'|'-') unary)*
 *   unary   := ('!'|'-') unary | postfix
 *   postfix := primary ('.' IDENT ['(' args ')'] | '[' expr ']')*
 *   primary := NUMBER | STRING | true | false | null | IDENT ['(' args ')']
 *            | '(' expr ')' | '[' [expr (',' expr)*] ']'
 * `params` is folded to constants here, so the request path never looks a
 * parameter up, and matches() with a constant pattern is compiled once.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_rule_ast.h"
#include "scoregate/policy.h"

#define MAX_NEST 64
#define MAX_LOCALS 16

typedef enum tok_type {
    T_END, T_IDENT, T_NUMBER, T_STRING, T_PUNCT
} tok_type;

typedef struct token {
    tok_type type;
    const char *start;
    size_t len;
    int column;
    double number;
    char *str;             /* T_STRING: unescaped text (owned by the parser) */
} token;

typedef struct parser {
    const char *text;
    const char *p;
    token tok;
    const json_t *params;
    const json_t *lets;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
    char *locals[MAX_LOCALS];
    int nlocals;
} parser;

static const struct { const char *name; pol_func func; int min, max; } functions[] = {
    {"has", POL_F_HAS, 1, 1},
    {"size", POL_F_SIZE, 1, 1},
    {"lower", POL_F_LOWER, 1, 1},
    {"upper", POL_F_UPPER, 1, 1},
    {"startsWith", POL_F_STARTS_WITH, 2, 2},
    {"endsWith", POL_F_ENDS_WITH, 2, 2},
    {"contains", POL_F_CONTAINS, 2, 2},
    {"matches", POL_F_MATCHES, 2, 2},
    {"quantity", POL_F_QUANTITY, 1, 1},
    {"isQuantity", POL_F_IS_QUANTITY, 1, 1},
    {"pathPrefix", POL_F_PATH_PREFIX, 2, 2},
    {"inRanges", POL_F_IN_RANGES, 2, 2},
    {"coalesce", POL_F_COALESCE, 1, 8},
    {"effective", POL_F_EFFECTIVE, 1, 1},
    {"string", POL_F_STRING, 1, 1},
    {"int", POL_F_INT, 1, 1},
    {"keys", POL_F_KEYS, 1, 1},
    {"type", POL_F_TYPE, 1, 1},
    {"join", POL_F_JOIN, 2, 2},
};

static const struct { const char *name; pol_macro macro; } macros[] = {
    {"exists", POL_M_EXISTS}, {"all", POL_M_ALL}, {"exists_one", POL_M_EXISTS_ONE},
    {"filter", POL_M_FILTER}, {"map", POL_M_MAP},
};

static const struct { const char *name; enum pol_var var; } variables[] = {
    {"object", POL_VAR_OBJECT}, {"metadata", POL_VAR_METADATA}, {"pod", POL_VAR_POD},
    {"podMetadata", POL_VAR_POD_METADATA}, {"container", POL_VAR_CONTAINER},
    {"containerType", POL_VAR_CONTAINER_TYPE}, {"namespace", POL_VAR_NAMESPACE},
    {"kind", POL_VAR_KIND}, {"name", POL_VAR_NAME},
};

static void fail(parser *ps, int column, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "column %d: %s", column, msg);
}

static int column_of(const parser *ps, const char *at)
{
    return (int)(at - ps->text) + 1;
}

/* ---------- lexer ---------- */

static void lex_string(parser *ps, char quote)
{
    const char *s = ps->p + 1;
    size_t cap = 16, n = 0;
    char *out = sg_malloc(cap);
    for (;;) {
        char c = *s;
        if (c == '\0') {
            fail(ps, ps->tok.column, "unterminated string");
            free(out);
            return;
        }
        if (c == quote)
            break;
        if (c == '\\') {
            s++;
            switch (*s) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '\\': c = '\\'; break;
            case '\'': c = '\''; break;
            case '"': c = '"'; break;
            default:
                fail(ps, column_of(ps, s), "unknown escape \\%c", *s ? *s : '0');
                free(out);
                return;
            }
        }
        if (n + 2 > cap) {
            cap *= 2;
            char *grown = sg_realloc(out, cap);
            out = grown;
        }
        out[n++] = c;
        s++;
    }
    out[n] = '\0';
    ps->tok.type = T_STRING;
    ps->tok.str = out;
    ps->tok.len = (size_t)(s + 1 - ps->p);
    ps->p = s + 1;
}

static void next(parser *ps)
{
    free(ps->tok.str);
    ps->tok.str = NULL;
    while (isspace((unsigned char)*ps->p))
        ps->p++;
    ps->tok.start = ps->p;
    ps->tok.column = column_of(ps, ps->p);
    char c = *ps->p;
    if (c == '\0') {
        ps->tok.type = T_END;
        ps->tok.len = 0;
        return;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        const char *s = ps->p;
        while (isalnum((unsigned char)*s) || *s == '_')
            s++;
        ps->tok.type = T_IDENT;
        ps->tok.len = (size_t)(s - ps->p);
        ps->p = s;
        return;
    }
    if (isdigit((unsigned char)c)) {
        char *end;
        ps->tok.number = strtod(ps->p, &end);
        ps->tok.type = T_NUMBER;
        ps->tok.len = (size_t)(end - ps->p);
        ps->p = end;
        return;
    }
    if (c == '\'' || c == '"') {
        lex_string(ps, c);
        return;
    }
    static const char *two[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (!strncmp(ps->p, two[i], 2)) {
            ps->tok.type = T_PUNCT;
            ps->tok.len = 2;
            ps->p += 2;
            return;
        }
    if (strchr(".,()[]!<>+-?:", c)) {
        ps->tok.type = T_PUNCT;
        ps->tok.len = 1;
        ps->p++;
        return;
    }
    fail(ps, ps->tok.column, "unexpected character '%c'", c);
    ps->tok.type = T_END;
}

static bool is_punct(const parser *ps, const char *s)
{
    return ps->tok.type == T_PUNCT && ps->tok.len == strlen(s) && !strncmp(ps->tok.start, s, ps->tok.len);
}

static bool is_ident(const parser *ps, const char *s)
{
    return ps->tok.type == T_IDENT && ps->tok.len == strlen(s) && !strncmp(ps->tok.start, s, ps->tok.len);
}

static bool accept(parser *ps, const char *s)
{
    if (!is_punct(ps, s))
        return false;
    next(ps);
    return true;
}

static void expect(parser *ps, const char *s)
{
    if (!accept(ps, s))
        fail(ps, ps->tok.column, "expected '%s'", s);
}

/* ---------- grammar ---------- */

static pol_node *parse_expr(parser *ps);

static pol_node *parse_args(parser *ps, pol_node *call)
{
    if (!is_punct(ps, ")")) {
        do {
            pol_node_add(call, parse_expr(ps));
        } while (!ps->failed && accept(ps, ","));
    }
    expect(ps, ")");
    return call;
}

static pol_node *finish_call(parser *ps, pol_node *call, const char *fname, int column)
{
    size_t i;
    for (i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (!strcmp(functions[i].name, fname))
            break;
    if (i == sizeof functions / sizeof functions[0]) {
        fail(ps, column, "unknown function '%s'", fname);
        return call;
    }
    call->func = functions[i].func;
    if ((int)call->nkids < functions[i].min || (int)call->nkids > functions[i].max) {
        fail(ps, column, "%s() takes %d argument%s", fname, functions[i].min,
             functions[i].min == 1 ? "" : "s");
        return call;
    }
    if (call->func == POL_F_EFFECTIVE) {
        pol_node *arg = call->kids[0];
        if (arg->type != POL_N_CONST || arg->value.t != POL_V_STR) {
            fail(ps, column, "effective() takes a field name in quotes, e.g. effective('runAsUser')");
            return call;
        }
        call->name = sg_strdup(arg->value.s);
    }
    if (call->func == POL_F_MATCHES && call->kids[1]->type == POL_N_CONST) {
        pol_node *pat = call->kids[1];
        if (pat->value.t != POL_V_STR) {
            if (pat->value.t != POL_V_NULL)
                fail(ps, column, "matches() needs a string pattern");
            return call;
        }
        char rerr[SG_ERRMAX];
        call->re = pol_regex_compile(pat->value.s, pat->value.len, rerr, sizeof rerr);
        if (!call->re)
            fail(ps, column, "%s", rerr);
    }
    return ps->failed ? call : pol_node_fold(call);
}

/* A let name expands to its own expression, parsed in place (bounded depth,
 * so a let that refers to itself fails instead of recursing forever). */
static pol_node *parse_text(const char *text, const json_t *params, const json_t *lets, int depth, int local_base,
                            char *err, size_t errlen);

/* Inside a macro the let is parsed with its macro variables numbered after
 * the enclosing ones, so they never share a slot; it cannot see those (it is
 * its own expression), so it gives the same value at every step. */
static pol_node *expand_let(parser *ps, const char *name, const char *text, int column)
{
    char lerr[256];
    pol_node *n = parse_text(text, ps->params, ps->lets, ps->depth + 8, ps->nlocals, lerr, sizeof lerr);
    if (!n) {
        fail(ps, column, "in let '%s': %s", name, lerr);
        return pol_node_new(POL_N_CONST, column);
    }
    return n;
}

static pol_node *parse_ident(parser *ps)
{
    int column = ps->tok.column;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)ps->tok.len, ps->tok.start);
    next(ps);
    if (!strcmp(name, "true") || !strcmp(name, "false")) {
        pol_node *n = pol_node_new(POL_N_CONST, column);
        n->value.t = POL_V_BOOL;
        n->value.b = name[0] == 't';
        return n;
    }
    if (!strcmp(name, "null"))
        return pol_node_new(POL_N_CONST, column);
    if (is_punct(ps, "(")) {
        next(ps);
        pol_node *call = pol_node_new(POL_N_CALL, column);
        parse_args(ps, call);
        return finish_call(ps, call, name, column);
    }
    if (!strcmp(name, "params"))
        return pol_node_const(ps->params, column, false);
    for (int i = ps->nlocals - 1; i >= 0; i--)
        if (ps->locals[i] && !strcmp(ps->locals[i], name)) {
            pol_node *n = pol_node_new(POL_N_LOCAL, column);
            n->var = i;
            return n;
        }
    const json_t *let = ps->lets ? json_object_get(ps->lets, name) : NULL;
    if (json_is_string(let))
        return expand_let(ps, name, json_string_value(let), column);
    for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++)
        if (!strcmp(variables[i].name, name)) {
            pol_node *n = pol_node_new(POL_N_VAR, column);
            n->var = (int)variables[i].var;
            return n;
        }
    fail(ps, column, "unknown name '%s'", name);
    return pol_node_new(POL_N_CONST, column);
}

static pol_node *parse_list(parser *ps, int column)
{
    pol_node *list = pol_node_new(POL_N_LIST, column);
    if (!is_punct(ps, "]")) {
        do {
            pol_node_add(list, parse_expr(ps));
        } while (!ps->failed && accept(ps, ","));
    }
    expect(ps, "]");
    bool constant = true;
    for (size_t i = 0; i < list->nkids; i++)
        constant = constant && list->kids[i]->type == POL_N_CONST;
    if (!constant || ps->failed)
        return list;
    json_t *arr = json_array();
    for (size_t i = 0; i < list->nkids; i++)
        json_array_append_new(arr, pol_value_to_json(list->kids[i]->value));
    pol_node_free(list);
    return pol_node_const(arr, column, true);
}

static pol_node *parse_primary(parser *ps)
{
    int column = ps->tok.column;
    if (ps->tok.type == T_NUMBER) {
        pol_node *n = pol_node_new(POL_N_CONST, column);
        n->value.t = POL_V_NUM;
        n->value.n = ps->tok.number;
        next(ps);
        return n;
    }
    if (ps->tok.type == T_STRING) {
        json_t *s = json_string(ps->tok.str);
        if (!s) {
            fail(ps, column, "string is not valid UTF-8");
            next(ps);
            return pol_node_new(POL_N_CONST, column);
        }
        next(ps);
        return pol_node_const(s, column, true);
    }
    if (ps->tok.type == T_IDENT)
        return parse_ident(ps);
    if (accept(ps, "(")) {
        pol_node *n = parse_expr(ps);
        expect(ps, ")");
        return n;
    }
    if (accept(ps, "["))
        return parse_list(ps, column);
    fail(ps, column, ps->tok.type == T_END ? "unexpected end of expression" : "unexpected '%.*s'",
         (int)ps->tok.len, ps->tok.start);
    return pol_node_new(POL_N_CONST, column);
}

/* `params.name` must name a declared parameter: a typo would otherwise read
 * null and silently change what the rule checks. Parameters declared without
 * a default and not configured are present as null (see params.c). */
static void check_param_name(parser *ps, const pol_node *base, const char *name, int column)
{
    if (ps->params && base->type == POL_N_CONST && base->value.t == POL_V_JSON && base->value.j == ps->params &&
        !json_object_get(ps->params, name))
        fail(ps, column, "unknown parameter '%s' (params holds only the parameters the recommendation declares)",
             name);
}

static pol_node *parse_macro(parser *ps, pol_node *target, pol_macro macro, int column)
{
    pol_node *n = pol_node_new(POL_N_MACRO, column);
    n->macro = macro;
    pol_node_add(n, target);
    if (ps->tok.type != T_IDENT) {
        fail(ps, ps->tok.column, "expected a variable name, as in list.exists(x, x == 1)");
        return n;
    }
    if (ps->nlocals == MAX_LOCALS) {
        fail(ps, column, "too many nested macros");
        return n;
    }
    n->var = ps->nlocals;
    ps->locals[ps->nlocals++] = sg_strndup(ps->tok.start, ps->tok.len);
    next(ps);
    expect(ps, ",");
    pol_node_add(n, parse_expr(ps));
    free(ps->locals[--ps->nlocals]);
    expect(ps, ")");
    return n;
}

static pol_node *parse_postfix(parser *ps)
{
    pol_node *n = parse_primary(ps);
    while (!ps->failed) {
        int column = ps->tok.column;
        if (accept(ps, ".")) {
            if (ps->tok.type != T_IDENT) {
                fail(ps, ps->tok.column, "expected a field name after '.'");
                break;
            }
            char name[128];
            int name_column = ps->tok.column;
            snprintf(name, sizeof name, "%.*s", (int)ps->tok.len, ps->tok.start);
            next(ps);
            if (!accept(ps, "(")) {
                check_param_name(ps, n, name, name_column);
                n = pol_node_field(n, name, column);
                continue;
            }
            size_t m;
            for (m = 0; m < sizeof macros / sizeof macros[0]; m++)
                if (!strcmp(macros[m].name, name))
                    break;
            if (m < sizeof macros / sizeof macros[0]) {
                n = parse_macro(ps, n, macros[m].macro, column);
                continue;
            }
            pol_node *call = pol_node_new(POL_N_CALL, column);
            pol_node_add(call, n);
            parse_args(ps, call);
            n = finish_call(ps, call, name, column);
        } else if (accept(ps, "[")) {
            pol_node *index = parse_expr(ps);
            expect(ps, "]");
            if (index->type == POL_N_CONST && index->value.t == POL_V_STR) {
                check_param_name(ps, n, index->value.s, column);
                n = pol_node_field(n, index->value.s, column);
                pol_node_free(index);
                continue;
            }
            pol_node *idx = pol_node_new(POL_N_INDEX, column);
            pol_node_add(idx, n);
            pol_node_add(idx, index);
            n = idx;
        } else {
            break;
        }
    }
    return n;
}

static pol_node *unary_node(pol_node_type type, pol_node *kid, int column)
{
    pol_node *n = pol_node_new(type, column);
    pol_node_add(n, kid);
    return pol_node_fold(n);
}

static pol_node *binary_node(pol_node_type type, pol_node *a, pol_node *b, int column)
{
    pol_node *n = pol_node_new(type, column);
    pol_node_add(n, a);
    pol_node_add(n, b);
    return pol_node_fold(n);
}

static pol_node *parse_unary(parser *ps)
{
    int column = ps->tok.column;
    if (++ps->depth > MAX_NEST) {
        fail(ps, column, "expression nested too deeply");
        return pol_node_new(POL_N_CONST, column);
    }
    pol_node *n;
    if (accept(ps, "!"))
        n = unary_node(POL_N_NOT, parse_unary(ps), column);
    else if (accept(ps, "-"))
        n = unary_node(POL_N_NEG, parse_unary(ps), column);
    else
        n = parse_postfix(ps);
    ps->depth--;
    return n;
}

static pol_node *parse_add(parser *ps)
{
    pol_node *n = parse_unary(ps);
    while (!ps->failed) {
        int column = ps->tok.column;
        if (accept(ps, "+"))
            n = binary_node(POL_N_ADD, n, parse_unary(ps), column);
        else if (accept(ps, "-"))
            n = binary_node(POL_N_SUB, n, parse_unary(ps), column);
        else
            break;
    }
    return n;
}

static pol_node *parse_rel(parser *ps)
{
    pol_node *n = parse_add(ps);
    static const struct { const char *op; pol_node_type type; } ops[] = {
        {"==", POL_N_EQ}, {"!=", POL_N_NE}, {"<=", POL_N_LE}, {">=", POL_N_GE},
        {"<", POL_N_LT}, {">", POL_N_GT},
    };
    int column = ps->tok.column;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (accept(ps, ops[i].op))
            return binary_node(ops[i].type, n, parse_add(ps), column);
    if (is_ident(ps, "in")) {
        next(ps);
        return binary_node(POL_N_IN, n, parse_add(ps), column);
    }
    return n;
}

static pol_node *parse_and(parser *ps)
{
    pol_node *n = parse_rel(ps);
    while (!ps->failed) {
        int column = ps->tok.column;
        if (!accept(ps, "&&"))
            break;
        n = binary_node(POL_N_AND, n, parse_rel(ps), column);
    }
    return n;
}

static pol_node *parse_or(parser *ps)
{
    pol_node *n = parse_and(ps);
    while (!ps->failed) {
        int column = ps->tok.column;
        if (!accept(ps, "||"))
            break;
        n = binary_node(POL_N_OR, n, parse_and(ps), column);
    }
    return n;
}

static pol_node *parse_expr(parser *ps)
{
    if (++ps->depth > MAX_NEST) {
        fail(ps, ps->tok.column, "expression nested too deeply");
        return pol_node_new(POL_N_CONST, ps->tok.column);
    }
    pol_node *n = parse_or(ps);
    int column = ps->tok.column;
    if (!ps->failed && accept(ps, "?")) {
        pol_node *c = pol_node_new(POL_N_COND, column);
        pol_node_add(c, n);
        pol_node_add(c, parse_expr(ps));
        expect(ps, ":");
        pol_node_add(c, parse_expr(ps));
        n = ps->failed ? c : pol_node_fold(c);
    }
    ps->depth--;
    return n;
}

/* Parse `text` whole; macro variables are numbered from `local_base` on. */
static pol_node *parse_text(const char *text, const json_t *params, const json_t *lets, int depth, int local_base,
                            char *err, size_t errlen)
{
    parser ps = {.text = text, .p = text, .params = params, .lets = lets, .depth = depth,
                 .err = err, .errlen = errlen, .nlocals = local_base};
    next(&ps);
    pol_node *root = parse_expr(&ps);
    if (!ps.failed && ps.tok.type != T_END)
        fail(&ps, ps.tok.column, "unexpected '%.*s' after the expression", (int)ps.tok.len, ps.tok.start);
    free(ps.tok.str);
    while (ps.nlocals > local_base)
        free(ps.locals[--ps.nlocals]);
    if (ps.failed) {
        pol_node_free(root);
        return NULL;
    }
    return root;
}

pol_node *pol_rule_parse(const char *text, const json_t *params, const json_t *lets, int depth, char *err,
                         size_t errlen)
{
    return parse_text(text, params, lets, depth, 0, err, errlen);
}

pol_expr *pol_expr_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                           size_t errlen)
{
    pol_node *root = pol_rule_parse(text, params, lets, 0, err, errlen);
    if (!root)
        return NULL;
    pol_expr *e = sg_calloc(1, sizeof *e);
    e->root = root;
    e->text = sg_strdup(text);
    return e;
}

void pol_expr_free(pol_expr *e)
{
    if (!e)
        return;
    pol_node_free(e->root);
    free(e->text);
    free(e);
}
