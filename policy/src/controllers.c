/*
 * controllers.c - pod controllers: custom resources that embed one pod
 * template, which every recommendation, fix and exemption treats like a
 * Deployment. scoregate knows Argo Rollouts and the OpenKruise workloads
 * (CloneSet, Advanced StatefulSet, Advanced DaemonSet); the settings'
 * `podControllers` add others or replace those:
 *
 *   podControllers:
 *     - {apiVersion: example.com/v1, kind: Workload, podTemplate: spec.template, resource: workloads}
 *
 * podTemplate is the path of field names to the pod template (the object
 * with metadata and spec); resource, the plural of the API's URLs and RBAC,
 * defaults to the kind in lower case with an "s". A path that cannot name a
 * pod template is a load error naming the line, never a rule that silently
 * checks nothing.
 *
 * Also here: the names of kinds in rules and exemptions ("Kind" or
 * "GROUP/Kind"), resolved once at load.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_settings.h"

/* scoregate's own entries; the settings may replace one by naming its group and kind. */
static const struct {
    const char *api_version, *kind, *resource, *template;
} builtins[] = {
    {"argoproj.io/v1alpha1", "Rollout", "rollouts", "spec.template"},
    {"apps.kruise.io/v1alpha1", "CloneSet", "clonesets", "spec.template"},
    {"apps.kruise.io/v1beta1", "StatefulSet", "statefulsets", "spec.template"},
    {"apps.kruise.io/v1alpha1", "DaemonSet", "daemonsets", "spec.template"},
};

#define NBUILTINS (sizeof builtins / sizeof builtins[0])

const pol_controller *pol_controllers(const sg_policy *p, size_t *n)
{
    *n = p ? p->ncontrollers : 0;
    return p ? p->controllers : NULL;
}

size_t sg_policy_pod_controller_count(const sg_policy *p)
{
    return p->ncontrollers;
}

const sg_pod_controller *sg_policy_pod_controller(const sg_policy *p, size_t index)
{
    return index < p->ncontrollers ? &p->controllers[index].info : NULL;
}

