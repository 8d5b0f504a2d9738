#!/usr/bin/env python3
"""Tests of `scoregate scan` outputs and inputs, each format read by a consumer.

usage: test_scan.py SCOREGATE SOURCE_DIR [--group NAME]...

Groups (all by default):
  json          docs/scan.md fields and values of `-f json`
  sarif         SARIF 2.1.0 required fields, rules referenced by index and id,
                level mapping, relative/absolute artifact URIs, regions
  junit         JUnit XML parsed with xml.etree: counts consistent, one suite
                per resource, failures/skipped match the findings, escaping
  policyreport  wgpolicyk8s.io/v1alpha2 CRD required fields and enums, one
                report per namespace + ClusterPolicyReport, summary = results
  excluded      objects in globally excluded namespaces in every format
  text          colour only on a TTY without NO_COLOR; control characters
                neutralised; per-control points when the report has a score
  exit          exit codes 0, 1 (deny, enforce without fix), 2 (input/usage)
  inputs        directories (recursive, extensions), stdin, many files,
                --namespace, objects without kind, -o FILE
  lines         source lines of documents deep in a file (comments, empty
                documents, Lists, JSON documents)
  helm          a Helm-rendered multi-document stream on stdin (the repo's
                chart with .cache/helm/helm, else a checked-in rendering)
  progress      the progress line appears on a TTY stderr for long scans only
  examples      examples/hardened-deployment.yaml is healthy, the careless
                one violates the named recommendations
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scanlib import run_groups, scan  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
POLICY = os.path.join(FIX, "policy.yaml")

FINDING_KEYS = ["recommendation", "standard", "title", "severity", "control", "status", "action",
                "preview", "builtin", "container", "message", "remediation"]
STATUSES = {"healthy", "unhealthy", "exempt", "notApplicable"}
STANDARDS = {"mcsb", "pss-baseline", "pss-restricted", "custom"}


def scan_json(binary, *args, **kw):
    p = scan(binary, "-f", "json", *args, **kw)
    return p, (json.loads(p.stdout) if p.stdout.strip() else None)


def findings(doc):
    for res in doc["resources"]:
        for f in res["findings"]:
            yield res, f


# ---------------------------------------------------------------- json

def group_json(c, binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 1, f"json: mixed.yaml exits 1 (deny), got {p.returncode}: {p.stderr}")
    c.check(isinstance(doc, dict) and isinstance(doc.get("resources"), list), "json: top-level resources array")
    c.check(len(doc["resources"]) == 4, f"json: 4 resources, got {len(doc['resources'])}")
    for res in doc["resources"]:
        for k in ("apiVersion", "kind", "namespace", "name", "source", "findings"):
            c.check(k in res, f"json: resource has {k}")
        s = res["source"]
        c.check(s.get("file") == "mixed.yaml" and isinstance(s.get("document"), int) and
                isinstance(s.get("line"), int) and s["line"] >= 1, f"json: source {s}")
    for res, f in findings(doc):
        missing = [k for k in FINDING_KEYS if k not in f]
        c.check(not missing, f"json: finding {f.get('recommendation')} lacks {missing}")
        c.check(f["status"] in STATUSES, f"json: status {f['status']}")
        c.check(f["standard"] in STANDARDS, f"json: standard {f['standard']}")
        c.check(f["severity"] in ("low", "medium", "high"), f"json: severity {f['severity']}")
        c.check(isinstance(f["preview"], bool) and isinstance(f["builtin"], bool), "json: preview/builtin booleans")
    byname = {(r["kind"], r["name"]): r for r in doc["resources"]}
    role = byname[("ClusterRole", "reader")]
    c.check(role["namespace"] is None, "json: cluster-scoped namespace is null")
    custom = [f for f in role["findings"] if f["recommendation"] == "clusterrole-owner"]
    c.check(custom and custom[0]["standard"] == "custom" and custom[0]["builtin"] is False and
            custom[0]["status"] == "unhealthy", f"json: custom finding {custom}")
    pod = byname[("Pod", "debug")]
    st = {(f["recommendation"], f["container"]): f for f in pod["findings"]}
    c.check(st[("privileged-containers", "shell")]["status"] == "unhealthy" and
            st[("privileged-containers", "shell")]["action"] == "deny", "json: privileged deny finding")
    c.check(st[("readonly-root-filesystem", "shell")]["status"] == "exempt", "json: exemption applied")
    c.check(byname[("ConfigMap", "settings")]["namespace"] == "default", "json: namespace defaulted")
    if "score" in doc:
        sc = doc["score"]
        c.check(all(k in sc for k in ("percent", "current", "max", "controls")), f"json: score fields {list(sc)}")
        for ctl in sc.get("controls", []):
            c.check(all(k in ctl for k in ("id", "name", "max", "current", "healthy", "unhealthy",
                                           "notApplicable")), f"json: control fields {list(ctl)}")
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "baseline.json")
        with open(base, "w") as f:
            f.write(scan(binary, "-f", "json", os.path.join(src, "examples", "careless-deployment.yaml")).stdout)
        p, doc = scan_json(binary, "--baseline", base, os.path.join(src, "examples", "hardened-deployment.yaml"))
        pred = doc.get("prediction") if doc else None
        c.check(isinstance(pred, dict) and all(k in pred for k in ("before", "after", "delta", "exactDelta", "controls")),
                f"json: prediction fields with --baseline: {pred}")
        for ctl in (pred or {}).get("controls", []):
            c.check(all(k in ctl for k in ("id", "before", "after")), f"json: prediction control fields {ctl}")
        p, doc = scan_json(binary, os.path.join(src, "examples", "hardened-deployment.yaml"))
        c.check("prediction" not in doc, "json: no prediction without --baseline")
    # The escaping fixture: JSON carries the strings exactly.
    p, doc = scan_json(binary, "escape.yaml", cwd=FIX)
    c.check(p.returncode == 0 and doc["resources"][0]["name"] == "x<&>\"'y", "json: name with markup kept exactly")
    conts = {f["container"] for _, f in findings(doc) if f["container"]}
    c.check(conts == {"c]]></failure><b>&amp;\u0001\tend"}, f"json: container name kept exactly: {conts}")


# ---------------------------------------------------------------- sarif

def sarif_checks(c, log, what):
    """SARIF 2.1.0 required fields and internal references; returns the results."""
    c.check(log.get("version") == "2.1.0", f"{what}: version 2.1.0")
    if "$schema" in log:
        c.check(isinstance(log["$schema"], str) and "sarif" in log["$schema"], f"{what}: $schema")
    runs = log.get("runs")
    c.check(isinstance(runs, list) and len(runs) == 1, f"{what}: one run")
    run = runs[0]
    driver = run.get("tool", {}).get("driver", {})
    c.check(driver.get("name") == "scoregate", f"{what}: tool.driver.name")
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    c.check(len(ids) == len(set(ids)) and all(ids), f"{what}: rule ids unique and present")
    for r in rules:
        c.check(r.get("name") and r.get("shortDescription", {}).get("text") and r.get("help", {}).get("text"),
                f"{what}: rule {r.get('id')} name/shortDescription/help")
        props = r.get("properties", {})
        c.check(all(props.get(k) for k in ("severity", "control", "standard")), f"{what}: rule properties {props}")
        c.check(r.get("defaultConfiguration", {}).get("level") in ("error", "warning", "note"),
                f"{what}: rule default level")
    bases = run.get("originalUriBaseIds", {})
    results = run.get("results")
    c.check(isinstance(results, list), f"{what}: results array")
    for res in results:
        c.check(isinstance(res.get("message", {}).get("text"), str) and res["message"]["text"],
                f"{what}: result message.text")
        rid, idx = res.get("ruleId"), res.get("ruleIndex")
        c.check(rid in ids, f"{what}: ruleId {rid} names a rule")
        c.check(isinstance(idx, int) and 0 <= idx < len(rules) and rules[idx]["id"] == rid,
                f"{what}: ruleIndex {idx} points at rule {rid}")
        c.check(res.get("level") in ("error", "warning", "note"), f"{what}: level {res.get('level')}")
        locs = res.get("locations", [])
        c.check(len(locs) >= 1, f"{what}: result has a location")
        for loc in locs:
            phys = loc.get("physicalLocation", {})
            art = phys.get("artifactLocation", {})
            c.check(isinstance(art.get("uri"), str) and art["uri"], f"{what}: artifactLocation.uri")
            if "uriBaseId" in art:
                c.check(art["uriBaseId"] in bases, f"{what}: uriBaseId {art['uriBaseId']} declared")
            line = phys.get("region", {}).get("startLine")
            c.check(isinstance(line, int) and line >= 1, f"{what}: region.startLine {line}")
    return results


def group_sarif(c, binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "sarif", "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 1, f"sarif: exit 1 with denials, got {p.returncode}")
    log = json.loads(p.stdout)
    results = sarif_checks(c, log, "sarif")
    unhealthy = [(r, f) for r, f in findings(doc) if f["status"] == "unhealthy"]
    c.check(len(results) == len(unhealthy), f"sarif: one result per unhealthy finding ({len(results)} vs "
            f"{len(unhealthy)})")
    rule_ids = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    c.check(rule_ids == {f["recommendation"] for _, f in unhealthy}, "sarif: one rule per recommendation that appears")
    for res in results:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        c.check(art["uri"] == "mixed.yaml" and art.get("uriBaseId") == "%SRCROOT%",
                f"sarif: relative uri {art}")
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    c.check(base.startswith("file://") and base.endswith("/"), f"sarif: %SRCROOT% is a file URI of a folder: {base}")
    # Level mapping: denied -> error; high -> error, medium -> warning, low -> note.
    by = {}
    for res in results:
        by.setdefault((res["ruleId"], res.get("properties", {}).get("name")), res)
    c.check(by[("privileged-containers", "debug")]["level"] == "error", "sarif: deny -> error (medium severity)")
    c.check(by[("host-network-ports", "edge")]["level"] == "error", "sarif: enforce without fix -> error")
    c.check(by[("cpu-memory-limits", "debug")]["level"] == "warning", "sarif: medium warn -> warning")
    c.check(by[("run-as-non-root", "debug")]["level"] == "error", "sarif: high -> error")
    c.check(by[("clusterrole-owner", "reader")]["level"] == "note", "sarif: low -> note")
    c.check("shell" in by[("privileged-containers", "debug")]["message"]["text"], "sarif: message names the container")
    prints = [res.get("partialFingerprints", {}).get("scoregateFinding/v2") for res in results]
    c.check(all(prints) and len(set(prints)) == len(prints), "sarif: a distinct fingerprint per finding")
    with open(os.path.join(FIX, "mixed.yaml")) as f, tempfile.TemporaryDirectory() as moved_dir:
        with open(os.path.join(moved_dir, "mixed.yaml"), "w") as g:
            g.write("# moved\n\n" + f.read())
        moved = scan(binary, "-c", POLICY, "-f", "sarif", "mixed.yaml", cwd=moved_dir)
    moved_prints = [res["partialFingerprints"]["scoregateFinding/v2"] for res in json.loads(moved.stdout)["runs"][0]["results"]]
    c.check(moved_prints == prints, "sarif: fingerprints do not depend on lines (nor on where the checkout is)")
    # Lines: each result's region is its object's line.
    lines = {(r["kind"], r["name"]): r["source"]["line"] for r in doc["resources"]}
    kinds = {"debug": "Pod", "edge": "Deployment", "reader": "ClusterRole", "settings": "ConfigMap"}
    for res in results:
        name = res["properties"]["name"]
        c.check(res["locations"][0]["physicalLocation"]["region"]["startLine"] == lines[(kinds[name], name)],
                f"sarif: startLine of {name}")
    # Absolute path below the cwd -> relative; outside the cwd -> file:// URI; stdin -> "stdin".
    p = scan(binary, "-f", "sarif", os.path.join(FIX, "mixed.yaml"), cwd=HERE)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(p.stdout)["runs"][0]["results"]}
    c.check(uris == {"fixtures/mixed.yaml"}, f"sarif: absolute path under cwd becomes relative: {uris}")
    with tempfile.TemporaryDirectory() as tmp:
        weird = os.path.join(tmp, "my app #1.yaml")
        with open(os.path.join(FIX, "escape.yaml")) as f, open(weird, "w") as g:
            g.write(f.read())
        p = scan(binary, "-f", "sarif", weird, cwd=HERE)
        log = json.loads(p.stdout)
        sarif_checks(c, log, "sarif outside cwd")
        art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        real = os.path.realpath(weird).replace(" ", "%20").replace("#", "%23")
        c.check(art["uri"] == "file://" + real and "uriBaseId" not in art, f"sarif: outside cwd -> file URI: {art}")
    with open(os.path.join(FIX, "mixed.yaml")) as f:
        p = scan(binary, "-f", "sarif", "-", stdin=f.read(), cwd=HERE)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(p.stdout)["runs"][0]["results"]}
    c.check(uris == {"stdin"}, f"sarif: stdin uri {uris}")
    # Nothing unhealthy: a valid log with no results and no rules.
    p = scan(binary, "-f", "sarif", os.path.join(src, "examples", "hardened-deployment.yaml"))
    log = json.loads(p.stdout)
    sarif_checks(c, log, "sarif healthy")
    c.check(p.returncode == 0 and log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == [],
            "sarif: healthy input gives no results")


# ---------------------------------------------------------------- junit

def group_junit(c, binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "junit", "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 1, f"junit: exit 1, got {p.returncode}")
    root = ET.fromstring(p.stdout)
    c.check(root.tag == "testsuites", "junit: root is testsuites")
    suites = root.findall("testsuite")
    c.check(len(suites) == len(doc["resources"]), "junit: one testsuite per resource")
    tot = {"tests": 0, "failures": 0}
    for s, res in zip(suites, doc["resources"]):
        ns = res["namespace"]
        want = f"{res['kind']}/{ns}/{res['name']}" if ns else f"{res['kind']}/{res['name']}"
        c.check(s.get("name") == want, f"junit: suite name {s.get('name')} == {want}")
        cases = s.findall("testcase")
        fails = [tc for tc in cases if tc.find("failure") is not None]
        skips = [tc for tc in cases if tc.find("skipped") is not None]
        c.check(int(s.get("tests")) == len(cases) == len(res["findings"]), f"junit: {want} tests count")
        c.check(int(s.get("failures")) == len(fails) == sum(f["status"] == "unhealthy" for f in res["findings"]),
                f"junit: {want} failures count")
        c.check(int(s.get("skipped")) == len(skips) ==
                sum(f["status"] in ("exempt", "notApplicable") for f in res["findings"]), f"junit: {want} skipped count")
        c.check(s.get("errors") == "0", "junit: errors attribute")
        for tc, f in zip(cases, res["findings"]):
            c.check(tc.get("classname") == f["recommendation"], f"junit: classname {tc.get('classname')}")
            if f["container"]:
                c.check(f["container"] in tc.get("name"), f"junit: name names the container {tc.get('name')}")
            fl = tc.find("failure")
            if fl is not None:
                c.check(fl.get("message") == f["message"], "junit: failure message")
                c.check(f["remediation"] in (fl.text or ""), "junit: failure text has the remediation")
        for k in tot:
            tot[k] += int(s.get(k))
    for k in tot:
        c.check(int(root.get(k)) == tot[k], f"junit: testsuites {k}={root.get(k)} is the sum {tot[k]}")
    # Escaping: attributes and text with markup and control characters parse and round-trip.
    p = scan(binary, "-f", "junit", "escape.yaml", cwd=FIX)
    try:
        root = ET.fromstring(p.stdout)
        ok = True
    except ET.ParseError as e:
        ok = False
        print(e)
    c.check(ok, "junit: markup in names is escaped (parses)")
    if ok:
        s = root.find("testsuite")
        c.check(s.get("name") == "Pod/ns<script>alert(1)</script>/x<&>\"'y", f"junit: suite name round-trips {s.get('name')}")
        names = [tc.get("name") for tc in s.findall("testcase")]
        c.check(any("c]]></failure><b>&amp;\ufffd\tend" in n for n in names), f"junit: container name round-trips {names}")
        c.check(all(tc.find("failure") is None or tc.find("failure").get("message") for tc in s.findall("testcase")),
                "junit: failure messages present")


def group_excluded(c, binary, src):
    """An object in a globally excluded namespace: listed, never evaluated, never failing."""
    p, doc = scan_json(binary, "-c", POLICY, "excluded.yaml", cwd=FIX)
    c.check(p.returncode == 0 and doc["resources"][0]["findings"] == [], "excluded: no findings, exit 0")
    root = ET.fromstring(scan(binary, "-c", POLICY, "-f", "junit", "excluded.yaml", cwd=FIX).stdout)
    suite = root.find("testsuite")
    c.check((root.get("tests"), root.get("failures"), suite.get("skipped")) == ("1", "0", "1"),
            "excluded: junit has one skipped testcase")
    lst = json.loads(scan(binary, "-c", POLICY, "-f", "policyreport", "excluded.yaml", cwd=FIX).stdout)
    c.check(lst["items"] == [], "excluded: no policy report results")
    log = json.loads(scan(binary, "-c", POLICY, "-f", "sarif", "excluded.yaml", cwd=FIX).stdout)
    c.check(log["runs"][0]["results"] == [], "excluded: no SARIF results")
    text = scan(binary, "-c", POLICY, "excluded.yaml", cwd=FIX).stdout
    c.check("namespace excluded: not evaluated" in text, "excluded: text says so")


# ---------------------------------------------------------------- policyreport

RESULTS = {"pass", "fail", "warn", "error", "skip"}


def group_policyreport(c, binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "policyreport", "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 1, f"policyreport: exit 1, got {p.returncode}")
    lst = json.loads(p.stdout)
    c.check(lst.get("apiVersion") == "v1" and lst.get("kind") == "List", "policyreport: a v1 List")
    items = lst["items"]
    kinds = [(i["kind"], i["metadata"].get("namespace")) for i in items]
    c.check(kinds == [("ClusterPolicyReport", None), ("PolicyReport", "team"), ("PolicyReport", "default")],
            f"policyreport: reports {kinds}")
    total = 0
    for rep in items:
        c.check(rep["apiVersion"] == "wgpolicyk8s.io/v1alpha2", "policyreport: apiVersion")
        c.check(isinstance(rep["metadata"].get("name"), str) and rep["metadata"]["name"], "policyreport: metadata.name")
        summary = rep.get("summary", {})
        counts = {k: 0 for k in RESULTS}
        for res in rep.get("results", []):
            total += 1
            c.check(isinstance(res.get("policy"), str) and res["policy"], "policyreport: result.policy (required)")
            c.check(res.get("result") in RESULTS, f"policyreport: result enum {res.get('result')}")
            c.check(res.get("severity") in ("high", "medium", "low"), "policyreport: severity enum")
            ts = res.get("timestamp", {})
            c.check(isinstance(ts.get("seconds"), int) and isinstance(ts.get("nanos"), int) and
                    0 <= ts["nanos"] <= 999999999, f"policyreport: timestamp {ts}")
            c.check(res.get("source") == "scoregate" and res.get("rule") and res.get("category"),
                    "policyreport: source/rule/category")
            c.check(isinstance(res.get("scored"), bool), "policyreport: scored boolean")
            c.check(all(isinstance(v, str) for v in res.get("properties", {}).values()),
                    "policyreport: properties are strings")
            for r in res.get("resources", []):
                c.check(r.get("apiVersion") and r.get("kind") and r.get("name"), "policyreport: resource reference")
                c.check(r.get("namespace") == rep["metadata"].get("namespace"), "policyreport: resource in its report")
            counts[res["result"]] += 1
        c.check(summary == counts, f"policyreport: summary {summary} == counted {counts}")
    c.check(total == sum(len(r["findings"]) for r in doc["resources"]), "policyreport: one result per finding")
    res = {(r["rule"], r["resources"][0]["name"], r.get("properties", {}).get("container")): r
           for rep in items for r in rep["results"]}
    c.check(res[("privileged-containers", "debug", "shell")]["result"] == "fail", "policyreport: deny -> fail")
    c.check(res[("host-network-ports", "edge", None)]["result"] == "fail", "policyreport: enforce without fix -> fail")
    c.check(res[("cpu-memory-limits", "debug", "shell")]["result"] == "fail", "policyreport: scored warn -> fail")
    c.check(res[("clusterrole-owner", "reader", None)]["result"] == "warn", "policyreport: not scored -> warn")
    c.check(res[("readonly-root-filesystem", "debug", "shell")]["result"] == "skip", "policyreport: exempt -> skip")
    c.check(res[("no-cap-sys-admin", "debug", "shell")]["result"] == "pass", "policyreport: healthy -> pass")
    c.check(res[("privileged-containers", "debug", "shell")]["policy"] == "mcsb" and
            res[("privileged-containers", "debug", "shell")]["category"] == "access", "policyreport: policy/category")


# ---------------------------------------------------------------- text

def run_pty(argv, env, cwd, stdout_tty=True):
    """Run argv with stdout (or stderr) on a pseudo-terminal and the other
    stream in a temporary file; returns (tty_bytes, other_bytes, rc)."""
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as other:
        if stdout_tty:
            proc = subprocess.Popen(argv, stdout=slave, stderr=other, env=env, cwd=cwd)
        else:
            proc = subprocess.Popen(argv, stdout=other, stderr=slave, env=env, cwd=cwd)
        os.close(slave)
        chunks = []
        while True:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        rc = proc.wait(timeout=300)
        os.close(master)
        other.seek(0)
        return b"".join(chunks), other.read(), rc


def group_text(c, binary, src):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    argv = [binary, "scan", "-c", POLICY, "mixed.yaml"]
    out, _, rc = run_pty(argv, env, FIX)
    c.check(rc == 1 and b"\x1b[" in out, "text: colour on a TTY")
    out, _, rc = run_pty(argv, dict(env, NO_COLOR="1"), FIX)
    c.check(rc == 1 and b"\x1b[" not in out and b"DENY" in out, "text: no colour with NO_COLOR")
    p = scan(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 1 and "\x1b[" not in p.stdout and "DENY" in p.stdout, "text: no colour into a pipe")
    p = scan(binary, "escape.yaml", cwd=FIX)
    c.check("\x01" not in p.stdout and "\t" not in p.stdout, "text: control characters neutralised")
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    text = scan(binary, "-c", POLICY, "mixed.yaml", cwd=FIX).stdout
    controls = (doc.get("score") or {}).get("controls") or []
    if controls:
        for ctl in controls:
            counts = f"({ctl['healthy']} healthy, {ctl['unhealthy']} unhealthy, {ctl['notApplicable']} not applicable)"
            if ctl["max"] > 0:
                m = re.search(re.escape(ctl["name"]) + r"\s+([0-9.]+) / ([0-9.]+)\s+" + re.escape(counts), text)
                c.check(m and abs(float(m.group(1)) - ctl["current"]) < 0.006 and float(m.group(2)) == ctl["max"],
                        f"text: points of control {ctl['id']}")
            else:
                c.check(re.search(re.escape(ctl["name"]) + r"\s+not scored\s+" + re.escape(counts), text),
                        f"text: control {ctl['id']} not scored")
    else:
        c.check("Secure score" not in text, "text: no score lines without a score")
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "baseline.json")
        with open(base, "w") as f:
            f.write(scan(binary, "-f", "json", os.path.join(src, "examples", "careless-deployment.yaml")).stdout)
        hardened = os.path.join(src, "examples", "hardened-deployment.yaml")
        p, doc = scan_json(binary, "--baseline", base, hardened)
        pred = doc.get("prediction") if doc else None
        c.check(isinstance(pred, dict), f"text: --baseline gives a prediction: {p.stderr}")
        if isinstance(pred, dict):
            text = scan(binary, "--baseline", base, hardened).stdout
            c.check(f"Predicted score: {pred['before']:.2f}% -> {pred['after']:.2f}% ({pred['delta']:+.2f}" in text,
                    "text: predicted before -> after (delta)")
            for ctl in pred["controls"]:
                c.check(re.search(re.escape(ctl["id"]) + rf"\s+{ctl['before']:.2f} -> {ctl['after']:.2f}", text),
                        f"text: control change {ctl['id']}")


# ---------------------------------------------------------------- exit codes

def group_exit(c, binary, src):
    hardened = os.path.join(src, "examples", "hardened-deployment.yaml")
    for fmt in ("text", "json", "sarif", "junit", "policyreport", "html"):
        p = scan(binary, "-f", fmt, "-c", POLICY, hardened)
        c.check(p.returncode == 0, f"exit: {fmt} healthy -> 0, got {p.returncode}: {p.stderr}")
        p = scan(binary, "-f", fmt, "-c", POLICY, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 1, f"exit: {fmt} deny -> 1, got {p.returncode}")
    p = scan(binary, "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 0, f"exit: warn-only findings -> 0, got {p.returncode}")
    p = scan(binary, "--help")
    formats = ("text", "json", "sarif", "junit", "policyreport", "html")
    c.check(p.returncode == 0 and all(f in p.stdout for f in formats), "exit: --help lists every format, exits 0")
    p = scan(binary, "-f", "yaml", "mixed.yaml", cwd=FIX)
    c.check(p.returncode == 2 and all(f in p.stderr for f in formats), "exit: an unknown format lists the known ones")
    with tempfile.TemporaryDirectory() as tmp:
        only_enforce = os.path.join(tmp, "c.yaml")
        with open(only_enforce, "w") as f:
            f.write("recommendations:\n  host-network-ports: {action: enforce}\n")
        p = scan(binary, "-c", only_enforce, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 1, f"exit: enforce without a fix -> 1, got {p.returncode}")
        fixable = os.path.join(tmp, "f.yaml")
        with open(fixable, "w") as f:
            f.write("recommendations:\n  privilege-escalation: {action: enforce}\n  privileged-containers: {action: enforce}\n")
        p = scan(binary, "-c", fixable, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 0, f"exit: enforce with a fix -> 0, got {p.returncode}")
        # allowPrivilegeEscalation false on a privileged container is invalid: alone, that fix cannot apply.
        blocked = os.path.join(tmp, "b.yaml")
        with open(blocked, "w") as f:
            f.write("recommendations:\n  privilege-escalation: {action: enforce}\n")
        p = scan(binary, "-c", blocked, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 1 and "not fixed: the container is privileged" in p.stdout,
                f"exit: enforce whose fix the API server would reject -> 1 saying why, got {p.returncode}")
        bad_yaml = os.path.join(tmp, "bad.yaml")
        with open(bad_yaml, "w") as f:
            f.write("apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n")
        # An input that cannot be read: exit 2, and the report of everything else still written.
        inputs = [
            (["no-kind.yaml"], "no-kind.yaml: document 2, line 6"),
            ([bad_yaml], "bad.yaml"),
            (["does-not-exist.yaml"], "does-not-exist.yaml"),
        ]
        for args, msg in inputs:
            for fmt in ("json", "sarif", "html"):
                p = scan(binary, "-f", fmt, "mixed.yaml", *args, cwd=FIX)
                c.check(p.returncode == 2, f"exit: {args} -> 2, got {p.returncode}")
                c.check(msg in p.stderr, f"exit: {args} says '{msg}': {p.stderr.strip()}")
                c.check("debug" in p.stdout and os.path.basename(args[0]) in p.stdout,
                        f"exit: {fmt} of mixed.yaml and {args} holds the resources and names the error")
        # Usage errors: exit 2 and no report.
        usage = [
            (["-f", "xml", "mixed.yaml"], "unknown format 'xml'"),
            (["--bogus", "mixed.yaml"], ""),
            ([], "no PATH"),
            (["-c", "does-not-exist.yaml", "mixed.yaml"], "does-not-exist.yaml"),
        ]
        for args, msg in usage:
            for fmt in ("json", "sarif", "html"):
                full = args if "-f" in args else ["-f", fmt, *args]
                p = scan(binary, *full, cwd=FIX)
                c.check(p.returncode == 2, f"exit: {full} -> 2, got {p.returncode}")
                c.check(msg in p.stderr, f"exit: {full} says '{msg}': {p.stderr.strip()}")
                c.check(p.stdout == "", f"exit: {full} writes no report")
        out = os.path.join(tmp, "no", "such", "dir", "r.json")
        p = scan(binary, "-f", "json", "-o", out, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 2 and "r.json" in p.stderr, f"exit: unwritable -o -> 2, got {p.returncode}")


# ---------------------------------------------------------------- inputs

def group_inputs(c, binary, src):
    p, doc = scan_json(binary, "tree", cwd=FIX)
    files = [r["source"]["file"] for r in doc["resources"]]
    c.check(p.returncode == 0, f"inputs: directory scan exits 0: {p.stderr}")
    c.check(files == ["tree/a.yaml", "tree/b.yml", "tree/c.json", "tree/nested/d.yaml", "tree/nested/deeper/e.yml"],
            f"inputs: recursive, *.yaml|*.yml|*.json only, dotfiles skipped, name order: {files}")
    with open(os.path.join(FIX, "mixed.yaml")) as f:
        p, doc = scan_json(binary, "-c", POLICY, "-", stdin=f.read(), cwd=FIX)
    c.check(p.returncode == 1 and len(doc["resources"]) == 4 and
            all(r["source"]["file"] == "<stdin>" for r in doc["resources"]), "inputs: - reads standard input")
    p, doc = scan_json(binary, "mixed.yaml", "deep.yaml", "tree/nested", "escape.yaml", cwd=FIX)
    order = []
    for r in doc["resources"]:
        if not order or order[-1] != r["source"]["file"]:
            order.append(r["source"]["file"])
    c.check(order == ["mixed.yaml", "deep.yaml", "tree/nested/d.yaml", "tree/nested/deeper/e.yml", "escape.yaml"],
            f"inputs: many paths in order: {order}")
    p, doc = scan_json(binary, "--namespace", "shop", "mixed.yaml", cwd=FIX)
    ns = {r["name"]: r["namespace"] for r in doc["resources"]}
    c.check(ns == {"debug": "team", "edge": "team", "reader": None, "settings": "shop"},
            f"inputs: --namespace only for objects without one: {ns}")
    c.check(not any(f["recommendation"] == "no-default-namespace" and f["status"] == "unhealthy"
                    for _, f in findings(doc)), "inputs: --namespace shop clears no-default-namespace")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.sarif")
        p = scan(binary, "-f", "sarif", "-o", out, "-c", POLICY, "mixed.yaml", cwd=FIX)
        c.check(p.returncode == 1 and p.stdout == "", "inputs: -o writes nothing to stdout")
        with open(out) as f:
            c.check(json.load(f)["version"] == "2.1.0", "inputs: -o FILE holds the report")
        # A file name that is not UTF-8: every structured format stays well-formed (U+FFFD).
        odd = os.path.join(tmp, os.fsdecode(b"odd\xff name.yaml"))
        with open(os.path.join(FIX, "mixed.yaml")) as f, open(odd, "w") as g:
            g.write(f.read())
        p, doc = scan_json(binary, "-c", POLICY, odd)
        c.check(doc and doc["resources"][0]["source"]["file"].endswith("odd\ufffd name.yaml"),
                "inputs: a non-UTF-8 file name in json")
        root = ET.fromstring(scan(binary, "-c", POLICY, "-f", "junit", odd).stdout)
        c.check(root.find("testsuite").get("file").endswith("odd\ufffd name.yaml"), "inputs: ... in junit")
        lst = json.loads(scan(binary, "-c", POLICY, "-f", "policyreport", odd).stdout)
        c.check(all(r["properties"]["source"].startswith(doc["resources"][0]["source"]["file"])
                    for rep in lst["items"] for r in rep["results"]), "inputs: ... in policyreport")
        log = json.loads(scan(binary, "-c", POLICY, "-f", "sarif", odd).stdout)
        c.check(all("odd%FF%20name.yaml" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in log["runs"][0]["results"]), "inputs: ... percent-encoded in sarif")
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        p, doc = scan_json(binary, empty)
        c.check(p.returncode == 0 and doc["resources"] == [], "inputs: an empty directory is an empty report")


# ---------------------------------------------------------------- lines

def expected_lines(text):
    """Line of each top-level document's first content line (documents that are not Lists)."""
    lines = text.split("\n")
    out, in_doc = [], False
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if line.startswith("---") or line.startswith("..."):
            in_doc = False
            continue
        if not s or s.startswith("#"):
            continue
        if not in_doc:
            out.append(i)
            in_doc = True
    return out


