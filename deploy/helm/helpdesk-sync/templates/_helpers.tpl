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

{{/* The keys of the Slack Secret mounted under /etc/helpdesk-sync/slack, comma-separated; empty while no webhook is set. */}}
{{- define "helpdesk-sync.slackKeys" -}}
{{- $keys := list }}
{{- with .Values.slack.webhookKey }}{{ $keys = append $keys . }}{{ end }}
{{- range $name, $key := .Values.slack.webhooks }}{{ $keys = append $keys $key }}{{ end }}
{{- $keys | uniq | join "," }}
{{- end }}

{{/* slack.webhook_files: name=file of each named webhook, comma-separated. */}}
{{- define "helpdesk-sync.slackFiles" -}}
{{- $files := list }}
{{- range $name, $key := .Values.slack.webhooks }}
{{- $files = append $files (printf "%s=/etc/helpdesk-sync/slack/%s" $name $key) }}
{{- end }}
{{- $files | join "," }}
{{- end }}
