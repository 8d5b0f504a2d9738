#!/usr/bin/env python3
"""Scanning repositories as they are (issue 22): folders with YAML that is not for the API server,
kustomize folders, API groups, kubectl's leniency, and a corpus of real manifests.

usage: test_repos.py SCOREGATE SOURCE_DIR [--group NAME]...

Groups (all by default):
  skip       a folder's files with no Kubernetes object are skipped with one notice each and
             counted in every format; named explicitly or with --strict they are errors
  kustomize  kustomizations and the patches they name are skipped and said so; what
             `kubectl kustomize DIR | scoregate scan -` builds is scanned (kubectl from
             scripts/deps: .cache/kubectl/kubectl, else on PATH)
  errors     malformed YAML and a broken manifest exit 2 with the report of everything else,
             naming file and line, in every format
  lenient    items: null, a byte-order mark after ---, CRLF and UTF-16 files
  groups     kinds with their API group: OpenKruise, Volcano and Knative objects; podControllers
             in a settings file, a wrong path a load error with file and line
  corpus     tests/corpus: every folder of real manifests scans with exit 0 or 1, each file
             reported or skipped with a notice; the known-invalid ones (corpus/EXPECTED.json)
             exit 2 naming their file and line
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scanlib import check, run_groups, scan  # noqa: E402

FORMATS = ("text", "json", "sarif", "junit", "policyreport", "html")



def deployment(pod_spec):
    """The Deployment web of namespace shop with `pod_spec` (YAML lines, indented for the pod spec)."""
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n"
            "    spec:\n" + pod_spec)


DEPLOY = deployment("      containers: [{name: app, image: nginx}]\n")


def write(root, rel, text, mode="w"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)
    return path


def scan_json(binary, *args, **kw):
    p = scan(binary, "-f", "json", *args, **kw)
    return p, (json.loads(p.stdout) if p.stdout.strip() else None)


def counts_in_formats(binary, args, cwd, skipped, errors, what):
    """Every format carries the number of skipped files and of input errors."""
    for fmt in FORMATS:
        p = scan(binary, "-f", fmt, *args, cwd=cwd)
        out = p.stdout
        if fmt == "json":
            doc = json.loads(out)
            got = (len(doc["skipped"]), len(doc["errors"]))
        elif fmt == "sarif":
            inv = json.loads(out)["runs"][0]["invocations"][0]
            notes = inv["toolExecutionNotifications"]
            got = (inv["properties"]["skippedFiles"], inv["properties"]["inputErrors"])
            check(f"{what}: sarif notifications", sum(n["level"] == "note" for n in notes) == skipped and
                  sum(n["level"] == "error" for n in notes) == errors and
                  inv["executionSuccessful"] == (errors == 0))
        elif fmt == "junit":
            suites = [s for s in ET.fromstring(out).iter("testsuite") if s.get("name") == "scoregate inputs"]
            got = (int(suites[0].get("skipped")), int(suites[0].get("errors"))) if suites else (0, 0)
        elif fmt == "policyreport":
            reps = [i for i in json.loads(out)["items"] if i["metadata"]["name"] == "scoregate-scan-inputs"]
            got = (reps[0]["summary"]["skip"], reps[0]["summary"]["error"]) if reps else (0, 0)
        elif fmt == "text":
            m1 = re.search(r"; (\d+) files? skipped", out)
            m2 = re.search(r"; (\d+) input errors?", out)
            got = (int(m1.group(1)) if m1 else 0, int(m2.group(1)) if m2 else 0)
        else:
            m1 = re.search(r"Files skipped: not objects for the API server \((\d+)\)", out)
            m2 = re.search(r"Inputs that could not be read \(the scan exits 2\) \((\d+)\)", out)
            got = (int(m1.group(1)) if m1 else 0, int(m2.group(1)) if m2 else 0)
        check(f"{what}: -f {fmt} counts {got} == {(skipped, errors)}", got == (skipped, errors))


# ---------------------------------------------------------------- skip

def group_skip(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "repo/app/deploy.yaml", DEPLOY)
        write(tmp, "repo/app/values.yaml", "# Helm values\nreplicaCount: 2\nimage: {tag: latest}\n")
        write(tmp, "repo/app/patch.yaml", "- op: replace\n  path: /spec/replicas\n  value: 3\n")
        write(tmp, "repo/.github/workflows/ci.yml", "on: push\njobs: {}\n")
        write(tmp, "repo/tools/lint.yml", "---\nrules: {line-length: 120}\n---\nignore: [vendor]\n")
        write(tmp, "repo/app/empty.yaml", "# nothing yet\n")
        write(tmp, "repo/chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
        write(tmp, "repo/chart/templates/deployment.yaml", "{{- if .Values.enabled }}\n" + DEPLOY + "{{- end }}\n")
        p, doc = scan_json(binary, "repo/", cwd=tmp)
        check(f"skip: a folder with non-manifest YAML exits 0, got {p.returncode}: {p.stderr}", p.returncode == 0)
        check(f"skip: only the manifest is reported, without '//': {[r['source']['file'] for r in doc['resources']]}",
              [r["source"]["file"] for r in doc["resources"]] == ["repo/app/deploy.yaml"])
        skipped = {s["file"]: s for s in doc["skipped"]}
        check(f"skip: non-manifests and a Helm chart skipped (dotfolders and empty files are not): {sorted(skipped)}",
              sorted(skipped) == ["repo/app/patch.yaml", "repo/app/values.yaml", "repo/chart/Chart.yaml",
                                    "repo/chart/templates/deployment.yaml", "repo/tools/lint.yml"])
        check("skip: a chart's template is skipped, saying how to check what it renders",
              "helm template repo/chart | scoregate scan -" in
              skipped.get("repo/chart/templates/deployment.yaml", {}).get("reason", ""))
        check(f"skip: the reason and place of values.yaml: {skipped.get('repo/app/values.yaml')}",
              skipped.get("repo/app/values.yaml", {}).get("line") == 2 and
              "no document has apiVersion or kind" in skipped["repo/app/values.yaml"]["reason"])
        check("skip: a JSON patch is a sequence",
              "a sequence, not a Kubernetes object" in skipped.get("repo/app/patch.yaml", {}).get("reason", ""))
        notices = [l for l in p.stderr.splitlines() if l.startswith("scoregate scan: skipped ")]
        check(f"skip: one notice per file on stderr: {notices}",
              len(notices) == 5 and all(any(f in l for l in notices) for f in skipped))
        counts_in_formats(binary, ["repo"], tmp, 5, 0, "skip")
        # Named explicitly, or with --strict, such a file is an error.
        p = scan(binary, "repo/app/values.yaml", cwd=tmp)
        check(f"skip: a file named explicitly stays strict: {p.returncode} {p.stderr}", p.returncode == 2 and "repo/app/values.yaml: document 1, line 2: the object has neither apiVersion "
              "nor kind" in p.stderr)
        p = scan(binary, "-", stdin="replicaCount: 2\n", cwd=tmp)
        check(f"skip: stdin stays strict: {p.stderr}", p.returncode == 2 and "<stdin>: document 1, line 1" in p.stderr)
        p, doc = scan_json(binary, "--strict", "repo", cwd=tmp)
        check(f"skip: --strict makes them errors, the rest still reported: {p.returncode} {p.stderr}",
              p.returncode == 2 and doc and len(doc["errors"]) == 5 and not doc["skipped"] and
              [r["name"] for r in doc["resources"]] == ["web"])


# ---------------------------------------------------------------- kustomize

def find_kubectl(src):
    local = os.path.join(src, ".cache", "kubectl", "kubectl")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("kubectl")


KUSTOMIZATION = """resources:
- ../../base
patchesStrategicMerge:
- limits.yaml
patches:
- path: hardening.yaml
  target: {kind: Deployment, name: web}
