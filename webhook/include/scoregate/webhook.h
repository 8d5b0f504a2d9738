/*
 * scoregate/webhook.h - the webhook module: the TLS admission server
 * (libmicrohttpd with GnuTLS) behind `scoregate serve`.
 *
 * An sg_webhook holds everything a request needs: the loaded policy and its
 * score model (a reference-counted snapshot, swapped atomically on reload),
 * the score inventory (loaded from and saved to the state directory), and the
 * metrics. sg_webhook_review() answers one AdmissionReview body in memory,
 * without sockets (what the fuzz target and benchmarks call);
 * sg_webhook_serve() runs the HTTPS server until SIGTERM.
 *
 * Conventions (errors, memory, ownership) are those of scoregate/base.h.
 */
#ifndef SCOREGATE_WEBHOOK_H
#define SCOREGATE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <scoregate/base.h>

/* Defaults of the limits (sg_webhook_options_init). */
/* bytes: larger bodies get 413. An UPDATE review carries the object twice
 * (object and oldObject), each up to etcd's 1.5 MiB and more as JSON (base64
 * data), so the API server's own 3 MiB request limit is too small here. */
#define SG_WEBHOOK_DEFAULT_MAX_BODY (8u << 20)
#define SG_WEBHOOK_DEFAULT_MAX_CONNECTIONS 1000
#define SG_WEBHOOK_DEFAULT_TIMEOUT 10                 /* seconds a connection may stay idle or slow */
#define SG_WEBHOOK_DEFAULT_SAVE_INTERVAL 10           /* seconds between inventory saves when changed */
#define SG_WEBHOOK_DEFAULT_CERT_CHECK_INTERVAL 5      /* seconds between looks at the certificate files */

typedef struct sg_webhook_options {
    const char *config_path;     /* settings file; NULL: built-in recommendations at their defaults */
    const char *address;         /* overrides server.address when non-NULL */
    const char *state_dir;       /* overrides server.stateDir when non-NULL */
    const char *dashboard_address;   /* overrides server.dashboard.address when non-NULL ("": off) */
    bool persist;                /* load and save the inventory in the state directory */
    bool serving;                /* for sg_webhook_serve: check its options first (sg_webhook_new) */
    size_t max_body;             /* bytes */
    unsigned max_connections;
    unsigned timeout;            /* seconds per connection (idle or slow) */
    unsigned threads;            /* 0: one per online core */
    unsigned save_interval;      /* seconds */
    unsigned cert_check_interval;/* seconds */
} sg_webhook_options;

/* Fill `o` with the defaults above (no config, persistence on). */
void sg_webhook_options_init(sg_webhook_options *o);

typedef struct sg_webhook sg_webhook;

/*
 * Load the settings and compile the policy, build its score model and an
 * inventory, and, when o->persist, load the inventory saved in the state
 * directory (a missing file starts empty; a corrupt one is set aside as
 * inventory.bin.corrupt, logged, and the inventory starts empty). With
 * o->serving, every option sg_webhook_serve() needs is checked first, before
 * anything is read from or written to the state directory: the listen
 * address, that the state directory is or can be made a writable directory,
 * server.tls's certificate pair and client CA, and the inventory sync's
 * connection (kubeconfig or service account). Nothing here creates the state
 * directory.
 */
int sg_webhook_new(const sg_webhook_options *o, sg_webhook **out, char *err, size_t errlen);

/* Save the inventory (when persisting) and release everything. NULL is ignored. */
void sg_webhook_free(sg_webhook *w);

/* Which admission endpoint a body was posted to. */
typedef enum sg_webhook_endpoint { SG_WEBHOOK_VALIDATE, SG_WEBHOOK_MUTATE } sg_webhook_endpoint;

/*
 * Answer one AdmissionReview body exactly as POST /validate or /mutate does,
 * in memory: decode (once), decide, update the inventory (allowed, not dry-run
 * /validate requests), count metrics, log one line, encode (once). *status
 * receives the HTTP status (200, or 400 for a malformed review) and *body a
 * malloc'd NUL-terminated JSON body (an AdmissionReview, or a Status-shaped
 * error) of *len bytes, which the caller frees. Returns -1 only when out of
 * memory.
 */
int sg_webhook_review(sg_webhook *w, sg_webhook_endpoint ep, const char *body, size_t len,
                      unsigned *status, char **out, size_t *outlen);

/*
 * Replace the policy with a fresh load of the settings file (what SIGHUP
 * does): on error the old policy stays and the message says why. Requests
 * already running finish with the policy they started with; the inventory is
 * re-scored for the new one.
 */
