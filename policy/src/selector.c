/*
 * selector.c - Kubernetes label selectors (matchLabels, matchExpressions with
 * In, NotIn, Exists, DoesNotExist), used by the labelSelector parameter and by
 * exemptions.
 */
#include <stdio.h>
#include <string.h>

#include "internal_policy.h"

static bool value_listed(const json_t *values, const char *v)
{
    size_t i;
    const json_t *item;
    json_array_foreach(values, i, item)
        if (v && json_is_string(item) && !strcmp(json_string_value(item), v))
            return true;
    return false;
}

bool pol_selector_matches(const json_t *selector, const json_t *labels)
{
    if (!json_is_object(selector))
        return true;
    const json_t *ml = json_object_get(selector, "matchLabels");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ml, key, v) {
        const char *have = json_string_value(json_object_get(labels, key));
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)))
            return false;
    }
    size_t i;
    const json_t *expr;
    json_array_foreach(json_object_get(selector, "matchExpressions"), i, expr) {
        const char *k = json_string_value(json_object_get(expr, "key"));
        const char *op = json_string_value(json_object_get(expr, "operator"));
        const json_t *values = json_object_get(expr, "values");
        const json_t *have = k ? json_object_get(labels, k) : NULL;
        const char *hv = json_string_value(have);
        if (!op)
            return false;
        if (!strcmp(op, "In") && !value_listed(values, hv))
            return false;
        if (!strcmp(op, "NotIn") && have && value_listed(values, hv))
            return false;
        if (!strcmp(op, "Exists") && !have)
            return false;
        if (!strcmp(op, "DoesNotExist") && have)
            return false;
    }
    return true;
}

int pol_selector_check(const json_t *selector, char *err, size_t errlen)
{
    if (!json_is_object(selector)) {
        snprintf(err, errlen, "a label selector must be a mapping");
        return -1;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)selector, key, v) {
        if (strcmp(key, "matchLabels") && strcmp(key, "matchExpressions")) {
            snprintf(err, errlen, "unknown key '%s' in a label selector (expected matchLabels, matchExpressions)", key);
            return -1;
        }
    }
    const json_t *ml = json_object_get(selector, "matchLabels");
    if (ml && !json_is_object(ml)) {
        snprintf(err, errlen, "matchLabels must be a mapping of strings");
        return -1;
    }
    json_object_foreach((json_t *)ml, key, v)
        if (!json_is_string(v)) {
            snprintf(err, errlen, "matchLabels value of '%s' must be a string", key);
            return -1;
        }
    const json_t *me = json_object_get(selector, "matchExpressions");
    if (me && !json_is_array(me)) {
        snprintf(err, errlen, "matchExpressions must be a list");
        return -1;
    }
    size_t i;
    const json_t *expr;
    json_array_foreach(me, i, expr) {
        const char *op = json_string_value(json_object_get(expr, "operator"));
        const json_t *values = json_object_get(expr, "values");
        if (!json_is_string(json_object_get(expr, "key")) || !op ||
            (strcmp(op, "In") && strcmp(op, "NotIn") && strcmp(op, "Exists") && strcmp(op, "DoesNotExist"))) {
            snprintf(err, errlen, "matchExpressions item %zu needs a key and an operator In, NotIn, Exists or "
                     "DoesNotExist", i + 1);
            return -1;
        }
        bool needs_values = !strcmp(op, "In") || !strcmp(op, "NotIn");
        if (needs_values != (json_is_array(values) && json_array_size(values) > 0)) {
            snprintf(err, errlen, "matchExpressions item %zu: operator %s %s values", i + 1, op,
                     needs_values ? "needs" : "takes no");
            return -1;
        }
    }
    return 0;
}
