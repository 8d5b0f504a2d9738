/*
 * test_persist.c - saving and loading the inventory: a round trip, every
 * truncation and every single flipped byte rejected without touching the
 * inventory, an interrupted save leaving the previous file loadable, and
 * loading into another model mapping outcomes by recommendation id.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

static const sg_score_control_def two[] = {{"access", "Access", 4}, {"network", "Network", 4}};
static const char *const two_of[] = {"access", "access", "network", NULL};

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sg-persist-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static sg_inventory *filled(sg_score_model *m)
{
    sg_inventory *inv;
    char err[SG_ERRMAX];
    assert_int_equal(sg_inventory_new(m, &inv, err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "one", "hu.."));
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Deployment", "a", "two", "hhh."));
    sg_score_outcome *o = fx_outcome(m, "Service", "b", "svc", "..wu");
    assert_int_equal(sg_score_outcome_label(o, "app", "web", err, sizeof err), 0);
    assert_int_equal(sg_score_outcome_label(o, "tier", "", err, sizeof err), 0);
    fx_apply(inv, SG_SCORE_CREATE, o);
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Namespace", NULL, "a", "m..."));
    return inv;
}

static unsigned char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *data = malloc(*len);
    assert_int_equal(fread(data, 1, *len, f), *len);
    fclose(f);
    return data;
}

static void write_whole(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[128], err[SG_ERRMAX];
    sg_score_model *m = fx_model(two, 2, two_of, 4);
    sg_inventory *inv = filled(m), *back;
    snprintf(path, sizeof path, "%s/inventory", dir);
    if (sg_inventory_save(inv, path, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(sg_inventory_new(m, &back, err, sizeof err), 0);
    if (sg_inventory_load(back, path, err, sizeof err))
        fail_msg("%s", err);
    sg_score a, b;
    sg_inventory_score(inv, &a);
    sg_inventory_score(back, &b);
    assert_memory_equal(&a, &b, sizeof a);
    fx_check(back);
    /* The same resources: deleting each from the loaded copy leaves nothing. */
    const char *names[] = {"one", "two"};
    for (int i = 0; i < 2; i++)
        fx_apply(back, SG_SCORE_DELETE, fx_outcome(m, "Deployment", "a", names[i], ""));
    fx_apply(back, SG_SCORE_DELETE, fx_outcome(m, "Service", "b", "svc", ""));
    fx_apply(back, SG_SCORE_DELETE, fx_outcome(m, "Namespace", NULL, "a", ""));
    assert_int_equal(sg_inventory_count(back), 0);
    /* Saving again gives a loadable file; no temporary files are left behind. */
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* Missing file and unwritable directory are errors. */
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(sg_inventory_load(back, path, err, sizeof err), -1);
    assert_int_equal(sg_inventory_save(inv, "/nonexistent-dir/inv", err, sizeof err), -1);
    assert_non_null(strstr(err, "temporary file"));
    sg_inventory_free(back);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* Every truncation and every flipped byte is rejected, and never half-loads. */
