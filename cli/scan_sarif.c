/*
 * scan_sarif.c - `scan -f sarif`: SARIF 2.1.0 for code-scanning UIs (GitHub
 * code scanning, Azure DevOps, IDE viewers).
 *
 * One run, tool "scoregate" (informationUri: --help-base-url). Rules: one
 * reportingDescriptor per recommendation that has an unhealthy finding, in
 * catalog order (id, a PascalCase name, shortDescription = title, help =
 * remediation, helpUri = --help-base-url + id, properties with severity,
 * control, standard, tags and GitHub's numeric "security-severity").
 * Results: one per unhealthy finding, pointing at its rule by ruleId and
 * ruleIndex; the region is the line where the object starts in its file. A
 * partialFingerprint ("scoregateFinding/v2") hashes rule, file, resource and
 * container, so the findings of several containers of one object, and of
 * objects of the same name in two files, stay distinct alerts, and keep
 * their identity when lines move.
 *
 * Level: error when admission would deny the finding (action deny, or enforce
 * whose fix does not heal it); otherwise by severity: high -> error,
 * medium -> warning, low -> note. Healthy, exempt and not-applicable findings
 * are not results (the JSON and JUnit formats carry them).
 *
 * The log is written one result at a time, so memory stays flat on large scans.
 *
 * artifactLocation.uri: relative to the current directory (with uriBaseId
 * %SRCROOT%, declared in originalUriBaseIds) when the file lies below it,
 * otherwise an absolute file:// URI; standard input is "stdin". Paths are
 * percent-encoded as RFC 3986 requires.
 *
 * The run's invocation says whether every input was read (executionSuccessful)
 * and carries a notification for each input error (level error) and each
 * skipped file (level note), with their counts in its properties.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

/* The fingerprint's name and version: v2 since the file is part of it. */
#define FINGERPRINT "scoregateFinding/v2"
#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static const char *level_of(const sg_rec_info *rec, bool denied)
{
    if (denied)
        return "error";
    switch (rec->severity) {
    case SG_SEV_HIGH: return "error";
    case SG_SEV_MEDIUM: return "warning";
    case SG_SEV_LOW: return "note";
    }
    return "warning";
}

/* GitHub ranks security alerts by this number (critical >= 9, high >= 7, medium >= 4). */
static const char *security_severity(sg_severity s)
{
    return s == SG_SEV_HIGH ? "8.0" : s == SG_SEV_MEDIUM ? "5.5" : "3.0";
}

/* "cpu-memory-limits" -> "CpuMemoryLimits" */
static void pascal_name(const char *id, char *buf, size_t len)
{
    size_t n = 0;
    bool upper = true;
    for (const char *p = id; *p && n + 1 < len; p++) {
        if (*p == '-' || *p == '_' || *p == '.') {
            upper = true;
            continue;
        }
        buf[n++] = upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        upper = false;
    }
    buf[n] = '\0';
}

/* Append `s` percent-encoded (RFC 3986: unreserved characters and '/' stay). */
static void percent_encode(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~' || *p == '/') {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = '\0';
}

/* The artifactLocation of `file` (see the top of the file). */
static json_t *artifact_location(const char *file, const char *cwd)
{
    char enc[PATH_MAX * 3];
    if (!strcmp(file, "<stdin>"))
        return json_pack("{s:s}", "uri", "stdin");
    char abs[PATH_MAX];
    if (cwd && realpath(file, abs)) {
        size_t n = strlen(cwd);
        if (!strncmp(abs, cwd, n) && abs[n] == '/') {
            percent_encode(abs + n + 1, enc, sizeof enc);
            return json_pack("{s:s,s:s}", "uri", enc, "uriBaseId", "%SRCROOT%");
        }
        char uri[sizeof enc + 8];
        percent_encode(abs, enc, sizeof enc);
        snprintf(uri, sizeof uri, "file://%s", enc);
        return json_pack("{s:s}", "uri", uri);
    }
    percent_encode(file, enc, sizeof enc);
    return json_pack("{s:s}", "uri", enc);
}

