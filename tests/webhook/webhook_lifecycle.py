"""webhook_lifecycle.py - the sections of test_webhook.py about a server over time: signals
(reload on SIGHUP, draining on SIGTERM), persistence of the inventory across restarts, the round
trip of every fix through /mutate and /validate, and TLS (own files, client certificates, hot
reload, an expired certificate).
"""
import copy
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import webhook_env as env
from webhook_client import (Server, apply_patch, check, check_review, deployment, failed_ids, healthy_pod,
                            patch_ops, privileged_pod, review, write)
from webhook_env import server, servers
import harness  # tests/harness.py (webhook_client puts tests/ on the path)


def signals_reload():
    workdir = tempfile.mkdtemp(prefix="sg-webhook-")
    config = os.path.join(workdir, "config.yaml")
    write(config, "defaults: {action: warn}\n")
    s = Server(env.SCOREGATE, config=config, workdir=workdir)
    servers.append(s)
    s.start()
    r = check_review(s, "/validate", review("CREATE", privileged_pod("a"), dry_run=True), expect_allowed=True)
    check("before SIGHUP: privileged is a warning", r is not None)
    write(config, "recommendations:\n  privileged-containers: {action: deny}\n")
    s.send(signal.SIGHUP)
    harness.wait_for(lambda: "config reloaded" in s.log_text(), timeout=10)
    r = check_review(s, "/validate", review("CREATE", privileged_pod("b"), dry_run=True), expect_allowed=False)
    check("SIGHUP with a good config: the new action applies", r is not None)
    write(config, "recommendations:\n  privileged-containers: {action: sometimes}\n")
    s.send(signal.SIGHUP)
    harness.wait_for(lambda: "config reload failed" in s.log_text(), timeout=10)
    check("SIGHUP with a bad config is logged", "config reload failed" in s.log_text(), s.log_text()[-600:])
    r = check_review(s, "/validate", review("CREATE", privileged_pod("c"), dry_run=True), expect_allowed=False)
    check("SIGHUP with a bad config keeps the old one", r is not None and s.proc.poll() is None)
    write(config, "recommendations:\n  privileged-containers: {action: deny}\n")
    return s


