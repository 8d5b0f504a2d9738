/*
 * fuzz_quantity.c - libFuzzer target for sg_quantity_parse: any text gives a
 * value or -1, and an accepted text is one the grammar allows.
 */
#include <scoregate/policy.h>

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    double v = 0;
    if (sg_quantity_parse(s, &v) == 0) {
        assert(!isnan(v));
        /* Accepted text: a sign, digits and a point, then a suffix of letters/digits. */
        size_t i = 0;
        if (s[i] == '+' || s[i] == '-')
            i++;
        assert(strchr("0123456789.", s[i]) != NULL && s[i] != '\0');
        assert(strspn(s, "+-0123456789.eEinumkKMGTP") == strlen(s));
    }
    free(s);
    return 0;
}
