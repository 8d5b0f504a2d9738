/*
 * run_rules.c - the table test of the rule language (docs/rule-language.md).
 *
 * Every YAML file in the cases folder (the build passes them all) is one table:
 *
 *   objects:                                  # optional, objects the cases name
 *     pod: {apiVersion: v1, kind: Pod, ...}
 *   cases:
 *     - {expr: "1 + 2", value: 3}
 *     - {expr: "size(container.image)", object: pod, container: app, value: 5}
 *     - {template: "in ${namespace}", object: pod, value: "in team-a"}
 *     - {path: "container.securityContext", object: pod, container: app,
 *        value: [spec, containers, 0, securityContext]}
 *     - {expr: "size(1, 2)", error: "size() takes 1 argument"}
 *     - {expr: "...", object: big, cut: true}
 *
 * A case is an expression (`expr`), a message template (`template`) or a fix
 * path (`path`), compiled as the loader compiles a recommendation's parts
 * with `params` and `let` (optional), and evaluated once against `object`
 * (a name from `objects`, or a mapping) with `container` (a container's
 * name) and `namespace` bound when given. It expects either `value` (the
 * exact JSON result) or `error` (text the compile error contains), and
 * `cut: true` when evaluation must stop at the engine's limits.
 *
 * Then the coverage of the documentation: every function, macro, operator
 * and literal keyword that the Expressions and Functions tables of
 * docs/rule-language.md show must appear in some case, so a documented
 * feature cannot go untested. Prints "N passed, N failed"; exits non-zero on
 * any failure.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/doc.h>
#include <scoregate/policy_testing.h>

static int passed, failed;
static json_t *all_texts;   /* every case's text, for the coverage check */
static int documented;      /* features found in the documentation */

/* One table file being run. */
typedef struct table {
    const char *file;
    const sg_linemap *lines;
    const json_t *objects;
} table;

__attribute__((format(printf, 3, 4)))
static void failf(const table *t, const json_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: line %d: ", t->file, sg_linemap_node(t->lines, c));
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failed++;
}

static const char *const case_keys[] = {"expr", "template", "path", "params", "let", "object", "namespace",
                                        "container", "value", "error", "cut", NULL};

/* The case's fields must be known (a typo must not skip a check) and say one thing. */
static bool well_formed(const table *t, const json_t *c)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)c, key, v) {
        size_t i;
        for (i = 0; case_keys[i] && strcmp(case_keys[i], key); i++)
            ;
        if (!case_keys[i]) {
            failf(t, c, "unknown key '%s'", key);
            return false;
        }
    }
    int forms = !!json_object_get(c, "expr") + !!json_object_get(c, "template") + !!json_object_get(c, "path");
    int wants = !!json_object_get(c, "value") + !!json_object_get(c, "error");
    if (forms != 1 || (wants != 1 && !json_object_get(c, "cut"))) {
        failf(t, c, "a case has one of expr, template or path, and value, error or cut");
        return false;
    }
    const json_t *text = json_object_get(c, "expr");
    text = text ? text : json_object_get(c, "template") ? json_object_get(c, "template") : json_object_get(c, "path");
    if (!json_is_string(text)) {
        failf(t, c, "expr, template and path are text");
        return false;
    }
    return true;
}

static void describe_case(const json_t *c, pol_testing_case *out, const table *t)
{
    memset(out, 0, sizeof *out);
    const json_t *text = json_object_get(c, "expr");
    out->form = POL_TESTING_EXPR;
    if (!text && (text = json_object_get(c, "template")))
        out->form = POL_TESTING_TEMPLATE;
    if (!text && (text = json_object_get(c, "path")))
        out->form = POL_TESTING_PATH;
    out->text = json_string_value(text);
    out->params = json_object_get(c, "params");
    out->lets = json_object_get(c, "let");
    const json_t *object = json_object_get(c, "object");
    out->object = json_is_string(object) ? json_object_get(t->objects, json_string_value(object)) : object;
    out->namespace_ = json_string_value(json_object_get(c, "namespace"));
    out->container = json_string_value(json_object_get(c, "container"));
}

/* Compare what the case got with what it wants. */
static void check_result(const table *t, const json_t *c, const char *text, int rc, const json_t *value, bool cut,
                         const char *err)
{
    const json_t *want = json_object_get(c, "value");
    const char *want_error = json_string_value(json_object_get(c, "error"));
    bool want_cut = json_is_true(json_object_get(c, "cut"));
    if (rc < 0 && !want_error) {
        failf(t, c, "%s: does not compile: %s", text, err);
        return;
    }
    if (want_error) {
        if (rc == 0)
            failf(t, c, "%s: compiles, want error \"%s\"", text, want_error);
        else if (!strstr(err, want_error))
            failf(t, c, "error \"%s\", want \"%s\"", err, want_error);
        else
            passed++;
        return;
    }
    if (cut != want_cut) {
        failf(t, c, "%s: %s", text, cut ? "stopped at the evaluation limits" : "was not stopped at the limits");
        return;
    }
    if (want && !json_equal(want, value)) {
        char *got = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        failf(t, c, "%s: got %s", text, got);
        free(got);
        return;
    }
    passed++;
}

