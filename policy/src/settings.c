/*
 * settings.c - load the settings file into an immutable sg_policy.
 *
 * Everything a request needs is decided here, once: which standards are
 * enabled, which recommendations (compiled by catalog_compile.c with their
 * entries of the settings), the exemptions and the score gate. The `server`
 * section is the webhook's own (webhook/src/server_settings.c reads it, with
 * the name and line map kept here). A typo must never silently weaken a policy, so unknown keys,
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

static int load_standards(const sg_doc_reader *ld, sg_policy *p, const sg_policy_options *opts)
{
    static const char *const known[] = {"mcsb", "pss-baseline", "pss-restricted", NULL};
    const json_t *given;
    if (sg_doc_string_list(ld, p->config, "standards", "the settings", &given) < 0)
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
            return sg_doc_fail(ld, p->config, "standards", s,
                               "unknown standard '%s' (expected mcsb, pss-baseline or pss-restricted)",
                               json_string_value(s));
    }
    /* No standard and no custom rule would check nothing at all: say so, not by an empty list. */
    const json_t *custom = json_object_get(p->config, "custom");
    if (!json_array_size(p->standards) && !json_array_size(custom))
        return sg_doc_fail(ld, p->config, "standards", NULL, "standards is empty and there are no custom "
                           "recommendations, so nothing would be checked; to switch a recommendation off, give it "
                           "action: disabled");
    /* The restricted profile includes the baseline one, as in Kubernetes. */
    if (sg_policy_standard_enabled(p, "pss-restricted") && !sg_policy_standard_enabled(p, "pss-baseline"))
        json_array_append_new(p->standards, json_string("pss-baseline"));
    return 0;
}
/* The sections defaults, recommendations and custom; every id in recommendations must exist. */
static int load_recommendations(const sg_doc_reader *ld, const sg_doc_reader *builtin_ld, sg_policy *p)
{
    sg_action default_action = SG_ACTION_WARN;
    const json_t *defaults, *settings, *custom;
    if (sg_doc_get_typed(ld, p->config, "defaults", JSON_OBJECT, false, "the settings", &defaults) < 0 ||
        sg_doc_get_typed(ld, p->config, "recommendations", JSON_OBJECT, false, "the settings", &settings) < 0 ||
        sg_doc_get_typed(ld, p->config, "custom", JSON_ARRAY, false, "the settings", &custom) < 0)
        return -1;
    if (defaults) {
        static const char *const keys[] = {"action", NULL};
        if (sg_doc_check_keys(ld, defaults, "defaults", keys) < 0 ||
            pol_parse_action(ld, defaults, "defaults", &default_action) < 0)
            return -1;
    }
    if (pol_compile_catalog(ld, builtin_ld, p, settings, custom, default_action) < 0)
        return -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)settings, key, v)
        if (sg_policy_rec_index(p, key) < 0)
            return sg_doc_fail(ld, settings, key, NULL, "unknown recommendation '%s' (see 'scoregate catalog')", key);
    return 0;
}

static int load_exemptions(const sg_doc_reader *ld, sg_policy *p)
{
    const json_t *list;
    if (sg_doc_get_typed(ld, p->config, "exemptions", JSON_ARRAY, false, "the settings", &list) < 0 || !list)
        return 0;
    p->exemptions = sg_calloc(json_array_size(list) + 1, sizeof *p->exemptions);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        static const char *const keys[] = {"name", "recommendations", "match", "category", "expires",
                                           "justification", NULL};
        static const char *const match_keys[] = {"namespaces", "kinds", "names", "labelSelector", NULL};
        if (!json_is_object(e))
            return sg_doc_fail(ld, list, NULL, e, "each exemption must be a mapping");
        pol_exemption *x = &p->exemptions[p->nexemptions++];
        const json_t *v, *match;
        if (sg_doc_check_keys(ld, e, "an exemption", keys) < 0 ||
            sg_doc_get_typed(ld, e, "name", JSON_STRING, true, "an exemption", &v) < 0)
            return -1;
        x->info.name = json_string_value(v);
        const char *where = x->info.name;
        if (sg_doc_string_list(ld, e, "recommendations", where, &x->recommendations) < 0)
            return -1;
        if (!x->recommendations || !json_array_size(x->recommendations))
            return sg_doc_fail(ld, e, NULL, NULL, "exemption %s needs 'recommendations' (a list of ids)", where);
        size_t k;
        const json_t *id;
        json_array_foreach(x->recommendations, k, id)
            if (sg_policy_rec_index(p, json_string_value(id)) < 0)
                return sg_doc_fail(ld, e, "recommendations", id, "exemption %s names unknown recommendation '%s'",
                                   where, json_string_value(id));
        if (sg_doc_get_typed(ld, e, "category", JSON_STRING, true, where, &v) < 0)
            return -1;
        if (!strcmp(json_string_value(v), "waiver"))
            x->info.category = SG_EXEMPT_WAIVER;
        else if (!strcmp(json_string_value(v), "mitigated"))
            x->info.category = SG_EXEMPT_MITIGATED;
        else
            return sg_doc_fail(ld, e, "category", v, "category of exemption %s must be waiver or mitigated", where);
        if (sg_doc_get_typed(ld, e, "expires", JSON_STRING, false, where, &v) < 0)
            return -1;
        if (v && sg_time_parse_rfc3339(json_string_value(v), &x->info.expires) < 0)
            return sg_doc_fail(ld, e, "expires", v, "expires of exemption %s: '%s' is not an RFC 3339 time such as "
                               "2027-03-31T00:00:00Z", where, json_string_value(v));
        if (sg_doc_get_typed(ld, e, "justification", JSON_STRING, false, where, &v) < 0)
            return -1;
        x->info.justification = v ? json_string_value(v) : NULL;
        x->info.recommendations = x->recommendations;
        if (sg_doc_get_typed(ld, e, "match", JSON_OBJECT, false, where, &match) < 0)
            return -1;
        /* An exemption without match would exempt every resource: that must be said, as match: {}. */
        if (!match)
            return sg_doc_fail(ld, e, NULL, NULL, "exemption %s has no 'match', so it would exempt every resource in "
                               "the cluster; write match: {} if that is meant, or name namespaces, kinds, names or a "
                               "labelSelector", where);
        x->info.match = match;
        if (match) {
            if (sg_doc_check_keys(ld, match, "match", match_keys) < 0 ||
                sg_doc_string_list(ld, match, "namespaces", where, &x->namespaces) < 0 ||
                sg_doc_string_list(ld, match, "kinds", where, &x->kinds) < 0 ||
                pol_kinds_compile(ld, p, match, "kinds", where, &x->gks) < 0 ||
                sg_doc_string_list(ld, match, "names", where, &x->names) < 0 ||
                sg_doc_get_typed(ld, match, "labelSelector", JSON_OBJECT, false, where, &x->selector) < 0)
                return -1;
            char serr[256];
            if (x->selector && pol_selector_check(x->selector, serr, sizeof serr) < 0)
                return sg_doc_fail(ld, match, "labelSelector", x->selector, "exemption %s: %s", where, serr);
        }
    }
    return 0;
}

