{{/* Names, labels and the checks every template shares. */}}

{{- define "kv-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already holds the chart's name, else release-chart. */}}
{{- define "kv-operator.fullname" -}}
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

{{- define "kv-operator.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{- define "kv-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kv-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kv-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kv-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "kv-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kv-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* ESO's Grafana dashboard selects service=~"external-secrets.*": the metrics Service's name must start so. */}}
{{- define "kv-operator.metricsServiceName" -}}
{{- $full := include "kv-operator.fullname" . }}
{{- if .Values.metrics.service.name }}
{{- .Values.metrics.service.name }}
{{- else if hasPrefix "external-secrets" $full }}
{{- printf "%s-metrics" $full | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "external-secrets-%s-metrics" $full | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "kv-operator.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "kv-operator.isOpenShift" -}}
{{- if .Capabilities.APIVersions.Has "security.openshift.io/v1" }}true{{ end }}
{{- end }}

{{/*
A securityContext as YAML, without the "enabled" switch, and on OpenShift (adaptSecurityContext force, or auto on a
cluster that serves security.openshift.io/v1) without the fixed IDs the restricted-v2 SCC assigns itself.
Usage: include "kv-operator.securityContext" (dict "sc" .Values.securityContext "root" $)
*/}}
{{- define "kv-operator.securityContext" -}}
{{- $sc := omit .sc "enabled" }}
{{- $mode := .root.Values.global.compatibility.openshift.adaptSecurityContext }}
{{- if not (has $mode (list "auto" "force" "disabled")) }}
{{- fail (printf "global.compatibility.openshift.adaptSecurityContext must be auto, force or disabled, not %q" $mode) }}
{{- end }}
{{- if or (eq $mode "force") (and (eq $mode "auto") (include "kv-operator.isOpenShift" .root)) }}
{{- $sc = omit $sc "runAsUser" "runAsGroup" "fsGroup" }}
{{- end }}
{{- toYaml $sc }}
{{- end }}

{{/* A Go duration as the controller's flags take it (1h30m, 10s, 500ms). */}}
{{- define "kv-operator.duration" -}}
{{- if not (regexMatch "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$" (toString .value)) }}
{{- fail (printf "%s must be a duration such as 10s or 5m, not %q" .name (toString .value)) }}
{{- end }}
{{- .value }}
{{- end }}

{{/* Refuses values that would install something broken, with the reason. */}}
{{- define "kv-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElect) }}
{{- fail "replicaCount > 1 needs leaderElect: true (replicas without leader election would all write the same Secrets)" }}
{{- end }}
{{- $guid := "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" }}
{{- $zero := "00000000-0000-0000-0000-000000000000" }}
{{- if .Values.azureWorkloadIdentity.enabled }}
{{- $id := toString .Values.azureWorkloadIdentity.clientId }}
{{- if or (not (regexMatch $guid $id)) (eq $id $zero) }}
{{- fail (printf "azureWorkloadIdentity.clientId must be the client ID (a GUID) of the managed identity federated with the ServiceAccount %s/%s, not %q (docs/install.md, AKS)" (include "kv-operator.namespace" .) (include "kv-operator.serviceAccountName" .) $id) }}
{{- end }}
{{- with .Values.azureWorkloadIdentity.tenantId }}
{{- if not (regexMatch $guid (toString .)) }}
{{- fail (printf "azureWorkloadIdentity.tenantId must be a tenant ID (a GUID), not %q" (toString .)) }}
{{- end }}
{{- end }}
{{- end }}
{{- with index .Values.serviceAccount.annotations "azure.workload.identity/client-id" }}
{{- if or (not (regexMatch $guid (toString .))) (eq (toString .) $zero) }}
{{- fail (printf "serviceAccount.annotations.azure.workload.identity/client-id must be your identity's client ID (a GUID), not %q" (toString .)) }}
{{- end }}
{{- end }}
{{- end }}
