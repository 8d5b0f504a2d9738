#!/usr/bin/env python3
"""
chart_policyreports.py - the chart's policyReports value (issue 20 part 3), with chart_test.py's
machinery (chartlib.py: the probe chart, Helm's own YAML parser; tests/harness.py's cases).

Checks: off by default (no server.policyReports in the settings, no PolicyReport RBAC); on, the
settings file carries server.policyReports {enabled: true, interval} and loads in `scoregate catalog
-c`, and a ClusterRole grants exactly get, create and update on wgpolicyk8s.io policyreports and
clusterpolicyreports, bound to the chart's service account; on without inventorySync the rendering
fails saying why; the schema rejects an interval that is not a duration and unknown keys; lint passes.
Usage: chart_policyreports.py --helm HELM --chart CHART --scoregate BINARY.
"""
import argparse
import os
import subprocess
import sys

import chartlib as cl
from chartlib import harness, require

ON = ["policyReports.enabled=true"]


def rules_for(docs, name):
    roles = [r for r in cl.objs(docs, "ClusterRole") if r["metadata"]["name"] == name]
    return roles[0]["rules"] if roles else None


def checks(t):
    name = f"{cl.FULLNAME}-policyreports"

    def off_by_default():
        docs = t.render()
        require("policyReports" not in cl.settings_of(docs)[0]["server"], "server.policyReports by default")
        require(rules_for(docs, name) is None and
                 not [b for b in cl.objs(docs, "ClusterRoleBinding") if b["metadata"]["name"] == name],
                 "PolicyReport RBAC by default")

    def on():
        docs = t.render(sets=ON + ["policyReports.interval=5m"])
        srv = cl.settings_of(docs)[0]["server"]
        require(srv.get("policyReports") == {"enabled": True, "interval": "5m"}, f"server.policyReports {srv}")
        want = [{"apiGroups": ["wgpolicyk8s.io"], "resources": ["policyreports", "clusterpolicyreports"],
                 "verbs": ["get", "create", "update"]}]
        require(rules_for(docs, name) == want, f"the ClusterRole's rules: {rules_for(docs, name)}")
        binding = [b for b in cl.objs(docs, "ClusterRoleBinding") if b["metadata"]["name"] == name]
        sa = cl.one(docs, "ServiceAccount")["metadata"]["name"]
        require(binding and binding[0]["roleRef"]["name"] == name and
                 binding[0]["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": cl.NS}],
                 f"the binding: {binding}")
        lease = [r for r in cl.objs(docs, "Role") if r["metadata"]["name"] == f"{cl.FULLNAME}-history"]
        require(lease and any("leases" in r["resources"] for r in lease[0]["rules"]),
                 "the writer follows the history's Lease, which the history Role grants")

    def loads():
        t.need_scoregate()
        _, text = cl.settings_of(t.render(sets=ON))
        path = os.path.join(t.tmp, "pr-config.yaml")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([t.scoregate, "catalog", "-c", path], capture_output=True, text=True, timeout=60)
        require(r.returncode == 0, f"catalog -c <chart config> exited {r.returncode}: {r.stderr.strip()[:600]}")

    def needs_sync():
        r = t.helm_cmd(["template", cl.RELEASE, t.chart, "-n", cl.NS] +
                       t.value_args(sets=ON + ["inventorySync.enabled=false"]))
        require(r.returncode != 0 and "policyReports.enabled needs inventorySync.enabled" in r.stderr, r.stderr)

    def schema():
        for sets, strings, what in (([], ["policyReports.interval=60"], "an interval without a unit"),
                                    ([], ["policyReports.interval=1d"], "a unit Go durations lack"),
                                    (["policyReports.every=1"], [], "an unknown key"),
                                    ([], ["policyReports.enabled=yes"], "enabled as a string")):
            r = t.lint(sets=sets, set_strings=strings)
            require(r.returncode != 0 and "policyReports" in (r.stdout + r.stderr), f"{what} accepted")

    def lint():
        r = t.lint(sets=ON)
        require(r.returncode == 0, f"helm lint with policyReports on: {r.stdout[-600:]} {r.stderr[-600:]}")

    t.run("policyReports: off by default, no settings and no RBAC", off_by_default)
    t.run("policyReports: on, the settings carry it and a ClusterRole grants get, create, update", on)
    t.run("policyReports: the rendered settings load in scoregate", loads)
    t.run("policyReports: on without inventorySync fails, saying why", needs_sync)
    t.run("policyReports: the schema rejects bad intervals and unknown keys", schema)
    t.run("policyReports: helm lint passes", lint)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helm", required=True)
    ap.add_argument("--chart", required=True)
    ap.add_argument("--scoregate", required=True)
    a = ap.parse_args()
    if not harness.check("helm is installed (scripts/deps)", os.access(a.helm, os.X_OK), a.helm):
        return harness.summary()
    t = cl.Runner(a.helm, os.path.abspath(a.chart), a.scoregate)
    harness.run_sections({"policyreports": checks}, None, t, cleanup=t.close)


if __name__ == "__main__":
    sys.exit(main())
