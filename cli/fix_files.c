/*
 * fix_files.c - `scoregate fix PATH...`: the admission decision of every
 * object, in input order (as `scan` makes it), gives the patch /mutate would
 * send; the doc module's editor writes each fixed object into its file with
 * the smallest text change. A file is all or nothing: one that cannot be
 * read, is an unrendered Helm template, or holds an object whose fix cannot
 * heal it is left as it is (not written, not in the output, no diff), and
 * the report says why with file, document and line.
 *
 * Output: the fixed stream on standard output, a unified diff (--diff), or
 * the files replaced crash-safely (--write; a file that does not change is
 * not touched). The report goes to standard error, or to standard output
 * when that carries nothing else (--write alone).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fix.h"
#include "score.h"

typedef enum file_state { FILE_OK, FILE_UNFIXED, FILE_ERROR } file_state;

/* One object of a file, what its decision gives, and the object after the run. */
typedef struct fix_item {
    const sg_manifest *m;
    fix_object obj;
    char label[1024];
    char refused[SG_ERRMAX];   /* the editor could not write its fix, and why */
    json_t *after;             /* the fixed object when its fix is written, else NULL */
} fix_item;

typedef struct fix_file {
    const char *path;
    const char *name;
    char *text;
    size_t len;
    sg_manifest_list list;
    fix_item *items;
    sg_edit *edit;
    char *out;                 /* the edited text, when it changed */
    size_t outlen;
    file_state state;
} fix_file;

typedef struct fix_run {
    const fix_options *o;
    fix_ctx ctx;
    FILE *report;
    size_t objects_fixed, objects_unfixed, findings_fixed;
} fix_run;

static int file_error(fix_file *f, const char *msg)
{
    fprintf(stderr, "scoregate fix: %s\n", msg);
    f->state = FILE_ERROR;
    return -1;
}

/* Read the file and its objects; an unrendered Helm template is refused before its YAML is judged. */
static int load_file(fix_file *f)
{
    char err[SG_ERRMAX];
    if (sg_file_read(f->path, SG_MAX_INPUT, &f->text, &f->len, err, sizeof err) < 0)
        return file_error(f, err);
    int doc, line;
    if (sg_helm_template_find(f->text, f->len, &doc, &line)) {
        char msg[SG_ERRMAX];
        snprintf(msg, sizeof msg, "%s: document %d, line %d: an unrendered Helm template ({{ ... }}): fix the "
                 "chart's templates or values, or render it (helm template) and fix the output", f->name, doc, line);
        return file_error(f, msg);
    }
    if (sg_manifest_parse(&f->list, f->name, f->text, f->len, err, sizeof err) < 0)
        return file_error(f, err);
    f->items = sg_calloc(f->list.count + 1, sizeof *f->items);
    return 0;
}

/* Write one object's fix into the file's text (opening the editor the first time). */
static int edit_item(fix_file *f, fix_item *it)
{
    char err[SG_ERRMAX];
    if (!f->edit && sg_edit_open(f->name, f->text, f->len, &f->edit, err, sizeof err) < 0)
        return file_error(f, err);
    if (sg_edit_set(f->edit, it->m->document, it->m->pointer, it->obj.fixed, it->refused, sizeof it->refused) < 0)
        return 0;
    it->after = json_incref((json_t *)it->obj.fixed);
    return 0;
}

