{{/* Names and labels shared by every object of the release. */}}
{{- define "switchyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one role (api or worker): stable across upgrades. */}}
{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "switchyard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.secretName" -}}
{{- default (printf "%s-credentials" (include "switchyard.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The credentials every process needs, and KAFKA_SASL_PASSWORD when SASL is on. */}}
{{- define "switchyard.secretKeys" -}}
{{- $keys := list "MONGO_URL" "DEVICE_API_KEY" "SCHEDULER_JWT_SECRET" "GPU_API_KEY" "AUTH_TOKEN" "CODEC_OPERATOR_TOKEN" "CODEC_KEY" -}}
{{- if .Values.kafka.saslUsername -}}{{- $keys = append $keys "KAFKA_SASL_PASSWORD" -}}{{- end -}}
{{- join " " $keys -}}
{{- end -}}

{{/*
The pod spec shared by both roles: security contexts, the credentials mounted as files, a writable /tmp (the root
file system is read-only; scheduler workspaces live under the temporary directory).
*/}}
{{- define "switchyard.podSpec" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "switchyard.serviceAccountName" $root }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: credentials
    secret:
      secretName: {{ include "switchyard.secretName" $root }}
      defaultMode: 0440
  - name: tmp
    emptyDir: {}
{{- end -}}

{{/* The <NAME>_FILE variable of each credential: the processes read the mounted files. */}}
{{- define "switchyard.credentialEnv" -}}
{{- range splitList " " (include "switchyard.secretKeys" .) }}
- name: {{ . }}_FILE
  value: /etc/switchyard/credentials/{{ . }}
{{- end }}
{{- end -}}

{{- define "switchyard.volumeMounts" -}}
- name: credentials
  mountPath: /etc/switchyard/credentials
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}
