/*
 * persist.c - the inventory in the state directory: loaded when the webhook
 * starts, saved when it changed (every save_interval seconds while serving,
 * and on shutdown), and how saving goes, for /metrics and /readyz.
 *
 * Saves are atomic (sg_inventory_save writes a new file and renames it), one
 * at a time. A save that fails keeps the inventory marked changed, so the
 * next one tries again; the server keeps serving meanwhile, and /readyz says
 * that changes since the last save would be lost on a crash. A saved
 * inventory that cannot be loaded is set aside as inventory.bin.corrupt,
 * never lost, and the server starts empty.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define INVENTORY_FILE "inventory.bin"

struct wh_persist {
    char *path;                  /* the saved inventory */
    pthread_mutex_t save_lock;   /* one save at a time */
    time_t last_look;            /* when the periodic save last looked (wh_persist_tick) */
    pthread_mutex_t lock;        /* guards what follows: how saving goes */
    unsigned long failures;
    time_t last_save;            /* last successful save; 0: none yet */
    char error[SG_ERRMAX];       /* why the last save failed; "" when it worked */
};

/* Load the saved inventory; one that cannot be loaded is set aside (never lost) and the server starts empty. */
static void load_inventory(sg_webhook *w, const char *path)
{
    if (access(path, F_OK) < 0)
        return;
    char lerr[SG_ERRMAX];
    if (sg_inventory_load(w->inv, path, lerr, sizeof lerr) < 0) {
        char aside[PATH_MAX];
        snprintf(aside, sizeof aside, "%s.corrupt", path);
        rename(path, aside);
        wh_log("error", "the saved inventory cannot be loaded; starting empty",
               json_pack("{s:s,s:s}", "error", lerr, "setAside", aside));
        return;
    }
    sg_inventory_reload_policy(w->inv, w->snap->model, w->snap->policy, time(NULL));
    wh_log("info", "inventory loaded",
           json_pack("{s:s,s:I}", "path", path, "resources", (json_int_t)sg_inventory_count(w->inv)));
}

void wh_persist_open(sg_webhook *w)
{
    if (!w->opts.persist)
        return;
    wh_persist *p = sg_calloc(1, sizeof *p);
    size_t len = strlen(w->state_dir) + sizeof "/" INVENTORY_FILE;
    p->path = sg_malloc(len);
    snprintf(p->path, len, "%s/%s", w->state_dir, INVENTORY_FILE);
    pthread_mutex_init(&p->save_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    p->last_look = time(NULL);
    w->persist = p;
    wh_metrics_collector(w->metrics, WH_COLLECT_PERSIST, wh_persist_collect, w);
    load_inventory(w, p->path);
}

void wh_persist_free(wh_persist *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->save_lock);
    pthread_mutex_destroy(&p->lock);
    free(p->path);
    free(p);
}

/* Remember how a save went, for /metrics and /readyz; log when saving works again. */
static void note_save(wh_persist *p, int rc, const char *err)
{
    pthread_mutex_lock(&p->lock);
    bool recovered = rc == 0 && p->error[0];
    unsigned long failures = p->failures;
    if (rc == 0) {
        p->last_save = time(NULL);
        p->error[0] = '\0';
    } else {
        p->failures++;
        snprintf(p->error, sizeof p->error, "%s", err);
    }
    pthread_mutex_unlock(&p->lock);
    if (recovered)
        wh_log("info", "inventory saved again", json_pack("{s:s,s:I}", "path", p->path,
                                                          "failuresSoFar", (json_int_t)failures));
}

int sg_webhook_save(sg_webhook *w, char *err, size_t errlen)
{
    wh_persist *p = w->persist;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->save_lock);
    int rc = 0;
    if (atomic_exchange(&w->dirty, false)) {
        rc = sg_inventory_save(w->inv, p->path, err, errlen);
        if (rc < 0)
            atomic_store(&w->dirty, true);
        note_save(p, rc, err);
    }
    pthread_mutex_unlock(&p->save_lock);
    return rc;
}

void wh_persist_tick(sg_webhook *w, time_t now)
{
    wh_persist *p = w->persist;
    if (!p || now - p->last_look < (time_t)w->opts.save_interval)
        return;
    p->last_look = now;
    char err[SG_ERRMAX];
    if (sg_webhook_save(w, err, sizeof err) < 0)
        wh_log("error", "cannot save the inventory", json_pack("{s:s}", "error", err));
}

bool wh_persist_failing(sg_webhook *w, char *why, size_t len)
{
    wh_persist *p = w->persist;
    if (!p)
        return false;
    pthread_mutex_lock(&p->lock);
    bool failing = p->error[0] != '\0';
    snprintf(why, len, "%s", p->error);
    pthread_mutex_unlock(&p->lock);
    return failing;
}

/* How saving the inventory goes (ctx: the sg_webhook), when it is saved. */
void wh_persist_collect(void *ctx, FILE *f)
{
    wh_persist *p = ((sg_webhook *)ctx)->persist;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    unsigned long failures = p->failures;
    time_t last = p->last_save;
    bool failing = p->error[0] != '\0';
    pthread_mutex_unlock(&p->lock);
    fputs("# HELP scoregate_inventory_persisted 1 while the saved inventory is current or being kept current, "
          "0 while saving fails.\n"
          "# TYPE scoregate_inventory_persisted gauge\n", f);
    fprintf(f, "scoregate_inventory_persisted %d\n", failing ? 0 : 1);
    fputs("# HELP scoregate_inventory_save_failures_total Inventory saves that failed (disk full, read-only, ...).\n"
          "# TYPE scoregate_inventory_save_failures_total counter\n", f);
    fprintf(f, "scoregate_inventory_save_failures_total %lu\n", failures);
    fputs("# HELP scoregate_inventory_last_save_timestamp_seconds Last successful inventory save.\n"
          "# TYPE scoregate_inventory_last_save_timestamp_seconds gauge\n", f);
    if (last)
        fprintf(f, "scoregate_inventory_last_save_timestamp_seconds %lld\n", (long long)last);
}
