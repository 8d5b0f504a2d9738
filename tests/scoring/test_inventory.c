/*
 * test_inventory.c - the inventory and predictions: the healthy-in-a-control
 * rule, which recommendations and exemptions count (preview, custom,
 * disabled, waiver, mitigated, expired), CREATE/UPDATE/DELETE semantics,
 * dry runs, owned objects, reasons, seeding, per-namespace scores, reloads
 * that remap by id, and concurrent predict+apply.
 */
#include <pthread.h>

#include "fixture.h"

/* access (max 4): r0..r3; network (max 4): r4. */
static const sg_score_control_def two[] = {{"access", "Manage access and permissions", 4},
                                           {"network", "Restrict unauthorized network access", 4}};
static const char *const two_of[] = {"access", "access", "access", "access", "network"};

static sg_inventory *new_inventory(sg_score_model *m)
{
    sg_inventory *inv;
    char err[SG_ERRMAX];
    if (sg_inventory_new(m, &inv, err, sizeof err))
        fail_msg("%s", err);
    return inv;
}

static const char *reason(const sg_score_change *c)
{
    static char buf[SG_SCORE_REASON_MAX];
    return sg_score_change_reason(c, buf, sizeof buf);
}

static sg_score_prediction predict(sg_inventory *inv, sg_score_op op, sg_score_outcome *o)
{
    sg_score_prediction p;
    char err[SG_ERRMAX];
    if (sg_inventory_predict(inv, op, o, &p, err, sizeof err))
        fail_msg("predict: %s", err);
    return p;
}

/* A resource failing four recommendations of a control: fixing three changes
 * nothing, fixing the fourth makes it healthy in the control. */
static void test_healthy_in_a_control(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(two, 2, two_of, 5);
    sg_inventory *inv = new_inventory(m);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "good", "hhhhh"));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "bad", "uuuuh"));
    sg_score s;
    sg_inventory_score(inv, &s);
    assert_double_equal(s.controls[0].current, 2, 0);
    assert_double_equal(s.percent, 75, 0);

    const char *steps[] = {"huuuh", "hhuuh", "hhhuh"};
    for (size_t i = 0; i < 3; i++) {
        sg_score_outcome *o = fx_outcome(m, "Deployment", "a", "bad", steps[i]);
        sg_score_prediction p = predict(inv, SG_SCORE_UPDATE, o);
        assert_true(p.existed);
        assert_int_equal(p.nchanges, 0);
        assert_double_equal(p.delta, 0, 0);
        assert_double_equal(p.exact_delta, 0, 0);
        fx_apply(inv, SG_SCORE_UPDATE, o);
    }
    sg_score_outcome *o = fx_outcome(m, "Deployment", "a", "bad", "hhhhh");
    sg_score_prediction p = predict(inv, SG_SCORE_UPDATE, o);
    assert_int_equal(p.nchanges, 1);
    assert_string_equal(p.changes[0].id, "access");
    assert_int_equal(p.changes[0].healthy_delta, 1);
    assert_int_equal(p.changes[0].unhealthy_delta, -1);
    assert_double_equal(p.changes[0].before, 2, 0);
    assert_double_equal(p.changes[0].after, 4, 0);
    assert_string_equal(reason(&p.changes[0]),
                        "access: +1 healthy, -1 unhealthy resource, +2.00 points");
    assert_double_equal(p.delta, 25, 1e-12);
    fx_apply(inv, SG_SCORE_UPDATE, o);
    sg_inventory_score(inv, &s);
    assert_double_equal(s.percent, 100, 0);
    fx_check(inv);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

