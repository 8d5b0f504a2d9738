"""chart_template.py - the `template` group of chart_test.py: the structure of the rendered
manifests (webhooks and the Service they call, certificates in each mode, the pod, RBAC, the
settings file, NOTES.txt). Each case is a function of the Runner; a broken require() fails it.
"""
import base64
import json
import os
import re

from chartlib import (CLUSTER_SCOPED, FULLNAME, HERE, NS, POD_CONTROLLER_RESOURCES, RELEASE, SETTINGS_KEYS,
                      WORKLOAD_RESOURCES, b64pem, checksum, objs, one, openssl, ns_not_in, pod_spec, require,
                      settings_of)


def default_docs(t):
    if "default" not in t.cache:
        t.cache["default"] = t.render()
    return t.cache["default"]

def enforce_docs(t):
    if "enforce" not in t.cache:
        t.cache["enforce"] = t.render(sets=["config.recommendations.privileged-containers.action=enforce"])
    return t.cache["enforce"]

def kinds_default(t):
    docs = default_docs(t)
    kinds = sorted(d["object"]["kind"] for d in docs)
    want = sorted(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "ConfigMap", "Deployment", "Lease",
                   "NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Secret", "Service",
                   "ServiceAccount", "ValidatingWebhookConfiguration"])
    require(kinds == want, f"kinds {kinds} != {want}")

def namespaces(t):
    for o in objs(default_docs(t)):
        md = o["metadata"]
        if o["kind"] in CLUSTER_SCOPED:
            require("namespace" not in md, f"{o['kind']} is cluster-scoped but has a namespace")
        else:
            require(md.get("namespace") == NS, f"{o['kind']}/{md['name']} namespace {md.get('namespace')}")

def validating_points_at_service(t):
    docs = default_docs(t)
    svc = one(docs, "Service")
    vwc = one(docs, "ValidatingWebhookConfiguration")
    require(len(vwc["webhooks"]) == 1, "one validating webhook")
    wh = vwc["webhooks"][0]
    ref = wh["clientConfig"]["service"]
    require(ref["name"] == svc["metadata"]["name"] and ref["namespace"] == svc["metadata"]["namespace"],
          f"clientConfig.service {ref} is not the Service {svc['metadata']}")
    require(ref["path"] == "/validate", f"path {ref['path']}")
    ports = svc["spec"]["ports"]
    require(len(ports) == 1 and ports[0]["port"] == ref["port"] == 443, f"service port {ports} / {ref}")
    require(ports[0]["targetPort"] == "https", f"targetPort {ports[0]['targetPort']}")
    c = pod_spec(docs)["containers"][0]
    require({"name": "https", "containerPort": 8443, "protocol": "TCP"} in c["ports"], f"ports {c['ports']}")
    require(svc["spec"]["selector"] == one(docs, "Deployment")["spec"]["selector"]["matchLabels"],
          "Service selector != Deployment selector")

def validating_fields(t):
    wh = one(default_docs(t), "ValidatingWebhookConfiguration")["webhooks"][0]
    require(wh["sideEffects"] == "None", f"sideEffects {wh['sideEffects']}")
    require(wh["admissionReviewVersions"] == ["v1"], f"admissionReviewVersions {wh['admissionReviewVersions']}")
    require(wh["timeoutSeconds"] == 5, f"timeoutSeconds {wh['timeoutSeconds']}")
    require(wh["failurePolicy"] == "Fail", f"failurePolicy {wh['failurePolicy']}")
    require("matchConditions" not in wh, "matchConditions rendered although none are set")

def rules_cover(wh, ops, controllers=POD_CONTROLLER_RESOURCES):
    seen = {}
    for r in wh["rules"]:
        require(r["operations"] == ops, f"operations {r['operations']} != {ops}")
        custom = any(g in controllers for g in r["apiGroups"])
        require(r["apiVersions"] == (["*"] if custom else ["v1"]), f"apiVersions {r['apiVersions']}")
        require(r.get("scope") == "Namespaced", f"scope {r.get('scope')}")
        for g in r["apiGroups"]:
            seen.setdefault(g, set()).update(r["resources"])
    want = {g: set(v) for g, v in WORKLOAD_RESOURCES.items()}
    want[""].add("pods/ephemeralcontainers")
    want.update({g: set(v) for g, v in controllers.items()})
    require(seen == want, f"rules resources {seen} != {want}")

