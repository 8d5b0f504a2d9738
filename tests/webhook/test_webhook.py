#!/usr/bin/env python3
"""test_webhook.py - integration tests of `scoregate serve`: the real binary on a
loopback port, real TLS trusting only the CA it generated, every answer checked
against what the Kubernetes API server expects.

Usage: test_webhook.py SCOREGATE SECTION   (SECTION: protocol, actions,
operations, limits, signals, persistence, roundtrip, tls). Each section starts
its own servers and stops them at the end. Prints "N passed, N failed" last and
exits non-zero on any failure.
"""
import copy
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
from webhook_client import (Server, apply_patch, check_review, deployment, failed_ids,  # noqa: E402
                            healthy_pod, patch_ops, privileged_pod, review)
import webhook_env  # noqa: E402
from webhook_env import error_row, server, servers  # noqa: E402
from webhook_lifecycle import section_persistence, section_roundtrip, section_signals, section_tls  # noqa: E402

SCOREGATE = webhook_env.SCOREGATE = os.path.abspath(sys.argv[1])
SECTION = sys.argv[2]


# ---------------------------------------------------------------------------

def protocol_command_line():
    p = subprocess.run([SCOREGATE, "serve", "--help"], capture_output=True, text=True, timeout=30)
    check("serve --help documents the options", p.returncode == 0 and all(
        o in p.stdout for o in ("-c, --config", "--address", "--state-dir", "--max-body", "--timeout")), p.stdout)
    p = subprocess.run([SCOREGATE, "serve", "--bogus"], capture_output=True, text=True, timeout=30)
    check("serve with an unknown option exits 2", p.returncode == 2, p.returncode)
    p = subprocess.run([SCOREGATE, "serve", "-c", "/nonexistent/config.yaml"], capture_output=True, text=True,
                       timeout=30)
    check("serve with a missing config exits 2 naming the file",
          p.returncode == 2 and "/nonexistent/config.yaml" in p.stderr, p.stderr)
    p = subprocess.run([SCOREGATE, "serve", "--address", "nonsense", "--state-dir", tempfile.mkdtemp()],
                       capture_output=True, text=True, timeout=30)
    check("serve with a bad address fails clearly", p.returncode != 0 and "nonsense" in p.stderr, p.stderr)


def protocol_default_server():
    # The embedded default: built-ins, a self-signed certificate in ./scoregate-state.
    s = Server(SCOREGATE, default_state=True)
    servers.append(s)
    s.start()
    check("the default state directory is ./scoregate-state with the CA in it",
          os.path.exists(os.path.join(s.workdir, "scoregate-state", "ca.crt")))
    out = s.stdout_text()
    check("the start-up lines say where the CA is and how to curl it",
          "scoregate-state/ca.crt" in out and "curl --cacert" in out and f"https://localhost:{s.port}/healthz" in out,
          out)
    cert = s.ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=10), server_hostname="localhost")
    peer = cert.getpeercert()
    cert.close()
    sans = {v for _, v in peer.get("subjectAltName", ())}
    check("the generated certificate names the Service, localhost and 127.0.0.1",
          {"scoregate.scoregate-system.svc", "localhost", "127.0.0.1"} <= sans, sans)
    status, _, data = s.request("GET", "/healthz")
    check("GET /healthz over TLS trusting only the generated CA", status == 200, data)
    status, _, data = s.request("GET", "/readyz")
    check("GET /readyz is ready once certificates and config are loaded", status == 200, data)
    conn = s.connection()
    conn.connect()
    check("TLS 1.2 or newer is negotiated", conn.sock.version() in ("TLSv1.2", "TLSv1.3"), conn.sock.version())
    conn.close()
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(os.path.join(s.state_dir, "ca.crt"))
    old.check_hostname = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.set_ciphers("ALL:@SECLEVEL=0")
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with old.wrap_socket(raw, server_hostname="localhost"):
                refused = False
    except (ssl.SSLError, OSError, ValueError):
        refused = True
    check("a TLS 1.1 client is refused", refused)
    return s


