{{/* The chart's names and labels. */}}
{{- define "mazad.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mazad.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mazad.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "mazad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mazad
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "web"). */}}
{{- define "mazad.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mazad.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mazad.componentLabels" -}}
{{ include "mazad.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mazad.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mazad.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mazad.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" .Values.image.digest) -}}
{{- fail (printf "image.digest must be sha256:<64 hex digits>, not %q" .Values.image.digest) -}}
{{- end -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "mazad.secretName" -}}
{{- required "existingSecret must name the Secret you made (README.md, Secrets)" .Values.existingSecret -}}
{{- end -}}

{{/*
Settings that are secret: refused in `config`, read only from existingSecret.
*/}}
{{- define "mazad.secretSettings" -}}
SECRET_KEY STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET AUDIT_SIGNING_KEY RECEIPT_SIGNING_KEYS COURT_SIGNING_KEYS WEBPUSH_VAPID_PRIVATE_KEY DATABASE_URL DATABASE_PASSWORD REDIS_URL REDIS_PASSWORD S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY EMAIL_URL SENTRY_DSN ADMIN_EMAIL ADMIN_PASSWORD
{{- end -}}

{{/* The ConfigMap's data, shared by the ConfigMap and the migrations' copy of it. */}}
{{- define "mazad.configData" -}}
{{- $secret := splitList " " (include "mazad.secretSettings" .) -}}
{{- range $key, $value := .Values.config }}
{{- if has $key $secret }}
{{- fail (printf "config.%s is a secret: put it in the Secret %s, never in values" $key $.Values.existingSecret) }}
{{- end }}
{{- end }}
{{- $os := .Values.objectStorage -}}
{{- if not (and $os.buckets.private $os.buckets.audit $os.buckets.media) -}}
{{- fail "objectStorage.buckets.media, .private and .audit are required: several pods share the files" -}}
{{- end -}}
{{- $fixed := dict
  "DJANGO_SETTINGS_MODULE" "config.settings.production"
  "DEBUG" "false"
  "CLOCK_IN_PROCESS" "false"
  "HOME" "/tmp"
  "XDG_CACHE_HOME" "/tmp/cache"
  "MEDIA_ROOT" "/tmp/media"
  "PRIVATE_MEDIA_ROOT" "/tmp/private"
  "AUDIT_CHECKPOINT_DIR" "/tmp/audit-checkpoints"
  "SQLITE_PATH" "/tmp/unused.sqlite3"
  "S3_ENDPOINT_URL" ($os.endpoint | toString)
  "S3_PUBLIC_ENDPOINT_URL" ($os.publicEndpoint | toString)
  "S3_REGION" ($os.region | toString)
  "S3_BUCKET_MEDIA" ($os.buckets.media | toString)
  "S3_BUCKET_PRIVATE" ($os.buckets.private | toString)
  "S3_BUCKET_AUDIT" ($os.buckets.audit | toString)
  "S3_SIGNED_URL_SECONDS" ($os.signedUrlSeconds | toString)
  "S3_AUDIT_RETENTION_DAYS" ($os.auditRetentionDays | toString)
-}}
{{- if .Values.metrics.enabled }}
{{- $_ := set $fixed "METRICS_PORT" (.Values.metrics.port | toString) }}
{{- $_ := set $fixed "METRICS_HOST" "0.0.0.0" }}
{{- $_ := set $fixed "PROMETHEUS_MULTIPROC_DIR" "/run/mazad-metrics" }}
{{- end }}
{{- $all := merge (deepCopy $fixed) .Values.config }}
{{- range $key := keys $all | sortAlpha }}
{{ $key }}: {{ get $all $key | toString | quote }}
{{- end }}
{{- end -}}

{{/*
The containers' environment beyond the ConfigMap: the connection URLs, made from the values
and the passwords in the Secret (Kubernetes expands $(NAME) from the variables before it).
*/}}
{{- define "mazad.env" -}}
{{- $secret := include "mazad.secretName" . -}}
{{- $pg := .Values.postgresql -}}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ required "postgresql.passwordKey is required" $pg.passwordKey }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%v/%s?sslmode=%s" (required "postgresql.user is required" $pg.user) (required "postgresql.host is required" $pg.host) $pg.port (required "postgresql.database is required" $pg.database) $pg.sslMode | quote }}
{{- $r := .Values.redis }}
{{- $scheme := ternary "rediss" "redis" (eq (toString $r.tls) "true") }}
{{- if $r.passwordKey }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $r.passwordKey }}
- name: REDIS_URL
  value: {{ printf "%s://:$(REDIS_PASSWORD)@%s:%v/%v" $scheme (required "redis.host is required" $r.host) $r.port $r.db | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "%s://%s:%v/%v" $scheme (required "redis.host is required" $r.host) $r.port $r.db | quote }}
{{- end }}
{{- end -}}

{{- define "mazad.envFrom" -}}
- configMapRef:
    name: {{ .name }}
- secretRef:
    name: {{ include "mazad.secretName" .root }}
{{- end -}}

{{/* The volumes every pod mounts: scratch space and the metrics directory. */}}
{{- define "mazad.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: metrics
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end -}}

{{- define "mazad.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: metrics
  mountPath: /run/mazad-metrics
{{- end -}}

{{- define "mazad.podAnnotations" -}}
{{- if and .root.Values.metrics.enabled .root.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .root.Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
checksum/config: {{ include "mazad.configData" .root | sha256sum }}
{{- with .values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Spread a component's pods over nodes and zones when the scheduler can. */}}
{{- define "mazad.topologySpread" -}}
{{- if .values.topologySpread }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "mazad.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "mazad.selectorLabels" . | nindent 8 }}
{{- end }}
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
{{- end -}}

{{- define "mazad.podSpecCommon" -}}
serviceAccountName: {{ include "mazad.serviceAccountName" .root }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- end -}}
