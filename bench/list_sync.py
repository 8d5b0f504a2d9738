#!/usr/bin/env python3
"""list_sync.py - the first list of a large cluster through the inventory sync (bench/run's "first list").

Loads OBJECTS objects (default 100 000) of a realistic mix into the API server double
(tests/kube/fake_apiserver.py): Pods owned by ReplicaSets, Jobs, StatefulSets and DaemonSets, the
ReplicaSets of Deployments, Jobs of CronJobs, Services, Ingresses, ConfigMaps, Secrets and
ServiceAccounts, with status and managedFields as the API server returns them (a Pod about 5 KB).
Then starts `scoregate serve` with server.inventorySync against it and measures, from the start of
the process to its log line "inventory replaced by the API server's objects" (every kind listed in
pages of 500, limit/continue, and watched): the wall time, the CPU time of serve (utime + stime),
its peak RSS (VmHWM), and the CPU time the double spent meanwhile (this process: it does nothing
else), so that a slow double shows. The double serves pages from items encoded at load
(FakeAPIServer.load), as kube-apiserver serves lists from its watch cache.

Prints one JSON object on stdout. Standard library only; loopback only.

Usage: list_sync.py BUILD_DIR [--objects N] [--seed S] [--keep DIR]
"""
import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "kube"))
sys.path.insert(0, HERE)
import fake_apiserver as fa  # noqa: E402
import gen_corpus as gc  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
# Shares of 100 000 objects in a large cluster: Pods most, many ReplicaSets (old revisions kept),
# ConfigMaps and Secrets next.
MIX = [("Pod", 40000), ("ReplicaSet", 15000), ("Deployment", 5000), ("StatefulSet", 500), ("DaemonSet", 300),
       ("Job", 1500), ("CronJob", 500), ("ReplicationController", 200), ("Service", 6000), ("Ingress", 1000),
       ("ConfigMap", 12000), ("Secret", 12000), ("ServiceAccount", 6000)]
API = {"Pod": "v1", "ReplicationController": "v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1",
       "ServiceAccount": "v1", "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1",
       "DaemonSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1", "Ingress": "networking.k8s.io/v1"}
TEMPLATES = 64          # distinct specs per kind; objects share them (the double encodes each object anyway)


def pod_status(rng, spec):
    cond = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": "2025-05-01T10:00:0%dZ" % i}
            for i, t in enumerate(("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                   "PodScheduled"))]
    return {"phase": "Running", "conditions": cond, "hostIP": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            "podIP": f"10.244.{rng.randrange(256)}.{rng.randrange(256)}", "startTime": "2025-05-01T10:00:00Z",
            "qosClass": "Burstable",
            "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0, "started": True,
                                   "image": c["image"], "imageID": c["image"] + "@sha256:" + "%064x" %
                                   rng.getrandbits(256), "containerID": "containerd://%064x" % rng.getrandbits(256),
                                   "state": {"running": {"startedAt": "2025-05-01T10:00:05Z"}},
                                   "lastState": {}} for c in spec["containers"]]}


