#!/usr/bin/env python3
"""test_policy_reports.py - PolicyReports in the cluster (server.policyReports, issue 20 part 3):
the real `scoregate serve` with inventorySync and policyReports on, against fake_apiserver.py, a TEST
DOUBLE of the API server that serves the wgpolicyk8s.io/v1alpha2 CRDs only once they are installed
(serve_crd; 404 before, as kube-apiserver answers) and checks what is written against the CRD's schema
(fake_objects.py).

Checks: the settings' errors name file and line; with the CRDs missing, serve keeps running, says so in
one log line (not one per interval), counts scoregate_policyreports_errors_total{reason="crd_missing"}
at each interval and shows scoregate_policyreports_crd_missing 1; installed, the reports appear at the
next interval: a PolicyReport "scoregate" in each namespace with inventoried resources and the
ClusterPolicyReport, labelled managed-by scoregate; their results agree with `scan -f policyreport` of
the same objects (policy, rule, result per resource), carry the resource's apiVersion, kind, name,
namespace and uid, the control and the score impact (the points the `score -f json` oracle says the
control gains) as strings, and summaries that count them; nothing is written while nothing changes; a
change is written as a PUT carrying the resourceVersion read; a report another writer changed meanwhile
gets 409 Conflict, is read again and written (the other writer's label kept); a report of several
MiB is cut (passes and skips first) to fit etcd's limit, its summary still counting every result, with a
warning; a namespace whose resources are all gone keeps an empty report; with two replicas only
the holder of the Lease writes, and the other takes over when it stops; shutdown is clean under the
sanitizers.
Usage: test_policy_reports.py SCOREGATE_BINARY SOURCE_DIR. Loopback only; bounded time.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))  # tests/: harness.py
import fake_apiserver as fa  # noqa: E402
import harness as h  # noqa: E402
import kubelib as kl  # noqa: E402

BIN, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
GROUP, VERSION = "wgpolicyk8s.io", "v1alpha2"
INTERVAL = 2
PR = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/{}/policyreports/scoregate"
CPR = "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/scoregate"
BIG = 250   # unhardened Deployments in one namespace: a report of several MiB before it is cut
EXTRA = f"  policyReports: {{enabled: true, interval: {INTERVAL}s}}\n"


def settings_errors(tmp):
    cases = [("server:\n  policyReports: {enabled: true}\n", "line 2: server.policyReports needs "
              "server.inventorySync.enabled: true"),
             ("server:\n  inventorySync: {enabled: true}\n  policyReports: {enabled: true, interval: 60}\n",
              "line 3: server.policyReports.interval must be a duration"),
             ("server:\n  inventorySync: {enabled: true}\n  policyReports: {enabled: true, interval: 2d}\n",
              "line 3: server.policyReports.interval must be a duration"),
             ("server:\n  inventorySync: {enabled: true}\n  policyReports: {enabled: true, interval: 0s}\n",
              "line 3: server.policyReports.interval must be a duration from 1s to 24h"),
             ("server:\n  inventorySync: {enabled: true}\n  policyReports: {enabled: true, interval: 24h1s}\n",
              "line 3: server.policyReports.interval must be a duration from 1s to 24h"),
             ("server:\n  inventorySync: {enabled: true}\n  policyReports: {enabled: true, every: 5m}\n",
              "line 3: unknown key 'every' in server.policyReports")]
    for text, needle in cases:
        path = h.write("bad.yaml", text)
        rc, _, err = h.run("catalog", "-c", path)
        h.check(f"settings: {needle[:60]}", rc == 2 and f"bad.yaml: {needle}" in err, f"rc {rc}: {err}")
    for interval in ("1m30s", "24h", "1s"):
        rc, _, err = h.run("catalog", "-c", h.write("good.yaml", "server:\n  inventorySync: {enabled: true}\n"
                                                    f"  policyReports: {{enabled: true, interval: {interval}}}\n"))
        h.check(f"settings: interval {interval} loads", rc == 0, err)


def objects(fake):
    fake.put(kl.deployment("web"))                       # unhealthy in several controls
    fake.put(kl.deployment("api", hardened=True))
    fake.put(kl.deployment("shop-web", ns="shop"))
    fake.put({"kind": "Service", "metadata": {"name": "front", "namespace": "shop"},
              "spec": {"ports": [{"port": 80}]}})


def report(fake, ns):
    return fake.single.get("clusterpolicyreports" if ns is None else "policyreports", ns or "", "scoregate")


def report_writes(fake):
    with fake.cond:
        return [w for w in fake.single.writes if "policyreports" in w[1]]


def logged_writes(fake, since, path, want):
    """The statuses of the writes to `path` after the first `since`, once the last is `want`: the double
    stores an object a moment before it logs the request."""
    codes = lambda: [w[2] for w in report_writes(fake)[since:] if w[1].startswith(path)]  # noqa: E731
    kl.wait_for(f"a {want} logged for {path}", lambda: codes()[-1:] == [want], timeout=5, interval=0.05)
    return codes()


def scan_results(tmp, fake):
    """(namespace, kind, name) -> {(policy, rule, result)} of `scan -f policyreport` over the double's objects."""
    items = []
    with fake.cond:
        for path, objs in fake.objects.items():
            if "wgpolicyk8s" not in path and "leases" not in path:
                items += list(objs.values())
    path = h.write("objects.json", {"apiVersion": "v1", "kind": "List", "items": items})
    p = subprocess.run([BIN, "scan", "-f", "policyreport", path], capture_output=True, text=True, timeout=120)
    out = {}
    for rep in json.loads(p.stdout)["items"]:
        for r in rep["results"]:
            res = r["resources"][0]
            out.setdefault((res.get("namespace"), res["kind"], res["name"]), set()).add(
                (r["policy"], r["rule"], r["result"]))
    return out


