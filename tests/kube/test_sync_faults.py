#!/usr/bin/env python3
"""test_sync_faults.py - the inventory sync of the real `scoregate serve`
under API server faults, and what it lets into the process. Sections (each a
ctest entry, labels `hardening` and `kube`):

  secrets  Secrets (always) and every kind no enabled recommendation reads
           beyond its metadata (ConfigMaps, ServiceAccounts, Services by
           default) are listed and watched as PartialObjectMetadata; the
           double answers that content type as kube-apiserver does (406 for
           the wrong one). No value of a Secret's data or stringData, nor of
           a ConfigMap's data, crosses the wire (the double records every byte
           it sends) or is anywhere in the server's memory (/proc/PID/mem,
           every readable mapping); the inventory equals the oracle's. A
           custom rule reading ConfigMap data makes ConfigMaps whole again,
           and a reload without it makes them metadata-only again.
  faults   a compaction storm (every watch answered 410 Expired at once):
           the request rate stays bounded (client-go's backoff, 800 ms to
           30 s), scoregate_inventory_synced stays 0 throughout, and each kind
           logs "listing again" once; an API server that is gone (connections
           refused): bounded attempts, one warning per kind, synced 0; watches
           that hang (connection open, nothing sent): detected from the
           bookmark rhythm and reconnected within seconds, not at
           timeoutSeconds; a connection reset in the middle of a list page:
           the page is asked for again with the same continue token (and
           `scoregate score --kubeconfig` survives it too). After every fault
           the inventory equals the double's state: nothing lost, nothing
           phantom.

Prints "N passed, N failed" last and one summary line per measurement.
Usage: test_sync_faults.py SCOREGATE SOURCE_DIR SECTION. Loopback only; bounded time.
"""
import base64
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN, SRC, SECTION = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import fake_apiserver as fa  # noqa: E402
import kubelib  # noqa: E402
from kubelib import (deployment, in_step, metric, oracle, sanitizer_clean, score_of, serve, settings,  # noqa: E402
                     synced_kinds, wait_for)

