/*
 * exec_run.c - running a client-go credential plugin as client-go's exec
 * authenticator does: the command (looked up in PATH unless it names a
 * path) with its args, our environment plus the kubeconfig's env plus
 * KUBERNETES_EXEC_INFO, standard input given only in interactive mode
 * (Never: never; IfAvailable: when it is a terminal; Always: a terminal or
 * an error), and its standard output decoded as an ExecCredential.
 *
 * Where scoregate differs, on purpose: without a terminal the plugin's
 * standard error is collected (client-go passes it through) so that a failure
 * carries it in the error message, which is what reaches the log of a
 * `serve` replica; and a plugin that runs longer than KB_EXEC_TIMEOUT without
 * a terminal is killed, so that a hung plugin cannot stop the inventory sync
 * for good. A missing command's error carries the kubeconfig's installHint.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define MAX_STDOUT (1u << 20)
#define KEEP_STDERR 4096        /* the last bytes of standard error kept for the message */
#define SHOW_STDERR 300         /* at most this much of it in the message */

extern char **environ;

/* Append "NAME=value" to env (n entries), dropping an earlier entry of the same name: the last one wins. */
static void env_put(char **env, size_t *n, char *entry)
{
    size_t name = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++)
        if (!strncmp(env[i], entry, name + 1)) {
            memmove(&env[i], &env[i + 1], (*n - i - 1) * sizeof *env);
            (*n)--;
            break;
        }
    env[(*n)++] = entry;
}

/* The plugin's environment (entries borrowed, except the last, KUBERNETES_EXEC_INFO, which *info_entry owns). */
static char **plugin_env(const kb_exec *x, bool interactive, char **info_entry)
{
    size_t total = 2, n = 0;
    for (char **p = environ; p && *p; p++)
        total++;
    for (char **p = x->env; p && *p; p++)
        total++;
    char **env = sg_calloc(total, sizeof *env);
    for (char **p = environ; p && *p; p++)
        if (strchr(*p, '='))
            env_put(env, &n, *p);
    for (char **p = x->env; p && *p; p++)
        env_put(env, &n, *p);
    char *info = kb_exec_info(x, interactive);
    size_t len = strlen(info) + 32;
    *info_entry = sg_malloc(len);
    snprintf(*info_entry, len, "KUBERNETES_EXEC_INFO=%s", info);
    free(info);
    env_put(env, &n, *info_entry);
    env[n] = NULL;
    return env;
}

/* Whether standard input goes to the plugin (client-go's isInteractive, with stdin available). */
static int interactive_now(const kb_exec *x, bool *interactive, char *err, size_t errlen)
{
    bool tty = isatty(STDIN_FILENO) == 1;
    *interactive = x->interactive != KB_INTERACTIVE_NEVER && tty;
    if (x->interactive == KB_INTERACTIVE_ALWAYS && !tty)
        return sg_err(err, errlen,
                      "%s: exec plugin cannot support interactive mode: standard input is not a terminal "
                      "(interactiveMode is Always; Never or IfAvailable lets it run without one)",
                      x->where);
    return 0;
}

typedef struct child {
    pid_t pid;
    int out, err;                /* read ends, or -1 */
    kb_buf stdout_, stderr_;
    bool too_large, timed_out;
    int status;
} child;

static int spawn(const kb_exec *x, bool interactive, child *ch, char *err, size_t errlen)
{
    int out[2], errp[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || (!interactive && pipe2(errp, O_CLOEXEC) < 0))
        return sg_err(err, errlen, "%s: exec: cannot create a pipe: %s", x->where, strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (!interactive) {
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
    }
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
    /* A fresh signal state: the calling thread may block signals, and the webhook ignores SIGPIPE. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *info_entry;
    char **env = plugin_env(x, interactive, &info_entry);
    int rc = posix_spawnp(&ch->pid, x->argv[0], &fa, &attr, x->argv, env);
    memset(info_entry, 0, strlen(info_entry));
    free(info_entry);
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    ch->out = out[0];
    ch->err = errp[0];
    if (rc == 0)
        return 0;
    close(ch->out);
    if (ch->err >= 0)
        close(ch->err);
    if (rc == ENOENT)
        return sg_err(err, errlen,
                      "%s: exec: executable %s not found (a client-go credential plugin that is not installed, "
                      "or not in PATH)%s%s",
                      x->where, x->argv[0], x->install_hint ? ": " : "", x->install_hint ? x->install_hint : "");
    return sg_err(err, errlen, "%s: exec: cannot run %s: %s", x->where, x->argv[0], strerror(rc));
}

/* Read what is there on fd into b; false at end of file or error. */
static bool drain(int fd, kb_buf *b, size_t max, bool keep_last, bool *too_large)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN;
        if (n == 0)
            return false;
        if (keep_last && b->len + (size_t)n > max) {
            size_t keep = b->len > max / 2 ? max / 2 : b->len;
            memmove(b->data, b->data + b->len - keep, keep);
            b->len = keep;
        }
        if (kb_buf_append(b, buf, (size_t)n, max) < 0) {
            *too_large = true;
            return false;
        }
    }
}