def group_lines(c, binary, src):
    p, doc = scan_json(binary, "deep.yaml", cwd=FIX)
    got = [(r["name"], r["source"]["document"], r["source"]["line"]) for r in doc["resources"]]
    want = [("one", 2, 7), ("two", 4, 22), ("three", 5, 46), ("four", 5, 51), ("five", 6, 59)]
    c.check(got == want, f"lines: deep.yaml {got} == {want}")
    with open(os.path.join(FIX, "deep.yaml")) as f:
        text = f.read().split("\n")
    for name, _, line in got:
        c.check(re.match(r"\s*(- )?(apiVersion|\{)", text[line - 1]), f"lines: line {line} of {name} starts the object")
    # A generated file: 300 documents, each 7 lines after a separator and a comment.
    parts = []
    for i in range(300):
        parts.append(f"---\n# object {i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n"
                     f"  namespace: ns\ndata:\n  k: v{i}\n")
    text = "".join(parts)
    p, doc = scan_json(binary, "-", stdin=text)
    lines = [r["source"]["line"] for r in doc["resources"]]
    c.check(lines == expected_lines(text), "lines: 300 generated documents each at its line")
    c.check(lines[-1] == 299 * 9 + 3, f"lines: the last document at line {lines[-1]}")


# ---------------------------------------------------------------- helm

