/*
 * settings.c - load the settings file and compile the catalog into an
 * immutable sg_policy.
 *
 * Everything a request needs is decided here, once: which recommendations are
 * enabled, their effective parameters (checked against the types the rule
 * declares), their compiled expressions, the exemptions and the server
 * settings. A typo must never silently weaken a policy, so unknown keys,
 * unknown recommendation ids and wrong types are errors that name the file
 * and line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal_io.h"
#include "internal_policy.h"
#include "internal_rule_ast.h"

extern const char sg_builtin_rules[];
extern const size_t sg_builtin_rules_len;

#define DEFAULT_ADDRESS ":8443"
#define DEFAULT_STATE_DIR "./scoregate-state"
#define OWN_NAMESPACE "scoregate-system"

/* Where messages point: the file name and its line map (NULL for built-ins). */
typedef struct loader {
    const char *name;
    const sg_linemap *lines;
    char *err;
    size_t errlen;
} loader;

static int failf(const loader *ld, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...)
{
    char msg[SG_ERRMAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0;
    if (ld->lines && obj && key)
        line = sg_linemap_member(ld->lines, obj, key);
    if (!line && ld->lines && node)
        line = sg_linemap_node(ld->lines, node);
    if (!line && ld->lines && obj)
        line = sg_linemap_node(ld->lines, obj);
    if (line)
        snprintf(ld->err, ld->errlen, "%s: line %d: %s", ld->name, line, msg);
    else
        snprintf(ld->err, ld->errlen, "%s: %s", ld->name, msg);
    return -1;
}

/* Reject keys of `obj` not in the NULL-terminated `allowed` list. */
static int check_keys(const loader *ld, const json_t *obj, const char *where, const char *const *allowed)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], key))
                break;
        if (allowed[i])
            continue;
        char list[256] = "";
        size_t used = 0;
        for (i = 0; allowed[i] && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
        return failf(ld, obj, key, NULL, "unknown key '%s' in %s (expected one of: %s)", key, where, list);
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Fetch obj[key] requiring a JSON type (or absence when !required). */
static int get_typed(const loader *ld, const json_t *obj, const char *key, json_type type, bool required,
                     const char *where, const json_t **out)
{
    static const char *names[] = {"a mapping", "a list", "a string", "a number", "a number", "a boolean",
                                  "a boolean", "null"};
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return failf(ld, obj, NULL, NULL, "%s needs '%s'", where, key);
        return 0;
    }
    bool ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)) ||
              (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return failf(ld, obj, key, v, "'%s' in %s must be %s, not %s", key, where, names[type], type_name(v));
    *out = v;
    return 0;
}

static int string_list(const loader *ld, const json_t *obj, const char *key, const char *where,
                       const json_t **out)
{
    if (get_typed(ld, obj, key, JSON_ARRAY, false, where, out) < 0)
        return -1;
    size_t i;
    const json_t *item;
    if (*out)
        json_array_foreach(*out, i, item)
            if (!json_is_string(item))
                return failf(ld, obj, key, item, "'%s' in %s must be a list of strings (item %zu is %s)", key,
                             where, i + 1, type_name(item));
    return 0;
}

static int parse_action(const loader *ld, const json_t *obj, const char *where, sg_action *out)
{
    static const char *names[] = {"disabled", "audit", "warn", "deny", "enforce"};
    const json_t *v;
    if (get_typed(ld, obj, "action", JSON_STRING, false, where, &v) < 0)
        return -1;
    if (!v)
        return 1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            *out = (sg_action)i;
            return 0;
        }
    return failf(ld, obj, "action", v, "action '%s' in %s is not one of disabled, audit, warn, deny, enforce",
                 json_string_value(v), where);
}

/* RFC 3339 date-time ("2027-03-31T00:00:00Z", offsets and fractions allowed). */
static int parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        p = strptime(s, "%Y-%m-%dt%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
            return -1;
        offset = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 1 + n;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *out = timegm(&tm) - offset;
    return 0;
}

/* ---------- parameters ---------- */

