#!/usr/bin/env python3
"""test_fix_live.py - `scoregate fix --kubeconfig` against the API server TEST DOUBLE (fake_apiserver.py
with fake_patch.py: PATCH answered as kube-apiserver's patch handler answers it).

Checks, with the real binary as a separate process over real TLS:
- the double itself, request by request, as the real API server answers: a failed `test` is 422 Invalid
  with the generic message and empty details, a stale resourceVersion in the result 409 Conflict, a
  forbidden patch 403 with RBAC's message, dryRun=All stores nothing and keeps the resourceVersion,
  dryRun=Foo is 422 Invalid PatchOptions, a merge patch 415 here, a missing object 404, a no-op patch keeps
  the resourceVersion, a Pod's spec cannot change (422 with causes);
- the dry run (default): the unhealthy workloads and the patch for each, which is exactly the patch
  /mutate sends (`scan -f json` shows it), and no PATCH at all;
- --apply: for each object a server-side dry run (dryRun=All) first, then the patch, both led by a test
  of metadata.resourceVersion; fixed objects are healthy in the double afterwards; a Pod is reported
  invalid with the API server's message and gets no real PATCH; RBAC's 403 is reported forbidden; an
  object another writer changes between the dry run and the patch is reported as a conflict, patched
  once (never retried) and left as the other writer made it; objects a controller owns are not
  patched (their owner is), one owned by a kind scoregate does not patch is reported; the secure score
  before -> after equals `scoregate score` over the double's objects before and after; exit 1;
- a second --apply fixes the object that was in conflict and touches no fixed one;
- --namespace, --context, and usage errors; sanitizer-clean runs.
Usage: test_fix_live.py SCOREGATE_BINARY SOURCE_DIR. Loopback only; bounded time.
"""
import copy
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile

BIN, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import fake_apiserver as fa  # noqa: E402

for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "KUBECONFIG"):
    os.environ.pop(var, None)

tmp = tempfile.mkdtemp(prefix="sg-fix-live-")
RECS = ["privileged-containers", "readonly-root-filesystem", "https-ingress"]

PRIVILEGED = {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": True}}]}


def workload(kind, name, ns="team", spec=None, owner=None):
    spec = copy.deepcopy(spec or PRIVILEGED)
    meta = {"name": name, "namespace": ns, "labels": {"app": name}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner[0], "kind": owner[1], "name": owner[2], "uid": "u-" + owner[2],
                                    "controller": True}]
    if kind == "Pod":
        return {"kind": kind, "metadata": meta, "spec": spec}
    body = {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}},
                                                                     "spec": spec}}
    if kind == "StatefulSet":
        body["serviceName"] = name
    return {"kind": kind, "metadata": meta, "spec": body}


def objects():
    return [
        workload("Deployment", "web"),
        workload("ReplicaSet", "web-5d8f", owner=("apps/v1", "Deployment", "web")),
        workload("Pod", "web-5d8f-abcde", owner=("apps/v1", "ReplicaSet", "web-5d8f")),
        workload("ReplicaSet", "canary-77", owner=("argoproj.io/v1alpha1", "Rollout", "canary")),
        workload("Pod", "debug"),
        workload("StatefulSet", "db"),
        workload("DaemonSet", "agent"),
        workload("Deployment", "other", ns="elsewhere"),
        workload("Pod", "coredns", ns="kube-system"),
        {"kind": "Ingress", "metadata": {"name": "web", "namespace": "team"},
         "spec": {"tls": [{"hosts": ["web.example.com"]}], "rules": [{"host": "web.example.com"}]}},
        {"kind": "Service", "metadata": {"name": "web", "namespace": "team"}, "spec": {"ports": [{"port": 443}]}},
    ]


def run(*args, timeout=120):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    clean = not any(s in p.stderr for s in ("AddressSanitizer", "runtime error:", "LeakSanitizer"))
    check(f"sanitizer-clean: fix {' '.join(a for a in args if not a.startswith('/'))[:60]}", clean, p.stderr[-2000:])
    return p


def fix_args(kc, *extra):
    args = ["fix", "--kubeconfig", kc]
    for r in RECS:
        args += ["--recommendation", r]
    return args + list(extra)


def stored(fake, kind, ns, name):
    path = fake.route_of(kind)[0]
    with fake.cond:
        return copy.deepcopy(fake.objects[path][(ns, name)])


