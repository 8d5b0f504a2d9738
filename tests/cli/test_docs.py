#!/usr/bin/env python3
"""test_docs.py - every documented command works as written (issue 20).

Every line of a shell code block (```sh, ```bash, ```shell or a block without a language) of
README.md and docs/*.md that starts with `scoregate ` or `build/scoregate ` is a documented command.
Each must be in COMMANDS below with what it needs and the exit status it must have; a command the
docs gain or lose without this table following fails the test, and where the docs state an exit
status in the command's comment ("# exit 1: denied") the table must agree with it. Commands run
with bash in a workspace that holds the fixtures they name (deploy/, k8s/, deploy.yaml, pod.yaml, a settings
file scoregate.yaml, a copy of examples/, a kubeconfig at ~/.kube/config for the API server double
of tests/kube with a context `prod`, the state a `serve` left), with `scoregate` and
`build/scoregate` being the binary under test. `serve` runs until stopped: it must answer
/healthz over TLS, then exit 0 on SIGTERM; where a documented command would bind a port other
tests may hold at the same time, or write outside the workspace, it runs with those options
changed, and the table says so. Usage synopses are listed as such, never run.

Usage: test_docs.py SCOREGATE SOURCE_DIR
"""
import glob
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(SRC, "tests", "kube"))
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(SRC, "tests"))
import fake_apiserver as fa  # noqa: E402
from harness import check, finish, free_port  # noqa: E402
from webhook_client import review  # noqa: E402


SYNOPSIS = "a usage synopsis ([...] marks optional parts, CAPITALS what to put there), not a command"
FREE_PORTS = "the documented ports (:8443, the dashboard's 127.0.0.1:8080) may be held by tests running at the " \
             "same time: run with --address and --dashboard-address on free loopback ports"
NOT_OUTSIDE = "writes /var/lib/scoregate and binds 9443: run with a state directory in the workspace and free ports"

# (file, command as written) -> {"exit": N} | {"serve": True[, "why": ...]} | {"skip": why}
COMMANDS = {
    ("README.md", "build/scoregate scan deploy/"): {"exit": 0},
    ("README.md", "build/scoregate scan -f json -c scoregate.yaml k8s/"): {"exit": 0},
    ("README.md", "build/scoregate scan --standard pss-restricted pod.yaml"): {"exit": 0},
    ("README.md", "build/scoregate catalog"): {"exit": 0},
    ("README.md", "build/scoregate score --kubeconfig ~/.kube/config"): {"exit": 0},
    ("README.md", "build/scoregate fix -c scoregate.yaml --diff k8s/"): {"exit": 0},
    ("README.md", "build/scoregate fix --recommendation run-as-non-root --write k8s/"): {"exit": 0},
    ("README.md", "build/scoregate fix --all deploy.yaml > fixed.yaml"): {"exit": 0},
    ("README.md", "build/scoregate fix --kubeconfig ~/.kube/config --all"): {"exit": 0},
    ("README.md", "build/scoregate fix --kubeconfig ~/.kube/config --all --apply"): {"exit": 0},
    ("README.md", "build/scoregate serve"): {"serve": True, "why": FREE_PORTS},
    ("README.md", "build/scoregate serve -c scoregate.yaml --address 127.0.0.1:9443 --state-dir /var/lib/scoregate"):
        {"serve": True, "why": NOT_OUTSIDE},
    ("docs/certificates.md", "scoregate certs generate [--service NAME] [--namespace NS] [--dns NAME]... [--out DIR]"):
        {"skip": SYNOPSIS},
    ("docs/certificates.md",
     "scoregate certs generate --service scoregate --namespace scoregate-system --dns 127.0.0.1 --out certs"):
        {"exit": 0},
    ("docs/certificates.md",
     "scoregate certs inspect FILE|DIR [--warn-days N] [--ca FILE] [--key FILE] [--host NAME] [-f text|json]"):
        {"skip": SYNOPSIS},
    ("docs/certificates.md", "scoregate certs rotate [--out DIR] [--renew-before-days N] [--ca-renew-before-days N]"):
        {"skip": SYNOPSIS},
    ("docs/dashboard.md", "build/scoregate serve"): {"serve": True, "why": FREE_PORTS},
    ("docs/dashboard.md", "scoregate score -f html -o overview.html deploy/*.yaml"): {"exit": 0},
    ("docs/dashboard.md", 'scoregate score -f html -o overview.html --kubeconfig "" --history history.json'):
        {"exit": 0},
    ("docs/dashboard.md", "scoregate score -f html -o overview.html state/inventory.bin --history history-cm.json"):
        {"exit": 0},
    ("docs/fix.md", "scoregate fix [-c FILE] [--recommendation ID]... [--all] [--standard NAME]... [--namespace NS]"):
        {"skip": SYNOPSIS},
    ("docs/fix.md", "scoregate fix --kubeconfig ~/.kube/config --recommendation privileged-containers"): {"exit": 0},
    ("docs/fix.md", "scoregate fix --kubeconfig ~/.kube/config --recommendation privileged-containers --apply"):
        {"exit": 0},
    ("docs/inventory-sync.md", "scoregate score --kubeconfig ~/.kube/config"): {"exit": 0},
    ("docs/inventory-sync.md", 'scoregate score --kubeconfig "" --context prod -f json'): {"exit": 0},
    ("docs/pss.md", "scoregate scan --standard pss-restricted deploy/"): {"exit": 0},
    ("docs/scan.md", "scoregate scan [-c FILE] [-f text|json|sarif|junit|policyreport|html] [-o FILE]"):
        {"skip": SYNOPSIS},
    ("docs/scan.md", "scoregate scan examples/"): {"exit": 0},
    ("docs/scan.md", "scoregate scan -c examples/settings/scoregate.yaml examples/careless-deployment.yaml"):
        {"exit": 1},
    ("docs/scan.md", "scoregate scan -f html -o report.html examples/"): {"exit": 0},
    ("docs/webhook.md", "build/scoregate serve"): {"serve": True, "why": FREE_PORTS},
}


