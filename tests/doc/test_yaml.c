/*
 * test_yaml.c - sg_yaml_load and the line map: scalars resolve as Kubernetes
 * reads them, streams split into documents, anchors/merges expand, lines are
 * right, and bad or hostile input fails with file, document and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <scoregate/doc.h>

typedef struct loaded {
    json_t *docs;
    int *numbers;
    sg_linemap *lines;
    char err[SG_ERRMAX];
    int rc;
} loaded;

static loaded load_n(const char *text, size_t len)
{
    loaded l = {0};
    l.rc = sg_yaml_load("t.yaml", text, len, &l.docs, &l.numbers, &l.lines, l.err, sizeof(l.err));
    return l;
}

static loaded load(const char *text)
{
    return load_n(text, strlen(text));
}

static void unload(loaded *l)
{
    if (l->rc == 0) {
        json_decref(l->docs);
        free(l->numbers);
        sg_linemap_free(l->lines);
    }
}

static void assert_json(const json_t *got, const char *expected)
{
    json_error_t e;
    json_t *want = json_loads(expected, JSON_DECODE_ANY, &e);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("got %s, want %s\n", g ? g : "(null)", expected);
        free(g);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static void assert_error(const char *text, const char *expected)
{
    loaded l = load(text);
    if (l.rc == 0 || strcmp(l.err, expected) != 0) {
        print_error("input %s\n  got %s\n want %s\n", text, l.rc == 0 ? "(success)" : l.err, expected);
        unload(&l);
        fail();
    }
}

/* The value of `v: <scalar>` in a one-document stream. */
typedef struct scalar_case {
    const char *yaml;
    const char *json;
} scalar_case;

static void check_scalars(const scalar_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char text[256];
        snprintf(text, sizeof(text), "v: %s\n", cases[i].yaml);
        loaded l = load(text);
        if (l.rc != 0) {
            print_error("v: %s failed: %s\n", cases[i].yaml, l.err);
            fail();
        }
        const json_t *v = json_object_get(json_array_get(l.docs, 0), "v");
        json_error_t e;
        json_t *want = json_loads(cases[i].json, JSON_DECODE_ANY, &e);
        assert_non_null(want);
        if (!json_equal(v, want)) {
            char *g = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            print_error("v: %s gave %s, want %s\n", cases[i].yaml, g, cases[i].json);
            free(g);
            fail();
        }
        json_decref(want);
        unload(&l);
    }
}

