#!/usr/bin/env python3
"""Pod Security Standards conformance: the upstream PSA fixtures through `scoregate scan`.

Usage: test_pss.py SCOREGATE FIXTURE_ROOT

FIXTURE_ROOT holds <level>/{pass,fail}/*.yaml for the levels baseline and restricted (the
upstream v1.37 fixtures, vendored in tests/conformance/pss; see its README). Each fixture is scanned with
`scoregate scan -f json --standard pss-<level> FILE`, and judged on the JSON (scan exits 0 when
nothing would be denied, which is the default warn action, so its exit code says nothing about
the verdict; only an exit code scan never documents, such as a crash, fails the fixture):

- a fail/ fixture must yield at least one unhealthy finding from the level's standards
  (pss-baseline; for restricted, pss-restricted or pss-baseline, as restricted includes
  baseline), and one of them must come from the check its file name names;
- a pass/ fixture must yield no unhealthy finding from those standards.

Prints one line per disagreement and "N passed, N failed"; exits 1 on any failure, and on a
missing or incomplete fixture folder.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402

LEVELS = {
    "baseline": {"pss-baseline"},
    "restricted": {"pss-restricted", "pss-baseline"},
}

# The fixture file name before its trailing digits names the upstream check (its ID lower-cased);
# this is the recommendation implementing that check (also in docs/pss.md).
CHECKS = {
    "apparmorprofile": "pss-apparmor-profile",
    "capabilities_baseline": "pss-capabilities-baseline",
    "hostnamespaces": "pss-host-namespaces",
    "hostpathvolumes": "pss-host-path-volumes",
    "hostports": "pss-host-ports",
    "hostprobesandhostlifecycle": "pss-host-probes-and-host-lifecycle",
    "privileged": "pss-privileged",
    "procmount": "pss-proc-mount",
    "seccompprofile_baseline": "pss-seccomp-profile-baseline",
    "selinuxoptions": "pss-selinux-options",
    "sysctls": "pss-sysctls",
    "windowshostprocess": "pss-windows-host-process",
    "allowprivilegeescalation": "pss-allow-privilege-escalation",
    "capabilities_restricted": "pss-capabilities-restricted",
    "procmount_restricted": "pss-proc-mount-restricted",
    "restrictedvolumes": "pss-restricted-volumes",
    "runasnonroot": "pss-run-as-non-root",
    "runasuser": "pss-run-as-user",
    "seccompprofile_restricted": "pss-seccomp-profile-restricted",
}


def fixtures(root):
    """(level, outcome, path) for every fixture, sorted."""
    found = []
    for level in LEVELS:
        for outcome in ("pass", "fail"):
            folder = os.path.join(root, level, outcome)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if name.endswith(".yaml"):
                    found.append((level, outcome, os.path.join(folder, name)))
    return found


def unhealthy_findings(scoregate, level, path):
    """The unhealthy findings of the level's standards, as (recommendation, container, message)."""
    proc = subprocess.run([scoregate, "scan", "-f", "json", "--standard", "pss-" + level, path],
                          capture_output=True, text=True, timeout=120)
    # Any of scan's documented exit codes is fine (the verdict is in the JSON); anything else is a
    # crash, a sanitizer report or an input error.
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError("scan exited %d: %s" % (proc.returncode, proc.stderr.strip()))
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError("scan exited %d without a JSON report: %s" % (proc.returncode, proc.stderr.strip()))
    if not report.get("resources"):
        raise RuntimeError("scan reported no resource (exit %d): %s" % (proc.returncode, proc.stderr.strip()))
    out = []
    for resource in report["resources"]:
        for f in resource.get("findings", []):
            if f.get("status") == "unhealthy" and f.get("standard") in LEVELS[level]:
                out.append((f["recommendation"], f.get("container"), f.get("message")))
    return out


def judge(scoregate, level, outcome, path):
    """None when the fixture agrees, else the reason it does not."""
    name = os.path.basename(path)
    try:
        found = unhealthy_findings(scoregate, level, path)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return str(e)
    if outcome == "pass":
        if found:
            return "want no unhealthy finding, got " + "; ".join(
                "%s (%s): %s" % (rec, container or "pod", msg) for rec, container, msg in found)
        return None
    check = re.sub(r"\d+\.yaml$", "", name)
    want = CHECKS.get(check)
    if want is None:
        return "file name names check '%s', which has no recommendation in CHECKS" % check
    if not found:
        return "want an unhealthy finding from %s, got none" % want
    if want not in {rec for rec, _, _ in found}:
        return "want an unhealthy finding from %s, got only %s" % (want, sorted({rec for rec, _, _ in found}))
    return None


def main():
    if len(sys.argv) != 3:
        print("usage: test_pss.py SCOREGATE FIXTURE_ROOT", file=sys.stderr)
        return 2
    scoregate, root = sys.argv[1], sys.argv[2]
    folders = [os.path.join(root, level, outcome) for level in LEVELS for outcome in ("pass", "fail")]
    cases = fixtures(root) if all(os.path.isdir(f) for f in folders) else []
    if not cases:
        check("a complete set of PSS conformance fixtures ({baseline,restricted}/{pass,fail}) under %s" % root,
              False)
        return harness.summary()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda c: judge(scoregate, *c), cases))
    for (level, outcome, path), reason in zip(cases, verdicts):
        check("%s/%s/%s" % (level, outcome, os.path.basename(path)), reason is None, reason)
    return harness.summary()


if __name__ == "__main__":
    sys.exit(main())
