/*
 * scan_record.c - what a scan keeps of each decided object: a compact record
 * of exactly what the reports print (its place, identity, findings, denials,
 * the gate's verdict, the predicted score change and the patch as text), not
 * its jansson tree. A Deployment's tree and decision take tens of kilobytes;
 * its record a few hundred bytes, so a scan of 100 000 objects fits in tens
 * of megabytes and the trees of only the files in flight are ever held.
 *
 * Records are packed byte strings (strings inline and NUL-terminated, numbers
 * copied unaligned), appended to an unlinked temporary file (in $TMPDIR, else
 * /tmp), so that memory holds 8 bytes per object, not the records: a scan's
 * memory is then the inventory plus the files in flight. When no temporary
 * file can be made they stay in memory, in 1 MiB chunks. scan_item_get()
 * reads one record back and unpacks it into a reusable view for the writers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

#define CHUNK (1u << 20)

enum { /* record flags */
    R_EXCLUDED = 1, R_ALLOWED = 2, R_GATE = 4, R_GATE_MAX_DROP = 8, R_BEFORE = 16, R_AFTER = 32, R_DELTA = 64,
    R_PATCH = 128
};
enum { /* string presence, in this order: api_version, kind, namespace, name */
    S_API = 1, S_KIND = 2, S_NS = 4, S_NAME = 8
};
enum { /* finding flags */
    F_EXPIRED = 1, F_CONTAINER = 2, F_CTYPE = 4, F_MESSAGE = 8, F_EXEMPTION = 16, F_EXPIRED_NAME = 32,
    F_EXPIRES = 64
};

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    unsigned char data[];
} chunk;

struct scan_records {
    FILE *spill;                   /* the temporary file, or NULL: the records are in chunks */
    size_t nspilled;               /* records 0 .. nspilled-1 are in it */
    bool full, flushed;            /* full: a write failed, the later records are in chunks */
    uint64_t size;                 /* bytes written to it */
    chunk *chunks;                 /* the newest first */
    uint64_t *recs;                /* where record i starts: an offset in the file, or its address */
    size_t count, cap;
    unsigned char *rbuf;           /* the record read back */
    size_t rbufcap;
    unsigned char *buf;            /* the record being packed */
    size_t len, bufcap;
    /* the view */
    scan_item item;
    scan_finding *findings;
    sg_denial *denials;
    scan_change *changes;
    size_t findcap, changecap;
};

/* An unlinked temporary file, or NULL. */
static FILE *spill_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/scoregate-scan-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

scan_records *scan_records_new(void)
{
    scan_records *s = sg_calloc(1, sizeof(scan_records));
    s->spill = spill_file();
    return s;
}

