/*
 * test_edit.c - the stream editor (sg_edit in doc.h), data-driven: every
 * tests/doc/edit_cases/NAME.case holds an input stream, the values to set
 * and the exact text expected (or the error expected); the runner also
 * checks that editing the output towards the same values changes nothing.
 * Then Helm template detection and the manifests' JSON Pointers.
 *
 * A case file is made of sections, each starting with a line "=== WHAT":
 *   === input [crlf] [no final newline]   the stream (crlf: lines end in CRLF)
 *   === set DOCUMENT POINTER              the new value, JSON, on the lines that follow
 *   === output [no final newline]          the edited text expected
 *   === error                              a text the error message contains
 * Lines before the first section are comments.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <scoregate/doc.h>

#define CASES SG_SOURCE_DIR "/tests/doc/edit_cases"
#define MAX_SETS 8

typedef struct edit_case {
    char *input, *output, *error;
    int docs[MAX_SETS];
    char *pointers[MAX_SETS];
    json_t *values[MAX_SETS];
    int nsets;
} edit_case;

/* The text of a section: its lines, with CRLF line ends when asked, without the last line break when asked. */
static char *section_text(const char *from, const char *to, bool crlf, bool no_final)
{
    size_t cap = 2 * (size_t)(to - from) + 1, n = 0;
    char *out = malloc(cap);
    for (const char *p = from; p < to; p++) {
        if (*p == '\n' && crlf)
            out[n++] = '\r';
        out[n++] = *p;
    }
    if (no_final && n && out[n - 1] == '\n')
        n -= crlf ? 2 : 1;
    out[n] = '\0';
    return out;
}

static void parse_case(const char *text, edit_case *c)
{
    memset(c, 0, sizeof *c);
    const char *p = strstr(text, "=== ");
    while (p) {
        const char *eol = strchr(p, '\n');
        const char *body = eol ? eol + 1 : p + strlen(p);
        const char *next = strstr(body, "\n=== ");
        const char *end = next ? next + 1 : body + strlen(body);
        char head[256];
        snprintf(head, sizeof head, "%.*s", (int)(eol - p), p);
        bool crlf = strstr(head, "crlf") != NULL, no_final = strstr(head, "no final newline") != NULL;
        if (!strncmp(head, "=== input", 9)) {
            c->input = section_text(body, end, crlf, no_final);
        } else if (!strncmp(head, "=== output", 10)) {
            c->output = section_text(body, end, crlf, no_final);
        } else if (!strncmp(head, "=== error", 9)) {
            c->error = section_text(body, end, false, true);
        } else if (!strncmp(head, "=== set ", 8) && c->nsets < MAX_SETS) {
            char pointer[200] = "";
            sscanf(head + 8, "%d %199s", &c->docs[c->nsets], pointer);
            c->pointers[c->nsets] = strdup(strcmp(pointer, "\"\"") ? pointer : "");
            json_error_t je;
            c->values[c->nsets] = json_loadb(body, (size_t)(end - body), JSON_DECODE_ANY, &je);
            if (!c->values[c->nsets])
                print_error("a set section's value is no JSON: %s\n", je.text);
            c->nsets++;
        }
        p = next ? next + 1 : NULL;
    }
}

static void free_case(edit_case *c)
{
    free(c->input);
    free(c->output);
    free(c->error);
    for (int i = 0; i < c->nsets; i++) {
        free(c->pointers[i]);
        json_decref(c->values[i]);
    }
}

/* Apply the case's sets to `text`; the edited text, or NULL with the error in err. */
static char *edit(const edit_case *c, const char *text, bool *changed, char *err)
{
    sg_edit *e;
    char *out = NULL;
    size_t len;
    if (sg_edit_open("case.yaml", text, strlen(text), &e, err, SG_ERRMAX) < 0)
        return NULL;
    int rc = 0;
    for (int i = 0; i < c->nsets && rc == 0; i++)
        rc = sg_edit_set(e, c->docs[i], c->pointers[i], c->values[i], err, SG_ERRMAX);
    *changed = sg_edit_changed(e);
    if (rc == 0 && sg_edit_text(e, &out, &len, err, SG_ERRMAX) == 0)
        assert_int_equal(len, strlen(out));
    sg_edit_free(e);
    return out;
}

