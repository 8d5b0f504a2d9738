/*
 * catalog_compile.c - compile the catalog: every recommendation, built-in
 * and custom, with its entry of the settings, into a pol_rec.
 *
 * One recommendation is compiled in steps: its header (id, title, control,
 * severity, scope, kinds), its parameters (declared and effective), its
 * expressions (let, applies, unhealthy, message, fix), the checks that every
 * parameter can have its effect (catalog_checks.c), and its action from the
 * settings. Messages point at the settings file for what the user gave and
 * at the built-in catalog for what it defines.
 */
#include <stdlib.h>
#include <string.h>

#include "internal_settings.h"

/* The request path reads the common parameters through typed pointers, not by name. */
static const json_t *non_empty(const json_t *params, const char *name)
{
    const json_t *v = json_object_get(params, name);
    return (json_is_array(v) && json_array_size(v)) || (json_is_object(v) && json_object_size(v)) ? v : NULL;
}

static void resolve_common(pol_rec *r)
{
    r->excluded_namespaces = non_empty(r->params, "excludedNamespaces");
    r->namespaces = non_empty(r->params, "namespaces");
    r->selector = non_empty(r->params, "labelSelector");
    r->excluded_containers = non_empty(r->params, "excludedContainers");
    r->excluded_images = non_empty(r->params, "excludedImages");
}

static const char *const rec_keys[] = {"id", "title", "description", "severity", "control", "scope", "kinds",
                                       "parameters", "requires", "let", "applies", "unhealthy", "message",
                                       "remediation", "fix", "validate", "preview", "action", NULL};

/* The controls of docs/scoring.md that have Kubernetes recommendations: a
 * recommendation names one of them (custom ones too, though unscored). */
static const char *const known_controls[] = {"vulnerabilities", "security-configurations", "access",
                                             "data-in-transit", "network", "ddos", "best-practices", NULL};

static bool listed(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* Names a rule may not read in its scope: `container` and `containerType`
 * exist only in container scope, and `pod`/`podMetadata` are null for an
 * object-scope rule none of whose kinds has a pod template. */
static int check_scope_reads(const sg_doc_reader *ld, const json_t *obj, const char *key, unsigned reads,
                             const pol_rec *r)
{
    static const unsigned container_vars = POL_READS_VAR(POL_VAR_CONTAINER) | POL_READS_VAR(POL_VAR_CONTAINER_TYPE);
    static const unsigned pod_vars = POL_READS_VAR(POL_VAR_POD) | POL_READS_VAR(POL_VAR_POD_METADATA);
    if (strcmp(r->info.scope, "container") && (reads & container_vars))
        return sg_doc_fail(ld, obj, key, NULL, "'%s' of %s reads container or containerType, which only a "
                           "container-scope rule has (this one has scope %s)", key, r->info.id, r->info.scope);
    if (!strcmp(r->info.scope, "object") && (reads & pod_vars)) {
        for (size_t i = 0; i < r->gks.n; i++)
            if (pol_workload_def_of(r->policy, r->gks.items[i].group, r->gks.items[i].kind))
                return 0;
        return sg_doc_fail(ld, obj, key, NULL, "'%s' of %s reads pod or podMetadata, which are null for every kind "
                           "it reads (none of them has a pod template)", key, r->info.id);
    }
    return 0;
}

/* An expression used as a condition must be able to give a boolean: only
 * true is true, so a string or a number there would never fire. */
static int check_condition(const sg_doc_reader *ld, const json_t *obj, const char *key, const pol_expr *e,
                           const pol_rec *r)
{
    const char *type = pol_expr_static_type(e);
    if (type && strcmp(type, "bool"))
        return sg_doc_fail(ld, obj, key, NULL, "'%s' of %s must be a condition (true or false), but it always gives %s",
                           key, r->info.id, type);
    return 0;
}

/* Compile obj[key] (a condition unless `value`), checking what it reads. */
int pol_compile_part(const sg_doc_reader *ld, const json_t *obj, const char *key, bool condition, const pol_rec *r,
                     pol_expr **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return sg_doc_fail(ld, obj, key, v, "'%s' of %s must be an expression (a string)", key, r->info.id);
    char cerr[300];
    *out = pol_expr_compile(json_string_value(v), r->params, json_object_get(r->def, "let"), cerr, sizeof cerr);
    if (!*out)
        return sg_doc_fail(ld, obj, key, v, "'%s' of %s: %s", key, r->info.id, cerr);
    if (check_scope_reads(ld, obj, key, pol_expr_reads(*out), r) < 0)
        return -1;
    return condition ? check_condition(ld, obj, key, *out, r) : 0;
}

int pol_compile_template(const sg_doc_reader *ld, const json_t *obj, const char *key, const pol_rec *r,
                         pol_template **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!json_is_string(v))
        return sg_doc_fail(ld, obj, key, v, "'%s' of %s must be a text (with ${expression} parts)", key, r->info.id);
    char cerr[300];
    *out = pol_template_compile(json_string_value(v), r->params, json_object_get(r->def, "let"), cerr, sizeof cerr);
    if (!*out)
        return sg_doc_fail(ld, obj, key, v, "%s of %s: %s", key, r->info.id, cerr);
    return check_scope_reads(ld, obj, key, pol_template_reads(*out), r);
}