/* base + id, with a '/' between unless the base ends in '/', '#', '=' or '?' (a page, an anchor, a query). */
static void set_help_uri(json_t *rule, const char *base, const char *id)
{
    if (!base)
        return;
    char enc[256];
    percent_encode(id, enc, sizeof enc);
    size_t n = strlen(base);
    bool joined = n && strchr("/#=?", base[n - 1]);
    json_object_set_new(rule, "helpUri", json_sprintf("%s%s%s", base, joined ? "" : "/", enc));
}

static json_t *rule_json(const sg_rec_info *rec, const char *help_base)
{
    char name[256];
    pascal_name(rec->id, name, sizeof name);
    json_t *tags = json_pack("[s,s,s]", "security", "kubernetes", rec->control);
    json_array_append_new(tags, json_string(rec->standard));
    json_t *props = json_pack("{s:s,s:s,s:s,s:s,s:o}", "severity", sg_severity_name(rec->severity), "control",
                              rec->control, "standard", rec->standard, "security-severity",
                              security_severity(rec->severity), "tags", tags);
    json_t *rule = json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:o}", "id", rec->id, "name", name,
                             "shortDescription", "text", rec->title, "fullDescription", "text", rec->title, "help",
                             "text", rec->remediation, "defaultConfiguration", "level", level_of(rec, false),
                             "properties", props);
    set_help_uri(rule, help_base, rec->id);
    return rule;
}

/* FNV-1a over the parts, each followed by a separator byte. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    return sg_fnv1a(sg_fnv1a_str(h, s), "\x1f", 1);
}

/* A fingerprint that names the finding, not its line: several containers'
 * findings share the object's line, and an alert must survive edits above it.
 * The file is part of it (as the artifact's URI, so the same wherever the
 * scan runs from the repository root): two files may hold objects of the
 * same kind, namespace and name (overlays, environments). */
static json_t *fingerprint(const sg_rec_info *rec, const char *uri, const scan_eval *ev, const scan_finding *f)
{
    uint64_t h = SG_FNV1A_INIT;
    h = fnv1a(h, rec->id);
    h = fnv1a(h, uri);
    h = fnv1a(h, ev->kind);
    h = fnv1a(h, ev->namespace_);
    h = fnv1a(h, ev->name);
    h = fnv1a(h, f->container_type);
    h = fnv1a(h, f->container);
    return json_sprintf("%016llx", (unsigned long long)h);
}

static json_t *result_json(const scan_report *r, const scan_item *it, size_t k, long rule_index, const char *cwd)
{
    const scan_eval *ev = &it->eval;
    const scan_finding *f = &ev->findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    char label[1024];
    scan_resource_label(ev, label, sizeof label);
    const char *what = f->message && *f->message ? f->message : rec->title;
    char note[320];
    const char *expired = scan_expired_note(f, note, sizeof note);
    json_t *text = f->container ? json_sprintf("%s, container %s: %s%s%s", label, f->container, what,
                                               expired ? "; " : "", expired ? expired : "")
                                : json_sprintf("%s: %s%s%s", label, what, expired ? "; " : "", expired ? expired : "");
    json_t *region = json_pack("{s:i}", "startLine", it->source.line > 0 ? it->source.line : 1);
    json_t *artifact = artifact_location(it->source.file, cwd);
    json_t *print = fingerprint(rec, json_string_value(json_object_get(artifact, "uri")), ev, f);
    json_t *loc = json_pack("{s:{s:o,s:o}}", "physicalLocation", "artifactLocation", artifact, "region", region);
    json_t *logical = json_pack("{s:s,s:s}", "name", ev->name ? ev->name : "", "kind", "resource");
    json_object_set_new(logical, "fullyQualifiedName", json_string(label));
    json_object_set_new(loc, "logicalLocations", json_pack("[o]", logical));
    json_t *props = json_pack("{s:s,s:s,s:s,s:b}", "kind", ev->kind, "action", sg_action_name(f->action), "severity",
                              sg_severity_name(rec->severity), "denied", it->denials[k]);
    if (ev->namespace_)
        json_object_set_new(props, "namespace", json_string(ev->namespace_));
    if (ev->name)
        json_object_set_new(props, "name", json_string(ev->name));
    if (f->container)
        json_object_set_new(props, "container", json_string(f->container));
    json_object_set_new(props, "document", json_integer(it->source.document));
    return json_pack("{s:s,s:I,s:s,s:{s:o},s:[o],s:{s:o},s:o}", "ruleId", rec->id, "ruleIndex",
                     (json_int_t)rule_index, "level", level_of(rec, it->denials[k]), "message", "text", text,
                     "locations", loc, "partialFingerprints", FINGERPRINT, print, "properties", props);
}

