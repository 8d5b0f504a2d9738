/*
 * test_history.c - the score history: when samples are taken (a change at
 * most once a minute, one an hour), what is kept (a day of change samples,
 * 90 days of hourly ones, within the byte bound even with 32 controls), the
 * text round trip and its strict decoding, merging two replicas' histories,
 * a file saved and loaded, and the series read out for charts.
 */
#include <unistd.h>

#include "fixture.h"

static const sg_score_control_def seven[] = {
    {"vulnerabilities", "Remediate vulnerabilities", 6}, {"security-configurations", "Sec", 4},
    {"access", "Access", 4}, {"data-in-transit", "Transit", 4}, {"network", "Network", 4}, {"ddos", "DDoS", 2},
    {"best-practices", "Best practices", 0}};

#define T0 1735689600   /* 2025-01-01T00:00:00Z */

/* A score of the seven controls whose access control has `healthy` of 10 healthy. */
static sg_score score_of(sg_score_model *m, size_t healthy)
{
    size_t h[7] = {1, 1, healthy, 1, 1, 1, 0}, u[7] = {1, 0, 10 - healthy, 0, 0, 1, 0};
    sg_score s;
    sg_score_compute(m, h, u, NULL, &s);
    return s;
}

static sg_score_model *model7(void)
{
    static const char *const of[] = {"access"};
    return fx_model(seven, 7, of, 1);
}

static sg_history *new_history(void) { return sg_history_new(); }

static void test_when_samples_are_taken(void **state)
{
    (void)state;
    sg_score_model *m = model7();
    sg_history *h = new_history();
    sg_score a = score_of(m, 5), b = score_of(m, 6), c = score_of(m, 7);
    assert_true(sg_history_observe(h, &a, T0));            /* the first: a change sample and an hourly one */
    assert_int_equal(sg_history_count(h), 2);
    assert_false(sg_history_observe(h, &a, T0 + 10));      /* unchanged */
    assert_false(sg_history_observe(h, &b, T0 + 30));      /* changed, but within the minute */
    assert_false(sg_history_observe(h, &c, T0 + 59));
    assert_true(sg_history_observe(h, &c, T0 + 60));       /* the value at the end of the minute */
    assert_int_equal(sg_history_count(h), 3);
    assert_false(sg_history_observe(h, &a, T0 + 100));
    assert_false(sg_history_observe(h, &c, T0 + 130));     /* back to the newest sample's value: nothing */
    assert_false(sg_history_observe(h, &c, T0 + 3599));
    unsigned long g = sg_history_generation(h);
    assert_true(sg_history_observe(h, &c, T0 + 3600));     /* hourly, unchanged score */
    assert_true(sg_history_generation(h) != g);
    assert_int_equal(sg_history_count(h), 4);
    assert_false(sg_history_observe(h, &a, T0 + 10));      /* a clock set back: nothing until it passes */
    assert_int_equal(sg_history_count(h), 4);

    sg_history_view v;
    sg_history_view_get(h, 0, &v);
    assert_int_equal(v.ncontrols, 7);
    assert_string_equal(v.ids[2], "access");
    /* One series: hourly samples older than the first change sample (none), then the change samples. */
    assert_int_equal(v.count, 2);
    assert_int_equal(v.samples[0].time, T0);
    assert_double_equal(v.samples[0].points[2], a.controls[2].current, 1e-9);
    assert_double_equal(v.samples[1].percent, c.percent, 1e-9);
    assert_true(v.samples[1].has_percent);
    json_t *doc = sg_history_view_to_json(&v);
    assert_int_equal(json_array_size(json_object_get(doc, "samples")), 2);
    json_t *first = json_array_get(json_object_get(doc, "samples"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "time")), "2025-01-01T00:00:00Z");
    assert_double_equal(json_number_value(json_object_get(json_object_get(first, "controls"), "access")),
                        a.controls[2].current, 1e-9);
    json_decref(doc);
    sg_history_view_free(&v);
    sg_history_view_get(h, T0 + 1, &v);
    assert_int_equal(v.count, 1);
    sg_history_view_free(&v);

    sg_score none;
    size_t zero[7] = {0};
    sg_score_compute(m, zero, zero, NULL, &none);
    assert_true(sg_history_observe(h, &none, T0 + 3700));   /* n/a is a value too */
    sg_history_view_get(h, T0 + 3700, &v);
    assert_false(v.samples[0].has_percent);
    sg_history_view_free(&v);
    sg_history_free(h);
    sg_score_model_free(m);
}

