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
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/doc.h>

#include "internal_policy.h"
#include "internal_rule_ast.h"

extern const char pol_builtin_rules[];
extern const size_t pol_builtin_rules_len;

#define DEFAULT_ADDRESS ":8443"
#define DEFAULT_STATE_DIR "./scoregate-state"
#define POL_OWN_NAMESPACE "scoregate-system"

/* Where messages point: the file name and its line map (NULL for built-ins). */
typedef struct pol_loader {
    const char *name;
    const sg_linemap *lines;
    char *err;
    size_t errlen;
} pol_loader;

static int pol_fail(const pol_loader *ld, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...)
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
static int pol_check_keys(const pol_loader *ld, const json_t *obj, const char *where, const char *const *allowed)
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
        return pol_fail(ld, obj, key, NULL, "unknown key '%s' in %s (expected one of: %s)", key, where, list);
    }
    return 0;
}

static const char *pol_type_name(const json_t *v)
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
static int pol_get_typed(const pol_loader *ld, const json_t *obj, const char *key, json_type type, bool required,
                         const char *where, const json_t **out)
{
    static const char *names[] = {"a mapping", "a list", "a string", "a number", "a number", "a boolean",
                                  "a boolean", "null"};
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return pol_fail(ld, obj, NULL, NULL, "%s needs '%s'", where, key);
        return 0;
    }
    bool ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)) ||
              (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return pol_fail(ld, obj, key, v, "'%s' in %s must be %s, not %s", key, where, names[type], pol_type_name(v));
    *out = v;
    return 0;
}

static int pol_string_list(const pol_loader *ld, const json_t *obj, const char *key, const char *where,
                           const json_t **out)
{
    if (pol_get_typed(ld, obj, key, JSON_ARRAY, false, where, out) < 0)
        return -1;
    size_t i;
    const json_t *item;
    if (*out)
        json_array_foreach(*out, i, item)
            if (!json_is_string(item))
                return pol_fail(ld, obj, key, item, "'%s' in %s must be a list of strings (item %zu is %s)", key,
                                where, i + 1, pol_type_name(item));
    return 0;
}

static int pol_parse_action(const pol_loader *ld, const json_t *obj, const char *where, sg_action *out)
{
    static const char *names[] = {"disabled", "audit", "warn", "deny", "enforce"};
    const json_t *v;
    if (pol_get_typed(ld, obj, "action", JSON_STRING, false, where, &v) < 0)
        return -1;
    if (!v)
        return 1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            *out = (sg_action)i;
            return 0;
        }
    return pol_fail(ld, obj, "action", v, "action '%s' in %s is not one of disabled, audit, warn, deny, enforce",
                    json_string_value(v), where);
}

/* ---------- parameters ---------- */

static json_t *pol_common_parameters(void)
{
    return json_pack("{s:{s:s,s:[sssss],s:s}, s:{s:s,s:[],s:s}, s:{s:s,s:{},s:s}, s:{s:s,s:[],s:s},"
                     " s:{s:s,s:[],s:s}}",
                     "excludedNamespaces", "type", "strings", "default", "kube-system", "gatekeeper-system",
                     "azure-arc", "azure-extensions-usage-system", POL_OWN_NAMESPACE, "description",
                     "namespaces where this recommendation does not apply",
                     "namespaces", "type", "strings", "default", "description",
                     "if not empty, the only namespaces where it applies",
                     "labelSelector", "type", "object", "default", "description",
                     "applies only to objects whose labels match (matchLabels, matchExpressions)",
                     "excludedContainers", "type", "strings", "default", "description",
                     "container names it does not check",
                     "excludedImages", "type", "strings", "default", "description",
                     "images it does not check (exact, or a prefix ending in *)");
}

static const char *const param_types[] = {"string", "regex", "number", "boolean", "array", "strings",
                                          "ports",  "object", "quantity", NULL};

static const char *param_type_text(const char *type)
{
    return !strcmp(type, "array")     ? "a list"
           : !strcmp(type, "strings") ? "a list of strings"
           : !strcmp(type, "ports")   ? "a list of port numbers"
           : !strcmp(type, "object")  ? "a mapping"
                                      : type;
}

