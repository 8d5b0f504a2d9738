/*
 * review.c - the in-memory cost of one admission review, without sockets.
 *
 *   bench_review CONFIG BODY [ITERATIONS [review|mutate|policy|both]]
 *
 * "review" times sg_webhook_review() on /validate (decode once, decide,
 * inventory update, metrics, one log line, encode once: everything of a
 * request but TLS and HTTP), "mutate" the same on /mutate (with a CONFIG that
 * enforces fixes, the enforce step and the patch too); "policy" times only what the budget calls policy
 * evaluation + prediction, on an object parsed beforehand: the admission
 * decision (sg_admission_decide, /validate's mode), as webhook/src/decision.c
 * calls it. Prints "review_ns N", "policy_ns N"
 * (CPU nanoseconds per call) and "response_bytes N" lines. The log lines go to stderr (bench/run sends
 * them to a file, as a server's would). Run it under callgrind with the
 * review mode to see where the instructions of a review go. jansson allocates
 * as in the binary: base's arena hooks, each review (and each decision of
 * "policy") in the thread's arena.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>
#include <scoregate/scoring.h>
#include <scoregate/webhook.h>

static _Noreturn void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_review: %s: %s\n", what, err);
    exit(1);
}

/* CPU time of this thread: on a shared machine, wall time also counts other jobs. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *len)
{
    char *data, err[SG_ERRMAX];
    if (sg_file_read(path, SG_WEBHOOK_DEFAULT_MAX_BODY, &data, len, err, sizeof err) < 0)
        die("body", err);
    return data;
}

static void bench_review(const char *config, sg_webhook_endpoint ep, const char *body, size_t len, long n)
{
    char err[SG_ERRMAX];
    sg_webhook_options o;
    sg_webhook_options_init(&o);
    o.config_path = config;
    o.persist = false;
    sg_webhook *w;
    if (sg_webhook_new(&o, &w, err, sizeof err) < 0)
        die("webhook", err);
    size_t bytes = 0;
    double start = 0;
    for (long i = -n / 10 - 1; i < n; i++) {   /* the first tenth warms up */
        if (i == 0)
            start = now_ns();
        unsigned status;
        char *out;
        if (sg_webhook_review(w, ep, body, len, &status, &out, &bytes) < 0 || status != 200)
            die("review", "not answered with 200");
        free(out);
    }
    printf("review_ns %.0f\nresponse_bytes %zu\n", (now_ns() - start) / (double)n, bytes);
    sg_webhook_free(w);
}

static void bench_policy(const char *config, const char *body, size_t len, long n)
{
    char err[SG_ERRMAX];
    sg_policy_options po = {.config_path = config};
    sg_policy *p;
    sg_score_model *m;
    sg_inventory *inv;
    if (sg_policy_load(&po, &p, err, sizeof err) < 0 || sg_score_model_from_policy(p, NULL, 0, &m, err, sizeof err) < 0 ||
        sg_inventory_new(m, &inv, err, sizeof err) < 0)
        die("policy", err);
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *request = json_object_get(root, "request");
    json_t *object = json_object_get(request, "object");
    const char *ns = json_string_value(json_object_get(request, "namespace"));
    if (!object)
        die("body", "no request.object");
    double start = 0;
    for (long i = -n / 10 - 1; i < n; i++) {
        if (i == 0)
            start = now_ns();
        sg_admission_request req = {.mode = SG_ADMISSION_VALIDATE, .operation = SG_SCORE_CREATE, .object = object,
                                    .namespace_ = ns, .now = time(NULL)};
        sg_admission a;
        sg_arena_begin();   /* as a request's thread does (sg_webhook_review) */
        if (sg_admission_decide(p, m, inv, &req, &a, err, sizeof err) < 0 || *a.refusal)
            die("decide", *a.refusal ? a.refusal : err);
        sg_admission_free(&a);
        sg_arena_end();
    }
    printf("policy_ns %.0f\n", (now_ns() - start) / (double)n);
    json_decref(root);
    sg_inventory_free(inv);
    sg_score_model_free(m);
    sg_policy_free(p);
}

int main(int argc, char **argv)
{
    long n = argc > 3 ? strtol(argv[3], NULL, 10) : 20000;
    const char *mode = argc > 4 ? argv[4] : "both";
    if (argc < 3 || argc > 5 || n <= 0 || (strcmp(mode, "review") && strcmp(mode, "mutate") && strcmp(mode, "policy") &&
                                         strcmp(mode, "both"))) {
        fprintf(stderr, "usage: bench_review CONFIG BODY [ITERATIONS [review|mutate|policy|both]]\n");
        return 2;
    }
    sg_json_use_arena();   /* jansson's allocator, as the binary's (cli/main.c) */
    size_t len;
    char *body = read_file(argv[2], &len);
    if (!strcmp(mode, "mutate"))
        bench_review(argv[1], SG_WEBHOOK_MUTATE, body, len, n);
    else if (strcmp(mode, "policy"))
        bench_review(argv[1], SG_WEBHOOK_VALIDATE, body, len, n);
    if (!strcmp(mode, "policy") || !strcmp(mode, "both"))
        bench_policy(argv[1], body, len, n);
    free(body);
    return 0;
}
