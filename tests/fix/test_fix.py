#!/usr/bin/env python3
"""test_fix.py - `scoregate fix PATH...`, the real binary as a separate process.

Golden diffs (golden/REC.diff) for every recommendation the catalog says has an automatic fix, and for --all
on two fixtures. Each golden run is also checked for what users rely on:
- the fixes are exactly the patches /mutate sends: every object of the fixed stream equals the object
  with the patch `scan -f json` shows (the webhook's decision) applied, under settings that enforce the
  same recommendation;
- the fixed stream scans healthy for the recommendation;
- idempotent: fixing the fixed stream changes nothing and says "Nothing to fix.";
- the secure score before -> after is `scoregate score` of the file and of the fixed stream.
The real `scoregate serve`'s /mutate, asked about every object of a fixture, sends the very patches fix
applied. Then: the settings' enforce actions, JSON staying JSON, --write (only changed files, mode kept, written
through a symbolic link, untouched files keep their inode and time), a crash mid-write (LD_PRELOAD shim:
killed in write() and before rename()) leaving the old file, and the next run cleaning up; unrendered
Helm templates, broken multi-document files, objects whose fix cannot heal them and values aliases share
refused with file, document and line and nothing written; standard input; directories; exit codes and
usage errors.
Usage: test_fix.py SCOREGATE_BINARY SOURCE_DIR MANIFEST_DUMP CRASH_SHIM. SG_UPDATE_GOLDEN=1 rewrites the
golden diffs (review them before committing).
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

BIN, SRC, DUMP, SHIM = (os.path.abspath(a) for a in sys.argv[1:5])
HERE = os.path.join(SRC, "tests", "fix")
FIXTURES, GOLDEN = os.path.join(HERE, "fixtures"), os.path.join(HERE, "golden")
UPDATE = os.environ.get("SG_UPDATE_GOLDEN") == "1"
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
from webhook_client import Server, apply_patch, patch_ops, review  # noqa: E402

tmp = tempfile.mkdtemp(prefix="sg-fix-")


def sg(*args, cwd, stdin=None, env=None):
    p = subprocess.run([BIN, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env=env)
    if p.returncode >= 0 and any(s in p.stderr for s in ("AddressSanitizer", "runtime error:", "LeakSanitizer")):
        check(f"sanitizer-clean: {' '.join(args)}", False, p.stderr[-2000:])
    return p


def workdir(name):
    d = os.path.join(tmp, name)
    shutil.copytree(FIXTURES, d)
    return d


def objects(path):
    p = subprocess.run([DUMP, path], capture_output=True, text=True, timeout=60)
    if p.returncode:
        raise RuntimeError(p.stderr)
    return [json.loads(line) for line in p.stdout.splitlines()]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def standard_of(rec):
    return ["--standard", "pss-restricted"] if rec.startswith("pss-") else []


def reported_score(report):
    m = re.search(r"^Secure score: (\S+) -> (\S+)", report, re.M)
    return (m.group(1), m.group(2)) if m else None


def score_of(path, std):
    p = subprocess.run([BIN, "score", "-f", "json", *std, path], capture_output=True, text=True, timeout=60)
    percent = json.loads(p.stdout)["score"]["percent"]
    return "n/a" if percent is None else f"{percent:.2f}%"


def mutate_patches(path, recs, std, d):
    """The patch /mutate sends for each object of `path` (scan -f json), with `recs` enforced."""
    settings = write(os.path.join(d, "enforce.yaml"), "standards: [mcsb%s]\nrecommendations:\n" %
                     (", pss-restricted" if std else "") + "".join(f"  {r}: {{action: enforce}}\n" for r in recs))
    p = subprocess.run([BIN, "scan", "-c", settings, "-f", "json", path], capture_output=True, text=True, timeout=60)
    return [r["decision"]["patch"] for r in json.loads(p.stdout)["resources"]]


def unhealthy(path, recs, std):
    p = subprocess.run([BIN, "scan", "-f", "json", *std, path], capture_output=True, text=True, timeout=60)
    return [(r["kind"], r["name"], f["recommendation"]) for r in json.loads(p.stdout)["resources"]
            for f in r["findings"] if f["status"] == "unhealthy" and (recs is None or f["recommendation"] in recs)]


# The fixture each recommendation's golden diff fixes (unhealthy there, and healable in isolation).
FIXTURE = {"privileged-containers": "privileged.yaml", "no-cap-sys-admin": "privileged.yaml",
           "pss-privileged": "privileged.yaml"}


def fixture_of(rec):
    return FIXTURE.get(rec, "pss.yaml" if rec.startswith("pss-") else "workloads.yaml")


def golden_case(name, fixture, args, recs, std):
    """One golden diff and what the run must also be."""
    golden = os.path.join(GOLDEN, name + ".diff")
    d = workdir("golden-" + name)
    p = sg("fix", *args, *std, "--diff", fixture, cwd=d)
    if UPDATE:
        write(golden, p.stdout)
    check(f"golden {name}: exit 0 and the diff is golden/{name}.diff",
          p.returncode == 0 and os.path.exists(golden) and p.stdout == read(golden),
          f"rc={p.returncode}\n{p.stdout}\n{p.stderr}")
    p = sg("fix", *args, *std, fixture, cwd=d)
    fixed = write(os.path.join(d, "fixed-" + fixture), p.stdout)
    before, after = objects(os.path.join(d, fixture)), objects(fixed)
    patches = mutate_patches(os.path.join(d, fixture), recs, std, d)
    same = len(before) == len(after) == len(patches) and all(
        apply_patch(b["object"], patch or []) == a["object"] for b, a, patch in zip(before, after, patches))
    check(f"golden {name}: every object is fixed with exactly the patch /mutate sends", same,
          [(b["object"]["metadata"]["name"], patch) for b, patch in zip(before, patches)])
    check(f"golden {name}: the fixed stream scans healthy for it", not unhealthy(fixed, recs, std),
          unhealthy(fixed, recs, std))
    check(f"golden {name}: score before -> after is `scoregate score` of the file and of the fixed stream",
          reported_score(p.stderr) == (score_of(os.path.join(d, fixture), std), score_of(fixed, std)),
          (reported_score(p.stderr), p.stderr))
    again = sg("fix", *args, *std, fixed, cwd=d)
    check(f"golden {name}: idempotent (a second run changes nothing)",
          again.returncode == 0 and again.stdout == read(fixed) and "Nothing to fix." in again.stderr,
          again.stderr)


def golden_checks():
    cat = subprocess.run([BIN, "catalog", "-f", "json", "--standard", "pss-restricted"], capture_output=True,
                         text=True, timeout=60)
    fixable = sorted(r["id"] for r in json.loads(cat.stdout)["recommendations"] if r["fix"])
    check("every fixable recommendation has a golden diff, and every golden diff a case",
          sorted(f[:-5] for f in os.listdir(GOLDEN) if not f.startswith("all-")) == fixable or UPDATE,
          sorted(os.listdir(GOLDEN)))
    for rec in fixable:
        golden_case(rec, fixture_of(rec), ["--recommendation", rec], [rec], standard_of(rec))
    mcsb = [r for r in fixable if not r.startswith("pss-")]
    for fixture in ("workloads.yaml", "pod.json"):
        golden_case("all-" + fixture.split(".")[0], fixture, ["--all"], mcsb, [])


def settings_checks():
    d = workdir("settings")
    recs = ["privileged-containers", "readonly-root-filesystem", "automount-api-credentials"]
    settings = write(os.path.join(d, "s.yaml"), "recommendations:\n" + "".join(f"  {r}: {{action: enforce}}\n"
                                                                                for r in recs))
    by_settings = sg("fix", "-c", settings, "workloads.yaml", "privileged.yaml", cwd=d)
    named = sg("fix", *sum((["--recommendation", r] for r in recs), []), "workloads.yaml", "privileged.yaml", cwd=d)
    check("the settings' enforce actions say what is fixed (the same as naming them)",
          by_settings.returncode == 0 and by_settings.stdout == named.stdout and "privileged: false" in named.stdout,
          by_settings.stderr)
    check("several files go to standard output as one stream, --- between them",
          by_settings.stdout.count("\n---\n") == read(os.path.join(d, "workloads.yaml")).count("\n---\n") + 1,
          by_settings.stdout)
    p = sg("fix", "--all", "pod.json", cwd=d)
    try:
        json.loads(p.stdout)
        is_json = True
    except ValueError:
        is_json = False
    check("JSON stays JSON", p.returncode == 0 and is_json, p.stdout)
    healthy = sg("fix", "--recommendation", "https-ingress", "pss.yaml", cwd=d)
    check("nothing to fix: exit 0, the stream unchanged",
          healthy.returncode == 0 and healthy.stdout == read(os.path.join(d, "pss.yaml")) and
          "Nothing to fix." in healthy.stderr, healthy.stderr)


def mutate_checks():
    """The real webhook's /mutate, asked about each object of a fixture, sends the very patch fix applied."""
    d = workdir("mutate")
    cat = subprocess.run([BIN, "catalog", "-f", "json"], capture_output=True, text=True, timeout=60)
    recs = [r["id"] for r in json.loads(cat.stdout)["recommendations"] if r["fix"] and r["enabled"]]
    settings = write(os.path.join(d, "enforce.yaml"), "recommendations:\n" +
                     "".join(f"  {r}: {{action: enforce}}\n" for r in recs))
    fixed = write(os.path.join(d, "fixed.yaml"), sg("fix", "-c", settings, "workloads.yaml", cwd=d).stdout)
    os.makedirs(os.path.join(d, "serve"))
    server = Server(BIN, config=settings, workdir=os.path.join(d, "serve")).start()
    try:
        for before, after in zip(objects(os.path.join(d, "workloads.yaml")), objects(fixed)):
            obj = before["object"]
            status, _, body = server.post("/mutate", review("CREATE", obj, namespace=obj["metadata"]["namespace"],
                                                            dry_run=True))
            response = json.loads(body)["response"]
            check(f"/mutate sends the patch fix applied: {obj['kind']}/{obj['metadata']['name']}",
                  status == 200 and response["allowed"] and apply_patch(obj, patch_ops(response)) == after["object"],
                  (status, patch_ops(response)))
    finally:
        check("/mutate: the server stops cleanly", server.stop() == 0, server.log_text()[-1000:])


