/*
 * run_cases.c - the data-driven test runner for recommendations.
 *
 * Every *.yaml file under the cases folder holds test cases, one YAML
 * document each:
 *
 *   case: privileged container is unhealthy      # a name for messages
 *   config: {recommendations: {...}}             # optional settings document
 *   standards: [pss-baseline]                    # optional extra standards
 *   namespace: team-a                            # optional default namespace
 *   object: {apiVersion: v1, kind: Pod, ...}     # the object to evaluate
 *   expect:                                      # per recommendation id:
 *     privileged-containers: {app: unhealthy, sidecar: healthy}   # per container
 *     host-namespaces: unhealthy                 # pod/object checks
 *     trusted-registries: none                   # no finding at all
 *   exempt: {run-as-non-root: waiver}            # optional: exemption categories
 *   denied: true                                 # optional: would admission deny?
 *   fixed: {privileged-containers: healthy}      # optional: status after the enforce patch (as the
 *                                                #   enforce step evaluates it; in every case it must
 *                                                #   be a whole evaluation's)
 *   patch: [{op: add, path: /spec/..., value: x}]  # optional: the exact patch
 *   error: "containers: expected a list"         # optional: evaluation must fail with this text
 *   load_error: "unknown parameter 'typo'"       # optional: the config must fail to load with this text
 *   subresource: ephemeralcontainers             # optional: decide as a review of that subresource
 *   messages: {cpu-memory-limits: "not fixed"}   # optional: a finding's message (after the enforce
 *                                                #   patch is built) contains this text
 *   expired: {privileged-containers: old}        # optional: the expired exemption a finding names
 *
 * Findings not named in `expect` are not checked, so each case states only
 * what it is about. Prints "N passed, N failed" and exits non-zero on failure.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>
#include <scoregate/policy_testing.h>
#include <scoregate/scoring.h>

static int passed, failed;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* Status of recommendation `id` for `container` (NULL: any/the only one). */
static const char *status_of(const sg_policy *p, const sg_eval *ev, const char *id, const char *container)
{
    for (size_t i = 0; i < ev->count; i++) {
        const sg_finding *f = &ev->findings[i];
        if (strcmp(sg_policy_rec(p, f->rec)->id, id))
            continue;
        if (container && (!f->container || strcmp(f->container, container)))
            continue;
        return sg_status_name(f->status);
    }
    return "none";
}

static const sg_finding *finding_of(const sg_policy *p, const sg_eval *ev, const char *id)
{
    for (size_t i = 0; i < ev->count; i++)
        if (!strcmp(sg_policy_rec(p, ev->findings[i].rec)->id, id))
            return &ev->findings[i];
    return NULL;
}

/* Compare `expect` (id -> status or {container: status}) against an evaluation. */
static int check_statuses(const char *where, const char *what, const sg_policy *p, const sg_eval *ev,
                          const json_t *expect)
{
    int bad = 0;
    const char *id;
    const json_t *want;
    json_object_foreach((json_t *)expect, id, want) {
        if (sg_policy_rec_index(p, id) < 0) {
            printf("FAIL %s: %s names unknown recommendation %s\n", where, what, id);
            bad++;
            continue;
        }
        if (json_is_string(want)) {
            const char *got = status_of(p, ev, id, NULL);
            bool ok = !strcmp(got, json_string_value(want));
            /* For container checks "unhealthy" means some container is. */
            if (!ok && !strcmp(json_string_value(want), "unhealthy")) {
                for (size_t i = 0; i < ev->count && !ok; i++)
                    ok = !strcmp(sg_policy_rec(p, ev->findings[i].rec)->id, id) &&
                         ev->findings[i].status == SG_STATUS_UNHEALTHY;
            }
            if (!ok) {
                printf("FAIL %s: %s %s: want %s, got %s\n", where, what, id, json_string_value(want), got);
                bad++;
            }
            continue;
        }
        const char *container;
        const json_t *st;
        json_object_foreach((json_t *)want, container, st) {
            const char *got = status_of(p, ev, id, container);
            if (strcmp(got, json_string_value(st))) {
                printf("FAIL %s: %s %s container %s: want %s, got %s\n", where, what, id, container,
                       json_string_value(st), got);
                bad++;
            }
        }
    }
    return bad;
}

static void print_findings(const sg_policy *p, const sg_eval *ev)
{
    for (size_t i = 0; i < ev->count; i++) {
        const sg_finding *f = &ev->findings[i];
        printf("     %s %s %s: %s\n", sg_policy_rec(p, f->rec)->id, f->container ? f->container : "-",
               sg_status_name(f->status), f->message ? f->message : "");
    }
}

/* Whether some finding of `id` has a message containing `text`. */
static bool message_of(const sg_policy *p, const sg_eval *ev, const char *id, const char *text)
{
    for (size_t i = 0; i < ev->count; i++)
        if (!strcmp(sg_policy_rec(p, ev->findings[i].rec)->id, id) && ev->findings[i].message &&
            strstr(ev->findings[i].message, text))
            return true;
    return false;
}