/* The score gate as a rule, for objects it denies. */
static json_t *gate_rule_json(const char *help_base)
{
    json_t *props = json_pack("{s:s,s:s,s:[s,s]}", "severity", "high", "security-severity", "8.0", "tags",
                              "security", "kubernetes");
    json_t *rule = json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:o}", "id", SCAN_GATE_ID, "name",
                             "ScoreGate", "shortDescription", "text", SCAN_GATE_TITLE, "fullDescription", "text",
                             SCAN_GATE_TITLE, "help", "text", SCAN_GATE_REMEDIATION, "defaultConfiguration", "level",
                             "error", "properties", props);
    set_help_uri(rule, help_base, SCAN_GATE_ID);
    return rule;
}

static json_t *gate_result_json(const scan_item *it, long rule_index, const char *cwd)
{
    const scan_eval *ev = &it->eval;
    char label[1024];
    scan_resource_label(ev, label, sizeof label);
    json_t *region = json_pack("{s:i}", "startLine", it->source.line > 0 ? it->source.line : 1);
    json_t *artifact = artifact_location(it->source.file, cwd);
    const char *uri = json_string_value(json_object_get(artifact, "uri"));
    uint64_t h = fnv1a(fnv1a(fnv1a(fnv1a(fnv1a(SG_FNV1A_INIT, SCAN_GATE_ID), uri), ev->kind), ev->namespace_), ev->name);
    json_t *loc = json_pack("{s:{s:o,s:o}}", "physicalLocation", "artifactLocation", artifact, "region", region);
    return json_pack("{s:s,s:I,s:s,s:{s:o},s:[o],s:{s:o},s:{s:s,s:b}}", "ruleId", SCAN_GATE_ID, "ruleIndex",
                     (json_int_t)rule_index, "level", "error", "message", "text",
                     json_sprintf("%s: %s", label, it->gate.message), "locations", loc, "partialFingerprints",
                     FINGERPRINT, json_sprintf("%016llx", (unsigned long long)h), "properties", "kind",
                     ev->kind, "denied", true);
}

/* A skipped file (a note) or an input error (an error), as a tool execution notification. */
static json_t *notification_json(const scan_note *n, const char *level, const char *id, const char *cwd)
{
    json_t *loc = json_pack("{s:{s:o}}", "physicalLocation", "artifactLocation", artifact_location(n->file, cwd));
    if (n->line)
        json_object_set_new(json_object_get(loc, "physicalLocation"), "region", json_pack("{s:i}", "startLine", n->line));
    json_t *text = scan_json_text(n->message);
    json_t *file = scan_json_text(n->file);
    json_t *msg = json_sprintf("%s: %s", json_string_value(file), json_string_value(text));
    json_decref(text);
    json_decref(file);
    return json_pack("{s:s,s:{s:o},s:[o],s:{s:s}}", "level", level, "message", "text", msg, "locations", loc,
                     "descriptor", "id", id);
}

/* The run's invocation: successful unless an input could not be read, with a
 * notification per skipped file and per input error, so that a code-scanning
 * upload of a partly read tree says what is missing. */
static json_t *invocation_json(const scan_report *r, const char *cwd)
{
    json_t *notes = json_array();
    for (size_t i = 0; i < r->nerrors; i++)
        json_array_append_new(notes, notification_json(&r->errors[i], "error", "input-error", cwd));
    for (size_t i = 0; i < r->nskipped; i++)
        json_array_append_new(notes, notification_json(&r->skipped[i], "note", "skipped-file", cwd));
    return json_pack("[{s:b,s:o,s:{s:I,s:I}}]", "executionSuccessful", r->nerrors == 0,
                     "toolExecutionNotifications", notes, "properties", "skippedFiles", (json_int_t)r->nskipped,
                     "inputErrors", (json_int_t)r->nerrors);
}

