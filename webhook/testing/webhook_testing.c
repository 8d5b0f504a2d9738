/*
 * webhook_testing.c - the webhook's internals a test may look at
 * (scoregate/webhook_testing.h); never linked into the scoregate binary.
 */
#include <scoregate/webhook_testing.h>

#include "internal.h"

sg_inventory *wh_testing_inventory(sg_webhook *w)
{
    return w->inv;
}
