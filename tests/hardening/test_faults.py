#!/usr/bin/env python3
"""test_faults.py - injected faults against the real `scoregate serve`, and
what must hold through them. Sections (each a ctest entry, label `hardening`):

  kill    SIGKILL at random moments while the inventory is being saved
          (--save-interval 1 and a steady stream of admissions; half the kills
          aimed at the moment the temporary file exists): every restart loads
          the saved state (never set aside as corrupt), the count never goes
          back, no temporary files pile up, and a final graceful stop loses
          nothing. SG_HARDENING_KILLS sets the number of kills (default 20).
  disk    the state directory on a 64 KiB tmpfs (mounted here; root needed):
          filled up, then remounted read-only. The server keeps answering
          every request and says so in its log, in /metrics
          (scoregate_inventory_persisted, _save_failures_total) and in the
          /readyz detail; once writes work again it saves, says so, and
          nothing admitted is lost. Without mount permission (or with
          SG_HARDENING_NO_MOUNT=1) the same is checked with a directory put
          where inventory.bin goes.
  certs   the serving certificate files removed, truncated, garbage,
          paired with another key, expired, replaced by a dangling symlink or
          a directory while serving: each is rejected with a log
          line naming the reason, the old pair keeps being served (same
          certificate on new connections), admissions keep working, /readyz
          (200) says "new serving certificate rejected, serving the previous
          one: <why>" and scoregate_certificate_reload_failures_total counts
          it; a valid new pair is then picked up and the warning cleared. A
          restart with a partial self-managed set refuses to start and names
          the missing file.
  reload  SIGHUP with broken settings (YAML error, unknown key, bad regex,
          custom rule that does not compile, file deleted, a directory,
          binary garbage): logged with the reason, old settings kept. Then
          40 reloads (good settings alternating) under load: nothing lost.
          Each rejected reload shows on /readyz (200, "settings file broken,
          serving the previous settings: <why>") and in
          scoregate_config_reload_failures_total / _last_reload_successful;
          a good file clears it and moves
          scoregate_config_last_reload_success_timestamp_seconds.
  startup every option of serve checked before anything is written: a bad
          --address (syntax, port range), a state directory that cannot be
          made, server.tls files, client CA or inventory sync kubeconfig that
          do not exist each exit 2 with the usage error and leave the working
          directory empty; a port in use exits 1 with "cannot listen on ADDR:
          address in use" as a JSON log line, and writes nothing either.
  term    SIGTERM during sustained load (8 clients creating Pods), three
          times: every request the server took (it logs each) got its
          complete answer, it exits 0, and the inventory saved at exit holds
          exactly every resource whose admission a client saw.

Prints "N passed, N failed" last; exits non-zero on failure. Mounts and
processes are cleaned up at the end of each section.

Usage: test_faults.py SCOREGATE SECTION
"""
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import hardlib  # noqa: E402
from hardlib import (Load, Server, as_directory, dangling, healthy, healthy_pod, log_lines, privileged_pod,  # noqa: E402
                     put, read_from, review, sanitizer_report, tls_socket, write)

hardlib.SCOREGATE[0] = os.path.abspath(sys.argv[1])
SCOREGATE = hardlib.SCOREGATE[0]
SECTION = sys.argv[2]
servers = []
mounts = []


