/*
 * test_reads.c - sg_policy_reads_beyond_metadata(): which kinds the enabled
 * recommendations read only the metadata of (what the inventory sync lists
 * as PartialObjectMetadata), from the compiled rules, for the built-in
 * catalog and for settings that change it (a parameter that activates a
 * recommendation, a disabled one, custom rules reading data or only labels);
 * and sg_policy_reads_managed_fields(), whether any may see
 * metadata.managedFields (the webhook leaves it out of requests when none may).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <scoregate/policy.h>

/* The policy of `settings` (NULL: the defaults); the test fails when it does not load. */
static sg_policy *load(const char *settings)
{
    sg_policy *p;
    char err[SG_ERRMAX];
    sg_policy_options opts = {0};
    const char *text = settings ? settings : "{}";
    if (sg_policy_load_buffer("test.yaml", text, strlen(text), &opts, &p, err, sizeof err) < 0)
        fail_msg("policy: %s", err);
    return p;
}

/* Whether `kind` ("Kind" of the core group, or "GROUP/Kind") reads beyond metadata under
 * `settings` (NULL: the defaults), and which recommendation makes it so. */
static bool beyond(const char *settings, const char *gk, const char *want_which)
{
    char group[128] = "";
    const char *kind = gk, *slash = strchr(gk, '/');
    if (slash) {
        snprintf(group, sizeof group, "%.*s", (int)(slash - gk), gk);
        kind = slash + 1;
    }
    sg_policy *p = load(settings);
    const char *which = "unset";
    bool r = sg_policy_reads_beyond_metadata(p, group, kind, &which);
    if (want_which)
        assert_string_equal(which ? which : "(null)", want_which);
    else if (!r)
        assert_null(which);
    sg_policy_free(p);
    return r;
}

static void test_builtin_catalog(void **state)
{
    (void)state;
    /* no-default-namespace reads kind, name and namespace of these. */
    assert_false(beyond(NULL, "Secret", NULL));
    assert_false(beyond(NULL, "ConfigMap", NULL));
    assert_false(beyond(NULL, "ServiceAccount", NULL));
    /* service-allowed-ports reads spec.ports, but is inactive until configured. */
    assert_false(beyond(NULL, "Service", NULL));
    assert_true(beyond(NULL, "networking.k8s.io/Ingress", "https-ingress"));
    /* Workloads and pod controllers: their pod template. */
    assert_true(beyond(NULL, "apps/Deployment", "(null)"));
    assert_true(beyond(NULL, "Pod", "(null)"));
    assert_true(beyond(NULL, "batch/CronJob", "(null)"));
    assert_true(beyond(NULL, "argoproj.io/Rollout", "(null)"));
    assert_true(beyond(NULL, "apps.kruise.io/CloneSet", "(null)"));
    assert_true(beyond(NULL, "apps.kruise.io/StatefulSet", "(null)"));
    /* Kinds go with their group: these are no workloads, and no rule reads them. */
    assert_false(beyond(NULL, "batch.volcano.sh/Job", NULL));
    assert_false(beyond(NULL, "Deployment", NULL));
    assert_false(beyond(NULL, "example.com/Ingress", NULL));
}

static void test_settings_change_it(void **state)
{
    (void)state;
    static const char ports[] = "recommendations:\n  service-allowed-ports:\n    parameters: {allowedServicePorts: "
                                "[\"443\"]}\n";
    assert_true(beyond(ports, "Service", "service-allowed-ports"));
    assert_false(beyond(ports, "serving.knative.dev/Service", NULL));
    assert_false(beyond("recommendations:\n  https-ingress: {action: disabled}\n", "networking.k8s.io/Ingress", NULL));
    assert_true(beyond("podControllers:\n- {apiVersion: serving.knative.dev/v1, kind: Service, podTemplate: "
                       "spec.template}\n", "serving.knative.dev/Service", "(null)"));
}