def protocol_warnings(s):
    # A workload with findings: allowed with warnings (default action warn).
    pod = privileged_pod("warned")
    r = check_review(s, "/validate", review("CREATE", pod), expect_allowed=True)
    if r:
        w = r.get("warnings", [])
        check("warnings start with the summary and its score change",
              w and "secure score" in w[0] and "\u2192" in w[0], w)
        check("the warn finding is a warning naming recommendation and container",
              any("privileged-containers" in x and "app" in x for x in w), w)
        check("failed-recommendations lists the failing ids", "privileged-containers" in failed_ids(r), r)
        check("score annotations are numbers or n/a",
              r["auditAnnotations"]["score-before"] == "n/a" and
              float(r["auditAnnotations"]["score-after"]) >= 0, r["auditAnnotations"])
    # Many containers, every one failing: the warnings stay short and few.
    spec = privileged_pod()["spec"]
    base = spec["containers"][0]
    spec["containers"] = []
    for i in range(30):
        c = copy.deepcopy(base)
        c["name"] = f"container-with-a-rather-long-name-{i:02d}-" + "x" * 40
        c.pop("resources")
        c["securityContext"] = {"privileged": True, "capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}}
        spec["containers"].append(c)
    spec["hostPID"] = True
    r = check_review(s, "/validate", review("CREATE", deployment(spec, "many")), expect_allowed=True)
    if r:
        w = r["warnings"]
        check("at most 8 warning lines, the last one 'and N more'",
              len(w) <= 8 and w[-1].startswith("and ") and "more" in w[-1], w)
        check("warnings total well under 4096 characters", sum(len(x) for x in w) < 1200, sum(len(x) for x in w))
        check("long warnings are cut with an ellipsis", any(x.endswith("\u2026") for x in w), w)


def protocol_keep_alive(s):
    # Keep-alive: one TLS connection carries many requests.
    conn = s.connection()
    conn.connect()
    first = conn.sock
    ok = True
    for i in range(40):
        path = "/validate" if i % 2 else "/mutate"
        r = check_review(s, path, review("CREATE", healthy_pod(f"ka-{i}"), dry_run=True), conn=conn,
                         expect_allowed=True) if i in (0, 39) else None
        if i not in (0, 39):
            status, _, _ = s.post(path, review("CREATE", healthy_pod(f"ka-{i}"), dry_run=True), conn)
            ok = ok and status == 200
        ok = ok and conn.sock is first
    status, _, _ = s.request("GET", "/metrics", conn=conn)
    check("40 reviews and a scrape reuse one keep-alive connection", ok and status == 200 and conn.sock is first)
    conn.close()


def protocol_metrics_and_logs(s):
    m = s.metrics()
    for name in ("scoregate_admission_duration_seconds_bucket{le=\"0.0001\"}",
                 "scoregate_admission_duration_seconds_bucket{le=\"0.0005\"}",
                 "scoregate_admission_duration_seconds_count", "scoregate_inventory_resources",
                 "scoregate_certificate_expiry_timestamp_seconds", "scoregate_secure_score_percent",
                 "scoregate_control_points{control=\"access\"}", "scoregate_control_max_points{control=\"access\"}",
                 'scoregate_admission_requests_total{operation="CREATE",kind="Pod",decision="allowed"}',
                 'scoregate_findings_total{recommendation="privileged-containers",action="warn"}'):
        check(f"/metrics has {name}", name in m, sorted(m)[:50])
    check("certificate expiry metric is in the future",
          m.get("scoregate_certificate_expiry_timestamp_seconds", 0) > time.time())
    # Names the log line escapes (quote, backslash, control, non-ASCII, beyond the BMP) and one it cuts.
    odd = 'caf\u00e9 "q" \\ \t \u20ac \U0001f600 \u007f'
    long_name = "\u00e9" * 700   # 1400 bytes: cut at 1024 bytes (512 characters) and "..."
    for uid, name in (("log-odd", odd), ("log-long", long_name)):
        status, _, _ = s.post("/validate", review("CREATE", healthy_pod("ok"), uid=uid, name=name, dry_run=True))
        check(f"review {uid} answered", status == 200, status)
    log = s.log_text()
    lines = {}
    for line in log.splitlines():
        if line.startswith("{") and '"uid":"log-' in line:
            lines[json.loads(line)["uid"]] = line
    check("log lines are ASCII and keep every character of a name",
          all(x.isascii() for x in lines.values()) and json.loads(lines.get("log-odd", "{}")).get("name") == odd,
          lines.get("log-odd"))
    check("a long name in the log is cut at 1024 bytes with an ellipsis",
          json.loads(lines.get("log-long", "{}")).get("name") == "\u00e9" * 512 + "\u2026", lines.get("log-long"))
    check("logs are one JSON object per line with uid and decision",
          all(line.startswith("{") for line in log.splitlines() if line and not line.startswith("scoregate:"))
          and '"decision":"allowed"' in log and '"uid":"' in log, log[-500:])
    check("logs never carry object bodies", "registry.example.com" not in log)
    check("exit 0 on SIGTERM", s.stop() == 0, s.log_text()[-500:])


def section_protocol():
    protocol_command_line()
    s = protocol_default_server()
    protocol_warnings(s)
    protocol_keep_alive(s)
    protocol_metrics_and_logs(s)


ACTIONS_CONFIG = """
defaults: {action: warn}
recommendations:
  privileged-containers: {action: deny}
  run-as-non-root: {action: audit}
  apparmor-profiles: {action: disabled}
  cpu-memory-limits: {action: enforce}
  host-network-ports: {action: enforce}
  readonly-root-filesystem: {action: warn}
"""


def actions_deny_audit_warn(s):
    # deny
    r = check_review(s, "/validate", review("CREATE", privileged_pod("denied")), expect_allowed=False)
    if r:
        st = r["status"]
        msg = st["message"]
        check("deny: 403 naming recommendation, container, remediation and score change",
              st["code"] == 403 and "privileged-containers" in msg and "container app" in msg and
              "Fix:" in msg and "secure score" in msg and "\u2192" in msg, msg)
        check("deny: the inventory is unchanged", s.inventory() == 0)
    r = check_review(s, "/mutate", review("CREATE", privileged_pod("denied")), expect_allowed=False)
    check("deny: /mutate denies too and returns no patch", r is not None and "patch" not in r, r)
    # audit: counted, not shown
    pod = healthy_pod("audited")
    del pod["spec"]["securityContext"]["runAsNonRoot"]
    del pod["spec"]["securityContext"]["runAsUser"]
    r = check_review(s, "/validate", review("CREATE", pod), expect_allowed=True)
    if r:
        check("audit: in failed-recommendations", "run-as-non-root" in failed_ids(r), r)
        check("audit: no warning", not any("run-as-non-root" in w for w in r.get("warnings", [])), r)
    # warn
    pod = healthy_pod("warned")
    pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    r = check_review(s, "/validate", review("CREATE", pod), expect_allowed=True)
    if r:
        check("warn: allowed with a warning", any("readonly-root-filesystem" in w for w in r.get("warnings", [])), r)
    # disabled
    pod = healthy_pod("noarmor")
    del pod["spec"]["securityContext"]["appArmorProfile"]
    r = check_review(s, "/validate", review("CREATE", pod), expect_allowed=True)
    if r:
        check("disabled: not evaluated", "apparmor-profiles" not in failed_ids(r) and not r.get("warnings"), r)


def actions_enforce(s):
    # enforce with a fix
    pod = healthy_pod("limits")
    del pod["spec"]["containers"][0]["resources"]
    r = check_review(s, "/mutate", review("CREATE", pod, dry_run=True), expect_allowed=True)
    ops = patch_ops(r)
    check("enforce: /mutate returns a patch adding the limits",
          any("limits" in json.dumps(op) for op in ops), ops)
    if r:
        check("enforce: /mutate warns what it fixed", any("[fixed] cpu-memory-limits" in w for w in r["warnings"]),
              r.get("warnings"))
    fixed = apply_patch(pod, ops)
    r = check_review(s, "/validate", review("CREATE", fixed), expect_allowed=True)
    check("enforce: the patched object passes /validate", r is not None and "cpu-memory-limits" not in failed_ids(r))
    # The mutation did not happen (the mutating webhook failed open or is not
    # registered): enforce never degrades to warn, and the denial shows the patch.
    r = check_review(s, "/validate", review("CREATE", pod, dry_run=True), expect_allowed=False)
    msg = r["status"]["message"] if r else ""
    check("enforce: /validate denies an unpatched object, saying the fix was not applied",
          "cpu-memory-limits" in msg and "not applied" in msg and "/resources" in msg, msg)
    r = check_review(s, "/mutate", review("CREATE", healthy_pod("clean"), dry_run=True), expect_allowed=True)
    check("enforce: no patch when nothing changes", r is not None and "patch" not in r and "patchType" not in r, r)
    # enforce without a fix
    pod = healthy_pod("hostnet")
    pod["spec"]["hostNetwork"] = True
    for path in ("/validate", "/mutate"):
        r = check_review(s, path, review("CREATE", pod), expect_allowed=False)
        check(f"enforce without a fix: {path} denies", r is not None and
              "host-network-ports" in r["status"]["message"], r)


def actions_excluded_and_metrics(s):
    # excluded namespaces: untouched
    r = check_review(s, "/validate", review("CREATE", privileged_pod("sys", "kube-system"), namespace="kube-system"),
                     expect_allowed=True)
    check("kube-system is allowed untouched", r is not None and not r.get("warnings") and "patch" not in r and
          failed_ids(r) == set(), r)
    r = check_review(s, "/mutate", review("CREATE", privileged_pod("own", "scoregate-system"),
                                               namespace="scoregate-system"), expect_allowed=True)
    check("scoregate's own namespace is allowed untouched", r is not None and "patch" not in r, r)
    # audited, warned, noarmor and the patched "limits" were admitted for real.
    check("excluded namespaces never enter the inventory", s.inventory() == 4, s.inventory())
    m = s.metrics()
    check("findings_total counts per recommendation and action",
          m.get('scoregate_findings_total{recommendation="privileged-containers",action="deny"}', 0) >= 2 and
          m.get('scoregate_findings_total{recommendation="run-as-non-root",action="audit"}', 0) >= 1, m)
    check("requests_total counts denied and patched decisions",
          m.get('scoregate_admission_requests_total{operation="CREATE",kind="Pod",decision="denied"}', 0) >= 2 and
          m.get('scoregate_admission_requests_total{operation="CREATE",kind="Pod",decision="patched"}', 0) >= 1, m)
    check("exit 0 on SIGTERM", s.stop() == 0)


def actions_score_gate():
    # The score gate: three healthy pods score 100%; a bad one would bring it to 89.29%.
    for gate_config, word in (("scoreGate: {minScore: 95}\n", "minScore"), ("scoreGate: {maxDrop: 5}\n", "maxDrop")):
        gate = server(gate_config)
        for i in range(3):
            check_review(gate, "/validate", review("CREATE", healthy_pod(f"good-{i}")), expect_allowed=True)
        bad = privileged_pod("gated")
        for c in bad["spec"]["containers"]:
            c.pop("resources")
            c["securityContext"] = {"privileged": True}
        r = check_review(gate, "/validate", review("CREATE", bad), expect_allowed=False)
        check(f"score gate {word}: a request lowering the score too far is denied with 403",
              r is not None and r["status"]["code"] == 403 and "score gate" in r["status"]["message"] and
              word in r["status"]["message"], r)
        check(f"score gate {word}: the inventory is unchanged", gate.inventory() == 3)
        r = check_review(gate, "/validate", review("DELETE", None, old=healthy_pod("good-0")), expect_allowed=True)
        check(f"score gate {word}: a delete is never blocked", r is not None and gate.inventory() == 2,
              gate.inventory())
        r = check_review(gate, "/validate", review("CREATE", healthy_pod("good-9")), expect_allowed=True)
        check(f"score gate {word}: a request that keeps the score passes", r is not None)
        check("exit 0 on SIGTERM", gate.stop() == 0)


def actions_expired_exemption():
    # An exemption that has expired no longer applies, and the user and the log are told which one.
    expired = server("recommendations: {privileged-containers: {action: deny}}\n"
                     "exemptions:\n"
                     "  - name: old-waiver\n"
                     "    recommendations: [privileged-containers, run-as-non-root]\n"
                     "    match: {namespaces: [shop]}\n"
                     "    category: waiver\n"
                     "    expires: \"2021-06-30T00:00:00Z\"\n"
                     "    justification: long gone\n")
    pod = privileged_pod("was-exempt")
    del pod["spec"]["securityContext"]["runAsNonRoot"]
    r = check_review(expired, "/validate", review("CREATE", pod), expect_allowed=False)
    lines = [w for w in (r or {}).get("warnings", []) if w.startswith("exemption old-waiver expired on")]
    check("expired exemption: denied, and one warning names it, its expiry and what applies again",
          len(lines) == 1 and "2021-06-30T00:00:00Z" in lines[0] and "privileged-containers" in lines[0] and
          "run-as-non-root" in lines[0], (r or {}).get("warnings"))
    logged = [json.loads(line) for line in expired.log_text().splitlines() if '"admission"' in line]
    check("expired exemption: the log line lists it",
          any(e.get("name") == "old-waiver" and e.get("expires") == "2021-06-30T00:00:00Z"
                  for entry in logged for e in entry.get("expiredExemptions", [])), logged[-1:])
    check("exit 0 on SIGTERM", expired.stop() == 0)


def actions_ownership():
    # Exemptions follow ownership: the exempt Deployment's ReplicaSet and Pods are admitted, across a
    # restart (the controllers seen are saved with the inventory); a forged owner reference is not.
    owners = server("recommendations: {run-as-non-root: {action: deny}}\n"
                    "exemptions:\n  - {name: legacy-web, recommendations: [run-as-non-root], category: waiver,"
                    " match: {namespaces: [shop], kinds: [Deployment], names: [web]}}\n")
    root = healthy_pod("x")
    root["spec"]["securityContext"]["runAsUser"] = 0
    del root["spec"]["securityContext"]["runAsNonRoot"]

    def owned_by(obj, name, uid, owner=None):
        obj = copy.deepcopy(obj)
        obj["metadata"].update({"name": name, "uid": uid})
        if owner:
            api, kind, oname, ouid = owner
            obj["metadata"]["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": oname, "uid": ouid,
                                                   "controller": True}]
        return obj

    dep = owned_by(deployment(root["spec"], name="web"), "web", "d-1")
    rs = owned_by(dep, "web-5d8f", "r-1", ("apps/v1", "Deployment", "web", "d-1"))
    rs["kind"] = "ReplicaSet"
    for obj in (dep, rs, owned_by(root, "web-5d8f-a", "p-1", ("apps/v1", "ReplicaSet", "web-5d8f", "r-1"))):
        r = check_review(owners, "/validate", review("CREATE", obj), expect_allowed=True)
        check(f"ownership: exempt {obj['kind']} of the Deployment admitted", r is not None)
    forged = owned_by(root, "sneaky", "p-2", ("apps/v1", "ReplicaSet", "web-5d8f", "r-forged"))
    check_review(owners, "/validate", review("CREATE", forged), expect_allowed=False)
    owners.stop()
    owners.start()
    r = check_review(owners, "/validate",
                     review("CREATE", owned_by(root, "web-5d8f-b", "p-3", ("apps/v1", "ReplicaSet", "web-5d8f", "r-1"))),
                     expect_allowed=True)
    check("ownership: after a restart the saved controllers still vouch for new Pods", r is not None)
    check("exit 0 on SIGTERM", owners.stop() == 0)


