/*
 * paths.c - the files a PATH argument names, for `scan` and `fix`: a file
 * as given, "-" for standard input, or a directory read recursively in name
 * order (so output is stable), taking *.yaml, *.yml and *.json and skipping
 * names that start with '.' (.git, editor files).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && !strcmp(name + n - s, suffix);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(cli_files *f, const char *path)
{
    f->paths = sg_reallocarray(f->paths, f->count + 1, sizeof *f->paths);
    f->paths[f->count++] = sg_strdup(path);
}

static int add_dir(cli_files *f, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return sg_err(err, errlen, "%s: %s", dir, strerror(errno));
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
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = add_dir(f, path, err, errlen);
            else if (has_suffix(names[i], ".yaml") || has_suffix(names[i], ".yml") || has_suffix(names[i], ".json"))
                add_file(f, path);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int cli_files_add(cli_files *f, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return add_dir(f, path, err, errlen);
    add_file(f, path);
    return 0;
}

void cli_files_free(cli_files *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->paths[i]);
    free(f->paths);
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
