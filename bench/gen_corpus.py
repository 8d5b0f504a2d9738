#!/usr/bin/env python3
"""gen_corpus.py - the request and manifest corpora of the benchmarks (bench/run).

Writes, into OUT (nothing of it is committed; the corpus is made at run time):
  reviews/*.json        AdmissionReview admission.k8s.io/v1 CREATE requests for Pods,
                        Deployments, StatefulSets, CronJobs, Services and Ingresses,
                        healthy and unhealthy, 1-20 KB each, shaped like what the API
                        server sends (userInfo, options, managedFields in the object)
  reviews/deployment-typical.json
                        the "typical Deployment" of the budgets: an app container and a
                        log sidecar with limits, probes, env and mostly hardened
                        security contexts; three recommendations fail on it (warnings)
  reviews/index.txt     the review files, one per line (the mixed load)
  manifests/part-NNN.yaml
                        OBJECTS manifests (default 10000) for `scoregate scan`, in
                        multi-document block-style YAML, 100 per file
The output is deterministic for a given --seed. Standard library only.

Usage: gen_corpus.py OUT [--objects N] [--seed S]
"""
import argparse
import json
import os
import random
import re
import sys

TRUSTED = "registry.example.com"
UNTRUSTED = ["docker.io/library/nginx:latest", "quay.io/prometheus/node-exporter:v1.7.0",
             "ghcr.io/acme/worker:main", "busybox:latest", "redis:7"]
NAMESPACES = ["shop", "payments", "search", "identity", "data", "platform", "media", "ml"]
WORDS = ["api", "web", "worker", "cache", "gateway", "billing", "ledger", "catalog", "auth", "events",
         "indexer", "render", "report", "sync", "notifier", "scheduler"]


def healthy_container_sc():
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
            "appArmorProfile": {"type": "RuntimeDefault"}, "seccompProfile": {"type": "RuntimeDefault"}}


def env_vars(rng, n, app):
    out = []
    for i in range(n):
        if i % 4 == 3:
            out.append({"name": f"SECRET_{i}", "valueFrom": {"secretKeyRef": {"name": f"{app}-secrets",
                                                                                "key": f"key-{i}"}}})
        else:
            out.append({"name": f"{app.upper().replace('-', '_')}_SETTING_{i}",
                        "value": f"value-{rng.randrange(10 ** 6)}-{'x' * rng.randrange(4, 40)}"})
    return out


def container(rng, name, app, healthy, env, defects):
    image = f"{TRUSTED}/{app}/{name}:1.{rng.randrange(30)}.{rng.randrange(10)}"
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
         "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
         "env": env_vars(rng, env, app),
         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                       "limits": {"cpu": "500m", "memory": "512Mi"}},
         "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
         "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
         "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                          {"name": "config", "mountPath": "/etc/app", "readOnly": True}],
         "securityContext": healthy_container_sc(),
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if healthy:
        return c
    sc = c["securityContext"]
    for d in defects:
        if d == "image":
            c["image"] = rng.choice(UNTRUSTED)
        elif d == "limits":
            del c["resources"]["limits"]
        elif d == "privileged":
            sc["privileged"] = True
        elif d == "escalation":
            del sc["allowPrivilegeEscalation"]
        elif d == "rootfs":
            sc["readOnlyRootFilesystem"] = False
        elif d == "caps":
            sc["capabilities"] = {"add": ["NET_ADMIN", "SYS_ADMIN"]}
        elif d == "root":
            sc["runAsUser"] = 0
            del sc["runAsNonRoot"]
        elif d == "apparmor":
            del sc["appArmorProfile"]
        elif d == "hostport":
            c["ports"][0]["hostPort"] = 80
    return c


DEFECTS = ["image", "limits", "privileged", "escalation", "rootfs", "caps", "root", "apparmor", "hostport"]


def pod_spec(rng, app, healthy, ncontainers, env):
    defects = rng.sample(DEFECTS, rng.randrange(2, 5)) if not healthy else []
    names = ["app", "sidecar", "proxy", "metrics", "log-shipper", "cache"]
    spec = {"serviceAccountName": app, "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container(rng, names[i % len(names)] + ("" if i < len(names) else str(i)), app,
                                     healthy or (i > 0 and rng.random() < 0.5), env, defects)
                           for i in range(ncontainers)],
            "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                        {"name": "config", "configMap": {"name": f"{app}-config"}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}
    if not healthy:
        extra = rng.sample(["hostpath", "hostnet", "hostpid", "automount"], rng.randrange(0, 3))
        for d in extra:
            if d == "hostpath":
                spec["volumes"].append({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}})
                spec["containers"][0]["volumeMounts"].append({"name": "docker", "mountPath": "/var/run/docker.sock"})
            elif d == "hostnet":
                spec["hostNetwork"] = True
            elif d == "hostpid":
                spec["hostPID"] = True
            elif d == "automount":
                del spec["automountServiceAccountToken"]
    return spec


