/*
 * test_manifest.c - sg_manifest_parse/read: objects out of streams, List
 * expansion with each item's line, errors naming file, document and line,
 * and the all-or-nothing rule (a failed call leaves the list as it was).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <scoregate/doc.h>

static int parse(sg_manifest_list *list, const char *name, const char *text, char *err)
{
    return sg_manifest_parse(list, name, text, strlen(text), err, SG_ERRMAX);
}

static const char *kind_of(const sg_manifest *m)
{
    return json_string_value(json_object_get(m->object, "kind"));
}

static void assert_manifest_error(const char *text, const char *expected)
{
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    int rc = parse(&list, "deploy.yaml", text, err);
    if (rc == 0 || strcmp(err, expected) != 0) {
        print_error("input:\n%s\n  got %s\n want %s\n", text, rc == 0 ? "(success)" : err, expected);
        sg_manifest_list_free(&list);
        fail();
    }
    assert_int_equal(list.count, 0);
    assert_int_equal(list.nfiles, 0);
    sg_manifest_list_free(&list);
}

static void test_multi_document(void **state)
{
    (void)state;
    const char *text =
        "# a Deployment and a Service\n"   /* 1 */
        "apiVersion: apps/v1\n"            /* 2: document 1 */
        "kind: Deployment\n"               /* 3 */
        "metadata: {name: web}\n"          /* 4 */
        "---\n"                            /* 5: document 2 (empty) */
        "---\n"                            /* 6: document 3 */
        "\n"                               /* 7 */
        "apiVersion: v1\n"                 /* 8 */
        "kind: Service\n"                  /* 9 */
        "metadata:\n"                      /* 10 */
        "  name: web\n";                   /* 11 */
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(parse(&list, "app.yaml", text, err), 0);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.nfiles, 1);
    assert_string_equal(list.files[0], "app.yaml");
    assert_string_equal(kind_of(&list.items[0]), "Deployment");
    assert_int_equal(list.items[0].document, 1);
    assert_int_equal(list.items[0].line, 2);
    assert_ptr_equal(list.items[0].file, list.files[0]);
    assert_string_equal(kind_of(&list.items[1]), "Service");
    assert_int_equal(list.items[1].document, 3);
    assert_int_equal(list.items[1].line, 8);

    /* A second call appends, with its own file name. */
    assert_int_equal(parse(&list, "more.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}", err), 0);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.nfiles, 2);
    assert_string_equal(list.items[2].file, "more.json");
    assert_ptr_equal(list.items[2].file, list.files[1]);
    assert_ptr_equal(list.items[0].file, list.files[0]);
    sg_manifest_list_free(&list);
    assert_int_equal(list.count, 0);
    assert_null(list.items);
}

static void test_list_expansion(void **state)
{
    (void)state;
    const char *text =
        "apiVersion: v1\n"                 /* 1: document 1 */
        "kind: Namespace\n"                /* 2 */
        "---\n"                            /* 3: document 2 */
        "apiVersion: v1\n"                 /* 4 */
        "kind: List\n"                     /* 5 */
        "items:\n"                         /* 6 */
        "- apiVersion: v1\n"               /* 7 */
        "  kind: Pod\n"                    /* 8 */
        "- apiVersion: v1\n"               /* 9 */
        "  kind: Service\n"                /* 10 */
        "- {apiVersion: v1, kind: PodList, items: [\n" /* 11 */
        "    {apiVersion: v1, kind: Pod, metadata: {name: inner}}]}\n" /* 12 */
        "---\n"                            /* 13: document 3 */
        "apiVersion: v1\n"                 /* 14 */
        "kind: PodList\n"                  /* 15 */
        "metadata: {}\n"                   /* 16 */
        "items: []\n";                     /* 17 */
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(parse(&list, "list.yaml", text, err), 0);
    assert_int_equal(list.count, 4);
    assert_string_equal(kind_of(&list.items[0]), "Namespace");
    assert_int_equal(list.items[0].line, 1);
    assert_string_equal(kind_of(&list.items[1]), "Pod");
    assert_int_equal(list.items[1].document, 2);
    assert_int_equal(list.items[1].line, 7);
    assert_string_equal(kind_of(&list.items[2]), "Service");
    assert_int_equal(list.items[2].line, 9);
    assert_string_equal(kind_of(&list.items[3]), "Pod");
    assert_int_equal(list.items[3].line, 12);
    assert_string_equal(json_string_value(json_object_get(json_object_get(list.items[3].object, "metadata"),
                                                          "name")),
                        "inner");
    /* Each object has one owner: the list. */
    assert_int_equal(list.items[1].object->refcount, 1);
    sg_manifest_list_free(&list);

    /* A *List kind without items is an ordinary object. */
    assert_int_equal(parse(&list, "x.yaml", "apiVersion: example.com/v1\nkind: AllowList\nspec: {}\n", err), 0);
    assert_int_equal(list.count, 1);
    assert_string_equal(kind_of(&list.items[0]), "AllowList");
    sg_manifest_list_free(&list);

    /* As kubectl: items null is an empty list, and so is a v1 List without items. */
    static const char *const empty[] = {
        "apiVersion: v1\nkind: List\nitems: null\n", "apiVersion: v1\nkind: List\nitems:\n",
        "apiVersion: v1\nkind: ConfigMapList\nmetadata: {}\nitems: ~\n", "apiVersion: v1\nkind: List\n",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": null}",
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        assert_int_equal(parse(&list, "empty.yaml", empty[i], err), 0);
        assert_int_equal(list.count, 0);
        assert_int_equal(list.nfiles, 1);
        sg_manifest_list_free(&list);
    }
    assert_int_equal(parse(&list, "l.yaml", "apiVersion: v1\nkind: List\nitems: null\n---\napiVersion: v1\n"
                                            "kind: Pod\n", err), 0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].document, 2);
    sg_manifest_list_free(&list);
}