int sg_webhook_reload(sg_webhook *w, char *err, size_t errlen);

/* Save the inventory now when it changed since the last save (a no-op without persistence). */
int sg_webhook_save(sg_webhook *w, char *err, size_t errlen);

/*
 * Serve HTTPS until SIGTERM or SIGINT: bind the listen address (first, so
 * that "cannot listen on ADDRESS: address in use" leaves nothing written),
 * create the state directory, make sure the serving certificate exists
 * (server.tls certFile/keyFile, or a self-signed set generated in the state
 * directory), and handle SIGHUP (reload the settings), periodic inventory
 * saves and certificate file changes. Connections beyond max_connections are
 * closed as soon as they are accepted. On SIGTERM, stop accepting, let the
 * requests in flight finish, close idle connections, save, and return 0.
 * Returns -1 when the server cannot start; the reason is in `err` and already
 * logged (as a JSON line, like every other line of the log).
 */
int sg_webhook_serve(sg_webhook *w, char *err, size_t errlen);

/*
 * Check the `server` section of the settings `p` was loaded from (address,
 * stateDir, tls, inventorySync, dashboard, history): the webhook reads it,
 * not policy. 0, or -1 with "FILE: line L: ..." as for the rest of the
 * settings. sg_webhook_new() and reloads check it too; every command that
 * loads settings calls this, so that a broken section is an error wherever
 * the file is used.
 */
struct sg_policy;
int sg_webhook_settings_check(const struct sg_policy *p, char *err, size_t errlen);

/*
 * The dashboard's overview page (the score gauge and totals, every control
 * with its potential increase, the score over time from `h`, which may be
 * NULL) of inventory `inv` under policy `p`, as one self-contained HTML file
 * without links to the other pages: what `scoregate score -f html` writes.
 */
struct sg_inventory;
struct sg_history;
int sg_webhook_overview_html(FILE *out, const struct sg_policy *p, struct sg_inventory *inv, struct sg_history *h,
                             char *err, size_t errlen);

/*
 * Answer one GET of the dashboard in memory, exactly as its listener does
 * (what the fuzz target and the benchmarks call): `target` is the path and
 * an optional query, e.g. "/api/v1/recommendations?namespace=shop". *status
 * receives the HTTP status, *type the content type (static), *body a
 * malloc'd body of *len bytes. -1 only when out of memory.
 */
int sg_webhook_dashboard_get(sg_webhook *w, const char *target, unsigned *status, const char **type, char **body,
                             size_t *len);

/* ------------------------------------------------------------------ */
/* HTML (html.c): the look of `scan -f html`, `score -f html` and the    */
/* dashboard, from one source. Every function writes to `out`.          */
/* ------------------------------------------------------------------ */

/*
 * Write `s` escaped for HTML and XML text and attribute values: & < > " '
 * become entities, tab, newline and carriage return character references,
 * and what XML 1.0 cannot carry (other control characters, malformed UTF-8,
 * U+FFFE, U+FFFF) U+FFFD, so the output is always well-formed. NULL writes
 * nothing.
 */
void sg_html_escape(FILE *out, const char *s);
/* The document up to the opening of <main>: doctype, `title` and the one embedded stylesheet. */
void sg_html_begin(FILE *out, const char *title);
/* The footer line (`footer`, escaped) and the end of the document. */
void sg_html_end(FILE *out, const char *footer);
/* The colour of a percent: green from 80, amber from 50, red below. */
const char *sg_html_tone(double percent);
/* A half-circle gauge filled to `percent` (0..100) with `value` and `label` in it. */
void sg_html_gauge(FILE *out, double percent, const char *value, const char *label);
/* A figure with its label ("12 / unhealthy"); `cls` colours it: bad, warn, good, info or "". */
void sg_html_stat(FILE *out, const char *cls, size_t n, const char *label);
/* A bar filled to value/max; `cls` "" (green), "mid", "low" or "before". */
void sg_html_bar(FILE *out, double value, double max, const char *cls);
/* A control as its row shows it (the strings borrowed). */
typedef struct sg_html_control_row {
    const char *id, *name;
    double current, max;         /* points; max 0: the control does not count */
    size_t healthy, unhealthy, not_applicable;
} sg_html_control_row;
/* One control: name, id and counts, its points as a bar and "current / max
 * pts"; `gain_html` (HTML, or NULL) in a fourth column. */
void sg_html_control(FILE *out, const sg_html_control_row *c, const char *gain_html);

#endif
