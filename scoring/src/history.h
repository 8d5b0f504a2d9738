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

#define HS_VERSION 1                  /* of the text; a newer one is refused */
#define HS_MINUTE 60                  /* seconds between change samples, at least */
#define HS_HOUR 3600                  /* seconds between hourly samples */
#define HS_FINE_SPAN (24 * 3600)      /* how long the change samples are kept */
#define HS_COARSE_SPAN (90 * 86400)   /* how long the hourly samples are kept */
#define HS_NONE INT32_MIN
#define HS_FINE_MAX (HS_FINE_SPAN / HS_MINUTE + 1)
#define HS_COARSE_MAX (HS_COARSE_SPAN / HS_HOUR + 1)
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
