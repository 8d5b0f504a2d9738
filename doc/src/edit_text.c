/*
 * edit_text.c - positions in the text of a stream being edited: lines,
 * columns, the gaps of whitespace and comments between tokens, and the
 * indicators (':' after a key, '-' before a block sequence item) that
 * libyaml's events do not mark.
 */
#include <string.h>

#include "edit_internal.h"

size_t ed_line_start(const ed_tree *t, size_t pos)
{
    size_t at = pos;
    while (at > 0 && t->text[at - 1] != '\n')
        at--;
    /* A byte order mark is not part of the first line's indentation. */
    if (at == 0 && pos >= 3 && t->len >= 3 && !memcmp(t->text, "\xEF\xBB\xBF", 3))
        return 3;
    return at;
}

size_t ed_line_end(const ed_tree *t, size_t pos)
{
    while (pos < t->len && t->text[pos] != '\n')
        pos++;
    if (pos < t->len && pos > 0 && t->text[pos - 1] == '\r')
        pos--;
    return pos;
}

size_t ed_next_line(const ed_tree *t, size_t pos)
{
    if (pos == 0 || (pos <= t->len && t->text[pos - 1] == '\n'))
        return pos;
    while (pos < t->len && t->text[pos] != '\n')
        pos++;
    return pos < t->len ? pos + 1 : t->len;
}

size_t ed_column(const ed_tree *t, size_t pos)
{
    return pos - ed_line_start(t, pos);
}

bool ed_first_on_line(const ed_tree *t, size_t pos)
{
    for (size_t i = ed_line_start(t, pos); i < pos; i++)
        if (t->text[i] != ' ')
            return false;
    return true;
}

size_t ed_trim_back(const ed_tree *t, size_t from, size_t to)
{
    while (to > from && strchr(" \t\r\n", t->text[to - 1]))
        to--;
    return to;
}

size_t ed_skip_gap(const ed_tree *t, size_t pos)
{
    while (pos < t->len) {
        char c = t->text[pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            pos++;
        } else if (c == '#') {
            while (pos < t->len && t->text[pos] != '\n')
                pos++;
        } else {
            break;
        }
    }
    return pos;
}

size_t ed_colon(const ed_tree *t, size_t key)
{
    size_t pos = t->nodes[key].end;
    while (pos < t->len && (t->text[pos] == ' ' || t->text[pos] == '\t'))
        pos++;
    return pos < t->len && t->text[pos] == ':' ? pos : ED_NONE;
}

size_t ed_dash(const ed_tree *t, size_t s, size_t i)
{
    const ed_node *seq = &t->nodes[s];
    size_t from = i == 0 ? seq->body : t->nodes[seq->kids[i - 1]].end;
    size_t pos = ed_skip_gap(t, from);
    /* An empty item's mark is right after its '-'. */
    const ed_node *item = &t->nodes[seq->kids[i]];
    if (item->empty && item->start > 0 && t->text[item->start - 1] == '-')
        return item->start - 1;
    return pos;
}

bool ed_multiline(const ed_tree *t, size_t n)
{
    const ed_node *node = &t->nodes[n];
    return node->end > node->body && memchr(t->text + node->body, '\n', node->end - node->body) != NULL;
}
