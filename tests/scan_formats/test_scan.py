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
from scanlib import check, run_groups, scan  # noqa: E402

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

def group_json(binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    check(f"json: mixed.yaml exits 1 (deny), got {p.returncode}: {p.stderr}", p.returncode == 1)
    check("json: top-level resources array", isinstance(doc, dict) and isinstance(doc.get("resources"), list))
    check(f"json: 4 resources, got {len(doc['resources'])}", len(doc["resources"]) == 4)
    for res in doc["resources"]:
        for k in ("apiVersion", "kind", "namespace", "name", "source", "findings"):
            check(f"json: resource has {k}", k in res)
        s = res["source"]
        check(f"json: source {s}", s.get("file") == "mixed.yaml" and isinstance(s.get("document"), int) and
              isinstance(s.get("line"), int) and s["line"] >= 1)
    for res, f in findings(doc):
        missing = [k for k in FINDING_KEYS if k not in f]
        check(f"json: finding {f.get('recommendation')} lacks {missing}", not missing)
        check(f"json: status {f['status']}", f["status"] in STATUSES)
        check(f"json: standard {f['standard']}", f["standard"] in STANDARDS)
        check(f"json: severity {f['severity']}", f["severity"] in ("low", "medium", "high"))
        check("json: preview/builtin booleans", isinstance(f["preview"], bool) and isinstance(f["builtin"], bool))
    byname = {(r["kind"], r["name"]): r for r in doc["resources"]}
    role = byname[("ClusterRole", "reader")]
    check("json: cluster-scoped namespace is null", role["namespace"] is None)
    custom = [f for f in role["findings"] if f["recommendation"] == "clusterrole-owner"]
    check(f"json: custom finding {custom}", custom and custom[0]["standard"] == "custom" and custom[0]["builtin"] is False and
          custom[0]["status"] == "unhealthy")
    pod = byname[("Pod", "debug")]
    st = {(f["recommendation"], f["container"]): f for f in pod["findings"]}
    check("json: privileged deny finding", st[("privileged-containers", "shell")]["status"] == "unhealthy" and
          st[("privileged-containers", "shell")]["action"] == "deny")
    check("json: exemption applied", st[("readonly-root-filesystem", "shell")]["status"] == "exempt")
    check("json: namespace defaulted", byname[("ConfigMap", "settings")]["namespace"] == "default")
    if "score" in doc:
        sc = doc["score"]
        check(f"json: score fields {list(sc)}", all(k in sc for k in ("percent", "current", "max", "controls")))
        for ctl in sc.get("controls", []):
            check(f"json: control fields {list(ctl)}", all(k in ctl for k in ("id", "name", "max", "current", "healthy", "unhealthy",
                                           "notApplicable")))
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "baseline.json")
        with open(base, "w") as f:
            f.write(scan(binary, "-f", "json", os.path.join(src, "examples", "careless-deployment.yaml")).stdout)
        p, doc = scan_json(binary, "--baseline", base, os.path.join(src, "examples", "hardened-deployment.yaml"))
        pred = doc.get("prediction") if doc else None
        check(f"json: prediction fields with --baseline: {pred}",
              isinstance(pred, dict) and all(k in pred for k in ("before", "after", "delta", "exactDelta", "controls")))
        for ctl in (pred or {}).get("controls", []):
            check(f"json: prediction control fields {ctl}", all(k in ctl for k in ("id", "before", "after")))
        p, doc = scan_json(binary, os.path.join(src, "examples", "hardened-deployment.yaml"))
        check("json: no prediction without --baseline", "prediction" not in doc)
    # The escaping fixture: JSON carries the strings exactly.
    p, doc = scan_json(binary, "escape.yaml", cwd=FIX)
    check("json: name with markup kept exactly", p.returncode == 0 and doc["resources"][0]["name"] == "x<&>\"'y")
    conts = {f["container"] for _, f in findings(doc) if f["container"]}
    check(f"json: container name kept exactly: {conts}", conts == {"c]]></failure><b>&amp;\u0001\tend"})


# ---------------------------------------------------------------- sarif

