"""hardlib.py - what the hardening tests share: the webhook test helpers
(tests/webhook/webhook_client.py: the real `scoregate serve` on a loopback
port, real TLS, AdmissionReview builders), plus raw TLS sockets for what an
HTTP client library refuses to send, resident-memory sampling, a bounded
load generator that counts every answer, and log scanning.

Standard library only. Every loop here is bounded in count and in time.
"""
import http.client
import json
import os
import random
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "webhook"))
from webhook_client import (Server, deployment, healthy_pod, privileged_pod, review,  # noqa: E402,F401
                            write)

JSON = {"Content-Type": "application/json"}


def asan_env_for_memory():
    """Sanitizer builds keep freed memory in a quarantine (256 MiB by default),
    which hides whether memory returns; a small one keeps RSS meaningful."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    if "quarantine_size_mb" not in opts:
        os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=16"


def rss_kib(pid):
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_server(servers, config_text=None, args=(), state_dir=None, workdir=None, binary=None, wait=True):
    """A `scoregate serve` on a free loopback port, remembered in `servers` for clean-up."""
    workdir = workdir or tempfile.mkdtemp(prefix="sg-hard-")
    config = write(os.path.join(workdir, "config.yaml"), config_text) if config_text is not None else None
    s = Server(binary or SCOREGATE[0], config=config, state_dir=state_dir, args=list(args), workdir=workdir)
    servers.append(s)
    s.start(wait=wait)
    return s


# The binary under test, set by each test script from its argument.
SCOREGATE = [None]


def healthy(s, timeout=10):
    """Whether /healthz answers 200 within `timeout` seconds."""
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", s.port, context=s.ctx, timeout=timeout)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return False


def tls_socket(s, timeout=10):
    """A TLS connection (handshake done) to the server, for hand-written requests."""
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=timeout)
    return s.ctx.wrap_socket(raw, server_hostname="localhost")


def read_response(sock, limit=8 << 20, timeout=10):
    """Read one HTTP/1.1 response from a socket: (status, headers, body), or
    (None, {}, b"") when the server closed the connection without an answer."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError):
        pass
    if b"\r\n\r\n" not in data:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, b""
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or 0)
    try:
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (OSError, ssl.SSLError):
        pass
    return status, headers, body


def raw_exchange(s, payload, timeout=10):
    """Send bytes over a fresh TLS connection and read one response."""
    try:
        sock = tls_socket(s, timeout)
    except (OSError, ssl.SSLError):
        return None, {}, b""
    try:
        sock.sendall(payload)
        return read_response(sock, timeout=timeout)
    except (OSError, ssl.SSLError):
        return None, {}, b""
    finally:
        sock.close()


def fd_count(pid):
    """How many file descriptors process `pid` holds (-1 when it is gone)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def request_bytes(method, path, headers=(), body=b"", version="HTTP/1.1"):
    """An HTTP request as bytes, exactly as given (for what a client library refuses to send)."""
    head = f"{method} {path} {version}\r\nHost: scoregate.scoregate-system.svc\r\n".encode()
    for k, v in headers:
        head += k.encode() + b": " + (v if isinstance(v, bytes) else v.encode()) + b"\r\n"
    return head + b"\r\n" + body


def post_raw(s, path, body, content_type="application/json", timeout=30):
    return raw_exchange(s, request_bytes("POST", path, [("Content-Type", content_type),
                                                        ("Content-Length", str(len(body)))], body), timeout)


def status_json(body):
    """The Kubernetes Status a refusal carries, or {}."""
    try:
        doc = json.loads(body)
        return doc if isinstance(doc, dict) else {}
    except ValueError:
        return {}


def log_lines(s):
    """The server's log as parsed JSON objects (other lines skipped)."""
    out = []
    for line in s.log_text().splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def log_problems(s, most=5):
    """What is wrong with the server's log as a machine reads it: every line of
    stderr must be one JSON object with time, level and msg, and every number
    with a fraction must be written with exactly three decimals. Returns
    (lines read, up to `most` problems)."""
    problems = []
    lines = s.log_text().splitlines()

    def real(text):
        digits = text.partition(".")[2]
        if len(digits) != 3 or not digits.isdigit():
            problems.append(f"number {text}")
        return float(text)

    for i, line in enumerate(lines):
        try:
            doc = json.loads(line, parse_float=real)
        except ValueError as e:
            problems.append(f"line {i + 1} is not JSON ({e}): {line[:200]!r}")
            continue
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("time", "level", "msg")):
            problems.append(f"line {i + 1} lacks time, level or msg: {line[:200]!r}")
    return len(lines), problems[:most]


def sanitizer_report(s):
    """A sanitizer report in the server's log, or ''."""
    text = s.log_text()
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 200):i + 1500]
    return ""


