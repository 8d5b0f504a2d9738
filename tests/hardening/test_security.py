#!/usr/bin/env python3
"""test_security.py - the security review's checks that a machine can make,
against the real `scoregate serve` (ctest label `hardening`):

  - TLS: 1.0 and 1.1 refused, 1.2 and 1.3 accepted; every TLS 1.2 cipher
    suite the client library knows is tried, and the accepted ones must all
    be ECDHE with an AEAD cipher (GCM, ChaCha20-Poly1305, CCM), both with
    the generated ECDSA certificate and with a user's RSA certificate.
  - What is logged: Secrets, ConfigMaps and Pods carrying a marker value in
    data, stringData, annotations, env and image go through /validate and
    /mutate (allowed, denied, patched, malformed); the marker (plain and
    base64) must appear in no log line and in no /metrics sample.
  - Regular expressions from the settings: a custom rule with the
    catastrophic pattern (a+)+$ against a 100 KB image and against 1000
    containers answers fast, and the stopped checks fail closed (denied);
    host-path-volumes with thousands of volume/container pairs (past the
    rule engine's step budget) is still denied.
  - File permissions, under umask 000 as well as 022: the state directory
    0700, ca.key and tls.key 0600, inventory.bin 0600, the certificates
    0644.

Usage: test_security.py SCOREGATE
Prints "N passed, N failed" last; exits non-zero on failure.
"""
import base64
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import hardlib  # noqa: E402
from hardlib import (JSON, Server, deployment, healthy_pod, privileged_pod, review,  # noqa: E402
                     sanitizer_report, start_server)

hardlib.SCOREGATE[0] = os.path.abspath(sys.argv[1])
SCOREGATE = hardlib.SCOREGATE[0]
servers = []
AEAD = ("GCM", "CHACHA20", "CCM")


def stop_checked(s, name):
    rc = s.stop()
    check(f"{name}: exit 0 on SIGTERM", rc == 0, s.log_text()[-600:])
    check(f"{name}: no sanitizer report", not sanitizer_report(s), sanitizer_report(s))


def handshake(port, cafile, minimum=None, maximum=None, ciphers=None):
    """The negotiated (version, cipher), or None when the server refuses."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    ctx.check_hostname = False
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    try:
        ctx.set_ciphers(ciphers or "ALL:@SECLEVEL=0")
    except ssl.SSLError:
        return None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version(), tls.cipher()[0]
    except (ssl.SSLError, OSError, ValueError):
        return None


def tls12_suites():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return sorted({c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2" or "TLSv1/" in c["protocol"]
                   or c["protocol"] in ("TLSv1.0", "SSLv3")})


OLD_VERSIONS = (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1))


def client_speaks_old_versions(crt, key):
    """Whether this machine's TLS client can speak TLS 1.0 and 1.1 at all (against
    a local server that allows them): otherwise 'refused' would prove nothing."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(crt, key)
    sctx.minimum_version = ssl.TLSVersion.TLSv1
    sctx.set_ciphers("ALL:@SECLEVEL=0")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(5)

    def serve():
        for _ in OLD_VERSIONS:
            try:
                conn, _ = listener.accept()
                sctx.wrap_socket(conn, server_side=True).close()
            except (OSError, ssl.SSLError):
                pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    ok = all(handshake(listener.getsockname()[1], crt, v, v) for _, v in OLD_VERSIONS)
    t.join(5)
    listener.close()
    return ok


