/*
 * fuzz_settings.c - libFuzzer target for the settings loader: arbitrary text
 * as the settings file. Loading must either succeed or fail with a message;
 * never crash, leak or hang. Exercises YAML, every settings key, parameter
 * checks and the compilation of custom recommendations, and the webhook's
 * reading of the `server` section, as every command loads the file.
 */
#include <stdint.h>
#include <string.h>

#include <scoregate/policy.h>
#include <scoregate/webhook.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SG_ERRMAX];
    sg_policy *p = NULL;
    if (sg_policy_load_buffer("fuzz.yaml", (const char *)data, size, NULL, &p, err, sizeof err) == 0) {
        err[0] = '\0';
        if (sg_webhook_settings_check(p, err, sizeof err) < 0 && !err[0])
            __builtin_trap();
        sg_policy_free(p);
    } else if (!err[0]) {
        __builtin_trap();
    }
    return 0;
}
