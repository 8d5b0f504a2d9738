/*
 * test_json_read.c - the fast JSON reader of request bodies (sg_json_read,
 * doc/src/json_read.c) against jansson's json_loadb(text, len, 0), which it
 * replaces: on every input both must accept or both reject, and accepted
 * trees must serialise identically with key order preserved (so values,
 * types, numbers, escapes, repeated keys and order all agree), except that a
 * NUL byte outside a string is always rejected (jansson lets one pass after a
 * number). sg_json_read_skip must agree with json_loadb followed by the
 * deletion of the paths it leaves out, and fail with sg_json_read's error at
 * the same place (values left out are checked all the same); and
 * sg_json_read_split with sg_json_read_element, building a list page's items
 * one at a time, with the tree of the whole, on the same inputs. Inputs: hand-picked
 * edge cases, nesting at the depth limit, and seeded random mutations of
 * valid documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <scoregate/doc.h>

#include "xorshift.h"

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* What sg_json_read_skip leaves out in agree(): a list page's managedFields, a review's object spec
 * (which the seeds and their mutations below hold), and several paths at once: a subtree, a scalar, a
 * path that does not exist in the seeds, and one through every element of an array. */
static const char *const managed_fields[] = {"items", "*", "metadata", "managedFields", NULL};
static const char *const object_spec[] = {"request", "object", "spec", NULL};
static const char *const object_metadata[] = {"request", "object", "metadata", NULL};
static const char *const kind_kind[] = {"request", "kind", "kind", NULL};
static const char *const absent[] = {"request", "nothing", NULL};
static const char *const *const managed_set[] = {managed_fields, NULL};
static const char *const *const spec_set[] = {object_spec, NULL};
static const char *const *const several_set[] = {object_metadata, kind_kind, absent, managed_fields, NULL};
static const char *const *const *const skip_sets[] = {NULL, managed_set, spec_set, several_set};

/* What sg_json_read_skip must give: the whole tree with the member at `drop` deleted wherever it is. */
static void delete_path(json_t *v, const char *const *drop)
{
    if (!drop[1]) {
        json_object_del(v, drop[0]);
        return;
    }
    if (!strcmp(drop[0], "*")) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            delete_path(item, drop + 1);
        return;
    }
    json_t *child = json_object_get(v, drop[0]);
    if (child)
        delete_path(child, drop + 1);
}

static int agree_skip(const char *text, size_t len, const char *const *const *skip);

/* Whether the trees serialise identically, key order included. */
static int same(const json_t *a, const json_t *b)
{
    char *x = dump(a), *y = dump(b);
    int ok = x && y && !strcmp(x, y);
    free(x);
    free(y);
    return ok;
}

/* sg_json_read_split leaving out "items", then each item built alone without its managedFields: the
 * envelope and the items equal jansson's tree with those deleted, and `type` is the first byte of the
 * last "items" value. */
static int split_matches(const char *text, const json_t *ours, const sg_json_split *sp, json_t *theirs)
{
    json_t *want = json_object_get(theirs, "items");
    int ok = want ? sp->type != 0 : sp->type == 0;
    if (json_is_array(want)) {
        ok = ok && sp->type == '[' && sp->n == json_array_size(want);
        for (size_t i = 0; ok && i < sp->n; i++) {
            static const char *const *const item_skip[] = {managed_fields + 2, NULL};
            json_t *item = sg_json_read_element(text + sp->spans[i].start, sp->spans[i].end - sp->spans[i].start,
                                                item_skip);
            json_t *expect = json_deep_copy(json_array_get(want, i));
            json_object_del(json_object_get(expect, "metadata"), "managedFields");
            ok = item && same(item, expect);
            json_decref(item);
            json_decref(expect);
        }
    } else if (want) {
        char *w = dump(want);
        ok = ok && w && sp->type == w[0];
        free(w);
    }
    json_object_del(theirs, "items");
    return ok && same(ours, theirs);
}

static int agree_split(const char *text, size_t len)
{
    static const char *const items_path[] = {"items", NULL};
    static const char *const *const items[] = {items_path, NULL};
    sg_json_split sp;
    char err[160];
    int line = 0, column = 0;
    json_t *ours = sg_json_read_split(text, len, items, &sp, &line, &column, err, sizeof err);
    json_t *theirs = json_loadb(text, len, 0, NULL);
    int ok;
    if (memchr(text, '\0', len))
        ok = !ours;
    else if (!ours || !theirs)
        ok = !ours && !theirs && (theirs || (line >= 1 && column >= 1 && *err));
    else
        ok = split_matches(text, ours, &sp, theirs);
    if (!ok)
        fprintf(stderr, "disagree (split of items) on %zu bytes: %.*s\n", len, (int)(len > 300 ? 300 : len), text);
    free(sp.spans);
    json_decref(ours);
    json_decref(theirs);
    return ok;
}

/* 1 when both readers agree on `len` bytes of `text`, whole and with each set of skip_sets[] left out;
 * prints the input when not. */