def group_helm(c, binary, src):
    helm = os.path.join(src, ".cache", "helm", "helm")
    if os.access(helm, os.X_OK):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
            r = subprocess.run([helm, "template", "sg", os.path.join(src, "charts", "scoregate"),
                                "--namespace", "platform"], capture_output=True, text=True, env=env, timeout=120)
        c.check(r.returncode == 0, f"helm: template renders: {r.stderr}")
        stream, what = r.stdout, "helm template"
    else:
        print("helm not installed (scripts/deps): using fixtures/helm-rendered.yaml")
        with open(os.path.join(FIX, "helm-rendered.yaml")) as f:
            stream, what = f.read(), "fixtures/helm-rendered.yaml"
    ndocs = len([d for d in re.split(r"(?m)^---\s*$", stream) if re.search(r"(?m)^kind:", d)])
    p, doc = scan_json(binary, "-", stdin=stream)
    c.check(p.returncode == 0, f"helm: {what} | scan - exits 0: {p.stderr}")
    c.check(len(doc["resources"]) == ndocs and ndocs >= 5, f"helm: {ndocs} documents -> {len(doc['resources'])}")
    c.check([r["source"]["line"] for r in doc["resources"]] == expected_lines(stream), "helm: source lines")
    c.check([r["source"]["document"] for r in doc["resources"]] == list(range(1, ndocs + 1)) or
            all(r["source"]["file"] == "<stdin>" for r in doc["resources"]), "helm: documents from stdin")
    for fmt in ("sarif", "junit", "policyreport", "html"):
        p = scan(binary, "-f", fmt, "-", stdin=stream)
        c.check(p.returncode == 0 and p.stdout, f"helm: -f {fmt} from stdin")


