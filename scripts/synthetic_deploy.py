"""Kubernetes manifests, Helm charts, Dockerfiles of the synthetic monorepo."""

from __future__ import annotations

from synthetic_base import NOUNS, WorkerSpec, WriterBase

# Helm chart templates; "CHART" is replaced by the chart's name (the helpers' prefix).
_CHART_HELPERS = '''{{/* Names and labels shared by every template of the chart. */}}
{{- define "CHART.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "CHART.fullname" -}}
{{- $name := include "CHART.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "CHART.labels" -}}
app.kubernetes.io/name: {{ include "CHART.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- range $key, $value := .Values.global.labels }}
{{ $key }}: {{ tpl (toString $value) $ | quote }}
{{- end }}
{{- end -}}

{{- define "CHART.component" -}}
{{- printf "%s-%s" (include "CHART.fullname" .root) .component.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "CHART.env" -}}
{{- range $key := keys .component.env | sortAlpha }}
- name: {{ $key }}
  value: {{ tpl (toString (get $.component.env $key)) $.root | quote }}
{{- end }}
{{- end -}}

{{- define "CHART.entry" -}}
{{- $context := dict "Values" .root.Values "Release" .root.Release "Chart" .root.Chart -}}
{{- $_ := set $context "Template" .root.Template -}}
{{- $_ := set $context "entry" .entry -}}
{{ .entry.name }}: {{ tpl .root.Values.entryTemplate $context | quote }}
{{- end -}}
'''

_CHART_TEMPLATES = {
    "deployments.yaml": '''{{- range $component := .Values.components }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "CHART.component" (dict "root" $ "component" $component) }}
  labels:
    {{- include "CHART.labels" $ | nindent 4 }}
    app.kubernetes.io/component: {{ $component.name }}
spec:
  replicas: {{ $component.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $.Release.Name }}
      app.kubernetes.io/component: {{ $component.name }}
  template:
    metadata:
      labels:
        {{- include "CHART.labels" $ | nindent 8 }}
        app.kubernetes.io/component: {{ $component.name }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/config-enabled.yaml") $ | sha256sum }}
    spec:
      terminationGracePeriodSeconds: {{ $component.grace }}
      containers:
        - name: {{ $component.name }}
          image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag }}"
          command: ["gunicorn", "app.wsgi:app", "-b", "0.0.0.0:{{ $component.port }}"]
          ports:
            - containerPort: {{ $component.port }}
          env:
            {{- include "CHART.env" (dict "root" $ "component" $component) | nindent 12 }}
          resources:
            {{- toYaml $component.resources | nindent 12 }}
          readinessProbe:
            httpGet: {path: /ready, port: {{ $component.port }}}
{{- end }}
''',
    "services.yaml": '''{{- range $component := .Values.components }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "CHART.component" (dict "root" $ "component" $component) }}
  labels:
    {{- include "CHART.labels" $ | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/instance: {{ $.Release.Name }}
    app.kubernetes.io/component: {{ $component.name }}
  ports:
    - name: http
      port: 80
      targetPort: {{ $component.port }}
{{- end }}
''',
    "pdbs.yaml": '''{{- range $component := .Values.components }}
{{- if gt (int $component.replicas) 1 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "CHART.component" (dict "root" $ "component" $component) }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/component: {{ $component.name }}
{{- end }}
{{- end }}
''',
    "config-entries.yaml": '''apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "CHART.fullname" . }}-entries
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
data:
{{- range $entry := .Values.entries }}
  {{ include "CHART.entry" (dict "root" $ "entry" $entry) }}
{{- end }}
''',
    "config-enabled.yaml": '''apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "CHART.fullname" . }}-enabled
data:
  enabled.txt: |
{{- range $i, $entry := .Values.entries }}
{{- if $entry.enabled }}
    {{ printf "%04d %s %s=%v" $i (upper $entry.kind) $entry.name $entry.value }}
{{- end }}
{{- end }}
  digests.txt: |
{{- range $entry := .Values.entries }}
    {{ $entry.name }} {{ toJson $entry | sha256sum | trunc 16 }}
{{- end }}
''',
    "ingress.yaml": '''apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  rules:
    - host: {{ tpl .Values.host . }}
      http:
        paths:
{{- $components := .Values.components }}
{{- range $i, $entry := .Values.entries }}
{{- $component := index $components (mod $i (len $components)) }}
          - path: /{{ $entry.kind }}/{{ $entry.name }}
            pathType: Prefix
            backend:
              service:
                name: {{ include "CHART.component" (dict "root" $ "component" $component) }}
                port: {number: 80}
{{- end }}
''',
    "networkpolicies.yaml": '''{{- range $component := .Values.components }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "CHART.component" (dict "root" $ "component" $component) }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/component: {{ $component.name }}
  ingress:
    - ports:
        - port: {{ $component.port }}
{{- end }}
''',
    "serviceaccount.yaml": '''apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
''',
    "NOTES.txt": '''{{ include "CHART.fullname" . }} serves {{ len .Values.entries }} entries.
''',
}


