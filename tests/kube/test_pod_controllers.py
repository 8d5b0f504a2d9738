#!/usr/bin/env python3
"""test_pod_controllers.py - pod controllers in the inventory (issue 20): custom resources that embed
a pod template (Argo Rollouts, OpenKruise workloads, the settings' podControllers) are listed and
watched like Deployments, against fake_apiserver.py, a TEST DOUBLE of the API server that serves a
custom resource only once its CRD is installed (404 Not Found before, as kube-apiserver answers).

Checks, through kube_probe (the kube module's public API): an optional kind that is not served lists
nothing (sg_kube_list returns 1) and counts as in sync in the informer; installed later, it is listed
within the recheck; its objects are kept apart from a built-in kind of the same name (apps and
apps.kruise.io StatefulSets); removing the CRD deletes its objects. Through the real binary:
`scoregate serve` with inventorySync lists the Rollouts (a CRD that is installed), is in sync although
the OpenKruise CRDs are not, and its score equals the `scoregate score FILE` oracle with the Rollouts
counted; `score --kubeconfig` agrees; a podControllers entry of the settings is listed too.
Usage: test_pod_controllers.py SCOREGATE_BINARY SOURCE_DIR KUBE_PROBE. Loopback only; bounded time.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import fake_apiserver as fa  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402
import kubelib as kl  # noqa: E402

BIN, SRC, PROBE = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])

ROLLOUTS = "argoproj.io/v1alpha1/rollouts/Rollout"
KRUISE_STS = "apps.kruise.io/v1beta1/statefulsets/StatefulSet"


def rollout(name, ns="team", privileged=True):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": name, "namespace": ns},
            "spec": {"strategy": {"canary": {}}, "template": {"spec": {"containers": [
                {"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": privileged}}]}}}}


def probe_list(kc, *extra):
    p = subprocess.run([PROBE, "list", kc, *extra], capture_output=True, text=True, timeout=120)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines()], p.stderr


def probe_tests(tmp, pki):
    fake = fa.FakeAPIServer(pki, tokens=["t"], bookmark_interval=0.5).start()
    try:
        kc = fa.kubeconfig(os.path.join(tmp, "kc-probe"), fake.url, ca_file=os.path.join(pki, "ca.crt"), token="t")
        rc, lines, err = probe_list(kc, ROLLOUTS)
        check("list: a custom resource that is not served lists nothing and is no error",
              rc == 0 and {"notServed": "rollouts"} in lines, err[-500:])
        fake.serve_crd("argoproj.io", "v1alpha1", "rollouts", "Rollout")
        fake.put(rollout("web"))
        rc, lines, err = probe_list(kc, ROLLOUTS)
        objs = [x["object"] for x in lines if x.get("resource") == "rollouts"]
        check("list: once its CRD is installed, its objects are listed with kind and apiVersion",
              rc == 0 and len(objs) == 1 and objs[0]["kind"] == "Rollout"
              and objs[0]["apiVersion"] == "argoproj.io/v1alpha1", json.dumps(lines)[:400])
        fake.remove_crd("argoproj.io", "v1alpha1", "rollouts")

        proc = subprocess.Popen([PROBE, "watch", kc, ROLLOUTS, KRUISE_STS], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, errs = [], []
        threading.Thread(target=lambda: [out.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
        threading.Thread(target=lambda: [errs.append(x) for x in proc.stderr], daemon=True).start()

        def evs(api, kind, name, etype):
            return [x for x in list(out) if x.get("event") == etype and x["object"]["kind"] == kind
                    and x["object"].get("apiVersion") == api and x["object"]["metadata"]["name"] == name]
        try:
            check("watch: in sync although neither custom resource is served",
                  kl.wait_for("synced", lambda: {"synced": True} in list(out), timeout=30), "".join(errs)[-800:])
            check("watch: says once that each is not served",
                  sum("rollouts.argoproj.io: not served by the API server" in e for e in errs) == 1
                  and sum("statefulsets.apps.kruise.io: not served" in e for e in errs) == 1, "".join(errs)[-800:])
            fake.serve_crd("argoproj.io", "v1alpha1", "rollouts", "Rollout")
            fake.serve_crd("apps.kruise.io", "v1beta1", "statefulsets", "StatefulSet")
            fake.put(rollout("canary"))
            fake.put({"apiVersion": "apps.kruise.io/v1beta1", "kind": "StatefulSet",
                      "metadata": {"name": "db", "namespace": "team"},
                      "spec": {"template": {"spec": {"containers": [{"name": "db", "image": "x"}]}}}})
            fake.put({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "team"},
                      "spec": {"template": {"spec": {"containers": [{"name": "db", "image": "y"}]}}}})
            check("watch: a CRD installed later is listed within the recheck",
                  kl.wait_for("rollout", lambda: evs("argoproj.io/v1alpha1", "Rollout", "canary", "ADDED"),
                              timeout=20), "".join(errs)[-800:])
            check("watch: two StatefulSets of one name in two groups stay two objects",
                  kl.wait_for("sts", lambda: evs("apps.kruise.io/v1beta1", "StatefulSet", "db", "ADDED")
                              and evs("apps/v1", "StatefulSet", "db", "ADDED"), timeout=20))
            fake.remove_crd("argoproj.io", "v1alpha1", "rollouts")
            check("watch: removing the CRD deletes its objects",
                  kl.wait_for("deleted", lambda: evs("argoproj.io/v1alpha1", "Rollout", "canary", "DELETED"),
                              timeout=20), "".join(errs)[-800:])
        finally:
            proc.stdin.close()
            rc = proc.wait(timeout=30)
            check("watch: stops cleanly", rc == 0 and kl.sanitizer_clean_text("".join(errs)), "".join(errs)[-1500:])
    finally:
        fake.stop()


def serve_tests(tmp, pki):
    fake = fa.FakeAPIServer(pki, tokens=["t"], bookmark_interval=0.5).start()
    fake.serve_crd("argoproj.io", "v1alpha1", "rollouts", "Rollout")
    fake.serve_crd("serving.knative.dev", "v1", "services", "Service")
    fake.put(rollout("canary"))
    fake.put(rollout("blue", privileged=False))
    fake.put(kl.deployment("web", hardened=True))
    server = None
    try:
        kc = fa.kubeconfig(os.path.join(tmp, "kc"), fake.url, ca_file=os.path.join(pki, "ca.crt"), token="t")
        server = kl.serve("a", kl.settings("a.yaml", kc))
        check("serve: in sync although the OpenKruise CRDs are not installed",
              kl.wait_for("synced", lambda: kl.metric(server, "scoregate_inventory_synced") == 1, timeout=60),
              server.log_text()[-2000:])
        percent, expected = kl.oracle(fake)
        check("serve: the Rollouts are inventoried and scored like Deployments (the oracle's score and count)",
              kl.wait_for("oracle", lambda: kl.score_of(server) == (percent, expected), timeout=30)
              and expected == 3, f"serve {kl.score_of(server)}, oracle {(percent, expected)}")
        listed = {path for path, _, _, code in fake.log if code == 200}
        check("serve: lists and watches the Rollouts", "/apis/argoproj.io/v1alpha1/rollouts" in listed, sorted(listed))
        check("serve: asked for the OpenKruise kinds and got 404",
              any(p == "/apis/apps.kruise.io/v1beta1/statefulsets" and code == 404 for p, _, _, code in fake.log))
        check("serve: says which kinds are not served",
              "statefulsets.apps.kruise.io: not served by the API server" in server.log_text())
        fake.put(rollout("blue", privileged=True))
        check("serve: a Rollout that turns privileged lowers the score as the oracle says",
              kl.wait_for("update", lambda: kl.in_step(server, fake), timeout=30))
        server.stop()
        server = None

        p = subprocess.run([BIN, "score", "-f", "json", "--kubeconfig", kc], capture_output=True, text=True,
                           timeout=120)
        percent, expected = kl.oracle(fake)
        check("score --kubeconfig: the Rollouts counted, the missing OpenKruise CRDs no error",
              p.returncode == 0 and json.loads(p.stdout)["score"]["percent"] == percent, p.stderr[-600:])

        fake.put({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "hello",
                  "namespace": "team"}, "spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}})
        extra = "podControllers:\n  - {apiVersion: serving.knative.dev/v1, kind: Service, podTemplate: spec.template}\n"
        server = kl.serve("b", kl.settings("b.yaml", kc, extra))
        check("serve: a podControllers entry of the settings is listed too",
              kl.wait_for("knative", lambda: any(p == "/apis/serving.knative.dev/v1/services" and code == 200
                                                 for p, _, _, code in fake.log), timeout=60))
        check("serve: and in sync, the Knative Service judged like a Deployment (the oracle's score)",
              kl.wait_for("synced", lambda: kl.metric(server, "scoregate_inventory_synced") == 1, timeout=60)
              and kl.wait_for("oracle", lambda: kl.score_of(server)[0] == kl.oracle(fake, kl.settings(
                  "oracle.yaml", kc, extra))[0], timeout=30), f"{kl.score_of(server)}")
        check("serve: shuts down clean under the sanitizers", kl.sanitizer_clean(server), server.log_text()[-2000:])
    finally:
        if server:
            server.stop()
        fake.stop()


with tempfile.TemporaryDirectory(prefix="sg-podctl-") as tmp:
    kl.setup(BIN, tmp)
    pki = os.path.join(tmp, "pki")
    os.mkdir(pki)
    fa.make_pki(pki)
    probe_tests(tmp, pki)
    serve_tests(tmp, pki)
harness.finish()
