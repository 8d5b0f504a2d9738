/*
 * test_policy_adapter.c - the scoring module on top of the real policy
 * module: the model of the built-in catalog, outcomes of real evaluations,
 * and exemptions re-decided on reload with sg_policy_exemption_match().
 */
#include "fixture.h"

static const char config[] =
    "exemptions:\n"
    "  - name: legacy-root\n"
    "    recommendations: [run-as-non-root]\n"
    "    match: {namespaces: [legacy]}\n"
    "    category: waiver\n"
    "    justification: vendor image\n";

static const char deployment[] =
    "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
    " \"metadata\": {\"name\": \"web\", \"namespace\": \"legacy\", \"labels\": {\"app\": \"web\"}},"
    " \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"nginx\"}]}}}}";

static sg_policy *load(const char *text)
{
    sg_policy *p;
    char err[SG_ERRMAX];
    sg_policy_options opts = {0};
    if (text ? sg_policy_load_buffer("test.yaml", text, strlen(text), &opts, &p, err, sizeof err)
             : sg_policy_load(&opts, &p, err, sizeof err))
        fail_msg("policy: %s", err);
    return p;
}

static void test_model_and_outcome_from_policy(void **state)
{
    (void)state;
    char err[SG_ERRMAX];
    sg_policy *plain = load(NULL), *exempting = load(config);
    sg_score_model *m, *m2;
    assert_int_equal(sg_score_model_from_policy(plain, NULL, 0, &m, err, sizeof err), 0);
    assert_int_equal(sg_score_model_rec_count(m), sg_policy_rec_count(plain));
    long rnr = sg_score_model_rec_index(m, "run-as-non-root");
    assert_true(rnr >= 0);
    assert_int_equal(sg_score_model_rec_control(m, (size_t)rnr), 2); /* access */
    long tr = sg_score_model_rec_index(m, "trusted-registries");
    assert_true(tr >= 0);
    assert_int_equal(sg_score_model_rec_control(m, (size_t)tr), -1); /* inactive until configured */

    json_error_t jerr;
    json_t *obj = json_loads(deployment, 0, &jerr);
    assert_non_null(obj);
    sg_eval ev;
    assert_int_equal(sg_policy_evaluate(plain, obj, NULL, 0, &ev, err, sizeof err), 0);
    sg_score_outcome *o;
    assert_int_equal(sg_score_outcome_from_eval(m, &ev, &o, err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_rec_state(o, (size_t)rnr), SG_SCORE_UNHEALTHY);
    assert_int_equal(sg_score_outcome_control_state(o, 2), SG_SCORE_UNHEALTHY);
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, o);
    sg_score s;
    sg_inventory_score(inv, &s);
    assert_int_equal(fx_control(&s, "access")->unhealthy, 1);

    /* Reload with the exemption: run-as-non-root is waived for the legacy namespace. */
    assert_int_equal(sg_score_model_from_policy(exempting, NULL, 0, &m2, err, sizeof err), 0);
    sg_inventory_reload_policy(inv, m2, exempting, 0);
    fx_check(inv);
    sg_score after;
    sg_inventory_score(inv, &after);
    assert_int_equal(after.stale_resources, 0);
    /* The same as evaluating again under the new policy. */
    sg_eval ev2;
    assert_int_equal(sg_policy_evaluate(exempting, obj, NULL, 0, &ev2, err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_from_eval(m2, &ev2, &o, err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_rec_state(o, (size_t)sg_score_model_rec_index(m2, "run-as-non-root")),
                     SG_SCORE_NOT_APPLICABLE);
    sg_inventory *fresh;
    assert_int_equal(sg_inventory_new(m2, &fresh, err, sizeof err), 0);
    fx_apply(fresh, SG_SCORE_CREATE, o);
    sg_score direct;
    sg_inventory_score(fresh, &direct);
    for (size_t c = 0; c < direct.ncontrols; c++) {
        assert_int_equal(after.controls[c].healthy, direct.controls[c].healthy);
        assert_int_equal(after.controls[c].unhealthy, direct.controls[c].unhealthy);
    }
    sg_inventory_free(fresh);
    sg_eval_free(&ev2);
    sg_eval_free(&ev);
    json_decref(obj);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_score_model_free(m2);
    sg_policy_free(plain);
    sg_policy_free(exempting);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_and_outcome_from_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
