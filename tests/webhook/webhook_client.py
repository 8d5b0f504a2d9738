"""webhook_client.py - helpers for the webhook integration tests: start the real
`scoregate serve` on a free loopback port, talk real TLS to it trusting only the
CA it generated, build AdmissionReview requests, check every response against
what the Kubernetes API server expects, and apply RFC 6902 patches.

Standard library only.
"""
import base64
import copy
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
from harness import check, free_port  # noqa: E402,F401

API = "admission.k8s.io/v1"


class Server:
    """One `scoregate serve` process on 127.0.0.1:PORT."""

    def __init__(self, binary, config=None, state_dir=None, args=(), workdir=None, default_state=False):
        self.workdir = workdir or tempfile.mkdtemp(prefix="sg-webhook-")
        # default_state: pass no --state-dir, so the server uses ./scoregate-state of its working directory.
        self.default_state = default_state
        self.state_dir = os.path.join(self.workdir, "scoregate-state") if default_state else \
            (state_dir or os.path.join(self.workdir, "state"))
        self.binary = binary
        self.config = config
        self.args = list(args)
        self.port = free_port()
        # Every server gets its own dashboard port (the default 127.0.0.1:8080 would be shared).
        self.dashboard_port = free_port()
        self.log_path = os.path.join(self.workdir, f"serve-{self.port}.log")
        self.proc = None
        self.ctx = None

    def start(self, wait=True):
        cmd = [self.binary, "serve", "--address", f"127.0.0.1:{self.port}"]
        if not self.default_state:
            cmd += ["--state-dir", self.state_dir]
        if self.config:
            cmd += ["-c", self.config]
        if not any(a.startswith("--dashboard-address") for a in self.args):
            cmd += ["--dashboard-address", f"127.0.0.1:{self.dashboard_port}"]
        cmd += self.args
        self.log = open(self.log_path, "ab")
        self.out_path = self.log_path + ".out"
        self.out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.log, cwd=self.workdir)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scoregate serve exited with {self.proc.returncode}:\n{self.log_text()}")
            ca = os.path.join(self.state_dir, "ca.crt")
            if os.path.exists(ca):
                try:
                    self.ctx = self.make_context(ca)
                    status, _, _ = self.request("GET", "/healthz")
                    if status == 200:
                        return
                except (OSError, ssl.SSLError, http.client.HTTPException):
                    pass
            time.sleep(0.1)
        raise RuntimeError("scoregate serve did not become healthy:\n" + self.log_text())

    @staticmethod
    def make_context(cafile):
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def stdout_text(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def connection(self, timeout=20):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            if own:
                conn.close()

    def post(self, path, obj, conn=None):
        body = json.dumps(obj).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"}, conn)

    def metrics(self):
        status, _, data = self.request("GET", "/metrics")
        assert status == 200, status
        out = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def inventory(self):
        return int(self.metrics().get("scoregate_inventory_resources", -1))

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.log.close()
            self.out.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_uid = [0]


def review(operation, obj=None, old=None, namespace="shop", dry_run=False, sub=None, uid=None, name=None):
    """An AdmissionReview request as the API server sends it."""
    _uid[0] += 1
    source = obj if obj is not None else old
    kind = source["kind"] if source else "Pod"
    api_version = source["apiVersion"] if source else "v1"
    group, _, version = api_version.rpartition("/")
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    req = {
        "uid": uid or f"0000-{_uid[0]:04d}-{os.getpid()}",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": plural},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "name": name if name is not None else (source or {}).get("metadata", {}).get("name", ""),
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": "tester", "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": operation.capitalize() + "Options"},
    }
    if sub:
        req["subResource"] = sub
    return {"apiVersion": API, "kind": "AdmissionReview", "request": req}


def check_review(server, endpoint, rev, conn=None, expect_allowed=None):
    """POST `rev` and check everything the API server requires of the answer.
    Returns the response object (or None when a check failed)."""
    status, headers, data = server.post(endpoint, rev, conn)
    name = f"{endpoint} {rev['request']['operation']} {rev['request']['uid']}"
    problems = []
    if status != 200:
        problems.append(f"HTTP {status}: {data[:300]!r}")
        check(name + " answers like the API server expects", False, "; ".join(problems))
        return None
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append("content type " + headers.get("content-type", ""))
    try:
        body = json.loads(data)
    except ValueError as e:
        check(name + " answers like the API server expects", False, f"not JSON: {e}")
        return None
    if body.get("apiVersion") != API or body.get("kind") != "AdmissionReview":
        problems.append(f"apiVersion/kind {body.get('apiVersion')}/{body.get('kind')}")
    r = body.get("response") or {}
    if r.get("uid") != rev["request"]["uid"]:
        problems.append(f"uid {r.get('uid')!r} != {rev['request']['uid']!r}")
    if not isinstance(r.get("allowed"), bool):
        problems.append("allowed is not a boolean")
    if endpoint == "/validate" and ("patch" in r or "patchType" in r):
        problems.append("/validate returned a patch")
    if "patch" in r or "patchType" in r:
        if r.get("patchType") != "JSONPatch" or "patch" not in r:
            problems.append("patch without patchType JSONPatch (or the reverse)")
        else:
            try:
                ops = json.loads(base64.b64decode(r["patch"], validate=True))
                if not isinstance(ops, list) or not ops:
                    problems.append("patch is not a non-empty JSON array")
            except ValueError as e:
                problems.append(f"patch does not decode: {e}")
    if r.get("allowed") is False:
        st = r.get("status") or {}
        if not isinstance(st.get("code"), int) or st["code"] < 400 or not st.get("message"):
            problems.append(f"denial without status code >= 400 and message: {st}")
    warnings = r.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        problems.append("warnings is not a list of strings")
    else:
        long = [w for w in warnings if len(w) > 120]
        if long:
            problems.append(f"warnings longer than 120 characters: {long}")
        if sum(len(w) for w in warnings) >= 4096:
            problems.append("warnings total 4096 characters or more")
    ann = r.get("auditAnnotations") or {}
    for key in ("score-before", "score-after", "score-delta", "failed-recommendations"):
        if not isinstance(ann.get(key), str):
            problems.append(f"auditAnnotations.{key} missing or not a string")
    if expect_allowed is not None and r.get("allowed") is not expect_allowed:
        problems.append(f"allowed is {r.get('allowed')}, expected {expect_allowed}; status {r.get('status')}")
    ok = check(name + " answers like the API server expects", not problems, "; ".join(problems))
    return r if ok else None


def failed_ids(r):
    text = (r or {}).get("auditAnnotations", {}).get("failed-recommendations", "")
    return set(filter(None, text.split(",")))


def patch_ops(r):
    if not r or "patch" not in r:
        return []
    return json.loads(base64.b64decode(r["patch"]))


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def apply_patch(doc, ops):
    """RFC 6902 add, replace and remove (what scoregate's fixes use)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        path = op["path"]
        if path == "":
            if op["op"] in ("add", "replace"):
                doc = copy.deepcopy(op["value"])
                continue
            raise ValueError("cannot remove the whole document")
        if not path.startswith("/"):
            raise ValueError(f"bad pointer {path!r}")
        tokens = [_unescape(t) for t in path[1:].split("/")]
        parent = doc
        for t in tokens[:-1]:
            if isinstance(parent, list):
                parent = parent[int(t)]
            elif isinstance(parent, dict):
                if t not in parent:
                    raise ValueError(f"{path}: missing parent {t!r}")
                parent = parent[t]
            else:
                raise ValueError(f"{path}: parent is not a container")
        last = tokens[-1]
        kind = op["op"]
        if isinstance(parent, list):
            if kind == "add":
                index = len(parent) if last == "-" else int(last)
                if index > len(parent):
                    raise ValueError(f"{path}: index out of range")
                parent.insert(index, copy.deepcopy(op["value"]))
            elif kind == "replace":
                parent[int(last)] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del parent[int(last)]
            else:
                raise ValueError(f"unsupported op {kind}")
        elif isinstance(parent, dict):
            if kind == "add":
                parent[last] = copy.deepcopy(op["value"])
            elif kind == "replace":
                if last not in parent:
                    raise ValueError(f"{path}: replace of a missing member")
                parent[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                if last not in parent:
                    raise ValueError(f"{path}: remove of a missing member")
                del parent[last]
            else:
                raise ValueError(f"unsupported op {kind}")
        else:
            raise ValueError(f"{path}: parent is not a container")
    return doc


def healthy_pod(name="ok", namespace="shop"):
    """A Pod that passes every mcsb and pss-restricted recommendation."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                                "supplementalGroups": [1000], "seccompProfile": {"type": "RuntimeDefault"},
                                "appArmorProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": "registry.example.com/app:1",
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "privileged": False, "capabilities": {"drop": ["ALL"]}}}]}}


def privileged_pod(name="bad", namespace="shop"):
    pod = healthy_pod(name, namespace)
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return pod


def deployment(pod_spec, name="web", namespace="shop"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": copy.deepcopy(pod_spec)}}}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path
