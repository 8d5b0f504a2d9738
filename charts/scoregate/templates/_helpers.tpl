{{/*
_helpers.tpl - names, labels and the pieces several templates share: the settings
file rendered from .Values.config, the namespaces the webhooks skip, the webhook rules.
*/}}

{{- define "scoregate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scoregate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "scoregate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scoregate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scoregate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "scoregate.labels" -}}
helm.sh/chart: {{ include "scoregate.chart" . }}
{{ include "scoregate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "scoregate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scoregate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "scoregate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding tls.crt, tls.key (and ca.crt) that the pods mount. */}}
{{- define "scoregate.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "existingSecret" }}
{{- required "certificates.existingSecret.name is required when certificates.mode is existingSecret" .Values.certificates.existingSecret.name }}
{{- else }}
{{- printf "%s-tls" (include "scoregate.fullname" .) }}
{{- end }}
{{- end }}

{{/* DNS name the API server uses to reach the Service (the certificate's common name). */}}
{{- define "scoregate.serviceHost" -}}
{{- printf "%s.%s.svc" (include "scoregate.fullname" .) .Release.Namespace }}
{{- end }}

{{/* Paths inside the container. */}}
{{/* The ConfigMap and the Lease of the score history (with inventorySync). */}}
{{- define "scoregate.historyName" -}}{{ include "scoregate.fullname" . | trunc 55 | trimSuffix "-" }}-history{{- end }}
{{- define "scoregate.configDir" -}}/etc/scoregate{{- end }}
{{- define "scoregate.tlsDir" -}}/var/run/scoregate/tls{{- end }}
{{- define "scoregate.stateDir" -}}/var/lib/scoregate{{- end }}

{{/* config.excludedNamespaces plus the release namespace, as a JSON list. */}}
{{- define "scoregate.excludedNamespaces" -}}
{{- $ns := list }}
{{- range .Values.config.excludedNamespaces }}{{ $ns = append $ns . }}{{ end }}
{{- if not (has .Release.Namespace $ns) }}{{ $ns = append $ns .Release.Namespace }}{{ end }}
{{- $ns | uniq | toJson }}
{{- end }}

{{/*
The settings file (docs/recommendations.md): only keys the settings loader knows. Optional
sections are left out when empty; `server` comes from the chart (with
inventorySync.enabled, server.inventorySync lists and watches through the
mounted service account token, see docs/inventory-sync.md, and server.history
names the ConfigMap and Lease of the score history; server.dashboard serves the
dashboard on loopback, see docs/dashboard.md).
*/}}
{{- define "scoregate.settings" -}}
{{- $c := .Values.config }}
{{- $s := dict "standards" $c.standards "excludedNamespaces" (include "scoregate.excludedNamespaces" . | fromJsonArray) "defaults" $c.defaults }}
{{- with $c.recommendations }}{{ $_ := set $s "recommendations" . }}{{ end }}
{{- with $c.exemptions }}{{ $_ := set $s "exemptions" . }}{{ end }}
{{- with $c.scoreGate }}{{ $_ := set $s "scoreGate" . }}{{ end }}
{{- with $c.custom }}{{ $_ := set $s "custom" . }}{{ end }}
{{- with $c.podControllers }}{{ $_ := set $s "podControllers" . }}{{ end }}
{{- $tls := dict "certFile" (printf "%s/tls.crt" (include "scoregate.tlsDir" .)) "keyFile" (printf "%s/tls.key" (include "scoregate.tlsDir" .)) }}
{{- $_ := set $s "server" (dict "address" ":8443" "stateDir" (include "scoregate.stateDir" .) "tls" $tls) }}
{{- if .Values.inventorySync.enabled }}{{ $_ := set $s.server "inventorySync" (dict "enabled" true) }}{{ end }}
{{- $_ := set $s.server "dashboard" (dict "address" (ternary (printf "127.0.0.1:%v" .Values.dashboard.port) "" .Values.dashboard.enabled)) }}
{{- if .Values.inventorySync.enabled }}{{ $_ := set $s.server "history" (dict "namespace" .Release.Namespace "name" (include "scoregate.historyName" .)) }}{{ end }}
{{- if .Values.policyReports.enabled }}
{{- if not .Values.inventorySync.enabled }}{{ fail "policyReports.enabled needs inventorySync.enabled: the reports are written from the synced inventory" }}{{ end }}
{{- $_ := set $s.server "policyReports" (dict "enabled" true "interval" .Values.policyReports.interval) }}
{{- end }}
{{- toYaml $s }}
{{- end }}

{{/* "true" when some recommendation (or the default) has action enforce: the mutating webhook is needed. */}}
{{- define "scoregate.enforce" -}}
{{- $c := .Values.config }}
{{- $on := eq (($c.defaults | default dict).action | default "") "enforce" }}
{{- range $id, $r := $c.recommendations }}{{ if eq (($r | default dict).action | default "") "enforce" }}{{ $on = true }}{{ end }}{{ end }}
{{- range $c.custom }}{{ if and (kindIs "map" .) (eq (.action | default "") "enforce") }}{{ $on = true }}{{ end }}{{ end }}
{{- if $on }}true{{ end }}
{{- end }}

{{/* Fields shared by the validating and mutating webhook entries. */}}
{{- define "scoregate.webhookCommon" -}}
sideEffects: None
admissionReviewVersions: [v1]
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
matchPolicy: Equivalent
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ concat (list "kube-system") (include "scoregate.excludedNamespaces" . | fromJsonArray) | uniq | toJson }}
    - key: scoregate.io/ignore
      operator: NotIn
      values: ["true"]
{{- with .Values.webhook.matchConditions }}
matchConditions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Rules: the workload kinds, Services, Ingresses, ConfigMaps, Secrets and ServiceAccounts.
pods/ephemeralcontainers is included so that containers added by `kubectl debug` are
checked too. Argument: a list of operations.
*/}}
{{/*
The pod controllers (docs/recommendations.md): config.podControllers, then scoregate's own
(policy/src/controllers.c) unless config names the same group and kind; a JSON list of {group,
resource}. Their resources join the webhook rules and the inventory sync's RBAC.
*/}}
{{- define "scoregate.podControllers" -}}
{{- $builtin := list (dict "apiVersion" "argoproj.io/v1alpha1" "kind" "Rollout" "resource" "rollouts") (dict "apiVersion" "apps.kruise.io/v1alpha1" "kind" "CloneSet" "resource" "clonesets") (dict "apiVersion" "apps.kruise.io/v1beta1" "kind" "StatefulSet" "resource" "statefulsets") (dict "apiVersion" "apps.kruise.io/v1alpha1" "kind" "DaemonSet" "resource" "daemonsets") }}
{{- $out := list }}
{{- $given := dict }}
{{- range .Values.config.podControllers }}
{{- $group := index (splitList "/" .apiVersion) 0 }}
{{- $out = append $out (dict "group" $group "resource" (.resource | default (printf "%ss" (lower .kind)))) }}
{{- $_ := set $given (printf "%s/%s" $group .kind) true }}
{{- end }}
{{- range $builtin }}
{{- $group := index (splitList "/" .apiVersion) 0 }}
{{- if not (hasKey $given (printf "%s/%s" $group .kind)) }}{{ $out = append $out (dict "group" $group "resource" .resource) }}{{ end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* The pod controllers' resources by API group: a JSON object group -> sorted resources. */}}
{{- define "scoregate.podControllerGroups" -}}
{{- $groups := dict }}
{{- range (include "scoregate.podControllers" . | fromJsonArray) }}
{{- $_ := set $groups .group (append (get $groups .group | default list) .resource | uniq | sortAlpha) }}
{{- end }}
{{- toJson $groups }}
{{- end }}

{{/* The webhook rules: the built-in kinds, then every pod controller's resources (any version). Takes
(dict "ops" OPERATIONS "root" $). */}}
{{- define "scoregate.webhookRules" -}}
{{- $ops := toJson .ops }}
- apiGroups: [""]
  apiVersions: [v1]
  operations: {{ $ops }}
  resources: [pods, pods/ephemeralcontainers, replicationcontrollers, services, configmaps, secrets, serviceaccounts]
  scope: Namespaced
- apiGroups: [apps]
  apiVersions: [v1]
  operations: {{ $ops }}
  resources: [deployments, replicasets, statefulsets, daemonsets]
  scope: Namespaced
- apiGroups: [batch]
  apiVersions: [v1]
  operations: {{ $ops }}
  resources: [jobs, cronjobs]
  scope: Namespaced
- apiGroups: [networking.k8s.io]
  apiVersions: [v1]
  operations: {{ $ops }}
  resources: [ingresses]
  scope: Namespaced
{{- range $group, $resources := (include "scoregate.podControllerGroups" .root | fromJson) }}
- apiGroups: [{{ $group | quote }}]
  apiVersions: ["*"]
  operations: {{ $ops }}
  resources: {{ toJson $resources }}
  scope: Namespaced
{{- end }}
{{- end }}