/* Run one case; false (said on standard error) when it fails. */
static bool run_case(const char *name, const char *text)
{
    edit_case c;
    parse_case(text, &c);
    bool ok = c.input && !c.output != !c.error;
    char err[SG_ERRMAX] = "";
    bool changed;
    char *out = ok ? edit(&c, c.input, &changed, err) : NULL;
    if (!ok) {
        print_error("%s: needs an input and one of output or error\n", name);
    } else if (c.error) {
        ok = !out && strstr(err, c.error);
        if (!ok)
            print_error("%s: expected an error with \"%s\", got %s\n", name, c.error, out ? out : err);
    } else if (!out || strcmp(out, c.output)) {
        print_error("%s: output differs\n--- got:\n%s\n--- want:\n%s\n(%s)\n", name, out ? out : "(none)",
                    c.output, err);
        ok = false;
    } else {
        char *again = edit(&c, out, &changed, err);
        ok = again && !changed && !strcmp(again, out);
        if (!ok)
            print_error("%s: editing the output again changed it (%s)\n", name, again ? again : err);
        free(again);
    }
    free(out);
    free_case(&c);
    return ok;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_cases(void **state)
{
    (void)state;
    DIR *d = opendir(CASES);
    assert_non_null(d);
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512)
        if (strstr(e->d_name, ".case"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    assert_true(n >= 20);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024], *text, err[SG_ERRMAX];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", CASES, names[i]);
        assert_int_equal(sg_file_read(path, 1 << 20, &text, &len, err, sizeof err), 0);
        failed += !run_case(names[i], text);
        free(text);
        free(names[i]);
    }
    assert_int_equal(failed, 0);
}

static void assert_helm(const char *text, int want_doc, int want_line)
{
    int doc, line;
    int found = sg_helm_template_find(text, strlen(text), &doc, &line);
    if (found != (want_line > 0) || (found && (doc != want_doc || line != want_line)))
        fail_msg("helm: %s\n got %d (document %d, line %d), want document %d, line %d", text, found, doc, line,
                 want_doc, want_line);
}

static void test_helm(void **state)
{
    (void)state;
    assert_helm("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-web\n", 1, 4);
    assert_helm("kind: Pod\nspec:\n  image: \"{{ .Values.image }}\"\n", 1, 3);
    assert_helm("---\nkind: A\n---\n{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n", 2, 4);
    assert_helm("kind: Pod\nmetadata:\n  labels:\n    {{- include \"chart.labels\" . | nindent 4 }}\n", 1, 4);
    assert_helm("kind: Pod\nmetadata:\n  name: {{ template \"x\" }}\n", 1, 3);
    /* Rendered output with Go templates of other tools: not Helm's. */
    assert_helm("kind: PrometheusRule\nspec:\n  summary: \"{{ $labels.instance }} is down\"\n", 0, 0);
    assert_helm("kind: ConfigMap\ndata:\n  t: |\n    {{ .Values.x }} {{- if .y }}\n", 0, 0);
    assert_helm("# {{ .Values.commented }}\nkind: Pod\n", 0, 0);
    assert_helm("kind: Pod\n", 0, 0);
}

static void test_manifest_pointers(void **state)
{
    (void)state;
    const char *text = "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: List\nitems:\n"
                       "- {apiVersion: v1, kind: Pod}\n- apiVersion: v1\n  kind: PodList\n  items:\n"
                       "  - {apiVersion: v1, kind: Pod}\n";
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(sg_manifest_parse(&list, "x.yaml", text, strlen(text), err, sizeof err), 0);
    assert_int_equal(list.count, 3);
    assert_string_equal(list.items[0].pointer, "");
    assert_string_equal(list.items[1].pointer, "/items/0");
    assert_string_equal(list.items[2].pointer, "/items/1/items/0");
    assert_int_equal(list.items[2].document, 2);
    sg_manifest_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_helm),
        cmocka_unit_test(test_manifest_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
