{{/*
The chart's name.
*/}}
{{- define "polyrun.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, at most 63 characters (DNS names).
*/}}
{{- define "polyrun.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "polyrun.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries.
*/}}
{{- define "polyrun.labels" -}}
helm.sh/chart: {{ include "polyrun.chart" . }}
app.kubernetes.io/name: {{ include "polyrun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector of the polyrun nodes (the component keeps the bundled Redis out).
*/}}
{{- define "polyrun.selectorLabels" -}}
app.kubernetes.io/name: {{ include "polyrun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/*
Selector of the bundled Redis.
*/}}
{{- define "polyrun.redis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "polyrun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{/*
The bundled Redis's name (its Deployment and Service).
*/}}
{{- define "polyrun.redis.fullname" -}}
{{- printf "%s-redis" (include "polyrun.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
"true" when the chart runs its own Redis: enabled, and neither an external
URL nor a Secret with one is given.
*/}}
{{- define "polyrun.redis.bundled" -}}
{{- if and .Values.redis.enabled (not .Values.redis.externalUrl) (not .Values.redis.existingSecret) -}}
true
{{- end -}}
{{- end }}

{{/*
Whether the nodes share a Redis at all ("true" or empty).
*/}}
{{- define "polyrun.redis.configured" -}}
{{- if or .Values.redis.existingSecret .Values.redis.externalUrl (include "polyrun.redis.bundled" .) -}}
true
{{- end -}}
{{- end }}

{{/*
The REDIS_URL environment entry (nothing without a Redis: every node on
its own).
*/}}
{{- define "polyrun.redis.env" -}}
{{- if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else if .Values.redis.externalUrl }}
- name: REDIS_URL
  value: {{ .Values.redis.externalUrl | quote }}
{{- else if include "polyrun.redis.bundled" . }}
- name: REDIS_URL
  value: {{ printf "redis://%s:%d/0" (include "polyrun.redis.fullname" .) (int .Values.redis.port) | quote }}
{{- end }}
{{- end }}

{{/*
The Secret that holds API_TOKEN, if any.
*/}}
{{- define "polyrun.apiToken.secretName" -}}
{{- if .Values.apiToken.existingSecret -}}
{{- .Values.apiToken.existingSecret -}}
{{- else if .Values.apiToken.value -}}
{{- include "polyrun.fullname" . -}}
{{- end -}}
{{- end }}

{{/*
The polyrun image.
*/}}
{{- define "polyrun.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/*
Fails rendering when the shutdown does not fit in the termination grace
period.
*/}}
{{- define "polyrun.checkGrace" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- $needed := add (div (int .Values.config.shutdownGrace) 1000) (int .Values.preStopSleepSeconds) }}
{{- if le $grace (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds + config.shutdownGrace/1000 (%d s): raise it or lower those" $grace (int $needed)) }}
{{- end }}
{{- end }}
