/*
 * cmd_serve.c - `scoregate serve`: run the admission webhook.
 *
 * With no arguments it starts on :8443 with the built-in recommendations at
 * their defaults and a self-signed certificate in ./scoregate-state, so a
 * newcomer can curl it at once, and the read-only dashboard on
 * http://127.0.0.1:8080/. The settings file (-c) gives everything else;
 * --address, --state-dir and --dashboard-address override its server section.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/doc.h>
#include <scoregate/webhook.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scoregate serve [OPTIONS]\n\n"
            "Run the Kubernetes admission webhook over TLS: POST /validate and /mutate\n"
            "(AdmissionReview admission.k8s.io/v1), GET /healthz, /readyz and /metrics.\n"
            "Without a settings file: built-in recommendations, :8443, and a self-signed\n"
            "certificate generated in ./scoregate-state (clients trust its ca.crt).\n\n"
            "options:\n"
            "  -c, --config FILE          settings file (server.tls for your own certificate)\n"
            "      --address ADDR         listen address, e.g. :8443 or 127.0.0.1:9443 (overrides server.address)\n"
            "      --state-dir DIR        inventory and self-signed certificates (overrides server.stateDir)\n"
            "      --dashboard-address ADDR  the read-only dashboard (default 127.0.0.1:8080; \"\" turns it off;\n"
            "                             plain HTTP on loopback only, elsewhere server.dashboard.tls)\n"
            "      --max-body BYTES       largest request body (default %u); larger ones get 413\n"
            "      --max-connections N    concurrent connections (default %u); more are closed at once\n"
            "      --timeout SECONDS      close a connection idle or slow this long (default %u)\n"
            "      --threads N            worker threads (default: one per core)\n"
            "      --save-interval N      seconds between saves of a changed inventory (default %u)\n"
            "  -h, --help                 show this help\n\n"
            "Every option is checked before anything is written; a mistake exits 2.\n"
            "signals: SIGHUP reloads the settings file (a broken one is logged, the old kept,\n"
            "and /readyz says so); SIGTERM finishes the requests in flight, saves the inventory\n"
            "and exits 0.\n",
            SG_WEBHOOK_DEFAULT_MAX_BODY, SG_WEBHOOK_DEFAULT_MAX_CONNECTIONS, SG_WEBHOOK_DEFAULT_TIMEOUT,
            SG_WEBHOOK_DEFAULT_SAVE_INTERVAL);
}

/* A positive whole number option, at most `max`. */
static int number(const char *opt, const char *arg, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (!*arg || *end || arg[0] == '-' || v == 0 || v > max) {
        fprintf(stderr, "scoregate serve: %s takes a whole number from 1 to %lu, not '%s'\n", opt, max, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int sg_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},       {"address", required_argument, NULL, 'a'},
        {"state-dir", required_argument, NULL, 's'},    {"max-body", required_argument, NULL, 'b'},
        {"max-connections", required_argument, NULL, 'n'}, {"timeout", required_argument, NULL, 't'},
        {"threads", required_argument, NULL, 'T'},      {"save-interval", required_argument, NULL, 'S'},
        {"dashboard-address", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sg_webhook_options o;
    sg_webhook_options_init(&o);
    optind = 1;
    int c;
    unsigned long v;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config_path = optarg; break;
        case 'a': o.address = optarg; break;
        case 's': o.state_dir = optarg; break;
        case 'D': o.dashboard_address = optarg; break;
        case 'b':
            if (number("--max-body", optarg, SG_MAX_INPUT, &v) < 0)
                return 2;
            o.max_body = v;
            break;
        case 'n':
            if (number("--max-connections", optarg, 100000, &v) < 0)
                return 2;
            o.max_connections = (unsigned)v;
            break;
        case 't':
            if (number("--timeout", optarg, 3600, &v) < 0)
                return 2;
            o.timeout = (unsigned)v;
            break;
        case 'T':
            if (number("--threads", optarg, 256, &v) < 0)
                return 2;
            o.threads = (unsigned)v;
            break;
        case 'S':
            if (number("--save-interval", optarg, 86400, &v) < 0)
                return 2;
            o.save_interval = (unsigned)v;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "Run 'scoregate serve --help' for usage.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "scoregate serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    /* Every option is checked before anything is written: a mistake is a usage error (exit 2). */
    o.serving = true;
    char err[SG_ERRMAX];
    sg_webhook *w;
    if (sg_webhook_new(&o, &w, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate serve: %s\n", err);
        return 2;
    }
    /* From here on the server logs JSON lines, its start-up failures included. */
    int rc = sg_webhook_serve(w, err, sizeof err);
    sg_webhook_free(w);
    return rc < 0 ? 1 : 0;
}
