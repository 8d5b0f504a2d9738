#!/usr/bin/env python3
"""test_hostile.py - hostile input against the real `scoregate serve` over real
TLS. What it checks, per section (each a ctest entry, label `hardening`):

  body   truncated and malformed JSON; a wrong type in every field of an
         AdmissionReview (those scoregate reads get 400, those it does not
         read are ignored); missing uid; nesting up to and past jansson's
         2048 levels; multi-MiB uid, kind, name, annotation and container
         name; 5000 containers; 2000 labels; bodies at, over and far over
         the size limit (Content-Length and chunked); valid and invalid
         chunked encodings.
  http   wrong methods and content types; header floods (many headers, huge
         values, huge URLs); odd request lines; HTTP/2 and HTTP/1.0.
  tls    plain HTTP to the TLS port, random bytes, truncated and aborted
         handshakes, a burst of aborted handshakes.
  slow   slowloris: many connections sending headers (or a body) a byte at a
         time while a normal client keeps getting answers within its
         timeout; silent connections are cut after --timeout.
  flood  connections up to and past --max-connections, a burst of
         connect/close far past it, and many connections each holding most
         of a maximum-size body (memory bounded by the server-wide body
         budget; a further body gets 503).

After every case the server must still answer /healthz. Each section runs
its cases twice and compares the server's resident memory (VmRSS) and open
file descriptors after the second round with the level after the first
(warm-up) round, within a tolerance; at the end the server must exit 0 on
SIGTERM with no sanitizer report. Prints "N passed, N failed" last.

Usage: test_hostile.py SCOREGATE SECTION
"""
import json
import os
import random
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import hardlib  # noqa: E402
from hardlib import (asan_env_for_memory, deployment, fd_count, healthy, healthy_pod, log_problems,  # noqa: E402
                     post_raw, privileged_pod, raw_exchange, read_response, request_bytes, review, rss_kib,
                     sanitizer_report, start_server, status_json, tls_socket)

hardlib.SCOREGATE[0] = os.path.abspath(sys.argv[1])
SECTION = sys.argv[2]
servers = []
MIB = 1 << 20
MAX_BODY = 3 * MIB           # --max-body of the servers here (smaller than the default: faster)
LIMIT_ARGS = ["--max-body", str(MAX_BODY)]

# Memory may grow by this much between the warm-up round and the second one.
RSS_SLACK_KIB = 24 * 1024
RSS_SLACK_RATIO = 0.10

CONFIG = """
recommendations:
  privileged-containers: {action: deny}
  cpu-memory-limits: {action: enforce}
"""


def expect_status(s, name, got, code, json_body=True):
    """An HTTP error with a Kubernetes Status body of that code (json_body),
    or just the status (libmicrohttpd's own refusals carry HTML)."""
    status, headers, body = got
    if json_body:
        doc = status_json(body)
        ok = status == code and headers.get("content-type", "").startswith("application/json") and \
            doc.get("kind") == "Status" and doc.get("code") == code and bool(doc.get("message"))
    else:
        ok = status == code
    check(f"{name}: HTTP {code}", ok, f"got {status} {body[:200]!r}")
    check(f"{name}: the server stays up", healthy(s))


def expect_review(s, name, got, uid, allowed=None, code=None):
    """HTTP 200 with an AdmissionReview echoing uid (and the decision asked for)."""
    status, _, body = got
    doc = status_json(body)
    resp = doc.get("response") or {}
    problems = []
    if status != 200:
        problems.append(f"HTTP {status}")
    if doc.get("kind") != "AdmissionReview" or resp.get("uid") != uid:
        problems.append("not an AdmissionReview echoing the uid")
    if allowed is not None and resp.get("allowed") is not allowed:
        problems.append(f"allowed {resp.get('allowed')}")
    if code is not None and (resp.get("status") or {}).get("code") != code:
        problems.append(f"status {resp.get('status')}")
    warnings = resp.get("warnings", [])
    if len(warnings) > 8 or any(len(w) > 120 for w in warnings):
        problems.append("warnings beyond 8 lines or 120 characters")
    if len((resp.get("status") or {}).get("message", "")) > 8192:
        problems.append("denial message longer than 8 KiB")
    check(f"{name}: an AdmissionReview answer" + (f" ({code})" if code else ""), not problems,
          "; ".join(problems) + f" {body[:200]!r}")
    check(f"{name}: the server stays up", healthy(s))
    return resp


