/*
 * scoregate/webhook_testing.h - for tests and fuzz targets only: what the
 * admission fuzz target (tests/fuzz/fuzz_admission.c) checks besides the
 * answer of sg_webhook_review(): the bound on a warning's length and the
 * inventory the allowed requests change. Not API: only tests link
 * sg_webhook_testing, and the names carry the webhook's internal prefix.
 * webhook/src/internal.h includes it, so there is one definition.
 */
#ifndef SCOREGATE_WEBHOOK_TESTING_H
#define SCOREGATE_WEBHOOK_TESTING_H

#include <scoregate/scoring.h>
#include <scoregate/webhook.h>

/* Bytes a warning line of an AdmissionReview response may hold at most. */
#define WH_WARNING_MAX 120

/* The inventory `w` records admissions into (borrowed; it takes its own locks). */
sg_inventory *wh_testing_inventory(sg_webhook *w);

#endif
