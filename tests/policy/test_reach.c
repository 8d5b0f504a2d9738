/*
 * test_reach.c - which recommendations an enforce patch reaches
 * (pol_testing_reached, policy/src/reach.c): the ones the enforce step
 * evaluates again on the fixed object. tests/policy_cases and the patch fuzz
 * target check that the result stays a whole evaluation's, which evaluating
 * everything again would pass too; this checks that a patch reaches what
 * reads the fields it changes and nothing else, and reaches everything when
 * it changes what scope, exemptions or the set of containers depend on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <scoregate/policy.h>
#include <scoregate/policy_testing.h>

static const char deployment[] =
    "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"d\", \"labels\": {\"a\": \"b\"}},"
    " \"spec\": {\"template\": {\"metadata\": {\"labels\": {\"a\": \"b\"}},"
    " \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"x\"}]}}}}";
static const char pod[] =
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"},"
    " \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"x\"}]}}";

static sg_policy *policy;

static int setup(void **state)
{
    (void)state;
    char err[SG_ERRMAX];
    return sg_policy_load_buffer("s.yaml", "", 0, NULL, &policy, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    sg_policy_free(policy);
    return 0;
}

/* The ids one operation at `path` on `object` reaches (JSON null: all); the caller frees. */
static json_t *reached(const char *object, const char *op, const char *path)
{
    json_t *obj = json_loads(object, 0, NULL), *ids = NULL;
    json_t *patch = json_pack("[{s:s,s:s,s:b}]", "op", op, "path", path, "value", 1);
    assert_int_equal(pol_testing_reached(policy, obj, patch, &ids), 0);
    json_decref(patch);
    json_decref(obj);
    return ids;
}

static bool has(const json_t *ids, const char *id)
{
    size_t i;
    const json_t *v;
    json_array_foreach(ids, i, v)
        if (!strcmp(json_string_value(v), id))
            return true;
    return false;
}

/* Reached: every id of `yes`; not reached: every id of `no`. */
static void expect(const char *object, const char *path, const char *const *yes, const char *const *no)
{
    json_t *ids = reached(object, "add", path);
    if (!json_is_array(ids)) {
        json_decref(ids);
        fail_msg("%s reaches every recommendation", path);
    }
    const char *wrong = NULL;
    for (; yes && *yes && !wrong; yes++)
        wrong = has(ids, *yes) ? NULL : *yes;
    bool missed = wrong != NULL;
    for (; no && *no && !wrong; no++)
        wrong = has(ids, *no) ? *no : NULL;
    json_decref(ids);
    if (wrong)
        fail_msg("%s %s %s", path, missed ? "does not reach" : "reaches", wrong);
}

static void test_a_container_field(void **state)
{
    (void)state;
    /* host-network-ports and host-path-volumes read every container whole (macros over the lists). */
    const char *yes[] = {"readonly-root-filesystem", "host-network-ports", "host-path-volumes", NULL};
    const char *no[] = {"privileged-containers", "privilege-escalation", "run-as-non-root",
                        "automount-api-credentials", "trusted-registries", "cpu-memory-limits", NULL};
    expect(deployment, "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem", yes, no);
    const char *yes_pod[] = {"privileged-containers", NULL};
    const char *no_pod[] = {"readonly-root-filesystem", "automount-api-credentials", NULL};
    expect(pod, "/spec/containers/0/securityContext/privileged", yes_pod, no_pod);
}

static void test_pod_fields(void **state)
{
    (void)state;
    /* effective('runAsNonRoot') reads the pod's securityContext too. */
    const char *yes[] = {"run-as-non-root", NULL};
    const char *no[] = {"privileged-containers", "readonly-root-filesystem", "automount-api-credentials", NULL};
    expect(deployment, "/spec/template/spec/securityContext/runAsNonRoot", yes, no);
    const char *yes_mount[] = {"automount-api-credentials", NULL};
    const char *no_mount[] = {"run-as-non-root", "privileged-containers", NULL};
    expect(deployment, "/spec/template/spec/automountServiceAccountToken", yes_mount, no_mount);
    /* An annotation of the pod template: AppArmor reads them by a computed key. */
    const char *yes_ann[] = {"apparmor-profiles", NULL};
    const char *no_ann[] = {"privileged-containers", "run-as-non-root", NULL};
    expect(deployment, "/spec/template/metadata/annotations/team", yes_ann, no_ann);
}

static void test_reaches_all(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/metadata/labels/owner",                        /* labels: selectors and exemptions */
        "/metadata/name",                                /* identity */
        "/kind",
        "/spec/template/spec",                           /* the pod spec itself */
        "/spec/template",
        "/spec/template/spec/containers",                /* a container list */
        "/spec/template/spec/containers/0",              /* a container */
        "/spec/template/spec/containers/0/image",        /* excludedImages, trusted registries */
        "/spec/template/spec/containers/0/name",         /* excludedContainers */
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        json_t *ids = reached(deployment, "add", paths[i]);
        bool all = json_is_null(ids);
        json_decref(ids);
        if (!all)
            fail_msg("%s does not reach every recommendation", paths[i]);
    }
    json_t *ids = reached(deployment, "move", "/spec/template/spec/hostPID");   /* no fix emits it */
    assert_true(json_is_null(ids));
    json_decref(ids);
    ids = reached(pod, "add", "/metadata/annotations/team");   /* a Pod's annotations are its pod's */
    assert_true(json_is_array(ids) && has(ids, "apparmor-profiles") && !has(ids, "privileged-containers"));
    json_decref(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_container_field),
        cmocka_unit_test(test_pod_fields),
        cmocka_unit_test(test_reaches_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