def check_tls(s, cafile, label, old_ok):
    for name, v in OLD_VERSIONS:
        check(f"{label}: {name} is refused (the client can speak it: {old_ok})",
              old_ok and handshake(s.port, cafile, v, v) is None)
    got12 = handshake(s.port, cafile, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    got13 = handshake(s.port, cafile, ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    check(f"{label}: TLS 1.2 is accepted", got12 is not None and got12[0] == "TLSv1.2", got12)
    check(f"{label}: TLS 1.3 is accepted", got13 is not None and got13[0] == "TLSv1.3", got13)
    accepted = [c for c in tls12_suites()
                if handshake(s.port, cafile, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, c + ":@SECLEVEL=0")]
    weak = [c for c in accepted if not c.startswith("ECDHE-") or not any(a in c for a in AEAD)]
    print(f"tls: {label}: TLS 1.2 suites accepted: {' '.join(accepted)}", flush=True)
    check(f"{label}: TLS 1.2 offers only ECDHE with AEAD ciphers ({len(accepted)} suites)", accepted and not weak,
          f"weak: {weak}")


def section_tls():
    workdir = tempfile.mkdtemp(prefix="sg-sec-rsa-")
    key, crt = os.path.join(workdir, "tls.key"), os.path.join(workdir, "tls.crt")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       capture_output=True, text=True)
    if p.returncode:
        check("openssl makes an RSA certificate", False, p.stderr)
        return
    old_ok = client_speaks_old_versions(crt, key)
    s = start_server(servers)
    check_tls(s, os.path.join(s.state_dir, "ca.crt"), "generated ECDSA certificate", old_ok)
    stop_checked(s, "ECDSA")
    cfg = f"server:\n  tls:\n    certFile: {crt}\n    keyFile: {key}\n"
    r = start_server(servers, cfg, workdir=workdir, wait=False)
    r.ctx = Server.make_context(crt)
    deadline = time.time() + 30
    while time.time() < deadline and handshake(r.port, crt) is None:
        time.sleep(0.2)
    check_tls(r, crt, "a user's RSA certificate", old_ok)
    stop_checked(r, "RSA")


MARKER = "hunter2-SECRET-MARKER-7f3a"


def marked_objects():
    b64 = base64.b64encode(MARKER.encode()).decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "db", "namespace": "shop", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"stringData": {"password": MARKER}})}},
        "type": "Opaque", "data": {"password": b64}, "stringData": {"token": MARKER}}
    secret_default = dict(secret, metadata=dict(secret["metadata"], namespace="default"))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
          "data": {"password": MARKER}}
    pod = privileged_pod("leaky")
    c = pod["spec"]["containers"][0]
    c["env"] = [{"name": "PASSWORD", "value": MARKER}]
    c["args"] = ["--password", MARKER]
    fixable = healthy_pod("fixable")
    fixable["spec"]["containers"][0].pop("resources")
    fixable["spec"]["containers"][0]["env"] = [{"name": "TOKEN", "value": MARKER}]
    fixable["metadata"]["annotations"] = {"secret": MARKER}
    return [secret, secret_default, cm, pod, deployment(fixable["spec"], "fixable"), fixable]


def section_logs():
    cfg = ("recommendations:\n  privileged-containers: {action: deny}\n  cpu-memory-limits: {action: enforce}\n"
           "  no-default-namespace: {action: deny}\n")
    s = start_server(servers, cfg)
    answered = 0
    for obj in marked_objects():
        for path in ("/validate", "/mutate"):
            for op in ("CREATE", "UPDATE", "DELETE"):
                rev = review(op, obj if op != "DELETE" else None, old=obj if op != "CREATE" else None)
                status, _, _ = s.post(path, rev)
                answered += status == 200
    body = json.dumps(review("CREATE", marked_objects()[0])).encode()
    for bad in (body[:body.index(MARKER.encode()) + 8], body.replace(MARKER.encode(), MARKER.encode() + b"\\q")):
        s.request("POST", "/validate", bad, JSON)
    check(f"{answered} reviews of objects carrying a secret were answered", answered == 36, answered)
    status, _, metrics = s.request("GET", "/metrics")
    stop_checked(s, "logging")
    log = s.log_text()
    b64 = base64.b64encode(MARKER.encode()).decode()
    for name, needle in (("the secret value", MARKER), ("its base64", b64), ("a fragment of it", MARKER[:12])):
        check(f"the log never carries {name}", needle not in log,
              [line[:200] for line in log.splitlines() if needle in line][:3])
        check(f"/metrics never carries {name}", needle.encode() not in metrics)
    check("the log never carries key material", "PRIVATE KEY" not in log)
    check("the log has one line per review with its decision", log.count('"msg":"admission"') >= 36,
          log.count('"msg":"admission"'))


