/*
 * scan_junit.c - `scan -f junit`: JUnit XML, the test-report format that
 * GitLab, Jenkins, Azure Pipelines and most CI dashboards display.
 *
 * <testsuites> holds one <testsuite> per resource, named "Kind/namespace/name"
 * ("Kind/name" when cluster-scoped). Each finding is a <testcase>: classname
 * is the recommendation id, name is its title plus "[container NAME]" for
 * container checks. Unhealthy findings carry <failure> (message = what is
 * wrong, type = "SEVERITY ACTION", text = the remediation and the source
 * place); exempt and not-applicable ones carry <skipped> (text = the source
 * place); healthy ones pass. A resource in an excluded namespace gets one
 * skipped testcase saying so; one the score gate denies gets a failed
 * "score-gate" testcase. Files skipped and inputs that could not be read
 * come first, in a suite "scoregate inputs" (one testcase per file, with
 * <skipped> or <error>). Every attribute and text goes through
 * sg_html_escape().
 *
 * The output validates against the Jenkins xUnit plugin's junit-10.xsd, the
 * strictest schema CI systems apply: no file or line attribute on
 * <testcase>, no skipped count on <testsuites>. The place of a finding is in
 * the texts GitLab and Jenkins show with a test's result (the failure or
 * skipped text) and in every testcase's <system-out>, never in its name, so
 * that a test keeps its identity (and its history) when lines move.
 */
#include <string.h>

#include <scoregate/webhook.h>

#include "scan.h"

typedef struct suite_counts {
    size_t tests, failures, skipped;
} suite_counts;

static void count_item(const scan_item *it, suite_counts *c)
{
    memset(c, 0, sizeof *c);
    if (it->eval.excluded) {
        c->tests = c->skipped = 1;
        return;
    }
    for (size_t k = 0; k < it->eval.count; k++) {
        c->tests++;
        sg_status s = it->eval.findings[k].status;
        if (s == SG_STATUS_UNHEALTHY)
            c->failures++;
        else if (s == SG_STATUS_EXEMPT || s == SG_STATUS_NOT_APPLICABLE)
            c->skipped++;
    }
    if (it->gate.denied) {
        c->tests++;
        c->failures++;
    }
}

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    sg_html_escape(out, value);
    fputc('"', out);
}

/* "FILE:LINE (document N)": where the object is, as every testcase says it. */
static void source_place(FILE *out, const scan_item *it)
{
    sg_html_escape(out, it->source.file);
    fprintf(out, ":%d (document %d)", it->source.line, it->source.document);
}

/* The object's place as the testcase's standard output (Jenkins shows it with every result). */
static void system_out(FILE *out, const scan_item *it)
{
    fputs("      <system-out>Source: ", out);
    source_place(out, it);
    fputs("</system-out>\n", out);
}

static void testcase(FILE *out, const scan_report *r, const scan_item *it, size_t k)
{
    const scan_finding *f = &it->eval.findings[k];
    const sg_rec_info *rec = sg_policy_rec(r->policy, f->rec);
    fputs("    <testcase", out);
    attr(out, "classname", rec->id);
    fputs(" name=\"", out);
    sg_html_escape(out, rec->title);
    if (f->container) {
        fputs(" [container ", out);
        sg_html_escape(out, f->container);
        fputc(']', out);
    }
    fputs("\" time=\"0\">\n", out);
    if (f->status == SG_STATUS_UNHEALTHY) {
        fputs("      <failure", out);
        attr(out, "message", f->message && *f->message ? f->message : rec->title);
        fprintf(out, " type=\"%s %s\">", sg_severity_name(rec->severity),
                it->denials[k] ? "deny" : sg_action_name(f->action));
        sg_html_escape(out, f->message);
        fputs("&#10;Remediation: ", out);
        sg_html_escape(out, rec->remediation);
        fputs("&#10;Source: ", out);
        source_place(out, it);
        if (it->denials[k])
            fputs("&#10;Admission would deny this object.", out);
        char note[320];
        if (scan_expired_note(f, note, sizeof note)) {
            fputs("&#10;", out);
            sg_html_escape(out, note);
        }
        fputs("</failure>\n", out);
    } else if (f->status != SG_STATUS_HEALTHY) {
        fputs("      <skipped message=\"", out);
        if (f->status == SG_STATUS_EXEMPT) {
            fputs("exempt by ", out);
            sg_html_escape(out, f->exemption);
            fprintf(out, " (%s)", sg_exemption_category_name(f->exemption_category));
        } else {
            fputs("not applicable", out);
        }
        fputs("\">Source: ", out);
        source_place(out, it);
        fputs("</skipped>\n", out);
    }
    system_out(out, it);
    fputs("    </testcase>\n", out);
}