def documented():
    """(file, command, documented exit status or None) of every command line of the docs."""
    out = []
    for path in [os.path.join(SRC, "README.md")] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md"))):
        rel = os.path.relpath(path, SRC)
        fence = None
        with open(path) as f:
            for line in f:
                m = re.match(r"^\s*```(\w*)", line)
                if m:
                    fence = None if fence is not None else m.group(1)
                    continue
                text = line.strip()
                if fence not in ("", "sh", "bash", "shell") or not re.match(r"(build/)?scoregate ", text):
                    continue
                command, _, comment = text.partition(" # ")
                status = re.search(r"\bexit (\d)\b", comment)
                out.append((rel, command.strip(), int(status.group(1)) if status else None))
    return out


HARDENED = os.path.join(SRC, "examples", "hardened-deployment.yaml")
# Every finding of it has a fix that heals it: the fix commands exit 0.
UNHARDENED = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: registry.example.com/web:1.0
"""
POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: registry.example.com/web:1.0
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""


def workspace(tmp, fake_url, pki):
    """The fixtures the documented commands name, in `tmp`; returns the environment to run them in."""
    ws = os.path.join(tmp, "ws")
    for d in ("build", "bin", "deploy", "k8s", ".kube"):
        os.makedirs(os.path.join(ws, d))
    os.symlink(BIN, os.path.join(ws, "build", "scoregate"))
    os.symlink(BIN, os.path.join(ws, "bin", "scoregate"))
    shutil.copy(HARDENED, os.path.join(ws, "deploy", "web.yaml"))
    shutil.copy(HARDENED, os.path.join(ws, "k8s", "web.yaml"))
    for name in (os.path.join("k8s", "unhardened.yaml"), "deploy.yaml"):
        with open(os.path.join(ws, name), "w") as f:
            f.write(UNHARDENED)
    with open(os.path.join(ws, "pod.yaml"), "w") as f:
        f.write(POD)
    with open(os.path.join(ws, "scoregate.yaml"), "w") as f:
        f.write("recommendations:\n  privileged-containers: {action: deny}\n")
    shutil.copytree(os.path.join(SRC, "examples"), os.path.join(ws, "examples"))
    kc = fa.kubeconfig(os.path.join(ws, ".kube", "config"), fake_url, ca_file=os.path.join(pki, "ca.crt"),
                       token="token-1")
    with open(kc) as f:
        cfg = json.load(f)
    cfg["contexts"].append({"name": "prod", "context": {"cluster": "fake", "user": "tester"}})
    with open(kc, "w") as f:
        json.dump(cfg, f)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "http_proxy", "https_proxy",
                                                            "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")}
    env.update(HOME=ws, PATH=os.path.join(ws, "bin") + os.pathsep + env.get("PATH", ""))
    return ws, env


def request(port, ca, path, body=None):
    """The status of a request to the serve on `port` (None when it cannot be reached)."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
            return r.status
    except OSError:
        return None


