/*
 * fuzz_base.c - libFuzzer target for the parsers of the base layer: base64
 * decoding and UTF-8 cleaning.
 *  - base64: any text decodes or fails cleanly; what decodes encodes to text
 *    that decodes to the very same bytes; any bytes encode and decode back.
 *  - UTF-8: the cleaned text is made only of characters sg_utf8_char accepts,
 *    cleaning it again changes nothing, and text that was clean comes back
 *    as it was (the same pointer, nothing allocated).
 * Seeds: tests/fuzz/corpus/base/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/base.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_base64(const uint8_t *data, size_t size)
{
    unsigned char *bytes;
    size_t n;
    if (sg_base64_decode((const char *)data, size, &bytes, &n) == 0) {
        if (bytes[n] != 0)
            abort();
        size_t elen;
        char *enc = sg_base64_encode(bytes, n, &elen);
        unsigned char *again;
        size_t m;
        if (strlen(enc) != elen || elen % 4 || sg_base64_decode(enc, elen, &again, &m) != 0 || m != n ||
            memcmp(again, bytes, n))
            abort();
        free(again);
        free(enc);
        free(bytes);
    }
    char *enc = sg_base64_encode(data, size, NULL);
    if (sg_base64_decode(enc, strlen(enc), &bytes, &n) != 0 || n != size || memcmp(bytes, data, size))
        abort();
    free(bytes);
    free(enc);
}

static void check_utf8(const uint8_t *data, size_t size)
{
    char *text = sg_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *owned, *owned2;
    const char *clean = sg_utf8_clean(text, &owned);
    size_t len = strlen(clean);
    for (size_t i = 0, k; i < len; i += k)
        if (!(k = sg_utf8_char(clean + i, len - i)))
            abort();
    if (sg_utf8_clean(clean, &owned2) != clean || owned2)
        abort();
    if (!owned && clean != text)
        abort();
    free(owned);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16))
        return 0;
    check_base64(data, size);
    check_utf8(data, size);
    return 0;
}