static void test_torn_and_corrupt(void **state)
{
    (void)state;
    char path[128], err[SG_ERRMAX];
    sg_score_model *m = fx_model(two, 2, two_of, 4);
    sg_inventory *inv = filled(m), *target;
    snprintf(path, sizeof path, "%s/inventory", dir);
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    size_t len;
    unsigned char *data = read_whole(path, &len);
    assert_int_equal(sg_inventory_new(m, &target, err, sizeof err), 0);
    fx_apply(target, SG_SCORE_CREATE, fx_outcome(m, "Pod", "x", "keep", "uuuu"));
    sg_score before, after;
    sg_inventory_score(target, &before);
    for (size_t cut = 0; cut < len; cut++) {
        err[0] = 0;
        if (sg_inventory_load_buffer(target, "cut", data, cut, err, sizeof err) != -1)
            fail_msg("a file cut at %zu of %zu bytes loaded", cut, len);
        assert_true(err[0] != 0);
    }
    unsigned char *copy = malloc(len);
    for (size_t i = 0; i < len; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(copy, data, len);
            copy[i] ^= (unsigned char)(1u << bit);
            if (sg_inventory_load_buffer(target, "flip", copy, len, err, sizeof err) != -1)
                fail_msg("a file with bit %u of byte %zu flipped loaded", bit, i);
        }
    /* Also through the file path. */
    write_whole(path, data, len / 2);
    assert_int_equal(sg_inventory_load(target, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "inventory"));
    sg_inventory_score(target, &after);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(sg_inventory_count(target), 1);
    fx_check(target);
    /* The intact bytes load. */
    assert_int_equal(sg_inventory_load_buffer(target, "ok", data, len, err, sizeof err), 0);
    assert_int_equal(sg_inventory_count(target), 4);
    free(copy);
    free(data);
    sg_inventory_free(target);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* A save interrupted before its rename leaves the previous file in place. */
static void test_interrupted_save(void **state)
{
    (void)state;
    char path[128], tmp[160], err[SG_ERRMAX];
    sg_score_model *m = fx_model(two, 2, two_of, 4);
    sg_inventory *inv = filled(m), *back;
    snprintf(path, sizeof path, "%s/state", dir);
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    size_t len;
    unsigned char *data = read_whole(path, &len);
    /* The crash: a new file half written next to it, never renamed. */
    fx_apply(inv, SG_SCORE_CREATE, fx_outcome(m, "Pod", "z", "new", "uu.."));
    snprintf(tmp, sizeof tmp, "%s.tmp.AbC123", path);
    write_whole(tmp, data, len / 3);
    assert_int_equal(sg_inventory_new(m, &back, err, sizeof err), 0);
    if (sg_inventory_load(back, path, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(sg_inventory_count(back), 4);
    /* The half-written file itself is rejected. */
    assert_int_equal(sg_inventory_load(back, tmp, err, sizeof err), -1);
    assert_int_equal(sg_inventory_count(back), 4);
    unlink(tmp);
    free(data);
    sg_inventory_free(back);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

/* Loading into another catalog maps by recommendation id; unknown ones are stale. */
static void test_load_maps_by_id(void **state)
{
    (void)state;
    char path[128], err[SG_ERRMAX];
    sg_score_model *m = fx_model(two, 2, two_of, 4);
    sg_inventory *inv = filled(m), *back;
    snprintf(path, sizeof path, "%s/inventory", dir);
    assert_int_equal(sg_inventory_save(inv, path, err, sizeof err), 0);
    sg_score_rec_def defs[] = {{"r2", "network", true, true, 0}, {"new", "network", false, true, 0},
                               {"r0", "access", true, true, 0}, {"r1", "access", true, true, 0}};
    sg_score_model *other;
    assert_int_equal(sg_score_model_new(two, 2, defs, 4, &other, err, sizeof err), 0);
    assert_int_equal(sg_inventory_new(other, &back, err, sizeof err), 0);
    assert_int_equal(sg_inventory_load(back, path, err, sizeof err), 0);
    sg_score a, b;
    sg_inventory_score(inv, &a);
    sg_inventory_score(back, &b);
    assert_int_equal(b.stale_resources, 0);
    for (int c = 0; c < 2; c++) {
        assert_int_equal(a.controls[c].healthy, b.controls[c].healthy);
        assert_int_equal(a.controls[c].unhealthy, b.controls[c].unhealthy);
    }
    assert_double_equal(a.percent, b.percent, 0);
    sg_inventory_free(back);
    /* A newly scored recommendation the file does not know makes everything stale. */
    defs[1].scored = true;
    sg_score_model_free(other);
    assert_int_equal(sg_score_model_new(two, 2, defs, 4, &other, err, sizeof err), 0);
    assert_int_equal(sg_inventory_new(other, &back, err, sizeof err), 0);
    assert_int_equal(sg_inventory_load(back, path, err, sizeof err), 0);
    sg_inventory_score(back, &b);
    assert_int_equal(b.stale_resources, 4);
    sg_inventory_free(back);
    sg_score_model_free(other);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_torn_and_corrupt),
        cmocka_unit_test(test_interrupted_save),
        cmocka_unit_test(test_load_maps_by_id),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