static void test_booleans(void **state)
{
    (void)state;
    static const scalar_case cases[] = {
        {"y", "true"}, {"Y", "true"}, {"yes", "true"}, {"Yes", "true"}, {"YES", "true"},
        {"true", "true"}, {"True", "true"}, {"TRUE", "true"}, {"on", "true"}, {"On", "true"},
        {"ON", "true"}, {"n", "false"}, {"N", "false"}, {"no", "false"}, {"No", "false"},
        {"NO", "false"}, {"false", "false"}, {"False", "false"}, {"FALSE", "false"},
        {"off", "false"}, {"Off", "false"}, {"OFF", "false"},
        /* not in the table: strings */
        {"yEs", "\"yEs\""}, {"tRUE", "\"tRUE\""}, {"oN", "\"oN\""}, {"yes please", "\"yes please\""},
        /* quoted or tagged !!str: strings */
        {"\"yes\"", "\"yes\""}, {"'yes'", "\"yes\""}, {"\"true\"", "\"true\""},
        {"'off'", "\"off\""}, {"!!str yes", "\"yes\""}, {"!!str true", "\"true\""},
        /* tagged !!bool */
        {"!!bool yes", "true"}, {"!!bool \"no\"", "false"},
    };
    check_scalars(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_nulls(void **state)
{
    (void)state;
    static const scalar_case cases[] = {
        {"", "null"}, {"~", "null"}, {"null", "null"}, {"Null", "null"}, {"NULL", "null"},
        {"nULL", "\"nULL\""}, {"\"~\"", "\"~\""}, {"'null'", "\"null\""}, {"\"\"", "\"\""},
        {"''", "\"\""}, {"!!str ~", "\"~\""}, {"!!null ''", "null"},
    };
    check_scalars(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_integers(void **state)
{
    (void)state;
    static const scalar_case cases[] = {
        {"0", "0"}, {"123", "123"}, {"-17", "-17"}, {"+5", "5"}, {"-0", "0"},
        {"0x1F", "31"}, {"0X1f", "31"}, {"-0x10", "-16"}, {"+0x10", "16"},
        {"0o17", "15"}, {"0O17", "15"}, {"017", "15"}, {"-017", "-15"},
        {"0b101", "5"}, {"-0b101", "-5"}, {"0B11", "3"},
        {"1_000", "1000"}, {"0x_1F", "31"}, {"1_", "1"}, {"1__0", "10"}, {"-_1", "-1"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        /* beyond int64: a float, as go-yaml's uint64 or float64 */
        {"9223372036854775808", "9223372036854775808.0"},
        {"0x8000000000000000", "9223372036854775808.0"},
        {"18446744073709551616", "18446744073709551616.0"},
        /* not integers */
        {"0x", "\"0x\""}, {"0b", "\"0b\""}, {"0b2", "\"0b2\""}, {"0x1G", "\"0x1G\""},
        {"0x10000000000000000", "\"0x10000000000000000\""}, {"1.2.3", "\"1.2.3\""},
        {"12:30", "\"12:30\""}, {"2001-12-14", "\"2001-12-14\""}, {"1-2", "\"1-2\""},
        {"\"123\"", "\"123\""}, {"'0x10'", "\"0x10\""}, {"!!str 123", "\"123\""},
        /* tagged */
        {"!!int \"42\"", "42"}, {"!!int 0x10", "16"},
    };
    check_scalars(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_floats(void **state)
{
    (void)state;
    static const scalar_case cases[] = {
        {"1.5", "1.5"}, {"-1.5", "-1.5"}, {".5", "0.5"}, {"+.5", "0.5"}, {"-.5", "-0.5"},
        {"1.", "1.0"}, {"1e3", "1000.0"}, {"1E3", "1000.0"}, {"1.5e-3", "0.0015"},
        {"6.02e+23", "6.02e23"}, {"08", "8.0"}, {"09", "9.0"}, {"1_000.5", "1000.5"},
        {".5e1", "5.0"}, {"0.1", "0.1"},
        /* .inf and .nan: JSON cannot hold them; kept as the text written */
        {".inf", "\".inf\""}, {".Inf", "\".Inf\""}, {"+.INF", "\"+.INF\""}, {"-.inf", "\"-.inf\""},
        {".nan", "\".nan\""}, {".NaN", "\".NaN\""}, {".NAN", "\".NAN\""},
        /* not floats */
        {"1e400", "\"1e400\""}, {"1e", "\"1e\""}, {"e3", "\"e3\""}, {".", "\".\""},
        {"._5", "\"._5\""}, {".5_0", "\".5_0\""}, {"+", "\"+\""}, {"1.5.", "\"1.5.\""},
        {"\"1.5\"", "\"1.5\""}, {"'.inf'", "\".inf\""},
        /* tagged */
        {"!!float 3", "3.0"}, {"!!float '2.5'", "2.5"},
    };
    check_scalars(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_strings_and_tags(void **state)
{
    (void)state;
    static const scalar_case cases[] = {
        {"hello world", "\"hello world\""}, {"\"a\\tb\"", "\"a\\tb\""},
        {"'it''s'", "\"it's\""}, {"!custom 5", "\"5\""}, {"! 5", "\"5\""},
        {"!!binary aGk=", "\"aGk=\""}, {"!!timestamp 2001-12-14", "\"2001-12-14\""},
        {"\"\\u00e9\"", "\"\\u00e9\""}, {"<<", "\"<<\""}, {"'<<'", "\"<<\""},
    };
    check_scalars(cases, sizeof(cases) / sizeof(cases[0]));

    loaded l = load("lit: |\n  yes\n  no\nfold: >-\n  true\n  false\nplain: a\n  b\n");
    assert_int_equal(l.rc, 0);
    assert_json(json_array_get(l.docs, 0),
                "{\"lit\": \"yes\\nno\\n\", \"fold\": \"true false\", \"plain\": \"a b\"}");
    unload(&l);
}

static void test_keys(void **state)
{
    (void)state;
    loaded l = load("{1: a, true: b, 1.5: c, ~: d, 0x10: e, 1e6: f, 100000.0: g, 0.1: h, "
                    "\"yes\": i, 1234567.0: j, 0.00001: k}");
    assert_int_equal(l.rc, 0);
    assert_json(json_array_get(l.docs, 0),
                "{\"1\": \"a\", \"true\": \"b\", \"1.5\": \"c\", \"null\": \"d\", \"16\": \"e\","
                " \"1e+06\": \"f\", \"100000\": \"g\", \"0.1\": \"h\", \"yes\": \"i\","
                " \"1.234567e+06\": \"j\", \"1e-05\": \"k\"}");
    unload(&l);
    /* As with kubectl, an unquoted y/yes/on key is the boolean true. */
    l = load("on: push\n");
    assert_int_equal(l.rc, 0);
    assert_json(json_array_get(l.docs, 0), "{\"true\": \"push\"}");
    unload(&l);
}

static void test_documents(void **state)
{
    (void)state;
    const char *text =
        "# leading comment\n"        /* 1 */
        "---\n"                      /* 2: document 1 (empty) */
        "---\n"                      /* 3: document 2 */
        "a: 1   # trailing comment\n" /* 4 */
        "...\n"                      /* 5 */
        "---\n"                      /* 6: document 3, only a comment */
        "# nothing here\n"           /* 7 */
        "---\n"                      /* 8: document 4 */
        "\n"                         /* 9 */
        "kind: x\n"                  /* 10 */
        "---\n"                      /* 11: document 5, explicit null */
        "~\n"                        /* 12 */
        "--- [1, 2]\n";              /* 13: document 6 */
    loaded l = load(text);
    assert_int_equal(l.rc, 0);
    assert_int_equal(json_array_size(l.docs), 3);
    assert_json(l.docs, "[{\"a\": 1}, {\"kind\": \"x\"}, [1, 2]]");
    assert_int_equal(l.numbers[0], 2);
    assert_int_equal(l.numbers[1], 4);
    assert_int_equal(l.numbers[2], 6);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(l.docs, 0)), 4);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(l.docs, 1)), 10);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(l.docs, 2)), 13);
    unload(&l);

    l = load("");
    assert_int_equal(l.rc, 0);
    assert_int_equal(json_array_size(l.docs), 0);
    unload(&l);

    l = load("# just a comment\n");
    assert_int_equal(l.rc, 0);
    assert_int_equal(json_array_size(l.docs), 0);
    unload(&l);

    /* sg_yaml_load takes any document shape. */
    l = load("just text\n--- 5\n--- [a]\n");
    assert_int_equal(l.rc, 0);
    assert_json(l.docs, "[\"just text\", 5, [\"a\"]]");
    unload(&l);
}

static void test_styles_and_lines(void **state)
{
    (void)state;
    const char *text =
        "apiVersion: v1\n"                          /* 1 */
        "kind: Pod\n"                               /* 2 */
        "spec:\n"                                   /* 3 */
        "  containers:\n"                           /* 4 */
        "  - name: a\n"                             /* 5 */
        "    image: nginx\n"                        /* 6 */
        "    ports: [{containerPort: 80}, {containerPort: 443,\n" /* 7 */
        "      protocol: TCP}]\n"                   /* 8 */
        "    securityContext:\n"                    /* 9 */
        "      privileged: yes\n"                   /* 10 */
        "      runAsUser: 0\n";                     /* 11 */
    loaded l = load(text);
    assert_int_equal(l.rc, 0);
    json_t *pod = json_array_get(l.docs, 0);
    json_t *spec = json_object_get(pod, "spec");
    json_t *containers = json_object_get(spec, "containers");
    json_t *c0 = json_array_get(containers, 0);
    json_t *ports = json_object_get(c0, "ports");
    json_t *sc = json_object_get(c0, "securityContext");
    assert_true(json_is_true(json_object_get(sc, "privileged")));
    assert_int_equal(json_integer_value(json_object_get(sc, "runAsUser")), 0);

    assert_int_equal(sg_linemap_node(l.lines, pod), 1);
    assert_int_equal(sg_linemap_member(l.lines, pod, "kind"), 2);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(pod, "kind")), 2);
    assert_int_equal(sg_linemap_node(l.lines, spec), 4);
    assert_int_equal(sg_linemap_member(l.lines, pod, "spec"), 3);
    assert_int_equal(sg_linemap_node(l.lines, containers), 5);
    assert_int_equal(sg_linemap_node(l.lines, c0), 5);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(c0, "image")), 6);
    assert_int_equal(sg_linemap_node(l.lines, ports), 7);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(ports, 1)), 7);
    assert_int_equal(sg_linemap_member(l.lines, json_array_get(ports, 1), "protocol"), 8);
    assert_int_equal(sg_linemap_member(l.lines, sc, "privileged"), 10);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(sc, "runAsUser")), 11);
    /* Shared singletons have no line; unknown nodes and keys give 0. */
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(sc, "privileged")), 0);
    assert_int_equal(sg_linemap_member(l.lines, sc, "nope"), 0);
    json_t *other = json_object();
    assert_int_equal(sg_linemap_node(l.lines, other), 0);
    json_decref(other);
    assert_int_equal(sg_linemap_node(NULL, pod), 0);
    unload(&l);
}