/* UTF-16 (with its byte-order mark) and CRLF files, and a byte-order mark at
 * the start of a document after "---" (files concatenated into one stream):
 * objects, document numbers and lines as in the plain UTF-8 file. */
static void test_encodings(void **state)
{
    (void)state;
    static const char utf8[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# b\napiVersion: v1\n"
                               "kind: Service\nmetadata: {name: b}\n";
    char buf[512];
    size_t n = 0;
    /* UTF-16LE and UTF-16BE with their marks. */
    for (int be = 0; be < 2; be++) {
        n = 0;
        buf[n++] = be ? '\xFE' : '\xFF';
        buf[n++] = be ? '\xFF' : '\xFE';
        for (const char *c = utf8; *c; c++) {
            buf[n++] = be ? 0 : *c;
            buf[n++] = be ? *c : 0;
        }
        sg_manifest_list list = {0};
        char err[SG_ERRMAX];
        assert_int_equal(sg_manifest_parse(&list, "u16.yaml", buf, n, err, sizeof err), 0);
        assert_int_equal(list.count, 2);
        assert_string_equal(kind_of(&list.items[1]), "Service");
        assert_int_equal(list.items[1].document, 2);
        assert_int_equal(list.items[1].line, 6);
        sg_manifest_list_free(&list);
    }
    static const char *const variants[] = {
        "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: a}\r\n---\r\n# b\r\napiVersion: v1\r\n"
        "kind: Service\r\nmetadata: {name: b}\r\n",
        "\xEF\xBB\xBF" "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n\xEF\xBB\xBF# b\napiVersion: v1\n"
        "kind: Service\nmetadata: {name: b}\n",
        "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: a}\r\n--- \r\n\xEF\xBB\xBF# b\r\napiVersion: v1\r\n"
        "kind: Service\r\nmetadata: {name: b}\r\n",
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        sg_manifest_list list = {0};
        char err[SG_ERRMAX];
        assert_int_equal(parse(&list, "v.yaml", variants[i], err), 0);
        assert_int_equal(list.count, 2);
        assert_string_equal(kind_of(&list.items[1]), "Service");
        assert_int_equal(list.items[1].document, 2);
        assert_int_equal(list.items[1].line, 6);
        sg_manifest_list_free(&list);
    }
    /* Document numbers stay right in messages after such a mark. */
    assert_manifest_error("apiVersion: v1\nkind: Pod\n---\n\xEF\xBB\xBF" "apiVersion: v1\nkind: Pod\n---\n"
                          "\xEF\xBB\xBFkind: Pod\n",
                          "deploy.yaml: document 3, line 7: the object has no apiVersion");
    /* Elsewhere a mark is not a document start: an error, as in kubectl. */
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(parse(&list, "m.yaml", "apiVersion: v1\nkind: Pod\n\xEF\xBB\xBFmetadata: {}\n", err), -1);
    sg_manifest_list_free(&list);
}

/* A directory's files: one that holds no Kubernetes object is told apart
 * (1, nothing added, the reason), a broken manifest is still an error. */
static void test_or_skip(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } skipped[] = {
        {"resources:\n- deploy.yaml\npatches:\n- path: p.yaml\n",
         "k.yaml: document 1, line 1: no document has apiVersion or kind, so this is not a Kubernetes manifest"},
        {"- op: replace\n  path: /spec/replicas\n  value: 3\n",
         "k.yaml: document 1, line 1: a sequence, not a Kubernetes object (a mapping with apiVersion and kind), so "
         "this is not a Kubernetes manifest"},
        {"# values\nreplicaCount: 2\n---\nimage: {tag: x}\n",
         "k.yaml: document 1, line 2: no document has apiVersion or kind, so this is not a Kubernetes manifest"},
        {"just text\n",
         "k.yaml: document 1, line 1: a string, not a Kubernetes object (a mapping with apiVersion and kind), so "
         "this is not a Kubernetes manifest"},
    };
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
        const char *t = skipped[i].text;
        assert_int_equal(sg_manifest_parse_or_skip(&list, "k.yaml", t, strlen(t), err, sizeof err), 1);
        assert_string_equal(err, skipped[i].why);
        assert_int_equal(list.count, 0);
        assert_int_equal(list.nfiles, 0);
        /* Named explicitly, the same file is an error. */
        assert_int_equal(parse(&list, "k.yaml", t, err), -1);
    }
    static const char *const broken[] = {
        "apiVersion: v1\nkind: Pod\n---\nreplicas: 2\n", "apiVersion: v1\nmetadata: {}\n",
        "kind: Deployment\n", "apiVersion: v1\nkind: Pod\n---\n- a\n", "a: [unclosed\n",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        assert_int_equal(sg_manifest_parse_or_skip(&list, "b.yaml", broken[i], strlen(broken[i]), err, sizeof err),
                         -1);
        assert_int_equal(list.count, 0);
    }
    assert_int_equal(sg_manifest_parse_or_skip(&list, "e.yaml", "# nothing\n", 10, err, sizeof err), 0);
    assert_int_equal(sg_manifest_parse_or_skip(&list, "o.yaml", "apiVersion: v1\nkind: Pod\n", 25, err, sizeof err),
                     0);
    assert_int_equal(list.count, 1);
    sg_manifest_list_free(&list);
}

