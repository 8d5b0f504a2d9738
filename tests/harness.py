"""The one harness of the Python integration tests: counting checks, running named sections,
and the few helpers every test needs (a free port, a private temporary folder, waiting, running
the real binary).

A test script puts tests/ on sys.path, imports what it needs from here, calls check(name, cond,
detail) for every assertion, and ends with finish() (or run_sections(), which ends with it).
finish() prints the closing "N passed, N failed" line and exits 1 when any check failed or when
no check ran at all: a test that asserted nothing has not passed. A section that raises counts
as a failed check, never as a pass, and the other sections still run.

Standard library only.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

_state = {"passed": 0, "failed": 0, "bin": None, "tmp": None}


def check(name, cond, detail=""):
    """One assertion: counts it, prints "ok NAME" or "FAIL NAME" and the detail; returns cond."""
    if cond:
        _state["passed"] += 1
        print(f"ok   {name}", flush=True)
    else:
        _state["failed"] += 1
        print(f"FAIL {name}" + (f"\n     {detail}" if detail != "" else ""), flush=True)
    return cond


def passed():
    return _state["passed"]


def failed():
    return _state["failed"]


def summary():
    """Prints the closing line and returns the exit status (1 on a failure or when nothing passed)."""
    print(f"{_state['passed']} passed, {_state['failed']} failed", flush=True)
    return 1 if _state["failed"] or not _state["passed"] else 0


def finish():
    sys.exit(summary())


def section(name, fn, *args, on_crash=None):
    """Run one named section; an exception in it is a failed check (then on_crash() runs, to show
    what the test's servers logged), and the caller goes on."""
    print(f"== {name}", flush=True)
    try:
        fn(*args)
    except Exception as e:  # a crash of the test itself is a failure, never a pass
        traceback.print_exc()
        check(f"section {name} ran to the end", False, repr(e))
        if on_crash:
            on_crash()


def run_sections(sections, chosen=None, *args, seconds=None, cleanup=None, on_crash=None, servers=None):
    """Run the sections named in `chosen` (all of them when empty) from the dict `sections`, in
    order, passing *args to each; unknown names are a failed check. With `seconds`, a watchdog
    fails the whole run after that long. `servers` is the list the sections add the processes
    they start to (objects with kill() and log_text()): their logs are shown when a section
    crashes, and they are killed at the end. `cleanup` runs either way (also on that timeout),
    after the servers are killed. Exits through finish()."""
    def show_logs():
        for s in servers or []:
            print(s.log_text()[-2000:], flush=True)
        if on_crash:
            on_crash()

    def stop_all():
        for s in servers or []:
            s.kill()
        if cleanup:
            cleanup()
    if seconds:
        def timed_out():
            check(f"the sections ran within {seconds} s", False)
            stop_all()
            os._exit(summary() or 1)
        watchdog = threading.Timer(seconds, timed_out)
        watchdog.daemon = True
        watchdog.start()
    try:
        for name in chosen or list(sections):
            if name not in sections:  # a failure; a known name is no pass of its own
                check(f"section {name} exists", False, f"known: {sorted(sections)}")
                continue
            section(name, sections[name], *args, on_crash=show_logs)
    finally:
        stop_all()
    finish()


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout=30, interval=0.1):
    """Poll fn() until it returns something true or `timeout` seconds passed; returns the last value."""
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value or time.time() >= deadline:
            return value
        time.sleep(interval)


def private_tmp(prefix="sg-test-"):
    """Put every temporary folder of this run (tempfile's default) under one of its own; returns
    the function that removes it when no check failed (a failing run leaves its files to look at)."""
    base = tempfile.mkdtemp(prefix=prefix)
    tempfile.tempdir = base

    def cleanup():
        if not _state["failed"]:
            tempfile.tempdir = None
            shutil.rmtree(base, ignore_errors=True)
    return cleanup


def setup(binary, prefix):
    """For tests that run one binary many times: remember it and make a temporary folder for write()."""
    _state["bin"] = binary
    _state["tmp"] = tempfile.mkdtemp(prefix=prefix)
    return _state["tmp"]


def run(*args, stdin=None, timeout=60):
    """Run the binary given to setup() with ARGS; returns (exit status, stdout, stderr)."""
    p = subprocess.run([_state["bin"], *args], input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def write(name, content):
    """Write text as is, or anything else as JSON, under the folder of setup(); returns the path."""
    path = os.path.join(_state["tmp"], name)
    with open(path, "w") as f:
        if isinstance(content, str):
            f.write(content)
        else:
            json.dump(content, f)
    return path


class Failure(Exception):
    """A broken condition of a case (require()): fails that case, not the whole run."""


def require(cond, msg):
    """Inside a case: stop it as failed with `msg` when cond is false."""
    if not cond:
        raise Failure(msg)


def case(name, fn, *args):
    """One named case that stops at its first broken require(): one passed or one failed check.
    Any other exception is a failure too (a bug in a case never passes)."""
    try:
        fn(*args)
    except Failure as e:
        return check(name, False, str(e))
    except Exception as e:  # a bug in a check is a failure too, never a crash
        traceback.print_exc()
        return check(name, False, f"{type(e).__name__}: {e}")
    return check(name, True)
