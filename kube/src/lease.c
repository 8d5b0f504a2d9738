/*
 * lease.c - leader election on a coordination.k8s.io/v1 Lease, round by
 * round as client-go's tools/leaderelection does it (tryAcquireOrRenew):
 *
 *  1. A leader whose last observation is still valid renews optimistically:
 *     a PUT of the lease it last read or wrote, with that resourceVersion.
 *  2. Otherwise GET the lease; create it (holding it) when there is none.
 *  3. When the spec differs from the one observed last, remember it and the
 *     local time of observing it. A lease held by another whose observation
 *     is younger than its leaseDurationSeconds is left alone: expiry is
 *     judged by our clock from when we saw it change, never by comparing
 *     renewTime with our clock, so skewed node clocks do not matter.
 *  4. Take it over (or renew it): holderIdentity us, renewTime now,
 *     acquireTime now unless we already held it, leaseTransitions + 1 when
 *     the holder changes; a PUT with the resourceVersion read, so of two
 *     candidates only one wins.
 *
 * Times in the spec are MicroTime (RFC 3339 with microseconds, UTC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"

static const sg_kube_resource lease_resource = {"coordination.k8s.io", "v1", "leases", "Lease", false, false};

struct sg_kube_elector {
    sg_kube_config *config;
    char *namespace_, *name, *identity;
    unsigned duration, renew_deadline, retry_period;
    json_t *lease;               /* as last read or written (for the resourceVersion), or NULL */
    char *observed_spec;         /* the spec observed last, as compact JSON with sorted keys */
    char holder[256];            /* its holderIdentity */
    long observed_duration;      /* its leaseDurationSeconds */
    long observed_transitions;
    char observed_acquire[40];
    double observed_at;          /* monotonic time the observation changed */
    double renewed_at;           /* monotonic time of our last successful write while holding it; 0: never */
};

int sg_kube_elector_new(sg_kube_config *c, const sg_kube_lease_options *o, sg_kube_elector **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (!o->namespace_ || !*o->namespace_ || !o->name || !*o->name || !o->identity || !*o->identity ||
        strlen(o->identity) >= 256) {
        snprintf(err, errlen, "leader election: a namespace, a lease name and an identity (under 256 bytes) are needed");
        return -1;
    }
    sg_kube_elector *e = sg_calloc(1, sizeof *e);
    e->config = c;
    e->namespace_ = sg_strdup(o->namespace_);
    e->name = sg_strdup(o->name);
    e->identity = sg_strdup(o->identity);
    e->duration = o->duration ? o->duration : 15;
    e->renew_deadline = o->renew_deadline ? o->renew_deadline : 10;
    e->retry_period = o->retry_period ? o->retry_period : 2;
    if (e->renew_deadline >= e->duration || e->retry_period >= e->renew_deadline) {
        snprintf(err, errlen, "leader election: need retry period < renew deadline < lease duration (%u, %u, %u)",
                 e->retry_period, e->renew_deadline, e->duration);
        sg_kube_elector_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void sg_kube_elector_free(sg_kube_elector *e)
{
    if (!e)
        return;
    json_decref(e->lease);
    free(e->observed_spec);
    free(e->namespace_);
    free(e->name);
    free(e->identity);
    free(e);
}

unsigned sg_kube_elector_retry_period(const sg_kube_elector *e) { return e->retry_period; }

const char *sg_kube_elector_holder(const sg_kube_elector *e) { return e->holder; }

static bool holding(const sg_kube_elector *e) { return !strcmp(e->holder, e->identity); }

bool sg_kube_elector_leading(const sg_kube_elector *e, double now)
{
    return holding(e) && e->renewed_at > 0 && now - e->renewed_at < e->renew_deadline;
}

static void micro_time(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ldZ", day, (long)tv.tv_usec);
}

/* Remember `spec` as observed at `now` when it differs from the last observation. */
static void observe(sg_kube_elector *e, const json_t *spec, double now)
{
    char *text = sg_check_alloc(sg_json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS, NULL));
    if (e->observed_spec && !strcmp(text, e->observed_spec)) {
        free(text);
        return;
    }
    free(e->observed_spec);
    e->observed_spec = text;
    e->observed_at = now;
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    snprintf(e->holder, sizeof e->holder, "%s", holder ? holder : "");
    e->observed_duration = (long)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
    e->observed_transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
    const char *acquired = json_string_value(json_object_get(spec, "acquireTime"));
    snprintf(e->observed_acquire, sizeof e->observed_acquire, "%s", acquired ? acquired : "");
}

static bool observation_valid(const sg_kube_elector *e, double now)
{
    return e->observed_spec && now < e->observed_at + (double)e->observed_duration;
}

/* The spec this replica writes: holding it from now (or still, keeping acquireTime). */
static json_t *our_spec(const sg_kube_elector *e, bool renewing)
{
    char now[40];
    micro_time(now, sizeof now);
    long transitions = e->observed_spec ? e->observed_transitions + (renewing ? 0 : 1) : 0;
    return json_pack("{s:s,s:i,s:s,s:s,s:i}", "holderIdentity", e->identity, "leaseDurationSeconds",
                     (int)e->duration, "acquireTime", renewing && *e->observed_acquire ? e->observed_acquire : now,
                     "renewTime", now, "leaseTransitions", (int)transitions);
}

/* Write `spec` into the lease held in e->lease (PUT with its resourceVersion): 0, SG_KUBE_CONFLICT/NOT_FOUND, -1. */
static int put_spec(sg_kube_elector *e, json_t *spec, double now, char *err, size_t errlen)
{
    json_t *object = sg_check_alloc(json_deep_copy(e->lease)), *out = NULL;
    sg_check_alloc(spec);
    json_object_set_new(object, "spec", spec);
    int rc = sg_kube_update(e->config, &lease_resource, e->namespace_, object, &out, err, errlen);
    json_decref(object);
    if (rc == 0) {
        json_decref(e->lease);
        e->lease = out;
        observe(e, json_object_get(out, "spec"), now);
    }
    return rc;
}

static int create_lease(sg_kube_elector *e, double now, char *err, size_t errlen)
{
    json_t *object = sg_check_alloc(json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion", "coordination.k8s.io/v1",
                                              "kind", "Lease", "metadata", "name", e->name, "namespace", e->namespace_,
                                              "spec", our_spec(e, false)));
    json_t *out = NULL;
    int rc = sg_kube_create(e->config, &lease_resource, e->namespace_, object, &out, err, errlen);
    json_decref(object);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_decref(e->lease);
    e->lease = out;
    observe(e, json_object_get(out, "spec"), now);
    e->renewed_at = now;
    return 1;
}