def twice(s, cases):
    """Run the section's cases as a warm-up round and again; memory and file
    descriptors after the second round must be back at the first round's level."""
    cases()
    time.sleep(0.5)
    rss1, fds1 = rss_kib(s.proc.pid), fd_count(s.proc.pid)
    cases()
    time.sleep(1.0)
    rss2, fds2 = rss_kib(s.proc.pid), fd_count(s.proc.pid)
    check(f"{SECTION}: VmRSS back at its level after the second round "
          f"({rss1 // 1024} MiB -> {rss2 // 1024} MiB)",
          rss2 <= rss1 * (1 + RSS_SLACK_RATIO) + RSS_SLACK_KIB, f"{rss1} KiB -> {rss2} KiB")
    check(f"{SECTION}: open file descriptors back at their level ({fds1} -> {fds2})", fds2 <= fds1 + 2,
          f"{fds1} -> {fds2}")
    print(f"memory: {SECTION}: VmRSS {rss1} KiB after warm-up, {rss2} KiB after the second round; "
          f"fds {fds1} -> {fds2}", flush=True)


def stop_checked(s):
    rc = s.stop()
    check("exit 0 on SIGTERM", rc == 0, s.log_text()[-800:])
    report = sanitizer_report(s)
    check("no sanitizer report in the server's log", not report, report)
    n, problems = log_problems(s)
    check(f"all {n} log lines are JSON objects with time, level and msg, numbers with three decimals",
          n > 0 and not problems, problems)


# ---------------------------------------------------------------------------
# body

FIELD_VALUES = [5, 1.5, "s", [], {}, True, None]


def wrong_type_cases():
    """(name, review, expected): one per field and wrong value. expected is
    400 (refused), or 200 (answered: a value of the right type, or a field
    scoregate does not read)."""
    def set_path(rev, path, value):
        node = rev
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value

    def expect(field, v):
        string = isinstance(v, str)
        if field in ("apiVersion", "kind", "request", "request.kind", "request.operation"):
            return 400
        if field == "request.uid" or field in ("request.kind.kind", "request.kind.version"):
            return 200 if string else 400
        if field in ("request.kind.group", "request.namespace", "request.name", "request.subResource"):
            return 200 if string or v is None else 400
        if field in ("request.object", "request.oldObject"):
            return 200 if isinstance(v, dict) else 400
        if field == "request.dryRun":
            return 200 if isinstance(v, bool) or v is None else 400
        return 200   # not read by scoregate: ignored

    fields = ["apiVersion", "kind", "request", "request.uid", "request.kind", "request.kind.kind",
              "request.kind.version", "request.kind.group", "request.operation", "request.object",
              "request.oldObject", "request.dryRun", "request.namespace", "request.name", "request.subResource",
              "request.resource", "request.requestKind", "request.requestResource", "request.userInfo",
              "request.userInfo.username", "request.userInfo.groups", "request.options"]
    out = []
    for field in fields:
        for v in FIELD_VALUES:
            op = "UPDATE" if field == "request.oldObject" else "CREATE"
            rev = review(op, healthy_pod("types"), old=healthy_pod("types") if op == "UPDATE" else None,
                         dry_run=True)
            set_path(rev, field.split("."), v)
            out.append((f"{field} = {json.dumps(v)}", rev, expect(field, v)))
    return out


