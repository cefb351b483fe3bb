{{/* Chart name, at most 63 characters. */}}
{{- define "modeldeploy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. A release named like the chart ("modeldeploy") is not
repeated ("modeldeploy", not "modeldeploy-modeldeploy").
*/}}
{{- define "modeldeploy.fullname" -}}
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

{{- define "modeldeploy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "modeldeploy.labels" -}}
helm.sh/chart: {{ include "modeldeploy.chart" . }}
{{ include "modeldeploy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modeldeploy
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the operator pods; never change them after a release exists. */}}
{{- define "modeldeploy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modeldeploy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "modeldeploy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "modeldeploy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "modeldeploy.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "modeldeploy.runtimeImage" -}}
{{- default (printf "modeldeploy/runtime:%s" .Chart.AppVersion) .Values.runtimeImage }}
{{- end }}

{{/* "true" when the operator runs leader election: several replicas, or asked for. */}}
{{- define "modeldeploy.leaderElect" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.leaderElection.enabled }}true{{ else }}false{{ end }}
{{- end }}

{{/*
The rules the operator needs on the namespaces it watches, exactly the verbs it uses
(operator/src/kube/kinds.ts lists every kind it touches). Server-side apply of a child
that does not exist yet is a create, of one that does a patch: both are needed.
*/}}
{{- define "modeldeploy.operatorRules" -}}
- apiGroups: [modeldeploy.io]
  resources: [modeldeployments]
  verbs: [get, list, watch]
- apiGroups: [modeldeploy.io]
  resources: [modeldeployments/status]
  verbs: [get, patch, update]
# Children carry blockOwnerDeletion; the OwnerReferencesPermissionEnforcement admission plugin
# (OpenShift, hardened clusters) admits that only for whoever may update the owner's finalizers.
- apiGroups: [modeldeploy.io]
  resources: [modeldeployments/finalizers]
  verbs: [update]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: ['']
  resources: [services]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes, grpcroutes]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list, watch]
# To check that a Secret named by spec.auth exists, and to create a shadow track's token
# Secret (<name>-shadow-token) once; never list, watch, update or delete Secrets.
- apiGroups: ['']
  resources: [secrets]
  verbs: [get, create]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}
