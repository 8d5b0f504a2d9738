/*
 * snapshot.c - the policy and its score model as one reference-counted,
 * immutable snapshot. A request takes a reference when it starts and keeps
 * deciding with that snapshot even when SIGHUP swaps in a new one; the last
 * reference frees it. The settings' `server` section is read with the
 * policy (server_settings.c), so a reload takes both or neither.
 */
#include <assert.h>
#include <stdlib.h>

#include "internal.h"

int wh_snapshot_load(const char *config_path, unsigned long generation, wh_snapshot **out,
                     char *err, size_t errlen)
{
    sg_policy_options popts = {.config_path = config_path};
    sg_policy *policy;
    if (sg_policy_load(&popts, &policy, err, errlen) < 0)
        return -1;
    wh_settings server;
    sg_score_model *model;
    if (wh_settings_read(policy, &server, err, errlen) < 0 ||
        sg_score_model_from_policy(policy, NULL, 0, &model, err, errlen) < 0) {
        sg_policy_free(policy);
        return -1;
    }
    wh_snapshot *s = sg_calloc(1, sizeof *s);
    s->server = server;
    atomic_init(&s->refs, 1);
    s->policy = policy;
    s->model = model;
    s->skip_managed_fields = !sg_policy_reads_managed_fields(policy);
    s->generation = generation;
    *out = s;
    return 0;
}

wh_snapshot *wh_snapshot_ref(wh_snapshot *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

void wh_snapshot_unref(wh_snapshot *s)
{
    if (!s)
        return;
    int before = atomic_fetch_sub(&s->refs, 1);
    assert(before > 0);
    if (before != 1)
        return;
    sg_score_model_free(s->model);
    sg_policy_free(s->policy);
    free(s);
}

wh_snapshot *wh_current(sg_webhook *w)
{
    pthread_mutex_lock(&w->snap_lock);
    wh_snapshot *s = wh_snapshot_ref(w->snap);
    pthread_mutex_unlock(&w->snap_lock);
    return s;
}
