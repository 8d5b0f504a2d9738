/*
 * scan_inputs.c - what `scoregate scan` reads: files, directories and
 * standard input, into the report's manifest list, with what was skipped and
 * what could not be read.
 *
 * Directories are read recursively, *.yaml, *.yml and *.json in name order
 * (dotfiles left out), as a repository holds them. A repository also holds
 * YAML that is not for the API server, so a file of a directory is skipped,
 * with a notice, when it holds no Kubernetes object at all (kustomization
 * files, Helm values, JSON patches, tool settings), when it is a
 * kustomization, when a kustomization in the scanned tree names it as a
 * patch (scan_kustomize.c), or when it belongs to a Helm chart (a folder with
 * a Chart.yaml: its templates are for Helm to render, not YAML yet). Files
 * named on the command line and standard input are read strictly, and
 * --strict reads directories so too.
 *
 * A real error (unreadable file, malformed YAML, a broken manifest) is
 * recorded with its place and the rest is still read: the report then shows
 * everything else and the error, and the scan exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scan.h"

/* Record a note from a message that may start with "FILE: " and "document D, line L: ". */
void scan_note_add(scan_note **list, size_t *n, const char *file, int document, int line, const char *text)
{
    size_t flen = strlen(file);
    if (!strncmp(text, file, flen) && !strncmp(text + flen, ": ", 2))
        text += flen + 2;
    int d, l, used = 0;
    if (!document && sscanf(text, "document %d, line %d: %n", &d, &l, &used) == 2 && used > 0) {
        document = d;
        line = l;
        text += used;
    }
    *list = sg_reallocarray(*list, *n + 1, sizeof **list);
    (*list)[(*n)++] = (scan_note){sg_strdup(file), document, line, sg_strdup(text)};
}

static void note_error(scan_report *r, const char *file, const char *err)
{
    fprintf(stderr, "scoregate scan: %s\n", err);
    scan_note_add(&r->errors, &r->nerrors, file, 0, 0, err);
}

static void note_skip(scan_report *r, const char *file, const char *why)
{
    fprintf(stderr, "scoregate scan: skipped %s: %s\n", file, why);
    scan_note_add(&r->skipped, &r->nskipped, file, 0, 0, why);
}

/* The files a directory scan leaves out: those of Helm charts, kustomizations, and what they
 * name as patches. */
static bool skipped_as_source(scan_report *r, const cli_file *f, const scan_patches *patches)
{
    const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
    char why[SG_ERRMAX];
    if (f->chart) {
        snprintf(why, sizeof why, "part of the Helm chart %s (its templates are for Helm to render); check what it "
                 "renders with: helm template %s | scoregate scan -", f->chart, f->chart);
        note_skip(r, f->path, why);
        return true;
    }
    if (scan_is_kustomization(base)) {
        snprintf(why, sizeof why, "a kustomization (kustomize's build file, not an object for the API server); check "
                 "what it builds with: kubectl kustomize %.*s | scoregate scan -", (int)(base - f->path - 1),
                 f->path);
        note_skip(r, f->path, why);
        return true;
    }
    const scan_patch *p = scan_kustomize_patch(patches, f->path);
    if (!p)
        return false;
    const char *slash = strrchr(p->kustomization, '/');
    snprintf(why, sizeof why, "a patch that %s applies (%s), not a whole object; check what it builds with: "
             "kubectl kustomize %.*s | scoregate scan -", p->kustomization, p->field,
             slash ? (int)(slash - p->kustomization) : 1, slash ? p->kustomization : ".");
    note_skip(r, f->path, why);
    return true;
}

static void read_one(scan_report *r, const cli_file *f, bool lenient)
{
    char err[2 * SG_ERRMAX];
    int rc = lenient ? sg_manifest_read_or_skip(&r->manifests, f->path, err, sizeof err)
                     : sg_manifest_read(&r->manifests, f->path, err, sizeof err);
    const char *name = sg_file_name(f->path);
    if (rc < 0) {
        note_error(r, name, err);
    } else if (rc > 0) {
        size_t n = strlen(name);
        note_skip(r, name, !strncmp(err, name, n) && !strncmp(err + n, ": ", 2) ? err + n + 2 : err);
    }
}

void scan_read_inputs(scan_report *r, char *const *paths, size_t npaths, bool strict)
{
    cli_files in = {0};
    for (size_t i = 0; i < npaths; i++)
        cli_files_add(&in, paths[i], scan_is_kustomization);
    for (size_t i = 0; i < in.nerrors; i++)
        note_error(r, in.errors[i].path, in.errors[i].message);
    scan_patches patches = {0};
    bool *failed = sg_calloc(in.count + 1, sizeof *failed);   /* kustomizations that could not be read */
    for (size_t i = 0; i < in.count && !strict; i++) {
        const char *base = strrchr(in.files[i].path, '/');
        char err[2 * SG_ERRMAX];
        if (in.files[i].from_dir && !in.files[i].chart && scan_is_kustomization(base ? base + 1 : in.files[i].path) &&
            scan_kustomize_read(&patches, in.files[i].path, err, sizeof err) < 0) {
            note_error(r, in.files[i].path, err);
            failed[i] = true;
        }
    }
    for (size_t i = 0; i < in.count; i++) {
        const cli_file *f = &in.files[i];
        bool lenient = f->from_dir && !strict;
        if (!failed[i] && (!lenient || !skipped_as_source(r, f, &patches)))
            read_one(r, f, lenient);
    }
    free(failed);
    scan_kustomize_free(&patches);
    cli_files_free(&in);
}

void scan_notes_free(scan_note *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].file);
        free(list[i].message);
    }
    free(list);
}
