/*
 * fuzz_rule.c - libFuzzer target for the rule language: the input becomes the
 * `unhealthy` expression (and the message template) of a custom
 * recommendation, which is compiled and, when it compiles, evaluated and
 * fixed against a sample workload. Uses only the public API.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/policy.h>

static const char sample[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"n\","
    "\"labels\":{\"a\":\"b\"}},\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"x/y\":\"z\"}},"
    "\"spec\":{\"hostPID\":true,\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/var/log\"}}],"
    "\"securityContext\":{\"runAsUser\":0},\"containers\":[{\"name\":\"c\",\"image\":\"r/i:1\","
    "\"ports\":[{\"containerPort\":80,\"hostPort\":8080}],\"resources\":{\"limits\":{\"cpu\":\"500m\"}},"
    "\"securityContext\":{\"capabilities\":{\"add\":[\"NET_ADMIN\"],\"drop\":[\"ALL\"]}}}]}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096 || memchr(data, '\0', size))
        return 0;
    json_t *expr = json_stringn((const char *)data, size);
    if (!expr)
        return 0;
    json_t *settings = json_pack(
        "{s:{s:{s:s}}, s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:{s:{s:s,s:[s]}},s:[{s:s,s:O}]}]}",
        "recommendations", "fuzz-rule", "action", "enforce", "custom", "id", "fuzz-rule", "title", "t",
        "severity", "low", "control", "access", "scope", "container", "remediation", "r", "message", "m ${1}",
        "unhealthy", expr, "parameters", "list", "type", "array", "default", "a", "fix", "set",
        "container.securityContext.x", "value", expr);
    json_decref(expr);
    char *text = json_dumps(settings, JSON_COMPACT);
    json_decref(settings);
    char err[SG_ERRMAX];
    sg_policy *p = NULL;
    if (sg_policy_load_buffer("fuzz.json", text, strlen(text), NULL, &p, err, sizeof err) == 0) {
        json_t *object = json_loads(sample, 0, NULL);
        sg_eval ev;
        if (sg_policy_evaluate(p, object, NULL, 0, &ev, err, sizeof err) == 0) {
            sg_enforcement en;
            sg_policy_enforce(p, object, &ev, NULL, 0, &en);
            sg_enforcement_free(&en);
            sg_eval_free(&ev);
        }
        json_decref(object);
        sg_policy_free(p);
    }
    free(text);
    return 0;
}
