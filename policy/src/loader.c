/*
 * loader.c - the reads of the settings file and of recommendation
 * definitions that are policy's own (an action); the typed reads of mappings
 * they build on are doc's (sg_doc_get_typed and the others, doc/src/fields.c).
 */
#include <string.h>

#include "internal_settings.h"

int pol_parse_action(const sg_doc_reader *ld, const json_t *obj, const char *where, sg_action *out)
{
    static const char *names[] = {"disabled", "audit", "warn", "deny", "enforce"};
    const json_t *v;
    if (sg_doc_get_typed(ld, obj, "action", JSON_STRING, false, where, &v) < 0)
        return -1;
    if (!v)
        return 1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            *out = (sg_action)i;
            return 0;
        }
    return sg_doc_fail(ld, obj, "action", v, "action '%s' in %s is not one of disabled, audit, warn, deny, enforce",
                       json_string_value(v), where);
}
