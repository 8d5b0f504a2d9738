/*
 * settings.c - load the settings file into an immutable sg_policy.
 *
 * Everything a request needs is decided here, once: which standards are
 * enabled, which recommendations (compiled by catalog_compile.c with their
 * entries of the settings), the exemptions, the score gate and the server
 * settings. A typo must never silently weaken a policy, so unknown keys,
 * unknown recommendation ids and wrong types are errors that name the file
 * and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/doc.h>

#include "internal_settings.h"

extern const char pol_builtin_rules[];
extern const size_t pol_builtin_rules_len;

#define DEFAULT_ADDRESS ":8443"
#define DEFAULT_STATE_DIR "./scoregate-state"
#define DEFAULT_DASHBOARD_ADDRESS "127.0.0.1:8080"
#define DEFAULT_HISTORY_NAME "scoregate-history"
#define DEFAULT_REPORTS_INTERVAL 60
#define MAX_REPORTS_INTERVAL (24 * 3600)

static int load_standards(const pol_loader *ld, sg_policy *p, const sg_policy_options *opts)
{
    static const char *const known[] = {"mcsb", "pss-baseline", "pss-restricted", NULL};
    const json_t *given;
    if (pol_string_list(ld, p->config, "standards", "the settings", &given) < 0)
        return -1;
    p->standards = json_array();
    if (!given)
        json_array_append_new(p->standards, json_string("mcsb"));
    size_t i;
    const json_t *s;
    if (given)
        json_array_foreach(given, i, s)
            json_array_append(p->standards, (json_t *)s);
    for (i = 0; opts && i < opts->n_extra_standards; i++)
        json_array_append_new(p->standards, json_string(opts->extra_standards[i]));
    json_array_foreach(p->standards, i, s) {
        size_t k;
        for (k = 0; known[k]; k++)
            if (!strcmp(known[k], json_string_value(s)))
                break;
        if (!known[k])
            return pol_fail(ld, p->config, "standards", s,
                            "unknown standard '%s' (expected mcsb, pss-baseline or pss-restricted)",
                            json_string_value(s));
    }
    /* No standard and no custom rule would check nothing at all: say so, not by an empty list. */
    const json_t *custom = json_object_get(p->config, "custom");
    if (!json_array_size(p->standards) && !json_array_size(custom))
        return pol_fail(ld, p->config, "standards", NULL, "standards is empty and there are no custom "
                        "recommendations, so nothing would be checked; to switch a recommendation off, give it "
                        "action: disabled");
    /* The restricted profile includes the baseline one, as in Kubernetes. */
    if (sg_policy_standard_enabled(p, "pss-restricted") && !sg_policy_standard_enabled(p, "pss-baseline"))
        json_array_append_new(p->standards, json_string("pss-baseline"));
    return 0;
}
/* The sections defaults, recommendations and custom; every id in recommendations must exist. */
static int load_recommendations(const pol_loader *ld, const pol_loader *builtin_ld, sg_policy *p)
{
    sg_action default_action = SG_ACTION_WARN;
    const json_t *defaults, *settings, *custom;
    if (pol_get_typed(ld, p->config, "defaults", JSON_OBJECT, false, "the settings", &defaults) < 0 ||
        pol_get_typed(ld, p->config, "recommendations", JSON_OBJECT, false, "the settings", &settings) < 0 ||
        pol_get_typed(ld, p->config, "custom", JSON_ARRAY, false, "the settings", &custom) < 0)
        return -1;
    if (defaults) {
        static const char *const keys[] = {"action", NULL};
        if (pol_check_keys(ld, defaults, "defaults", keys) < 0 ||
            pol_parse_action(ld, defaults, "defaults", &default_action) < 0)
            return -1;
    }
    if (pol_compile_catalog(ld, builtin_ld, p, settings, custom, default_action) < 0)
        return -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)settings, key, v)
        if (sg_policy_rec_index(p, key) < 0)
            return pol_fail(ld, settings, key, NULL, "unknown recommendation '%s' (see 'scoregate catalog')", key);
    return 0;
}