def body_malformed_json(s, good_body):
    # Truncated JSON at many cut points.
    for cut in sorted({1, 2, len(good_body) // 7, len(good_body) // 3, len(good_body) // 2,
                       len(good_body) - 2, len(good_body) - 1}):
        expect_status(s, f"body cut at {cut} of {len(good_body)} bytes", post_raw(s, "/validate", good_body[:cut]), 400)
    malformed = [
        ("empty", b""), ("whitespace", b"  \n "), ("lone brace", b"{"), ("close brace", b"}"), ("null", b"null"),
        ("number", b"42"), ("string", b'"AdmissionReview"'), ("array of reviews", b"[" + good_body + b"]"),
        ("single quotes", b"{'apiVersion': 'admission.k8s.io/v1'}"), ("missing value", b'{"apiVersion":}'),
        ("trailing comma", good_body[:-1] + b",}"), ("trailing garbage", good_body + b"xyz"),
        ("two documents", good_body + good_body), ("BOM", b"\xef\xbb\xbf" + good_body),
        ("invalid UTF-8", good_body.replace(b'"good"', b'"\xff\xfe"')),
        ("NUL escape", good_body.replace(b'"good"', b'"a\\u0000b"')),
        ("lone surrogate", good_body.replace(b'"good"', b'"\\ud800"')),
        ("bad escape", good_body.replace(b'"good"', b'"\\q"')),
        ("raw control character", good_body.replace(b'"good"', b'"a\x01b"')),
        ("number overflow", good_body.replace(b'"dryRun": true', b'"dryRun": true, "x": 1e999999')),
        ("integer overflow", good_body.replace(b'"dryRun": true', b'"dryRun": true, "x": 99999999999999999999999')),
        ("NaN", good_body.replace(b'"dryRun": true', b'"dryRun": true, "x": NaN')),
        ("comment", b"/* c */" + good_body),
        ("raw NUL byte", good_body[:40] + b"\x00" + good_body[40:]),
    ]
    for name, body in malformed:
        expect_status(s, f"malformed JSON: {name}", post_raw(s, "/validate", body), 400)


def body_wrong_types_and_nesting(s):
    # A wrong type in every field.
    for name, rev, code in wrong_type_cases():
        got = post_raw(s, "/validate", json.dumps(rev).encode())
        if code == 400:
            expect_status(s, f"wrong type: {name}", got, 400)
        else:
            expect_review(s, f"wrong type: {name}", got, rev["request"]["uid"])
    for name, mutate in (("missing", lambda r: r["request"].pop("uid")), ("empty", lambda r: r["request"].update(uid=""))):
        rev = review("CREATE", healthy_pod())
        mutate(rev)
        expect_status(s, f"uid {name}", post_raw(s, "/validate", json.dumps(rev).encode()), 400)
    # Nesting up to and past jansson's limit of 2048 levels.
    for depth, code in ((1000, 200), (2040, 200), (2048, 400), (2049, 400), (100000, 400)):
        rev = review("CREATE", healthy_pod("deep"), dry_run=True)
        rev["request"]["object"]["spec"]["containers"][0]["deep"] = "@DEEP@"
        for kind, open_, close in (("objects", '{"a":', "}"), ("arrays", "[", "]")):
            text = json.dumps(rev).replace('"@DEEP@"', open_ * depth + "1" + close * depth).encode()
            name = f"{depth}-deep {kind} inside the object"
            if len(text) > MAX_BODY:
                continue
            got = post_raw(s, "/validate", text)
            if code == 200:
                expect_review(s, name, got, rev["request"]["uid"])
            else:
                expect_status(s, name, got, 400)
    expect_status(s, "2048-deep arrays as the whole body", post_raw(s, "/validate", b"[" * 2048 + b"]" * 2048), 400)
    expect_status(s, "1 MiB of '[' as the body", post_raw(s, "/mutate", b"[" * MIB), 400)


