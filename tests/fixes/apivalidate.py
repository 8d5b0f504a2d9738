"""apivalidate.py - would the Kubernetes API server accept this object? The parts a fix can touch.

Two checks, as the API server makes them on create:
- the OpenAPI schema (the vendored subset in openapi/, see its README): types, integer formats,
  required fields, quantities, and unknown fields (strict field validation, as kubectl applies);
  metadata and the pod spec of every workload kind are checked, a value under a schema that is not
  vendored is an error, so nothing a fix adds goes unchecked;
- the cross-field rules of pkg/apis/core/validation that fixes can touch, written here from reading
  that file (validateWindows, validateLinux, validateResourceRequirements, validateEphemeralContainers,
  ValidateSecurityContext's allowPrivilegeEscalation rule, IsValidUserID/IsValidGroupID,
  validateSeccompProfileField, ValidateAppArmorProfileField, ValidateProcMountType,
  ValidateAppArmorPodAnnotations and validateAppArmorAnnotationsAndFieldsMatchOnCreate).

Standard library only. `problems(obj)` returns a list of messages, empty when the object is valid.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = "io.k8s.api.core.v1."
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$")
SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
          "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
INT32 = (-2 ** 31, 2 ** 31 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
MAX_ID = 2147483647

with open(os.path.join(HERE, "openapi", "core-v1-subset.json")) as f:
    SCHEMAS = json.load(f)["components"]["schemas"]

# Where each workload kind keeps its pod template (the pod itself for a Pod).
TEMPLATE = {
    "Pod": None, "Deployment": ("spec", "template"), "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"), "Job": ("spec", "template"),
    "ReplicationController": ("spec", "template"), "PodTemplate": ("template",),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def quantity(v):
    """A Kubernetes quantity as a number, or None when it is not one."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if not isinstance(v, str) or not QUANTITY.match(v):
        return None
    m = re.match(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$", v)
    number, suffix = m.group(1), m.group(2)
    if suffix[:1] in ("e", "E"):
        return float(number) * 10 ** int(suffix[1:])
    return float(number) * SUFFIX[suffix]


def _schema_check(value, schema, path, out):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in SCHEMAS:
            out.append(f"{path}: schema {name} is not in the vendored subset (extend tests/fixes/openapi)")
            return
        return _schema_check(value, SCHEMAS[name], path, out)
    if "oneOf" in schema:   # resource.Quantity: a string or a number, in the quantity grammar
        if quantity(value) is None:
            out.append(f"{path}: {value!r} is not a quantity")
        return
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        props, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, v in value.items():
            if props is not None and key in props:
                _schema_check(v, props[key], f"{path}.{key}", out)
            elif extra is not None:
                _schema_check(v, extra, f"{path}.{key}", out)
            else:
                out.append(f"{path}: unknown field {key!r}")
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: required field {key!r} is missing")
    elif kind == "array":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _schema_check(item, schema["items"], f"{path}[{i}]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "integer":
        lo, hi = INT32 if schema.get("format") == "int32" else INT64
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            out.append(f"{path}: expected an {schema.get('format', 'integer')}, got {value!r}")
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            out.append(f"{path}: expected a number, got {value!r}")


def _pod_parts(obj):
    """(path, metadata, spec) of the object's pod (template), or None for other kinds."""
    steps = TEMPLATE.get(obj.get("kind"), "none")
    if steps == "none":
        return None
    if steps is None:
        return "", obj.get("metadata", {}), obj.get("spec", {})
    node, path = obj, ""
    for s in steps:
        node = node.get(s, {})
        path += "." + s
    return path, node.get("metadata", {}), node.get("spec", {})


def _containers(spec):
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for i, c in enumerate(spec.get(key, [])):
            yield f"spec.{key}[{i}]", key, c


WINDOWS_POD_SC = ("appArmorProfile", "seLinuxOptions", "seccompProfile", "fsGroup", "fsGroupChangePolicy",
                  "sysctls", "runAsUser", "runAsGroup", "supplementalGroups", "supplementalGroupsPolicy",
                  "seLinuxChangePolicy")
WINDOWS_CONTAINER_SC = ("appArmorProfile", "seLinuxOptions", "seccompProfile", "capabilities",
                        "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation", "procMount", "runAsUser",
                        "runAsGroup")
EPHEMERAL_FORBIDDEN = ("ports", "lifecycle", "livenessProbe", "readinessProbe", "startupProbe", "resizePolicy",
                       "restartPolicy")
PROFILE_TYPES = ("RuntimeDefault", "Unconfined", "Localhost")


def _os_rules(spec, out):
    sc = spec.get("securityContext") or {}
    os_name = (spec.get("os") or {}).get("name")
    if os_name == "windows":
        for f in WINDOWS_POD_SC:
            if sc.get(f) is not None and sc.get(f) != []:
                out.append(f"spec.securityContext.{f}: cannot be set for a windows pod")
        for f in ("hostPID", "hostIPC", "shareProcessNamespace"):
            if spec.get(f) is True or (f == "shareProcessNamespace" and f in spec):
                out.append(f"spec.{f}: cannot be set for a windows pod")
        if "hostUsers" in spec:
            out.append("spec.hostUsers: cannot be set for a windows pod")
        for path, _, c in _containers(spec):
            csc = c.get("securityContext") or {}
            for f in WINDOWS_CONTAINER_SC:
                if csc.get(f) is not None:
                    out.append(f"{path}.securityContext.{f}: cannot be set for a windows pod")
    elif os_name == "linux":
        if sc.get("windowsOptions") is not None:
            out.append("spec.securityContext.windowsOptions: windows options cannot be set for a linux pod")
        for path, _, c in _containers(spec):
            if (c.get("securityContext") or {}).get("windowsOptions") is not None:
                out.append(f"{path}.securityContext.windowsOptions: windows options cannot be set for a linux pod")


def _profile(p, path, out):
    if p is None:
        return
    t = p.get("type")
    if t not in PROFILE_TYPES:
        out.append(f"{path}.type: {t!r} is not one of {PROFILE_TYPES}")
    if (t == "Localhost") != ("localhostProfile" in p):
        out.append(f"{path}.localhostProfile: must be set exactly when the type is Localhost")


def _ids(sc, path, out):
    for f in ("runAsUser", "runAsGroup", "fsGroup"):
        v = sc.get(f)
        if v is not None and not (isinstance(v, int) and 0 <= v <= MAX_ID):
            out.append(f"{path}.{f}: {v!r} must be between 0 and {MAX_ID}")
    for g in sc.get("supplementalGroups") or []:
        if not (isinstance(g, int) and 0 <= g <= MAX_ID):
            out.append(f"{path}.supplementalGroups: {g!r} must be between 0 and {MAX_ID}")


def _container_rules(spec, out):
    for path, key, c in _containers(spec):
        sc = c.get("securityContext") or {}
        _ids(sc, path + ".securityContext", out)
        _profile(sc.get("seccompProfile"), path + ".securityContext.seccompProfile", out)
        _profile(sc.get("appArmorProfile"), path + ".securityContext.appArmorProfile", out)
        if "procMount" in sc and sc["procMount"] not in ("Default", "Unmasked"):
            out.append(f"{path}.securityContext.procMount: {sc['procMount']!r} is not Default or Unmasked")
        if sc.get("allowPrivilegeEscalation") is False:
            if sc.get("privileged") is True:
                out.append(f"{path}.securityContext: cannot set `allowPrivilegeEscalation` to false and "
                           "`privileged` to true")
            if "CAP_SYS_ADMIN" in ((sc.get("capabilities") or {}).get("add") or []):
                out.append(f"{path}.securityContext: cannot set `allowPrivilegeEscalation` to false and "
                           "`capabilities.Add` CAP_SYS_ADMIN")
        res = c.get("resources") or {}
        if key == "ephemeralContainers":
            for f in EPHEMERAL_FORBIDDEN:
                if f in c:
                    out.append(f"{path}.{f}: cannot be set for an Ephemeral Container")
            if res.get("limits") or res.get("requests") or res.get("claims"):
                out.append(f"{path}.resources: cannot be set for an Ephemeral Container")
        for name, request in (res.get("requests") or {}).items():
            limit = (res.get("limits") or {}).get(name)
            if limit is not None and quantity(request) is not None and quantity(limit) is not None \
                    and quantity(request) > quantity(limit):
                out.append(f"{path}.resources.requests.{name}: must be less than or equal to {name} limit of {limit}")


def _apparmor_annotations(meta, spec, out):
    names = {c.get("name") for _, _, c in _containers(spec)}
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    pod_profile = (spec.get("securityContext") or {}).get("appArmorProfile")
    windows = (spec.get("os") or {}).get("name") == "windows"
    for key, value in (meta.get("annotations") or {}).items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if name not in names:
            out.append(f"metadata.annotations[{key}]: container not found")
        if not (value in ("", "runtime/default", "unconfined") or value.startswith("localhost/")):
            out.append(f"metadata.annotations[{key}]: invalid AppArmor profile name {value!r}")
        if windows:
            continue
        for _, _, c in _containers(spec):
            if c.get("name") != name:
                continue
            profile = (c.get("securityContext") or {}).get("appArmorProfile") or pod_profile
            if not profile:
                continue
            want = {"RuntimeDefault": value == "runtime/default", "Unconfined": value == "unconfined",
                    "Localhost": value == "localhost/" + str(profile.get("localhostProfile"))}.get(profile.get("type"))
            if want is False:
                out.append(f"container {name}: apparmor type in annotation and field must match")


def problems(obj, create=True):
    """What the API server would reject in `obj` (a list of messages; empty when valid)."""
    out = []
    _schema_check(obj.get("metadata", {}), {"$ref": "#/components/schemas/" + META + "ObjectMeta"}, "metadata", out)
    parts = _pod_parts(obj)
    if parts is None:
        return out
    path, meta, spec = parts
    if path:
        _schema_check(meta, {"$ref": "#/components/schemas/" + META + "ObjectMeta"}, path + ".metadata", out)
        if spec.get("ephemeralContainers"):
            out.append(f"{path}.spec.ephemeralContainers: ephemeral containers not allowed in pod template")
    elif create and spec.get("ephemeralContainers"):
        out.append("spec.ephemeralContainers: cannot be set on create")
    _schema_check(spec, {"$ref": "#/components/schemas/" + CORE + "PodSpec"}, path[1:] + ".spec" if path else "spec",
                  out)
    _os_rules(spec, out)
    sc = spec.get("securityContext") or {}
    _ids(sc, "spec.securityContext", out)
    _profile(sc.get("seccompProfile"), "spec.securityContext.seccompProfile", out)
    _profile(sc.get("appArmorProfile"), "spec.securityContext.appArmorProfile", out)
    _container_rules(spec, out)
    _apparmor_annotations(meta, spec, out)
    return out
