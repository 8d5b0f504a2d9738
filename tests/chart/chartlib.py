"""chartlib.py - what the Helm chart tests share (chart_test.py, chart_template.py): the probe
chart that lets Helm's own YAML parser read the rendered manifests (see chart_test.py), running
helm, and small readers of the rendered objects. A broken condition raises through require()
(tests/harness.py), which fails the one named case it is in.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import require  # noqa: E402

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




class Runner:
    def __init__(self, helm, chart, scoregate):
        self.helm = helm
        self.chart = chart
        self.scoregate = scoregate
        self.cache = {}
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
        require(text.count(call) == 1, f"webhook.yaml no longer contains exactly one `{call}`")
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
        require(r.returncode == 0, f"helm template (notes probe) failed: {r.stderr.strip()}")
        body = "\n".join(l for l in r.stdout.splitlines() if l.strip() not in ("---",) and not l.startswith("#"))
        return json.loads(body)["notes"]

    @staticmethod
    def run(name, fn, *args):
        harness.case(name, fn, *args)

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
        require(r.returncode == 0, f"helm template failed: {r.stderr.strip()}")
        return r.stdout

    def render(self, ns=NS, **kw):
        """The rendered objects as JSON (via the probe chart), cross-checked against helm template."""
        r = self.helm_cmd(["template", RELEASE, self.probe, "-n", ns] + self.value_args(**kw))
        require(r.returncode == 0, f"helm template (probe) failed: {r.stderr.strip()}")
        docs = []
        for chunk in re.split(r"(?m)^---\s*$", r.stdout):
            body = "\n".join(l for l in chunk.splitlines() if not l.startswith("#")).strip()
            if body:
                d = json.loads(body)
                require("Error" not in d["object"], f"fromYaml failed on {d['source']}: {d['object']}")
                docs.append(d)
        # Cross-check with the real rendering: the same kinds, in the same order per file.
        real = self.template_text(ns=ns, **kw)
        real_kinds = sorted(re.findall(r"(?m)^kind: (\S+)\s*$", real))
        probe_kinds = sorted(d["object"]["kind"] for d in docs)
        require(real_kinds == probe_kinds, f"probe kinds {probe_kinds} != helm template kinds {real_kinds}")
        return docs

    # ---- scoregate ---------------------------------------------------------------

    def need_scoregate(self):
        require(self.scoregate and os.access(self.scoregate, os.X_OK),
              f"scoregate binary not found: {self.scoregate!r}")


def objs(docs, kind=None):
    return [d["object"] for d in docs if kind is None or d["object"]["kind"] == kind]


def one(docs, kind):
    found = objs(docs, kind)
    require(len(found) == 1, f"expected exactly one {kind}, found {len(found)}")
    return found[0]


def settings_of(docs):
    for d in docs:
        if d["object"]["kind"] == "ConfigMap" and "config.yaml" in d["parsedData"]:
            parsed = d["parsedData"]["config.yaml"]
            require("Error" not in parsed, f"config.yaml does not parse: {parsed.get('Error')}")
            return parsed, d["object"]["data"]["config.yaml"]
    raise harness.Failure("no ConfigMap with config.yaml")


def pod_spec(docs):
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def checksum(docs):
    return one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]


def ns_not_in(webhook):
    exprs = webhook["namespaceSelector"]["matchExpressions"]
    names = [e for e in exprs if e["key"] == "kubernetes.io/metadata.name"]
    require(len(names) == 1 and names[0]["operator"] == "NotIn",
          f"namespaceSelector needs kubernetes.io/metadata.name NotIn: {exprs}")
    ignore = [e for e in exprs if e["key"] == "scoregate.io/ignore"]
    require(len(ignore) == 1 and ignore[0]["operator"] == "NotIn" and ignore[0]["values"] == ["true"],
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
