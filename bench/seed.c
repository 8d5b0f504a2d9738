/*
 * seed.c - an inventory of N resources for the inventory-scaling benchmark.
 *
 *   bench_seed CONFIG STATE_DIR N [history]
 *
 * Builds the score model of the settings file exactly as `scoregate serve`
 * does, fills an inventory with N Deployments spread over 50 namespaces whose
 * recommendations are healthy or unhealthy at random (a fixed seed: runs are
 * comparable; an unhealthy one names its container, as an evaluation does),
 * and saves it as STATE_DIR/inventory.bin, which `scoregate serve --state-dir
 * STATE_DIR` then loads at start. With "history", also a full score history
 * (STATE_DIR/history.json: a score that changed every hour for 90 days and
 * every minute on the last day, so both tiers are full) for the dashboard.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/policy.h>
#include <scoregate/scoring.h>

static _Noreturn void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_seed: %s: %s\n", what, err);
    exit(1);
}

/* A full history ending now, saved in `dir`. */
static void seed_history(sg_inventory *inv, const char *dir)
{
    char err[SG_ERRMAX], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/history.json", dir);
    sg_score s;
    sg_inventory_score(inv, &s);
    sg_history *h = sg_history_new();
    time_t now = time(NULL);
    /* Hourly until the last day (only hourly samples are kept from before it), then every minute. */
    for (time_t t = now - 90 * 86400, k = 0; t <= now; t += t < now - 86400 ? 3600 : 60, k++) {
        sg_score moved = s;
        for (size_t c = 0; c < moved.ncontrols; c++)
            moved.controls[c].current = moved.controls[c].max * (double)((k + c) % 100) / 100.0;
        moved.percent = (double)(k % 10000) / 100.0;
        sg_history_observe(h, &moved, t);
    }
    if (sg_history_save(h, path, err, sizeof err) < 0)
        die("history", err);
    sg_history_free(h);
}

int main(int argc, char **argv)
{
    long n = argc == 4 || argc == 5 ? strtol(argv[3], NULL, 10) : 0;
    if (n <= 0 || (argc == 5 && strcmp(argv[4], "history"))) {
        fprintf(stderr, "usage: bench_seed CONFIG STATE_DIR N [history]\n");
        return 2;
    }
    char err[SG_ERRMAX], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/inventory.bin", argv[2]);
    sg_policy_options po = {.config_path = argv[1]};
    sg_policy *p;
    sg_score_model *m;
    sg_inventory *inv;
    if (sg_policy_load(&po, &p, err, sizeof err) < 0 || sg_score_model_from_policy(p, NULL, 0, &m, err, sizeof err) < 0 ||
        sg_inventory_new(m, &inv, err, sizeof err) < 0)
        die("setup", err);
    size_t nrecs = sg_policy_rec_count(p), nevaluated = 0;
    size_t *evaluated = sg_calloc(nrecs, sizeof *evaluated);
    for (size_t r = 0; r < nrecs; r++)
        if (sg_score_rec_def_from_info(sg_policy_rec(p, r)).evaluated)
            evaluated[nevaluated++] = r;
    unsigned long long rng = 0x9e3779b97f4a7c15ULL;
    for (long i = 0; i < n; i++) {
        char name[32], ns[16];
        snprintf(name, sizeof name, "seeded-%ld", i);
        snprintf(ns, sizeof ns, "team-%ld", i % 50);
        sg_score_outcome *o;
        if (sg_score_outcome_new(m, "apps/v1", "Deployment", ns, name, &o, err, sizeof err) < 0)
            die("outcome", err);
        for (size_t k = 0; k < nevaluated; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            bool unhealthy = rng % 5 == 0;
            if (rng % 4 && (sg_score_outcome_record(o, evaluated[k], unhealthy, SG_EXEMPT_NONE, err, sizeof err) < 0 ||
                            (unhealthy && sg_score_outcome_container(o, evaluated[k], "app", err, sizeof err) < 0)))
                die("record", err);
        }
        if (sg_inventory_apply(inv, SG_SCORE_CREATE, o, err, sizeof err) < 0)
            die("apply", err);
        sg_score_outcome_free(o);
    }
    if (sg_inventory_save(inv, path, err, sizeof err) < 0)
        die("save", err);
    if (argc == 5)
        seed_history(inv, argv[2]);
    printf("seeded %ld resources into %s\n", n, path);
    free(evaluated);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_policy_free(p);
    return 0;
}