static int agree(const char *text, size_t len)
{
    int ok = agree_split(text, len);
    for (size_t d = 0; d < sizeof skip_sets / sizeof skip_sets[0]; d++)
        ok = agree_skip(text, len, skip_sets[d]) && ok;
    return ok;
}

/* Whether sg_json_read fails on `text` with this error at this place. */
static int same_error(const char *text, size_t len, int line, int column, const char *err)
{
    char err2[160];
    int line2 = 0, column2 = 0;
    json_t *whole = sg_json_read(text, len, &line2, &column2, err2, sizeof err2);
    int ok = !whole && line == line2 && column == column2 && !strcmp(err, err2);
    json_decref(whole);
    return ok;
}

static int agree_skip(const char *text, size_t len, const char *const *const *skip)
{
    char err[160];
    int line = 0, column = 0;
    json_t *ours = skip ? sg_json_read_skip(text, len, skip, &line, &column, err, sizeof err)
                        : sg_json_read(text, len, &line, &column, err, sizeof err);
    json_t *theirs = json_loadb(text, len, 0, NULL);
    for (size_t i = 0; skip && theirs && skip[i]; i++)
        delete_path(theirs, skip[i]);
    int ok;
    if (memchr(text, '\0', len)) {
        /* A NUL byte is never valid JSON (in a string it is a control
         * character). jansson agrees except right after a number, where its
         * stream drops the NUL it puts back: "[1\0]" loads as [1]. */
        ok = !ours;
    } else if (!ours || !theirs) {
        ok = !ours && !theirs;
        if (!ours && (line < 1 || column < 1 || !*err))
            ok = 0;
        if (!ours && skip && !same_error(text, len, line, column, err))
            ok = 0;
    } else {
        ok = same(ours, theirs);
    }
    if (!ok)
        fprintf(stderr, "disagree (ours %s, jansson %s; %s left out) on %zu bytes: %.*s\n",
                ours ? "accepts" : "rejects", theirs ? "accepts" : "rejects", skip ? skip[0][0] : "nothing", len,
                (int)(len > 300 ? 300 : len), text);
    json_decref(ours);
    json_decref(theirs);
    return ok;
}

static const char *const cases[] = {
    "{}", "[]", " \t\r\n{} \n", "{\"a\":1}", "[1,2,3]", "[true,false,null]", "{\"a\":{\"b\":[{}]}}",
    "", " ", "1", "\"s\"", "true", "null", "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
    "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\":1 \"b\":2}", "[1 2]", "{} {}", "{}x", "[]]", "{1:2}",
    "{'a':1}", "[tru]", "[truex]", "[nul]", "[nulll]", "[True]", "[NaN]", "[Infinity]", "[-Infinity]",
    "[0]", "[-0]", "[00]", "[01]", "[-01]", "[1.]", "[.5]", "[1.5]", "[-1.5e3]", "[1e]", "[1e+]", "[1E-2]",
    "[+1]", "[-]", "[0x10]", "[1e400]", "[-1e400]", "[1e-400]", "[9223372036854775807]",
    "[9223372036854775808]", "[-9223372036854775808]", "[-9223372036854775809]", "[123456789012345678901234]",
    "[0.1]", "[2.2250738585072014e-308]", "[1.7976931348623157e308]", "[4.9e-324]", "[1.0]", "[100e-2]",
    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\u0041\\u00e9\\u20ac\"]", "[\"\\ud83d\\ude00\"]", "[\"\\ud83d\"]",
    "[\"\\ude00\"]", "[\"\\ud83dx\"]", "[\"\\ud83d\\u0041\"]", "[\"\\u0000\"]", "[\"\\u00\"]", "[\"\\uzzzz\"]",
    "[\"\\x41\"]", "[\"\\a\"]", "[\"\\\"]", "[\"abc]", "[\"a\tb\"]", "[\"a\nb\"]", "[\"\x7f\"]",
    "[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xc3\x28\"]", "[\"\xe2\x82\xac\"]", "[\"\xe2\x82\"]",
    "[\"\xf0\x9f\x98\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\xc0\xaf\"]",
    "[\"\xc1\xbf\"]", "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf0\x80\x80\xaf\"]", "[\"\xff\"]",
    "[\"\x80\"]", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}", "{\"\":0}", "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
    "{\"a\\nb\":{\"c\\\"d\":[]}}", "{\"k\\u0000\":1}", "[\"\\u00e9\\n\xc3\xa9 plain ascii and escapes\\t\"]",
    "\xef\xbb\xbf{}", "{}\x00", "[1]\x00", "{\"a\":\"\x00\"}",
    /* Left out but still validated (sg_json_read_skip): */
    "{\"items\":[{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"f\":1}]}},{\"metadata\":3}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":[1e400]}}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":[9223372036854775808]}}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":[-922337203685477]}}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":\"\\ud83d\"}}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":{\"a\":[01]}}}]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":1,\"x\":2,\"managedFields\":{}}}],\"items\":[]}",
    "{\"items\":[{\"metadata\":{\"managedFields\":\"\xc3\x28\"}}]}",
    "{\"items\":{\"metadata\":{\"managedFields\":1}},\"metadata\":{\"managedFields\":1}}",
    "{\"items\":[1,\"s\",null,[2],{\"a\":[3]}]}", "{\"items\":[[{\"x\":1}]],\"items\":[{\"b\":2},{}]}",
    "{\"items\":[{}],\"items\":null}", "{\"items\":\"x\"}", "{\"items\":-1}", "{\"items\" : [ {} , {} ] }",
    "[{\"items\":[1]}]", "{\"a\":{\"items\":[1]},\"items\":[]}",
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(agree(cases[i], strlen(cases[i])));
    static const char nul_inside[] = "{\"a\":\"x\0y\"}", nul_after_number[] = "[1\0]";
    assert_true(agree(nul_inside, sizeof nul_inside - 1));
    assert_true(agree(nul_after_number, sizeof nul_after_number - 1));
}