int scan_write_sarif(const scan_report *r, FILE *out)
{
    /* Pass 1: which recommendations have unhealthy findings, and their rule index. */
    size_t nrecs = sg_policy_rec_count(r->policy);
    long *rule_index = sg_malloc((nrecs + 1) * sizeof *rule_index);
    for (size_t i = 0; i < nrecs; i++)
        rule_index[i] = -1;
    for (size_t i = 0; i < r->count; i++) {
        const scan_eval *ev = &scan_item_get(r, i)->eval;
        for (size_t k = 0; k < ev->count; k++)
            if (ev->findings[k].status == SG_STATUS_UNHEALTHY)
                rule_index[ev->findings[k].rec] = 0;
    }
    json_t *rules = json_array();
    for (size_t i = 0; i < nrecs; i++) {
        if (rule_index[i] < 0)
            continue;
        rule_index[i] = (long)json_array_size(rules);
        json_array_append_new(rules, rule_json(sg_policy_rec(r->policy, i), r->help_base_url));
    }
    long gate_index = -1;
    for (size_t i = 0; i < r->count && gate_index < 0; i++)
        if (scan_item_get(r, i)->gate.denied) {
            gate_index = (long)json_array_size(rules);
            json_array_append_new(rules, gate_rule_json(r->help_base_url));
        }
    json_t *driver = json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", "scoregate", "fullName",
                               "scoregate Kubernetes manifest checker", "version", SG_VERSION, "semanticVersion",
                               SG_VERSION, "rules", rules);
    if (r->help_base_url)
        json_object_set_new(driver, "informationUri", json_string(r->help_base_url));

    /* Pass 2: the log, streamed one result at a time (scans can be large). */
    char cwdbuf[PATH_MAX];
    const char *cwd = getcwd(cwdbuf, sizeof cwdbuf);
    int rc = 0;
    fprintf(out, "{\n  \"version\": \"2.1.0\",\n  \"$schema\": \"%s\",\n  \"runs\": [\n    {\n      \"tool\": ",
            SARIF_SCHEMA);
    rc |= scan_json_put(out, json_pack("{s:o}", "driver", driver), 3);
    fputs(",\n      \"columnKind\": \"unicodeCodePoints\",\n", out);
    if (cwd) {
        char enc[PATH_MAX * 3], uri[sizeof enc + 16];
        percent_encode(cwd, enc, sizeof enc);
        snprintf(uri, sizeof uri, "file://%s%s", enc, strcmp(cwd, "/") ? "/" : "");
        fputs("      \"originalUriBaseIds\": ", out);
        rc |= scan_json_put(out, json_pack("{s:{s:s}}", "%SRCROOT%", "uri", uri), 3);
        fputs(",\n", out);
    }
    fputs("      \"invocations\": ", out);
    rc |= scan_json_put(out, invocation_json(r, cwd), 3);
    fputs(",\n      \"results\": [", out);
    const char *sep = "\n        ";
    for (size_t i = 0; i < r->count && rc == 0; i++) {
        const scan_item *it = scan_item_get(r, i);
        for (size_t k = 0; k < it->eval.count && rc == 0; k++) {
            if (it->eval.findings[k].status != SG_STATUS_UNHEALTHY)
                continue;
            fputs(sep, out);
            sep = ",\n        ";
            rc |= scan_json_put(out, result_json(r, it, k, rule_index[it->eval.findings[k].rec], cwd), 4);
        }
        if (it->gate.denied && rc == 0) {
            fputs(sep, out);
            sep = ",\n        ";
            rc |= scan_json_put(out, gate_result_json(it, gate_index, cwd), 4);
        }
    }
    fputs(*sep == ',' ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n", out);
    free(rule_index);
    return rc < 0 || ferror(out) ? -1 : 0;
}