static int load_exemptions(const pol_loader *ld, sg_policy *p)
{
    const json_t *list;
    if (pol_get_typed(ld, p->config, "exemptions", JSON_ARRAY, false, "the settings", &list) < 0 || !list)
        return 0;
    p->exemptions = sg_calloc(json_array_size(list) + 1, sizeof *p->exemptions);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        static const char *const keys[] = {"name", "recommendations", "match", "category", "expires",
                                           "justification", NULL};
        static const char *const match_keys[] = {"namespaces", "kinds", "names", "labelSelector", NULL};
        if (!json_is_object(e))
            return pol_fail(ld, list, NULL, e, "each exemption must be a mapping");
        pol_exemption *x = &p->exemptions[p->nexemptions++];
        const json_t *v, *match;
        if (pol_check_keys(ld, e, "an exemption", keys) < 0 ||
            pol_get_typed(ld, e, "name", JSON_STRING, true, "an exemption", &v) < 0)
            return -1;
        x->info.name = json_string_value(v);
        const char *where = x->info.name;
        if (pol_string_list(ld, e, "recommendations", where, &x->recommendations) < 0)
            return -1;
        if (!x->recommendations || !json_array_size(x->recommendations))
            return pol_fail(ld, e, NULL, NULL, "exemption %s needs 'recommendations' (a list of ids)", where);
        size_t k;
        const json_t *id;
        json_array_foreach(x->recommendations, k, id)
            if (sg_policy_rec_index(p, json_string_value(id)) < 0)
                return pol_fail(ld, e, "recommendations", id, "exemption %s names unknown recommendation '%s'", where,
                                json_string_value(id));
        if (pol_get_typed(ld, e, "category", JSON_STRING, true, where, &v) < 0)
            return -1;
        if (!strcmp(json_string_value(v), "waiver"))
            x->info.category = SG_EXEMPT_WAIVER;
        else if (!strcmp(json_string_value(v), "mitigated"))
            x->info.category = SG_EXEMPT_MITIGATED;
        else
            return pol_fail(ld, e, "category", v, "category of exemption %s must be waiver or mitigated", where);
        if (pol_get_typed(ld, e, "expires", JSON_STRING, false, where, &v) < 0)
            return -1;
        if (v && sg_time_parse_rfc3339(json_string_value(v), &x->info.expires) < 0)
            return pol_fail(ld, e, "expires", v, "expires of exemption %s: '%s' is not an RFC 3339 time such as "
                            "2027-03-31T00:00:00Z", where, json_string_value(v));
        if (pol_get_typed(ld, e, "justification", JSON_STRING, false, where, &v) < 0)
            return -1;
        x->info.justification = v ? json_string_value(v) : NULL;
        x->info.recommendations = x->recommendations;
        if (pol_get_typed(ld, e, "match", JSON_OBJECT, false, where, &match) < 0)
            return -1;
        /* An exemption without match would exempt every resource: that must be said, as match: {}. */
        if (!match)
            return pol_fail(ld, e, NULL, NULL, "exemption %s has no 'match', so it would exempt every resource in the "
                            "cluster; write match: {} if that is meant, or name namespaces, kinds, names or a "
                            "labelSelector", where);
        x->info.match = match;
        if (match) {
            if (pol_check_keys(ld, match, "match", match_keys) < 0 ||
                pol_string_list(ld, match, "namespaces", where, &x->namespaces) < 0 ||
                pol_string_list(ld, match, "kinds", where, &x->kinds) < 0 ||
                pol_kinds_compile(ld, p, match, "kinds", where, &x->gks) < 0 ||
                pol_string_list(ld, match, "names", where, &x->names) < 0 ||
                pol_get_typed(ld, match, "labelSelector", JSON_OBJECT, false, where, &x->selector) < 0)
                return -1;
            char serr[256];
            if (x->selector && pol_selector_check(x->selector, serr, sizeof serr) < 0)
                return pol_fail(ld, match, "labelSelector", x->selector, "exemption %s: %s", where, serr);
        }
    }
    return 0;
}