static void test_deep_lines(void **state)
{
    (void)state;
    /* 3000 documents of 4 lines: line numbers stay exact deep into a file. */
    size_t cap = 3000 * 64, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(text + n, cap - n, "---\nkind: K\nmetadata:\n  name: n%d\n", i);
    loaded l = load_n(text, n);
    assert_int_equal(l.rc, 0);
    assert_int_equal(json_array_size(l.docs), 3000);
    json_t *last = json_array_get(l.docs, 2999);
    assert_int_equal(l.numbers[2999], 3000);
    assert_int_equal(sg_linemap_node(l.lines, last), 2999 * 4 + 2);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(json_object_get(last, "metadata"), "name")),
                     2999 * 4 + 4);
    unload(&l);
    free(text);
}

static void test_anchors_and_aliases(void **state)
{
    (void)state;
    const char *text =
        "base: &b\n"            /* 1 */
        "  x: 1\n"              /* 2 */
        "  w: [1, two]\n"       /* 3 */
        "copy: *b\n"            /* 4 */
        "name: &n hello\n"      /* 5 */
        "again: *n\n"           /* 6 */
        "list: [*n, *b]\n";     /* 7 */
    loaded l = load(text);
    assert_int_equal(l.rc, 0);
    json_t *doc = json_array_get(l.docs, 0);
    assert_json(doc, "{\"base\": {\"x\": 1, \"w\": [1, \"two\"]}, \"copy\": {\"x\": 1, \"w\": [1, \"two\"]},"
                     " \"name\": \"hello\", \"again\": \"hello\","
                     " \"list\": [\"hello\", {\"x\": 1, \"w\": [1, \"two\"]}]}");
    json_t *base = json_object_get(doc, "base"), *copy = json_object_get(doc, "copy");
    /* A deep copy: no node has two parents. */
    assert_ptr_not_equal(base, copy);
    assert_ptr_not_equal(json_object_get(base, "w"), json_object_get(copy, "w"));
    assert_int_equal(base->refcount, 1);
    assert_int_equal(json_object_get(copy, "w")->refcount, 1);
    /* The copy sits where the alias is; what is inside keeps the anchor's lines. */
    assert_int_equal(sg_linemap_node(l.lines, copy), 4);
    assert_int_equal(sg_linemap_member(l.lines, copy, "w"), 3);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(copy, "w")), 3);
    assert_int_equal(sg_linemap_node(l.lines, json_object_get(doc, "again")), 6);
    unload(&l);

    /* Anchors belong to their document. */
    assert_error("a: &x 1\n---\nb: *x\n",
                 "t.yaml: document 2, line 3: unknown anchor 'x' (an alias must follow its anchor, "
                 "in the same document)");
    /* A redefined anchor: the latest definition counts. */
    l = load("a: &x 1\nb: &x 2\nc: *x\n");
    assert_int_equal(l.rc, 0);
    assert_json(json_array_get(l.docs, 0), "{\"a\": 1, \"b\": 2, \"c\": 2}");
    unload(&l);
}