static const char custom_data[] =
    "custom:\n"
    "  - id: no-password-keys\n"
    "    title: ConfigMaps should not hold passwords\n"
    "    severity: high\n"
    "    control: access\n"
    "    scope: object\n"
    "    kinds: [ConfigMap]\n"
    "    let:\n"
    "      d: object.data\n"
    "    unhealthy: \"'password' in keys(d)\"\n"
    "    message: m\n"
    "    remediation: r\n";

static const char custom_labels[] =
    "custom:\n"
    "  - id: team-label\n"
    "    title: ConfigMaps should name their team\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: object\n"
    "    kinds: [ConfigMap, Secret]\n"
    "    applies: \"object.kind == 'ConfigMap' || object['apiVersion'] == 'v1'\"\n"
    "    unhealthy: \"!has(object.metadata.labels.team) && !has(metadata.annotations['team'])\"\n"
    "    message: m\n"
    "    remediation: r\n";

static const char custom_whole[] =
    "custom:\n"
    "  - id: whole-object\n"
    "    title: t\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: object\n"
    "    kinds: [Secret]\n"
    "    unhealthy: \"size(keys(object)) > 4\"\n"
    "    message: m\n"
    "    remediation: r\n";

static void test_custom_rules(void **state)
{
    (void)state;
    /* A `let` reading object.data counts where it is used. */
    assert_true(beyond(custom_data, "ConfigMap", "no-password-keys"));
    assert_false(beyond(custom_data, "Secret", NULL));
    /* object.kind, object['apiVersion'], object.metadata and metadata are metadata. */
    assert_false(beyond(custom_labels, "ConfigMap", NULL));
    assert_false(beyond(custom_labels, "Secret", NULL));
    /* The whole object. */
    assert_true(beyond(custom_whole, "Secret", "whole-object"));
    assert_false(beyond(custom_whole, "ConfigMap", NULL));
    /* A disabled custom rule reads nothing. */
    char disabled[sizeof custom_data + 100];
    snprintf(disabled, sizeof disabled, "%srecommendations:\n  no-password-keys: {action: disabled}\n", custom_data);
    assert_false(beyond(disabled, "ConfigMap", NULL));
}

/* sg_policy_reads_managed_fields() under `settings` (NULL: the defaults). */
static bool managed(const char *settings)
{
    sg_policy *p = load(settings);
    bool r = sg_policy_reads_managed_fields(p);
    sg_policy_free(p);
    return r;
}

/* A custom object-scope rule on Deployments whose `unhealthy` is `rule`. */
static const char *custom_rule(const char *rule)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "custom:\n  - id: c\n    title: t\n    severity: low\n    control: best-practices\n"
             "    scope: object\n    kinds: [Deployment]\n    unhealthy: \"%s\"\n    message: m\n"
             "    remediation: r\n", rule);
    return text;
}

static void test_managed_fields(void **state)
{
    (void)state;
    /* No built-in recommendation sees it, whatever the standards. */
    assert_false(managed(NULL));
    assert_false(managed("standards: [mcsb, pss-restricted]\n"));
    /* Fields of the object and of its metadata by other names do not. */
    assert_false(managed(custom_data));
    assert_false(managed(custom_labels));
    assert_false(managed(custom_rule("object.spec.replicas > 3 && podMetadata.labels.app == 'x'")));
    /* By name, or the object or a metadata map taken whole, do. */
    assert_true(managed(custom_rule("size(object.metadata.managedFields) > 0")));
    assert_true(managed(custom_rule("has(metadata.managedFields)")));
    assert_true(managed(custom_rule("size(keys(object.metadata)) > 3")));
    assert_true(managed(custom_rule("size(keys(podMetadata)) > 3")));
    assert_true(managed(custom_whole));
    /* Unless the rule is disabled. */
    char disabled[sizeof custom_whole + 100];
    snprintf(disabled, sizeof disabled, "%srecommendations:\n  whole-object: {action: disabled}\n", custom_whole);
    assert_false(managed(disabled));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_catalog),
        cmocka_unit_test(test_settings_change_it),
        cmocka_unit_test(test_custom_rules),
        cmocka_unit_test(test_managed_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
