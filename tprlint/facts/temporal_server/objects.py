"""Kubernetes objects of one file that deploy or configure a Temporal server (HelmReleases, Argo
Applications, ConfigMaps of server config, operator clusters) and the operations evidence (backups,
alerts, scrape configs)."""

from __future__ import annotations

import re

from tprlint.facts.temporal_server.alerts import rule_signals
from tprlint.facts.temporal_server.files import (
    Evidence,
    OperatorCluster,
    ServerConfigText,
    TemporalFileFacts,
    TlsPlane,
    ValuesLayer,
)
from tprlint.facts.temporal_server.settings import KeyPath, Leaf, Setting, as_leaf, as_map, as_str, flatten, location_of
from tprlint.facts.temporal_server.values_files import (
    _helmfile,
    _kustomize_charts,
    _layer,
    _values_layers,
    is_helmfile,
    is_temporal_chart,
)
from tprlint.facts.yaml_docs import YamlDoc, YamlError, load_yaml_documents
from tprlint.model import Location

# --- Kubernetes objects ----------------------------------------------------------------------

_BACKUP_KINDS = {
    "ScheduledBackup": "CloudNativePG ScheduledBackup",
    "MedusaBackupSchedule": "K8ssandra MedusaBackupSchedule",
    "BackupSchedule": "BackupSchedule",
    "BackupConfiguration": "Stash BackupConfiguration",
    "CassandraBackupSchedule": "CassandraBackupSchedule",
}
_SCHEDULE_GROUPS = ("velero.io", "k8up.io")
_ALERT_KINDS = frozenset({"PrometheusRule", "VMRule", "GrafanaAlertRuleGroup", "AlertRule", "AlertingRule"})
_MONITOR_KINDS = frozenset({"ServiceMonitor", "PodMonitor", "VMServiceScrape", "VMPodScrape", "PodMonitoring"})
_DASHBOARD_KINDS = frozenset({"GrafanaDashboard"})  # grafana-operator
# The Grafana chart's sidecar picks up ConfigMaps carrying this label (any value).
_DASHBOARD_LABELS = ("grafana_dashboard", "grafana-dashboard")
_EXPOSED_TYPES = frozenset({"LoadBalancer", "NodePort"})
_ALERT_TEXT = re.compile(r"^\s*-?\s*alert\s*:\s*\S", re.M)
_EXPR_TEXT = re.compile(r"^\s*expr\s*:", re.M)
_SHARDS_TEXT = re.compile(r"^[ \t]*numHistoryShards[ \t]*:[ \t]*[\"']?([^\s\"'#]+)", re.M)
_LOG_LEVEL_TEXT = re.compile(
    r"^([ \t]*)log[ \t]*:[ \t]*\n(?:\1[ \t]+.*\n)*?\1[ \t]+level[ \t]*:[ \t]*[\"']?([\w,]+)", re.M
)
_SQLITE_TEXT = re.compile(r"^[ \t]*pluginName[ \t]*:[ \t]*[\"']?sqlite\b", re.M)


def extract_temporal_yaml(docs: list[YamlDoc], path: str, text: str) -> TemporalFileFacts:
    """Values files, helmfiles, server config files and Prometheus rule files (not Kubernetes objects)."""
    facts = TemporalFileFacts()
    mentions = "temporal" in text.lower() or "temporal" in path.lower()
    helmfile = is_helmfile(path)
    for doc in docs:
        if helmfile:
            _helmfile(doc, path, facts)
            continue
        _values_layers(doc, path, facts, mentions)
        _server_config_doc(doc, path, facts)
    if _ALERT_TEXT.search(text) and _EXPR_TEXT.search(text):
        signals = sorted({s for doc in docs for s in rule_signals(doc.data)})
        facts.evidence.append(Evidence("alerts", f"alerting rules in {path}", Location(path), tuple(signals)))
    return facts


