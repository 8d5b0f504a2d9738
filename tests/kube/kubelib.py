"""kubelib.py - what the inventory sync tests share: workload objects, the
oracle (`scoregate score FILE` over the double's objects: the score and the
resource count the synced server must report), metric readers, waiting, and
starting `scoregate serve` with server.inventorySync pointing at a
kubeconfig. setup() names the binary and the temporary directory first.

Standard library only.
"""
import copy
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "webhook"))
from webhook_client import Server  # noqa: E402

BIN = None
TMP = None


def setup(binary, tmp):
    """Name the binary and the temporary directory; no proxy and no KUBECONFIG from the environment."""
    global BIN, TMP
    BIN, TMP = binary, tmp
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "KUBECONFIG"):
        os.environ.pop(var, None)


# ---------------------------------------------------------------- objects

POD_SPEC = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
HARDENED_SPEC = {
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                        "supplementalGroups": [10001], "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{"name": "app", "image": "nginx:1.27",
                    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "privileged": False, "capabilities": {"drop": ["ALL"]},
                                        "appArmorProfile": {"type": "RuntimeDefault"}}}]}


def deployment(name, ns="team", hardened=False):
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": copy.deepcopy(HARDENED_SPEC if hardened else POD_SPEC)}}}


def owned(kind, name, owner_kind, owner, ns="team"):
    return {"kind": kind, "metadata": {"name": name, "namespace": ns, "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "uid": "u-" + owner, "controller": True}]},
            "spec": copy.deepcopy(POD_SPEC) if kind == "Pod" else
            {"selector": {"matchLabels": {"app": owner}},
             "template": {"metadata": {"labels": {"app": owner}}, "spec": copy.deepcopy(POD_SPEC)}}}


def is_owned(o):
    return any(r.get("controller") for r in o["metadata"].get("ownerReferences", []))


# ---------------------------------------------------------------- oracle

def oracle(fake, config=None):
    """The score and resource count `scoregate score FILE` gives for the double's current objects
    (with the settings file `config`, when given)."""
    items = []
    with fake.cond:
        for res_objs in fake.objects.values():
            items += [copy.deepcopy(o) for o in res_objs.values()]
    for o in items:
        if o["kind"] == "Secret":
            o.pop("data", None)
    path = os.path.join(TMP, "oracle.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    p = subprocess.run([BIN, "score", "-f", "json", *(["-c", config] if config else []), path], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"oracle failed: {p.stderr}")
    score = json.loads(p.stdout)["score"]
    expected = sum(1 for o in items if not is_owned(o) and
                   o["metadata"].get("namespace") not in ("kube-system", "scoregate-system"))
    return score["percent"], expected


# ---------------------------------------------------------------- helpers

BUILTIN_KINDS = 13   # kube/src/resources.c: workloads, Services, Ingresses, ConfigMaps, Secrets, ServiceAccounts


def synced_kinds(config=None):
    """How many kinds the sync lists and watches: the built-in ones and the policy's pod controllers."""
    p = subprocess.run([BIN, "catalog", "-f", "json", *(["-c", config] if config else [])], capture_output=True,
                       text=True, timeout=60)
    return BUILTIN_KINDS + len(json.loads(p.stdout)["podControllers"])


def wait_for(what, fn, timeout=30, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return True
        except Exception as e:  # the server may be between states
            last = e
        time.sleep(interval)
    print(f"     (timed out waiting for {what}; last: {last!r})")
    return False


def metric(server, name):
    return server.metrics().get(name, -1)


def events(server, etype):
    return metric(server, f'scoregate_kube_events_total{{type="{etype}"}}')


def score_of(server):
    m = server.metrics()
    return m.get("scoregate_secure_score_percent"), int(m.get("scoregate_inventory_resources", -1))


def in_step(server, fake):
    """The server's score and resource count equal the oracle's."""
    return score_of(server) == oracle(fake)


def settings(name, kubeconfig, extra=""):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        # The score history's ConfigMap and Lease go to an excluded namespace (as the chart's do), so that
        # the listed ConfigMaps, and so the score, are the test's own.
        f.write(f"server:\n  inventorySync: {{enabled: true, kubeconfig: {json.dumps(kubeconfig)}}}\n"
                f"  history: {{namespace: scoregate-system}}\n{extra}")
    return path


def serve(name, config):
    os.makedirs(os.path.join(TMP, name), exist_ok=True)
    return Server(BIN, config=config, workdir=os.path.join(TMP, name)).start()


def sanitizer_clean_text(text):
    return not any(s in text for s in ("AddressSanitizer", "runtime error:", "LeakSanitizer"))


def sanitizer_clean(server):
    return sanitizer_clean_text(server.log_text())
