/*
 * fuzz_patch.c - libFuzzer target for JSON Patch generation, checked by its
 * meaning rather than its shape. The input is a Kubernetes object (JSON, as
 * the API server sends it) evaluated with every recommendation of every
 * standard set to enforce, plus custom ones whose fixes touch keys that need
 * "~0"/"~1" escaping, remove map entries and rewrite lists. Then:
 *  - the patch of sg_policy_fix(), applied by the small RFC 6902 applier
 *    below to a copy of the object, must give exactly its `fixed` copy, and
 *    every operation must apply (paths exist, parents exist);
 *  - sg_policy_enforce() must build the same patch;
 *  - the object itself must be left untouched;
 *  - when the fix heals every enforced finding, the fixed object needs no
 *    further patch;
 *  - sg_policy_enforce()'s evaluation of the fixed object, which evaluates
 *    again only what the patch reaches, must be a whole evaluation's, finding
 *    by finding (custom recommendations below read a securityContext, the
 *    annotations and a label whole, through effective() and a computed key,
 *    the ways a rule can depend on what a fix changes without naming it).
 * Seeds: tests/fuzz/corpus/patch/ (workloads of every kind, broken for the
 * recommendations that have fixes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <scoregate/policy.h>
#include <scoregate/policy_testing.h>

static const char settings[] =
    "standards: [mcsb, pss-baseline, pss-restricted]\n"
    "excludedNamespaces: []\n"
    "defaults: {action: enforce}\n"
    "recommendations:\n"
    "  reads-security-context: {action: audit}\n"
    "  reads-annotations: {action: audit}\n"
    "  least-privileged-capabilities:\n"
    "    parameters: {allowedCapabilities: [NET_BIND_SERVICE, CHOWN], requiredDropCapabilities: [ALL, NET_RAW]}\n"
    "  host-namespaces:\n"
    "    parameters: {includeHostNetwork: true}\n"
    "  cpu-memory-limits:\n"
    "    parameters: {defaultCpuLimit: \"500m\", defaultMemoryLimit: \"512Mi\"}\n"
    "custom:\n"
    "  - id: pointer-escapes\n"
    "    title: Pod annotations and labels with '~' and '/' in their keys\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: pod\n"
    "    unhealthy: \"podMetadata.annotations['team~a/b'] != 'x' || has(podMetadata.labels['drop/me~'])\"\n"
    "    message: pod template needs annotation team~a/b\n"
    "    remediation: Set it.\n"
    "    fix:\n"
    "      - set: \"podMetadata.annotations['team~a/b']\"\n"
    "        value: \"'x'\"\n"
    "      - remove: \"podMetadata.labels['drop/me~']\"\n"
    "  - id: no-secret-env\n"
    "    title: Containers should not take SECRET from the environment\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: container\n"
    "    unhealthy: \"container.env.exists(e, e.name == 'SECRET')\"\n"
    "    message: container ${container.name} has SECRET in its environment\n"
    "    remediation: Remove it.\n"
    "    fix:\n"
    "      - set: container.env\n"
    "        value: \"container.env.filter(e, e.name != 'SECRET')\"\n"
    "  - id: object-label\n"
    "    title: Objects should carry an owner label\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: object\n"
    "    kinds: [Service, ConfigMap, Ingress, Pod, Deployment]\n"
    "    unhealthy: \"!has(metadata.labels.owner)\"\n"
    "    message: no owner label\n"
    "    remediation: Add one.\n"
    "    fix:\n"
    "      - set: metadata.labels.owner\n"
    "        value: \"'platform'\"\n"
    "  - id: reads-security-context\n"
    "    title: Containers should set few securityContext fields\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: container\n"
    "    unhealthy: \"size(keys(container.securityContext)) < 3 || effective('runAsNonRoot') != true\"\n"
    "    message: \"container ${container.name} sets ${container.securityContext}\"\n"
    "    remediation: None.\n"
    "  - id: reads-annotations\n"
    "    title: Pod templates should carry annotations\n"
    "    severity: low\n"
    "    control: best-practices\n"
    "    scope: pod\n"
    "    unhealthy: >-\n"
    "      size(podMetadata.annotations) < 2 ||\n"
    "      podMetadata.annotations['container.apparmor.security.beta.kubernetes.io/' + pod.containers[0].name] == null\n"
    "    message: \"annotations ${keys(podMetadata.annotations)}, owner ${metadata.labels}\"\n"
    "    remediation: None.\n";

static const sg_policy *policy(void)
{
    static sg_policy *p;
    if (!p) {
        char err[SG_ERRMAX];
        if (sg_policy_load_buffer("fuzz-patch.yaml", settings, strlen(settings), NULL, &p, err, sizeof err))
            abort();
    }
    return p;
}

/* ---- A minimal RFC 6902 applier: add, remove, replace (all a fix emits). ---- */

/* Split a JSON Pointer (RFC 6901) into unescaped tokens; NULL when malformed
 * or when it is the whole document (a fix never patches the root). */
static json_t *pointer_tokens(const char *ptr)
{
    if (!ptr || ptr[0] != '/')
        return NULL;
    json_t *tokens = json_array();
    const char *p = ptr;
    while (*p == '/') {
        p++;
        size_t cap = strlen(p) + 1, n = 0;
        char *tok = malloc(cap);
        if (!tok)
            abort();
        for (; *p && *p != '/'; p++) {
            if (*p == '~') {
                if (p[1] != '0' && p[1] != '1') {
                    free(tok);
                    json_decref(tokens);
                    return NULL;
                }
                tok[n++] = p[1] == '0' ? '~' : '/';
                p++;
            } else {
                tok[n++] = *p;
            }
        }
        json_array_append_new(tokens, json_stringn(tok, n));
        free(tok);
    }
    return tokens;
}

