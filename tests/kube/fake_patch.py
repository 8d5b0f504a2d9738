"""fake_patch.py - PATCH of one object in the API server TEST DOUBLE (fake_apiserver.py), answered as
kube-apiserver answers it. Read from kubernetes/kubernetes at 00f75347 (read, not copied):
staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go (PatchResource, jsonPatcher.applyJSPatch,
patcher.applyPatch), apimachinery's api/errors (NewGenericServerResponse, NewConflict, NewInvalid,
NewForbidden), meta/v1/validation (ValidateDryRun), and the generic registry's Update (resourceVersion
precondition, no-op writes), for the kinds the double serves:

- authorization comes first: a patch the test forbids (forbid()) is 403 Forbidden with RBAC's message
  ('deployments.apps "web" is forbidden: User "scoregate-test" cannot patch resource "deployments" in API
  group "apps" in the namespace "team"'), for a dry run too (it needs the same verb);
- Content-Type must be one of the patch types (else 415 UnsupportedMediaType); the double implements
  application/json-patch+json and refuses the others with 415 as well, saying so;
- dryRun may only be "All" (else 422 Invalid PatchOptions, "Unsupported value");
- the object must exist (404 NotFound, 'deployments.apps "web" not found');
- the body must be a JSON Patch, an array of operations (else 400 BadRequest); more than 10000
  operations is 413;
- the operations (add, remove, replace, move, copy, test) apply in order to the object as stored; one
  that fails, a failed `test` included, answers 422 with reason Invalid, the message "the server rejected
  our request due to an error in our request" and empty details: NewGenericServerResponse(422, ...) is
  called with isUnexpectedResponse false, so the operation's own error ("testing value
  /metadata/resourceVersion failed: test failed") never reaches the body;
- the result keeps its name and namespace (else 400 BadRequest) and its kind and apiVersion (400);
- a patch of the main resource cannot change status (the strategies' PrepareForUpdate keeps it);
  metadata.generation grows when spec changes;
- a resourceVersion in the result other than the stored one is 409 Conflict ('Operation cannot be
  fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the
  latest version and try again'); none at all is an unconditional update, as for every built-in kind;
- validation is 422 Invalid with the fields at fault in details.causes: the checks of
  tests/fixes/apivalidate.py (the OpenAPI types and the pkg/apis/core/validation rules fixes can touch),
  and for a Pod the update rule (only images, activeDeadlineSeconds, tolerations and
  terminationGracePeriodSeconds may change: 'Pod "p" is invalid: spec: Forbidden: pod updates may not
  change fields other than ...');
- dryRun=All runs all of that and stores nothing: the answer is the object as it would be stored, with
  the resourceVersion it has;
- a patch that changes nothing stores nothing and keeps the resourceVersion (the storage's no-op);
- otherwise the object is stored with the next resourceVersion (a MODIFIED watch event) and returned, 200.

Test controls: forbid(resource, namespace=None), before_patch (called with the request's (namespace,
resource, name, dry_run) before it is handled, e.g. to change the object as another writer would), and
log: every PATCH as (path, query, content type, body, status).
"""
import copy
import json
import os
import re
import sys
from urllib.parse import parse_qs, unquote, urlparse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixes"))
import apivalidate  # noqa: E402

PATH = re.compile(r"^(/api/v1|/apis/[^/]+/[^/]+)/namespaces/([^/]+)/([^/]+)/([^/]+)$")
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
               "application/strategic-merge-patch+json")
MAX_OPERATIONS = 10000
USER = "scoregate-test"
POD_MUTABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")
POD_UPDATE = ("pod updates may not change fields other than `spec.containers[*].image`,"
              "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
              "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
              "previously negative)")


class PatchError(Exception):
    """An answer other than 200: the HTTP status and the Status body."""

    def __init__(self, code, body):
        super().__init__(body.get("message"))
        self.code, self.body = code, body


def status(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
          "reason": reason, "code": code}
    if details is not None:
        st["details"] = details
    return st


def group_of(api_version):
    return api_version.split("/")[0] if "/" in api_version else ""


def qualified(resource, group):
    return f"{resource}.{group}" if group else resource


# ---------------------------------------------------------------- RFC 6902

def pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"JSON pointer must start with /: {path}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def parent_of(doc, tokens):
    node = doc
    for t in tokens[:-1]:
        if isinstance(node, dict) and t in node:
            node = node[t]
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            raise ValueError("doc is missing path")
    return node


