/*
 * test_arena.c - unit tests of base's arena (base/src/arena.c): a thread's
 * arena serves the hooks between begin and end and is reused by the next
 * request; large blocks; the hooks' free of malloc and arena blocks; a free
 * from another thread; the bound on what a reset keeps; nesting and pausing;
 * and, built with AddressSanitizer, that a use after the request or after a
 * free still reports.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <scoregate/base.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define KEEP_BYTES ((size_t)16 * (64 * 1024 + 64)) /* what a reset may keep, chunk headers included */

static void fill(void *p, size_t n, int c)
{
    memset(p, c, n);
}

static bool all(const void *p, size_t n, int c)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)c)
            return false;
    return true;
}

/* One request's worth of small blocks, the shape of a review's JSON tree. */
static void *request(size_t blocks)
{
    void *first = NULL;
    for (size_t i = 0; i < blocks; i++) {
        size_t n = 8 + (i * 37) % 120;
        unsigned char *p = sg_arena_hook_malloc(n);
        assert_int_equal((uintptr_t)p % 16, 0);
        fill(p, n, (int)(i & 0xff));
        if (!first)
            first = p;
        if (i % 3 == 0)
            sg_arena_hook_free(p); /* a free in the arena gives nothing back until the end */
    }
    return first;
}

static void test_reuse_across_requests(void **state)
{
    (void)state;
    sg_arena_begin();
    assert_true(sg_arena_active());
    void *first = request(2000);
    sg_arena_end();
    assert_false(sg_arena_active());
    size_t kept = sg_arena_retained(sg_arena_current());
    assert_true(kept > 0);
    for (int r = 0; r < 50; r++) {
        sg_arena_begin();
        /* The next request starts where the first did: its chunks were kept. */
        assert_ptr_equal(request(2000), first);
        sg_arena_end();
        assert_int_equal(sg_arena_retained(sg_arena_current()), kept);
    }
}

static void test_large_blocks(void **state)
{
    (void)state;
    sg_arena_begin();
    size_t before = sg_arena_retained(sg_arena_current());
    unsigned char *small = sg_arena_hook_malloc(100);
    fill(small, 100, 0x11);
    size_t big = 3 * 1024 * 1024;
    unsigned char *p = sg_arena_hook_malloc(big);
    assert_int_equal((uintptr_t)p % 16, 0);
    fill(p, big, 0x5a);
    unsigned char *q = sg_arena_hook_malloc(64 * 1024); /* larger than a chunk hands out at once */
    fill(q, 64 * 1024, 0xa5);
    assert_true(all(p, big, 0x5a));
    assert_true(all(small, 100, 0x11));
    sg_arena_hook_free(p);
    /* Large blocks are not the kept chunks: the reset frees them (LeakSanitizer checks). */
    assert_true(sg_arena_retained(sg_arena_current()) <= before + 64 * 1024 + 64);
    sg_arena_end();
    assert_true(sg_arena_retained(sg_arena_current()) <= KEEP_BYTES);
}

static void test_free_malloc_and_arena_blocks(void **state)
{
    (void)state;
    /* Outside an arena the hooks are malloc and free (LeakSanitizer checks the free). */
    char *m = sg_arena_hook_malloc(40);
    fill(m, 40, 'm');
    sg_arena_hook_free(m);
    char *kept = sg_arena_hook_malloc(40); /* made before the request, freed during it */
    fill(kept, 40, 'k');

    sg_arena_begin();
    char *a = sg_arena_hook_malloc(40);
    char *b = sg_arena_hook_malloc(40);
    fill(a, 40, 'a');
    fill(b, 40, 'b');
    sg_arena_hook_free(kept); /* a malloc block: really freed, even inside the arena */
    sg_arena_hook_free(a);    /* an arena block: nothing happens to its neighbours */
    assert_true(all(b, 40, 'b'));
    sg_arena_hook_free(NULL);
    sg_arena_end();
}

typedef struct {
    void *block;
    int phase;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} handoff;