def all_objects(fake):
    with fake.cond:
        return [copy.deepcopy(o) for objs in fake.objects.values() for o in objs.values()]


def score_oracle(fake):
    """`scoregate score` over the double's objects (a List file): the percent, as text."""
    path = os.path.join(tmp, "oracle.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": all_objects(fake)}, f)
    p = subprocess.run([BIN, "score", "-f", "json", path], capture_output=True, text=True, timeout=120)
    percent = json.loads(p.stdout)["score"]["percent"]
    return "n/a" if percent is None else f"{percent:.2f}%"


def mutate_patch(obj):
    """The patch /mutate sends for `obj` (scan -f json shows the decision's patch) under the same enforce set."""
    settings = os.path.join(tmp, "enforce.yaml")
    with open(settings, "w") as f:
        f.write("recommendations:\n" + "".join(f"  {r}: {{action: enforce}}\n" for r in RECS))
    path = os.path.join(tmp, "one.json")
    with open(path, "w") as f:
        json.dump(obj, f)
    p = subprocess.run([BIN, "scan", "-c", settings, "-f", "json", path], capture_output=True, text=True, timeout=60)
    return json.loads(p.stdout)["resources"][0]["decision"]["patch"]


def unhealthy(obj, recs=RECS):
    """The selected recommendations `scan` still finds unhealthy on `obj`."""
    path = os.path.join(tmp, "check.json")
    with open(path, "w") as f:
        json.dump(obj, f)
    p = subprocess.run([BIN, "scan", "-f", "json", path], capture_output=True, text=True, timeout=60)
    return sorted({f["recommendation"] for f in json.loads(p.stdout)["resources"][0]["findings"]
                   if f["status"] == "unhealthy" and f["recommendation"] in recs})


def http_patch(fake, path, ops, ctype="application/json-patch+json", query=""):
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    conn = http.client.HTTPSConnection("127.0.0.1", fake.port, context=ctx, timeout=20)
    body = json.dumps(ops).encode()
    conn.request("PATCH", path + query, body=body, headers={"Authorization": "Bearer token-1",
                                                            "Content-Type": ctype})
    r = conn.getresponse()
    answer = json.loads(r.read() or b"null")
    conn.close()
    return r.status, answer


def double_checks(fake):
    """The double answers PATCH as the API server does."""
    path = "/apis/apps/v1/namespaces/team/deployments/web"
    rv = stored(fake, "Deployment", "team", "web")["metadata"]["resourceVersion"]
    st, body = http_patch(fake, path, [{"op": "test", "path": "/metadata/resourceVersion", "value": "1"}])
    check("double: a failed test is 422 Invalid with the generic message and empty details",
          st == 422 and body["reason"] == "Invalid" and body["details"] == {} and
          body["message"] == "the server rejected our request due to an error in our request", body)
    st, body = http_patch(fake, path, [{"op": "replace", "path": "/metadata/resourceVersion", "value": "1"}])
    check("double: a stale resourceVersion in the result is 409 Conflict",
          st == 409 and body["reason"] == "Conflict" and "the object has been modified" in body["message"] and
          body["message"].startswith('Operation cannot be fulfilled on deployments.apps "web"'), body)
    op = [{"op": "add", "path": "/metadata/labels/probe", "value": "x"}]
    st, body = http_patch(fake, path, op, query="?dryRun=All")
    after = stored(fake, "Deployment", "team", "web")
    check("double: dryRun=All answers the patched object and stores nothing",
          st == 200 and body["metadata"]["labels"].get("probe") == "x" and body["metadata"]["resourceVersion"] == rv
          and "probe" not in after["metadata"]["labels"], (st, body.get("metadata"), after["metadata"]))
    st, body = http_patch(fake, path, op, query="?dryRun=Foo")
    check("double: dryRun=Foo is 422 Invalid PatchOptions",
          st == 422 and 'PatchOptions.meta.k8s.io "" is invalid: dryRun' in body["message"], body)
    st, body = http_patch(fake, path, {"metadata": {}}, ctype="application/merge-patch+json")
    check("double: a merge patch is 415 (the double implements JSON Patch only)", st == 415, body)
    st, body = http_patch(fake, path, {"op": "add"})
    check("double: a body that is no JSON Patch is 400", st == 400 and body["reason"] == "BadRequest", body)
    st, body = http_patch(fake, "/apis/apps/v1/namespaces/team/deployments/nope", op)
    check("double: a missing object is 404 NotFound", st == 404 and
          body["message"] == 'deployments.apps "nope" not found', body)
    st, body = http_patch(fake, path, [{"op": "test", "path": "/metadata/name", "value": "web"}])
    check("double: a patch that changes nothing keeps the resourceVersion",
          st == 200 and body["metadata"]["resourceVersion"] == rv, body.get("metadata"))
    st, body = http_patch(fake, "/api/v1/namespaces/team/pods/debug",
                          [{"op": "add", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem",
                            "value": True}])
    check("double: a Pod's spec cannot change (422 Invalid with causes)",
          st == 422 and body["details"]["causes"] and 'Pod "debug" is invalid: spec: Forbidden: pod updates may not'
          in body["message"], body)
    st, body = http_patch(fake, path, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/"
                                        "allowPrivilegeEscalation", "value": False}])
    check("double: validation (allowPrivilegeEscalation false with privileged true) is 422 with the field",
          st == 422 and body["details"]["kind"] == "Deployment" and
          body["details"]["causes"][0]["field"].endswith("containers[0].securityContext"), body)
    fake.patches.log.clear()


