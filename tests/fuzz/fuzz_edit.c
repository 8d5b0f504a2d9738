/*
 * fuzz_edit.c - libFuzzer target for the stream editor (sg_edit in doc.h).
 * The input is a YAML or JSON stream; its first byte seeds changes made to
 * every document's value (scalars replaced, keys removed and added with
 * nested values, items removed and appended). The editor may refuse a
 * change (a value aliases share), but what it writes must read back as
 * exactly the changed values (it checks, and a failed check here is a bug),
 * and editing its own output towards the same values must change nothing
 * (idempotence). Nothing may crash, leak or hang.
 *
 * Streams with tags (!), directives (%), explicit keys (?) or tabs (which
 * YAML reads differently by position), which manifests do not use, or lines
 * over 512 bytes (libyaml takes no implicit key
 * over 1024 characters, and a key written anew in quotes grows), may fail the
 * check instead (the editor then writes nothing and says so): splicing next
 * to them is not worth exact rules.
 */
#include <scoregate/doc.h>

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_rng {
    uint64_t state;
} fz_rng;

static unsigned fz_next(fz_rng *r, unsigned bound)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return bound ? (unsigned)(r->state % bound) : 0;
}

static json_t *fz_new_value(fz_rng *r, int depth)
{
    static const char *const words[] = {"true", "x y", "500m", "- a", "#c", "a: b", "", "ä", "yes", "'q'", "0x1F"};
    switch (fz_next(r, depth > 2 ? 4 : 6)) {
    case 0: return json_string(words[fz_next(r, sizeof words / sizeof *words)]);
    case 1: return json_integer(fz_next(r, 100000));
    case 2: return fz_next(r, 2) ? json_true() : json_null();
    case 3: return json_real(0.5);
    case 4: {
        json_t *o = json_object();
        for (unsigned i = fz_next(r, 3); i; i--)
            json_object_set_new(o, words[fz_next(r, 6)], fz_new_value(r, depth + 1));
        return o;
    }
    default: {
        json_t *a = json_array();
        for (unsigned i = fz_next(r, 3); i; i--)
            json_array_append_new(a, fz_new_value(r, depth + 1));
        return a;
    }
    }
}

/* Change `v` in place a few times, at random places below it. */
static void fz_mutate(fz_rng *r, json_t *v, int depth)
{
    if (depth > 40)
        return;
    if (json_is_object(v) && json_object_size(v)) {
        const char *key;
        json_t *child;
        size_t pick = fz_next(r, (unsigned)json_object_size(v)), i = 0;
        json_object_foreach(v, key, child) {
            if (i++ != pick)
                continue;
            switch (fz_next(r, 4)) {
            case 0: json_object_del(v, key); break;
            case 1: json_object_set_new(v, key, fz_new_value(r, depth)); break;
            case 2: json_object_set_new(v, "added", fz_new_value(r, depth)); break;
            default: fz_mutate(r, child, depth + 1);
            }
            break;
        }
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t pick = fz_next(r, (unsigned)json_array_size(v));
        switch (fz_next(r, 4)) {
        case 0: json_array_remove(v, pick); break;
        case 1: json_array_append_new(v, fz_new_value(r, depth)); break;
        case 2: json_array_set_new(v, pick, fz_new_value(r, depth)); break;
        default: fz_mutate(r, json_array_get(v, pick), depth + 1);
        }
    }
}

/* Whether a key of `v` is longer than `max` bytes. */
static bool fz_long_key(const json_t *v, size_t max)
{
    const char *key;
    const json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
            if (strlen(key) > max || fz_long_key(child, max))
                return true;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            if (fz_long_key(child, max))
                return true;
    }
    return false;
}

/* Set every document of `text` to its value in `want`; returns the edited text or NULL on a refusal. */
static char *fz_edit(const char *text, size_t len, json_t *want, const int *numbers, size_t *outlen, bool *changed,
                     bool lenient)
{
    char err[SG_ERRMAX];
    sg_edit *e;
    if (sg_edit_open("fuzz.yaml", text, len, &e, err, sizeof err) < 0)
        return NULL;
    bool refused = false;
    size_t i;
    json_t *doc;
    json_array_foreach(want, i, doc)
        refused |= sg_edit_set(e, numbers[i], "", doc, err, sizeof err) < 0;
    *changed = sg_edit_changed(e);
    char *out = NULL;
    if (!refused && sg_edit_text(e, &out, outlen, err, sizeof err) < 0 && !lenient) {
        fprintf(stderr, "%s\n", err);
        abort();   /* an edit that does not read back, or changes that overlap: a bug */
    }
    sg_edit_free(e);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    fz_rng r = {0x9E3779B97F4A7C15ULL ^ data[0]};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[SG_ERRMAX];
    json_t *docs;
    int *numbers;
    if (sg_yaml_load("fuzz.yaml", text, len, &docs, &numbers, NULL, err, sizeof err) < 0)
        return 0;
    json_t *want = json_deep_copy(docs);
    size_t i;
    json_t *doc;
    json_array_foreach(want, i, doc)
        for (unsigned k = 1 + fz_next(&r, 3); k; k--)
            fz_mutate(&r, doc, 0);
    size_t outlen;
    bool changed;
    bool lenient = memchr(text, '!', len) || memchr(text, '%', len) || memchr(text, '?', len) || memchr(text, '\t', len);
    lenient = lenient || fz_long_key(docs, 512);
    char *out = fz_edit(text, len, want, numbers, &outlen, &changed, lenient);
    if (out) {
        /* Idempotent: the edited text already holds the values. */
        size_t again_len;
        char *again = fz_edit(out, outlen, want, numbers, &again_len, &changed, false);
        assert(again && !changed && again_len == outlen && !memcmp(again, out, outlen));
        free(again);
    }
    free(out);
    json_decref(want);
    json_decref(docs);
    free(numbers);
    return 0;
}
