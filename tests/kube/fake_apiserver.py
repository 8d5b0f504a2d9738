#!/usr/bin/env python3
"""fake_apiserver.py - a TEST DOUBLE of the Kubernetes API server, not the real one.

There is no API server on the test machines, so this serves the part of the
protocol scoregate's kube module speaks, as kube-apiserver does it (see the
Kubernetes "API Concepts" page: "Efficient detection of changes", "Watch
bookmarks", "Retrieving large results sets in chunks"):

- TLS only (a CA, a server certificate for 127.0.0.1/localhost, and a client
  certificate, made with the openssl tool by make_pki()); bearer-token auth
  (401 Status on a wrong or missing token) or a client certificate the CA
  signed.
- list: GET /api/v1/<resource> and /apis/<group>/<version>/<resource>, with
  limit and continue (pages served from one snapshot, like etcd's consistent
  reads; an expired continue token answers 410 Expired), items without kind
  and apiVersion, metadata.resourceVersion of the list, remainingItemCount.
- watch (watch=1|true): a chunked application/json stream of
  {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}} lines
  delivering the events after resourceVersion; BOOKMARK events (only
  metadata.resourceVersion) when allowWatchBookmarks=true; a resourceVersion
  older than the compacted history gets an ERROR event with a 410 Expired
  Status (or, in http410 mode, an HTTP 410 response); timeoutSeconds ends
  the stream cleanly.
- one global resourceVersion counter over all kinds, like etcd's revision.
- content negotiation ("Receiving resources as PartialObjectMetadata"): an
  Accept of application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1
  on a list answers a PartialObjectMetadataList whose items are
  {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
  "metadata": <the whole ObjectMeta>}; as=PartialObjectMetadata on a watch
  turns every event's object into one (a Status in an ERROR event stays as it
  is). As in kube-apiserver (handlers/response.go): the first acceptable
  media type of the Accept list wins; as=PartialObjectMetadata on a list is
  406 NotAcceptable; as=PartialObjectMetadataList on a watch cannot convert
  single objects, so the server sends them whole; a media type it cannot
  produce at all is 406. Content-Type stays application/json.
- single ConfigMaps and Leases, and (once their CRDs are served) wgpolicyk8s.io
  PolicyReports and cluster-scoped ClusterPolicyReports: get, create, update
  with resourceVersion preconditions, delete (fake_objects.py).
- PATCH of one object with a JSON Patch, dryRun=All, failed tests, conflicts, validation and RBAC
  refusals, as the API server's patch handler answers (fake_patch.py).

Custom resources are 404 Not Found until serve_crd() installs their CRD
(remove_crd() deletes it again: its objects go, its path is 404 again).

Test controls (Python calls): put/delete objects, compact the history, drop
every open stream (abruptly, as a lost connection), go down (close every
connection) and come back, rotate the accepted tokens, and a request log.
Faults: a compaction storm (every watch answered at once with 410 Expired),
hanging the open streams (connection kept, nothing more sent), resetting the
connection in the middle of list pages that carry a continue token, and a
count of TCP connections. `leaks` records which of the `markers` (bytes)
appeared in anything the double sent, per request path: what crosses the wire
is exactly what reaches the client's process.
Loopback only. Python 3 standard library only.
"""
import base64
import copy
import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from fake_objects import Objects
from fake_patch import Patches

RESOURCES = {
    # path -> (the path, kind, apiVersion); objects are kept by path, so that kinds of the same name in
    # two groups (apps and apps.kruise.io StatefulSets) stay apart
    "/api/v1/pods": ("Pod", "v1"),
    "/api/v1/replicationcontrollers": ("ReplicationController", "v1"),
    "/api/v1/services": ("Service", "v1"),
    "/api/v1/configmaps": ("ConfigMap", "v1"),
    "/api/v1/secrets": ("Secret", "v1"),
    "/api/v1/serviceaccounts": ("ServiceAccount", "v1"),
    "/apis/apps/v1/deployments": ("Deployment", "apps/v1"),
    "/apis/apps/v1/replicasets": ("ReplicaSet", "apps/v1"),
    "/apis/apps/v1/statefulsets": ("StatefulSet", "apps/v1"),
    "/apis/apps/v1/daemonsets": ("DaemonSet", "apps/v1"),
    "/apis/batch/v1/jobs": ("Job", "batch/v1"),
    "/apis/batch/v1/cronjobs": ("CronJob", "batch/v1"),
    "/apis/networking.k8s.io/v1/ingresses": ("Ingress", "networking.k8s.io/v1"),
}
RESOURCES = {path: (path, kind, av) for path, (kind, av) in RESOURCES.items()}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


