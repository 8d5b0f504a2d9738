#!/usr/bin/env python3
"""exec_plugin.py - a client-go credential plugin for test_kube_exec.py (a test fixture).

Speaks client.authentication.k8s.io as aws, gke-gcloud-auth-plugin or kubelogin do: reads
KUBERNETES_EXEC_INFO, prints an ExecCredential. What it answers comes from the JSON file named
by $PLUGIN_CONTROL (so the kubeconfig's env reaches it), and every run appends one JSON line to
the file after --log (so its args reach it): argv, the env it got, the ExecCredential it was
given, and what its standard input was.

Control keys: token ("{n}" becomes the run number), cert and key (PEM files for
clientCertificateData/clientKeyData), expires_in (seconds from now; negative: already expired),
apiVersion (to answer with another one), stderr (written to standard error), exit (status).
"""
import datetime
import json
import os
import sys


def main():
    args = sys.argv[1:]
    log = args[args.index("--log") + 1]
    with open(os.environ["PLUGIN_CONTROL"]) as f:
        ctl = json.load(f)
    info = json.loads(os.environ.get("KUBERNETES_EXEC_INFO", "null"))
    try:
        stdin = os.readlink("/proc/self/fd/0")
    except OSError:
        stdin = None
    with open(log, "a") as f:
        f.write(json.dumps({"argv": args, "env": {k: os.environ.get(k) for k in ("PLUGIN_CONTROL", "PLUGIN_MARK")},
                            "info": info, "stdin_tty": os.isatty(0), "stdin": stdin}) + "\n")
    with open(log) as f:
        run = sum(1 for _ in f)
    if ctl.get("stderr"):
        sys.stderr.write(ctl["stderr"])
    if ctl.get("exit"):
        sys.exit(ctl["exit"])
    status = {}
    if ctl.get("token"):
        status["token"] = ctl["token"].replace("{n}", str(run))
    if ctl.get("cert"):
        with open(ctl["cert"]) as c, open(ctl["key"]) as k:
            status["clientCertificateData"], status["clientKeyData"] = c.read(), k.read()
    if "expires_in" in ctl:
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=ctl["expires_in"])
        status["expirationTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps({"kind": "ExecCredential", "apiVersion": ctl.get("apiVersion") or info["apiVersion"],
                      "status": status}))


main()
