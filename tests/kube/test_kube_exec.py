#!/usr/bin/env python3
"""test_kube_exec.py - kubeconfigs of managed clusters: credential plugins and auth-providers.

Drives the real `scoregate` binary (`score --kubeconfig` and `serve` with inventory sync) against
fake_apiserver.py, a TEST DOUBLE of the API server, with exec_plugin.py as the client-go
credential plugin (client.authentication.k8s.io v1 and v1beta1), as AKS (kubelogin), EKS
(aws eks get-token) and GKE (gke-gcloud-auth-plugin) kubeconfigs use one.

Checks: the plugin's token authenticates and one run serves every list; args and env reach it;
KUBERNETES_EXEC_INFO (apiVersion, interactive, and spec.cluster with the CA and the cluster's
exec extension only under provideClusterInfo); standard input only in interactive mode
(Never, IfAvailable and Always with and without a terminal); an answer of another apiVersion;
an expired credential (the plugin runs again before each request); a client certificate from the
plugin; a failing plugin (its standard error in the message); a missing command (installHint in
the message); a rejected token (401); tokenFile and client certificate files;
insecure-skip-tls-verify warns; the oidc auth-provider's
id-token (valid and expired) and the gcp provider's message; and the sync of `serve`: the double
starts refusing the token mid-watch, the plugin runs again exactly once and the sync goes on; a
plugin that starts failing is logged with its standard error and recovered from.
Usage: test_kube_exec.py SCOREGATE_BINARY SOURCE_DIR. Loopback only; bounded time.
"""
import base64
import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import time

BIN, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "webhook"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402
import fake_apiserver as fa  # noqa: E402
import kubelib as kl  # noqa: E402
from kubelib import deployment, metric, wait_for  # noqa: E402

tmp = tempfile.mkdtemp(prefix="sg-kube-exec-")
kl.setup(BIN, tmp)
PLUGIN = os.path.join(HERE, "exec_plugin.py")
V1, V1BETA1 = "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"


def jwt(exp):
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'RS256'})}.{part({'iss': 'https://idp.example', 'exp': exp})}.c2ln"


class Plugin:
    """One kubeconfig whose user runs exec_plugin.py, its control file and its run log."""

    def __init__(self, name, control, api=V1, mode="Never", provide=False, hint=None, command=PLUGIN,
                 extension=None, cluster=None):
        self.control, self.log = os.path.join(tmp, name + ".control"), os.path.join(tmp, name + ".log")
        self.set(**control)
        ex = {"apiVersion": api, "command": command, "args": ["--log", self.log, "--mark", "a b"],
              "env": [{"name": "PLUGIN_CONTROL", "value": self.control}, {"name": "PLUGIN_MARK", "value": "x=y z"}]}
        if mode:
            ex["interactiveMode"] = mode
        if provide:
            ex["provideClusterInfo"] = True
        if hint:
            ex["installHint"] = hint
        extra = dict(cluster or {})
        if extension is not None:
            extra["extensions"] = [{"name": "client.authentication.k8s.io/exec", "extension": extension}]
        self.kc = fa.kubeconfig(os.path.join(tmp, name + ".kubeconfig"), fake.url, ca_file=CA,
                                extra_user={"exec": ex}, extra_cluster=extra)

    def set(self, **control):
        with open(self.control + ".new", "w") as f:
            json.dump(control, f)
        os.replace(self.control + ".new", self.control)

    def runs(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(x) for x in f]


def score(kc, tty=False):
    """`scoregate score --kubeconfig kc`: (exit status, stdout, stderr); under a terminal when tty."""
    if not tty:
        p = subprocess.run([BIN, "score", "--kubeconfig", kc], capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "score", "--kubeconfig", kc], stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    os.close(slave)
    out, err = p.communicate(timeout=120)
    os.close(master)
    return p.returncode, out, err


