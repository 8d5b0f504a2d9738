#!/usr/bin/env python3
"""soak.py - sustained mixed load against the real `scoregate serve`, with the
server's resident memory sampled throughout.

The load: keep-alive clients sending CREATE, UPDATE and DELETE reviews of Pods
and Deployments (healthy and failing; a bounded set of names, so the
inventory reaches a steady size) to /validate and /mutate, while a side
thread every second scrapes /metrics and /readyz, posts a malformed review
(400) and an oversized one (413), and every 5 seconds sends SIGHUP (reload).
What must hold: no request lost (every one gets its complete, valid answer),
the server up to the end and exiting 0 on SIGTERM with no sanitizer report,
and VmRSS growing less than 5% from the end of the warm-up (the first
half of the run, at least 15 s and at most 60 s) to the end.

With --valgrind the server runs under valgrind memcheck (a build without
sanitizers is needed: scripts/soak makes one); then valgrind's summary must
show no errors (invalid reads or writes, uses of uninitialised values) and no
definitely lost bytes, and is printed.

Usage: soak.py SCOREGATE [--seconds N] [--threads N] [--valgrind] [--report FILE]
Prints "N passed, N failed" last; exits non-zero on failure. --report writes
the figures as JSON (scripts/soak puts them into HARDENING.md by hand).
"""
import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
from hardlib import (JSON, Load, Server, asan_env_for_memory, healthy, log_problems, raw_exchange,  # noqa: E402
                     rss_kib, sanitizer_report, write)

GROWTH_LIMIT = 0.05

CONFIG = """
recommendations:
  privileged-containers: {action: deny}
  cpu-memory-limits: {action: enforce}
  readonly-root-filesystem: {action: enforce}
"""