/* One fix operation: set (with value), remove, or fail (with when). */
static int compile_fix_op(const sg_doc_reader *ld, const json_t *op, pol_rec *r, pol_fix_op *f)
{
    static const char *const keys[] = {"when", "set", "value", "remove", "fail", NULL};
    if (sg_doc_check_keys(ld, op, "a fix", keys) < 0)
        return -1;
    const json_t *set = json_object_get(op, "set"), *rem = json_object_get(op, "remove");
    const json_t *fail = json_object_get(op, "fail");
    if ((json_is_string(set) + json_is_string(rem) + json_is_string(fail)) != 1)
        return sg_doc_fail(ld, op, NULL, NULL, "a fix of %s names one of 'set' (with 'value'), 'remove' or 'fail' "
                           "(with 'when')", r->info.id);
    if (pol_compile_part(ld, op, "when", true, r, &f->when) < 0)
        return -1;
    if (fail) {
        if (!f->when)
            return sg_doc_fail(ld, op, "fail", NULL, "a 'fail' of a fix of %s needs 'when' (the condition under which "
                               "the fix cannot apply)", r->info.id);
        return pol_compile_template(ld, op, "fail", r, &f->fail);
    }
    char cerr[300];
    f->remove = json_is_string(rem);
    f->path = pol_path_compile(json_string_value(f->remove ? rem : set), r->params, json_object_get(r->def, "let"),
                               cerr, sizeof cerr);
    if (!f->path)
        return sg_doc_fail(ld, op, f->remove ? "remove" : "set", NULL, "fix of %s: %s", r->info.id, cerr);
    if (check_scope_reads(ld, op, f->remove ? "remove" : "set", pol_path_reads(f->path), r) < 0)
        return -1;
    if (f->remove)
        return 0;
    const json_t *value = json_object_get(op, "value");
    if (!value)
        return sg_doc_fail(ld, op, NULL, NULL, "a fix of %s that sets a field needs 'value'", r->info.id);
    if (!json_is_string(value)) {
        f->value_const = json_deep_copy(value);
        return 0;
    }
    return pol_compile_part(ld, op, "value", false, r, &f->value);
}

static int compile_fix(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    const json_t *fix = json_object_get(def, "fix");
    if (!fix)
        return 0;
    if (!json_is_array(fix))
        return sg_doc_fail(ld, def, "fix", fix, "'fix' of %s must be a list", r->info.id);
    r->fix = sg_calloc(json_array_size(fix) + 1, sizeof *r->fix);
    size_t i;
    const json_t *op;
    json_array_foreach(fix, i, op) {
        if (!json_is_object(op))
            return sg_doc_fail(ld, def, "fix", op, "each fix of %s must be a mapping", r->info.id);
        pol_fix_op *f = &r->fix[r->nfix++];
        if (compile_fix_op(ld, op, r, f) < 0)
            return -1;
        r->info.has_fix = r->info.has_fix || !f->fail;
    }
    r->info.fix = fix;
    return 0;
}

static bool valid_id(const char *id)
{
    if (!*id || *id == '-')
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    return strlen(id) <= 63;
}

static int parse_severity(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    static const char *const names[] = {"low", "medium", "high"};
    const json_t *v;
    if (sg_doc_get_typed(ld, def, "severity", JSON_STRING, true, r->info.id, &v) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            r->info.severity = (sg_severity)i;
            return 0;
        }
    return sg_doc_fail(ld, def, "severity", v, "severity of %s must be low, medium or high", r->info.id);
}

