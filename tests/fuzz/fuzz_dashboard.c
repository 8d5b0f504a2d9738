/*
 * fuzz_dashboard.c - libFuzzer target for the dashboard's request handling
 * (routes, query parsing and decoding, parameters, RFC 3339 times, continue
 * tokens) through sg_webhook_dashboard_get(), what its listener answers,
 * against a webhook whose inventory a few admissions filled. Each input is a
 * request target ("/api/v1/...?..."). Every answer must have a known status
 * and content type; JSON answers must parse; HTML answers must be one
 * document.
 * Seeds: tests/fuzz/corpus/dashboard/ (one target per file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <scoregate/webhook.h>

static const char *const objects[] = {
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"shop\"},"
    "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\",\"securityContext\":{\"privileged\":true}}]}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"team\"},"
    "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}]}}}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},"
    "\"data\":{\"k\":\"dmFsdWU=\"}}",
};

static sg_webhook *webhook(void)
{
    static sg_webhook *w;
    if (w)
        return w;
    sg_webhook_options o;
    sg_webhook_options_init(&o);
    o.persist = false;
    char err[SG_ERRMAX];
    if (sg_webhook_new(&o, &w, err, sizeof err))
        abort();
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u%zu\","
                 "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":\"CREATE\","
                 "\"namespace\":\"shop\",\"object\":%s}}",
                 i, objects[i]);
        unsigned status;
        char *out;
        size_t len;
        if (sg_webhook_review(w, SG_WEBHOOK_VALIDATE, body, strlen(body), &status, &out, &len) < 0)
            abort();
        free(out);
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *target = malloc(size + 2);
    if (!target)
        return 0;
    target[0] = '/';
    memcpy(target + 1, data, size);
    target[size + 1] = '\0';
    if (strlen(target) != size + 1) {   /* a NUL cannot come through a request line */
        free(target);
        return 0;
    }
    unsigned status = 0;
    const char *type = NULL;
    char *body = NULL;
    size_t len = 0;
    if (sg_webhook_dashboard_get(webhook(), target, &status, &type, &body, &len) < 0)
        abort();
    if ((status != 200 && status != 400 && status != 404) || !type || !body || strlen(body) != len)
        abort();
    if (!strncmp(type, "application/json", 16)) {
        json_t *doc = json_loadb(body, len, 0, NULL);
        if (!doc)
            abort();
        json_decref(doc);
    } else if (strncmp(body, "<!DOCTYPE html>", 15) || !strstr(body, "</html>\n")) {
        abort();
    }
    free(body);
    free(target);
    return 0;
}
