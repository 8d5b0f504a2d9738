/*
 * loader.c - typed reads of the YAML mappings of the settings file and of
 * recommendation definitions, with messages that name the file and line.
 *
 * A typo must never silently weaken a policy, so an unknown key or a value
 * of the wrong type is an error ("NAME: line L: ..."), never ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal_settings.h"

int pol_fail(const pol_loader *ld, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...)
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
int pol_check_keys(const pol_loader *ld, const json_t *obj, const char *where, const char *const *allowed)
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

const char *pol_type_name(const json_t *v)
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
int pol_get_typed(const pol_loader *ld, const json_t *obj, const char *key, json_type type, bool required,
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

int pol_string_list(const pol_loader *ld, const json_t *obj, const char *key, const char *where,
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

int pol_parse_action(const pol_loader *ld, const json_t *obj, const char *where, sg_action *out)
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