def section_actions():
    s = server(ACTIONS_CONFIG)
    actions_deny_audit_warn(s)
    actions_enforce(s)
    actions_excluded_and_metrics(s)
    actions_score_gate()
    actions_expired_exemption()
    actions_ownership()


def section_operations():
    s = server()
    check("the inventory starts empty", s.inventory() == 0)
    pod = healthy_pod("p1")
    check_review(s, "/validate", review("CREATE", pod), expect_allowed=True)
    check("CREATE adds the resource", s.inventory() == 1)
    check_review(s, "/validate", review("CREATE", healthy_pod("p2"), dry_run=True), expect_allowed=True)
    check_review(s, "/validate", review("DELETE", None, old=pod, dry_run=True), expect_allowed=True)
    check("dry-run CREATE and DELETE leave the inventory as it was", s.inventory() == 1, s.inventory())
    worse = privileged_pod("p1")
    r = check_review(s, "/validate", review("UPDATE", worse, old=pod), expect_allowed=True)
    check("UPDATE replaces the resource and predicts the drop",
          r is not None and s.inventory() == 1 and r["auditAnnotations"]["score-delta"].startswith("-"),
          r and r["auditAnnotations"])
    r = check_review(s, "/validate", review("UPDATE", pod, old=worse), expect_allowed=True)
    check("UPDATE back restores the score", r is not None and
          r["auditAnnotations"]["score-after"] == "100.00", r and r["auditAnnotations"])
    r = check_review(s, "/validate", review("CREATE", pod, sub="status"), expect_allowed=True)
    r2 = check_review(s, "/validate", review("UPDATE", worse, old=pod, sub="scale"), expect_allowed=True)
    check("status and scale subresources are allowed untouched",
          r is not None and r2 is not None and not r2.get("warnings") and s.inventory() == 1)
    rev = review("CONNECT", {"apiVersion": "v1", "kind": "PodExecOptions", "command": ["sh"]}, sub="exec", name="p1")
    r = check_review(s, "/validate", rev, expect_allowed=True)
    check("CONNECT is allowed", r is not None)
    owned = privileged_pod("web-abc12")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                             "uid": "1", "controller": True}]
    r = check_review(s, "/validate", review("CREATE", owned), expect_allowed=True)
    check("an owned Pod is evaluated but not inventoried",
          r is not None and "privileged-containers" in failed_ids(r) and s.inventory() == 1, s.inventory())
    dep = deployment(privileged_pod()["spec"], "web")
    check_review(s, "/validate", review("CREATE", dep), expect_allowed=True)
    check("a Deployment is inventoried", s.inventory() == 2)
    r = check_review(s, "/validate", review("DELETE", None, old=dep), expect_allowed=True)
    check("DELETE (object null, oldObject set) removes it", r is not None and s.inventory() == 1)
    bare = review("DELETE", None, old=None, name="p1")
    bare["request"]["kind"] = {"group": "", "version": "v1", "kind": "Pod"}
    r = check_review(s, "/validate", bare, expect_allowed=True)
    check("DELETE without oldObject removes by namespace and name", r is not None and s.inventory() == 0)
    eph = privileged_pod("debugged")
    eph["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox",
                                           "securityContext": {"privileged": True}}]
    r = check_review(s, "/validate", review("UPDATE", eph, old=healthy_pod("debugged"), sub="ephemeralcontainers"),
                     expect_allowed=True)
    check("the ephemeralcontainers subresource is checked",
          r is not None and any("debug" in w for w in r.get("warnings", [])), r and r.get("warnings"))
    check("exit 0 on SIGTERM", s.stop() == 0)