def served_results(fake):
    out, reports = {}, [report(fake, ns) for ns in ("team", "shop")] + [report(fake, None)]
    for rep in reports:
        for r in rep["results"] if rep else []:
            res = r["resources"][0]
            out.setdefault((res.get("namespace"), res["kind"], res["name"]), set()).add(
                (r["policy"], r["rule"], r["result"]))
    return out


def expected_impact(control):
    """The points `control` gains when one more of its resources is healthy, from `score -f json`."""
    rc, out, err = h.run("score", "-f", "json", os.path.join(kl.TMP, "objects.json"))
    c = next(c for c in json.loads(out)["score"]["controls"] if c["id"] == control)
    n = c["healthy"] + c["unhealthy"]
    return round(round(c["max"] * (c["healthy"] + 1) / n + 1e-9, 2) - round(c["max"] * c["healthy"] / n + 1e-9, 2), 2)


def content_checks(tmp, fake):
    team = report(fake, "team")
    h.check("content: apiVersion, kind, name, label", team["apiVersion"] == f"{GROUP}/{VERSION}" and
            team["kind"] == "PolicyReport" and team["metadata"]["labels"].get("app.kubernetes.io/managed-by") ==
            "scoregate", team["metadata"])
    h.check("content: the ClusterPolicyReport is there too", report(fake, None) is not None and
            report(fake, None)["kind"] == "ClusterPolicyReport")
    uid = fake.objects["/apis/apps/v1/deployments"][("team", "web")]["metadata"]["uid"]
    web = [r for r in team["results"] if r["resources"][0]["name"] == "web"]
    ref = web[0]["resources"][0] if web else {}
    h.check("content: the resource reference has apiVersion, kind, name, namespace and the object's uid",
            ref == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "team", "uid": uid},
            ref)
    h.check("content: every property is a string, every result names its control",
            all(isinstance(v, str) for r in team["results"] for v in r["properties"].values()) and
            all(r["properties"]["control"] == r["category"] for r in team["results"]))
    summary = {k: sum(1 for r in team["results"] if r["result"] == k) for k in ("pass", "fail", "warn", "error", "skip")}
    h.check("content: the summary counts the results", team["summary"] == summary and summary["fail"] > 0,
            (team["summary"], summary))
    scan, served = scan_results(tmp, fake), served_results(fake)
    h.check("content: per resource, the same (policy, rule, result) as scan -f policyreport of the same objects",
            scan == served and {("team", "Deployment", "web"), ("team", "Deployment", "api"),
                                ("shop", "Deployment", "shop-web")} <= set(served), {k: (scan.get(k), served.get(k)) for k in set(scan) | set(served)
                                                  if scan.get(k) != served.get(k)})
    cpu = next((r for r in web if r["rule"] == "cpu-memory-limits"), None)
    want = expected_impact("ddos")
    h.check("content: the score impact of a control's only failing recommendation is the points it gains",
            cpu and cpu["result"] == "fail" and float(cpu["properties"]["scoreImpactPoints"]) == want and want > 0,
            (cpu and cpu["properties"], want))