def percent(out):
    m = re.search(r"Secure score: ([0-9.]+)%", out)
    return m and m.group(1)


def exec_v1():
    rc, out, err = score(fa.kubeconfig(os.path.join(tmp, "token.kubeconfig"), fake.url, ca_file=CA, token="tok-1"))
    want = percent(out)
    check("oracle: the token kubeconfig scores the double", rc == 0 and want, err)
    n_lists = len(fake.requests())

    p = Plugin("v1", {"token": "tok-{n}", "expires_in": 3600})
    rc, out, err = score(p.kc)
    runs = p.runs()
    check("exec v1: score lists the cluster with the plugin's token", rc == 0 and percent(out) == want, err[-600:])
    check("exec v1: one run serves every list (cached until expirationTimestamp)",
          len(runs) == 1 and len(fake.requests()) - n_lists >= 13, f"{len(runs)} runs")
    r = runs[0] if runs else {}
    check("exec: args reach the plugin", r.get("argv") == ["--log", p.log, "--mark", "a b"], r.get("argv"))
    check("exec: env reaches the plugin", r.get("env") == {"PLUGIN_CONTROL": p.control, "PLUGIN_MARK": "x=y z"},
          r.get("env"))
    info = r.get("info") or {}
    check("exec: KUBERNETES_EXEC_INFO is an ExecCredential of the configured apiVersion, without cluster",
          info.get("kind") == "ExecCredential" and info.get("apiVersion") == V1
          and info.get("spec") == {"interactive": False}, info)
    check("exec: interactiveMode Never gives no standard input", r.get("stdin") == "/dev/null", r.get("stdin"))
    return want


def exec_cluster_info_and_modes():
    with open(CA, "rb") as f:
        ca_b64 = base64.b64encode(f.read()).decode()
    p = Plugin("provide", {"token": "tok-1"}, provide=True, extension={"audience": "sg-test", "n": [1]},
               cluster={"tls-server-name": "localhost"})
    rc, out, err = score(p.kc)
    cl = ((p.runs() or [{}])[0].get("info") or {}).get("spec", {}).get("cluster")
    check("provideClusterInfo: spec.cluster has server, CA data, tls-server-name and the exec extension as config",
          rc == 0 and cl == {"server": fake.url, "certificate-authority-data": ca_b64, "tls-server-name": "localhost",
                             "config": {"audience": "sg-test", "n": [1]}}, f"{cl} {err[-300:]}")

    p = Plugin("beta", {"token": "tok-1"}, api=V1BETA1, mode=None)
    rc, out, err = score(p.kc)
    info = (p.runs() or [{}])[0].get("info") or {}
    check("exec v1beta1 (interactiveMode IfAvailable by default) without a terminal: not interactive",
          rc == 0 and info.get("apiVersion") == V1BETA1 and info.get("spec") == {"interactive": False}, err[-300:])
    rc, out, err = score(p.kc, tty=True)
    r = p.runs()[-1]
    check("exec IfAvailable with a terminal: interactive, standard input passed",
          rc == 0 and r["info"]["spec"]["interactive"] is True and r["stdin_tty"], f"{r} {err[-300:]}")
    p = Plugin("never-tty", {"token": "tok-1"})
    rc, out, err = score(p.kc, tty=True)
    r = (p.runs() or [{}])[-1]
    check("exec Never with a terminal: still no standard input",
          rc == 0 and r.get("stdin") == "/dev/null" and r["info"]["spec"]["interactive"] is False, r)
    p = Plugin("always", {"token": "tok-1"}, mode="Always")
    rc, out, err = score(p.kc)
    check("exec Always without a terminal: an error, the plugin is not run",
          rc == 2 and "standard input is not a terminal" in err and not p.runs(), err)
    rc, out, err = score(p.kc, tty=True)
    check("exec Always with a terminal: runs interactively",
          rc == 0 and p.runs() and p.runs()[-1]["info"]["spec"]["interactive"] is True, err[-300:])


