/*
 * test_stats.c - what to fix first, against brute force: for random
 * inventories (seeded PRNG), every recommendation's "gain of remediating it
 * alone" equals the score of a copy of the inventory in which exactly that
 * recommendation was made healthy wherever it is unhealthy, minus the score
 * before; every control's gain equals the copy with the whole control
 * healthy; counts equal a recount; a namespace's statistics equal those of
 * an inventory holding that namespace alone. Then the listing: paging visits
 * every matching resource once, in order, and resumes after a deleted one;
 * tokens are checked; the containers of unhealthy findings are listed and
 * survive a save, a load, a reload and the version 1 file format.
 */
#include <unistd.h>

#include "fixture.h"

#define RECS 10
#define KEYS 60

static const sg_score_control_def controls[] = {
    {"vulnerabilities", "Remediate vulnerabilities", 6}, {"access", "Access", 4},
    {"network", "Network", 4}, {"best-practices", "Best practices", 0}};
static const char *const rec_control[RECS] = {"access", "access", "access", "vulnerabilities", "network",
                                              NULL, "access", "best-practices", "network", "vulnerabilities"};
static const char *const namespaces[] = {"a", "b", "c", ""};

static uint64_t rng;
static uint64_t next(void) { return fx_next(&rng); }

/* A random outcome notation (see fixture.h). */
static void random_states(char *s)
{
    static const char alphabet[] = "..hhhuuuwmW";
    for (size_t i = 0; i < RECS; i++)
        s[i] = alphabet[next() % (sizeof alphabet - 1)];
    s[RECS] = '\0';
}

typedef struct world {
    char states[KEYS][RECS + 1];
    const char *ns[KEYS];
} world;

static sg_inventory *build(sg_score_model *m, const world *w, const char *only_ns, int fix_rec, long fix_control)
{
    sg_inventory *inv;
    char err[SG_ERRMAX];
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    for (size_t k = 0; k < KEYS; k++) {
        if (only_ns && strcmp(w->ns[k], only_ns))
            continue;
        char s[RECS + 1], name[16];
        memcpy(s, w->states[k], sizeof s);
        for (size_t r = 0; r < RECS; r++)
            if (s[r] == 'u' && ((int)r == fix_rec || (fix_control >= 0 && sg_score_model_rec_control(m, r) == fix_control)))
                s[r] = 'h';
        snprintf(name, sizeof name, "w%zu", k);
        fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", *w->ns[k] ? w->ns[k] : NULL, name, s));
    }
    return inv;
}

static double percent(sg_inventory *inv, sg_score *s)
{
    sg_inventory_score(inv, s);
    return s->has_percent ? s->percent : 0;
}

static void check_gains(sg_score_model *m, const world *w, const char *only_ns)
{
    sg_inventory *inv = build(m, w, NULL, -1, -1);
    sg_stats st;
    sg_inventory_stats(inv, only_ns, &st);
    sg_inventory *alone = build(m, w, only_ns, -1, -1);
    sg_score base;
    double before = percent(alone, &base);
    assert_double_equal(st.score.percent, base.percent, 0);
    assert_int_equal(st.score.resources, base.resources);
    for (size_t r = 0; r < RECS; r++) {
        size_t unhealthy = 0, healthy = 0, exempt = 0, na = 0;
        for (size_t k = 0; k < KEYS; k++) {
            if (only_ns && strcmp(w->ns[k], only_ns))
                continue;
            char c = w->states[k][r];
            unhealthy += c == 'u';
            healthy += c == 'h';
            exempt += c == 'w' || c == 'm' || c == 'W';
            na += c == '.';
        }
        assert_int_equal(st.recs[r].unhealthy, unhealthy);
        assert_int_equal(st.recs[r].healthy, healthy);
        assert_int_equal(st.recs[r].exempt, exempt);
        assert_int_equal(st.recs[r].not_applicable, na);
        assert_int_equal(st.recs[r].unknown, 0);
        sg_inventory *fixed = build(m, w, only_ns, (int)r, -1);
        sg_score after;
        double pct = percent(fixed, &after);
        assert_double_equal(st.recs[r].gain.percent, pct - before, 1e-9);
        assert_double_equal(st.recs[r].gain.exact_percent,
                            after.has_percent ? after.exact_percent - base.exact_percent : 0, 1e-9);
        long c = sg_score_model_rec_control(m, r);
        if (c >= 0)
            assert_double_equal(st.recs[r].gain.points, after.controls[c].current - base.controls[c].current, 1e-9);
        else
            assert_double_equal(st.recs[r].gain.points, 0, 0);
        sg_inventory_free(fixed);
    }
    for (size_t c = 0; c < 4; c++) {
        sg_inventory *fixed = build(m, w, only_ns, -1, (long)c);
        sg_score after;
        double pct = percent(fixed, &after);
        assert_double_equal(st.control_gain[c].percent, pct - before, 1e-9);
        assert_double_equal(st.control_gain[c].points, after.controls[c].current - base.controls[c].current, 1e-9);
        assert_double_equal(st.control_gain[c].points, base.controls[c].potential, 1e-9);
        sg_inventory_free(fixed);
    }
    sg_stats_free(&st);
    sg_inventory_free(alone);
    sg_inventory_free(inv);
}

