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
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "scoregate-system"
RELEASE = "sg"
FULLNAME = "sg-scoregate"

PROBE_TEMPLATE = r'''{{- range $path, $_ := .Files.Glob "sgprobe/*.yaml" }}
{{- $text := tpl ($.Files.Get $path) $ }}
{{- range $doc := regexSplit "(?m)^---[ \\t]*$" $text -1 }}
{{- $obj := fromYaml $doc }}
{{- if $obj }}
{{- $parsed := dict }}
{{- if eq ($obj.kind | default "") "ConfigMap" }}
{{- range $k, $v := ($obj.data | default dict) }}{{ if hasSuffix ".yaml" $k }}{{ $_ := set $parsed $k (fromYaml $v) }}{{ end }}{{ end }}
{{- end }}
---
{{ dict "source" $path "object" $obj "parsedData" $parsed | toJson }}
{{- end }}
{{- end }}
{{- end }}
'''

WORKLOAD_RESOURCES = {
    "": {"pods", "replicationcontrollers", "services", "configmaps", "secrets", "serviceaccounts"},
    "apps": {"deployments", "replicasets", "statefulsets", "daemonsets"},
    "batch": {"jobs", "cronjobs"},
    "networking.k8s.io": {"ingresses"},
}
# scoregate's own pod controllers (policy/src/controllers.c; the config group compares them with
# `scoregate catalog -f json`): their resources join the webhook rules and the RBAC.
POD_CONTROLLER_RESOURCES = {"argoproj.io": {"rollouts"}, "apps.kruise.io": {"clonesets", "statefulsets", "daemonsets"}}
SETTINGS_KEYS = {"standards", "excludedNamespaces", "defaults", "recommendations", "exemptions",
                 "scoreGate", "server", "custom", "podControllers"}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration",
                  "MutatingWebhookConfiguration"}


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Runner:
    def __init__(self, helm, chart, scoregate):
        self.helm = helm
        self.chart = chart
        self.scoregate = scoregate
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix="sg-chart-test-")
        self.env = dict(os.environ, HOME=os.path.join(self.tmp, "home"))
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "KUBECONFIG"):
            self.env.pop(var, None)
        os.makedirs(self.env["HOME"])
        self.probe = self._make_probe()
        self.notes_probe = self._make_notes_probe()

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _make_probe(self):
        dst = os.path.join(self.tmp, "probe", "scoregate")
        shutil.copytree(self.chart, dst)
        tdir = os.path.join(dst, "templates")
        os.makedirs(os.path.join(dst, "sgprobe"))
        for name in sorted(os.listdir(tdir)):
            if name.endswith(".yaml"):
                os.rename(os.path.join(tdir, name), os.path.join(dst, "sgprobe", name))
        with open(os.path.join(tdir, "sgprobe.yaml"), "w") as f:
            f.write(PROBE_TEMPLATE)
        return dst

    def _make_notes_probe(self):
        """A copy whose only template renders NOTES.txt (helm template skips NOTES, and
        helm install --dry-run needs a cluster)."""
        dst = os.path.join(self.tmp, "notes-probe", "scoregate")
        shutil.copytree(self.chart, dst)
        tdir = os.path.join(dst, "templates")
        os.rename(os.path.join(tdir, "NOTES.txt"), os.path.join(dst, "sgnotes.txt"))
        for name in os.listdir(tdir):
            if name.endswith(".yaml"):
                os.remove(os.path.join(tdir, name))
        with open(os.path.join(tdir, "sgnotes.yaml"), "w") as f:
            f.write('{{ dict "notes" (tpl (.Files.Get "sgnotes.txt") .) | toJson }}\n')
        return dst

    def render_with_secret(self, data, **kw):
        """Render with `lookup` of the TLS Secret stubbed to return a Secret holding `data`
        (as on `helm upgrade` against a cluster), in a copy of the probe chart."""
        dst = os.path.join(self.tmp, "lookup-probe", "scoregate")
        shutil.rmtree(os.path.dirname(dst), ignore_errors=True)
        shutil.copytree(self.probe, dst)
        path = os.path.join(dst, "sgprobe", "webhook.yaml")
        with open(path) as f:
            text = f.read()
        call = 'lookup "v1" "Secret" .Release.Namespace $secretName'
        check(text.count(call) == 1, f"webhook.yaml no longer contains exactly one `{call}`")
        pairs = " ".join(f'"{k}" "{v}"' for k, v in data.items())
        with open(path, "w") as f:
            f.write(text.replace(call, f'dict "data" (dict {pairs})'))
        saved, self.probe = self.probe, dst
        try:
            return self.render(**kw)
        finally:
            self.probe = saved

    def notes(self, ns=NS, **kw):
        r = self.helm_cmd(["template", RELEASE, self.notes_probe, "-n", ns] + self.value_args(**kw))
        check(r.returncode == 0, f"helm template (notes probe) failed: {r.stderr.strip()}")
        body = "\n".join(l for l in r.stdout.splitlines() if l.strip() not in ("---",) and not l.startswith("#"))
        return json.loads(body)["notes"]

    def run(self, name, fn):
        try:
            fn()
        except Failure as e:
            self.failed += 1
            print(f"FAIL - {name}: {e}")
        except Exception as e:  # a bug in a check is a failure too, never a crash
            self.failed += 1
            print(f"FAIL - {name}: {type(e).__name__}: {e}")
        else:
            self.passed += 1
            print(f"ok - {name}")
        sys.stdout.flush()

    # ---- helm ----------------------------------------------------------------

    def helm_cmd(self, args):
        return subprocess.run([self.helm] + args, env=self.env, capture_output=True, text=True,
                              timeout=120)

    @staticmethod
    def value_args(sets=None, set_strings=None, files=None):
        args = []
        for f in files or []:
            args += ["-f", f]
        for s in sets or []:
            args += ["--set", s]
        for s in set_strings or []:
            args += ["--set-string", s]
        return args

    def lint(self, **kw):
        return self.helm_cmd(["lint", "--strict", self.chart] + self.value_args(**kw))

    def template_text(self, ns=NS, **kw):
        r = self.helm_cmd(["template", RELEASE, self.chart, "-n", ns] + self.value_args(**kw))
        check(r.returncode == 0, f"helm template failed: {r.stderr.strip()}")
        return r.stdout

    def render(self, ns=NS, **kw):
        """The rendered objects as JSON (via the probe chart), cross-checked against helm template."""
        r = self.helm_cmd(["template", RELEASE, self.probe, "-n", ns] + self.value_args(**kw))
        check(r.returncode == 0, f"helm template (probe) failed: {r.stderr.strip()}")
        docs = []
        for chunk in re.split(r"(?m)^---\s*$", r.stdout):
            body = "\n".join(l for l in chunk.splitlines() if not l.startswith("#")).strip()
            if body:
                d = json.loads(body)
                check("Error" not in d["object"], f"fromYaml failed on {d['source']}: {d['object']}")
                docs.append(d)
        # Cross-check with the real rendering: the same kinds, in the same order per file.
        real = self.template_text(ns=ns, **kw)
        real_kinds = sorted(re.findall(r"(?m)^kind: (\S+)\s*$", real))
        probe_kinds = sorted(d["object"]["kind"] for d in docs)
        check(real_kinds == probe_kinds, f"probe kinds {probe_kinds} != helm template kinds {real_kinds}")
        return docs

    # ---- scoregate ---------------------------------------------------------------

    def need_scoregate(self):
        check(self.scoregate and os.access(self.scoregate, os.X_OK),
              f"scoregate binary not found: {self.scoregate!r}")


