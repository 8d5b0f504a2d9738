/*
 * test_base.c - unit tests of the base layer: error messages, the
 * out-of-memory policy (a message and an abort, in a child process), bounded
 * file reads and their messages, crash-safe writes (content, mode, leftovers
 * of interrupted writes), mkdir -p, FNV-1a against published values, base64
 * against RFC 4648's vectors, and UTF-8 cleaning.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <scoregate/base.h>

static char dir[256];

static const char *path_in(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sg-base-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_err(void **state)
{
    (void)state;
    char err[8];
    assert_int_equal(sg_err(err, sizeof err, "%s: %d", "file", 12345), -1);
    assert_string_equal(err, "file: 1");   /* truncated, NUL-terminated */
}

static void test_strings(void **state)
{
    (void)state;
    char *a = sg_strdup("kube-system");
    char *b = sg_strndup("kube-system", 4);
    char *c = sg_strndup("ab", 10);
    assert_string_equal(a, "kube-system");
    assert_ptr_equal(sg_check_alloc(a), a);
    assert_string_equal(b, "kube");
    assert_string_equal(c, "ab");
    free(a);
    free(b);
    free(c);
    int *v = sg_reallocarray(NULL, 1000, sizeof *v);
    v[999] = 7;
    free(v);
}

/* Running out of memory ends the process with a message (here: a size that
 * overflows, which never reaches malloc). */
