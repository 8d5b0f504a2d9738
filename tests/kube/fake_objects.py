"""fake_objects.py - single objects in the API server TEST DOUBLE
(fake_apiserver.py): GET, POST, PUT and DELETE of ConfigMaps,
coordination.k8s.io/v1 Leases and the Policy working group's custom
resources wgpolicyk8s.io/v1alpha2 PolicyReports (namespaced) and
ClusterPolicyReports (cluster-scoped), answering as kube-apiserver's generic
registry does (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go,
the two built-in types' strategies and apiextensions-apiserver's
customresource strategy):

- GET  .../namespaces/NS/RESOURCE/NAME: 200 with the object, or 404 NotFound.
- POST .../namespaces/NS/RESOURCE: 201 Created; 409 AlreadyExists; a body that
  sets metadata.resourceVersion fails ("resourceVersion should not be set on
  objects to be created"); a namespace other than the URL's is 400 BadRequest.
- PUT  .../NAME: the body's metadata.resourceVersion is the precondition: a
  different one is 409 Conflict ("the object has been modified; please apply
  your changes to the latest version and try again"). Without one, a
  ConfigMap is updated unconditionally (AllowUnconditionalUpdate) and a Lease
  is 422 Invalid ("must be specified for an update"). A missing ConfigMap is
  404 (no create on update); a missing Lease is created (AllowCreateOnUpdate).
  A write that changes nothing keeps the resourceVersion (the storage's
  no-op short cut); a name other than the URL's is 400.
- Validation (422 Invalid): a ConfigMap's data over 1 MiB in total ("Too long:
  must have at most 1048576 bytes"), keys outside [-._a-zA-Z0-9]; a Lease's
  leaseDurationSeconds must be > 0 and leaseTransitions >= 0; MicroTimes must
  parse (else 400, as decoding fails).
- Custom resources: served only once their CRD is (fake.serve_crd; before
  that every request is 404 with the Status of a path the server does not
  serve, "the server could not find the requested resource", no details);
  no create on update, no unconditional update (a PUT without
  metadata.resourceVersion is 422); a cluster-scoped object's path has no
  namespaces/NS and a namespace in its body is cleared. Validation as the
  CRD's OpenAPI schema: results[].result one of pass, fail, warn, error,
  skip; severity one of critical, high, low, medium, info; properties a map
  of strings; scored a boolean; summary counts integers.
- Request bodies over 3 MiB: 413.
- Every stored object gets uid, creationTimestamp (kept by updates),
  resourceVersion from the global counter, and managedFields naming the
  client's User-Agent. ConfigMap writes are watch events, like any other.

Test controls: objects_get/objects_put (another writer), forbid (verb,
resource) for 403 answers, and the write log.
"""
import copy
import json
import re
import time
from urllib.parse import unquote

# (API prefix, resource) -> kind, apiVersion, group, create on update, unconditional update
KINDS = {
    ("/api/v1", "configmaps"): ("ConfigMap", "v1", "", False, True),
    ("/apis/coordination.k8s.io/v1", "leases"): ("Lease", "coordination.k8s.io/v1", "coordination.k8s.io", True, False),
    ("/apis/wgpolicyk8s.io/v1alpha2", "policyreports"): ("PolicyReport", "wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io",
                                                         False, False),
    ("/apis/wgpolicyk8s.io/v1alpha2", "clusterpolicyreports"): ("ClusterPolicyReport", "wgpolicyk8s.io/v1alpha2",
                                                                "wgpolicyk8s.io", False, False),
}
CUSTOM = {"policyreports", "clusterpolicyreports"}   # served only once their CRD is installed
CLUSTER_SCOPED = {"clusterpolicyreports"}
PATH = re.compile(r"^(/api/v1|/apis/[^/]+/[^/]+)/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?$")
CLUSTER_PATH = re.compile(r"^(/apis/[^/]+/[^/]+)/([^/]+)(?:/([^/]+))?$")
REPORT_RESULTS = {"pass", "fail", "warn", "error", "skip"}
REPORT_SEVERITIES = {"critical", "high", "low", "medium", "info"}
NOT_SERVED = "the server could not find the requested resource"
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
MAX_BODY = 3 * 1024 * 1024
MAX_CONFIGMAP = 1024 * 1024
CONFLICT = "the object has been modified; please apply your changes to the latest version and try again"