def body_big_values(s):
    # Multi-MiB strings.
    rev = review("CREATE", healthy_pod(), dry_run=True, uid="u" * (2 * MIB))
    expect_review(s, "2 MiB uid", post_raw(s, "/validate", json.dumps(rev).encode()), rev["request"]["uid"])
    rev = review("CREATE", healthy_pod(), dry_run=True)
    rev["request"]["kind"]["kind"] = "K" * (2 * MIB)
    expect_review(s, "2 MiB request.kind.kind", post_raw(s, "/validate", json.dumps(rev).encode()), rev["request"]["uid"])
    pod = healthy_pod()
    pod["metadata"]["name"] = "n" * (2 * MIB)
    rev = review("CREATE", pod, dry_run=True, name="")
    expect_review(s, "2 MiB metadata.name", post_raw(s, "/validate", json.dumps(rev).encode()), rev["request"]["uid"],
                  allowed=False, code=400)
    rev = review("CREATE", healthy_pod(), dry_run=True)
    rev["request"]["object"]["metadata"]["annotations"] = {"big": "x" * (MAX_BODY - 8192)}
    expect_review(s, "annotation just under the body limit", post_raw(s, "/mutate", json.dumps(rev).encode()),
                  rev["request"]["uid"], allowed=True)
    pod = privileged_pod()
    pod["spec"]["containers"][0]["name"] = "c" * (2 * MIB)
    rev = review("CREATE", pod, dry_run=True)
    expect_review(s, "2 MiB container name, denied", post_raw(s, "/validate", json.dumps(rev).encode()),
                  rev["request"]["uid"], allowed=False, code=403)
    pod = healthy_pod()
    pod["spec"]["containers"][0].pop("resources")
    pod["spec"]["containers"][0]["image"] = "i" * (2 * MIB)
    rev = review("CREATE", deployment(pod["spec"]), dry_run=True)
    expect_review(s, "2 MiB image, enforced", post_raw(s, "/mutate", json.dumps(rev).encode()), rev["request"]["uid"],
                  allowed=True)
    pod = healthy_pod("many")
    pod["spec"]["containers"] = [dict(pod["spec"]["containers"][0], name=f"c{i}", securityContext={})
                                 for i in range(5000)]
    rev = review("CREATE", pod, dry_run=True)
    t0 = time.time()
    expect_review(s, "5000 containers", post_raw(s, "/mutate", json.dumps(rev).encode()), rev["request"]["uid"],
                  allowed=True)
    check("5000 containers answered within 10 s", time.time() - t0 < 10, time.time() - t0)
    pod = healthy_pod("labels")
    pod["metadata"]["labels"] = {f"l{i:05d}": "v" * 50 for i in range(2000)}
    rev = review("CREATE", pod, dry_run=True)
    expect_review(s, "2000 labels (more than the inventory keeps)", post_raw(s, "/validate", json.dumps(rev).encode()),
                  rev["request"]["uid"], allowed=False, code=400)


def body_size_limit(s):
    # The size limit.
    rev = review("CREATE", healthy_pod(), dry_run=True)
    rev["request"]["object"]["metadata"]["annotations"] = {"pad": ""}
    base = len(json.dumps(rev).encode())
    rev["request"]["object"]["metadata"]["annotations"]["pad"] = "p" * (MAX_BODY - base)
    at_limit = json.dumps(rev).encode()
    expect_review(s, f"body of exactly --max-body ({len(at_limit)} bytes)", post_raw(s, "/validate", at_limit),
                  rev["request"]["uid"])
    # Refused from Content-Length before the body is read (the answer closes the
    # connection, so it is read before sending a body the server will not take).
    sock = tls_socket(s)
    sock.sendall(request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                     ("Content-Length", str(len(at_limit) + 1))]))
    expect_status(s, "body one byte over --max-body", read_response(sock), 413)
    sock.close()
    expect_status(s, "Content-Length of 1 GiB, nothing sent",
                  raw_exchange(s, request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                                     ("Content-Length", str(1 << 30))])), 413)
    chunks = b"".join(b"%x\r\n%s\r\n" % (65536, b"x" * 65536) for _ in range(MAX_BODY // 65536 + 2)) + b"0\r\n\r\n"
    expect_status(s, "chunked body past --max-body",
                  raw_exchange(s, request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                                     ("Transfer-Encoding", "chunked")], chunks)), 413)


