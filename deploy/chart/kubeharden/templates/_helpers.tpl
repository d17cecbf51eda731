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

{{/* The exception of an image left unpinned (KH302), on each object that runs it: no
kubeharden image is published to pin, so the one the user pushes has the only
digest there is. It names what to do, shows as suppressed in every report, and goes
away once image.digest is set. */}}
{{- define "kubeharden.unpinnedImage" -}}
{{- if not .Values.image.digest -}}
annotations:
  kubeharden.io/ignore: KH302
  kubeharden.io/ignore-reason: no kubeharden image is published to pin; set image.digest to the digest of the image you pushed and this exception goes
{{- end }}
{{- end }}

{{/* The labels of the webhook's objects. */}}
{{- define "kubeharden.webhookLabels" -}}
{{ include "kubeharden.labels" . }}
app.kubernetes.io/component: webhook
{{- end }}

{{/* Non-empty when the webhook's certificate comes from cert-manager. */}}
{{- define "kubeharden.certManager" -}}
{{- if eq (toString .Values.webhook.certManager) "true" -}}true
{{- else if and (eq (toString .Values.webhook.certManager) "auto") (.Capabilities.APIVersions.Has "cert-manager.io/v1") -}}true
{{- end -}}
{{- end }}


{{/* The pod of the certificate Job and its renewing CronJob: `serve-certs`, which
makes the webhook's certificate, or renews it when due, and sets the caBundle. */}}
{{- define "kubeharden.certsPod" -}}
{{- $name := .name }}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "kubeharden.labels" $root | nindent 4 }}
    app.kubernetes.io/component: webhook-certs
spec:
  serviceAccountName: {{ $name }}-certs
  automountServiceAccountToken: false
  restartPolicy: OnFailure
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: certs
    image: {{ include "kubeharden.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: [serve-certs, --service, {{ $name }}, --secret, {{ $name }}-tls, --webhook-configuration, {{ $root.Release.Name }}]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
    volumeMounts:
    - {name: api-access, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}
  volumes:
  - name: api-access
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - configMap:
          name: kube-root-ca.crt
          items: [{key: ca.crt, path: ca.crt}]
      - downwardAPI:
          items:
          - path: namespace
            fieldRef: {fieldPath: metadata.namespace}
{{- end }}
