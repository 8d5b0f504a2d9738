/*
 * fields.c - typed reads of a loaded YAML mapping (a settings file, a
 * recommendation definition, a section another module owns), with messages
 * that name the file and line through the document's line map.
 *
 * A typo must never silently weaken a policy, so an unknown key or a value
 * of the wrong type is an error ("NAME: line L: ..."), never ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <scoregate/doc.h>

int sg_doc_fail(const sg_doc_reader *rd, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...)
{
    char msg[SG_ERRMAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0;
    if (rd->lines && obj && key)
        line = sg_linemap_member(rd->lines, obj, key);
    if (!line && rd->lines && node)
        line = sg_linemap_node(rd->lines, node);
    if (!line && rd->lines && obj)
        line = sg_linemap_node(rd->lines, obj);
    if (line)
        snprintf(rd->err, rd->errlen, "%s: line %d: %s", rd->name, line, msg);
    else
        snprintf(rd->err, rd->errlen, "%s: %s", rd->name, msg);
    return -1;
}

/* Reject keys of `obj` not in the NULL-terminated `allowed` list. */
int sg_doc_check_keys(const sg_doc_reader *rd, const json_t *obj, const char *where, const char *const *allowed)
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
        return sg_doc_fail(rd, obj, key, NULL, "unknown key '%s' in %s (expected one of: %s)", key, where, list);
    }
    return 0;
}

const char *sg_doc_type_name(const json_t *v)
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
int sg_doc_get_typed(const sg_doc_reader *rd, const json_t *obj, const char *key, json_type type, bool required,
                  const char *where, const json_t **out)
{
    static const char *names[] = {"a mapping", "a list", "a string", "a number", "a number", "a boolean",
                                  "a boolean", "null"};
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return sg_doc_fail(rd, obj, NULL, NULL, "%s needs '%s'", where, key);
        return 0;
    }
    bool ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)) ||
              (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return sg_doc_fail(rd, obj, key, v, "'%s' in %s must be %s, not %s", key, where, names[type], sg_doc_type_name(v));
    *out = v;
    return 0;
}

int sg_doc_string_list(const sg_doc_reader *rd, const json_t *obj, const char *key, const char *where,
                    const json_t **out)
{
    if (sg_doc_get_typed(rd, obj, key, JSON_ARRAY, false, where, out) < 0)
        return -1;
    size_t i;
    const json_t *item;
    if (*out)
        json_array_foreach(*out, i, item)
            if (!json_is_string(item))
                return sg_doc_fail(rd, obj, key, item, "'%s' in %s must be a list of strings (item %zu is %s)", key,
                                where, i + 1, sg_doc_type_name(item));
    return 0;
}