static void test_json_list_lines(void **state)
{
    (void)state;
    const char *text =
        "{\n"                                           /* 1 */
        "    \"apiVersion\": \"v1\",\n"                 /* 2 */
        "    \"items\": [\n"                            /* 3 */
        "        {\n"                                   /* 4 */
        "            \"apiVersion\": \"v1\",\n"         /* 5 */
        "            \"kind\": \"Pod\"\n"               /* 6 */
        "        },\n"                                  /* 7 */
        "        {\n"                                   /* 8 */
        "            \"apiVersion\": \"apps/v1\",\n"    /* 9 */
        "            \"kind\": \"Deployment\"\n"        /* 10 */
        "        }\n"                                   /* 11 */
        "    ],\n"                                      /* 12 */
        "    \"kind\": \"List\"\n"                      /* 13 */
        "}\n";                                          /* 14 */
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(parse(&list, "get.json", text, err), 0);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].line, 4);
    assert_int_equal(list.items[1].line, 8);
    assert_string_equal(kind_of(&list.items[1]), "Deployment");
    sg_manifest_list_free(&list);
}

static void test_errors(void **state)
{
    (void)state;
    assert_manifest_error("apiVersion: v1\nkind: Pod\n---\njust a string\n",
                          "deploy.yaml: document 2, line 4: expected a Kubernetes object (a mapping "
                          "with apiVersion and kind), found a string");
    assert_manifest_error("- apiVersion: v1\n  kind: Pod\n",
                          "deploy.yaml: document 1, line 1: expected a Kubernetes object (a mapping "
                          "with apiVersion and kind), found a sequence");
    assert_manifest_error("--- 42\n",
                          "deploy.yaml: document 1, line 1: expected a Kubernetes object (a mapping "
                          "with apiVersion and kind), found a number");
    assert_manifest_error("apiVersion: v1\nmetadata: {name: x}\n",
                          "deploy.yaml: document 1, line 1: the object has no kind");
    assert_manifest_error("metadata: {name: x}\n",
                          "deploy.yaml: document 1, line 1: the object has neither apiVersion nor kind");
    assert_manifest_error("\n\nkind: Pod\n", "deploy.yaml: document 1, line 3: the object has no apiVersion");
    assert_manifest_error("apiVersion: v1\nmetadata: {}\nkind: 5\n",
                          "deploy.yaml: document 1, line 3: kind must be a non-empty string, found a number");
    assert_manifest_error("apiVersion: v1\nkind: ''\n",
                          "deploy.yaml: document 1, line 2: kind must be a non-empty string, found an empty string");
    assert_manifest_error("apiVersion: 1.0\nkind: Pod\n",
                          "deploy.yaml: document 1, line 1: apiVersion must be a non-empty string, found a number");
    assert_manifest_error("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- kind: Service\n",
                          "deploy.yaml: document 1, line 6: items[1]: the object has no apiVersion");
    assert_manifest_error("apiVersion: v1\nkind: List\nitems:\n- 5\n",
                          "deploy.yaml: document 1, line 4: items[0]: expected a Kubernetes object (a "
                          "mapping with apiVersion and kind), found a number");
    assert_manifest_error("apiVersion: v1\nkind: List\nitems: {a: 1}\n",
                          "deploy.yaml: document 1, line 3: items of a List must be a sequence, found a mapping");
    /* YAML errors come through with their place. */
    assert_manifest_error("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
                          "  labels: {a: b\n",
                          "deploy.yaml: document 2, line 9: did not find expected ',' or '}'");
    assert_manifest_error("apiVersion: v1\nkind: Pod\nkind: Service\n",
                          "deploy.yaml: document 1, line 3: duplicate key \"kind\" (first at line 2)");
    /* A manifest's line map holds only what these messages name (the documents, their keys, and
     * the same for items, nested): a duplicate deeper down still says where the first one is. */
    assert_manifest_error("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n"
                          "    name: b\n",
                          "deploy.yaml: document 1, line 7: duplicate key \"name\" (first at line 5)");
    assert_manifest_error("apiVersion: v1\nkind: Pod\nmetadata:\n  base: &b {x: 1}\n  m:\n    <<: *b\n"
                          "    z: 2\n    z: 3\n",
                          "deploy.yaml: document 1, line 8: duplicate key \"z\" (first at line 7)");
    assert_manifest_error("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n"
                          "  - apiVersion: v1\n    kind: Pod\n  - apiVersion: 2\n    kind: Pod\n",
                          "deploy.yaml: document 1, line 9: items[1]: apiVersion must be a non-empty string, "
                          "found a number");
    assert_manifest_error("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: PodList\n"
                          "  metadata: {}\n  items: {a: 1}\n",
                          "deploy.yaml: document 1, line 7: items[0]: items of a PodList must be a sequence, "
                          "found a mapping");
}

