#!/usr/bin/env python3
"""`scoregate scan --jobs N`: files are read on N threads, objects decided in input order.

usage: test_jobs.py SCOREGATE SOURCE_DIR [--group NAME]...

Groups (all by default):
  identical   a multi-file input (48 files: exemptions, denials, enforce patches, an
              owner chain across files, the score gate, a broken file, a skipped file)
              gives byte-identical output, standard error and exit code with
              --jobs 1, 2, 3 and 8 and by default, in every format; the score is the
              one a scan of the same objects as one stream gives
  order       an owner's exemption covers objects in later files (the decision sees
              every object before it, whichever thread read its file)
  usage       --jobs takes 1 to 256; anything else is a usage error (exit 2)
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scanlib import check, run_groups, scan  # noqa: E402

FORMATS = ["text", "json", "sarif", "junit", "policyreport", "html"]

SETTINGS = """standards: [mcsb]
recommendations:
  privileged-containers: {action: deny}
  host-network-ports: {action: enforce}
  cpu-memory-limits:
    action: enforce
    parameters: {defaultCpuLimit: "500m", defaultMemoryLimit: "512Mi"}
  run-as-non-root: {action: deny}
exemptions:
  - name: team-writes-root
    recommendations: [readonly-root-filesystem]
    match: {namespaces: [team]}
    category: waiver
    justification: writes to its root filesystem until v2
  - {name: legacy-batch, recommendations: [run-as-non-root], category: waiver,
     match: {namespaces: [legacy], kinds: [CronJob]}}