/* The times of 91 days of a score that changes all the time: looked at every
 * 5 minutes for the first 88 days (plenty for the hourly samples), every
 * minute for the last three. */
static time_t next_time(time_t t)
{
    return t + (t < 88 * 86400 ? 5 * 60 : 60);
}

static void fill_91_days(sg_history *h, sg_score_model *m)
{
    for (time_t t = 0; t <= 91 * 86400; t = next_time(t)) {
        sg_score s = score_of(m, (size_t)(t / 60) % 11);
        sg_history_observe(h, &s, T0 + t);
    }
}

static void test_spans_and_bounds(void **state)
{
    (void)state;
    sg_score_model *m = model7();
    sg_history *h = new_history();
    fill_91_days(h, m);
    sg_history_view v;
    char *text;
    size_t len;
    sg_history_view_get(h, 0, &v);
    time_t end = T0 + 91 * 86400;
    assert_true(v.samples[0].time >= end - 90 * 86400);
    size_t fine = 0;
    for (size_t i = 0; i < v.count; i++) {
        fine += v.samples[i].time >= end - 86400;
        if (i)
            assert_true(v.samples[i].time > v.samples[i - 1].time);
    }
    assert_int_equal(fine, 1441);                /* minute resolution for the last day */
    assert_int_equal(sg_history_count(h), 1441 + 2161);
    sg_history_view_free(&v);
    text = sg_history_encode(h, &len);
    assert_true(len < 300 * 1024);               /* well under the bound with seven controls */
    free(text);
    sg_history_free(h);
    sg_score_model_free(m);

    /* 32 controls: the encoder keeps within SG_HISTORY_MAX_BYTES, dropping the oldest hourly samples. */
    sg_score_control_def wide[SG_SCORE_MAX_CONTROLS];
    char ids[SG_SCORE_MAX_CONTROLS][40];
    for (size_t i = 0; i < SG_SCORE_MAX_CONTROLS; i++) {
        snprintf(ids[i], sizeof ids[i], "a-rather-long-control-identifier-%02zu", i);
        wide[i] = (sg_score_control_def){ids[i], ids[i], 999999.99};
    }
    static const char *const of[] = {"a-rather-long-control-identifier-00"};
    m = fx_model(wide, SG_SCORE_MAX_CONTROLS, of, 1);
    h = new_history();
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    for (time_t t = 0; t <= 91 * 86400; t = next_time(t)) {
        for (size_t i = 0; i < SG_SCORE_MAX_CONTROLS; i++) {
            healthy[i] = 1 + (size_t)(t / 60 + i) % 7;
            unhealthy[i] = 3;
        }
        sg_score s;
        sg_score_compute(m, healthy, unhealthy, NULL, &s);
        sg_history_observe(h, &s, T0 + t);
    }
    text = sg_history_encode(h, &len);
    assert_true(len <= SG_HISTORY_MAX_BYTES);
    assert_true(len > SG_HISTORY_MAX_BYTES - 4096);
    free(text);
    sg_history_view_get(h, 0, &v);
    assert_true(v.samples[v.count - 1].time == end);   /* the newest are kept */
    sg_history_view_free(&v);
    sg_history_free(h);
    sg_score_model_free(m);
}

