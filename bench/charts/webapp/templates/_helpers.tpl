{{- define "webapp.fullname" -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- end }}
{{- define "webapp.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "webapp.labels" -}}
{{ include "webapp.selector" . }}
app.kubernetes.io/version: {{ .Chart.Version | quote }}
app.kubernetes.io/managed-by: cleat
{{- end }}
{{- define "webapp.config" -}}
{{- $config := merge (dict "app.conf" (.Files.Get "files/app.conf")) .Values.config -}}
{{ toJson $config }}
{{- end }}
