/*
 * server_settings.c - the `server` section of the settings: where and how
 * the webhook serves (address, state directory, TLS files, the inventory
 * sync's connection, the dashboard's listener, the score history's objects,
 * the in-cluster PolicyReports).
 *
 * It is the webhook's own: policy loads the settings file, checks that
 * `server` is a mapping and hands it over as loaded (sg_policy_section),
 * with the file's name and line map, so that a typo here is an error naming
 * file and line exactly as policy's own are. Nothing silently weakens: an
 * unknown key or a value of the wrong type is an error, never ignored. It is
 * read when the settings load or reload (snapshot.c) and by `scan`, `fix`,
 * `score` and `catalog` (sg_webhook_settings_check), which reject a broken
 * section as they reject the rest of the settings.
 */
#include <string.h>

#include <scoregate/doc.h>

#include "internal.h"

#define DEFAULT_ADDRESS ":8443"
#define DEFAULT_STATE_DIR "./scoregate-state"
#define DEFAULT_DASHBOARD_ADDRESS "127.0.0.1:8080"
#define DEFAULT_HISTORY_NAME "scoregate-history"
#define DEFAULT_REPORTS_INTERVAL 60
#define MAX_REPORTS_INTERVAL (24 * 3600)

/* A string member, or NULL when absent, null or "" (for names of files and objects). */
static int optional_string(const sg_doc_reader *rd, const json_t *obj, const char *key, const char *where,
                           const char **out)
{
    const json_t *v;
    if (sg_doc_get_typed(rd, obj, key, JSON_STRING, false, where, &v) < 0)
        return -1;
    *out = v && json_string_length(v) ? json_string_value(v) : NULL;
    return 0;
}

/* server.dashboard and server.history: strings and a boolean, checked where they are used. */
static int read_dashboard(const sg_doc_reader *rd, const json_t *server, wh_settings *s)
{
    static const char *const dash_keys[] = {"address", "tls", "clientCAFile", NULL};
    static const char *const hist_keys[] = {"namespace", "name", NULL};
    const json_t *dash, *hist, *v;
    if (sg_doc_get_typed(rd, server, "dashboard", JSON_OBJECT, false, "server", &dash) < 0 ||
        (dash && sg_doc_check_keys(rd, dash, "server.dashboard", dash_keys) < 0) ||
        sg_doc_get_typed(rd, server, "history", JSON_OBJECT, false, "server", &hist) < 0 ||
        (hist && sg_doc_check_keys(rd, hist, "server.history", hist_keys) < 0))
        return -1;
    if (dash && sg_doc_get_typed(rd, dash, "address", JSON_STRING, false, "server.dashboard", &v) < 0)
        return -1;
    if (dash && v)
        s->dashboard_address = json_string_value(v);
    if (dash && sg_doc_get_typed(rd, dash, "tls", JSON_TRUE, false, "server.dashboard", &v) < 0)
        return -1;
    s->dashboard_tls = dash && json_is_true(v);
    if (dash && optional_string(rd, dash, "clientCAFile", "server.dashboard", &s->dashboard_client_ca_file) < 0)
        return -1;
    if (s->dashboard_client_ca_file && !s->dashboard_tls)
        return sg_doc_fail(rd, dash, "clientCAFile", NULL,
                           "server.dashboard.clientCAFile needs server.dashboard.tls: true");
    const char *names[] = {"namespace", "name"};
    const char **slots[] = {&s->history_namespace, &s->history_name};
    for (int i = 0; hist && i < 2; i++) {
        const char *name;
        if (optional_string(rd, hist, names[i], "server.history", &name) < 0)
            return -1;
        if (name)
            *slots[i] = name;
    }
    return 0;
}

/* server.inventorySync and server.tls. */
static int read_sync_tls(const sg_doc_reader *rd, const json_t *server, wh_settings *s)
{
    static const char *const sync_keys[] = {"enabled", "kubeconfig", NULL};
    static const char *const tls_keys[] = {"certFile", "keyFile", "clientCAFile", NULL};
    const json_t *sync, *tls, *v;
    if (sg_doc_get_typed(rd, server, "inventorySync", JSON_OBJECT, false, "server", &sync) < 0)
        return -1;
    if (sync && (sg_doc_check_keys(rd, sync, "server.inventorySync", sync_keys) < 0 ||
                 sg_doc_get_typed(rd, sync, "enabled", JSON_TRUE, false, "server.inventorySync", &v) < 0))
        return -1;
    s->inventory_sync = sync && json_is_true(v);
    if (sync && optional_string(rd, sync, "kubeconfig", "server.inventorySync", &s->kubeconfig) < 0)
        return -1;
    if (sg_doc_get_typed(rd, server, "tls", JSON_OBJECT, false, "server", &tls) < 0)
        return -1;
    if (!tls)
        return 0;
    if (sg_doc_check_keys(rd, tls, "server.tls", tls_keys) < 0 ||
        optional_string(rd, tls, "certFile", "server.tls", &s->cert_file) < 0 ||
        optional_string(rd, tls, "keyFile", "server.tls", &s->key_file) < 0 ||
        optional_string(rd, tls, "clientCAFile", "server.tls", &s->client_ca_file) < 0)
        return -1;
    if (!s->cert_file != !s->key_file)
        return sg_doc_fail(rd, server, "tls", tls, "server.tls needs both certFile and keyFile (or neither)");
    return 0;
}

