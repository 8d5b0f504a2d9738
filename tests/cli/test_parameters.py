#!/usr/bin/env python3
"""Every parameter a recommendation accepts changes some verdict (issue 15).

For every recommendation of every standard, and every parameter `scoregate catalog` lists for it:
- a common parameter (namespaces, excludedNamespaces, labelSelector, excludedContainers,
  excludedImages) set so that it leaves out an object the recommendation finds unhealthy must make
  that finding go away, or, where it cannot have an effect (excluded containers of a check that never
  looks at containers), the settings must fail to load saying so;
- every other parameter has a case below: settings and an object for which the verdict (a status, or
  the enforce patch for parameters only the fix reads) differs from the one with the defaults.
A parameter without a case fails the test, so a new parameter cannot ship without showing its effect.
Usage: test_parameters.py SCOREGATE_BINARY
"""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
from harness import check, finish, run, setup, write  # noqa: E402

BIN = sys.argv[1]
setup(BIN, "sg-params-")
STANDARDS = ["--standard", "pss-restricted"]   # includes pss-baseline; mcsb is on by default
NS = "team"


def pod(spec, labels=None, name="p"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": labels or {"app": "a"}}, "spec": spec}


# One pod that fails every pod and container check (each container list, host fields, volumes).
BAD_CONTAINER = {
    "name": "bad", "image": "registry.example.com/bad:1",
    "ports": [{"containerPort": 80, "hostPort": 8080}],
    "volumeMounts": [{"name": "host", "mountPath": "/host"}],
    "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
    "securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]},
                        "runAsUser": 0, "runAsNonRoot": False, "procMount": "Unmasked",
                        "seLinuxOptions": {"type": "spc_t"}, "seccompProfile": {"type": "Unconfined"},
                        "appArmorProfile": {"type": "Unconfined"},
                        "windowsOptions": {"hostProcess": True}},
}
WORST = pod({
    "hostNetwork": True, "hostPID": True, "hostIPC": True,
    "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}], "fsGroup": 0,
                        "supplementalGroups": [0]},
    "volumes": [{"name": "host", "hostPath": {"path": "/etc"}}],
    "containers": [BAD_CONTAINER],
})
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": NS, "labels": {"app": "a"}},
           "spec": {"ports": [{"port": 80}]}}
INGRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "i", "namespace": NS, "labels": {"app": "a"}}, "spec": {"rules": [{"host": "a"}]}}
# Objects in the default namespace (no-default-namespace) keep the common parameters' namespace apart.
DEFAULT_NS_CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "c", "namespace": "default", "labels": {"app": "a"}}}
POOL = [WORST, SERVICE, INGRESS, DEFAULT_NS_CONFIGMAP]
# Parameters a recommendation needs before it is active at all (the common cases need it active).
ACTIVATE = {
    "trusted-registries": {"allowedImagesRegex": "^nothing/"},
    "service-allowed-ports": {"allowedServicePorts": [443]},
}


def scan(settings, obj, action=None):
    """Status per recommendation (worst over containers), the decision's patch, or the load error."""
    cfg = {"recommendations": settings} if settings else {}
    if action:
        cfg["defaults"] = {"action": action}
    config = write("config.json", cfg)
    manifest = write("object.json", obj)
    rc, out, err = run("scan", "-c", config, *STANDARDS, "-f", "json", manifest)
    if rc not in (0, 1):
        return None, None, err
    res = json.loads(out)["resources"][0]
    statuses = {}
    rank = {"unhealthy": 3, "exempt": 2, "healthy": 1, "notApplicable": 0}
    for f in res["findings"]:
        old = statuses.get(f["recommendation"])
        if old is None or rank[f["status"]] > rank[old]:
            statuses[f["recommendation"]] = f["status"]
    return statuses, res.get("decision", {}).get("patch"), None


def with_activation(rec, params):
    merged = dict(ACTIVATE.get(rec, {}))
    merged.update(params)
    return {rec: {"parameters": merged}} if merged else {}


# ---- the catalog: every recommendation and its parameters ----
rc, out, err = run("catalog", *STANDARDS, "-f", "json")
catalog = {r["id"]: r for r in json.loads(out)["recommendations"]}
check("the catalog lists every standard", len(catalog) >= 35, sorted(catalog))