JSON_CT = {"Content-Type": "application/json"}


def limits_bad_requests(s):
    json_ct = JSON_CT
    ok_body = json.dumps(review("CREATE", healthy_pod())).encode()
    error_row(s, "unknown path", "GET", "/nope", None, {}, 404)
    error_row(s, "unknown path with POST", "POST", "/validate/x", ok_body, json_ct, 404)
    error_row(s, "GET /validate", "GET", "/validate", None, {}, 405)
    error_row(s, "PUT /mutate", "PUT", "/mutate", ok_body, json_ct, 405)
    error_row(s, "POST /healthz", "POST", "/healthz", b"{}", json_ct, 405)
    error_row(s, "text/plain body", "POST", "/validate", ok_body, {"Content-Type": "text/plain"}, 415)
    error_row(s, "no content type", "POST", "/validate", ok_body, {}, 415)
    error_row(s, "application/jsonx", "POST", "/mutate", ok_body, {"Content-Type": "application/jsonx"}, 415)
    status, _, _ = s.request("POST", "/validate", ok_body, {"Content-Type": "application/json; charset=utf-8"})
    check("application/json with a charset is accepted", status == 200, status)
    big = b'{"pad":"' + b"x" * 70000 + b'"}'
    error_row(s, "body above --max-body (Content-Length)", "POST", "/validate", big, json_ct, 413)

    def chunks():
        for _ in range(20):
            yield b"x" * 8192
    conn = s.connection()
    conn.request("POST", "/validate", body=chunks(), headers=dict(json_ct), encode_chunked=True)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    check("chunked body above --max-body: 413 with a JSON body",
          resp.status == 413 and json.loads(data).get("code") == 413, (resp.status, data[:200]))