def write_checks(fake, server):
    before = len(report_writes(fake))
    rvs = {ns: report(fake, ns)["metadata"]["resourceVersion"] for ns in ("team", "shop", None)}
    time.sleep(3 * INTERVAL + 1)
    h.check("unchanged: no write and no new resourceVersion over three intervals",
            len(report_writes(fake)) == before and
            all(report(fake, ns)["metadata"]["resourceVersion"] == rv for ns, rv in rvs.items()),
            report_writes(fake)[before:])
    fake.put(kl.deployment("batch"))
    ok = kl.wait_for("batch in the report", lambda: any(r["resources"][0]["name"] == "batch"
                                                        for r in report(fake, "team")["results"]), timeout=30)
    codes = logged_writes(fake, before, PR.format("team"), 200)
    puts = [w for w in report_writes(fake)[before:] if w[0] == "PUT" and w[1].startswith(PR.format("team"))]
    h.check("change: the new resource is reported, by a PUT (with the resourceVersion read) that succeeded",
            ok and puts and codes and set(codes) == {200}, report_writes(fake)[before:])

    # Another writer changes the team report: our next write gets 409, reads again, and writes.
    other = report(fake, "team")
    other["metadata"]["labels"]["owner"] = "someone-else"
    fake.single.put("policyreports", "team", other)
    before = len(report_writes(fake))
    fake.put(kl.deployment("cron-like"))
    ok = kl.wait_for("cron-like in the report", lambda: any(r["resources"][0]["name"] == "cron-like"
                                                            for r in report(fake, "team")["results"]), timeout=30)
    codes = logged_writes(fake, before, PR.format("team"), 200)
    h.check("conflict: a stale write gets 409, the report is read again and written", ok and 409 in codes and
            codes[-1] == 200, codes)
    h.check("conflict: the other writer's label is kept",
            report(fake, "team")["metadata"]["labels"].get("owner") == "someone-else")
    h.check("metrics: writes counted, no API errors", kl.wait_for(
        "writes counted", lambda: kl.metric(server, "scoregate_policyreports_writes_total") >= 5, timeout=10) and
        kl.metric(server, 'scoregate_policyreports_errors_total{reason="api"}') == 0)


def big_and_emptied(fake, server):
    """A report beyond 1 MiB leaves out passes and skips first and stays within etcd's 1.5 MiB; a
    namespace whose resources are all gone keeps its report, with no results."""
    for i in range(BIG):
        fake.put(kl.deployment(f"big-{i:03}", ns="big"))
    fake.put(kl.deployment("short-lived", ns="gone"))
    h.check("size: the big namespace and the short-lived one are reported", kl.wait_for(
        "big and gone", lambda: report(fake, "big") and report(fake, "gone"), timeout=30 + 6 * INTERVAL))
    big = report(fake, "big")
    size = len(json.dumps(big, separators=(",", ":")))
    kinds = {r["result"] for r in big["results"]}
    full = sum(len(v) for k, v in scan_results(kl.TMP, fake).items() if k[0] == "big")
    h.check("size: the stored report fits etcd's 1.5 MiB, some results left out",
            size <= 1536 * 1024 and len(big["results"]) < full, f"{size} bytes, {len(big['results'])} of {full}")
    h.check("size: passes and skips are the ones left out", kinds <= {"fail", "warn"}, kinds)
    h.check("size: the summary still counts every result", sum(big["summary"].values()) == full,
            (big["summary"], full))
    lines = [ln for ln in server.log_text().splitlines() if "too large for the API server" in ln]
    h.check("size: a warning names the namespace", lines and '"namespace":"big"' in lines[-1].replace(" ", ""),
            lines[-1:])
    fake.delete("Deployment", "gone", "short-lived")
    h.check("emptied: the report of a namespace without resources stays, with no results", kl.wait_for(
        "gone emptied", lambda: report(fake, "gone")["results"] == [] and
        set(report(fake, "gone")["summary"].values()) == {0}, timeout=30 + 6 * INTERVAL), report(fake, "gone"))
    for i in range(BIG):
        fake.delete("Deployment", "big", f"big-{i:03}")


