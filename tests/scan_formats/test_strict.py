#!/usr/bin/env python3
"""Reports that strict consumers accept: `scoregate scan -f junit` and `-f sarif`.

usage: test_strict.py SCOREGATE SOURCE_DIR [--group NAME]...

Groups (all by default):
  junit_xsd       every JUnit report of the fixtures (findings of every status, escaping,
                  an excluded namespace, the score gate, a Helm rendering, a directory)
                  validates against the Jenkins xUnit plugin's junit-10.xsd (vendored in
                  xsd/, checked with xmllint from libxml2-utils); a report with the
                  attributes the schema rejects does not (the check can fail)
  junit_places    file and line are where GitLab and Jenkins show them: the failure and
                  skipped texts and every testcase's system-out; test identities
                  (classname, name) do not change when lines move
  sarif_links     --help-base-url: helpUri per rule (the score gate's too) and the tool's
                  informationUri; none without it; a URL that is not one is exit 2
  sarif_files     the same objects in two files are distinct alerts (the file is in the
                  fingerprint), the same file scanned twice gives the same fingerprints
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

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
POLICY = os.path.join(FIX, "policy.yaml")
XSD = os.path.join(HERE, "xsd", "junit-10.xsd")
FP = "scoregateFinding/v2"


def validate(xml_text, what, expect_valid=True):
    """xmllint --schema junit-10.xsd; returns whether the report validated."""
    xmllint = shutil.which("xmllint")
    if not check("xmllint (Debian libxml2-utils, scripts/deps) is installed", xmllint):
        return False
    p = subprocess.run([xmllint, "--noout", "--schema", XSD, "-"], input=xml_text, capture_output=True, text=True,
                       timeout=120)
    ok = p.returncode == 0
    check(f"{what}: {'validates' if expect_valid else 'is rejected'} against junit-10.xsd"
          f"{'' if ok == expect_valid else ': ' + p.stderr[-600:]}", ok == expect_valid)
    return ok


def gate_policy(tmp):
    """The fixtures' settings with a score gate no object can pass."""
    path = os.path.join(tmp, "gate.yaml")
    with open(POLICY) as f, open(path, "w") as g:
        g.write(f.read() + "scoreGate: {minScore: 100}\n")
    return path


def group_junit_xsd(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ("findings of every status", ["-c", POLICY, "mixed.yaml"]),
            ("markup and control characters", ["escape.yaml"]),
            ("an excluded namespace", ["-c", POLICY, "excluded.yaml"]),
            ("the score gate", ["-c", gate_policy(tmp), "mixed.yaml"]),
            ("a Helm rendering", ["helm-rendered.yaml"]),
            ("a directory tree", ["tree"]),
            ("the examples", [os.path.join(src, "examples", "careless-deployment.yaml"),
                              os.path.join(src, "examples", "hardened-deployment.yaml")]),
        ]
        for what, args in runs:
            p = scan(binary, "-f", "junit", *args, cwd=FIX)
            check(f"junit {what}: a report ({p.stderr})", p.returncode in (0, 1) and p.stdout.startswith("<?xml"))
            validate(p.stdout, f"junit {what}")
        p = scan(binary, "-f", "junit", "-c", gate_policy(tmp), "mixed.yaml", cwd=FIX)
        check("junit: the score gate case is in the validated report", 'classname="score-gate"' in p.stdout)
        # The schema does reject what scoregate used to write: the check can fail.
        old = re.sub(r"<testcase ", '<testcase file="mixed.yaml" line="5" ', p.stdout, count=1)
        validate(old, "junit with file and line on a testcase", expect_valid=False)
        old = p.stdout.replace('<testsuites name="scoregate scan"', '<testsuites name="scoregate scan" skipped="1"', 1)
        validate(old, "junit with skipped on testsuites", expect_valid=False)


def group_junit_places(binary, src):
    p = scan(binary, "-c", POLICY, "-f", "junit", "mixed.yaml", cwd=FIX)
    doc = json.loads(scan(binary, "-c", POLICY, "-f", "json", "mixed.yaml", cwd=FIX).stdout)
    root = ET.fromstring(p.stdout)
    check("junit: no skipped attribute on testsuites", root.get("skipped") is None)
    for suite, res in zip(root.findall("testsuite"), doc["resources"]):
        place = f"Source: mixed.yaml:{res['source']['line']} (document {res['source']['document']})"
        check(f"junit: testsuite file {suite.get('file')}", suite.get("file") == "mixed.yaml")
        for tc in suite.findall("testcase"):
            name = tc.get("name")
            check(f"junit: no file/line attributes on {name}", tc.get("file") is None and tc.get("line") is None)
            out = tc.find("system-out")
            check(f"junit: system-out of {name} is '{place}'", out is not None and out.text == place)
            for tag in ("failure", "skipped"):
                el = tc.find(tag)
                if el is not None:
                    check(f"junit: the {tag} text of {name} names '{place}'", place in (el.text or ""))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(FIX, "mixed.yaml")) as f, open(os.path.join(tmp, "mixed.yaml"), "w") as g:
            g.write("# three lines\n# further\n# down\n" + f.read())
        moved = ET.fromstring(scan(binary, "-c", POLICY, "-f", "junit", "mixed.yaml", cwd=tmp).stdout)

    def ids(r):
        return [(s.get("name"), tc.get("classname"), tc.get("name")) for s in r.findall("testsuite")
                for tc in s.findall("testcase")]
    check("junit: test identities do not change when lines move", ids(moved) == ids(root) and len(ids(root)) > 10)
    texts = [tc.find("system-out").text for s in moved.findall("testsuite") for tc in s.findall("testcase")]
    check("junit: the moved report names the new lines", any(":8 (document 1)" in t for t in texts))