def get(doc, tokens):
    if not tokens:
        return doc
    parent, last = parent_of(doc, tokens), tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise ValueError("doc is missing key")


def put(doc, tokens, value, replace):
    parent, last = parent_of(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise ValueError("replace operation does not apply: doc is missing key")
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" and not replace else int(last) if last.isdigit() else -1
        if not 0 <= index <= len(parent) - (1 if replace else 0):
            raise ValueError("index out of bounds")
        if replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    else:
        raise ValueError("doc is missing path")


def remove(doc, tokens):
    value = get(doc, tokens)
    parent, last = parent_of(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        del parent[last]
    else:
        del parent[int(last)]
    return value


def apply_operation(doc, op):
    kind, tokens = op.get("op"), pointer(op.get("path", ""))
    if kind in ("add", "replace"):
        put(doc, tokens, copy.deepcopy(op["value"]), kind == "replace")
    elif kind == "remove":
        remove(doc, tokens)
    elif kind == "test":
        if get(doc, tokens) != op.get("value"):
            raise ValueError(f"testing value {op.get('path')} failed: test failed")
    elif kind in ("move", "copy"):
        source = pointer(op["from"])
        value = remove(doc, source) if kind == "move" else copy.deepcopy(get(doc, source))
        put(doc, tokens, value, False)
    else:
        raise ValueError(f"Unexpected kind: {kind}")


# ---------------------------------------------------------------- the handler

class Patches:
    def __init__(self, fake):
        self.fake = fake
        self.forbidden = set()       # (resource, namespace or None)
        self.before_patch = None
        self.log = []

    def forbid(self, resource, namespace=None):
        self.forbidden.add((resource, namespace))

    def handle(self, handler, authorized):
        """Answer a PATCH; False when the path names no single object of a kind the double serves."""
        u = urlparse(handler.path)
        m = PATH.match(u.path)
        route = m and self.fake_route(m.group(1), unquote(m.group(3)))
        if not route:
            return False
        ns, name = unquote(m.group(2)), unquote(m.group(4))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        ctype = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
        query = parse_qs(u.query, keep_blank_values=True)
        if not authorized:
            code, answer = 401, status(401, "Unauthorized", "Unauthorized")
        else:
            try:
                code, answer = 200, self.patch(route, ns, name, ctype, query, body)
            except PatchError as e:
                code, answer = e.code, e.body
        with self.fake.cond:
            self.log.append((u.path, query, ctype, body.decode(errors="replace"), code))
        handler.send_json(code, answer)
        return True

    def fake_route(self, prefix, resource):
        """The double's route (path, kind, apiVersion) of a collection path, custom resources included."""
        with self.fake.cond:
            return self.fake.routes.get(f"{prefix}/{resource}")

    def patch(self, route, ns, name, ctype, query, body):
        path, kind, api_version = route
        res = path.rsplit("/", 1)[1]
        group = group_of(api_version)
        qual = qualified(res, group)
        if (res, ns) in self.forbidden or (res, None) in self.forbidden:
            raise PatchError(403, status(403, "Forbidden", f'{qual} "{name}" is forbidden: User "{USER}" cannot '
                                         f'patch resource "{res}" in API group "{group}" in the namespace "{ns}"',
                                         {"name": name, "group": group, "kind": res}))
        if ctype not in PATCH_TYPES or ctype != PATCH_TYPES[0]:
            raise PatchError(415, status(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                                         "format - accepted media types include: " + ", ".join(PATCH_TYPES) +
                                         ("" if ctype not in PATCH_TYPES else " (the test double implements "
                                          "application/json-patch+json only)"), {}))
        dry = query.get("dryRun", [])
        if any(v != "All" for v in dry):
            raise PatchError(422, status(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: dryRun: '
                                         f'Unsupported value: {json.dumps(dry)}: supported values: "All"',
                                         {"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                                             {"reason": "FieldValueNotSupported", "field": "dryRun",
                                              "message": 'Unsupported value: ' + json.dumps(dry) +
                                              ': supported values: "All"'}]}))
        if self.before_patch:
            self.before_patch(ns, res, name, bool(dry))
        with self.fake.cond:
            return self.apply(path, kind, api_version, ns, name, body, bool(dry))

    def apply(self, path, kind, api_version, ns, name, body, dry):
        """The patch against the stored object (the caller holds the double's lock)."""
        res = path.rsplit("/", 1)[1]
        group = group_of(api_version)
        qual = qualified(res, group)
        stored = self.fake.objects[path].get((ns, name))
        if stored is None:
            raise PatchError(404, status(404, "NotFound", f'{qual} "{name}" not found',
                                         {"name": name, "group": group, "kind": res}))
        try:
            ops = json.loads(body or b"null")
        except ValueError as e:
            raise PatchError(400, status(400, "BadRequest", f"invalid character in the patch: {e}"))
        if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
            raise PatchError(400, status(400, "BadRequest", "json: cannot unmarshal object into Go value of type "
                                         "jsonpatch.Patch"))
        if len(ops) > MAX_OPERATIONS:
            raise PatchError(413, status(413, "RequestEntityTooLarge", "Request entity too large: The allowed "
                                         f"maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(ops)}"))
        current = copy.deepcopy(stored)
        current.update({"kind": kind, "apiVersion": api_version})
        patched = copy.deepcopy(current)
        try:
            for op in ops:
                apply_operation(patched, op)
        except (ValueError, KeyError, TypeError):
            raise PatchError(422, status(422, "Invalid", "the server rejected our request due to an error in our "
                                         "request", {}))
        return self.update(path, kind, api_version, ns, name, current, patched, dry)

    def update(self, path, kind, api_version, ns, name, current, patched, dry):
        res = path.rsplit("/", 1)[1]
        group = group_of(api_version)
        meta = patched.get("metadata") if isinstance(patched.get("metadata"), dict) else None
        if meta is None or meta.get("name") != name or meta.get("namespace", ns) != ns:
            raise PatchError(400, status(400, "BadRequest", f"the name of the object ({(meta or {}).get('name')}) "
                                         f"does not match the name on the URL ({name})"))
        if patched.get("kind") != kind or patched.get("apiVersion") != api_version:
            raise PatchError(400, status(400, "BadRequest", f"the body's {patched.get('apiVersion')}/"
                                         f"{patched.get('kind')} is not {api_version}/{kind}"))
        if "status" in current:
            patched["status"] = current["status"]
        else:
            patched.pop("status", None)
        old_rv = current["metadata"]["resourceVersion"]
        if meta.get("resourceVersion", old_rv) != old_rv:
            raise PatchError(409, status(409, "Conflict", f'Operation cannot be fulfilled on '
                                         f'{qualified(res, group)} "{name}": the object has been modified; please '
                                         "apply your changes to the latest version and try again",
                                         {"name": name, "group": group, "kind": res}))
        meta["resourceVersion"] = old_rv
        self.validate(kind, group, name, current, patched)
        if patched.get("spec") != current.get("spec") and kind != "Pod":
            meta["generation"] = current["metadata"].get("generation", 1) + 1
        if dry or patched == current:
            return patched
        self.fake.put(patched)
        return copy.deepcopy(self.fake.objects[path][(ns, name)])

    @staticmethod
    def validate(kind, group, name, current, patched):
        causes = []
        if kind == "Pod":
            old, new = copy.deepcopy(current.get("spec", {})), copy.deepcopy(patched.get("spec", {}))
            for spec in (old, new):
                for key in ("containers", "initContainers"):
                    for c in spec.get(key, []):
                        c.pop("image", None)
                for key in POD_MUTABLE:
                    spec.pop(key, None)
            if old != new:
                causes.append({"reason": "FieldValueForbidden", "field": "spec", "message": "Forbidden: " +
                               POD_UPDATE})
        # apivalidate checks what a client writes; the fields the server stamps (Time values) are its own.
        checked = copy.deepcopy(patched)
        for key in ("creationTimestamp", "deletionTimestamp", "managedFields"):
            checked["metadata"].pop(key, None)
        for problem in apivalidate.problems(checked, create=False):
            field, _, message = problem.partition(": ")
            causes.append({"reason": "FieldValueInvalid", "field": field, "message": message})
        if not causes:
            return
        qual_kind = f"{kind}.{group}" if group else kind
        errors = [f"{c['field']}: {c['message']}" for c in causes]
        text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise PatchError(422, status(422, "Invalid", f'{qual_kind} "{name}" is invalid: {text}',
                                     {"name": name, "group": group, "kind": kind, "causes": causes}))
