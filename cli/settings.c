/*
 * settings.c - the settings file as every command loads it: policy's part
 * (sg_policy_load) and the webhook's `server` section
 * (sg_webhook_settings_check), so that `scan`, `fix`, `score` and `catalog`
 * reject a broken file wherever the fault is, as `serve` does.
 */
#include <scoregate/webhook.h>

#include "cli.h"

int cli_policy_load(const sg_policy_options *opts, sg_policy **out, char *err, size_t errlen)
{
    if (sg_policy_load(opts, out, err, errlen) < 0)
        return -1;
    if (sg_webhook_settings_check(*out, err, errlen) < 0) {
        sg_policy_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