/* Whether `value` has the JSON shape of parameter type `type`. */
static bool param_shape_ok(const char *type, const json_t *value)
{
    if (!strcmp(type, "string") || !strcmp(type, "regex"))
        return json_is_string(value);
    if (!strcmp(type, "number"))
        return json_is_number(value);
    if (!strcmp(type, "boolean"))
        return json_is_boolean(value);
    if (!strcmp(type, "array") || !strcmp(type, "strings") || !strcmp(type, "ports"))
        return json_is_array(value);
    if (!strcmp(type, "object"))
        return json_is_object(value);
    return json_is_string(value) || json_is_number(value);   /* quantity */
}

/* A port given as a number or a numeric string ("443"), as 1..65535; 0 when it is neither. */
static long port_number(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 1 && json_integer_value(v) <= 65535 ? (long)json_integer_value(v) : 0;
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return 0;
    long n = strtol(s, NULL, 10);
    return n >= 1 && n <= 65535 ? n : 0;
}

/* Lists of strings and of ports: every item must be one, or it could never match. Ports
 * come as numbers or strings (Kubernetes ports are integers) and are kept as numbers. */
static int check_param_items(const pol_loader *ld, const json_t *obj, const char *key, const json_t *value,
                             const char *type, const char *where, json_t **out)
{
    size_t i;
    const json_t *item;
    json_array_foreach(value, i, item) {
        if (!strcmp(type, "strings") && !json_is_string(item))
            return pol_fail(ld, obj, key, item, "parameter '%s' of %s must be a list of strings (item %zu is %s)", key,
                            where, i + 1, pol_type_name(item));
        if (!strcmp(type, "ports") && !port_number(item))
            return pol_fail(ld, obj, key, item, "parameter '%s' of %s: item %zu is not a port number (1-65535, as a "
                            "number or a string of digits), so it could never match", key, where, i + 1);
    }
    if (!strcmp(type, "ports")) {
        json_t *ports = json_array();
        json_array_foreach(value, i, item)
            json_array_append_new(ports, json_integer(port_number(item)));
        *out = ports;
    }
    return 0;
}

/* Check a parameter value against the type the rule declares. *out receives
 * the value to use (a new reference): a copy, or its normal form. */
static int check_param(const pol_loader *ld, const json_t *obj, const char *key, const json_t *value,
                       const char *type, const char *where, json_t **out)
{
    *out = NULL;
    size_t t;
    for (t = 0; param_types[t] && strcmp(param_types[t], type); t++)
        ;
    if (!param_types[t])
        return pol_fail(ld, obj, key, value, "parameter '%s' of %s has unknown type '%s' (expected string, regex, "
                        "number, boolean, array, strings, ports, object or quantity)", key, where, type);
    if (!param_shape_ok(type, value))
        return pol_fail(ld, obj, key, value, "parameter '%s' of %s must be %s, not %s", key, where,
                        param_type_text(type), pol_type_name(value));
    if (!strcmp(type, "quantity") && json_is_string(value)) {
        double q;
        if (sg_quantity_parse(json_string_value(value), &q) < 0)
            return pol_fail(ld, obj, key, value, "parameter '%s' of %s: '%s' is not a Kubernetes quantity", key,
                            where, json_string_value(value));
    }
    if (!strcmp(type, "regex")) {
        char rerr[SG_ERRMAX];
        pcre2_code *re = pol_regex_compile(json_string_value(value), json_string_length(value), rerr, sizeof rerr);
        if (!re)
            return pol_fail(ld, obj, key, value, "parameter '%s' of %s: %s", key, where, rerr);
        pcre2_code_free(re);
    }
    if (!strcmp(key, "labelSelector")) {
        char serr[256];
        if (pol_selector_check(value, serr, sizeof serr) < 0)
            return pol_fail(ld, obj, key, value, "parameter labelSelector of %s: %s", where, serr);
    }
    if (json_is_array(value) && check_param_items(ld, obj, key, value, type, where, out) < 0)
        return -1;
    if (!*out)
        *out = json_deep_copy(value);
    return 0;
}

/* Effective parameters: declared defaults, overridden by the config's values.
 * A parameter declared without a default and not configured is present as
 * null, so that rules can name it while an unknown name stays an error. */