def extract_temporal_manifests(docs: list[YamlDoc], path: str, text: str) -> TemporalFileFacts:
    """Operator clusters, GitOps releases of the temporal chart, server ConfigMaps and evidence objects.
    Documents without a `kind` may still be values (a values file that mentions `apiVersion:`)."""
    facts = TemporalFileFacts()
    mentions = "temporal" in text.lower() or "temporal" in path.lower()
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind = data.get("kind")
        if isinstance(data.get("helmCharts"), list):
            _kustomize_charts(doc, path, data, facts)
        if not isinstance(kind, str):
            _values_layers(doc, path, facts, mentions)
            _server_config_doc(doc, path, facts)
            continue
        items = data.get("items")
        if kind.endswith("List") and isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("kind"), str):
                    _object(doc, path, item, ("items", i), facts)
        else:
            _object(doc, path, data, (), facts)
    return facts


def _object(doc: YamlDoc, path: str, obj: dict[object, object], at: KeyPath, facts: TemporalFileFacts) -> None:
    kind = str(obj.get("kind"))
    api = str(obj.get("apiVersion", ""))
    meta = as_map(obj.get("metadata"))
    name = str(meta.get("name", ""))
    where = location_of(doc, path, (*at, "kind"))
    spec = as_map(obj.get("spec"))
    if kind == "TemporalCluster":
        facts.clusters.append(OperatorCluster(
            name, as_str(meta.get("namespace")), flatten(doc, path, spec, (*at, "spec")), where,
            location_of(doc, path, (*at, "spec")),
        ))
    elif kind == "HelmRelease":
        _helm_release(doc, path, spec, at, name, facts)
    elif kind == "Application" and api.startswith("argoproj.io"):
        _argo_application(doc, path, spec, at, name, facts)
    elif kind == "ConfigMap":
        _configmap(doc, path, obj, at, name, facts)
    elif kind in _ALERT_KINDS:
        facts.evidence.append(Evidence("alerts", f"{kind} {name}", where, rule_signals(spec)))
    elif kind in _DASHBOARD_KINDS:
        facts.evidence.append(Evidence("dashboard", f"{kind} {name}", where))
    elif kind in ("Service", "Ingress") and _exposes_frontend(kind, name, spec, obj):
        facts.evidence.append(Evidence("exposure", _exposure_text(kind, name, spec), where))
    elif kind in _MONITOR_KINDS:
        if "temporal" in repr(obj).lower():
            facts.evidence.append(Evidence("monitor", f"{kind} {name}", where))
    elif _is_backup_object(kind, api, spec):
        facts.evidence.append(Evidence("backup", f"{_BACKUP_KINDS.get(kind, kind)} {name}", where))


def _is_backup_object(kind: str, api: str, spec: dict[object, object]) -> bool:
    if kind in _BACKUP_KINDS:
        return True
    if kind == "Schedule":
        return api.startswith(_SCHEDULE_GROUPS)
    if kind == "Backup":
        return "schedule" in spec  # e.g. mariadb-operator Backups with a cron schedule
    if kind == "Cluster" and api.startswith("postgresql.cnpg.io"):
        return "backup" in spec
    if kind == "PostgresCluster":
        return "backups" in spec
    if kind == "postgresql" and api.startswith("acid.zalan.do"):
        return spec.get("enableLogicalBackup") is True
    if kind.startswith("Percona"):
        return bool(as_map(spec.get("backup")).get("schedule"))
    if kind == "K8ssandraCluster":
        return "medusa" in spec
    return False


def _helm_release(doc: YamlDoc, path: str, spec: dict[object, object], at: KeyPath, name: str,
                  facts: TemporalFileFacts) -> None:
    chart_spec = as_map(as_map(spec.get("chart")).get("spec"))
    if not is_temporal_chart(chart_spec.get("chart")):
        return
    values = spec.get("values")
    version = as_str(chart_spec.get("version"))
    if isinstance(values, dict):
        facts.layers.append(_layer(doc, path, values, (), True, (*at, "spec", "values"), "HelmRelease", name, version))