static int number_setting(const sg_doc_reader *ld, const json_t *obj, const char *key, double *out)
{
    const json_t *v;
    *out = -1;
    if (sg_doc_get_typed(ld, obj, key, JSON_REAL, false, "scoreGate", &v) < 0)
        return -1;
    if (v) {
        *out = json_number_value(v);
        if (*out < 0 || *out > 100)
            return sg_doc_fail(ld, obj, key, v, "scoreGate %s must be between 0 and 100", key);
    }
    return 0;
}

/* scoreGate: the limits the admission decision holds predictions to. The `server` section is the
 * webhook's (it reads it itself, through sg_policy_section): here only its type is checked. */
static int load_gate(const sg_doc_reader *ld, sg_policy *p)
{
    static const char *const gate_keys[] = {"minScore", "maxDrop", NULL};
    sg_score_gate_settings *g = &p->gate;
    const json_t *gate, *server;
    g->min_score = g->max_drop = -1;
    if (sg_doc_get_typed(ld, p->config, "scoreGate", JSON_OBJECT, false, "the settings", &gate) < 0)
        return -1;
    if (gate && (sg_doc_check_keys(ld, gate, "scoreGate", gate_keys) < 0 ||
                 number_setting(ld, gate, "minScore", &g->min_score) < 0 ||
                 number_setting(ld, gate, "maxDrop", &g->max_drop) < 0))
        return -1;
    return sg_doc_get_typed(ld, p->config, "server", JSON_OBJECT, false, "the settings", &server);
}

static int load_all(sg_policy *p, const char *name, const sg_linemap *lines, const sg_policy_options *opts,
                    char *err, size_t errlen)
{
    sg_doc_reader ld = {name, lines, err, errlen};
    static const char *const top_keys[] = {"standards", "excludedNamespaces", "defaults", "recommendations",
                                           "exemptions", "scoreGate", "server", "custom", "podControllers", NULL};
    if (sg_doc_check_keys(&ld, p->config, "the settings", top_keys) < 0 || pol_load_controllers(&ld, p) < 0)
        return -1;
    if (load_standards(&ld, p, opts) < 0)
        return -1;
    if (sg_doc_string_list(&ld, p->config, "excludedNamespaces", "the settings", &p->excluded_namespaces) < 0)
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
    sg_doc_reader bld = {"built-in catalog", builtin_lines, err, errlen};
    int rc = load_recommendations(&ld, &bld, p);
    sg_linemap_free(builtin_lines);
    if (rc < 0 || load_exemptions(&ld, p) < 0 || load_gate(&ld, p) < 0 ||
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
            snprintf(err, errlen, "%s: the settings must be a mapping, not %s", name, sg_doc_type_name(p->config));
            sg_linemap_free(lines);
            sg_policy_free(p);
            return -1;
        }
    }
    if (!p->config)
        p->config = json_object();
    /* Kept for the sections other modules read (sg_policy_section): their messages name lines too. */
    p->name = sg_strdup(name ? name : "defaults");
    p->lines = lines;
    int rc = load_all(p, p->name, lines, opts, err, errlen);
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
    sg_linemap_free(p->lines);
    free(p->name);
    free(p);
}
