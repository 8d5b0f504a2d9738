/*
 * sync.c - inventory sync: the API server as the inventory's source of truth
 * (server.inventorySync). The kube module's informer lists and watches every
 * scored kind in a background thread; each object it delivers is evaluated
 * with the current policy and put into the score inventory (deleted ones
 * removed), exactly as an admission would, so that every replica converges on
 * the same inventory and score. Objects owned by a controller and those in
 * excluded namespaces are skipped, as in admissions.
 *
 * Serving never waits on it: the HTTPS server starts first, admissions are
 * answered while the lists run or while the API server is unreachable. Until
 * every kind is listed, objects go into a staging inventory and the one saved
 * by an earlier run keeps serving; when the informer is first in sync, the
 * staged inventory replaces it in one step (sg_inventory_swap), so that
 * predictions never see a half-listed cluster and nothing the cluster no
 * longer has survives a restart. Callbacks run on the informer's thread only.
 *
 * A kind that no enabled recommendation reads beyond its metadata (Secrets
 * always; by default also ConfigMaps, ServiceAccounts and Services) is listed
 * and watched as metadata only (PartialObjectMetadata), decided from the
 * policy at start and again at each reload.
 *
 * The policy's pod controllers (Argo Rollouts, OpenKruise workloads, the
 * settings' podControllers) are listed too, as optional kinds: one whose CRD
 * is not installed holds nothing and does not keep the sync from being in
 * sync. Which pod controllers are listed is decided at start.
 *
 * With server.policyReports on, the sync also remembers each object's
 * apiVersion and uid (the inventory keeps neither), for the resource
 * references of the reports (report_build.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>

#include "internal.h"

struct wh_sync {
    sg_webhook *w;
    sg_kube_config *config;
    sg_kube_resource *kinds;     /* the informer's kinds, each marked metadata-only or not at start */
    size_t nkinds;
    char *names;                 /* owned: the strings of the pod controllers' kinds (they outlive a reload) */
    sg_kube_informer *informer;
    sg_inventory *staging;       /* the first lists, until they are complete; then NULL */
    bool swap_pending;           /* in sync, but the swap lost a race with a reload: retry */
    pthread_mutex_t refs_lock;
    json_t *refs;                /* with server.policyReports: wh_sync_ref_key -> [apiVersion, uid]; else NULL */
};

void wh_sync_ref_key(const char *group, const char *kind, const char *ns, const char *name, char *buf, size_t len)
{
    /* '/' is in none of the four (names are DNS labels or subdomains), so the key is unambiguous. */
    snprintf(buf, len, "%s/%s/%s/%s", group ? group : "", kind, ns ? ns : "", name ? name : "");
}

/* Remember (or forget, when deleted) the apiVersion and uid of an object for the reports. */
static void note_ref(wh_sync *s, sg_kube_event type, const json_t *object)
{
    const json_t *meta = json_object_get(object, "metadata");
    const char *av = json_string_value(json_object_get(object, "apiVersion"));
    const char *kind = json_string_value(json_object_get(object, "kind"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    if (!av || !kind || !name)
        return;
    const char *slash = strchr(av, '/');
    char group[256], key[1200];
    snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - av) : 0, av);
    wh_sync_ref_key(group, kind, json_string_value(json_object_get(meta, "namespace")), name, key, sizeof key);
    pthread_mutex_lock(&s->refs_lock);
    if (type == SG_KUBE_DELETED)
        json_object_del(s->refs, key);
    else
        json_object_set_new(s->refs, key, json_pack("[s,s?]", av, uid));
    pthread_mutex_unlock(&s->refs_lock);
}

bool wh_sync_ref(sg_webhook *w, const char *key, char *api_version, size_t avlen, char *uid, size_t uidlen)
{
    wh_sync *s = w->sync;
    if (!s || !s->refs)
        return false;
    pthread_mutex_lock(&s->refs_lock);
    const json_t *ref = json_object_get(s->refs, key);
    if (ref) {
        snprintf(api_version, avlen, "%s", json_string_value(json_array_get(ref, 0)));
        const char *u = json_string_value(json_array_get(ref, 1));
        snprintf(uid, uidlen, "%s", u ? u : "");
    }
    pthread_mutex_unlock(&s->refs_lock);
    return ref != NULL;
}

