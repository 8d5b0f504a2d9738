/*
 * fuzz_json_read.c - differential libFuzzer target for the fast JSON reader
 * of request bodies (sg_json_read, doc/src/json_read.c), which promises to
 * accept exactly what json_loadb(text, len, 0) accepts and to build the very same tree: for every
 * input both must fail, or both succeed with equal trees whose keys come in
 * the same order (compared as their JSON_PRESERVE_ORDER serialisations). A
 * failure must carry a message and a position inside the text. Inputs holding
 * a NUL byte are only checked for clean failure or success: the reader
 * rejects a NUL after a number on purpose, where jansson skips it.
 * sg_json_read_except, leaving out a list page's managedFields, must accept
 * the same and build jansson's tree less those members.
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

/* Aborts unless both trees serialise identically, key order included. */
static void same(const json_t *a, const json_t *b)
{
    char *x = dump(a), *y = dump(b);
    if (strcmp(x, y))
        abort();
    free(x);
    free(y);
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
        same(ours, theirs);
    }
    json_decref(ours);
    /* Leaving out a list page's managedFields accepts the same and builds the tree without them. */
    static const char *const drop[] = {"items", "*", "metadata", "managedFields", NULL};
    json_t *pruned = sg_json_read_except(text, size, drop, &line, &column, err, sizeof err);
    if (!pruned != !theirs)
        abort();
    if (pruned) {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(theirs, "items"), i, item)
            json_object_del(json_object_get(item, "metadata"), "managedFields");
        same(pruned, theirs);
    }
    json_decref(pruned);
    json_decref(theirs);
    return 0;
}
