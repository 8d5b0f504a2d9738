/*
 * fuzz_inventory_load.c - libFuzzer target for loading saved inventories.
 * Each input goes through sg_inventory_load_buffer() (trailer, checksum and
 * parser), and, with its trailer cut off, straight into the parser, which the
 * checksum would otherwise shield from nearly every mutation. A load must
 * either fail cleanly or yield an inventory whose counters check out.
 * Seeds: tests/fuzz/corpus/inventory_load/ (saved by this same model).
 */
#include <stdint.h>
#include <stdlib.h>

#include <scoregate/scoring.h>
#include <scoregate/scoring_testing.h>

static sg_score_model *model(void)
{
    static sg_score_model *m;
    if (!m) {
        static const sg_score_control_def controls[] = {{"access", "Access", 4},
                                                        {"network", "Network", 4}};
        static const sg_score_rec_def recs[] = {{"r0", "access", true, true, 0},
                                                {"r1", "access", true, true, 0},
                                                {"r2", "network", true, true, 0},
                                                {"r3", NULL, false, true, 0}};
        char err[SG_ERRMAX];
        if (sg_score_model_new(controls, 2, recs, 4, &m, err, sizeof err))
            abort();
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_inventory *inv;
    char err[SG_ERRMAX];
    size_t count;
    if (sg_inventory_new(model(), &inv, err, sizeof err))
        abort();
    if (sg_inventory_load_buffer(inv, "fuzz", data, size, err, sizeof err) == 0 &&
        sg_inventory_check(inv, err, sizeof err))
        abort();
    sg_inventory_free(inv);
    if (size >= 24)
        sg__inventory_parse_payload(model(), data, size - 24, &count, err, sizeof err);
    return 0;
}