static int check_messages(const char *where, const sg_policy *p, const sg_eval *ev, const json_t *want)
{
    int bad = 0;
    const char *id;
    const json_t *text;
    json_object_foreach((json_t *)want, id, text)
        if (!message_of(p, ev, id, json_string_value(text))) {
            printf("FAIL %s: no message of %s contains \"%s\"\n", where, id, json_string_value(text));
            bad++;
        }
    return bad;
}

static int check_expired(const char *where, const sg_policy *p, const sg_eval *ev, const json_t *want)
{
    int bad = 0;
    const char *id;
    const json_t *name;
    json_object_foreach((json_t *)want, id, name) {
        const sg_finding *f = NULL;
        for (size_t i = 0; i < ev->count && !f; i++)
            if (!strcmp(sg_policy_rec(p, ev->findings[i].rec)->id, id))
                f = &ev->findings[i];
        const char *got = f && f->exemption_expired ? f->expired_exemption : "none";
        if (!got || strcmp(got, json_string_value(name)) || !f->exemption_expires) {
            printf("FAIL %s: expired exemption of %s: want %s, got %s\n", where, id, json_string_value(name),
                   got ? got : "(null)");
            bad++;
        }
    }
    return bad;
}

/* A case whose config must not load: true when the error says what it should. */
static bool load_fails_as_expected(const char *where, const json_t *c, const char *err, bool loaded)
{
    const char *want = json_string_value(json_object_get(c, "load_error"));
    if (!want)
        return false;
    if (loaded)
        printf("FAIL %s: the config loaded, want error \"%s\"\n", where, want);
    else if (!strstr(err, want))
        printf("FAIL %s: load error \"%s\", want \"%s\"\n", where, err, want);
    return !loaded && strstr(err, want);
}

static sg_policy *case_policy(const char *where, const json_t *c)
{
    const json_t *standards = json_object_get(c, "standards");
    const char *names[8];
    size_t n = 0, i;
    const json_t *s;
    json_array_foreach(standards, i, s)
        if (n < 8)
            names[n++] = json_string_value(s);
    sg_policy_options opts = {.extra_standards = names, .n_extra_standards = n};
    char err[SG_ERRMAX];
    sg_policy *p = NULL;
    const json_t *config = json_object_get(c, "config");
    char *text = config ? json_dumps(config, JSON_COMPACT) : NULL;
    int rc = sg_policy_load_buffer(text ? "case config" : NULL, text, text ? strlen(text) : 0, &opts, &p, err,
                                   sizeof err);
    free(text);
    if (json_object_get(c, "load_error")) {
        if (load_fails_as_expected(where, c, err, rc == 0))
            passed++;
        else
            failed++;
        sg_policy_free(p);
        return NULL;
    }
    if (rc < 0) {
        printf("FAIL %s: config: %s\n", where, err);
        failed++;
    }
    return p;
}

/* One case being run: its name for messages, the policy, the object. */
typedef struct run {
    const char *where;
    const json_t *c;
    const sg_policy *p;
    const json_t *object;
    const char *ns;
    time_t now;
} run;

static int check_exempt(const run *r, const sg_eval *ev)
{
    int bad = 0;
    const char *id;
    const json_t *cat;
    json_object_foreach(json_object_get(r->c, "exempt"), id, cat) {
        const sg_finding *f = finding_of(r->p, ev, id);
        const char *got = f ? sg_exemption_category_name(f->exemption_category) : "none";
        if (strcmp(got, json_string_value(cat))) {
            printf("FAIL %s: exemption of %s: want %s, got %s\n", r->where, id, json_string_value(cat), got);
            bad++;
        }
    }
    return bad;
}

/* "denied", "patch" and "messages" are the admission decision's (mutation
 * and validation in one step, into an empty inventory), as scan makes it. */
static int check_decision(const run *r)
{
    char err[SG_ERRMAX];
    int bad = 0;
    sg_score_model *model = NULL;
    sg_inventory *inv = NULL;
    sg_admission a = {0};
    sg_admission_request req = {.mode = SG_ADMISSION_ADMIT, .operation = SG_SCORE_CREATE, .object = r->object,
                                .namespace_ = r->ns, .now = r->now,
                                .subresource = json_string_value(json_object_get(r->c, "subresource"))};
    if (sg_score_model_from_policy(r->p, NULL, 0, &model, err, sizeof err) < 0 ||
        sg_inventory_new(model, &inv, err, sizeof err) < 0 ||
        sg_admission_decide(r->p, model, inv, &req, &a, err, sizeof err) < 0) {
        printf("FAIL %s: no decision: %s\n", r->where, err);
        bad++;
    }
    const json_t *want_denied = json_object_get(r->c, "denied");
    if (want_denied && !a.allowed != json_is_true(want_denied)) {
        printf("FAIL %s: denied: want %s, got %zu denied findings%s%s\n", r->where,
               json_is_true(want_denied) ? "true" : "false", a.ndenied, *a.refusal ? "; " : "", a.refusal);
        bad++;
    }
    json_t *patch = a.has_fix ? json_incref(a.fix.patch) : json_array();
    const json_t *want_patch = json_object_get(r->c, "patch");
    if (want_patch && !json_equal(want_patch, patch)) {
        char *got = json_dumps(patch, JSON_COMPACT);
        printf("FAIL %s: patch: got %s\n", r->where, got);
        free(got);
        bad++;
    }
    json_decref(patch);
    /* Messages as the decision leaves them: a blocked fix says why. */
    bad += check_messages(r->where, r->p, &a.eval, json_object_get(r->c, "messages"));
    sg_admission_free(&a);
    sg_inventory_free(inv);
    sg_score_model_free(model);
    return bad;
}

