/*
 * manifest_dump.c - a helper of test_fix.py (not a test by itself): the
 * objects of a manifest file as scoregate reads them (sg_manifest_read: YAML
 * 1.1 as Kubernetes reads it, Lists expanded), one JSON line each:
 * {"document", "pointer", "line", "object"}. The tests compare fixed files
 * object by object with it, so they read YAML exactly as the fixer does.
 * Usage: manifest_dump FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include <scoregate/doc.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: manifest_dump FILE\n");
        return 2;
    }
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    if (sg_manifest_read(&list, argv[1], err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (size_t i = 0; i < list.count; i++) {
        const sg_manifest *m = &list.items[i];
        json_t *line = json_pack("{s:i,s:s,s:i,s:O}", "document", m->document, "pointer", m->pointer, "line",
                                 m->line, "object", m->object);
        char *text = json_dumps(line, JSON_COMPACT);
        puts(text);
        free(text);
        json_decref(line);
    }
    sg_manifest_list_free(&list);
    return 0;
}