PARTIAL_GROUPS = ("meta.k8s.io/v1", "meta.k8s.io/v1beta1")


def negotiate(accept):
    """The representation an Accept header asks for: None (whole objects), "PartialObjectMetadata" or
    "PartialObjectMetadataList" with its group/version, or False when no media type in it can be served
    (406). The first acceptable one wins, as in kube-apiserver's negotiation."""
    if not accept:
        return None
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        mtype, params = fields[0].lower(), {}
        for f in fields[1:]:
            k, _, v = f.partition("=")
            params[k.strip()] = v.strip()
        if mtype not in ("application/json", "application/*", "*/*"):
            continue
        target = params.get("as")
        if target is None:
            return None
        gv = f"{params.get('g', '')}/{params.get('v', '')}"
        if target in ("PartialObjectMetadata", "PartialObjectMetadataList") and gv in PARTIAL_GROUPS:
            return (target, gv)
    return False


def as_partial(obj, gv):
    """meta.AsPartialObjectMetadata: the whole ObjectMeta, kind PartialObjectMetadata."""
    return {"kind": "PartialObjectMetadata", "apiVersion": gv, "metadata": copy.deepcopy(obj.get("metadata", {}))}


NOT_ACCEPTABLE = "only the following media types are accepted: application/json, application/yaml, " \
                 "application/vnd.kubernetes.protobuf"


