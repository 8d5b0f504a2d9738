#!/usr/bin/env python3
"""test_lease.py - the kube module's single-object writes and leader election
against fake_apiserver.py (a TEST DOUBLE of the API server), driven through
lease_probe (its public API as JSON lines).

Checks, objects: a ConfigMap written when missing (POST) and then replaced
(PUT with the resourceVersion read), other keys kept; a write from a stale
read gets 409 Conflict, reads again and merges (both writers' keys survive,
two builds); 403 names the missing verb; an oversized ConfigMap is refused
with the API server's 422 message. The double itself: 404/409/422 Status
bodies and the no-op write keeping the resourceVersion.
Checks, election: the first candidate creates the Lease and leads (spec
fields as client-go writes them: holderIdentity, leaseDurationSeconds,
MicroTime acquire/renew, leaseTransitions); a second candidate does not; the
leader renews (renewTime advances, acquireTime stays); a leader killed with
SIGKILL is replaced only after the lease duration has passed unchanged; a
leader that stops releases the lease and the other takes over within a few
retry periods, long before the duration; transitions count the changes.
Usage: test_lease.py LEASE_PROBE. Loopback only; bounded time.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_apiserver as fa  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402

PROBE = os.path.abspath(sys.argv[1])
for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "KUBECONFIG"):
    os.environ.pop(var, None)

tmp = tempfile.mkdtemp(prefix="sg-lease-")
fa.make_pki(tmp)
fake = fa.FakeAPIServer(tmp).start()
kc = fa.kubeconfig(os.path.join(tmp, "kubeconfig"), fake.url, ca_file=f"{tmp}/ca.crt", token="token-1")


def write(key, value, name="history"):
    p = subprocess.run([PROBE, "write", kc, "scoregate-system", name, key, value], capture_output=True, text=True,
                       timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {"rc": None, "stderr": p.stderr}


def api(method, path, body=None, token="token-1"):
    ctx = ssl.create_default_context(cafile=f"{tmp}/ca.crt")
    req = urllib.request.Request(fake.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def objects():
    # ---- first write creates, the second replaces and keeps the other key
    r = write("a", "1")
    cm = fake.single.get("configmaps", "scoregate-system", "history")
    check("write: a missing ConfigMap is created", r["rc"] == 0 and cm and cm["data"] == {"a": "1"}, r)
    check("write: created with POST (201)", fake.single.writes[-1][0] == "POST" and fake.single.writes[-1][2] == 201,
          fake.single.writes[-1:])
    rv1 = cm["metadata"]["resourceVersion"]
    r = write("b", "2")
    cm = fake.single.get("configmaps", "scoregate-system", "history")
    check("write: replaced, other keys kept", r["rc"] == 0 and cm["data"] == {"a": "1", "b": "2"}, cm)
    check("write: PUT, new resourceVersion, same uid", fake.single.writes[-1][0] == "PUT" and cm["metadata"]["resourceVersion"] != rv1 and
          cm["metadata"]["uid"] == r["object"]["metadata"]["uid"],
          fake.single.writes[-1:])
    check("write: the stored object is returned",
          r["builds"] == 1 and r["object"]["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"], r)

    # ---- a stale read: someone else writes in between; 409, read again, merge
    p = subprocess.Popen([PROBE, "write", kc, "scoregate-system", "history", "c", "3", "stale"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    first = json.loads(p.stdout.readline())
    other = fake.single.get("configmaps", "scoregate-system", "history")
    other["data"]["other"] = "x"
    fake.single.put("configmaps", "scoregate-system", other)
    p.stdin.write("go\n")
    p.stdin.flush()
    r = json.loads(p.stdout.readline())
    p.wait(timeout=30)
    cm = fake.single.get("configmaps", "scoregate-system", "history")
    codes = [w[2] for w in fake.single.writes[-2:]]
    check("stale write: read first", first["read"] == rv1 or first["read"], first)
    check("stale write: 409 Conflict, read again, written", r["rc"] == 0 and r["builds"] == 2 and codes == [409, 200],
          (r, codes))
    check("stale write: both writers' keys survive", cm["data"] == {"a": "1", "b": "2", "c": "3", "other": "x"}, cm)

    # ---- a no-op write keeps the resourceVersion (the storage's short cut)
    before = fake.single.get("configmaps", "scoregate-system", "history")["metadata"]["resourceVersion"]
    r = write("c", "3")
    after = fake.single.get("configmaps", "scoregate-system", "history")["metadata"]["resourceVersion"]
    check("a write that changes nothing keeps the resourceVersion", r["rc"] == 0 and before == after, (before, after))

    # ---- refusals
    fake.single.forbidden.add(("update", "configmaps"))
    r = write("d", "4")
    fake.single.forbidden.clear()
    check("403: the error names the verb the service account lacks",
          r["rc"] == -1 and "403" in r["error"] and "'update'" in r["error"] and "history" in r["error"], r)
    with open(os.path.join(tmp, "big"), "w") as f:
        f.write("x" * (1024 * 1024 + 1))
    r = write("big", "@" + os.path.join(tmp, "big"))
    check("an oversized ConfigMap: the API server's 422 message",
          r["rc"] == -1 and "Too long: must have at most 1048576 bytes" in r["error"], r.get("error"))

    # ---- the double answers like kube-apiserver
    code, st = api("GET", "/api/v1/namespaces/scoregate-system/configmaps/nope")
    check("double: 404 NotFound Status", code == 404 and st["reason"] == "NotFound" and st["message"] == 'configmaps "nope" not found' and
          st["details"] == {"name": "nope", "kind": "configmaps"}, st)
    code, st = api("POST", "/api/v1/namespaces/scoregate-system/configmaps",
                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "history"}})
    check("double: 409 AlreadyExists", code == 409 and st["reason"] == "AlreadyExists", st)
    code, st = api("PUT", "/api/v1/namespaces/scoregate-system/configmaps/nope",
                   {"metadata": {"name": "nope"}, "data": {}})
    check("double: a ConfigMap is not created by PUT", code == 404, st)
    code, st = api("PUT", "/apis/coordination.k8s.io/v1/namespaces/scoregate-system/leases/x",
                   {"metadata": {"name": "x"}, "spec": {"leaseDurationSeconds": 0}})
    check("double: Lease validation (422)", code == 422 and "must be greater than 0" in st["message"], st)
    code, st = api("PUT", "/apis/coordination.k8s.io/v1/namespaces/scoregate-system/leases/x",
                   {"metadata": {"name": "x"}, "spec": {"holderIdentity": "h"}})
    code2, st2 = api("PUT", "/apis/coordination.k8s.io/v1/namespaces/scoregate-system/leases/x",
                     {"metadata": {"name": "x"}, "spec": {"holderIdentity": "i"}})
    check("double: a Lease is created by PUT, then needs a resourceVersion",
          code == 201 and code2 == 422 and "must be specified for an update" in st2["message"], (code, st2))
    code, st = api("PUT", "/apis/coordination.k8s.io/v1/namespaces/scoregate-system/leases/x",
                   {"metadata": {"name": "x", "resourceVersion": "1"}, "spec": {"holderIdentity": "i"}})
    check("double: 409 Conflict", code == 409 and st["message"].startswith('Operation cannot be fulfilled on leases.coordination.k8s.io "x": '
                                                   'the object has been modified'), st)
    api("DELETE", "/apis/coordination.k8s.io/v1/namespaces/scoregate-system/leases/x")


class Candidate:
    def __init__(self, identity, duration=6, renew=4, retry=1):
        self.identity = identity
        self.p = subprocess.Popen([PROBE, "elect", kc, "scoregate-system", "scoregate-history", identity,
                                   str(duration), str(renew), str(retry)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.state = {}

    def poll(self, timeout=0.0):
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            ready, _, _ = select.select([self.p.stdout], [], [], left)
            if not ready:
                return self.state
            line = self.p.stdout.readline()
            if not line:
                return self.state
            self.state = json.loads(line)

    def wait(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred(self.poll(0.2)):
                return True
        return pred(self.state)

    def stop(self):
        self.p.stdin.close()
        out = self.p.stdout.read()
        self.p.wait(timeout=30)
        return [json.loads(x) for x in out.splitlines() if x.strip()]


def lease():
    return fake.single.get("leases", "scoregate-system", "scoregate-history")


def election():
    a = Candidate("pod-a_1")
    check("election: the first candidate creates the Lease and leads", a.wait(lambda s: s.get("leading"), 15), a.state)
    spec = (lease() or {}).get("spec", {})
    check("election: the Lease spec is what client-go writes",
          spec.get("holderIdentity") == "pod-a_1" and spec.get("leaseDurationSeconds") == 6 and
          spec.get("leaseTransitions") == 0 and fa_micro(spec.get("acquireTime")) and fa_micro(spec.get("renewTime")), spec)
    b = Candidate("pod-b_2")
    check("election: the second candidate sees the holder and does not lead",
          b.wait(lambda s: s.get("holder") == "pod-a_1", 10) and not b.state.get("leading"), b.state)
    time.sleep(2.5)
    spec2 = lease()["spec"]
    check("election: the leader renews (renewTime advances, acquireTime stays)",
          spec2["renewTime"] > spec["renewTime"] and spec2["acquireTime"] == spec["acquireTime"], (spec, spec2))

    # SIGKILL: no release; the other waits until it has seen the lease unchanged for its duration.
    killed = time.monotonic()
    a.p.send_signal(signal.SIGKILL)
    a.p.wait()
    took_over = b.wait(lambda s: s.get("leading"), 20)
    waited = time.monotonic() - killed
    check(f"election: after SIGKILL the other leads once the lease expired ({waited:.1f} s)", took_over and waited >= 6 - 1.5,
          b.state)
    spec3 = lease()["spec"]
    check("election: the takeover is counted and re-acquired", spec3["holderIdentity"] == "pod-b_2" and spec3["leaseTransitions"] == 1 and
          spec3["acquireTime"] != spec["acquireTime"], spec3)

    # A graceful stop releases: the other takes over within a few retry periods.
    c = Candidate("pod-c_3")
    check("election: a newcomer does not take a held lease",
          c.wait(lambda s: s.get("holder") == "pod-b_2", 10) and not c.state.get("leading"), c.state)
    stopped = time.monotonic()
    lines = b.stop()
    check("election: a stopping leader releases the lease", lines and lines[-1].get("released") == 0, lines[-1:])
    check("election: released as client-go does (no holder, duration 1)",
          lease()["spec"]["holderIdentity"] == "" and lease()["spec"]["leaseDurationSeconds"] == 1, lease()["spec"])
    took_over = c.wait(lambda s: s.get("leading"), 10)
    waited = time.monotonic() - stopped
    check(f"election: after a release the next leads quickly ({waited:.1f} s)", took_over and waited < 5, c.state)
    check("election: transitions 2", lease()["spec"]["leaseTransitions"] == 2, lease()["spec"])
    lines = c.stop()
    check("election: released again", lines and lines[-1].get("released") == 0, lines[-1:])


def fa_micro(t):
    return isinstance(t, str) and fa_micro_re.match(t) is not None


fa_micro_re = __import__("re").compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

try:
    objects()
    election()
finally:
    fake.stop()
harness.finish()
