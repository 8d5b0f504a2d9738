#!/usr/bin/env python3
"""
chart_test.py - tests of the Helm chart charts/scoregate.

How the rendered YAML is read without a YAML library: the test renders a *probe*
copy of the chart in which every manifest template is moved out of templates/ and
one probe template runs each through Helm's own `tpl`, splits the documents and
converts each with `fromYaml | toJson`. So Helm's YAML parser (the one the API
server semantics follow) does the parsing, and this script reads JSON. The probe's
object list is cross-checked against the plain `helm template` output (same kinds,
same order), so the probe cannot silently drift from what users get.

Groups (--group, repeatable; default all):
  lint      helm lint --strict: defaults, each certificate mode, an enforce config, values-full.yaml
  schema    values.schema.json rejects wrong types, unknown actions/standards/keys
  template  structure of the rendered manifests (webhooks, certificates, pods, RBAC, ...)
  config    the rendered settings file loads in `scoregate scan -c` (exit 0 or 1, not 2)
  dogfood   the rendered chart scores 100% under `scoregate scan --standard pss-restricted`

Prints one line per check and closes with "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import json
import os
import subprocess
import sys

from chart_template import group_template
from chartlib import HERE, POD_CONTROLLER_RESOURCES, Runner, exempt_everything_values, require, settings_of
import harness  # tests/harness.py (chartlib puts tests/ on the path)


# ==== lint ==========================================================================

def group_lint(t):
    def lint_ok(**kw):
        def fn():
            r = t.lint(**kw)
            require(r.returncode == 0, (r.stdout + r.stderr).strip()[-800:])
        return fn

    t.run("lint: default values", lint_ok())
    t.run("lint: certificates.mode=helm", lint_ok(sets=["certificates.mode=helm"]))
    t.run("lint: certificates.mode=certManager", lint_ok(sets=["certificates.mode=certManager"]))
    t.run("lint: certificates.mode=existingSecret",
          lint_ok(sets=["certificates.mode=existingSecret", "certificates.existingSecret.name=my-tls",
                        "certificates.existingSecret.caBundle=Zm9v"]))
    t.run("lint: an enforce recommendation",
          lint_ok(sets=["config.recommendations.privileged-containers.action=enforce"]))
    t.run("lint: inventorySync disabled, no NetworkPolicy, no PDB",
          lint_ok(sets=["inventorySync.enabled=false", "networkPolicy.enabled=false",
                        "podDisruptionBudget.enabled=false"]))
    t.run("lint: values-full.yaml (every key)", lint_ok(files=[os.path.join(HERE, "values-full.yaml")]))
    t.run("lint: an exemption with match: {} (every resource, said explicitly)",
          lint_ok(files=[exempt_everything_values(t)]))


# ==== schema ========================================================================

def group_schema(t):
    def rejected(expect, **kw):
        def fn():
            r = t.lint(**kw)
            out = r.stdout + r.stderr
            require(r.returncode != 0, f"lint accepted invalid values {kw}")
            require(expect in out, f"error does not mention {expect!r}: {out.strip()[-600:]}")
        return fn

    cases = [
        ("replicaCount: \"two\"", "replicaCount", dict(set_strings=["replicaCount=two"])),
        ("unknown default action", "config.defaults.action",
         dict(sets=["config.defaults.action=block"])),
        ("unknown recommendation action", "privileged-containers",
         dict(sets=["config.recommendations.privileged-containers.action=forbid"])),
        ("unknown key in a recommendation", "privileged-containers",
         dict(sets=["config.recommendations.privileged-containers.mode=deny"])),
        ("unknown standard", "config.standards", dict(sets=["config.standards={nist}"])),
        ("config.server is the chart's", "server", dict(sets=["config.server.address=:9443"])),
        ("unknown config key", "config", dict(sets=["config.rules.x=1"])),
        ("unknown top-level key", "replicas", dict(sets=["replicas=2"])),
        ("unknown certificates.mode", "certificates.mode", dict(sets=["certificates.mode=vault"])),
        ("validating failurePolicy enum", "failurePolicy",
         dict(sets=["webhook.validating.failurePolicy=Never"])),
        ("mutating failurePolicy enum", "failurePolicy",
         dict(sets=["webhook.mutating.failurePolicy=Sometimes"])),
        ("timeoutSeconds above 30", "timeoutSeconds", dict(sets=["webhook.timeoutSeconds=31"])),
        ("existingSecret without name and caBundle", "existingSecret",
         dict(sets=["certificates.mode=existingSecret"])),
        ("exemption category enum", "category",
         dict(sets=["config.exemptions[0].name=x", "config.exemptions[0].recommendations={run-as-non-root}",
                    "config.exemptions[0].match.namespaces={legacy}", "config.exemptions[0].category=forever"])),
        ("exemption without match (scoregate's load error)", "match",
         dict(sets=["config.exemptions[0].name=x", "config.exemptions[0].recommendations={run-as-non-root}",
                    "config.exemptions[0].category=waiver"])),
        ("exemption expires must be RFC 3339", "expires",
         dict(sets=["config.exemptions[0].name=x", "config.exemptions[0].recommendations={run-as-non-root}",
                    "config.exemptions[0].match.namespaces={legacy}", "config.exemptions[0].category=waiver",
                    "config.exemptions[0].expires=next year"])),
        ("runAsUser 0 (root)", "runAsUser", dict(sets=["securityContext.runAsUser=0"])),
        ("runAsUser as a string", "runAsUser", dict(set_strings=["securityContext.runAsUser=nobody"])),
        ("limits need cpu and memory", "limits", dict(sets=["resources.limits.cpu=null"])),
        ("scoreGate.minScore above 100", "minScore", dict(sets=["config.scoreGate.minScore=120"])),
        ("inventorySync.enabled as a string", "inventorySync", dict(set_strings=["inventorySync.enabled=yes"])),
        ("dashboard.port 8443 (the webhook's)", "dashboard.port", dict(sets=["dashboard.port=8443"])),
        ("dashboard.port below 1024", "dashboard.port", dict(sets=["dashboard.port=80"])),
        ("unknown dashboard key", "dashboard", dict(sets=["dashboard.address=0.0.0.0:8080"])),
    ]
    for name, expect, kw in cases:
        t.run(f"schema rejects: {name}", rejected(expect, **kw))


# ==== config (needs the settings loader) ============================================

def group_config(t):
    def loads(**kw):
        def fn():
            t.need_scoregate()
            _, text = settings_of(t.render(**kw))
            path = os.path.join(t.tmp, "config.yaml")
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([t.scoregate, "scan", "-c", path, os.path.join(HERE, "privileged-pod.yaml")],
                               capture_output=True, text=True, timeout=60)
            require(r.returncode in (0, 1),
                  f"scoregate scan -c <chart config> exited {r.returncode}: {(r.stderr or r.stdout).strip()[:600]}")
        return fn

    def builtin_controllers():
        t.need_scoregate()
        r = subprocess.run([t.scoregate, "catalog", "-f", "json"], capture_output=True, text=True, timeout=60)
        got = {}
        for pc in json.loads(r.stdout)["podControllers"]:
            got.setdefault(pc["apiVersion"].split("/")[0], set()).add(pc["resource"])
        require(got == POD_CONTROLLER_RESOURCES, f"scoregate's pod controllers {got} != the chart's")

    t.run("config: the chart knows scoregate's own pod controllers", builtin_controllers)
    t.run("config: default values load in scoregate", loads())
    t.run("config: values-full.yaml loads in scoregate", loads(files=[os.path.join(HERE, "values-full.yaml")]))
    t.run("config: an exemption with match: {} loads in scoregate", loads(files=[exempt_everything_values(t)]))


# ==== dogfood (needs scan -f json) ==================================================

def group_dogfood(t):
    def scan(sets):
        def fn():
            t.need_scoregate()
            path = os.path.join(t.tmp, "rendered.yaml")
            # A namespace scoregate does not exclude by default, so that the objects are scored.
            with open(path, "w") as f:
                f.write(t.template_text(ns="platform-security", sets=sets))
            r = subprocess.run([t.scoregate, "scan", "--standard", "pss-restricted", "-f", "json", path],
                               capture_output=True, text=True, timeout=60)
            require(r.returncode == 0, f"scan exited {r.returncode}: {(r.stderr or r.stdout).strip()[:600]}")
            rep = json.loads(r.stdout)
            bad = [(res["kind"], res["name"], f["recommendation"], f.get("container"), f.get("message"))
                   for res in rep["resources"] for f in res["findings"] if f["status"] == "unhealthy"]
            require(not bad, f"unhealthy findings: {bad}")
            require(rep["score"]["percent"] == 100, f"score {rep['score']['percent']} is not 100")
            dep = [res for res in rep["resources"] if res["kind"] == "Deployment"]
            require(dep and dep[0]["findings"], "the Deployment was not evaluated")
            stds = {f["standard"] for f in dep[0]["findings"]}
            require("mcsb" in stds and stds & {"pss-baseline", "pss-restricted"},
                  f"standards evaluated on the Deployment: {stds}")
        return fn

    t.run("dogfood: default chart scores 100% (mcsb + pss-restricted)", scan([]))
    t.run("dogfood: chart with inventorySync disabled and enforce scores 100%",
          scan(["inventorySync.enabled=false", "config.defaults.action=enforce"]))


GROUPS = {"lint": group_lint, "schema": group_schema, "template": group_template,
          "config": group_config, "dogfood": group_dogfood}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--helm", required=True)
    ap.add_argument("--chart", required=True)
    ap.add_argument("--scoregate", default="")
    ap.add_argument("--group", action="append", choices=sorted(GROUPS))
    a = ap.parse_args()
    if not harness.check("helm is installed (scripts/deps)", os.access(a.helm, os.X_OK), a.helm):
        return harness.summary()
    t = Runner(a.helm, os.path.abspath(a.chart), a.scoregate)
    harness.run_sections(GROUPS, a.group, t, cleanup=t.close)


if __name__ == "__main__":
    sys.exit(main())
