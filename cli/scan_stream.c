/*
 * scan_stream.c - the scan as a stream of files: `--jobs` threads each take
 * the next file, read and parse it, wait for its turn, decide its objects in
 * input order, keep a compact record of each decision (scan_record.c), pass
 * the turn on and free the file's trees.
 *
 * Why this split: the decision is sequential by nature. Objects are admitted
 * into one inventory in input order, the score gate of each depends on every
 * object before it, and owners are verified against what was admitted so far;
 * so sg_admission_decide() runs for one file at a time, in order, exactly as
 * with one thread. Reading, YAML parsing, building the trees and freeing them
 * (most of a scan's work) need nothing but the file, so they run in parallel.
 * The decisions run on the thread that parsed the file (the turn passes from
 * thread to thread under the mutex) rather than on a thread of their own: no
 * hand-off per file to a third thread that two cores must also schedule, the
 * trees are still in the cache of the core that built them, and every tree is
 * freed by the thread that allocated it, into its own malloc arena. A thread
 * holds one file, so memory is bounded by `--jobs` files in flight. The output
 * is the same whatever the number of jobs: the same decisions in the same
 * order, and the notes recorded in input order.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"

/* One file read: its objects, or why not. */
typedef struct scan_read {
    sg_manifest_list list;
    int rc;                        /* sg_manifest_read's */
    char err[2 * SG_ERRMAX];
} scan_read;

static void read_input(const scan_input *in, scan_read *out)
{
    out->rc = 0;
    out->err[0] = '\0';
    if (in->skip)
        return;
    out->rc = in->lenient ? sg_manifest_read_or_skip(&out->list, in->path, out->err, sizeof out->err)
                          : sg_manifest_read(&out->list, in->path, out->err, sizeof out->err);
}

typedef struct decider {
    scan_report *r;
    const char *ns;
    time_t now;
    scan_note *errors;             /* objects that could not be judged, reported after reading errors */
    size_t nerrors;
    scan_progress progress;
    size_t objects, decided;       /* objects read so far, and decided */
} decider;

/* Admit one object with the decision the webhook makes (mutation and
 * validation in one step). An object that cannot be judged is an input error
 * naming its place; the others are still judged. */
static void decide_one(decider *d, const char *file, const sg_manifest *m)
{
    scan_report *r = d->r;
    sg_admission_request req = {.mode = SG_ADMISSION_ADMIT, .operation = SG_SCORE_CREATE, .object = m->object,
                                .namespace_ = d->ns, .now = d->now};
    sg_admission a;
    char why[SG_ERRMAX];
    const char *error = NULL;
    if (sg_admission_decide(r->policy, r->model, r->inventory, &req, &a, why, sizeof why) < 0) {
        error = why;
    } else if (*a.refusal) {
        error = a.refusal;
    } else {
        scan_records_add(r->records, file, m, &a);
        r->count++;
        r->denied += !a.allowed;
    }
    if (error) {
        fprintf(stderr, "scoregate scan: %s: document %d, line %d: %s\n", m->file, m->document, m->line, error);
        scan_note_add(&d->errors, &d->nerrors, m->file, m->document, m->line, error);
    }
    if (error != why)
        sg_admission_free(&a);
}

/* The objects of an input, in order. */
static void decide_input(decider *d, const scan_input *in, scan_read *rd)
{
    scan_report *r = d->r;
    const char *name = sg_file_name(in->path);
    if (in->skip) {
        scan_note_skip(r, in->path, in->skip);
    } else if (rd->rc < 0) {
        scan_note_error(r, name, rd->err);
    } else if (rd->rc > 0) {
        size_t n = strlen(name);
        scan_note_skip(r, name, !strncmp(rd->err, name, n) && !strncmp(rd->err + n, ": ", 2) ? rd->err + n + 2
                                                                                              : rd->err);
    } else if (rd->list.nfiles == 1) {
        /* The report keeps the file's name, the records point to it: a copy, as the list that
         * holds it is freed once its objects are decided. */
        r->files = sg_reallocarray(r->files, r->nfiles + 1, sizeof *r->files);
        const char *file = r->files[r->nfiles++] = sg_strdup(rd->list.files[0]);
        d->objects += rd->list.count;
        for (size_t k = 0; k < rd->list.count; k++) {
            decide_one(d, file, &rd->list.items[k]);
            scan_progress_update(&d->progress, ++d->decided, d->objects);
        }
    }
}

typedef struct pipeline {
    const scan_inputs *in;
    decider *d;                    /* used only by the thread whose turn it is */
    size_t next;                   /* the next input a thread takes */
    size_t turn;                   /* the input whose objects are decided next */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pipeline;

/* Take inputs until none is left: read one, decide it in its turn, free it.
 * Inputs are taken in order, so the thread holding the lowest undecided input
 * never waits and the others wait only for the decisions before theirs. */
static void *worker(void *arg)
{
    pipeline *pl = arg;
    scan_read rd = {0};
    pthread_mutex_lock(&pl->mu);
    while (pl->next < pl->in->count) {
        size_t i = pl->next++;
        pthread_mutex_unlock(&pl->mu);
        sg_arena_begin();   /* the file's trees and its decisions' JSON: released at once at the end */
        read_input(&pl->in->items[i], &rd);
        pthread_mutex_lock(&pl->mu);
        while (pl->turn != i)
            pthread_cond_wait(&pl->cv, &pl->mu);
        pthread_mutex_unlock(&pl->mu);
        decide_input(pl->d, &pl->in->items[i], &rd);
        pthread_mutex_lock(&pl->mu);
        pl->turn++;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        sg_manifest_list_free(&rd.list);   /* while the next file is decided */
        sg_arena_end();
        pthread_mutex_lock(&pl->mu);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

void scan_run(scan_report *r, const scan_inputs *in, const char *ns, unsigned jobs)
{
    decider d = {.r = r, .ns = ns, .now = time(NULL)};
    r->records = scan_records_new();
    scan_progress_start(&d.progress);
    pipeline pl = {.in = in, .d = &d};
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    /* This thread is one of the jobs; more threads than files would only wait. With one job the
     * process stays single-threaded (glibc's allocator and stdio then skip their locks). */
    unsigned extra = jobs > in->count ? (unsigned)in->count : jobs;
    extra = extra > 1 ? extra - 1 : 0;
    pthread_t *threads = sg_calloc(extra ? extra : 1, sizeof *threads);
    unsigned started = 0;
    while (started < extra && pthread_create(&threads[started], NULL, worker, &pl) == 0)
        started++;
    worker(&pl);   /* fewer threads than asked for only make the scan slower */
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_cond_destroy(&pl.cv);
    pthread_mutex_destroy(&pl.mu);
    scan_progress_end(&d.progress);
    for (size_t i = 0; i < d.nerrors; i++) {
        r->errors = sg_reallocarray(r->errors, r->nerrors + 1, sizeof *r->errors);
        r->errors[r->nerrors++] = d.errors[i];
    }
    free(d.errors);
}