void scan_records_free(scan_records *s)
{
    if (!s)
        return;
    for (chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    if (s->spill)
        fclose(s->spill);
    free(s->recs);
    free(s->rbuf);
    free(s->buf);
    free(s->findings);
    free(s->denials);
    free(s->changes);
    free(s);
}

/* ---- packing ---- */

static void put(scan_records *s, const void *p, size_t n)
{
    if (s->len + n > s->bufcap) {
        while (s->len + n > s->bufcap)
            s->bufcap = s->bufcap ? 2 * s->bufcap : 4096;
        s->buf = sg_realloc(s->buf, s->bufcap);
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put_u8(scan_records *s, unsigned v)
{
    unsigned char b = (unsigned char)v;
    put(s, &b, 1);
}

#define PUT(s, v) put((s), &(v), sizeof(v))

static void put_str(scan_records *s, const char *v)
{
    if (v)
        put(s, v, strlen(v) + 1);
}

/* Keep the packed record; where it is. */
static uint64_t store(scan_records *s)
{
    if (s->spill && !s->full && fwrite(s->buf, 1, s->len, s->spill) == s->len) {
        uint64_t at = s->size;
        s->size += s->len;
        s->nspilled++;
        s->flushed = false;
        return at;
    }
    if (s->spill && !s->full) {   /* the disk is full: the records written so far stay there, the rest here */
        fprintf(stderr, "scoregate scan: cannot write the scan's records to a temporary file; keeping them in "
                "memory\n");
        s->full = true;
    }
    chunk *c = s->chunks;
    if (!c || c->size - c->used < s->len) {
        size_t size = s->len > CHUNK ? s->len : CHUNK;
        c = sg_malloc(sizeof *c + size);
        *c = (chunk){.next = s->chunks, .size = size};
        s->chunks = c;
    }
    unsigned char *at = c->data + c->used;
    memcpy(at, s->buf, s->len);
    c->used += s->len;
    return (uint64_t)(uintptr_t)at;
}

static void put_finding(scan_records *s, const sg_finding *f, sg_denial d)
{
    uint16_t rec = (uint16_t)f->rec;
    PUT(s, rec);
    put_u8(s, f->status);
    put_u8(s, f->action);
    put_u8(s, d);
    put_u8(s, f->exemption_category);
    put_u8(s, (f->exemption_expired ? F_EXPIRED : 0) | (f->container ? F_CONTAINER : 0) |
                  (f->container_type ? F_CTYPE : 0) | (f->message ? F_MESSAGE : 0) | (f->exemption ? F_EXEMPTION : 0) |
                  (f->expired_exemption ? F_EXPIRED_NAME : 0) | (f->exemption_expires ? F_EXPIRES : 0));
    put_str(s, f->container);
    put_str(s, f->container_type);
    put_str(s, f->message);
    if (f->exemption)   /* names of the policy's exemptions, which outlives the report */
        PUT(s, f->exemption);
    if (f->expired_exemption)
        PUT(s, f->expired_exemption);
    if (f->exemption_expires) {
        int64_t t = (int64_t)f->exemption_expires;
        PUT(s, t);
    }
}

static void put_prediction(scan_records *s, const sg_score_prediction *p)
{
    if (p->before.has_percent)
        PUT(s, p->before.percent);
    if (p->after.has_percent)
        PUT(s, p->after.percent);
    if (p->has_delta) {
        PUT(s, p->delta);
        PUT(s, p->exact_delta);
    }
    uint8_t n = (uint8_t)p->nchanges;   /* at most SG_SCORE_MAX_CONTROLS */
    PUT(s, n);
    for (size_t i = 0; i < p->nchanges; i++) {
        PUT(s, p->changes[i].id);       /* interned for the life of the process */
        PUT(s, p->changes[i].before);
        PUT(s, p->changes[i].after);
    }
}

void scan_records_add(scan_records *s, const char *file, const sg_manifest *m, const sg_admission *a)
{
    const sg_eval *ev = &a->eval;
    const json_t *patch = sg_admission_patch(a);
    char *patch_text = patch ? sg_json_dumps(patch, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY, NULL) : NULL;
    if (patch && !patch_text)
        sg_oom();
    const sg_score_prediction *p = &a->prediction;
    s->len = 0;
    put_u8(s, (ev->excluded ? R_EXCLUDED : 0) | (a->allowed ? R_ALLOWED : 0) | (a->gate.denied ? R_GATE : 0) |
                  (a->gate.by_max_drop ? R_GATE_MAX_DROP : 0) | (p->before.has_percent ? R_BEFORE : 0) |
                  (p->after.has_percent ? R_AFTER : 0) | (p->has_delta ? R_DELTA : 0) | (patch_text ? R_PATCH : 0));
    put_u8(s, (ev->api_version ? S_API : 0) | (ev->kind ? S_KIND : 0) | (ev->namespace_ ? S_NS : 0) |
                  (ev->name ? S_NAME : 0));
    PUT(s, file);
    int32_t place[2] = {m->document, m->line};
    PUT(s, place);
    put_str(s, ev->api_version);
    put_str(s, ev->kind);
    put_str(s, ev->namespace_);
    put_str(s, ev->name);
    uint32_t count = (uint32_t)ev->count;
    PUT(s, count);
    for (size_t k = 0; k < ev->count; k++)
        put_finding(s, &ev->findings[k], a->denials ? a->denials[k] : SG_DENIAL_NONE);
    if (a->gate.denied) {
        PUT(s, a->gate.limit);
        put_str(s, a->gate.message);
    }
    put_prediction(s, p);
    put_str(s, patch_text);
    free(patch_text);
    if (s->count == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->recs = sg_reallocarray(s->recs, s->cap, sizeof *s->recs);
    }
    uint64_t at = store(s);
    s->recs[s->count++] = at;
}

/* ---- unpacking ---- */

#define GET(p, v) (memcpy(&(v), (p), sizeof(v)), (p) += sizeof(v))

static const char *get_str(const unsigned char **p, bool present)
{
    if (!present)
        return NULL;
    const char *v = (const char *)*p;
    *p += strlen(v) + 1;
    return v;
}

static const unsigned char *get_finding(const unsigned char *p, scan_finding *f, sg_denial *d)
{
    uint16_t rec;
    GET(p, rec);
    *f = (scan_finding){.rec = rec, .status = (sg_status)p[0], .action = (sg_action)p[1],
                        .exemption_category = (sg_exemption_category)p[3]};
    *d = (sg_denial)p[2];
    unsigned flags = p[4];
    p += 5;
    f->exemption_expired = flags & F_EXPIRED;
    f->container = get_str(&p, flags & F_CONTAINER);
    f->container_type = get_str(&p, flags & F_CTYPE);
    f->message = get_str(&p, flags & F_MESSAGE);
    if (flags & F_EXEMPTION)
        GET(p, f->exemption);
    if (flags & F_EXPIRED_NAME)
        GET(p, f->expired_exemption);
    if (flags & F_EXPIRES) {
        int64_t t;
        GET(p, t);
        f->exemption_expires = (time_t)t;
    }
    return p;
}

static void reserve(scan_records *s, size_t findings, size_t changes)
{
    if (findings > s->findcap) {
        s->findcap = findings;
        s->findings = sg_reallocarray(s->findings, findings, sizeof *s->findings);
        s->denials = sg_reallocarray(s->denials, findings, sizeof *s->denials);
    }
    if (changes > s->changecap) {
        s->changecap = changes;
        s->changes = sg_reallocarray(s->changes, changes, sizeof *s->changes);
    }
}

static const unsigned char *get_prediction(const unsigned char *p, unsigned flags, scan_records *s)
{
    scan_item *it = &s->item;
    it->prediction.has_before = flags & R_BEFORE;
    it->prediction.has_after = flags & R_AFTER;
    it->prediction.has_delta = flags & R_DELTA;
    if (flags & R_BEFORE)
        GET(p, it->prediction.before);
    if (flags & R_AFTER)
        GET(p, it->prediction.after);
    if (flags & R_DELTA) {
        GET(p, it->prediction.delta);
        GET(p, it->prediction.exact_delta);
    }
    uint8_t n;
    GET(p, n);
    reserve(s, 0, n);
    for (size_t i = 0; i < n; i++) {
        GET(p, s->changes[i].id);
        GET(p, s->changes[i].before);
        GET(p, s->changes[i].after);
    }
    it->prediction.changes = s->changes;
    it->prediction.nchanges = n;
    return p;
}

/* Record i: read back from the temporary file, or where it is in memory. */
static const unsigned char *record(scan_records *s, size_t i)
{
    if (i >= s->nspilled)
        return (const unsigned char *)(uintptr_t)s->recs[i];
    size_t len = (size_t)((i + 1 < s->nspilled ? s->recs[i + 1] : s->size) - s->recs[i]);
    if (len > s->rbufcap) {
        s->rbufcap = len;
        s->rbuf = sg_realloc(s->rbuf, len);
    }
    ssize_t got = -1;
    if (s->flushed || fflush(s->spill) == 0) {
        s->flushed = true;
        got = pread(fileno(s->spill), s->rbuf, len, (off_t)s->recs[i]);
    }
    if (got != (ssize_t)len) {
        /* The file was ours alone, unlinked, and written without error: only a failing disk gets here. */
        fprintf(stderr, "scoregate scan: cannot read the scan's records back from their temporary file\n");
        exit(2);
    }
    return s->rbuf;
}

const scan_item *scan_item_get(const scan_report *r, size_t i)
{
    scan_records *s = r->records;
    const unsigned char *p = record(s, i);
    scan_item *it = &s->item;
    memset(it, 0, sizeof *it);
    unsigned flags = p[0], strs = p[1];
    p += 2;
    GET(p, it->source.file);
    int32_t place[2];
    GET(p, place);
    it->source.document = place[0];
    it->source.line = place[1];
    it->eval.api_version = get_str(&p, strs & S_API);
    it->eval.kind = get_str(&p, strs & S_KIND);
    it->eval.namespace_ = get_str(&p, strs & S_NS);
    it->eval.name = get_str(&p, strs & S_NAME);
    it->eval.excluded = flags & R_EXCLUDED;
    it->allowed = flags & R_ALLOWED;
    uint32_t count;
    GET(p, count);
    reserve(s, count, 0);
    for (size_t k = 0; k < count; k++)
        p = get_finding(p, &s->findings[k], &s->denials[k]);
    it->eval.findings = s->findings;
    it->eval.count = count;
    it->denials = s->denials;
    it->gate.message = "";
    if (flags & R_GATE) {
        it->gate.denied = true;
        it->gate.by_max_drop = flags & R_GATE_MAX_DROP;
        GET(p, it->gate.limit);
        it->gate.message = get_str(&p, true);
    }
    p = get_prediction(p, flags, s);
    it->patch = get_str(&p, flags & R_PATCH);
    return it;
}
