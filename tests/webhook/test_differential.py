#!/usr/bin/env python3
"""test_differential.py - `scan` and the webhook make one decision.

For a corpus of objects (every workload kind and pod controller, Services, Ingresses, ConfigMaps;
healthy and unhealthy; owned, exempt and excluded) and several settings files
(deny, enforce, exemptions, a score gate with minScore and one with maxDrop,
custom rules, the Pod Security Standards), the objects are sent in order as
CREATE reviews to a real `scoregate serve` over TLS, as the API server chains
the calls: /mutate, its patch applied, then /validate with the patched object.
The same stream is scanned with `scoregate scan -f json` and the same settings.
Every object's allowed/denied, denial reasons, patch and score after must be
identical, and the scan's exit status must say whether anything was denied.

Usage: test_differential.py SCOREGATE_BINARY
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
from webhook_client import (Server, apply_patch, deployment, healthy_pod,  # noqa: E402
                            patch_ops, review, write)

SETTINGS = {
    "deny": """
recommendations:
  privileged-containers: {action: deny}
  host-namespaces: {action: deny}
  no-default-namespace: {action: deny}
  service-allowed-ports: {action: deny, parameters: {allowedServicePorts: ["443", "8443"]}}
  https-ingress: {action: deny}
""",
    "enforce": """
recommendations:
  cpu-memory-limits: {action: enforce}
  privilege-escalation: {action: enforce}
  readonly-root-filesystem: {action: enforce}
  automount-api-credentials: {action: enforce}
  host-network-ports: {action: enforce}
  https-ingress: {action: enforce}
  run-as-non-root: {action: enforce, parameters: {nonRootUser: 1000}}
""",
    "exemptions": """
recommendations:
  run-as-non-root: {action: deny}
  privileged-containers: {action: deny}
exemptions:
  - name: legacy-root
    recommendations: [run-as-non-root]
    match: {namespaces: [legacy]}
    category: waiver
    justification: vendor image runs as root
  - name: batch-mitigated
    recommendations: [run-as-non-root]
    match: {namespaces: [shop], kinds: [CronJob]}
    category: mitigated
    justification: runs in a sandbox
  - name: expired
    recommendations: [privileged-containers]
    match: {namespaces: [shop]}
    category: waiver
    expires: "2020-01-01T00:00:00Z"
    justification: long gone
""",
    "gate-min": """
scoreGate: {minScore: 60}
""",
    "gate-drop": """
recommendations:
  cpu-memory-limits: {action: enforce}
scoreGate: {maxDrop: 3}
""",
    "custom": """
recommendations:
  privileged-containers: {action: deny}
custom:
  - id: image-tag-pinned
    title: Images carry a version tag
    severity: medium
    control: best-practices
    scope: container
    action: deny
    unhealthy: "!container.image.contains(':') || container.image.endsWith(':latest')"
    message: "container ${container.name} uses an untagged or latest image"
    remediation: Pin the image to a version tag.
  - id: team-label
    title: Workloads carry a team label
    severity: low
    control: best-practices
    scope: pod
    action: enforce
    unhealthy: "!has(podMetadata.labels.team)"
    message: the pod template has no team label
    remediation: Add a team label.
    fix:
      - set: podMetadata.labels.team
        value: '"unknown"'
""",
    "pss": """
standards: [mcsb, pss-restricted]
defaults: {action: deny}
recommendations:
  cpu-memory-limits: {action: enforce}