def metadata(rng, name, ns, app, annotations):
    meta = {"name": name, "namespace": ns,
            "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name,
                       "app.kubernetes.io/version": f"1.{rng.randrange(30)}.0",
                       "app.kubernetes.io/part-of": ns, "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {f"example.com/note-{i}": "n" * rng.randrange(10, 60) for i in range(annotations)}}
    return meta


def managed_fields(obj):
    """A managedFields entry listing the object's spec field paths, as server-side apply records them."""
    def fields(v):
        if isinstance(v, dict):
            return {f"f:{k}": fields(x) for k, x in v.items()}
        if isinstance(v, list):
            return {f"k:{{\"name\":\"{x.get('name', i)}\"}}" if isinstance(x, dict) else f"v:{json.dumps(x)}":
                    fields(x) for i, x in enumerate(v)}
        return {}
    return [{"manager": "helm", "operation": "Update", "apiVersion": obj["apiVersion"],
             "time": "2025-05-01T10:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": fields(obj["metadata"].get("labels", {}))},
                          "f:spec": fields(obj.get("spec", {}))}}]


def workload(rng, kind, healthy, ncontainers, env, annotations, ns=None):
    app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    ns = ns or rng.choice(NAMESPACES)
    name = f"{app}-{rng.randrange(10 ** 5)}"
    spec = pod_spec(rng, app, healthy, ncontainers, env)
    template = {"metadata": {"labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name}},
                "spec": spec}
    selector = {"matchLabels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name}}
    if kind == "Pod":
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(rng, name, ns, app, annotations), "spec": spec}
    elif kind == "Deployment":
        obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(rng, name, ns, app, annotations),
               "spec": {"replicas": 3, "selector": selector, "template": template,
                        "strategy": {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}}
    elif kind == "StatefulSet":
        obj = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata(rng, name, ns, app, annotations),
               "spec": {"replicas": 3, "serviceName": app, "selector": selector, "template": template,
                        "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                                  "spec": {"accessModes": ["ReadWriteOnce"],
                                                           "resources": {"requests": {"storage": "10Gi"}}}}]}}
    else:
        spec["restartPolicy"] = "OnFailure"
        obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata(rng, name, ns, app, annotations),
               "spec": {"schedule": f"{rng.randrange(60)} * * * *", "concurrencyPolicy": "Forbid",
                        "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}}}
    return obj


def service(rng, healthy, annotations):
    app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    ns = rng.choice(NAMESPACES) if healthy or rng.random() < 0.5 else "default"
    ports = [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}]
    if not healthy:
        ports.append({"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"})
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": metadata(rng, f"{app}-{rng.randrange(10 ** 5)}", ns, app, annotations),
            "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": app}, "ports": ports}}


def ingress(rng, healthy, annotations, rules):
    app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    ns = rng.choice(NAMESPACES)
    meta = metadata(rng, f"{app}-{rng.randrange(10 ** 5)}", ns, app, annotations)
    hosts = [f"{app}-{i}.example.com" for i in range(rules)]
    spec = {"ingressClassName": "nginx",
            "rules": [{"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                      "backend": {"service": {"name": app,
                                                                              "port": {"number": 443}}}}]}}
                      for h in hosts]}
    if healthy:
        meta["annotations"]["kubernetes.io/ingress.allow-http"] = "false"
        spec["tls"] = [{"hosts": hosts, "secretName": f"{app}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


GVR = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments"),
       "StatefulSet": ("apps", "v1", "statefulsets"), "CronJob": ("batch", "v1", "cronjobs"),
       "Service": ("", "v1", "services"), "Ingress": ("networking.k8s.io", "v1", "ingresses")}


def review(rng, obj):
    group, version, resource = GVR[obj["kind"]]
    obj = json.loads(json.dumps(obj))
    meta = obj["metadata"]
    meta["uid"] = f"{rng.getrandbits(32):08x}-0000-4000-8000-{rng.getrandbits(48):012x}"
    meta["creationTimestamp"] = None
    meta["managedFields"] = managed_fields(obj)
    kind = {"group": group, "version": version, "kind": obj["kind"]}
    res = {"group": group, "version": version, "resource": resource}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": f"{rng.getrandbits(64):016x}-bench", "kind": kind, "resource": res,
                        "requestKind": kind, "requestResource": res, "name": meta["name"],
                        "namespace": meta["namespace"], "operation": "CREATE",
                        "userInfo": {"username": "system:serviceaccount:ci:deployer",
                                     "uid": "5b2b6a3c-0000-4000-8000-000000000001",
                                     "groups": ["system:serviceaccounts", "system:serviceaccounts:ci",
                                                "system:authenticated"]},
                        "object": obj, "oldObject": None, "dryRun": False,
                        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                                    "fieldManager": "helm"}}}