- patch: |-
    - op: add
      path: /metadata/labels
      value: {tier: web}
  target: {kind: Deployment}
patchesJson6902:
- target: {group: apps, version: v1, kind: Deployment, name: web}
  path: patches/replicas.json
"""

HARDENING = deployment("""      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000,
                        appArmorProfile: {type: RuntimeDefault}}
      containers:
        - name: app
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
""")

LIMITS = deployment("""      containers: [{name: app, resources: {limits: {cpu: "1", memory: 1Gi}}}]
""")


def group_kustomize(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "k/base/deploy.yaml", DEPLOY)
        write(tmp, "k/base/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                                 "resources: [deploy.yaml]\n")
        write(tmp, "k/overlays/prod/kustomization.yaml", KUSTOMIZATION)
        write(tmp, "k/overlays/prod/limits.yaml", LIMITS)
        write(tmp, "k/overlays/prod/hardening.yaml", HARDENING)
        write(tmp, "k/overlays/prod/patches/replicas.json", '[{"op": "replace", "path": "/spec/replicas", "value": 3}]\n')
        p, doc = scan_json(binary, "k", cwd=tmp)
        check(f"kustomize: the folder exits 0: {p.stderr}", p.returncode == 0)
        check(f"kustomize: only the base's object is scored: {[r['source']['file'] for r in doc['resources']]}",
              [r["source"]["file"] for r in doc["resources"]] == ["k/base/deploy.yaml"])
        why = {s["file"]: s["reason"] for s in doc["skipped"]}
        want = {
            "k/base/kustomization.yaml": "a kustomization",
            "k/overlays/prod/kustomization.yaml": "a kustomization",
            "k/overlays/prod/limits.yaml": "a patch that k/overlays/prod/kustomization.yaml applies "
                                           "(patchesStrategicMerge)",
            "k/overlays/prod/hardening.yaml": "a patch that k/overlays/prod/kustomization.yaml applies (patches)",
            "k/overlays/prod/patches/replicas.json": "a patch that k/overlays/prod/kustomization.yaml applies "
                                                     "(patchesJson6902)",
        }
        check(f"kustomize: kustomizations and their patches skipped, saying which: {json.dumps(why, indent=1)}",
              sorted(why) == sorted(want) and all(want[f] in why[f] for f in want))
        check("kustomize: the notice says how to check the overlay",
              "kubectl kustomize k/overlays/prod | scoregate scan -" in why.get("k/overlays/prod/limits.yaml", ""))
        # Without the kustomization, the patches are scored as whole objects: false findings.
        p, doc = scan_json(binary, "--strict", "k/overlays/prod/limits.yaml", cwd=tmp)
        check("kustomize: a patch scanned alone is 'missing' every setting (why it is skipped)",
              any(f["status"] == "unhealthy" and f["recommendation"] == "run-as-non-root"
                    for r in doc["resources"] for f in r["findings"]))
        kubectl = find_kubectl(src)
        if not check("kustomize: kubectl not found (scripts/deps installs .cache/kubectl)", kubectl is not None):
            return
        built = subprocess.run([kubectl, "kustomize", os.path.join(tmp, "k/overlays/prod")], capture_output=True,
                               text=True, timeout=120)
        check(f"kustomize: kubectl kustomize builds the overlay: {built.stderr}", built.returncode == 0)
        p, doc = scan_json(binary, "-", stdin=built.stdout)
        check(f"kustomize: the built overlay scans: {p.stderr}", p.returncode == 0 and len(doc["resources"]) == 1)
        status = {(f["recommendation"], f["container"]): f["status"] for f in doc["resources"][0]["findings"]}
        for rec in ("cpu-memory-limits", "run-as-non-root", "privilege-escalation", "readonly-root-filesystem"):
            check(f"kustomize: {rec} is healthy once patched: {status}", status.get((rec, "app")) == "healthy")
        check("kustomize: the patches were applied", status.get(("automount-api-credentials", None)) == "healthy")


# ---------------------------------------------------------------- errors

def group_errors(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "r/a.yaml", DEPLOY.replace("image: nginx", "image: nginx, securityContext: {privileged: true}"))
        write(tmp, "r/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop\n")
        write(tmp, "r/c.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"
                               "  containers: 5\n")
        write(tmp, "r/d.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\n")
        policy = write(tmp, "policy.yaml", "recommendations: {privileged-containers: {action: deny}}\n")
        p, doc = scan_json(binary, "-c", policy, "r", cwd=tmp)
        check(f"errors: exit 2 although a deny finding exists, got {p.returncode}", p.returncode == 2)
        check(f"errors: the rest is reported: {doc['resources']}", [r["name"] for r in doc["resources"]] == ["web", "s"])
        errs = {(e["file"], e.get("line")): e["message"] for e in doc["errors"]}
        check(f"errors: file and line of each: {errs}", set(errs) == {("r/b.yaml", 4), ("r/c.yaml", 1)})
        check(f"errors: the broken field: {errs}", "spec.containers: expected a list" in errs.get(("r/c.yaml", 1), ""))
        check(f"errors: named on stderr: {p.stderr}",
              "r/b.yaml: document 1, line 4" in p.stderr and "r/c.yaml: document 1, line 1" in p.stderr)
        counts_in_formats(binary, ["-c", policy, "r"], tmp, 0, 2, "errors")
        log = json.loads(scan(binary, "-f", "sarif", "-c", policy, "r", cwd=tmp).stdout)
        run = log["runs"][0]
        check("errors: the SARIF upload still holds the findings",
              any(r["ruleId"] == "privileged-containers" for r in run["results"]))
        locs = [n["locations"][0]["physicalLocation"] for n in run["invocations"][0]["toolExecutionNotifications"]]
        check(f"errors: SARIF notifications point at file and line: {locs}", sorted((l["artifactLocation"]["uri"], l["region"]["startLine"]) for l in locs) ==
              [("r/b.yaml", 4), ("r/c.yaml", 1)])
        junit = scan(binary, "-f", "junit", "-c", policy, "r", cwd=tmp).stdout
        xsd = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xsd", "junit-10.xsd")
        with open(os.path.join(tmp, "j.xml"), "w") as f:
            f.write(junit)
        v = subprocess.run(["xmllint", "--noout", "--schema", xsd, os.path.join(tmp, "j.xml")], capture_output=True,
                           text=True)
        check(f"errors: the JUnit report with inputs validates against junit-10.xsd: {v.stderr}", v.returncode == 0)


# ---------------------------------------------------------------- lenient

def group_lenient(binary, src):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {0}, namespace: shop}}\n"
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "l/1-empty-list.yaml", "apiVersion: v1\nkind: List\nitems: null\n---\n" + cm.format("a"))
        write(tmp, "l/2-concatenated.yaml", "\ufeff" + cm.format("b") + "---\n\ufeff# second file\n" + cm.format("c"),
              mode="w")
        write(tmp, "l/3-crlf.yaml", (cm.format("d") + "---\n" + cm.format("e")).replace("\n", "\r\n"))
        with open(os.path.join(tmp, "l/4-utf16.yaml"), "wb") as f:
            f.write((cm.format("f") + "---\n" + cm.format("g")).encode("utf-16"))
        p, doc = scan_json(binary, "l", cwd=tmp)
        check(f"lenient: exit 0, nothing skipped: {p.stderr}", p.returncode == 0 and not doc["skipped"])
        got = [(r["name"], r["source"]["document"], r["source"]["line"]) for r in doc["resources"]]
        want = [("a", 2, 5), ("b", 1, 1), ("c", 2, 6), ("d", 1, 1), ("e", 2, 5), ("f", 1, 1), ("g", 2, 5)]
        check(f"lenient: objects, documents and lines {got} == {want}", got == want)
        write(tmp, "m/bad.yaml", cm.format("h") + "---\n\ufeff" + cm.format("i") + "---\n\ufeffkind: Pod\n")
        p = scan(binary, "m", cwd=tmp)
        check(f"lenient: document numbers stay right after a byte-order mark: {p.stderr}",
              p.returncode == 2 and "m/bad.yaml: document 3, line 9: the object has no apiVersion" in p.stderr)


# ---------------------------------------------------------------- groups

def group_groups(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "g/kruise.yaml", "apiVersion: apps.kruise.io/v1beta1\nkind: StatefulSet\n"
                                    "metadata: {name: db, namespace: shop}\nspec:\n  template:\n    spec:\n"
                                    "      containers: [{name: db, image: x, securityContext: {privileged: true}}]\n")
        write(tmp, "g/volcano.yaml", "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\n"
                                     "metadata: {name: train, namespace: shop}\nspec:\n  tasks:\n  - name: w\n"
                                     "    template: {spec: {containers: [{name: a, image: x}]}}\n")
        write(tmp, "g/knative.yaml", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\n"
                                     "spec:\n  template:\n    spec:\n      containers: [{image: x}]\n")
        write(tmp, "g/rollout.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
                                     "metadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n"
                                     "      hostPID: true\n      containers: [{name: a, image: x}]\n")
        policy = write(tmp, "p.yaml", "recommendations:\n  privileged-containers: {action: deny}\n"
                                      "  no-default-namespace: {action: deny}\n")
        p, doc = scan_json(binary, "-c", policy, "g", cwd=tmp)
        check(f"groups: exit 1 (the Kruise StatefulSet is privileged), got {p.returncode}: "
              f"{p.stderr}", p.returncode == 1)
        res = {r["kind"] + "." + r["apiVersion"]: r for r in doc["resources"]}
        unhealthy = {k: sorted({f["recommendation"] for f in r["findings"] if f["status"] == "unhealthy"})
                     for k, r in res.items()}
        check(f"groups: Kruise {unhealthy}", "privileged-containers" in unhealthy["StatefulSet.apps.kruise.io/v1beta1"] and
              not res["StatefulSet.apps.kruise.io/v1beta1"]["decision"]["allowed"])
        check(f"groups: Volcano Job has no findings", res["Job.batch.volcano.sh/v1alpha1"]["findings"] == [])
        check("groups: a Knative Service in default is no core Service",
              res["Service.serving.knative.dev/v1"]["findings"] == [] and
              res["Service.serving.knative.dev/v1"]["decision"]["allowed"])
        check(f"groups: Rollout {unhealthy}", "host-namespaces" in unhealthy["Rollout.argoproj.io/v1alpha1"])
        # podControllers in the settings; a path that cannot name a pod template is a load error with file and line.
        kn = write(tmp, "kn.yaml", "podControllers:\n  - apiVersion: serving.knative.dev/v1\n    kind: Service\n"
                                   "    podTemplate: spec.template\n")
        p, doc = scan_json(binary, "-c", kn, "g/knative.yaml", cwd=tmp)
        check("groups: a configured pod controller is checked", any(f["recommendation"] == "run-as-non-root" and f["status"] == "unhealthy"
                    for f in doc["resources"][0]["findings"]))
        bad = write(tmp, "bad.yaml", "standards: [mcsb]\npodControllers:\n  - apiVersion: serving.knative.dev/v1\n"
                                     "    kind: Service\n    podTemplate: spec.template.spec\n")
        p = scan(binary, "-c", bad, "g", cwd=tmp)
        check(f"groups: a wrong podTemplate is a load error with file and line: {p.stderr}",
              p.returncode == 2 and p.stdout == "" and re.search(r"bad\.yaml: line 5: podControllers entry "
              r"serving\.knative\.dev/v1 Service: it names the pod spec", p.stderr))
        ex = write(tmp, "ex.yaml", "exemptions:\n  - name: x\n    recommendations: [privileged-containers]\n"
                                   "    category: waiver\n    match:\n      kinds: [Certificate]\n")
        p = scan(binary, "-c", ex, "g", cwd=tmp)
        check(f"groups: an unknown bare kind in an exemption: {p.stderr}", p.returncode == 2 and "ex.yaml: line 6: x: 'Certificate' is neither a built-in Kubernetes kind nor a "
              "pod controller" in p.stderr)


# ---------------------------------------------------------------- corpus

def group_corpus(binary, src):
    corpus = os.path.join(src, "tests", "corpus")
    with open(os.path.join(corpus, "EXPECTED.json")) as f:
        expected = json.load(f)
    invalid = expected["invalid"]
    folders = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))
    total = 0
    for d in folders:
        root = os.path.join(corpus, d)
        files = []
        for dirpath, dirnames, names in os.walk(root):
            dirnames[:] = [n for n in dirnames if not n.startswith(".")]
            files += [os.path.relpath(os.path.join(dirpath, n), corpus) for n in names
                      if re.search(r"\.(ya?ml|json)$", n) and not n.startswith(".")]
        total += len(files)
        bad = sorted(f for f in invalid if f.startswith(d + "/"))
        p, doc = scan_json(binary, d, cwd=corpus)
        want_rc = (2,) if bad else (0, 1)
        check(f"corpus: {d} ({len(files)} files) exits {p.returncode}, want {want_rc}: {p.stderr[-500:]}",
              p.returncode in want_rc and doc is not None)
        if not doc:
            continue
        seen = {r["source"]["file"] for r in doc["resources"]} | {s["file"] for s in doc["skipped"]}
        seen |= {e["file"] for e in doc["errors"]}
        empty = set(expected.get("empty", []))
        missing = sorted(set(files) - seen - empty)
        check(f"corpus: {d}: every file reported, skipped or a known error: missing {missing[:10]}", not missing)
        notices = {l.split(": ", 2)[1][len("skipped "):] for l in p.stderr.splitlines()
                   if l.startswith("scoregate scan: skipped ")}
        check(f"corpus: {d}: one notice per skipped file", notices == {s["file"] for s in doc["skipped"]})
        errs = sorted((e["file"], e.get("line")) for e in doc["errors"])
        check(f"corpus: {d}: the errors are the known-invalid files with their lines: {errs}",
              errs == sorted((f, invalid[f]["line"]) for f in bad))
        for f in bad:
            check(f"corpus: {f}: says '{invalid[f]['message']}'",
                  any(e["file"] == f and invalid[f]["message"] in e["message"] for e in doc["errors"]))
            p1 = scan(binary, f, cwd=corpus)
            check(f"corpus: {f} alone exits 2 naming file and line: {p1.stderr}", p1.returncode == 2 and f"{f}: document {invalid[f]['document']}, line {invalid[f]['line']}:"
                  in p1.stderr)
    check(f"corpus: a few hundred files ({total})", total >= 200)


GROUPS = {"skip": group_skip, "kustomize": group_kustomize, "errors": group_errors, "lenient": group_lenient,
          "groups": group_groups, "corpus": group_corpus}


if __name__ == "__main__":
    run_groups(GROUPS, __doc__)