static void test_gains_equal_brute_force(void **state)
{
    (void)state;
    const char *seed = getenv("SG_SEED");
    rng = seed ? strtoull(seed, NULL, 10) : 88172645463325252ULL;
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    for (int round = 0; round < 40; round++) {
        world w;
        for (size_t k = 0; k < KEYS; k++) {
            random_states(w.states[k]);
            w.ns[k] = namespaces[next() % 4];
        }
        check_gains(m, &w, NULL);
        check_gains(m, &w, namespaces[round % 4]);
    }
    sg_score_model_free(m);
}

static void test_sole_and_top(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    char err[SG_ERRMAX];
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    /* r0 and r1 both unhealthy in access: fixing either alone heals nothing there. */
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "1", "uu........"));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "2", "u.h.......")); /* r0 alone */
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "3", "hhh..u...."));  /* r5 not scored */
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "b", "4", "...u......"));
    sg_stats st;
    sg_inventory_stats(inv, NULL, &st);
    assert_int_equal(st.recs[0].unhealthy, 2);
    assert_int_equal(st.recs[0].sole, 1);
    assert_int_equal(st.recs[1].sole, 0);
    assert_double_equal(st.recs[1].gain.percent, 0, 0);
    assert_true(st.recs[0].gain.percent > 0);
    assert_int_equal(st.recs[5].unhealthy, 1);
    assert_double_equal(st.recs[5].gain.percent, 0, 0);
    assert_string_equal(sg_score_model_rec_id(st.model, 3), "r3");
    assert_null(sg_score_model_rec_id(st.model, RECS));
    sg_stats_free(&st);

    sg_score_namespace *list;
    size_t n;
    sg_inventory_namespace_scores(inv, &list, &n);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].namespace_, "a");
    assert_int_equal(list[0].ntop, 3);
    assert_string_equal(list[0].top_ids[0], "r0");   /* the only one with a gain */
    assert_int_equal(list[0].top[0].unhealthy, 2);
    assert_string_equal(list[1].namespace_, "b");
    assert_int_equal(list[1].ntop, 1);
    assert_string_equal(list[1].top_ids[0], "r3");
    assert_double_equal(list[1].top[0].gain.percent, 100, 0);
    sg_score_namespaces_free(list, n);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* Many namespaces, met in no order: each one's score and fix-first list are those of it alone. */
static void test_many_namespaces(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    char err[SG_ERRMAX], ns[16], name[16], states[RECS + 1];
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    unsigned x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        snprintf(ns, sizeof ns, "ns-%u", (x >> 8) % 300);
        snprintf(name, sizeof name, "p%d", i);
        for (int k = 0; k < RECS; k++)
            states[k] = "uh."[(x >> (k + 3)) % 3];
        states[RECS] = '\0';
        fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", (x >> 20) % 50 ? ns : NULL, name, states));
    }
    sg_score_namespace *list;
    size_t n, resources = 0;
    sg_inventory_namespace_scores(inv, &list, &n);
    assert_true(n > 250);
    for (size_t i = 0; i < n; i++) {
        assert_true(i == 0 || strcmp(list[i - 1].namespace_, list[i].namespace_) < 0);
        sg_stats st;
        sg_inventory_stats(inv, list[i].namespace_, &st);
        assert_memory_equal(&st.score, &list[i].score, sizeof st.score);
        for (size_t k = 0; k < list[i].ntop; k++) {
            long r = sg_score_model_rec_index(m, list[i].top_ids[k]);
            assert_true(r >= 0);
            assert_memory_equal(&st.recs[r], &list[i].top[k], sizeof st.recs[r]);
        }
        resources += list[i].score.resources;
        sg_stats_free(&st);
    }
    assert_string_equal(list[0].namespace_, "");   /* the cluster-scoped ones first */
    assert_int_equal(resources, 3000);
    sg_score_namespaces_free(list, n);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* A pod-like outcome whose unhealthy r0 is in the containers given. */
