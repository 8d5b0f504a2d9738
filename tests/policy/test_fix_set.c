/*
 * test_fix_set.c - the policy `scoregate fix` loads when told which fixes to
 * apply (sg_policy_options.fix_only, fix_all): the named recommendations, or
 * every enabled and configured one with a fix, become enforce (a named one the
 * settings disable too); every other enforce becomes deny; and names that
 * cannot be fixed are load errors that say why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <scoregate/policy.h>

static const char *settings = "recommendations:\n"
                              "  privileged-containers: {action: enforce}\n"
                              "  readonly-root-filesystem: {action: disabled}\n"
                              "  host-namespaces: {action: deny}\n";

static sg_policy *load(const sg_policy_options *o, char *err)
{
    sg_policy *p = NULL;
    if (sg_policy_load_buffer("s.yaml", settings, strlen(settings), o, &p, err, SG_ERRMAX) < 0)
        return NULL;
    return p;
}

static sg_action action_of(const sg_policy *p, const char *id)
{
    return sg_policy_rec(p, (size_t)sg_policy_rec_index(p, id))->action;
}

static void test_named(void **state)
{
    (void)state;
    const char *ids[] = {"readonly-root-filesystem", "run-as-non-root"};
    sg_policy_options o = {.fix_only = ids, .n_fix_only = 2};
    char err[SG_ERRMAX];
    sg_policy *p = load(&o, err);
    assert_non_null(p);
    assert_int_equal(action_of(p, "readonly-root-filesystem"), SG_ACTION_ENFORCE);
    assert_true(sg_policy_rec(p, (size_t)sg_policy_rec_index(p, "readonly-root-filesystem"))->enabled);
    assert_int_equal(action_of(p, "run-as-non-root"), SG_ACTION_ENFORCE);
    assert_int_equal(action_of(p, "privileged-containers"), SG_ACTION_DENY);
    assert_int_equal(action_of(p, "host-namespaces"), SG_ACTION_DENY);
    assert_int_equal(action_of(p, "automount-api-credentials"), SG_ACTION_WARN);
    sg_policy_free(p);
}

static void test_all(void **state)
{
    (void)state;
    sg_policy_options o = {.fix_all = true};
    char err[SG_ERRMAX];
    sg_policy *p = load(&o, err);
    assert_non_null(p);
    for (size_t i = 0; i < sg_policy_rec_count(p); i++) {
        const sg_rec_info *r = sg_policy_rec(p, i);
        if (r->enabled && r->has_fix && r->configured)
            assert_int_equal(r->action, SG_ACTION_ENFORCE);
        else
            assert_int_not_equal(r->action, SG_ACTION_ENFORCE);
    }
    /* Disabled in the settings: --all leaves it off. */
    assert_int_equal(action_of(p, "readonly-root-filesystem"), SG_ACTION_DISABLED);
    sg_policy_free(p);
}

static void assert_refused(const char *id, const char *why)
{
    const char *ids[] = {id};
    sg_policy_options o = {.fix_only = ids, .n_fix_only = 1};
    char err[SG_ERRMAX] = "";
    sg_policy *p = load(&o, err);
    if (p || !strstr(err, why)) {
        print_error("%s: got %s, want an error with \"%s\"\n", id, p ? "a policy" : err, why);
        sg_policy_free(p);
        fail();
    }
}

static void test_refused(void **state)
{
    (void)state;
    assert_refused("no-such-thing", "unknown recommendation 'no-such-thing'");
    assert_refused("trusted-registries", "trusted-registries has no automatic fix");
    assert_refused("pss-privileged", "belongs to standard pss-baseline, which is not enabled: add --standard "
                                     "pss-baseline");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named),
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
