/*
 * bench_predict.c - the cost of one score prediction as the inventory grows.
 * For 1k, 10k, 100k and 300k resources (each size in its own child process, so the
 * RSS figures are separate) it fills an inventory with random outcomes over a
 * Defender-like catalog, then times predictions (UPDATE of held resources and
 * CREATE of new ones, outcomes built beforehand) and prints nanoseconds per
 * prediction (CPU time) and the process's resident set size. The time should stay flat:
 * a prediction is O(controls), not O(resources).
 * Usage: bench_predict [predictions per size, default 200000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scoregate/scoring.h>

#include "xorshift.h"

#define RECS 16
#define PREBUILT 1024

/* The 16 data-plane recommendations' controls (docs/recommendations.md). */
static const char *const rec_control[RECS] = {
    "ddos", "vulnerabilities", "access", "security-configurations", "network", "network",
    "access", "access", "access", "access", "data-in-transit", "access", "best-practices",
    "access", "access", "access"};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    return xorshift_next(&rng);
}

static _Noreturn void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_predict: %s: %s\n", what, err);
    exit(1);
}

static sg_score_outcome *random_outcome(sg_score_model *m, size_t i)
{
    char name[32], ns[16], err[SG_ERRMAX];
    sg_score_outcome *o;
    snprintf(name, sizeof name, "app-%zu", i);
    snprintf(ns, sizeof ns, "team-%zu", i % 50);
    if (sg_score_outcome_new(m, "apps/v1", "Deployment", ns, name, &o, err, sizeof err))
        die("outcome", err);
    for (size_t r = 0; r < RECS; r++)
        if (next() % 4 &&
            sg_score_outcome_record(o, r, next() % 5 == 0, SG_EXEMPT_NONE, err, sizeof err))
            die("record", err);
    return o;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* CPU time of this thread: on a shared machine, wall time also counts other jobs. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run(size_t n, long predictions)
{
    size_t ncontrols;
    const sg_score_control_def *controls = sg_score_default_controls(&ncontrols);
    sg_score_rec_def defs[RECS];
    char ids[RECS][8], err[SG_ERRMAX];
    for (size_t i = 0; i < RECS; i++) {
        snprintf(ids[i], sizeof ids[i], "rec%zu", i);
        defs[i] = (sg_score_rec_def){ids[i], rec_control[i], true, true, 0};
    }
    sg_score_model *m;
    sg_inventory *inv;
    if (sg_score_model_new(controls, ncontrols, defs, RECS, &m, err, sizeof err) ||
        sg_inventory_new(m, &inv, err, sizeof err))
        die("setup", err);
    for (size_t i = 0; i < n; i++) {
        sg_score_outcome *o = random_outcome(m, i);
        if (sg_inventory_apply(inv, SG_SCORE_CREATE, o, err, sizeof err))
            die("fill", err);
        sg_score_outcome_free(o);
    }
    /* Half updates of held resources, half creates of new ones. */
    sg_score_outcome *batch[PREBUILT];
    for (size_t i = 0; i < PREBUILT; i++)
        batch[i] = random_outcome(m, i % 2 ? next() % n : n + i);
    sg_score_prediction p;
    double sink = 0, start = now_ns();
    for (long i = 0; i < predictions; i++) {
        sg_score_op op = i % 2 ? SG_SCORE_UPDATE : SG_SCORE_CREATE;
        if (sg_inventory_predict(inv, op, batch[i % PREBUILT], &p, err, sizeof err))
            die("predict", err);
        sink += p.exact_delta;
    }
    double ns = (now_ns() - start) / (double)predictions;
    printf("%8zu resources  %8.0f ns/prediction  RSS %7ld KiB  (checksum %.3g)\n", n, ns,
           rss_kib(), sink);
    for (size_t i = 0; i < PREBUILT; i++)
        sg_score_outcome_free(batch[i]);
    sg_inventory_free(inv);
    sg_score_model_free(m);
}

int main(int argc, char **argv)
{
    long predictions = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    const size_t sizes[] = {1000, 10000, 100000, 300000};
    if (predictions <= 0) {
        fprintf(stderr, "usage: bench_predict [predictions per size]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench_predict: fork");
            return 1;
        }
        if (pid == 0) {
            run(sizes[i], predictions);
            fflush(stdout);
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
            return 1;
    }
    return 0;
}