/* A DNS subdomain in lower case (an API group), or a DNS label when !dots (a resource). */
static bool dns_name(const char *s, size_t n, bool dots)
{
    if (!n || n > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' || (dots && s[i] == '.')))
            return false;
    return true;
}

/* A kind: an upper-case letter, then letters and digits. */
static bool kind_name(const char *s)
{
    if (!isupper((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s))
            return false;
    return true;
}

/* Why `path` cannot name a pod template, or NULL; its steps go to c->steps. */
static const char *template_steps(const char *path, pol_controller *c, char *buf)
{
    if (!*path || *path == '.' || path[strlen(path) - 1] == '.' || strstr(path, ".."))
        return "it is field names joined by dots, e.g. spec.template";
    size_t n = 0;
    for (char *step = strcpy(buf, path), *next; step; step = next) {
        next = strchr(step, '.');
        if (next)
            *next++ = '\0';
        for (const char *ch = step; *ch; ch++)
            if (!isalnum((unsigned char)*ch) && *ch != '_' && *ch != '-')
                return "it is field names joined by dots (no list indexes or wildcards: an object has one pod "
                       "template here), e.g. spec.template";
        if (n == POL_TEMPLATE_MAX_STEPS)
            return "it has more than 8 steps";
        c->steps[n++] = step;
    }
    c->steps[n] = NULL;
    if (!strcmp(c->steps[n - 1], "spec") || !strcmp(c->steps[n - 1], "containers"))
        return "it names the pod spec; podTemplate names the pod template, which holds metadata and spec "
               "(e.g. spec.template)";
    return NULL;
}

/* Copy n bytes of s and a NUL at *t; returns the copy. */
static char *put(char **t, const char *s, size_t n)
{
    char *copy = memcpy(*t, s, n);
    copy[n] = '\0';
    *t += n + 1;
    return copy;
}

/* "/spec/template/spec" for the path spec.template and the field `last`. */
static char *put_pointer(char **t, const char *path, const char *last)
{
    char *ptr = *t;
    *t += sprintf(ptr, "/%s/%s", path, last) + 1;
    for (char *ch = ptr; *ch; ch++)
        *ch = *ch == '.' ? '/' : *ch;
    return ptr;
}

/* Fill `c` from its fields (copied into c->text); NULL, or why they are
 * wrong and in which field (*field). `resource` NULL: the kind in lower case
 * and "s". */
static const char *controller_build(const char *api_version, const char *kind, const char *resource,
                                    const char *template, bool builtin, pol_controller *c, const char **field)
{
    memset(c, 0, sizeof *c);
    const char *slash = strchr(api_version, '/');
    size_t glen = slash ? (size_t)(slash - api_version) : 0;
    *field = "apiVersion";
    if (!slash || strchr(slash + 1, '/') || !slash[1] || !dns_name(api_version, glen, true) ||
        !memchr(api_version, '.', glen))
        return "apiVersion is GROUP/VERSION of a custom resource, e.g. argoproj.io/v1alpha1";
    *field = "kind";
    if (!kind_name(kind))
        return "kind is the name of a kind: an upper-case letter, then letters and digits";
    *field = "resource";
    if (resource && !dns_name(resource, strlen(resource), false))
        return "resource is the plural of the API's URLs: lower-case letters, digits and '-', e.g. rollouts";
    *field = "podTemplate";
    size_t alen = strlen(api_version), klen = strlen(kind), tlen = strlen(template);
    size_t rlen = resource ? strlen(resource) : klen + 1;
    char *t = c->text = sg_malloc(2 * alen + 2 * klen + rlen + 4 * tlen + 64);
    const char *why = template_steps(template, c, put(&t, template, tlen));
    if (why)
        return why;
    c->info.api_version = put(&t, api_version, alen);
    c->info.group = c->def.group = put(&t, api_version, glen);
    c->info.version = put(&t, slash + 1, alen - glen - 1);
    c->info.kind = c->def.kind = put(&t, kind, klen);
    c->info.pod_template = put(&t, template, tlen);
    char *plural = put(&t, resource ? resource : kind, resource ? rlen : klen);
    if (!resource) {
        for (char *ch = plural; *ch; ch++)
            *ch = (char)tolower((unsigned char)*ch);
        strcpy(plural + klen, "s");
        t++;
    }
    c->info.resource = plural;
    c->info.builtin = builtin;
    c->def.steps = c->steps;
    c->def.spec_pointer = put_pointer(&t, template, "spec");
    c->def.metadata_pointer = put_pointer(&t, template, "metadata");
    c->def.custom = true;
    return NULL;
}

/* One entry of the settings' podControllers into c. */
static int load_entry(const sg_doc_reader *ld, const json_t *e, pol_controller *c)
{
    static const char *const keys[] = {"apiVersion", "kind", "podTemplate", "resource", NULL};
    const json_t *api, *kind, *template, *resource;
    if (!json_is_object(e))
        return sg_doc_fail(ld, NULL, NULL, e,
                           "each podControllers entry is a mapping: {apiVersion, kind, podTemplate}");
    if (sg_doc_check_keys(ld, e, "a podControllers entry", keys) < 0 ||
        sg_doc_get_typed(ld, e, "apiVersion", JSON_STRING, true, "a podControllers entry", &api) < 0 ||
        sg_doc_get_typed(ld, e, "kind", JSON_STRING, true, "a podControllers entry", &kind) < 0 ||
        sg_doc_get_typed(ld, e, "podTemplate", JSON_STRING, true, "a podControllers entry", &template) < 0 ||
        sg_doc_get_typed(ld, e, "resource", JSON_STRING, false, "a podControllers entry", &resource) < 0)
        return -1;
    const char *field;
    const char *why = controller_build(json_string_value(api), json_string_value(kind),
                                       resource ? json_string_value(resource) : NULL, json_string_value(template),
                                       false, c, &field);
    if (why)
        return sg_doc_fail(ld, e, field, NULL, "podControllers entry %s %s: %s", json_string_value(api),
                           json_string_value(kind), why);
    const char *builtin = pol_builtin_group(c->def.kind);
    if (builtin && !strcmp(builtin, c->def.group))
        return sg_doc_fail(ld, e, "kind", NULL, "podControllers entry %s %s is a built-in Kubernetes kind",
                           json_string_value(api), json_string_value(kind));
    return 0;
}

static bool same_kind(const pol_controller *a, const char *group, const char *kind)
{
    return !strcmp(a->def.group, group) && !strcmp(a->def.kind, kind);
}

int pol_load_controllers(const sg_doc_reader *ld, sg_policy *p)
{
    const json_t *list;
    if (sg_doc_get_typed(ld, p->config, "podControllers", JSON_ARRAY, false, "the settings", &list) < 0)
        return -1;
    p->controllers = sg_calloc(json_array_size(list) + NBUILTINS, sizeof *p->controllers);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        pol_controller *c = &p->controllers[p->ncontrollers];
        int rc = load_entry(ld, e, c);
        p->ncontrollers++;
        if (rc < 0)
            return -1;
        for (size_t k = 0; k + 1 < p->ncontrollers; k++)
            if (same_kind(&p->controllers[k], c->def.group, c->def.kind))
                return sg_doc_fail(ld, e, "kind", NULL, "podControllers names %s %s twice", c->info.api_version,
                                   c->info.kind);
    }
    size_t given = p->ncontrollers;
    for (size_t b = 0; b < NBUILTINS; b++) {
        pol_controller c;
        const char *field;
        controller_build(builtins[b].api_version, builtins[b].kind, builtins[b].resource, builtins[b].template, true,
                         &c, &field);
        bool replaced = false;
        for (size_t k = 0; k < given; k++)
            replaced = replaced || same_kind(&p->controllers[k], c.def.group, c.def.kind);
        if (replaced) {
            free(c.text);
            continue;
        }
        p->controllers[p->ncontrollers++] = c;
    }
    /* The steps and pointers point into each entry's own text, which moved with it. */
    for (i = 0; i < p->ncontrollers; i++)
        p->controllers[i].def.steps = p->controllers[i].steps;
    return 0;
}

void pol_controllers_free(sg_policy *p)
{
    for (size_t i = 0; i < p->ncontrollers; i++)
        free(p->controllers[i].text);
    free(p->controllers);
}

/* The version-like first part of "v1/Pod": the core group has no name. */
static bool version_like(const char *s, size_t n)
{
    return n >= 2 && s[0] == 'v' && isdigit((unsigned char)s[1]) && strspn(s, "v0123456789alphbet") >= n;
}

/* Resolve one name of a kind ("Kind" or "GROUP/Kind") into *out (owned
 * copies); 0, or -1 with why not in `why`. */
static int resolve(const sg_policy *p, const char *name, pol_kind *out, char *why, size_t len)
{
    const char *slash = strrchr(name, '/');
    if (slash) {
        size_t glen = (size_t)(slash - name);
        char group[256];
        if (memchr(name, '/', glen) || version_like(name, glen))
            snprintf(why, len, "'%s': name a kind as Kind or GROUP/Kind, without a version (apps/Deployment, "
                     "argoproj.io/Rollout; core kinds without a group: Pod)", name);
        else if (!dns_name(name, glen, true) || !kind_name(slash + 1))
            snprintf(why, len, "'%s' is not GROUP/Kind (e.g. argoproj.io/Rollout)", name);
        else {
            *out = (pol_kind){sg_strdup(pol_group_of(name, slash + 1, group, sizeof group)), sg_strdup(slash + 1)};
            return 0;
        }
        return -1;
    }
    const char *group = pol_builtin_group(name), *found = NULL;
    size_t n;
    const pol_controller *c = pol_controllers(p, &n);
    for (size_t i = 0; !group && i < n; i++) {
        if (strcmp(c[i].def.kind, name))
            continue;
        if (found) {
            snprintf(why, len, "'%s' names pod controllers of groups %s and %s: write GROUP/%s", name, found,
                     c[i].def.group, name);
            return -1;
        }
        found = c[i].def.group;
    }
    if (!group && !found) {
        snprintf(why, len, "'%s' is neither a built-in Kubernetes kind nor a pod controller: name its API group, as "
                 "in example.com/%s", name, name);
        return -1;
    }
    *out = (pol_kind){sg_strdup(group ? group : found), sg_strdup(name)};
    return 0;
}

int pol_kinds_compile(const sg_doc_reader *ld, const sg_policy *p, const json_t *obj, const char *key,
                      const char *where, pol_kinds *out)
{
    const json_t *list = json_object_get(obj, key);
    memset(out, 0, sizeof *out);
    out->items = sg_calloc(json_array_size(list) + 1, sizeof *out->items);
    size_t i;
    const json_t *name;
    json_array_foreach(list, i, name) {
        char why[512];
        if (resolve(p, json_string_value(name), &out->items[out->n], why, sizeof why) < 0)
            return sg_doc_fail(ld, obj, key, name, "%s: %s", where, why);
        out->n++;
    }
    return 0;
}