def dry_run_checks(fake, kc):
    p = run(*fix_args(kc))
    out = p.stdout
    check("dry run: exit 1 (the Rollout's ReplicaSet cannot be fixed here)", p.returncode == 1, out + p.stderr)
    check("dry run: no PATCH reaches the API server", not fake.patches.log, fake.patches.log)
    for kind, name in (("Deployment", "web"), ("Pod", "debug"), ("StatefulSet", "db"), ("DaemonSet", "agent"),
                       ("Ingress", "web")):
        obj = stored(fake, kind, "team", name)
        m = re.search(rf"^{kind}/team/{name}: would fix .*\n  patch: (.*)$", out, re.M)
        check(f"dry run: {kind}/{name} would be fixed, with exactly the patch /mutate sends",
              m is not None and json.loads(m.group(1)) == mutate_patch(obj), out)
    check("dry run: owned objects are left to their owners",
          "web-5d8f" not in out and "2 objects a controller owns left to their owners" in out, out)
    check("dry run: an object a kind scoregate does not patch controls is reported",
          re.search(r"^ReplicaSet/team/canary-77: not fixed: a Rollout \(canary\) controls it", out, re.M), out)
    check("dry run: excluded namespaces are untouched", "coredns" not in out, out)
    check("dry run: the predicted score", f"Secure score (if applied): {score_oracle(fake)} -> " in out, out)