def body_chunked(s, good, good_body):
    # Chunked bodies, valid and not.
    te = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    small = b"".join(b"%x\r\n%s\r\n" % (len(good_body[i:i + 7]), good_body[i:i + 7]) for i in range(0, len(good_body), 7))
    expect_review(s, "chunked body in 7-byte chunks", raw_exchange(s, request_bytes("POST", "/validate", te, small + b"0\r\n\r\n")),
                  good["request"]["uid"])
    expect_review(s, "chunked body with extensions and a trailer",
                  raw_exchange(s, request_bytes("POST", "/validate", te, b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n"
                                                % (len(good_body), good_body))), good["request"]["uid"])
    for name, body in (("a size that is not hex", b"zz\r\nabc\r\n0\r\n\r\n"),
                       ("more data than the size", b"3\r\nabcdef\r\n0\r\n\r\n"),
                       ("a size past 2^64", b"1" + b"0" * 17 + b"\r\nabc\r\n0\r\n\r\n"),
                       ("a negative size", b"-5\r\nabc\r\n0\r\n\r\n")):
        got = raw_exchange(s, request_bytes("POST", "/validate", te, body), timeout=15)
        check(f"invalid chunked body ({name}): refused (400/413) or the connection closed",
              got[0] in (None, 400, 413), got[:2])
        check(f"invalid chunked body ({name}): the server stays up", healthy(s))
    sock = tls_socket(s)
    sock.sendall(request_bytes("POST", "/validate", te, b"100\r\nabc"))
    sock.close()
    check("chunked body cut off mid-chunk: the server stays up", healthy(s))


def body_cases(s):
    good = review("CREATE", healthy_pod("good"), dry_run=True)
    good_body = json.dumps(good).encode()
    body_malformed_json(s, good_body)
    body_wrong_types_and_nesting(s)
    body_big_values(s)
    body_size_limit(s)
    body_chunked(s, good, good_body)


def section_body():
    s = start_server(servers, CONFIG, args=LIMIT_ARGS)
    twice(s, lambda: body_cases(s))
    stop_checked(s)


# ---------------------------------------------------------------------------
# http

