/*
 * fuzz_json_read.c - differential libFuzzer target for the fast JSON reader
 * of request bodies (sg_json_read, doc/src/json_read.c), which promises to
 * accept exactly what json_loadb(text, len, 0) accepts and to build the very same tree: for every
 * input both must fail, or both succeed with equal trees whose keys come in
 * the same order (compared as their JSON_PRESERVE_ORDER serialisations), and
 * sg_json_read_skip must agree with it (check_skip). A
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

/* sg_json_read_skip with these paths must fail where sg_json_read fails, at
 * the same place with the same message, or give its tree without them. */
static const char *const skip_a[] = {"request", "object", "metadata", "managedFields", NULL};
static const char *const skip_b[] = {"a", NULL};
static const char *const *const skips[] = {skip_a, skip_b, NULL};

static void check_skip(const char *text, size_t size, const json_t *ours, int line, int column, const char *err)
{
    int line2 = 0, column2 = 0;
    char err2[256] = "";
    json_t *skipped = sg_json_read_skip(text, size, skips, &line2, &column2, err2, sizeof err2);
    if (!ours || !skipped) {
        if (ours || skipped || line != line2 || column != column2 || strcmp(err, err2))
            abort();
        return;
    }
    json_t *expect = json_deep_copy(ours);
    for (size_t i = 0; skips[i]; i++) {
        json_t *at = expect;
        size_t k = 0;
        for (; skips[i][k + 1] && json_is_object(at); k++)
            at = json_object_get(at, skips[i][k]);
        if (json_is_object(at))
            json_object_del(at, skips[i][k]);
    }
    char *a = dump(skipped), *b = dump(expect);
    if (strcmp(a, b))
        abort();
    free(a);
    free(b);
    json_decref(expect);
    json_decref(skipped);
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
    check_skip(text, size, ours, line, column, err);
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
