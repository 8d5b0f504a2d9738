/*
 * scan_kustomize.c - the files a kustomization names as patches, so that a
 * directory scan skips them. A strategic-merge patch is a partial object (a
 * Deployment that only sets resources): scored as a whole object it would be
 * "missing" every security setting. What kustomize builds is checked with
 * `kubectl kustomize DIR | scoregate scan -` (docs/scan.md).
 *
 * Read: patchesStrategicMerge (paths; inline patches are skipped), patches
 * and patchesJson6902 (entries with a path). Paths are relative to the
 * kustomization's folder and compared by their real path, so a patch that
 * an overlay takes from elsewhere in the scanned tree is found too.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

bool scan_is_kustomization(const char *name)
{
    return !strcmp(name, "kustomization.yaml") || !strcmp(name, "kustomization.yml") ||
           !strcmp(name, "Kustomization");
}

static void add_patch(scan_patches *ps, const char *dir, const char *rel, const char *kustomization,
                      const char *field)
{
    char joined[PATH_MAX], real[PATH_MAX];
    if (!rel || strchr(rel, '\n') || snprintf(joined, sizeof joined, "%s/%s", dir, rel) >= (int)sizeof joined ||
        !realpath(joined, real))
        return;   /* an inline patch, or a file that is not there (kustomize will say so) */
    ps->items = sg_reallocarray(ps->items, ps->n + 1, sizeof *ps->items);
    ps->items[ps->n++] = (scan_patch){sg_strdup(real), sg_strdup(kustomization), field};
}

int scan_kustomize_read(scan_patches *ps, const char *path, char *err, size_t errlen)
{
    char *data;
    size_t len;
    json_t *docs;
    if (sg_file_read(path, SG_MAX_INPUT, &data, &len, err, errlen) < 0)
        return -1;
    int rc = sg_yaml_load(path, data, len, &docs, NULL, NULL, err, errlen);
    free(data);
    if (rc < 0)
        return -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    const json_t *k = json_array_get(docs, 0);
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(k, "patchesStrategicMerge"), i, e)
        add_patch(ps, dir, json_string_value(e), path, "patchesStrategicMerge");
    static const char *const with_path[] = {"patches", "patchesJson6902"};
    for (int f = 0; f < 2; f++)
        json_array_foreach(json_object_get(k, with_path[f]), i, e)
            add_patch(ps, dir, json_string_value(json_object_get(e, "path")), path, with_path[f]);
    json_decref(docs);
    return 0;
}

const scan_patch *scan_kustomize_patch(const scan_patches *ps, const char *path)
{
    char real[PATH_MAX];
    if (!ps->n || !realpath(path, real))
        return NULL;
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->items[i].file, real))
            return &ps->items[i];
    return NULL;
}

void scan_kustomize_free(scan_patches *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->items[i].file);
        free(ps->items[i].kustomization);
    }
    free(ps->items);
    memset(ps, 0, sizeof *ps);
}
