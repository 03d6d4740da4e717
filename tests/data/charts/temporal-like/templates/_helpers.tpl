{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "temporal-like.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name; a release already named after the chart is not repeated. */}}
{{- define "temporal-like.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one server component: called with (list $ "history"). */}}
{{- define "temporal-like.componentname" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- printf "%s-%s" (include "temporal-like.fullname" $root) $component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "temporal-like.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "temporal-like.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "temporal-like.labels" -}}
{{- $root := index . 0 -}}
{{ include "temporal-like.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The server image, shared by every service. */}}
{{- define "temporal-like.serverImage" -}}
{{ .Values.server.image.repository }}:{{ .Values.server.image.tag | default .Chart.AppVersion }}
{{- end -}}
