/*
 * scan.h - the report `scoregate scan` builds and the writers that render it
 * (internal to cli/). One report, many formats: every writer reads the same
 * evaluated resources, so all formats agree.
 */
#ifndef SCOREGATE_CLI_SCAN_H
#define SCOREGATE_CLI_SCAN_H

#include <stdbool.h>
#include <stdio.h>

#include <scoregate/policy.h>

typedef struct scan_item {
    const sg_manifest *manifest;   /* borrowed from the report's manifest list */
    sg_eval eval;
    bool *denied;                  /* per finding: admission would deny it */
} scan_item;

typedef struct scan_report {
    const sg_policy *policy;
    sg_manifest_list manifests;
    scan_item *items;
    size_t count;
    size_t denied;                 /* findings that would be denied */
    json_t *score;                 /* DESIGN.md 5 "score" object, or NULL */
    json_t *prediction;            /* with --baseline, or NULL */
} scan_report;

/* Writers: 0 on success, -1 when the output could not be written. */
int scan_write_json(const scan_report *r, FILE *out);
int scan_write_text(const scan_report *r, FILE *out, bool color);

/* One finding as the JSON object of DESIGN.md 5 (shared by the writers). */
json_t *scan_finding_json(const scan_report *r, const sg_finding *f);

#endif
