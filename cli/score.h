/*
 * score.h - the secure score in the CLI (internal to cli/): inventories read
 * from files, and the score and prediction of a scan. Built on the public
 * scoring API; `scan` and `score` share it so they always agree.
 */
#ifndef SCOREGATE_CLI_SCORE_H
#define SCOREGATE_CLI_SCORE_H

#include <scoregate/scoring.h>

#include "scan.h"

/*
 * Put the resources of `path` into `inv` (whose model is that of `p`). The
 * file may be a saved inventory (the webhook's state file), the output of
 * `scoregate scan -f json` (findings mapped by recommendation id), or
 * Kubernetes objects in YAML or JSON, a `kubectl get -o json` List included,
 * evaluated with `p` (`ns` for objects without a namespace). Errors name the
 * file, and for objects the document and line.
 */
int score_read_inventory(const sg_policy *p, sg_inventory *inv, const char *path, const char *ns,
                         char *err, size_t errlen);

/*
 * Fill r->score with the score of the scanned resources, or, with a
 * `baseline` file, with the score of the baseline once they are applied, and
 * then r->prediction with the change from the baseline. *percent receives the
 * resulting percent, or -1 when nothing is scored.
 */
int scan_score(scan_report *r, const char *baseline, const char *ns, double *percent, char *err,
               size_t errlen);

#endif
