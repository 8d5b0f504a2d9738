/*
 * scoregate/base.h - the bottom layer every module uses and that uses no
 * other module: errors, allocation, whole-file reads and crash-safe writes,
 * FNV-1a, base64, RFC 3339 times and UTF-8-safe text. One copy of each, so that every module
 * fails, allocates, reads and writes the same way.
 *
 * Conventions (every scoregate module keeps them):
 *  - Errors. A function that can fail returns 0 (or a pointer) on success and
 *    -1 (or NULL) on failure, and then writes a message a user can act on into
 *    `err`: at most `errlen` bytes, always NUL-terminated, naming the file,
 *    line or field at fault. `err` is never NULL and `errlen` never 0: every
 *    caller passes a buffer (SG_ERRMAX bytes suit). sg_err() writes one.
 *  - Memory. Out of memory is not an error a caller handles: scoregate's own
 *    allocations go through sg_malloc() and its siblings, which never return
 *    NULL but end the process with a message (as Redis' zmalloc does), and so
 *    does sg_oom() where a library's NULL can only mean that memory ran out.
 *    Nothing checks these for NULL. Libraries that report a failed allocation
 *    as one error among others (jansson, OpenSSL, libyaml, libcurl) are
 *    handled like any of their errors.
 *  - Ownership. Whoever allocates frees: every `*_free` releases what the
 *    matching constructor returned; pointers marked "borrowed" live as long as
 *    their owner and are never freed by the caller.
 */
#ifndef SCOREGATE_BASE_H
#define SCOREGATE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A good size for an error buffer. */
#define SG_ERRMAX 512

/* ------------------------------------------------------------------ */
/* Errors.                                                              */
/* ------------------------------------------------------------------ */

/* Write the formatted message into err (errlen bytes, NUL-terminated); returns -1. */
int sg_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* Memory: never NULL; out of memory ends the process with a message.   */
/* ------------------------------------------------------------------ */

void *sg_malloc(size_t size);
void *sg_calloc(size_t count, size_t size);
void *sg_realloc(void *p, size_t size);
/* realloc of count * size bytes; a product that overflows counts as out of memory. */
void *sg_reallocarray(void *p, size_t count, size_t size);
char *sg_strdup(const char *s);
char *sg_strndup(const char *s, size_t n);
/* Print "scoregate: out of memory" to standard error and abort. */
_Noreturn void sg_oom(void);
/* `p`, the result of a library allocation that fails only when memory runs
 * out (json_object(), json_deep_copy() of a tree, sk_X509_new_null(), ...);
 * sg_oom() when it is NULL. */
void *sg_check_alloc(void *p);

/* ------------------------------------------------------------------ */
/* Arenas: bump allocation for what lives one request (arena.c).        */
/* ------------------------------------------------------------------ */

/*
 * An arena hands out 16-byte aligned blocks from 64 KiB chunks; freeing one
 * is a no-op, and sg_arena_reset() takes them all back at once, keeping up
 * to 1 MiB of chunks for reuse (larger blocks get a chunk of their own, freed
 * by the reset). Built with AddressSanitizer, memory not handed out is
 * poisoned, so overflows and uses after a reset still report.
 */
typedef struct sg_arena sg_arena;
sg_arena *sg_arena_new(void);
void sg_arena_destroy(sg_arena *a);
/* `size` bytes from `a` (never NULL); valid until the next sg_arena_reset(a). */
void *sg_arena_alloc(sg_arena *a, size_t size);
void sg_arena_reset(sg_arena *a);
/* Bytes of chunks `a` holds now (in use and kept), for tests and bounds. */
size_t sg_arena_retained(const sg_arena *a);

/*
 * The thread's arena. Between sg_arena_begin() and the matching
 * sg_arena_end() (pairs nest; the outermost end resets), the hooks below
 * allocate from the calling thread's own arena (created on first use, freed
 * when the thread exits). Everything the hooks allocated there is gone at
 * the end: what must outlive it (a response handed on, a cached or stored
 * value, a log line queued for another thread) is copied out first, or
 * allocated while paused. sg_arena_pause() makes the hooks malloc again
 * until sg_arena_resume(its result); sg_arena_active() says whether they
 * would allocate from the arena now.
 */
void sg_arena_begin(void);
void sg_arena_end(void);
bool sg_arena_active(void);
unsigned sg_arena_pause(void);
void sg_arena_resume(unsigned paused);
/* The calling thread's arena, or NULL before its first sg_arena_begin() (borrowed). */
sg_arena *sg_arena_current(void);