def sarif_checks(log, what):
    """SARIF 2.1.0 required fields and internal references; returns the results."""
    check(f"{what}: version 2.1.0", log.get("version") == "2.1.0")
    if "$schema" in log:
        check(f"{what}: $schema", isinstance(log["$schema"], str) and "sarif" in log["$schema"])
    runs = log.get("runs")
    check(f"{what}: one run", isinstance(runs, list) and len(runs) == 1)
    run = runs[0]
    driver = run.get("tool", {}).get("driver", {})
    check(f"{what}: tool.driver.name", driver.get("name") == "scoregate")
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    check(f"{what}: rule ids unique and present", len(ids) == len(set(ids)) and all(ids))
    for r in rules:
        check(f"{what}: rule {r.get('id')} name/shortDescription/help",
              r.get("name") and r.get("shortDescription", {}).get("text") and r.get("help", {}).get("text"))
        props = r.get("properties", {})
        check(f"{what}: rule properties {props}", all(props.get(k) for k in ("severity", "control", "standard")))
        check(f"{what}: rule default level",
              r.get("defaultConfiguration", {}).get("level") in ("error", "warning", "note"))
    bases = run.get("originalUriBaseIds", {})
    results = run.get("results")
    check(f"{what}: results array", isinstance(results, list))
    for res in results:
        check(f"{what}: result message.text",
              isinstance(res.get("message", {}).get("text"), str) and res["message"]["text"])
        rid, idx = res.get("ruleId"), res.get("ruleIndex")
        check(f"{what}: ruleId {rid} names a rule", rid in ids)
        check(f"{what}: ruleIndex {idx} points at rule {rid}",
              isinstance(idx, int) and 0 <= idx < len(rules) and rules[idx]["id"] == rid)
        check(f"{what}: level {res.get('level')}", res.get("level") in ("error", "warning", "note"))
        locs = res.get("locations", [])
        check(f"{what}: result has a location", len(locs) >= 1)
        for loc in locs:
            phys = loc.get("physicalLocation", {})
            art = phys.get("artifactLocation", {})
            check(f"{what}: artifactLocation.uri", isinstance(art.get("uri"), str) and art["uri"])
            if "uriBaseId" in art:
                check(f"{what}: uriBaseId {art['uriBaseId']} declared", art["uriBaseId"] in bases)
            line = phys.get("region", {}).get("startLine")
            check(f"{what}: region.startLine {line}", isinstance(line, int) and line >= 1)
    return results


def group_sarif(binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "sarif", "mixed.yaml", cwd=FIX)
    check(f"sarif: exit 1 with denials, got {p.returncode}", p.returncode == 1)
    log = json.loads(p.stdout)
    results = sarif_checks(log, "sarif")
    unhealthy = [(r, f) for r, f in findings(doc) if f["status"] == "unhealthy"]
    check(f"sarif: one result per unhealthy finding ({len(results)} vs "
          f"{len(unhealthy)})", len(results) == len(unhealthy))
    rule_ids = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    check("sarif: one rule per recommendation that appears", rule_ids == {f["recommendation"] for _, f in unhealthy})
    for res in results:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        check(f"sarif: relative uri {art}",
              art["uri"] == "mixed.yaml" and art.get("uriBaseId") == "%SRCROOT%")
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    check(f"sarif: %SRCROOT% is a file URI of a folder: {base}", base.startswith("file://") and base.endswith("/"))
    # Level mapping: denied -> error; high -> error, medium -> warning, low -> note.
    by = {}
    for res in results:
        by.setdefault((res["ruleId"], res.get("properties", {}).get("name")), res)
    check("sarif: deny -> error (medium severity)", by[("privileged-containers", "debug")]["level"] == "error")
    check("sarif: enforce without fix -> error", by[("host-network-ports", "edge")]["level"] == "error")
    check("sarif: medium warn -> warning", by[("cpu-memory-limits", "debug")]["level"] == "warning")
    check("sarif: high -> error", by[("run-as-non-root", "debug")]["level"] == "error")
    check("sarif: low -> note", by[("clusterrole-owner", "reader")]["level"] == "note")
    check("sarif: message names the container", "shell" in by[("privileged-containers", "debug")]["message"]["text"])
    prints = [res.get("partialFingerprints", {}).get("scoregateFinding/v2") for res in results]
    check("sarif: a distinct fingerprint per finding", all(prints) and len(set(prints)) == len(prints))
    with open(os.path.join(FIX, "mixed.yaml")) as f, tempfile.TemporaryDirectory() as moved_dir:
        with open(os.path.join(moved_dir, "mixed.yaml"), "w") as g:
            g.write("# moved\n\n" + f.read())
        moved = scan(binary, "-c", POLICY, "-f", "sarif", "mixed.yaml", cwd=moved_dir)
    moved_prints = [res["partialFingerprints"]["scoregateFinding/v2"] for res in json.loads(moved.stdout)["runs"][0]["results"]]
    check("sarif: fingerprints do not depend on lines (nor on where the checkout is)", moved_prints == prints)
    # Lines: each result's region is its object's line.
    lines = {(r["kind"], r["name"]): r["source"]["line"] for r in doc["resources"]}
    kinds = {"debug": "Pod", "edge": "Deployment", "reader": "ClusterRole", "settings": "ConfigMap"}
    for res in results:
        name = res["properties"]["name"]
        check(f"sarif: startLine of {name}",
              res["locations"][0]["physicalLocation"]["region"]["startLine"] == lines[(kinds[name], name)])
    # Absolute path below the cwd -> relative; outside the cwd -> file:// URI; stdin -> "stdin".
    p = scan(binary, "-f", "sarif", os.path.join(FIX, "mixed.yaml"), cwd=HERE)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(p.stdout)["runs"][0]["results"]}
    check(f"sarif: absolute path under cwd becomes relative: {uris}", uris == {"fixtures/mixed.yaml"})
    with tempfile.TemporaryDirectory() as tmp:
        weird = os.path.join(tmp, "my app #1.yaml")
        with open(os.path.join(FIX, "escape.yaml")) as f, open(weird, "w") as g:
            g.write(f.read())
        p = scan(binary, "-f", "sarif", weird, cwd=HERE)
        log = json.loads(p.stdout)
        sarif_checks(log, "sarif outside cwd")
        art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        real = os.path.realpath(weird).replace(" ", "%20").replace("#", "%23")
        check(f"sarif: outside cwd -> file URI: {art}", art["uri"] == "file://" + real and "uriBaseId" not in art)
    with open(os.path.join(FIX, "mixed.yaml")) as f:
        p = scan(binary, "-f", "sarif", "-", stdin=f.read(), cwd=HERE)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(p.stdout)["runs"][0]["results"]}
    check(f"sarif: stdin uri {uris}", uris == {"stdin"})
    # Nothing unhealthy: a valid log with no results and no rules.
    p = scan(binary, "-f", "sarif", os.path.join(src, "examples", "hardened-deployment.yaml"))
    log = json.loads(p.stdout)
    sarif_checks(log, "sarif healthy")
    check("sarif: healthy input gives no results",
          p.returncode == 0 and log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == [])