def sarif_run(binary, *args, cwd=FIX):
    p = scan(binary, "-f", "sarif", *args, cwd=cwd)
    return p, (json.loads(p.stdout)["runs"][0] if p.stdout.strip() else None)


def group_sarif_links(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        base = "https://wiki.example.com/platform/scoregate"
        p, run = sarif_run(binary, "-c", gate_policy(tmp), "--help-base-url", base, "mixed.yaml")
        driver = run["tool"]["driver"]
        check(f"sarif: informationUri {driver.get('informationUri')}", driver.get("informationUri") == base)
        rules = driver["rules"]
        check(f"sarif: helpUri of every rule: {[r.get('helpUri') for r in rules]}",
              rules and all(r.get("helpUri") == f"{base}/{r['id']}" for r in rules))
        check("sarif: the score gate's rule is among them", any(r["id"] == "score-gate" for r in rules))
        for joined in ("https://wiki.example.com/scoregate/", "https://wiki.example.com/scoregate#",
                       "https://wiki.example.com/page?rule="):
            p, run = sarif_run(binary, "-c", POLICY, "--help-base-url", joined, "mixed.yaml")
            uris = [r.get("helpUri") for r in run["tool"]["driver"]["rules"]]
            check(f"sarif: no '/' added after {joined[-1]}: {uris[:2]}",
                  all(u == joined + r["id"] for u, r in zip(uris, run["tool"]["driver"]["rules"])))
    p, run = sarif_run(binary, "-c", POLICY, "mixed.yaml")
    driver = run["tool"]["driver"]
    check("sarif: no URLs without --help-base-url (none is made up)",
          "informationUri" not in driver and all("helpUri" not in r for r in driver["rules"]))
    for bad in ("wiki.example.com/x", "ftp://wiki/x", "https://", "https://wiki/a b", 'https://wiki/"x'):
        p = scan(binary, "-f", "sarif", "--help-base-url", bad, "mixed.yaml", cwd=FIX)
        check(f"sarif: --help-base-url '{bad}' is a usage error: {p.returncode} {p.stderr}",
              p.returncode == 2 and "--help-base-url" in p.stderr and not p.stdout)


def group_sarif_files(binary, src):
    with tempfile.TemporaryDirectory() as tmp:
        for env in ("staging", "prod"):
            os.makedirs(os.path.join(tmp, env))
            shutil.copy(os.path.join(FIX, "mixed.yaml"), os.path.join(tmp, env, "app.yaml"))
        p, run = sarif_run(binary, "-c", POLICY, "staging/app.yaml", "prod/app.yaml", cwd=tmp)
        by_file = {}
        for r in run["results"]:
            uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            by_file.setdefault(uri, []).append(r["partialFingerprints"][FP])
        check(f"sarif: results of both files {list(by_file)}", set(by_file) == {"staging/app.yaml", "prod/app.yaml"})
        prints = [fp for fps in by_file.values() for fp in fps]
        check("sarif: the same objects in two files get distinct fingerprints",
              len(prints) == len(set(prints)) and len(by_file.get("prod/app.yaml", [])) > 5)
        again = [r["partialFingerprints"][FP] for r in sarif_run(binary, "-c", POLICY, "prod/app.yaml", cwd=tmp)[1]["results"]]
        check("sarif: a file scanned on its own keeps its fingerprints", again == by_file.get("prod/app.yaml"))
        other = [r["partialFingerprints"][FP]
                 for r in sarif_run(binary, "-c", POLICY, os.path.join(tmp, "prod", "app.yaml"), cwd=tmp)[1]["results"]]
        check("sarif: an absolute path below the current directory fingerprints as the relative one", other == again)


GROUPS = {"junit_xsd": group_junit_xsd, "junit_places": group_junit_places, "sarif_links": group_sarif_links,
          "sarif_files": group_sarif_files}

if __name__ == "__main__":
    run_groups(GROUPS, __doc__)