static void test_out_of_memory_aborts(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        signal(SIGABRT, SIG_DFL);
        sg_reallocarray(NULL, SIZE_MAX / 2, 4);
        _exit(0);
    }
    close(fds[1]);
    char buf[256] = "";
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "scoregate: out of memory"));
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_file_read(void **state)
{
    (void)state;
    char err[SG_ERRMAX], *data, want[SG_ERRMAX];
    size_t len;
    const char *p = path_in("a.yaml");
    write_text(p, "kind: Pod\n");
    assert_int_equal(sg_file_read(p, 100, &data, &len, err, sizeof err), 0);
    assert_int_equal(len, 10);
    assert_string_equal(data, "kind: Pod\n");
    free(data);
    /* Exactly at the limit is fine, one byte over is not. */
    assert_int_equal(sg_file_read(p, 10, &data, &len, err, sizeof err), 0);
    free(data);
    assert_int_equal(sg_file_read(p, 9, &data, &len, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: 10 bytes, larger than the limit of 9 bytes", p);
    assert_string_equal(err, want);
    /* Empty files read as "" (a NUL is always there). */
    p = path_in("empty");
    write_text(p, "");
    assert_int_equal(sg_file_read(p, 100, &data, &len, err, sizeof err), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    p = path_in("missing");
    assert_int_equal(sg_file_read(p, 100, &data, &len, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", p);
    assert_string_equal(err, want);
    assert_int_equal(sg_file_read(dir, 100, &data, &len, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: is a directory, not a file", dir);
    assert_string_equal(err, want);
    /* A file whose size stat does not know (procfs says 0) is read as a stream, bounded too. */
    assert_int_equal(sg_file_read("/proc/self/status", 1 << 20, &data, &len, err, sizeof err), 0);
    assert_true(len > 10 && strlen(data) == len);
    free(data);
    assert_int_equal(sg_file_read("/proc/self/status", 10, &data, &len, err, sizeof err), -1);
    assert_string_equal(err, "/proc/self/status: larger than the limit of 10 bytes");
    assert_string_equal(sg_file_name("-"), "<stdin>");
    assert_string_equal(sg_file_name("a.yaml"), "a.yaml");
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_write_atomic(void **state)
{
    (void)state;
    char err[SG_ERRMAX], *data;
    size_t len;
    const char *p = path_in("tls.key");
    assert_int_equal(sg_file_write_atomic(p, "one", 3, 0600, err, sizeof err), 0);
    assert_int_equal(mode_of(p), 0600);
    assert_int_equal(sg_file_write_atomic(p, "second", 6, 0644, err, sizeof err), 0);
    assert_int_equal(mode_of(p), 0644);
    assert_int_equal(sg_file_read(p, 100, &data, &len, err, sizeof err), 0);
    assert_string_equal(data, "second");
    free(data);
    /* What a write interrupted by a crash left is removed by the next write of
     * the same file; other names stay. */
    const char *left = path_in("tls.key.tmp.AbC123"), *other = path_in("tls.crt.tmp.AbC123");
    const char *unlike = path_in("tls.key.tmp.notours");
    write_text(left, "x");
    write_text(other, "x");
    write_text(unlike, "x");
    assert_int_equal(sg_file_write_atomic(p, "third", 5, 0600, err, sizeof err), 0);
    assert_int_equal(access(left, F_OK), -1);
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(access(unlike, F_OK), 0);
    /* A failure names the file and the step. */
    p = path_in("no/such/dir/file");
    assert_int_equal(sg_file_write_atomic(p, "x", 1, 0600, err, sizeof err), -1);
    char want[SG_ERRMAX];
    snprintf(want, sizeof want, "%s: creating a temporary file: No such file or directory", p);
    assert_string_equal(err, want);
}

static void test_mkdirs(void **state)
{
    (void)state;
    char err[SG_ERRMAX];
    const char *p = path_in("x/y/z");
    assert_int_equal(sg_mkdirs(p, err, sizeof err), 0);
    assert_int_equal(mode_of(p) & 0077, 0);
    assert_int_equal(sg_mkdirs(p, err, sizeof err), 0);   /* already there */
    const char *file = path_in("plain");
    write_text(file, "x");
    assert_int_equal(sg_mkdirs(file, err, sizeof err), -1);
    char want[SG_ERRMAX];
    snprintf(want, sizeof want, "%s: not a directory", file);
    assert_string_equal(err, want);
}

static void test_fnv1a(void **state)
{
    (void)state;
    /* Published FNV-1a 64 values. */
    assert_true(sg_fnv1a(SG_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(sg_fnv1a(SG_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(sg_fnv1a(SG_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(sg_fnv1a_str(SG_FNV1A_INIT, "foobar") == 0x85944171f73967e8ULL);
    assert_true(sg_fnv1a(sg_fnv1a(SG_FNV1A_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
    assert_true(sg_fnv1a_str(SG_FNV1A_INIT, NULL) == SG_FNV1A_INIT);
}

static void assert_decodes(const char *text, const char *want)
{
    unsigned char *out;
    size_t len;
    if (sg_base64_decode(text, strlen(text), &out, &len) != 0)
        fail_msg("'%s' does not decode", text);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    assert_int_equal(out[len], 0);
    free(out);
}

static void assert_invalid(const char *text)
{
    unsigned char *out = NULL;
    size_t len = 0;
    if (sg_base64_decode(text, strlen(text), &out, &len) == 0)
        fail_msg("'%s' decoded", text);
    assert_null(out);
}

static void test_base64(void **state)
{
    (void)state;
    /* RFC 4648, section 10. */
    static const char *const vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                            {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                            {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        size_t len;
        char *enc = sg_base64_encode(vectors[i][0], strlen(vectors[i][0]), &len);
        assert_string_equal(enc, vectors[i][1]);
        assert_int_equal(len, strlen(vectors[i][1]));
        free(enc);
        assert_decodes(vectors[i][1], vectors[i][0]);
    }
    /* As kubeconfigs write it: padding optional, lines wrapped. */
    assert_decodes("Zm9vYg", "foob");
    assert_decodes("Zm9v\nYmFy\r\n", "foobar");
    unsigned char bin[] = {0, 0xff, 0xfe, 0x80};
    char *enc = sg_base64_encode(bin, sizeof bin, NULL);
    assert_string_equal(enc, "AP/+gA==");
    free(enc);
    assert_invalid("Zm9v!");          /* not in the alphabet */
    assert_invalid("Zm8=Zm8=");       /* data after padding */
    assert_invalid("Zg===");          /* three '=' */
    assert_invalid("Zm9vY");          /* a lone character carries no byte */
    assert_invalid("Zm9v-_");         /* the URL alphabet is not the standard one */
}

static void assert_clean(const char *in, const char *want)
{
    char *owned;
    const char *out = sg_utf8_clean(in, &owned);
    assert_string_equal(out, want);
    if (strcmp(in, want) == 0) {
        assert_ptr_equal(out, in);   /* clean text is not copied */
        assert_null(owned);
    } else {
        assert_ptr_equal(out, owned);
    }
    free(owned);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_clean("", "");
    assert_clean("nginx:1.27 \t\n", "nginx:1.27 \t\n");          /* controls are the writer's to escape */
    assert_clean("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
    assert_clean("a\xff" "b", "a" SG_UTF8_REPLACEMENT "b");
    assert_clean("\xc0\xaf", SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT);                    /* overlong '/' */
    assert_clean("\xed\xa0\x80", SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT); /* surrogate */
    assert_clean("\xef\xbf\xbe", SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT); /* U+FFFE */
    assert_clean("\xf4\x90\x80\x80x", SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT
                                      SG_UTF8_REPLACEMENT "x");                          /* past U+10FFFF */
    assert_clean("ok\xe2\x82", "ok" SG_UTF8_REPLACEMENT SG_UTF8_REPLACEMENT);             /* cut short */
    assert_int_equal(sg_utf8_char("\xe2\x82\xac", 2), 0);   /* never reads past `left` */
    assert_int_equal(sg_utf8_char("\xe2\x82\xac", 3), 3);
    assert_int_equal(sg_utf8_char("x", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err),          cmocka_unit_test(test_strings),
        cmocka_unit_test(test_out_of_memory_aborts),
        cmocka_unit_test(test_file_read),    cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_mkdirs),       cmocka_unit_test(test_fnv1a),
        cmocka_unit_test(test_base64),       cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
