"""dashlib.py - helpers of the dashboard tests: the dashboard's HTTP answers,
the inventory the tests fill through /validate, and headless Chromium
(Debian's `chromium`, DESIGN.md 7) loading a page: its DOM as Chromium parsed
it, a screenshot kept as a test artifact, and every request the browser made
(from its net log), so a test can tell the page's own requests from the
browser's background ones.

Standard library only.
"""
import base64
import copy
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "webhook"))
sys.path.insert(0, os.path.join(HERE, "..", "scan_formats"))
from webhook_client import deployment, healthy_pod, privileged_pod, review  # noqa: E402,F401
from test_html import CHROMIUM_FLAGS, chromium_binary, decode_png, pixel_stats  # noqa: E402,F401

SECRET_PLAIN = "s3cr3t-dashboard-value-7741"
SECRET_B64 = base64.b64encode(SECRET_PLAIN.encode()).decode()


def get(port, path, host=None, method="GET", body=None, timeout=20):
    """(status, headers, body bytes) of one plain HTTP request to the dashboard."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.putrequest(method, path, skip_host=True)
        c.putheader("Host", host or f"127.0.0.1:{port}")
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def api(port, path):
    status, _, data = get(port, path)
    if status != 200:
        raise AssertionError(f"{path}: {status} {data[:300]!r}")
    return json.loads(data)


def cronjob(name, ns, spec):
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "0 1 * * *",
                     "jobTemplate": {"spec": {"template": {"spec": dict(copy.deepcopy(spec), restartPolicy="Never")}}}}}


def objects():
    """What the tests admit: unhealthy and healthy workloads in several namespaces, a Deployment of two
    containers, a Secret with a value in the default namespace, a Service, an Ingress without TLS, and
    workloads an exemption covers (active and expired)."""
    two = {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "side", "image": "busybox:1.36"}]}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-creds", "namespace": "default",
                                                                "annotations": {"note": "holds a password"}},
              "type": "Opaque", "data": {"password": SECRET_B64}, "stringData": {"token": SECRET_PLAIN}}
    objs = [privileged_pod("bad-1", "shop"), privileged_pod("bad-2", "shop"), privileged_pod("bad-3", "team"),
            healthy_pod("good-1", "shop"), healthy_pod("good-2", "team"), deployment(two, "web", "team"),
            deployment(two, "api", "shop"), secret,
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "team"},
             "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "team"},
             "spec": {"rules": [{"host": "web.example.com"}]}},
            cronjob("nightly", "legacy", two), cronjob("weekly", "legacy", two)]
    return objs


SETTINGS = """\
recommendations:
  host-namespaces: {action: deny}
exemptions:
  - name: legacy-root
    recommendations: [run-as-non-root]
    match: {namespaces: [legacy], kinds: [CronJob], names: [nightly]}
    category: waiver
    expires: "2099-01-01T00:00:00Z"
    justification: vendor image runs as root
  - name: legacy-rofs-old
    recommendations: [readonly-root-filesystem]
    match: {namespaces: [legacy], kinds: [CronJob]}
    category: mitigated
    expires: "2020-01-01T00:00:00Z"
    justification: was to be replaced by 2020
"""


def admit(server, objs):
    """Admit each object through /validate (as the API server's validating call); the reviews' answers."""
    answers = []
    for o in objs:
        status, _, data = server.post("/validate", review("CREATE", o, namespace=o["metadata"]["namespace"]))
        answers.append((status, json.loads(data)["response"] if status == 200 else data))
    return answers


def browse(binary, url, artifacts, name, size="1280,1600"):
    """Load `url` in headless Chromium: (DOM text, screenshot path, the requests it made). The screenshot
    is kept in `artifacts` as NAME.png; the requests are (url, initiator, request_type) from the net log."""
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, f"{name}.png")
    with tempfile.TemporaryDirectory() as tmp:
        netlog = os.path.join(tmp, "net.json")
        base = [binary, *CHROMIUM_FLAGS, "--disable-features=AutofillServerCommunication,OptimizationHints"]
        subprocess.run(base + [f"--user-data-dir={tmp}/p1", f"--screenshot={shot}", f"--window-size={size}", url],
                       capture_output=True, timeout=180)
        dom = subprocess.run(base + [f"--user-data-dir={tmp}/p2", f"--log-net-log={netlog}", "--dump-dom", url],
                             capture_output=True, timeout=180).stdout.decode("utf-8", "replace")
        requests = netlog_requests(netlog)
    return dom, shot, requests


def netlog_requests(path):
    try:
        with open(path) as f:
            log = json.load(f)
    except (OSError, ValueError):
        text = open(path).read().rstrip().rstrip(",")
        log = json.loads(text + ("]}" if not text.endswith("}") else ""))
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    out = []
    for e in log["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
            out.append((p["url"], p.get("initiator", ""), p.get("request_type", "")))
    return out


def page_requests(requests):
    """The requests the page made: its own (main frame) load and everything it initiated (initiator its
    origin, or "null" for a file), as opposed to the browser's background requests ("not an origin")."""
    return [r for r in requests if r[1] != "not an origin" or r[2] == "main frame"]


def not_blank(path):
    """(ok, distinct colours) of a screenshot."""
    with open(path, "rb") as f:
        width, height, bpp, rows = decode_png(f.read())
    colours, _ = pixel_stats(width, height, bpp, rows)
    return len(colours) >= 50, len(colours)


def self_contained(html):
    """What in a page would fetch something: script, link, img, frames, url(), @import, absolute URLs."""
    found = []
    for pattern, what in [(r"<script", "script"), (r"<link", "link"), (r"<img", "img"), (r"<iframe", "iframe"),
                          (r"@import", "@import"), (r"url\(", "url()"), (r"(?:src|href|action)\s*=\s*[\"']?\s*(?:https?:)?//",
                                                                       "an absolute URL"), (r"https?://", "http(s)://")]:
        if re.search(pattern, html, re.I):
            found.append(what)
    return found


def attrs(dom, tag_attr):
    """Every element's attributes that carry `tag_attr` (e.g. data-rec), as dicts, in document order."""
    out = []
    for m in re.finditer(r"<[a-z]+((?:\s+[a-z-]+=\"[^\"]*\")*)\s*>", dom):
        a = dict(re.findall(r"([a-z-]+)=\"([^\"]*)\"", m.group(1)))
        if tag_attr in a:
            out.append({k: html_unescape(v) for k, v in a.items()})
    return out


def html_unescape(s):
    return (s.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&amp;", "&"))


def have_chromium():
    return chromium_binary() is not None and shutil.which("openssl") is not None