def _argo_application(doc: YamlDoc, path: str, spec: dict[object, object], at: KeyPath, name: str,
                      facts: TemporalFileFacts) -> None:
    sources: list[tuple[KeyPath, dict[object, object]]] = []
    if isinstance(spec.get("source"), dict):
        sources.append(((*at, "spec", "source"), as_map(spec.get("source"))))
    many = spec.get("sources")
    for i, item in enumerate(many if isinstance(many, list) else []):
        if isinstance(item, dict):
            sources.append(((*at, "spec", "sources", i), item))
    for source_at, source in sources:
        if not is_temporal_chart(source.get("chart")):
            continue
        helm = as_map(source.get("helm"))
        version = as_str(source.get("targetRevision"))
        if isinstance(helm.get("valuesObject"), dict):
            facts.layers.append(_layer(doc, path, as_map(helm.get("valuesObject")), (), True,
                                       (*source_at, "helm", "valuesObject"), "Application", name, version))
        elif isinstance(helm.get("values"), str):
            layer = _embedded_values(str(helm.get("values")), doc, path, (*source_at, "helm", "values"), name, version)
            if layer is not None:
                facts.layers.append(layer)


def _embedded_values(text: str, doc: YamlDoc, path: str, at: KeyPath, name: str,
                     version: str | None) -> ValuesLayer | None:
    """Values written as a YAML string (`helm.values: |`): positions shifted to the outer file."""
    try:
        inner = load_yaml_documents(text, path)
    except YamlError:
        return None
    if not inner or not isinstance(inner[0].data, dict):
        return None
    key_line, key_column = doc.loc(*at)
    shifted = YamlDoc(inner[0].data, {k: (key_line + line, key_column + column + 1)
                                      for k, (line, column) in inner[0].positions.items()}, 0, key_line + 1)
    return _layer(shifted, path, inner[0].data, (), True, (), "Application", name, version)


def _configmap(doc: YamlDoc, path: str, obj: dict[object, object], at: KeyPath, name: str,
               facts: TemporalFileFacts) -> None:
    data = as_map(obj.get("data"))
    labels = as_map(as_map(obj.get("metadata")).get("labels"))
    rendered = str(labels.get("helm.sh/chart", "")).startswith("temporal-")
    if any(label in labels for label in _DASHBOARD_LABELS):
        facts.evidence.append(Evidence("dashboard", f"ConfigMap {name}", location_of(doc, path, (*at, "kind"))))
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if _ALERT_TEXT.search(value) and _EXPR_TEXT.search(value):
            where = location_of(doc, path, (*at, "kind"))
            facts.evidence.append(Evidence("alerts", f"ConfigMap {name} ({key})", where, _text_signals(value, path)))
        if "numHistoryShards" in value and "persistence" in value:
            key_line, _ = doc.loc(*at, "data", str(key))
            facts.configs.append(_config_text(value, path, key_line, f"ConfigMap {name} ({key})", rendered))


def _text_signals(text: str, path: str) -> tuple[str, ...]:
    """Signals of a rule file embedded in a ConfigMap (Prometheus's own `rules.yml`)."""
    try:
        docs = load_yaml_documents(text, path)
    except YamlError:
        return ()
    return tuple(sorted({s for doc in docs for s in rule_signals(doc.data)}))


def _exposes_frontend(kind: str, name: str, spec: dict[object, object], obj: dict[object, object]) -> bool:
    """A Service of type LoadBalancer/NodePort for the Temporal frontend, or an Ingress routing to it:
    clients outside the cluster reach the frontend's gRPC port."""
    if "temporal" not in repr(obj).lower():
        return False
    if kind == "Service":
        selector = " ".join(str(v) for v in as_map(spec.get("selector")).values())
        return spec.get("type") in _EXPOSED_TYPES and ("frontend" in name or "frontend" in selector) \
            and "web" not in name and "ui" not in name.split("-")
    return any("frontend" in backend for backend in _ingress_backends(spec))


