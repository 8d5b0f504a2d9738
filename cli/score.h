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
 * Replace `h` with the score history in `path`: the state directory's
 * history.json, or the history ConfigMap in JSON (kubectl get configmap
 * NAME -o json), whose data.history holds the same text. Errors name the file.
 */
int score_read_history(sg_history *h, const char *path, char *err, size_t errlen);

/*
 * Record `object`, which the cluster holds, into `inv` (the admission
 * decision's RECORD mode; `m` is the model of `p`). 0 when recorded; 1 when
 * it cannot be evaluated, so it is not scored; -1 when the decision refuses
 * its arguments. The reason is in `why`.
 */
int score_record(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const json_t *object, const char *ns,
                 time_t now, char *why, size_t whylen);

/*
 * The inventory scanned objects are admitted into: r->model, r->inventory,
 * filled from the `baseline` file when given (score_read_inventory), and
 * r->before, its score.
 */
int scan_open_inventory(scan_report *r, const char *baseline, const char *ns, char *err, size_t errlen);

/*
 * Fill r->score with the score of the inventory after the scan's admissions,
 * and, with a baseline, r->prediction with the change from r->before.
 * *percent receives the resulting percent, or -1 when nothing is scored.
 */
void scan_score(scan_report *r, bool baseline, double *percent);

#endif
