/*
 * helm.c - telling an unrendered Helm template from a manifest
 * (sg_helm_template_find in doc.h). A template is not the objects it
 * renders: fixing its text would fix a guess. Go template actions also
 * appear in rendered output (Prometheus and Alertmanager rules, in block
 * scalars mostly), so only actions Helm would render count: those that name
 * Helm's built-in objects, call Helm's or sprig's functions or control
 * words, or trim whitespace ({{- -}}), and only outside block scalars and
 * comments. A stream that is not YAML at all is searched line by line,
 * comment lines aside.
 */
#include <ctype.h>
#include <string.h>

#include "edit_internal.h"
#include "internal.h"

static const char *const helm_objects[] = {".Values", ".Release", ".Chart", ".Capabilities", ".Files",
                                           ".Template", ".Subcharts", NULL};
static const char *const helm_words[] = {"if", "else", "end", "range", "with", "define", "template", "include",
                                         "block", "tpl", "toYaml", "toJson", "required", "quote", "nindent",
                                         "indent", "lookup", "fail", NULL};

/* Whether the action whose text follows "{{" at `s` (up to `end`) is one Helm renders. */
static bool helm_action(const char *s, const char *end)
{
    if (s < end && *s == '-')
        return true;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (end - s >= 2 && !memcmp(s, "/*", 2))
        return true;
    if (s < end && *s == '$')
        s++;
    for (size_t i = 0; helm_objects[i]; i++) {
        size_t n = strlen(helm_objects[i]);
        if ((size_t)(end - s) >= n && !memcmp(s, helm_objects[i], n) && (s + n == end || !isalnum((unsigned char)s[n])))
            return true;
    }
    for (size_t i = 0; helm_words[i]; i++) {
        size_t n = strlen(helm_words[i]);
        if ((size_t)(end - s) > n && !memcmp(s, helm_words[i], n) && !isalnum((unsigned char)s[n]) && s[n] != '_')
            return true;
    }
    const char *close = s;
    while (close + 2 < end && memcmp(close, "}}", 2))
        close++;
    return close > s && close[-1] == '-';
}

/* The first Helm action in [from, to), or NULL. */
static const char *helm_find(const char *text, size_t from, size_t to)
{
    for (const char *p = text + from; p + 1 < text + to; p++) {
        p = memchr(p, '{', (size_t)(text + to - p));
        if (!p || p + 1 >= text + to)
            return NULL;
        if (p[1] == '{' && helm_action(p + 2, text + to))
            return p;
    }
    return NULL;
}

static int helm_line(const char *text, const char *at)
{
    int line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

/* A stream libyaml cannot read: every line but comment lines; documents counted by their --- lines. */
static int helm_find_raw(const char *data, size_t len, int *document, int *line)
{
    int doc = 1;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len, first = pos;
        while (first < end && (data[first] == ' ' || data[first] == '\t'))
            first++;
        if (end - pos >= 3 && !memcmp(data + pos, "---", 3) && pos > 0)
            doc++;
        const char *hit = first < end && data[first] != '#' ? helm_find(data, pos, end) : NULL;
        if (hit) {
            *document = doc;
            *line = helm_line(data, hit);
            return 1;
        }
        pos = end + 1;
    }
    return 0;
}

int sg_helm_template_find(const char *data, size_t len, int *document, int *line)
{
    *document = *line = 0;
    if (!data || !memmem(data, len, "{{", 2))
        return 0;
    ed_tree t;
    char err[SG_ERRMAX];
    int docno = 0, found = 0;
    if (ed_tree_init(&t, "", data, len, err, sizeof err) < 0 ||
        ed_tree_add(&t, "", 0, len, &docno, err, sizeof err) < 0) {
        ed_tree_free(&t);
        return helm_find_raw(data, len, document, line);
    }
    /* Scalars other than block scalars, and flow collections opening with {{ (as {{ .x }} reads). */
    for (size_t i = 0; i < t.n && !found; i++) {
        const ed_node *n = &t.nodes[i];
        bool braces = n->kind != ED_SCALAR && n->flow && n->body + 1 < len && !memcmp(data + n->body, "{{", 2);
        bool look = (n->kind == ED_SCALAR && n->quote != ED_BLOCK) || braces;
        const char *hit = look ? helm_find(data, n->body, n->end) : NULL;
        if (hit) {
            *document = n->doc;
            *line = helm_line(data, hit);
            found = 1;
        }
    }
    ed_tree_free(&t);
    return found;
}