static json_t *common_parameters(void)
{
    return json_pack("{s:{s:s,s:[sssss],s:s}, s:{s:s,s:[],s:s}, s:{s:s,s:{},s:s}, s:{s:s,s:[],s:s},"
                     " s:{s:s,s:[],s:s}}",
                     "excludedNamespaces", "type", "array", "default", "kube-system", "gatekeeper-system",
                     "azure-arc", "azure-extensions-usage-system", OWN_NAMESPACE, "description",
                     "namespaces where this recommendation does not apply",
                     "namespaces", "type", "array", "default", "description",
                     "if not empty, the only namespaces where it applies",
                     "labelSelector", "type", "object", "default", "description",
                     "applies only to objects whose labels match (matchLabels, matchExpressions)",
                     "excludedContainers", "type", "array", "default", "description",
                     "container names it does not check",
                     "excludedImages", "type", "array", "default", "description",
                     "images it does not check (exact, or a prefix ending in *)");
}

/* Check a parameter value against the type the rule declares. */
static int check_param(const loader *ld, const json_t *obj, const char *key, const json_t *value,
                       const char *type, const char *where)
{
    bool ok;
    if (!strcmp(type, "string") || !strcmp(type, "regex"))
        ok = json_is_string(value);
    else if (!strcmp(type, "number"))
        ok = json_is_number(value);
    else if (!strcmp(type, "boolean"))
        ok = json_is_boolean(value);
    else if (!strcmp(type, "array"))
        ok = json_is_array(value);
    else if (!strcmp(type, "object"))
        ok = json_is_object(value);
    else if (!strcmp(type, "quantity"))
        ok = json_is_string(value) || json_is_number(value);
    else
        return failf(ld, obj, key, value, "parameter '%s' of %s has unknown type '%s'", key, where, type);
    if (!ok)
        return failf(ld, obj, key, value, "parameter '%s' of %s must be %s, not %s", key, where,
                     !strcmp(type, "array") ? "a list" : !strcmp(type, "object") ? "a mapping" : type,
                     type_name(value));
    if (!strcmp(type, "quantity") && json_is_string(value)) {
        double q;
        if (sg_quantity_parse(json_string_value(value), &q) < 0)
            return failf(ld, obj, key, value, "parameter '%s' of %s: '%s' is not a Kubernetes quantity", key,
                         where, json_string_value(value));
    }
    if (!strcmp(type, "regex")) {
        char rerr[SG_ERRMAX];
        pcre2_code *re = sg_regex_compile(json_string_value(value), json_string_length(value), rerr, sizeof rerr);
        if (!re)
            return failf(ld, obj, key, value, "parameter '%s' of %s: %s", key, where, rerr);
        pcre2_code_free(re);
    }
    if (!strcmp(key, "labelSelector")) {
        char serr[256];
        if (sg_selector_check(value, serr, sizeof serr) < 0)
            return failf(ld, obj, key, value, "parameter labelSelector of %s: %s", where, serr);
    }
    return 0;
}

/* Effective parameters: declared defaults, overridden by the config's values. */
static int effective_params(const loader *ld, const json_t *declared, const json_t *given, const char *where,
                            json_t **out)
{
    json_t *params = json_object();
    const char *key;
    const json_t *spec;
    json_object_foreach((json_t *)declared, key, spec) {
        const json_t *def = json_object_get(spec, "default");
        if (def)
            json_object_set_new(params, key, json_deep_copy(def));
    }
    if (given) {
        const json_t *v;
        json_object_foreach((json_t *)given, key, v) {
            const json_t *spec2 = json_object_get(declared, key);
            if (!spec2) {
                json_decref(params);
                return failf(ld, given, key, NULL, "%s has no parameter '%s'", where, key);
            }
            if (check_param(ld, given, key, v, json_string_value(json_object_get(spec2, "type")), where) < 0) {
                json_decref(params);
                return -1;
            }
            json_object_set_new(params, key, json_deep_copy(v));
        }
    }
    *out = params;
    return 0;
}

/* ---------- recommendations ---------- */