static int number_setting(const pol_loader *ld, const json_t *obj, const char *key, double *out)
{
    const json_t *v;
    *out = -1;
    if (pol_get_typed(ld, obj, key, JSON_REAL, false, "scoreGate", &v) < 0)
        return -1;
    if (v) {
        *out = json_number_value(v);
        if (*out < 0 || *out > 100)
            return pol_fail(ld, obj, key, v, "scoreGate %s must be between 0 and 100", key);
    }
    return 0;
}

/* server.dashboard and server.history: strings and a boolean, checked where they are used. */
static int load_dashboard(const pol_loader *ld, const json_t *server, sg_server_settings *s)
{
    static const char *const dash_keys[] = {"address", "tls", "clientCAFile", NULL};
    static const char *const hist_keys[] = {"namespace", "name", NULL};
    const json_t *dash, *hist, *v;
    if (pol_get_typed(ld, server, "dashboard", JSON_OBJECT, false, "server", &dash) < 0 ||
        (dash && pol_check_keys(ld, dash, "server.dashboard", dash_keys) < 0) ||
        pol_get_typed(ld, server, "history", JSON_OBJECT, false, "server", &hist) < 0 ||
        (hist && pol_check_keys(ld, hist, "server.history", hist_keys) < 0))
        return -1;
    if (dash && pol_get_typed(ld, dash, "address", JSON_STRING, false, "server.dashboard", &v) < 0)
        return -1;
    if (dash && v)
        s->dashboard_address = json_string_value(v);
    if (dash && pol_get_typed(ld, dash, "tls", JSON_TRUE, false, "server.dashboard", &v) < 0)
        return -1;
    s->dashboard_tls = dash && json_is_true(v);
    if (dash && pol_get_typed(ld, dash, "clientCAFile", JSON_STRING, false, "server.dashboard", &v) < 0)
        return -1;
    s->dashboard_client_ca_file = dash && v && json_string_length(v) ? json_string_value(v) : NULL;
    if (s->dashboard_client_ca_file && !s->dashboard_tls)
        return pol_fail(ld, dash, "clientCAFile", NULL,
                        "server.dashboard.clientCAFile needs server.dashboard.tls: true");
    const char *names[] = {"namespace", "name"};
    const char **slots[] = {&s->history_namespace, &s->history_name};
    for (int i = 0; hist && i < 2; i++) {
        if (pol_get_typed(ld, hist, names[i], JSON_STRING, false, "server.history", &v) < 0)
            return -1;
        if (v && json_string_length(v))
            *slots[i] = json_string_value(v);
    }
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
 * the sync: enabled without it would write nothing, which is said at load. */
static int load_policy_reports(const pol_loader *ld, const json_t *server, sg_server_settings *s)
{
    static const char *const keys[] = {"enabled", "interval", NULL};
    const json_t *pr, *v;
    s->policy_reports_interval = DEFAULT_REPORTS_INTERVAL;
    if (pol_get_typed(ld, server, "policyReports", JSON_OBJECT, false, "server", &pr) < 0)
        return -1;
    if (!pr)
        return 0;
    if (pol_check_keys(ld, pr, "server.policyReports", keys) < 0 ||
        pol_get_typed(ld, pr, "enabled", JSON_TRUE, false, "server.policyReports", &v) < 0)
        return -1;
    s->policy_reports = json_is_true(v);
    v = json_object_get(pr, "interval");
    if (v && !json_is_null(v)) {
        long secs = json_is_string(v) ? parse_duration(json_string_value(v)) : -1;
        if (secs < 1 || secs > MAX_REPORTS_INTERVAL)
            return pol_fail(ld, pr, "interval", v, "server.policyReports.interval must be a duration from 1s to 24h "
                            "such as 60s, 5m or 1h30m (got %s)", json_is_string(v) ? json_string_value(v)
                                                                                  : pol_type_name(v));
        s->policy_reports_interval = (unsigned)secs;
    }
    if (s->policy_reports && !s->inventory_sync)
        return pol_fail(ld, pr, "enabled", NULL, "server.policyReports needs server.inventorySync.enabled: true (the "
                        "reports are written from the inventory the sync keeps)");
    return 0;
}

static int load_server(const pol_loader *ld, sg_policy *p)
{
    static const char *const keys[] = {"address", "stateDir", "tls", "inventorySync", "dashboard", "history",
                                       "policyReports", NULL};
    static const char *const tls_keys[] = {"certFile", "keyFile", "clientCAFile", NULL};
    static const char *const sync_keys[] = {"enabled", "kubeconfig", NULL};
    static const char *const gate_keys[] = {"minScore", "maxDrop", NULL};
    sg_server_settings *s = &p->server;
    s->address = DEFAULT_ADDRESS;
    s->state_dir = DEFAULT_STATE_DIR;
    s->dashboard_address = DEFAULT_DASHBOARD_ADDRESS;
    s->history_name = DEFAULT_HISTORY_NAME;
    s->policy_reports_interval = DEFAULT_REPORTS_INTERVAL;
    const json_t *server, *tls, *gate, *v;
    if (pol_get_typed(ld, p->config, "scoreGate", JSON_OBJECT, false, "the settings", &gate) < 0)
        return -1;
    s->min_score = s->max_drop = -1;
    if (gate && (pol_check_keys(ld, gate, "scoreGate", gate_keys) < 0 ||
                 number_setting(ld, gate, "minScore", &s->min_score) < 0 ||
                 number_setting(ld, gate, "maxDrop", &s->max_drop) < 0))
        return -1;
    if (pol_get_typed(ld, p->config, "server", JSON_OBJECT, false, "the settings", &server) < 0 || !server)
        return 0;
    if (pol_check_keys(ld, server, "server", keys) < 0 || load_dashboard(ld, server, s) < 0)
        return -1;
    if (pol_get_typed(ld, server, "address", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->address = json_string_value(v);
    if (pol_get_typed(ld, server, "stateDir", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->state_dir = json_string_value(v);
    const json_t *sync;
    if (pol_get_typed(ld, server, "inventorySync", JSON_OBJECT, false, "server", &sync) < 0)
        return -1;
    if (sync && (pol_check_keys(ld, sync, "server.inventorySync", sync_keys) < 0 ||
                 pol_get_typed(ld, sync, "enabled", JSON_TRUE, false, "server.inventorySync", &v) < 0))
        return -1;
    s->inventory_sync = sync && json_is_true(v);
    if (sync && pol_get_typed(ld, sync, "kubeconfig", JSON_STRING, false, "server.inventorySync", &v) < 0)
        return -1;
    s->kubeconfig = sync && v && json_string_length(v) ? json_string_value(v) : NULL;
    if (load_policy_reports(ld, server, s) < 0 ||
        pol_get_typed(ld, server, "tls", JSON_OBJECT, false, "server", &tls) < 0)
        return -1;
    if (!tls)
        return 0;
    if (pol_check_keys(ld, tls, "server.tls", tls_keys) < 0)
        return -1;
    const char *names[] = {"certFile", "keyFile", "clientCAFile"};
    const char **slots[] = {&s->cert_file, &s->key_file, &s->client_ca_file};
    for (int i = 0; i < 3; i++) {
        if (pol_get_typed(ld, tls, names[i], JSON_STRING, false, "server.tls", &v) < 0)
            return -1;
        *slots[i] = v && json_string_length(v) ? json_string_value(v) : NULL;
    }
    if (!s->cert_file != !s->key_file)
        return pol_fail(ld, server, "tls", tls, "server.tls needs both certFile and keyFile (or neither)");
    return 0;
}

static int load_all(sg_policy *p, const char *name, const sg_linemap *lines, const sg_policy_options *opts,
                    char *err, size_t errlen)
{
    pol_loader ld = {name, lines, err, errlen};
    static const char *const top_keys[] = {"standards", "excludedNamespaces", "defaults", "recommendations",
                                           "exemptions", "scoreGate", "server", "custom", "podControllers", NULL};
    if (pol_check_keys(&ld, p->config, "the settings", top_keys) < 0 || pol_load_controllers(&ld, p) < 0)
        return -1;
    if (load_standards(&ld, p, opts) < 0)
        return -1;
    if (pol_string_list(&ld, p->config, "excludedNamespaces", "the settings", &p->excluded_namespaces) < 0)
        return -1;
    if (!p->excluded_namespaces) {
        p->default_excluded = json_pack("[ss]", "kube-system", POL_OWN_NAMESPACE);
        p->excluded_namespaces = p->default_excluded;
    }
    sg_linemap *builtin_lines = NULL;
    json_t *docs = NULL;
    if (sg_yaml_load("built-in catalog", pol_builtin_rules, pol_builtin_rules_len, &docs, NULL, &builtin_lines, err,
                     errlen) < 0)
        return -1;
    p->builtin = docs;
    pol_loader bld = {"built-in catalog", builtin_lines, err, errlen};
    int rc = load_recommendations(&ld, &bld, p);
    sg_linemap_free(builtin_lines);
    if (rc < 0 || load_exemptions(&ld, p) < 0 || load_server(&ld, p) < 0 ||
        pol_apply_fix_set(p, opts, err, errlen) < 0)
        return -1;
    return 0;
}

int sg_policy_load_buffer(const char *name, const char *data, size_t len, const sg_policy_options *opts,
                          sg_policy **out, char *err, size_t errlen)
{
    *out = NULL;
    sg_policy *p = sg_calloc(1, sizeof *p);
    sg_linemap *lines = NULL;
    if (data) {
        json_t *docs;
        if (sg_yaml_load(name, data, len, &docs, NULL, &lines, err, errlen) < 0) {
            sg_policy_free(p);
            return -1;
        }
        if (json_array_size(docs) > 1) {
            snprintf(err, errlen, "%s: holds %zu YAML documents; the settings are one document", name,
                     json_array_size(docs));
            json_decref(docs);
            sg_linemap_free(lines);
            sg_policy_free(p);
            return -1;
        }
        p->config = json_incref(json_array_get(docs, 0));
        json_decref(docs);
        if (p->config && !json_is_object(p->config)) {
            snprintf(err, errlen, "%s: the settings must be a mapping, not %s", name, pol_type_name(p->config));
            sg_linemap_free(lines);
            sg_policy_free(p);
            return -1;
        }
    }
    if (!p->config)
        p->config = json_object();
    int rc = load_all(p, name ? name : "defaults", lines, opts, err, errlen);
    sg_linemap_free(lines);
    if (rc < 0) {
        sg_policy_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int sg_policy_load(const sg_policy_options *opts, sg_policy **out, char *err, size_t errlen)
{
    const char *path = opts ? opts->config_path : NULL;
    if (!path)
        return sg_policy_load_buffer(NULL, NULL, 0, opts, out, err, errlen);
    char *data;
    size_t len;
    if (sg_file_read(path, SG_MAX_INPUT, &data, &len, err, errlen) < 0)
        return -1;
    int rc = sg_policy_load_buffer(sg_file_name(path), data, len, opts, out, err, errlen);
    free(data);
    return rc;
}

void sg_policy_free(sg_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nrecs; i++)
        pol_rec_free(&p->recs[i]);
    free(p->recs);
    for (size_t i = 0; i < p->nexemptions; i++)
        pol_kinds_free(&p->exemptions[i].gks);
    free(p->exemptions);
    pol_controllers_free(p);
    json_decref(p->standards);
    json_decref(p->default_excluded);
    json_decref(p->builtin);
    json_decref(p->config);
    free(p);
}