def make_pki(d):
    """CA, server certificate (127.0.0.1, localhost) and client certificate in directory d."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=fake-kubernetes-ca", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(ext + "\n")
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
             f"/CN={'kube-apiserver' if name == 'server' else 'scoregate-test'}/O=system:masters",
             "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr")
        ossl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.crt")


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


class FakeAPIServer:
    def __init__(self, pki_dir, tokens=("token-1",), port=0, bookmark_interval=1.0):
        self.pki = pki_dir
        self.cond = threading.Condition()
        self.rv = 1000
        self.routes = dict(RESOURCES)  # custom resources join with serve_crd()
        self.objects = {path: {} for path in self.routes}
        self.history = []            # (rv, resource, type, object)
        self.compacted = 0           # events with rv <= compacted are gone
        self.snapshots = {}          # continue snapshot id -> (rv, resource, items)
        self.stream_gen = 0          # bumped by drop_streams()
        self.down = False
        self.http410 = False         # answer too-old watches with HTTP 410 instead of an ERROR event
        self.expire_continue = 0     # this many next continue requests get 410 Expired
        self.tokens = set(tokens)
        self.bookmark_interval = bookmark_interval
        self.log = []                # (path, query, authorized, status)
        self.accepts = []            # (path, query, Accept header) of every authorized request
        self.open_streams = 0
        self.storm = False           # every watch gets an ERROR 410 Expired at once (a compaction storm)
        self.stream_seq = 0          # watches started so far
        self.hang_upto = 0           # watches numbered up to this send nothing more (hung)
        self.reset_pages = 0         # this many next list pages with a continue token are cut by a reset
        self.resets = []             # (path, continue token) of each page cut
        self.connections = 0         # TCP connections accepted
        self.markers = []            # bytes to look for in everything sent
        self.leaks = []              # (path, marker) for each marker found in a response
        self.port = port
        self.httpd = None
        self.thread = None
        self.uid = 0
        self.single = Objects(self)  # single ConfigMaps and Leases (fake_objects.py)
        self.patches = Patches(self)  # PATCH of single objects (fake_patch.py)

    # ---- objects ----
    def _event(self, resource, etype, obj):
        self.history.append((self.rv, resource, etype, copy.deepcopy(obj)))
        self.cond.notify_all()

    def route_of(self, kind, api_version=None):
        """The route of a kind: the one of that apiVersion when it is served, else the built-in one."""
        with self.cond:
            routes = [r for r in self.routes.values() if r[1] == kind]
        for route in routes:
            if route[2] == api_version:
                return route
        for route in routes:
            if route[0] in RESOURCES:
                return route
        raise KeyError(f"{api_version or ''} {kind}: not served")

    def serve_crd(self, group, version, resource, kind):
        """Serve a custom resource, as kube-apiserver does once its CustomResourceDefinition is installed
        (before that, its path is 404 Not Found)."""
        path = f"/apis/{group}/{version}/{resource}"
        with self.cond:
            self.routes[path] = (path, kind, f"{group}/{version}")
            self.objects.setdefault(path, {})
        return path

    def remove_crd(self, group, version, resource):
        """Delete the CRD: its objects go (DELETED events), open watches end and its path is 404 again."""
        path = f"/apis/{group}/{version}/{resource}"
        with self.cond:
            for obj in self.objects.pop(path, {}).values():
                self.rv += 1
                obj = copy.deepcopy(obj)
                obj["metadata"]["resourceVersion"] = str(self.rv)
                self._event(path, "DELETED", obj)
            self.routes.pop(path, None)
        self.drop_streams()

    def put(self, obj):
        res, kind, av = self.route_of(obj["kind"], obj.get("apiVersion"))
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = av
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
        key = (meta["namespace"], meta["name"])
        with self.cond:
            old = self.objects[res].get(key)
            self.stamp(meta, old)
            self.objects[res][key] = obj
            self._event(res, "MODIFIED" if old else "ADDED", obj)
            return self.rv

    def stamp(self, meta, old):
        """What the API server sets on a write (the caller holds cond): the next resourceVersion, and uid and
        creationTimestamp, kept from `old` when it replaces an object."""
        self.rv += 1
        if old:
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
        else:
            self.uid += 1
            meta["uid"] = f"00000000-0000-4000-8000-{self.uid:012d}"
            meta["creationTimestamp"] = "2025-01-01T00:00:00Z"
        meta["resourceVersion"] = str(self.rv)
        return self.rv

    def delete(self, kind, namespace, name, api_version=None):
        res = self.route_of(kind, api_version)[0]
        with self.cond:
            obj = self.objects[res].pop((namespace, name))
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self._event(res, "DELETED", obj)
            return self.rv

    def compact(self):
        """Forget every event so far (etcd compaction at the current revision): watches from an older
        resourceVersion and continue tokens of older lists expire."""
        with self.cond:
            self.compacted = self.rv
            self.history = []
            self.snapshots = {k: v for k, v in self.snapshots.items() if v[0] >= self.compacted}

    # ---- connections ----
    def drop_streams(self):
        """End every open watch abruptly (no terminating chunk), like a lost connection."""
        with self.cond:
            self.stream_gen += 1
            self.cond.notify_all()

    def set_down(self, down):
        """Down: every connection is closed without an answer (an unreachable API server)."""
        with self.cond:
            self.down = down
            if down:
                self.stream_gen += 1
            self.cond.notify_all()

    def set_tokens(self, tokens):
        with self.cond:
            self.tokens = set(tokens)

    def hang_streams(self):
        """Every watch open now goes silent: no events, no bookmarks, the connection kept open (a hung
        stream). Watches started later behave normally."""
        with self.cond:
            self.hang_upto = self.stream_seq
            self.cond.notify_all()

    def sent(self, path, data):
        """Record which markers appear in bytes sent for `path`."""
        for m in self.markers:
            if m in data:
                with self.cond:
                    self.leaks.append((path, m))

    def requests(self, path_part="", watch=None):
        with self.cond:
            return [e for e in self.log if path_part in e[0] and
                    (watch is None or (e[1].get("watch", [""])[0] in ("1", "true")) == watch)]

    # ---- serving ----
    def start(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{self.pki}/server.crt", f"{self.pki}/server.key")
        ctx.load_verify_locations(f"{self.pki}/ca.crt")
        ctx.verify_mode = ssl.CERT_OPTIONAL
        fake = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                with fake.cond:
                    fake.connections += 1
                if fake.down:
                    request.close()
                    return
                request.settimeout(10)
                try:
                    tls = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    request.close()
                    return
                tls.settimeout(None)
                try:
                    Handler(tls, client_address, self)
                except (ssl.SSLError, OSError):
                    pass

        self.httpd = Server(("127.0.0.1", self.port), Handler)
        self.httpd.fake = fake
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.set_down(True)
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def kill(self):
        """The API server is gone: open streams break and the port refuses connections."""
        self.stop()

    def revive(self):
        """Back on the same port with the same objects and history."""
        with self.cond:
            self.down = False
        return self.start()

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    @property
    def fake(self):
        return self.server.fake

    def send_json(self, code, body, reset=False):
        data = json.dumps(body).encode()
        self.fake.sent(urlparse(self.path).path, data)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if reset:
            # Half the body, then a TCP reset (SO_LINGER 0): the connection breaks in the middle of the page.
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        self.wfile.write(data)

    def authorized(self):
        if self.connection.getpeercert():
            return True
        h = self.headers.get("Authorization", "")
        with self.fake.cond:
            return h.startswith("Bearer ") and h[7:] in self.fake.tokens

    def single_object(self, method):
        if self.fake.down:
            self.close_connection = True
            self.connection.close()
            return True
        return self.fake.single.handle(self, method, self.authorized())

    def do_POST(self):
        self.single_object("POST") or self.send_json(405, status(405, "MethodNotAllowed", "not allowed"))

    def do_PUT(self):
        self.single_object("PUT") or self.send_json(405, status(405, "MethodNotAllowed", "not allowed"))

    def do_DELETE(self):
        self.single_object("DELETE") or self.send_json(405, status(405, "MethodNotAllowed", "not allowed"))

    def do_PATCH(self):
        if self.fake.down:
            self.close_connection = True
            self.connection.close()
            return
        if not self.fake.patches.handle(self, self.authorized()):
            self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))

    def do_GET(self):
        fake = self.fake
        u = urlparse(self.path)
        q = parse_qs(u.query, keep_blank_values=True)
        if self.single_object("GET"):
            return
        ok = self.authorized()
        with fake.cond:
            route = fake.routes.get(u.path)
        code = 200 if ok and route else 401 if not ok else 404
        with fake.cond:
            fake.log.append((u.path, q, ok, code))
        if fake.down:
            self.close_connection = True
            self.connection.close()
            return
        if not ok:
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        if not route:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        accept = self.headers.get("Accept", "")
        with fake.cond:
            fake.accepts.append((u.path, q, accept))
        target = negotiate(accept)
        if target is False:
            return self.send_json(406, status(406, "NotAcceptable", NOT_ACCEPTABLE))
        if q.get("watch", [""])[0] in ("1", "true"):
            # A list representation cannot hold one object: sent whole (the server logs the error).
            return self.watch(route, q, target if target and target[0] == "PartialObjectMetadata" else None)
        if target and target[0] == "PartialObjectMetadata":
            return self.send_json(406, status(406, "NotAcceptable", "you requested PartialObjectMetadata, but the "
                                              f"requested object is a list (*core.{route[1]}List)"))
        return self.list(route, q, target)

    def list(self, route, q, target=None):
        fake = self.fake
        res, kind, av = route
        limit = int(q.get("limit", ["0"])[0] or 0)
        cont = q.get("continue", [""])[0]
        with fake.cond:
            if cont:
                try:
                    tok = json.loads(base64.b64decode(cont))
                except ValueError:
                    return self.send_json(400, status(400, "BadRequest", "invalid continue token"))
                snap = fake.snapshots.get(tok["id"])
                expire = fake.expire_continue > 0
                fake.expire_continue = max(0, fake.expire_continue - 1)
                if tok["rv"] < fake.compacted or snap is None or expire:
                    return self.send_json(410, status(
                        410, "Expired", "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter."))
                rv, items = snap
                start = tok["start"]
            else:
                rv = fake.rv
                items = [copy.deepcopy(fake.objects[res][k]) for k in sorted(fake.objects[res])]
                start = 0
                for it in items:
                    it.pop("kind", None)
                    it.pop("apiVersion", None)
            page = items[start:start + limit] if limit else items[start:]
            meta = {"resourceVersion": str(rv)}
            end = start + len(page)
            if end < len(items):
                sid = f"{res}-{rv}-{len(fake.snapshots)}"
                fake.snapshots[sid] = (rv, items)
                meta["continue"] = base64.b64encode(json.dumps({"id": sid, "rv": rv, "start": end}).encode()).decode()
                meta["remainingItemCount"] = len(items) - end
            reset = bool(cont) and fake.reset_pages > 0
            fake.reset_pages -= reset
            if reset:
                fake.resets.append((self.path.split("?")[0], cont))
        if target:
            gv = target[1]
            return self.send_json(200, {"kind": "PartialObjectMetadataList", "apiVersion": gv, "metadata": meta,
                                        "items": [as_partial(it, gv) for it in page]}, reset)
        self.send_json(200, {"kind": kind + "List", "apiVersion": av, "metadata": meta, "items": page}, reset)

    def chunk(self, obj, target=None):
        if target and obj.get("object", {}).get("kind") != "Status":
            obj = {"type": obj["type"], "object": as_partial(obj["object"], target[1])}
        data = (json.dumps(obj) + "\n").encode()
        self.fake.sent(urlparse(self.path).path, data)
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def hung(self, seq, deadline):
        """Whether this watch has been hung by hang_streams(); if so, stay silent until its deadline."""
        fake = self.fake
        with fake.cond:
            if seq > fake.hang_upto:
                return False
            while time.monotonic() < deadline and not fake.down:
                fake.cond.wait(0.5)
        return True

    def watch(self, route, q, target=None):
        fake = self.fake
        res, kind, av = route
        rv_text = q.get("resourceVersion", [""])[0]
        bookmarks = q.get("allowWatchBookmarks", [""])[0] == "true"
        timeout = int(q.get("timeoutSeconds", ["1800"])[0] or 1800)
        deadline = time.monotonic() + timeout
        with fake.cond:
            gen = fake.stream_gen
            fake.stream_seq += 1
            seq = fake.stream_seq
            if rv_text in ("", "0"):
                initial = [("ADDED", copy.deepcopy(fake.objects[res][k])) for k in sorted(fake.objects[res])]
                cur = fake.rv
            else:
                initial = []
                cur = int(rv_text)
            too_old = cur < fake.compacted or fake.storm
        if too_old and fake.http410:
            return self.send_json(410, status(410, "Expired", f"too old resource version: {cur} ({fake.compacted})"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if too_old:
                self.chunk({"type": "ERROR", "object": status(
                    410, "Expired", f"too old resource version: {cur} ({fake.compacted})")})
                self.wfile.write(b"0\r\n\r\n")
                return
            with fake.cond:
                fake.open_streams += 1
            for etype, obj in initial:
                self.chunk({"type": etype, "object": obj}, target)
            last_bookmark = time.monotonic()
            while True:
                if self.hung(seq, deadline):
                    dropped = False
                    break
                with fake.cond:
                    if fake.stream_gen != gen:
                        dropped = True
                        break
                    events = [(r, t, o) for r, rs, t, o in fake.history if rs == res and r > cur]
                    if events:
                        cur = max(e[0] for e in events)
                    if not events:
                        fake.cond.wait(0.2)
                    now_rv = fake.rv
                for _, t, o in events:
                    self.chunk({"type": t, "object": o}, target)
                now = time.monotonic()
                if bookmarks and fake.bookmark_interval and now - last_bookmark >= fake.bookmark_interval:
                    with fake.cond:
                        pending = any(rs == res and r > cur for r, rs, _, _ in fake.history)
                        now_rv = fake.rv
                    if not pending:
                        cur = now_rv
                        self.chunk({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": av,
                                                                   "metadata": {"resourceVersion": str(now_rv)}}},
                                   target)
                    last_bookmark = now
                if now >= deadline:
                    dropped = False
                    break
            if dropped:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()
            else:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (OSError, ssl.SSLError):
            self.close_connection = True
        finally:
            with fake.cond:
                fake.open_streams = max(0, fake.open_streams - 1)


def kubeconfig(path, server, ca_file=None, ca_data=None, token=None, token_file=None, cert=None, key=None,
               cert_data=None, key_data=None, insecure=False, extra_user=None, extra_cluster=None):
    """Write a kubeconfig for the double (YAML is JSON, which the loader accepts too)."""
    cluster = dict(extra_cluster or {}, server=server)
    if ca_file:
        cluster["certificate-authority"] = ca_file
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    user = dict(extra_user or {})
    for k, v in (("token", token), ("tokenFile", token_file), ("client-certificate", cert), ("client-key", key),
                 ("client-certificate-data", cert_data), ("client-key-data", key_data)):
        if v:
            user[k] = v
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
           "clusters": [{"name": "fake", "cluster": cluster}],
           "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester"}}],
           "users": [{"name": "tester", "user": user}]}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


if __name__ == "__main__":
    import sys
    import tempfile
    d = tempfile.mkdtemp(prefix="fake-apiserver-")
    make_pki(d)
    s = FakeAPIServer(d, port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"fake API server (test double) on {s.url}, CA {d}/ca.crt, token token-1", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