static void test_predict_is_a_dry_run(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(two, 2, two_of, 5);
    sg_inventory *inv = new_inventory(m);
    char err[SG_ERRMAX];
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "p", "h...."));
    sg_score before, after;
    sg_inventory_score(inv, &before);

    /* CREATE of an unhealthy resource. */
    sg_score_outcome *o = fx_outcome(m, "Pod", "a", "q", "u...u");
    sg_score_prediction p = predict(inv, SG_SCORE_CREATE, o);
    assert_false(p.existed);
    assert_int_equal(p.nchanges, 2);
    assert_string_equal(reason(&p.changes[0]), "access: +1 unhealthy resource, -2.00 points");
    assert_string_equal(reason(&p.changes[1]),
                        "network: +1 unhealthy resource, no change in points (control now counts)");
    assert_double_equal(p.before.percent, 100, 0);
    assert_double_equal(p.after.percent, 25, 0); /* 2 of 8 */
    assert_double_equal(p.delta, -75, 0);
    /* dry run through predict_apply changes nothing either */
    sg_score_prediction q;
    assert_int_equal(sg_inventory_predict_apply(inv, SG_SCORE_CREATE, o, true, &q, err, sizeof err), 0);
    assert_double_equal(q.after.percent, 25, 0);
    sg_inventory_score(inv, &after);
    assert_int_equal(sg_inventory_count(inv), 1);
    assert_memory_equal(&before, &after, sizeof before);

    /* Applying it gives exactly the prediction; the diff of the scores agrees. */
    assert_int_equal(sg_inventory_predict_apply(inv, SG_SCORE_CREATE, o, false, &q, err, sizeof err), 0);
    sg_inventory_score(inv, &after);
    assert_memory_equal(&q.after, &after, sizeof after);
    sg_score_prediction d;
    sg_score_diff(&before, &after, &d);
    assert_int_equal(d.nchanges, 2);
    assert_memory_equal(d.changes, q.changes, sizeof d.changes[0] * 2);
    assert_double_equal(d.delta, q.delta, 0);
    assert_double_equal(d.exact_delta, q.exact_delta, 0);
    sg_score_outcome_free(o);

    /* DELETE needs only the key; deleting something unknown changes nothing. */
    o = fx_outcome(m, "Pod", "a", "q", "");
    p = predict(inv, SG_SCORE_DELETE, o);
    assert_true(p.existed);
    assert_double_equal(p.after.percent, 100, 0);
    assert_double_equal(p.delta, 75, 0);
    fx_apply(inv, SG_SCORE_DELETE, o);
    o = fx_outcome(m, "Pod", "a", "never-there", "");
    p = predict(inv, SG_SCORE_DELETE, o);
    assert_false(p.existed);
    assert_int_equal(p.nchanges, 0);
    fx_apply(inv, SG_SCORE_DELETE, o);
    assert_int_equal(sg_inventory_count(inv), 1);

    /* CREATE of a key already held replaces it (no double count); UPDATE of an unknown key adds. */
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "p", "u...."));
    assert_int_equal(sg_inventory_count(inv), 1);
    fx_apply(inv, SG_SCORE_UPDATE, fx_outcome(m, "Pod", "b", "p", "h...."));
    assert_int_equal(sg_inventory_count(inv), 2);
    /* Same kind and name in another API group is another resource; another version is not. */
    sg_score_outcome *v1;
    assert_int_equal(sg_score_outcome_new(m, "v1", "Pod", "a", "p", &v1, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_UPDATE, v1);
    assert_int_equal(sg_inventory_count(inv), 3);
    assert_int_equal(sg_score_outcome_new(m, "apps/v1beta2", "Pod", "a", "p", &v1, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_UPDATE, v1);
    assert_int_equal(sg_inventory_count(inv), 3);
    fx_check(inv);

    /* Bad arguments. */
    assert_int_equal(sg_inventory_predict(inv, (sg_score_op)7, v1 = fx_outcome(m, "Pod", "a", "p", ""),
                                          &p, err, sizeof err), -1);
    sg_score_outcome_free(v1);
    assert_int_equal(sg_inventory_apply(inv, SG_SCORE_CREATE, NULL, err, sizeof err), -1);
    assert_int_equal(sg_score_outcome_new(m, "", "Pod", "a", "p", &v1, err, sizeof err), -1);
    assert_int_equal(sg_score_outcome_new(m, "v1", NULL, "a", "p", &v1, err, sizeof err), -1);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* A finding of one recommendation, as the policy module reports it. */
static sg_finding finding(size_t rec, sg_status raw, sg_exemption_category cat, bool expired)
{
    sg_finding f = {.rec = rec, .raw_status = raw, .exemption_category = cat,
                    .exemption_expired = expired};
    f.status = expired || cat == SG_EXEMPT_NONE ? raw : SG_STATUS_EXEMPT;
    return f;
}

static sg_eval eval_of(const char *name, sg_finding *f, size_t n)
{
    return (sg_eval){.api_version = "apps/v1", .kind = "Deployment", .namespace_ = "legacy",
                     .name = name, .findings = f, .count = n};
}

/* Catalog: 0 built-in scored, 1 preview, 2 custom, 3 disabled, 4 built-in scored, all access. */
static sg_score_model *catalog_model(void)
{
    sg_rec_info infos[5];
    const char *ids[] = {"run-as-non-root", "preview-check", "my-custom", "privileged-containers",
                         "readonly-root-filesystem"};
    sg_score_rec_def defs[5];
    size_t nc;
    const sg_score_control_def *c = sg_score_default_controls(&nc);
    for (size_t i = 0; i < 5; i++) {
        infos[i] = (sg_rec_info){.id = ids[i], .control = "access", .builtin = true,
                                 .enabled = true, .configured = true, .scored = true};
    }
    infos[1].preview = true;
    infos[1].scored = false;
    infos[2].builtin = false;
    infos[2].standard = "custom";
    infos[2].scored = true; /* even if a policy said so, custom never counts */
    infos[3].enabled = false;
    infos[3].scored = false;
    for (size_t i = 0; i < 5; i++)
        defs[i] = sg_score_rec_def_from_info(&infos[i]);
    sg_score_model *m;
    char err[SG_ERRMAX];
    if (sg_score_model_new(c, nc, defs, 5, &m, err, sizeof err))
        fail_msg("%s", err);
    return m;
}

static sg_score_state access_state(sg_score_model *m, sg_finding *f, size_t n, bool *ok)
{
    sg_eval ev = eval_of("x", f, n);
    sg_score_outcome *o;
    char err[SG_ERRMAX];
    *ok = sg_score_outcome_from_eval(m, &ev, &o, err, sizeof err) == 0;
    if (!*ok)
        return SG_SCORE_NOT_APPLICABLE;
    sg_score_state s = sg_score_outcome_control_state(o, 2);
    sg_score_outcome_free(o);
    return s;
}

static void test_what_counts(void **state)
{
    (void)state;
    sg_score_model *m = catalog_model();
    bool ok;
    sg_finding f[4];
    /* preview and custom unhealthy: evaluated, never counted */
    f[0] = finding(1, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    f[1] = finding(2, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 2, &ok), SG_SCORE_NOT_APPLICABLE);
    assert_true(ok);
    f[2] = finding(0, SG_STATUS_HEALTHY, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 3, &ok), SG_SCORE_HEALTHY);
    /* a disabled recommendation is absent: a finding of it is a caller bug */
    f[0] = finding(3, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    access_state(m, f, 1, &ok);
    assert_false(ok);
    /* waiver: not applicable; mitigated: healthy; expired: ignored */
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_WAIVER, false);
    assert_int_equal(access_state(m, f, 1, &ok), SG_SCORE_NOT_APPLICABLE);
    f[1] = finding(4, SG_STATUS_HEALTHY, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 2, &ok), SG_SCORE_HEALTHY);
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_MITIGATED, false);
    assert_int_equal(access_state(m, f, 1, &ok), SG_SCORE_HEALTHY);
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_WAIVER, true);
    assert_int_equal(access_state(m, f, 1, &ok), SG_SCORE_UNHEALTHY);
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_MITIGATED, true);
    assert_int_equal(access_state(m, f, 1, &ok), SG_SCORE_UNHEALTHY);
    /* per-container findings combine: one unhealthy container makes it unhealthy */
    f[0] = finding(0, SG_STATUS_HEALTHY, SG_EXEMPT_NONE, false);
    f[1] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    f[2] = finding(0, SG_STATUS_HEALTHY, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 3, &ok), SG_SCORE_UNHEALTHY);
    /* a waived unhealthy recommendation next to an unhealthy one: still unhealthy */
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_WAIVER, false);
    f[1] = finding(4, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 2, &ok), SG_SCORE_UNHEALTHY);
    /* a finding without a raw health (not applicable) does not apply */
    f[0] = finding(0, SG_STATUS_NOT_APPLICABLE, SG_EXEMPT_NONE, false);
    assert_int_equal(access_state(m, f, 1, &ok), SG_SCORE_NOT_APPLICABLE);

    sg_score_outcome *o;
    char err[SG_ERRMAX];
    f[0] = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_MITIGATED, false);
    sg_eval ev = eval_of("x", f, 1);
    assert_int_equal(sg_score_outcome_from_eval(m, &ev, &o, err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_rec_state(o, 0), SG_SCORE_HEALTHY);
    assert_int_equal(sg_score_outcome_rec_state(o, 4), SG_SCORE_NOT_APPLICABLE);
    assert_int_equal(sg_score_outcome_rec_state(o, 99), SG_SCORE_NOT_APPLICABLE);
    sg_score_outcome_free(o);
    sg_score_model_free(m);
}