def signals_term_in_flight(s):
    # SIGTERM with requests in flight: each gets its complete answer, then exit 0.
    body = json.dumps(review("CREATE", healthy_pod("inflight"), dry_run=True)).encode()
    socks = []
    for _ in range(6):
        raw = socket.create_connection(("127.0.0.1", s.port), timeout=20)
        t = s.ctx.wrap_socket(raw, server_hostname="localhost")
        t.sendall(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        socks.append(t)
    idle = s.connection()
    idle.connect()
    idle.request("GET", "/healthz")
    idle.getresponse().read()
    time.sleep(0.5)
    s.send(signal.SIGTERM)
    time.sleep(1.5)
    for t in socks:
        t.sendall(body[10:])
    complete = 0
    for t in socks:
        data = b""
        try:
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                if rest and b"content-length:" in head.lower():
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(rest) >= length:
                        break
        except (OSError, ssl.SSLError):
            pass
        head, _, rest = data.partition(b"\r\n\r\n")
        try:
            doc = json.loads(rest)
            if head.startswith(b"HTTP/1.1 200") and doc["response"]["uid"]:
                complete += 1
        except (ValueError, KeyError):
            pass
        t.close()
    check("SIGTERM: every request in flight gets its complete answer", complete == len(socks),
          f"{complete} of {len(socks)}")
    try:
        rc = s.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    check("SIGTERM: exit 0 after draining (idle keep-alive connection closed)", rc == 0, s.log_text()[-600:])
    try:
        idle.request("GET", "/healthz")
        idle.getresponse().read()
        still = True
    except (OSError, ssl.SSLError, Exception):
        still = False
    check("SIGTERM: the idle keep-alive connection is closed", not still)


def section_signals():
    s = signals_reload()
    signals_term_in_flight(s)


def section_persistence():
    workdir = tempfile.mkdtemp(prefix="sg-webhook-")
    s = server(workdir=workdir)
    for i in range(3):
        check_review(s, "/validate", review("CREATE", healthy_pod(f"keep-{i}")), expect_allowed=True)
    check_review(s, "/validate", review("CREATE", privileged_pod("keep-bad")), expect_allowed=True)
    score = s.metrics().get("scoregate_secure_score_percent")
    check("four resources before the restart", s.inventory() == 4)
    check("exit 0 on SIGTERM", s.stop() == 0)
    check("the inventory is saved in the state directory",
          os.path.exists(os.path.join(s.state_dir, "inventory.bin")))
    again = Server(env.SCOREGATE, state_dir=s.state_dir, workdir=workdir)
    servers.append(again)
    again.start()
    check("the inventory count survives a restart", again.inventory() == 4, again.inventory())
    check("the score survives a restart", again.metrics().get("scoregate_secure_score_percent") == score)
    check_review(again, "/validate", review("CREATE", healthy_pod("keep-4")), expect_allowed=True)
    time.sleep(11.5)
    mtime = os.path.getmtime(os.path.join(s.state_dir, "inventory.bin"))
    check("a changed inventory is saved within the interval, before shutdown", time.time() - mtime < 10,
          time.time() - mtime)
    again.kill()
    third = Server(env.SCOREGATE, state_dir=s.state_dir, workdir=workdir)
    servers.append(third)
    third.start()
    check("after a crash (SIGKILL), the periodic save is there", third.inventory() == 5, third.inventory())
    check("exit 0 on SIGTERM", third.stop() == 0)
    with open(os.path.join(s.state_dir, "inventory.bin"), "r+b") as f:
        f.seek(20)
        f.write(b"\xff\xfe\xfd")
    fourth = Server(env.SCOREGATE, state_dir=s.state_dir, workdir=workdir)
    servers.append(fourth)
    fourth.start()
    check("a corrupt inventory is set aside and the server starts empty",
          fourth.inventory() == 0 and os.path.exists(os.path.join(s.state_dir, "inventory.bin.corrupt")))
    check("exit 0 on SIGTERM", fourth.stop() == 0)


# Per recommendation with a fix: how to break the healthy pod so that only it fails.
def _container(pod):
    return pod["spec"]["containers"][0]


BREAKERS = {
    "cpu-memory-limits": lambda p: _container(p).pop("resources"),
    "least-privileged-capabilities": lambda p: _container(p)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
    "apparmor-profiles": lambda p: p["spec"]["securityContext"].pop("appArmorProfile"),
    "privilege-escalation": lambda p: _container(p)["securityContext"].pop("allowPrivilegeEscalation"),
    "host-namespaces": lambda p: p["spec"].update(hostIPC=True),
    "readonly-root-filesystem": lambda p: _container(p)["securityContext"].pop("readOnlyRootFilesystem"),
    "automount-api-credentials": lambda p: p["spec"].pop("automountServiceAccountToken"),
    "no-cap-sys-admin": lambda p: _container(p)["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
    "privileged-containers": lambda p: _container(p)["securityContext"].update(privileged=True),
    "run-as-non-root": lambda p: p["spec"]["securityContext"].update(runAsUser=0, runAsNonRoot=False),
    "pss-host-namespaces": lambda p: p["spec"].update(hostPID=True),
    "pss-privileged": lambda p: _container(p)["securityContext"].update(privileged=True),
    "pss-capabilities-baseline": lambda p: _container(p)["securityContext"]["capabilities"].update(add=["SYS_TIME"]),
    "pss-apparmor-profile": lambda p: p["spec"]["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
    "pss-proc-mount": lambda p: _container(p)["securityContext"].update(procMount="Unmasked"),
    "pss-proc-mount-restricted": lambda p: _container(p)["securityContext"].update(procMount="Unmasked"),
    "pss-seccomp-profile-baseline": lambda p: p["spec"]["securityContext"].update(seccompProfile={"type": "Unconfined"}),
    "pss-seccomp-profile-restricted": lambda p: p["spec"]["securityContext"].pop("seccompProfile"),
    "pss-allow-privilege-escalation": lambda p: _container(p)["securityContext"].update(allowPrivilegeEscalation=True),
    "pss-run-as-non-root": lambda p: p["spec"]["securityContext"].update(runAsNonRoot=False),
    "pss-run-as-user": lambda p: p["spec"]["securityContext"].update(runAsUser=0),
    "pss-capabilities-restricted": lambda p: _container(p)["securityContext"]["capabilities"].pop("drop"),
}


def https_ingress_review():
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "site", "namespace": "shop"},
           "spec": {"tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
                    "rules": [{"host": "a.example.com"}]}}
    return ing


def section_roundtrip():
    catalog = json.loads(subprocess.run([env.SCOREGATE, "catalog", "-f", "json"], capture_output=True, text=True,
                                        timeout=60).stdout)["recommendations"]
    fixable = sorted(r["id"] for r in catalog if r.get("fix"))
    check("the catalog lists recommendations with fixes", len(fixable) >= 10, fixable)
    s = server("standards: [mcsb, pss-restricted]\ndefaults: {action: enforce}\n")
    for rec in fixable:
        if rec == "https-ingress":
            obj = https_ingress_review()
        elif rec in BREAKERS:
            obj = healthy_pod(f"rt-{rec}")
            BREAKERS[rec](obj)
        else:
            check(f"{rec}: the test knows how to break it", False, "add it to BREAKERS")
            continue
        for wrap in ("Pod", "Deployment", "CronJob") if obj["kind"] == "Pod" else ("as is",):
            target = obj
            if wrap == "Deployment":
                target = deployment(obj["spec"], f"rt-{rec}")
            elif wrap == "CronJob":
                target = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": f"rt-{rec}", "namespace": "shop"},
                          "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": copy.deepcopy(obj["spec"])}}}}}
            before = check_review(s, "/validate", review("CREATE", target, dry_run=True))
            check(f"{rec} ({wrap}): the broken object fails it", before is not None and rec in failed_ids(before),
                  before and failed_ids(before))
            r = check_review(s, "/mutate", review("CREATE", target, dry_run=True), expect_allowed=True)
            ops = patch_ops(r)
            try:
                fixed = apply_patch(target, ops)
                applied = True
            except (ValueError, KeyError, IndexError, TypeError) as e:
                applied = False
                fixed = target
                check(f"{rec} ({wrap}): the patch applies (RFC 6902)", False, f"{e}: {ops}")
            if applied:
                after = check_review(s, "/validate", review("CREATE", fixed, dry_run=True), expect_allowed=True)
                check(f"{rec} ({wrap}): /validate allows the patched object, healthy for it",
                      after is not None and rec not in failed_ids(after), after and failed_ids(after))
    # Everything at once, in every container list.
    worst = healthy_pod("worst")
    for rec in ("cpu-memory-limits", "apparmor-profiles", "privilege-escalation", "readonly-root-filesystem",
                "automount-api-credentials", "no-cap-sys-admin", "privileged-containers", "run-as-non-root",
                "host-namespaces", "pss-host-namespaces", "pss-seccomp-profile-restricted", "pss-proc-mount"):
        BREAKERS[rec](worst)
    worst["spec"]["initContainers"] = [copy.deepcopy(worst["spec"]["containers"][0])]
    worst["spec"]["initContainers"][0]["name"] = "init"
    r = check_review(s, "/mutate", review("CREATE", deployment(worst["spec"], "worst"), dry_run=True),
                     expect_allowed=True)
    try:
        fixed = apply_patch(deployment(worst["spec"], "worst"), patch_ops(r))
        after = check_review(s, "/validate", review("CREATE", fixed, dry_run=True), expect_allowed=True)
        check("all fixes at once: the patched Deployment is healthy",
              after is not None and not failed_ids(after), after and failed_ids(after))
    except (ValueError, KeyError, IndexError, TypeError) as e:
        check("all fixes at once: the patch applies", False, str(e))
    check("exit 0 on SIGTERM", s.stop() == 0)