tmp = tempfile.mkdtemp(prefix="sg-kube-faults-")
kubelib.setup(BIN, tmp)
servers, fakes = [], []
BULK = 1203                              # ConfigMaps in namespace bulk: three list pages of 500
PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PARTIAL = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def start_fake(objects, bookmark_interval=1.0):
    pki = os.path.join(tmp, "pki")
    if not os.path.isdir(pki):
        os.mkdir(pki)
        fa.make_pki(pki)
    fake = fa.FakeAPIServer(pki, tokens=["token-1"], bookmark_interval=bookmark_interval).start()
    fakes.append(fake)
    for o in objects:
        fake.put(o)
    kc = fa.kubeconfig(os.path.join(tmp, f"kubeconfig-{fake.port}"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                       token="token-1")
    return fake, kc


def start_server(name, kc, extra=""):
    s = serve(name, settings(f"{name}.yaml", kc, extra))
    servers.append(s)
    return s


def log_lines(s):
    out = []
    for line in s.log_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def sync_lines(s, text):
    return [x for x in log_lines(s) if x.get("component") == "inventory-sync" and text in x.get("msg", "")]


def stop_checked():
    for s in servers:
        rc = s.stop()
        check(f"{os.path.basename(s.workdir)}: exits 0 on SIGTERM", rc == 0, s.log_text()[-800:])
        check(f"{os.path.basename(s.workdir)}: sanitizer-clean", sanitizer_clean(s), s.log_text()[-3000:])


# ---------------------------------------------------------------- secrets

def memory_holds(pid, needles):
    """Which of `needles` (bytes) occur anywhere in the readable memory of process `pid`."""
    found = set()
    longest = max(len(n) for n in needles)
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            # Sanitizer shadow memory and reservations are terabytes of zeros: skip mappings over 1 GiB.
            if "r" not in fields[1] or hi - lo > (1 << 30) or name in ("[vvar]", "[vsyscall]"):
                continue
            tail = b""
            for at in range(lo, hi, 8 << 20):
                try:
                    mem.seek(at)
                    block = tail + mem.read(min(8 << 20, hi - at))
                except (OSError, ValueError, OverflowError):
                    tail = b""
                    continue
                for n in needles:
                    if n in block:
                        found.add(n)
                tail = block[-longest:]
    return found


def accepts(fake, path, watch):
    return [a for p, q, a in fake.accepts if p == path and (q.get("watch", [""])[0] in ("1", "true")) == watch]


def double_speaks_partial_metadata(fake, pki):
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))

    def get(path, accept):
        req = urllib.request.Request(fake.url + path, headers={"Authorization": "Bearer token-1", "Accept": accept})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    st, ctype, body = get("/api/v1/secrets?limit=2", PARTIAL_LIST + ",application/json")
    doc = json.loads(body)
    check("double: a PartialObjectMetadataList of Secrets: items of kind PartialObjectMetadata with the whole "
          "metadata and nothing else, Content-Type application/json",
          st == 200 and ctype == "application/json" and doc["kind"] == "PartialObjectMetadataList"
          and doc["apiVersion"] == "meta.k8s.io/v1" and doc["metadata"].get("resourceVersion")
          and all(set(i) == {"kind", "apiVersion", "metadata"} and i["kind"] == "PartialObjectMetadata"
                  and i["metadata"].get("uid") for i in doc["items"]), body[:300])
    st, _, body = get("/api/v1/secrets", PARTIAL)
    check("double: as=PartialObjectMetadata on a list is 406 NotAcceptable, as kube-apiserver answers it",
          st == 406 and json.loads(body).get("reason") == "NotAcceptable", body[:200])
    st, _, body = get("/api/v1/secrets", "application/xml")
    check("double: a media type it cannot produce is 406", st == 406, body[:200])
    st, _, body = get("/api/v1/secrets", "application/json;as=PartialObjectMetadataList;g=apps;v=v1")
    check("double: PartialObjectMetadataList of another group is 406", st == 406, body[:200])
    st, _, body = get("/api/v1/secrets?watch=1&timeoutSeconds=1&resourceVersion=0", PARTIAL)
    events = [json.loads(x) for x in body.splitlines() if x.strip()]
    check("double: a metadata-only watch sends PartialObjectMetadata objects",
          st == 200 and events and all(e["object"]["kind"] == "PartialObjectMetadata"
                                       and set(e["object"]) == {"kind", "apiVersion", "metadata"} for e in events),
          body[:300])


CUSTOM_DATA_RULE = """custom:
  - id: no-password-keys
    title: ConfigMaps should not hold passwords
    severity: high
    control: access
    scope: object
    kinds: [ConfigMap]
    unhealthy: "'password' in keys(object.data)"
    message: configmap ${name} holds a password
    remediation: Use a Secret.
"""


def secrets_setup():
    tag = secrets.token_hex(6)
    values = {"secret data": f"sg-secret-data-{tag}", "secret stringData": f"sg-secret-string-{tag}",
              "configmap data": f"sg-configmap-data-{tag}", "watched secret": f"sg-secret-watched-{tag}",
              "watched configmap": f"sg-configmap-watched-{tag}"}
    applied = f"sg-last-applied-{tag}"
    objs = [deployment("web"),
            {"kind": "Secret", "metadata": {"name": "db", "namespace": "team", "labels": {"app": "db"}},
             "type": "Opaque", "data": {"password": b64(values["secret data"])},
             "stringData": {"token": values["secret stringData"]}},
            {"kind": "Secret", "metadata": {"name": "applied", "namespace": "default", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                    {"apiVersion": "v1", "kind": "Secret", "data": {"k": b64(applied)}})}},
             "data": {"k": b64(applied)}},
            {"kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"},
             "data": {"password": values["configmap data"]}},
            {"kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": "team"}},
            {"kind": "Service", "metadata": {"name": "web", "namespace": "team"}, "spec": {"ports": [{"port": 80}]}},
            {"kind": "Ingress", "metadata": {"name": "web", "namespace": "team"}, "spec": {"rules": [{"host": "a"}]}}]
    fake, kc = start_fake(objs)
    needles = [v.encode() for v in values.values()] + [b64(v).encode() for v in values.values()]
    fake.markers = needles + [b64(applied).encode()]
    double_speaks_partial_metadata(fake, os.path.join(tmp, "pki"))
    fake.leaks.clear()
    fake.accepts.clear()
    return fake, kc, values, needles, applied


