"""Generate a deterministic synthetic monorepo for benchmarking tprlint.

The tree looks like a mid-sized company monorepo: services with nested packages of ordinary Python
(classes, functions, docstrings, imports of sibling modules, a few ``__main__`` scripts and tests),
a few percent of Temporal code (activities, workflows, settings modules, worker factories and
entrypoints, built in the ways real projects build them), Kubernetes manifests (multi-document
YAML: worker and web Deployments, Services, ConfigMaps, HPAs, PDBs, CronJobs), Dockerfiles, Helm
charts that take Helm real time to render, and noise (README.md, JSON, text files, CI YAML).

As in real code, every Temporal module imports a tree of ordinary project modules (about four per
Temporal module): a few hold names an analysis needs (a constant imported from another module used
as an activity timeout and a worker option, a dataclass settings object holding the drain, a pure
call chain three modules deep called from workflow code); most are imported for unrelated names and
import further modules of their own. None of them mentions Temporal or signals.

The same arguments always produce a byte-identical tree: every choice comes from one seeded
``random.Random`` and files are written in sorted order.

    python scripts/synthetic_repo.py /tmp/monorepo --files 3000 --manifests 300
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = (
    "billing", "checkout", "fulfillment", "identity", "inventory", "ledger", "notifications", "payments",
    "pricing", "catalog", "search", "shipping", "onboarding", "reporting", "analytics", "compliance",
    "risk", "support", "subscriptions", "warehouse", "marketplace", "loyalty", "messaging", "scheduling",
    "documents", "media", "partners", "procurement", "payroll", "treasury", "underwriting", "claims",
    "lending", "fraud", "kyc", "ads", "recommendations", "feeds", "growth", "tax",
)
LIBS = ("common", "platform_core", "observability", "dbkit", "httpkit", "eventbus", "authz", "featureflags")
SUBPACKAGES = (
    "api", "core", "domain", "db", "services", "adapters", "handlers", "schemas", "integrations",
    "repositories", "events", "serializers", "views", "clients", "tasks", "admin", "exports", "policies",
)
MODULE_NAMES = (
    "models", "utils", "helpers", "validators", "serializers", "queries", "commands", "mappers",
    "client", "cache", "errors", "types", "constants", "formatting", "filters", "permissions", "pagination",
    "signals", "routing", "storage", "metrics", "retry", "parsers", "builders", "registry", "config",
    "backends", "middleware", "tokens", "rates", "exporters", "importers", "reconcile", "scoring",
)
NOUNS = (
    "account", "invoice", "order", "payment", "shipment", "customer", "entry", "report", "stock", "product",
    "price", "refund", "subscription", "notice", "audit", "session", "tenant", "quota", "export_job",
    "webhook", "document", "upload", "query", "metric", "alert", "schedule", "profile", "address",
    "coupon", "cart", "review", "rating", "location", "carrier", "label", "tax_rate", "currency",
    "settlement", "payout", "dispute", "signal_score", "risk_case", "identity", "token", "permission",
    "role", "team", "project", "workspace", "comment", "attachment", "message", "thread", "channel",
    "email", "device", "flag", "experiment", "cohort", "segment", "event", "stream", "batch", "snapshot",
    "backup", "archive", "policy", "contract", "vendor", "supplier", "purchase", "receipt", "claim",
)
VERBS = (
    "load", "save", "build", "parse", "render", "validate", "compute", "resolve", "fetch", "sync", "merge",
    "split", "normalize", "enrich", "publish", "dispatch", "plan", "retry", "reconcile", "aggregate",
    "summarize", "export", "ingest", "prepare", "apply", "collect", "refresh", "archive", "expire",
    "notify", "score", "rank", "match", "lookup", "register", "settle", "charge", "verify", "track",
)
FIELDS = (
    "id", "created_at", "updated_at", "status", "amount", "currency", "tenant_id", "owner", "kind",
    "reference", "metadata", "priority", "region", "source", "attempts", "version", "tags", "score",
)
THIRD_PARTY = (
    "import requests", "import sqlalchemy as sa", "from pydantic import BaseModel", "import httpx",
    "from sqlalchemy.orm import Session", "import redis", "import boto3", "import structlog",
    "from fastapi import APIRouter, HTTPException", "from django.db import models as dj_models",
    "import orjson", "from tenacity import retry, stop_after_attempt",
)
ENVS = ("production", "staging", "dev")
# Ordinary project modules reachable through imports per Temporal module (a group's settings module and
# its support package: see _Writer.support_package); the files of such packages that some analysis needs.
SUPPORT_PER_TEMPORAL = 4
SUPPORT_NEEDED_FILES = 7  # __init__, defaults, limits, runtime_config, text, keys, naming
# Python files set aside for support packages, per Temporal file (groups average ~2.3; the rest pads a legacy package).
SUPPORT_SHARE = 3.0


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


def _call(callee: str, args: list[str], indent: str) -> str:
    """``callee(a, b)`` on one line when short, else one argument per line (black style)."""
    one_line = f"{callee}({', '.join(args)})"
    if len(indent) + len(one_line) <= 90:
        return one_line
    return f"{callee}(\n" + "".join(f"{indent}    {arg},\n" for arg in args) + f"{indent})"


def _cmd(launch: tuple[str, str]) -> str:
    """A Dockerfile CMD (exec form) that runs this launch target."""
    kind, target = launch
    return f'["python", "-m", "{target}"]' if kind == "module" else f'["python", "{target}"]'


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


@dataclass
class _Module:
    service: str  # service or lib name
    path: str  # relative file path
    dotted: str  # importable dotted name
    role: str  # "init" | "module" | "settings" | "test" | "script" | "shutdown"
    exports: list[str] = field(default_factory=list)  # public names other modules may import


@dataclass
class _Worker:
    service: str
    domain: str
    group_dotted: str  # dotted package of the Temporal group
    group_path: str  # its folder
    launch: tuple[str, str]  # ("module", "pkg.worker") or ("script", "pkg/main.py")
    drain_seconds: int | None  # the worker's drain as the code says it, None when unknown / missing
    env_drain: str | None  # an environment variable the drain is read from, when it is


@dataclass
class _Support:
    """The ordinary package of one Temporal group (see ``_Writer.support_package``)."""

    dotted: str
    unneeded: list[_Module]


@dataclass
class _Plan:
    root_rel: dict[str, str]  # service -> folder holding its packages (sys.path entry)
    package: dict[str, str]  # service -> top-level package name


class _Writer:
    """Produces the files; all randomness flows through ``self.rng`` in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.files: dict[str, str] = {}
        self.kinds: Counter[str] = Counter()
        self.groups = 0  # Temporal groups written

    # -- small helpers -------------------------------------------------------------------------

    def pick(self, seq: tuple[str, ...] | list[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def put(self, path: str, text: str, kind: str) -> None:
        if path in self.files:
            raise RuntimeError(f"synthetic_repo: {path} generated twice")
        self.files[path] = text if text.endswith("\n") or not text else text + "\n"
        self.kinds[kind] += 1

    def ident(self) -> str:
        return f"{self.pick(VERBS)}_{self.pick(NOUNS)}"

    def docstring(self, indent: str, subject: str) -> list[str]:
        first = f"{self.pick(VERBS).capitalize()} the {subject.replace('_', ' ')} and return the result."
        if self.rng.random() < 0.5:
            return [f'{indent}"""{first}"""']
        more = [
            f"{indent}The {self.pick(NOUNS).replace('_', ' ')} is looked up by its {self.pick(FIELDS)};",
            f"{indent}missing values fall back to the defaults of the {self.pick(NOUNS).replace('_', ' ')}.",
        ]
        return [f'{indent}"""{first}', "", *more, f'{indent}"""']

    # -- ordinary Python -----------------------------------------------------------------------

    def body(self, indent: str, params: list[str], helpers: list[str]) -> list[str]:
        """A function body of 5-25 lines built from common shapes; always valid Python."""
        p = params[0] if params else "None"
        noun, fld = self.pick(NOUNS), self.pick(FIELDS)
        i = indent
        choice = self.rng.randrange(9)
        if choice == 0:
            lines = [
                f"{i}result: dict[str, Any] = {{}}",
                f"{i}for key, value in sorted(dict({p} or {{}}).items()):",
                f"{i}    if value is None:",
                f"{i}        continue",
                f"{i}    result[str(key).lower()] = value",
                f'{i}logger.debug("{noun}: %d entries", len(result))',
                f"{i}return result",
            ]
        elif choice == 1:
            lines = [
                f"{i}try:",
                f"{i}    payload = json.loads({p})",
                f"{i}except (TypeError, ValueError) as exc:",
                f'{i}    logger.warning("invalid {noun} payload: %s", exc)',
                f"{i}    return None",
                f'{i}if not isinstance(payload, dict) or "{fld}" not in payload:',
                f"{i}    return None",
                f'{i}return payload["{fld}"]',
            ]
        elif choice == 2:
            lines = [
                f"{i}items = [item for item in ({p} or []) if item]",
                f"{i}if not items:",
                f"{i}    return []",
                f"{i}seen: set[str] = set()",
                f"{i}unique = []",
                f"{i}for item in items:",
                f'{i}    key = getattr(item, "{fld}", None) or str(item)',
                f"{i}    if key in seen:",
                f"{i}        continue",
                f"{i}    seen.add(key)",
                f"{i}    unique.append(item)",
                f"{i}return unique",
            ]
        elif choice == 3:
            attempts = self.rng.randint(2, 6)
            lines = [
                f"{i}delay = {self.rng.choice(['0.1', '0.25', '0.5', '1.0'])}",
                f"{i}last_error: Exception | None = None",
                f"{i}for attempt in range({attempts}):",
                f"{i}    try:",
                f"{i}        return {self.pick(helpers) if helpers else 'dict'}({p})",
                f"{i}    except (OSError, RuntimeError) as exc:",
                f"{i}        last_error = exc",
                f'{i}        logger.info("retrying {noun} after %s (attempt %d)", exc, attempt + 1)',
                f"{i}        time.sleep(delay)",
                f"{i}        delay *= 2",
                f"{i}raise RuntimeError(\"{noun} failed\") from last_error",
            ]
        elif choice == 4:
            days = self.rng.randint(1, 90)
            lines = [
                f"{i}now = dt.datetime.now(dt.timezone.utc)",
                f"{i}cutoff = now - dt.timedelta(days={days})",
                f'{i}stamp = getattr({p}, "{fld}", None)',
                f"{i}if stamp is None:",
                f"{i}    return False",
                f"{i}if isinstance(stamp, str):",
                f"{i}    stamp = dt.datetime.fromisoformat(stamp)",
                f"{i}return stamp >= cutoff",
            ]
        elif choice == 5:
            a, b, c = self.rng.sample(FIELDS, 3)
            lines = [
                f'{i}kind = getattr({p}, "kind", None) or "default"',
                f'{i}if kind == "{a}":',
                f"{i}    value = {self.rng.randint(1, 100)}",
                f'{i}elif kind == "{b}":',
                f"{i}    value = {self.rng.randint(100, 1000)}",
                f'{i}elif kind == "{c}":',
                f"{i}    value = {self.rng.randint(1000, 10000)}",
                f"{i}else:",
                f'{i}    raise ValueError(f"unknown {noun} kind: {{kind}}")',
                f"{i}return value",
            ]
        elif choice == 6:
            helper = self.pick(helpers) if helpers else "str"
            lines = [
                f"{i}converted = {helper}({p})",
                f"{i}if converted is None:",
                f'{i}    raise LookupError("no {noun} for {fld}")',
                f'{i}logger.info("{noun} %s ready", converted)',
                f"{i}return converted",
            ]
        elif choice == 7:
            lines = [
                f"{i}counts: defaultdict[str, int] = defaultdict(int)",
                f"{i}totals: defaultdict[str, float] = defaultdict(float)",
                f"{i}for row in {p} or ():",
                f'{i}    group = str(row.get("{fld}", "unknown"))',
                f"{i}    counts[group] += 1",
                f'{i}    totals[group] += float(row.get("amount", 0) or 0)',
                f"{i}return {{group: totals[group] / counts[group] for group in counts}}",
            ]
        else:
            lines = [
                f'{i}path = Path(str({p})).expanduser()',
                f"{i}if not path.exists():",
                f"{i}    return []",
                f'{i}with path.open(encoding="utf-8") as handle:',
                f"{i}    rows = [line.strip() for line in handle if line.strip()]",
                f'{i}return [row for row in rows if not row.startswith("#")]',
            ]
        return lines

    def function(self, indent: str, name: str, helpers: list[str], method: bool = False,
                 is_async: bool = False) -> list[str]:
        params = list(dict.fromkeys(self.pick(NOUNS) for _ in range(self.rng.randint(1, 3))))
        args = ", ".join((["self"] if method else []) + [f"{p}: Any" for p in params])
        if self.rng.random() < 0.3:
            args += f", *, {self.pick(FIELDS)}_limit: int = {self.rng.randint(10, 500)}"
        lines = [f"{indent}{'async ' if is_async else ''}def {name}({args}) -> Any:"]
        lines += self.docstring(indent + "    ", name)
        if self.rng.random() < 0.3:
            lines.append(f"{indent}    # {self.pick(VERBS)} before the {self.pick(NOUNS).replace('_', ' ')} is used")
        lines += self.body(indent + "    ", params, helpers)
        return lines

    def klass(self, helpers: list[str]) -> tuple[str, list[str]]:
        noun = self.pick(NOUNS)
        style = self.rng.randrange(3)
        name = _camel(noun) + self.pick(("", "Service", "Repository", "Manager", "Handler", "Record", "Client"))
        lines: list[str] = []
        if style == 0:
            lines += ["@dataclass", f"class {name}:"]
            lines += self.docstring("    ", noun)
            for fld in dict.fromkeys(self.rng.sample(FIELDS, self.rng.randint(3, 7))):
                typ = self.pick(("str", "int", "float", "bool", "str | None"))
                default = {"str": '""', "int": "0", "float": "0.0", "bool": "False", "str | None": "None"}[typ]
                lines.append(f"    {fld}: {typ} = {default}")
            lines.append("    extra: dict[str, Any] = field(default_factory=dict)")
        else:
            base = ""
            if style == 2:
                base = f"Base{_camel(self.pick(NOUNS))}"
                lines += [f"class {base}:", f'    """Shared behaviour for {noun.replace("_", " ")} objects."""', "",
                          "    registry: dict[str, Any] = {}", "", ""]
            lines += [f"class {name}({base}):" if base else f"class {name}:"]
            lines += self.docstring("    ", noun)
            lines += ["", "    def __init__(self, settings: Any = None, *, timeout: float = 30.0) -> None:",
                      "        self.settings = settings or {}", "        self.timeout = timeout",
                      f"        self._{noun}_cache: dict[str, Any] = {{}}"]
        for _ in range(self.rng.randint(1, 6)):
            lines.append("")
            lines += self.function("    ", self.ident(), helpers, method=True, is_async=self.rng.random() < 0.15)
        return name, lines

    def ordinary_module(self, mod: _Module, importable: list[_Module], package: str, every: bool = False) -> str:
        """An ordinary module importing names from 1-4 of ``importable`` (from each of them when ``every``)."""
        rng = self.rng
        target = int(rng.triangular(50, 400, 130))
        lines = [f'"""{_camel(mod.dotted.rsplit(".", 1)[-1])} for {mod.service.replace("_", " ")}:'
                 f' {self.pick(VERBS)} and {self.pick(VERBS)} {self.pick(NOUNS).replace("_", " ")} records.',
                 "",
                 f"Used by the {self.pick(SUBPACKAGES)} layer; see the package README for conventions.",
                 '"""', "", "from __future__ import annotations", "",
                 "import datetime as dt", "import json", "import logging", "import time",
                 "from collections import defaultdict", "from dataclasses import dataclass, field",
                 "from pathlib import Path", "from typing import Any"]
        if rng.random() < 0.3:
            lines.append(self.pick(THIRD_PARTY))
        helpers: list[str] = []
        siblings = [m for m in importable if m.exports]
        if siblings:
            lines.append("")
            chosen = siblings if every else rng.sample(siblings, min(len(siblings), rng.randint(1, 4)))
            for other in chosen:
                names = sorted(set(rng.sample(other.exports, min(len(other.exports), rng.randint(1, 3)))))
                if other.role == "settings":
                    lines.append(f"from {other.dotted.rsplit('.', 1)[0]} import settings")
                    continue
                same_pkg = other.dotted.rsplit(".", 1)[0] == mod.dotted.rsplit(".", 1)[0]
                source = "." + other.dotted.rsplit(".", 1)[1] if same_pkg and rng.random() < 0.5 else other.dotted
                lines.append(f"from {source} import {', '.join(names)}")
                helpers += [n for n in names if n[0].islower()]
        lines += ["", "logger = logging.getLogger(__name__)", ""]
        for _ in range(rng.randint(1, 4)):
            lines.append(f"{self.pick(FIELDS).upper()}_{self.pick(NOUNS).upper()} = {rng.randint(1, 5000)}")
        exports: list[str] = []
        while len(lines) < target:
            lines += ["", ""]
            if rng.random() < 0.35:
                name, block = self.klass(helpers)
            else:
                name = self.ident()
                while name in exports:
                    name = self.ident()
                block = self.function("", name, helpers, is_async=rng.random() < 0.1)
            lines += block
            exports.append(name)
        if mod.role == "script":
            lines += ["", "", "def main(argv: list[str] | None = None) -> int:",
                      "    import argparse", "",
                      f'    parser = argparse.ArgumentParser(description="{self.pick(VERBS)} {self.pick(NOUNS)} data")',
                      '    parser.add_argument("--dry-run", action="store_true")',
                      '    parser.add_argument("--limit", type=int, default=100)',
                      "    args = parser.parse_args(argv)",
                      '    logging.basicConfig(level=logging.INFO)',
                      '    logger.info("starting (dry run: %s, limit %d)", args.dry_run, args.limit)',
                      "    return 0", "", "",
                      'if __name__ == "__main__":', "    raise SystemExit(main())"]
        mod.exports = exports
        return "\n".join(lines)

    def test_module(self, mod: _Module, importable: list[_Module]) -> str:
        lines = ['"""Tests."""', "", "import pytest", ""]
        targets = [m for m in importable if m.exports and m.role == "module"]
        for other in self.rng.sample(targets, min(len(targets), 2)):
            lines.append(f"from {other.dotted} import {other.exports[0]}")
        target = int(self.rng.triangular(50, 250, 90))
        n = 0
        while len(lines) < target:
            n += 1
            noun = self.pick(NOUNS)
            lines += ["", "",
                      f'@pytest.mark.parametrize("value", [None, "", "{noun}", {self.rng.randint(1, 99)}])',
                      f"def test_{self.ident()}_{n}(value):",
                      f"    data = {{\"{self.pick(FIELDS)}\": value, \"kind\": \"{noun}\"}}",
                      "    assert isinstance(data, dict)",
                      f"    assert data[\"kind\"] == \"{noun}\""]
        return "\n".join(lines)

    def settings_module(self, mod: _Module, service: str) -> str:
        upper = service.upper()
        mod.exports = ["DATABASE_URL", "REDIS_URL", "DEBUG", "PAGE_SIZE"]
        lines = [f'"""Settings of the {service} service, read from the environment."""', "", "import os", "",
                 f'DATABASE_URL = os.environ.get("{upper}_DATABASE_URL", "postgresql://localhost/{service}")',
                 'REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")',
                 'DEBUG = os.environ.get("DEBUG", "0") == "1"',
                 f"PAGE_SIZE = {self.rng.choice((25, 50, 100))}",
                 f'ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "{service}.internal").split(",")',
                 "", "FEATURES = {"]
        for _ in range(self.rng.randint(20, 60)):
            lines.append(f'    "{self.ident()}": {self.pick(("True", "False"))},')
        lines.append("}")
        return "\n".join(lines)

    def shutdown_module(self, mod: _Module) -> str:
        mod.exports = ["wait_for_termination"]
        return "\n".join([
            '"""Process lifecycle helpers shared by every service."""', "",
            "from __future__ import annotations", "", "import asyncio", "import logging", "import signal", "",
            "logger = logging.getLogger(__name__)", "", "",
            "async def wait_for_termination() -> None:",
            '    """Return once the process receives SIGTERM or SIGINT."""',
            "    stop = asyncio.Event()",
            "    loop = asyncio.get_running_loop()",
            "    for sig in (signal.SIGTERM, signal.SIGINT):",
            "        loop.add_signal_handler(sig, stop.set)",
            "    await stop.wait()",
            '    logger.info("termination requested; shutting down")',
        ])

    # -- Temporal ------------------------------------------------------------------------------

    def support_package(self, service: str, path: str, dotted: str, domain: str, unneeded: int,
                        drain_seconds: int, chained_limits: bool = True) -> _Support:
        """The ordinary package a Temporal group imports (none of it mentions Temporal): the modules an
        analysis needs a name from, and ``unneeded`` modules imported for unrelated names.

        Needed: ``limits`` (an activity timeout and a worker option; with ``chained_limits`` their
        values are imported from ``defaults``, which is then needed too), ``runtime_config`` (a
        dataclass settings object with the drain, when the worker takes its drain from it) and a pure
        call chain three modules deep (``naming.workflow_label`` -> ``keys.scoped_key`` -> ``text.slug``)
        that workflow code calls (in one group in four; in the others only an activity module does).
        Unneeded: ordinary modules in a binary tree (module ``i`` imports
        modules ``2i+1`` and ``2i+2``), of which the Temporal modules import the first three."""
        rng = self.rng
        base_timeout = rng.choice((10, 30, 60, 120, 300))
        max_activities = rng.choice((5, 10, 20, 50, 100))

        def put(name: str, lines: list[str]) -> None:
            self.put(f"{path}/{name}.py", "\n".join(lines), "python_support")

        self.put(f"{path}/__init__.py", f'"""The {domain.replace("_", " ")} domain of {service}."""',
                 "python_support")
        put("defaults", [f'"""Defaults of the {domain.replace("_", " ")} domain; override per deployment."""', "",
                         f"BASE_TIMEOUT_S = {base_timeout}", f"MAX_ACTIVITIES = {max_activities}",
                         f"PAGE_SIZE = {rng.choice((25, 50, 100))}",
                         f'REGION = "{self.pick(("eu-west-1", "us-east-1", "ap-south-1"))}"'])
        values = ([f"from {dotted}.defaults import BASE_TIMEOUT_S, MAX_ACTIVITIES", "",
                   "ACTIVITY_TIMEOUT_S = BASE_TIMEOUT_S", "MAX_CONCURRENT_ACTIVITIES = MAX_ACTIVITIES"]
                  if chained_limits else
                  [f"ACTIVITY_TIMEOUT_S = {base_timeout}", f"MAX_CONCURRENT_ACTIVITIES = {max_activities}"])
        put("limits", [f'"""Limits of the {domain.replace("_", " ")} processing."""', "", *values,
                       f"RETRY_BACKOFF_S = {rng.choice((1, 2, 5))}"])
        put("runtime_config", [f'"""Runtime configuration of the {domain.replace("_", " ")} processing."""', "",
                               "from __future__ import annotations", "", "from dataclasses import dataclass", "", "",
                               "@dataclass(frozen=True)", "class WorkerSettings:",
                               '    """Settings of the worker process; the defaults are the production values."""',
                               "", f"    DRAIN_SECONDS: int = {drain_seconds}",
                               f"    POLL_INTERVAL_S: float = {rng.choice(('0.5', '1.0', '2.0'))}",
                               f'    LOG_LEVEL: str = "{self.pick(("INFO", "WARNING"))}"', "", "",
                               "worker_settings = WorkerSettings()"])
        put("text", ['"""Text helpers: pure functions."""', "", "", "def slug(value: str) -> str:",
                     '    """Lower case words joined by dashes."""',
                     '    words = str(value).lower().replace("_", " ").split()',
                     '    return "-".join(word for word in words if word.isalnum() or "-" in word)'])
        put("keys", ['"""Keys of stored and scheduled things."""', "", f"from {dotted}.text import slug", "", "",
                     "def scoped_key(scope: str, value: str) -> str:",
                     '    """``scope:value`` with both parts as slugs."""',
                     '    return f"{slug(scope)}:{slug(value)}"'])
        put("naming", ['"""Names of workflows and their runs."""', "", f"from {dotted}.keys import scoped_key", "",
                       "", "def workflow_label(entity_id: str) -> str:",
                       '    """The label a workflow run of this domain carries."""',
                       f'    return scoped_key("{domain}", entity_id)'])
        names = [n for n in MODULE_NAMES if n not in ("config",)]
        chosen = rng.sample(names, min(unneeded, len(names)))
        mods = [_Module(service, f"{path}/{n}.py", f"{dotted}.{n}", "module") for n in chosen]
        for i in reversed(range(len(mods))):  # leaves first: a module imports names its children export
            children = [mods[j] for j in (2 * i + 1, 2 * i + 2) if j < len(mods)]
            self.put(mods[i].path, self.ordinary_module(mods[i], children, service, every=True), "python_support")
        return _Support(dotted, mods)

    def _unrelated_import(self, support: _Support, index: int) -> list[str]:
        """``from <unneeded module> import <name>``: an import no analysis needs."""
        if index >= len(support.unneeded):
            return []
        mod = support.unneeded[index]
        return [f"from {mod.dotted} import {mod.exports[0]}"] if mod.exports else []

    def temporal_group(self, service: str, base_path: str, base_dotted: str, domain: str, budget: int,
                       support_room: int, has_shutdown_lib: bool) -> tuple[list[str], _Worker, int]:
        """Write one Temporal package of ``budget`` (4-7) files and return their paths, its worker and
        how many ordinary support modules it wrote.

        Always: ``__init__``, ``activities``, ``workflows``, ``worker``; then, as the budget allows, a
        settings module, a worker factory (or ``Worker`` subclass) and a separate entrypoint. Beside it,
        an ordinary package (``support_package``) that its Temporal modules import: about
        ``SUPPORT_PER_TEMPORAL`` ordinary modules per Temporal module (its settings module included),
        fewer when ``support_room`` (files left for such packages) is short."""
        rng = self.rng
        written: list[str] = []
        extras = budget - 4
        with_settings = extras >= 2 or (extras == 1 and rng.random() < 0.6)
        with_factory = extras == 3 or (extras == 2 and rng.random() < 0.4)
        with_entry = extras - with_settings - with_factory == 1
        settings_name = self.pick(("settings", "config", "constants"))
        if with_factory:
            style = self.pick(("factory", "subclass"))
        else:
            style = self.pick(("direct", "direct", "direct_missing", "kwargs_dict", "env_default", "env_required",
                               "alias", "opaque", "settings_object", "settings_object")
                              + (("settings_const", "settings_const") if with_settings else ()))
        entry = self.pick(("dunder_main", "main_script")) if with_entry else "worker_main"
        signals = self.pick(("add_signal_handler", "add_signal_handler", "signal_signal", "none", "none")
                            + (("shared_lib",) if has_shutdown_lib else ()))
        minutes = rng.choice((1, 2, 5, 5, 10, 15, 30))
        seconds = minutes * 60
        drain: int | None = seconds
        env_drain: str | None = None
        env_prefix = f"{service.upper()}_{domain.upper()}"
        env_name = f"{env_prefix}_DRAIN_SECONDS"
        tq = f"{service}-{domain}".replace("_", "-")
        # The ordinary package beside the group: about SUPPORT_PER_TEMPORAL modules per Temporal module.
        temporal_modules = 3 + with_factory  # activities, workflows, worker (and factory) import temporalio
        wanted = SUPPORT_PER_TEMPORAL * temporal_modules - with_settings - SUPPORT_NEEDED_FILES
        support = self.support_package(service, f"{base_path.rsplit('/', 1)[0]}/{domain}",
                                       f"{base_dotted.rsplit('.', 1)[0]}.{domain}", domain,
                                       max(0, min(wanted, support_room - SUPPORT_NEEDED_FILES)), seconds,
                                       chained_limits=self.groups % 3 == 0)
        support_files = SUPPORT_NEEDED_FILES + len(support.unneeded)
        # One group in four calls the chain from workflow code (needed by the call graph); the others from
        # a helper of the activity module (imported, never needed). Workflow code calling project helpers
        # three modules deep is the exception in real code: the sandbox makes every import a cost.
        chain_in_workflow = self.groups % 4 == 0
        self.groups += 1

        def write(name: str, text: str, kind: str = "python_temporal") -> None:
            self.put(f"{base_path}/{name}", text, kind)
            written.append(f"{base_path}/{name}")

        # __init__.py
        write("__init__.py", f'"""Temporal workflows and activities of {service} ({domain.replace("_", " ")})."""\n')

        # activities.py
        acts = list(dict.fromkeys(f"{self.pick(VERBS)}_{self.pick(NOUNS)}" for _ in range(rng.randint(4, 14))))
        noun = domain
        lines = [f'"""Activities of the {service} {domain} worker."""', "", "from __future__ import annotations", "",
                 "import logging", "from dataclasses import dataclass", "from typing import Any", "",
                 "from temporalio import activity", "from temporalio.exceptions import ApplicationError"]
        lines += self._unrelated_import(support, 0)
        if not chain_in_workflow:
            lines.append(f"from {support.dotted}.naming import workflow_label")
        lines += ["", "logger = logging.getLogger(__name__)", "", "", "@dataclass",
                  f"class {_camel(noun)}Input:", f"    {noun}_id: str", "    tenant_id: str", "    attempt: int = 0",
                  "    payload: dict[str, Any] | None = None"]
        if not chain_in_workflow:
            lines += ["", "", f"def _label(params: {_camel(noun)}Input) -> str:",
                      f"    return workflow_label(params.{noun}_id)"]
        for act in acts:
            kind = rng.randrange(3)
            lines += ["", "", "@activity.defn", f"async def {act}(params: {_camel(noun)}Input) -> dict[str, Any]:"]
            lines += self.docstring("    ", act)
            if kind == 0:
                lines += [f"    activity.heartbeat(params.{noun}_id)",
                          f'    logger.info("{act} for %s", params.{noun}_id)',
                          f'    return {{"id": params.{noun}_id, "status": "done"}}']
            elif kind == 1:
                lines += ["    info = activity.info()", "    if info.attempt > 5:",
                          f'        raise ApplicationError("giving up on {act}", non_retryable=True)',
                          "    result: dict[str, Any] = {}",
                          "    for key, value in (params.payload or {}).items():",
                          "        activity.heartbeat(key)", "        result[key] = value",
                          "    return result"]
            else:
                lines += self.body("    ", ["params"], [])
        write("activities.py", "\n".join(lines))

        # workflows.py
        lines = [f'"""Workflows of the {service} {domain} worker."""', "", "from __future__ import annotations", "",
                 "from datetime import timedelta", "", "from temporalio import workflow",
                 "from temporalio.common import RetryPolicy", "", f"from {support.dotted} import limits",
                 *([f"from {support.dotted}.naming import workflow_label"] if chain_in_workflow else []), "",
                 "with workflow.unsafe.imports_passed_through():",
                 f"    from {base_dotted}.activities import {_camel(noun)}Input, {', '.join(acts[:4])}",
                 *("    " + line for line in self._unrelated_import(support, 1)), ""]
        wfs: list[str] = []
        for n in range(rng.randint(1, 4)):
            wf = f"{_camel(self.pick(VERBS))}{_camel(noun)}Workflow" + (str(n) if n else "")
            wfs.append(wf)
            lines += ["", "@workflow.defn", f"class {wf}:", "    def __init__(self) -> None:",
                      '        self._status = "pending"', "", "    @workflow.run",
                      f"    async def run(self, params: {_camel(noun)}Input) -> str:",
                      *([f"        self._status = workflow_label(params.{noun}_id)"] if chain_in_workflow else [])]
            for k, act in enumerate(acts[: rng.randint(1, min(4, len(acts)))]):
                timeout = "limits.ACTIVITY_TIMEOUT_S" if k == 0 else str(rng.choice((10, 30, 60, 300)))
                lines += ["        await workflow.execute_activity(",
                          f"            {act},", "            params,",
                          f"            start_to_close_timeout=timedelta(seconds={timeout}),",
                          f"            retry_policy=RetryPolicy(maximum_attempts={rng.randint(3, 10)}),",
                          "        )"]
            lines += ['        self._status = "done"', f"        return params.{noun}_id", "",
                      "    @workflow.signal", "    def cancel(self) -> None:", '        self._status = "cancelled"', "",
                      "    @workflow.query", "    def status(self) -> str:", "        return self._status", ""]
        write("workflows.py", "\n".join(lines))

        # settings / config / constants
        if with_settings:
            drain_expr = self.pick(("minutes", "seconds", "product", "env"))
            if drain_expr == "minutes":
                expr = f"timedelta(minutes={minutes})"
            elif drain_expr == "seconds":
                expr = f"timedelta(seconds={seconds})"
            elif drain_expr == "product" and minutes % 2 == 0:
                expr = f"timedelta(minutes={minutes // 2}) * 2"
            else:
                expr = f'timedelta(seconds=int(os.getenv("{env_name}", "{seconds}")))'
                if style == "settings_const":
                    env_drain = env_name
            lines = [f'"""Configuration of the {domain} worker."""', "", "import os",
                     "from datetime import timedelta", "",
                     f'TASK_QUEUE = os.environ.get("{env_prefix}_TASK_QUEUE", "{tq}")',
                     'TEMPORAL_ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "temporal-frontend.temporal:7233")',
                     'TEMPORAL_NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")',
                     f"DRAIN_TIMEOUT = {expr}",
                     f"MAX_CONCURRENT_ACTIVITIES = {rng.choice((10, 20, 50, 100, 200))}",
                     f"MAX_CACHED_WORKFLOWS = {rng.choice((100, 500, 1000))}"]
            write(f"{settings_name}.py", "\n".join(lines))
        cfg = f"{settings_name}." if with_settings else ""
        tq_expr = f"{cfg}TASK_QUEUE" if with_settings else f'"{tq}"'
        addr_expr = (f"{cfg}TEMPORAL_ADDRESS" if with_settings
                     else 'os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")')

        # factory.py
        factory_import = ""
        if with_factory:
            timeout_in_factory = rng.random() < 0.7
            if not timeout_in_factory:
                drain = None
            gst = [f"graceful_shutdown_timeout={settings_name}.DRAIN_TIMEOUT"] if timeout_in_factory else []
            lines = [f'"""How {service} builds its Temporal workers."""', "", "from __future__ import annotations", "",
                     "from typing import Any", "", "from temporalio.client import Client",
                     "from temporalio.worker import Worker", "", f"from {base_dotted} import {settings_name}",
                     *self._unrelated_import(support, 2), "", ""]
            if style == "factory":
                lines += ["def build_worker(client: Client, **options: Any) -> Worker:",
                          '    """A Worker with the service defaults; callers pass the task queue and code."""',
                          "    return " + _call("Worker", ["client", *gst, f"max_concurrent_activities="
                                                  f"{settings_name}.MAX_CONCURRENT_ACTIVITIES", "**options"], "    ")]
                factory_import = f"from {base_dotted}.factory import build_worker"
            else:
                lines += ["class DrainingWorker(Worker):",
                          '    """A Worker that lets running activities finish on shutdown."""', "",
                          "    def __init__(self, client: Client, **kwargs: Any) -> None:",
                          "        " + _call("super().__init__", ["client", *gst, "**kwargs"], "        ")]
                factory_import = f"from {base_dotted}.factory import DrainingWorker"
            write("factory.py", "\n".join(lines))

        # worker.py
        imports = ["import asyncio", "import logging", "import os"]
        if signals in ("add_signal_handler", "signal_signal"):
            imports.append("import signal")
        imports += ["from datetime import timedelta", "", "from temporalio.client import Client"]
        if style == "alias":
            imports.append("import temporalio.worker as tw")
        elif style not in ("factory", "subclass"):
            imports.append("from temporalio.worker import Worker")
        if style == "opaque":
            imports.append("from django.conf import settings as django_settings")
        imports.append("")
        rel = rng.random() < 0.4
        pre = "." if rel else f"{base_dotted}."
        imports.append(f"from {pre}activities import {', '.join(acts)}" if len(acts) <= 4 else
                       f"from {pre}activities import (\n" + "".join(f"    {a},\n" for a in acts) + ")")
        imports.append(f"from {pre}workflows import {', '.join(wfs)}")
        if with_settings:
            imports.append(f"from {'.' if rel else base_dotted} import {settings_name}")
        if factory_import:
            imports.append(factory_import)
        if signals == "shared_lib":
            imports.append("from common.shutdown import wait_for_termination")
        imports.append(f"from {support.dotted} import limits")
        if style == "settings_object":
            imports.append(f"from {support.dotted}.runtime_config import worker_settings")
        imports += self._unrelated_import(support, 2 if with_factory else rng.choice((0, 2)))
        module_level: list[str] = []
        code_args = [f"task_queue={tq_expr}", f"workflows=[{', '.join(wfs)}]", f"activities=[{', '.join(acts)}]"]
        if with_settings and rng.random() < 0.5:
            code_args.append(f"max_cached_workflows={cfg}MAX_CACHED_WORKFLOWS")
        if style not in ("factory", "opaque"):  # a worker option from an ordinary module's constant
            code_args.append("max_concurrent_activities=limits.MAX_CONCURRENT_ACTIVITIES")
        callee, args = "Worker", list(code_args)
        if style == "direct":
            args.append(f"graceful_shutdown_timeout=timedelta(minutes={minutes})")
        elif style == "direct_missing":
            drain = None
        elif style == "kwargs_dict":
            module_level = ["WORKER_OPTIONS = {", f'    "task_queue": {tq_expr},',
                            f'    "graceful_shutdown_timeout": timedelta(seconds={seconds}),', "}"]
            args = [*code_args[1:3], "**WORKER_OPTIONS"]
        elif style == "settings_const":
            args.append(f"graceful_shutdown_timeout={cfg}DRAIN_TIMEOUT")
        elif style == "settings_object":
            args.append("graceful_shutdown_timeout=timedelta(seconds=worker_settings.DRAIN_SECONDS)")
        elif style == "env_default":
            module_level = [f'DRAIN = timedelta(seconds=int(os.environ.get("{env_name}", "{seconds}")))']
            env_drain = env_name
            args.append("graceful_shutdown_timeout=DRAIN")
        elif style == "env_required":
            module_level = [f'DRAIN = timedelta(seconds=int(os.environ["{env_name}"]))']
            drain, env_drain = None, env_name
            args.append("graceful_shutdown_timeout=DRAIN")
        elif style == "alias":
            callee = "tw.Worker"
            args.append(f"graceful_shutdown_timeout=timedelta(seconds={seconds})")
        elif style == "opaque":
            args = ["**django_settings.TEMPORAL_WORKER_OPTIONS"]
            drain = None
        elif style == "factory":
            callee = "build_worker"
        else:
            callee = "DrainingWorker"
        ctor = _call(callee, ["client", *args], "    ")
        run_fn = "main" if entry == "worker_main" else "run_worker"
        body = [f"async def {run_fn}() -> None:",
                f'    """Connect to Temporal and run the {domain} worker until stopped."""',
                "    logging.basicConfig(level=logging.INFO)",
                f"    client = await Client.connect({addr_expr})"]
        if signals == "add_signal_handler":
            body += ["    stop = asyncio.Event()", "    loop = asyncio.get_running_loop()",
                     "    for sig in (signal.SIGTERM, signal.SIGINT):",
                     "        loop.add_signal_handler(sig, stop.set)",
                     f"    async with {ctor}:",
                     f'        logger.info("polling %s", {tq_expr})',
                     "        await stop.wait()"]
        elif signals == "signal_signal":
            body += [f"    worker = {ctor}", "    loop = asyncio.get_running_loop()", "",
                     "    def _on_sigterm(signum: int, frame: object) -> None:",
                     "        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(worker.shutdown()))", "",
                     "    signal.signal(signal.SIGTERM, _on_sigterm)", "    await worker.run()"]
        elif signals == "shared_lib":
            body += [f"    async with {ctor}:", "        await wait_for_termination()"]
        else:
            body += [f"    worker = {ctor}",
                     f'    logger.info("worker for %s started", {tq_expr})',
                     "    await worker.run()"]
        lines = [f'"""{_camel(domain)} worker of {service}."""', "", "from __future__ import annotations", "",
                 *imports, "", "logger = logging.getLogger(__name__)", ""]
        if module_level:
            lines += [*module_level, ""]
        lines += ["", *body]
        if entry == "worker_main":
            lines += ["", "", 'if __name__ == "__main__":', f"    asyncio.run({run_fn}())"]
        write("worker.py", "\n".join(lines))

        # entrypoint
        if entry == "dunder_main":
            write("__main__.py", "\n".join([f'"""`python -m {base_dotted}` runs the {domain} worker."""', "",
                                            "import asyncio", "", f"from {base_dotted}.worker import run_worker", "",
                                            'if __name__ == "__main__":', "    asyncio.run(run_worker())"]))
            launch = ("module", base_dotted)
        elif entry == "main_script":
            write("main.py", "\n".join(["import asyncio", "import sys", "",
                                        f"from {base_dotted}.worker import run_worker", "", "",
                                        "def main() -> int:", "    asyncio.run(run_worker())", "    return 0", "", "",
                                        'if __name__ == "__main__":', "    sys.exit(main())"]))
            launch = ("script", f"{base_path.split('/', 2)[-1]}/main.py")
        else:
            launch = ("module", f"{base_dotted}.worker")
        if style == "opaque":
            drain = None
        return written, _Worker(service, domain, base_dotted, base_path, launch, drain, env_drain), support_files

    # -- Kubernetes, Docker, noise -------------------------------------------------------------

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

    def worker_deployment(self, w: _Worker, env: str, image_repo: str, from_image: bool) -> list[str]:
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


def generate(root: Path, python_files: int = 3000, temporal_share: float = 0.04, manifests: int = 300,
             seed: int = 7, charts: int = 3, chart_entries: int = 300) -> dict[str, int]:
    """Write a synthetic monorepo under ``root`` (created; must be empty) and return counts by kind.

    ``python_files`` is the number of ``.py`` files, of which about ``temporal_share`` are Temporal
    packages; ``manifests`` is the number of Kubernetes YAML files (each holds one or more documents);
    ``charts`` Helm charts (at most one per service) range over ``chart_entries`` values entries each.
    Each Temporal group imports an ordinary package of about ``SUPPORT_PER_TEMPORAL`` modules per
    Temporal module; their files come out of the ordinary modules' share of ``python_files``.
    """
    if python_files < 100:
        raise ValueError("python_files must be at least 100")
    if not 0 <= temporal_share <= 0.5:
        raise ValueError("temporal_share must be between 0 and 0.5")
    if charts < 0 or chart_entries < 1:
        raise ValueError("charts must be at least 0 and chart_entries at least 1")
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not empty")
    w = _Writer(seed)
    rng = w.rng

    n_services = max(2, min(len(SERVICES) * 3, python_files // 150))
    services = [SERVICES[i % len(SERVICES)] + (f"_{i // len(SERVICES) + 1}" if i >= len(SERVICES) else "")
                for i in range(n_services)]
    libs = list(LIBS[: max(1, min(len(LIBS), n_services // 4))])

    n_temporal = round(python_files * temporal_share)
    n_ordinary = python_files - n_temporal
    support_room = min(round(n_temporal * SUPPORT_SHARE), n_ordinary // 2)
    n_ordinary -= support_room

    # Where each service's packages live: flat, src layout, or a nested "backend" folder.
    roots: dict[str, str] = {}
    for s in services:
        roots[s] = w.pick((f"services/{s}", f"services/{s}", f"services/{s}/src", f"services/{s}/backend"))
    for lib in libs:
        roots[lib] = f"libs/{lib}"

    # Plan ordinary modules: per owner, a package tree with subpackages, tests and scripts.
    owners = libs + services
    weights = [0.5 if o in libs else 1.0 + rng.random() for o in owners]
    total_w = sum(weights)
    shares = [max(6, int(n_ordinary * wt / total_w)) for wt in weights]
    shares[-1] += n_ordinary - sum(shares)
    if shares[-1] < 6:
        raise ValueError("too few python files for this many services")
    planned: dict[str, list[_Module]] = {}
    for owner, share in zip(owners, shares, strict=True):
        mods: list[_Module] = []
        pkg_path = f"{roots[owner]}/{owner}"
        mods.append(_Module(owner, f"{pkg_path}/__init__.py", owner, "init"))
        if owner == "common":
            mods.append(_Module(owner, f"{pkg_path}/shutdown.py", "common.shutdown", "shutdown"))
        if owner in services:
            mods.append(_Module(owner, f"{pkg_path}/settings.py", f"{owner}.settings", "settings"))
        remaining = share - len(mods)
        n_tests = remaining // 8
        n_scripts = max(2, remaining // 30) if owner in services else 0  # files, with scripts/__init__.py
        n_pkg = remaining - n_tests - n_scripts
        # Package tree: subpackages (some nested) with __init__.py and modules.
        subpkgs: list[tuple[str, str]] = []  # (path, dotted)
        while n_pkg > 0:
            if subpkgs and rng.random() < 0.3:
                parent_path, parent_dotted = subpkgs[rng.randrange(len(subpkgs))]
            else:
                parent_path, parent_dotted = pkg_path, owner
            if parent_dotted.count(".") >= 3:
                parent_path, parent_dotted = pkg_path, owner
            taken = {p for p, _ in subpkgs}
            free = [n for n in SUBPACKAGES if f"{parent_path}/{n}" not in taken]
            name = w.pick(free) if free else f"{w.pick(SUBPACKAGES)}_{len(subpkgs)}"
            path, dotted = f"{parent_path}/{name}", f"{parent_dotted}.{name}"
            subpkgs.append((path, dotted))
            mods.append(_Module(owner, f"{path}/__init__.py", dotted, "init"))
            n_pkg -= 1
            names = list(dict.fromkeys(w.pick(MODULE_NAMES) for _ in range(rng.randint(3, 12))))
            for name in names:
                if n_pkg <= 0:
                    break
                mods.append(_Module(owner, f"{path}/{name}.py", f"{dotted}.{name}", "module"))
                n_pkg -= 1
        if n_scripts:
            mods.append(_Module(owner, f"{pkg_path}/scripts/__init__.py", f"{owner}.scripts", "init"))
            mods.append(_Module(owner, f"{pkg_path}/scripts/nightly.py", f"{owner}.scripts.nightly", "script"))
            for i in range(n_scripts - 2):
                name = f"{w.ident()}_{i}"
                mods.append(_Module(owner, f"{pkg_path}/scripts/{name}.py", f"{owner}.scripts.{name}", "script"))
        layout_root = roots[owner]
        test_dir = f"{layout_root.rsplit('/', 1)[0]}/tests" if layout_root.endswith(("/src", "/backend")) \
            else f"{layout_root}/tests"
        for i in range(n_tests):
            name = "conftest" if i == 0 else f"test_{w.ident()}_{i}"
            mods.append(_Module(owner, f"{test_dir}/{name}.py", f"tests.{name}", "test"))
        planned[owner] = mods

    # A package's modules are written with __init__ first; scripts may be fewer than planned (tiny inputs).
    lib_modules: list[_Module] = []
    written_ordinary: dict[str, list[_Module]] = {}
    for owner in owners:
        done: list[_Module] = []
        for mod in planned[owner]:
            if mod.role == "init":
                text = "" if rng.random() < 0.6 else f'"""{mod.dotted.replace(".", " ")} package."""'
                w.put(mod.path, text, "python")
            elif mod.role == "settings":
                w.put(mod.path, w.settings_module(mod, owner), "python")
            elif mod.role == "shutdown":
                w.put(mod.path, w.shutdown_module(mod), "python")
            elif mod.role == "test":
                w.put(mod.path, w.test_module(mod, done), "python_test")
            else:
                recent = [m for m in done[-40:] if m.role in ("module", "settings")]
                pool = recent + (rng.sample(lib_modules, min(3, len(lib_modules))) if owner in services else [])
                text = w.ordinary_module(mod, pool, owner)
                w.put(mod.path, text, "python_script" if mod.role == "script" else "python")
            done.append(mod)
        if owner in libs:
            lib_modules += [m for m in done if m.role == "module"]
        written_ordinary[owner] = done

    # Temporal packages, spread over services; each group has 4-7 files.
    workers: list[_Worker] = []
    left = n_temporal
    domains_used: set[tuple[str, str]] = set()
    has_shutdown_lib = "common" in libs
    while left >= 4:
        service = services[(len(workers) * 7 + rng.randrange(3)) % len(services)]
        domain = w.pick(NOUNS)
        while (service, domain) in domains_used:
            domain = w.pick(NOUNS)
        domains_used.add((service, domain))
        tpkg = w.pick(("temporal", "jobs", "orchestration", "durable"))
        budget = rng.randint(4, 7)
        if left - budget < 4:  # do not leave a remainder too small for a group
            budget = left if left <= 7 else left - 4
        paths, worker, support_files = w.temporal_group(service, f"{roots[service]}/{service}/{tpkg}_{domain}",
                                                        f"{service}.{tpkg}_{domain}", domain, budget,
                                                        support_room, has_shutdown_lib)
        workers.append(worker)
        left -= len(paths)
        support_room -= support_files
    for i in range(left):  # fewer Temporal files than one group needs: stand-alone activity modules
        service = w.pick(services)
        w.put(f"{roots[service]}/{service}/extra_activities_{i}.py",
              "\n".join(['"""Stand-alone activities."""', "", "from temporalio import activity", "", "",
                         "@activity.defn", f"async def {w.ident()}() -> None:", "    return None"]),
              "python_temporal")

    # Room left over from the support packages: ordinary modules of a legacy package, as many as planned.
    if support_room > 0:
        legacy = services[0]
        w.put(f"{roots[legacy]}/{legacy}/legacy/__init__.py", "", "python")
        padding: list[_Module] = []
        for i in range(support_room - 1):
            name = f"{w.pick(MODULE_NAMES)}_{i}"
            mod = _Module(legacy, f"{roots[legacy]}/{legacy}/legacy/{name}.py", f"{legacy}.legacy.{name}", "module")
            w.put(mod.path, w.ordinary_module(mod, padding[-10:], legacy), "python")
            padding.append(mod)

    # Dockerfiles: one per service that runs workers (plus two API services), some named per worker image.
    images: dict[str, str] = {}
    first_worker: dict[str, _Worker] = {}
    for s in services:
        ws = [x for x in workers if x.service == s]
        if ws:
            first_worker[s] = ws[0]
            first = ws[0].launch
            cmd = _cmd(first)
            w.put(f"services/{s}/Dockerfile", w.dockerfile(cmd), "dockerfile")
            images[s] = s
            if len(ws) > 1 and rng.random() < 0.5:
                x = ws[1]
                cmd = _cmd(x.launch)
                repo = f"{s}-{x.domain}-worker".replace("_", "-")
                w.put(f"services/{s}/Dockerfile.{repo}", w.dockerfile(cmd), "dockerfile")
                images[f"{s}/{x.domain}"] = repo
    for s in services[:2]:
        if f"services/{s}/Dockerfile" not in w.files:
            w.put(f"services/{s}/Dockerfile", w.dockerfile(f'["gunicorn", "{s}.api.wsgi:app"]'), "dockerfile")

    # Kubernetes manifests: every worker in up to three environments, then web/config manifests.
    k8s_files: dict[str, list[str]] = {}
    envs = ENVS[: max(1, min(3, manifests // max(1, 3 * len(workers))))] if workers else ENVS
    for env in envs:
        for x in workers:
            if len(k8s_files) >= manifests:
                break
            own_image = f"{x.service}/{x.domain}" in images
            repo = images.get(f"{x.service}/{x.domain}", x.service)
            image_cmd = own_image or (images.get(x.service) == x.service and first_worker[x.service] is x)
            docs = w.worker_deployment(x, env, repo, from_image=image_cmd and rng.random() < 0.5)
            folder = w.pick((f"deploy/{env}/{x.service}", f"services/{x.service}/k8s/{env}", f"k8s/{env}/{x.service}"))
            k8s_files[f"{folder}/{x.domain.replace('_', '-')}-worker.yaml"] = docs
    i = 0
    while len(k8s_files) < manifests:
        s = services[i % len(services)]
        env = ENVS[(i // len(services)) % len(ENVS)]
        component = w.pick(("api", "web", "admin", "gateway", "internal-api", "graphql", "events", "sync"))
        docs = w.web_manifest(s, s, env, component)
        folder = w.pick((f"deploy/{env}/{s}", f"services/{s}/k8s/{env}", f"k8s/{env}/{s}"))
        path = f"{folder}/{component}-{i}.yaml"
        k8s_files[path] = docs
        i += 1
    for path, docs in sorted(k8s_files.items()):
        header = f"# {path.rsplit('/', 1)[-1]}: managed by the platform team; changes go through review.\n"
        w.put(path, header + "---\n".join(d + "\n" for d in docs), "kubernetes")
        w.kinds["k8s_documents"] += len(docs)

    # A Temporal server deployment, Helm charts and noise.
    w.put("k8s/platform/temporal-server.yaml", "\n".join([
        "apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: temporal-frontend", "  namespace: temporal",
        "spec:", "  replicas: 3", "  selector:", "    matchLabels: {app: temporal-frontend}", "  template:",
        "    metadata:", "      labels: {app: temporal-frontend}", "    spec:", "      containers:",
        "        - name: frontend", "          image: temporalio/server:1.24.2",
        "          ports: [{containerPort: 7233}]"]), "kubernetes_platform")
    for s in services[:charts]:
        name = f"{s.replace('_', '-')}-web"
        w.helm_chart(f"charts/{name}", name, chart_entries)
    w.put(".github/workflows/ci.yml", "\n".join([
        "name: ci", "on: [push, pull_request]", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:",
        "      - uses: actions/checkout@v4", "      - run: pip install -r requirements.txt", "      - run: pytest -q"]),
        "other_yaml")
    w.put("docker-compose.yml", "\n".join(["services:", "  temporal:", "    image: temporalio/auto-setup:1.24",
                                           "    ports: ['7233:7233']", "  postgres:", "    image: postgres:16"]),
          "other_yaml")
    w.put(".gitignore", "__pycache__/\n*.pyc\n.venv/\n.tprlint_cache/\nbuild/\ndist/\n", "noise")
    w.put("README.md", "# acme monorepo\n\nSynthetic monorepo generated for benchmarking tprlint.\n", "noise")
    for s in services:
        w.put(f"services/{s}/README.md", "\n".join([f"# {s}", "", f"The {s} service.", "", "## Running", "",
                                                    "```", "make dev", "```"]), "noise")
        w.put(f"services/{s}/requirements.txt", "\n".join(sorted(rng.sample(
            ["temporalio==1.8.0", "fastapi==0.115.0", "gunicorn==22.0.0", "SQLAlchemy==2.0.31", "httpx==0.27.0",
             "pydantic==2.8.2", "redis==5.0.7", "structlog==24.4.0", "boto3==1.34.0", "orjson==3.10.6"], 6))), "noise")
        fixtures = {w.ident(): {f: rng.randint(0, 1000) for f in rng.sample(FIELDS, 5)}
                    for _ in range(rng.randint(3, 30))}
        w.put(f"services/{s}/tests/fixtures/{s}.json", json.dumps(fixtures, indent=2, sort_keys=True), "noise")
    w.put("frontend/package.json", json.dumps({"name": "acme-frontend", "version": "1.0.0", "private": True,
                                               "scripts": {"build": "vite build"}}, indent=2), "noise")
    for i in range(max(2, python_files // 200)):
        w.put(f"docs/notes/{i:03d}-{w.ident()}.txt", "\n".join(w.ident().replace("_", " ") for _ in range(40)), "noise")
        w.put(f"docs/adr/{i:04d}-{w.ident().replace('_', '-')}.md",
              f"# ADR {i}\n\nStatus: accepted\n\n" + " ".join(w.pick(NOUNS) for _ in range(200)), "noise")

    total_bytes = 0
    root.mkdir(parents=True, exist_ok=True)
    for path in sorted(w.files):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = w.files[path].encode("utf-8")
        target.write_bytes(data)
        total_bytes += len(data)

    counts = dict(sorted(w.kinds.items()))
    py = sum(v for k, v in w.kinds.items() if k.startswith("python"))
    counts.update(python_total=py, workers=len(workers), files=len(w.files), bytes=total_bytes,
                  services=len(services))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic monorepo for benchmarking tprlint.")
    parser.add_argument("root", type=Path, help="folder to create (must be empty or missing)")
    parser.add_argument("--files", type=int, default=3000, help="number of Python files (default: 3000)")
    parser.add_argument("--temporal-share", type=float, default=0.04,
                        help="share of Python files that are Temporal code (default: 0.04)")
    parser.add_argument("--manifests", type=int, default=300, help="number of Kubernetes YAML files (default: 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same tree")
    parser.add_argument("--charts", type=int, default=3, help="Helm charts, one per service at most (default: 3)")
    parser.add_argument("--chart-entries", type=int, default=300,
                        help="entries of each chart's values lists that its templates range over (default: 300)")
    args = parser.parse_args(argv)
    try:
        counts = generate(args.root, args.files, args.temporal_share, args.manifests, args.seed, args.charts,
                          args.chart_entries)
    except (FileExistsError, ValueError) as exc:
        print(f"synthetic_repo: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
