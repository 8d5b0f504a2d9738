#!/usr/bin/env python3
"""test_kube.py - inventory sync from the Kubernetes API, end to end.

Drives the real `scoregate` binary against fake_apiserver.py, a TEST DOUBLE of
the API server (TLS, bearer tokens, paginated lists, watch streams with
bookmarks and 410 Gone): `scoregate serve` with server.inventorySync pointing
at a kubeconfig for the double, and `scoregate score --kubeconfig`.

Checks: the initial sync (paginated lists, watches from the list's
resourceVersion with bookmarks), every event type, the score against the
`scoregate score FILE` oracle over the same objects, Secrets' data never
leaving the double, reconnect after a dropped stream (resuming, no relist),
relist after 410 Gone (ERROR event and HTTP 410, with objects deleted during
the outage removed), token rotation, a config reload relisting, an API
server unreachable at start (the webhook still answers /validate), two
replicas converging on the same score, `score --kubeconfig` output and a 401,
and a clean shutdown under the sanitizers.
The client itself is also driven through kube_probe (its public API as JSON
lines): Secrets stripped, kind and apiVersion set on list items, paginated
informer lists (with an expired continue token restarting the list),
3-second watches resumed without relists, DELETED delivered for objects a
relist no longer returns, a requested relist, and a clean stop.
Usage: test_kube.py SCOREGATE_BINARY SOURCE_DIR [KUBE_PROBE]. Loopback only; bounded time.
"""
import copy
import json
import threading
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import ssl

BIN, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
PROBE = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import fake_apiserver as fa  # noqa: E402
import kubelib  # noqa: E402
from kubelib import (HARDENED_SPEC, POD_SPEC, deployment, events, in_step, metric, oracle, owned,  # noqa: E402
                     sanitizer_clean, score_of, serve, settings, wait_for)
from webhook_client import free_port, review  # noqa: E402

tmp = tempfile.mkdtemp(prefix="sg-kube-")
kubelib.setup(BIN, tmp)
SECRET_B64 = "c3VwZXJzZWNyZXQtdmFsdWU="   # "supersecret-value"
SECRET_PLAIN = "supersecret-value"
BULK = 1203                              # ConfigMaps in namespace bulk: three list pages of 500

# ---------------------------------------------------------------- objects

def initial_objects():
    last_applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "data": {"password": SECRET_B64}})
    objs = [
        deployment("web"), deployment("api", hardened=True),
        owned("ReplicaSet", "web-5d8f", "Deployment", "web"), owned("Pod", "web-5d8f-abcde", "ReplicaSet", "web-5d8f"),
        {"kind": "StatefulSet", "metadata": {"name": "db", "namespace": "team"},
         "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                  "template": {"metadata": {"labels": {"app": "db"}}, "spec": copy.deepcopy(POD_SPEC)}}},
        {"kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "team"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}},
                               "spec": dict(copy.deepcopy(POD_SPEC), hostNetwork=True)}}},
        {"kind": "Job", "metadata": {"name": "once", "namespace": "team"},
         "spec": {"template": {"spec": dict(copy.deepcopy(HARDENED_SPEC), restartPolicy="Never")}}},
        {"kind": "CronJob", "metadata": {"name": "nightly", "namespace": "team"},
         "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": copy.deepcopy(POD_SPEC)}}}}},
        {"kind": "ReplicationController", "metadata": {"name": "legacy", "namespace": "team"},
         "spec": {"selector": {"app": "legacy"},
                  "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": copy.deepcopy(POD_SPEC)}}},
        {"kind": "Pod", "metadata": {"name": "debug", "namespace": "default"}, "spec": copy.deepcopy(POD_SPEC)},
        {"kind": "Pod", "metadata": {"name": "coredns", "namespace": "kube-system"}, "spec": copy.deepcopy(POD_SPEC)},
        {"kind": "Service", "metadata": {"name": "web", "namespace": "team"},
         "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}},
        {"kind": "Ingress", "metadata": {"name": "web", "namespace": "team"},
         "spec": {"rules": [{"host": "web.example.com"}]}},
        {"kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"}, "data": {"a": "b"}},
        {"kind": "Secret", "metadata": {"name": "db-password", "namespace": "team",
                                        "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                                        last_applied}},
         "type": "Opaque", "data": {"password": SECRET_B64}},
        {"kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": "team"}},
    ]
    objs += [{"kind": "ConfigMap", "metadata": {"name": f"cm-{i:04d}", "namespace": "bulk"}, "data": {"i": str(i)}}
             for i in range(BULK)]
    return objs