static void run_case(const table *t, const json_t *c)
{
    if (!json_is_object(c)) {
        failf(t, c, "a case is a mapping");
        return;
    }
    if (!well_formed(t, c))
        return;
    pol_testing_case tc;
    describe_case(c, &tc, t);
    if (json_is_string(json_object_get(c, "object")) && !tc.object) {
        failf(t, c, "no object '%s' in objects", json_string_value(json_object_get(c, "object")));
        return;
    }
    json_array_append_new(all_texts, json_string(tc.text));
    json_t *value = NULL;
    bool cut = false;
    char err[SG_ERRMAX] = "";
    int rc = pol_testing_run(&tc, &value, &cut, err, sizeof err);
    check_result(t, c, tc.text, rc, value, cut, err);
    json_decref(value);
}

static void run_file(const char *path)
{
    char *data = NULL, err[SG_ERRMAX];
    size_t len;
    json_t *docs = NULL;
    sg_linemap *lines = NULL;
    int rc = sg_file_read(path, SG_MAX_INPUT, &data, &len, err, sizeof err);
    if (rc == 0)
        rc = sg_yaml_load(path, data, len, &docs, NULL, &lines, err, sizeof err);
    free(data);
    if (rc < 0) {
        printf("FAIL %s\n", err);
        failed++;
        return;
    }
    const json_t *doc = json_array_get(docs, 0);
    table t = {path, lines, json_object_get(doc, "objects")};
    const json_t *cases = json_object_get(doc, "cases");
    if (json_array_size(docs) != 1 || !json_array_size(cases)) {
        printf("FAIL %s: one document with a list of cases\n", path);
        failed++;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c)
        run_case(&t, c);
    sg_linemap_free(lines);
    json_decref(docs);
}

/* Whether `text` uses `op` as an operator: a binary one between spaces (as
 * the cases write them), `!` before an operand. */
static bool uses_op(const char *text, const char *op)
{
    size_t n = strlen(op);
    for (const char *p = strstr(text, op); p; p = strstr(p + 1, op)) {
        if (!strcmp(op, "!")) {
            if (p[1] == '(' || isalpha((unsigned char)p[1]))
                return true;
        } else if (p > text && p[-1] == ' ' && p[n] == ' ') {
            return true;
        }
    }
    return false;
}

/* Whether `text` calls `name` (as a function or a method) or, for a keyword, names it. */
static bool uses_word(const char *text, const char *name, bool call)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        bool starts = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool ends = call ? p[n] == '(' : !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (starts && ends)
            return true;
    }
    return false;
}

/* A documented feature (a call, a keyword or an operator) some case must use. */
static void require(const char *what, const char *name)
{
    size_t i;
    const json_t *text;
    documented++;
    json_array_foreach(all_texts, i, text) {
        const char *s = json_string_value(text);
        if (!strcmp(what, "an operator") ? uses_op(s, name) : uses_word(s, name, !strcmp(what, "a function"))) {
            passed++;
            return;
        }
    }
    printf("FAIL docs/rule-language.md documents %s, %s, which no case uses\n", what, name);
    failed++;
}

/* A code span without its quoted literals (their text is not syntax) and
 * with markdown's escaped pipes unescaped. */
static void strip_span(const char *span, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = span; *p && n + 1 < size; p++) {
        if (*p == '\'' || *p == '"') {
            const char *end = strchr(p + 1, *p);
            p = end ? end : p + strlen(p) - 1;
            out[n++] = '\'';
        } else if (!(*p == '\\' && p[1] == '|')) {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* The documented features in one code span of a table's first column:
 * names called as functions or methods, operators, and the keywords. */
static void require_span(const char *span)
{
    static const char *const keywords[] = {"in", "true", "false", "null", NULL};
    char clean[256], word[64];
    strip_span(span, clean, sizeof clean);
    for (const char *p = clean; *p;) {
        size_t w = 0;
        if (isalpha((unsigned char)*p) || *p == '_') {
            while ((isalnum((unsigned char)*p) || *p == '_') && w + 1 < sizeof word)
                word[w++] = *p++;
            word[w] = '\0';
            for (size_t k = 0; keywords[k] && *p != '('; k++)
                if (!strcmp(word, keywords[k]))
                    require("a keyword", word);
            if (*p == '(')
                require("a function", word);
            continue;
        }
        while (*p && strchr("=!<>&|?:+-", *p) && w + 1 < sizeof word)
            word[w++] = *p++;
        word[w] = '\0';
        if (w)
            require("an operator", word);
        else
            p++;
    }
}

/* Walk the first column of the tables under "## Expressions" (the
 * expressions and the functions) up to the next section. */
static void check_coverage(const char *doc_path)
{
    FILE *f = fopen(doc_path, "r");
    if (!f) {
        printf("FAIL %s: cannot read it\n", doc_path);
        failed++;
        return;
    }
    char line[2048];
    bool in_section = false;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "## ", 3))
            in_section = !strncmp(line, "## Expressions", 14);
        if (!in_section || line[0] != '|' || !strncmp(line, "|---", 4))
            continue;
        char *end = strstr(line + 1, " | ");
        if (end)
            *end = '\0';
        for (char *p = strchr(line, '`'); p; p = strchr(p, '`')) {
            char *close = strchr(p + 1, '`');
            if (!close)
                break;
            *close = '\0';
            require_span(p + 1);
            p = close + 1;
        }
    }
    fclose(f);
    /* Less than the functions alone means the tables moved: the check would pass on nothing. */
    if (documented < 19) {
        printf("FAIL %s: found %d documented functions and operators under \"## Expressions\"\n", doc_path,
               documented);
        failed++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s docs/rule-language.md CASES.yaml...\n", argv[0]);
        return 2;
    }
    all_texts = json_array();
    for (int i = 2; i < argc; i++)
        run_file(argv[i]);
    check_coverage(argv[1]);
    json_decref(all_texts);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