def secrets_metadata_only(fake, kc, values, needles, applied):
    a = start_server("a", kc)
    check("synced", wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1, timeout=60),
          a.log_text()[-2000:])
    fake.put({"kind": "Secret", "metadata": {"name": "later", "namespace": "team"},
              "data": {"v": b64(values["watched secret"])}})
    fake.put({"kind": "ConfigMap", "metadata": {"name": "later", "namespace": "default"},
              "data": {"v": values["watched configmap"]}})
    fake.put({"kind": "Secret", "metadata": {"name": "db", "namespace": "team", "labels": {"app": "db2"}},
              "type": "Opaque", "data": {"password": b64(values["secret data"])}})
    check("watched Secrets and ConfigMaps arrive: the inventory equals the oracle's",
          wait_for("in step", lambda: in_step(a, fake), timeout=30), f"{score_of(a)} vs {oracle(fake)}")
    meta_only = {"/api/v1/secrets", "/api/v1/configmaps", "/api/v1/serviceaccounts", "/api/v1/services"}
    for path in sorted(meta_only):
        lists, watches = accepts(fake, path, False), accepts(fake, path, True)
        check(f"{path}: listed as PartialObjectMetadataList and watched as PartialObjectMetadata",
              lists and watches and set(lists) == {PARTIAL_LIST} and set(watches) == {PARTIAL},
              (set(lists), set(watches)))
    for path in ("/apis/apps/v1/deployments", "/apis/networking.k8s.io/v1/ingresses", "/api/v1/pods"):
        check(f"{path}: read whole (a recommendation reads its spec)",
              set(accepts(fake, path, False) + accepts(fake, path, True)) == {"application/json"},
              set(accepts(fake, path, False)))
    started = [x for x in log_lines(a) if x.get("msg") == "inventory sync started"]
    check("the start-up log names the metadata-only kinds",
          started and set(started[0].get("metadataOnly", "").split(",")) ==
          {"secrets", "configmaps", "serviceaccounts", "services"}, started)
    leaked = sorted({m.decode() for _, m in fake.leaks if m in needles})
    check("no value of a Secret's data or stringData, nor of a ConfigMap's data, crossed the wire", not leaked,
          leaked)
    check("(the wire instrument works: the last-applied annotation, which is metadata, did cross)",
          any(m == b64(applied).encode() for _, m in fake.leaks))
    in_memory = memory_holds(a.proc.pid, needles + [fake.url.encode()])
    check("(the memory scan works: the API server's URL is found)", fake.url.encode() in in_memory)
    found = sorted(n.decode() for n in in_memory if n in needles)
    check("no such value anywhere in the server's memory (every readable mapping of /proc/PID/mem)", not found,
          found)
    print(f"secrets: {len(fake.accepts)} requests, {len(needles)} values looked for, "
          f"{len(leaked)} on the wire, {len(found)} in memory", flush=True)


def secrets_custom_rule(fake, kc):
    # A custom rule that reads ConfigMap data: ConfigMaps whole; a reload without it: metadata-only again.
    b = start_server("b", kc, CUSTOM_DATA_RULE)
    check("with a rule reading ConfigMap data: synced",
          wait_for("b synced", lambda: metric(b, "scoregate_inventory_synced") == 1, timeout=60))
    started = [x for x in log_lines(b) if x.get("msg") == "inventory sync started"]
    check("with a rule reading ConfigMap data: ConfigMaps are read whole",
          started and "configmaps" not in started[0].get("metadataOnly", "").split(",")
          and "secrets" in started[0].get("metadataOnly", ""), started)
    with open(os.path.join(tmp, "b.yaml"), "w") as f:
        f.write(f"server:\n  inventorySync: {{enabled: true, kubeconfig: {json.dumps(kc)}}}\n"
                f"  history: {{namespace: scoregate-system}}\n")
    n = len(fake.accepts)
    b.send(signal.SIGHUP)
    check("a reload without that rule lists ConfigMaps as metadata only again",
          wait_for("relist", lambda: [x for p, q, x in fake.accepts[n:] if p == "/api/v1/configmaps"
                                      and not q.get("watch")] == [PARTIAL_LIST]))
    check("after the reload: in step", wait_for("b in step", lambda: in_step(b, fake), timeout=30))