""",
}


def owned(obj, kind="ReplicaSet", name="web-5d8f7"):
    obj = copy.deepcopy(obj)
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u-1",
                                           "controller": True}]
    return obj


def workloads(pod, name, namespace):
    """The pod spec of `pod` in every workload kind."""
    spec = pod["spec"]
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": copy.deepcopy(spec)}
    out = [pod]
    out.append(deployment(spec, name=f"{name}-deploy", namespace=namespace))
    for kind in ("StatefulSet", "DaemonSet", "ReplicaSet"):
        out.append({"apiVersion": "apps/v1", "kind": kind,
                    "metadata": {"name": f"{name}-{kind.lower()}", "namespace": namespace},
                    "spec": {"selector": {"matchLabels": labels}, "template": copy.deepcopy(template)}})
    out.append({"apiVersion": "v1", "kind": "ReplicationController",
                "metadata": {"name": f"{name}-rc", "namespace": namespace},
                "spec": {"selector": labels, "template": copy.deepcopy(template)}})
    job_template = copy.deepcopy(template)
    job_template["spec"]["restartPolicy"] = "Never"
    out.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"{name}-job", "namespace": namespace},
                "spec": {"template": copy.deepcopy(job_template)}})
    out.append({"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": f"{name}-cron", "namespace": namespace},
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": job_template}}}})
    # Pod controllers (custom resources with a pod template) and a custom resource of a built-in kind's name.
    for api, kind in (("argoproj.io/v1alpha1", "Rollout"), ("apps.kruise.io/v1alpha1", "CloneSet"),
                      ("apps.kruise.io/v1beta1", "StatefulSet"), ("batch.volcano.sh/v1alpha1", "Job")):
        out.append({"apiVersion": api, "kind": kind,
                    "metadata": {"name": f"{name}-{api.split('.')[0]}-{kind.lower()}", "namespace": namespace},
                    "spec": {"selector": {"matchLabels": labels}, "template": copy.deepcopy(template)}})
    return out


def corpus():
    objs = []
    good = healthy_pod("good", "shop")
    objs += workloads(good, "good", "shop")

    bare = healthy_pod("bare", "shop")          # no limits, no security settings
    bare["spec"] = {"containers": [{"name": "app", "image": "nginx"}]}
    objs += workloads(bare, "bare", "shop")

    priv = healthy_pod("priv", "shop")
    priv["spec"]["containers"][0]["securityContext"]["privileged"] = True
    priv["spec"]["hostPID"] = True
    objs += workloads(priv, "priv", "shop")

    hostnet = healthy_pod("hostnet", "shop")
    hostnet["spec"]["hostNetwork"] = True
    objs.append(hostnet)

    root = healthy_pod("root", "legacy")
    root["spec"]["securityContext"]["runAsUser"] = 0
    root["spec"]["securityContext"]["runAsNonRoot"] = False
    objs += workloads(root, "root", "legacy")
    objs.append(workloads(root, "root", "shop")[-1])       # a CronJob in shop

    objs.append(owned(bare))
    objs.append(owned(priv, "Job", "priv-job-1"))
    partial = healthy_pod("partial", "shop")
    del partial["spec"]["containers"][0]["resources"]
    partial["spec"]["containers"][0]["image"] = "registry.example.com/app:latest"
    partial["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.36",
                                          "securityContext": {"allowPrivilegeEscalation": True}}]
    objs += workloads(partial, "partial", "shop")

    sys_pod = copy.deepcopy(priv)
    sys_pod["metadata"]["namespace"] = "kube-system"
    objs.append(sys_pod)

    in_default = healthy_pod("stray", "default")
    objs.append(in_default)

    for name, port, ns in (("api", 443, "shop"), ("admin", 8080, "shop"), ("dflt", 443, "default")):
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                     "spec": {"selector": {"app": "good"}, "ports": [{"port": port, "targetPort": 8080}]}})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "tls", "namespace": "shop",
                              "annotations": {"kubernetes.io/ingress.allow-http": "false"}},
                 "spec": {"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                          "rules": [{"host": "shop.example.com"}]}})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "fixable", "namespace": "shop"},
                 "spec": {"tls": [{"hosts": ["a.example.com"], "secretName": "a-tls"}],
                          "rules": [{"host": "a.example.com"}]}})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "plain", "namespace": "shop"}, "spec": {"rules": [{"host": "b.example.com"}]}})
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
                 "data": {"a": "b"}})
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"},
                 "data": {"a": "b"}})
    # Healthy ones at the end raise the score again, so the gates see both directions.
    objs += workloads(healthy_pod("late", "shop"), "late", "shop")
    return objs


def denial_reasons(message):
    """Recommendation ids of the webhook's denial message ("- id (title): ...")."""
    ids = set()
    for line in message.splitlines():
        if line.startswith("- ") and " (" in line:
            ids.add(line[2:line.index(" (")])
    if "score gate:" in message:
        ids.add("score-gate")
    return ids