static void test_all_or_nothing(void **state)
{
    (void)state;
    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(parse(&list, "good.yaml", "apiVersion: v1\nkind: Pod\n", err), 0);
    sg_manifest_list before = list;
    json_t *object = list.items[0].object;
    /* The first two documents are fine; the third is not: nothing is added. */
    assert_int_equal(parse(&list, "bad.yaml",
                           "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n---\nkind: C\n", err),
                     -1);
    assert_string_equal(err, "bad.yaml: document 3, line 7: the object has no apiVersion");
    assert_int_equal(list.count, before.count);
    assert_int_equal(list.nfiles, before.nfiles);
    assert_ptr_equal(list.items[0].object, object);
    assert_int_equal(object->refcount, 1);
    assert_string_equal(list.items[0].file, "good.yaml");
    sg_manifest_list_free(&list);
}

static void test_read_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/sg_manifest_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/pod.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Secret\n", f);
    fclose(f);

    sg_manifest_list list = {0};
    char err[SG_ERRMAX];
    assert_int_equal(sg_manifest_read(&list, path, err, sizeof(err)), 0);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[1].file, path);
    assert_int_equal(list.items[1].line, 4);

    char missing[300];
    snprintf(missing, sizeof(missing), "%s/missing.yaml", dir);
    assert_int_equal(sg_manifest_read(&list, missing, err, sizeof(err)), -1);
    char want[600];
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing);
    assert_string_equal(err, want);

    assert_int_equal(sg_manifest_read(&list, dir, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: is a directory, not a file", dir);
    assert_string_equal(err, want);

    /* A file over SG_MAX_INPUT (sparse, so it costs no disk) is refused up front. */
    char big[300];
    snprintf(big, sizeof(big), "%s/big.yaml", dir);
    f = fopen(big, "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), (off_t)SG_MAX_INPUT + 1), 0);
    fclose(f);
    assert_int_equal(sg_manifest_read(&list, big, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: 67108865 bytes, larger than the limit of 67108864 bytes", big);
    assert_string_equal(err, want);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.nfiles, 1);

    unlink(big);
    unlink(path);
    rmdir(dir);
    sg_manifest_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_document),
        cmocka_unit_test(test_list_expansion),
        cmocka_unit_test(test_json_list_lines),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_or_skip),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_all_or_nothing),
        cmocka_unit_test(test_read_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