static void test_merge_keys(void **state)
{
    (void)state;
    const char *text =
        "base: &b\n"                 /* 1 */
        "  x: 1\n"                   /* 2 */
        "  w: 2\n"                   /* 3 */
        "other: &o {w: 20, z: 30}\n" /* 4 */
        "derived:\n"                 /* 5 */
        "  <<: *b\n"                 /* 6 */
        "  w: 3\n"                   /* 7 */
        "after:\n"                   /* 8 */
        "  w: 4\n"                   /* 9 */
        "  <<: *b\n"                 /* 10 */
        "both:\n"                    /* 11 */
        "  <<: [*o, *b]\n"           /* 12 */
        "inline:\n"                  /* 13 */
        "  <<: {q: 1}\n"             /* 14 */
        "  r: 2\n"                   /* 15 */
        "quoted:\n"                  /* 16 */
        "  '<<': 5\n";               /* 17 */
    loaded l = load(text);
    assert_int_equal(l.rc, 0);
    json_t *doc = json_array_get(l.docs, 0);
    /* Keys written in the mapping win; earlier merged mappings win over later ones. */
    assert_json(json_object_get(doc, "derived"), "{\"x\": 1, \"w\": 3}");
    assert_json(json_object_get(doc, "after"), "{\"x\": 1, \"w\": 4}");
    assert_json(json_object_get(doc, "both"), "{\"x\": 1, \"w\": 20, \"z\": 30}");
    assert_json(json_object_get(doc, "inline"), "{\"q\": 1, \"r\": 2}");
    assert_json(json_object_get(doc, "quoted"), "{\"<<\": 5}");
    json_t *derived = json_object_get(doc, "derived");
    assert_int_equal(sg_linemap_member(l.lines, derived, "w"), 7);
    assert_int_equal(sg_linemap_member(l.lines, derived, "x"), 2);
    assert_int_equal(sg_linemap_member(l.lines, json_object_get(doc, "inline"), "q"), 14);
    unload(&l);

    assert_error("a:\n  <<: 5\n",
                 "t.yaml: document 1, line 2: the merge key '<<' takes a mapping or a list of mappings");
    assert_error("s: &s [1]\na:\n  <<: [*s]\n",
                 "t.yaml: document 1, line 3: the merge key '<<' takes a mapping or a list of mappings");
}

