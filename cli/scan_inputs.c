/*
 * scan_inputs.c - what `scoregate scan` reads: files, directories and
 * standard input, as the list of files to read in input order (scan_stream.c
 * reads them), with what is skipped without reading and what could not be
 * listed.
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

void scan_note_error(scan_report *r, const char *file, const char *err)
{
    fprintf(stderr, "scoregate scan: %s\n", err);
    scan_note_add(&r->errors, &r->nerrors, file, 0, 0, err);
}

void scan_note_skip(scan_report *r, const char *file, const char *why)
{
    fprintf(stderr, "scoregate scan: skipped %s: %s\n", file, why);
    scan_note_add(&r->skipped, &r->nskipped, file, 0, 0, why);
}

/* Why a directory scan leaves a file out (a new string), or NULL: those of Helm charts,
 * kustomizations, and what they name as patches. */
static char *skipped_as_source(const cli_file *f, const scan_patches *patches)
{
    const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
    char why[SG_ERRMAX];
    if (f->chart) {
        snprintf(why, sizeof why, "part of the Helm chart %s (its templates are for Helm to render); check what it "
                 "renders with: helm template %s | scoregate scan -", f->chart, f->chart);
        return sg_strdup(why);
    }
    if (scan_is_kustomization(base)) {
        snprintf(why, sizeof why, "a kustomization (kustomize's build file, not an object for the API server); check "
                 "what it builds with: kubectl kustomize %.*s | scoregate scan -", (int)(base - f->path - 1),
                 f->path);
        return sg_strdup(why);
    }
    const scan_patch *p = scan_kustomize_patch(patches, f->path);
    if (!p)
        return NULL;
    const char *slash = strrchr(p->kustomization, '/');
    snprintf(why, sizeof why, "a patch that %s applies (%s), not a whole object; check what it builds with: "
             "kubectl kustomize %.*s | scoregate scan -", p->kustomization, p->field,
             slash ? (int)(slash - p->kustomization) : 1, slash ? p->kustomization : ".");
    return sg_strdup(why);
}

void scan_list_inputs(scan_report *r, char *const *paths, size_t npaths, bool strict, scan_inputs *out)
{
    cli_files in = {0};
    for (size_t i = 0; i < npaths; i++)
        cli_files_add(&in, paths[i], scan_is_kustomization);
    for (size_t i = 0; i < in.nerrors; i++)
        scan_note_error(r, in.errors[i].path, in.errors[i].message);
    scan_patches patches = {0};
    bool *failed = sg_calloc(in.count + 1, sizeof *failed);   /* kustomizations that could not be read */
    for (size_t i = 0; i < in.count && !strict; i++) {
        const char *base = strrchr(in.files[i].path, '/');
        char err[2 * SG_ERRMAX];
        if (in.files[i].from_dir && !in.files[i].chart && scan_is_kustomization(base ? base + 1 : in.files[i].path) &&
            scan_kustomize_read(&patches, in.files[i].path, err, sizeof err) < 0) {
            scan_note_error(r, in.files[i].path, err);
            failed[i] = true;
        }
    }
    *out = (scan_inputs){.items = sg_calloc(in.count + 1, sizeof *out->items)};
    for (size_t i = 0; i < in.count; i++) {
        const cli_file *f = &in.files[i];
        bool lenient = f->from_dir && !strict;
        char *skip = failed[i] || !lenient ? NULL : skipped_as_source(f, &patches);
        if (!failed[i])
            out->items[out->count++] = (scan_input){sg_strdup(f->path), lenient, skip};
    }
    free(failed);
    scan_kustomize_free(&patches);
    cli_files_free(&in);
}

void scan_inputs_free(scan_inputs *in)
{
    for (size_t i = 0; i < in->count; i++) {
        free(in->items[i].path);
        free(in->items[i].skip);
    }
    free(in->items);
    *in = (scan_inputs){0};
}

void scan_notes_free(scan_note *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].file);
        free(list[i].message);
    }
    free(list);
}