def route(path):
    """(kind info, namespace ("" when cluster-scoped), resource, name or None) of a single-object path, or None."""
    m = PATH.match(path)
    if m and (m.group(1), m.group(3)) in KINDS and m.group(3) not in CLUSTER_SCOPED:
        return KINDS[(m.group(1), m.group(3))], unquote(m.group(2)), m.group(3), unquote(m.group(4)) if m.group(4) else None
    m = CLUSTER_PATH.match(path)
    if m and (m.group(1), m.group(2)) in KINDS and m.group(2) in CLUSTER_SCOPED:
        return KINDS[(m.group(1), m.group(2))], "", m.group(2), unquote(m.group(3)) if m.group(3) else None
    return None


def storage(resource):
    """Where the double keeps a resource's objects and events: its list path (fake_apiserver.py)."""
    return next(f"{prefix}/{r}" for (prefix, r) in KINDS if r == resource)


def qualified(resource, group):
    return f"{resource}.{group}" if group else resource


def status(code, reason, message, resource=None, group="", name=None, causes=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
          "reason": reason, "code": code}
    if resource:
        details = {"name": name, "kind": resource}
        if group:
            details["group"] = group
        if causes:
            details["causes"] = causes
        st["details"] = details
    return st


def invalid(kind_or_resource, group, resource, name, field, message):
    qual = qualified(kind_or_resource, group)
    return status(422, "Invalid", f'{qual} "{name}" is invalid: {field}: {message}', resource, group, name,
                  [{"reason": "FieldValueInvalid", "message": message, "field": field}])


def validate_report(kind, group, resource, name, obj):
    """The PolicyReport CRD's OpenAPI schema, as the API server checks it (422 Invalid), for what a writer
    gets wrong: enums, the string map of properties, types of scored and the summary."""
    results = obj.get("results", [])
    if not isinstance(results, list):
        return invalid(kind, group, resource, name, "results", f"Invalid value: \"{type(results).__name__}\": "
                       "results in body must be of type array")
    for i, r in enumerate(results):
        where = f"results[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("policy"), str):
            return invalid(kind, group, resource, name, f"{where}.policy", "Required value")
        if r.get("result") not in REPORT_RESULTS:
            return invalid(kind, group, resource, name, f"{where}.result", f"Unsupported value: \"{r.get('result')}\": "
                           "supported values: \"pass\", \"fail\", \"warn\", \"error\", \"skip\"")
        if "severity" in r and r["severity"] not in REPORT_SEVERITIES:
            return invalid(kind, group, resource, name, f"{where}.severity", f"Unsupported value: \"{r['severity']}\"")
        if "scored" in r and not isinstance(r["scored"], bool):
            return invalid(kind, group, resource, name, f"{where}.scored", "Invalid value: must be of type boolean")
        props = r.get("properties", {})
        if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
            return invalid(kind, group, resource, name, f"{where}.properties",
                           "Invalid value: properties in body must be a map of strings")
        if not isinstance(r.get("resources", []), list):
            return invalid(kind, group, resource, name, f"{where}.resources", "Invalid value: must be of type array")
    summary = obj.get("summary", {})
    if not isinstance(summary, dict) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                for v in summary.values()):
        return invalid(kind, group, resource, name, "summary", "Invalid value: counts must be integers")
    return None


def validate(info, resource, name, obj):
    """A 422 Status when the object is invalid, else None."""
    kind, _, group, _, _ = info
    if resource in CUSTOM:
        return validate_report(kind, group, resource, name, obj)
    if kind == "ConfigMap":
        total = 0
        for field in ("data", "binaryData"):
            for key, value in (obj.get(field) or {}).items():
                if not CONFIGMAP_KEY.match(key) or len(key) > 253:
                    return invalid(kind, group, resource, name, f"{field}[{key}]",
                                   f"Invalid value: \"{key}\": a valid config key must consist of alphanumeric "
                                   "characters, '-', '_' or '.'")
                total += len(value.encode() if isinstance(value, str) else value)
        if total > MAX_CONFIGMAP:
            return invalid(kind, group, resource, name, "[]", f"Too long: must have at most {MAX_CONFIGMAP} bytes")
    if kind == "Lease":
        spec = obj.get("spec") or {}
        d, t = spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")
        if d is not None and d <= 0:
            return invalid(kind, group, resource, name, "spec.leaseDurationSeconds",
                           f"Invalid value: {d}: must be greater than 0")
        if t is not None and t < 0:
            return invalid(kind, group, resource, name, "spec.leaseTransitions",
                           f"Invalid value: {t}: must be greater than or equal to 0")
    return None


