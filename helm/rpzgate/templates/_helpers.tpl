{{/* Name of the chart, or nameOverride. */}}
{{- define "rpzgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. The Lease names that rpzgate derives from it stay within
the 63 characters of a label value.
*/}}
{{- define "rpzgate.fullname" -}}
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

{{- define "rpzgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the pods; they never change after the first install. */}}
{{- define "rpzgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rpzgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rpzgate.labels" -}}
helm.sh/chart: {{ include "rpzgate.chart" . }}
{{ include "rpzgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "rpzgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rpzgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Namespaces whose PolicyZones rpzgate watches when it does not watch them all. */}}
{{- define "rpzgate.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- join "," (uniq .Values.watchNamespaces) }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
Contents of application.yaml. Values that rpzgate would refuse at start-up are rejected here,
at install time, with the name of the value.
*/}}
{{- define "rpzgate.applicationYaml" -}}
{{- if not .Values.upstreams }}
{{- fail "upstreams is required: set the IP addresses of the resolvers that rpzgate forwards to, for example --set 'upstreams={169.254.169.253}'" }}
{{- end }}
{{- $policy := dict "fail-mode" .Values.policy.failMode "max-policy-ttl" .Values.policy.maxPolicyTtl "cache-dir" "/var/cache/rpzgate" }}
{{- if .Values.policy.zones }}
{{- $zones := list }}
{{- range $zone := .Values.policy.zones }}
{{- $copy := deepCopy $zone }}
{{- /* Helm reads numbers as floats, and toYaml would write 2000000 as 2e+06. */}}
{{- if hasKey $copy "transfer-max-records" }}
{{- $_ := set $copy "transfer-max-records" (int64 (get $copy "transfer-max-records")) }}
{{- end }}
{{- $zones = append $zones $copy }}
{{- end }}
{{- $_ := set $policy "zones" $zones }}
{{- end }}
{{- $rpzgate := dict "listen" (printf "0.0.0.0:%d" (int .Values.dnsPort)) "upstreams" .Values.upstreams "upstream" (dict "timeout" .Values.upstream.timeout) "policy" $policy }}
{{- $quarkus := dict "http" (dict "host" "0.0.0.0" "port" (int .Values.managementPort)) }}
{{- $config := dict "rpzgate" $rpzgate "quarkus" $quarkus }}
{{- $merged := mergeOverwrite $config (deepCopy .Values.extraConfig) }}
{{- toYaml $merged }}
{{- end }}

{{/*
Rules for the PolicyZone controller: read PolicyZones and the ConfigMaps and Secrets they
reference, write PolicyZone status, and record events on them. Granted in each watched
namespace, or cluster-wide with watchAllNamespaces.
*/}}
{{- define "rpzgate.policyZoneRules" -}}
- apiGroups: ["rpzgate.dev"]
  resources: ["policyzones"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["rpzgate.dev"]
  resources: ["policyzones/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