/* Pod and container checks read pod templates: every kind they name must have one. */
static int compile_kinds(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    if (sg_doc_string_list(ld, def, "kinds", r->info.id, &r->kinds) < 0 ||
        pol_kinds_compile(ld, r->policy, def, "kinds", r->info.id, &r->gks) < 0)
        return -1;
    if (!strcmp(r->info.scope, "object")) {
        if (!r->kinds || !json_array_size(r->kinds))
            return sg_doc_fail(ld, def, "scope", NULL, "%s has scope object, so it needs 'kinds'", r->info.id);
        return 0;
    }
    if (r->kinds && !json_array_size(r->kinds))
        return sg_doc_fail(ld, def, "kinds", r->kinds, "'kinds' of %s is empty, so it would never run (leave it out "
                           "to check every workload kind)", r->info.id);
    size_t i;
    const json_t *k;
    json_array_foreach(r->kinds, i, k)
        if (!pol_workload_def_of(r->policy, r->gks.items[i].group, r->gks.items[i].kind))
            return sg_doc_fail(ld, def, "kinds", k, "%s has scope %s, but kind '%s' has no pod template, so it would "
                               "never run there (workload kinds: Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, "
                               "Job, CronJob, ReplicationController, PodTemplate, and the pod controllers)", r->info.id,
                               r->info.scope, json_string_value(k));
    return 0;
}