class DeployWriter(WriterBase):
    """Writes what deploys the services."""

    def version(self) -> str:
        return f"{self.rng.randint(1, 9)}.{self.rng.randint(0, 40)}.{self.rng.randint(0, 9)}"

    def _resources(self, indent: str) -> list[str]:
        if self.rng.random() < 0.25:
            return []
        cpu = self.pick(("100m", "250m", "500m", "1"))
        mem = self.pick(("128Mi", "256Mi", "512Mi", "1Gi"))
        out = [f"{indent}resources:", f"{indent}  requests:", f"{indent}    cpu: {cpu}", f"{indent}    memory: {mem}"]
        if self.rng.random() < 0.7:
            out += [f"{indent}  limits:", f"{indent}    memory: {mem}"]
        return out

    def worker_deployment(self, w: WorkerSpec, env: str, image_repo: str, from_image: bool) -> list[str]:
        """YAML documents for one worker in one environment; ``from_image``: no command, the image's CMD."""
        rng = self.rng
        name = f"{w.service}-{w.domain}-worker".replace("_", "-")
        kind, target = w.launch
        shape = rng.randrange(7)
        if kind == "script":
            cmd = [f'command: ["python", "{target}"]',
                   f'command: ["/bin/sh", "-c", "exec python {target}"]',
                   f'command: ["tini", "--", "python", "-u", "{target}"]'][shape % 3]
        else:
            cmd = [f'command: ["python", "-m", "{target}"]',
                   f'command: ["/usr/bin/tini", "--", "python", "-m", "{target}"]',
                   f'command: ["python"]\n          args: ["-m", "{target}"]',
                   f'command: ["/bin/sh", "-c", "python -m {target}"]',
                   f'command: ["uv", "run", "python", "-m", "{target}"]',
                   f'command: ["ddtrace-run", "python", "-m", "{target}"]',
                   "command:\n            - python\n            - -m\n            - " + target][shape]
        grace = None
        if rng.random() < 0.7:
            base = w.drain_seconds or 300
            grace = rng.choice((base // 2, base, base + 30, base + 60, 30, 60))
        replicas = rng.choice((1, 2, 3, 4, 6)) if env == "production" else rng.choice((1, 1, 2))
        docs: list[str] = []
        lines = [f"# {name} ({env})", "apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}",
                 f"  namespace: {w.service.replace('_', '-')}", "  labels:", f"    app: {name}",
                 "    app.kubernetes.io/component: temporal-worker", f"    environment: {env}"]
        if rng.random() < 0.1:
            lines += ["  annotations:", '    tprlint.io/ignore: "TPR402,TPR403"']
        lines += ["spec:", f"  replicas: {replicas}", "  selector:", f"    matchLabels: {{app: {name}}}",
                  "  strategy:", "    type: RollingUpdate", "    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}",
                  "  template:", "    metadata:", f"      labels: {{app: {name}, environment: {env}}}",
                  "    spec:", f"      serviceAccountName: {name}"]
        if grace is not None:
            lines.append(f"      terminationGracePeriodSeconds: {grace}")
        lines += ["      containers:", "        - name: worker",
                  f"          image: ghcr.io/acme/{image_repo}:{self.version()}",
                  *([] if from_image else [f"          {cmd}"]),
                  "          env:", "            - name: TEMPORAL_ADDRESS",
                  "              value: temporal-frontend.temporal.svc:7233",
                  "            - name: TEMPORAL_NAMESPACE", f"              value: {w.service.replace('_', '-')}-{env}"]
        if w.env_drain and rng.random() < 0.6:
            lines += [f"            - name: {w.env_drain}", f'              value: "{rng.choice((60, 120, 300, 600))}"']
        lines += ["            - name: LOG_LEVEL", "              value: INFO"]
        if rng.random() < 0.5:
            lines += ["          envFrom:", f"            - configMapRef: {{name: {name}-config}}"]
        lines += self._resources("          ")
        if rng.random() < 0.6:
            lines += ["          readinessProbe:", '            exec: {command: ["test", "-f", "/tmp/ready"]}',
                      "            periodSeconds: 10"]
        if rng.random() < 0.5:
            lines += ["          livenessProbe:", "            httpGet: {path: /healthz, port: 8080}",
                      "            initialDelaySeconds: 15"]
        if rng.random() < 0.3:
            lines += ["          lifecycle:", "            preStop:",
                      f"              sleep: {{seconds: {rng.choice((5, 10))}}}"]
        docs.append("\n".join(lines))
        if rng.random() < 0.5:
            docs.append("\n".join(["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}-config",
                                   "data:", '  LOG_FORMAT: "json"', f'  WORKER_IDENTITY_PREFIX: "{name}"']))
        if rng.random() < 0.4:
            docs.append("\n".join(["apiVersion: policy/v1", "kind: PodDisruptionBudget", "metadata:",
                                   f"  name: {name}", "spec:", "  minAvailable: 1", "  selector:",
                                   f"    matchLabels: {{app: {name}}}"]))
        if rng.random() < 0.3:
            docs.append("\n".join(["apiVersion: autoscaling/v2", "kind: HorizontalPodAutoscaler", "metadata:",
                                   f"  name: {name}", "spec:", "  scaleTargetRef:", "    apiVersion: apps/v1",
                                   "    kind: Deployment", f"    name: {name}",
                                   f"  minReplicas: {rng.choice((1, 2, 3))}",
                                   f"  maxReplicas: {rng.choice((5, 10, 20))}",
                                   "  metrics:", "    - type: Resource", "      resource:", "        name: cpu",
                                   "        target: {type: Utilization, averageUtilization: 70}"]))
        return docs

    def web_manifest(self, service: str, package: str, env: str, component: str) -> list[str]:
        rng = self.rng
        name = f"{service}-{component}".replace("_", "-")
        ns = service.replace("_", "-")
        kind = rng.randrange(10)
        docs: list[str] = []
        if kind <= 5:
            server = self.pick((f'["gunicorn", "{package}.api.wsgi:app", "-b", "0.0.0.0:8000"]',
                                f'["uvicorn", "{package}.api.app:app", "--host", "0.0.0.0", "--port", "8000"]',
                                '["nginx", "-g", "daemon off;"]'))
            image = f"ghcr.io/acme/{service}:{rng.randint(1, 9)}.{rng.randint(0, 40)}.0" if "nginx" not in server \
                else "nginx:1.27"
            lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}", f"  namespace: {ns}",
                     f"  labels: {{app: {name}, tier: web}}", "spec:", f"  replicas: {rng.choice((2, 3, 4))}",
                     "  selector:", f"    matchLabels: {{app: {name}}}", "  template:", "    metadata:",
                     f"      labels: {{app: {name}}}", "    spec:", "      containers:", "        - name: app",
                     f"          image: {image}", f"          command: {server}", "          ports:",
                     "            - containerPort: 8000", "          env:",
                     "            - name: DATABASE_URL", "              valueFrom:",
                     f"                secretKeyRef: {{name: {name}-db, key: url}}"]
            if rng.random() < 0.2:  # APIs that start workflows talk to Temporal too
                lines += ["            - name: TEMPORAL_ADDRESS",
                          "              value: temporal-frontend.temporal.svc:7233"]
            lines += self._resources("          ")
            lines += ["          readinessProbe:", "            httpGet: {path: /ready, port: 8000}"]
            docs.append("\n".join(lines))
            docs.append("\n".join(["apiVersion: v1", "kind: Service", "metadata:", f"  name: {name}",
                                   f"  namespace: {ns}", "spec:", "  type: ClusterIP", f"  selector: {{app: {name}}}",
                                   "  ports:", "    - name: http", "      port: 80", "      targetPort: 8000"]))
            if rng.random() < 0.5:
                docs.append("\n".join(["apiVersion: autoscaling/v2", "kind: HorizontalPodAutoscaler", "metadata:",
                                       f"  name: {name}", f"  namespace: {ns}", "spec:", "  scaleTargetRef:",
                                       "    apiVersion: apps/v1", "    kind: Deployment", f"    name: {name}",
                                       "  minReplicas: 2", f"  maxReplicas: {rng.choice((6, 10, 30))}"]))
            if rng.random() < 0.4:
                docs.append("\n".join(["apiVersion: policy/v1", "kind: PodDisruptionBudget", "metadata:",
                                       f"  name: {name}", f"  namespace: {ns}", "spec:", "  maxUnavailable: 1",
                                       "  selector:", f"    matchLabels: {{app: {name}}}"]))
        elif kind <= 7:
            lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}-config", f"  namespace: {ns}",
                     "data:"]
            for _ in range(rng.randint(5, 40)):
                lines.append(f'  {self.ident().upper()}: "{rng.randint(0, 10000)}"')
            lines += ["  app.ini: |", "    [server]", f"    workers = {rng.randint(2, 16)}", "    timeout = 30"]
            docs.append("\n".join(lines))
        elif kind == 8:
            docs.append("\n".join([
                "apiVersion: batch/v1", "kind: CronJob", "metadata:", f"  name: {name}-nightly", f"  namespace: {ns}",
                "spec:", f'  schedule: "{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"', "  jobTemplate:",
                "    spec:", "      template:", "        spec:", "          restartPolicy: OnFailure",
                "          containers:", "            - name: job",
                f"              image: ghcr.io/acme/{service}:1.0.0",
                f'              command: ["python", "-m", "{package}.scripts.nightly", "--limit", "1000"]']))
        else:
            docs.append("\n".join([
                "apiVersion: networking.k8s.io/v1", "kind: Ingress", "metadata:", f"  name: {name}",
                f"  namespace: {ns}", "  annotations:", "    nginx.ingress.kubernetes.io/proxy-body-size: 10m",
                "spec:", "  rules:", f"    - host: {ns}.{env}.acme.internal", "      http:", "        paths:",
                "          - path: /", "            pathType: Prefix", "            backend:",
                f"              service: {{name: {name}, port: {{number: 80}}}}"]))
        return docs

    def helm_chart(self, folder: str, name: str, entries: int) -> None:
        """A chart whose render takes real time: templates ranging over ``entries`` values entries and a
        dozen components, helpers called through ``include`` and values rendered with ``tpl``."""
        rng = self.rng
        self.put(f"{folder}/Chart.yaml", "\n".join([
            "apiVersion: v2", f"name: {name}", f"description: Web components of {name.replace('-', ' ')}",
            "type: application", f"version: 0.{rng.randint(1, 30)}.{rng.randint(0, 9)}",
            f'appVersion: "{self.version()}"']), "helm_chart")
        lines = ['nameOverride: ""', "image:", f"  repository: ghcr.io/acme/{name}", f'  tag: "{self.version()}"',
                 f'host: "{{{{ .Release.Name }}}}.{name}.acme.internal"', "global:", "  labels:",
                 f"    team: {name}-team", '    release: "{{ .Release.Name }}-{{ .Chart.Version }}"',
                 '    revision: "{{ .Release.Revision }}"',
                 'entryTemplate: "{{ .entry.kind }}/{{ .entry.value }}@{{ .Release.Name }}.{{ .Chart.Name }}"',
                 "components:"]
        for i in range(rng.randint(8, 12)):
            component = f"{self.pick(('api', 'web', 'admin', 'gateway', 'events', 'sync'))}-{i}"
            lines += [f"  - name: {component}", f"    replicas: {rng.choice((1, 2, 3))}",
                      f"    port: {rng.choice((8000, 8080, 9000))}", f"    grace: {rng.choice((30, 60))}", "    env:",
                      '      SERVICE_NAME: "{{ .Release.Name }}"', f"      LOG_LEVEL: {self.pick(('INFO', 'DEBUG'))}"]
            for _ in range(rng.randint(2, 6)):
                lines.append(f'      {self.ident().upper()}: "{rng.randint(0, 1000)}"')
            lines += ["    resources:", f"      requests: {{cpu: {self.pick(('100m', '250m'))}, memory: 256Mi}}",
                      "      limits: {memory: 256Mi}"]
        lines.append("entries:")
        for i in range(entries):
            lines += [f"  - name: {self.pick(NOUNS).replace('_', '-')}-{i:04d}",
                      f"    kind: {self.pick(('flag', 'route', 'quota', 'limit'))}",
                      f"    value: {rng.randint(0, 10000)}", f"    enabled: {self.pick(('true', 'false'))}"]
        self.put(f"{folder}/values.yaml", "\n".join(lines), "helm_values")
        self.put(f"{folder}/templates/_helpers.tpl", _CHART_HELPERS.replace("CHART", name), "helm_template")
        for template, text in sorted(_CHART_TEMPLATES.items()):
            self.put(f"{folder}/templates/{template}", text.replace("CHART", name), "helm_template")

    def dockerfile(self, cmd: str) -> str:
        return "\n".join([
            f"FROM python:{self.pick(('3.11', '3.12', '3.13'))}-slim AS base",
            "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1", "WORKDIR /app",
            "COPY requirements.txt .", "RUN pip install --no-cache-dir -r requirements.txt", "COPY . .",
            "RUN useradd --create-home app", "USER app", f"CMD {cmd}"])