def start_server(opts, workdir):
    """The server under soak (under valgrind with --valgrind), ready; returns it and valgrind's log path."""
    config = write(os.path.join(workdir, "config.yaml"), CONFIG)
    s = Server(os.path.abspath(opts.scoregate), config=config, workdir=workdir,
               args=["--threads", "2", "--save-interval", "2"])
    vg_log = os.path.join(workdir, "valgrind.log")
    if opts.valgrind:
        # The Server helper runs its binary with "serve ..."; a wrapper script puts valgrind in front.
        wrapper = write(os.path.join(workdir, "scoregate-under-valgrind"),
                        "#!/bin/sh\nexec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite "
                        "--errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 "
                        f"--log-file={vg_log} {os.path.abspath(opts.scoregate)} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        s.binary = wrapper
    s.start(wait=False)
    s.wait_ready(timeout=300 if opts.valgrind else 30)
    return s, vg_log


def side_work(s, side, stop):
    """Once a second beside the load: scrapes, a malformed and an oversized request; a reload every 5 s."""
    n = 0
    while not stop.wait(1.0):
        n += 1
        try:
            ok = s.request("GET", "/metrics")[0] == 200 and s.request("GET", "/readyz")[0] == 200
            side["scrapes"] += 1
            ok = ok and s.request("POST", "/validate", b'{"apiVersion":', JSON)[0] == 400
            side["bad"] += 1
            status = raw_exchange(s, b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: 999999999\r\n\r\n")[0]
            ok = ok and status == 413
            side["oversized"] += 1
        except OSError:
            ok = False
        side["side_failures"] += not ok
        if n % 5 == 0:
            s.send(signal.SIGHUP)
            side["reloads"] += 1


def sampler(s, samples, stop):
    t0 = time.time()
    while not stop.wait(1.0):
        samples.append((round(time.time() - t0, 1), rss_kib(s.proc.pid)))


def run_load(s, opts):
    """The load with side traffic and memory sampling; returns (load, elapsed seconds, samples, side)."""
    samples = []
    side = {"scrapes": 0, "bad": 0, "oversized": 0, "reloads": 0, "side_failures": 0}
    stop = threading.Event()
    threads = [threading.Thread(target=side_work, args=(s, side, stop), daemon=True),
               threading.Thread(target=sampler, args=(s, samples, stop), daemon=True)]
    for t in threads:
        t.start()
    t0 = time.time()
    load = Load(s, threads=opts.threads, seconds=opts.seconds, timeout=120 if opts.valgrind else 20).start()
    load.join()
    elapsed = time.time() - t0
    stop.set()
    for t in threads:
        t.join(10)
    return load, elapsed, samples, side


def valgrind_summary(vg_log):
    text = open(vg_log).read() if os.path.exists(vg_log) else ""
    m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    errors = int(m.group(1)) if m else -1
    definite = re.search(r"definitely lost: ([\d,]+) bytes", text)
    lost = int(definite.group(1).replace(",", "")) if definite else 0
    tail = "\n".join(line for line in text.splitlines()[-25:] if line.startswith("=="))
    print(tail, flush=True)
    check(f"valgrind memcheck: {errors} errors", errors == 0, text[-3000:])
    check(f"valgrind memcheck: {lost} bytes definitely lost", lost == 0, text[-3000:])
    return {"valgrind_errors": errors, "valgrind_definitely_lost": lost, "valgrind_summary": tail}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scoregate")
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--report")
    opts = ap.parse_args()
    asan_env_for_memory()
    cleanup = harness.private_tmp("sg-hardening-")
    s, vg_log = start_server(opts, tempfile.mkdtemp(prefix="sg-soak-"))
    # Sanitizer allocators settle slowly: the warm-up is half of a short run.
    warmup = max(15.0, min(opts.seconds / 2, 60.0))
    load, elapsed, samples, side = run_load(s, opts)
    up = healthy(s, 30)
    warm = [r for t, r in samples if t <= warmup]
    rss_warm = warm[-1] if warm else 0
    rss_end = samples[-1][1] if samples else 0
    rss_max = max((r for t, r in samples if t > warmup), default=0)
    growth = (rss_end - rss_warm) / rss_warm if rss_warm else 1.0
    rate = load.ok / elapsed if elapsed else 0
    check(f"{load.sent} requests over {elapsed:.0f} s ({rate:.0f}/s), none lost", load.lost == 0 and load.ok > 0,
          (load.ok, load.lost, load.reasons))
    check(f"side traffic: {side['scrapes']} scrapes, {side['bad']} malformed (400), {side['oversized']} "
          f"oversized (413), {side['reloads']} reloads, all answered as documented", side["side_failures"] == 0,
          side)
    check("the server is up at the end", up)
    check(f"VmRSS after warm-up {rss_warm // 1024} MiB, at the end {rss_end // 1024} MiB "
          f"(peak after warm-up {rss_max // 1024} MiB): growth {growth * 100:.1f}% < 5%",
          growth < GROWTH_LIMIT, samples[::max(1, len(samples) // 20)])
    rc = s.stop(timeout=300 if opts.valgrind else 30)
    check("exit 0 on SIGTERM", rc == 0, s.log_text()[-800:])
    report = sanitizer_report(s)
    check("no sanitizer report", not report, report)
    n, problems = log_problems(s)
    check(f"all {n} log lines are JSON objects, numbers with three decimals", n > 0 and not problems, problems)
    summary = valgrind_summary(vg_log) if opts.valgrind else {}
    if opts.report:
        with open(opts.report, "w") as f:
            json.dump(dict(seconds=round(elapsed), requests=load.sent, answered=load.ok, lost=load.lost,
                           refused=load.refused, rate=round(rate), rss_warm_kib=rss_warm, rss_end_kib=rss_end,
                           rss_peak_kib=rss_max, growth_percent=round(growth * 100, 2), side=side,
                           samples=samples, **summary), f, indent=1)
    if not harness.failed():
        cleanup()
    return harness.summary()


if __name__ == "__main__":
    sys.exit(main())