def decodable(info, obj):
    """A 400 Status when the body cannot be decoded as the kind, else None."""
    kind, api_version, _, _, _ = info
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
        return status(400, "BadRequest", f"the body cannot be handled as a {kind}")
    if obj.get("kind", kind) != kind or obj.get("apiVersion", api_version) != api_version:
        return status(400, "BadRequest", f"the body's {obj.get('apiVersion')}/{obj.get('kind')} is not "
                      f"{api_version}/{kind}")
    if kind == "Lease":
        for field in ("acquireTime", "renewTime"):
            value = (obj.get("spec") or {}).get(field)
            if value is not None and not (isinstance(value, str) and MICRO_TIME.match(value)):
                return status(400, "BadRequest", f"Lease in version \"v1\" cannot be handled as a Lease: "
                              f"parsing time \"{value}\" as RFC3339")
    if kind == "ConfigMap":
        for field in ("data", "binaryData"):
            v = obj.get(field)
            if v is not None and not (isinstance(v, dict) and all(isinstance(x, str) for x in v.values())):
                return status(400, "BadRequest", f"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
                              f"{field} must be a map of strings")
    return None


def comparable(obj):
    """The object without what the server sets on every write."""
    o = copy.deepcopy(obj)
    meta = o.get("metadata", {})
    for key in ("resourceVersion", "managedFields", "uid", "creationTimestamp"):
        meta.pop(key, None)
    return o