# ---------------------------------------------------------------- junit

def group_junit(binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "junit", "mixed.yaml", cwd=FIX)
    check(f"junit: exit 1, got {p.returncode}", p.returncode == 1)
    root = ET.fromstring(p.stdout)
    check("junit: root is testsuites", root.tag == "testsuites")
    suites = root.findall("testsuite")
    check("junit: one testsuite per resource", len(suites) == len(doc["resources"]))
    tot = {"tests": 0, "failures": 0}
    for s, res in zip(suites, doc["resources"]):
        ns = res["namespace"]
        want = f"{res['kind']}/{ns}/{res['name']}" if ns else f"{res['kind']}/{res['name']}"
        check(f"junit: suite name {s.get('name')} == {want}", s.get("name") == want)
        cases = s.findall("testcase")
        fails = [tc for tc in cases if tc.find("failure") is not None]
        skips = [tc for tc in cases if tc.find("skipped") is not None]
        check(f"junit: {want} tests count", int(s.get("tests")) == len(cases) == len(res["findings"]))
        check(f"junit: {want} failures count",
              int(s.get("failures")) == len(fails) == sum(f["status"] == "unhealthy" for f in res["findings"]))
        check(f"junit: {want} skipped count", int(s.get("skipped")) == len(skips) ==
              sum(f["status"] in ("exempt", "notApplicable") for f in res["findings"]))
        check("junit: errors attribute", s.get("errors") == "0")
        for tc, f in zip(cases, res["findings"]):
            check(f"junit: classname {tc.get('classname')}", tc.get("classname") == f["recommendation"])
            if f["container"]:
                check(f"junit: name names the container {tc.get('name')}", f["container"] in tc.get("name"))
            fl = tc.find("failure")
            if fl is not None:
                check("junit: failure message", fl.get("message") == f["message"])
                check("junit: failure text has the remediation", f["remediation"] in (fl.text or ""))
        for k in tot:
            tot[k] += int(s.get(k))
    for k in tot:
        check(f"junit: testsuites {k}={root.get(k)} is the sum {tot[k]}", int(root.get(k)) == tot[k])
    # Escaping: attributes and text with markup and control characters parse and round-trip.
    p = scan(binary, "-f", "junit", "escape.yaml", cwd=FIX)
    try:
        root = ET.fromstring(p.stdout)
        ok = True
    except ET.ParseError as e:
        ok = False
        print(e)
    check("junit: markup in names is escaped (parses)", ok)
    if ok:
        s = root.find("testsuite")
        check(f"junit: suite name round-trips {s.get('name')}", s.get("name") == "Pod/ns<script>alert(1)</script>/x<&>\"'y")
        names = [tc.get("name") for tc in s.findall("testcase")]
        check(f"junit: container name round-trips {names}", any("c]]></failure><b>&amp;\ufffd\tend" in n for n in names))
        check("junit: failure messages present",
              all(tc.find("failure") is None or tc.find("failure").get("message") for tc in s.findall("testcase")))


