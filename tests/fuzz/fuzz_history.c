/*
 * fuzz_history.c - libFuzzer target for the score history's text (a file in
 * the state directory, a ConfigMap another replica wrote). Each input goes
 * through sg_history_decode(); a decode must fail cleanly and leave the
 * history as it was, or succeed, and then encode to a text within the bound
 * that decodes to the same text again, and merge into a history that already
 * holds samples. Seeds: tests/fuzz/corpus/history/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/scoring.h>

static sg_history *fresh(void) { return sg_history_new(); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SG_ERRMAX], *text, *again;
    size_t len, len2;
    sg_history *h = fresh();
    if (sg_history_decode(h, "fuzz", (const char *)data, size, NULL, err, sizeof err) == 0) {
        text = sg_history_encode(h, &len);
        if (len > SG_HISTORY_MAX_BYTES)
            abort();
        sg_history *copy = fresh();
        if (sg_history_decode(copy, "again", text, len, NULL, err, sizeof err))
            abort();
        again = sg_history_encode(copy, &len2);
        if (len != len2 || memcmp(text, again, len))
            abort();
        sg_score_control_def control = {"access", "Access", 4};
        sg_score_model *m;
        if (sg_score_model_new(&control, 1, NULL, 0, &m, err, sizeof err))
            abort();
        sg_history *other = fresh();
        sg_score s;
        size_t healthy = 1, unhealthy = 1;
        sg_score_compute(m, &healthy, &unhealthy, NULL, &s);
        sg_history_observe(other, &s, 1735689600);
        sg_history_merge(other, copy);
        free(text);
        free(again);
        sg_history_free(other);
        sg_history_free(copy);
        sg_score_model_free(m);
    } else if (sg_history_count(h) != 0) {
        abort();
    }
    sg_history_free(h);
    return 0;
}