# An object each recommendation finds unhealthy (with its activating parameters).
unhealthy_on = {}
for rec in catalog:
    for obj in POOL:
        statuses, _, err = scan(with_activation(rec, {}), obj)
        if statuses and statuses.get(rec) == "unhealthy":
            unhealthy_on[rec] = obj
            break
    check(f"{rec}: the test has an object it finds unhealthy", rec in unhealthy_on, "extend POOL")


def names_of(obj):
    spec = obj.get("spec", {})
    cs = [c for key in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(key, [])]
    return [c["name"] for c in cs], [c["image"] for c in cs]


COMMON = {
    "namespaces": lambda obj: ["elsewhere"],
    "excludedNamespaces": lambda obj: [obj["metadata"]["namespace"]],
    "labelSelector": lambda obj: {"matchLabels": {"app": "other"}},
    "excludedContainers": lambda obj: names_of(obj)[0],
    "excludedImages": lambda obj: [i.split(":")[0] + "*" for i in names_of(obj)[1]],
}

# Where the pod-level fields alone make a check unhealthy, excluded containers show on a pod whose
# containers are what is wrong.
CONTAINER_CAUSED = {
    "host-network-ports": pod({"containers": [{"name": "a", "image": "x",
                                               "ports": [{"containerPort": 80, "hostPort": 8080}]}]}),
}

for rec, info in sorted(catalog.items()):
    if not unhealthy_on.get(rec):
        continue
    for param, value_of in COMMON.items():
        obj = unhealthy_on[rec]
        if param in ("excludedContainers", "excludedImages"):
            obj = CONTAINER_CAUSED.get(rec, obj)
        if param not in info["parameters"]:
            check(f"{rec} has the common parameter {param}", False)
            continue
        value = value_of(obj)
        if param.startswith("excluded") and param != "excludedNamespaces" and not value:
            value = ["x"]
        statuses, _, err = scan(with_activation(rec, {param: value}), obj)
        if statuses is None:
            check(f"{rec} x {param}: a parameter that cannot have an effect is a load error saying so",
                  "has no effect on " + rec in err, err)
        else:
            check(f"{rec} x {param}: leaving the object out changes the verdict",
                  statuses.get(rec) in (None, "healthy"), f"{param}={value}: {statuses.get(rec)}")