static void test_owned_and_excluded_not_inventoried(void **state)
{
    (void)state;
    sg_score_model *m = catalog_model();
    sg_inventory *inv = new_inventory(m);
    sg_finding f = finding(0, SG_STATUS_UNHEALTHY, SG_EXEMPT_NONE, false);
    sg_eval evs[3] = {eval_of("a", &f, 1), eval_of("b", &f, 1), eval_of("c", &f, 1)};
    evs[1].owned = true;
    evs[2].excluded = true;
    char err[SG_ERRMAX];
    for (size_t i = 0; i < 3; i++) {
        sg_score_outcome *o;
        assert_int_equal(sg_score_outcome_from_eval(m, &evs[i], &o, err, sizeof err), 0);
        sg_score_prediction p = predict(inv, SG_SCORE_CREATE, o);
        assert_int_equal(p.nchanges, i == 0 ? 1 : 0);
        assert_false(p.existed);
        fx_apply(inv, SG_SCORE_CREATE, o);
        assert_int_equal(sg_inventory_count(inv), 1);
    }
    fx_check(inv);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

static void test_namespaces(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(two, 2, two_of, 5);
    sg_inventory *inv = new_inventory(m);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "b", "1", "h...."));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "1", "u...."));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "b", "2", "h...h"));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "ClusterRole", NULL, "r", "....."));
    sg_score_namespace *list;
    size_t n;
    sg_inventory_namespace_scores(inv, &list, &n);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].namespace_, "");
    assert_false(list[0].score.has_percent);
    assert_int_equal(list[0].score.resources, 1);
    assert_string_equal(list[1].namespace_, "a");
    assert_double_equal(list[1].score.percent, 0, 0);
    assert_string_equal(list[2].namespace_, "b");
    assert_double_equal(list[2].score.percent, 100, 0);
    assert_int_equal(list[2].score.resources, 2);
    sg_score one;
    sg_inventory_score_namespace(inv, "b", &one);
    assert_memory_equal(&one, &list[2].score, sizeof one);
    sg_inventory_score_namespace(inv, "nope", &one);
    assert_int_equal(one.resources, 0);
    sg_score_namespaces_free(list, n);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* Waive every recommendation named "r0" in namespace "legacy". */