def exec_answers(want):
    p = Plugin("version", {"token": "tok-1", "apiVersion": V1BETA1})
    rc, out, err = score(p.kc)
    check("exec: an answer of another apiVersion is refused",
          rc == 2 and f"configured to use API version {V1}, plugin returned version {V1BETA1}" in err, err)

    p = Plugin("expired", {"token": "tok-1", "expires_in": -60})
    n = len(fake.requests())
    rc, out, err = score(p.kc)
    check("expired credential: used once, and the plugin runs again before every request",
          rc == 0 and len(p.runs()) == len(fake.requests()) - n >= 13, f"{len(p.runs())} runs, {err[-300:]}")

    p = Plugin("cert", {"cert": os.path.join(PKI, "client.crt"), "key": os.path.join(PKI, "client.key")})
    rc, out, err = score(p.kc)
    check("exec: a client certificate and key from the plugin authenticate", rc == 0 and percent(out) == want,
          err[-600:])

    p = Plugin("failing", {"exit": 3, "stderr": "error: the SSO session has expired\nrun: aws sso login\n"})
    rc, out, err = score(p.kc)
    check("failing plugin: exit 2, the exit code and its standard error in the message, naming the user",
          rc == 2 and "failed with exit code 3" in err and "the SSO session has expired; run: aws sso login" in err
          and "user 'tester'" in err, err)
    p = Plugin("missing", {"token": "x"}, command="sg-no-such-credential-plugin",
               hint="Install it with: apt-get install sg-credential-plugin")
    rc, out, err = score(p.kc)
    check("missing command: exit 2, 'not found' and the installHint",
          rc == 2 and "executable sg-no-such-credential-plugin not found" in err
          and "Install it with: apt-get install sg-credential-plugin" in err, err)
    p = Plugin("garbage", {"token": "tok-1", "stderr": "warning: cache miss"})
    with open(p.control, "w") as f:
        f.write("{")
    rc, out, err = score(p.kc)
    check("plugin that crashes (a Python traceback): its exit code and the end of its standard error",
          rc == 2 and "failed with exit code 1" in err and "JSONDecodeError" in err, err)
    p = Plugin("rejected", {"token": "not-accepted"})
    rc, out, err = score(p.kc)
    check("a token the API server rejects: exit 2 naming 401", rc == 2 and "401 Unauthorized" in err, err)


def score_tests():
    want = exec_v1()
    exec_cluster_info_and_modes()
    exec_answers(want)


def other_user_tests():
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write("tok-1\n")
    kc = fa.kubeconfig(os.path.join(tmp, "files.kubeconfig"), fake.url, ca_file=CA, token_file=token_file)
    rc, out, err = score(kc)
    check("tokenFile: score authenticates with the file's token", rc == 0 and percent(out), err)
    kc = fa.kubeconfig(os.path.join(tmp, "certfiles.kubeconfig"), fake.url, ca_file=CA,
                       cert=os.path.join(PKI, "client.crt"), key=os.path.join(PKI, "client.key"))
    rc, out, err = score(kc)
    check("client-certificate and client-key files: score authenticates with them", rc == 0 and percent(out), err)
    insecure = fa.kubeconfig(os.path.join(tmp, "insecure.kubeconfig"), fake.url, insecure=True, token="tok-1")
    rc, out, err = score(insecure)
    check("insecure-skip-tls-verify: works, with a warning on standard error",
          rc == 0 and "warning: insecure-skip-tls-verify is set" in err, err)
    good, old = jwt(int(time.time()) + 3600), jwt(int(time.time()) - 60)
    fake.set_tokens(["tok-1", good, old])
    oidc = {"name": "oidc", "config": {"idp-issuer-url": "https://idp.example", "client-id": "kubernetes",
                                       "id-token": good, "refresh-token": "r"}}
    kc = fa.kubeconfig(os.path.join(tmp, "oidc.kubeconfig"), fake.url, ca_file=CA, extra_user={"auth-provider": oidc})
    rc, out, err = score(kc)
    check("oidc auth-provider: a valid id-token is the bearer token", rc == 0 and percent(out), err)
    oidc["config"]["id-token"] = old
    kc = fa.kubeconfig(os.path.join(tmp, "oidc-old.kubeconfig"), fake.url, ca_file=CA, extra_user={"auth-provider": oidc})
    rc, out, err = score(kc)
    check("oidc auth-provider: an expired id-token is an error saying so (no refresh at the IdP)",
          rc == 2 and "id-token expired at" in err and "does not refresh" in err, err)
    kc = fa.kubeconfig(os.path.join(tmp, "gcp.kubeconfig"), fake.url, ca_file=CA,
                       extra_user={"auth-provider": {"name": "gcp", "config": {"access-token": "x"}}})
    rc, out, err = score(kc)
    check("gcp auth-provider: an error naming gke-gcloud-auth-plugin", rc == 2 and "gke-gcloud-auth-plugin" in err, err)
    fake.set_tokens(["tok-1"])


