/*
 * fuzz_manifest.c - libFuzzer target for the YAML/JSON loader and the
 * manifest parser: any bytes must give a tree or a clear error, never a
 * crash, leak or hang, and a failed parse must leave the list untouched.
 */
#include <scoregate/doc.h>

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Walk a loaded tree asking the line map about every node and key. */
static void sg_fuzz_walk(const sg_linemap *lines, json_t *node, int depth)
{
    assert(depth <= SG_MAX_DEPTH + 1);
    (void)sg_linemap_node(lines, node);
    if (json_is_object(node)) {
        const char *key;
        json_t *value;
        json_object_foreach(node, key, value) {
            assert(sg_linemap_member(lines, node, key) > 0);
            sg_fuzz_walk(lines, value, depth + 1);
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *value;
        json_array_foreach(node, i, value)
            sg_fuzz_walk(lines, value, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SG_ERRMAX];
    json_t *docs = NULL;
    int *numbers = NULL;
    sg_linemap *lines = NULL;
    if (sg_yaml_load("fuzz.yaml", (const char *)data, size, &docs, &numbers, &lines, err,
                     sizeof(err)) == 0) {
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc) {
            assert(numbers[i] >= 1);
            assert(json_is_object(doc) || json_is_array(doc) || sg_linemap_node(lines, doc) >= 0);
            sg_fuzz_walk(lines, doc, 1);
        }
        json_decref(docs);
        free(numbers);
        sg_linemap_free(lines);
    } else {
        assert(strncmp(err, "fuzz.yaml: ", 11) == 0);
    }

    sg_manifest_list list = {0};
    if (sg_manifest_parse(&list, "fuzz.yaml", (const char *)data, size, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < list.count; i++) {
            assert(json_is_object(list.items[i].object));
            assert(json_is_string(json_object_get(list.items[i].object, "kind")));
            assert(list.items[i].line >= 1 && list.items[i].document >= 1);
        }
    } else {
        assert(list.count == 0 && list.nfiles == 0);
    }
    sg_manifest_list_free(&list);

    /* A directory's file: skipped (1) only when it adds nothing; never an object the strict read refused. */
    sg_manifest_list maybe = {0};
    int rc = sg_manifest_parse_or_skip(&maybe, "fuzz.yaml", (const char *)data, size, err, sizeof(err));
    assert(rc == 0 || (maybe.count == 0 && maybe.nfiles == 0));
    assert(rc != 1 || strncmp(err, "fuzz.yaml: document ", 20) == 0);
    sg_manifest_list_free(&maybe);
    return 0;
}