static void on_synced(void *ctx, bool synced);

static void on_log(void *ctx, const char *level, const char *message)
{
    (void)ctx;
    wh_log(level, message, json_pack("{s:s}", "component", "inventory-sync"));
}

/* The inventory events go to: the staging one until the first sync, then the
 * live one. A config reload may have changed the model meanwhile: the staged
 * outcomes are remapped to it first, as the live inventory's were. */
static sg_inventory *target(wh_sync *s, wh_snapshot *snap)
{
    if (!s->staging)
        return s->w->inv;
    sg_score_model *m = sg_inventory_model(s->staging);
    if (m != snap->model)
        sg_inventory_reload_policy(s->staging, snap->model, snap->policy, time(NULL));
    sg_score_model_free(m);
    return s->staging;
}

/* One event: the object is recorded as it is in the cluster, or removed,
 * through the admission decision's RECORD mode, as every road into the
 * inventory goes. */
static void on_object(void *ctx, sg_kube_event type, const sg_kube_resource *r, const json_t *object)
{
    (void)r;
    wh_sync *s = ctx;
    sg_webhook *w = s->w;
    wh_snapshot *snap = wh_current(w);
    sg_inventory *inv = target(s, snap);
    sg_admission_request req = {
        .mode = SG_ADMISSION_RECORD,
        .operation = type == SG_KUBE_DELETED ? SG_SCORE_DELETE : SG_SCORE_UPDATE,
        .object = type == SG_KUBE_DELETED ? NULL : object,
        .old_object = type == SG_KUBE_DELETED ? object : NULL,
        .now = time(NULL),
    };
    if (s->refs)
        note_ref(s, type, object);
    sg_admission a;
    char err[SG_ERRMAX];
    if (sg_admission_decide(snap->policy, snap->model, inv, &req, &a, err, sizeof err) < 0) {
        wh_log("error", "inventory sync: cannot record an event", json_pack("{s:s}", "error", err));
    } else {
        if (*a.refusal) {
            const json_t *meta = json_object_get(object, "metadata");
            wh_log("warn", "inventory sync: an object cannot be evaluated; it is not scored",
                   json_pack("{s:s?,s:s?,s:s?,s:s}", "kind", json_string_value(json_object_get(object, "kind")),
                             "namespace", json_string_value(json_object_get(meta, "namespace")), "name",
                             json_string_value(json_object_get(meta, "name")), "error", a.refusal));
        }
        if (a.applied && inv == w->inv)
            atomic_store(&w->dirty, true);
        sg_admission_free(&a);
    }
    wh_snapshot_unref(snap);
    if (s->swap_pending)
        on_synced(s, true);
}

/* The first time every kind is listed, the staged inventory goes live. */
static void on_synced(void *ctx, bool synced)
{
    wh_sync *s = ctx;
    if (!synced || !s->staging)
        return;
    sg_webhook *w = s->w;
    wh_snapshot *snap = wh_current(w);
    sg_inventory *staged = target(s, snap);
    char err[SG_ERRMAX];
    if (sg_inventory_swap(w->inv, staged, err, sizeof err) < 0) {
        /* Only when a config reload raced the swap: the next event retries. */
        wh_log("warn", "inventory sync: cannot replace the inventory yet", json_pack("{s:s}", "error", err));
        wh_snapshot_unref(snap);
        s->swap_pending = true;
        return;
    }
    s->swap_pending = false;
    wh_snapshot_unref(snap);
    wh_log("info", "inventory replaced by the API server's objects",
           json_pack("{s:I,s:I}", "resources", (json_int_t)sg_inventory_count(w->inv), "saved_resources",
                     (json_int_t)sg_inventory_count(staged)));
    sg_inventory_free(staged);
    s->staging = NULL;
    atomic_store(&w->dirty, true);
    atomic_store(&w->inventory_current, true);
}