def limits_malformed_reviews(s):
    json_ct = JSON_CT
    bad = [
        ("invalid JSON", b"{not json"),
        ("not an object", b"[1,2]"),
        ("empty body", b""),
        ("v1beta1", json.dumps(dict(review("CREATE", healthy_pod()), apiVersion="admission.k8s.io/v1beta1")).encode()),
        ("wrong kind", json.dumps(dict(review("CREATE", healthy_pod()), kind="Pod")).encode()),
        ("no request", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).encode()),
    ]
    bad.append(("an apiVersion of 120 two-byte characters (the message quotes and cuts it)",
                json.dumps(dict(review("CREATE", healthy_pod()), apiVersion="x" + "\u00e9" * 120),
                           ensure_ascii=False).encode()))
    r = review("CREATE", healthy_pod())
    del r["request"]["uid"]
    bad.append(("no uid", json.dumps(r).encode()))
    r = review("CREATE", healthy_pod())
    r["request"]["operation"] = "PATCH"
    bad.append(("unknown operation", json.dumps(r).encode()))
    r = review("UPDATE", healthy_pod())
    bad.append(("UPDATE without oldObject", json.dumps(r).encode()))
    r = review("CREATE", None)
    bad.append(("CREATE without object", json.dumps(r).encode()))
    r = review("CREATE", healthy_pod())
    r["request"]["object"] = "a string"
    bad.append(("object of the wrong type", json.dumps(r).encode()))
    r = review("CREATE", healthy_pod())
    r["request"]["dryRun"] = "yes"
    bad.append(("dryRun not a boolean", json.dumps(r).encode()))
    for name, body in bad:
        error_row(s, f"malformed review: {name}", "POST", "/validate", body, json_ct, 400)
    status, _, data = s.request("POST", "/validate", bad[3][1], json_ct)
    check("v1beta1 is rejected naming the supported version", b"admission.k8s.io/v1" in data and
          b"admissionReviewVersions" in data, data)
    r = review("CREATE", healthy_pod())
    r["request"]["object"]["spec"]["containers"] = 5
    rr = check_review(s, "/validate", r, expect_allowed=False)
    check("an object that cannot be evaluated is denied with code 400 and why",
          rr is not None and rr["status"]["code"] == 400 and "containers" in rr["status"]["message"], rr)
    log = s.log_text()
    check("every refusal is logged", log.count('"status":415') >= 3 and log.count('"status":400') >= 13 and
          log.count('"status":413') >= 2, log[-800:])