def sync_tests():
    """`serve` with inventory sync through a plugin: rotation mid-watch, a failing plugin, recovery."""
    p = Plugin("sync", {"token": "tok-{n}"})
    s = kl.serve("serve", kl.settings("sync.yaml", p.kc))
    servers.append(s)

    def synced():
        return metric(s, "scoregate_inventory_synced") == 1

    def resources():
        return kl.score_of(s)[1]
    check("sync: synced through the plugin's token", wait_for("synced", synced, 60), s.log_text()[-2000:])
    check("sync: the plugin ran once for every kind's list and watch", len(p.runs()) == 1, len(p.runs()))
    before = resources()
    fake.set_tokens(["tok-2"])
    fake.drop_streams()
    fake.put(deployment("after-rotation"))
    check("rotation mid-watch: the double refuses the old token, the plugin runs again, the sync goes on",
          wait_for("rotated", lambda: resources() == before + 1 and synced(), 60), s.log_text()[-2000:])
    check("rotation mid-watch: the thirteen 401s ran the plugin once", len(p.runs()) == 2, len(p.runs()))
    p.set(exit=1, stderr="refresh token revoked by the administrator\n")
    fake.set_tokens(["tok-good"])
    fake.drop_streams()
    check("failing plugin in the sync: logged with its standard error, the sync reports it",
          wait_for("failure logged", lambda: "refresh token revoked by the administrator" in s.log_text()
                   and "failed with exit code 1" in s.log_text() and not synced(), 60), s.log_text()[-2000:])
    p.set(token="tok-good")
    fake.put(deployment("after-recovery"))
    check("failing plugin in the sync: recovers when the plugin works again",
          wait_for("recovered", lambda: synced() and resources() == before + 2, 90), s.log_text()[-2000:])
    rc = s.stop()
    log = s.log_text()
    check("sync: clean shutdown, sanitizer-clean, no token in the log",
          rc == 0 and kl.sanitizer_clean(s) and "tok-good" not in log and "tok-2" not in log, log[-2000:])


def stop_all():
    for s in servers:
        s.kill()
    fake.stop()


servers = []
PKI = os.path.join(tmp, "pki")
os.mkdir(PKI)
fa.make_pki(PKI)
CA = os.path.join(PKI, "ca.crt")
fake = fa.FakeAPIServer(PKI, tokens=["tok-1"], bookmark_interval=1.0).start()
for i in range(3):
    fake.put(deployment(f"web-{i}"))
fake.put({"kind": "Pod", "metadata": {"name": "debug", "namespace": "default"}, "spec": kl.POD_SPEC})
harness.run_sections({"score": score_tests, "other users": other_user_tests, "sync": sync_tests}, cleanup=stop_all)