def write_checks():
    d = workdir("write")
    os.chmod(os.path.join(d, "workloads.yaml"), 0o640)
    os.makedirs(os.path.join(d, "links"))
    os.symlink("../privileged.yaml", os.path.join(d, "links", "debug.yaml"))
    expected = {f: sg("fix", "--all", f, cwd=d).stdout for f in ("workloads.yaml", "privileged.yaml")}
    healthy = write(os.path.join(d, "healthy.json"), sg("fix", "--all", "pod.json", cwd=d).stdout)
    untouched = os.stat(healthy)
    p = sg("fix", "--all", "--write", "workloads.yaml", "links/debug.yaml", "healthy.json", cwd=d)
    check("--write: exit 0, the report on standard output",
          p.returncode == 0 and "workloads.yaml: written" in p.stdout and "links/debug.yaml: written" in p.stdout and
          "healthy.json: nothing to fix" in p.stdout, p.stdout + p.stderr)
    check("--write: the files hold what standard output would",
          read(os.path.join(d, "workloads.yaml")) == expected["workloads.yaml"] and
          read(os.path.join(d, "privileged.yaml")) == expected["privileged.yaml"])
    check("--write: the file's mode is kept", stat.S_IMODE(os.stat(os.path.join(d, "workloads.yaml")).st_mode) == 0o640)
    check("--write: a symbolic link stays one; its target is rewritten",
          os.path.islink(os.path.join(d, "links", "debug.yaml")))
    now = os.stat(healthy)
    check("--write: a file that does not change is not touched (same inode, same time)",
          (now.st_ino, now.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns))
    leftovers = [f for f in os.listdir(d) if ".tmp." in f]
    check("--write: no temporary file left", not leftovers, leftovers)


