/*
 * stream_prep.c - what kubectl does to a YAML or JSON stream before it
 * decodes it, done here before the loaders see it (yaml_load.c): byte-order
 * marks after separator lines, and telling a JSON stream from YAML.
 */
#include "internal.h"

#include <string.h>

/* Whether data[start, end) is a document separator line as kubectl splits
 * streams: "---" followed by nothing but whitespace. */
static bool doc_separator_line(const char *data, size_t start, size_t end)
{
    if (end - start < 3 || memcmp(data + start, "---", 3) != 0)
        return false;
    for (size_t i = start + 3; i < end; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
            return false;
    return true;
}

/*
 * kubectl cuts a stream at its separator lines and decodes each part on its
 * own, so every part may begin with a byte-order mark (files concatenated
 * with "---" between them); libyaml accepts one only at the start of the
 * stream. Such marks are dropped from a copy (*copy, malloc'd; NULL when
 * there is none), which keeps every line where it was.
 */
size_t doc_stream_drop_boms(const char *data, size_t len, char **copy)
{
    static const char bom[] = "\xEF\xBB\xBF";
    *copy = NULL;
    size_t out = 0, from = 0, start = 0;
    while (start < len) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t next = end + 1;
        if (nl && next + 3 <= len && !memcmp(data + next, bom, 3) && doc_separator_line(data, start, end)) {
            if (!*copy)
                *copy = sg_malloc(len);
            memcpy(*copy + out, data + from, next - from);
            out += next - from;
            from = next + 3;
        }
        start = next;
    }
    if (!*copy)
        return len;
    memcpy(*copy + out, data + from, len - from);
    return out + len - from;
}

bool doc_stream_looks_like_json(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && (data[i] == '{' || data[i] == '[');
}