/* A duration as Kubernetes and Helm values write them ("60s", "5m", "1h30m"): whole seconds, or -1. */
static long parse_duration(const char *text)
{
    long total = 0;
    const char *p = text;
    if (!*p)
        return -1;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        long n = 0;
        while (*p >= '0' && *p <= '9' && n <= MAX_REPORTS_INTERVAL)
            n = n * 10 + (*p++ - '0');
        long unit = *p == 'h' ? 3600 : *p == 'm' ? 60 : *p == 's' ? 1 : 0;
        if (!unit || n > MAX_REPORTS_INTERVAL)
            return -1;
        p++;
        total += n * unit;
        if (total > MAX_REPORTS_INTERVAL)
            return total;
    }
    return total;
}

/* server.policyReports: {enabled, interval}. They are written from the synced inventory, so they need
 * the sync: enabled without it would write nothing, which is said at load. Read after the sync's settings. */
static int read_policy_reports(const sg_doc_reader *rd, const json_t *server, wh_settings *s)
{
    static const char *const keys[] = {"enabled", "interval", NULL};
    const json_t *pr, *v;
    if (sg_doc_get_typed(rd, server, "policyReports", JSON_OBJECT, false, "server", &pr) < 0)
        return -1;
    if (!pr)
        return 0;
    if (sg_doc_check_keys(rd, pr, "server.policyReports", keys) < 0 ||
        sg_doc_get_typed(rd, pr, "enabled", JSON_TRUE, false, "server.policyReports", &v) < 0)
        return -1;
    s->policy_reports = json_is_true(v);
    v = json_object_get(pr, "interval");
    if (v && !json_is_null(v)) {
        long secs = json_is_string(v) ? parse_duration(json_string_value(v)) : -1;
        if (secs < 1 || secs > MAX_REPORTS_INTERVAL)
            return sg_doc_fail(rd, pr, "interval", v, "server.policyReports.interval must be a duration from 1s to "
                               "24h such as 60s, 5m or 1h30m (got %s)",
                               json_is_string(v) ? json_string_value(v) : sg_doc_type_name(v));
        s->policy_reports_interval = (unsigned)secs;
    }
    if (s->policy_reports && !s->inventory_sync)
        return sg_doc_fail(rd, pr, "enabled", NULL, "server.policyReports needs server.inventorySync.enabled: true "
                           "(the reports are written from the inventory the sync keeps)");
    return 0;
}

int wh_settings_read(const sg_policy *p, wh_settings *s, char *err, size_t errlen)
{
    static const char *const keys[] = {"address", "stateDir", "tls", "inventorySync", "dashboard", "history",
                                       "policyReports", NULL};
    *s = (wh_settings){.address = DEFAULT_ADDRESS, .state_dir = DEFAULT_STATE_DIR,
                       .dashboard_address = DEFAULT_DASHBOARD_ADDRESS, .history_name = DEFAULT_HISTORY_NAME,
                       .policy_reports_interval = DEFAULT_REPORTS_INTERVAL};
    sg_doc_reader rd = {.err = err, .errlen = errlen};
    sg_policy_settings_source(p, &rd.name, &rd.lines);
    const json_t *server = sg_policy_section(p, "server"), *v;
    if (!server)
        return 0;
    if (sg_doc_check_keys(&rd, server, "server", keys) < 0 || read_dashboard(&rd, server, s) < 0)
        return -1;
    if (sg_doc_get_typed(&rd, server, "address", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->address = json_string_value(v);
    if (sg_doc_get_typed(&rd, server, "stateDir", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->state_dir = json_string_value(v);
    if (read_sync_tls(&rd, server, s) < 0)
        return -1;
    return read_policy_reports(&rd, server, s);
}

int sg_webhook_settings_check(const struct sg_policy *p, char *err, size_t errlen)
{
    wh_settings s;
    return wh_settings_read(p, &s, err, errlen);
}