# ---------------------------------------------------------------- progress

def group_progress(c, binary, src):
    n = 1200
    docs = [f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: ns}}\n" for i in range(n)]
    text = "".join(docs)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.yaml")
        with open(big, "w") as f:
            f.write(text)
        env = dict(os.environ)
        err, out, rc = run_pty([binary, "scan", "-f", "json", big], env, tmp, stdout_tty=False)
        c.check(rc == 0, f"progress: scan exits 0 ({rc})")
        c.check(f"\rscanned {n}/{n} objects".encode() in err, f"progress: shown on a TTY stderr: {err[-80:]!r}")
        c.check(re.search(rb"\r {20,}\r$", err) and b"\x1b" not in err, "progress: the line is blanked at the end")
        c.check(len(json.loads(out)["resources"]) == n and b"scanned" not in out, "progress: never on stdout")
        p = scan(binary, "-f", "json", big)
        c.check(p.returncode == 0 and p.stderr == "", f"progress: nothing on a non-TTY stderr: {p.stderr[:80]!r}")
        small = os.path.join(tmp, "small.yaml")
        with open(small, "w") as f:
            f.write("".join(docs[:10]))
        err, out, rc = run_pty([binary, "scan", "-f", "json", small], env, tmp, stdout_tty=False)
        c.check(rc == 0 and err == b"", f"progress: not for short scans: {err!r}")