def wait_for(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def count_in_log(s, text):
    return s.log_text().count(text)


def stop_checked(s, name="the server"):
    rc = s.stop()
    check(f"{name}: exit 0 on SIGTERM", rc == 0, s.log_text()[-800:])
    report = sanitizer_report(s)
    check(f"{name}: no sanitizer report", not report, report)


def serve(state_dir, args=(), config=None, workdir=None):
    """A server on an existing state directory (the caller decides when it starts)."""
    workdir = workdir or tempfile.mkdtemp(prefix="sg-faults-")
    cfg = write(os.path.join(workdir, "config.yaml"), config) if config is not None else None
    s = Server(SCOREGATE, config=cfg, state_dir=state_dir, args=list(args), workdir=workdir)
    servers.append(s)
    return s


class Creator:
    """One keep-alive client creating uniquely named Pods through /validate
    (each allowed one enters the inventory) until stopped or `limit` is reached."""

    def __init__(self, s, prefix, limit=100000, seconds=60):
        self.s, self.prefix, self.limit, self.seconds = s, prefix, limit, seconds
        self.allowed = 0
        self.errors = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        conn = None
        deadline = time.time() + self.seconds
        for n in range(self.limit):
            if self.stop.is_set() or time.time() > deadline:
                break
            pod = healthy_pod(f"{self.prefix}-{n}") if n % 3 else privileged_pod(f"{self.prefix}-{n}")
            try:
                conn = conn or self.s.connection(timeout=10)
                status, _, data = self.s.post("/validate", review("CREATE", pod), conn)
                doc = json.loads(data)
                self.allowed += status == 200 and doc["response"]["allowed"] is True
            except Exception:  # any failure of this one request: counted, and the client reconnects
                self.errors += 1
                if conn:
                    conn.close()
                conn = None
                if self.stop.wait(0.05):
                    break
        if conn:
            conn.close()

    def start(self):
        self.thread.start()
        return self

    def halt(self):
        self.stop.set()
        self.thread.join(15)
        return self


# ---------------------------------------------------------------------------
# kill

def section_kill():
    kills = int(os.environ.get("SG_HARDENING_KILLS", "20"))
    workdir = tempfile.mkdtemp(prefix="sg-faults-kill-")
    state = os.path.join(workdir, "state")
    inv = os.path.join(state, "inventory.bin")
    floor = 0
    created = 0
    during_save = 0
    corrupt = 0
    went_back = 0
    start_fail = 0
    rng = random.Random(11)
    for i in range(kills):
        s = serve(state, ["--save-interval", "1"], workdir=workdir)
        try:
            s.start()
        except RuntimeError as e:
            start_fail += 1
            check(f"kill {i}: the server starts on the state the last kill left", False, str(e)[-600:])
            break
        if "cannot be loaded" in s.log_text() or glob.glob(inv + ".corrupt*"):
            corrupt += 1
        count = s.inventory()
        if count < floor:
            went_back += 1
        floor = max(floor, count)
        old_tmp = {n for n in os.listdir(state) if ".tmp." in n}
        c = Creator(s, f"k{i}").start()
        aimed = i % 2 == 0
        hit = False
        deadline = time.time() + (3.0 if aimed else rng.uniform(0.3, 1.5))
        if aimed:
            # Kill the moment a new save's temporary file exists (write, fsync, rename under way).
            while time.time() < deadline:
                if any(".tmp." in n and n not in old_tmp for n in os.listdir(state)):
                    s.proc.send_signal(signal.SIGKILL)
                    hit = True
                    break
        else:
            time.sleep(max(0.0, deadline - time.time()))
            s.proc.send_signal(signal.SIGKILL)
            hit = any(".tmp." in n and n not in old_tmp for n in os.listdir(state))
        s.kill()
        c.halt()
        created += c.allowed
        during_save += hit
    check(f"{kills} SIGKILLs: every restart started", start_fail == 0, start_fail)
    check(f"{kills} SIGKILLs ({during_save} while a save's temporary file existed): the state always loaded, "
          "never set aside as corrupt", corrupt == 0, corrupt)
    check("the inventory count never went back after a kill", went_back == 0, went_back)
    check(f"kills landed inside a save ({during_save} of {kills})", during_save >= 1, during_save)
    s = serve(state, ["--save-interval", "1"], workdir=workdir)
    s.start()
    before = s.inventory()
    c = Creator(s, "final", limit=40).start()
    c.thread.join(60)
    time.sleep(2.5)
    leftovers = [n for n in os.listdir(state) if ".tmp." in n]
    check("temporary files of interrupted saves do not pile up (the next save removes them)", not leftovers,
          leftovers)
    check(f"after the kills the inventory holds {before} of the {created} admitted (what the last saves held)",
          0 < before <= created, (before, created))
    expected = s.inventory()
    stop_checked(s, "after the kills")
    again = serve(state, workdir=workdir)
    again.start()
    check("a graceful stop loses nothing: the restart holds every admitted resource",
          again.inventory() == expected, (again.inventory(), expected))
    lost = expected - again.inventory()
    stop_checked(again, "the last restart")
    print(f"faults: kill: {kills} SIGKILLs, {during_save} during a save, {created} resources admitted, "
          f"{corrupt} corrupt loads, {lost} lost on the graceful stop", flush=True)


# ---------------------------------------------------------------------------
# disk

def mount_tmpfs(path, size="64k"):
    os.makedirs(path, exist_ok=True)
    if os.environ.get("SG_HARDENING_NO_MOUNT"):
        return False
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                       capture_output=True, text=True)
    if p.returncode == 0:
        mounts.append(path)
        return True
    print(f"note: cannot mount a tmpfs ({p.stderr.strip()}); using the directory fallback", flush=True)
    return False