def probe_list(pki):
    pf = fa.FakeAPIServer(pki, tokens=["probe-token"], bookmark_interval=0.5).start()
    fakes.append(pf)
    last_applied = json.dumps({"kind": "Secret", "stringData": {"k": SECRET_PLAIN}})
    pf.put({"kind": "Secret", "metadata": {"name": "s1", "namespace": "p", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": last_applied, "keep": "me"},
        "managedFields": [{"manager": "kubectl"}]}, "data": {"k": SECRET_B64}, "stringData": {"k": SECRET_PLAIN}})
    for i in range(5):
        pf.put(deployment(f"p{i}", ns="p"))
    pf.put({"kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "p", "managedFields": [{"manager": "x"}]}})
    pkc = fa.kubeconfig(os.path.join(tmp, "kubeconfig-probe"), pf.url, ca_file=os.path.join(pki, "ca.crt"),
                        token="probe-token")
    p = subprocess.run([PROBE, "list", pkc], capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    objs = [x["object"] for x in lines]
    check("probe list: every object, with kind and apiVersion set",
          p.returncode == 0 and len(objs) == 7 and all(o.get("kind") and o.get("apiVersion") for o in objs)
          and {o["apiVersion"] for o in objs} == {"v1", "apps/v1"}, p.stdout[:300] + p.stderr[:300])
    secret = [o for o in objs if o["kind"] == "Secret"]
    check("probe list: Secrets lose data, stringData and last-applied-configuration, keep other metadata",
          secret and "data" not in secret[0] and "stringData" not in secret[0]
          and secret[0]["metadata"]["annotations"] == {"keep": "me"} and SECRET_PLAIN not in p.stdout
          and SECRET_B64 not in p.stdout, json.dumps(secret)[:300])
    check("probe list: managedFields dropped", all("managedFields" not in o["metadata"] for o in objs))
    check("probe list: pages of 2 followed through continue",
          len(pf.requests("/apis/apps/v1/deployments", watch=False)) == 3)
    return pf, pkc


def probe_watch(pf, pkc):
    pf.expire_continue = 1
    n_lists = len(pf.requests("/apis/apps/v1/deployments", watch=False))
    proc = subprocess.Popen([PROBE, "watch", pkc], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err_lines = [], []
    threading.Thread(target=lambda: [out.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
    threading.Thread(target=lambda: [err_lines.append(x) for x in proc.stderr], daemon=True).start()

    def seen(pred):
        return any(pred(x) for x in list(out))

    def evs(kind, name, etype):
        return [x for x in list(out) if x.get("event") == etype and x["object"]["kind"] == kind
                and x["object"]["metadata"]["name"] == name]
    try:
        check("probe watch: synced", wait_for("probe synced", lambda: seen(lambda x: x.get("synced") is True)),
              "".join(err_lines)[-1500:])
        added = {(x["object"]["kind"], x["object"]["metadata"]["name"]) for x in list(out)
                 if x.get("event") in ("ADDED", "MODIFIED")}
        check("probe watch: the initial lists deliver every object (an expired continue token restarts a list)",
              len(added) == 7 and pf.expire_continue == 0
              and len(pf.requests("/apis/apps/v1/deployments", watch=False)) - n_lists >= 4, str(sorted(added)))
        pf.put(deployment("p9", ns="p"))
        pf.put(deployment("p0", ns="p", hardened=True))
        pf.delete("Deployment", "p", "p1")
        check("probe watch: ADDED, MODIFIED and DELETED arrive",
              wait_for("events", lambda: evs("Deployment", "p9", "ADDED") and evs("Deployment", "p0", "MODIFIED")
                       and evs("Deployment", "p1", "DELETED")))
        pf.put({"kind": "Secret", "metadata": {"name": "s2", "namespace": "p"}, "data": {"k": SECRET_B64}})
        check("probe watch: a watched Secret arrives without data",
              wait_for("s2", lambda: evs("Secret", "s2", "ADDED"))
              and all("data" not in x["object"] for x in evs("Secret", "s2", "ADDED")))
        time.sleep(4)
        proc.stdin.write("stats\n")
        proc.stdin.flush()
        check("probe watch: 3-second watches end and resume without a relist, bookmarks arrive",
              wait_for("stats", lambda: seen(lambda x: "stats" in x))
              and [x for x in out if "stats" in x][-1]["stats"]["relists"] == 0
              and [x for x in out if "stats" in x][-1]["stats"]["bookmarks"] > 0
              and len(pf.requests("/apis/apps/v1/deployments", watch=True)) >= 2, str([x for x in out if "stats" in x]))
        pf.set_down(True)
        time.sleep(0.5)
        pf.delete("Deployment", "p", "p2")
        pf.compact()
        pf.set_down(False)
        check("probe watch: after 410 Gone, an object deleted meanwhile is delivered as DELETED (key only)",
              wait_for("swept", lambda: evs("Deployment", "p2", "DELETED"), timeout=30)
              and set(evs("Deployment", "p2", "DELETED")[0]["object"]) == {"apiVersion", "kind", "metadata"},
              "".join(err_lines)[-1500:])
        n = len(evs("Deployment", "p3", "MODIFIED"))
        proc.stdin.write("relist\n")
        proc.stdin.flush()
        check("probe watch: a requested relist delivers the objects again",
              wait_for("relist", lambda: len(evs("Deployment", "p3", "MODIFIED")) > n))
        proc.stdin.close()
        rc = proc.wait(timeout=30)
        check("probe watch: stops cleanly when asked", rc == 0 and not any(
            s in "".join(err_lines) for s in ("AddressSanitizer", "runtime error:", "LeakSanitizer")),
              "".join(err_lines)[-2000:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def probe_tests(pki):
    """The kube module's client through kube_probe, against a double of its own."""
    pf, pkc = probe_list(pki)
    probe_watch(pf, pkc)


servers = []
fakes = []
try:
    # ------------------------------------------------------------ setup
    pki = os.path.join(tmp, "pki")
    os.mkdir(pki)
    fa.make_pki(pki)
    fake = fa.FakeAPIServer(pki, tokens=["token-1"], bookmark_interval=1.0).start()
    fakes.append(fake)
    for o in initial_objects():
        fake.put(o)
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write("token-1\n")
    kc = fa.kubeconfig(os.path.join(tmp, "kubeconfig"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                       token_file=token_file)

    # ------------------------------------------------------------ the double behaves like the API server
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))

    def get(path, token):
        req = urllib.request.Request(fake.url + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    st, body = get("/api/v1/configmaps?limit=500", "wrong")
    check("double: wrong token gets a 401 Status", st == 401 and body.get("kind") == "Status", body)
    st, body = get("/api/v1/configmaps?limit=500", "token-1")
    check("double: list pages carry continue and items without kind",
          st == 200 and len(body["items"]) == 500 and body["metadata"].get("continue")
          and "kind" not in body["items"][0], str(body.get("metadata")))

    # ------------------------------------------------------------ the settings key
    manifest = os.path.join(tmp, "one.yaml")
    with open(manifest, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "a"}}, f)
    for name, text, needle in (
            ("unknown key", "server:\n  inventorySync: {enabled: true, bogus: 1}\n", "bogus"),
            ("enabled not a boolean", "server:\n  inventorySync: {enabled: \"yes\"}\n", "enabled"),
            ("kubeconfig not a string", "server:\n  inventorySync: {enabled: true, kubeconfig: [a]}\n", "kubeconfig")):
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(text)
        p = subprocess.run([BIN, "scan", "-c", bad, manifest], capture_output=True, text=True, timeout=60)
        check(f"settings: server.inventorySync {name} is an error naming it", p.returncode == 2 and needle in p.stderr,
              p.stderr)
    ok = settings("ok.yaml", kc)
    p = subprocess.run([BIN, "scan", "-c", ok, manifest], capture_output=True, text=True, timeout=60)
    check("settings: server.inventorySync loads (and scan ignores it)", p.returncode == 0, p.stderr)
    os.makedirs(os.path.join(tmp, "nokc"), exist_ok=True)
    p = subprocess.run([BIN, "serve", "--address", f"127.0.0.1:{free_port()}", "--state-dir",
                        os.path.join(tmp, "nokc", "state"), "-c", settings("nokc.yaml", "/nonexistent/kubeconfig")],
                       capture_output=True, text=True, timeout=60)
    check("settings: serve refuses an unreadable kubeconfig, naming it",
          p.returncode != 0 and "server.inventorySync" in p.stderr + p.stdout
          and "/nonexistent/kubeconfig" in p.stderr + p.stdout, (p.stdout + p.stderr)[-600:])

    if PROBE:
        probe_tests(pki)

    # ------------------------------------------------------------ initial sync
    a = serve("a", settings("a.yaml", kc))
    servers.append(a)
    check("initial sync: scoregate_inventory_synced becomes 1",
          wait_for("synced", lambda: metric(a, "scoregate_inventory_synced") == 1, timeout=60), a.log_text()[-3000:])
    percent, expected = oracle(fake)
    got = score_of(a)
    check("initial sync: score and resources equal the scoregate score FILE oracle",
          got == (percent, expected), f"serve {got}, oracle {(percent, expected)}")
    check("initial sync: owned and excluded objects are not inventoried",
          expected == len(initial_objects()) - 3, str(expected))
    cm_lists = fake.requests("/api/v1/configmaps", watch=False)
    check("initial sync: the ConfigMaps were listed in pages of 500 with continue tokens",
          len(cm_lists) >= 3 and all(q.get("limit") == ["500"] for _, q, _, _ in cm_lists)
          and sum(1 for _, q, _, _ in cm_lists if q.get("continue")) >= 2, str(len(cm_lists)))
    watches = fake.requests("/apis/apps/v1/deployments", watch=True)
    check("initial sync: watches ask for bookmarks from the list's resourceVersion",
          watches and all(q.get("allowWatchBookmarks") == ["true"] and q.get("resourceVersion", [""])[0]
                          and q.get("timeoutSeconds") for _, q, _, _ in watches), str(watches[:1]))
    last_sync = metric(a, "scoregate_inventory_last_sync_timestamp_seconds")
    check("initial sync: last sync timestamp is now", abs(last_sync - time.time()) < 120, str(last_sync))
    check("initial sync: Secret values never reach the log or the state",
          SECRET_B64 not in a.log_text() and SECRET_PLAIN not in a.log_text()
          and all(SECRET_PLAIN.encode() not in open(os.path.join(a.state_dir, f), "rb").read()
                  for f in os.listdir(a.state_dir) if os.path.isfile(os.path.join(a.state_dir, f))))

    # ------------------------------------------------------------ events
    base = {t: events(a, t) for t in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}
    fake.put(deployment("new"))
    check("ADDED: a new Deployment enters the inventory",
          wait_for("added", lambda: score_of(a)[1] == expected + 1) and events(a, "ADDED") > base["ADDED"])
    check("ADDED: score equals the oracle", wait_for("oracle", lambda: in_step(a, fake)))
    fake.put(deployment("web", hardened=True))
    check("MODIFIED: hardening a Deployment moves the score to the oracle's",
          wait_for("modified", lambda: in_step(a, fake)) and events(a, "MODIFIED") > base["MODIFIED"],
          f"{score_of(a)} vs {oracle(fake)}")
    fake.delete("Deployment", "team", "new")
    check("DELETED: the Deployment leaves the inventory",
          wait_for("deleted", lambda: score_of(a)[1] == expected) and events(a, "DELETED") > base["DELETED"])
    check("DELETED: score equals the oracle", wait_for("oracle", lambda: in_step(a, fake)))
    fake.put(owned("Pod", "web-5d8f-fghij", "ReplicaSet", "web-5d8f"))
    time.sleep(1.0)
    check("ADDED: an owned Pod is not inventoried", score_of(a)[1] == expected, str(score_of(a)))
    check("BOOKMARK: bookmarks arrive", wait_for("bookmark", lambda: events(a, "BOOKMARK") > base["BOOKMARK"]))
    check("no ERROR event so far", events(a, "ERROR") == base["ERROR"])

    # ------------------------------------------------------------ dropped stream: resume, no relist
    relists = metric(a, "scoregate_kube_relists_total")
    n_watch = len(fake.requests("/apis/apps/v1/deployments", watch=True))
    fake.drop_streams()
    fake.put(deployment("after-drop"))
    check("reconnect: an object created across a dropped stream arrives",
          wait_for("after-drop", lambda: score_of(a)[1] == expected + 1))
    again = fake.requests("/apis/apps/v1/deployments", watch=True)[n_watch:]
    check("reconnect: the watch resumed from a resourceVersion, without a relist",
          again and metric(a, "scoregate_kube_relists_total") == relists
          and all(q.get("resourceVersion", [""])[0] not in ("", "0") for _, q, _, _ in again), str(again[:1]))
    check("reconnect: still synced", metric(a, "scoregate_inventory_synced") == 1)
    check("reconnect: the drop counts as an error", metric(a, "scoregate_kube_errors_total") >= 1)

    # ------------------------------------------------------------ 410 Gone: relist
    errors_before = events(a, "ERROR")
    fake.set_down(True)
    check("outage: the inventory goes out of sync",
          wait_for("unsynced", lambda: metric(a, "scoregate_inventory_synced") == 0, timeout=30))
    fake.delete("Deployment", "team", "after-drop")
    fake.put(deployment("during-outage"))
    fake.compact()
    fake.set_down(False)
    check("410 Gone (ERROR event): relisted and back in sync",
          wait_for("relist", lambda: metric(a, "scoregate_kube_relists_total") > relists
                   and metric(a, "scoregate_inventory_synced") == 1, timeout=60), a.log_text()[-2000:])
    check("410 Gone (ERROR event): counted as ERROR events", events(a, "ERROR") > errors_before)
    check("410 Gone: an object deleted during the outage is gone, one created is there",
          wait_for("relisted state", lambda: in_step(a, fake)), f"{score_of(a)} vs {oracle(fake)}")
    relists = metric(a, "scoregate_kube_relists_total")
    fake.http410 = True
    fake.set_down(True)
    time.sleep(0.5)
    fake.put(deployment("during-outage-2"))
    fake.compact()
    fake.set_down(False)
    check("410 Gone (HTTP 410): relisted",
          wait_for("relist 2", lambda: metric(a, "scoregate_kube_relists_total") > relists
                   and metric(a, "scoregate_inventory_synced") == 1, timeout=60))
    check("410 Gone (HTTP 410): in step with the oracle", wait_for("oracle", lambda: in_step(a, fake)))
    fake.http410 = False

    # ------------------------------------------------------------ token rotation
    with open(token_file + ".new", "w") as f:
        f.write("token-2\n")
    os.replace(token_file + ".new", token_file)
    fake.set_tokens(["token-2"])
    st, _ = get("/api/v1/pods", "token-1")
    check("rotation: the double now rejects the old token", st == 401)
    n_log = len(fake.log)
    fake.drop_streams()
    fake.put(deployment("after-rotation"))
    check("rotation: events after the rotation arrive (the new token is read)",
          wait_for("rotation", lambda: in_step(a, fake), timeout=60), a.log_text()[-2000:])
    check("rotation: requests after the rotation are authorized",
          any(ok for _, _, ok, _ in fake.log[n_log:]) and metric(a, "scoregate_inventory_synced") == 1)

    # ------------------------------------------------------------ reload relists
    relists = metric(a, "scoregate_kube_relists_total")
    a.send(signal.SIGHUP)
    check("reload: SIGHUP relists every kind",
          wait_for("reload relist", lambda: metric(a, "scoregate_kube_relists_total") >= relists + 13))
    check("reload: still in step", wait_for("oracle", lambda: in_step(a, fake)))

    # ------------------------------------------------------------ two replicas converge
    b = serve("b", settings("b.yaml", kc))
    servers.append(b)
    check("replicas: the second replica syncs",
          wait_for("b synced", lambda: metric(b, "scoregate_inventory_synced") == 1, timeout=60))
    check("replicas: both report the same score and resources",
          wait_for("converge", lambda: score_of(a) == score_of(b)), f"{score_of(a)} vs {score_of(b)}")
    fake.put(deployment("api", hardened=False))
    fake.delete("Secret", "team", "db-password")
    check("replicas: converge again after changes",
          wait_for("converge 2", lambda: in_step(a, fake) and in_step(b, fake)), f"{score_of(a)} vs {score_of(b)}")

    # ------------------------------------------------------------ unreachable API server at start
    port = free_port()
    kc_later = fa.kubeconfig(os.path.join(tmp, "kubeconfig-later"), f"https://127.0.0.1:{port}",
                             ca_file=os.path.join(pki, "ca.crt"), token="token-1")
    c = serve("c", settings("c.yaml", kc_later))
    servers.append(c)
    time.sleep(1.5)
    check("unreachable: not synced", metric(c, "scoregate_inventory_synced") == 0)
    rev = review("CREATE", {"apiVersion": "apps/v1", **deployment("probe")}, namespace="team", dry_run=True)
    st, _, body = c.post("/validate", rev)
    check("unreachable: /validate still answers",
          st == 200 and json.loads(body)["response"]["uid"] == rev["request"]["uid"], body[:200])
    rev = review("CREATE", {"apiVersion": "apps/v1", **deployment("admitted-only")}, namespace="team")
    st, _, body = c.post("/validate", rev)
    check("unreachable: admissions keep counting while not synced",
          st == 200 and score_of(c)[1] == 1, (st, score_of(c)))
    later = fa.FakeAPIServer(pki, tokens=["token-1"], port=port)
    for o in initial_objects()[:12]:
        later.put(o)
    later.start()
    fakes.append(later)
    # Until the first lists are complete the old inventory serves; then the
    # listed one replaces it at once: no sample may see a half-listed cluster.
    full = oracle(later)[1]
    sizes = set()
    deadline = time.time() + 60
    while time.time() < deadline and metric(c, "scoregate_inventory_synced") != 1:
        sizes.add(score_of(c)[1])
        time.sleep(0.02)
    sizes.add(score_of(c)[1])
    check("unreachable: syncs once the API server appears", metric(c, "scoregate_inventory_synced") == 1,
          c.log_text()[-2000:])
    check("unreachable: the inventory is never half listed", sizes <= {1, full}, (sizes, full))
    check("unreachable: then in step with that API server (the admitted-only object is gone)",
          wait_for("oracle c", lambda: in_step(c, later)))

    # ------------------------------------------------------------ scoregate score --kubeconfig
    p = subprocess.run([BIN, "score", "--kubeconfig", kc], capture_output=True, text=True, timeout=120)
    want = score_of(a)[0]
    m = re.search(r"Secure score: ([0-9.]+)% \(([0-9.]+) of [0-9.]+ points, (\d+) resources", p.stdout)
    check("score --kubeconfig: exit 0 and the live cluster's score",
          p.returncode == 0 and m and float(m.group(1)) == want and int(m.group(3)) == score_of(a)[1],
          f"rc={p.returncode} out={p.stdout[:300]} err={p.stderr[:300]} want={want}")
    check("score --kubeconfig: per-control table",
          all(n in p.stdout for n in ("Manage access and permissions", "Protect applications against DDoS attacks",
                                      "healthy", "unhealthy")), p.stdout[:500])
    p = subprocess.run([BIN, "score", "-f", "json", "--kubeconfig", kc], capture_output=True, text=True, timeout=120)
    check("score --kubeconfig -f json", p.returncode == 0 and json.loads(p.stdout)["score"]["percent"] == want,
          p.stderr[:300])
    bad = fa.kubeconfig(os.path.join(tmp, "kubeconfig-bad"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                        token="token-1")
    p = subprocess.run([BIN, "score", "--kubeconfig", bad], capture_output=True, text=True, timeout=60)
    check("score --kubeconfig: a rejected token exits 2 naming 401",
          p.returncode == 2 and "401 Unauthorized" in p.stderr, p.stderr)
    certs = fa.kubeconfig(os.path.join(tmp, "kubeconfig-cert"), fake.url,
                          ca_data=fa.b64file(os.path.join(pki, "ca.crt")),
                          cert_data=fa.b64file(os.path.join(pki, "client.crt")),
                          key_data=fa.b64file(os.path.join(pki, "client.key")))
    p = subprocess.run([BIN, "score", "--kubeconfig", certs], capture_output=True, text=True, timeout=120)
    check("score --kubeconfig: client certificate and CA as inline data",
          p.returncode == 0 and f"Secure score: {want:.2f}%" in p.stdout, p.stderr[:300])
    insecure = fa.kubeconfig(os.path.join(tmp, "kubeconfig-insecure"), fake.url, insecure=True, token="token-2")
    p = subprocess.run([BIN, "score", "--kubeconfig", insecure], capture_output=True, text=True, timeout=120)
    check("score --kubeconfig: insecure-skip-tls-verify", p.returncode == 0, p.stderr[:300])
    named = fa.kubeconfig(os.path.join(tmp, "kubeconfig-name"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                          token="token-2", extra_cluster={"tls-server-name": "localhost"})
    p = subprocess.run([BIN, "score", "--kubeconfig", named], capture_output=True, text=True, timeout=120)
    check("score --kubeconfig: tls-server-name verifies the certificate under that name", p.returncode == 0,
          p.stderr[:300])
    misnamed = fa.kubeconfig(os.path.join(tmp, "kubeconfig-misnamed"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                             token="token-2", extra_cluster={"tls-server-name": "wrong.example"})
    p = subprocess.run([BIN, "score", "--kubeconfig", misnamed], capture_output=True, text=True, timeout=60)
    check("score --kubeconfig: a tls-server-name the certificate lacks fails", p.returncode == 2, p.stderr[:300])
    wrong_ca = fa.kubeconfig(os.path.join(tmp, "kubeconfig-noca"), fake.url, token="token-2")
    p = subprocess.run([BIN, "score", "--kubeconfig", wrong_ca], capture_output=True, text=True, timeout=60)
    check("score --kubeconfig: an untrusted server certificate fails", p.returncode == 2 and "list pods" in p.stderr,
          p.stderr[:300])

    # ------------------------------------------------------------ shutdown
    for s in servers:
        rc = s.stop()
        check(f"shutdown: {os.path.basename(s.workdir)} exits 0 on SIGTERM", rc == 0, s.log_text()[-1500:])
        check(f"shutdown: {os.path.basename(s.workdir)} sanitizer-clean", sanitizer_clean(s), s.log_text()[-3000:])
    check("no Secret value in any log", all(SECRET_PLAIN not in s.log_text() and SECRET_B64 not in s.log_text()
                                            for s in servers))
except Exception as e:  # a crash of the test itself is a failure, never a pass
    import traceback
    traceback.print_exc()
    check("test ran to the end", False, repr(e))
finally:
    for s in servers:
        s.kill()
    for f in fakes:
        f.stop()
harness.finish()