def rbac_grants(docs):
    granted = {}
    for r in one(docs, "ClusterRole")["rules"]:
        require(r["verbs"] == ["get", "list", "watch"], f"verbs {r['verbs']}")
        require("resourceNames" not in r and "nonResourceURLs" not in r, "extra rule fields")
        for g in r["apiGroups"]:
            granted.setdefault(g, set()).update(r["resources"])
    return granted

def pod_controllers(t):
    """scoregate's pod controllers and config.podControllers (one new, one replacing Argo's) in both
    webhooks' rules, the RBAC and the settings file."""
    given = [{"apiVersion": "serving.knative.dev/v1", "kind": "Service", "podTemplate": "spec.template"},
             {"apiVersion": "argoproj.io/v1beta1", "kind": "Rollout", "podTemplate": "spec.pod",
              "resource": "argorollouts"}]
    values = os.path.join(t.tmp, "pod-controllers.yaml")
    with open(values, "w") as f:
        json.dump({"config": {"podControllers": given,
                              "recommendations": {"privileged-containers": {"action": "enforce"}}}}, f)
    docs = t.render(files=[values])
    want = {g: set(v) for g, v in POD_CONTROLLER_RESOURCES.items()}
    want.update({"serving.knative.dev": {"services"}, "argoproj.io": {"argorollouts"}})
    rules_cover(one(docs, "ValidatingWebhookConfiguration")["webhooks"][0], ["CREATE", "UPDATE", "DELETE"], want)
    rules_cover(one(docs, "MutatingWebhookConfiguration")["webhooks"][0], ["CREATE", "UPDATE"], want)
    granted = rbac_grants(docs)
    require(granted == {**WORKLOAD_RESOURCES, **want}, f"RBAC resources {granted}")
    require(settings_of(docs)[0]["podControllers"] == given, "config.podControllers reaches the settings file")

def validating_rules(t):
    rules_cover(one(default_docs(t), "ValidatingWebhookConfiguration")["webhooks"][0],
                ["CREATE", "UPDATE", "DELETE"])

def namespace_selector(t):
    wh = one(default_docs(t), "ValidatingWebhookConfiguration")["webhooks"][0]
    names = ns_not_in(wh)
    require({"kube-system", NS} <= names, f"NotIn {names} lacks kube-system or {NS}")
    other = t.render(ns="platform-security", sets=["config.excludedNamespaces={team-a}"])
    names = ns_not_in(one(other, "ValidatingWebhookConfiguration")["webhooks"][0])
    require({"kube-system", "platform-security", "team-a"} <= names, f"NotIn {names}")
    settings, _ = settings_of(other)
    require(settings["excludedNamespaces"] == ["team-a", "platform-security"],
          f"settings excludedNamespaces {settings['excludedNamespaces']}")

def ca_bundle_helm(t):
    docs = default_docs(t)
    vwc = one(docs, "ValidatingWebhookConfiguration")
    bundle = vwc["webhooks"][0]["clientConfig"].get("caBundle", "")
    require(bundle, "caBundle is missing or empty")
    pem = b64pem(bundle)
    require("-----BEGIN CERTIFICATE-----" in pem, "caBundle is not a PEM certificate")
    sec = one(docs, "Secret")
    require(sec["type"] == "kubernetes.io/tls", f"Secret type {sec['type']}")
    require(set(sec["data"]) == {"ca.crt", "tls.crt", "tls.key"}, f"Secret keys {set(sec['data'])}")
    require(sec["data"]["ca.crt"] == bundle, "caBundle differs from the Secret's ca.crt")
    vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    require(vols["tls"]["secret"]["secretName"] == sec["metadata"]["name"], "pods do not mount the TLS Secret")
    # The serving certificate chains to the CA and names the Service.
    d = os.path.join(t.tmp, "certs")
    os.makedirs(d, exist_ok=True)
    for k in ("ca.crt", "tls.crt", "tls.key"):
        with open(os.path.join(d, k), "w") as f:
            f.write(b64pem(sec["data"][k]))
    r = openssl(["verify", "-CAfile", os.path.join(d, "ca.crt"), os.path.join(d, "tls.crt")])
    require(r.returncode == 0, f"openssl verify: {r.stdout}{r.stderr}")
    r = openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", os.path.join(d, "tls.crt")])
    sans = set(re.findall(r"DNS:([^,\s]+)", r.stdout))
    for name in (f"{FULLNAME}.{NS}.svc", f"{FULLNAME}.{NS}.svc.cluster.local", FULLNAME):
        require(name in sans, f"SAN {name} missing: {sorted(sans)}")
    pub_cert = openssl(["x509", "-noout", "-pubkey", "-in", os.path.join(d, "tls.crt")]).stdout
    pub_key = openssl(["pkey", "-pubout", "-in", os.path.join(d, "tls.key")]).stdout
    require(pub_cert and pub_cert == pub_key, "tls.key does not match tls.crt")
    r = openssl(["x509", "-noout", "-checkend", str(5 * 365 * 86400), "-in", os.path.join(d, "tls.crt")])
    require(r.returncode == 0, "serving certificate expires within 5 years")