def run_serve(ws, env, file, command):
    """Start the documented serve, with free ports (and a state directory in the workspace), wait for
    /healthz, stop it with SIGTERM: exit 0."""
    port = free_port()
    argv = command.replace("127.0.0.1:9443", f"127.0.0.1:{port}").replace("/var/lib/scoregate", "served-state")
    if "--address" not in argv:
        argv += f" --address 127.0.0.1:{port}"
    argv += f" --dashboard-address 127.0.0.1:{free_port()}"
    state = os.path.join(ws, "served-state" if "served-state" in argv else "scoregate-state")
    with open(os.path.join(ws, "serve.log"), "ab") as log:
        proc = subprocess.Popen(["bash", "-c", f"exec {argv}"], cwd=ws, env=env, stdout=log, stderr=log)
    try:
        deadline, up = time.time() + 30, False
        ca = os.path.join(state, "ca.crt")
        while time.time() < deadline and not up and proc.poll() is None:
            up = os.path.exists(ca) and request(port, ca, "/healthz") == 200
            time.sleep(0.2)
        check(f"{file}: {command}: answers /healthz over TLS", up, open(os.path.join(ws, "serve.log")).read()[-800:])
        # One admission, so that the inventory the dashboard's commands read holds something.
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                      "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}}}
        check(f"{file}: {command}: answers /validate",
              request(port, ca, "/validate", review("CREATE", deployment)) == 200)
        time.sleep(1.5)   # a score history sample is written each second (the dashboard's commands read it)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    check(f"{file}: {command}: exits 0 on SIGTERM", rc == 0, f"exit {rc}")


def dashboard_state(ws):
    """state/inventory.bin and history.json as the README's serve left them, and the history ConfigMap's JSON."""
    served = os.path.join(ws, "scoregate-state")
    os.makedirs(os.path.join(ws, "state"), exist_ok=True)
    for name in ("inventory.bin", "history.json"):
        if os.path.exists(os.path.join(served, name)):
            shutil.copy(os.path.join(served, name), os.path.join(ws, "state" if name == "inventory.bin" else "", name))
    text = open(os.path.join(ws, "history.json")).read() if os.path.exists(os.path.join(ws, "history.json")) else ""
    with open(os.path.join(ws, "history-cm.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scoregate-history",
                   "namespace": "scoregate-system"}, "data": {"history": text}}, f)


def main():
    found = documented()
    keys = [(f, c) for f, c, _ in found]
    check("every documented command is in the table", set(keys) <= set(COMMANDS),
          sorted(set(keys) - set(COMMANDS)))
    check("every command of the table is documented", set(COMMANDS) <= set(keys), sorted(set(COMMANDS) - set(keys)))
    for f, c, status in found:
        entry = COMMANDS.get((f, c), {})
        if status is not None:
            check(f"{f}: {c}: the table's exit status is the documented one", entry.get("exit") == status,
                  f"docs say {status}, table {entry}")
    with tempfile.TemporaryDirectory(prefix="sg-docs-") as tmp:
        pki = os.path.join(tmp, "pki")
        os.mkdir(pki)
        fa.make_pki(pki)
        fake = fa.FakeAPIServer(pki, tokens=["token-1"]).start()
        try:
            fake.put({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {
                "template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}}})
            ws, env = workspace(tmp, fake.url, pki)
            order = sorted(set(keys), key=lambda k: (not COMMANDS.get(k, {}).get("serve"), keys.index(k)))
            for f, c in order:
                entry = COMMANDS.get((f, c))
                if entry is None or "skip" in entry:
                    if entry:
                        print(f"skipped, as listed: {f}: {c}: {entry['skip']}")
                    continue
                if entry.get("serve"):
                    print(f"run with changes, as listed: {f}: {c}: {entry['why']}")
                    run_serve(ws, env, f, c)
                    continue
                if "--history" in c:
                    dashboard_state(ws)
                p = subprocess.run(["bash", "-c", c], cwd=ws, env=env, capture_output=True, text=True, timeout=120)
                check(f"{f}: {c}: exits {entry['exit']}", p.returncode == entry["exit"],
                      f"exit {p.returncode}: {p.stderr[-600:]}")
            check("the html reports were written", all(os.path.getsize(os.path.join(ws, n)) > 1000
                                                       for n in ("report.html", "overview.html")))
            check("the certificates were written", os.path.exists(os.path.join(ws, "certs", "tls.crt")))
        finally:
            fake.stop()
    finish()


if __name__ == "__main__":
    main()