int wh_sync_new(sg_webhook *w, char *err, size_t errlen)
{
    const wh_settings *ss = &w->snap->server;
    if (!ss->inventory_sync)
        return 0;
    wh_sync *s = sg_calloc(1, sizeof *s);
    s->w = w;
    char kerr[SG_ERRMAX];
    if (sg_kube_config_load(ss->kubeconfig, true, &s->config, kerr, sizeof kerr) < 0) {
        snprintf(err, errlen, "server.inventorySync: %s", kerr);
        free(s);
        return -1;
    }
    pthread_mutex_init(&s->refs_lock, NULL);
    s->refs = ss->policy_reports ? sg_check_alloc(json_object()) : NULL;
    w->sync = s;
    wh_metrics_collector(w->metrics, WH_COLLECT_SYNC, wh_sync_collect, w);
    return 0;
}

/* Which kinds the policy reads only the metadata of: marked in s->kinds (and told to the informer when
 * it runs), listed in `names`. A recommendation that reads more of a Secret is warned about: Secrets stay
 * metadata-only, so in the sync it sees only their metadata. */
static void metadata_kinds(wh_sync *s, const sg_policy *p, char *names, size_t len)
{
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < s->nkinds; i++) {
        sg_kube_resource *k = &s->kinds[i];
        const char *which;
        bool beyond = sg_policy_reads_beyond_metadata(p, k->group, k->kind, &which);
        if (beyond && !strcmp(k->kind, "Secret"))
            wh_log("warn", "inventory sync: a recommendation reads Secrets beyond their metadata, but Secrets are "
                   "listed as metadata only (their values never leave the API server): in the synced inventory it "
                   "sees only their metadata", json_pack("{s:s}", "recommendation", which ? which : ""));
        if (s->informer)
            sg_kube_informer_metadata_only(s->informer, i, !beyond);
        else
            k->metadata_only = k->metadata_only || !beyond;
        if ((beyond && strcmp(k->kind, "Secret")) || used >= len)
            continue;
        int n = snprintf(names + used, len - used, "%s%s", used ? "," : "", k->resource);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* The kinds to list: those of sg_kube_resources(), then the policy's pod controllers (optional: a CRD
 * may not be installed), their names copied into s->names. */
static void sync_kinds(wh_sync *s, const sg_policy *p)
{
    size_t n, npc = sg_policy_pod_controller_count(p), size = 1;
    const sg_kube_resource *all = sg_kube_resources(&n);
    for (size_t i = 0; i < npc; i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        size += strlen(pc->group) + strlen(pc->version) + strlen(pc->resource) + strlen(pc->kind) + 4;
    }
    s->kinds = sg_malloc((n + npc) * sizeof *s->kinds);
    memcpy(s->kinds, all, n * sizeof *s->kinds);
    char *t = s->names = sg_malloc(size);
    for (size_t i = 0; i < npc; i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        const char *parts[] = {pc->group, pc->version, pc->resource, pc->kind};
        const char *copies[4];
        for (int k = 0; k < 4; k++) {
            copies[k] = strcpy(t, parts[k]);
            t += strlen(t) + 1;
        }
        s->kinds[n + i] = (sg_kube_resource){copies[0], copies[1], copies[2], copies[3], false, true};
    }
    s->nkinds = n + npc;
}

/* Whether the policy's pod controllers are still the ones listed (after the kinds of sg_kube_resources()). */
static bool same_controllers(const wh_sync *s, const sg_policy *p)
{
    size_t n, npc = sg_policy_pod_controller_count(p);
    sg_kube_resources(&n);
    if (s->nkinds != n + npc)
        return false;
    for (size_t i = 0; i < npc; i++) {
        const sg_pod_controller *pc = sg_policy_pod_controller(p, i);
        const sg_kube_resource *k = &s->kinds[n + i];
        if (strcmp(pc->group, k->group) || strcmp(pc->version, k->version) || strcmp(pc->resource, k->resource) ||
            strcmp(pc->kind, k->kind))
            return false;
    }
    return true;
}