def http_cases(s):
    good = review("CREATE", healthy_pod(), dry_run=True)
    body = json.dumps(good).encode()
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "post"):
        got = raw_exchange(s, request_bytes(method, "/validate", [("Content-Type", "application/json"),
                                                                  ("Content-Length", str(len(body)))], body))
        expect_status(s, f"{method} /validate", got, 405)
        check(f"{method} /validate: Allow: POST", got[1].get("allow") == "POST", got[1])
    for ctype in ("application/json-patch+json", "application/merge-patch+json", "text/json", "",
                  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        expect_status(s, f"content type '{ctype}'", post_raw(s, "/mutate", body, ctype), 415)
    for ctype in ("APPLICATION/JSON", "application/json;charset=utf-8", "application/json; charset=UTF-8"):
        expect_review(s, f"content type '{ctype}' is accepted", post_raw(s, "/mutate", body, ctype),
                      good["request"]["uid"])
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    expect_review(s, "200 extra headers", raw_exchange(s, request_bytes(
        "POST", "/validate", headers + [(f"X-Extra-{i}", "v") for i in range(200)], body)), good["request"]["uid"])
    for name, extra in (("5000 headers", [(f"X-Flood-{i}", "v") for i in range(5000)]),
                        ("a 64 KiB header value", [("X-Big", "a" * 65536)]),
                        ("a 1 MiB header value", [("X-Big", "a" * MIB)]),
                        ("a 1 MiB cookie", [("Cookie", "c=" + "a" * MIB)])):
        got = raw_exchange(s, request_bytes("POST", "/validate", headers + extra, body))
        check(f"{name}: 431 (header too large) or the connection closed", got[0] in (None, 431), got[:2])
        check(f"{name}: the server stays up", healthy(s))
    got = raw_exchange(s, request_bytes("GET", "/" + "a" * 100000))
    check("a 100 KiB URL: 414 or the connection closed", got[0] in (None, 414), got[:2])
    check("a 100 KiB URL: the server stays up", healthy(s))
    expect_status(s, "a path with ..", raw_exchange(s, request_bytes("GET", "/../../etc/passwd")), 404)
    expect_status(s, "an absolute URI", raw_exchange(s, request_bytes("GET", "https://evil.example/healthz")), 404)
    expect_status(s, "/validate/", post_raw(s, "/validate/", body), 404)
    got = raw_exchange(s, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    check("the HTTP/2 preface: 505 or closed", got[0] in (None, 400, 505), got[:2])
    got = raw_exchange(s, b"GET /healthz HTTP/1.0\r\n\r\n")
    check("HTTP/1.0 is answered", got[0] == 200, got[:2])
    got = raw_exchange(s, b"\x00\x01\x02 garbage\r\n\r\n", timeout=2)
    check("a garbage request line: 400 or closed", got[0] in (None, 400), got[:2])
    got = raw_exchange(s, b"GET /healthz HTTP/1.1\r\nNo-Colon-Here\r\n\r\n")
    check("a header line without a colon: answered or refused, not crashed", healthy(s), got[:2])
    for name, value in (("Content-Length -1", "-1"), ("Content-Length 2^80", "1208925819614629174706176"),
                        ("Content-Length abc", "abc")):
        got = raw_exchange(s, request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                                  ("Content-Length", value)], b"abc"))
        check(f"{name}: 400 or 413", got[0] in (400, 413), got[:2])
        check(f"{name}: the server stays up", healthy(s))
    # Many requests pipelined on one connection: every one answered, in order.
    sock = tls_socket(s)
    reqs = [review("CREATE", healthy_pod(f"pipe-{i}"), dry_run=True) for i in range(20)]
    sock.sendall(b"".join(request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                              ("Content-Length", str(len(json.dumps(r))))],
                                        json.dumps(r).encode()) for r in reqs))
    uids = []
    for _ in reqs:
        _, _, data = read_response(sock)
        uids.append((status_json(data).get("response") or {}).get("uid"))
    sock.close()
    check("20 pipelined reviews on one connection are answered in order",
          uids == [r["request"]["uid"] for r in reqs], uids[:3])


def section_http():
    s = start_server(servers)
    twice(s, lambda: http_cases(s))
    stop_checked(s)


# ---------------------------------------------------------------------------
# tls

CLIENT_HELLO_HEAD = bytes.fromhex("16030100c8010000c40303")