def crash_checks():
    for point in ("write", "rename"):
        d = workdir("crash-" + point)
        original = read(os.path.join(d, "workloads.yaml"))
        env = dict(os.environ, LD_PRELOAD=SHIM, SG_CRASH_AT=point,
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
        p = sg("fix", "--all", "--write", "workloads.yaml", cwd=d, env=env)
        leftovers = [f for f in os.listdir(d) if f.startswith("workloads.yaml.tmp.")]
        check(f"crash in {point}(): killed mid-write, the old file is intact",
              p.returncode == -9 and read(os.path.join(d, "workloads.yaml")) == original and len(leftovers) == 1,
              (p.returncode, leftovers, p.stderr[-500:]))
        p = sg("fix", "--all", "--write", "workloads.yaml", cwd=d)
        check(f"crash in {point}(): the next run writes the file and removes what the crash left",
              p.returncode == 0 and read(os.path.join(d, "workloads.yaml")) != original and
              not [f for f in os.listdir(d) if ".tmp." in f], p.stdout + p.stderr)


def refusal_checks():
    d = workdir("refusals")
    originals = {f: read(os.path.join(d, f)) for f in os.listdir(d)}
    p = sg("fix", "--all", "--write", "template.yaml", "broken.yaml", "privileged.yaml", cwd=d)
    check("a Helm template: exit 2, file, document and line",
          p.returncode == 2 and "template.yaml: document 1, line 5: an unrendered Helm template" in p.stderr,
          p.stderr)
    check("a broken multi-document file: file, document and line",
          "broken.yaml: document 2, line 11: mapping values are not allowed" in p.stderr, p.stderr)
    check("nothing is written for a file with an error; the others are",
          read(os.path.join(d, "template.yaml")) == originals["template.yaml"] and
          read(os.path.join(d, "broken.yaml")) == originals["broken.yaml"] and
          read(os.path.join(d, "privileged.yaml")) != originals["privileged.yaml"], p.stdout)
    p = sg("fix", "--recommendation", "privilege-escalation", "--write", "unfixable.yaml", cwd=d)
    check("an object its fix cannot heal: exit 1, named with file, document and line, and why",
          p.returncode == 1 and re.search(r"^unfixable.yaml: document 2, line 12: Pod/shop/privileged: not fixed: "
                                          r"privilege-escalation \(container b\): .*not fixed: the container is "
                                          r"privileged", p.stdout, re.M), p.stdout)
    check("... the other object of that file is fixable, but not fixed; the file is not written",
          "unfixable.yaml: document 1, line 3: Pod/shop/escalating: fixable, but not fixed privilege-escalation"
          in p.stdout and "unfixable.yaml: not written" in p.stdout and
          read(os.path.join(d, "unfixable.yaml")) == originals["unfixable.yaml"], p.stdout)
    p = sg("fix", "--recommendation", "privileged-containers", "shared.yaml", cwd=d)
    check("a value aliases share: exit 1, not in the output, the anchor named",
          p.returncode == 1 and p.stdout == "" and "lies in &sc (line 10), which *sc refers to elsewhere" in p.stderr
          and "shared.yaml: left out of the output" in p.stderr, p.stderr)
    p = sg("fix", "--recommendation", "privileged-containers", "--diff", "shared.yaml", "template.yaml", cwd=d)
    check("--diff: no diff for files with errors", p.stdout == "" and p.returncode == 2, p.stdout)


def input_checks():
    d = workdir("inputs")
    text = read(os.path.join(d, "workloads.yaml"))
    p = sg("fix", "--all", "-", cwd=d, stdin=text)
    q = sg("fix", "--all", "workloads.yaml", cwd=d)
    check("standard input: the same fix, named <stdin>",
          p.returncode == 0 and p.stdout == q.stdout and "<stdin>: document 1, line 4" in p.stderr, p.stderr)
    p = sg("fix", "--all", "--diff", ".", cwd=d)
    check("a directory: its manifests in name order",
          p.returncode == 2 and p.stdout.index("a/./pod.json") < p.stdout.index("a/./privileged.yaml") <
          p.stdout.index("a/./workloads.yaml"), p.stdout[:300])
    for args, want in ((["--all", "--recommendation", "x", "a.yaml"], "--all and --recommendation exclude"),
                       (["--write", "-"], "--write cannot rewrite standard input"),
                       (["--all"], "no PATH given"),
                       (["--recommendation", "no-such", "pod.json"], "unknown recommendation 'no-such'"),
                       (["--recommendation", "trusted-registries", "pod.json"], "has no automatic fix"),
                       (["--recommendation", "pss-privileged", "pod.json"], "add --standard pss-baseline"),
                       (["--namespace", "Bad_NS", "pod.json"], "is not a namespace name"),
                       (["--all", "missing.yaml"], "missing.yaml: cannot open")):
        p = sg("fix", *args, cwd=d)
        check(f"usage or input error: {want}", p.returncode == 2 and want in p.stderr and p.stdout == "", p.stderr)


harness.run_sections({"golden": golden_checks, "mutate": mutate_checks, "settings": settings_checks,
                      "write": write_checks, "crash": crash_checks, "refusal": refusal_checks,
                      "input": input_checks})