def group_excluded(binary, src):
    """An object in a globally excluded namespace: listed, never evaluated, never failing."""
    p, doc = scan_json(binary, "-c", POLICY, "excluded.yaml", cwd=FIX)
    check("excluded: no findings, exit 0", p.returncode == 0 and doc["resources"][0]["findings"] == [])
    root = ET.fromstring(scan(binary, "-c", POLICY, "-f", "junit", "excluded.yaml", cwd=FIX).stdout)
    suite = root.find("testsuite")
    check("excluded: junit has one skipped testcase",
          (root.get("tests"), root.get("failures"), suite.get("skipped")) == ("1", "0", "1"))
    lst = json.loads(scan(binary, "-c", POLICY, "-f", "policyreport", "excluded.yaml", cwd=FIX).stdout)
    check("excluded: no policy report results", lst["items"] == [])
    log = json.loads(scan(binary, "-c", POLICY, "-f", "sarif", "excluded.yaml", cwd=FIX).stdout)
    check("excluded: no SARIF results", log["runs"][0]["results"] == [])
    text = scan(binary, "-c", POLICY, "excluded.yaml", cwd=FIX).stdout
    check("excluded: text says so", "namespace excluded: not evaluated" in text)


# ---------------------------------------------------------------- policyreport

RESULTS = {"pass", "fail", "warn", "error", "skip"}


def group_policyreport(binary, src):
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    p = scan(binary, "-c", POLICY, "-f", "policyreport", "mixed.yaml", cwd=FIX)
    check(f"policyreport: exit 1, got {p.returncode}", p.returncode == 1)
    lst = json.loads(p.stdout)
    check("policyreport: a v1 List", lst.get("apiVersion") == "v1" and lst.get("kind") == "List")
    items = lst["items"]
    kinds = [(i["kind"], i["metadata"].get("namespace")) for i in items]
    check(f"policyreport: reports {kinds}",
          kinds == [("ClusterPolicyReport", None), ("PolicyReport", "team"), ("PolicyReport", "default")])
    total = 0
    for rep in items:
        check("policyreport: apiVersion", rep["apiVersion"] == "wgpolicyk8s.io/v1alpha2")
        check("policyreport: metadata.name", isinstance(rep["metadata"].get("name"), str) and rep["metadata"]["name"])
        summary = rep.get("summary", {})
        counts = {k: 0 for k in RESULTS}
        for res in rep.get("results", []):
            total += 1
            check("policyreport: result.policy (required)", isinstance(res.get("policy"), str) and res["policy"])
            check(f"policyreport: result enum {res.get('result')}", res.get("result") in RESULTS)
            check("policyreport: severity enum", res.get("severity") in ("high", "medium", "low"))
            ts = res.get("timestamp", {})
            check(f"policyreport: timestamp {ts}", isinstance(ts.get("seconds"), int) and isinstance(ts.get("nanos"), int) and
                  0 <= ts["nanos"] <= 999999999)
            check("policyreport: source/rule/category",
                  res.get("source") == "scoregate" and res.get("rule") and res.get("category"))
            check("policyreport: scored boolean", isinstance(res.get("scored"), bool))
            check("policyreport: properties are strings",
                  all(isinstance(v, str) for v in res.get("properties", {}).values()))
            for r in res.get("resources", []):
                check("policyreport: resource reference", r.get("apiVersion") and r.get("kind") and r.get("name"))
                check("policyreport: resource in its report", r.get("namespace") == rep["metadata"].get("namespace"))
            counts[res["result"]] += 1
        check(f"policyreport: summary {summary} == counted {counts}", summary == counts)
    check("policyreport: one result per finding", total == sum(len(r["findings"]) for r in doc["resources"]))
    res = {(r["rule"], r["resources"][0]["name"], r.get("properties", {}).get("container")): r
           for rep in items for r in rep["results"]}
    check("policyreport: deny -> fail", res[("privileged-containers", "debug", "shell")]["result"] == "fail")
    check("policyreport: enforce without fix -> fail", res[("host-network-ports", "edge", None)]["result"] == "fail")
    check("policyreport: scored warn -> fail", res[("cpu-memory-limits", "debug", "shell")]["result"] == "fail")
    check("policyreport: not scored -> warn", res[("clusterrole-owner", "reader", None)]["result"] == "warn")
    check("policyreport: exempt -> skip", res[("readonly-root-filesystem", "debug", "shell")]["result"] == "skip")
    check("policyreport: healthy -> pass", res[("no-cap-sys-admin", "debug", "shell")]["result"] == "pass")
    check("policyreport: policy/category", res[("privileged-containers", "debug", "shell")]["policy"] == "mcsb" and
          res[("privileged-containers", "debug", "shell")]["category"] == "access")


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