static int pol_effective_params(const pol_loader *ld, const json_t *declared, const json_t *given, const char *where,
                                json_t **out)
{
    json_t *params = json_object();
    const char *key;
    const json_t *spec;
    json_object_foreach((json_t *)declared, key, spec) {
        const json_t *def = json_object_get(spec, "default");
        json_t *value = NULL;
        if (def && check_param(ld, spec, "default", def, json_string_value(json_object_get(spec, "type")), where,
                               &value) < 0) {
            json_decref(params);
            return -1;
        }
        json_object_set_new(params, key, value ? value : json_null());
    }
    if (given) {
        const json_t *v;
        json_object_foreach((json_t *)given, key, v) {
            const json_t *spec2 = json_object_get(declared, key);
            json_t *value;
            if (!spec2) {
                json_decref(params);
                return pol_fail(ld, given, key, NULL, "%s has no parameter '%s'", where, key);
            }
            if (check_param(ld, given, key, v, json_string_value(json_object_get(spec2, "type")), where, &value) < 0) {
                json_decref(params);
                return -1;
            }
            json_object_set_new(params, key, value);
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
static int check_scope_reads(const pol_loader *ld, const json_t *obj, const char *key, unsigned reads, const pol_rec *r)
{
    static const unsigned container_vars = POL_READS_VAR(POL_VAR_CONTAINER) | POL_READS_VAR(POL_VAR_CONTAINER_TYPE);
    static const unsigned pod_vars = POL_READS_VAR(POL_VAR_POD) | POL_READS_VAR(POL_VAR_POD_METADATA);
    if (strcmp(r->info.scope, "container") && (reads & container_vars))
        return pol_fail(ld, obj, key, NULL, "'%s' of %s reads container or containerType, which only a "
                        "container-scope rule has (this one has scope %s)", key, r->info.id, r->info.scope);
    if (!strcmp(r->info.scope, "object") && (reads & pod_vars)) {
        size_t i;
        const json_t *k;
        json_array_foreach(r->kinds, i, k)
            if (pol_workload_kind(json_string_value(k)))
                return 0;
        return pol_fail(ld, obj, key, NULL, "'%s' of %s reads pod or podMetadata, which are null for every kind "
                        "it reads (none of them has a pod template)", key, r->info.id);
    }
    return 0;
}

/* An expression used as a condition must be able to give a boolean: only
 * true is true, so a string or a number there would never fire. */
static int check_condition(const pol_loader *ld, const json_t *obj, const char *key, const pol_expr *e,
                           const pol_rec *r)
{
    const char *type = pol_expr_static_type(e);
    if (type && strcmp(type, "bool"))
        return pol_fail(ld, obj, key, NULL, "'%s' of %s must be a condition (true or false), but it always gives %s",
                        key, r->info.id, type);
    return 0;
}

/* Compile obj[key] (a condition unless `value`), checking what it reads. */
static int pol_compile_part(const pol_loader *ld, const json_t *obj, const char *key, bool condition, const pol_rec *r,
                            pol_expr **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return pol_fail(ld, obj, key, v, "'%s' of %s must be an expression (a string)", key, r->info.id);
    char cerr[300];
    *out = pol_expr_compile(json_string_value(v), r->params, json_object_get(r->def, "let"), cerr, sizeof cerr);
    if (!*out)
        return pol_fail(ld, obj, key, v, "'%s' of %s: %s", key, r->info.id, cerr);
    if (check_scope_reads(ld, obj, key, pol_expr_reads(*out), r) < 0)
        return -1;
    return condition ? check_condition(ld, obj, key, *out, r) : 0;
}

static int pol_compile_template(const pol_loader *ld, const json_t *obj, const char *key, const pol_rec *r,
                                pol_template **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!json_is_string(v))
        return pol_fail(ld, obj, key, v, "'%s' of %s must be a text (with ${expression} parts)", key, r->info.id);
    char cerr[300];
    *out = pol_template_compile(json_string_value(v), r->params, json_object_get(r->def, "let"), cerr, sizeof cerr);
    if (!*out)
        return pol_fail(ld, obj, key, v, "%s of %s: %s", key, r->info.id, cerr);
    return check_scope_reads(ld, obj, key, pol_template_reads(*out), r);
}

/* One fix operation: set (with value), remove, or fail (with when). */
static int compile_fix_op(const pol_loader *ld, const json_t *op, pol_rec *r, pol_fix_op *f)
{
    static const char *const keys[] = {"when", "set", "value", "remove", "fail", NULL};
    if (pol_check_keys(ld, op, "a fix", keys) < 0)
        return -1;
    const json_t *set = json_object_get(op, "set"), *rem = json_object_get(op, "remove");
    const json_t *fail = json_object_get(op, "fail");
    if ((json_is_string(set) + json_is_string(rem) + json_is_string(fail)) != 1)
        return pol_fail(ld, op, NULL, NULL, "a fix of %s names one of 'set' (with 'value'), 'remove' or 'fail' "
                        "(with 'when')", r->info.id);
    if (pol_compile_part(ld, op, "when", true, r, &f->when) < 0)
        return -1;
    if (fail) {
        if (!f->when)
            return pol_fail(ld, op, "fail", NULL, "a 'fail' of a fix of %s needs 'when' (the condition under which "
                            "the fix cannot apply)", r->info.id);
        return pol_compile_template(ld, op, "fail", r, &f->fail);
    }
    char cerr[300];
    f->remove = json_is_string(rem);
    f->path = pol_path_compile(json_string_value(f->remove ? rem : set), r->params, json_object_get(r->def, "let"),
                               cerr, sizeof cerr);
    if (!f->path)
        return pol_fail(ld, op, f->remove ? "remove" : "set", NULL, "fix of %s: %s", r->info.id, cerr);
    if (check_scope_reads(ld, op, f->remove ? "remove" : "set", pol_path_reads(f->path), r) < 0)
        return -1;
    if (f->remove)
        return 0;
    const json_t *value = json_object_get(op, "value");
    if (!value)
        return pol_fail(ld, op, NULL, NULL, "a fix of %s that sets a field needs 'value'", r->info.id);
    if (!json_is_string(value)) {
        f->value_const = json_deep_copy(value);
        return 0;
    }
    return pol_compile_part(ld, op, "value", false, r, &f->value);
}

static int compile_fix(const pol_loader *ld, const json_t *def, pol_rec *r)
{
    const json_t *fix = json_object_get(def, "fix");
    if (!fix)
        return 0;
    if (!json_is_array(fix))
        return pol_fail(ld, def, "fix", fix, "'fix' of %s must be a list", r->info.id);
    r->fix = sg_calloc(json_array_size(fix) + 1, sizeof *r->fix);
    size_t i;
    const json_t *op;
    json_array_foreach(fix, i, op) {
        if (!json_is_object(op))
            return pol_fail(ld, def, "fix", op, "each fix of %s must be a mapping", r->info.id);
        pol_fix_op *f = &r->fix[r->nfix++];
        if (compile_fix_op(ld, op, r, f) < 0)
            return -1;
        r->info.has_fix = r->info.has_fix || !f->fail;
    }
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

static int parse_severity(const pol_loader *ld, const json_t *def, pol_rec *r)
{
    static const char *const names[] = {"low", "medium", "high"};
    const json_t *v;
    if (pol_get_typed(ld, def, "severity", JSON_STRING, true, r->info.id, &v) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            r->info.severity = (sg_severity)i;
            return 0;
        }
    return pol_fail(ld, def, "severity", v, "severity of %s must be low, medium or high", r->info.id);
}

/* Pod and container checks read pod templates: every kind they name must have one. */
static int compile_kinds(const pol_loader *ld, const json_t *def, pol_rec *r)
{
    if (pol_string_list(ld, def, "kinds", r->info.id, &r->kinds) < 0)
        return -1;
    if (!strcmp(r->info.scope, "object")) {
        if (!r->kinds || !json_array_size(r->kinds))
            return pol_fail(ld, def, "scope", NULL, "%s has scope object, so it needs 'kinds'", r->info.id);
        return 0;
    }
    if (r->kinds && !json_array_size(r->kinds))
        return pol_fail(ld, def, "kinds", r->kinds, "'kinds' of %s is empty, so it would never run (leave it out "
                        "to check every workload kind)", r->info.id);
    size_t i;
    const json_t *k;
    json_array_foreach(r->kinds, i, k)
        if (!pol_workload_kind(json_string_value(k)))
            return pol_fail(ld, def, "kinds", k, "%s has scope %s, but kind '%s' has no pod template, so it would "
                            "never run there (workload kinds: Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, "
                            "Job, CronJob, ReplicationController, PodTemplate)", r->info.id, r->info.scope,
                            json_string_value(k));
    return 0;
}

/* Identity and shape: id, title, control, remediation, severity, scope, kinds, preview. */
static int compile_header(const pol_loader *ld, json_t *def, pol_rec *r)
{
    const json_t *v;
    if (pol_check_keys(ld, def, "a recommendation", rec_keys) < 0 ||
        pol_get_typed(ld, def, "id", JSON_STRING, true, "a recommendation", &v) < 0)
        return -1;
    r->info.id = json_string_value(v);
    if (!valid_id(r->info.id))
        return pol_fail(ld, def, "id", v, "recommendation id '%s' must be kebab-case (a-z, 0-9, -)", r->info.id);
    const char *where = r->info.id;
    if (pol_get_typed(ld, def, "title", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.title = json_string_value(v);
    if (pol_get_typed(ld, def, "control", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.control = json_string_value(v);
    if (!listed(known_controls, r->info.control))
        return pol_fail(ld, def, "control", v, "control '%s' of %s is not one of vulnerabilities, "
                        "security-configurations, access, data-in-transit, network, ddos, best-practices",
                        r->info.control, where);
    if (pol_get_typed(ld, def, "remediation", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.remediation = json_string_value(v);
    if (parse_severity(ld, def, r) < 0 || pol_get_typed(ld, def, "scope", JSON_STRING, true, where, &v) < 0)
        return -1;
    r->info.scope = json_string_value(v);
    if (strcmp(r->info.scope, "container") && strcmp(r->info.scope, "pod") && strcmp(r->info.scope, "object"))
        return pol_fail(ld, def, "scope", v, "scope of %s must be container, pod or object", where);
    if (compile_kinds(ld, def, r) < 0 || pol_get_typed(ld, def, "preview", JSON_TRUE, false, where, &v) < 0)
        return -1;
    r->info.preview = v && json_is_true(v);
    return 0;
}

static int declare_each(const pol_loader *ld, const json_t *declared_in, json_t *declared, const pol_rec *r)
{
    const char *key;
    json_t *spec;
    json_object_foreach((json_t *)declared_in, key, spec) {
        static const char *const keys[] = {"type", "default", "description", NULL};
        const json_t *t;
        if (json_object_get(declared, key))
            return pol_fail(ld, declared_in, key, spec, "parameter name '%s' of %s is reserved: every "
                            "recommendation has it", key, r->info.id);
        if (!json_is_object(spec))
            return pol_fail(ld, declared_in, key, spec, "parameter '%s' of %s must be a mapping with type, default "
                            "and description", key, r->info.id);
        if (pol_check_keys(ld, spec, "a parameter", keys) < 0 ||
            pol_get_typed(ld, spec, "type", JSON_STRING, true, "a parameter", &t) < 0)
            return -1;
        json_object_set(declared, key, spec);
    }
    return 0;
}

/* The declared parameters, the common ones included (their names are reserved). */
static int declare_params(const pol_loader *ld, json_t *def, pol_rec *r)
{
    const json_t *declared_in;
    if (pol_get_typed(ld, def, "parameters", JSON_OBJECT, false, r->info.id, &declared_in) < 0)
        return -1;
    json_t *declared = pol_common_parameters();
    r->info.declared = declared;
    /* `def` keeps the full list (common ones included) for `catalog`; the given one lives until then. */
    json_incref((json_t *)declared_in);
    int rc = declare_each(ld, declared_in, declared, r);
    json_object_set_new(def, "parameters", declared);
    json_decref((json_t *)declared_in);
    return rc;
}

/* Parameters: declared, given, effective; `requires` decides whether the recommendation is configured. */
static int compile_params(const pol_loader *ld, json_t *def, const json_t *given_params, pol_rec *r)
{
    const char *where = r->info.id;
    if (declare_params(ld, def, r) < 0 ||
        pol_effective_params(ld, r->info.declared, given_params, where, &r->params) < 0)
        return -1;
    r->info.parameters = r->params;
    resolve_common(r);
    if (pol_string_list(ld, def, "requires", where, &r->info.required) < 0)
        return -1;
    r->info.configured = true;
    size_t i;
    const json_t *req;
    json_array_foreach(r->info.required, i, req) {
        if (!json_object_get(r->info.declared, json_string_value(req)))
            return pol_fail(ld, def, "requires", req, "%s requires '%s', which is not one of its parameters", where,
                            json_string_value(req));
        if (json_is_null(json_object_get(r->params, json_string_value(req))))
            r->info.configured = false;
    }
    return 0;
}

/* Expressions and the message; lets must be expressions. */
static int compile_rules(const pol_loader *ld, const json_t *def, pol_rec *r)
{
    const json_t *lets;
    if (pol_get_typed(ld, def, "let", JSON_OBJECT, false, r->info.id, &lets) < 0)
        return -1;
    const char *key;
    const json_t *lv;
    json_object_foreach((json_t *)lets, key, lv)
        if (!json_is_string(lv))
            return pol_fail(ld, lets, key, lv, "let '%s' of %s must be an expression (a string)", key, r->info.id);
    if (pol_compile_part(ld, def, "applies", true, r, &r->applies) < 0 ||
        pol_compile_part(ld, def, "unhealthy", true, r, &r->unhealthy) < 0)
        return -1;
    if (!r->unhealthy)
        return pol_fail(ld, def, NULL, NULL, "%s needs 'unhealthy' (an expression)", r->info.id);
    if (pol_compile_template(ld, def, "message", r, &r->message) < 0)
        return -1;
    return compile_fix(ld, def, r);
}

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

/* Every parameter a rule declares must be read by it, or setting it would change nothing. */
static int pol_check_params_read(const pol_loader *ld, const json_t *def, const pol_rec *r)
{
    static const char *const parts[] = {"let", "applies", "unhealthy", "message", "fix", NULL};
    const json_t *declared_in = json_object_get(def, "parameters");
    const char *key;
    const json_t *spec;
    json_object_foreach((json_t *)declared_in, key, spec) {
        if (!strcmp(key, "excludedNamespaces") || !strcmp(key, "namespaces") || !strcmp(key, "labelSelector") ||
            !strcmp(key, "excludedContainers") || !strcmp(key, "excludedImages"))
            continue;
        bool read = false;
        for (size_t i = 0; parts[i] && !read; i++)
            read = json_text_reads_param(json_object_get(def, parts[i]), key);
        if (!read)
            return pol_fail(ld, NULL, NULL, spec, "parameter '%s' of %s is read by none of its expressions, so "
                            "setting it would change nothing", key, r->info.id);
    }
    return 0;
}

/* The common parameters act before the rule runs; where one cannot change a
 * verdict (excluded containers of a rule that never looks at containers,
 * namespaces of cluster-scoped kinds), setting it is an error. */
static int pol_check_common_effect(const pol_loader *ld, const json_t *given_params, const pol_rec *r)
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
        return pol_fail(ld, given_params, container_params[i], v, "%s has no effect on %s: it judges %s, not "
                        "containers", container_params[i], r->info.id,
                        object ? "whole objects (scope object)" : "only pod-level fields");
    }
    if (!object)
        return 0;
    size_t k;
    const json_t *kind;
    json_array_foreach(r->kinds, k, kind)
        if (!pol_kind_cluster_scoped(json_string_value(kind)))
            return 0;
    for (size_t i = 0; namespace_params[i]; i++) {
        const json_t *v = json_object_get(given_params, namespace_params[i]);
        if (json_array_size(v))
            return pol_fail(ld, given_params, namespace_params[i], v, "%s has no effect on %s: every kind it reads "
                            "is cluster-scoped", namespace_params[i], r->info.id);
    }
    return 0;
}

/* One `validate` entry: a condition over params only, true for every value
 * that can have its effect; false is a load error naming the parameter. */
static int check_validation(const pol_loader *ld, const json_t *entry, const json_t *given_params, const pol_rec *r)
{
    static const char *const keys[] = {"rule", "message", "parameters", NULL};
    const json_t *names;
    pol_expr *rule = NULL;
    pol_template *message = NULL;
    if (!json_is_object(entry) || pol_check_keys(ld, entry, "a validation", keys) < 0 ||
        pol_string_list(ld, entry, "parameters", r->info.id, &names) < 0 ||
        pol_compile_part(ld, entry, "rule", true, r, &rule) < 0 ||
        pol_compile_template(ld, entry, "message", r, &message) < 0) {
        pol_expr_free(rule);
        return json_is_object(entry) ? -1 : pol_fail(ld, entry, NULL, entry, "each validation of %s must be a mapping",
                                                     r->info.id);
    }
    int rc = 0;
    if (!rule)
        rc = pol_fail(ld, entry, NULL, NULL, "a validation of %s needs 'rule'", r->info.id);
    else if (pol_expr_reads(rule) & ~POL_READS_POD_CONTAINERS)
        rc = pol_fail(ld, entry, "rule", NULL, "a validation of %s may read only params", r->info.id);
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
        rc = at ? pol_fail(ld, given_params, json_string_value(at), NULL, "parameters of %s: %s", r->info.id, text)
                : pol_fail(ld, given_params ? given_params : entry, NULL, NULL, "parameters of %s: %s", r->info.id,
                           text);
        free(text);
    }
    pol_rule_ctx_free(&ctx);
    pol_expr_free(rule);
    pol_template_free(message);
    return rc;
}

static int pol_check_validations(const pol_loader *ld, const json_t *def, const json_t *given_params, const pol_rec *r)
{
    const json_t *list = json_object_get(def, "validate");
    if (list && !json_is_array(list))
        return pol_fail(ld, def, "validate", list, "'validate' of %s must be a list", r->info.id);
    size_t i;
    const json_t *entry;
    json_array_foreach(list, i, entry)
        if (check_validation(ld, entry, given_params, r) < 0)
            return -1;
    return 0;
}

/* Action and state from the settings' entry (`given`, may be NULL). */
static int apply_settings(const pol_loader *ld, sg_policy *p, const json_t *given, sg_action default_action, pol_rec *r)
{
    r->info.action = default_action;
    if (given) {
        static const char *const keys[] = {"action", "parameters", NULL};
        if (pol_check_keys(ld, given, r->info.id, keys) < 0 ||
            pol_parse_action(ld, given, r->info.id, &r->info.action) < 0)
            return -1;
        if (r->info.builtin && !sg_policy_standard_enabled(p, r->info.standard))
            return pol_fail(ld, given, NULL, NULL, "%s belongs to standard %s, which is not enabled, so its settings "
                            "would change nothing: add %s to standards (or remove them)", r->info.id, r->info.standard,
                            r->info.standard);
    }
    r->info.enabled = r->info.action != SG_ACTION_DISABLED &&
                      (!r->info.builtin || sg_policy_standard_enabled(p, r->info.standard));
    r->info.scored = r->info.builtin && !r->info.preview && r->info.enabled && r->info.configured;
    return 0;
}

/* Compile one recommendation definition with its settings (`given` may be NULL). */
static int compile_rec(const pol_loader *ld, sg_policy *p, json_t *def, const char *standard, bool builtin,
                       const json_t *given, sg_action default_action, pol_rec *r)
{
    if (!json_is_object(def))
        return pol_fail(ld, def, NULL, def, "a recommendation must be a mapping");
    r->def = json_incref(def);
    r->info.builtin = builtin;
    r->info.standard = standard;
    const json_t *given_params = NULL;
    if (compile_header(ld, def, r) < 0 ||
        (given && pol_get_typed(ld, given, "parameters", JSON_OBJECT, false, r->info.id, &given_params) < 0) ||
        compile_params(ld, def, given_params, r) < 0 || compile_rules(ld, def, r) < 0 ||
        pol_check_params_read(ld, def, r) < 0 || pol_check_common_effect(ld, given_params, r) < 0 ||
        pol_check_validations(ld, def, given_params, r) < 0)
        return -1;
    return apply_settings(ld, p, given, default_action, r);
}

static void pol_rec_free(pol_rec *r)
{
    pol_expr_free(r->applies);
    pol_expr_free(r->unhealthy);
    pol_template_free(r->message);
    for (size_t i = 0; i < r->nfix; i++) {
        pol_expr_free(r->fix[i].when);
        pol_path_free(r->fix[i].path);
        pol_expr_free(r->fix[i].value);
        pol_template_free(r->fix[i].fail);
        json_decref(r->fix[i].value_const);
    }
    free(r->fix);
    json_decref(r->params);
    json_decref(r->def);
}

/* ---------- the settings document ---------- */

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

/* The settings' entry of recommendation `id` (NULL when none); -1 when it is not a mapping. */
static int rec_settings(const pol_loader *ld, const json_t *settings, const char *id, const json_t **given)
{
    *given = id && settings ? json_object_get(settings, id) : NULL;
    if (*given && !json_is_object(*given))
        return pol_fail(ld, settings, id, *given, "settings of %s must be a mapping (action, parameters)", id);
    return 0;
}

/* The built-in catalog's documents, each a standard with its recommendations. */
static int compile_builtins(const pol_loader *ld, const pol_loader *builtin_ld, sg_policy *p,
                            const json_t *settings, sg_action default_action)
{
    size_t i;
    json_t *doc;
    json_array_foreach(p->builtin, i, doc) {
        const char *standard = json_string_value(json_object_get(doc, "standard"));
        json_t *list = json_object_get(doc, "recommendations");
        if (!standard || !json_is_array(list))
            return pol_fail(builtin_ld, doc, NULL, NULL, "a catalog document needs 'standard' and 'recommendations'");
        size_t k;
        json_t *def;
        json_array_foreach(list, k, def) {
            const json_t *given;
            if (rec_settings(ld, settings, json_string_value(json_object_get(def, "id")), &given) < 0)
                return -1;
            pol_rec *r = &p->recs[p->nrecs++];
            /* Parameter errors point at the user's file; definition errors at the catalog. */
            if (compile_rec(given ? ld : builtin_ld, p, def, standard, true, given, default_action, r) < 0)
                return -1;
        }
    }
    return 0;
}

/* The settings' custom recommendations, after the built-in ones. */
static int compile_custom(const pol_loader *ld, sg_policy *p, const json_t *settings, const json_t *custom,
                          sg_action default_action)
{
    size_t i;
    json_t *doc;
    json_array_foreach(custom, i, doc) {
        const json_t *given;
        if (rec_settings(ld, settings, json_string_value(json_object_get(doc, "id")), &given) < 0)
            return -1;
        pol_rec *r = &p->recs[p->nrecs++];
        if (compile_rec(ld, p, doc, "custom", false, given, default_action, r) < 0)
            return -1;
        /* A custom recommendation may carry its own action; the settings' entry wins. */
        if (!(given && json_object_get(given, "action")) &&
            pol_parse_action(ld, doc, r->info.id, &r->info.action) < 0)
            return -1;
        r->info.enabled = r->info.action != SG_ACTION_DISABLED;
        for (size_t k = 0; k + 1 < p->nrecs; k++)
            if (!strcmp(p->recs[k].info.id, r->info.id))
                return pol_fail(ld, doc, "id", NULL, "recommendation id '%s' is already taken", r->info.id);
    }
    return 0;
}

/* Compile the catalog, built-in then custom (`custom` may be NULL), with the
 * settings' entries by id (`settings`, may be NULL) into p->recs. */
static int pol_compile_catalog(const pol_loader *ld, const pol_loader *builtin_ld, sg_policy *p,
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
        if (match) {
            if (pol_check_keys(ld, match, "match", match_keys) < 0 ||
                pol_string_list(ld, match, "namespaces", where, &x->namespaces) < 0 ||
                pol_string_list(ld, match, "kinds", where, &x->kinds) < 0 ||
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

static int load_server(const pol_loader *ld, sg_policy *p)
{
    static const char *const keys[] = {"address", "stateDir", "tls", "inventorySync", NULL};
    static const char *const tls_keys[] = {"certFile", "keyFile", "clientCAFile", NULL};
    static const char *const sync_keys[] = {"enabled", "kubeconfig", NULL};
    static const char *const gate_keys[] = {"minScore", "maxDrop", NULL};
    sg_server_settings *s = &p->server;
    s->address = DEFAULT_ADDRESS;
    s->state_dir = DEFAULT_STATE_DIR;
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
    if (pol_check_keys(ld, server, "server", keys) < 0)
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
    if (pol_get_typed(ld, server, "tls", JSON_OBJECT, false, "server", &tls) < 0)
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
                                           "exemptions", "scoreGate", "server", "custom", NULL};
    if (pol_check_keys(&ld, p->config, "the settings", top_keys) < 0)
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
    if (rc < 0 || load_exemptions(&ld, p) < 0 || load_server(&ld, p) < 0)
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
    free(p->exemptions);
    json_decref(p->standards);
    json_decref(p->default_excluded);
    json_decref(p->builtin);
    json_decref(p->config);
    free(p);
}