def helm_reuses_secret(t):
    old = {"ca.crt": "T0xEQ0E=", "tls.crt": "T0xEQ1JU", "tls.key": "T0xES0VZ"}
    docs = t.render_with_secret(old, sets=["config.defaults.action=enforce"])
    require(one(docs, "Secret")["data"] == old, "existing Secret not reused on upgrade")
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        require(one(docs, kind)["webhooks"][0]["clientConfig"]["caBundle"] == old["ca.crt"],
              f"{kind} caBundle is not the existing ca.crt")
    for label, data, sets in (("renew=true", old, ["certificates.helm.renew=true"]),
                              ("incomplete Secret", {"tls.crt": "T0xEQ1JU", "tls.key": "T0xES0VZ"}, [])):
        docs = t.render_with_secret(data, sets=sets)
        sec = one(docs, "Secret")["data"]
        require(sec["ca.crt"] != old["ca.crt"] and "BEGIN CERTIFICATE" in b64pem(sec["ca.crt"]),
              f"{label}: certificates not regenerated")
        require(one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["caBundle"]
              == sec["ca.crt"], f"{label}: caBundle differs from the new ca.crt")

def no_mutating_by_default(t):
    require(not objs(default_docs(t), "MutatingWebhookConfiguration"),
          "MutatingWebhookConfiguration rendered without any enforce action")
    for s in ["config.recommendations.privileged-containers.action=deny",
              "config.defaults.action=audit"]:
        require(not objs(t.render(sets=[s]), "MutatingWebhookConfiguration"), f"mutating rendered with {s}")

def mutating_when_enforce(t):
    docs = enforce_docs(t)
    mwc = one(docs, "MutatingWebhookConfiguration")
    vwc = one(docs, "ValidatingWebhookConfiguration")
    wh = mwc["webhooks"][0]
    ref = wh["clientConfig"]["service"]
    require(ref["name"] == FULLNAME and ref["namespace"] == NS and ref["path"] == "/mutate"
          and ref["port"] == 443, f"mutating clientConfig {ref}")
    require(wh["clientConfig"].get("caBundle") == vwc["webhooks"][0]["clientConfig"]["caBundle"],
          "mutating caBundle differs from validating caBundle")
    require(wh["failurePolicy"] == "Ignore", f"mutating failurePolicy {wh['failurePolicy']}")
    require(wh["sideEffects"] == "None" and wh["admissionReviewVersions"] == ["v1"], "sideEffects/versions")
    require(wh["reinvocationPolicy"] == "IfNeeded", f"reinvocationPolicy {wh.get('reinvocationPolicy')}")
    require({"kube-system", NS} <= ns_not_in(wh), "mutating namespaceSelector")
    rules_cover(wh, ["CREATE", "UPDATE"])
    require(one(t.render(sets=["config.defaults.action=enforce"]), "MutatingWebhookConfiguration"),
          "defaults.action=enforce renders the mutating webhook")

