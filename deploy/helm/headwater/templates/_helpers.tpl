{{/* Names, labels and the pieces every Deployment shares. */}}

{{- define "headwater.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "headwater.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "headwater.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "headwater.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "headwater.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "headwater.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "headwater.selectorLabels" -}}
app.kubernetes.io/name: {{ include "headwater.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "headwater.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "headwater.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag of an image mapping, the tag defaulting to the chart's appVersion. */}}
{{- define "headwater.image" -}}
{{- $image := .image }}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion ($image.tag | toString)) }}
{{- end }}

{{/* The Secret holding the database URL: the user's, else the one this chart makes. */}}
{{- define "headwater.databaseSecret" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else if .Values.database.url }}
{{- printf "%s-database" (include "headwater.fullname" .) }}
{{- else }}
{{- fail "database: set database.existingSecret (a Secret holding the PostgreSQL URL under database.existingSecretKey) or database.url (postgresql://user:password@host:5432/db): every part of headwater must share one database." }}
{{- end }}
{{- end }}

{{- define "headwater.tokenSecret" -}}
{{- if .Values.webserver.existingSecret }}
{{- .Values.webserver.existingSecret }}
{{- else if .Values.webserver.token }}
{{- printf "%s-webserver-token" (include "headwater.fullname" .) }}
{{- end }}
{{- end }}

{{/* The Secret holding the code servers' shared token, once code servers are deployed: the
user's, else the one this chart makes from codeServerToken.token. Without either the render
stops: a code server listening on 0.0.0.0 refuses to start without a token. */}}
{{- define "headwater.codeServerTokenSecret" -}}
{{- if .Values.codeServers }}
{{- if .Values.codeServerToken.existingSecret }}
{{- .Values.codeServerToken.existingSecret }}
{{- else if .Values.codeServerToken.token }}
{{- printf "%s-code-server-token" (include "headwater.fullname" .) }}
{{- else }}
{{- fail "codeServerToken: the code servers listen on 0.0.0.0 and refuse to start without a shared token; set codeServerToken.existingSecret (a Secret holding it under codeServerToken.existingSecretKey) or codeServerToken.token (the chart then makes the Secret)." }}
{{- end }}
{{- end }}
{{- end }}

{{/* HEADWATER_CODE_SERVER_TOKEN, which the code servers require and which the webserver and
the daemon send them (workspace.yaml's token_env names it). */}}
{{- define "headwater.codeServerTokenEnv" -}}
{{- with include "headwater.codeServerTokenSecret" . }}
- name: HEADWATER_CODE_SERVER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.codeServerToken.existingSecretKey }}
{{- end }}
{{- end }}

{{/* The environment every headwater container gets: the instance home and the database. */}}
{{- define "headwater.env" -}}
- name: HEADWATER_HOME
  value: /opt/headwater/home
- name: HEADWATER_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "headwater.databaseSecret" . }}
      key: {{ .Values.database.existingSecretKey }}
{{- end }}

{{- define "headwater.tokenEnv" -}}
{{- with include "headwater.tokenSecret" . }}
- name: HEADWATER_WEBSERVER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.webserver.existingSecretKey }}
{{- end }}
{{- end }}

{{/* HEADWATER_HOME is an emptyDir, writable whatever the root filesystem (run workers keep
their logs and the default IO manager its files there); the ConfigMap is mounted in it as
headwater.yaml, and the workspace file where -w names it. */}}
{{- define "headwater.volumeMounts" -}}
- name: home
  mountPath: /opt/headwater/home
- name: instance-config
  mountPath: /opt/headwater/home/headwater.yaml
  subPath: headwater.yaml
  readOnly: true
- name: instance-config
  mountPath: /etc/headwater/workspace.yaml
  subPath: workspace.yaml
  readOnly: true
{{- end }}

{{- define "headwater.volumes" -}}
- name: home
  emptyDir: {}
- name: instance-config
  configMap:
    name: {{ include "headwater.fullname" . }}-instance
{{- end }}

{{/* Where the webserver and the daemon find the code: the workspace file when code servers
are deployed, else [tool.headwater] in the working directory's pyproject.toml. */}}
{{- define "headwater.locationArgs" -}}
{{- if .Values.codeServers }}
- -w
- /etc/headwater/workspace.yaml
{{- end }}
{{- end }}

{{/* The webserver's health check: GET /api/health on the loopback address (a Host the
webserver always answers to) with the token when one is set. An exec probe, because an
httpGet probe cannot take a header from a Secret. */}}
{{- define "headwater.healthCommand" -}}
- python
- -c
- {{ printf "import os, urllib.request as u; t = os.environ.get('HEADWATER_WEBSERVER_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:%v/api/health', headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=4)" .Values.webserver.port | quote }}
{{- end }}

{{- define "headwater.migrateInit" -}}
{{- if .Values.migrate.enabled }}
initContainers:
  - name: migrate
    image: {{ include "headwater.image" (dict "image" .Values.image "root" .) }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args: [instance, migrate]
    env:
      {{- include "headwater.env" . | nindent 6 }}
    volumeMounts:
      {{- include "headwater.volumeMounts" . | nindent 6 }}
    resources:
      {{- toYaml .Values.migrate.resources | nindent 6 }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
{{- end }}
{{- end }}

{{/* A code server's Kubernetes name: release-headwater-code-NAME. */}}
{{- define "headwater.codeServerName" -}}
{{- printf "%s-code-%s" (include "headwater.fullname" .root) (.server.name | lower | replace "_" "-") | trunc 63 | trimSuffix "-" }}
{{- end }}