static sg_exemption_category waive_r0_legacy(void *ctx, size_t rec, const char *group, const char *kind,
                                             const char *ns, const char *name, const json_t *labels)
{
    sg_score_model *m = ctx;
    /* The resource's key, group included (fx_outcome puts apps/v1 objects). */
    assert_string_equal(group, "apps");
    assert_string_equal(kind, "Pod");
    (void)name;
    assert_true(json_is_object(labels));
    if (ns && !strcmp(ns, "legacy") && rec == (size_t)sg_score_model_rec_index(m, "r0"))
        return SG_EXEMPT_WAIVER;
    const char *team = json_string_value(json_object_get(labels, "team"));
    return team && !strcmp(team, "sec") ? SG_EXEMPT_MITIGATED : SG_EXEMPT_NONE;
}

static void test_reload_remaps_by_id(void **state)
{
    (void)state;
    char err[SG_ERRMAX];
    sg_score_model *a = fx_model(two, 2, two_of, 5);
    sg_inventory *inv = new_inventory(a);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(a, "Pod", "legacy", "old", "u...h"));
    sg_score_outcome *o = fx_outcome(a, "Pod", "web", "front", "h...u");
    assert_int_equal(sg_score_outcome_label(o, "team", "sec", err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, o);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(a, "Pod", "web", "back", "h...h"));
    sg_score s;
    sg_inventory_score(inv, &s);
    assert_int_equal(s.controls[0].unhealthy, 1);
    assert_int_equal(s.controls[1].unhealthy, 1);

    /* New catalog order: r4 first, r0 second, r1-r3 gone, r9 new but not scored. */
    sg_score_rec_def defs[] = {{"r4", "network", true, true, 0}, {"r0", "access", true, true, 0},
                               {"r9", NULL, false, false, 0}};
    sg_score_model *b;
    assert_int_equal(sg_score_model_new(two, 2, defs, 3, &b, err, sizeof err), 0);
    /* An outcome made against the old model before the reload. */
    sg_score_outcome *late = fx_outcome(a, "Pod", "web", "late", "u...u");
    sg_inventory_reload(inv, b, waive_r0_legacy, b);
    fx_check(inv);
    sg_inventory_score(inv, &s);
    assert_int_equal(s.resources, 3);
    assert_int_equal(s.stale_resources, 0);
    assert_int_equal(s.controls[0].unhealthy, 0);   /* legacy/old r0 now waived */
    assert_int_equal(s.controls[0].healthy, 2);
    assert_int_equal(s.controls[1].unhealthy, 0);   /* front r4 now mitigated (team=sec) */
    assert_int_equal(s.controls[1].healthy, 3);
    sg_score_prediction p = predict(inv, SG_SCORE_CREATE, late);
    assert_int_equal(p.after.controls[0].unhealthy, 1);
    assert_int_equal(p.after.controls[1].unhealthy, 1);
    fx_apply(inv, SG_SCORE_CREATE, late);
    fx_check(inv);

    /* Changed parameters of r0 and a newly scored r9: stale until the objects return. */
    sg_score_rec_def defs2[] = {{"r4", "network", true, true, 0}, {"r0", "access", true, true, 42},
                                {"r9", "network", true, true, 0}};
    sg_score_model *c;
    assert_int_equal(sg_score_model_new(two, 2, defs2, 3, &c, err, sizeof err), 0);
    sg_inventory_reload(inv, c, NULL, NULL);
    sg_inventory_score(inv, &s);
    assert_int_equal(s.stale_resources, 4);
    assert_int_equal(s.controls[0].unhealthy, 1);   /* NULL keeps the recorded exemptions */
    json_t *j = sg_score_to_json(&s);
    assert_int_equal(json_integer_value(json_object_get(j, "staleResources")), 4);
    json_decref(j);
    fx_apply(inv, SG_SCORE_UPDATE, fx_outcome(c, "Pod", "web", "back", "hh."));
    sg_inventory_score(inv, &s);
    assert_int_equal(s.stale_resources, 3);
    fx_check(inv);
    sg_score_model *now = sg_inventory_model(inv);
    assert_ptr_equal(now, c);
    sg_score_model_free(now);
    sg_inventory_free(inv);
    sg_score_model_free(a);
    sg_score_model_free(b);
    sg_score_model_free(c);
}