class Load:
    """Sustained mixed admission load from `threads` keep-alive clients for at
    most `seconds` (and at most `max_requests` in all): every answer is checked
    (a complete HTTP response with a JSON AdmissionReview echoing the uid);
    anything else is counted, with the reason, under `lost` and by uid in
    `unanswered` (a request on a connection the server had already closed is
    there too: compare with the uids the server logged to tell them apart).
    A connection that cannot be opened sends nothing and counts as `refused`."""

    counter = 0
    counter_lock = threading.Lock()

    def __init__(self, s, threads=4, seconds=10.0, max_requests=10 ** 7, dry_run=False, mix=None, timeout=20):
        self.s = s
        self.threads = threads
        self.seconds = seconds
        self.max_requests = max_requests
        self.dry_run = dry_run
        self.timeout = timeout
        self.mix = mix or default_mix
        self.lock = threading.Lock()
        self.sent = 0
        self.ok = 0
        self.lost = 0
        self.refused = 0
        self.reasons = {}
        self.answered = set()       # uids with a complete, valid answer
        self.unanswered = {}        # uid -> why it got no valid answer
        self.stop_flag = threading.Event()
        with Load.counter_lock:
            Load.counter += 1
            self.tag = Load.counter
        self.workers = []

    def _lose(self, uid, why):
        with self.lock:
            self.lost += 1
            self.reasons[why] = self.reasons.get(why, 0) + 1
            self.unanswered[uid] = why

    def _run(self, seed):
        rng = random.Random(seed)
        deadline = time.time() + self.seconds
        conn = None
        n = 0
        while time.time() < deadline and not self.stop_flag.is_set():
            with self.lock:
                if self.sent >= self.max_requests:
                    return
                self.sent += 1
            path, rev = self.mix(rng, seed, n, self.dry_run)
            rev["request"]["uid"] = f"load-{self.tag}-{seed}-{n}"
            n += 1
            body = json.dumps(rev).encode()
            if conn is None:
                try:
                    conn = http.client.HTTPSConnection("127.0.0.1", self.s.port, context=self.s.ctx,
                                                       timeout=self.timeout)
                    conn.connect()
                except (OSError, ssl.SSLError):
                    # Not connected: nothing was sent, so nothing is lost (a refused connection).
                    with self.lock:
                        self.refused += 1
                    conn = None
                    time.sleep(0.05)
                    continue
            try:
                conn.request("POST", path, body=body, headers=JSON)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                self._lose(rev["request"]["uid"], type(e).__name__)
                conn.close()
                conn = None
                continue
            if resp.status != 200:
                self._lose(rev["request"]["uid"], f"HTTP {resp.status}")
            else:
                try:
                    doc = json.loads(data)
                    good = doc["response"]["uid"] == rev["request"]["uid"] and \
                        isinstance(doc["response"]["allowed"], bool)
                except (ValueError, KeyError, TypeError):
                    good = False
                if good:
                    with self.lock:
                        self.ok += 1
                        self.answered.add(rev["request"]["uid"])
                else:
                    self._lose(rev["request"]["uid"], "bad body")
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        if conn:
            conn.close()

    def start(self):
        for i in range(self.threads):
            t = threading.Thread(target=self._run, args=(i,), daemon=True)
            t.start()
            self.workers.append(t)
        return self

    def stop(self):
        self.stop_flag.set()
        return self.join()

    def join(self, timeout=None):
        deadline = time.time() + (timeout if timeout is not None else self.seconds + self.timeout + 10)
        for t in self.workers:
            t.join(max(0.1, deadline - time.time()))
        return self


def default_mix(rng, worker, n, dry_run):
    """A mix of what the API server sends: creates, updates and deletes of Pods
    and Deployments, healthy and failing, on both endpoints."""
    name = f"w{worker}-{rng.randrange(200)}"
    pick = rng.random()
    path = "/mutate" if rng.random() < 0.3 else "/validate"
    pod = healthy_pod(name) if rng.random() < 0.6 else privileged_pod(name)
    old = healthy_pod(name)
    if rng.random() < 0.4:
        pod = deployment(pod["spec"], name)
        old = deployment(old["spec"], name)
    if pick < 0.6:
        rev = review("CREATE", pod, dry_run=dry_run)
    elif pick < 0.85:
        rev = review("UPDATE", pod, old=old, dry_run=dry_run)
    else:
        rev = review("DELETE", None, old=pod, dry_run=dry_run)
    return path, rev


# ---- file faults: what an operator's mistake or a failing disk does to a file the server reads

def put(path, data):
    """Replace a file's content atomically (as a Secret volume update does)."""
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_from(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def dangling(path, target):
    """Make `path` a symlink to `target`, which does not exist."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


def as_directory(path):
    if os.path.lexists(path):
        os.unlink(path)
    os.makedirs(path)