def group_text(binary, src):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    argv = [binary, "scan", "-c", POLICY, "mixed.yaml"]
    out, _, rc = run_pty(argv, env, FIX)
    check("text: colour on a TTY", rc == 1 and b"\x1b[" in out)
    out, _, rc = run_pty(argv, dict(env, NO_COLOR="1"), FIX)
    check("text: no colour with NO_COLOR", rc == 1 and b"\x1b[" not in out and b"DENY" in out)
    p = scan(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    check("text: no colour into a pipe", p.returncode == 1 and "\x1b[" not in p.stdout and "DENY" in p.stdout)
    p = scan(binary, "escape.yaml", cwd=FIX)
    check("text: control characters neutralised", "\x01" not in p.stdout and "\t" not in p.stdout)
    p, doc = scan_json(binary, "-c", POLICY, "mixed.yaml", cwd=FIX)
    text = scan(binary, "-c", POLICY, "mixed.yaml", cwd=FIX).stdout
    controls = (doc.get("score") or {}).get("controls") or []
    if controls:
        for ctl in controls:
            counts = f"({ctl['healthy']} healthy, {ctl['unhealthy']} unhealthy, {ctl['notApplicable']} not applicable)"
            if ctl["max"] > 0:
                m = re.search(re.escape(ctl["name"]) + r"\s+([0-9.]+) / ([0-9.]+)\s+" + re.escape(counts), text)
                check(f"text: points of control {ctl['id']}",
                      m and abs(float(m.group(1)) - ctl["current"]) < 0.006 and float(m.group(2)) == ctl["max"])
            else:
                check(f"text: control {ctl['id']} not scored",
                      re.search(re.escape(ctl["name"]) + r"\s+not scored\s+" + re.escape(counts), text))
    else:
        check("text: no score lines without a score", "Secure score" not in text)
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "baseline.json")
        with open(base, "w") as f:
            f.write(scan(binary, "-f", "json", os.path.join(src, "examples", "careless-deployment.yaml")).stdout)
        hardened = os.path.join(src, "examples", "hardened-deployment.yaml")
        p, doc = scan_json(binary, "--baseline", base, hardened)
        pred = doc.get("prediction") if doc else None
        check(f"text: --baseline gives a prediction: {p.stderr}", isinstance(pred, dict))
        if isinstance(pred, dict):
            text = scan(binary, "--baseline", base, hardened).stdout
            check("text: predicted before -> after (delta)",
                  f"Predicted score: {pred['before']:.2f}% -> {pred['after']:.2f}% ({pred['delta']:+.2f}" in text)
            for ctl in pred["controls"]:
                check(f"text: control change {ctl['id']}",
                      re.search(re.escape(ctl["id"]) + rf"\s+{ctl['before']:.2f} -> {ctl['after']:.2f}", text))


# ---------------------------------------------------------------- exit codes