/*
 * Allocation hooks with malloc/free's signatures, for a library's allocator
 * (doc installs them as jansson's: sg_json_use_arena()). sg_arena_hook_malloc:
 * from the thread's arena while it is active, else from malloc; never NULL.
 * sg_arena_hook_free: frees a malloc block, does nothing to an arena block,
 * from any thread; only for blocks of sg_arena_hook_malloc (anything else aborts).
 */
void *sg_arena_hook_malloc(size_t size);
void sg_arena_hook_free(void *p);

/* ------------------------------------------------------------------ */
/* Files.                                                               */
/* ------------------------------------------------------------------ */

/*
 * Read all of `path` ("-" reads standard input, named "<stdin>" in messages)
 * into a new buffer with a NUL after the last byte (*data, the caller frees;
 * *len does not count the NUL). Refuses directories and more than `max`
 * bytes. Messages start with the name: "deploy.yaml: cannot open: No such
 * file or directory".
 */
int sg_file_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen);
/* The name sg_file_read() gives `path` in messages: "<stdin>" for "-", else path itself. */
const char *sg_file_name(const char *path);

/*
 * Replace `path` with `len` bytes of `data`, crash-safely: write a temporary
 * file next to it ("<path>.tmp.XXXXXX") with `mode`, fsync it, rename it over
 * `path`, fsync the directory. A reader sees the old file or the new one,
 * never a mix, and a file written with mode 0600 never exists with a looser
 * one. Temporary files that earlier writes of `path` left behind when the
 * process died are removed first, so a crash loop cannot fill the disk.
 */
int sg_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
                         size_t errlen);

/* mkdir -p: create `dir` and its missing parents with mode 0700. */
int sg_mkdirs(const char *dir, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Hashing: FNV-1a, 64 bits.                                            */
/* ------------------------------------------------------------------ */

#define SG_FNV1A_INIT 0xcbf29ce484222325ULL

/* FNV-1a of `len` bytes, continuing from `h` (start with SG_FNV1A_INIT). */
uint64_t sg_fnv1a(uint64_t h, const void *data, size_t len);
/* The same over a NUL-terminated string (NULL hashes as ""). */
uint64_t sg_fnv1a_str(uint64_t h, const char *s);

/* ------------------------------------------------------------------ */
/* Base64 (RFC 4648, standard alphabet).                                */
/* ------------------------------------------------------------------ */

/* `len` bytes as padded base64: a new NUL-terminated string (*outlen, when non-NULL, gets its length). */
char *sg_base64_encode(const void *data, size_t len, size_t *outlen);
/*
 * Decode `len` characters of base64 (padding optional, ASCII whitespace
 * ignored, as Kubernetes' *-data fields are written) into a new buffer with a
 * NUL after the last byte (*out, the caller frees; *outlen bytes). Returns -1,
 * setting nothing, when the text is not base64.
 */
int sg_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

/* ------------------------------------------------------------------ */
/* Time.                                                                */
/* ------------------------------------------------------------------ */

/*
 * An RFC 3339 date-time ("2027-03-31T00:00:00Z"; fractions of a second and
 * offsets such as +02:00 allowed, as metav1.Time reads them) into *out.
 * Returns -1, setting nothing, when `s` is not one.
 */
int sg_time_parse_rfc3339(const char *s, time_t *out);

/* ------------------------------------------------------------------ */
/* UTF-8-safe text for JSON and XML.                                    */
/* ------------------------------------------------------------------ */

/* U+FFFD REPLACEMENT CHARACTER, which stands in for what cannot be carried. */
#define SG_UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * Length (1 to 4) of the character at `p` (`left` bytes readable) when it is
 * well-formed UTF-8 (shortest form, no surrogate, at most U+10FFFF) and not
 * U+FFFE or U+FFFF, which XML 1.0 cannot carry; 0 otherwise.
 */
size_t sg_utf8_char(const char *p, size_t left);

/*
 * `s` as text every JSON string and XML document can carry: `s` itself when
 * each of its characters passes sg_utf8_char (then *owned is NULL), else a new
 * copy (*owned, the caller frees; also the return value) in which every byte
 * that does not start such a character is replaced by U+FFFD. Control
 * characters are left to the writer's escaping.
 */
const char *sg_utf8_clean(const char *s, char **owned);

#endif
