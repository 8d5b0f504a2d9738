#!/usr/bin/env python3
"""The secure score as users see it from the CLI, on a scenario computed by hand.

Namespace team: Pod a (hardened), Pod b (hardened but privileged), a Service and
an Ingress with TLS. Controls: access a healthy, b unhealthy -> 4 * 1/2 = 2.00;
security-configurations, network (host-network-ports), ddos: both pods healthy ->
4, 4, 2; data-in-transit: the Ingress -> 4; vulnerabilities: trusted-registries is
inactive, so no resource applies -> max 0 (drops out); best-practices: max 0.
Score: 16 / 18 = 88.89%. Hardening b predicts 100% (+11.11); deleting nothing and
adding a privileged Pod c predicts access 4 * 1/3 = 1.33 -> 15.33 / 18 = 85.17%.
Usage: test_score.py SCOREGATE_BINARY
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
from harness import check, finish, run, setup, write  # noqa: E402

BIN = sys.argv[1]
tmp = setup(BIN, "sg-score-")


def pod(name, privileged=False):
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "team"},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                                "appArmorProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": "registry.example.com/app:1",
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                "securityContext": {"privileged": privileged, "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}}]}}


service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "team"},
           "spec": {"ports": [{"port": 443}]}}
ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "i", "namespace": "team", "annotations": {"kubernetes.io/ingress.allow-http": "false"}},
           "spec": {"tls": [{"hosts": ["shop.example.com"], "secretName": "tls"}]}}
cluster = [pod("a"), pod("b", privileged=True), service, ingress]
cluster_file = write("cluster.json", {"apiVersion": "v1", "kind": "List", "items": cluster})


def controls(score):
    return {c["id"]: c for c in score["controls"]}


# ---- scan fills the score ----
rc, out, err = run("scan", "-f", "json", cluster_file)
doc = json.loads(out)
score = doc["score"]
check("scan score percent", score["percent"] == 88.89, score)
check("scan score current/max", (score["current"], score["max"]) == (16, 18), score)
c = controls(score)
check("access 1 healthy 1 unhealthy = 2.00",
      (c["access"]["healthy"], c["access"]["unhealthy"], c["access"]["current"], c["access"]["max"]) == (1, 1, 2, 4),
      c["access"])
check("vulnerabilities drops out (inactive)", c["vulnerabilities"]["max"] == 0 and c["vulnerabilities"]["healthy"] == 0,
      c["vulnerabilities"])
check("data-in-transit healthy", (c["data-in-transit"]["healthy"], c["data-in-transit"]["current"]) == (1, 4),
      c["data-in-transit"])
check("control fields", all({"id", "name", "max", "current", "healthy", "unhealthy", "notApplicable"} <= set(x)
                            for x in score["controls"]), score["controls"][0])
rc, out, _ = run("scan", cluster_file)
check("text shows the score", "Secure score: 88.89%" in out, out[:300])

# ---- the healthy-in-a-control rule: configuring trusted-registries adds the vulnerabilities control ----
cfg = os.path.join(tmp, "tr.yaml")
with open(cfg, "w") as f:
    f.write("recommendations:\n  trusted-registries: {parameters: {allowedImagesRegex: '^registry\\.example\\.com/'}}\n")
rc, out, _ = run("scan", "-f", "json", "-c", cfg, cluster_file)
c = controls(json.loads(out)["score"])
check("configured trusted-registries scores vulnerabilities", (c["vulnerabilities"]["max"], c["vulnerabilities"]["healthy"]) == (6, 2),
      c["vulnerabilities"])

# ---- preview/custom never count: a custom rule failing everywhere leaves the score ----
custom = os.path.join(tmp, "custom.yaml")
with open(custom, "w") as f:
    f.write("custom:\n  - {id: always, title: t, severity: high, control: access, scope: pod, remediation: r,"
            " message: m, unhealthy: 'true'}\n")
rc, out, _ = run("scan", "-f", "json", "-c", custom, cluster_file)
check("custom recommendations never change the score", json.loads(out)["score"]["percent"] == 88.89, out[:200])

# ---- waiver and mitigated ----
for category, want in (("waiver", 100.0), ("mitigated", 100.0)):
    ex = os.path.join(tmp, f"{category}.yaml")
    with open(ex, "w") as f:
        f.write(f"exemptions:\n  - {{name: x, recommendations: [privileged-containers], match: {{names: [b]}}, category: {category}}}\n")
    rc, out, _ = run("scan", "-f", "json", "-c", ex, cluster_file)
    s = json.loads(out)["score"]
    check(f"{category} exemption", s["percent"] == want, s)
    acc = controls(s)["access"]
    # b's other access recommendations still apply (and are healthy), so b is healthy in access either way.
    check(f"{category}: b healthy in access", (acc["healthy"], acc["unhealthy"]) == (2, 0), acc)
# Waiving the only recommendation of a control makes the resource not applicable there:
# data-in-transit loses its only resource, drops out, and the score becomes 12 / 14.
for category, want, dit in (("waiver", 85.71, (0, 0, 4)), ("mitigated", 88.89, (1, 0, 3))):
    ex = os.path.join(tmp, f"ingress-{category}.yaml")
    with open(ex, "w") as f:
        f.write(f"exemptions:\n  - {{name: x, recommendations: [https-ingress], match: {{kinds: [Ingress]}}, category: {category}}}\n")
    rc, out, _ = run("scan", "-f", "json", "-c", ex, cluster_file)
    s = json.loads(out)["score"]
    d = controls(s)["data-in-transit"]
    check(f"{category} of a control's only recommendation", s["percent"] == want and
          (d["healthy"], d["unhealthy"], d["notApplicable"]) == dit, (s["percent"], d))
ex = os.path.join(tmp, "expired.yaml")
with open(ex, "w") as f:
    f.write("exemptions:\n  - {name: x, recommendations: [privileged-containers], match: {}, category: mitigated,"
            " expires: '2020-01-01T00:00:00Z'}\n")
rc, out, _ = run("scan", "-f", "json", "-c", ex, cluster_file)
check("expired exemption ignored", json.loads(out)["score"]["percent"] == 88.89, out[:200])

# ---- baseline prediction ----
fixed_b = write("fixed-b.json", pod("b"))
rc, out, err = run("scan", "-f", "json", "--baseline", cluster_file, fixed_b)
pred = json.loads(out).get("prediction")
check("baseline: prediction present", pred is not None, out[:300])
if pred:
    check("baseline: before/after/delta", (pred["before"], pred["after"], pred["delta"]) == (88.89, 100.0, 11.11), pred)
    check("baseline: exact delta", abs(pred["exactDelta"] - 100 * (18 - 16) / 18) < 1e-6, pred)
    access = [x for x in pred["controls"] if x["id"] == "access"]
    check("baseline: access control change", access and (access[0]["before"], access[0]["after"]) == (2, 4), pred["controls"])
new_c = write("new-c.json", pod("c", privileged=True))
rc, out, _ = run("scan", "-f", "json", "--baseline", cluster_file, new_c)
pred = json.loads(out).get("prediction") or {}
check("baseline: adding a privileged pod", (pred.get("before"), pred.get("after")) == (88.89, 85.17), pred)
scan_json = os.path.join(tmp, "scan.json")
with open(scan_json, "w") as f:
    f.write(run("scan", "-f", "json", cluster_file)[1])
rc, out, err = run("scan", "-f", "json", "--baseline", scan_json, fixed_b)
pred = json.loads(out).get("prediction") or {}
check("baseline from a scan's JSON", (pred.get("before"), pred.get("after")) == (88.89, 100.0), (pred, err))
rc, _, err = run("scan", "--baseline", os.path.join(tmp, "missing.json"), fixed_b)
check("missing baseline: exit 2", rc == 2 and "missing.json" in err, err)

# ---- min-score ----
rc, _, _ = run("scan", "--min-score", "90", cluster_file)
check("below --min-score exits 3", rc == 3, rc)
rc, _, _ = run("scan", "--min-score", "88", cluster_file)
check("at or above --min-score exits 0", rc == 0, rc)
rc, _, _ = run("scan", "--min-score", "90", "--baseline", cluster_file, fixed_b)
check("--min-score judges the predicted score with --baseline", rc == 0, rc)
deny = os.path.join(tmp, "deny.yaml")
with open(deny, "w") as f:
    f.write("recommendations:\n  privileged-containers: {action: deny}\n")
rc, _, _ = run("scan", "-c", deny, "--min-score", "90", cluster_file)
check("a denial wins over a low score (exit 1)", rc == 1, rc)

# ---- scoregate score ----
rc, out, err = run("score", "-f", "json", cluster_file)
s = json.loads(out)["score"] if rc == 0 else {}
check("score FILE", s.get("percent") == 88.89, (rc, err))
rc, out, _ = run("score", cluster_file)
check("score text", "88.89" in out, out[:200])
rc, out, _ = run("score", "-f", "json", scan_json)
check("score of a scan's JSON", rc == 0 and json.loads(out)["score"]["percent"] == 88.89, out[:200])
rc, _, _ = run("score", "--min-score", "95", cluster_file)
check("score --min-score exits 3", rc == 3, rc)
empty = write("empty.json", {"apiVersion": "v1", "kind": "List", "items": []})
rc, out, _ = run("score", "-f", "json", empty)
check("nothing to score is null", rc == 0 and json.loads(out)["score"]["percent"] is None, out[:200])

finish()