/* The score gate's denial, as a failed test case of its own. */
static void gate_testcase(FILE *out, const scan_item *it)
{
    fputs("    <testcase", out);
    attr(out, "classname", SCAN_GATE_ID);
    attr(out, "name", SCAN_GATE_TITLE);
    fputs(" time=\"0\">\n      <failure", out);
    attr(out, "message", it->gate.message);
    fputs(" type=\"gate deny\">", out);
    sg_html_escape(out, it->gate.message);
    fputs("&#10;Remediation: " SCAN_GATE_REMEDIATION "&#10;Source: ", out);
    source_place(out, it);
    fputs("&#10;Admission would deny this object.</failure>\n", out);
    system_out(out, it);
    fputs("    </testcase>\n", out);
}

static void testsuite(FILE *out, const scan_report *r, const scan_item *it)
{
    suite_counts c;
    count_item(it, &c);
    char label[1024];
    scan_resource_label(&it->eval, label, sizeof label);
    fputs("  <testsuite", out);
    attr(out, "name", label);
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"0\"", c.tests, c.failures,
            c.skipped);
    attr(out, "file", it->source.file);
    fputs(">\n    <properties>\n", out);
    fputs("      <property name=\"apiVersion\"", out);
    attr(out, "value", it->eval.api_version);
    fputs("/>\n      <property name=\"source\" value=\"", out);
    sg_html_escape(out, it->source.file);
    fprintf(out, ":%d\"/>\n      <property name=\"document\" value=\"%d\"/>\n", it->source.line,
            it->source.document);
    fputs("    </properties>\n", out);
    if (it->eval.excluded) {
        fputs("    <testcase classname=\"scoregate\" name=\"namespace excluded\" time=\"0\">\n"
              "      <skipped message=\"the namespace is excluded globally: not evaluated\">Source: ",
              out);
        source_place(out, it);
        fputs("</skipped>\n", out);
        system_out(out, it);
        fputs("    </testcase>\n", out);
    }
    for (size_t k = 0; k < it->eval.count; k++)
        testcase(out, r, it, k);
    if (it->gate.denied)
        gate_testcase(out, it);
    fputs("  </testsuite>\n", out);
}

/* One testcase per skipped file or input error: "FILE:LINE (document N): message". */
static void input_testcase(FILE *out, const scan_note *n, bool error)
{
    fputs("    <testcase classname=\"scoregate.inputs\"", out);
    attr(out, "name", n->file);
    fprintf(out, " time=\"0\">\n      <%s", error ? "error" : "skipped");
    attr(out, "message", n->message);
    fprintf(out, " type=\"%s\">", error ? "input error" : "not a manifest");
    sg_html_escape(out, n->file);
    if (n->line)
        fprintf(out, ":%d (document %d)", n->line, n->document);
    fputs(": ", out);
    sg_html_escape(out, n->message);
    fprintf(out, "</%s>\n    </testcase>\n", error ? "error" : "skipped");
}

/* The inputs a scan skipped or could not read, as a suite of their own (none when all were read). */
static void inputs_suite(FILE *out, const scan_report *r)
{
    if (!r->nskipped && !r->nerrors)
        return;
    fprintf(out, "  <testsuite name=\"scoregate inputs\" tests=\"%zu\" failures=\"0\" errors=\"%zu\" skipped=\"%zu\" "
                 "time=\"0\">\n", r->nskipped + r->nerrors, r->nerrors, r->nskipped);
    for (size_t i = 0; i < r->nerrors; i++)
        input_testcase(out, &r->errors[i], true);
    for (size_t i = 0; i < r->nskipped; i++)
        input_testcase(out, &r->skipped[i], false);
    fputs("  </testsuite>\n", out);
}

int scan_write_junit(const scan_report *r, FILE *out)
{
    suite_counts total = {0, 0, 0};
    for (size_t i = 0; i < r->count; i++) {
        suite_counts c;
        count_item(scan_item_get(r, i), &c);
        total.tests += c.tests;
        total.failures += c.failures;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    /* junit-10.xsd allows no skipped count here: the suites carry theirs. */
    fprintf(out, "<testsuites name=\"scoregate scan\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"0\">\n",
            total.tests + r->nskipped + r->nerrors, total.failures, r->nerrors);
    inputs_suite(out, r);
    for (size_t i = 0; i < r->count; i++)
        testsuite(out, r, scan_item_get(r, i));
    fputs("</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
