/*
 * fuzz_settings.c - libFuzzer target for the settings loader: arbitrary text
 * as the settings file. Loading must either succeed or fail with a message;
 * never crash, leak or hang. Exercises YAML, every settings key, parameter
 * checks and the compilation of custom recommendations.
 */
#include <stdint.h>
#include <string.h>

#include <scoregate/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SG_ERRMAX];
    sg_policy *p = NULL;
    if (sg_policy_load_buffer("fuzz.yaml", (const char *)data, size, NULL, &p, err, sizeof err) == 0)
        sg_policy_free(p);
    else if (!err[0])
        __builtin_trap();
    return 0;
}