scoreGate: {maxDrop: 4.0}
"""


def pod_spec(i, privileged=False, limits=True, root=False):
    c = {"name": f"app{i}", "image": f"registry.example/app:{i}",
         "securityContext": {"privileged": privileged, "allowPrivilegeEscalation": False,
                             "readOnlyRootFilesystem": i % 3 != 0, "runAsNonRoot": not root,
                             "runAsUser": 0 if root else 1000, "runAsGroup": 0 if root else 1000}}
    if limits:
        c["resources"] = {"limits": {"cpu": "200m", "memory": "128Mi"}}
    if i % 4 == 0:
        c["ports"] = [{"containerPort": 8080, "hostPort": 8080}]
    return {"containers": [c]}


def deployment(i, ns):
    spec = pod_spec(i, privileged=i % 11 == 5, limits=i % 2 == 0, root=i % 13 == 7)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"web-{i}", "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": f"web-{i}"}},
                     "template": {"metadata": {"labels": {"app": f"web-{i}"}}, "spec": spec}}}


def owned(kind, name, uid, owner):
    api = "v1" if kind == "Pod" else "batch/v1"
    spec = pod_spec(1, root=True)
    if kind == "Pod":
        obj = {"apiVersion": api, "kind": kind, "spec": spec}
    elif kind == "Job":
        obj = {"apiVersion": api, "kind": kind, "spec": {"template": {"spec": spec}}}
    else:
        obj = {"apiVersion": api, "kind": kind,
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    obj["metadata"] = {"name": name, "namespace": "legacy", "uid": uid}
    if owner:
        obj["metadata"]["ownerReferences"] = [dict(zip(("apiVersion", "kind", "name", "uid"), owner),
                                                   controller=True)]
    return obj


def yaml_stream(objs):
    # JSON documents are YAML; a comment line moves the objects' start lines.
    return "".join(f"---\n# object {k}\n{json.dumps(o, indent=1)}\n" for k, o in enumerate(objs))


def make_tree(root):
    """48 files in nested folders, read in name order; returns the settings path."""
    namespaces = ["team", "shop", "default", "ops"]
    n = 0
    for f in range(44):
        folder = os.path.join(root, "apps", f"g{f // 10}")
        os.makedirs(folder, exist_ok=True)
        objs = [deployment(n + k, namespaces[(n + k) % 4]) for k in range(1 + f % 5)]
        n += len(objs)
        with open(os.path.join(folder, f"f{f:02d}.yaml"), "w") as fh:
            fh.write(yaml_stream(objs))
    chain = [owned("CronJob", "nightly", "c-1", None),
             owned("Job", "nightly-1", "j-1", ("batch/v1", "CronJob", "nightly", "c-1")),
             owned("Pod", "nightly-1-x", "p-1", ("batch/v1", "Job", "nightly-1", "j-1"))]
    # The chain's links in three files, read in this order.
    for k, obj in enumerate(chain):
        with open(os.path.join(root, "apps", f"z{k}-chain.yaml"), "w") as fh:
            fh.write(yaml_stream([obj]))
    with open(os.path.join(root, "apps", "g1", "broken.yaml"), "w") as fh:
        fh.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    with open(os.path.join(root, "apps", "values.yaml"), "w") as fh:
        fh.write("replicaCount: 2\nimage: {tag: v1}\n")
    settings = os.path.join(root, "settings.yaml")
    with open(settings, "w") as fh:
        fh.write(SETTINGS)
    return settings


def normalise(fmt, out):
    # PolicyReport results carry the time of the scan; nothing else may differ.
    if fmt == "policyreport":
        out = re.sub(r'"seconds": \d+,\s*"nanos": \d+', '"seconds": 0, "nanos": 0', out)
    return out


def group_identical(binary, src):
    with tempfile.TemporaryDirectory(prefix="sg-jobs-") as tmp:
        settings = make_tree(tmp)
        for fmt in FORMATS:
            runs = {}
            for jobs in ("1", "2", "3", "8", None):
                args = ["-c", settings, "-f", fmt] + (["--jobs", jobs] if jobs else []) + ["apps"]
                p = scan(binary, *args, cwd=tmp)
                runs[jobs or "default"] = (p.returncode, normalise(fmt, p.stdout), p.stderr)
            one = runs["1"]
            check(one[0] == 2 and len(one[1]) > 1000, f"{fmt}: --jobs 1 writes the report and exits 2 "
                    f"(the broken file): {one[0]} {one[2][-300:]}")
            for jobs, got in runs.items():
                check(got == one, f"{fmt}: --jobs {jobs} gives the output, errors and exit code of --jobs 1")
        p = scan(binary, "-c", settings, "-f", "json", "--jobs", "4", "apps", cwd=tmp)
        doc = json.loads(p.stdout)
        kinds = [r["kind"] for r in doc["resources"]]
        check(len(kinds) == 130 + 3, f"identical: every object of the tree is reported ({len(kinds)})")
        check(any(r["decision"]["patch"] for r in doc["resources"]), "identical: the tree has enforce patches")
        check(any(r["decision"]["gate"] for r in doc["resources"]), "identical: the tree has score gate denials")
        check(any(f["status"] == "exempt" for r in doc["resources"] for f in r["findings"]),
                "identical: the tree has exempt findings")
        check([e["file"] for e in doc["errors"]] == ["apps/g1/broken.yaml"] and
                [s["file"] for s in doc["skipped"]] == ["apps/values.yaml"], "identical: the broken and skipped files")
        # The same objects as one stream on stdin: the same score.
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(tmp, "apps")) for f in fs
                       if f.endswith(".yaml") and f not in ("broken.yaml", "values.yaml"))
        order = [os.path.relpath(f, tmp) for f in files]
        listed = [r["source"]["file"] for r in doc["resources"]]
        check(sorted(set(listed)) == sorted(order),
                "identical: objects come from every file")
        stream = "".join(open(f).read() for f in files)
        q = scan(binary, "-c", settings, "-f", "json", "-", stdin=stream)
        check(json.loads(q.stdout)["score"] == doc["score"], "identical: the score of one stream of the objects")


def group_order(binary, src):
    with tempfile.TemporaryDirectory(prefix="sg-jobs-") as tmp:
        make_tree(tmp)
        for jobs in ("1", "2", "8"):
            p = scan(binary, "-c", os.path.join(tmp, "settings.yaml"), "-f", "json", "--jobs", jobs,
                     "apps/z0-chain.yaml", "apps/z1-chain.yaml", "apps/z2-chain.yaml", cwd=tmp)
            doc = json.loads(p.stdout)
            status = {r["kind"]: [f["status"] for f in r["findings"] if f["recommendation"] == "run-as-non-root"]
                      for r in doc["resources"]}
            check(status == {"CronJob": ["exempt"], "Job": ["exempt"], "Pod": ["exempt"]},
                    f"order: --jobs {jobs}: the CronJob's exemption covers its Job and Pod in later files: {status}")


def group_usage(binary, src):
    for bad in ("0", "-1", "257", "two", ""):
        p = scan(binary, "--jobs", bad, "-")
        check(p.returncode == 2 and "--jobs" in p.stderr, f"usage: --jobs '{bad}' is a usage error: {p.stderr}")
    p = scan(binary, "-j", "256", "-f", "json", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    check(p.returncode == 0 and len(json.loads(p.stdout)["resources"]) == 1, "usage: -j 256 scans")
    p = scan(binary, "--help")
    check("--jobs N" in p.stdout, "usage: --help names --jobs")


GROUPS = {"identical": group_identical, "order": group_order, "usage": group_usage}

if __name__ == "__main__":
    run_groups(GROUPS, __doc__)