REGEX_CONFIG = """
custom:
  - id: evil-regex
    title: Images should not end in a run of a
    severity: low
    control: best-practices
    scope: container
    action: deny
    unhealthy: "matches(container.image, '(a+)+$')"
    message: "container ${container.name} image ends in a run of a"
    remediation: Rename it.
recommendations:
  host-path-volumes:
    action: deny
    parameters: {allowedHostPaths: [{pathPrefix: /var/log, readOnly: true}]}
"""


def section_regex():
    s = start_server(servers, REGEX_CONFIG)
    cases = [("one container, a 100 KB image", 1, 100000, 2.0), ("1000 containers, 30-character images", 1000, 30, 5.0),
             ("10000 containers, 30-character images", 10000, 30, 15.0)]
    for name, count, length, limit in cases:
        pod = healthy_pod("evil")
        c0 = pod["spec"]["containers"][0]
        pod["spec"]["containers"] = [dict(c0, name=f"c{i}", image="a" * length + "!") for i in range(count)]
        rev = review("CREATE", pod, dry_run=True)
        t0 = time.time()
        status, _, data = s.request("POST", "/validate", json.dumps(rev).encode(), JSON)
        took = time.time() - t0
        r = json.loads(data).get("response", {}) if status == 200 else {}
        print(f"regex: {name}: {took:.3f} s", flush=True)
        check(f"(a+)+$ against {name}: answered in {took:.2f} s (< {limit} s)", status == 200 and took < limit,
              (status, took))
        check(f"(a+)+$ against {name}: the stopped check fails closed (denied)",
              r.get("allowed") is False and "evil-regex" in r.get("auditAnnotations", {}).get(
                      "failed-recommendations", ""), r.get("status"))
    for n in (100, 300):
        pod = healthy_pod("hostpaths")
        c0 = pod["spec"]["containers"][0]
        pod["spec"]["volumes"] = [{"name": f"v{i}", "hostPath": {"path": "/var/log"}} for i in range(n)]
        pod["spec"]["containers"] = [dict(c0, name=f"c{i}", volumeMounts=[{"name": f"v{i}", "mountPath": "/m",
                                                                            "readOnly": True}]) for i in range(n)]
        pod["spec"]["containers"][-1]["volumeMounts"][0]["readOnly"] = False
        status, _, data = s.request("POST", "/validate", json.dumps(review("CREATE", pod, dry_run=True)).encode(), JSON)
        r = json.loads(data).get("response", {}) if status == 200 else {}
        check(f"host-path-volumes with {n} volumes x {n} containers and one read-write mount: denied",
              r.get("allowed") is False, r.get("auditAnnotations"))
    stop_checked(s, "regex")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def section_files():
    for umask in (0o000, 0o022):
        workdir = tempfile.mkdtemp(prefix="sg-sec-files-")
        state = os.path.join(workdir, "state")
        old = os.umask(umask)
        try:
            s = Server(SCOREGATE, state_dir=state, args=["--save-interval", "1"], workdir=workdir)
            servers.append(s)
            s.start()
        finally:
            os.umask(old)
        s.post("/validate", review("CREATE", healthy_pod("perm")))
        deadline = time.time() + 5
        while time.time() < deadline and not os.path.exists(os.path.join(state, "inventory.bin")):
            time.sleep(0.1)
        stop_checked(s, f"umask {umask:03o}")
        want = {"": 0o700, "ca.key": 0o600, "tls.key": 0o600, "inventory.bin": 0o600, "ca.crt": 0o644,
                "tls.crt": 0o644}
        for name, expected in want.items():
            path = os.path.join(state, name)
            got = mode(path) if os.path.exists(path) else None
            check(f"umask {umask:03o}: {name or 'the state directory'} has mode {expected:04o}", got == expected,
                  f"{got:04o}" if got is not None else "missing")


SECTIONS = {"tls": section_tls, "logs": section_logs, "regex": section_regex, "files": section_files}


if __name__ == "__main__":
    # TLS 1.0 and 1.1 are deprecated in the ssl module; trying them is the point here.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    hardlib.asan_env_for_memory()
    remove_tmp = harness.private_tmp("sg-hardening-")
    # No section named: all of them (the ctest entry); naming some runs only those.
    harness.run_sections(SECTIONS, sys.argv[2:], seconds=280, servers=servers, cleanup=remove_tmp)