def failure_policy_and_conditions(t):
    docs = t.render(sets=["webhook.validating.failurePolicy=Ignore", "webhook.timeoutSeconds=3",
                          "config.defaults.action=enforce", "webhook.mutating.failurePolicy=Fail",
                          "webhook.matchConditions[0].name=skip-nodes"],
                 set_strings=["webhook.matchConditions[0].expression=true"])
    v = one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]
    m = one(docs, "MutatingWebhookConfiguration")["webhooks"][0]
    require(v["failurePolicy"] == "Ignore" and m["failurePolicy"] == "Fail", "failurePolicy not configurable")
    require(v["timeoutSeconds"] == 3 and m["timeoutSeconds"] == 3, "timeoutSeconds not configurable")
    want = [{"name": "skip-nodes", "expression": "true"}]
    require(v.get("matchConditions") == want and m.get("matchConditions") == want,
          f"matchConditions {v.get('matchConditions')} / {m.get('matchConditions')}")

def checksum_rolls(t):
    a = checksum(default_docs(t))
    require(re.fullmatch(r"[0-9a-f]{64}", a), f"checksum/config {a!r}")
    require(checksum(t.render()) == a, "checksum changes between two renders of the same config")
    for s in ["config.recommendations.privileged-containers.action=deny",
              "config.standards={mcsb,pss-restricted}", "config.scoreGate.minScore=70"]:
        require(checksum(t.render(sets=[s])) != a, f"checksum unchanged after --set {s}")
    require(checksum(t.render(sets=["replicaCount=3"])) == a, "checksum changed though the config did not")

def settings_file(t):
    docs = default_docs(t)
    settings, _ = settings_of(docs)
    require(set(settings) <= SETTINGS_KEYS, f"unknown settings keys {set(settings) - SETTINGS_KEYS}")
    require(settings["standards"] == ["mcsb"], f"standards {settings['standards']}")
    require(settings["defaults"] == {"action": "warn"}, f"defaults {settings['defaults']}")
    require(settings["excludedNamespaces"] == ["kube-system", NS], f"excluded {settings['excludedNamespaces']}")
    spec = pod_spec(docs)
    c = spec["containers"][0]
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in spec["volumes"]}
    srv = settings["server"]
    require(set(srv) == {"address", "stateDir", "tls", "inventorySync", "dashboard", "history"} and
          srv["address"] == ":8443" and srv["inventorySync"] == {"enabled": True}, f"server {srv}")
    require(srv["dashboard"] == {"address": "127.0.0.1:8080"}, f"server.dashboard {srv['dashboard']}")
    require(srv["history"] == {"namespace": NS, "name": f"{FULLNAME}-history"}, f"server.history {srv['history']}")
    off = settings_of(t.render(sets=["dashboard.enabled=false"]))[0]["server"]
    require(off["dashboard"] == {"address": ""}, f"dashboard.enabled=false: {off['dashboard']}")
    moved = settings_of(t.render(sets=["dashboard.port=9090"]))[0]["server"]
    require(moved["dashboard"] == {"address": "127.0.0.1:9090"}, f"dashboard.port: {moved['dashboard']}")
    require("emptyDir" in vols["state"] and mounts["state"]["mountPath"] == srv["stateDir"]
          and not mounts["state"].get("readOnly"), f"stateDir {srv['stateDir']} is not the emptyDir mount")
    tls_dir = mounts["tls"]["mountPath"]
    items = {i["path"] for i in vols["tls"]["secret"]["items"]}
    require(set(srv["tls"]) == {"certFile", "keyFile"}, f"server.tls {srv['tls']}")
    for key, fname in (("certFile", "tls.crt"), ("keyFile", "tls.key")):
        require(srv["tls"][key] == f"{tls_dir}/{fname}" and fname in items, f"server.tls.{key} {srv['tls'][key]}")
    require(c["args"] == ["serve", "-c", mounts["config"]["mountPath"] + "/config.yaml"], f"args {c['args']}")
    require(vols["config"]["configMap"]["name"] == FULLNAME and
          any(c["metadata"]["name"] == FULLNAME and "config.yaml" in c["data"] for c in objs(docs, "ConfigMap")),
          "config volume is not the settings ConfigMap")

def settings_full(t):
    docs = t.render(files=[os.path.join(HERE, "values-full.yaml")])
    settings, _ = settings_of(docs)
    require(set(settings) == SETTINGS_KEYS - {"custom"}, f"keys {sorted(settings)}")
    require(settings["recommendations"]["trusted-registries"]["parameters"]["allowedImagesRegex"]
          == r"^registry\.example\.com/.+$", "regex parameter changed in rendering")
    require(settings["exemptions"][0]["expires"] == "2027-03-31T00:00:00Z", "expires changed")
    require(settings["scoreGate"] == {"minScore": 70, "maxDrop": 2}, f"scoreGate {settings['scoreGate']}")
    require(settings["excludedNamespaces"] == ["kube-system", "gatekeeper-system", NS],
          f"excluded {settings['excludedNamespaces']}")
    require(objs(docs, "MutatingWebhookConfiguration"), "values-full has an enforce action")
    require(objs(docs, "ServiceMonitor"), "values-full enables the ServiceMonitor")