def tls_cases(s):
    def raw(payload, wait=2.0):
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=wait)
        try:
            sock.sendall(payload)
            data = sock.recv(4096)
        except (OSError, socket.timeout):
            data = None
        sock.close()
        return data
    data = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1.5)
    check("plain HTTP to the TLS port gets no HTTP answer", not data or not data.startswith(b"HTTP/"), data)
    check("plain HTTP to the TLS port: the server stays up", healthy(s))
    rng = random.Random(7)
    for n in (1, 7, 100, 5000, 65536):
        data = raw(bytes(rng.randrange(256) for _ in range(n)), 1.5)
        check(f"{n} random bytes get a TLS alert or a close", not data or data[:1] == b"\x15", data[:16] if data else data)
        check(f"{n} random bytes: the server stays up", healthy(s))
    data = raw(CLIENT_HELLO_HEAD + os.urandom(20), 1.5)
    check("a truncated ClientHello: the server stays up", healthy(s))
    data = raw(bytes.fromhex("8080010301005700000020"), 1.5)
    check("an SSLv2 ClientHello is refused", not data or data[:1] == b"\x15", data)
    check("an SSLv2 ClientHello: the server stays up", healthy(s))
    # Handshakes aborted at every stage, many times.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for i in range(300):
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        if i % 3 == 0:
            sock.close()                                   # TCP only
            continue
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outgoing.read()
        if i % 3 == 1:
            sock.sendall(hello[:len(hello) // 2])          # half a ClientHello
        else:
            sock.sendall(hello)                            # a whole one, then leave after the server's flight
            try:
                sock.recv(16384)
            except OSError:
                pass
        sock.close()
    check("300 aborted handshakes: the server stays up", healthy(s))
    # A client that completes the handshake and leaves without a request.
    for _ in range(50):
        tls_socket(s).close()
    check("50 handshakes without a request: the server stays up", healthy(s))


def section_tls():
    s = start_server(servers, args=["--timeout", "3"])
    twice(s, lambda: tls_cases(s))
    stop_checked(s)


# ---------------------------------------------------------------------------
# slow

def slow_cases(s, slow_count=150, seconds=8):
    header = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"X-Slow: " + b"s" * 400)
    body_head = b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    socks = []
    for i in range(slow_count):
        try:
            sock = tls_socket(s, 10)
            if i % 2:
                sock.sendall(body_head)     # then the body a byte at a time
            socks.append(sock)
        except (OSError, ssl.SSLError):
            break
    check(f"{slow_count} slow clients connected", len(socks) == slow_count, len(socks))
    stop = threading.Event()

    def drip():
        step = 0
        while not stop.is_set() and step < seconds * 4:
            for sock in socks:
                try:
                    sock.sendall(header[step % len(header):step % len(header) + 1])
                except (OSError, ssl.SSLError):
                    pass
            step += 1
            stop.wait(0.25)
    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    latencies, failures = [], 0
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        rev = review("CREATE", healthy_pod(f"normal-{n}"), dry_run=True)
        n += 1
        t0 = time.time()
        try:
            status, _, data = post_raw(s, "/validate", json.dumps(rev).encode(), timeout=5)
            ok = status == 200 and (status_json(data).get("response") or {}).get("uid") == rev["request"]["uid"]
        except (OSError, ssl.SSLError):
            ok = False
        latencies.append(time.time() - t0)
        failures += not ok
        time.sleep(0.2)
    stop.set()
    dripper.join(5)
    check(f"a normal client got all {n} answers while {len(socks)} slow clients dripped", failures == 0 and n > 5,
          f"{failures} failed of {n}")
    check(f"... each within its 5 s timeout (slowest {max(latencies):.2f} s)", max(latencies) < 5, max(latencies))
    # Silent now: the server cuts them after --timeout (3 s).
    time.sleep(3 + 2.5)
    open_ = 0
    for sock in socks:
        try:
            sock.settimeout(0.3)
            if sock.recv(1) != b"":
                open_ += 1
        except socket.timeout:
            open_ += 1
        except (OSError, ssl.SSLError):
            pass
        sock.close()
    check("slow clients that fall silent are disconnected after --timeout", open_ == 0, f"{open_} still open")
    check("after the slow clients: the server stays up", healthy(s))


def section_slow():
    s = start_server(servers, args=["--timeout", "3", "--max-connections", "400"])
    twice(s, lambda: slow_cases(s))
    stop_checked(s)


# ---------------------------------------------------------------------------
# flood

def flood_past_limit(s, n, timeout):
    """n concurrent TLS clients while the server is at --max-connections: how
    long each took until it failed (or got an answer), sorted, and how many
    were served."""
    times, served = [], [0]
    lock = threading.Lock()

    def one():
        t0 = time.monotonic()
        ok = False
        try:
            sock = tls_socket(s, timeout)
            sock.sendall(request_bytes("GET", "/healthz"))
            ok = read_response(sock, timeout=timeout)[0] == 200
            sock.close()
        except (OSError, ssl.SSLError):
            pass
        with lock:
            times.append(time.monotonic() - t0)
            served[0] += ok
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 10)
    return sorted(times), served[0]


