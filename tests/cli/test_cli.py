#!/usr/bin/env python3
"""Integration tests of the scoregate CLI, driven as a separate process.

What users depend on: exit codes (0 / 1 deny / 2 input error), errors that name
file, document and line, settings errors that name the line (a typo must never
silently weaken a policy), the catalog's content, stdin input and --help.
Usage: test_cli.py SCOREGATE_BINARY SOURCE_DIR [BUILD_DIR]
"""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
from harness import check, finish, run, setup, write  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
BUILD = sys.argv[3] if len(sys.argv) > 3 else None
tmp = setup(BIN, "sg-cli-")


PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: team}
spec:
  containers:
    - name: app
      image: nginx
      securityContext: {privileged: yes}
"""

# ---- exit codes ----
pod = write("pod.yaml", PRIVILEGED)
rc, out, err = run("scan", pod)
check("warn exits 0", rc == 0, f"rc={rc} err={err}")
check("text names the finding", "privileged-containers" in out and "container app runs privileged" in out, out)

deny = write("deny.yaml", "recommendations:\n  privileged-containers: {action: deny}\n")
rc, out, err = run("scan", "-c", deny, pod)
check("deny exits 1", rc == 1, f"rc={rc} err={err}")

enforce_fixable = write("enforce.yaml", "recommendations:\n  privileged-containers: {action: enforce}\n")
rc, _, err = run("scan", "-c", enforce_fixable, pod)
check("enforce with a healing fix exits 0", rc == 0, f"rc={rc} {err}")
enforce_nofix = write("enforce2.yaml", "recommendations:\n  host-network-ports: {action: enforce}\n")
hostnet = write("hostnet.yaml", PRIVILEGED.replace("spec:\n", "spec:\n  hostNetwork: true\n", 1))
rc, _, err = run("scan", "-c", enforce_nofix, hostnet)
check("enforce without a fix exits 1", rc == 1, f"rc={rc} {err}")

# ---- JSON contract ----
rc, out, err = run("scan", "-f", "json", pod)
doc = json.loads(out)
res = doc["resources"][0]
check("json resource identity", (res["apiVersion"], res["kind"], res["namespace"], res["name"]) == ("v1", "Pod", "team", "p"), res)
check("json source", res["source"] == {"file": pod, "document": 1, "line": 1}, res["source"])
fields = {"recommendation", "standard", "title", "severity", "control", "status", "action", "preview",
          "builtin", "container", "message", "remediation"}
check("json finding fields", all(fields <= set(f) for f in res["findings"]), res["findings"][0])
by_id = {(f["recommendation"], f["container"]): f for f in res["findings"]}
priv = by_id.get(("privileged-containers", "app"))
check("json privileged finding", priv and priv["status"] == "unhealthy" and priv["action"] == "warn"
      and priv["standard"] == "mcsb" and priv["control"] == "access" and priv["severity"] == "medium", priv)
check("json healthy findings are listed", any(f["status"] == "healthy" for f in res["findings"]), res["findings"])
check("inactive recommendations are not listed", ("trusted-registries", "app") not in by_id, by_id.keys())

# ---- documents, lines, stdin ----
multi = write("multi.yaml", "# leading comment\n---\n---\n" + PRIVILEGED + "---\n" +
              PRIVILEGED.replace("name: p,", "name: q,"))
rc, out, _ = run("scan", "-f", "json", multi)
srcs = [r["source"] for r in json.loads(out)["resources"]]
check("lines of documents deep in a file", [(s["document"], s["line"]) for s in srcs] == [(2, 4), (3, 13)], srcs)
rc, out, err = run("scan", "-f", "json", "-", stdin=PRIVILEGED)
check("stdin", rc == 0 and json.loads(out)["resources"][0]["name"] == "p", err)
lst = write("list.yaml", json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}]}))
rc, out, _ = run("scan", "-f", "json", "--namespace", "ns1", lst)
names = [(r["kind"], r["namespace"]) for r in json.loads(out)["resources"]]
check("List expanded, --namespace defaults", names == [("ConfigMap", "x"), ("Secret", "ns1")], names)
d = os.path.join(tmp, "dir", "sub")
os.makedirs(d)
write("dir/a.yaml", PRIVILEGED)
write("dir/sub/b.yml", PRIVILEGED)
write("dir/sub/ignored.txt", "not yaml")
rc, out, _ = run("scan", "-f", "json", os.path.join(tmp, "dir"))
check("directories are read recursively", len(json.loads(out)["resources"]) == 2, out[:200])

# ---- bad input: exit 2, the place named, the report of everything else still written ----
bad_cases = [
    ("malformed YAML", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n", "document 1, line"),
    ("second document broken", PRIVILEGED + "---\nkind: Pod\n  bad: indent\n", "document 2, line 11"),
    ("not a mapping", "- a\n- b\n", "document 1, line 1"),
    ("no kind", "apiVersion: v1\nmetadata: {name: x}\n", "document 1"),
    ("containers: 5", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n---\n"
     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: e}\nspec:\n  template:\n    spec:\n      containers: 5\n",
     "document 2, line 5: spec.template.spec.containers: expected a list, got a number"),
]
good = write("good.yaml", PRIVILEGED)
for name, text, want in bad_cases:
    path = write("bad.yaml", text)
    rc, out, err = run("scan", path)
    check(f"bad input {name}: exit 2", rc == 2, f"rc={rc}")
    check(f"bad input {name}: place named", f"{path}: {want}" in err or (want in err and path in err), err)
    check(f"bad input {name}: named in the report", "Input errors" in out and f"{path}:" in out, out[-300:])
    rc, out, err = run("scan", "-f", "json", good, path)
    doc = json.loads(out)
    where = [f"{e['file']}: document {e.get('document')}, line {e.get('line')}: {e['message']}" for e in doc["errors"]]
    check(f"bad input {name}: the other file is reported, exit 2",
          rc == 2 and any(r["source"]["file"] == good for r in doc["resources"]), f"rc={rc} {out[:200]}")
    check(f"bad input {name}: the json report names the error's place", len(where) == 1 and
          (f"{path}: {want}" in where[0] or want.startswith("document 1, line") and path in where[0]), where)
rc, out, _ = run("scan", "-f", "json", path)
check("containers: 5: the ConfigMap before it in the same file is reported",
      [r["kind"] for r in json.loads(out)["resources"]] == ["ConfigMap"], out[:300])
rc, _, err = run("scan", os.path.join(tmp, "missing.yaml"))
check("missing file: exit 2", rc == 2 and "missing.yaml" in err, err)
deep = write("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
rc, _, err = run("scan", deep)
check("deep nesting: clear error", rc == 2 and "deep.yaml" in err, err[:200])

# ---- settings errors name file and line ----
CUSTOM = ("custom:\n  - id: mine\n    title: t\n    severity: low\n    control: access\n"
          "    scope: container\n    remediation: r\n    message: m\n    unhealthy: 'true'\n")
config_cases = [
    ("unknown top-level key", "standards: [mcsb]\nrecomendations: {}\n", "line 2: unknown key 'recomendations'"),
    ("typo in action key", "recommendations:\n  privileged-containers:\n    actoin: deny\n", "line 3: unknown key 'actoin'"),
    ("bad action", "recommendations:\n  privileged-containers: {action: block}\n", "line 2: action 'block'"),
    ("unknown recommendation", "recommendations:\n  privileged-container: {action: deny}\n",
     "line 2: unknown recommendation 'privileged-container'"),
    ("unknown parameter", "recommendations:\n  cpu-memory-limits:\n    parameters: {cpuLimt: '2'}\n",
     "line 3: cpu-memory-limits has no parameter 'cpuLimt'"),
    ("wrong parameter type", "recommendations:\n  host-network-ports:\n    parameters:\n      maxPort: high\n",
     "line 4: parameter 'maxPort' of host-network-ports must be number"),
    ("bad quantity", "recommendations:\n  cpu-memory-limits:\n    parameters:\n      cpuLimit: 2 cores\n",
     "line 4: parameter 'cpuLimit' of cpu-memory-limits: '2 cores' is not a Kubernetes quantity"),
    ("bad regex", "recommendations:\n  trusted-registries:\n    parameters:\n      allowedImagesRegex: '(unclosed'\n",
     "line 4: parameter 'allowedImagesRegex' of trusted-registries: invalid regular expression"),
    ("unknown standard", "standards: [mcsb, pss-strict]\n", "line 1: unknown standard 'pss-strict'"),
    ("wrong type for standards", "standards: mcsb\n", "line 1: 'standards' in the settings must be a list"),
    ("bad expires", "exemptions:\n  - name: x\n    recommendations: [run-as-non-root]\n    category: waiver\n"
     "    expires: next year\n", "line 5: expires of exemption x"),
    ("bad category", "exemptions:\n  - name: x\n    recommendations: [run-as-non-root]\n    category: ignore\n",
     "line 4: category of exemption x must be waiver or mitigated"),
    ("exemption of unknown id", "exemptions:\n  - name: x\n    recommendations: [nope]\n    category: waiver\n",
     "exemption x names unknown recommendation 'nope'"),
    ("bad selector", "exemptions:\n  - name: x\n    recommendations: [run-as-non-root]\n    category: waiver\n"
     "    match: {labelSelector: {matchLabel: {a: b}}}\n", "unknown key 'matchLabel' in a label selector"),
    ("custom rule syntax error", "custom:\n  - id: mine\n    title: t\n    severity: low\n    control: access\n"
     "    scope: container\n    remediation: r\n    message: m\n    unhealthy: 'container.image =='\n",
     "line 9: 'unhealthy' of mine: column 19: unexpected end of expression"),
    ("custom rule unknown function", "custom:\n  - id: mine\n    title: t\n    severity: low\n    control: access\n"
     "    scope: container\n    remediation: r\n    message: m\n    unhealthy: 'lenght(container.image) > 3'\n",
     "unknown function 'lenght'"),
    ("scoreGate out of range", "scoreGate: {minScore: 170}\n", "line 1: scoreGate minScore must be between 0 and 100"),
    # Nothing silently weakens a policy: what cannot have its effect is an error with its line.
    ("kinds a container check never sees", CUSTOM + "    kinds: [Deployment, Service]\n",
     "line 10: mine has scope container, but kind 'Service' has no pod template"),
    ("params typo", CUSTOM.replace("'true'", "'container.image == params.tag'"),
     "line 9: 'unhealthy' of mine: column 27: unknown parameter 'tag'"),
    ("container in a pod check", CUSTOM.replace("scope: container", "scope: pod").replace("'true'", "'has(container.image)'"),
     "line 9: 'unhealthy' of mine reads container or containerType"),
    ("non-boolean unhealthy", CUSTOM.replace("'true'", "'lower(container.image)'"),
     "line 9: 'unhealthy' of mine must be a condition (true or false), but it always gives a string"),
    ("unknown control", CUSTOM.replace("control: access", "control: bestpractices"),
     "line 5: control 'bestpractices' of mine is not one of"),
    ("a port that never matches", "recommendations:\n  service-allowed-ports:\n    parameters:\n"
     "      allowedServicePorts: [443, https]\n", "line 4: parameter 'allowedServicePorts' of service-allowed-ports: item 2"),
    ("excluded images where no container is judged", "recommendations:\n  automount-api-credentials:\n"
     "    parameters:\n      excludedImages: [x]\n", "line 4: excludedImages has no effect on automount-api-credentials"),
    ("misspelt run-as rule", "recommendations:\n  run-as-non-root:\n    parameters:\n"
     "      fsGroup: {rule: MayRunAS, ranges: [{min: 1, max: -1}]}\n", "line 4: parameters of run-as-non-root:"),
    ("exemption without match", "exemptions:\n  - name: x\n    recommendations: [run-as-non-root]\n    category: waiver\n",
     "line 2: exemption x has no 'match', so it would exempt every resource"),
    ("no standard, no custom rule", "standards: []\n", "line 1: standards is empty and there are no custom recommendations"),
    ("settings of a standard not enabled", "recommendations:\n  pss-privileged: {action: deny}\n",
     "line 2: pss-privileged belongs to standard pss-baseline, which is not enabled"),
    ("server tls half set", "server:\n  tls: {certFile: a.crt}\n", "server.tls needs both certFile and keyFile"),
    ("two documents", "standards: [mcsb]\n---\nstandards: [mcsb]\n", "holds 2 YAML documents"),
    ("not a mapping", "- mcsb\n", "the settings must be a mapping"),
]
for name, text, want in config_cases:
    cfg = write("config.yaml", text)
    rc, out, err = run("scan", "-c", cfg, pod)
    check(f"config {name}: exit 2", rc == 2, f"rc={rc} err={err}")
    check(f"config {name}: message", f"{cfg}: " in err and want in err, f"want '{want}' in: {err.strip()}")
# The webhook reads the server section, not policy: every command that loads settings still rejects it.
cfg = write("config.yaml", "server:\n  dashboard: {tls: yes}\n  adress: ':9443'\n")
for cmd in (["fix", "--diff", pod], ["score", pod], ["catalog"]):
    rc, _, err = run(cmd[0], "-c", cfg, *cmd[1:])
    check(f"{cmd[0]} rejects a broken server section", rc == 2 and f"{cfg}: line 3: unknown key 'adress' in server" in err,
          f"rc={rc} err={err.strip()}")
rc, _, err = run("scan", "-c", os.path.join(tmp, "nope.yaml"), pod)
check("missing config: exit 2", rc == 2 and "nope.yaml: cannot open" in err, err)
good = write("good.yaml", open(os.path.join(SRC, "tests/cli/settings-example.yaml")).read())
rc, out, err = run("scan", "-c", good, pod)
check("the documented settings example loads", rc in (0, 1), err)

# ---- a container-scope applies reads the container (issue 15, item 1) ----
applies = write("applies.yaml", "custom:\n- {id: t1, title: t, severity: low, control: best-practices, scope: container, "
                "action: deny,\n   applies: \"has(container.image)\", unhealthy: \"true\", message: m, remediation: r}\n")
rc, out, err = run("scan", "-c", applies, os.path.join(SRC, "examples/hardened-deployment.yaml"))
check("applies over container runs per container", rc == 1 and "t1" in out, f"rc={rc} {out[-300:]} {err}")

# ---- usage ----
for args in (["scan"], ["scan", "--format", "xml", pod], ["scan", "--bogus"], ["frobnicate"],
             ["scan", "--min-score", "abc", pod], ["scan", "--standard", "pss-none", pod],
             ["scan", "--namespace", "Team_A", pod], ["scan", "--namespace", "", pod]):
    rc, _, err = run(*args)
    check(f"usage {args}: exit 2", rc == 2 and err, f"rc={rc}")
for cmd in (["--help"], ["scan", "--help"], ["catalog", "--help"]):
    rc, out, _ = run(*cmd)
    check(f"{cmd} prints usage", rc == 0 and "usage: scoregate" in out, out[:80])
rc, out, _ = run("--version")
check("--version", rc == 0 and out.startswith("scoregate "), out)

# ---- catalog ----
rc, out, _ = run("catalog", "-f", "json")
recs = {r["id"]: r for r in json.loads(out)["recommendations"]}
mcsb = {i: r for i, r in recs.items() if r["standard"] == "mcsb"}
check("catalog lists the 16 Defender recommendations", len(mcsb) == 16, sorted(mcsb))
expected = {
    "cpu-memory-limits": ("medium", "ddos"), "trusted-registries": ("high", "vulnerabilities"),
    "least-privileged-capabilities": ("medium", "access"), "apparmor-profiles": ("high", "security-configurations"),
    "service-allowed-ports": ("medium", "network"), "host-network-ports": ("medium", "network"),
    "host-path-volumes": ("medium", "access"), "privilege-escalation": ("medium", "access"),
    "host-namespaces": ("medium", "access"), "readonly-root-filesystem": ("medium", "access"),
    "https-ingress": ("high", "data-in-transit"), "automount-api-credentials": ("high", "access"),
    "no-default-namespace": ("low", "best-practices"), "no-cap-sys-admin": ("high", "access"),
    "privileged-containers": ("medium", "access"), "run-as-non-root": ("high", "access"),
}
for rid, (sev, ctl) in expected.items():
    r = mcsb.get(rid, {})
    check(f"catalog {rid}", (r.get("severity"), r.get("control")) == (sev, ctl), r)
for rid in ("trusted-registries", "service-allowed-ports"):
    check(f"catalog {rid} inactive until configured", mcsb[rid]["configured"] is False and not mcsb[rid]["scored"],
          mcsb[rid])
check("catalog parameters carry values", mcsb["cpu-memory-limits"]["parameters"]["cpuLimit"]["value"] == "32",
      mcsb["cpu-memory-limits"]["parameters"])
check("catalog common parameters", "excludedImages" in mcsb["privileged-containers"]["parameters"], "")
rc, out, _ = run("catalog")
check("catalog text says inactive until configured",
      "trusted-registries" in out and "inactive until configured" in out, out[:300])
cfg = write("tr.yaml", "recommendations:\n  trusted-registries: {parameters: {allowedImagesRegex: '^r/'}}\n")
rc, out, _ = run("catalog", "-c", cfg, "-f", "json")
tr = [r for r in json.loads(out)["recommendations"] if r["id"] == "trusted-registries"][0]
check("catalog: configured after setting the parameter", tr["configured"] and tr["scored"], tr)

# ---- expired exemptions are named, with their expiry, in every output and in catalog ----
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
ex_cfg = write("exemptions.yaml", "exemptions:\n"
               "  - {name: old-root, recommendations: [privileged-containers], match: {namespaces: [team]},"
               " category: waiver, expires: '2020-01-01T00:00:00Z'}\n"
               f"  - {{name: soon-gone, recommendations: [run-as-non-root], match: {{}}, category: mitigated, expires: '{soon}'}}\n"
               "  - {name: forever, recommendations: [readonly-root-filesystem], match: {}, category: waiver}\n")
for fmt in ("text", "json", "sarif", "junit", "policyreport", "html"):
    rc, out, err = run("scan", "-c", ex_cfg, "-f", fmt, pod)
    check(f"{fmt} names the expired exemption and its expiry", "old-root" in out and "2020-01-01T00:00:00Z" in out,
          f"rc={rc} {err} {out[:300]}")
rc, out, _ = run("scan", "-c", ex_cfg, "-f", "json", pod)
priv = [f for f in json.loads(out)["resources"][0]["findings"] if f["recommendation"] == "privileged-containers"][0]
check("json: the expired exemption's fields", priv.get("exemptionExpired") is True and
      priv.get("expiredExemption") == "old-root" and priv.get("exemptionExpires") == "2020-01-01T00:00:00Z", priv)
rc, out, _ = run("catalog", "-c", ex_cfg, "-f", "json")
states = {x["name"]: (x["state"], x["expires"]) for x in json.loads(out)["exemptions"]}
check("catalog lists exemptions: expired, expiring within 14 days, active",
      states == {"old-root": ("expired", "2020-01-01T00:00:00Z"), "soon-gone": ("expiring", soon),
                 "forever": ("active", None)}, states)
rc, out, _ = run("catalog", "-c", ex_cfg)
check("catalog text shows the expired exemption as ignored",
      any("old-root" in l and "EXPIRED" in l and "ignored" in l for l in out.splitlines()), out[-400:])

# ---- exemptions follow ownership: an exempt CronJob's Jobs and Pods run; a forged owner buys nothing ----
def rooted(kind, name, uid, owner=None):
    pod_spec = {"securityContext": {"runAsUser": 0}, "containers": [{"name": "c", "image": "vendor/batch:1"}]}
    if kind == "Pod":
        obj = {"apiVersion": "v1", "kind": "Pod", "spec": pod_spec}
    elif kind == "Job":
        obj = {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod_spec}}}
    else:
        obj = {"apiVersion": "batch/v1", "kind": "CronJob",
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}
    obj["metadata"] = {"name": name, "namespace": "legacy", "uid": uid}
    if owner:
        api, okind, oname, ouid = owner
        obj["metadata"]["ownerReferences"] = [{"apiVersion": api, "kind": okind, "name": oname, "uid": ouid,
                                               "controller": True}]
    return json.dumps(obj)


own_cfg = write("owners.yaml", "recommendations: {run-as-non-root: {action: deny}}\n"
                "exemptions:\n  - {name: legacy-batch, recommendations: [run-as-non-root], category: waiver,"
                " match: {namespaces: [legacy], kinds: [CronJob]}}\n")
chain = [rooted("CronJob", "nightly", "c-1"), rooted("Job", "nightly-1", "j-1", ("batch/v1", "CronJob", "nightly", "c-1")),
         rooted("Pod", "nightly-1-x", "p-1", ("batch/v1", "Job", "nightly-1", "j-1"))]
rc, out, err = run("scan", "-c", own_cfg, "-f", "json", write("chain.yaml", "\n---\n".join(chain)))
decisions = [r["decision"]["allowed"] for r in json.loads(out)["resources"]] if out else []
check("ownership: the exempt CronJob, its Job and that Job's Pod are all allowed", rc == 0 and
      decisions == [True, True, True], f"rc={rc} {err} {decisions}")
forged = chain + [rooted("Pod", "sneaky", "p-2", ("batch/v1", "Job", "nightly-1", "j-wrong")),
                  rooted("Pod", "sneaky-2", "p-3", ("batch/v1", "CronJob", "never-seen", "c-9"))]
rc, out, err = run("scan", "-c", own_cfg, "-f", "json", write("forged.yaml", "\n---\n".join(forged)))
decisions = [r["decision"]["allowed"] for r in json.loads(out)["resources"]] if out else []
check("ownership: a wrong uid or an owner not in the input buys no exemption (exit 1)", rc == 1 and
      decisions == [True, True, True, False, False], f"rc={rc} {err} {decisions}")
rc, out, err = run("scan", "-c", own_cfg, "-f", "json", write("reversed.yaml", "\n---\n".join(reversed(chain))))
decisions = [r["decision"]["allowed"] for r in json.loads(out)["resources"]] if out else []
check("ownership: owners count once admitted, in input order (a Pod before its Job is judged alone)",
      rc == 1 and decisions == [False, False, True], f"rc={rc} {decisions}")

# ---- install ----
if BUILD:
    prefix = os.path.join(tmp, "prefix")
    p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True)
    installed = os.path.join(prefix, "bin", "scoregate")
    check("cmake --install installs the binary", p.returncode == 0 and os.access(installed, os.X_OK), p.stderr)

finish()