typedef struct worker {
    sg_inventory *inv;
    sg_score_model *m;
    int id;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char err[SG_ERRMAX], name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "w%d-%d", w->id, i % 50);
        sg_score_outcome *o = fx_outcome(w->m, "Pod", "t", name, i % 3 ? "h...u" : "u...h");
        sg_score_prediction p;
        sg_score_op op = i % 7 == 0 ? SG_SCORE_DELETE : SG_SCORE_UPDATE;
        if (sg_inventory_predict_apply(w->inv, op, o, i % 5 == 0, &p, err, sizeof err))
            fail_msg("%s", err);
        sg_score_outcome_free(o);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(two, 2, two_of, 5);
    sg_inventory *inv = new_inventory(m);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){inv, m, i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    fx_check(inv);
    assert_true(sg_inventory_count(inv) <= 200);
    sg_inventory_clear(inv);
    assert_int_equal(sg_inventory_count(inv), 0);
    fx_check(inv);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* A rebuilt inventory replaces the live one in one step; different models are refused. */
static void test_swap(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(two, 2, two_of, 5);
    sg_inventory *live = new_inventory(m), *staged = new_inventory(m);
    fx_apply(live, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "old", "uuuuu"));
    fx_apply(staged, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "new1", "hhhhh"));
    fx_apply(staged, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "new2", "hhhhu"));
    char err[SG_ERRMAX];
    assert_int_equal(sg_inventory_swap(live, staged, err, sizeof err), 0);
    assert_int_equal(sg_inventory_count(live), 2);
    assert_int_equal(sg_inventory_count(staged), 1);
    sg_score s;
    sg_inventory_score(live, &s);
    assert_double_equal(s.controls[0].current, 4, 0);   /* access: both healthy */
    assert_double_equal(s.controls[1].current, 2, 0);   /* network: one of two */
    fx_check(live);
    fx_check(staged);
    /* The swapped-in resources are found by key: updating one replaces it. */
    fx_apply(live, SG_SCORE_UPDATE, fx_outcome(m, "Deployment", "a", "new2", "hhhhh"));
    assert_int_equal(sg_inventory_count(live), 2);
    fx_check(live);

    sg_score_model *other = fx_model(two, 2, two_of, 5);
    sg_inventory *foreign = new_inventory(other);
    assert_int_equal(sg_inventory_swap(live, foreign, err, sizeof err), -1);
    assert_non_null(strstr(err, "different models"));
    assert_int_equal(sg_inventory_count(live), 2);
    sg_inventory_free(foreign);
    sg_score_model_free(other);
    sg_inventory_free(live);
    sg_inventory_free(staged);
    sg_score_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_in_a_control),
        cmocka_unit_test(test_predict_is_a_dry_run),
        cmocka_unit_test(test_what_counts),
        cmocka_unit_test(test_owned_and_excluded_not_inventoried),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_reload_remaps_by_id),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
