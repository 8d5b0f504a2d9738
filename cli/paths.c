/*
 * paths.c - the files a PATH argument names, for `scan` and `fix`: a file
 * as given, "-" for standard input, or a directory read recursively in name
 * order (so output is stable), taking *.yaml, *.yml and *.json (and the names
 * a caller adds, such as kustomizations) and skipping names that start with
 * '.' (.git, editor files). Each file says whether a directory gave it and
 * the Helm chart it lies in; unreadable directories are recorded and the
 * walk goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Directories nest at most this deep (a symbolic link may loop). */
#define MAX_DEPTH 32

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && !strcmp(name + n - s, suffix);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(cli_files *f, const char *path, bool from_dir, const char *chart)
{
    f->files = sg_reallocarray(f->files, f->count + 1, sizeof *f->files);
    f->files[f->count++] = (cli_file){sg_strdup(path), from_dir, chart ? sg_strdup(chart) : NULL};
}

static void add_error(cli_files *f, const char *dir, const char *text)
{
    f->errors = sg_reallocarray(f->errors, f->nerrors + 1, sizeof *f->errors);
    f->errors[f->nerrors++] = (cli_file_error){sg_strdup(dir), sg_strdup(text)};
}

static void walk(cli_files *f, const char *dir, int depth, const char *chart, bool (*extra)(const char *));

/* One entry of a directory: a folder to walk, or a file to take. */
static void walk_entry(cli_files *f, const char *dir, const char *name, int depth, const char *chart,
                       bool (*extra)(const char *))
{
    char path[4096], err[SG_ERRMAX];
    if (snprintf(path, sizeof path, "%s%s%s", dir, has_suffix(dir, "/") ? "" : "/", name) >= (int)sizeof path) {
        snprintf(err, sizeof err, "%s: a path in this directory is longer than %zu bytes", dir, sizeof path - 1);
        add_error(f, dir, err);
        return;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return;   /* a dangling symbolic link: nothing to read */
    if (S_ISDIR(st.st_mode))
        walk(f, path, depth + 1, chart, extra);
    else if (has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".json") ||
             (extra && extra(name)))
        add_file(f, path, true, chart);
}

/* A directory's entries recursively, in name order so that output is
 * stable; `chart` is the Helm chart it lies in (a folder with Chart.yaml), or NULL. */
static void walk(cli_files *f, const char *dir, int depth, const char *chart, bool (*extra)(const char *))
{
    char err[SG_ERRMAX];
    if (depth > MAX_DEPTH) {
        snprintf(err, sizeof err, "%s: directories nested deeper than %d levels (a symbolic link loop?)", dir,
                 MAX_DEPTH);
        add_error(f, dir, err);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, sizeof err, "%s: %s", dir, strerror(errno));
        add_error(f, dir, err);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = sg_reallocarray(names, n + 1, sizeof *names);
        names[n++] = sg_strdup(e->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n && !chart; i++)
        if (!strcmp(names[i], "Chart.yaml"))
            chart = dir;
    for (size_t i = 0; i < n; i++) {
        walk_entry(f, dir, names[i], depth, chart, extra);
        free(names[i]);
    }
    free(names);
}

void cli_files_add(cli_files *f, const char *path, bool (*extra)(const char *))
{
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* "examples/" and "examples" give the same names: examples/x.yaml */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
            dir[n - 1] = '\0';
        walk(f, dir, 0, NULL, extra);
    } else {
        add_file(f, path, false, NULL);
    }
}

void cli_files_free(cli_files *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->files[i].path);
        free(f->files[i].chart);
    }
    for (size_t i = 0; i < f->nerrors; i++) {
        free(f->errors[i].path);
        free(f->errors[i].message);
    }
    free(f->files);
    free(f->errors);
    *f = (cli_files){0};
}

bool cli_valid_namespace(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
        return false;
    for (const char *c = ns; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    return true;
}