/* Collect the child's output until it exits (or the deadline passes: kill it). */
static void wait_child(child *ch, double deadline)
{
    fcntl(ch->out, F_SETFL, O_NONBLOCK);
    if (ch->err >= 0)
        fcntl(ch->err, F_SETFL, O_NONBLOCK);
    bool out_open = true, err_open = ch->err >= 0, exited = false;
    while (!exited) {
        struct pollfd fds[2] = {{out_open ? ch->out : -1, POLLIN, 0}, {err_open ? ch->err : -1, POLLIN, 0}};
        poll(fds, 2, 100);
        if (out_open)
            out_open = drain(ch->out, &ch->stdout_, MAX_STDOUT, false, &ch->too_large);
        if (err_open)
            err_open = drain(ch->err, &ch->stderr_, 2 * KEEP_STDERR, true, &ch->too_large);
        exited = waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid;
        if (!exited && (ch->too_large || (deadline > 0 && kb_now() > deadline))) {
            ch->timed_out = !ch->too_large;
            kill(ch->pid, SIGKILL);
            while (waitpid(ch->pid, &ch->status, 0) < 0 && errno == EINTR)
                ;
            exited = true;
        }
    }
    /* What the plugin wrote just before it exited. */
    if (out_open)
        drain(ch->out, &ch->stdout_, MAX_STDOUT, false, &ch->too_large);
    if (err_open)
        drain(ch->err, &ch->stderr_, 2 * KEEP_STDERR, true, &ch->too_large);
    close(ch->out);
    if (ch->err >= 0)
        close(ch->err);
}

/* ": <the end of its standard error>" on one line, valid UTF-8, at most SHOW_STDERR bytes; "" when empty. */
static void stderr_excerpt(const kb_buf *b, char *out, size_t len)
{
    size_t start = 0, end = b->len;
    while (end > 0 && (unsigned char)b->data[end - 1] <= ' ')
        end--;
    while (start < end && (unsigned char)b->data[start] <= ' ')
        start++;
    out[0] = '\0';
    if (start == end)
        return;
    if (end - start > SHOW_STDERR)
        start = end - SHOW_STDERR;
    while (start < end && ((unsigned char)b->data[start] & 0xC0) == 0x80)
        start++;
    /* Lines joined with "; ", other control characters (colours, carriage returns) as spaces. */
    char *text = sg_malloc(2 * (end - start) + 1);
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        if (ch == '\n') {
            while (n && text[n - 1] == ' ')
                n--;
            if (n && text[n - 1] != ';')
                n += (size_t)sprintf(text + n, "; ");
        } else if (ch >= ' ' && ch != 0x7f)
            text[n++] = (char)ch;
        else if (n && text[n - 1] != ' ')
            text[n++] = ' ';
    }
    text[n] = '\0';
    char *owned;
    const char *clean = sg_utf8_clean(text, &owned);
    snprintf(out, len, ": %s%s", start > 0 ? "..." : "", clean);
    free(owned);
    free(text);
}

static int outcome(const kb_exec *x, child *ch, kb_exec_result *r, char *err, size_t errlen)
{
    char tail[SHOW_STDERR + 16];
    stderr_excerpt(&ch->stderr_, tail, sizeof tail);
    const char *cmd = x->argv[0];
    if (ch->timed_out)
        return sg_err(err, errlen, "%s: exec: executable %s did not finish within %d seconds and was killed%s",
                      x->where, cmd, KB_EXEC_TIMEOUT, tail);
    if (ch->too_large)
        return sg_err(err, errlen, "%s: exec: executable %s wrote more than %u MiB", x->where, cmd, MAX_STDOUT >> 20);
    if (WIFSIGNALED(ch->status))
        return sg_err(err, errlen, "%s: exec: executable %s was killed by signal %d%s", x->where, cmd,
                      WTERMSIG(ch->status), tail);
    if (WEXITSTATUS(ch->status) != 0)
        return sg_err(err, errlen, "%s: exec: executable %s failed with exit code %d%s", x->where, cmd,
                      WEXITSTATUS(ch->status), tail);
    char derr[SG_ERRMAX];
    if (kb_exec_decode(x, ch->stdout_.data ? ch->stdout_.data : "", ch->stdout_.len, r, derr, sizeof derr) < 0)
        return sg_err(err, errlen, "%s: exec: executable %s: %s%s", x->where, cmd, derr, tail);
    return 0;
}

int kb_exec_run(const kb_exec *x, kb_exec_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    bool interactive;
    if (interactive_now(x, &interactive, err, errlen) < 0)
        return -1;
    child ch;
    memset(&ch, 0, sizeof ch);
    if (spawn(x, interactive, &ch, err, errlen) < 0)
        return -1;
    /* A person at a terminal may take their time; without one, nobody will answer. */
    wait_child(&ch, interactive ? 0 : kb_now() + KB_EXEC_TIMEOUT);
    int rc = outcome(x, &ch, r, err, errlen);
    if (ch.stdout_.data)
        memset(ch.stdout_.data, 0, ch.stdout_.len);
    kb_buf_free(&ch.stdout_);
    kb_buf_free(&ch.stderr_);
    return rc;
}
