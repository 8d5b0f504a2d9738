/*
 * cmd_certs.c - `scoregate certs generate|inspect|rotate`: the webhook's TLS
 * material from the command line, through the public certs API only.
 * Exit codes: 0 fine; 1 a certificate problem (inspect: expired, expiring,
 * mismatched, unverifiable); 2 usage or input error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "scoregate/certs.h"

#define DEFAULT_OUT "./scoregate-certs"

static const char generate_usage[] =
    "usage: scoregate certs generate [--service NAME] [--namespace NS] [--dns NAME]...\n"
    "                                [--out DIR] [--ca-days N] [--days N] [--force]\n\n"
    "Create a CA and a serving certificate signed by it (ECDSA P-256) for a webhook\n"
    "Service. SANs: NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local and every\n"
    "--dns (IP addresses become IP SANs). Writes ca.crt, ca.key (0600), tls.crt,\n"
    "tls.key (0600) and ca-bundle.b64 (the webhook configuration's caBundle).\n\n"
    "  --service NAME     Service name (default " SG_CERTS_DEFAULT_SERVICE ")\n"
    "  --namespace NS     Service namespace (default " SG_CERTS_DEFAULT_NAMESPACE ")\n"
    "  --dns NAME         extra DNS name or IP address (repeatable)\n"
    "  --out DIR          output directory (default " DEFAULT_OUT ")\n"
    "  --ca-days N        CA lifetime in days (default 3650)\n"
    "  --days N           serving certificate lifetime in days (default 365)\n"
    "  --force            replace an existing set (clients must get the new CA)\n";

static const char inspect_usage[] =
    "usage: scoregate certs inspect FILE|DIR [--warn-days N] [--ca FILE] [--key FILE]\n"
    "                               [--host NAME] [-f text|json]\n\n"
    "Show subject, SANs, issuer, validity and days left of a certificate, and check\n"
    "that it verifies against the CA and matches its key. For a DIR: DIR/tls.crt,\n"
    "checked against DIR/ca.crt and DIR/tls.key when they exist.\n"
    "Exit 0 when fine; 1 when expired, expiring within --warn-days, not verifying,\n"
    "not matching the key or the host; 2 on usage or input errors.\n\n"
    "  --warn-days N      warning period in days (default 30)\n"
    "  --ca FILE          CA bundle to verify against (default DIR/ca.crt)\n"
    "  --key FILE         private key to match (default DIR/tls.key)\n"
    "  --host NAME        also check that the certificate covers NAME\n"
    "  -f, --format F     text (default) or json\n";

static const char rotate_usage[] =
    "usage: scoregate certs rotate [--out DIR] [--renew-before-days N]\n"
    "                              [--ca-renew-before-days N] [--days N] [--ca-days N] [--force]\n\n"
    "Renew the serving certificate when it expires within --renew-before-days (same\n"
    "CA). When the CA expires within --ca-renew-before-days, create a new CA: ca.crt\n"
    "and ca-bundle.b64 then hold the new and the old CA, the new serving certificate\n"
    "is signed by the new CA, and tls.crt also carries the new CA cross-signed by\n"
    "the old one, so clients that trust only the old CA keep working until it\n"
    "expires. Does nothing (exit 0) when nothing is due.\n\n"
    "  --out DIR                  certificate directory (default " DEFAULT_OUT ")\n"
    "  --renew-before-days N      default 30\n"
    "  --ca-renew-before-days N   default 365\n"
    "  --days N                   new serving certificate lifetime (default 365)\n"
    "  --ca-days N                new CA lifetime (default 3650)\n"
    "  --force                    renew the serving certificate even if not due\n";

static const char certs_usage[] =
    "usage: scoregate certs COMMAND [OPTIONS]\n\n"
    "commands:\n"
    "  generate  create a CA and a serving certificate for the webhook Service\n"
    "  inspect   show a certificate and check expiry, chain and key\n"
    "  rotate    renew the serving certificate or the CA when due\n\n"
    "Run 'scoregate certs COMMAND --help' for a command's options.\n";

/* Parse a day count in [0, SG_CERTS_MAX_DAYS]; -1 with a message otherwise. */
static int parse_days(const char *cmd, const char *opt, const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > SG_CERTS_MAX_DAYS) {
        fprintf(stderr, "scoregate certs %s: %s wants a number of days from 0 to %d, not '%s'\n",
                cmd, opt, SG_CERTS_MAX_DAYS, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Report a getopt failure ('?' or ':') the same way for every subcommand. */
static int bad_option(const char *cmd, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        fprintf(stderr, "scoregate certs %s: option '%s' needs a value\n", cmd, arg);
    else if (optopt && strncmp(arg, "--", 2))
        fprintf(stderr, "scoregate certs %s: unknown option '-%c'\n", cmd, optopt);
    else
        fprintf(stderr, "scoregate certs %s: unknown option '%s'\n", cmd, arg);
    fprintf(stderr, "Run 'scoregate certs %s --help' for its options.\n", cmd);
    return 2;
}

/* When DIR/NAME expires, as text ("?" when it cannot be read). */
static void expiry_text(const char *dir, const char *name, char *buf, size_t len)
{
    char path[4096], err[SG_ERRMAX];
    time_t t;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (sg_certs_expiry(path, &t, err, sizeof err) == 0)
        sg_certs_format_time(t, buf, len);
    else
        snprintf(buf, len, "?");
}

static int cmd_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"service", required_argument, NULL, 's'}, {"namespace", required_argument, NULL, 'n'},
        {"dns", required_argument, NULL, 'd'},     {"out", required_argument, NULL, 'o'},
        {"ca-days", required_argument, NULL, 'C'}, {"days", required_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'F'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *extra[SG_CERTS_MAX_NAMES];
    const char *out = DEFAULT_OUT;
    sg_certs_options o;
    sg_certs_options_init(&o);
    o.extra_names = extra;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o.service = optarg; break;
        case 'n': o.namespace_name = optarg; break;
        case 'o': out = optarg; break;
        case 'F': o.force = true; break;
        case 'd':
            if (o.nextra == SG_CERTS_MAX_NAMES) {
                fprintf(stderr, "scoregate certs generate: at most %d --dns names\n", SG_CERTS_MAX_NAMES);
                return 2;
            }
            extra[o.nextra++] = optarg;
            break;
        case 'C':
            if (parse_days("generate", "--ca-days", optarg, &o.ca_days))
                return 2;
            break;
        case 'D':
            if (parse_days("generate", "--days", optarg, &o.leaf_days))
                return 2;
            break;
        case 'h': fputs(generate_usage, stdout); return 0;
        default: return bad_option("generate", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "scoregate certs generate: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[SG_ERRMAX], ca_end[32], leaf_end[32];
    if (sg_certs_generate(out, &o, time(NULL), err, sizeof err)) {
        fprintf(stderr, "scoregate certs generate: %s\n", err);
        return 2;
    }
    expiry_text(out, SG_CERTS_CA_CERT, ca_end, sizeof ca_end);
    expiry_text(out, SG_CERTS_TLS_CERT, leaf_end, sizeof leaf_end);
    printf("wrote %s: ca.crt, ca.key (0600), tls.crt, tls.key (0600), ca-bundle.b64\n"
           "serving certificate for %s.%s.svc, valid until %s; CA valid until %s\n"
           "set the webhook configuration's clientConfig.caBundle to the contents of %s/%s\n",
           out, o.service, o.namespace_name, leaf_end, ca_end, out, SG_CERTS_CA_BUNDLE_B64);
    return 0;
}

/* ---- inspect output ---- */

static const char *check_text(sg_certs_check c)
{
    return c == SG_CERTS_CHECK_OK ? "ok" : c == SG_CERTS_CHECK_FAILED ? "FAILED" : "not checked";
}

static void print_cert_text(const char *indent, const sg_certs_cert *c, time_t now)
{
    char from[32], to[32];
    sg_certs_format_time(c->not_before, from, sizeof from);
    sg_certs_format_time(c->not_after, to, sizeof to);
    time_t d = c->not_after - now;
    long left = d >= 0 ? (long)(d / 86400) : -(long)((-d + 86399) / 86400);
    printf("%ssubject:     %s\n", indent, c->subject);
    printf("%sissuer:      %s\n", indent, c->issuer);
    printf("%sSANs:        ", indent);
    for (size_t i = 0; i < c->nsans; i++)
        printf("%s%s", i ? ", " : "", c->sans[i]);
    printf("%s\n", c->nsans ? "" : "(none)");
    printf("%skey:         %s\n", indent, c->key_type);
    printf("%sserial:      %s\n", indent, c->serial);
    printf("%sCA:          %s\n", indent, c->is_ca ? "yes" : "no");
    printf("%snot before:  %s\n", indent, from);
    if (d <= 0)
        printf("%snot after:   %s (expired %ld days ago)\n", indent, to, -left);
    else
        printf("%snot after:   %s (%ld days left)\n", indent, to, left);
}

static void print_text(const char *cert, const char *key, const char *ca, const sg_certs_report *r,
                       time_t now)
{
    char exp[32];
    printf("%s\n", cert);
    print_cert_text("  ", &r->leaf, now);
    for (size_t i = 0; i < r->nextra; i++) {
        printf("  intermediate %zu:\n", i + 1);
        print_cert_text("    ", &r->extra[i], now);
    }
    printf("  chain:       %s", check_text(r->chain));
    if (r->chain == SG_CERTS_CHECK_FAILED)
        printf(" (%s)", r->chain_error);
    printf("%s%s\n", ca ? " against " : " (no CA file)", ca ? ca : "");
    printf("  key match:   %s%s%s\n", check_text(r->key), key ? " with " : " (no key file)", key ? key : "");
    if (r->host != SG_CERTS_NOT_CHECKED)
        printf("  host:        %s\n", check_text(r->host));
    sg_certs_format_time(r->expires, exp, sizeof exp);
    printf("  expires:     %s (%ld days left, leaf and chain)\n", exp, r->days_left);
    for (size_t i = 0; i < r->ncas; i++) {
        printf("%s (CA %zu of %zu)\n", ca, i + 1, r->ncas);
        print_cert_text("  ", &r->cas[i], now);
    }
    printf("status: %s\n", r->summary);
}

static void emit_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void emit_member(const char *key, const char *value, int comma)
{
    printf("%s\"%s\": ", comma ? ", " : "", key);
    if (value)
        emit_string(value);
    else
        printf("null");
}

static void emit_time(const char *key, time_t t)
{
    char buf[32];
    sg_certs_format_time(t, buf, sizeof buf);
    emit_member(key, buf, 1);
}

static void print_cert_json(const sg_certs_cert *c)
{
    printf("{");
    emit_member("subject", c->subject, 0);
    emit_member("issuer", c->issuer, 1);
    emit_member("serial", c->serial, 1);
    emit_member("keyType", c->key_type, 1);
    printf(", \"sans\": [");
    for (size_t i = 0; i < c->nsans; i++) {
        printf("%s", i ? ", " : "");
        emit_string(c->sans[i]);
    }
    printf("]");
    emit_time("notBefore", c->not_before);
    emit_time("notAfter", c->not_after);
    printf(", \"isCA\": %s, \"serverAuth\": %s}", c->is_ca ? "true" : "false",
           c->server_auth ? "true" : "false");
}

static void print_certs_json(const char *key, const sg_certs_cert *c, size_t n)
{
    printf(", \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        printf("%s", i ? ", " : "");
        print_cert_json(&c[i]);
    }
    printf("]");
}

static const char *check_json(sg_certs_check c)
{
    return c == SG_CERTS_CHECK_OK ? "\"ok\"" : c == SG_CERTS_CHECK_FAILED ? "\"failed\"" : "null";
}

static void print_json(const char *cert, const char *key, const char *ca, const sg_certs_report *r)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {SG_CERTS_P_EXPIRED, "expired"}, {SG_CERTS_P_NOT_YET_VALID, "notYetValid"},
        {SG_CERTS_P_EXPIRING, "expiring"}, {SG_CERTS_P_CHAIN, "chain"},
        {SG_CERTS_P_KEY, "keyMismatch"}, {SG_CERTS_P_HOST, "host"},
    };
    printf("{");
    emit_member("file", cert, 0);
    emit_member("caFile", ca, 1);
    emit_member("keyFile", key, 1);
    printf(", \"ok\": %s, \"problems\": [", r->problems ? "false" : "true");
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (r->problems & names[i].bit) {
            printf("%s\"%s\"", first ? "" : ", ", names[i].name);
            first = 0;
        }
    }
    printf("]");
    emit_member("summary", r->summary, 1);
    emit_time("expires", r->expires);
    printf(", \"daysLeft\": %ld, \"chain\": %s", r->days_left, check_json(r->chain));
    emit_member("chainError", r->chain == SG_CERTS_CHECK_FAILED ? r->chain_error : NULL, 1);
    printf(", \"key\": %s, \"host\": %s, \"certificate\": ", check_json(r->key), check_json(r->host));
    print_cert_json(&r->leaf);
    print_certs_json("intermediates", r->extra, r->nextra);
    print_certs_json("cas", r->cas, r->ncas);
    printf("}\n");
}

