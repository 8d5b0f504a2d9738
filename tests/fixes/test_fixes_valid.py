#!/usr/bin/env python3
"""Every patch scoregate can produce gives an object the API server accepts (issue 15, item 10).

For each recommendation with a fix (every standard), and for all of them enforced at once, every
workload kind x Linux/Windows x with and without resource requests x a few broken pod specs is
scanned with `scoregate scan -f json` (whose decision.patch is exactly what /mutate sends), the
patch is applied (RFC 6902), and the result is checked by apivalidate.py: the vendored OpenAPI
schema subset and the API server's cross-field rules that fixes can touch. Each object must also
be valid before the patch, or the test would prove nothing. The ephemeralcontainers subresource
goes through a real `scoregate serve` (/mutate, UPDATE, subResource ephemeralcontainers): its patch
may only touch spec.ephemeralContainers, and the result must be valid for the update.
Usage: test_fixes_valid.py SCOREGATE_BINARY SOURCE_DIR
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import apivalidate  # noqa: E402
from webhook_client import Server, apply_patch, check_review, patch_ops, review  # noqa: E402

tmp = tempfile.mkdtemp(prefix="sg-fixes-")
STANDARDS = "standards: [mcsb, pss-baseline, pss-restricted]\n"


def container(name, requests, **sc):
    c = {"name": name, "image": "registry.example.com/app:1"}
    if requests:
        c["resources"] = {"requests": {"cpu": "2", "memory": "4Gi"}}
    if sc:
        c["securityContext"] = sc
    return c


def pod_specs(windows, requests):
    """Broken pod specs (valid for the API server) that fail as many fixable checks as they can."""
    if windows:
        return {"bare": {"os": {"name": "windows"}, "containers": [container("app", requests)],
                         "initContainers": [container("init", requests)]}}
    specs = {
        "bare": {"containers": [container("app", requests)], "initContainers": [container("init", requests)]},
        "privileged": {
            "hostPID": True, "hostIPC": True,
            "securityContext": {"fsGroup": 0, "runAsUser": 0, "seccompProfile": {"type": "Unconfined"},
                                "appArmorProfile": {"type": "Unconfined"}, "runAsNonRoot": False},
            "containers": [container("app", requests, privileged=True,
                                     capabilities={"add": ["CAP_SYS_ADMIN", "NET_ADMIN", "SYS_TIME"]},
                                     runAsUser=0, seccompProfile={"type": "Unconfined"},
                                     appArmorProfile={"type": "Unconfined"}, runAsNonRoot=False)]},
        "escalating": {"containers": [container("app", requests, allowPrivilegeEscalation=True,
                                                capabilities={"add": ["SYS_ADMIN"], "drop": ["NET_RAW"]},
                                                readOnlyRootFilesystem=False, runAsGroup=0)]},
        "userns": {"hostUsers": False,
                   "containers": [container("app", requests, procMount="Unmasked")]},
        "unmasked": {"containers": [container("app", requests, procMount="Unmasked")]},
    }
    return specs


def wrap(kind, spec, name, annotations=None):
    meta = {"labels": {"app": name}}
    if annotations:
        meta["annotations"] = annotations
    template = {"metadata": meta, "spec": copy.deepcopy(spec)}
    selector = {"matchLabels": {"app": name}}
    top = {"name": name, "namespace": "shop"}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": dict(top, **meta), "spec": copy.deepcopy(spec)}
    if kind == "PodTemplate":
        return {"apiVersion": "v1", "kind": "PodTemplate", "metadata": top, "template": template}
    if kind in ("Job", "CronJob"):
        template["spec"]["restartPolicy"] = "Never"
        job = {"template": template}
        if kind == "Job":
            return {"apiVersion": "batch/v1", "kind": "Job", "metadata": top, "spec": job}
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": top,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job}}}
    group = "v1" if kind == "ReplicationController" else "apps/v1"
    spec_out = {"selector": {"app": name} if kind == "ReplicationController" else selector, "template": template}
    if kind == "StatefulSet":
        spec_out["serviceName"] = name
    return {"apiVersion": group, "kind": kind, "metadata": top, "spec": spec_out}


KINDS = ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController",
         "PodTemplate"]


def corpus():
    objs = []
    for windows in (False, True):
        for requests in (False, True):
            for variant, spec in pod_specs(windows, requests).items():
                for kind in KINDS:
                    name = f"{kind.lower()}-{'win' if windows else 'linux'}-{'req' if requests else 'noreq'}-{variant}"
                    annotations = None
                    if variant == "bare" and not windows:
                        annotations = {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
                    objs.append(wrap(kind, spec, name, annotations))
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
                 "spec": {"tls": [{"hosts": ["a.example.com"]}], "rules": [{"host": "a.example.com"}]}})
    return objs


def scan(config_text, objs):
    config = os.path.join(tmp, "config.yaml")
    with open(config, "w") as f:
        f.write(config_text)
    manifest = os.path.join(tmp, "objects.json")
    with open(manifest, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objs}, f)
    p = subprocess.run([BIN, "scan", "-c", config, "-f", "json", manifest], capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 1):
        return None, p.stderr
    return json.loads(p.stdout)["resources"], None


objects = corpus()
for obj in objects:
    bad = apivalidate.problems(obj)
    check(f"the test object {obj['kind']}/{obj['metadata']['name']} is valid to begin with", not bad, bad)

catalog = json.loads(subprocess.run([BIN, "catalog", "--standard", "pss-restricted", "-f", "json"], capture_output=True,
                                    text=True, timeout=60).stdout)["recommendations"]
fixable = sorted(r["id"] for r in catalog if r["fix"])
check("recommendations with fixes are listed", len(fixable) >= 20, fixable)
configs = {rec: STANDARDS + f"defaults: {{action: audit}}\nrecommendations:\n  {rec}: {{action: enforce}}\n"
           for rec in fixable}
configs["all enforced"] = STANDARDS + "defaults: {action: enforce}\n"

for label, text in configs.items():
    resources, err = scan(text, objects)
    if not check(f"{label}: scan runs", resources is not None, err):
        continue
    patched = blocked = 0
    for obj, r in zip(objects, resources):
        where = f"{label}: {obj['kind']}/{obj['metadata']['name']}"
        decision = r.get("decision") or {}
        ops = decision.get("patch")
        if ops:
            patched += 1
            try:
                fixed = apply_patch(obj, ops)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                check(f"{where}: the patch applies", False, f"{e}: {ops}")
                continue
            bad = apivalidate.problems(fixed)
            if bad:
                check(f"{where}: the API server accepts the patched object", False, f"{bad}\npatch: {ops}")
        for reason in decision.get("reasons", []):
            if "not fixed:" in reason.get("message", ""):
                blocked += 1
    check(f"{label}: the corpus exercises the fix ({patched} objects patched, {blocked} fixes blocked saying why)",
          patched > 0)


# ---- the ephemeralcontainers subresource, through the webhook ----
def debug_pod(windows):
    pod = wrap("Pod", pod_specs(windows, False)["bare"], "debugged")
    pod["spec"].pop("initContainers", None)
    pod["spec"]["ephemeralContainers"] = [{"name": "debugger-x1", "image": "busybox", "stdin": True, "tty": True,
                                           "targetContainerName": "app"}]
    pod["spec"]["securityContext"] = {} if windows else {"fsGroup": 0}
    return pod


config_path = os.path.join(tmp, "serve.yaml")
with open(config_path, "w") as f:
    f.write(STANDARDS + "defaults: {action: enforce}\n")
server = Server(BIN, config=config_path, workdir=tmp).start()
try:
    for windows in (False, True):
        new = debug_pod(windows)
        old = copy.deepcopy(new)
        old["spec"]["ephemeralContainers"] = []
        r = check_review(server, "/mutate", review("UPDATE", new, old=old, sub="ephemeralcontainers", namespace="shop"))
        ops = patch_ops(r)
        label = "windows" if windows else "linux"
        check(f"ephemeralcontainers ({label}): the patch touches only spec.ephemeralContainers",
              all(op["path"].startswith("/spec/ephemeralContainers/") for op in ops), ops)
        fixed = apply_patch(new, ops)
        bad = apivalidate.problems(fixed, create=False)
        check(f"ephemeralcontainers ({label}): the API server accepts the update", not bad, f"{bad}\n{ops}")
finally:
    server.stop()

harness.finish()