def section_secrets():
    fake, kc, values, needles, applied = secrets_setup()
    secrets_metadata_only(fake, kc, values, needles, applied)
    secrets_custom_rule(fake, kc)
    stop_checked()


# ---------------------------------------------------------------- faults

def bulk_objects():
    objs = [deployment(f"d{i}") for i in range(5)]
    objs += [{"kind": "ConfigMap", "metadata": {"name": f"cm-{i:04d}", "namespace": "bulk"}} for i in range(BULK)]
    objs += [{"kind": "Secret", "metadata": {"name": "s", "namespace": "team"}, "data": {"k": b64("v")}}]
    return objs


def changes(fake, label, gone):
    """Changes during a fault that move both the resource count and the score: two Deployments added (one
    hardened) and one removed."""
    before = oracle(fake)
    fake.put(deployment(f"{label}-1", hardened=True))
    fake.put(deployment(f"{label}-2", hardened=True))
    fake.delete("Deployment", "team", gone)
    after = oracle(fake)
    assert before[0] != after[0] and before[1] != after[1], (before, after)


class Sampler:
    """Samples scoregate_inventory_synced every 0.25 s in the background."""

    def __init__(self, s):
        self.s, self.values, self.stop_flag = s, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_flag.wait(0.25):
            try:
                self.values.append(metric(self.s, "scoregate_inventory_synced"))
            except Exception:  # a scrape that failed is no sample
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(5)


def storm(fake, a):
    """Every watch answered with 410 Expired for 20 s."""
    n_req, n_lines = len(fake.log), len(sync_lines(a, "listing again"))
    fake.storm = True
    fake.drop_streams()
    changes(fake, "storm", "d0")
    time.sleep(3)
    t0, r0 = time.time(), len(fake.log)
    with Sampler(a) as samples:
        time.sleep(20)
    rate = (len(fake.log) - r0) / (time.time() - t0)
    lines = len(sync_lines(a, "listing again")) - n_lines
    check(f"storm: the request rate stays bounded ({rate:.1f}/s over 20 s; it was about 140/s per replica)",
          rate < 10, rate)
    check(f"storm: scoregate_inventory_synced 0 throughout ({len(samples.values)} samples)",
          samples.values and set(samples.values) == {0}, samples.values)
    kinds = synced_kinds()
    check(f"storm: 'listing again' logged once per kind ({lines} lines for {kinds} kinds)", lines <= kinds, lines)
    fake.storm = False
    check("storm over: synced again", wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1,
                                               timeout=60), a.log_text()[-1500:])
    check("storm over: the inventory equals the double's state", wait_for("in step", lambda: in_step(a, fake)),
          f"{score_of(a)} vs {oracle(fake)}")
    print(f"faults: storm: {len(fake.log) - n_req} requests, {rate:.1f}/s while it lasted, "
          f"{lines} 'listing again' lines, synced samples {sorted(set(samples.values))}", flush=True)
    return rate


def dead(fake, a):
    """The API server is gone for 20 s: connections refused."""
    warns = len(sync_lines(a, "cannot reach the API server"))
    fake.kill()
    time.sleep(2)
    r0, t0 = metric(a, "scoregate_kube_requests_total"), time.time()
    with Sampler(a) as samples:
        time.sleep(20)
    rate = (metric(a, "scoregate_kube_requests_total") - r0) / (time.time() - t0)
    lines = len(sync_lines(a, "cannot reach the API server")) - warns
    check(f"dead API server: attempts bounded ({rate:.1f}/s)", 0 < rate < 5, rate)
    kinds = synced_kinds()
    check(f"dead API server: one warning per kind ({lines} for {kinds} kinds), not one per attempt", lines <= kinds,
          lines)
    check("dead API server: scoregate_inventory_synced 0", samples.values and set(samples.values) == {0},
          samples.values)
    changes(fake, "dead", "d1")
    fake.revive()
    check("API server back: synced again", wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1,
                                                    timeout=60), a.log_text()[-1500:])
    check("API server back: the inventory equals the double's state", wait_for("in step", lambda: in_step(a, fake)))
    print(f"faults: dead: {rate:.1f} attempts/s, {lines} warnings", flush=True)