def unmount_all():
    while mounts:
        path = mounts.pop()
        subprocess.run(["umount", "-l", path], capture_output=True)


def persisted(s):
    m = s.metrics()
    return m.get("scoregate_inventory_persisted"), m.get("scoregate_inventory_save_failures_total", 0)


def readyz(s):
    status, _, data = s.request("GET", "/readyz")
    try:
        return status, json.loads(data)
    except ValueError:
        return status, {}


def degraded_checks(s, label, reason_text):
    """While saves fail: answers keep coming, and log, metrics and readiness say why."""
    c = Creator(s, label, limit=30).start()
    c.thread.join(60)
    check(f"{label}: every admission is answered while saves fail", c.errors == 0 and c.allowed > 0,
          (c.allowed, c.errors))
    got = wait_for(lambda: persisted(s)[0] == 0, 8)
    lines = [x for x in log_lines(s) if x.get("msg") == "cannot save the inventory"]
    check(f"{label}: the log says the inventory cannot be saved, and why",
          any(reason_text in x.get("error", "") for x in lines), [x.get("error") for x in lines][-2:])
    value, failures = persisted(s)
    check(f"{label}: /metrics shows scoregate_inventory_persisted 0 and failures counted",
          got and value == 0 and failures >= 1, (value, failures))
    status, doc = readyz(s)
    check(f"{label}: /readyz stays 200 (admission works) with a warning saying why",
          status == 200 and any("cannot be saved" in w and reason_text in w for w in doc.get("warnings", [])),
          (status, doc))
    check(f"{label}: /healthz answers", healthy(s))
    return c.allowed


def recovered_checks(s, label):
    saved_again = wait_for(lambda: "inventory saved again" in s.log_text(), 8)
    check(f"{label}: once writes work, the inventory is saved and the log says so", saved_again,
          s.log_text()[-600:])
    check(f"{label}: /metrics shows scoregate_inventory_persisted 1 again", persisted(s)[0] == 1, persisted(s))
    status, doc = readyz(s)
    check(f"{label}: /readyz has no warning any more", status == 200 and not doc.get("warnings"), doc)


