/*
 * fuzz_json_read.c - differential libFuzzer target for the fast JSON reader
 * of request bodies (sg_json_read, doc/src/json_read.c), which promises to
 * accept exactly what json_loadb(text, len, 0) accepts and to build the very same tree: for every
 * input both must fail, or both succeed with equal trees whose keys come in
 * the same order (compared as their JSON_PRESERVE_ORDER serialisations). A
 * failure must carry a message and a position inside the text. Inputs holding
 * a NUL byte are only checked for clean failure or success: the reader
 * rejects a NUL after a number on purpose, where jansson skips it.
 * Seeds: tests/fuzz/corpus/json_read/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <scoregate/doc.h>

static char *dump(const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (!text)
        abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    const char *text = (const char *)data;
    int line = 0, column = 0;
    char err[256] = "";
    json_t *ours = sg_json_read(text, size, &line, &column, err, sizeof err);
    if (!ours && (!err[0] || line < 1 || column < 0))
        abort();
    if (memchr(data, '\0', size)) {
        json_decref(ours);
        return 0;
    }
    json_error_t jerr;
    json_t *theirs = json_loadb(text, size, 0, &jerr);
    if (!ours != !theirs)
        abort();
    if (ours) {
        if (!json_equal(ours, theirs))
            abort();
        char *a = dump(ours), *b = dump(theirs);
        if (strcmp(a, b))
            abort();
        free(a);
        free(b);
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
