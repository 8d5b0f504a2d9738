/*
 * scoregate/scoring_testing.h - for tests and fuzz targets only: the parser
 * of saved inventories without the checksum check, for the fuzz target
 * (tests/fuzz/fuzz_inventory_load.c) to reach every branch of the format.
 * Not API: only tests link sg_scoring_testing, and the name carries scoring's
 * internal prefix.
 */
#ifndef SCOREGATE_SCORING_TESTING_H
#define SCOREGATE_SCORING_TESTING_H

#include <scoregate/scoring.h>

/*
 * Parse the payload of a saved inventory (everything before the trailer) and
 * map it onto model `m`. Returns 0 and counts the resources in *count, or -1
 * with a message. Frees everything it built either way.
 */
int sg__inventory_parse_payload(const sg_score_model *m, const void *payload, size_t len,
                                size_t *count, char *err, size_t errlen);

#endif