/* In every case with an enforce patch: the enforce step's evaluation of the
 * fixed object (which runs again only the recommendations the patch reaches)
 * must be what a whole evaluation of it says. */
static int check_fixed_evaluation(const run *r, const sg_enforcement *en)
{
    char err[SG_ERRMAX], why[1024];
    sg_eval whole;
    if (sg_policy_evaluate(r->p, en->fixed, r->ns, r->now, &whole, err, sizeof err) < 0) {
        printf("FAIL %s: the fixed object does not evaluate: %s\n", r->where, err);
        return 1;
    }
    int bad = pol_testing_evals_differ(&en->fixed_eval, &whole, why, sizeof why) < 0;
    if (bad)
        printf("FAIL %s: the enforce step's evaluation of the fixed object is not a whole one's: %s\n", r->where,
               why);
    sg_eval_free(&whole);
    return bad;
}

/* "fixed": the statuses of the object with the enforce patch applied, as the
 * enforce step (and so admission) evaluates it; the object's own when there
 * is nothing to patch. */
static int check_fixed(const run *r, sg_eval *ev)
{
    const json_t *want_fixed = json_object_get(r->c, "fixed");
    int bad = 0;
    sg_enforcement en;
    sg_policy_enforce(r->p, r->object, ev, r->ns, r->now, &en);
    if (en.has_fixed_eval)
        bad += check_fixed_evaluation(r, &en);
    if (want_fixed && json_array_size(en.patch) && !en.has_fixed_eval) {
        printf("FAIL %s: the fixed object does not evaluate\n", r->where);
        bad++;
    } else if (want_fixed) {
        bad += check_statuses(r->where, "after the fix", r->p, en.has_fixed_eval ? &en.fixed_eval : ev, want_fixed);
    }
    sg_enforcement_free(&en);
    return bad;
}

/* Evaluate the object; 1 when that went as the case wants and *ev is to be checked. */
static int evaluate(const run *r, sg_eval *ev, int *bad)
{
    char err[SG_ERRMAX];
    const json_t *want_error = json_object_get(r->c, "error");
    if (sg_policy_evaluate(r->p, r->object, r->ns, r->now, ev, err, sizeof err) < 0) {
        if (!want_error || !strstr(err, json_string_value(want_error))) {
            printf("FAIL %s: evaluation failed: %s\n", r->where, err);
            (*bad)++;
        }
        return 0;
    }
    if (want_error) {
        printf("FAIL %s: evaluation succeeded, want error \"%s\"\n", r->where, json_string_value(want_error));
        (*bad)++;
        sg_eval_free(ev);
        return 0;
    }
    return 1;
}

static void run_case(const char *file, const json_t *c)
{
    char where[4096 + 512];   /* a path and a case name */
    const char *name = json_string_value(json_object_get(c, "case"));
    snprintf(where, sizeof where, "%s: %s", file, name ? name : "(unnamed case)");
    sg_policy *p = case_policy(where, c);
    if (!p)
        return;
    run r = {where, c, p, json_object_get(c, "object"), json_string_value(json_object_get(c, "namespace")),
             time(NULL)};
    sg_eval ev;
    int bad = 0;
    if (evaluate(&r, &ev, &bad)) {
        bad += check_statuses(where, "expect", p, &ev, json_object_get(c, "expect"));
        bad += check_exempt(&r, &ev);
        bad += check_decision(&r);
        bad += check_fixed(&r, &ev);
        bad += check_expired(where, p, &ev, json_object_get(c, "expired"));
        if (bad)
            print_findings(p, &ev);
        sg_eval_free(&ev);
    }
    sg_policy_free(p);
    if (bad)
        failed++;
    else
        passed++;
}

static void run_file(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    json_t *docs = NULL;
    char err[SG_ERRMAX];
    if (!text || sg_yaml_load(path, text, len, &docs, NULL, NULL, err, sizeof err) < 0) {
        printf("FAIL %s: cannot load: %s\n", path, text ? err : "unreadable");
        failed++;
        free(text);
        return;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(docs, i, c)
        run_case(path, c);
    json_decref(docs);
    free(text);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : SG_SOURCE_DIR "/tests/policy_cases/cases";
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        printf("cannot read %s\n", dir);
        return 2;
    }
    for (int i = 0; i < n; i++) {
        size_t l = strlen(names[i]->d_name);
        if (l > 5 && !strcmp(names[i]->d_name + l - 5, ".yaml")) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            run_file(path);
        }
        free(names[i]);
    }
    free(names);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : (passed ? 0 : 1);
}