static void wait_phase(handoff *h, int phase)
{
    pthread_mutex_lock(&h->mu);
    while (h->phase < phase)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void set_phase(handoff *h, int phase)
{
    pthread_mutex_lock(&h->mu);
    h->phase = phase;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Thread B: in a request of its own, frees thread A's block. */
static void *other_thread(void *arg)
{
    handoff *h = arg;
    wait_phase(h, 1);
    sg_arena_begin();
    char *mine = sg_arena_hook_malloc(64);
    fill(mine, 64, 'B');
    sg_arena_hook_free(h->block);
    assert_true(all(mine, 64, 'B'));
    sg_arena_end();
    set_phase(h, 2);
    return NULL; /* its arena is freed with the thread (LeakSanitizer checks) */
}

static void test_cross_thread_free(void **state)
{
    (void)state;
    handoff h = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, &h), 0);
    sg_arena_begin();
    h.block = sg_arena_hook_malloc(64);
    char *after = sg_arena_hook_malloc(64);
    fill(h.block, 64, 'A');
    fill(after, 64, 'a');
    set_phase(&h, 1);
    wait_phase(&h, 2);
    /* A's arena is untouched by B's free: the next block still comes after the others. */
    char *next = sg_arena_hook_malloc(64);
    assert_true(next > after);
    assert_true(all(after, 64, 'a'));
    sg_arena_end();
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_reset_bounds(void **state)
{
    (void)state;
    sg_arena_begin();
    for (int i = 0; i < 8 * 1024; i++) /* 8 MiB of 1 KiB blocks: about 130 chunks */
        fill(sg_arena_hook_malloc(1024), 1024, i & 0xff);
    assert_true(sg_arena_retained(sg_arena_current()) > 8 * 1024 * 1024);
    sg_arena_end();
    assert_true(sg_arena_retained(sg_arena_current()) <= KEEP_BYTES);

    /* An arena of one's own, outside the hooks. */
    sg_arena *a = sg_arena_new();
    for (int i = 0; i < 4096; i++)
        fill(sg_arena_alloc(a, 700), 700, 1);
    sg_arena_reset(a);
    assert_true(sg_arena_retained(a) <= KEEP_BYTES);
    char *p = sg_arena_alloc(a, 0);
    assert_non_null(p);
    sg_arena_destroy(a);
    sg_arena_destroy(NULL);
}

static void test_nesting_and_pause(void **state)
{
    (void)state;
    sg_arena_begin();
    char *outer = sg_arena_hook_malloc(32);
    fill(outer, 32, 'o');
    sg_arena_begin(); /* a nested pair does not reset the outer request's blocks */
    char *inner = sg_arena_hook_malloc(32);
    fill(inner, 32, 'i');
    sg_arena_end();
    assert_true(sg_arena_active());
    assert_true(all(outer, 32, 'o'));

    unsigned was = sg_arena_pause();
    assert_false(sg_arena_active());
    char *lasting = sg_arena_hook_malloc(32); /* outlives the request */
    sg_arena_resume(was);
    assert_true(sg_arena_active());
    fill(lasting, 32, 'l');
    sg_arena_end();
    assert_false(sg_arena_active());
    assert_true(all(lasting, 32, 'l'));
    sg_arena_hook_free(lasting);
}

/* An end without a begin is a caller's bug: the process aborts. */
static void test_unbalanced_end_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sg_arena_end();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

#ifdef TEST_ASAN
static void test_poisoned_after_use(void **state)
{
    (void)state;
    sg_arena_begin();
    char *a = sg_arena_hook_malloc(48);
    char *b = sg_arena_hook_malloc(48);
    assert_false(__asan_region_is_poisoned(a, 48));
    assert_true(__asan_address_is_poisoned(a + 48)); /* the red zone after a block */
    sg_arena_hook_free(a);
    assert_true(__asan_address_is_poisoned(a)); /* freed during the request */
    assert_false(__asan_region_is_poisoned(b, 48));
    sg_arena_end();
    assert_true(__asan_address_is_poisoned(b)); /* the request is over */

    /* And a real use after the request reports and ends the process. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, STDERR_FILENO);
        sg_arena_begin();
        volatile char *c = sg_arena_hook_malloc(16);
        sg_arena_end();
        c[0] = 'x';
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_across_requests),
        cmocka_unit_test(test_large_blocks),
        cmocka_unit_test(test_free_malloc_and_arena_blocks),
        cmocka_unit_test(test_cross_thread_free),
        cmocka_unit_test(test_reset_bounds),
        cmocka_unit_test(test_nesting_and_pause),
        cmocka_unit_test(test_unbalanced_end_aborts),
#ifdef TEST_ASAN
        cmocka_unit_test(test_poisoned_after_use),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
