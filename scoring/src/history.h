/*
 * history.h - the score history's storage, shared by history.c (the rules:
 * when a sample is taken, merging, reading out) and history_codec.c (the
 * versioned text). Internal to the scoring module.
 *
 * Values are integers so that a round trip through the text is exact:
 * percent in hundredths, points in cents. A sample's per-control points
 * follow the history's control ids; HS_NONE marks what was not recorded
 * (a control added to the table later, or a percent of "n/a").
 */
#ifndef SG_SCORING_HISTORY_H
#define SG_SCORING_HISTORY_H

#include <pthread.h>
#include <stdint.h>

#include "internal.h"

#define HS_NONE INT32_MIN
#define HS_FINE_MAX (SG_HISTORY_FINE_SPAN / SG_HISTORY_MINUTE + 1)
#define HS_COARSE_MAX (SG_HISTORY_COARSE_SPAN / SG_HISTORY_HOUR + 1)
#define HS_ID_MAX 253

typedef struct hsample {
    int64_t time;
    int32_t percent;                          /* hundredths, or HS_NONE */
    int64_t current, max;                     /* cents */
    int32_t points[SG_SCORE_MAX_CONTROLS];    /* cents, or HS_NONE */
} hsample;

typedef struct tier {
    hsample *s;
    size_t n, cap;
} tier;

/* The content of a history: what the codec builds aside and swaps in. */
typedef struct hcontent {
    size_t ncontrols;
    char *ids[SG_SCORE_MAX_CONTROLS];
    tier fine, coarse;       /* change samples, hourly samples; each sorted by time */
} hcontent;

struct sg_history {
    pthread_mutex_t lock;
    hcontent c;
    unsigned long generation;
};

/* Append one sample. */
void hs_push(tier *t, const hsample *s);
void hs_content_free(hcontent *c);
/* Enforce the rules on content: sorted, spaced, within the spans from the newest sample, bounded. */
void hs_normalize(hcontent *c);

#endif
