/*
 * fuzz_admission.c - libFuzzer target for the admission path without
 * sockets: AdmissionReview decode -> decide -> encode, through
 * sg_webhook_review(), exactly what POST /validate and /mutate run.
 * The first byte picks the endpoint; the rest is the body. Every answer must
 * be JSON with the status the server would send (200 with an AdmissionReview
 * echoing the uid, or 400/500 with a Status), and the inventory the allowed
 * requests change must still check out.
 * Seeds: tests/fuzz/corpus/admission/ (first byte 'v' or 'm', then a review).
 * Each request logs one line on stderr: run with -close_fd_mask=2 to mute it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <scoregate/webhook.h>
#include <scoregate/webhook_testing.h>

static sg_webhook *webhook(void)
{
    static sg_webhook *w;
    if (!w) {
        sg_webhook_options o;
        sg_webhook_options_init(&o);
        o.persist = false;
        char err[SG_ERRMAX];
        if (sg_webhook_new(&o, &w, err, sizeof err))
            abort();
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sg_webhook *w = webhook();
    sg_webhook_endpoint ep = data[0] == 'm' ? SG_WEBHOOK_MUTATE : SG_WEBHOOK_VALIDATE;
    unsigned status = 0;
    char *out = NULL;
    size_t len = 0;
    if (sg_webhook_review(w, ep, (const char *)data + 1, size - 1, &status, &out, &len) < 0)
        abort();
    json_error_t jerr;
    json_t *answer = json_loadb(out, len, 0, &jerr);
    if (!answer || strlen(out) != len)
        abort();
    if (status == 200) {
        json_t *resp = json_object_get(answer, "response");
        if (!json_is_string(json_object_get(resp, "uid")) || !json_is_boolean(json_object_get(resp, "allowed")))
            abort();
        if (ep == SG_WEBHOOK_VALIDATE && json_object_get(resp, "patch"))
            abort();
        json_t *warnings = json_object_get(resp, "warnings");
        size_t i;
        json_t *line;
        json_array_foreach(warnings, i, line)
            if (json_string_length(line) > WH_WARNING_MAX)
                abort();
    } else if (status != 400 && status != 500) {
        abort();
    }
    json_decref(answer);
    free(out);
    char err[SG_ERRMAX];
    if (sg_inventory_check(wh_testing_inventory(w), err, sizeof err))
        abort();
    return 0;
}
