/*
 * health.c - what the server says about its own condition beyond "it
 * answers": /readyz stays 200 while admission works, but its `warnings` say
 * what is degraded — the inventory cannot be saved, or a settings reload or a
 * new serving certificate was rejected and the previous one is still in force
 * — and the reload metrics count the same events. A warning goes away when
 * the next save or load of the same thing works.
 */
#include <stdio.h>

#include "internal.h"

void wh_health_reload(sg_webhook *w, wh_reload what, int rc, const char *err)
{
    pthread_mutex_lock(&w->health_lock);
    snprintf(w->reload_error[what], sizeof w->reload_error[what], "%s", rc < 0 ? err : "");
    pthread_mutex_unlock(&w->health_lock);
    wh_metrics_reload(w->metrics, what, rc >= 0, time(NULL));
}

static void warn(json_t *list, const char *why, const char *detail)
{
    char text[SG_ERRMAX + 200];
    snprintf(text, sizeof text, "%s: %s", why, detail);
    json_array_append_new(list, wh_text(text));
}

json_t *wh_health_warnings(sg_webhook *w)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    char why[SG_ERRMAX];
    if (wh_persist_failing(w, why, sizeof why))
        warn(list, "the inventory cannot be saved (the server keeps serving; changes since the last save are lost "
             "on a crash)", why);
    pthread_mutex_lock(&w->health_lock);
    if (w->reload_error[WH_RELOAD_SETTINGS][0])
        warn(list, "settings file broken, serving the previous settings", w->reload_error[WH_RELOAD_SETTINGS]);
    if (w->reload_error[WH_RELOAD_CERTIFICATE][0])
        warn(list, "new serving certificate rejected, serving the previous one",
             w->reload_error[WH_RELOAD_CERTIFICATE]);
    pthread_mutex_unlock(&w->health_lock);
    return list;
}
