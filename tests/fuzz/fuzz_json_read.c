/*
 * fuzz_json_read.c - differential libFuzzer target for the fast JSON reader
 * of request bodies (sg_json_read, doc/src/json_read.c), which promises to
 * accept exactly what json_loadb(text, len, 0) accepts and to build the very same tree: for every
 * input both must fail, or both succeed with equal trees whose keys come in
 * the same order (compared as their JSON_PRESERVE_ORDER serialisations). A
 * failure must carry a message and a position inside the text. Inputs holding
 * a NUL byte are only checked for clean failure or success: the reader
 * rejects a NUL after a number on purpose, where jansson skips it.
 * sg_json_read_skip, leaving out a review's and a list page's managedFields
 * and a top-level key, must fail where sg_json_read fails, at the same place
 * with the same message, or build its tree less those members (check_skip).
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

static const char *const skip_review[] = {"request", "object", "metadata", "managedFields", NULL};
static const char *const skip_list[] = {"items", "*", "metadata", "managedFields", NULL};
static const char *const skip_top[] = {"a", NULL};
static const char *const *const skips[] = {skip_review, skip_list, skip_top, NULL};

/* `v` less the member at `path`, "*" standing for every array element. */
static void delete_path(json_t *v, const char *const *path)
{
    if (!path[1]) {
        json_object_del(v, path[0]);
    } else if (!strcmp(path[0], "*")) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            delete_path(item, path + 1);
    } else {
        json_t *child = json_object_get(v, path[0]);
        if (child)
            delete_path(child, path + 1);
    }
}

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
    for (size_t i = 0; skips[i]; i++)
        delete_path(expect, skips[i]);
    same(skipped, expect);
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
        same(ours, theirs);
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