static void test_text_round_trip_and_strict_decoding(void **state)
{
    (void)state;
    sg_score_model *m = model7();
    sg_history *h = new_history(), *copy = new_history();
    for (int i = 0; i < 200; i++) {
        sg_score s = score_of(m, (size_t)i % 11);
        sg_history_observe(h, &s, T0 + i * 97);
    }
    char err[SG_ERRMAX], *a, *b;
    size_t alen, blen;
    a = sg_history_encode(h, &alen);
    assert_int_equal(sg_history_decode(copy, "copy", a, alen, NULL, err, sizeof err), 0);
    b = sg_history_encode(copy, &blen);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    assert_int_equal(sg_history_count(copy), sg_history_count(h));

    static const struct { const char *text, *says; } bad[] = {
        {"{", "line 1"},
        {"[]", "not a JSON object"},
        {"{\"version\":1}", "controls"},
        {"{\"version\":1,\"controls\":[],\"minutes\":[],\"hours\":[],\"x\":1}", "unknown key"},
        {"{\"version\":1,\"controls\":[\"a\",\"a\"],\"minutes\":[],\"hours\":[]}", "twice"},
        {"{\"version\":1,\"controls\":[\"a\"],\"minutes\":[[5,null,0,0,[]]],\"hours\":[]}", "sample 1"},
        {"{\"version\":1,\"controls\":[],\"minutes\":[[5,null,0,0,[]],[5,null,0,0,[]]],\"hours\":[]}", "sample 2"},
        {"{\"version\":1,\"controls\":[],\"minutes\":[[5,10001,0,0,[]]],\"hours\":[]}", "sample 1"},
        {"{\"version\":1,\"controls\":[],\"minutes\":[[5,1,9,3,[]]],\"hours\":[]}", "sample 1"},
        {"{\"version\":1,\"controls\":[],\"minutes\":[],\"hours\":[[-1,1,0,0,[]]]}", "\"hours\""},
        {"{\"version\":0,\"controls\":[],\"minutes\":[],\"hours\":[]}", "version 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bool newer = true;
        assert_int_equal(sg_history_decode(copy, "bad", bad[i].text, strlen(bad[i].text), &newer, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("%s: %s", bad[i].text, err);
        assert_false(newer);
        assert_int_equal(sg_history_count(copy), sg_history_count(h));   /* unchanged */
    }
    bool newer = false;
    const char *v2 = "{\"version\":2,\"whatever\":true}";
    assert_int_equal(sg_history_decode(copy, "cm", v2, strlen(v2), &newer, err, sizeof err), -1);
    assert_true(newer);
    assert_non_null(strstr(err, "newer scoregate"));

    /* Saved and loaded. */
    char dir[] = "/tmp/sg-history-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/history.json", dir);
    assert_int_equal(sg_history_save(h, path, err, sizeof err), 0);
    sg_history *loaded = new_history();
    assert_int_equal(sg_history_load(loaded, path, err, sizeof err), 0);
    assert_int_equal(sg_history_count(loaded), sg_history_count(h));
    assert_int_equal(sg_history_load(loaded, "/nonexistent/history.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/history.json"));
    unlink(path);
    rmdir(dir);
    free(a);
    free(b);
    sg_history_free(loaded);
    sg_history_free(copy);
    sg_history_free(h);
    sg_score_model_free(m);
}

static void test_merge(void **state)
{
    (void)state;
    sg_score_model *m = model7();
    sg_history *one = new_history(), *two = new_history();
    char err[SG_ERRMAX];
    /* Two replicas sampling the same score, on alternating stretches of time. */
    for (int i = 0; i < 100; i++) {
        sg_score s = score_of(m, (size_t)i % 11);
        sg_history_observe(i / 10 % 2 ? one : two, &s, T0 + i * 120);
    }
    size_t n1 = sg_history_count(one), n2 = sg_history_count(two);
    assert_true(sg_history_merge(one, two));
    assert_true(sg_history_count(one) > n1);
    assert_false(sg_history_merge(one, two));   /* nothing new the second time */
    assert_true(sg_history_merge(two, one));
    char *a, *b;
    size_t alen, blen;
    a = sg_history_encode(one, &alen);
    b = sg_history_encode(two, &blen);
    assert_true(alen == blen && !memcmp(a, b, alen));                   /* the same afterwards */
    assert_true(sg_history_count(two) > n2);
    free(a);
    free(b);

    /* Samples closer than a minute from the other side are thinned; controls map by id. */
    sg_history *close = new_history();
    sg_score s = score_of(m, 3);
    sg_history_observe(close, &s, T0 + 30);
    const char *other = "{\"version\":1,\"controls\":[\"extra\",\"access\"],"
                        "\"minutes\":[[1735689600,5000,100,200,[7,150]]],\"hours\":[]}";
    sg_history *text = new_history();
    assert_int_equal(sg_history_decode(text, "other", other, strlen(other), NULL, err, sizeof err), 0);
    assert_true(sg_history_merge(close, text));
    sg_history_view v;
    sg_history_view_get(close, 0, &v);
    assert_int_equal(v.ncontrols, 8);
    assert_string_equal(v.ids[7], "extra");
    assert_int_equal(v.count, 1);                   /* T0 kept, T0 + 30 too close */
    assert_int_equal(v.samples[0].time, T0);
    assert_double_equal(v.samples[0].points[2], 1.5, 1e-9);
    assert_double_equal(v.samples[0].points[7], 0.07, 1e-9);
    assert_false(v.samples[0].has_points[0]);
    sg_history_view_free(&v);
    sg_history_free(text);
    sg_history_free(close);
    sg_history_free(one);
    sg_history_free(two);
    sg_score_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_when_samples_are_taken),
        cmocka_unit_test(test_spans_and_bounds),
        cmocka_unit_test(test_text_round_trip_and_strict_decoding),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