def group_exit(binary, src):
    hardened = os.path.join(src, "examples", "hardened-deployment.yaml")
    for fmt in ("text", "json", "sarif", "junit", "policyreport", "html"):
        p = scan(binary, "-f", fmt, "-c", POLICY, hardened)
        check(f"exit: {fmt} healthy -> 0, got {p.returncode}: {p.stderr}", p.returncode == 0)
        p = scan(binary, "-f", fmt, "-c", POLICY, "mixed.yaml", cwd=FIX)
        check(f"exit: {fmt} deny -> 1, got {p.returncode}", p.returncode == 1)
    p = scan(binary, "mixed.yaml", cwd=FIX)
    check(f"exit: warn-only findings -> 0, got {p.returncode}", p.returncode == 0)
    p = scan(binary, "--help")
    formats = ("text", "json", "sarif", "junit", "policyreport", "html")
    check("exit: --help lists every format, exits 0", p.returncode == 0 and all(f in p.stdout for f in formats))
    p = scan(binary, "-f", "yaml", "mixed.yaml", cwd=FIX)
    check("exit: an unknown format lists the known ones", p.returncode == 2 and all(f in p.stderr for f in formats))
    with tempfile.TemporaryDirectory() as tmp:
        only_enforce = os.path.join(tmp, "c.yaml")
        with open(only_enforce, "w") as f:
            f.write("recommendations:\n  host-network-ports: {action: enforce}\n")
        p = scan(binary, "-c", only_enforce, "mixed.yaml", cwd=FIX)
        check(f"exit: enforce without a fix -> 1, got {p.returncode}", p.returncode == 1)
        fixable = os.path.join(tmp, "f.yaml")
        with open(fixable, "w") as f:
            f.write("recommendations:\n  privilege-escalation: {action: enforce}\n  privileged-containers: {action: enforce}\n")
        p = scan(binary, "-c", fixable, "mixed.yaml", cwd=FIX)
        check(f"exit: enforce with a fix -> 0, got {p.returncode}", p.returncode == 0)
        # allowPrivilegeEscalation false on a privileged container is invalid: alone, that fix cannot apply.
        blocked = os.path.join(tmp, "b.yaml")
        with open(blocked, "w") as f:
            f.write("recommendations:\n  privilege-escalation: {action: enforce}\n")
        p = scan(binary, "-c", blocked, "mixed.yaml", cwd=FIX)
        check(f"exit: enforce whose fix the API server would reject -> 1 saying why, got {p.returncode}",
              p.returncode == 1 and "not fixed: the container is privileged" in p.stdout)
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
                check(f"exit: {args} -> 2, got {p.returncode}", p.returncode == 2)
                check(f"exit: {args} says '{msg}': {p.stderr.strip()}", msg in p.stderr)
                check(f"exit: {fmt} of mixed.yaml and {args} holds the resources and names the error",
                      "debug" in p.stdout and os.path.basename(args[0]) in p.stdout)
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
                check(f"exit: {full} -> 2, got {p.returncode}", p.returncode == 2)
                check(f"exit: {full} says '{msg}': {p.stderr.strip()}", msg in p.stderr)
                check(f"exit: {full} writes no report", p.stdout == "")
        out = os.path.join(tmp, "no", "such", "dir", "r.json")
        p = scan(binary, "-f", "json", "-o", out, "mixed.yaml", cwd=FIX)
        check(f"exit: unwritable -o -> 2, got {p.returncode}", p.returncode == 2 and "r.json" in p.stderr)


# ---------------------------------------------------------------- inputs

def group_inputs(binary, src):
    p, doc = scan_json(binary, "tree", cwd=FIX)
    files = [r["source"]["file"] for r in doc["resources"]]
    check(f"inputs: directory scan exits 0: {p.stderr}", p.returncode == 0)
    check(f"inputs: recursive, *.yaml|*.yml|*.json only, dotfiles skipped, name order: {files}",
          files == ["tree/a.yaml", "tree/b.yml", "tree/c.json", "tree/nested/d.yaml", "tree/nested/deeper/e.yml"])
    with open(os.path.join(FIX, "mixed.yaml")) as f:
        p, doc = scan_json(binary, "-c", POLICY, "-", stdin=f.read(), cwd=FIX)
    check("inputs: - reads standard input", p.returncode == 1 and len(doc["resources"]) == 4 and
          all(r["source"]["file"] == "<stdin>" for r in doc["resources"]))
    p, doc = scan_json(binary, "mixed.yaml", "deep.yaml", "tree/nested", "escape.yaml", cwd=FIX)
    order = []
    for r in doc["resources"]:
        if not order or order[-1] != r["source"]["file"]:
            order.append(r["source"]["file"])
    check(f"inputs: many paths in order: {order}",
          order == ["mixed.yaml", "deep.yaml", "tree/nested/d.yaml", "tree/nested/deeper/e.yml", "escape.yaml"])
    p, doc = scan_json(binary, "--namespace", "shop", "mixed.yaml", cwd=FIX)
    ns = {r["name"]: r["namespace"] for r in doc["resources"]}
    check(f"inputs: --namespace only for objects without one: {ns}",
          ns == {"debug": "team", "edge": "team", "reader": None, "settings": "shop"})
    check("inputs: --namespace shop clears no-default-namespace", not any(f["recommendation"] == "no-default-namespace" and f["status"] == "unhealthy"
                    for _, f in findings(doc)))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.sarif")
        p = scan(binary, "-f", "sarif", "-o", out, "-c", POLICY, "mixed.yaml", cwd=FIX)
        check("inputs: -o writes nothing to stdout", p.returncode == 1 and p.stdout == "")
        with open(out) as f:
            check("inputs: -o FILE holds the report", json.load(f)["version"] == "2.1.0")
        # A file name that is not UTF-8: every structured format stays well-formed (U+FFFD).
        odd = os.path.join(tmp, os.fsdecode(b"odd\xff name.yaml"))
        with open(os.path.join(FIX, "mixed.yaml")) as f, open(odd, "w") as g:
            g.write(f.read())
        p, doc = scan_json(binary, "-c", POLICY, odd)
        check("inputs: a non-UTF-8 file name in json",
              doc and doc["resources"][0]["source"]["file"].endswith("odd\ufffd name.yaml"))
        root = ET.fromstring(scan(binary, "-c", POLICY, "-f", "junit", odd).stdout)
        check("inputs: ... in junit", root.find("testsuite").get("file").endswith("odd\ufffd name.yaml"))
        lst = json.loads(scan(binary, "-c", POLICY, "-f", "policyreport", odd).stdout)
        check("inputs: ... in policyreport", all(r["properties"]["source"].startswith(doc["resources"][0]["source"]["file"])
                    for rep in lst["items"] for r in rep["results"]))
        log = json.loads(scan(binary, "-c", POLICY, "-f", "sarif", odd).stdout)
        check("inputs: ... percent-encoded in sarif", all("odd%FF%20name.yaml" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in log["runs"][0]["results"]))
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        p, doc = scan_json(binary, empty)
        check("inputs: an empty directory is an empty report", p.returncode == 0 and doc["resources"] == [])


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