class Objects:
    """The single-object part of a FakeAPIServer (`fake`): its lock, counter and watch history."""

    def __init__(self, fake):
        self.fake = fake
        self.forbidden = set()       # (verb, resource) answered 403
        self.writes = []             # (method, path, status)
        for (_, resource) in KINDS:
            if resource not in CUSTOM:   # custom resources' storage comes with serve_crd()
                fake.objects.setdefault(storage(resource), {})

    def get(self, resource, namespace, name):
        with self.fake.cond:
            obj = self.fake.objects.get(storage(resource), {}).get((namespace, name))
            return copy.deepcopy(obj) if obj else None

    def put(self, resource, namespace, obj, agent="another-writer"):
        """Store `obj` as another client's write would (new resourceVersion, watch event)."""
        info = next(v for (p, r), v in KINDS.items() if r == resource)
        with self.fake.cond:
            return self._store(info, resource, namespace, copy.deepcopy(obj), agent)

    def _store(self, info, resource, namespace, obj, agent):
        kind, api_version, _, _, _ = info
        fake = self.fake
        meta = obj.setdefault("metadata", {})
        old = fake.objects[storage(resource)].get((namespace, meta["name"]))
        obj["apiVersion"], obj["kind"] = api_version, kind
        if resource in CLUSTER_SCOPED:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = namespace
        if old and comparable(old) == comparable(obj):
            return copy.deepcopy(old)
        fake.stamp(meta, old)
        meta["managedFields"] = [{"manager": agent, "operation": "Update", "apiVersion": api_version,
                                  "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  "fieldsType": "FieldsV1", "fieldsV1": {}}]
        fake.objects[storage(resource)][(namespace, meta["name"])] = obj
        fake._event(storage(resource), "MODIFIED" if old else "ADDED", obj)
        return copy.deepcopy(obj)

    def handle(self, h, method, ok):
        """Answer a single-object request on handler `h`; False when the path is not one."""
        r = route(h.path.split("?", 1)[0])
        if not r or (r[2] in CLUSTER_SCOPED and method == "GET" and r[3] is None):
            return False   # a cluster-scoped collection's GET is a list (fake_apiserver.py)
        info, namespace, resource, name = r
        code, body = self._answer(h, method, ok, info, namespace, resource, name)
        with self.fake.cond:
            self.fake.log.append((h.path.split("?", 1)[0], {}, ok, code))
            if method != "GET":
                self.writes.append((method, h.path, code))
        h.send_json(code, body)
        return True

    def _answer(self, h, method, ok, info, namespace, resource, name):
        kind, _, group, create_on_update, unconditional = info
        qual = qualified(resource, group)
        if not ok:
            return 401, status(401, "Unauthorized", "Unauthorized")
        if resource in CUSTOM:
            with self.fake.cond:
                served = storage(resource) in self.fake.routes
            if not served:
                return 404, status(404, "NotFound", NOT_SERVED)
        verb = {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete"}[method]
        if (verb, resource) in self.forbidden:
            return 403, status(403, "Forbidden", f'{qual} "{name or ""}" is forbidden: User '
                               f'"system:serviceaccount:test:scoregate" cannot {verb} resource "{resource}" in API '
                               f'group "{group}" in the namespace "{namespace}"', resource, group, name)
        if (method == "POST") == (name is not None):
            return 405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if method in ("GET", "DELETE"):
            with self.fake.cond:
                obj = self.fake.objects[storage(resource)].get((namespace, name))
                if not obj:
                    return 404, status(404, "NotFound", f'{qual} "{name}" not found', resource, group, name)
                if method == "DELETE":
                    del self.fake.objects[storage(resource)][(namespace, name)]
                    self.fake.rv += 1
                    self.fake._event(storage(resource), "DELETED", obj)
                    return 200, status(200, "", "", resource, group, name) | {"status": "Success"}
                return 200, copy.deepcopy(obj)
        length = int(h.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return 413, status(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}")
        try:
            obj = json.loads(h.rfile.read(length))
        except ValueError as e:
            return 400, status(400, "BadRequest", f"the body is not JSON: {e}")
        bad = decodable(info, obj)
        if bad:
            return 400, bad
        meta = obj.setdefault("metadata", {})
        if resource in CLUSTER_SCOPED:
            meta.pop("namespace", None)   # cleared, as for every cluster-scoped kind
        if meta.get("namespace", namespace) != namespace:
            return 400, status(400, "BadRequest",
                               "the namespace of the provided object does not match the namespace sent on the request")
        agent = h.headers.get("User-Agent", "unknown")
        if method == "POST":
            return self._create(info, resource, namespace, obj, agent)
        if meta.get("name", name) != name:
            return 400, status(400, "BadRequest", f"the name of the object ({meta.get('name')}) does not match the "
                               f"name on the URL ({name})")
        meta["name"] = name
        with self.fake.cond:
            old = self.fake.objects[storage(resource)].get((namespace, name))
            rv = meta.get("resourceVersion", "")
            if not old:
                if not create_on_update:
                    return 404, status(404, "NotFound", f'{qual} "{name}" not found', resource, group, name)
                meta.pop("resourceVersion", None)
                bad = validate(info, resource, name, obj)
                return (422, bad) if bad else (201, self._store(info, resource, namespace, obj, agent))
            if not rv and not unconditional:
                return 422, invalid(resource, group, resource, name, "metadata.resourceVersion",
                                    "Invalid value: 0x0: must be specified for an update")
            if rv and rv != old["metadata"]["resourceVersion"]:
                return 409, status(409, "Conflict", f'Operation cannot be fulfilled on {qual} "{name}": {CONFLICT}',
                                   resource, group, name)
            if meta.get("uid") and meta["uid"] != old["metadata"]["uid"]:
                return 409, status(409, "Conflict", f'Operation cannot be fulfilled on {qual} "{name}": Precondition '
                                   f'failed: UID in precondition: {meta["uid"]}, UID in object meta: '
                                   f'{old["metadata"]["uid"]}', resource, group, name)
            bad = validate(info, resource, name, obj)
            return (422, bad) if bad else (200, self._store(info, resource, namespace, obj, agent))

    def _create(self, info, resource, namespace, obj, agent):
        _, _, group, _, _ = info
        meta = obj["metadata"]
        name = meta.get("name")
        if not name:
            return 422, invalid(info[0], group, resource, "", "metadata.name",
                                "Required value: name or generateName is required")
        if meta.get("resourceVersion"):
            return 500, status(500, "InternalError", "Internal error occurred: resourceVersion should not be set on "
                               "objects to be created")
        bad = validate(info, resource, name, obj)
        if bad:
            return 422, bad
        with self.fake.cond:
            if (namespace, name) in self.fake.objects[storage(resource)]:
                return 409, status(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                                   resource, group, name)
            return 201, self._store(info, resource, namespace, obj, agent)