/* Identity and shape: id, title, control, remediation, severity, scope, kinds, preview. */
static int compile_header(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    const json_t *v;
    if (sg_doc_check_keys(ld, def, "a recommendation", rec_keys) < 0 ||
        sg_doc_get_typed(ld, def, "id", JSON_STRING, true, "a recommendation", &v) < 0)
        return -1;
    r->info.id = json_string_value(v);
    if (!valid_id(r->info.id))
        return sg_doc_fail(ld, def, "id", v, "recommendation id '%s' must be kebab-case (a-z, 0-9, -)", r->info.id);
    const char *where = r->info.id;
    if (sg_doc_get_typed(ld, def, "title", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.title = json_string_value(v);
    if (sg_doc_get_typed(ld, def, "control", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.control = json_string_value(v);
    if (!listed(known_controls, r->info.control))
        return sg_doc_fail(ld, def, "control", v, "control '%s' of %s is not one of vulnerabilities, "
                           "security-configurations, access, data-in-transit, network, ddos, best-practices",
                           r->info.control, where);
    if (sg_doc_get_typed(ld, def, "remediation", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.remediation = json_string_value(v);
    if (parse_severity(ld, def, r) < 0 || sg_doc_get_typed(ld, def, "scope", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.scope = json_string_value(v);
    if (strcmp(r->info.scope, "container") && strcmp(r->info.scope, "pod") && strcmp(r->info.scope, "object"))
        return sg_doc_fail(ld, def, "scope", v, "scope of %s must be container, pod or object", where);
    if (compile_kinds(ld, def, r) < 0 || sg_doc_get_typed(ld, def, "preview", JSON_TRUE, false, where, &v) < 0)
        return -1;
    r->info.preview = v && json_is_true(v);
    return 0;
}

/* A common parameter named in a definition's parameters: only its default
 * may change (Defender excludes its own namespaces from some
 * recommendations only); its type and meaning are every recommendation's. */
static int redeclare_common(const sg_doc_reader *ld, const json_t *declared_in, const char *key, const json_t *spec,
                            json_t *declared, const pol_rec *r)
{
    if (!json_is_object(spec) || json_object_size(spec) != 1 || !json_object_get(spec, "default"))
        return sg_doc_fail(ld, declared_in, key, spec, "parameter name '%s' of %s is reserved: every recommendation "
                           "has it (only its default may be given, as %s: {default: ...})", key, r->info.id, key);
    json_t *common = json_copy(json_object_get(declared, key));
    json_object_set(common, "default", json_object_get(spec, "default"));
    json_object_set_new(declared, key, common);
    return 0;
}

static int declare_each(const sg_doc_reader *ld, const json_t *declared_in, json_t *declared, const pol_rec *r)
{
    const char *key;
    json_t *spec;
    json_object_foreach((json_t *)declared_in, key, spec) {
        static const char *const keys[] = {"type", "default", "description", NULL};
        const json_t *t;
        if (json_object_get(declared, key)) {
            if (redeclare_common(ld, declared_in, key, spec, declared, r) < 0)
                return -1;
            continue;
        }
        if (!json_is_object(spec))
            return sg_doc_fail(ld, declared_in, key, spec, "parameter '%s' of %s must be a mapping with type, default "
                               "and description", key, r->info.id);
        if (sg_doc_check_keys(ld, spec, "a parameter", keys) < 0 ||
            sg_doc_get_typed(ld, spec, "type", JSON_STRING, true, "a parameter", &t) < 0)
            return -1;
        json_object_set(declared, key, spec);
    }
    return 0;
}

/* The declared parameters, the common ones included (their names are reserved). */
static int declare_params(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    const json_t *declared_in;
    if (sg_doc_get_typed(ld, def, "parameters", JSON_OBJECT, false, r->info.id, &declared_in) < 0)
        return -1;
    r->declared = pol_common_parameters();
    r->info.declared = r->declared;
    return declare_each(ld, declared_in, r->declared, r);
}

/* Parameters: declared, given, effective; `requires` decides whether the recommendation is configured. */
static int compile_params(const sg_doc_reader *ld, const json_t *def, const json_t *given_params, pol_rec *r)
{
    const char *where = r->info.id;
    if (declare_params(ld, def, r) < 0 ||
        pol_effective_params(ld, r->info.declared, given_params, where, &r->params) < 0)
        return -1;
    r->info.parameters = r->params;
    resolve_common(r);
    if (sg_doc_string_list(ld, def, "requires", where, &r->info.required) < 0)
        return -1;
    r->info.configured = true;
    size_t i;
    const json_t *req;
    json_array_foreach(r->info.required, i, req) {
        if (!json_object_get(r->info.declared, json_string_value(req)))
            return sg_doc_fail(ld, def, "requires", req, "%s requires '%s', which is not one of its parameters", where,
                               json_string_value(req));
        if (json_is_null(json_object_get(r->params, json_string_value(req))))
            r->info.configured = false;
    }
    return 0;
}

/* Expressions and the message; lets must be expressions. */
static int compile_rules(const sg_doc_reader *ld, const json_t *def, pol_rec *r)
{
    const json_t *lets;
    if (sg_doc_get_typed(ld, def, "let", JSON_OBJECT, false, r->info.id, &lets) < 0)
        return -1;
    const char *key;
    const json_t *lv;
    json_object_foreach((json_t *)lets, key, lv)
        if (!json_is_string(lv))
            return sg_doc_fail(ld, lets, key, lv, "let '%s' of %s must be an expression (a string)", key, r->info.id);
    if (pol_compile_part(ld, def, "applies", true, r, &r->applies) < 0 ||
        pol_compile_part(ld, def, "unhealthy", true, r, &r->unhealthy) < 0)
        return -1;
    if (!r->unhealthy)
        return sg_doc_fail(ld, def, NULL, NULL, "%s needs 'unhealthy' (an expression)", r->info.id);
    if (pol_compile_template(ld, def, "message", r, &r->message) < 0)
        return -1;
    r->reads.json = sg_check_alloc(json_array());
    pol_expr_chains(r->applies, r->reads.json);
    pol_expr_chains(r->unhealthy, r->reads.json);
    pol_template_chains(r->message, r->reads.json);
    pol_chains_build(&r->reads);
    return compile_fix(ld, def, r);
}

/* Action and state from the settings' entry (`given`, may be NULL). */
static int apply_settings(const sg_doc_reader *ld, sg_policy *p, const json_t *given, sg_action default_action,
                          pol_rec *r)
{
    r->info.action = default_action;
    if (given) {
        static const char *const keys[] = {"action", "parameters", NULL};
        if (sg_doc_check_keys(ld, given, r->info.id, keys) < 0 ||
            pol_parse_action(ld, given, r->info.id, &r->info.action) < 0)
            return -1;
        if (r->info.builtin && !sg_policy_standard_enabled(p, r->info.standard))
            return sg_doc_fail(ld, given, NULL, NULL, "%s belongs to standard %s, which is not enabled, so its "
                               "settings would change nothing: add %s to standards (or remove them)", r->info.id,
                               r->info.standard, r->info.standard);
    }
    r->info.enabled = r->info.action != SG_ACTION_DISABLED &&
                      (!r->info.builtin || sg_policy_standard_enabled(p, r->info.standard));
    r->info.scored = r->info.builtin && !r->info.preview && r->info.enabled && r->info.configured;
    return 0;
}

/* The settings' entry of recommendation `id` (NULL when none); -1 when it is not a mapping. */
static int rec_settings(const sg_doc_reader *ld, const json_t *settings, const char *id, const json_t **given)
{
    *given = id && settings ? json_object_get(settings, id) : NULL;
    if (*given && !json_is_object(*given))
        return sg_doc_fail(ld, settings, id, *given, "settings of %s must be a mapping (action, parameters)", id);
    return 0;
}

/* Compile definition `def` of `standard` into the next pol_rec of `p` (and
 * return it), with its entry of the settings' recommendations (`settings`,
 * may be NULL). Messages point at the settings file when there is an entry
 * (the parameters it gives are checked against the definition), else at the
 * definition's file, `def_ld`. `def` is only read. NULL on error. */
static pol_rec *compile_rec(const sg_doc_reader *ld, const sg_doc_reader *def_ld, sg_policy *p, const json_t *def,
                            const char *standard, bool builtin, const json_t *settings, sg_action default_action)
{
    const json_t *given, *given_params = NULL;
    if (rec_settings(ld, settings, json_string_value(json_object_get(def, "id")), &given) < 0)
        return NULL;
    if (!given)
        ld = def_ld;
    pol_rec *r = &p->recs[p->nrecs++];
    r->policy = p;
    if (!json_is_object(def)) {
        sg_doc_fail(ld, def, NULL, def, "a recommendation must be a mapping");
        return NULL;
    }
    r->def = json_incref((json_t *)def);
    r->info.builtin = builtin;
    r->info.standard = standard;
    if (compile_header(ld, def, r) < 0 ||
        (given && sg_doc_get_typed(ld, given, "parameters", JSON_OBJECT, false, r->info.id, &given_params) < 0) ||
        compile_params(ld, def, given_params, r) < 0 || compile_rules(ld, def, r) < 0 ||
        pol_check_params_read(ld, def, r) < 0 || pol_check_common_effect(ld, given_params, r) < 0 ||
        pol_check_validations(ld, def, given_params, r) < 0 ||
        apply_settings(ld, p, given, default_action, r) < 0)
        return NULL;
    return r;
}

void pol_rec_free(pol_rec *r)
{
    pol_expr_free(r->applies);
    pol_expr_free(r->unhealthy);
    pol_template_free(r->message);
    pol_chains_free(&r->reads);
    for (size_t i = 0; i < r->nfix; i++) {
        pol_expr_free(r->fix[i].when);
        pol_path_free(r->fix[i].path);
        pol_expr_free(r->fix[i].value);
        pol_template_free(r->fix[i].fail);
        json_decref(r->fix[i].value_const);
    }
    free(r->fix);
    json_decref(r->params);
    json_decref(r->declared);
    json_decref(r->def);
    pol_kinds_free(&r->gks);
}

/* The built-in catalog's documents, each a standard with its recommendations. */
static int compile_builtins(const sg_doc_reader *ld, const sg_doc_reader *builtin_ld, sg_policy *p,
                            const json_t *settings, sg_action default_action)
{
    size_t i;
    json_t *doc;
    json_array_foreach(p->builtin, i, doc) {
        const char *standard = json_string_value(json_object_get(doc, "standard"));
        json_t *list = json_object_get(doc, "recommendations");
        if (!standard || !json_is_array(list))
            return sg_doc_fail(builtin_ld, doc, NULL, NULL,
                               "a catalog document needs 'standard' and 'recommendations'");
        size_t k;
        const json_t *def;
        json_array_foreach(list, k, def)
            if (!compile_rec(ld, builtin_ld, p, def, standard, true, settings, default_action))
                return -1;
    }
    return 0;
}

/* The settings' custom recommendations, after the built-in ones. */
static int compile_custom(const sg_doc_reader *ld, sg_policy *p, const json_t *settings, const json_t *custom,
                          sg_action default_action)
{
    size_t i;
    const json_t *doc;
    json_array_foreach(custom, i, doc) {
        pol_rec *r = compile_rec(ld, ld, p, doc, "custom", false, settings, default_action);
        if (!r)
            return -1;
        /* A custom recommendation may carry its own action; the settings' entry wins. */
        if (!json_object_get(json_object_get(settings, r->info.id), "action") &&
            pol_parse_action(ld, doc, r->info.id, &r->info.action) < 0)
            return -1;
        r->info.enabled = r->info.action != SG_ACTION_DISABLED;
        for (size_t k = 0; k + 1 < p->nrecs; k++)
            if (!strcmp(p->recs[k].info.id, r->info.id))
                return sg_doc_fail(ld, doc, "id", NULL, "recommendation id '%s' is already taken", r->info.id);
    }
    return 0;
}

/* Compile the catalog, built-in then custom (`custom` may be NULL), with the
 * settings' entries by id (`settings`, may be NULL) into p->recs. */
int pol_compile_catalog(const sg_doc_reader *ld, const sg_doc_reader *builtin_ld, sg_policy *p,
                        const json_t *settings, const json_t *custom, sg_action default_action)
{
    size_t total = json_array_size(custom), i;
    json_t *doc;
    json_array_foreach(p->builtin, i, doc)
        total += json_array_size(json_object_get(doc, "recommendations"));
    p->recs = sg_calloc(total + 1, sizeof *p->recs);
    if (compile_builtins(ld, builtin_ld, p, settings, default_action) < 0)
        return -1;
    return compile_custom(ld, p, settings, custom, default_action);
}