static sg_score_outcome *with_containers(sg_score_model *m, const char *ns, const char *name, const char *states,
                                         const char *c1, const char *c2)
{
    sg_score_outcome *o = fx_outcome(m, "Pod", ns, name, states);
    char err[SG_ERRMAX];
    if (!strchr("uwm", states[0]))   /* containers are noted for raw unhealthy findings only */
        c1 = c2 = NULL;
    if (c1)
        assert_int_equal(sg_score_outcome_container(o, 0, c1, err, sizeof err), 0);
    if (c2)
        assert_int_equal(sg_score_outcome_container(o, 0, c2, err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_container(o, 1, "other", err, sizeof err), 0);
    return o;
}

static void test_listing_pages(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    char err[SG_ERRMAX], name[16];
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    for (int i = 0; i < 25; i++) {
        snprintf(name, sizeof name, "p%02d", i);
        const char *states = i % 5 == 0 ? "w........." : i % 5 == 1 ? "h........." : "u.........";
        fx_apply(inv, SG_SCORE_CREATE, with_containers(m, i % 2 ? "odd" : "even", name, states, "app", "side"));
    }
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "ClusterRole", NULL, "cr", "u........."));
    sg_resource_page page;
    /* Everything unhealthy, 4 at a time: every one once, in order. */
    char *token = NULL, last[64] = "";
    size_t seen = 0;
    do {
        assert_int_equal(sg_inventory_rec_resources(inv, "r0", NULL, SG_LIST_UNHEALTHY, token, 4, &page, err,
                                                    sizeof err), 0);
        assert_int_equal(page.total, 16);
        for (size_t i = 0; i < page.count; i++) {
            char cur[64];
            snprintf(cur, sizeof cur, "%s/%s/%s", page.items[i].namespace_, page.items[i].kind, page.items[i].name);
            assert_true(strcmp(last, cur) < 0);
            snprintf(last, sizeof last, "%s", cur);
            assert_int_equal(page.items[i].state, SG_SCORE_UNHEALTHY);
            if (!strcmp(page.items[i].kind, "Pod")) {
                assert_int_equal(page.items[i].ncontainers, 2);
                assert_string_equal(page.items[i].containers[0], "app");
                assert_string_equal(page.items[i].containers[1], "side");
            }
            assert_true(json_is_object(page.items[i].labels));
            seen++;
        }
        free(token);
        token = page.next ? strdup(page.next) : NULL;
        sg_resource_page_free(&page);
    } while (token);
    assert_int_equal(seen, 16);
    assert_string_equal(last, "odd/Pod/p23");

    /* The first page of one namespace; delete its last item; the next page still follows it. */
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", "even", SG_LIST_UNHEALTHY | SG_LIST_EXEMPT, NULL, 3,
                                                &page, err, sizeof err), 0);
    assert_int_equal(page.total, 11);
    assert_string_equal(page.items[0].name, "p00");
    assert_int_equal(page.items[0].exemption, SG_EXEMPT_WAIVER);
    assert_int_equal(page.items[0].state, SG_SCORE_NOT_APPLICABLE);
    assert_string_equal(page.items[2].name, "p04");
    fx_apply(inv, SG_SCORE_DELETE, fx_outcome(m, "Pod", "even", "p04", ""));
    token = strdup(page.next);
    sg_resource_page_free(&page);
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", "even", SG_LIST_UNHEALTHY | SG_LIST_EXEMPT, token, 3,
                                                &page, err, sizeof err), 0);
    assert_string_equal(page.items[0].name, "p08");   /* p06 is healthy */
    sg_resource_page_free(&page);
    free(token);
    /* Cluster-scoped only; healthy only. */
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", "", SG_LIST_UNHEALTHY, NULL, 10, &page, err, sizeof err), 0);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].name, "cr");
    assert_null(page.next);
    sg_resource_page_free(&page);
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", NULL, SG_LIST_HEALTHY, NULL, 10, &page, err, sizeof err), 0);
    assert_int_equal(page.total, 5);
    assert_int_equal(page.items[0].ncontainers, 0);
    sg_resource_page_free(&page);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* Tokens not made by the listing, unknown recommendations and limits out of range are refused. */
