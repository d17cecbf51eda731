{{/* The labels of every object. */}}
{{- define "kubeharden.labels" -}}
app.kubernetes.io/name: kubeharden
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The image, by digest when one is set. */}}
{{- define "kubeharden.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}:{{ $tag }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end }}
