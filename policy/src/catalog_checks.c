/*
 * catalog_checks.c - what the loader checks once a recommendation is
 * compiled, so that nothing accepted is without effect: every declared
 * parameter is read by an expression, a common parameter given in the
 * settings can change a verdict, and the recommendation's `validate` rules
 * hold for the effective parameters.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal_settings.h"

/* Whether rule text reads parameter `name`: params.name, params['name'],
 * params["name"], or the whole params object in any other way. */
static bool text_reads_param(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, "params"); p; p = strstr(p + 6, "params")) {
        if (p > text && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
                         (p[-1] >= '0' && p[-1] <= '9')))
            continue;
        const char *q = p + 6;
        if (*q == '.' && !strncmp(q + 1, name, n) && !(q[1 + n] == '_' || isalnum((unsigned char)q[1 + n])))
            return true;
        if (*q == '[' && (q[1] == '\'' || q[1] == '"') && !strncmp(q + 2, name, n) && q[2 + n] == q[1])
            return true;
        if (*q != '.' && *q != '[' && !isalnum((unsigned char)*q) && *q != '_')
            return true;
        if (*q == '[' && q[1] != '\'' && q[1] != '"')
            return true;
    }
    return false;
}

static bool json_text_reads_param(const json_t *v, const char *name)
{
    if (json_is_string(v))
        return text_reads_param(json_string_value(v), name);
    size_t i;
    const char *key;
    const json_t *item;
    if (json_is_array(v))
        json_array_foreach(v, i, item)
            if (json_text_reads_param(item, name))
                return true;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key, item)
            if (json_text_reads_param(item, name))
                return true;
    return false;
}

/* Every parameter a rule declares must be read by it, or setting it would change nothing (the
 * common parameters, which it cannot declare, act before it runs). */
int pol_check_params_read(const sg_doc_reader *ld, const json_t *def, const pol_rec *r)
{
    static const char *const parts[] = {"let", "applies", "unhealthy", "message", "fix", NULL};
    const json_t *declared_in = json_object_get(def, "parameters");
    const char *key;
    const json_t *spec;
    json_object_foreach((json_t *)declared_in, key, spec) {
        if (pol_common_parameter(key))
            continue;   /* a new default of a common parameter, which acts before the rule runs */
        bool read = false;
        for (size_t i = 0; parts[i] && !read; i++)
            read = json_text_reads_param(json_object_get(def, parts[i]), key);
        if (!read)
            return sg_doc_fail(ld, NULL, NULL, spec, "parameter '%s' of %s is read by none of its expressions, so "
                               "setting it would change nothing", key, r->info.id);
    }
    return 0;
}

/* The common parameters act before the rule runs; where one cannot change a
 * verdict (excluded containers of a rule that never looks at containers,
 * namespaces of cluster-scoped kinds), setting it is an error. */
int pol_check_common_effect(const sg_doc_reader *ld, const json_t *given_params, const pol_rec *r)
{
    static const char *const container_params[] = {"excludedContainers", "excludedImages", NULL};
    static const char *const namespace_params[] = {"namespaces", "excludedNamespaces", NULL};
    bool object = !strcmp(r->info.scope, "object");
    bool pod_reads_containers = (pol_expr_reads(r->applies) | pol_expr_reads(r->unhealthy) |
                                 pol_template_reads(r->message)) & POL_READS_POD_CONTAINERS;
    for (size_t i = 0; container_params[i]; i++) {
        const json_t *v = json_object_get(given_params, container_params[i]);
        if (!json_array_size(v) || !strcmp(r->info.scope, "container") || (!object && pod_reads_containers))
            continue;
        return sg_doc_fail(ld, given_params, container_params[i], v, "%s has no effect on %s: it judges %s, not "
                           "containers", container_params[i], r->info.id,
                           object ? "whole objects (scope object)" : "only pod-level fields");
    }
    if (!object)
        return 0;
    for (size_t k = 0; k < r->gks.n; k++)
        if (!pol_kind_cluster_scoped(r->gks.items[k].group, r->gks.items[k].kind))
            return 0;
    for (size_t i = 0; namespace_params[i]; i++) {
        const json_t *v = json_object_get(given_params, namespace_params[i]);
        if (json_array_size(v))
            return sg_doc_fail(ld, given_params, namespace_params[i], v, "%s has no effect on %s: every kind it reads "
                               "is cluster-scoped", namespace_params[i], r->info.id);
    }
    return 0;
}

/* One `validate` entry: a condition over params only, true for every value
 * that can have its effect; false is a load error naming the parameter. */
static int check_validation(const sg_doc_reader *ld, const json_t *entry, const json_t *given_params, const pol_rec *r)
{
    static const char *const keys[] = {"rule", "message", "parameters", NULL};
    const json_t *names;
    pol_expr *rule = NULL;
    pol_template *message = NULL;
    if (!json_is_object(entry) || sg_doc_check_keys(ld, entry, "a validation", keys) < 0 ||
        sg_doc_string_list(ld, entry, "parameters", r->info.id, &names) < 0 ||
        pol_compile_part(ld, entry, "rule", true, r, &rule) < 0 ||
        pol_compile_template(ld, entry, "message", r, &message) < 0) {
        pol_expr_free(rule);
        return json_is_object(entry) ? -1
                                     : sg_doc_fail(ld, entry, NULL, entry, "each validation of %s must be a mapping",
                                                   r->info.id);
    }
    int rc = 0;
    if (!rule)
        rc = sg_doc_fail(ld, entry, NULL, NULL, "a validation of %s needs 'rule'", r->info.id);
    else if (pol_expr_reads(rule) & ~POL_READS_POD_CONTAINERS)
        rc = sg_doc_fail(ld, entry, "rule", NULL, "a validation of %s may read only params", r->info.id);
    pol_rule_ctx ctx;
    pol_rule_ctx_init(&ctx);
    if (rc == 0 && !pol_expr_test(rule, &ctx)) {
        char *text = pol_template_render(message, &ctx);
        const json_t *at = NULL;
        size_t i;
        const json_t *name;
        json_array_foreach(names, i, name)
            if (!at && json_object_get(given_params, json_string_value(name)))
                at = name;
        rc = at ? sg_doc_fail(ld, given_params, json_string_value(at), NULL, "parameters of %s: %s", r->info.id, text)
                : sg_doc_fail(ld, given_params ? given_params : entry, NULL, NULL, "parameters of %s: %s", r->info.id,
                              text);
        free(text);
    }
    pol_rule_ctx_free(&ctx);
    pol_expr_free(rule);
    pol_template_free(message);
    return rc;
}

int pol_check_validations(const sg_doc_reader *ld, const json_t *def, const json_t *given_params, const pol_rec *r)
{
    const json_t *list = json_object_get(def, "validate");
    if (list && !json_is_array(list))
        return sg_doc_fail(ld, def, "validate", list, "'validate' of %s must be a list", r->info.id);
    size_t i;
    const json_t *entry;
    json_array_foreach(list, i, entry)
        if (check_validation(ld, entry, given_params, r) < 0)
            return -1;
    return 0;
}