/* A long key with an escape, then a longer value with escapes: the scratch
 * buffer the key was decoded into grows (and moves) while the value is read
 * (a leak the admission fuzz target found). */
static void test_long_escaped_key(void **state)
{
    (void)state;
    char text[4096];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "{\"k\\n");
    for (int i = 0; i < 200; i++)
        text[n++] = 'k';
    n += (size_t)snprintf(text + n, sizeof text - n, "\":\"v\\t");
    for (int i = 0; i < 2000; i++)
        text[n++] = 'v';
    n += (size_t)snprintf(text + n, sizeof text - n, "\",\"\\u00e9\":[\"\\\"\"]}");
    assert_true(agree(text, n));
}

/* Arrays nested `n` deep around a value, at and around jansson's depth limit. */
static void test_depth(void **state)
{
    (void)state;
    const int depths[] = {JSON_PARSER_MAX_DEPTH - 2, JSON_PARSER_MAX_DEPTH - 1, JSON_PARSER_MAX_DEPTH,
                          JSON_PARSER_MAX_DEPTH + 1, JSON_PARSER_MAX_DEPTH + 5};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        for (int with_value = 0; with_value < 2; with_value++) {
            int n = depths[d];
            char *text = malloc(2 * (size_t)n + 2);
            size_t len = 0;
            for (int i = 0; i < n; i++)
                text[len++] = '[';
            if (with_value)
                text[len++] = '1';
            for (int i = 0; i < n; i++)
                text[len++] = ']';
            assert_true(agree(text, len));
            free(text);
        }
    }
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next(void)
{
    return xorshift_next(&rng);
}

static const char *const seeds[] = {
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-1\","
    "\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},\"operation\":\"CREATE\","
    "\"namespace\":\"shop\",\"object\":{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"},"
    "\"annotations\":{\"note\":\"caf\\u00e9 \xe2\x82\xac \\ud83d\\ude00\"}},\"spec\":{\"replicas\":3,"
    "\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"registry.example.com/a:1\","
    "\"resources\":{\"limits\":{\"cpu\":0.5,\"memory\":\"512Mi\"}},\"securityContext\":{\"privileged\":false,"
    "\"runAsUser\":1000,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}}},\"oldObject\":null,\"dryRun\":false}}",
    "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"7\",\"continue\":\"x\"},\"items\":[{\"metadata\":"
    "{\"name\":\"p\",\"managedFields\":[{\"manager\":\"kubelet\",\"fieldsV1\":{\"f:status\":{\"f:phase\":{}},"
    "\"k:{\\\"name\\\":\\\"app\\\"}\":{}},\"n\":[1.5e3,-7,true,null]}]},\"spec\":{\"x\":1}},{\"metadata\":{}}]}",
    "[1,-2,3.25,-4e10,0,-0,1e-5,123456789012,\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",true,false,null,{},[],"
    "{\"x\":[[[]]],\"y\":{\"z\":{}}}]",
};

static void test_mutations(void **state)
{
    (void)state;
    static const char specials[] = "{}[]\",:\\ntfu0123456789.eE+- \t\n\x00\x1f\x7f\x80\xc3\xe2\xed\xf0\xff";
    int failures = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t base = strlen(seeds[s]);
        assert_true(agree(seeds[s], base));
        char *buf = malloc(base * 2 + 16);
        for (int round = 0; round < 20000; round++) {
            memcpy(buf, seeds[s], base);
            size_t len = base;
            int edits = 1 + (int)(next() % 3);
            for (int e = 0; e < edits && len > 0; e++) {
                size_t at = next() % len;
                char c = specials[next() % (sizeof specials - 1)];
                switch (next() % 5) {
                case 0: buf[at] = c; break;
                case 1: memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; break;
                case 2: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
                case 3: len = at; break;
                default: {
                    size_t n = next() % 8 + 1;
                    if (at + n <= len && len + n <= base * 2) {
                        memmove(buf + at + n, buf + at, len - at);
                        len += n;
                    }
                }
                }
            }
            failures += !agree(buf, len);
        }
        free(buf);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_long_escaped_key),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
