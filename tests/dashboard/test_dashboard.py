#!/usr/bin/env python3
"""test_dashboard.py - the dashboard of `scoregate serve`, end to end: the real
binary, its inventory filled through /validate, every page loaded in headless
Chromium (screenshots kept as test artifacts).

Usage: test_dashboard.py SCOREGATE SOURCE_DIR ARTIFACTS_DIR SECTION

  pages     every page in Chromium: the page's score equals /metrics'
            scoregate_secure_score_percent and every control's points its
            scoregate_control_points; counts, increases, resources, namespace
            scores and decisions equal the API's (also under a namespace
            filter); the pages fetch nothing (Chromium's net log: no request
            but the page itself) and are self-contained; no Secret value in any
            page or API answer; the exact increase of a recommendation is what
            remediating it alone then does to the score.
  listener  read-only HTTP: 405 for other methods, 403 for a Host that is not
            a loopback name, 400 for bad parameters (each named), 404 for
            unknown paths and recommendations; HEAD; security headers; plain
            HTTP refused off loopback (serve exits saying why); TLS with the
            server's certificate, a client CA required when configured; ""
            turns it off; an address in use is an error.
  history   outside a cluster: a sample at start and after a change (the
            minute rule), equal to /metrics; kept across a restart and a
            SIGKILL, in a versioned file within its bound; a corrupt file is
            set aside.
  cluster   two replicas against the API server double: one holds the Lease
            and writes the ConfigMap, the other reads it, both show the same
            history; after the leader is SIGKILLed the other leads once the
            lease expired; a new pod with an empty state directory shows the
            same history; a stopping leader releases the Lease.
  offline   `scoregate score -f html -o FILE` writes the same overview (same
            score and controls as the live page), self-contained, in Chromium.

Prints "N passed, N failed" and exits non-zero on any failure.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SCOREGATE, SRC, ARTIFACTS, SECTION = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3]), sys.argv[4]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "kube"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import dashlib as dl  # noqa: E402
from webhook_client import Server, free_port, write  # noqa: E402

servers = []
PAGES = ["/", "/recommendations", "/recommendations?sort=severity", "/namespaces", "/decisions",
         "/recommendations?namespace=shop", "/?range=90d"]


def start(config_text=None, args=(), workdir=None, state_dir=None):
    workdir = workdir or tempfile.mkdtemp(prefix="sg-dash-")
    config = write(os.path.join(workdir, "config.yaml"), config_text) if config_text else None
    s = Server(SCOREGATE, config=config, args=args, workdir=workdir, state_dir=state_dir)
    servers.append(s)
    return s.start()


def metric_points(metrics):
    return {m.group(1): v for k, v in metrics.items() for m in [re.match(r'scoregate_control_points\{control="([^"]+)"\}', k)] if m}


# ---------------------------------------------------------------- pages

def check_overview(s, browser, metrics, controls):
    dom, shot, reqs = dl.browse(browser, f"http://127.0.0.1:{s.dashboard_port}/", ARTIFACTS, "overview")
    ok, colours = dl.not_blank(shot)
    check(f"overview: the screenshot is not blank ({colours} colours; kept in {ARTIFACTS})", ok)
    score = dl.attrs(dom, "data-percent")
    check("overview: the page's score equals /metrics' scoregate_secure_score_percent",
          score and score[0]["data-percent"] == f"{metrics['scoregate_secure_score_percent']:.2f}",
          (score[:1], metrics.get("scoregate_secure_score_percent")))
    shown = {a["data-control"]: a["data-points"] for a in dl.attrs(dom, "data-control")}
    points = metric_points(metrics)
    check("overview: every control's points equal /metrics' scoregate_control_points",
          shown and all(shown.get(c) == f"{v:.2f}" for c, v in points.items()), (shown, points))
    check("overview: controls in the API's order (by potential increase)",
          list(shown) == [c["id"] for c in controls["controls"]], (list(shown), [c["id"] for c in controls["controls"]]))
    increases = [a["data-increase"] for a in dl.attrs(dom, "data-increase")]
    check("overview: each control's potential increase is the API's",
          increases == [f"{c['increase']['percent']:.2f}" for c in controls["controls"]], increases)
    check("overview: the score-over-time chart is drawn", 'id="chart"' in dom or 'id="chart-empty"' in dom)


def check_recommendations(s, browser, path, name, ns=None):
    query = f"?namespace={ns}" if ns else ""
    doc = dl.api(s.dashboard_port, f"/api/v1/recommendations{query}")
    dom, _, _ = dl.browse(browser, f"http://127.0.0.1:{s.dashboard_port}{path}", ARTIFACTS, name)
    rows = dl.attrs(dom, "data-rec")
    want = {r["id"]: (str(r["unhealthy"]), str(r["healthy"]), str(r["exempt"]), str(r["notApplicable"]))
            for r in doc["recommendations"]}
    got = {r["data-rec"]: (r["data-unhealthy"], r["data-healthy"], r["data-exempt"], r["data-na"]) for r in rows}
    check(f"{name}: every recommendation's counts equal the API's", got == want and len(rows) == len(want),
          (got, want))
    incs = [a["data-increase"] for a in dl.attrs(dom, "data-increase")]
    check(f"{name}: every increase equals the API's",
          incs == [f"{r['increase']['percent']:.2f}" for r in doc["recommendations"]], incs)
    return doc


def check_rec_pages(s, browser, recs):
    for r in recs["recommendations"]:
        if not r["unhealthy"] and not r["exempt"]:
            continue
        api = dl.api(s.dashboard_port, f"/api/v1/recommendations/{r['id']}/resources?limit=1000")
        dom, _, _ = dl.browse(browser, f"http://127.0.0.1:{s.dashboard_port}/recommendations/{r['id']}", ARTIFACTS,
                              f"recommendation-{r['id']}")
        rows = [a["data-resource"] for a in dl.attrs(dom, "data-resource")]
        want = [f"{i['namespace']}/{i['kind']}/{i['name']}" for i in api["items"]]
        check(f"recommendation {r['id']}: its resources are the API's", rows == want, (rows, want))
        total = dl.attrs(dom, "data-total")
        check(f"recommendation {r['id']}: the total is the API's",
              total and total[0]["data-total"] == str(api["total"]) == str(r["unhealthy"]), (total, api["total"]))
        containers = {c for i in api["items"] for c in i["containers"]}
        check(f"recommendation {r['id']}: the affected containers are listed",
              all(f">{c}<" in dom or f", {c}" in dom or f"{c}," in dom for c in containers), containers)


def check_namespaces(s, browser):
    doc = dl.api(s.dashboard_port, "/api/v1/namespaces")
    dom, _, _ = dl.browse(browser, f"http://127.0.0.1:{s.dashboard_port}/namespaces", ARTIFACTS, "namespaces")
    got = {a["data-namespace"]: a["data-percent"] for a in dl.attrs(dom, "data-namespace")}
    want = {n["namespace"]: ("n/a" if n["score"]["percent"] is None else f"{n['score']['percent']:.2f}")
            for n in doc["namespaces"]}
    check("namespaces: every namespace's score equals the API's", got == want, (got, want))
    first = [f["id"] for n in doc["namespaces"] for f in n["fixFirst"]]
    check("namespaces: what to fix first is shown", first and all(f"/recommendations/{i}" in dom for i in first))


def check_decisions(s, browser, answers):
    doc = dl.api(s.dashboard_port, "/api/v1/decisions")
    dom, _, _ = dl.browse(browser, f"http://127.0.0.1:{s.dashboard_port}/decisions", ARTIFACTS, "decisions")
    uids = [a["data-uid"] for a in dl.attrs(dom, "data-uid")]
    check("decisions: the page lists the API's decisions, newest first",
          uids and uids == [d["uid"] for d in doc["decisions"]], (uids, doc))
    denied = sum(1 for st, r in answers if st == 200 and not r["allowed"])
    warned = sum(1 for st, r in answers if st == 200 and r["allowed"] and r.get("warnings"))
    kinds = [d["decision"] for d in doc["decisions"]]
    check("decisions: every denial and warning answered is there",
          kinds.count("denied") == denied and kinds.count("warned") == warned, (kinds, denied, warned))


def check_request_detector(s, browser):
    """The net log check can fail: a page that fetches an image and a stylesheet from the dashboard is caught."""
    origin = f"http://127.0.0.1:{s.dashboard_port}"
    with tempfile.TemporaryDirectory() as tmp:
        page = write(os.path.join(tmp, "fetching.html"),
                     f'<!DOCTYPE html><html><head><link rel="stylesheet" href="{origin}/api/v1/summary"></head>'
                     f'<body><img src="{origin}/api/v1/controls"></body></html>')
        _, _, reqs = dl.browse(browser, "file://" + page, tmp, "fetching")
    found = {r[0] for r in dl.page_requests(reqs)}
    check("the request check sees what a page fetches (a page with an image and a stylesheet)",
          {origin + "/api/v1/summary", origin + "/api/v1/controls"} <= found, found)


def check_requests_and_self_contained(s, browser):
    check_request_detector(s, browser)
    origin = f"http://127.0.0.1:{s.dashboard_port}"
    for path in PAGES:
        status, headers, body = dl.get(s.dashboard_port, path)
        html = body.decode("utf-8", "replace")
        check(f"{path}: a complete page (200, text/html)",
              status == 200 and headers.get("content-type", "").startswith("text/html") and
              html.startswith("<!DOCTYPE html>"), status)
        found = dl.self_contained(html)
        check(f"{path}: self-contained (nothing that would fetch)", not found, found)
        _, _, reqs = dl.browse(browser, origin + path, ARTIFACTS, "page-" + (re.sub(r"\W+", "-", path).strip("-") or "overview"))
        mine = dl.page_requests(reqs)
        check(f"{path}: Chromium requested nothing but the page itself",
              [r[0] for r in mine] == [origin + path], mine)


def check_no_secret(s, recs):
    bodies = []
    paths = PAGES + ["/api/v1/summary", "/api/v1/controls", "/api/v1/recommendations", "/api/v1/namespaces",
                     "/api/v1/history", "/api/v1/decisions", "/recommendations/no-default-namespace?status=all",
                     "/decisions"]
    for r in recs["recommendations"]:
        paths.append(f"/api/v1/recommendations/{r['id']}/resources?status=all&limit=1000")
        paths.append(f"/api/v1/recommendations/{r['id']}")
    for p in paths:
        bodies.append(dl.get(s.dashboard_port, p)[2])
    blob = b"\n".join(bodies)
    check("the Secret is listed by name", b"db-creds" in blob)
    check("no Secret value in any page or API answer",
          dl.SECRET_PLAIN.encode() not in blob and dl.SECRET_B64.encode() not in blob)


def check_exact_increase(s, recs):
    """Remediating one recommendation alone (privileged-containers, on every resource it lists) moves the
    score by exactly its increase."""
    top = next(r for r in recs["recommendations"] if r["id"] == "privileged-containers")
    before = s.metrics()["scoregate_secure_score_percent"]
    fixed = []
    for o in dl.objects():
        if o["kind"] == "Pod" and o["metadata"]["name"].startswith("bad"):
            o["spec"]["containers"][0]["securityContext"]["privileged"] = False
            fixed.append(o)
    check("privileged-containers has an increase to test", top["increase"]["percent"] > 0, top)
    for o in fixed:
        s.post("/validate", dl.review("UPDATE", o, old=o, namespace=o["metadata"]["namespace"]))
    after = s.metrics()["scoregate_secure_score_percent"]
    check(f"remediating it alone adds exactly its increase ({before} -> {after}, +{top['increase']['percent']})",
          abs((after - before) - top["increase"]["percent"]) < 0.0001, (before, after, top["increase"]))


def section_pages():
    browser = dl.chromium_binary()
    if not check("chromium is installed (scripts/deps)", browser is not None):
        return
    s = start(dl.SETTINGS)
    answers = dl.admit(s, dl.objects() + [dict(dl.privileged_pod("hostpid", "shop"),
                                                 spec=dict(dl.healthy_pod()["spec"], hostPID=True))])
    check("the objects are admitted (and the hostPID pod denied)",
          all(st == 200 for st, _ in answers) and not answers[-1][1]["allowed"], answers[-1])
    metrics = s.metrics()
    controls = dl.api(s.dashboard_port, "/api/v1/controls")
    summary = dl.api(s.dashboard_port, "/api/v1/summary")
    check("summary: the API's score equals /metrics'",
          summary["score"]["percent"] == metrics["scoregate_secure_score_percent"] and
          summary["resources"] == metrics["scoregate_inventory_resources"], (summary, metrics))
    check_overview(s, browser, metrics, controls)
    recs = check_recommendations(s, browser, "/recommendations", "recommendations")
    check_recommendations(s, browser, "/recommendations?namespace=shop", "recommendations-in-shop", ns="shop")
    bad = [r for r in recs["recommendations"] if r["id"] == "run-as-non-root"]
    check("an active waiver counts the CronJob as exempt", bad and bad[0]["exempt"] == 1, bad)
    rofs = dl.api(s.dashboard_port, "/api/v1/recommendations/readonly-root-filesystem")
    ex = {x["name"]: x for x in rofs["exemptions"]}
    check("the expired exemption is shown expired, with its date",
          ex.get("legacy-rofs-old", {}).get("active") is False and
          ex["legacy-rofs-old"]["expires"] == "2020-01-01T00:00:00Z", rofs["exemptions"])
    check_rec_pages(s, browser, recs)
    check_namespaces(s, browser)
    check_decisions(s, browser, answers)
    check_requests_and_self_contained(s, browser)
    check_no_secret(s, recs)
    check_exact_increase(s, recs)
    check("exit 0 on SIGTERM, no sanitizer report",
          s.stop() == 0 and "Sanitizer" not in s.log_text() and "runtime error" not in s.log_text())


# ---------------------------------------------------------------- listener

def refused(args, config_text=None, needle="", code=2):
    """serve exits with `code` saying `needle`; a usage error (2) writes nothing, not even the state directory."""
    workdir = tempfile.mkdtemp(prefix="sg-dash-")
    state = os.path.join(workdir, "st")
    cmd = [SCOREGATE, "serve", "--address", f"127.0.0.1:{free_port()}", "--state-dir", state]
    if config_text:
        cmd += ["-c", write(os.path.join(workdir, "c.yaml"), config_text)]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)
    untouched = code != 2 or not os.path.exists(state)
    return p.returncode == code and needle in p.stderr and untouched, f"exit {p.returncode}: {p.stderr[-500:]}"


def section_listener():
    s = start()
    port = s.dashboard_port
    out = s.stdout_text()
    check("the start-up lines name the dashboard", f"http://127.0.0.1:{port}/" in out, out)
    status, headers, body = dl.get(port, "/")
    check("GET / answers the overview", status == 200 and b"Secure score" in body, status)
    csp = headers.get("content-security-policy", "")
    check("security headers: CSP default-src 'none', no-store, nosniff, no framing",
          "default-src 'none'" in csp and headers.get("cache-control") == "no-store" and
          headers.get("x-content-type-options") == "nosniff" and headers.get("x-frame-options") == "DENY", headers)
    status, headers, body = dl.get(port, "/api/v1/summary", method="HEAD")
    check("HEAD answers without a body", status == 200 and body == b"", (status, body[:80]))
    for method in ("POST", "PUT", "DELETE"):
        status, headers, body = dl.get(port, "/api/v1/summary", method=method, body=b"{}")
        check(f"{method} is refused (405, Allow: GET, HEAD)",
              status == 405 and headers.get("allow") == "GET, HEAD", (status, body[:120]))
    for host in ("evil.example", "127.0.0.1.nip.io:8080", "10.0.0.1"):
        status, _, body = dl.get(port, "/api/v1/summary", host=host)
        check(f"Host {host}: refused (403): no DNS rebinding", status == 403 and b"loopback" in body, status)
    for host in ("localhost", f"localhost:{port}", "[::1]:1234", "127.0.0.2"):
        check(f"Host {host}: answered", dl.get(port, "/api/v1/summary", host=host)[0] == 200)
    for path, word in [("/api/v1/history?since=yesterday", "since"), ("/?range=1y", "range"),
                       ("/recommendations?sort=name", "sort"), ("/api/v1/summary?namespace=Shop%85", "namespace"),
                       ("/api/v1/recommendations/privileged-containers/resources?limit=0", "limit"),
                       ("/api/v1/recommendations/privileged-containers/resources?limit=abc", "limit"),
                       ("/api/v1/recommendations/privileged-containers/resources?status=broken", "status"),
                       ("/api/v1/recommendations/privileged-containers/resources?continue=zz", "continue token")]:
        status, headers, body = dl.get(port, path)
        check(f"{path}: 400 naming {word}", status == 400 and word.encode() in body, (status, body[:200]))
    for path in ("/nope", "/api/v1/nope", "/api/v1/recommendations/nope/resources", "/recommendations/nope"):
        check(f"{path}: 404", dl.get(port, path)[0] == 404)
    check("a valid since is accepted", dl.get(port, "/api/v1/history?since=2025-01-01T00:00:00%2B01:00")[0] == 200)
    check("exit 0 on SIGTERM", s.stop() == 0)

    ok, err = refused(["--dashboard-address", "0.0.0.0:" + str(free_port())], needle="not a loopback address")
    check("plain HTTP off loopback: serve refuses (exit 2, nothing written), saying why", ok and "server.dashboard.tls" in err, err)
    ok, err = refused(["--dashboard-address", ":" + str(free_port())], needle="not a loopback address")
    check("plain HTTP on every address: refused", ok, err)
    busy = start()
    ok, err = refused(["--dashboard-address", f"127.0.0.1:{busy.dashboard_port}"], needle="cannot listen", code=1)
    check("a dashboard address in use: serve exits 1, saying what to do", ok and "--dashboard-address" in err, err)
    ok, err = refused([], "server:\n  dashboard: {clientCAFile: /x}\n", needle="needs server.dashboard.tls")
    check("clientCAFile without tls is a settings error", ok, err)
    busy.stop()
    off = start(args=["--dashboard-address", ""])
    check('--dashboard-address "" turns it off', "dashboard" not in off.stdout_text(), off.stdout_text())
    off.stop()
    tls_section()


def tls_section():
    workdir = tempfile.mkdtemp(prefix="sg-dash-")
    client = os.path.join(workdir, "client")
    p = subprocess.run([SCOREGATE, "certs", "generate", "--out", client, "--service", "c", "--namespace", "c"],
                       capture_output=True, text=True, timeout=60)
    check("client certificates generated", p.returncode == 0, p.stderr)
    port = free_port()
    config = f"server:\n  dashboard: {{tls: true, clientCAFile: {client}/ca.crt}}\n"
    s = start(config, args=["--dashboard-address", f"127.0.0.1:{port}"], workdir=workdir)
    import http.client
    import ssl
    ctx = Server.make_context(os.path.join(s.state_dir, "ca.crt"))

    def status_with(context):
        c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=20)
        try:
            c.request("GET", "/api/v1/summary", headers={"Host": "localhost"})
            return c.getresponse().status
        except (OSError, ssl.SSLError):
            return 0
        finally:
            c.close()
    check("TLS: the server's certificate; without a client certificate 403", status_with(ctx) == 403)
    ctx2 = Server.make_context(os.path.join(s.state_dir, "ca.crt"))
    ctx2.load_cert_chain(os.path.join(client, "tls.crt"), os.path.join(client, "tls.key"))
    check("TLS: with a client certificate from clientCAFile, 200", status_with(ctx2) == 200)
    check("TLS: the start-up line says https", f"https://127.0.0.1:{port}/" in s.stdout_text())
    s.stop()
    port = free_port()
    s = start("server:\n  dashboard: {tls: true}\n", args=["--dashboard-address", f"0.0.0.0:{port}"])
    import http.client as hc
    c = hc.HTTPSConnection("127.0.0.1", port, context=Server.make_context(os.path.join(s.state_dir, "ca.crt")),
                           timeout=20)
    c.request("GET", "/api/v1/summary", headers={"Host": "scoregate.example"})
    check("TLS off loopback: served to any Host", c.getresponse().status == 200)
    c.close()
    s.stop()


# ---------------------------------------------------------------- history

def history(s):
    return dl.api(s.dashboard_port, "/api/v1/history")["samples"]


def wait_for(fn, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.5)
    return fn()


def section_history():
    workdir = tempfile.mkdtemp(prefix="sg-dash-")
    state = os.path.join(workdir, "state")
    s = start(workdir=workdir, state_dir=state)
    first = wait_for(lambda: history(s), 10)
    check("a sample at start (the empty inventory: n/a)", len(first) == 1 and first[0]["percent"] is None, first)
    started = time.time()
    dl.admit(s, dl.objects())
    score = s.metrics()["scoregate_secure_score_percent"]
    time.sleep(2)
    check("a change within the minute waits for it", len(history(s)) == 1, history(s))
    second = wait_for(lambda: len(history(s)) == 2 and history(s), 75)
    check(f"after the minute, the changed score is sampled ({time.time() - started:.0f} s)",
          second and second[-1]["percent"] == score, (second, score))
    path = os.path.join(state, "history.json")
    with open(path) as f:
        doc = json.load(f)
    check("the state directory's history.json is versioned and holds both samples",
          doc.get("version") == 1 and len(doc.get("minutes", [])) == 2, doc)
    check("the history file is within its bound", os.path.getsize(path) <= 512 * 1024)
    # SIGKILL: nothing is lost (the sample was saved when it was taken), nothing is torn.
    s.kill()
    s2 = start(workdir=workdir, state_dir=state)
    after_kill = history(s2)
    check("after SIGKILL the samples are all there", after_kill[:2] == second, (after_kill, second))
    check("a restart after SIGKILL logs no corrupt history", "cannot be loaded" not in s2.log_text())
    s2.stop()
    s3 = start(workdir=workdir, state_dir=state)
    check("after SIGTERM and a restart too", history(s3)[:2] == second, history(s3))
    s3.stop()
    with open(path, "w") as f:
        f.write('{"version":1,"controls":[],"minutes":[[1,')
    s4 = start(workdir=workdir, state_dir=state)
    check("a torn history file is set aside and a new one started",
          os.path.exists(path + ".corrupt") and "cannot be loaded" in s4.log_text() and len(history(s4)) == 1,
          s4.log_text()[-400:])
    s4.stop()


# ---------------------------------------------------------------- cluster

def section_cluster():
    import fake_apiserver as fa
    tmp = tempfile.mkdtemp(prefix="sg-dash-")
    fa.make_pki(tmp)
    fake = fa.FakeAPIServer(tmp).start()
    try:
        cluster(fa, fake, tmp)
    finally:
        fake.stop()


def replica(tmp, name, kc):
    config = (f"server:\n  inventorySync: {{enabled: true, kubeconfig: {kc}}}\n"
              f"  history: {{namespace: scoregate-system, name: scoregate-history}}\n")
    workdir = os.path.join(tmp, name)
    os.makedirs(workdir, exist_ok=True)
    return start(config, workdir=workdir)


def leader_of(*reps):
    return [r for r in reps if r.proc.poll() is None and r.metrics().get("scoregate_history_leader") == 1]


def cluster(fa, fake, tmp):
    kc = fa.kubeconfig(os.path.join(tmp, "kubeconfig"), fake.url, ca_file=f"{tmp}/ca.crt", token="token-1")
    for o in dl.objects():
        fake.put(o)
    # As the chart sets it up: the ConfigMap and Lease exist, empty, and RBAC allows only get and update.
    meta = {"name": "scoregate-history", "labels": {"app.kubernetes.io/name": "scoregate"}}
    fake.single.put("configmaps", "scoregate-system", {"metadata": dict(meta)}, agent="helm")
    fake.single.put("leases", "scoregate-system", {"metadata": dict(meta), "spec": {}}, agent="helm")
    fake.single.forbidden |= {("create", "configmaps"), ("create", "leases"), ("delete", "configmaps")}
    a, b = replica(tmp, "a", kc), replica(tmp, "b", kc)
    leaders = wait_for(lambda: leader_of(a, b), 30)
    check("one replica leads (holds the Lease)", len(leaders) == 1, leaders)
    leader = leaders[0]
    follower = b if leader is a else a
    cm = wait_for(lambda: (fake.single.get("configmaps", "scoregate-system", "scoregate-history") or {}).get("data")
                  and fake.single.get("configmaps", "scoregate-system", "scoregate-history"), 30)
    text = (cm or {}).get("data", {}).get("history", "")
    check("the leader writes the history ConfigMap", text and json.loads(text)["version"] == 1, cm)
    check("...keeping the chart's labels", cm["metadata"].get("labels") == meta["labels"], cm["metadata"])
    check("the ConfigMap is well under its 1 MiB limit (at most 512 KiB)", 0 < len(text) <= 512 * 1024)
    synced = wait_for(lambda: history(a) and history(a) == history(b) and history(a), 30)
    check("both replicas show the same history", synced and synced[-1]["percent"] is not None, (history(a), history(b)))
    check("the sample is the cluster's score, not an empty inventory's",
          synced and synced[0]["percent"] == leader.metrics()["scoregate_secure_score_percent"], synced)
    lease = fake.single.get("leases", "scoregate-system", "scoregate-history")
    check("the Lease names the leader", lease and lease["spec"]["holderIdentity"], lease)
    before = history(leader)
    killed = time.time()
    leader.kill()
    took = wait_for(lambda: leader_of(follower), 40)
    check(f"after SIGKILL of the leader the other leads once the lease expired ({time.time() - killed:.0f} s)",
          took and time.time() - killed >= 10, time.time() - killed)
    c = replica(tmp, "c", kc)
    same = wait_for(lambda: history(c) and history(c)[:len(before)] == before, 30)
    check("a new pod with an empty state directory shows the same history", same, (history(c), before))
    check("...and it follows", leader_of(c) == [], c.metrics().get("scoregate_history_leader"))
    stopped = time.time()
    check("the leader stops cleanly", follower.stop() == 0)
    lease = fake.single.get("leases", "scoregate-system", "scoregate-history")
    check("a stopping leader releases the Lease", lease["spec"]["holderIdentity"] == "", lease["spec"])
    check(f"...so the new pod leads at once ({time.time() - stopped:.0f} s)",
          wait_for(lambda: leader_of(c), 10) and time.time() - stopped < 10)
    check("no history failures", c.metrics().get("scoregate_history_failures_total") == 0, c.log_text()[-600:])
    check("exit 0", c.stop() == 0)


# ---------------------------------------------------------------- offline

def section_offline():
    browser = dl.chromium_binary()
    if not check("chromium is installed (scripts/deps)", browser is not None):
        return
    workdir = tempfile.mkdtemp(prefix="sg-dash-")
    state = os.path.join(workdir, "state")
    s = start(dl.SETTINGS, workdir=workdir, state_dir=state)
    dl.admit(s, dl.objects())
    live = dl.api(s.dashboard_port, "/api/v1/controls")
    s.stop()
    page = os.path.join(ARTIFACTS, "offline-overview.html")
    os.makedirs(ARTIFACTS, exist_ok=True)
    p = subprocess.run([SCOREGATE, "score", "-c", os.path.join(workdir, "config.yaml"), "-f", "html", "-o", page,
                        "--history", os.path.join(state, "history.json"), os.path.join(state, "inventory.bin")],
                       capture_output=True, text=True, timeout=120)
    check("score -f html -o FILE writes the overview", p.returncode == 0 and os.path.exists(page), p.stderr)
    with open(page, encoding="utf-8") as f:
        html = f.read()
    check("the offline overview is self-contained", not dl.self_contained(html), dl.self_contained(html))
    check("...without links to the other pages", 'href="/recommendations' not in html)
    dom, shot, reqs = dl.browse(browser, "file://" + page, ARTIFACTS, "offline-overview")
    score = dl.attrs(dom, "data-percent")
    check("the offline page's score is the live one's",
          score and score[0]["data-percent"] == f"{live['score']['percent']:.2f}", score[:1])
    shown = [a["data-control"] for a in dl.attrs(dom, "data-control")]
    check("...with the same controls in the same order", shown == [c["id"] for c in live["controls"]], shown)
    check("the history is charted", 'id="chart"' in dom or 'id="chart-empty"' in dom)
    ok, colours = dl.not_blank(shot)
    check(f"the screenshot is not blank ({colours} colours)", ok)
    check("Chromium requested nothing but the file", [r[0] for r in dl.page_requests(reqs)] in
          ([], ["file://" + page]), dl.page_requests(reqs))


SECTIONS = {"pages": section_pages, "listener": section_listener, "history": section_history,
            "cluster": section_cluster, "offline": section_offline}


if __name__ == "__main__":
    harness.run_sections(SECTIONS, [SECTION], servers=servers)
