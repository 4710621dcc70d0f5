{{/* Name of the chart, or nameOverride. */}}
{{- define "helpdesk-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of the release's objects. */}}
{{- define "helpdesk-sync.fullname" -}}
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

{{- define "helpdesk-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "helpdesk-sync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "helpdesk-sync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "helpdesk-sync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "helpdesk-sync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "helpdesk-sync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The environment variable of a configuration key: zendesk.token_file is HELPDESK_SYNC_ZENDESK_TOKEN_FILE. */}}
{{- define "helpdesk-sync.envName" -}}
{{- printf "HELPDESK_SYNC_%s" (. | upper | replace "." "_") }}
{{- end }}
