/*
 * test_score.c - the score arithmetic against Defender for Cloud's published
 * numbers (docs/scoring.md), rounding edge cases, the model's validation, which
 * recommendations count, and the JSON shapes of docs/scan.md.
 */
#include "fixture.h"

/* Defender's full classic control table, as in Defender's published example (docs/scoring.md). */
static const sg_score_control_def defender[] = {
    {"ddos", "Protect applications against DDoS attacks", 2},
    {"mfa", "Enable MFA", 10},
    {"best-practices", "Implement security best practices", 0},
    {"threat-protection", "Enable advanced threat protection", 0},
    {"logging", "Enable auditing and logging", 1},
    {"access", "Manage access and permissions", 4},
    {"security-configurations", "Remediate security configurations", 4},
    {"endpoint", "Enable endpoint protection", 2},
    {"system-updates", "Apply system updates", 6},
    {"data-in-transit", "Encrypt data in transit", 4},
    {"network", "Restrict unauthorized network access", 4},
    {"encryption-at-rest", "Enable encryption at rest", 4},
};
#define NDEF (sizeof defender / sizeof defender[0])
/* healthy / unhealthy / not applicable per control, from the example. */
static const size_t ex_h[NDEF] = {0, 1, 7, 0, 1, 1, 0, 0, 0, 5, 1, 1};
static const size_t ex_u[NDEF] = {0, 0, 0, 1, 4, 1, 1, 1, 1, 1, 0, 0};
static const size_t ex_na[NDEF] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static sg_score_model *defender_model(void)
{
    const char *of[NDEF];
    for (size_t i = 0; i < NDEF; i++)
        of[i] = defender[i].id;
    return fx_model(defender, NDEF, of, NDEF);
}

static void test_one_control_78_resources(void **state)
{
    (void)state;
    const sg_score_control_def c[] = {{"vulnerabilities", "Remediate vulnerabilities", 6}};
    const char *of[] = {"vulnerabilities"};
    sg_score_model *m = fx_model(c, 1, of, 1);
    size_t h = 4, u = 74;
    sg_score s;
    sg_score_compute(m, &h, &u, NULL, &s);
    assert_double_equal(s.controls[0].current, 0.31, 1e-12);
    assert_double_equal(s.controls[0].exact, 6.0 * 4 / 78, 1e-12);
    assert_double_equal(s.controls[0].potential, 5.69, 1e-12);
    assert_double_equal(s.max, 6, 0);
    assert_double_equal(s.percent, 5.17, 1e-12); /* 0.31 / 6 */
    sg_score_model_free(m);
}

static void test_defender_controls_example(void **state)
{
    (void)state;
    sg_score_model *m = defender_model();
    sg_score s;
    sg_score_compute(m, ex_h, ex_u, ex_na, &s);
    assert_true(s.has_percent);
    assert_double_equal(s.current, 23.53, 1e-9);
    assert_double_equal(s.max, 39, 1e-9);
    assert_double_equal(s.percent, 60.33, 1e-9);
    assert_double_equal(fx_control(&s, "ddos")->max, 0, 0);          /* drops out */
    assert_double_equal(fx_control(&s, "ddos")->configured_max, 2, 0);
    assert_double_equal(fx_control(&s, "logging")->current, 0.2, 1e-12);
    assert_double_equal(fx_control(&s, "access")->current, 2, 1e-12);
    assert_double_equal(fx_control(&s, "data-in-transit")->current, 3.33, 1e-12);
    assert_double_equal(fx_control(&s, "system-updates")->current, 0, 0);
    assert_double_equal(fx_control(&s, "system-updates")->max, 6, 0);
    assert_int_equal(fx_control(&s, "best-practices")->not_applicable, 1);
    sg_score_model_free(m);
}

/* The same example through the inventory: one scored recommendation per
 * control, eight resources whose outcomes give the example's counts. */
static void test_defender_example_through_inventory(void **state)
{
    (void)state;
    sg_score_model *m = defender_model();
    sg_inventory *inv;
    char err[SG_ERRMAX];
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    for (size_t r = 0; r < 8; r++) {
        char states[NDEF + 1] = {0}, name[16];
        for (size_t c = 0; c < NDEF; c++)
            states[c] = r < ex_h[c] ? 'h' : r < ex_h[c] + ex_u[c] ? 'u' : '.';
        snprintf(name, sizeof name, "res%zu", r);
        fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "ns", name, states));
    }
    sg_score s;
    sg_inventory_score(inv, &s);
    assert_double_equal(s.current, 23.53, 1e-9);
    assert_double_equal(s.max, 39, 1e-9);
    assert_double_equal(s.percent, 60.33, 1e-9);
    assert_int_equal(s.resources, 8);
    assert_int_equal(fx_control(&s, "data-in-transit")->not_applicable, 2);
    fx_check(inv);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

