/*
 * fix_diff.c - `scoregate fix --diff`: a unified diff (as `diff -u` and git
 * write it, three lines of context) of each file's text before and after,
 * for a person to review. Lines are matched with Myers' O(ND) algorithm; the
 * fixer's edits are small, so D is too. A line without a final line break
 * is marked "\ No newline at end of file".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix.h"

#define CONTEXT 3

typedef struct diff_line {
    const char *p;
    size_t n;          /* bytes, its line break included */
} diff_line;

typedef struct diff_op {
    char kind;         /* ' ', '-' or '+' */
    size_t a, b;       /* line index in the old and the new text (of the line it shows) */
} diff_op;

static diff_line *split_lines(const char *s, size_t len, size_t *count)
{
    size_t n = 0, cap = 16;
    diff_line *lines = sg_malloc(cap * sizeof *lines);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) + 1 : len;
        if (n == cap)
            lines = sg_reallocarray(lines, cap *= 2, sizeof *lines);
        lines[n++] = (diff_line){s + pos, end - pos};
        pos = end;
    }
    *count = n;
    return lines;
}

static bool same(const diff_line *x, const diff_line *y)
{
    return x->n == y->n && !memcmp(x->p, y->p, x->n);
}

/* Myers: trace[d] holds V for k in [-d, d] (index k + d) after step d. Returns D. */
static size_t myers(const diff_line *a, size_t na, const diff_line *b, size_t nb, long ***trace_out)
{
    long **trace = NULL;
    for (size_t d = 0;; d++) {
        long *v = sg_malloc((2 * d + 1) * sizeof *v);
        trace = sg_reallocarray(trace, d + 1, sizeof *trace);
        trace[d] = v;
        long *prev = d ? trace[d - 1] : NULL;
        for (long k = -(long)d; k <= (long)d; k += 2) {
            long x;
            if (d == 0)
                x = 0;
            else if (k == -(long)d || (k != (long)d && prev[k - 1 + (long)d - 1] < prev[k + 1 + (long)d - 1]))
                x = prev[k + 1 + (long)d - 1];
            else
                x = prev[k - 1 + (long)d - 1] + 1;
            long y = x - k;
            while (x < (long)na && y < (long)nb && same(&a[x], &b[y]))
                x++, y++;
            v[k + (long)d] = x;
            if (x >= (long)na && y >= (long)nb) {
                *trace_out = trace;
                return d;
            }
        }
    }
}

/* The edit script, in order, from Myers' trace. */
static diff_op *script(const diff_line *a, size_t na, const diff_line *b, size_t nb, size_t *nops)
{
    long **trace;
    size_t dmax = myers(a, na, b, nb, &trace);
    diff_op *ops = sg_malloc((na + nb + 1) * sizeof *ops);
    size_t n = 0;
    long x = (long)na, y = (long)nb;
    for (size_t d = dmax; d > 0; d--) {
        long k = x - y, *prev = trace[d - 1], pd = (long)d - 1;
        bool down = k == -(long)d || (k != (long)d && prev[k - 1 + pd] < prev[k + 1 + pd]);
        long pk = down ? k + 1 : k - 1, px = prev[pk + pd], py = px - pk;
        while (x > px && y > py)
            ops[n++] = (diff_op){' ', (size_t)--x, (size_t)--y};
        ops[n++] = down ? (diff_op){'+', (size_t)x, (size_t)--y} : (diff_op){'-', (size_t)--x, (size_t)y};
    }
    while (x > 0 && y > 0)
        ops[n++] = (diff_op){' ', (size_t)--x, (size_t)--y};
    for (size_t d = 0; d <= dmax; d++)
        free(trace[d]);
    free(trace);
    for (size_t i = 0; i < n / 2; i++) {
        diff_op t = ops[i];
        ops[i] = ops[n - 1 - i];
        ops[n - 1 - i] = t;
    }
    *nops = n;
    return ops;
}

static void put_line(FILE *out, char kind, const diff_line *l)
{
    fputc(kind, out);
    fwrite(l->p, 1, l->n, out);
    if (!l->n || l->p[l->n - 1] != '\n')
        fputs("\n\\ No newline at end of file\n", out);
}

/* One hunk: ops [from, to), with the old and new line numbers of its start. */
static void put_hunk(FILE *out, const diff_op *ops, size_t from, size_t to, const diff_line *a, const diff_line *b)
{
    size_t olds = 0, news = 0;
    for (size_t i = from; i < to; i++) {
        olds += ops[i].kind != '+';
        news += ops[i].kind != '-';
    }
    size_t a0 = ops[from].a + (olds ? 1 : 0), b0 = ops[from].b + (news ? 1 : 0);
    fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", a0, olds, b0, news);
    for (size_t i = from; i < to; i++)
        put_line(out, ops[i].kind, ops[i].kind == '+' ? &b[ops[i].b] : &a[ops[i].a]);
}

void fix_write_diff(FILE *out, const char *name, const char *old, size_t oldlen, const char *new, size_t newlen)
{
    size_t na, nb, nops;
    diff_line *a = split_lines(old, oldlen, &na), *b = split_lines(new, newlen, &nb);
    diff_op *ops = script(a, na, b, nb, &nops);
    const char *prefix_a = *name == '/' ? "" : "a/", *prefix_b = *name == '/' ? "" : "b/";
    fprintf(out, "--- %s%s\n+++ %s%s\n", prefix_a, name, prefix_b, name);
    for (size_t i = 0; i < nops;) {
        if (ops[i].kind == ' ') {
            i++;
            continue;
        }
        /* One hunk holds the changes fewer than 2 * CONTEXT unchanged lines apart, with CONTEXT lines around. */
        size_t last = i, j = i;
        while (j < nops) {
            if (ops[j].kind != ' ') {
                last = j++;
                continue;
            }
            size_t k = j;
            while (k < nops && ops[k].kind == ' ')
                k++;
            if (k == nops || k - j > 2 * CONTEXT)
                break;
            j = k;
        }
        size_t from = i > CONTEXT ? i - CONTEXT : 0, end = last + 1 + CONTEXT < nops ? last + 1 + CONTEXT : nops;
        put_hunk(out, ops, from, end, a, b);
        i = end;
    }
    free(ops);
    free(a);
    free(b);
}