def objs(docs, kind=None):
    return [d["object"] for d in docs if kind is None or d["object"]["kind"] == kind]


def one(docs, kind):
    found = objs(docs, kind)
    check(len(found) == 1, f"expected exactly one {kind}, found {len(found)}")
    return found[0]


def settings_of(docs):
    for d in docs:
        if d["object"]["kind"] == "ConfigMap" and "config.yaml" in d["parsedData"]:
            parsed = d["parsedData"]["config.yaml"]
            check("Error" not in parsed, f"config.yaml does not parse: {parsed.get('Error')}")
            return parsed, d["object"]["data"]["config.yaml"]
    raise Failure("no ConfigMap with config.yaml")


def pod_spec(docs):
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def checksum(docs):
    return one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]


def ns_not_in(webhook):
    exprs = webhook["namespaceSelector"]["matchExpressions"]
    names = [e for e in exprs if e["key"] == "kubernetes.io/metadata.name"]
    check(len(names) == 1 and names[0]["operator"] == "NotIn",
          f"namespaceSelector needs kubernetes.io/metadata.name NotIn: {exprs}")
    ignore = [e for e in exprs if e["key"] == "scoregate.io/ignore"]
    check(len(ignore) == 1 and ignore[0]["operator"] == "NotIn" and ignore[0]["values"] == ["true"],
          f"namespaceSelector needs scoregate.io/ignore NotIn [\"true\"]: {exprs}")
    return set(names[0]["values"])


def b64pem(s):
    return base64.b64decode(s).decode()


def openssl(args, inp=None):
    return subprocess.run(["openssl"] + args, input=inp, capture_output=True, text=True)


def exempt_everything_values(t):
    """A values file with an exemption whose match is {} (every resource): `--set` cannot write an
    empty map. scoregate accepts it, written out; a missing match is its load error (issue 15)."""
    path = os.path.join(t.tmp, "values-exempt-everything.yaml")
    with open(path, "w") as f:
        f.write("config:\n  exemptions:\n    - name: everything\n      recommendations: [run-as-non-root]\n"
                "      match: {}\n      category: waiver\n")
    return path


# ==== lint ==========================================================================

def group_lint(t):
    def lint_ok(**kw):
        def fn():
            r = t.lint(**kw)
            check(r.returncode == 0, (r.stdout + r.stderr).strip()[-800:])
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
            check(r.returncode != 0, f"lint accepted invalid values {kw}")
            check(expect in out, f"error does not mention {expect!r}: {out.strip()[-600:]}")
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


# ==== template ======================================================================