def hung(fake, a):
    """Every open watch goes silent; changes made meanwhile must still arrive."""
    n_watch = len(fake.requests("/apis/apps/v1/deployments", watch=True))
    fake.hang_streams()
    t0 = time.time()
    changes(fake, "hung", "d2")
    ok = wait_for("in step", lambda: in_step(a, fake), timeout=45)
    took = time.time() - t0
    check(f"hung watches: detected and replaced; the changes arrived after {took:.0f} s (timeoutSeconds is "
          "300-600 s)", ok and len(fake.requests("/apis/apps/v1/deployments", watch=True)) > n_watch,
          a.log_text()[-1500:])
    check("hung watches: logged as hung", sync_lines(a, "the stream has hung"))
    check("hung watches: synced again", wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1))
    print(f"faults: hung: changes arrived {took:.1f} s after the streams hung", flush=True)


def reset(fake, a, kc):
    """A connection reset in the middle of a list page (page 2 of the ConfigMaps)."""
    fake.reset_pages = 1
    n = len(fake.log)
    a.send(signal.SIGHUP)
    check("reset: the relist completes", wait_for("reset used", lambda: fake.reset_pages == 0, timeout=30)
          and wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1, timeout=60))
    path, token = fake.resets[-1]

    def lists_after():
        return [q.get("continue", [""])[0] for p, q, _, _ in list(fake.log)[n:] if p == path and not q.get("watch")]

    def followed():
        after = lists_after()
        return token in after and any(t in (token, "") for t in after[after.index(token) + 1:])
    # Resuming with the same continue token is what the sync does; a clean
    # restart of the list (no token) is also correct, and happens when a
    # loaded machine lets the page's retry race a relist of its own. The retry
    # comes after a back-off, which may end after the metric says synced (it
    # never dropped for a relist of one kind), so it is waited for.
    ok = wait_for("the list after the cut page", followed, timeout=30)
    after = lists_after()
    i = after.index(token) if token in after else -1
    resumed = i >= 0 and token in after[i + 1:]
    check("reset: after the cut page the list resumed with the same continue token or restarted cleanly", ok, after)
    print(f"faults: reset: the list {'resumed' if resumed else 'restarted'} after the cut page", flush=True)
    fake.put(deployment("after-reset"))
    check("reset: the inventory equals the double's state", wait_for("in step", lambda: in_step(a, fake)))
    fake.reset_pages = 1
    p = subprocess.run([BIN, "score", "-f", "json", "--kubeconfig", kc], capture_output=True, text=True, timeout=120)
    check("reset: scoregate score --kubeconfig resumes the page too, and scores the whole cluster",
          p.returncode == 0 and fake.reset_pages == 0 and json.loads(p.stdout)["score"]["percent"] == oracle(fake)[0],
          p.stderr[-500:])


def section_faults():
    fake, kc = start_fake(bulk_objects())
    a = start_server("a", kc)
    check("synced", wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1, timeout=60),
          a.log_text()[-2000:])
    check("in step with the double", wait_for("in step", lambda: in_step(a, fake)))
    storm(fake, a)
    dead(fake, a)
    hung(fake, a)
    reset(fake, a, kc)
    stop_checked()


SECTIONS = {"secrets": section_secrets, "faults": section_faults}

def cleanup():
    for s in servers:
        s.kill()
    for f in fakes:
        f.stop()


if __name__ == "__main__":
    harness.run_sections(SECTIONS, [SECTION], seconds=400, cleanup=cleanup)