/* An array index token: "0", or digits without a leading zero; -1 otherwise. */
static long array_index(const char *tok)
{
    size_t n = strlen(tok);
    if (n == 0 || n > 9 || strspn(tok, "0123456789") != n || (tok[0] == '0' && n > 1))
        return -1;
    return strtol(tok, NULL, 10);
}

/* Apply one operation to doc; 0 on success, -1 when it does not apply. */
static int apply_op(json_t *doc, const json_t *op)
{
    const char *name = json_string_value(json_object_get(op, "op"));
    json_t *tokens = pointer_tokens(json_string_value(json_object_get(op, "path")));
    json_t *value = json_object_get(op, "value");
    json_t *copy = NULL;
    int rc = -1;
    if (!name || !tokens || json_array_size(tokens) == 0)
        goto done;
    bool add = !strcmp(name, "add"), remove = !strcmp(name, "remove"), replace = !strcmp(name, "replace");
    if (!add && !remove && !replace)
        goto done;
    if ((add || replace) != (value != NULL) || json_object_size(op) != (value ? 3u : 2u))
        goto done;
    /* The document gets its own copy: later operations must not reach into the patch. */
    copy = value ? json_deep_copy(value) : NULL;
    size_t n = json_array_size(tokens);
    json_t *parent = doc;
    for (size_t i = 0; i + 1 < n && parent; i++) {
        const char *tok = json_string_value(json_array_get(tokens, i));
        if (json_is_object(parent)) {
            parent = json_object_get(parent, tok);
        } else if (json_is_array(parent)) {
            long idx = array_index(tok);
            parent = idx < 0 ? NULL : json_array_get(parent, (size_t)idx);
        } else {
            parent = NULL;
        }
    }
    const char *last = json_string_value(json_array_get(tokens, n - 1));
    if (json_is_object(parent)) {
        bool exists = json_object_get(parent, last) != NULL;
        if ((remove || replace) && !exists)
            goto done;
        rc = remove ? json_object_del(parent, last) : json_object_set(parent, last, copy);
    } else if (json_is_array(parent)) {
        long idx = !strcmp(last, "-") && add ? (long)json_array_size(parent) : array_index(last);
        size_t size = json_array_size(parent);
        if (idx < 0 || (size_t)idx > size || ((remove || replace) && (size_t)idx == size))
            goto done;
        if (add)
            rc = json_array_insert(parent, (size_t)idx, copy);
        else if (remove)
            rc = json_array_remove(parent, (size_t)idx);
        else
            rc = json_array_set(parent, (size_t)idx, copy);
    }
done:
    json_decref(copy);
    json_decref(tokens);
    return rc;
}

/* Apply a whole patch to doc; 0 when every operation applied. */
static int apply_patch(json_t *doc, const json_t *patch)
{
    if (!json_is_array(patch))
        return -1;
    size_t i;
    const json_t *op;
    json_array_foreach(patch, i, op) {
        if (!json_is_object(op) || apply_op(doc, op) < 0)
            return -1;
    }
    return 0;
}

/* ---- The checks. ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 10))
        return 0;
    json_t *object = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(object)) {
        json_decref(object);
        return 0;
    }
    const sg_policy *p = policy();
    json_t *original = json_deep_copy(object);
    char err[SG_ERRMAX];
    sg_eval ev;
    if (sg_policy_evaluate(p, object, NULL, 0, &ev, err, sizeof err) < 0) {
        if (!err[0])
            abort();
        json_decref(original);
        json_decref(object);
        return 0;
    }
    json_t *patch = NULL, *fixed = NULL;
    sg_policy_fix(p, object, &ev, &patch, &fixed);
    json_t *applied = json_deep_copy(object);
    if (apply_patch(applied, patch) < 0 || !json_equal(applied, fixed))
        abort();
    if (!json_equal(object, original))
        abort();

    sg_enforcement en;
    sg_policy_enforce(p, object, &ev, NULL, 0, &en);
    if (!json_equal(en.patch, patch))
        abort();
    sg_eval whole;
    if (en.has_fixed_eval) {
        char why[512];
        if (sg_policy_evaluate(p, en.fixed, NULL, 0, &whole, err, sizeof err) < 0)
            abort();
        if (pol_testing_evals_differ(&en.fixed_eval, &whole, why, sizeof why) < 0) {
            fprintf(stderr, "fuzz_patch: the enforce step's evaluation of the fixed object: %s\n", why);
            abort();
        }
        sg_eval_free(&whole);
    }
    bool healed = true;
    for (size_t k = 0; k < ev.count; k++)
        if (ev.findings[k].status == SG_STATUS_UNHEALTHY && ev.findings[k].action == SG_ACTION_ENFORCE)
            healed = healed && en.healed[k];

    /* Healed completely: a second round finds nothing more to patch. */
    sg_eval again;
    if (healed && sg_policy_evaluate(p, fixed, NULL, 0, &again, err, sizeof err) == 0) {
        json_t *more = NULL;
        sg_policy_fix(p, fixed, &again, &more, NULL);
        if (json_array_size(more))
            abort();
        json_decref(more);
        sg_eval_free(&again);
    }
    sg_enforcement_free(&en);
    json_decref(applied);
    json_decref(fixed);
    json_decref(patch);
    sg_eval_free(&ev);
    json_decref(original);
    json_decref(object);
    return 0;
}
