/*
 * test_json_dumps.c - sg_json_dumps (doc/src/json_alloc.c) against jansson's
 * json_dumps, which it replaces: for random trees (strings of random bytes,
 * control characters, escapes, multi-byte and invalid UTF-8, integers at
 * the limits, reals, booleans, nulls, nested containers) and every flag set
 * the code uses, both give the same text or both fail; the text comes from
 * malloc (free() takes it). sg_json_deep_copy against json_deep_copy. And the arena hooks as jansson's allocator: a
 * tree built in a thread's arena dumps to text that outlives the arena.
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

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    return xorshift_next(&rng);
}

static json_t *random_string(void)
{
    static const char *const pieces[] = {"a", "Z", "\"", "\\", "/", "\n", "\t", "\b", "\f", "\r", "\x01", "\x1f",
                                         "\x7f", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf",
                                         "\xed\xa0\x80", "\xc3", "\xff", " ", "0"};
    char text[64] = "";
    size_t n = next() % 6;
    for (size_t i = 0; i < n; i++)
        strcat(text, pieces[next() % (sizeof pieces / sizeof pieces[0])]);
    /* nocheck: invalid UTF-8 too, where both must agree (fail, or write it). */
    return json_stringn_nocheck(text, strlen(text));
}

static json_t *random_value(int depth)
{
    switch (next() % (depth > 3 ? 6 : 8)) {
    case 0: return random_string();
    case 1: {
        static const json_int_t ints[] = {0, -1, 42, INT64_MAX, INT64_MIN, 1000000007};
        return json_integer(ints[next() % 6]);
    }
    case 2: {
        static const double reals[] = {0.5, -1e300, 3.14159, 1e-7, 100.0, 0.1};
        return json_real(reals[next() % 6]);
    }
    case 3: return json_true();
    case 4: return json_false();
    case 5: return json_null();
    case 6: {
        json_t *a = json_array();
        for (size_t i = next() % 4; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = next() % 4; i > 0; i--) {
            json_t *key = random_string();
            json_object_setn_new_nocheck(o, json_string_value(key), json_string_length(key), random_value(depth + 1));
            json_decref(key);
        }
        return o;
    }
    }
}

static void test_same_as_jansson(void **state)
{
    (void)state;
    static const size_t flag_sets[] = {
        JSON_COMPACT, JSON_COMPACT | JSON_PRESERVE_ORDER, JSON_COMPACT | JSON_ENCODE_ANY,
        JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY, JSON_COMPACT | JSON_SORT_KEYS,
        JSON_ENCODE_ANY, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10),
        JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY,
    };
    int differ = 0, failed_both = 0;
    for (int round = 0; round < 4000; round++) {
        json_t *v = random_value(0);
        for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
            size_t len = 0;
            char *ours = sg_json_dumps(v, flag_sets[f], &len);
            char *theirs = json_dumps(v, flag_sets[f]);
            if (!ours != !theirs || (ours && (strcmp(ours, theirs) || len != strlen(theirs)))) {
                if (differ++ < 5)
                    fprintf(stderr, "flags %#zx: ours %s, jansson %s\n", flag_sets[f], ours ? ours : "(fails)",
                            theirs ? theirs : "(fails)");
            }
            failed_both += !ours && !theirs;
            free(ours);
            free(theirs);
        }
        json_decref(v);
    }
    assert_int_equal(differ, 0);
    assert_true(failed_both > 0); /* scalars without JSON_ENCODE_ANY, invalid UTF-8: both refuse */
}

/* sg_json_deep_copy gives what json_deep_copy gives, keys in the same order, sharing nothing. */
static void test_deep_copy(void **state)
{
    (void)state;
    for (int round = 0; round < 2000; round++) {
        json_t *v = random_value(0);
        json_t *ours = sg_json_deep_copy(v), *theirs = json_deep_copy(v);
        assert_true(json_equal(ours, theirs));
        char *a = json_dumps(ours, JSON_COMPACT | JSON_ENCODE_ANY), *b = json_dumps(theirs, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_true((!a && !b) || (a && b && !strcmp(a, b)));
        free(a);
        free(b);
        assert_true(ours != v || json_is_true(v) || json_is_false(v) || json_is_null(v));
        json_decref(v); /* the copy lives on alone (ASan reports any sharing) */
        json_decref(theirs);
        json_decref(ours);
    }
}

static void test_arena_trees(void **state)
{
    (void)state;
    sg_json_use_arena();
    sg_arena_begin();
    json_t *v = json_pack("{s:s,s:[i,b,n],s:{s:s}}", "name", "caf\xc3\xa9", "list", 1, 1, "nested", "k", "v\"");
    assert_non_null(v);
    char *text = sg_json_dumps(v, JSON_COMPACT, NULL);
    json_decref(v);
    sg_arena_end();
    /* The text is malloc'd: it outlives the arena, and free() takes it. */
    assert_string_equal(text, "{\"name\":\"caf\xc3\xa9\",\"list\":[1,true,null],\"nested\":{\"k\":\"v\\\"\"}}");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_jansson),
        cmocka_unit_test(test_deep_copy),
        cmocka_unit_test(test_arena_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