def group_template(t):
    state = {}

    def default_docs():
        if "default" not in state:
            state["default"] = t.render()
        return state["default"]

    def enforce_docs():
        if "enforce" not in state:
            state["enforce"] = t.render(sets=["config.recommendations.privileged-containers.action=enforce"])
        return state["enforce"]

    def kinds_default():
        docs = default_docs()
        kinds = sorted(d["object"]["kind"] for d in docs)
        want = sorted(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "ConfigMap", "Deployment", "Lease",
                       "NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Secret", "Service",
                       "ServiceAccount", "ValidatingWebhookConfiguration"])
        check(kinds == want, f"kinds {kinds} != {want}")

    def namespaces():
        for o in objs(default_docs()):
            md = o["metadata"]
            if o["kind"] in CLUSTER_SCOPED:
                check("namespace" not in md, f"{o['kind']} is cluster-scoped but has a namespace")
            else:
                check(md.get("namespace") == NS, f"{o['kind']}/{md['name']} namespace {md.get('namespace')}")

    def validating_points_at_service():
        docs = default_docs()
        svc = one(docs, "Service")
        vwc = one(docs, "ValidatingWebhookConfiguration")
        check(len(vwc["webhooks"]) == 1, "one validating webhook")
        wh = vwc["webhooks"][0]
        ref = wh["clientConfig"]["service"]
        check(ref["name"] == svc["metadata"]["name"] and ref["namespace"] == svc["metadata"]["namespace"],
              f"clientConfig.service {ref} is not the Service {svc['metadata']}")
        check(ref["path"] == "/validate", f"path {ref['path']}")
        ports = svc["spec"]["ports"]
        check(len(ports) == 1 and ports[0]["port"] == ref["port"] == 443, f"service port {ports} / {ref}")
        check(ports[0]["targetPort"] == "https", f"targetPort {ports[0]['targetPort']}")
        c = pod_spec(docs)["containers"][0]
        check({"name": "https", "containerPort": 8443, "protocol": "TCP"} in c["ports"], f"ports {c['ports']}")
        check(svc["spec"]["selector"] == one(docs, "Deployment")["spec"]["selector"]["matchLabels"],
              "Service selector != Deployment selector")

    def validating_fields():
        wh = one(default_docs(), "ValidatingWebhookConfiguration")["webhooks"][0]
        check(wh["sideEffects"] == "None", f"sideEffects {wh['sideEffects']}")
        check(wh["admissionReviewVersions"] == ["v1"], f"admissionReviewVersions {wh['admissionReviewVersions']}")
        check(wh["timeoutSeconds"] == 5, f"timeoutSeconds {wh['timeoutSeconds']}")
        check(wh["failurePolicy"] == "Fail", f"failurePolicy {wh['failurePolicy']}")
        check("matchConditions" not in wh, "matchConditions rendered although none are set")

    def rules_cover(wh, ops, controllers=POD_CONTROLLER_RESOURCES):
        seen = {}
        for r in wh["rules"]:
            check(r["operations"] == ops, f"operations {r['operations']} != {ops}")
            custom = any(g in controllers for g in r["apiGroups"])
            check(r["apiVersions"] == (["*"] if custom else ["v1"]), f"apiVersions {r['apiVersions']}")
            check(r.get("scope") == "Namespaced", f"scope {r.get('scope')}")
            for g in r["apiGroups"]:
                seen.setdefault(g, set()).update(r["resources"])
        want = {g: set(v) for g, v in WORKLOAD_RESOURCES.items()}
        want[""].add("pods/ephemeralcontainers")
        want.update({g: set(v) for g, v in controllers.items()})
        check(seen == want, f"rules resources {seen} != {want}")

    def rbac_grants(docs):
        granted = {}
        for r in one(docs, "ClusterRole")["rules"]:
            check(r["verbs"] == ["get", "list", "watch"], f"verbs {r['verbs']}")
            check("resourceNames" not in r and "nonResourceURLs" not in r, "extra rule fields")
            for g in r["apiGroups"]:
                granted.setdefault(g, set()).update(r["resources"])
        return granted

    def pod_controllers():
        """scoregate's pod controllers and config.podControllers (one new, one replacing Argo's) in both
        webhooks' rules, the RBAC and the settings file."""
        given = [{"apiVersion": "serving.knative.dev/v1", "kind": "Service", "podTemplate": "spec.template"},
                 {"apiVersion": "argoproj.io/v1beta1", "kind": "Rollout", "podTemplate": "spec.pod",
                  "resource": "argorollouts"}]
        values = os.path.join(t.tmp, "pod-controllers.yaml")
        with open(values, "w") as f:
            json.dump({"config": {"podControllers": given,
                                  "recommendations": {"privileged-containers": {"action": "enforce"}}}}, f)
        docs = t.render(files=[values])
        want = {g: set(v) for g, v in POD_CONTROLLER_RESOURCES.items()}
        want.update({"serving.knative.dev": {"services"}, "argoproj.io": {"argorollouts"}})
        rules_cover(one(docs, "ValidatingWebhookConfiguration")["webhooks"][0], ["CREATE", "UPDATE", "DELETE"], want)
        rules_cover(one(docs, "MutatingWebhookConfiguration")["webhooks"][0], ["CREATE", "UPDATE"], want)
        granted = rbac_grants(docs)
        check(granted == {**WORKLOAD_RESOURCES, **want}, f"RBAC resources {granted}")
        check(settings_of(docs)[0]["podControllers"] == given, "config.podControllers reaches the settings file")

    def validating_rules():
        rules_cover(one(default_docs(), "ValidatingWebhookConfiguration")["webhooks"][0],
                    ["CREATE", "UPDATE", "DELETE"])

    def namespace_selector():
        wh = one(default_docs(), "ValidatingWebhookConfiguration")["webhooks"][0]
        names = ns_not_in(wh)
        check({"kube-system", NS} <= names, f"NotIn {names} lacks kube-system or {NS}")
        other = t.render(ns="platform-security", sets=["config.excludedNamespaces={team-a}"])
        names = ns_not_in(one(other, "ValidatingWebhookConfiguration")["webhooks"][0])
        check({"kube-system", "platform-security", "team-a"} <= names, f"NotIn {names}")
        settings, _ = settings_of(other)
        check(settings["excludedNamespaces"] == ["team-a", "platform-security"],
              f"settings excludedNamespaces {settings['excludedNamespaces']}")

    def ca_bundle_helm():
        docs = default_docs()
        vwc = one(docs, "ValidatingWebhookConfiguration")
        bundle = vwc["webhooks"][0]["clientConfig"].get("caBundle", "")
        check(bundle, "caBundle is missing or empty")
        pem = b64pem(bundle)
        check("-----BEGIN CERTIFICATE-----" in pem, "caBundle is not a PEM certificate")
        sec = one(docs, "Secret")
        check(sec["type"] == "kubernetes.io/tls", f"Secret type {sec['type']}")
        check(set(sec["data"]) == {"ca.crt", "tls.crt", "tls.key"}, f"Secret keys {set(sec['data'])}")
        check(sec["data"]["ca.crt"] == bundle, "caBundle differs from the Secret's ca.crt")
        vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
        check(vols["tls"]["secret"]["secretName"] == sec["metadata"]["name"], "pods do not mount the TLS Secret")
        # The serving certificate chains to the CA and names the Service.
        d = os.path.join(t.tmp, "certs")
        os.makedirs(d, exist_ok=True)
        for k in ("ca.crt", "tls.crt", "tls.key"):
            with open(os.path.join(d, k), "w") as f:
                f.write(b64pem(sec["data"][k]))
        r = openssl(["verify", "-CAfile", os.path.join(d, "ca.crt"), os.path.join(d, "tls.crt")])
        check(r.returncode == 0, f"openssl verify: {r.stdout}{r.stderr}")
        r = openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", os.path.join(d, "tls.crt")])
        sans = set(re.findall(r"DNS:([^,\s]+)", r.stdout))
        for name in (f"{FULLNAME}.{NS}.svc", f"{FULLNAME}.{NS}.svc.cluster.local", FULLNAME):
            check(name in sans, f"SAN {name} missing: {sorted(sans)}")
        pub_cert = openssl(["x509", "-noout", "-pubkey", "-in", os.path.join(d, "tls.crt")]).stdout
        pub_key = openssl(["pkey", "-pubout", "-in", os.path.join(d, "tls.key")]).stdout
        check(pub_cert and pub_cert == pub_key, "tls.key does not match tls.crt")
        r = openssl(["x509", "-noout", "-checkend", str(5 * 365 * 86400), "-in", os.path.join(d, "tls.crt")])
        check(r.returncode == 0, "serving certificate expires within 5 years")

    def helm_reuses_secret():
        old = {"ca.crt": "T0xEQ0E=", "tls.crt": "T0xEQ1JU", "tls.key": "T0xES0VZ"}
        docs = t.render_with_secret(old, sets=["config.defaults.action=enforce"])
        check(one(docs, "Secret")["data"] == old, "existing Secret not reused on upgrade")
        for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            check(one(docs, kind)["webhooks"][0]["clientConfig"]["caBundle"] == old["ca.crt"],
                  f"{kind} caBundle is not the existing ca.crt")
        for label, data, sets in (("renew=true", old, ["certificates.helm.renew=true"]),
                                  ("incomplete Secret", {"tls.crt": "T0xEQ1JU", "tls.key": "T0xES0VZ"}, [])):
            docs = t.render_with_secret(data, sets=sets)
            sec = one(docs, "Secret")["data"]
            check(sec["ca.crt"] != old["ca.crt"] and "BEGIN CERTIFICATE" in b64pem(sec["ca.crt"]),
                  f"{label}: certificates not regenerated")
            check(one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["caBundle"]
                  == sec["ca.crt"], f"{label}: caBundle differs from the new ca.crt")

    def no_mutating_by_default():
        check(not objs(default_docs(), "MutatingWebhookConfiguration"),
              "MutatingWebhookConfiguration rendered without any enforce action")
        for s in ["config.recommendations.privileged-containers.action=deny",
                  "config.defaults.action=audit"]:
            check(not objs(t.render(sets=[s]), "MutatingWebhookConfiguration"), f"mutating rendered with {s}")

    def mutating_when_enforce():
        docs = enforce_docs()
        mwc = one(docs, "MutatingWebhookConfiguration")
        vwc = one(docs, "ValidatingWebhookConfiguration")
        wh = mwc["webhooks"][0]
        ref = wh["clientConfig"]["service"]
        check(ref["name"] == FULLNAME and ref["namespace"] == NS and ref["path"] == "/mutate"
              and ref["port"] == 443, f"mutating clientConfig {ref}")
        check(wh["clientConfig"].get("caBundle") == vwc["webhooks"][0]["clientConfig"]["caBundle"],
              "mutating caBundle differs from validating caBundle")
        check(wh["failurePolicy"] == "Ignore", f"mutating failurePolicy {wh['failurePolicy']}")
        check(wh["sideEffects"] == "None" and wh["admissionReviewVersions"] == ["v1"], "sideEffects/versions")
        check(wh["reinvocationPolicy"] == "IfNeeded", f"reinvocationPolicy {wh.get('reinvocationPolicy')}")
        check({"kube-system", NS} <= ns_not_in(wh), "mutating namespaceSelector")
        rules_cover(wh, ["CREATE", "UPDATE"])
        check(one(t.render(sets=["config.defaults.action=enforce"]), "MutatingWebhookConfiguration"),
              "defaults.action=enforce renders the mutating webhook")

    def failure_policy_and_conditions():
        docs = t.render(sets=["webhook.validating.failurePolicy=Ignore", "webhook.timeoutSeconds=3",
                              "config.defaults.action=enforce", "webhook.mutating.failurePolicy=Fail",
                              "webhook.matchConditions[0].name=skip-nodes"],
                     set_strings=["webhook.matchConditions[0].expression=true"])
        v = one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]
        m = one(docs, "MutatingWebhookConfiguration")["webhooks"][0]
        check(v["failurePolicy"] == "Ignore" and m["failurePolicy"] == "Fail", "failurePolicy not configurable")
        check(v["timeoutSeconds"] == 3 and m["timeoutSeconds"] == 3, "timeoutSeconds not configurable")
        want = [{"name": "skip-nodes", "expression": "true"}]
        check(v.get("matchConditions") == want and m.get("matchConditions") == want,
              f"matchConditions {v.get('matchConditions')} / {m.get('matchConditions')}")

    def checksum_rolls():
        a = checksum(default_docs())
        check(re.fullmatch(r"[0-9a-f]{64}", a), f"checksum/config {a!r}")
        check(checksum(t.render()) == a, "checksum changes between two renders of the same config")
        for s in ["config.recommendations.privileged-containers.action=deny",
                  "config.standards={mcsb,pss-restricted}", "config.scoreGate.minScore=70"]:
            check(checksum(t.render(sets=[s])) != a, f"checksum unchanged after --set {s}")
        check(checksum(t.render(sets=["replicaCount=3"])) == a, "checksum changed though the config did not")

    def settings_file():
        docs = default_docs()
        settings, _ = settings_of(docs)
        check(set(settings) <= SETTINGS_KEYS, f"unknown settings keys {set(settings) - SETTINGS_KEYS}")
        check(settings["standards"] == ["mcsb"], f"standards {settings['standards']}")
        check(settings["defaults"] == {"action": "warn"}, f"defaults {settings['defaults']}")
        check(settings["excludedNamespaces"] == ["kube-system", NS], f"excluded {settings['excludedNamespaces']}")
        spec = pod_spec(docs)
        c = spec["containers"][0]
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        vols = {v["name"]: v for v in spec["volumes"]}
        srv = settings["server"]
        check(set(srv) == {"address", "stateDir", "tls", "inventorySync", "dashboard", "history"} and
              srv["address"] == ":8443" and srv["inventorySync"] == {"enabled": True}, f"server {srv}")
        check(srv["dashboard"] == {"address": "127.0.0.1:8080"}, f"server.dashboard {srv['dashboard']}")
        check(srv["history"] == {"namespace": NS, "name": f"{FULLNAME}-history"}, f"server.history {srv['history']}")
        off = settings_of(t.render(sets=["dashboard.enabled=false"]))[0]["server"]
        check(off["dashboard"] == {"address": ""}, f"dashboard.enabled=false: {off['dashboard']}")
        moved = settings_of(t.render(sets=["dashboard.port=9090"]))[0]["server"]
        check(moved["dashboard"] == {"address": "127.0.0.1:9090"}, f"dashboard.port: {moved['dashboard']}")
        check("emptyDir" in vols["state"] and mounts["state"]["mountPath"] == srv["stateDir"]
              and not mounts["state"].get("readOnly"), f"stateDir {srv['stateDir']} is not the emptyDir mount")
        tls_dir = mounts["tls"]["mountPath"]
        items = {i["path"] for i in vols["tls"]["secret"]["items"]}
        check(set(srv["tls"]) == {"certFile", "keyFile"}, f"server.tls {srv['tls']}")
        for key, fname in (("certFile", "tls.crt"), ("keyFile", "tls.key")):
            check(srv["tls"][key] == f"{tls_dir}/{fname}" and fname in items, f"server.tls.{key} {srv['tls'][key]}")
        check(c["args"] == ["serve", "-c", mounts["config"]["mountPath"] + "/config.yaml"], f"args {c['args']}")
        check(vols["config"]["configMap"]["name"] == FULLNAME and
              any(c["metadata"]["name"] == FULLNAME and "config.yaml" in c["data"] for c in objs(docs, "ConfigMap")),
              "config volume is not the settings ConfigMap")

    def settings_full():
        docs = t.render(files=[os.path.join(HERE, "values-full.yaml")])
        settings, _ = settings_of(docs)
        check(set(settings) == SETTINGS_KEYS - {"custom"}, f"keys {sorted(settings)}")
        check(settings["recommendations"]["trusted-registries"]["parameters"]["allowedImagesRegex"]
              == r"^registry\.example\.com/.+$", "regex parameter changed in rendering")
        check(settings["exemptions"][0]["expires"] == "2027-03-31T00:00:00Z", "expires changed")
        check(settings["scoreGate"] == {"minScore": 70, "maxDrop": 2}, f"scoreGate {settings['scoreGate']}")
        check(settings["excludedNamespaces"] == ["kube-system", "gatekeeper-system", NS],
              f"excluded {settings['excludedNamespaces']}")
        check(objs(docs, "MutatingWebhookConfiguration"), "values-full has an enforce action")
        check(objs(docs, "ServiceMonitor"), "values-full enables the ServiceMonitor")

    def pod_hardening():
        docs = default_docs()
        dep = one(docs, "Deployment")
        check(dep["spec"]["replicas"] == 2, f"replicas {dep['spec']['replicas']}")
        spec = pod_spec(docs)
        psc = spec["securityContext"]
        check(psc.get("runAsNonRoot") is True, "pod runAsNonRoot")
        for k in ("runAsUser", "runAsGroup", "fsGroup"):
            check(isinstance(psc.get(k), int) and psc[k] > 0, f"pod {k} {psc.get(k)!r} is not a numeric non-root id")
        check(psc.get("seccompProfile") == {"type": "RuntimeDefault"}, f"seccomp {psc.get('seccompProfile')}")
        check(psc.get("appArmorProfile") == {"type": "RuntimeDefault"}, f"appArmor {psc.get('appArmorProfile')}")
        check(spec["automountServiceAccountToken"] is False, "automountServiceAccountToken")
        check("hostNetwork" not in spec and "hostPID" not in spec and "hostIPC" not in spec, "host namespaces")
        check(len(spec["containers"]) == 1 and not spec.get("initContainers"), "one container")
        c = spec["containers"][0]
        sc = c["securityContext"]
        check(sc["allowPrivilegeEscalation"] is False, "allowPrivilegeEscalation")
        check(sc["readOnlyRootFilesystem"] is True, "readOnlyRootFilesystem")
        check(sc["capabilities"] == {"drop": ["ALL"]}, f"capabilities {sc['capabilities']}")
        check(sc.get("privileged") in (None, False), "privileged")
        for kind in ("requests", "limits"):
            check({"cpu", "memory"} <= set(c["resources"][kind]), f"resources.{kind} {c['resources'][kind]}")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            g = c[probe]["httpGet"]
            check(g["path"] == path and g["scheme"] == "HTTPS" and g["port"] in ("https", 8443), f"{probe} {g}")
        check(dep["spec"]["template"]["metadata"]["annotations"].get("checksum/config"), "checksum annotation")

    def scheduling():
        docs = default_docs()
        spec = pod_spec(docs)
        sel = one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
        terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        check(terms[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == sel, "anti-affinity selector")
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        check({"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, f"spread keys {keys}")
        check("priorityClassName" not in spec, "priorityClassName rendered although empty")
        pdb = one(docs, "PodDisruptionBudget")
        check(pdb["spec"]["selector"]["matchLabels"] == sel and pdb["spec"]["maxUnavailable"] == 1, f"PDB {pdb['spec']}")
        spec2 = pod_spec(t.render(sets=["priorityClassName=system-cluster-critical"]))
        check(spec2.get("priorityClassName") == "system-cluster-critical", "priorityClassName not configurable")
        check(not objs(t.render(sets=["podDisruptionBudget.enabled=false"]), "PodDisruptionBudget"), "PDB toggle")

    def inventory_sync():
        docs = default_docs()
        spec = pod_spec(docs)
        check(spec["automountServiceAccountToken"] is False, "automount must stay false with inventorySync")
        vols = {v["name"]: v for v in spec["volumes"]}
        src = vols["kube-api-access"]["projected"]["sources"]
        check(any("serviceAccountToken" in s for s in src), "projected token source")
        mounts = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
        m = mounts.get("/var/run/secrets/kubernetes.io/serviceaccount")
        check(m and m["name"] == "kube-api-access" and m["readOnly"] is True, "token mount")
        sa = one(docs, "ServiceAccount")
        check(sa["automountServiceAccountToken"] is False, "ServiceAccount automount")
        check(spec["serviceAccountName"] == sa["metadata"]["name"], "serviceAccountName")
        role = one(docs, "ClusterRole")
        granted = rbac_grants(docs)
        check(granted == {**WORKLOAD_RESOURCES, **POD_CONTROLLER_RESOURCES},
              f"RBAC resources {granted} != {WORKLOAD_RESOURCES} and {POD_CONTROLLER_RESOURCES}")
        crb = one(docs, "ClusterRoleBinding")
        check(crb["roleRef"]["name"] == role["metadata"]["name"], "binding roleRef")
        check(crb["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": NS}],
              f"binding subjects {crb['subjects']}")
        check(settings_of(docs)[0]["server"].get("inventorySync") == {"enabled": True},
              "the settings file enables server.inventorySync")
        history = f"{FULLNAME}-history"
        role = one(docs, "Role")
        want = [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [history], "verbs": ["get", "update"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [history],
                 "verbs": ["get", "update"]}]
        check(role["rules"] == want and role["metadata"]["namespace"] == NS,
              f"the history Role allows exactly its ConfigMap and Lease: {role['rules']}")
        rb = one(docs, "RoleBinding")
        check(rb["roleRef"]["name"] == role["metadata"]["name"] and rb["subjects"] ==
              [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": NS}], f"RoleBinding {rb}")
        cm = [c for c in objs(docs, "ConfigMap") if c["metadata"]["name"] == history]
        lease = one(docs, "Lease")
        check(len(cm) == 1 and "data" not in cm[0] and lease["metadata"]["name"] == history and
              lease["apiVersion"] == "coordination.k8s.io/v1", "the chart makes the history ConfigMap and Lease, empty")
        off = t.render(sets=["inventorySync.enabled=false"])
        check("inventorySync" not in settings_of(off)[0]["server"], "server.inventorySync without inventorySync")
        check("history" not in settings_of(off)[0]["server"], "server.history without inventorySync")
        check(not objs(off, "ClusterRole") and not objs(off, "ClusterRoleBinding") and not objs(off, "Role") and
              not objs(off, "RoleBinding") and not objs(off, "Lease"), "RBAC and the Lease without inventorySync")
        spec = pod_spec(off)
        check(spec["automountServiceAccountToken"] is False and
              all("projected" not in v for v in spec["volumes"]), "token mounted without inventorySync")

    def network_policy():
        docs = default_docs()
        np_ = one(docs, "NetworkPolicy")["spec"]
        check(np_["podSelector"]["matchLabels"] == one(docs, "Deployment")["spec"]["selector"]["matchLabels"],
              "NetworkPolicy selector")
        check(sorted(np_["policyTypes"]) == ["Egress", "Ingress"], f"policyTypes {np_['policyTypes']}")
        check(len(np_["ingress"]) == 1 and np_["ingress"][0]["ports"] == [{"port": 8443, "protocol": "TCP"}],
              f"ingress {np_['ingress']}")
        eg_ports = [p["port"] for e in np_["egress"] for p in e["ports"]]
        check(53 in eg_ports and 443 in eg_ports and 6443 in eg_ports, f"egress ports {eg_ports}")
        off = one(t.render(sets=["inventorySync.enabled=false"]), "NetworkPolicy")["spec"]
        check([p["port"] for e in off["egress"] for p in e["ports"]] == [53, 53], "API egress without inventorySync")

    def cert_manager():
        docs = t.render(sets=["certificates.mode=certManager", "config.defaults.action=enforce"])
        check(not objs(docs, "Secret"), "certManager mode renders no Secret")
        issuers = objs(docs, "Issuer")
        certs = {c["metadata"]["name"]: c for c in objs(docs, "Certificate")}
        check(len(issuers) == 2 and len(certs) == 2, "two Issuers and two Certificates")
        serving = certs[f"{FULLNAME}-serving"]["spec"]
        check(f"{FULLNAME}.{NS}.svc" in serving["dnsNames"], f"dnsNames {serving['dnsNames']}")
        check(serving["issuerRef"]["name"] in {i["metadata"]["name"] for i in issuers}, "issuerRef")
        check(certs[f"{FULLNAME}-ca"]["spec"]["isCA"] is True, "CA certificate")
        vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
        check(vols["tls"]["secret"]["secretName"] == serving["secretName"], "pods mount the cert-manager Secret")
        for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            o = one(docs, kind)
            ann = o["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
            check(ann == f"{NS}/{FULLNAME}-serving", f"{kind} inject-ca-from {ann}")
            check("caBundle" not in o["webhooks"][0]["clientConfig"], f"{kind} has a caBundle")

    def existing_secret():
        pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        for given, want in ((pem, base64.b64encode(pem.encode()).decode()), ("Zm9vYmFy", "Zm9vYmFy")):
            docs = t.render(sets=["certificates.mode=existingSecret", "certificates.existingSecret.name=corp-tls",
                                  "config.defaults.action=enforce"],
                            set_strings=[f"certificates.existingSecret.caBundle={given}"])
            check(not objs(docs, "Secret") and not objs(docs, "Certificate"), "existingSecret renders no Secret")
            vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
            check(vols["tls"]["secret"]["secretName"] == "corp-tls", "pods mount the existing Secret")
            for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
                got = one(docs, kind)["webhooks"][0]["clientConfig"].get("caBundle")
                check(got == want, f"{kind} caBundle {got!r} != {want!r}")
        r = t.helm_cmd(["template", RELEASE, t.chart, "-n", NS, "--set", "certificates.mode=existingSecret",
                        "--set", "certificates.existingSecret.caBundle=Zm9v"])
        check(r.returncode != 0, "existingSecret without a name renders")

    def service_monitor():
        check(not objs(default_docs(), "ServiceMonitor"), "ServiceMonitor rendered by default")
        sm = one(t.render(sets=["metrics.serviceMonitor.enabled=true"]), "ServiceMonitor")
        ep = sm["spec"]["endpoints"][0]
        check(ep["port"] == "https" and ep["scheme"] == "https" and ep["path"] == "/metrics", f"endpoint {ep}")
        check(ep["tlsConfig"]["ca"]["secret"] == {"name": f"{FULLNAME}-tls", "key": "ca.crt"}, "scrape CA")

    def notes():
        out = t.notes()
        for want in ("kubectl get validatingwebhookconfiguration", "--dry-run=server", "privileged",
                     "port-forward", "/metrics", "scoregate_secure_score_percent",
                     f"port-forward deployment/{FULLNAME} 8080:8080", "http://127.0.0.1:8080/"):
            check(want in out, f"NOTES.txt lacks {want!r}")
        check("8080" not in t.notes(sets=["dashboard.enabled=false"]), "NOTES.txt names the dashboard when it is off")

    for name, fn in [
        ("template: default objects", kinds_default),
        ("template: namespaced objects carry the release namespace", namespaces),
        ("template: validating webhook -> Service /validate on 443 -> 8443", validating_points_at_service),
        ("template: validating webhook fields (sideEffects, v1, timeout 5, Fail)", validating_fields),
        ("template: validating rules cover every scored kind, CREATE/UPDATE/DELETE", validating_rules),
        ("template: pod controllers (built in and config.podControllers) in rules, RBAC and settings",
         pod_controllers),
        ("template: namespaceSelector excludes kube-system, release and configured namespaces", namespace_selector),
        ("template: helm mode caBundle present, equals ca.crt, signs the serving cert", ca_bundle_helm),
        ("template: helm mode reuses an existing Secret on upgrade (lookup stubbed)", helm_reuses_secret),
        ("template: no MutatingWebhookConfiguration without enforce", no_mutating_by_default),
        ("template: MutatingWebhookConfiguration with enforce -> /mutate", mutating_when_enforce),
        ("template: failurePolicy, timeoutSeconds, matchConditions configurable", failure_policy_and_conditions),
        ("template: checksum/config changes exactly when the config changes", checksum_rolls),
        ("template: settings file has only known keys; server from the chart", settings_file),
        ("template: values-full config renders 1:1", settings_full),
        ("template: hardened pod", pod_hardening),
        ("template: HA scheduling (anti-affinity, spread, PDB, priorityClassName)", scheduling),
        ("template: inventorySync token via projected volume, RBAC read-only on scored kinds", inventory_sync),
        ("template: NetworkPolicy", network_policy),
        ("template: certManager mode", cert_manager),
        ("template: existingSecret mode", existing_secret),
        ("template: ServiceMonitor", service_monitor),
        ("template: NOTES.txt", notes),
    ]:
        t.run(name, fn)


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
            check(r.returncode in (0, 1),
                  f"scoregate scan -c <chart config> exited {r.returncode}: {(r.stderr or r.stdout).strip()[:600]}")
        return fn

    def builtin_controllers():
        t.need_scoregate()
        r = subprocess.run([t.scoregate, "catalog", "-f", "json"], capture_output=True, text=True, timeout=60)
        got = {}
        for pc in json.loads(r.stdout)["podControllers"]:
            got.setdefault(pc["apiVersion"].split("/")[0], set()).add(pc["resource"])
        check(got == POD_CONTROLLER_RESOURCES, f"scoregate's pod controllers {got} != the chart's")

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
            check(r.returncode == 0, f"scan exited {r.returncode}: {(r.stderr or r.stdout).strip()[:600]}")
            rep = json.loads(r.stdout)
            bad = [(res["kind"], res["name"], f["recommendation"], f.get("container"), f.get("message"))
                   for res in rep["resources"] for f in res["findings"] if f["status"] == "unhealthy"]
            check(not bad, f"unhealthy findings: {bad}")
            check(rep["score"]["percent"] == 100, f"score {rep['score']['percent']} is not 100")
            dep = [res for res in rep["resources"] if res["kind"] == "Deployment"]
            check(dep and dep[0]["findings"], "the Deployment was not evaluated")
            stds = {f["standard"] for f in dep[0]["findings"]}
            check("mcsb" in stds and stds & {"pss-baseline", "pss-restricted"},
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
    if not os.access(a.helm, os.X_OK):
        print(f"FAIL - helm not found at {a.helm} (run scripts/deps)")
        print("0 passed, 1 failed")
        return 1
    t = Runner(a.helm, os.path.abspath(a.chart), a.scoregate)
    try:
        for g in a.group or list(GROUPS):
            GROUPS[g](t)
    finally:
        t.close()
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
