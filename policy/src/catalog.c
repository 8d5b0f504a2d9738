/*
 * catalog.c - read access to a loaded policy: recommendations, standards,
 * excluded namespaces, exemption matching, and the names of the enums.
 */
#include <string.h>

#include "internal_policy.h"

size_t sg_policy_rec_count(const sg_policy *p)
{
    return p->nrecs;
}

const sg_rec_info *sg_policy_rec(const sg_policy *p, size_t index)
{
    return index < p->nrecs ? &p->recs[index].info : NULL;
}

long sg_policy_rec_index(const sg_policy *p, const char *id)
{
    for (size_t i = 0; i < p->nrecs; i++)
        if (!strcmp(p->recs[i].info.id, id))
            return (long)i;
    return -1;
}

bool sg_policy_standard_enabled(const sg_policy *p, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach(p->standards, i, s)
        if (!strcmp(json_string_value(s), name))
            return true;
    return false;
}

bool pol_name_listed(const json_t *list, const char *name)
{
    if (!name)
        return false;
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item) {
        const char *entry = json_string_value(item);
        size_t len = json_string_length(item);
        if (!entry)
            continue;
        if (len > 0 && entry[len - 1] == '*') {
            if (!strncmp(name, entry, len - 1))
                return true;
        } else if (!strcmp(name, entry)) {
            return true;
        }
    }
    return false;
}

bool sg_policy_namespace_excluded(const sg_policy *p, const char *ns)
{
    return ns && pol_name_listed(p->excluded_namespaces, ns);
}

const sg_score_gate_settings *sg_policy_score_gate(const sg_policy *p)
{
    return &p->gate;
}

const json_t *sg_policy_section(const sg_policy *p, const char *key)
{
    return json_object_get(p->config, key);
}

void sg_policy_settings_source(const sg_policy *p, const char **name, const struct sg_linemap **lines)
{
    *name = p->name;
    *lines = p->lines;
}

/* A NULL list matches everything; otherwise `name` must be one of its entries. */
static bool listed_exactly(const json_t *list, const char *name)
{
    if (!list)
        return true;
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
        if (name && !strcmp(json_string_value(item), name))
            return true;
    return false;
}

static bool exemption_matches(const pol_exemption *x, const char *id, const char *group, const char *kind,
                              const char *ns, const char *name, const json_t *labels)
{
    return listed_exactly(x->recommendations, id) && (!x->kinds || pol_kinds_match(&x->gks, group, kind)) &&
           listed_exactly(x->namespaces, ns) && (!x->names || pol_name_listed(x->names, name)) &&
           (!x->selector || pol_selector_matches(x->selector, labels));
}

const sg_exemption_info *pol_exemption_find(const sg_policy *p, size_t rec, const char *group, const char *kind,
                                            const char *ns, const char *name, const json_t *labels, time_t now,
                                            const sg_exemption_info **expired)
{
    *expired = NULL;
    const char *id = p->recs[rec].info.id;
    for (size_t i = 0; i < p->nexemptions; i++) {
        const pol_exemption *x = &p->exemptions[i];
        if (!exemption_matches(x, id, group, kind, ns, name, labels))
            continue;
        if (!x->info.expires || x->info.expires > now) {
            *expired = NULL;
            return &x->info;
        }
        if (!*expired)
            *expired = &x->info;
    }
    return NULL;
}

const sg_exemption_info *sg_policy_exemption_match(const sg_policy *p, size_t rec, const char *group,
                                                   const char *kind, const char *ns, const char *name,
                                                   const json_t *labels, time_t now, bool *expired)
{
    const sg_exemption_info *old;
    const sg_exemption_info *x = pol_exemption_find(p, rec, group, kind, ns, name, labels, now, &old);
    if (expired)
        *expired = old != NULL;
    return x;
}

size_t sg_policy_exemption_count(const sg_policy *p)
{
    return p->nexemptions;
}

const sg_exemption_info *sg_policy_exemption(const sg_policy *p, size_t index)
{
    return index < p->nexemptions ? &p->exemptions[index].info : NULL;
}

const char *sg_action_name(sg_action a)
{
    static const char *names[] = {"disabled", "audit", "warn", "deny", "enforce"};
    return (unsigned)a < 5 ? names[a] : "unknown";
}

const char *sg_status_name(sg_status s)
{
    static const char *names[] = {"healthy", "unhealthy", "exempt", "notApplicable"};
    return (unsigned)s < 4 ? names[s] : "unknown";
}

const char *sg_severity_name(sg_severity s)
{
    static const char *names[] = {"low", "medium", "high"};
    return (unsigned)s < 3 ? names[s] : "unknown";
}

const char *sg_exemption_category_name(sg_exemption_category c)
{
    static const char *names[] = {"none", "waiver", "mitigated"};
    return (unsigned)c < 3 ? names[c] : "unknown";
}
