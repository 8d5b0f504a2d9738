/*
 * params.c - the parameters of a recommendation: the common ones every
 * recommendation has, the types a rule declares, and the effective values
 * (declared defaults overridden by the settings), each checked against its
 * type at load so that a value that could never match is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "internal_rule_ast.h"
#include "internal_settings.h"

json_t *pol_common_parameters(void)
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

bool pol_common_parameter(const char *name)
{
    static const char *const names[] = {"excludedNamespaces", "namespaces", "labelSelector", "excludedContainers",
                                        "excludedImages", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
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
static int check_param_items(const sg_doc_reader *ld, const json_t *obj, const char *key, const json_t *value,
                             const char *type, const char *where, json_t **out)
{
    size_t i;
    const json_t *item;
    json_array_foreach(value, i, item) {
        if (!strcmp(type, "strings") && !json_is_string(item))
            return sg_doc_fail(ld, obj, key, item, "parameter '%s' of %s must be a list of strings (item %zu is %s)",
                               key, where, i + 1, sg_doc_type_name(item));
        if (!strcmp(type, "ports") && !port_number(item))
            return sg_doc_fail(ld, obj, key, item, "parameter '%s' of %s: item %zu is not a port number (1-65535, as a "
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
static int check_param(const sg_doc_reader *ld, const json_t *obj, const char *key, const json_t *value,
                       const char *type, const char *where, json_t **out)
{
    *out = NULL;
    size_t t;
    for (t = 0; param_types[t] && strcmp(param_types[t], type); t++)
        ;
    if (!param_types[t])
        return sg_doc_fail(ld, obj, key, value, "parameter '%s' of %s has unknown type '%s' (expected string, regex, "
                           "number, boolean, array, strings, ports, object or quantity)", key, where, type);
    if (!param_shape_ok(type, value))
        return sg_doc_fail(ld, obj, key, value, "parameter '%s' of %s must be %s, not %s", key, where,
                           param_type_text(type), sg_doc_type_name(value));
    if (!strcmp(type, "quantity") && json_is_string(value)) {
        double q;
        if (sg_quantity_parse(json_string_value(value), &q) < 0)
            return sg_doc_fail(ld, obj, key, value, "parameter '%s' of %s: '%s' is not a Kubernetes quantity", key,
                               where, json_string_value(value));
    }
    if (!strcmp(type, "regex")) {
        char rerr[SG_ERRMAX];
        pcre2_code *re = pol_regex_compile(json_string_value(value), json_string_length(value), rerr, sizeof rerr);
        if (!re)
            return sg_doc_fail(ld, obj, key, value, "parameter '%s' of %s: %s", key, where, rerr);
        pcre2_code_free(re);
    }
    if (!strcmp(key, "labelSelector")) {
        char serr[256];
        if (pol_selector_check(value, serr, sizeof serr) < 0)
            return sg_doc_fail(ld, obj, key, value, "parameter labelSelector of %s: %s", where, serr);
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
int pol_effective_params(const sg_doc_reader *ld, const json_t *declared, const json_t *given, const char *where,
                         json_t **out)
{
    json_t *params = json_object();
    const char *key;
    const json_t *spec;
    json_object_foreach((json_t *)declared, key, spec) {
        const json_t *def = json_object_get(spec, "default");
        json_t *value = NULL;
        if (def && check_param(ld, spec, key, def, json_string_value(json_object_get(spec, "type")), where,
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
                return sg_doc_fail(ld, given, key, NULL, "%s has no parameter '%s'", where, key);
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