def limits_slow_client(s):
    # A slow client cannot hold the server: others are served, and it is cut after --timeout.
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    slow = s.ctx.wrap_socket(raw, server_hostname="localhost")
    slow.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    status, _, _ = s.request("GET", "/healthz")
    check("a slow client does not block others", status == 200)
    start = time.time()
    try:
        data = slow.recv(4096)
        closed = True
    except (OSError, ssl.SSLError):
        closed = True
    check("the slow client is disconnected after the timeout", closed and time.time() - start < 8,
          time.time() - start)
    slow.close()
    check("exit 0 on SIGTERM", s.stop() == 0)


def limits_connections():
    # The connection limit: connections beyond it are not served (they wait in
    # the kernel's backlog until a slot frees, or are closed).
    s = server(args=["--max-connections", "4", "--timeout", "10"])
    held = []
    for _ in range(4):
        c = s.connection()
        c.connect()
        held.append(c)
    refused = False
    try:
        status, _, _ = s.request("GET", "/healthz", conn=s.connection(timeout=2))
    except (OSError, ssl.SSLError, ConnectionError):
        refused = True
    check("connections beyond --max-connections are refused", refused)
    for c in held:
        c.close()
    time.sleep(0.5)
    status, _, _ = s.request("GET", "/healthz")
    check("after they close, new connections are served", status == 200)
    check("exit 0 on SIGTERM", s.stop() == 0)


def section_limits():
    s = server(args=["--timeout", "2", "--max-body", "65536"])
    limits_bad_requests(s)
    limits_malformed_reviews(s)
    limits_slow_client(s)
    limits_connections()


SECTIONS = {
    "protocol": section_protocol, "actions": section_actions, "operations": section_operations,
    "limits": section_limits, "signals": section_signals, "persistence": section_persistence,
    "roundtrip": section_roundtrip, "tls": section_tls,
}


if __name__ == "__main__":
    harness.run_sections(SECTIONS, [SECTION], seconds=240, servers=servers)