def tls_generate(other, client):
    for d in (other, client):
        p = subprocess.run([env.SCOREGATE, "certs", "generate", "--out", d, "--service", "scoregate",
                            "--namespace", "scoregate-system", "--dns", "localhost", "--dns", "127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode:
            check("scoregate certs generate works", False, p.stderr)
            return False
    return True


def tls_own_files(workdir, other, client):
    # Own certificate files, client certificates verified against clientCAFile.
    own = os.path.join(workdir, "own")
    shutil.copytree(other, own)
    config = (f"server:\n  tls:\n    certFile: {own}/tls.crt\n    keyFile: {own}/tls.key\n"
              f"    clientCAFile: {client}/ca.crt\n")
    s = Server(env.SCOREGATE, config=write(os.path.join(workdir, "config.yaml"), config), workdir=workdir,
               state_dir=os.path.join(workdir, "state"))
    servers.append(s)
    s.start(wait=False)
    s.ctx = None
    deadline = time.time() + 30
    ctx = Server.make_context(os.path.join(own, "ca.crt"))
    while time.time() < deadline:
        try:
            s.ctx = ctx
            if s.request("GET", "/healthz")[0] == 200:
                break
        except (OSError, ssl.SSLError):
            time.sleep(0.1)
    check("server.tls certFile/keyFile are served", s.request("GET", "/healthz")[0] == 200)
    check("no certificate is generated when certFile is set",
          not os.path.exists(os.path.join(workdir, "state", "tls.crt")))
    status, _, data = s.post("/validate", review("CREATE", healthy_pod(), dry_run=True))
    check("without a client certificate, /validate is refused (403, JSON)",
          status == 403 and json.loads(data).get("code") == 403, (status, data[:200]))
    with_client = Server.make_context(os.path.join(own, "ca.crt"))
    with_client.load_cert_chain(os.path.join(client, "tls.crt"), os.path.join(client, "tls.key"))
    s.ctx = with_client
    status, _, data = s.post("/validate", review("CREATE", healthy_pod(), dry_run=True))
    check("with a client certificate from clientCAFile, /validate answers", status == 200, (status, data[:200]))
    foreign = Server.make_context(os.path.join(own, "ca.crt"))
    foreign.load_cert_chain(os.path.join(own, "tls.crt"), os.path.join(own, "tls.key"))
    s.ctx = foreign
    try:
        status, _, _ = s.post("/validate", review("CREATE", healthy_pod(), dry_run=True))
    except (OSError, ssl.SSLError):
        status = 0
    check("a client certificate from another CA is refused", status != 200, status)
    return s, own, with_client


def tls_hot_reload(workdir, s, own, client, with_client):
    # Hot reload: a new pair is picked up without a restart; a broken one is rejected.
    s.ctx = with_client
    conn = s.connection()
    conn.connect()
    newer = os.path.join(workdir, "newer")
    p = subprocess.run([env.SCOREGATE, "certs", "generate", "--out", newer, "--service", "scoregate",
                        "--namespace", "scoregate-system", "--dns", "localhost", "--dns", "127.0.0.1"],
                       capture_output=True, text=True, timeout=60)
    for name in ("tls.key", "tls.crt"):
        shutil.copy(os.path.join(newer, name), os.path.join(own, name + ".tmp"))
        os.rename(os.path.join(own, name + ".tmp"), os.path.join(own, name))
    new_ctx = Server.make_context(os.path.join(newer, "ca.crt"))
    new_ctx.load_cert_chain(os.path.join(client, "tls.crt"), os.path.join(client, "tls.key"))
    deadline = time.time() + 15
    reloaded = False
    while time.time() < deadline and not reloaded:
        time.sleep(0.5)
        try:
            s.ctx = new_ctx
            reloaded = s.request("GET", "/healthz")[0] == 200
        except (OSError, ssl.SSLError):
            pass
    check("a new certificate pair is served without a restart", reloaded, s.log_text()[-500:])
    s.ctx = with_client
    status, _, _ = s.request("GET", "/healthz", conn=conn)
    check("a connection opened before the swap keeps working", status == 200)
    conn.close()
    write(os.path.join(own, "tls.crt"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    deadline = time.time() + 15
    while time.time() < deadline and "rejected" not in s.log_text():
        time.sleep(0.5)
    check("a broken pair is rejected with a log line", "new serving certificate rejected" in s.log_text(),
          s.log_text()[-500:])
    s.ctx = new_ctx
    check("the old pair keeps being served", s.request("GET", "/healthz")[0] == 200)
    check("exit 0 on SIGTERM", s.stop() == 0)


def tls_expired(workdir):
    # An expired serving certificate: /readyz fails.
    expired = os.path.join(workdir, "expired")
    p = subprocess.run([env.SCOREGATE, "certs", "generate", "--out", expired, "--service", "scoregate",
                        "--namespace", "scoregate-system", "--dns", "localhost", "--dns", "127.0.0.1",
                        "--days", "0"], capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        cfg = f"server:\n  tls:\n    certFile: {expired}/tls.crt\n    keyFile: {expired}/tls.key\n"
        e = Server(env.SCOREGATE, config=write(os.path.join(workdir, "expired.yaml"), cfg), workdir=workdir,
                   state_dir=os.path.join(workdir, "state2"))
        servers.append(e)
        e.start(wait=False)
        try:
            rc = e.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            rc = None
        check("an expired serving certificate is refused at start with a clear message",
              rc not in (None, 0) and "expired" in e.log_text(), e.log_text()[-400:])


def section_tls():
    workdir = tempfile.mkdtemp(prefix="sg-webhook-")
    other = os.path.join(workdir, "other")
    client = os.path.join(workdir, "client")
    if tls_generate(other, client):
        s, own, with_client = tls_own_files(workdir, other, client)
        tls_hot_reload(workdir, s, own, client, with_client)
        tls_expired(workdir)