def apply_checks(fake, kc):
    before = score_oracle(fake)
    fake.patches.forbid("statefulsets", "team")
    agent_rv = stored(fake, "DaemonSet", "team", "agent")["metadata"]["resourceVersion"]
    other_writer = {}

    def before_patch(ns, resource, name, dry_run):
        if resource == "daemonsets" and name == "agent" and not dry_run and not other_writer:
            changed = stored(fake, "DaemonSet", "team", "agent")
            changed["metadata"]["labels"]["touched"] = "by-someone-else"
            other_writer["rv"] = fake.put(changed)

    fake.patches.before_patch = before_patch
    p = run(*fix_args(kc, "--apply"))
    out = p.stdout
    log = fake.patches.log
    check("apply: exit 1 (forbidden, invalid, conflict)", p.returncode == 1, out + p.stderr)
    for kind, name in (("Deployment", "web"), ("Ingress", "web")):
        obj = stored(fake, kind, "team", name)
        check(f"apply: {kind}/{name} fixed and healthy in the API server",
              re.search(rf"^{kind}/team/{name}: fixed .* \(resourceVersion \d+ -> \d+\)$", out, re.M) and
              unhealthy(obj) == [], (out, unhealthy(obj)))
    web = [e for e in log if e[0].endswith("/deployments/web")]
    check("apply: a server-side dry run first, then the patch",
          [e[1].get("dryRun") for e in web] == [["All"], None] and all(e[4] == 200 for e in web), web)
    check("apply: JSON Patch led by a test of metadata.resourceVersion",
          all(e[2] == "application/json-patch+json" and json.loads(e[3])[0]["op"] == "test" and
              json.loads(e[3])[0]["path"] == "/metadata/resourceVersion" for e in log), log)
    debug = [e for e in log if e[0].endswith("/pods/debug")]
    check("apply: the Pod is invalid with the API server's message; no real PATCH sent",
          re.search(r'^Pod/team/debug: invalid: Pod "debug" is invalid: spec: Forbidden: pod updates may not change',
                    out, re.M) and [e[1].get("dryRun") for e in debug] == [["All"]], (out, debug))
    check("apply: RBAC's 403 is reported forbidden with its message",
          re.search(r'^StatefulSet/team/db: forbidden: statefulsets.apps "db" is forbidden: User "scoregate-test" '
                    r'cannot patch resource "statefulsets"', out, re.M), out)
    agent = [e for e in log if e[0].endswith("/daemonsets/agent")]
    now = stored(fake, "DaemonSet", "team", "agent")
    check("apply: a change between the dry run and the patch is a conflict, not retried, not overwritten",
          re.search(rf"^DaemonSet/team/agent: conflict: it changed since it was listed \(resourceVersion {agent_rv}\)",
                    out, re.M) and [e[4] for e in agent] == [200, 422] and
          now["metadata"]["resourceVersion"] == str(other_writer.get("rv")) and
          now["metadata"]["labels"]["touched"] == "by-someone-else" and unhealthy(now) != [], (out, agent))
    check("apply: owned objects are not patched", not any("web-5d8f" in e[0] for e in log), log)
    after = score_oracle(fake)
    check("apply: the score before -> after is the cluster's", f"Secure score: {before} -> {after}" in out,
          (out, before, after))
    fake.patches.before_patch = None
    fake.patches.log.clear()
    p = run(*fix_args(kc, "--apply"))
    agent = [e for e in fake.patches.log if e[0].endswith("/daemonsets/agent")]
    check("apply again: the object that was in conflict is fixed now",
          p.returncode == 1 and re.search(r"^DaemonSet/team/agent: fixed", p.stdout, re.M) and
          [e[4] for e in agent] == [200, 200], (p.stdout, agent))
    check("apply again: fixed objects are not patched again",
          not any(e[0].endswith(("/deployments/web", "/ingresses/web")) for e in fake.patches.log), fake.patches.log)


def option_checks(fake, kc):
    p = run(*fix_args(kc, "--namespace", "nowhere"))
    check("--namespace: only that namespace", p.returncode == 0 and "Nothing to fix." in p.stdout, p.stdout)
    p = run(*fix_args(kc, "--namespace", "elsewhere"))
    check("--namespace elsewhere: its Deployment would be fixed",
          p.returncode == 0 and "Deployment/elsewhere/other: would fix" in p.stdout and "team" not in p.stdout,
          p.stdout)
    with open(kc) as f:
        cfg = json.load(f)
    cfg["contexts"].append({"name": "second", "context": {"cluster": "fake", "user": "tester"}})
    cfg["current-context"] = "missing"
    two = os.path.join(tmp, "kubeconfig-two")
    with open(two, "w") as f:
        json.dump(cfg, f)
    p = run(*fix_args(two, "--context", "second", "--namespace", "elsewhere"))
    check("--context: the named context is used", p.returncode == 0 and "would fix" in p.stdout, p.stderr)
    for args, what in ((["fix", "--kubeconfig", kc, "--write"], "--write and --diff are for files"),
                       (["fix", "--kubeconfig", kc, "x.yaml"], "give PATHs or --kubeconfig"),
                       (["fix", "--apply", "x.yaml"], "--apply and --context go with --kubeconfig"),
                       (["fix", "--kubeconfig", kc, "--recommendation", "no-such"], "unknown recommendation"),
                       (["fix", "--kubeconfig", kc, "--recommendation", "no-default-namespace"],
                        "has no automatic fix")):
        p = run(*args)
        check(f"usage: {what}", p.returncode == 2 and what in p.stderr, p.stderr)


pki = os.path.join(tmp, "pki")
os.makedirs(pki)
fa.make_pki(pki)
fake = fa.FakeAPIServer(pki, tokens=["token-1"]).start()
for o in objects():
    fake.put(o)
kc = fa.kubeconfig(os.path.join(tmp, "kubeconfig"), fake.url, ca_file=os.path.join(pki, "ca.crt"),
                   token="token-1")
harness.run_sections({"double": lambda: double_checks(fake), "dry run": lambda: dry_run_checks(fake, kc),
                      "options": lambda: option_checks(fake, kc), "apply": lambda: apply_checks(fake, kc)},
                     cleanup=fake.stop)