/* DIR/name when it exists, else NULL; buf holds the path. */
static const char *existing(char *buf, size_t len, const char *dir, const char *name)
{
    struct stat st;
    snprintf(buf, len, "%s/%s", dir, name);
    return stat(buf, &st) == 0 ? buf : NULL;
}

static int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"warn-days", required_argument, NULL, 'w'}, {"ca", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},       {"host", required_argument, NULL, 'H'},
        {"format", required_argument, NULL, 'f'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int warn_days = SG_CERTS_DEFAULT_WARN_DAYS, json = 0, c;
    const char *ca = NULL, *key = NULL, *host = NULL;
    while ((c = getopt_long(argc, argv, ":hf:", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (parse_days("inspect", "--warn-days", optarg, &warn_days))
                return 2;
            break;
        case 'c': ca = optarg; break;
        case 'k': key = optarg; break;
        case 'H': host = optarg; break;
        case 'f':
            if (!strcmp(optarg, "json")) {
                json = 1;
            } else if (strcmp(optarg, "text")) {
                fprintf(stderr, "scoregate certs inspect: unknown format '%s' (text or json)\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(inspect_usage, stdout); return 0;
        default: return bad_option("inspect", c, argv);
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "scoregate certs inspect: %s\n%s",
                optind == argc ? "which certificate? give a FILE or DIR" : "give one FILE or DIR",
                inspect_usage);
        return 2;
    }
    const char *target = argv[optind];
    char cert_buf[4096], key_buf[4096], ca_buf[4096], err[SG_ERRMAX];
    const char *cert = target;
    struct stat st;
    if (stat(target, &st) != 0) {
        fprintf(stderr, "scoregate certs inspect: %s: %s\n", target, strerror(errno));
        return 2;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(cert_buf, sizeof cert_buf, "%s/%s", target, SG_CERTS_TLS_CERT);
        cert = cert_buf;
        if (!key)
            key = existing(key_buf, sizeof key_buf, target, SG_CERTS_TLS_KEY);
        if (!ca)
            ca = existing(ca_buf, sizeof ca_buf, target, SG_CERTS_CA_CERT);
    }
    sg_certs_report r;
    time_t now = time(NULL);
    if (sg_certs_inspect(cert, key, ca, host, warn_days, now, &r, err, sizeof err)) {
        fprintf(stderr, "scoregate certs inspect: %s\n", err);
        return 2;
    }
    if (json)
        print_json(cert, key, ca, &r);
    else
        print_text(cert, key, ca, &r, now);
    int status = r.problems ? 1 : 0;
    sg_certs_report_free(&r);
    return status;
}

/* The directory `rotate` works on must exist: it makes no new set. */
static int check_rotate_dir(const char *out)
{
    struct stat st;
    if (stat(out, &st) != 0) {
        fprintf(stderr, "scoregate certs rotate: %s: %s (create a set with 'scoregate certs "
                        "generate --out DIR')\n", out, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "scoregate certs rotate: %s: not a directory\n", out);
        return -1;
    }
    return 0;
}

/* What a rotation did, and what the operator must do about it. */
static void print_rotated(const char *out, sg_certs_action done)
{
    char leaf_end[32];
    expiry_text(out, SG_CERTS_TLS_CERT, leaf_end, sizeof leaf_end);
    switch (done) {
    case SG_CERTS_UNCHANGED:
        printf("%s: nothing to do; serving certificate valid until %s, not due for renewal\n",
               out, leaf_end);
        break;
    case SG_CERTS_CA_ROTATED:
        printf("%s: CA rotated; new serving certificate valid until %s\n"
               "ca.crt and %s now hold the new and the old CA: update the webhook "
               "configuration's caBundle\n", out, leaf_end, SG_CERTS_CA_BUNDLE_B64);
        break;
    default:
        printf("%s: %s; serving certificate valid until %s\n", out, sg_certs_action_name(done), leaf_end);
        break;
    }
}

static int cmd_rotate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"renew-before-days", required_argument, NULL, 'r'},
        {"ca-renew-before-days", required_argument, NULL, 'R'},
        {"days", required_argument, NULL, 'D'},
        {"ca-days", required_argument, NULL, 'C'},
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = DEFAULT_OUT;
    sg_certs_options o;
    sg_certs_options_init(&o);
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'F': o.force = true; break;
        case 'r':
            if (parse_days("rotate", "--renew-before-days", optarg, &o.renew_before_days))
                return 2;
            break;
        case 'R':
            if (parse_days("rotate", "--ca-renew-before-days", optarg, &o.ca_renew_before_days))
                return 2;
            break;
        case 'D':
            if (parse_days("rotate", "--days", optarg, &o.leaf_days))
                return 2;
            break;
        case 'C':
            if (parse_days("rotate", "--ca-days", optarg, &o.ca_days))
                return 2;
            break;
        case 'h': fputs(rotate_usage, stdout); return 0;
        default: return bad_option("rotate", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "scoregate certs rotate: unexpected argument '%s' (the directory goes "
                        "after --out)\n", argv[optind]);
        return 2;
    }
    if (check_rotate_dir(out))
        return 2;
    char err[SG_ERRMAX];
    sg_certs_action done;
    if (sg_certs_rotate(out, &o, time(NULL), &done, err, sizeof err)) {
        fprintf(stderr, "scoregate certs rotate: %s\n", err);
        return 2;
    }
    print_rotated(out, done);
    return 0;
}

int sg_cmd_certs(int argc, char **argv)
{
    if (argc < 2) {
        fputs(certs_usage, stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(certs_usage, stdout);
        return 0;
    }
    optind = 1;
    opterr = 0;
    if (!strcmp(sub, "generate"))
        return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(sub, "inspect"))
        return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(sub, "rotate"))
        return cmd_rotate(argc - 1, argv + 1);
    fprintf(stderr, "scoregate certs: unknown command '%s'\n\n%s", sub, certs_usage);
    return 2;
}