def group_lines(binary, src):
    p, doc = scan_json(binary, "deep.yaml", cwd=FIX)
    got = [(r["name"], r["source"]["document"], r["source"]["line"]) for r in doc["resources"]]
    want = [("one", 2, 7), ("two", 4, 22), ("three", 5, 46), ("four", 5, 51), ("five", 6, 59)]
    check(f"lines: deep.yaml {got} == {want}", got == want)
    with open(os.path.join(FIX, "deep.yaml")) as f:
        text = f.read().split("\n")
    for name, _, line in got:
        check(f"lines: line {line} of {name} starts the object", re.match(r"\s*(- )?(apiVersion|\{)", text[line - 1]))
    # A generated file: 300 documents, each 7 lines after a separator and a comment.
    parts = []
    for i in range(300):
        parts.append(f"---\n# object {i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n"
                     f"  namespace: ns\ndata:\n  k: v{i}\n")
    text = "".join(parts)
    p, doc = scan_json(binary, "-", stdin=text)
    lines = [r["source"]["line"] for r in doc["resources"]]
    check("lines: 300 generated documents each at its line", lines == expected_lines(text))
    check(f"lines: the last document at line {lines[-1]}", lines[-1] == 299 * 9 + 3)


# ---------------------------------------------------------------- helm

def group_helm(binary, src):
    helm = os.path.join(src, ".cache", "helm", "helm")
    if os.access(helm, os.X_OK):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
            r = subprocess.run([helm, "template", "sg", os.path.join(src, "charts", "scoregate"),
                                "--namespace", "platform"], capture_output=True, text=True, env=env, timeout=120)
        check(f"helm: template renders: {r.stderr}", r.returncode == 0)
        stream, what = r.stdout, "helm template"
    else:
        print("helm not installed (scripts/deps): using fixtures/helm-rendered.yaml")
        with open(os.path.join(FIX, "helm-rendered.yaml")) as f:
            stream, what = f.read(), "fixtures/helm-rendered.yaml"
    ndocs = len([d for d in re.split(r"(?m)^---\s*$", stream) if re.search(r"(?m)^kind:", d)])
    p, doc = scan_json(binary, "-", stdin=stream)
    check(f"helm: {what} | scan - exits 0: {p.stderr}", p.returncode == 0)
    check(f"helm: {ndocs} documents -> {len(doc['resources'])}", len(doc["resources"]) == ndocs and ndocs >= 5)
    check("helm: source lines", [r["source"]["line"] for r in doc["resources"]] == expected_lines(stream))
    check("helm: documents from stdin", [r["source"]["document"] for r in doc["resources"]] == list(range(1, ndocs + 1)) or
          all(r["source"]["file"] == "<stdin>" for r in doc["resources"]))
    for fmt in ("sarif", "junit", "policyreport", "html"):
        p = scan(binary, "-f", fmt, "-", stdin=stream)
        check(f"helm: -f {fmt} from stdin", p.returncode == 0 and p.stdout)


# ---------------------------------------------------------------- progress