static void test_json_input(void **state)
{
    (void)state;
    const char *text =
        "{\n"                                  /* 1 */
        "  \"apiVersion\": \"v1\",\n"          /* 2 */
        "  \"kind\": \"List\",\n"              /* 3 */
        "  \"items\": [\n"                     /* 4 */
        "    {\"kind\": \"Pod\", \"n\": 1.5},\n" /* 5 */
        "    {\n"                              /* 6 */
        "      \"kind\": \"Service\",\n"       /* 7 */
        "      \"esc\\\"aped\": \"a,]}\\\"b\"\n" /* 8 */
        "    }\n"                              /* 9 */
        "  ]\n"                                /* 10 */
        "}\n"                                  /* 11 */
        "\n"
        "{\"second\": true}\n";                /* 13 */
    loaded l = load(text);
    assert_int_equal(l.rc, 0);
    assert_int_equal(json_array_size(l.docs), 2);
    assert_int_equal(l.numbers[0], 1);
    assert_int_equal(l.numbers[1], 2);
    json_t *list = json_array_get(l.docs, 0);
    json_t *items = json_object_get(list, "items");
    assert_int_equal(sg_linemap_node(l.lines, list), 1);
    assert_int_equal(sg_linemap_member(l.lines, list, "kind"), 3);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(items, 0)), 5);
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(items, 1)), 6);
    assert_int_equal(sg_linemap_member(l.lines, json_array_get(items, 1), "esc\"aped"), 8);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "esc\"aped")),
                        "a,]}\"b");
    assert_int_equal(sg_linemap_node(l.lines, json_array_get(l.docs, 1)), 13);
    unload(&l);

    /* YAML flow text that is not JSON goes to the YAML reader. */
    l = load("{a: [1, {b: yes}], \"c\": 99999999999999999999}");
    assert_int_equal(l.rc, 0);
    assert_json(l.docs, "[{\"a\": [1, {\"b\": true}], \"c\": 1e20}]");
    unload(&l);

    /* A UTF-8 byte order mark is skipped. */
    l = load("\xEF\xBB\xBF{\"a\": 1}");
    assert_int_equal(l.rc, 0);
    assert_json(l.docs, "[{\"a\": 1}]");
    unload(&l);

    /* Duplicate keys fail in JSON as in YAML. */
    assert_error("{\"a\": 1,\n \"a\": 2}",
                 "t.yaml: document 1, line 2: duplicate key \"a\" (first at line 1)");
    assert_error("{\"a\": [1, 2}\n", "t.yaml: document 1, line 1: did not find expected ',' or ']'");
}