def spec_of(rng, kind):
    """A template spec (and status) of `kind`."""
    app = f"{rng.choice(gc.WORDS)}-{rng.choice(gc.WORDS)}"
    if kind in ("Service", "Ingress"):
        obj = gc.random_object(rng, kind, rng.random() < 0.7, False)
        if kind == "Service":
            obj["spec"].update(clusterIP=f"10.96.{rng.randrange(256)}.{rng.randrange(256)}", sessionAffinity="None",
                               ipFamilies=["IPv4"], ipFamilyPolicy="SingleStack", internalTrafficPolicy="Cluster")
            obj["status"] = {"loadBalancer": {}}
        return obj["spec"], obj.get("status"), obj["metadata"]["annotations"]
    if kind == "ConfigMap":
        return None, None, {"data": {f"key-{i}.yaml": "v" * rng.randrange(50, 800) for i in range(rng.randrange(1, 6))}}
    if kind == "Secret":
        return None, None, {"type": "Opaque", "data": {f"k{i}": "c2VjcmV0" * rng.randrange(2, 20)
                                                       for i in range(rng.randrange(1, 5))}}
    if kind == "ServiceAccount":
        return None, None, {}
    pod = gc.pod_spec(rng, app, rng.random() < 0.6, rng.choice((1, 1, 2, 2, 3)), rng.randrange(2, 12))
    pod.update(schedulerName="default-scheduler", enableServiceLinks=True, preemptionPolicy="PreemptLowerPriority",
               priority=0, tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                         "effect": "NoExecute", "tolerationSeconds": 300}])
    if kind == "Pod":
        pod["nodeName"] = f"node-{rng.randrange(500):03d}"
        return pod, pod_status(rng, pod), None
    labels = {"app.kubernetes.io/name": app}
    template = {"metadata": {"labels": labels}, "spec": pod}
    if kind == "CronJob":
        return ({"schedule": f"{rng.randrange(60)} * * * *", "concurrencyPolicy": "Forbid",
                 "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}},
                {"lastScheduleTime": "2025-05-01T10:00:00Z"}, None)
    spec = {"selector": {"matchLabels": labels}, "template": template}
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
        spec["replicas"] = rng.choice((0, 1, 2, 3))
    status = {"observedGeneration": 1, "replicas": spec.get("replicas", 1), "readyReplicas": spec.get("replicas", 1)}
    if kind == "Deployment":
        status["conditions"] = [{"type": t, "status": "True", "lastUpdateTime": "2025-05-01T10:00:00Z",
                                 "lastTransitionTime": "2025-05-01T10:00:00Z", "reason": r, "message": m}
                                for t, r, m in (("Available", "MinimumReplicasAvailable", "Deployment has minimum "
                                                 "availability."), ("Progressing", "NewReplicaSetAvailable",
                                                                    f'ReplicaSet "{app}" has successfully '
                                                                    "progressed."))]
    return spec, status, None


def owner(kind, name):
    return [{"apiVersion": API[kind], "kind": kind, "name": name, "uid": "0f0f0f0f-0000-4000-8000-%012d" %
             (zlib.crc32(name.encode()) % 10 ** 12), "controller": True, "blockOwnerDeletion": True}]


def owner_of(rng, kind, name):
    """Who controls an object of `kind`, as in a cluster: most Pods a ReplicaSet, every ReplicaSet a
    Deployment, most Jobs a CronJob; None for top-level objects."""
    base = name.rsplit("-", 1)[0]
    if kind == "Pod":
        r = rng.random()
        by = "ReplicaSet" if r < 0.85 else "Job" if r < 0.90 else "StatefulSet" if r < 0.94 else \
            "DaemonSet" if r < 0.97 else None
        return owner(by, base) if by else None
    if kind == "ReplicaSet":
        return owner("Deployment", base)
    if kind == "Job" and rng.random() < 0.8:
        return owner("CronJob", base)
    return None


def cluster(n, seed):
    """n objects of MIX's shares (the same for a seed)."""
    rng = random.Random(seed)
    total = sum(c for _, c in MIX)
    namespaces = [f"team-{i:03d}" for i in range(200)] + ["kube-system"]
    out = []
    for kind, share in MIX:
        templates = [spec_of(rng, kind) for _ in range(TEMPLATES)]
        for i in range(max(1, share * n // total)):
            spec, status, extra = templates[i % TEMPLATES]
            app = f"{rng.choice(gc.WORDS)}-{rng.choice(gc.WORDS)}-{i:05d}"
            name = f"{app}-{rng.getrandbits(32):08x}"[:63] if kind in ("Pod", "ReplicaSet", "Job") else app
            meta = gc.metadata(rng, name, rng.choice(namespaces), app, rng.randrange(0, 3))
            meta["generation"] = 1
            own = owner_of(rng, kind, name)
            if own:
                meta["ownerReferences"] = own
            obj = {"apiVersion": API[kind], "kind": kind, "metadata": meta}
            if spec is not None:
                obj["spec"] = spec
                meta["managedFields"] = gc.managed_fields(obj)
            if status is not None:
                obj["status"] = status
            if kind in ("ConfigMap", "Secret", "ServiceAccount"):
                obj.update(extra)
            out.append(obj)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return None


def self_cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def settings(d, build, kubeconfig):
    subprocess.run([os.path.join(build, "scoregate"), "certs", "generate", "--out", os.path.join(d, "certs"),
                    "--dns", "localhost", "--dns", "127.0.0.1"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(HERE, "settings.yaml")) as f:
        text = f.read()
    path = os.path.join(d, "settings.yaml")
    with open(path, "w") as f:
        f.write(text + "server:\n"
                f"  tls: {{certFile: {d}/certs/tls.crt, keyFile: {d}/certs/tls.key}}\n"
                f"  inventorySync: {{enabled: true, kubeconfig: {json.dumps(kubeconfig)}}}\n"
                "  history: {namespace: kube-system}\n")
    return path


def wait_line(path, text, proc, timeout):
    """Wait until `text` appears in the file `path`; returns its JSON line and the time seen."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"scoregate serve exited with {proc.returncode}")
        with open(path) as f:
            for line in f:
                if text in line:
                    return json.loads(line), time.time()
        time.sleep(0.05)
    raise RuntimeError(f"no {text!r} within {timeout} s")


def measure(build, objects, d, wrapper=()):
    pki = os.path.join(d, "pki")
    os.mkdir(pki)
    fa.make_pki(pki)
    # Bookmarks every 0.2 s make each kind's watch healthy soon after its list, so the time measured
    # is the lists' (a real API server's watch cache sends one about every minute; without one a
    # watch counts as healthy after 5 s open).
    fake = fa.FakeAPIServer(pki, bookmark_interval=0.2)
    fake.load(objects)
    fake.start()
    kc = fa.kubeconfig(os.path.join(d, "kubeconfig"), fake.url, ca_file=os.path.join(pki, "ca.crt"), token="token-1")
    config = settings(d, build, kc)
    err = os.path.join(d, "serve.err")
    cmd = list(wrapper) + [os.path.join(build, "scoregate"), "serve", "-c", config, "--address",
                           f"127.0.0.1:{free_port()}", "--state-dir", os.path.join(d, "state")]
    double0 = self_cpu()
    t0 = time.time()
    with open(err, "w") as e:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=e)
    try:
        line, seen = wait_line(err, "inventory replaced by the API server's objects", proc, 600)
        wall, cpu, double = seen - t0, proc_cpu(proc.pid), self_cpu() - double0
        time.sleep(0.5)  # the inventory swap's aftermath (the saved inventory's write) is part of the peak
        hwm = proc_status(proc.pid, "VmHWM")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        fake.stop()
    lists = [e for e in fake.log if "watch" not in e[1]]
    return {"objects": len(objects), "wall": wall, "cpu": cpu, "hwm": hwm, "double_cpu": double,
            "resources": line.get("resources"), "list_requests": len(lists)}


def main():
    ap = argparse.ArgumentParser(description="First list of a large cluster through scoregate's inventory sync.")
    ap.add_argument("build")
    ap.add_argument("--objects", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--keep", help="work in this directory and keep it (logs, settings)")
    ap.add_argument("--wrapper", default="", help="run serve under this command (e.g. a profiler); then the CPU "
                    "time and RSS are the wrapper's")
    a = ap.parse_args()
    objects = cluster(a.objects, a.seed)
    d = a.keep or tempfile.mkdtemp(prefix="scoregate-list-sync-")
    os.makedirs(d, exist_ok=True)
    try:
        print(json.dumps(measure(os.path.abspath(a.build), objects, d, a.wrapper.split())))
    finally:
        if not a.keep:
            shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