# ---- every other parameter: settings and an object whose verdict they change ----
LIMITED = pod({"containers": [{"name": "a", "image": "x", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}]})
NO_LIMITS = pod({"containers": [{"name": "a", "image": "x"}]})
ADDS = pod({"containers": [{"name": "a", "image": "x", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}]})
UNCONFINED = pod({"containers": [{"name": "a", "image": "x",
                                  "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]})
HOSTNET = pod({"hostNetwork": True, "containers": [{"name": "a", "image": "x"}]})
HOSTPORT = pod({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]}]})
HOSTPATH = pod({"volumes": [{"name": "h", "hostPath": {"path": "/var/log/app"}}],
                "containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "h", "mountPath": "/h"}]}]})
ROOT = pod({"containers": [{"name": "a", "image": "x", "securityContext": {"runAsUser": 0}}]})
# Only the user is wrong (the group is in the default range), so relaxing the user rule alone heals it.
ROOT_USER_ONLY = pod({"containers": [{"name": "a", "image": "x", "securityContext": {"runAsUser": 0, "runAsGroup": 1000}}]})
NON_ROOT = {"runAsNonRoot": True, "runAsUser": 1000}
NO_GROUP = pod({"securityContext": dict(NON_ROOT), "containers": [{"name": "a", "image": "x"}]})
GROUPS = {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000}
ROOT_SUPPLEMENTAL = pod({"securityContext": dict(GROUPS, supplementalGroups=[0]),
                         "containers": [{"name": "a", "image": "x"}]})
ROOT_FSGROUP = pod({"securityContext": dict(GROUPS, fsGroup=0), "containers": [{"name": "a", "image": "x"}]})
ROOT_GROUP_FIX = pod({"securityContext": dict(NON_ROOT, fsGroup=0), "containers": [{"name": "a", "image": "x"}]})

# (recommendation, parameter): (parameters, object, what changes)
#   what: "status" (the recommendation's status differs) or ("patch", text the patch holds only with them)
CASES = {
    ("cpu-memory-limits", "cpuLimit"): ({"cpuLimit": "1"}, LIMITED, "status"),
    ("cpu-memory-limits", "memoryLimit"): ({"memoryLimit": "512Mi"}, LIMITED, "status"),
    ("cpu-memory-limits", "defaultCpuLimit"): ({"defaultCpuLimit": "750m"}, NO_LIMITS, ("patch", '"750m"')),
    ("cpu-memory-limits", "defaultMemoryLimit"): ({"defaultMemoryLimit": "300Mi"}, NO_LIMITS, ("patch", '"300Mi"')),
    ("trusted-registries", "allowedImagesRegex"): ({"allowedImagesRegex": "^x$"}, NO_LIMITS, "status"),
    ("least-privileged-capabilities", "allowedCapabilities"): ({"allowedCapabilities": ["NET_ADMIN"]}, ADDS, "status"),
    ("least-privileged-capabilities", "requiredDropCapabilities"): ({"requiredDropCapabilities": ["NET_RAW"]},
                                                                    NO_LIMITS, "status"),
    ("apparmor-profiles", "allowedProfiles"): ({"allowedProfiles": ["unconfined"]}, UNCONFINED, "status"),
    ("service-allowed-ports", "allowedServicePorts"): ({"allowedServicePorts": ["80"]}, SERVICE, "status"),
    ("host-network-ports", "allowHostNetwork"): ({"allowHostNetwork": True}, HOSTNET, "status"),
    ("host-network-ports", "minPort"): ({"minPort": 8000, "maxPort": 9000}, HOSTPORT, "status"),
    ("host-network-ports", "maxPort"): ({"maxPort": 9000}, HOSTPORT, "status"),
    ("host-path-volumes", "allowedHostPaths"): ({"allowedHostPaths": [{"pathPrefix": "/var/log"}]}, HOSTPATH, "status"),
    ("host-namespaces", "includeHostNetwork"): ({"includeHostNetwork": True}, HOSTNET, "status"),
    ("run-as-non-root", "runAsUser"): ({"runAsUser": {"rule": "RunAsAny"}}, ROOT_USER_ONLY, "status"),
    ("run-as-non-root", "runAsGroup"): ({"runAsGroup": {"rule": "RunAsAny"}}, NO_GROUP, "status"),
    ("run-as-non-root", "supplementalGroups"): ({"supplementalGroups": {"rule": "RunAsAny"}}, ROOT_SUPPLEMENTAL,
                                               "status"),
    ("run-as-non-root", "fsGroup"): ({"fsGroup": {"rule": "RunAsAny"}}, ROOT_FSGROUP, "status"),
    ("run-as-non-root", "nonRootUser"): ({"nonRootUser": 4242}, ROOT, ("patch", "4242")),
    ("run-as-non-root", "nonRootGroup"): ({"nonRootGroup": 4343}, ROOT_GROUP_FIX, ("patch", "4343")),
}

for rec, info in sorted(catalog.items()):
    for param in sorted(info["parameters"]):
        if param in COMMON:
            continue
        case = CASES.get((rec, param))
        if not check(f"{rec} x {param}: the test shows its effect", case is not None, "add a case to CASES"):
            continue
        params, obj, what = case
        action = "enforce" if what != "status" else None
        base, base_patch, err1 = scan(with_activation(rec, {}) if rec not in ACTIVATE or param not in ACTIVATE[rec]
                                      else {}, obj, action)
        got, got_patch, err2 = scan(with_activation(rec, params), obj, action)
        if base is None or got is None:
            check(f"{rec} x {param}: loads", False, err1 or err2)
            continue
        if what == "status":
            check(f"{rec} x {param}: changes the verdict", base.get(rec) != got.get(rec),
                  f"default {base.get(rec)}, with {params}: {got.get(rec)}")
        else:
            text = what[1]
            check(f"{rec} x {param}: changes the fix", text in json.dumps(got_patch) and
                  text not in json.dumps(base_patch), f"{got_patch} vs {base_patch}")

finish()