static void test_errors(void **state)
{
    (void)state;
    assert_error("a: b: c\n", "t.yaml: document 1, line 1: mapping values are not allowed in this context");
    assert_error("a: 1\n---\nb: 2\nc: d: e\n",
                 "t.yaml: document 2, line 4: mapping values are not allowed in this context");
    assert_error("x: 1\n---\nok: 1\n---\nkey: [1, 2\nnext: 3\n",
                 "t.yaml: document 3, line 6: did not find expected ',' or ']'");
    assert_error("a: 1\nb: 2\na: 3\n", "t.yaml: document 1, line 3: duplicate key \"a\" (first at line 1)");
    assert_error("a: 1\n1: 2\n\"1\": 3\n",
                 "t.yaml: document 1, line 3: duplicate key \"1\" (first at line 2)");
    assert_error("a: *nope\n",
                 "t.yaml: document 1, line 1: unknown anchor 'nope' (an alias must follow its anchor, "
                 "in the same document)");
    assert_error("a: !!int abc\n",
                 "t.yaml: document 1, line 1: the value is tagged !!int but is not an integer");
    assert_error("a: !!bool 1\n",
                 "t.yaml: document 1, line 1: the value is tagged !!bool but is not a boolean");
    assert_error("a: !!float x\n",
                 "t.yaml: document 1, line 1: the value is tagged !!float but is not a number");
    assert_error("a: !!null x\n", "t.yaml: document 1, line 1: the value is tagged !!null but is not null");
    assert_error("? [a]\n: b\n", "t.yaml: document 1, line 1: a mapping key must be a scalar, not a sequence");
    assert_error("k: &m {a: 1}\n*m : 2\n",
                 "t.yaml: document 1, line 2: a mapping key must be a scalar, not a mapping");
    assert_error("\t- a\n", "t.yaml: document 1, line 1: found character that cannot start any token");
    assert_error("a: \"\xff\"\n", "t.yaml: document 1, line 1: invalid leading UTF-8 octet");
    assert_error("a: \"x\\0y\"\n\"k\\0\": 1\n", "t.yaml: document 1, line 2: a mapping key contains a NUL character");
    assert_error("a: 'unterminated\n",
                 "t.yaml: document 1, line 2: found unexpected end of stream");

    /* Errors leave the outputs untouched. */
    json_t *docs = (json_t *)0x1;
    int *numbers = (int *)0x1;
    sg_linemap *lines = (sg_linemap *)0x1;
    char err[SG_ERRMAX];
    assert_int_equal(sg_yaml_load("x", "a: b: c", 7, &docs, &numbers, &lines, err, sizeof(err)), -1);
    assert_ptr_equal(docs, (json_t *)0x1);
    assert_ptr_equal(numbers, (int *)0x1);
    assert_ptr_equal(lines, (sg_linemap *)0x1);
    /* A short error buffer is truncated, still terminated. */
    char small[12];
    assert_int_equal(sg_yaml_load("x", "a: b: c", 7, &docs, NULL, NULL, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + n * ul, tail, tl + 1);
    *len = hl + ul * n + tl;
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    size_t len;
    /* Exactly SG_MAX_DEPTH levels load (the top mapping is one); one more fails. */
    char *ok = repeat("a: ", "[", SG_MAX_DEPTH - 1, "", &len);
    char *ok2 = malloc(len + SG_MAX_DEPTH + 1);
    memcpy(ok2, ok, len);
    memset(ok2 + len, ']', SG_MAX_DEPTH - 1);
    ok2[len + SG_MAX_DEPTH - 1] = '\0';
    loaded l = load(ok2);
    assert_int_equal(l.rc, 0);
    unload(&l);
    free(ok);
    free(ok2);

    char *deep = repeat("a: ", "[", SG_MAX_DEPTH, "]", &len);
    l = load(deep);
    assert_int_not_equal(l.rc, 0);
    assert_string_equal(l.err, "t.yaml: document 1, line 1: nesting deeper than 128 levels");
    free(deep);

    char *open = repeat("", "[", SG_MAX_DEPTH + 1, "", &len);
    char *deepjson = malloc(2 * len + 1);
    memcpy(deepjson, open, len);
    memset(deepjson + len, ']', len);
    deepjson[2 * len] = '\0';
    free(open);
    l = load(deepjson);
    assert_int_not_equal(l.rc, 0);
    assert_string_equal(l.err, "t.yaml: document 1, line 1: nesting deeper than 128 levels");
    free(deepjson);

    /* Block nesting, a line per level. */
    size_t cap = 200 * 200, n = 0;
    char *block = malloc(cap);
    for (int i = 0; i < 130; i++)
        n += (size_t)snprintf(block + n, cap - n, "%*sk%d:\n", i, "", i);
    l = load_n(block, n);
    assert_int_not_equal(l.rc, 0);
    assert_string_equal(l.err, "t.yaml: document 1, line 129: nesting deeper than 128 levels");
    free(block);

    /* Depth through aliases counts the expanded tree. */
    char *anchored = repeat("a: &a ", "[", 100, "", &len);
    char *text = malloc(len + 400);
    memcpy(text, anchored, len);
    memset(text + len, ']', 100);
    len += 100;
    len += (size_t)sprintf(text + len, "\nb: ");
    memset(text + len, '[', 30);
    len += 30;
    len += (size_t)sprintf(text + len, "*a");
    memset(text + len, ']', 30);
    text[len + 30] = '\0';
    l = load(text);
    assert_int_not_equal(l.rc, 0);
    assert_string_equal(l.err, "t.yaml: document 1, line 2: nesting deeper than 128 levels (aliases expanded)");
    free(anchored);
    free(text);
}

static void test_alias_bomb(void **state)
{
    (void)state;
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    loaded l = load(bomb);
    assert_int_not_equal(l.rc, 0);
    assert_non_null(strstr(l.err, "t.yaml: document 1, line 4: document contains excessive aliasing"));

    /* Modest reuse of anchors is fine. */
    l = load("a: &a {x: 1}\nb: [*a, *a, *a, *a]\n");
    assert_int_equal(l.rc, 0);
    unload(&l);
}

static void test_size_limits(void **state)
{
    (void)state;
    /* More than SG_MAX_INPUT bytes: refused before parsing. */
    char err[SG_ERRMAX];
    json_t *docs = NULL;
    char *big = malloc((size_t)SG_MAX_INPUT + 1);
    assert_non_null(big);
    memset(big, ' ', (size_t)SG_MAX_INPUT + 1);
    assert_int_equal(sg_yaml_load("big.yaml", big, (size_t)SG_MAX_INPUT + 1, &docs, NULL, NULL, err,
                                  sizeof(err)), -1);
    assert_string_equal(err, "big.yaml: input is 67108865 bytes, more than the limit of 67108864 bytes");
    free(big);

    /* More than SG_MAX_NODES nodes, as JSON (nulls: no memory per node). A cheap
     * count keeps the JSON reader from building it; the YAML reader stops at the limit. */
    size_t len;
    char *many = repeat("[", "null,", (size_t)SG_MAX_NODES + 1, "null]", &len);
    loaded l = load_n(many, len);
    assert_int_not_equal(l.rc, 0);
    assert_string_equal(l.err, "t.yaml: document 1, line 1: more than 4194304 nodes (aliases expanded); "
                               "the input is too large");
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_strings_and_tags),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_styles_and_lines),
        cmocka_unit_test(test_deep_lines),
        cmocka_unit_test(test_anchors_and_aliases),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_json_input),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_size_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