static void test_listing_bad_input(void **state)
{
    (void)state;
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    char err[SG_ERRMAX];
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "even", "p00", "u........."));
    sg_resource_page page;
    static const char *const bad[] = {"x", "1.", "1.0", "1.zz", "2.6100", "1.610062", "1.6161616100"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sg_inventory_rec_resources(inv, "r0", NULL, SG_LIST_UNHEALTHY, bad[i], 3, &page, err,
                                                    sizeof err), -1);
        assert_non_null(strstr(err, "continue token"));
    }
    assert_int_equal(sg_inventory_rec_resources(inv, "nope", NULL, 1, NULL, 3, &page, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", NULL, 1, NULL, 0, &page, err, sizeof err), -1);
    assert_int_equal(sg_inventory_rec_resources(inv, "r0", NULL, 1, NULL, 10001, &page, err, sizeof err), -1);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

static size_t containers_of(sg_inventory *inv, const char *rec, const char *name, const char **first)
{
    sg_resource_page page;
    char err[SG_ERRMAX];
    assert_int_equal(sg_inventory_rec_resources(inv, rec, NULL, SG_LIST_UNHEALTHY, NULL, 100, &page, err,
                                                sizeof err), 0);
    size_t n = 0;
    static char copy[64];
    for (size_t i = 0; i < page.count; i++)
        if (!strcmp(page.items[i].name, name)) {
            n = page.items[i].ncontainers;
            snprintf(copy, sizeof copy, "%s", n ? page.items[i].containers[0] : "");
            *first = copy;
        }
    sg_resource_page_free(&page);
    return n;
}

static void test_details_persist_and_remap(void **state)
{
    (void)state;
    char dir[] = "/tmp/sg-stats-XXXXXX", path[64], err[SG_ERRMAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/inventory.bin", dir);
    sg_score_model *m = fx_model(controls, 4, rec_control, RECS);
    sg_inventory *inv;
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, with_containers(m, "a", "pod", "uu........", "app", "side"));
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    sg_inventory_free(inv);
    const char *first = NULL;

    /* Loaded into a model whose catalog starts with another recommendation. */
    sg_score_rec_def defs[3] = {{"new", "network", true, true, 0}, {"r1", "access", true, true, 0},
                                {"r0", "access", true, true, 0}};
    sg_score_model *shifted;
    assert_int_equal(sg_score_model_new(controls, 4, defs, 3, &shifted, err, sizeof err), 0);
    assert_int_equal(sg_inventory_new(shifted, &inv, err, sizeof err), 0);
    assert_int_equal(sg_inventory_load(inv, path, err, sizeof err), 0);
    assert_int_equal(containers_of(inv, "r0", "pod", &first), 2);
    assert_string_equal(first, "app");
    assert_int_equal(containers_of(inv, "r1", "pod", &first), 1);
    assert_string_equal(first, "other");
    /* Reloaded back onto the first model. */
    sg_inventory_reload(inv, m, NULL, NULL);
    assert_int_equal(containers_of(inv, "r0", "pod", &first), 2);
    fx_check(inv);
    sg_inventory_free(inv);

    /* A version 2 file (no details): the same bytes without each resource's detailslen. */
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "a", "v2", "uh........"));
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    sg_inventory_free(inv);
    unsigned char v3[4096], v2[4096];
    FILE *f = fopen(path, "rb");
    size_t n3 = fread(v3, 1, sizeof v3, f);
    fclose(f);
    size_t at = 12;                                   /* magic, nrecs */
    for (int r = 0; r < RECS; r++)
        at += 2 + (size_t)(v3[at] | v3[at + 1] << 8) + 8;
    at += 8 + 8;                                      /* resource count, keylen and labelslen */
    assert_memory_equal(v3 + at, "\0\0\0\0", 4);   /* detailslen 0 */
    memcpy(v2, v3, at);
    memcpy(v2 + at, v3 + at + 4, n3 - at - 4 - 24);
    memcpy(v2, "SGINV002", 8);
    size_t payload = n3 - 4 - 24;
    uint64_t sum = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < payload; i++)
        sum = (sum ^ v2[i]) * 0x100000001b3ULL;
    for (int i = 0; i < 8; i++) {
        v2[payload + i] = (unsigned char)(payload >> (8 * i));
        v2[payload + 8 + i] = (unsigned char)(sum >> (8 * i));
    }
    memcpy(v2 + payload + 16, "SGINVEND", 8);
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    if (sg_inventory_load_buffer(inv, "v2", v2, payload + 24, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(sg_inventory_count(inv), 1);
    assert_int_equal(containers_of(inv, "r0", "v2", &first), 0);
    sg_inventory_free(inv);

    /* A version 1 file (no details) still loads. */
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    char v1[256];
    snprintf(v1, sizeof v1, "%s/tests/fuzz/corpus/inventory_load/three.sginv", SG_SOURCE_DIR);
    assert_int_equal(sg_inventory_load(inv, v1, err, sizeof err), 0);
    assert_int_equal(sg_inventory_count(inv), 3);
    sg_inventory_free(inv);
    sg_score_model_free(shifted);
    sg_score_model_free(m);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gains_equal_brute_force),
        cmocka_unit_test(test_sole_and_top),
        cmocka_unit_test(test_many_namespaces),
        cmocka_unit_test(test_listing_pages),
        cmocka_unit_test(test_listing_bad_input),
        cmocka_unit_test(test_details_persist_and_remap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