/* The request path reads the common parameters through typed pointers, not by name. */
static const json_t *non_empty(const json_t *params, const char *name)
{
    const json_t *v = json_object_get(params, name);
    return (json_is_array(v) && json_array_size(v)) || (json_is_object(v) && json_object_size(v)) ? v : NULL;
}

static void resolve_common(sg_rec *r)
{
    r->excluded_namespaces = non_empty(r->params, "excludedNamespaces");
    r->namespaces = non_empty(r->params, "namespaces");
    r->selector = non_empty(r->params, "labelSelector");
    r->excluded_containers = non_empty(r->params, "excludedContainers");
    r->excluded_images = non_empty(r->params, "excludedImages");
}

static const char *const rec_keys[] = {"id", "title", "description", "severity", "control", "scope", "kinds",
                                       "parameters", "requires", "let", "applies", "unhealthy", "message",
                                       "remediation", "fix", "preview", "action", NULL};

static int compile_expr(const loader *ld, const json_t *def, const char *key, const sg_rec *r, sg_expr **out)
{
    const json_t *v;
    *out = NULL;
    if (get_typed(ld, def, key, JSON_STRING, false, r->info.id, &v) < 0 || !v)
        return 0;
    char cerr[300];
    *out = sg_expr_compile(json_string_value(v), r->params, json_object_get(def, "let"), cerr, sizeof cerr);
    if (!*out)
        return failf(ld, def, key, v, "'%s' of %s: %s", key, r->info.id, cerr);
    return 0;
}

