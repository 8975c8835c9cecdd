{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "havip.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, with the chart name unless it already contains it. */}}
{{- define "havip.fullname" -}}
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

{{- define "havip.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "havip.selectorLabels" -}}
app.kubernetes.io/name: {{ include "havip.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "havip.labels" -}}
helm.sh/chart: {{ include "havip.chart" . }}
{{ include "havip.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: vrrp
{{- end }}

{{- define "havip.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "config" when a keepalived.conf is given, else "template". */}}
{{- define "havip.mode" -}}
{{- if .Values.config }}config{{ else }}template{{ end }}
{{- end }}

{{/* The template version as a string, "" when unset (0 is a valid version). */}}
{{- define "havip.version" -}}
{{- if not (kindIs "invalid" .Values.version) }}{{ toString .Values.version }}{{ end }}
{{- end }}

{{/* The answers of the selected template, as a map. The template's VIP has no default: unless
     answers.<template> gives it (by variable or env name) or extraEnv sets its env variable,
     `required` stops the render naming it. */}}
{{- define "havip.answers" -}}
{{- $all := .Values.answers | default dict }}
{{- $answers := index $all .Values.template | default dict }}
{{- $vip := get (dict "keepalived" "virtual_ip" "ipfailover" "virtual_ips" "haproxy" "virtual_ip") .Values.template }}
{{- $env := get (dict "keepalived" "VIRTUAL_IP" "ipfailover" "OPENSHIFT_HA_VIRTUAL_IPS" "haproxy" "VIRTUAL_IP") .Values.template }}
{{- if $vip }}
{{- $given := or (get $answers $vip) (get $answers $env) }}
{{- range .Values.extraEnv }}{{ if eq .name $env }}{{ $given = true }}{{ end }}{{ end }}
{{- $_ := required (printf "answers.%s.%s is required: the virtual IP(s) to keep alive, free addresses of your nodes' network (--set answers.%s.%s=ADDRESS, or %s in extraEnv)" .Values.template $vip .Values.template $vip $env) $given }}
{{- end }}
{{- toYaml $answers }}
{{- end }}