def typical_deployment(rng):
    """Two containers, mostly hardened: the sidecar writes its root filesystem, has no
    AppArmor profile and comes from an untrusted registry (three warnings)."""
    obj = workload(rng, "Deployment", True, 2, 2, 0, ns="shop")
    obj["metadata"]["name"] = "storefront"
    side = obj["spec"]["template"]["spec"]["containers"][1]
    side["name"] = "log-shipper"
    side["image"] = "docker.io/fluent/fluent-bit:3.0"
    side["securityContext"]["readOnlyRootFilesystem"] = False
    del side["securityContext"]["appArmorProfile"]
    return obj


PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if PLAIN.match(v) and v.lower() not in RESERVED:
        return v
    return json.dumps(v)


def yaml_lines(v, indent):
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            key = yaml_scalar(k)
            if isinstance(x, (dict, list)) and x:
                yield f"{pad}{key}:"
                yield from yaml_lines(x, indent + 2)
            else:
                yield f"{pad}{key}: {yaml_scalar(x) if not isinstance(x, (dict, list)) else ('{}' if isinstance(x, dict) else '[]')}"
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = list(yaml_lines(x, indent + 2))
                yield f"{pad}- {inner[0].lstrip()}"
                yield from inner[1:]
            else:
                yield f"{pad}- {yaml_scalar(x) if not isinstance(x, (dict, list)) else '{}'}"


def to_yaml(obj):
    return "\n".join(yaml_lines(obj, 0)) + "\n"


def random_object(rng, kind, healthy, big):
    if kind == "Service":
        return service(rng, healthy, rng.randrange(1, 20 if big else 4))
    if kind == "Ingress":
        return ingress(rng, healthy, rng.randrange(1, 20 if big else 4), rng.randrange(1, 30 if big else 4))
    ncontainers = rng.randrange(1, 6 if big else 3)
    env = rng.randrange(2, 40 if big else 6)
    return workload(rng, kind, healthy, ncontainers, env, rng.randrange(0, 15 if big else 3))


def main():
    ap = argparse.ArgumentParser(description="Generate the benchmark corpora.")
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, default=10000, help="manifests for the scan corpus")
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    reviews = os.path.join(args.out, "reviews")
    manifests = os.path.join(args.out, "manifests")
    os.makedirs(reviews, exist_ok=True)
    os.makedirs(manifests, exist_ok=True)

    names, sizes = [], []
    for kind in GVR:
        for healthy in (True, False):
            for i in range(6):
                body = None
                for _ in range(50):   # draw until the review falls in 1-20 KB
                    text = json.dumps(review(rng, random_object(rng, kind, healthy, i >= 3)), separators=(",", ":"))
                    if 1024 <= len(text) <= 20480:
                        body = text
                        break
                if body is None:
                    continue
                name = f"{kind.lower()}-{'healthy' if healthy else 'unhealthy'}-{i}.json"
                with open(os.path.join(reviews, name), "w") as f:
                    f.write(body)
                names.append(name)
                sizes.append(len(body))
    typical = json.dumps(review(rng, typical_deployment(rng)), separators=(",", ":"))
    with open(os.path.join(reviews, "deployment-typical.json"), "w") as f:
        f.write(typical)
    with open(os.path.join(reviews, "index.txt"), "w") as f:
        f.write("".join(os.path.join(reviews, n) + "\n" for n in names))

    kinds = list(GVR)
    per_file = 100
    for part in range((args.objects + per_file - 1) // per_file):
        docs = []
        for _ in range(min(per_file, args.objects - part * per_file)):
            kind = rng.choices(kinds, weights=[2, 5, 1, 1, 3, 1])[0]
            docs.append(to_yaml(random_object(rng, kind, rng.random() < 0.6, rng.random() < 0.1)))
        with open(os.path.join(manifests, f"part-{part:03d}.yaml"), "w") as f:
            f.write("---\n".join(docs))
    sizes.sort()
    print(f"corpus: {len(names)} reviews ({sizes[0]}-{sizes[-1]} bytes, median {sizes[len(sizes) // 2]}), "
          f"typical Deployment {len(typical)} bytes, {args.objects} manifests in {manifests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