static int compile_fix(const loader *ld, const json_t *def, sg_rec *r)
{
    const json_t *fix = json_object_get(def, "fix");
    if (!fix)
        return 0;
    if (!json_is_array(fix))
        return failf(ld, def, "fix", fix, "'fix' of %s must be a list", r->info.id);
    const json_t *lets = json_object_get(def, "let");
    r->fix = calloc(json_array_size(fix) + 1, sizeof *r->fix);
    size_t i;
    const json_t *op;
    json_array_foreach(fix, i, op) {
        static const char *const keys[] = {"when", "set", "value", "remove", NULL};
        if (!json_is_object(op))
            return failf(ld, def, "fix", op, "each fix of %s must be a mapping", r->info.id);
        if (check_keys(ld, op, "a fix", keys) < 0)
            return -1;
        sg_fix_op *f = &r->fix[r->nfix++];
        const json_t *set = json_object_get(op, "set"), *rem = json_object_get(op, "remove");
        const json_t *when = json_object_get(op, "when"), *value = json_object_get(op, "value");
        if (!json_is_string(set) == !json_is_string(rem))
            return failf(ld, op, NULL, NULL, "a fix of %s names either 'set' (with 'value') or 'remove'", r->info.id);
        char cerr[300];
        f->remove = json_is_string(rem);
        f->path = sg_path_compile(json_string_value(f->remove ? rem : set), r->params, lets, cerr, sizeof cerr);
        if (!f->path)
            return failf(ld, op, f->remove ? "remove" : "set", NULL, "fix of %s: %s", r->info.id, cerr);
        if (when) {
            if (!json_is_string(when))
                return failf(ld, op, "when", when, "'when' of a fix of %s must be an expression", r->info.id);
            f->when = sg_expr_compile(json_string_value(when), r->params, lets, cerr, sizeof cerr);
            if (!f->when)
                return failf(ld, op, "when", when, "fix of %s: %s", r->info.id, cerr);
        }
        if (!f->remove) {
            if (!value)
                return failf(ld, op, NULL, NULL, "a fix of %s that sets a field needs 'value'", r->info.id);
            if (json_is_string(value)) {
                f->value = sg_expr_compile(json_string_value(value), r->params, lets, cerr, sizeof cerr);
                if (!f->value)
                    return failf(ld, op, "value", value, "fix of %s: %s", r->info.id, cerr);
            } else {
                f->value_const = json_deep_copy(value);
            }
        }
    }
    r->info.has_fix = r->nfix > 0;
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

/* Compile one recommendation definition with its settings (`given` may be NULL). */
static int compile_rec(const loader *ld, sg_policy *p, json_t *def, const char *standard, bool builtin,
                       const json_t *given, sg_action default_action, sg_rec *r)
{
    const json_t *v;
    if (!json_is_object(def))
        return failf(ld, def, NULL, def, "a recommendation must be a mapping");
    r->def = json_incref(def);
    if (check_keys(ld, def, "a recommendation", rec_keys) < 0 ||
        get_typed(ld, def, "id", JSON_STRING, true, "a recommendation", &v) < 0)
        return -1;
    r->info.id = json_string_value(v);
    if (!valid_id(r->info.id))
        return failf(ld, def, "id", v, "recommendation id '%s' must be kebab-case (a-z, 0-9, -)", r->info.id);
    const char *where = r->info.id;
    if (get_typed(ld, def, "title", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.title = json_string_value(v);
    if (get_typed(ld, def, "control", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.control = json_string_value(v);
    if (get_typed(ld, def, "remediation", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.remediation = json_string_value(v);
    if (get_typed(ld, def, "severity", JSON_STRING, true, where, &v) < 0)
        return -1;
    const char *sev = json_string_value(v);
    if (!strcmp(sev, "low"))
        r->info.severity = SG_SEV_LOW;
    else if (!strcmp(sev, "medium"))
        r->info.severity = SG_SEV_MEDIUM;
    else if (!strcmp(sev, "high"))
        r->info.severity = SG_SEV_HIGH;
    else
        return failf(ld, def, "severity", v, "severity of %s must be low, medium or high", where);
    if (get_typed(ld, def, "scope", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.scope = json_string_value(v);
    if (strcmp(r->info.scope, "container") && strcmp(r->info.scope, "pod") && strcmp(r->info.scope, "object"))
        return failf(ld, def, "scope", v, "scope of %s must be container, pod or object", where);
    if (string_list(ld, def, "kinds", where, &r->kinds) < 0)
        return -1;
    if (!strcmp(r->info.scope, "object") && (!r->kinds || !json_array_size(r->kinds)))
        return failf(ld, def, "scope", NULL, "%s has scope object, so it needs 'kinds'", where);
    if (get_typed(ld, def, "preview", JSON_TRUE, false, where, &v) < 0)
        return -1;
    r->info.preview = v && json_is_true(v);
    r->info.builtin = builtin;
    r->info.standard = standard;

    const json_t *declared_in;
    if (get_typed(ld, def, "parameters", JSON_OBJECT, false, where, &declared_in) < 0)
        return -1;
    json_t *declared = common_parameters();
    if (declared_in) {
        const char *key;
        json_t *spec;
        json_object_foreach((json_t *)declared_in, key, spec) {
            static const char *const keys[] = {"type", "default", "description", NULL};
            const json_t *t;
            if (!json_is_object(spec) || check_keys(ld, spec, "a parameter", keys) < 0 ||
                get_typed(ld, spec, "type", JSON_STRING, true, "a parameter", &t) < 0) {
                json_decref(declared);
                return json_is_object(spec) ? -1
                                            : failf(ld, declared_in, key, spec, "parameter '%s' of %s must be a "
                                                    "mapping with type, default and description", key, where);
            }
            const json_t *def_value = json_object_get(spec, "default");
            if (def_value && check_param(ld, spec, "default", def_value, json_string_value(t), where) < 0) {
                json_decref(declared);
                return -1;
            }
            json_object_set(declared, key, spec);
        }
    }
    json_object_set_new(def, "parameters", declared);
    r->info.declared = declared;
    const json_t *given_params = NULL;
    if (given && get_typed(ld, given, "parameters", JSON_OBJECT, false, where, &given_params) < 0)
        return -1;
    if (effective_params(ld, declared, given_params, where, &r->params) < 0)
        return -1;
    r->info.parameters = r->params;
    resolve_common(r);

    if (string_list(ld, def, "requires", where, &r->info.required) < 0)
        return -1;
    r->info.configured = true;
    size_t i;
    const json_t *req;
    if (r->info.required)
        json_array_foreach(r->info.required, i, req) {
            if (!json_object_get(declared, json_string_value(req)))
                return failf(ld, def, "requires", req, "%s requires '%s', which is not one of its parameters",
                             where, json_string_value(req));
            if (!json_object_get(r->params, json_string_value(req)))
                r->info.configured = false;
        }
    const json_t *lets;
    if (get_typed(ld, def, "let", JSON_OBJECT, false, where, &lets) < 0)
        return -1;
    if (lets) {
        const char *key;
        const json_t *lv;
        json_object_foreach((json_t *)lets, key, lv)
            if (!json_is_string(lv))
                return failf(ld, lets, key, lv, "let '%s' of %s must be an expression (a string)", key, where);
    }
    if (compile_expr(ld, def, "applies", r, &r->applies) < 0 || compile_expr(ld, def, "unhealthy", r, &r->unhealthy) < 0)
        return -1;
    if (!r->unhealthy)
        return failf(ld, def, NULL, NULL, "%s needs 'unhealthy' (an expression)", where);
    if (get_typed(ld, def, "message", JSON_STRING, true, where, &v) < 0)
        return -1;
    char cerr[300];
    r->message = sg_template_compile(json_string_value(v), r->params, lets, cerr, sizeof cerr);
    if (!r->message)
        return failf(ld, def, "message", v, "message of %s: %s", where, cerr);
    if (compile_fix(ld, def, r) < 0)
        return -1;

    r->info.action = default_action;
    if (given) {
        static const char *const keys[] = {"action", "parameters", NULL};
        if (check_keys(ld, given, where, keys) < 0 || parse_action(ld, given, where, &r->info.action) < 0)
            return -1;
    }
    r->info.enabled = r->info.action != SG_ACTION_DISABLED &&
                      (!builtin || sg_policy_standard_enabled(p, standard));
    r->info.scored = builtin && !r->info.preview && r->info.enabled && r->info.configured;
    return 0;
}

static void rec_free(sg_rec *r)
{
    sg_expr_free(r->applies);
    sg_expr_free(r->unhealthy);
    sg_template_free(r->message);
    for (size_t i = 0; i < r->nfix; i++) {
        sg_expr_free(r->fix[i].when);
        sg_path_free(r->fix[i].path);
        sg_expr_free(r->fix[i].value);
        json_decref(r->fix[i].value_const);
    }
    free(r->fix);
    json_decref(r->params);
    json_decref(r->def);
}

/* ---------- the settings document ---------- */

static int load_standards(const loader *ld, sg_policy *p, const sg_policy_options *opts)
{
    static const char *const known[] = {"mcsb", "pss-baseline", "pss-restricted", NULL};
    const json_t *given;
    if (string_list(ld, p->config, "standards", "the settings", &given) < 0)
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
            return failf(ld, p->config, "standards", s,
                         "unknown standard '%s' (expected mcsb, pss-baseline or pss-restricted)", json_string_value(s));
    }
    /* The restricted profile includes the baseline one, as in Kubernetes. */
    if (sg_policy_standard_enabled(p, "pss-restricted") && !sg_policy_standard_enabled(p, "pss-baseline"))
        json_array_append_new(p->standards, json_string("pss-baseline"));
    return 0;
}

static int load_recommendations(const loader *ld, const loader *builtin_ld, sg_policy *p)
{
    sg_action default_action = SG_ACTION_WARN;
    const json_t *defaults, *settings, *custom;
    if (get_typed(ld, p->config, "defaults", JSON_OBJECT, false, "the settings", &defaults) < 0 ||
        get_typed(ld, p->config, "recommendations", JSON_OBJECT, false, "the settings", &settings) < 0 ||
        get_typed(ld, p->config, "custom", JSON_ARRAY, false, "the settings", &custom) < 0)
        return -1;
    if (defaults) {
        static const char *const keys[] = {"action", NULL};
        if (check_keys(ld, defaults, "defaults", keys) < 0 || parse_action(ld, defaults, "defaults", &default_action) < 0)
            return -1;
    }
    size_t total = custom ? json_array_size(custom) : 0, i;
    json_t *doc;
    json_array_foreach(p->builtin, i, doc)
        total += json_array_size(json_object_get(doc, "recommendations"));
    p->recs = calloc(total + 1, sizeof *p->recs);
    if (!p->recs)
        abort();
    json_array_foreach(p->builtin, i, doc) {
        const char *standard = json_string_value(json_object_get(doc, "standard"));
        json_t *list = json_object_get(doc, "recommendations");
        if (!standard || !json_is_array(list))
            return failf(builtin_ld, doc, NULL, NULL, "a catalog document needs 'standard' and 'recommendations'");
        size_t k;
        json_t *def;
        json_array_foreach(list, k, def) {
            const char *id = json_string_value(json_object_get(def, "id"));
            const json_t *given = id && settings ? json_object_get(settings, id) : NULL;
            if (given && !json_is_object(given))
                return failf(ld, settings, id, given, "settings of %s must be a mapping (action, parameters)", id);
            sg_rec *r = &p->recs[p->nrecs++];
            /* Parameter errors point at the user's file; definition errors at the catalog. */
            if (compile_rec(given ? ld : builtin_ld, p, def, standard, true, given, default_action, r) < 0)
                return -1;
        }
    }
    if (custom)
        json_array_foreach(custom, i, doc) {
            const char *id = json_string_value(json_object_get(doc, "id"));
            const json_t *given = id && settings ? json_object_get(settings, id) : NULL;
            if (given && !json_is_object(given))
                return failf(ld, settings, id, given, "settings of %s must be a mapping (action, parameters)", id);
            sg_rec *r = &p->recs[p->nrecs++];
            if (compile_rec(ld, p, doc, "custom", false, given, default_action, r) < 0)
                return -1;
            /* A custom recommendation may carry its own action; the settings' entry wins. */
            if (!(given && json_object_get(given, "action")) && parse_action(ld, doc, r->info.id, &r->info.action) < 0)
                return -1;
            r->info.enabled = r->info.action != SG_ACTION_DISABLED;
            for (size_t k = 0; k + 1 < p->nrecs; k++)
                if (!strcmp(p->recs[k].info.id, r->info.id))
                    return failf(ld, doc, "id", NULL, "recommendation id '%s' is already taken", r->info.id);
        }
    if (settings) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)settings, key, v)
            if (sg_policy_rec_index(p, key) < 0)
                return failf(ld, settings, key, NULL, "unknown recommendation '%s' (see 'scoregate catalog')", key);
    }
    return 0;
}

static int load_exemptions(const loader *ld, sg_policy *p)
{
    const json_t *list;
    if (get_typed(ld, p->config, "exemptions", JSON_ARRAY, false, "the settings", &list) < 0 || !list)
        return 0;
    p->exemptions = calloc(json_array_size(list) + 1, sizeof *p->exemptions);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        static const char *const keys[] = {"name", "recommendations", "match", "category", "expires",
                                           "justification", NULL};
        static const char *const match_keys[] = {"namespaces", "kinds", "names", "labelSelector", NULL};
        if (!json_is_object(e))
            return failf(ld, list, NULL, e, "each exemption must be a mapping");
        sg_exemption *x = &p->exemptions[p->nexemptions++];
        const json_t *v, *match;
        if (check_keys(ld, e, "an exemption", keys) < 0 ||
            get_typed(ld, e, "name", JSON_STRING, true, "an exemption", &v) < 0)
            return -1;
        x->info.name = json_string_value(v);
        const char *where = x->info.name;
        if (string_list(ld, e, "recommendations", where, &x->recommendations) < 0)
            return -1;
        if (!x->recommendations || !json_array_size(x->recommendations))
            return failf(ld, e, NULL, NULL, "exemption %s needs 'recommendations' (a list of ids)", where);
        size_t k;
        const json_t *id;
        json_array_foreach(x->recommendations, k, id)
            if (sg_policy_rec_index(p, json_string_value(id)) < 0)
                return failf(ld, e, "recommendations", id, "exemption %s names unknown recommendation '%s'", where,
                             json_string_value(id));
        if (get_typed(ld, e, "category", JSON_STRING, true, where, &v) < 0)
            return -1;
        if (!strcmp(json_string_value(v), "waiver"))
            x->info.category = SG_EXEMPT_WAIVER;
        else if (!strcmp(json_string_value(v), "mitigated"))
            x->info.category = SG_EXEMPT_MITIGATED;
        else
            return failf(ld, e, "category", v, "category of exemption %s must be waiver or mitigated", where);
        if (get_typed(ld, e, "expires", JSON_STRING, false, where, &v) < 0)
            return -1;
        if (v && parse_rfc3339(json_string_value(v), &x->info.expires) < 0)
            return failf(ld, e, "expires", v, "expires of exemption %s: '%s' is not an RFC 3339 time such as "
                         "2027-03-31T00:00:00Z", where, json_string_value(v));
        if (get_typed(ld, e, "justification", JSON_STRING, false, where, &v) < 0)
            return -1;
        x->info.justification = v ? json_string_value(v) : NULL;
        if (get_typed(ld, e, "match", JSON_OBJECT, false, where, &match) < 0)
            return -1;
        if (match) {
            if (check_keys(ld, match, "match", match_keys) < 0 ||
                string_list(ld, match, "namespaces", where, &x->namespaces) < 0 ||
                string_list(ld, match, "kinds", where, &x->kinds) < 0 ||
                string_list(ld, match, "names", where, &x->names) < 0 ||
                get_typed(ld, match, "labelSelector", JSON_OBJECT, false, where, &x->selector) < 0)
                return -1;
            char serr[256];
            if (x->selector && sg_selector_check(x->selector, serr, sizeof serr) < 0)
                return failf(ld, match, "labelSelector", x->selector, "exemption %s: %s", where, serr);
        }
    }
    return 0;
}

static int number_setting(const loader *ld, const json_t *obj, const char *key, double *out)
{
    const json_t *v;
    *out = -1;
    if (get_typed(ld, obj, key, JSON_REAL, false, "scoreGate", &v) < 0)
        return -1;
    if (v) {
        *out = json_number_value(v);
        if (*out < 0 || *out > 100)
            return failf(ld, obj, key, v, "scoreGate %s must be between 0 and 100", key);
    }
    return 0;
}

static int load_server(const loader *ld, sg_policy *p)
{
    static const char *const keys[] = {"address", "stateDir", "tls", "inventorySync", NULL};
    static const char *const tls_keys[] = {"certFile", "keyFile", "clientCAFile", NULL};
    static const char *const sync_keys[] = {"enabled", "kubeconfig", NULL};
    static const char *const gate_keys[] = {"minScore", "maxDrop", NULL};
    sg_server_settings *s = &p->server;
    s->address = DEFAULT_ADDRESS;
    s->state_dir = DEFAULT_STATE_DIR;
    const json_t *server, *tls, *gate, *v;
    if (get_typed(ld, p->config, "scoreGate", JSON_OBJECT, false, "the settings", &gate) < 0)
        return -1;
    s->min_score = s->max_drop = -1;
    if (gate && (check_keys(ld, gate, "scoreGate", gate_keys) < 0 || number_setting(ld, gate, "minScore", &s->min_score) < 0 ||
                 number_setting(ld, gate, "maxDrop", &s->max_drop) < 0))
        return -1;
    if (get_typed(ld, p->config, "server", JSON_OBJECT, false, "the settings", &server) < 0 || !server)
        return 0;
    if (check_keys(ld, server, "server", keys) < 0)
        return -1;
    if (get_typed(ld, server, "address", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->address = json_string_value(v);
    if (get_typed(ld, server, "stateDir", JSON_STRING, false, "server", &v) < 0)
        return -1;
    if (v)
        s->state_dir = json_string_value(v);
    const json_t *sync;
    if (get_typed(ld, server, "inventorySync", JSON_OBJECT, false, "server", &sync) < 0)
        return -1;
    if (sync && (check_keys(ld, sync, "server.inventorySync", sync_keys) < 0 ||
                 get_typed(ld, sync, "enabled", JSON_TRUE, false, "server.inventorySync", &v) < 0))
        return -1;
    s->inventory_sync = sync && json_is_true(v);
    if (sync && get_typed(ld, sync, "kubeconfig", JSON_STRING, false, "server.inventorySync", &v) < 0)
        return -1;
    s->kubeconfig = sync && v && json_string_length(v) ? json_string_value(v) : NULL;
    if (get_typed(ld, server, "tls", JSON_OBJECT, false, "server", &tls) < 0)
        return -1;
    if (!tls)
        return 0;
    if (check_keys(ld, tls, "server.tls", tls_keys) < 0)
        return -1;
    const char *names[] = {"certFile", "keyFile", "clientCAFile"};
    const char **slots[] = {&s->cert_file, &s->key_file, &s->client_ca_file};
    for (int i = 0; i < 3; i++) {
        if (get_typed(ld, tls, names[i], JSON_STRING, false, "server.tls", &v) < 0)
            return -1;
        *slots[i] = v && json_string_length(v) ? json_string_value(v) : NULL;
    }
    if (!s->cert_file != !s->key_file)
        return failf(ld, server, "tls", tls, "server.tls needs both certFile and keyFile (or neither)");
    return 0;
}

static int load_all(sg_policy *p, const char *name, const sg_linemap *lines, const sg_policy_options *opts,
                    char *err, size_t errlen)
{
    loader ld = {name, lines, err, errlen};
    static const char *const top_keys[] = {"standards", "excludedNamespaces", "defaults", "recommendations",
                                           "exemptions", "scoreGate", "server", "custom", NULL};
    if (check_keys(&ld, p->config, "the settings", top_keys) < 0)
        return -1;
    if (load_standards(&ld, p, opts) < 0)
        return -1;
    if (string_list(&ld, p->config, "excludedNamespaces", "the settings", &p->excluded_namespaces) < 0)
        return -1;
    if (!p->excluded_namespaces) {
        p->default_excluded = json_pack("[ss]", "kube-system", OWN_NAMESPACE);
        p->excluded_namespaces = p->default_excluded;
    }
    sg_linemap *builtin_lines = NULL;
    json_t *docs = NULL;
    if (sg_yaml_load("built-in catalog", sg_builtin_rules, sg_builtin_rules_len, &docs, NULL, &builtin_lines, err,
                     errlen) < 0)
        return -1;
    p->builtin = docs;
    loader bld = {"built-in catalog", builtin_lines, err, errlen};
    int rc = load_recommendations(&ld, &bld, p);
    sg_linemap_free(builtin_lines);
    if (rc < 0 || load_exemptions(&ld, p) < 0 || load_server(&ld, p) < 0)
        return -1;
    return 0;
}

int sg_policy_load_buffer(const char *name, const char *data, size_t len, const sg_policy_options *opts,
                          sg_policy **out, char *err, size_t errlen)
{
    *out = NULL;
    sg_policy *p = calloc(1, sizeof *p);
    if (!p)
        abort();
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
            snprintf(err, errlen, "%s: the settings must be a mapping, not %s", name, type_name(p->config));
            sg_linemap_free(lines);
            sg_policy_free(p);
            return -1;
        }
        p->config_path = strdup(name);
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
    const char *name;
    char *data;
    size_t len;
    if (sg_read_input(path, &name, &data, &len, err, errlen) < 0)
        return -1;
    int rc = sg_policy_load_buffer(name, data, len, opts, out, err, errlen);
    free(data);
    return rc;
}

void sg_policy_free(sg_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nrecs; i++)
        rec_free(&p->recs[i]);
    free(p->recs);
    free(p->exemptions);
    json_decref(p->standards);
    json_decref(p->default_excluded);
    json_decref(p->builtin);
    json_decref(p->config);
    free(p->config_path);
    free(p);
}