# ---------------------------------------------------------------- examples

CARELESS_EXPECTED = {
    "cpu-memory-limits", "least-privileged-capabilities", "apparmor-profiles", "host-network-ports",
    "host-path-volumes", "privilege-escalation", "host-namespaces", "readonly-root-filesystem",
    "automount-api-credentials", "no-cap-sys-admin", "privileged-containers", "run-as-non-root",
    "no-default-namespace", "https-ingress",
}


def group_examples(c, binary, src):
    ex = os.path.join(src, "examples")
    p, doc = scan_json(binary, os.path.join(ex, "hardened-deployment.yaml"))
    c.check(p.returncode == 0, f"examples: hardened exits 0: {p.stderr}")
    res = doc["resources"]
    c.check(len(res) == 1 and res[0]["kind"] == "Deployment" and res[0]["namespace"] not in (None, "default"),
            "examples: hardened is one Deployment in a non-default namespace")
    bad = [f["recommendation"] for _, f in findings(doc) if f["status"] != "healthy"]
    c.check(not bad, f"examples: hardened has no unhealthy finding: {bad}")
    healthy = {f["recommendation"] for _, f in findings(doc) if f["status"] == "healthy"}
    c.check(healthy >= CARELESS_EXPECTED - {"https-ingress", "no-default-namespace"},
            f"examples: hardened is checked by every pod recommendation: {sorted(healthy)}")
    p, doc = scan_json(binary, os.path.join(ex, "careless-deployment.yaml"))
    c.check(p.returncode == 0, f"examples: careless exits 0 with default (warn) actions: {p.stderr}")
    kinds = sorted(r["kind"] for r in doc["resources"])
    c.check(kinds == ["Deployment", "Ingress", "Service"], f"examples: careless holds {kinds}")
    failing = {f["recommendation"] for _, f in findings(doc) if f["status"] == "unhealthy"}
    c.check(failing == CARELESS_EXPECTED, f"examples: careless violates {sorted(failing)}, "
            f"missing {sorted(CARELESS_EXPECTED - failing)}")
    c.check(sum(f["status"] == "unhealthy" for _, f in findings(doc)) >= 20, "examples: careless has many findings")
    settings = os.path.join(ex, "settings", "scoregate.yaml")
    p = scan(binary, "-c", settings, os.path.join(ex, "careless-deployment.yaml"))
    c.check(p.returncode == 1, f"examples: careless with examples/settings/scoregate.yaml is denied (1), got "
            f"{p.returncode}: "
            f"{p.stderr}")
    p = scan(binary, "-c", settings, os.path.join(ex, "hardened-deployment.yaml"))
    c.check(p.returncode == 0, f"examples: hardened passes examples/settings/scoregate.yaml, got {p.returncode}")
    # The folder as the docs scan it: the manifests reported, the settings skipped with a notice.
    p, doc = scan_json(binary, "examples/", cwd=src)
    c.check(p.returncode == 0 and sorted({r["source"]["file"] for r in doc["resources"]}) ==
            ["examples/careless-deployment.yaml", "examples/hardened-deployment.yaml"] and
            [s["file"] for s in doc["skipped"]] == ["examples/settings/scoregate.yaml"],
            f"examples: scan examples/ exits 0, reports both manifests, skips the settings: {p.stderr}")


GROUPS = {
    "json": group_json, "sarif": group_sarif, "junit": group_junit, "policyreport": group_policyreport,
    "excluded": group_excluded, "text": group_text, "exit": group_exit, "inputs": group_inputs, "lines": group_lines, "helm": group_helm,
    "progress": group_progress, "examples": group_examples,
}


if __name__ == "__main__":
    run_groups(GROUPS, __doc__)