/* Decide every object of the file, in order, and write the fixes of those it heals. */
static int decide_file(fix_run *run, fix_file *f)
{
    for (size_t i = 0; i < f->list.count; i++) {
        fix_item *it = &f->items[i];
        it->m = &f->list.items[i];
        char place[SG_ERRMAX], err[SG_ERRMAX];
        snprintf(place, sizeof place, "%s: document %d, line %d", it->m->file, it->m->document, it->m->line);
        if (fix_decide(&run->ctx, it->m->object, SG_SCORE_CREATE, false, &it->obj, err, sizeof err) < 0) {
            char msg[2 * SG_ERRMAX + 8];
            snprintf(msg, sizeof msg, "%s: %s", place, err);
            return file_error(f, msg);
        }
        fix_label(&it->obj.adm.eval, place, it->label, sizeof it->label);
        if (it->obj.patch && edit_item(f, it) < 0)
            return -1;
        if (it->obj.wanted && (it->obj.healed < it->obj.wanted || *it->refused))
            f->state = FILE_UNFIXED;
    }
    char err[SG_ERRMAX];
    if (f->state == FILE_OK && f->edit && sg_edit_changed(f->edit) &&
        sg_edit_text(f->edit, &f->out, &f->outlen, err, sizeof err) < 0)
        return file_error(f, err);
    return 0;
}

static const char *left_as_is(const fix_options *o)
{
    return o->write ? "not written" : o->diff ? "no diff" : "left out of the output";
}

/* The report of a decided file: per object what was fixed and what not, then the file's fate. */
static void report_file(fix_run *run, const fix_file *f)
{
    size_t wanted = 0;
    for (size_t i = 0; i < f->list.count && f->items[i].m; i++) {
        const fix_item *it = &f->items[i];
        if (!it->obj.wanted)
            continue;
        wanted++;
        bool written = f->state == FILE_OK;
        if (*it->refused)
            fprintf(run->report, "%s: not fixed: the fix cannot be written into the file: %s\n", it->label,
                    it->refused);
        else
            fix_print_fixed(run->report, it->label, written ? "fixed" : "fixable, but not fixed", &it->obj, NULL);
        fix_print_unfixed(run->report, it->label, &it->obj);
        bool fixed = written && !*it->refused && it->obj.healed == it->obj.wanted;
        run->objects_fixed += fixed;
        run->objects_unfixed += !fixed;
        run->findings_fixed += written && !*it->refused ? it->obj.healed : 0;
    }
    if (f->state == FILE_UNFIXED)
        fprintf(run->report, "%s: %s: an object in it cannot be fixed as asked\n", f->name, left_as_is(run->o));
    else if (f->out && run->o->write)
        fprintf(run->report, "%s: written\n", f->name);
    else if (wanted == 0 && f->state == FILE_OK && run->o->write)
        fprintf(run->report, "%s: nothing to fix\n", f->name);
}

/* Replace the file crash-safely, keeping its mode (and writing through a symbolic link to its target). */
static int write_file(const fix_file *f)
{
    char real[PATH_MAX], err[SG_ERRMAX];
    struct stat st;
    if (!realpath(f->path, real) || stat(real, &st) < 0) {
        fprintf(stderr, "scoregate fix: %s: %s\n", f->name, strerror(errno));
        return -1;
    }
    if (sg_file_write_atomic(real, f->out, f->outlen, st.st_mode & 07777, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate fix: %s\n", err);
        return -1;
    }
    return 0;
}

/* The output of the run: the streams, the diffs, or the files written. Returns -1 when a write failed. */
static int output(const fix_options *o, fix_file *files, size_t n)
{
    int rc = 0;
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const fix_file *f = &files[i];
        if (f->state != FILE_OK)
            continue;
        if (o->diff && f->out)
            fix_write_diff(stdout, f->name, f->text, f->len, f->out, f->outlen);
        if (o->write && f->out && write_file(f) < 0)
            rc = -1;
        if (o->write || o->diff)
            continue;
        const char *text = f->out ? f->out : f->text;
        size_t len = f->out ? f->outlen : f->len;
        if (!first)
            fputs("---\n", stdout);
        fwrite(text, 1, len, stdout);
        if (len && text[len - 1] != '\n')
            fputc('\n', stdout);
        first = false;
    }
    return fflush(stdout) == 0 ? rc : -1;
}