def crd_missing_then_installed(tmp, fake, kc):
    server = kl.serve("a", kl.settings("a.yaml", kc, EXTRA))
    try:
        h.check("crd missing: the inventory syncs", kl.wait_for(
            "synced", lambda: kl.metric(server, "scoregate_inventory_synced") == 1, timeout=60))
        missing = 'scoregate_policyreports_errors_total{reason="crd_missing"}'
        h.check("crd missing: counted at every interval", kl.wait_for(
            "retries", lambda: kl.metric(server, missing) >= 3, timeout=10 * INTERVAL), kl.metric(server, missing))
        h.check("crd missing: the gauge says so", kl.metric(server, "scoregate_policyreports_crd_missing") == 1)
        lines = [ln for ln in server.log_text().splitlines() if "PolicyReport CRDs" in ln]
        h.check("crd missing: one clear log line, not one per interval", len(lines) == 1 and
                "not installed" in lines[0] and "docs/policyreports.md" in lines[0], lines)
        h.check("crd missing: still serving", server.request("GET", "/healthz")[0] == 200 and
                server.proc.poll() is None)
        fake.serve_crd(GROUP, VERSION, "policyreports", "PolicyReport")
        fake.serve_crd(GROUP, VERSION, "clusterpolicyreports", "ClusterPolicyReport")
        h.check("crd installed: the reports appear at the next interval", kl.wait_for(
            "reports", lambda: all(report(fake, ns) for ns in ("team", "shop", None)), timeout=6 * INTERVAL + 10),
            report_writes(fake))
        h.check("crd installed: the gauge clears, the log says so", kl.wait_for(
            "gauge and log", lambda: kl.metric(server, "scoregate_policyreports_crd_missing") == 0 and
            "policy reports written again" in server.log_text()))
        posts = lambda: sorted(w[2] for w in report_writes(fake) if w[0] == "POST")  # noqa: E731
        h.check("crd installed: created with POST (201)", kl.wait_for(
            "three POSTs logged", lambda: posts() == [201, 201, 201], timeout=5, interval=0.05), report_writes(fake))
        h.check("leader: this replica writes", kl.metric(server, "scoregate_policyreports_leader") == 1)
        content_checks(tmp, fake)
        write_checks(fake, server)
        big_and_emptied(fake, server)
        return server
    except Exception:
        server.stop()
        raise


def two_replicas(fake, kc, a):
    b = kl.serve("b", kl.settings("b.yaml", kc, EXTRA))
    try:
        kl.wait_for("b synced", lambda: kl.metric(b, "scoregate_inventory_synced") == 1, timeout=60)
        fake.put(kl.deployment("second", ns="shop"))
        ok = kl.wait_for("second reported", lambda: any(r["resources"][0]["name"] == "second"
                                                        for r in report(fake, "shop")["results"]), timeout=30)
        time.sleep(2 * INTERVAL)
        h.check("two replicas: only the Lease holder writes", ok and kl.metric(b, "scoregate_policyreports_leader") == 0
                and kl.metric(b, "scoregate_policyreports_writes_total") == 0 and
                kl.metric(a, "scoregate_policyreports_leader") == 1,
                (kl.metric(b, "scoregate_policyreports_writes_total"), kl.metric(a, "scoregate_policyreports_leader")))
        a.stop()
        h.check("two replicas: a stop is clean under the sanitizers", kl.sanitizer_clean(a), a.log_text()[-2000:])
        h.check("two replicas: the other takes over", kl.wait_for(
            "b leads", lambda: kl.metric(b, "scoregate_policyreports_leader") == 1, timeout=30))
        time.sleep(2 * INTERVAL)
        h.check("two replicas: a new leader with the same inventory writes nothing",
                kl.metric(b, "scoregate_policyreports_writes_total") == 0)
        fake.delete("Deployment", "shop", "second")
        h.check("two replicas: and writes the next change", kl.wait_for(
            "second gone", lambda: not any(r["resources"][0]["name"] == "second"
                                           for r in report(fake, "shop")["results"]) and
            kl.metric(b, "scoregate_policyreports_writes_total") >= 1, timeout=30))
    finally:
        b.stop()
    h.check("two replicas: the second stops clean too", kl.sanitizer_clean(b), b.log_text()[-2000:])


tmp = h.setup(BIN, "sg-preports-")
kl.setup(BIN, tmp)
settings_errors(tmp)
pki = os.path.join(tmp, "pki")
os.mkdir(pki)
fa.make_pki(pki)
fake = fa.FakeAPIServer(pki, tokens=["t"], bookmark_interval=0.5).start()
server = None
try:
    objects(fake)
    kc = fa.kubeconfig(os.path.join(tmp, "kc"), fake.url, ca_file=os.path.join(pki, "ca.crt"), token="t")
    server = crd_missing_then_installed(tmp, fake, kc)
    two_replicas(fake, kc, server)
    server = None
finally:
    if server:
        server.stop()
    fake.stop()
h.finish()