def _ingress_backends(spec: dict[object, object]) -> list[str]:
    names: list[str] = []
    default = as_map(as_map(spec.get("defaultBackend")).get("service")).get("name")
    if isinstance(default, str):
        names.append(default)
    rules = spec.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        paths = as_map(as_map(rule).get("http")).get("paths")
        for item in paths if isinstance(paths, list) else []:
            service = as_map(as_map(as_map(item).get("backend")).get("service")).get("name")
            if isinstance(service, str):
                names.append(service)
    return names


def _exposure_text(kind: str, name: str, spec: dict[object, object]) -> str:
    if kind == "Service":
        return f"Service {name} of type {spec.get('type')}"
    return f"Ingress {name}"


def _config_text(text: str, path: str, key_line: int, name: str, rendered: bool) -> ServerConfigText:
    """Server config embedded as a block scalar: line numbers count from the line after the key."""

    def at(offset: int) -> Location:
        return Location(path, key_line + 1 + text.count("\n", 0, offset), 1)

    shards = _SHARDS_TEXT.search(text)
    level = _LOG_LEVEL_TEXT.search(text)
    sqlite = _SQLITE_TEXT.search(text)
    return ServerConfigText(
        name=name,
        location=at(shards.start()) if shards else Location(path, key_line),
        shards=Setting(_scalar_text(shards.group(1)), at(shards.start(1))) if shards else None,
        log_level=Setting(level.group(2), at(level.start(2))) if level else None,
        sqlite=at(sqlite.start()) if sqlite else None,
        chart_rendered=rendered,
    )


def _scalar_text(text: str) -> Leaf:
    return int(text) if text.isdigit() and len(text) < 10 else text


def _server_config_doc(doc: YamlDoc, path: str, facts: TemporalFileFacts) -> None:
    """A server config file (`config/docker.yaml`, a mounted `config_template.yaml`)."""
    data = doc.data
    if not isinstance(data, dict):
        return
    persistence = as_map(data.get("persistence"))
    if "numHistoryShards" not in persistence or not ({"global", "services", "log"} & set(data)):
        return
    stores = as_map(persistence.get("datastores"))
    sqlite = next((location_of(doc, path, ("persistence", "datastores", str(name), "sql", "pluginName"))
                   for name, store in stores.items()
                   if str(as_map(as_map(store).get("sql")).get("pluginName", "")).startswith("sqlite")), None)
    level = as_map(data.get("log")).get("level")
    shards_at = location_of(doc, path, ("persistence", "numHistoryShards"))
    facts.configs.append(ServerConfigText(
        name=path,
        location=shards_at,
        shards=Setting(as_leaf(persistence.get("numHistoryShards")), shards_at),
        log_level=Setting(as_leaf(level), location_of(doc, path, ("log", "level"))) if level is not None else None,
        sqlite=sqlite,
        chart_rendered=False,
        tls=_tls_planes(doc, path, as_map(as_map(data.get("global")).get("tls"))),
    ))


def _tls_planes(doc: YamlDoc, path: str, tls: dict[object, object]) -> tuple[TlsPlane, ...]:
    """`global.tls.<plane>.server` with a certificate: TLS is on for that plane; whether it verifies
    client certificates is `requireClientAuth` (the server's default: false)."""
    planes: list[TlsPlane] = []
    for plane in ("frontend", "internode"):
        server = as_map(as_map(tls.get(plane)).get("server"))
        if not ({"certFile", "certData"} & {str(k) for k in server}):
            continue
        at = ("global", "tls", plane, "server")
        required = server.get("requireClientAuth")
        where = location_of(doc, path, (*at, "requireClientAuth") if "requireClientAuth" in server else at)
        planes.append(TlsPlane(plane, required is True or str(required).lower() == "true", where,
                               f"global.tls.{plane}.server.requireClientAuth"))
    return tuple(planes)