int sg_kube_elector_try(sg_kube_elector *e, double now, char *err, size_t errlen)
{
    /* 1. The fast path: renew what we wrote last. */
    if (holding(e) && observation_valid(e, now) && e->lease && put_spec(e, our_spec(e, true), now, err, errlen) == 0) {
        e->renewed_at = now;
        return 1;
    }
    /* 2. Read it, or create it. */
    json_t *lease = NULL;
    int rc = sg_kube_get(e->config, &lease_resource, e->namespace_, e->name, &lease, err, errlen);
    if (rc == SG_KUBE_NOT_FOUND)
        return create_lease(e, now, err, errlen);
    if (rc < 0)
        return -1;
    json_decref(e->lease);
    e->lease = lease;
    const json_t *spec = json_object_get(lease, "spec");
    json_t *empty = json_object();
    observe(e, json_is_object(spec) ? spec : empty, now);
    json_decref(empty);
    /* 3. Held by another and not yet expired by our clock. */
    if (*e->holder && !holding(e) && observation_valid(e, now))
        return 0;
    /* 4. Take it over, or renew it. */
    rc = put_spec(e, our_spec(e, holding(e)), now, err, errlen);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return 0;   /* another candidate wrote first */
    e->renewed_at = now;
    return 1;
}

int sg_kube_elector_release(sg_kube_elector *e, char *err, size_t errlen)
{
    if (!holding(e) || !e->lease)
        return 0;
    char now[40];
    micro_time(now, sizeof now);
    json_t *spec = json_pack("{s:s,s:i,s:s,s:s,s:i}", "holderIdentity", "", "leaseDurationSeconds", 1, "acquireTime",
                             now, "renewTime", now, "leaseTransitions", (int)e->observed_transitions);
    int rc = put_spec(e, spec, kb_now(), err, errlen);
    e->renewed_at = 0;
    return rc == 0 ? 0 : -1;
}