def pod_hardening(t):
    docs = default_docs(t)
    dep = one(docs, "Deployment")
    require(dep["spec"]["replicas"] == 2, f"replicas {dep['spec']['replicas']}")
    spec = pod_spec(docs)
    psc = spec["securityContext"]
    require(psc.get("runAsNonRoot") is True, "pod runAsNonRoot")
    for k in ("runAsUser", "runAsGroup", "fsGroup"):
        require(isinstance(psc.get(k), int) and psc[k] > 0, f"pod {k} {psc.get(k)!r} is not a numeric non-root id")
    require(psc.get("seccompProfile") == {"type": "RuntimeDefault"}, f"seccomp {psc.get('seccompProfile')}")
    require(psc.get("appArmorProfile") == {"type": "RuntimeDefault"}, f"appArmor {psc.get('appArmorProfile')}")
    require(spec["automountServiceAccountToken"] is False, "automountServiceAccountToken")
    require("hostNetwork" not in spec and "hostPID" not in spec and "hostIPC" not in spec, "host namespaces")
    require(len(spec["containers"]) == 1 and not spec.get("initContainers"), "one container")
    c = spec["containers"][0]
    sc = c["securityContext"]
    require(sc["allowPrivilegeEscalation"] is False, "allowPrivilegeEscalation")
    require(sc["readOnlyRootFilesystem"] is True, "readOnlyRootFilesystem")
    require(sc["capabilities"] == {"drop": ["ALL"]}, f"capabilities {sc['capabilities']}")
    require(sc.get("privileged") in (None, False), "privileged")
    for kind in ("requests", "limits"):
        require({"cpu", "memory"} <= set(c["resources"][kind]), f"resources.{kind} {c['resources'][kind]}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = c[probe]["httpGet"]
        require(g["path"] == path and g["scheme"] == "HTTPS" and g["port"] in ("https", 8443), f"{probe} {g}")
    require(dep["spec"]["template"]["metadata"]["annotations"].get("checksum/config"), "checksum annotation")

def scheduling(t):
    docs = default_docs(t)
    spec = pod_spec(docs)
    sel = one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
    terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    require(terms[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == sel, "anti-affinity selector")
    keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
    require({"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, f"spread keys {keys}")
    require("priorityClassName" not in spec, "priorityClassName rendered although empty")
    pdb = one(docs, "PodDisruptionBudget")
    require(pdb["spec"]["selector"]["matchLabels"] == sel and pdb["spec"]["maxUnavailable"] == 1, f"PDB {pdb['spec']}")
    spec2 = pod_spec(t.render(sets=["priorityClassName=system-cluster-critical"]))
    require(spec2.get("priorityClassName") == "system-cluster-critical", "priorityClassName not configurable")
    require(not objs(t.render(sets=["podDisruptionBudget.enabled=false"]), "PodDisruptionBudget"), "PDB toggle")

def inventory_sync(t):
    docs = default_docs(t)
    spec = pod_spec(docs)
    require(spec["automountServiceAccountToken"] is False, "automount must stay false with inventorySync")
    vols = {v["name"]: v for v in spec["volumes"]}
    src = vols["kube-api-access"]["projected"]["sources"]
    require(any("serviceAccountToken" in s for s in src), "projected token source")
    mounts = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    m = mounts.get("/var/run/secrets/kubernetes.io/serviceaccount")
    require(m and m["name"] == "kube-api-access" and m["readOnly"] is True, "token mount")
    sa = one(docs, "ServiceAccount")
    require(sa["automountServiceAccountToken"] is False, "ServiceAccount automount")
    require(spec["serviceAccountName"] == sa["metadata"]["name"], "serviceAccountName")
    role = one(docs, "ClusterRole")
    granted = rbac_grants(docs)
    require(granted == {**WORKLOAD_RESOURCES, **POD_CONTROLLER_RESOURCES},
          f"RBAC resources {granted} != {WORKLOAD_RESOURCES} and {POD_CONTROLLER_RESOURCES}")
    crb = one(docs, "ClusterRoleBinding")
    require(crb["roleRef"]["name"] == role["metadata"]["name"], "binding roleRef")
    require(crb["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": NS}],
          f"binding subjects {crb['subjects']}")
    require(settings_of(docs)[0]["server"].get("inventorySync") == {"enabled": True},
          "the settings file enables server.inventorySync")
    history = f"{FULLNAME}-history"
    role = one(docs, "Role")
    want = [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [history], "verbs": ["get", "update"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [history],
             "verbs": ["get", "update"]}]
    require(role["rules"] == want and role["metadata"]["namespace"] == NS,
          f"the history Role allows exactly its ConfigMap and Lease: {role['rules']}")
    rb = one(docs, "RoleBinding")
    require(rb["roleRef"]["name"] == role["metadata"]["name"] and rb["subjects"] ==
          [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": NS}], f"RoleBinding {rb}")
    cm = [c for c in objs(docs, "ConfigMap") if c["metadata"]["name"] == history]
    lease = one(docs, "Lease")
    require(len(cm) == 1 and "data" not in cm[0] and lease["metadata"]["name"] == history and
          lease["apiVersion"] == "coordination.k8s.io/v1", "the chart makes the history ConfigMap and Lease, empty")
    off = t.render(sets=["inventorySync.enabled=false"])
    require("inventorySync" not in settings_of(off)[0]["server"], "server.inventorySync without inventorySync")
    require("history" not in settings_of(off)[0]["server"], "server.history without inventorySync")
    require(not objs(off, "ClusterRole") and not objs(off, "ClusterRoleBinding") and not objs(off, "Role") and
          not objs(off, "RoleBinding") and not objs(off, "Lease"), "RBAC and the Lease without inventorySync")
    spec = pod_spec(off)
    require(spec["automountServiceAccountToken"] is False and
          all("projected" not in v for v in spec["volumes"]), "token mounted without inventorySync")

def network_policy(t):
    docs = default_docs(t)
    np_ = one(docs, "NetworkPolicy")["spec"]
    require(np_["podSelector"]["matchLabels"] == one(docs, "Deployment")["spec"]["selector"]["matchLabels"],
          "NetworkPolicy selector")
    require(sorted(np_["policyTypes"]) == ["Egress", "Ingress"], f"policyTypes {np_['policyTypes']}")
    require(len(np_["ingress"]) == 1 and np_["ingress"][0]["ports"] == [{"port": 8443, "protocol": "TCP"}],
          f"ingress {np_['ingress']}")
    eg_ports = [p["port"] for e in np_["egress"] for p in e["ports"]]
    require(53 in eg_ports and 443 in eg_ports and 6443 in eg_ports, f"egress ports {eg_ports}")
    off = one(t.render(sets=["inventorySync.enabled=false"]), "NetworkPolicy")["spec"]
    require([p["port"] for e in off["egress"] for p in e["ports"]] == [53, 53], "API egress without inventorySync")

def cert_manager(t):
    docs = t.render(sets=["certificates.mode=certManager", "config.defaults.action=enforce"])
    require(not objs(docs, "Secret"), "certManager mode renders no Secret")
    issuers = objs(docs, "Issuer")
    certs = {c["metadata"]["name"]: c for c in objs(docs, "Certificate")}
    require(len(issuers) == 2 and len(certs) == 2, "two Issuers and two Certificates")
    serving = certs[f"{FULLNAME}-serving"]["spec"]
    require(f"{FULLNAME}.{NS}.svc" in serving["dnsNames"], f"dnsNames {serving['dnsNames']}")
    require(serving["issuerRef"]["name"] in {i["metadata"]["name"] for i in issuers}, "issuerRef")
    require(certs[f"{FULLNAME}-ca"]["spec"]["isCA"] is True, "CA certificate")
    vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    require(vols["tls"]["secret"]["secretName"] == serving["secretName"], "pods mount the cert-manager Secret")
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        o = one(docs, kind)
        ann = o["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
        require(ann == f"{NS}/{FULLNAME}-serving", f"{kind} inject-ca-from {ann}")
        require("caBundle" not in o["webhooks"][0]["clientConfig"], f"{kind} has a caBundle")

def existing_secret(t):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    for given, want in ((pem, base64.b64encode(pem.encode()).decode()), ("Zm9vYmFy", "Zm9vYmFy")):
        docs = t.render(sets=["certificates.mode=existingSecret", "certificates.existingSecret.name=corp-tls",
                              "config.defaults.action=enforce"],
                        set_strings=[f"certificates.existingSecret.caBundle={given}"])
        require(not objs(docs, "Secret") and not objs(docs, "Certificate"), "existingSecret renders no Secret")
        vols = {v["name"]: v for v in pod_spec(docs)["volumes"]}
        require(vols["tls"]["secret"]["secretName"] == "corp-tls", "pods mount the existing Secret")
        for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            got = one(docs, kind)["webhooks"][0]["clientConfig"].get("caBundle")
            require(got == want, f"{kind} caBundle {got!r} != {want!r}")
    r = t.helm_cmd(["template", RELEASE, t.chart, "-n", NS, "--set", "certificates.mode=existingSecret",
                    "--set", "certificates.existingSecret.caBundle=Zm9v"])
    require(r.returncode != 0, "existingSecret without a name renders")

def service_monitor(t):
    require(not objs(default_docs(t), "ServiceMonitor"), "ServiceMonitor rendered by default")
    sm = one(t.render(sets=["metrics.serviceMonitor.enabled=true"]), "ServiceMonitor")
    ep = sm["spec"]["endpoints"][0]
    require(ep["port"] == "https" and ep["scheme"] == "https" and ep["path"] == "/metrics", f"endpoint {ep}")
    require(ep["tlsConfig"]["ca"]["secret"] == {"name": f"{FULLNAME}-tls", "key": "ca.crt"}, "scrape CA")

def notes(t):
    out = t.notes()
    for want in ("kubectl get validatingwebhookconfiguration", "--dry-run=server", "privileged",
                 "port-forward", "/metrics", "scoregate_secure_score_percent",
                 f"port-forward deployment/{FULLNAME} 8080:8080", "http://127.0.0.1:8080/"):
        require(want in out, f"NOTES.txt lacks {want!r}")
    require("8080" not in t.notes(sets=["dashboard.enabled=false"]), "NOTES.txt names the dashboard when it is off")

TEMPLATE_CASES = [
    ("template: default objects", kinds_default),
    ("template: namespaced objects carry the release namespace", namespaces),
    ("template: validating webhook -> Service /validate on 443 -> 8443", validating_points_at_service),
    ("template: validating webhook fields (sideEffects, v1, timeout 5, Fail)", validating_fields),
    ("template: validating rules cover every scored kind, CREATE/UPDATE/DELETE", validating_rules),
    ("template: pod controllers (built in and config.podControllers) in rules, RBAC and settings",
     pod_controllers),
    ("template: namespaceSelector excludes kube-system, release and configured namespaces", namespace_selector),
    ("template: helm mode caBundle present, equals ca.crt, signs the serving cert", ca_bundle_helm),
    ("template: helm mode reuses an existing Secret on upgrade (lookup stubbed)", helm_reuses_secret),
    ("template: no MutatingWebhookConfiguration without enforce", no_mutating_by_default),
    ("template: MutatingWebhookConfiguration with enforce -> /mutate", mutating_when_enforce),
    ("template: failurePolicy, timeoutSeconds, matchConditions configurable", failure_policy_and_conditions),
    ("template: checksum/config changes exactly when the config changes", checksum_rolls),
    ("template: settings file has only known keys; server from the chart", settings_file),
    ("template: values-full config renders 1:1", settings_full),
    ("template: hardened pod", pod_hardening),
    ("template: HA scheduling (anti-affinity, spread, PDB, priorityClassName)", scheduling),
    ("template: inventorySync token via projected volume, RBAC read-only on scored kinds", inventory_sync),
    ("template: NetworkPolicy", network_policy),
    ("template: certManager mode", cert_manager),
    ("template: existingSecret mode", existing_secret),
    ("template: ServiceMonitor", service_monitor),
    ("template: NOTES.txt", notes),
]


def group_template(t):
    for name, fn in TEMPLATE_CASES:
        t.run(name, fn, t)