def section_disk():
    workdir = tempfile.mkdtemp(prefix="sg-faults-disk-")
    state = os.path.join(workdir, "state")
    mounted = mount_tmpfs(state)
    try:
        s = serve(state, ["--save-interval", "1"], workdir=workdir)
        s.start()
        c = Creator(s, "before", limit=20).start()
        c.thread.join(60)
        admitted = c.allowed
        check("writes work at first: scoregate_inventory_persisted 1",
              wait_for(lambda: persisted(s)[0] == 1 and os.path.exists(os.path.join(state, "inventory.bin")), 8))
        if mounted:
            # Fill the file system to the last few hundred bytes.
            filler = os.path.join(state, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for _ in range(1024):
                    os.write(fd, b"\0" * 512)
            except OSError:
                pass
            os.close(fd)
            admitted += degraded_checks(s, "disk full", "No space left on device")
            os.unlink(filler)
            recovered_checks(s, "disk full")
            admitted_mark = count_in_log(s, "inventory saved again")
            p = subprocess.run(["mount", "-o", "remount,ro", state], capture_output=True, text=True)
            check("the state directory is remounted read-only", p.returncode == 0, p.stderr)
            admitted += degraded_checks(s, "read-only", "Read-only file system")
            subprocess.run(["mount", "-o", "remount,rw", state], capture_output=True, text=True)
            check("read-only: saved again after the remount",
                  wait_for(lambda: count_in_log(s, "inventory saved again") > admitted_mark, 8))
            recovered_checks(s, "read-only")
        else:
            blocker = os.path.join(state, "inventory.bin")
            os.replace(blocker, blocker + ".moved")
            os.makedirs(os.path.join(blocker, "in-the-way"))
            admitted += degraded_checks(s, "failing writes", "")
            shutil.rmtree(blocker)
            os.replace(blocker + ".moved", blocker)
            recovered_checks(s, "failing writes")
        expected = s.inventory()
        stop_checked(s, "after the disk faults")
        again = serve(state, workdir=workdir)
        again.start()
        check(f"nothing admitted is lost: the restart holds all {expected} resources",
              again.inventory() == expected and expected >= admitted, (again.inventory(), expected, admitted))
        stop_checked(again, "the restart")
    finally:
        for srv in servers:
            srv.kill()
        unmount_all()


# ---------------------------------------------------------------------------
# certs

def served_cert(s):
    sock = tls_socket(s)
    der = sock.getpeercert(binary_form=True)
    sock.close()
    return der


def generate(out, days=None):
    cmd = [SCOREGATE, "certs", "generate", "--out", out, "--dns", "localhost", "--dns", "127.0.0.1"]
    if days is not None:
        cmd += ["--days", str(days)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode:
        raise RuntimeError(p.stderr)


def certs_own_files(workdir):
    """Certificate files of its own: every kind of broken replacement is rejected, the old pair kept."""
    own, other, expired = (os.path.join(workdir, d) for d in ("own", "other", "expired"))
    generate(own)
    generate(other)
    generate(expired, days=0)
    crt, key = os.path.join(own, "tls.crt"), os.path.join(own, "tls.key")
    with open(crt, "rb") as f:
        good_crt = f.read()
    config = f"server:\n  tls:\n    certFile: {crt}\n    keyFile: {key}\n"
    s = serve(os.path.join(workdir, "state"), config=config, workdir=workdir)
    s.start(wait=False)
    s.ctx = Server.make_context(os.path.join(own, "ca.crt"))
    check("serving its own certificate files", wait_for(lambda: healthy(s, 2), 30))
    original = served_cert(s)

    # The server looks at the files every 5 s, so each fault takes about that long.
    faults = [
        ("tls.crt removed", lambda: os.unlink(crt), "No such file"),
        ("tls.crt truncated", lambda: put(crt, good_crt[:len(good_crt) // 2]), "not valid PEM"),
        ("tls.crt garbage", lambda: put(crt, os.urandom(700)), "no PEM certificate"),
        ("tls.key from another pair", lambda: (put(crt, good_crt), put(key, read_from(other, "tls.key"))),
         "does not match"),
        ("an expired pair", lambda: (put(crt, read_from(expired, "tls.crt")), put(key, read_from(expired, "tls.key"))),
         "expired"),
        ("tls.crt a dangling symlink", lambda: dangling(crt, os.path.join(workdir, "nowhere")), "No such file"),
        ("tls.crt a directory", lambda: as_directory(crt), "is a directory"),
    ]
    for name, apply, reason in faults:
        seen = count_in_log(s, "new serving certificate rejected")
        failures = reload_metrics(s, "certificate")[0]
        apply()
        logged = wait_for(lambda: count_in_log(s, "new serving certificate rejected") > seen, 12)
        line = ([x for x in log_lines(s) if x.get("msg", "").startswith("new serving certificate rejected")]
                or [{}])[-1]
        check(f"{name}: rejected with a log line saying why", logged and reason in line.get("error", ""),
              line)
        check(f"{name}: the old pair is still served", served_cert(s) == original)
        status, _, _ = s.post("/validate", review("CREATE", healthy_pod(), dry_run=True))
        check(f"{name}: admissions keep working", status == 200, status)
        degraded(s, name, "certificate", "new serving certificate rejected, serving the previous one", reason,
                 failures)
    if os.path.isdir(crt) and not os.path.islink(crt):
        shutil.rmtree(crt)
    newer = os.path.join(workdir, "newer")
    generate(newer)
    put(key, read_from(newer, "tls.key"))
    put(crt, read_from(newer, "tls.crt"))
    s.ctx = Server.make_context(os.path.join(newer, "ca.crt"))
    check("a valid new pair is then served",
          wait_for(lambda: healthy(s, 2) and served_cert(s) != original, 15), s.log_text()[-500:])
    restored(s, "a valid new pair", "certificate", "new serving certificate rejected")
    stop_checked(s, "own certificate files")


def certs_self_managed(workdir):
    """Self-managed certificates: a file removed while serving, then a restart."""
    state = os.path.join(workdir, "self")
    m = serve(state, workdir=workdir)
    m.start()
    before = served_cert(m)
    seen = count_in_log(m, "new serving certificate rejected")
    os.unlink(os.path.join(state, "tls.key"))
    check("self-managed tls.key removed while serving: logged",
          wait_for(lambda: count_in_log(m, "new serving certificate rejected") > seen, 12))
    check("self-managed tls.key removed: the old pair is still served", served_cert(m) == before)
    stop_checked(m, "self-managed certificates")
    again = serve(state, workdir=workdir)
    again.start(wait=False)
    try:
        rc = again.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
    check("a restart with a partial set refuses to start, naming the missing file",
          rc not in (None, 0) and "tls.key" in again.log_text(), again.log_text()[-400:])


def section_certs():
    workdir = tempfile.mkdtemp(prefix="sg-faults-certs-")
    certs_own_files(workdir)
    certs_self_managed(workdir)


# ---------------------------------------------------------------------------
# reload

def reload_metrics(s, prefix):
    """(failures, last reload successful, last success timestamp) of scoregate_config_* or scoregate_certificate_*."""
    m = s.metrics()
    return (m.get(f"scoregate_{prefix}_reload_failures_total", -1), m.get(f"scoregate_{prefix}_last_reload_successful"),
            m.get(f"scoregate_{prefix}_last_reload_success_timestamp_seconds", 0))


def degraded(s, name, prefix, warning, reason, failures_before):
    """After a rejected reload: /readyz 200 saying so and why, and the failure counted."""
    status, doc = readyz(s)
    check(f"{name}: /readyz stays 200 and says '{warning}' with the reason",
          status == 200 and doc.get("status") == "ready" and
          any(w.startswith(warning) and reason in w for w in doc.get("warnings", [])), (status, doc))
    failures, ok, _ = reload_metrics(s, prefix)
    check(f"{name}: scoregate_{prefix}_reload_failures_total counts it, _last_reload_successful 0",
          failures >= failures_before + 1 and ok == 0, (failures_before, failures, ok))


def restored(s, name, prefix, warning, since=0):
    """After a load that worked: the warning gone, the gauge back to 1, the success timestamp moved."""
    status, doc = readyz(s)
    check(f"{name}: the /readyz warning is gone", status == 200 and not any(
        w.startswith(warning) for w in doc.get("warnings", [])), doc)
    _, ok, when = reload_metrics(s, prefix)
    check(f"{name}: scoregate_{prefix}_last_reload_successful 1, success timestamp now",
          ok == 1 and when >= int(since), (ok, when, since))


DENY = "recommendations:\n  privileged-containers: {action: deny}\n"
WARN = "recommendations:\n  privileged-containers: {action: warn}\n"


def privileged_denied(s):
    status, _, data = s.post("/validate", review("CREATE", privileged_pod("p"), dry_run=True))
    return status == 200 and json.loads(data)["response"]["allowed"] is False


def section_reload():
    workdir = tempfile.mkdtemp(prefix="sg-faults-reload-")
    config = os.path.join(workdir, "config.yaml")
    s = serve(os.path.join(workdir, "state"), config=DENY, workdir=workdir)
    s.start()
    check("with the first settings privileged containers are denied", privileged_denied(s))

    def put(text):
        if os.path.isdir(config):
            shutil.rmtree(config)
        elif os.path.lexists(config):
            os.unlink(config)
        if text is not None:
            with open(config, "wb") as f:
                f.write(text)

    broken = [
        ("a YAML syntax error", b"recommendations: [\n", "line"),
        ("an unknown key", b"recomendations: {}\n", "recomendations"),
        ("an invalid regular expression", b"recommendations:\n  trusted-registries:\n    parameters: "
         b"{allowedImagesRegex: '(unclosed'}\n", "regular expression"),
        ("a custom rule that does not compile", b"custom:\n- id: broken\n  title: t\n  severity: low\n"
         b"  control: access\n  scope: container\n  unhealthy: 'container.image ==='\n  message: m\n"
         b"  remediation: r\n", "broken"),
        ("the file deleted", None, "config.yaml"),
        ("a directory in its place", "dir", "config.yaml"),
        ("binary garbage", bytes(random.Random(3).randrange(256) for _ in range(4096)), "config.yaml"),
    ]
    for name, text, reason in broken:
        seen = count_in_log(s, "config reload failed")
        failures = reload_metrics(s, "config")[0]
        if text == "dir":
            put(None)
            os.makedirs(config)
        else:
            put(text)
        s.send(signal.SIGHUP)
        logged = wait_for(lambda: count_in_log(s, "config reload failed") > seen, 10)
        line = ([x for x in log_lines(s) if x.get("msg") == "config reload failed; keeping the old config"]
                or [{}])[-1]
        check(f"reload with {name}: logged with the reason", logged and reason in line.get("error", ""), line)
        check(f"reload with {name}: the old settings are kept", privileged_denied(s))
        degraded(s, f"reload with {name}", "config", "settings file broken, serving the previous settings", reason,
                 failures)
    put(WARN.encode())
    t0 = time.time()
    s.send(signal.SIGHUP)
    check("a good settings file: reloaded", wait_for(lambda: not privileged_denied(s), 10))
    restored(s, "a good settings file", "config", "settings file broken", t0)
    load = Load(s, threads=4, seconds=12, dry_run=True).start()
    for i in range(40):
        put((DENY if i % 2 else WARN).encode())
        s.send(signal.SIGHUP)
        time.sleep(0.2)
    load.join()
    check(f"40 reloads under load: all {load.ok} requests answered, none lost", load.lost == 0 and load.ok > 50,
          (load.ok, load.lost, load.reasons))
    reloaded = count_in_log(s, "config reloaded")
    check("the reloads took effect", reloaded >= 10, reloaded)
    stop_checked(s, "after the reloads")
    print(f"faults: reload: {len(broken)} broken settings rejected, {reloaded} reloads under load, "
          f"{load.ok} requests, {load.lost} lost", flush=True)


# ---------------------------------------------------------------------------
# term

def section_term():
    workdir = tempfile.mkdtemp(prefix="sg-faults-term-")
    state = os.path.join(workdir, "state")
    totals = {"sent": 0, "ok": 0, "taken": 0, "broken": 0, "not_taken": 0, "refused": 0}
    for round_ in range(3):
        s = serve(state, workdir=workdir)
        s.start()
        before = s.inventory()

        def creates(rng, worker, n, dry_run, round_=round_):
            pod = healthy_pod(f"t{round_}-{worker}-{n}") if rng.random() < 0.7 else privileged_pod(f"t{round_}-{worker}-{n}")
            return "/validate", review("CREATE", pod)
        load = Load(s, threads=8, seconds=20, mix=creates).start()
        time.sleep(1.5 + round_)
        s.send(signal.SIGTERM)
        try:
            rc = s.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            rc = None
        load.stop()
        taken = {x["uid"] for x in log_lines(s) if x.get("msg") == "admission" and x.get("uid", "").startswith("load-")}
        broken = {uid: why for uid, why in load.unanswered.items() if uid in taken}
        check(f"SIGTERM round {round_}: every request the server took ({len(taken)}) got its complete answer",
              not broken, list(broken.items())[:5])
        check(f"SIGTERM round {round_}: exit 0", rc == 0, s.log_text()[-600:])
        check(f"SIGTERM round {round_}: no sanitizer report", not sanitizer_report(s), sanitizer_report(s))
        again = serve(state, workdir=workdir)
        again.start()
        after = again.inventory()
        check(f"SIGTERM round {round_}: the saved inventory holds every resource admitted before the exit "
              f"({before} + {load.ok})", after == before + load.ok, (before, load.ok, after))
        stop_checked(again, f"restart after round {round_}")
        totals["sent"] += load.sent
        totals["ok"] += load.ok
        totals["taken"] += len(taken)
        totals["broken"] += len(broken)
        totals["not_taken"] += len([u for u in load.unanswered if u not in taken])
        totals["refused"] += load.refused
    print(f"faults: term: 3 SIGTERMs under load: {totals['sent']} requests sent, {totals['taken']} taken by the "
          f"server, {totals['ok']} answered, {totals['broken']} taken and not answered (lost), "
          f"{totals['not_taken']} on connections closed by the shutdown before being read, "
          f"{totals['refused']} connections refused after the listener closed", flush=True)


# ---------------------------------------------------------------------------
# startup

def run_serve(args, cwd):
    return subprocess.run([SCOREGATE, "serve"] + args, cwd=cwd, capture_output=True, text=True, timeout=60)


def section_startup():
    workdir = tempfile.mkdtemp(prefix="sg-faults-startup-")
    afile = write(os.path.join(workdir, "a-file"), "x")
    ca = os.path.join(workdir, "no-ca.crt")
    configs = {name: write(os.path.join(workdir, f"{name}.yaml"), text) for name, text in (
        ("tls", "server:\n  tls: {certFile: /nonexistent/tls.crt, keyFile: /nonexistent/tls.key}\n"),
        ("clientca", f"server:\n  tls: {{clientCAFile: {ca}}}\n"),
        ("sync", "server:\n  inventorySync: {enabled: true, kubeconfig: /nonexistent/kubeconfig}\n"),
        ("address", "server:\n  address: 'localhost:http'\n"))}
    cases = [
        ("--address nonsense", ["--address", "nonsense"], "'nonsense' is not HOST:PORT"),
        ("--address 127.0.0.1:99999", ["--address", "127.0.0.1:99999"], "'127.0.0.1:99999' is not HOST:PORT"),
        ("--address [::1", ["--address", "[::1"], "'[::1' is not HOST:PORT"),
        ("--address :-1", ["--address", ":-1"], "':-1' is not HOST:PORT"),
        ("server.address with a service name", ["-c", configs["address"]], "'localhost:http' is not HOST:PORT"),
        ("--state-dir under a file", ["--state-dir", os.path.join(afile, "state")], "is not a directory"),
        ("server.tls files that do not exist", ["-c", configs["tls"]], "/nonexistent/tls.crt"),
        ("server.tls.clientCAFile that does not exist", ["-c", configs["clientca"]], ca),
        ("an inventory sync kubeconfig that does not exist", ["-c", configs["sync"]], "/nonexistent/kubeconfig"),
        ("--max-connections 0", ["--max-connections", "0"], "--max-connections"),
    ]
    for name, args, needle in cases:
        cwd = tempfile.mkdtemp(prefix="sg-startup-", dir=workdir)
        p = run_serve(args, cwd)
        check(f"serve with {name}: exit 2 with the usage error", p.returncode == 2 and needle in p.stderr,
              (p.returncode, p.stderr[-400:]))
        check(f"serve with {name}: nothing written (no scoregate-state, no certificates)", not os.listdir(cwd),
              os.listdir(cwd))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addr = f"127.0.0.1:{taken.getsockname()[1]}"
        cwd = tempfile.mkdtemp(prefix="sg-startup-", dir=workdir)
        p = run_serve(["--address", addr], cwd)
    lines = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    check(f"serve on a port in use: exit 1 saying 'cannot listen on {addr}: address in use'",
          p.returncode == 1 and any(x.get("level") == "error" and
                                        x.get("msg", "").startswith(f"cannot listen on {addr}: address in use")
                                        for x in lines), (p.returncode, p.stderr[-400:]))
    check("serve on a port in use: the message is a JSON log line like every other",
          len(lines) == len(p.stderr.splitlines()), p.stderr[-400:])
    check("serve on a port in use: nothing written", not os.listdir(cwd), os.listdir(cwd))
    print(f"faults: startup: {len(cases)} bad options refused with exit 2 and nothing written; a port in use: "
          f"exit {p.returncode}", flush=True)


SECTIONS = {"startup": section_startup, "kill": section_kill, "disk": section_disk, "certs": section_certs, "reload": section_reload,
            "term": section_term}


if __name__ == "__main__":
    remove_tmp = harness.private_tmp("sg-hardening-")
    # Bounded: 280 s, or more for a long kill loop (scripts/soak).
    limit = max(280, 4 * int(os.environ.get("SG_HARDENING_KILLS", "0"))) if SECTION == "kill" else 280
    harness.run_sections(SECTIONS, [SECTION], seconds=limit, servers=servers,
                         cleanup=lambda: (unmount_all(), remove_tmp()))