def through_webhook(server, objs):
    """Each object as the API server sends it: /mutate, patch, then /validate."""
    out = []
    conn = server.connection()
    for obj in objs:
        ns = obj["metadata"].get("namespace", "default")
        status, _, data = server.post("/mutate", review("CREATE", obj, namespace=ns), conn)
        assert status == 200, (status, data[:300])
        r = json.loads(data)["response"]
        ops = patch_ops(r) or None
        if r["allowed"]:
            fixed = apply_patch(obj, ops or [])
            status, _, data = server.post("/validate", review("CREATE", fixed, namespace=ns), conn)
            assert status == 200, (status, data[:300])
            r = json.loads(data)["response"]
        message = r.get("status", {}).get("message", "") if not r["allowed"] else ""
        out.append({"allowed": r["allowed"], "reasons": denial_reasons(message), "patch": ops if r["allowed"] else None,
                    "after": r["auditAnnotations"]["score-after"]})
    conn.close()
    return out


def through_scan(binary, settings, stream, workdir):
    proc = subprocess.run([binary, "scan", "-c", settings, "-f", "json", stream], capture_output=True, text=True,
                          cwd=workdir, timeout=120)
    report = json.loads(proc.stdout)
    out = []
    for res in report["resources"]:
        d = res["decision"]
        reasons = {r["recommendation"] for r in d["reasons"]}
        if d["gate"] is not None:
            reasons.add("score-gate")
        after = d["prediction"]["after"]
        out.append({"allowed": d["allowed"], "reasons": reasons, "patch": d["patch"],
                    "after": "n/a" if after is None else f"{after:.2f}"})
    return proc.returncode, out


def label(obj):
    m = obj["metadata"]
    return f"{obj['kind']} {m.get('namespace', '')}/{m['name']}"


def main():
    binary = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="sg-differential-")
    objs = corpus()
    stream = write(os.path.join(workdir, "stream.yaml"), "---\n".join(json.dumps(o) + "\n" for o in objs))
    for name, text in SETTINGS.items():
        settings = write(os.path.join(workdir, f"{name}.yaml"), text)
        server = Server(binary, config=settings, workdir=tempfile.mkdtemp(prefix=f"sg-diff-{name}-", dir=workdir))
        server.start()
        try:
            hook = through_webhook(server, objs)
        finally:
            server.stop()
        code, scanned = through_scan(binary, settings, stream, workdir)
        check(f"{name}: scan reports every object", len(scanned) == len(objs), f"{len(scanned)} of {len(objs)}")
        diffs = []
        for obj, h, s in zip(objs, hook, scanned):
            for key in ("allowed", "reasons", "patch", "after"):
                if h[key] != s[key]:
                    diffs.append(f"{label(obj)}: {key}: webhook {h[key]!r}, scan {s[key]!r}")
        check(f"{name}: every decision, reason, patch and score after agree ({len(objs)} objects)", not diffs,
              "\n     ".join(diffs[:12]))
        denied = sum(1 for h in hook if not h["allowed"])
        check(f"{name}: scan exits {1 if denied else 0} ({denied} denied by the webhook)",
              code == (1 if denied else 0), f"exit {code}")
        patched = sum(1 for h in hook if h["patch"])
        reasons = set().union(*(h["reasons"] for h in hook))
        print(f"     {name}: {denied} denied, {patched} patched of {len(objs)}; reasons {sorted(reasons)}", flush=True)
        # The corpus must exercise what each settings file is about.
        want = EXERCISES[name]
        check(f"{name}: the corpus exercises {sorted(want['reasons'])}" +
              (", patches" if want.get("patched") else ""),
              want["reasons"] <= reasons and (patched > 0) == want.get("patched", False),
              f"reasons {sorted(reasons)}, {patched} patched")
    return harness.summary()


# What each settings file must make the webhook do with the corpus.
EXERCISES = {
    "deny": {"reasons": {"privileged-containers", "host-namespaces", "no-default-namespace", "service-allowed-ports",
                         "https-ingress"}},
    "enforce": {"reasons": {"host-network-ports", "https-ingress"}, "patched": True},
    "exemptions": {"reasons": {"run-as-non-root", "privileged-containers"}},
    "gate-min": {"reasons": {"score-gate"}},
    "gate-drop": {"reasons": {"score-gate"}, "patched": True},
    "custom": {"reasons": {"image-tag-pinned", "privileged-containers"}, "patched": True},
    "pss": {"reasons": {"pss-privileged", "pss-host-namespaces", "run-as-non-root"}},
}


if __name__ == "__main__":
    sys.exit(main())