def flood_cases(s, limit):
    held = []
    for _ in range(limit):
        try:
            held.append(tls_socket(s, 5))
        except (OSError, ssl.SSLError):
            break
    check(f"{limit} connections up to --max-connections are accepted", len(held) == limit, len(held))
    served_past = 0
    for _ in range(5):
        try:
            sock = tls_socket(s, 1)
            sock.sendall(request_bytes("GET", "/healthz"))
            status, _, _ = read_response(sock, timeout=1)
            served_past += status == 200
            sock.close()
        except (OSError, ssl.SSLError):
            pass
    check("connections past the limit are not served", served_past == 0, served_past)
    # A flood past the limit: each connection is closed as soon as it is accepted, so a client (the API
    # server, whose webhook timeout is 10 s by default) fails at once and can try another replica,
    # instead of waiting in the listen backlog until its timeout.
    flood = 200
    times, served = flood_past_limit(s, flood, timeout=5)
    median, slowest = times[len(times) // 2], times[-1]
    check(f"{flood} concurrent connections past the limit: none served, each refused at once "
          f"(median {median * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms; the clients' timeout is 5 s)",
          len(times) == flood and served == 0 and median < 0.5 and slowest < 2.5, (median, slowest, served))
    for sock in held[:limit // 2]:
        sock.close()
    time.sleep(0.5)
    check("with half the held connections closed, new clients are served", healthy(s))
    refused = s.metrics().get("scoregate_connections_refused_total", -1)
    check(f"scoregate_connections_refused_total counts them ({refused:.0f})", refused >= flood, refused)
    print(f"flood: {flood} connections past --max-connections {limit}: refused in median {median * 1000:.1f} ms, "
          f"slowest {slowest * 1000:.1f} ms, {served} served; scoregate_connections_refused_total {refused:.0f}",
          flush=True)
    for sock in held[limit // 2:]:
        sock.close()
    # A burst of connect/close far past the limit, in bounded batches.
    for _ in range(10):
        batch = []
        for _ in range(limit * 2):
            try:
                batch.append(socket.create_connection(("127.0.0.1", s.port), timeout=2))
            except OSError:
                pass
        for sock in batch:
            sock.close()
    time.sleep(0.5)
    check(f"after {limit * 20} connects and closes past the limit: the server stays up", healthy(s))
    # Many connections each holding most of a maximum-size body: the server-wide
    # budget for request bodies (64 MiB) bounds the memory, and the next body gets 503.
    size = MAX_BODY - 100
    rss0 = rss_kib(s.proc.pid)
    holders = []
    for _ in range(limit // 2):
        try:
            sock = tls_socket(s, 10)
            sock.sendall(request_bytes("POST", "/validate", [("Content-Type", "application/json"),
                                                             ("Content-Length", str(size))]))
            for _ in range((size - 65536) // 65536):
                sock.sendall(b" " * 65536)
            holders.append(sock)
        except (OSError, ssl.SSLError):
            break
    time.sleep(0.5)
    grew = (rss_kib(s.proc.pid) - rss0) // 1024
    check(f"{len(holders)} connections holding {len(holders) * size >> 20} MiB of bodies: memory grew "
          f"{grew} MiB, within the 64 MiB body budget (+ slack)", len(holders) == limit // 2 and grew < 100, grew)
    rev = review("CREATE", healthy_pod("busy"), dry_run=True)
    rev["request"]["object"]["metadata"]["annotations"] = {"pad": "p" * (MAX_BODY // 2)}
    expect_status(s, "a large review while the body budget is full", post_raw(s, "/validate", json.dumps(rev).encode()),
                  503)
    for sock in holders:
        sock.close()
    time.sleep(0.5)
    expect_review(s, "the same review once the bodies are released", post_raw(s, "/validate", json.dumps(rev).encode()),
                  rev["request"]["uid"], allowed=True)


def section_flood():
    limit = 64
    # Held connections must outlive the test's attempts past the limit: --timeout 10.
    s = start_server(servers, args=["--timeout", "10", "--max-connections", str(limit)] + LIMIT_ARGS)
    twice(s, lambda: flood_cases(s, limit))
    stop_checked(s)


SECTIONS = {"body": section_body, "http": section_http, "tls": section_tls, "slow": section_slow,
            "flood": section_flood}


if __name__ == "__main__":
    asan_env_for_memory()
    remove_tmp = harness.private_tmp("sg-hardening-")
    harness.run_sections(SECTIONS, [SECTION], seconds=280, servers=servers, cleanup=remove_tmp)