def group_progress(binary, src):
    n = 1200
    docs = [f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: ns}}\n" for i in range(n)]
    text = "".join(docs)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.yaml")
        with open(big, "w") as f:
            f.write(text)
        env = dict(os.environ)
        err, out, rc = run_pty([binary, "scan", "-f", "json", big], env, tmp, stdout_tty=False)
        check(f"progress: scan exits 0 ({rc})", rc == 0)
        check(f"progress: shown on a TTY stderr: {err[-80:]!r}", f"\rscanned {n}/{n} objects".encode() in err)
        check("progress: the line is blanked at the end", re.search(rb"\r {20,}\r$", err) and b"\x1b" not in err)
        check("progress: never on stdout", len(json.loads(out)["resources"]) == n and b"scanned" not in out)
        p = scan(binary, "-f", "json", big)
        check(f"progress: nothing on a non-TTY stderr: {p.stderr[:80]!r}", p.returncode == 0 and p.stderr == "")
        small = os.path.join(tmp, "small.yaml")
        with open(small, "w") as f:
            f.write("".join(docs[:10]))
        err, out, rc = run_pty([binary, "scan", "-f", "json", small], env, tmp, stdout_tty=False)
        check(f"progress: not for short scans: {err!r}", rc == 0 and err == b"")


# ---------------------------------------------------------------- examples

CARELESS_EXPECTED = {
    "cpu-memory-limits", "least-privileged-capabilities", "apparmor-profiles", "host-network-ports",
    "host-path-volumes", "privilege-escalation", "host-namespaces", "readonly-root-filesystem",
    "automount-api-credentials", "no-cap-sys-admin", "privileged-containers", "run-as-non-root",
    "no-default-namespace", "https-ingress",
}


def group_examples(binary, src):
    ex = os.path.join(src, "examples")
    p, doc = scan_json(binary, os.path.join(ex, "hardened-deployment.yaml"))
    check(f"examples: hardened exits 0: {p.stderr}", p.returncode == 0)
    res = doc["resources"]
    check("examples: hardened is one Deployment in a non-default namespace",
          len(res) == 1 and res[0]["kind"] == "Deployment" and res[0]["namespace"] not in (None, "default"))
    bad = [f["recommendation"] for _, f in findings(doc) if f["status"] != "healthy"]
    check(f"examples: hardened has no unhealthy finding: {bad}", not bad)
    healthy = {f["recommendation"] for _, f in findings(doc) if f["status"] == "healthy"}
    check(f"examples: hardened is checked by every pod recommendation: {sorted(healthy)}",
          healthy >= CARELESS_EXPECTED - {"https-ingress", "no-default-namespace"})
    p, doc = scan_json(binary, os.path.join(ex, "careless-deployment.yaml"))
    check(f"examples: careless exits 0 with default (warn) actions: {p.stderr}", p.returncode == 0)
    kinds = sorted(r["kind"] for r in doc["resources"])
    check(f"examples: careless holds {kinds}", kinds == ["Deployment", "Ingress", "Service"])
    failing = {f["recommendation"] for _, f in findings(doc) if f["status"] == "unhealthy"}
    check(f"examples: careless violates {sorted(failing)}, "
          f"missing {sorted(CARELESS_EXPECTED - failing)}", failing == CARELESS_EXPECTED)
    check("examples: careless has many findings", sum(f["status"] == "unhealthy" for _, f in findings(doc)) >= 20)
    settings = os.path.join(ex, "settings", "scoregate.yaml")
    p = scan(binary, "-c", settings, os.path.join(ex, "careless-deployment.yaml"))
    check(f"examples: careless with examples/settings/scoregate.yaml is denied (1), got "
          f"{p.returncode}: "
          f"{p.stderr}", p.returncode == 1)
    p = scan(binary, "-c", settings, os.path.join(ex, "hardened-deployment.yaml"))
    check(f"examples: hardened passes examples/settings/scoregate.yaml, got {p.returncode}", p.returncode == 0)
    # The folder as the docs scan it: the manifests reported, the settings skipped with a notice.
    p, doc = scan_json(binary, "examples/", cwd=src)
    check(f"examples: scan examples/ exits 0, reports both manifests, skips the settings: {p.stderr}",
          p.returncode == 0 and sorted({r["source"]["file"] for r in doc["resources"]}) ==
          ["examples/careless-deployment.yaml", "examples/hardened-deployment.yaml"] and
          [s["file"] for s in doc["skipped"]] == ["examples/settings/scoregate.yaml"])


GROUPS = {
    "json": group_json, "sarif": group_sarif, "junit": group_junit, "policyreport": group_policyreport,
    "excluded": group_excluded, "text": group_text, "exit": group_exit, "inputs": group_inputs, "lines": group_lines, "helm": group_helm,
    "progress": group_progress, "examples": group_examples,
}


if __name__ == "__main__":
    run_groups(GROUPS, __doc__)