static double one_control(double max, size_t h, size_t u, double *percent)
{
    const sg_score_control_def c[] = {{"c", "C", max}};
    const char *of[] = {"c"};
    sg_score_model *m = fx_model(c, 1, of, 1);
    sg_score s;
    sg_score_compute(m, &h, &u, NULL, &s);
    sg_score_model_free(m);
    if (percent)
        *percent = s.percent;
    return s.controls[0].current;
}

static void test_rounding(void **state)
{
    (void)state;
    double pct;
    assert_double_equal(one_control(1, 1, 199, NULL), 0.01, 1e-12);   /* 0.005: half up */
    assert_double_equal(one_control(1, 1, 7, NULL), 0.13, 1e-12);     /* 0.125 */
    assert_double_equal(one_control(1, 3, 5, NULL), 0.38, 1e-12);     /* 0.375 */
    assert_double_equal(one_control(4, 1, 2, NULL), 1.33, 1e-12);
    assert_double_equal(one_control(4, 2, 1, NULL), 2.67, 1e-12);
    assert_double_equal(one_control(6, 1, 1199, NULL), 0.01, 1e-12);  /* 0.005 again */
    assert_double_equal(one_control(6, 1, 1200, NULL), 0, 0);         /* 0.004996 */
    assert_double_equal(one_control(4, 0, 5, NULL), 0, 0);
    assert_double_equal(one_control(4, 5, 0, &pct), 4, 0);
    assert_double_equal(pct, 100, 0);
    /* The percent comes from the rounded current: 0.33 of 1 is 33%, not 33.33%. */
    assert_double_equal(one_control(1, 1, 2, &pct), 0.33, 1e-12);
    assert_double_equal(pct, 33, 1e-12);
    /* Percent ties round half up too: 0.01 of 8 is 0.125%. */
    assert_double_equal(one_control(8, 1, 799, &pct), 0.01, 1e-12);
    assert_double_equal(pct, 0.13, 1e-12);
    /* Large counts stay exact. */
    assert_double_equal(one_control(6, 3000000000u, 3000000000u, NULL), 3, 0);
}

static void test_nothing_scored(void **state)
{
    (void)state;
    size_t d;
    const sg_score_control_def *def = sg_score_default_controls(&d);
    const char *of[] = {"best-practices"};
    sg_score_model *m = fx_model(def, d, of, 1);
    size_t h[SG_SCORE_MAX_CONTROLS] = {0}, u[SG_SCORE_MAX_CONTROLS] = {0};
    sg_score s;
    sg_score_compute(m, h, u, NULL, &s);
    assert_false(s.has_percent);
    h[6] = 3; /* best-practices has max 0: still nothing to score */
    sg_score_compute(m, h, u, NULL, &s);
    assert_false(s.has_percent);
    json_t *j = sg_score_to_json(&s);
    assert_true(json_is_null(json_object_get(j, "percent")));
    json_decref(j);
    sg_score_model_free(m);
}

static void test_default_controls(void **state)
{
    (void)state;
    size_t n;
    const sg_score_control_def *c = sg_score_default_controls(&n);
    const char *ids[] = {"vulnerabilities", "security-configurations", "access",
                         "data-in-transit", "network", "ddos", "best-practices"};
    const double max[] = {6, 4, 4, 4, 4, 2, 0};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(c[i].id, ids[i]);
        assert_double_equal(c[i].max, max[i], 0);
    }
}

