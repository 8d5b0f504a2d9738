/*
 * seed.c - an inventory of N resources for the inventory-scaling benchmark.
 *
 *   bench_seed CONFIG STATE_DIR N
 *
 * Builds the score model of the settings file exactly as `scoregate serve`
 * does, fills an inventory with N Deployments spread over 50 namespaces whose
 * recommendations are healthy or unhealthy at random (a fixed seed: runs are
 * comparable), and saves it as STATE_DIR/inventory.bin, which `scoregate
 * serve --state-dir STATE_DIR` then loads at start.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <scoregate/policy.h>
#include <scoregate/scoring.h>

static _Noreturn void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_seed: %s: %s\n", what, err);
    exit(1);
}

int main(int argc, char **argv)
{
    long n = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_seed CONFIG STATE_DIR N\n");
        return 2;
    }
    char err[SG_ERRMAX], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/inventory.bin", argv[2]);
    sg_policy_options po = {argv[1], NULL, 0};
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
            if (rng % 4 && sg_score_outcome_record(o, evaluated[k], rng % 5 == 0, SG_EXEMPT_NONE, err, sizeof err) < 0)
                die("record", err);
        }
        if (sg_inventory_apply(inv, SG_SCORE_CREATE, o, err, sizeof err) < 0)
            die("apply", err);
        sg_score_outcome_free(o);
    }
    if (sg_inventory_save(inv, path, err, sizeof err) < 0)
        die("save", err);
    printf("seeded %ld resources into %s\n", n, path);
    free(evaluated);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_policy_free(p);
    return 0;
}