/* The score of the objects before and after the run (only objects of files that were read). */
static void score_run(fix_run *run, fix_file *files, size_t n)
{
    sg_inventory *before, *after;
    char why[SG_ERRMAX];
    if (sg_inventory_new(run->ctx.model, &before, why, sizeof why) < 0 ||
        sg_inventory_new(run->ctx.model, &after, why, sizeof why) < 0)
        sg_oom();
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; files[i].state != FILE_ERROR && k < files[i].list.count; k++) {
            const fix_item *it = &files[i].items[k];
            const json_t *then = files[i].state == FILE_OK && it->after ? it->after : it->m->object;
            score_record(run->ctx.policy, run->ctx.model, before, it->m->object, run->o->namespace_, run->ctx.now,
                         why, sizeof why);
            score_record(run->ctx.policy, run->ctx.model, after, then, run->o->namespace_, run->ctx.now, why,
                         sizeof why);
        }
    sg_score s0, s1;
    sg_inventory_score(before, &s0);
    sg_inventory_score(after, &s1);
    if (run->objects_fixed + run->objects_unfixed == 0)
        fprintf(run->report, "Nothing to fix.\n");
    else
        fprintf(run->report, "Fixed %zu finding%s in %zu object%s; %zu object%s not fixed.\n", run->findings_fixed,
                run->findings_fixed == 1 ? "" : "s", run->objects_fixed, run->objects_fixed == 1 ? "" : "s",
                run->objects_unfixed, run->objects_unfixed == 1 ? "" : "s");
    fix_print_score(run->report, NULL, &s0, &s1);
    sg_inventory_free(before);
    sg_inventory_free(after);
}

static void free_file(fix_file *f)
{
    for (size_t i = 0; f->items && i < f->list.count; i++) {
        fix_object_free(&f->items[i].obj);
        json_decref(f->items[i].after);
    }
    free(f->items);
    sg_manifest_list_free(&f->list);
    sg_edit_free(f->edit);
    free(f->text);
    free(f->out);
}

int fix_files(const sg_policy *p, const fix_options *o, char **paths, int npaths)
{
    cli_files list = {0};
    char err[SG_ERRMAX];
    int status = 0;
    for (int i = 0; i < npaths; i++)
        cli_files_add(&list, paths[i], NULL);
    for (size_t i = 0; i < list.nerrors; i++) {
        fprintf(stderr, "scoregate fix: %s\n", list.errors[i].message);
        status = 2;
    }
    fix_run run = {o, {p, NULL, NULL, o->namespace_, time(NULL)}, o->write && !o->diff ? stdout : stderr, 0, 0, 0};
    if (status == 0 && (sg_score_model_from_policy(p, NULL, 0, &run.ctx.model, err, sizeof err) < 0 ||
                        sg_inventory_new(run.ctx.model, &run.ctx.inventory, err, sizeof err) < 0)) {
        fprintf(stderr, "scoregate fix: %s\n", err);
        status = 2;
    }
    fix_file *files = sg_calloc(list.count + 1, sizeof *files);
    for (size_t i = 0; status == 0 && i < list.count; i++) {
        fix_file *f = &files[i];
        f->path = list.files[i].path;
        f->name = sg_file_name(f->path);
        if (load_file(f) == 0)
            decide_file(&run, f);
        report_file(&run, f);
    }
    bool error = false, unfixed = false;
    for (size_t i = 0; i < list.count; i++) {
        error |= files[i].state == FILE_ERROR;
        unfixed |= files[i].state == FILE_UNFIXED;
    }
    if (status == 0 && output(o, files, list.count) < 0)
        error = true;
    if (status == 0)
        score_run(&run, files, list.count);
    for (size_t i = 0; i < list.count; i++)
        free_file(&files[i]);
    free(files);
    sg_inventory_free(run.ctx.inventory);
    sg_score_model_free(run.ctx.model);
    cli_files_free(&list);
    return status ? status : error ? 2 : unfixed ? 1 : 0;
}