static void expect_model_error(const sg_score_control_def *c, size_t nc,
                               const sg_score_rec_def *r, size_t nr, const char *needle)
{
    sg_score_model *m = (sg_score_model *)1;
    char err[SG_ERRMAX] = "";
    assert_int_equal(sg_score_model_new(c, nc, r, nr, &m, err, sizeof err), -1);
    assert_null(m);
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_model_validation(void **state)
{
    (void)state;
    const sg_score_control_def ok[] = {{"a", "A", 4}, {"b", "B", 0.5}};
    const sg_score_control_def twice[] = {{"a", "A", 4}, {"a", "A2", 1}};
    const sg_score_control_def fine[] = {{"a", "A", 0.001}};
    const sg_score_control_def neg[] = {{"a", "A", -1}};
    const sg_score_rec_def unknown[] = {{"x", "zzz", true, true, 0}};
    const sg_score_rec_def dup[] = {{"x", "a", true, true, 0}, {"x", "b", false, true, 0}};
    const sg_score_rec_def unevaluated[] = {{"x", "a", true, false, 0}};
    const sg_score_rec_def custom[] = {{"x", "no-such-control", false, true, 0}, {"y", NULL, false, false, 0}};
    expect_model_error(ok, 0, NULL, 0, "controls");
    expect_model_error(twice, 2, NULL, 0, "twice");
    expect_model_error(fine, 1, NULL, 0, "0.01");
    expect_model_error(neg, 1, NULL, 0, "max");
    expect_model_error(ok, 2, unknown, 1, "unknown control");
    expect_model_error(ok, 2, dup, 2, "listed twice");
    expect_model_error(ok, 2, unevaluated, 1, "not evaluated");
    sg_score_model *m;
    char err[SG_ERRMAX];
    assert_int_equal(sg_score_model_new(ok, 2, custom, 2, &m, err, sizeof err), 0);
    assert_int_equal(sg_score_model_rec_index(m, "y"), 1);
    assert_int_equal(sg_score_model_rec_index(m, "nope"), -1);
    assert_int_equal(sg_score_model_rec_control(m, 0), -1);
    assert_double_equal(sg_score_model_control(m, 1)->max, 0.5, 0);
    assert_null(sg_score_model_control(m, 2));
    sg_score_model_free(m);
}

/* Which loaded recommendations count: built-in, not preview, enabled, configured. */
static void test_scored_from_info(void **state)
{
    (void)state;
    json_t *p1 = json_pack("{s:s}", "cpuLimit", "2"), *p2 = json_pack("{s:s}", "cpuLimit", "4");
    sg_rec_info base = {.id = "privileged-containers", .control = "access", .builtin = true,
                        .enabled = true, .configured = true, .scored = true, .parameters = p1};
    sg_rec_info preview = base, custom = base, disabled = base, unconfigured = base, other = base;
    preview.preview = true;
    custom.builtin = false;
    custom.standard = "custom";
    disabled.enabled = false;
    unconfigured.configured = false;
    other.parameters = p2;
    sg_score_rec_def d = sg_score_rec_def_from_info(&base);
    assert_true(d.scored && d.evaluated);
    assert_string_equal(d.id, "privileged-containers");
    assert_false(sg_score_rec_def_from_info(&preview).scored);
    assert_true(sg_score_rec_def_from_info(&preview).evaluated);
    assert_false(sg_score_rec_def_from_info(&custom).scored);
    assert_false(sg_score_rec_def_from_info(&disabled).scored);
    assert_false(sg_score_rec_def_from_info(&disabled).evaluated);
    assert_false(sg_score_rec_def_from_info(&unconfigured).scored);
    assert_false(sg_score_rec_def_from_info(&unconfigured).evaluated);
    assert_int_not_equal(d.params_hash, sg_score_rec_def_from_info(&other).params_hash);
    assert_int_equal(d.params_hash, sg_score_rec_def_from_info(&base).params_hash);
    json_decref(p1);
    json_decref(p2);
}

static void assert_keys(const json_t *obj, const char *const *keys, size_t n)
{
    assert_int_equal(json_object_size(obj), n);
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i]))
            fail_msg("missing key %s", keys[i]);
}

static void test_json_shapes(void **state)
{
    (void)state;
    sg_score_model *m = defender_model();
    sg_score s;
    sg_score_compute(m, ex_h, ex_u, ex_na, &s);
    json_t *j = sg_score_to_json(&s);
    const char *top[] = {"percent", "current", "max", "controls"};
    const char *ctl[] = {"id", "name", "max", "current", "healthy", "unhealthy", "notApplicable"};
    assert_keys(j, top, 4);
    assert_double_equal(json_number_value(json_object_get(j, "percent")), 60.33, 1e-9);
    assert_int_equal(json_array_size(json_object_get(j, "controls")), NDEF);
    json_t *dit = json_array_get(json_object_get(j, "controls"), 9);
    assert_keys(dit, ctl, 7);
    assert_string_equal(json_string_value(json_object_get(dit, "id")), "data-in-transit");
    assert_int_equal(json_integer_value(json_object_get(dit, "healthy")), 5);
    assert_double_equal(json_number_value(json_object_get(dit, "current")), 3.33, 1e-12);
    json_decref(j);

    sg_score_prediction p;
    memset(&p, 0, sizeof p);
    p.before = s;
    p.after = s;
    p.has_delta = true;
    p.delta = -1.4;
    p.exact_delta = -1.3987;
    p.nchanges = 1;
    p.changes[0] = (sg_score_change){.id = "access", .before = 2, .after = 1.33};
    j = sg_score_prediction_to_json(&p);
    const char *ptop[] = {"before", "after", "delta", "exactDelta", "controls"};
    const char *pctl[] = {"id", "before", "after"};
    assert_keys(j, ptop, 5);
    assert_keys(json_array_get(json_object_get(j, "controls"), 0), pctl, 3);
    assert_double_equal(json_number_value(json_object_get(j, "exactDelta")), -1.3987, 0);
    json_decref(j);
    p.has_delta = false;
    p.after.has_percent = false;
    j = sg_score_prediction_to_json(&p);
    assert_true(json_is_null(json_object_get(j, "after")));
    assert_true(json_is_null(json_object_get(j, "delta")));
    assert_true(json_is_null(json_object_get(j, "exactDelta")));
    json_decref(j);
    sg_score_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_control_78_resources),
        cmocka_unit_test(test_defender_controls_example),
        cmocka_unit_test(test_defender_example_through_inventory),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_nothing_scored),
        cmocka_unit_test(test_default_controls),
        cmocka_unit_test(test_model_validation),
        cmocka_unit_test(test_scored_from_info),
        cmocka_unit_test(test_json_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