int wh_sync_start(sg_webhook *w, char *err, size_t errlen)
{
    wh_sync *s = w->sync;
    if (!s)
        return 0;
    char kerr[SG_ERRMAX];
    if (sg_inventory_new(w->snap->model, &s->staging, kerr, sizeof kerr) < 0) {
        snprintf(err, errlen, "server.inventorySync: %s", kerr);
        return -1;
    }
    sync_kinds(s, w->snap->policy);
    char names[512];
    metadata_kinds(s, w->snap->policy, names, sizeof names);
    sg_kube_informer_options o;
    sg_kube_informer_options_init(&o);
    o.resources = s->kinds;
    o.nresources = s->nkinds;
    sg_kube_handler h = {on_object, on_synced, on_log, s};
    if (sg_kube_informer_start(s->config, &o, &h, &s->informer, kerr, sizeof kerr) < 0) {
        snprintf(err, errlen, "server.inventorySync: %s", kerr);
        return -1;
    }
    wh_log("info", "inventory sync started",
           json_pack("{s:s,s:s,s:s}", "server", sg_kube_config_server(s->config), "source",
                     sg_kube_config_source(s->config), "metadataOnly", names));
    if (sg_kube_config_warning(s->config))
        wh_logf("warn", "inventory sync: %s", sg_kube_config_warning(s->config));
    return 0;
}

sg_kube_config *wh_sync_config(sg_webhook *w) { return w->sync ? w->sync->config : NULL; }

void wh_sync_stop(sg_webhook *w)
{
    wh_sync *s = w->sync;
    if (!s)
        return;
    w->sync = NULL;
    sg_kube_informer_stop(s->informer);
    free(s->kinds);
    free(s->names);
    sg_kube_config_free(s->config);
    sg_inventory_free(s->staging);
    json_decref(s->refs);
    pthread_mutex_destroy(&s->refs_lock);
    free(s);
}

void wh_sync_relist(sg_webhook *w)
{
    wh_sync *s = w->sync;
    if (!s || !s->informer)
        return;
    wh_snapshot *snap = wh_current(w);
    char names[512];
    metadata_kinds(s, snap->policy, names, sizeof names);
    if (!same_controllers(s, snap->policy))
        wh_log("warn", "inventory sync: podControllers changed; the sync lists the new ones from the next restart "
               "(admissions judge them at once)", NULL);
    wh_snapshot_unref(snap);
    sg_kube_informer_relist(s->informer);
}

/* The sync's metrics (ctx: the sg_webhook), while it runs. */
void wh_sync_collect(void *ctx, FILE *f)
{
    sg_webhook *w = ctx;
    if (!w->sync || !w->sync->informer)
        return;
    sg_kube_stats st;
    sg_kube_informer_stats(w->sync->informer, &st);
    fputs("# HELP scoregate_inventory_synced 1 when every scored kind is listed and watched from the API server.\n"
          "# TYPE scoregate_inventory_synced gauge\n", f);
    fprintf(f, "scoregate_inventory_synced %d\n", st.synced ? 1 : 0);
    fputs("# HELP scoregate_inventory_last_sync_timestamp_seconds Last time the inventory was known to be in sync.\n"
          "# TYPE scoregate_inventory_last_sync_timestamp_seconds gauge\n", f);
    if (st.last_sync)
        fprintf(f, "scoregate_inventory_last_sync_timestamp_seconds %lld\n", (long long)st.last_sync);
    fputs("# HELP scoregate_kube_events_total Watch events received from the API server, by type.\n"
          "# TYPE scoregate_kube_events_total counter\n", f);
    for (int i = 0; i < SG_KUBE_EVENT_TYPES; i++)
        fprintf(f, "scoregate_kube_events_total{type=\"%s\"} %lu\n", sg_kube_event_name((sg_kube_event)i),
                st.events[i]);
    fputs("# HELP scoregate_kube_relists_total Lists after a kind's first one (410 Gone, config reload).\n"
          "# TYPE scoregate_kube_relists_total counter\n", f);
    fprintf(f, "scoregate_kube_relists_total %lu\n", st.relists);
    fputs("# HELP scoregate_kube_errors_total Failed API requests and dropped watch streams.\n"
          "# TYPE scoregate_kube_errors_total counter\n", f);
    fprintf(f, "scoregate_kube_errors_total %lu\n", st.errors);
    fputs("# HELP scoregate_kube_requests_total List and watch requests sent to the API server.\n"
          "# TYPE scoregate_kube_requests_total counter\n", f);
    fprintf(f, "scoregate_kube_requests_total %lu\n", st.requests);
}
