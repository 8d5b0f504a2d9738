/*
 * scan_stream.c - the scan as a stream of files: read and parse each file
 * (on `--jobs` threads), then decide its objects in input order, one after
 * another, on this thread, keep a compact record of each decision
 * (scan_record.c) and free the file's trees.
 *
 * Why this split: the decision is sequential by nature. Objects are admitted
 * into one inventory in input order, the score gate of each depends on every
 * object before it, and owners are verified against what was admitted so far;
 * so sg_admission_decide() runs here, in order, exactly as with one thread.
 * Reading, YAML parsing and building the trees (most of a scan's work) need
 * nothing but the file, so workers do that ahead, at most WINDOW files per
 * job ahead of the decisions, which bounds memory by the files in flight.
 * The output is the same whatever the number of jobs: the same decisions in
 * the same order, and the notes recorded in input order here.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"

#define WINDOW 1   /* files read ahead per job */

/* One file read: its objects, or why not. */
typedef struct scan_read {
    sg_manifest_list list;
    int rc;                        /* sg_manifest_read's */
    bool done;
    char err[2 * SG_ERRMAX];
} scan_read;

typedef struct pipeline {
    const scan_inputs *in;
    scan_read *slots;              /* input i is read into slots[i % nslots] */
    size_t nslots;
    size_t next;                   /* the next input a worker takes */
    size_t decided;                /* inputs decided (their slots are free again) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pipeline;

static void read_input(const scan_input *in, scan_read *out)
{
    out->rc = 0;
    out->err[0] = '\0';
    if (in->skip)
        return;
    out->rc = in->lenient ? sg_manifest_read_or_skip(&out->list, in->path, out->err, sizeof out->err)
                          : sg_manifest_read(&out->list, in->path, out->err, sizeof out->err);
}

static void *worker(void *arg)
{
    pipeline *pl = arg;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (pl->next < pl->in->count && pl->next >= pl->decided + pl->nslots)
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (pl->next >= pl->in->count)
            break;
        size_t i = pl->next++;
        pthread_mutex_unlock(&pl->mu);
        scan_read *slot = &pl->slots[i % pl->nslots];   /* free: input i - nslots is decided */
        /* The trees of input i - nslots are freed here, by the thread that built them: in parallel,
         * and into the allocator arena they came from. */
        sg_manifest_list_free(&slot->list);
        read_input(&pl->in->items[i], slot);
        pthread_mutex_lock(&pl->mu);
        slot->done = true;
        pthread_cond_broadcast(&pl->cv);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
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
        /* The report keeps the file's name, the records point to it: a copy made here, as a
         * worker's allocation kept for good would pin that worker's heap. */
        r->files = sg_reallocarray(r->files, r->nfiles + 1, sizeof *r->files);
        const char *file = r->files[r->nfiles++] = sg_strdup(rd->list.files[0]);
        d->objects += rd->list.count;
        for (size_t k = 0; k < rd->list.count; k++) {
            decide_one(d, file, &rd->list.items[k]);
            scan_progress_update(&d->progress, ++d->decided, d->objects);
        }
    }
}

/* False when no thread could start (nothing was read then). */
static bool run_threads(decider *d, const scan_inputs *in, unsigned jobs)
{
    pipeline pl = {.in = in, .nslots = (size_t)jobs * WINDOW};
    pl.slots = sg_calloc(pl.nslots, sizeof *pl.slots);
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    pthread_t *threads = sg_calloc(jobs, sizeof *threads);
    unsigned started = 0;
    while (started < jobs && pthread_create(&threads[started], NULL, worker, &pl) == 0)
        started++;
    for (size_t i = 0; started > 0 && i < in->count; i++) {
        scan_read *slot = &pl.slots[i % pl.nslots];
        pthread_mutex_lock(&pl.mu);
        while (!slot->done)
            pthread_cond_wait(&pl.cv, &pl.mu);
        pthread_mutex_unlock(&pl.mu);
        decide_input(d, &in->items[i], slot);
        pthread_mutex_lock(&pl.mu);
        slot->done = false;
        pl.decided++;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    for (size_t i = 0; i < pl.nslots; i++)
        sg_manifest_list_free(&pl.slots[i].list);
    free(threads);
    pthread_cond_destroy(&pl.cv);
    pthread_mutex_destroy(&pl.mu);
    free(pl.slots);
    return started > 0;
}

void scan_run(scan_report *r, const scan_inputs *in, const char *ns, unsigned jobs)
{
    decider d = {.r = r, .ns = ns, .now = time(NULL)};
    r->records = scan_records_new();
    scan_progress_start(&d.progress);
    if (jobs <= 1 || in->count <= 1 || !run_threads(&d, in, jobs)) {
        scan_read rd = {0};
        for (size_t i = 0; i < in->count; i++) {
            read_input(&in->items[i], &rd);
            decide_input(&d, &in->items[i], &rd);
            sg_manifest_list_free(&rd.list);
        }
    }
    scan_progress_end(&d.progress);
    for (size_t i = 0; i < d.nerrors; i++) {
        r->errors = sg_reallocarray(r->errors, r->nerrors + 1, sizeof *r->errors);
        r->errors[r->nerrors++] = d.errors[i];
    }
    free(d.errors);
}
