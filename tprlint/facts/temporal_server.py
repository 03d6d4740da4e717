"""Temporal server deployments: Helm values of the ``temporal`` chart (1.x and legacy 0.x layouts),
helmfiles and GitOps releases that order them, ``TemporalCluster`` operator resources, server config
files and the server Deployments of plain or rendered manifests — plus the operations evidence
(backup jobs, alerting rules, scrape configs) the TPR9xx notes look for.

Two halves:

* **per file** (cached, picklable): values *layers* flattened to ``key path -> Setting`` (value and
  position), helmfile releases, operator clusters, server config text, evidence. Passwords are never
  kept: a secret-looking key keeps only whether a literal is written there (``Secret(literal=True)``).
* **per project**: layers grouped into releases and merged in Helm's order (``values.yaml``, feature
  overlays, then one environment overlay at a time; or the order a helmfile lists them), then every
  source is turned into the same :class:`ServerConfig` model the TPR5xx rules judge. A docker-compose
  service can feed the same model later (see :func:`server_from_env`).

Where a value cannot be known (templated strings, keys whose chart default is unknown), the model
holds ``None`` and the rules stay silent.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from tprlint.devsetup import DEV_WORDS, PROD_WORDS, is_dev_path, name_tokens
from tprlint.facts.kubernetes import DisruptionBudget, Workload
from tprlint.facts.yaml_docs import YamlDoc, YamlError, load_yaml_documents
from tprlint.model import Location

SERVICES = ("frontend", "internal-frontend", "history", "matching", "worker")
JUDGED_SERVICES = ("frontend", "history", "matching", "worker")

KeyPath = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------
# Flattened settings


@dataclass(frozen=True)
class Node:
    """A mapping or list in a values file (its children are separate settings)."""

    kind: str  # "map" | "list"
    size: int


@dataclass(frozen=True)
class Secret:
    """A secret-looking key. The value itself is never kept: only whether a literal is written."""

    literal: bool


Leaf = str | int | float | bool | Node | Secret | None


@dataclass(frozen=True)
class Setting:
    value: Leaf
    location: Location


Settings = dict[KeyPath, Setting]

# Normalised (lower case, no - or _) key names whose values are credentials.
_SECRET_KEYS = frozenset({
    "password", "passwd", "pwd", "pass", "secret", "token", "apikey", "accesskey", "secretkey",
    "secretaccesskey", "privatekey", "clientsecret", "authtoken", "bearertoken", "sessiontoken",
})
_SECRET_ENV = re.compile(r"pass(word|wd)?|pwd|secret|token|api_?key|access_?key|private_?key|credential", re.I)
_NOT_LITERAL = re.compile(r"^(ref\+|ENC\[|\$\{|\$\(|\$[A-Za-z_]\w*$|vault:|secret://|<)")


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "").replace("_", "")
    return norm in _SECRET_KEYS or norm.endswith("password")


def is_literal_secret(value: object) -> bool:
    """A value written in the file, not a reference resolved at deploy time (templates, vals refs, sops)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and "{{" not in text and not _NOT_LITERAL.match(text)


Locate = Callable[[KeyPath], Location]


def flatten(doc: YamlDoc, path: str, value: object, at: KeyPath, rel: KeyPath = (),
            out: Settings | None = None) -> Settings:
    """Every node under ``at`` as ``rel + key path -> Setting``; secrets redacted on the way."""
    out = {} if out is None else out
    _flatten(lambda keys: _loc(doc, path, keys), value, at, rel, out)
    return out


def _loc(doc: YamlDoc, path: str, at: KeyPath) -> Location:
    line, column = doc.loc(*at)
    return Location(path, line, column)


def _flatten(locate: Locate, value: object, at: KeyPath, rel: KeyPath, out: Settings) -> None:
    if isinstance(value, dict):
        out[rel] = Setting(Node("map", len(value)), locate(at))
        # `additionalEnv: [{name: SQL_PASSWORD, value: ...}]`: the value is a secret by its name.
        env_name = value.get("name")
        secret_env = isinstance(env_name, str) and bool(_SECRET_ENV.search(env_name)) and "value" in value
        for key, child in value.items():
            seg: str | int = key if isinstance(key, (str, int)) else str(key)
            child_at, child_rel = (*at, seg), (*rel, seg)
            if (is_secret_key(seg) or (secret_env and seg == "value")) and not isinstance(child, (dict, list)):
                out[child_rel] = Setting(Secret(is_literal_secret(child)), locate(child_at))
            else:
                _flatten(locate, child, child_at, child_rel, out)
    elif isinstance(value, list):
        out[rel] = Setting(Node("list", len(value)), locate(at))
        for i, item in enumerate(value):
            _flatten(locate, item, (*at, i), (*rel, i), out)
    else:
        scalar: Leaf = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        out[rel] = Setting(scalar, locate(at))


class Merged:
    """Settings of several layers merged the way Helm merges values files: maps deep-merge, lists
    and scalars replace, ``null`` deletes."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings: Settings = settings or {}

    @classmethod
    def of(cls, layers: Iterable[Settings]) -> Merged:
        merged: Settings = {}
        for layer in layers:
            for key in sorted(layer, key=len):
                setting = layer[key]
                old = merged.get(key)
                is_map = isinstance(setting.value, Node) and setting.value.kind == "map"
                # Maps deep-merge into maps; anything else (and anything over a list) replaces the subtree.
                if old is not None and isinstance(old.value, Node) and (not is_map or old.value.kind == "list"):
                    _drop_below(merged, key)
                merged[key] = setting
        return cls(merged)

    def get(self, *keys: str | int) -> Setting | None:
        """The setting at ``keys``; None when absent or set to null."""
        found = self.settings.get(keys)
        return found if found is not None and found.value is not None else None

    def value(self, *keys: str | int) -> Leaf:
        found = self.get(*keys)
        return found.value if found is not None else None

    def filled(self, *keys: str | int) -> bool:
        """Present and not empty (Helm's truthiness: `{}`, `[]`, `""`, `false`, `0` are empty)."""
        found = self.get(*keys)
        return found is not None and not helm_empty(found.value)

    def children(self, *keys: str | int) -> list[str | int]:
        depth = len(keys)
        return [k[depth] for k in self.settings if len(k) == depth + 1 and k[:depth] == keys]

    def strings(self, *keys: str | int) -> tuple[str, ...]:
        """A list of strings, or a comma-separated string, as a tuple."""
        found = self.get(*keys)
        if found is None:
            return ()
        if isinstance(found.value, str):
            return tuple(part.strip() for part in found.value.split(",") if part.strip())
        if isinstance(found.value, Node) and found.value.kind == "list":
            items = (self.value(*keys, i) for i in range(found.value.size))
            return tuple(str(item) for item in items if isinstance(item, (str, int)))
        return ()


def _drop_below(settings: Settings, key: KeyPath) -> None:
    depth = len(key)
    for other in [k for k in settings if len(k) > depth and k[:depth] == key]:
        del settings[other]


def helm_empty(value: Leaf) -> bool:
    if isinstance(value, Node):
        return value.size == 0
    if isinstance(value, Secret):
        return False
    return value in (None, "", False, 0) and not (isinstance(value, float) and value != 0)


def templated(value: Leaf) -> bool:
    return isinstance(value, str) and "{{" in value


def as_int(value: Leaf) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        return int(value)
    return None


def as_bool(value: Leaf) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


# ---------------------------------------------------------------------------------------------
# Per-file facts


@dataclass(frozen=True)
class ValuesLayer:
    """One values source for the temporal chart: a file, a helmfile's inline values, a GitOps release."""

    path: str
    prefix: tuple[str, ...]  # ("temporal",) when the chart is a dependency of an umbrella chart
    strong: bool  # shaped like Temporal values on its own (weak layers only count as overlays)
    settings: Settings  # paths relative to the temporal chart's values root
    location: Location  # the `server:` key, or the document start
    origin: str = "file"  # "file" | "helmfile" | "HelmRelease" | "Application" | "chart" (Helm-merged)
    release: str = ""  # release name for inline layers
    chart_version: str | None = None


@dataclass(frozen=True)
class HelmfileRelease:
    name: str
    chart: str
    version: str | None
    # ("file", path relative to the scan, possibly with a {{ .Environment.Name }} slot) or ("layer", index)
    values: tuple[tuple[str, str | int], ...]
    location: Location


@dataclass(frozen=True)
class OperatorCluster:
    name: str
    namespace: str | None
    settings: Settings  # spec flattened, paths relative to `spec`
    location: Location  # the `kind:` line
    spec_location: Location


@dataclass(frozen=True)
class ServerConfigText:
    """A Temporal server config (`persistence:`, `global:`, `services:`) in a file or a ConfigMap."""

    name: str
    location: Location
    shards: Setting | None
    log_level: Setting | None
    sqlite: Location | None
    chart_rendered: bool  # a ConfigMap rendered from the temporal chart (labels say so)


@dataclass(frozen=True)
class Evidence:
    kind: str  # "backup" | "alerts" | "monitor"
    what: str
    location: Location


@dataclass
class TemporalFileFacts:
    layers: list[ValuesLayer] = field(default_factory=list)
    releases: list[HelmfileRelease] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    clusters: list[OperatorCluster] = field(default_factory=list)
    configs: list[ServerConfigText] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.layers or self.releases or self.clusters or self.configs or self.evidence)


# --- the values recogniser -------------------------------------------------------------------

_STORE_KEYS = frozenset({"defaultStore", "visibilityStore", "numHistoryShards", "datastores", "default", "visibility",
                         "additionalStores", "secondaryVisibilityStore"})
_SERVICE_BLOCKS = ("frontend", "history", "matching", "worker", "internal-frontend", "internalFrontend")


def values_shape(root: object, mentions_temporal: bool) -> str | None:
    """"strong" when ``root`` is shaped like values of the temporal chart, "weak" when it only has a
    `server:` map (an overlay such as a TLS or replicas file), None otherwise."""
    if not isinstance(root, dict):
        return None
    server = root.get("server")
    if not isinstance(server, dict):
        return None
    config = server.get("config")
    config = config if isinstance(config, dict) else {}
    persistence = config.get("persistence")
    if isinstance(persistence, dict) and _STORE_KEYS & set(persistence):
        return "strong"
    if "numHistoryShards" in config:
        return "strong"
    if sum(isinstance(server.get(name), dict) for name in _SERVICE_BLOCKS) >= 2:
        return "strong"
    image = server.get("image")
    repository = image.get("repository") if isinstance(image, dict) else None
    if isinstance(repository, str) and "temporalio/" in repository:
        return "strong"
    if "admintools" in root and isinstance(root.get("admintools"), dict):
        return "strong"
    if mentions_temporal and {"cassandra", "elasticsearch"} & set(root):
        return "strong"  # the legacy 0.x layout: sub-charts beside `server:`
    return "weak"


def _values_layers(doc: YamlDoc, path: str, facts: TemporalFileFacts, mentions_temporal: bool) -> None:
    data = doc.data
    if not isinstance(data, dict):
        return
    shape = values_shape(data, mentions_temporal)
    if shape is not None:
        facts.layers.append(_layer(doc, path, data, (), shape == "strong"))
    for key, value in data.items():
        if key == "server" or not isinstance(key, str) or not isinstance(value, dict):
            continue
        # An umbrella chart's values: the temporal dependency's values live under its name or alias.
        nested = values_shape(value, mentions_temporal)
        if nested == "strong" or (nested == "weak" and "temporal" in key.lower()):
            facts.layers.append(_layer(doc, path, value, (key,), nested == "strong"))


def _layer(doc: YamlDoc, path: str, root: dict[object, object], prefix: tuple[str, ...], strong: bool,
           at: KeyPath = (), origin: str = "file", release: str = "", version: str | None = None) -> ValuesLayer:
    base = (*at, *prefix)
    settings = flatten(doc, path, root, base)
    server_at = (*base, "server") if "server" in root else base
    return ValuesLayer(path, prefix, strong, settings, _loc(doc, path, server_at), origin, release, version)


def layer_from_values(data: dict[str, object], positions: dict[KeyPath, Location], path: str,
                      chart_version: str | None = None, prefix: tuple[str, ...] = ()) -> ValuesLayer | None:
    """A chart's values as Helm merged them (the Helm stage's ``MergedValues``: data plus the location
    of every key in force) as one layer, when they are values of the temporal chart (or, with
    ``prefix``, of an umbrella chart that depends on it)."""
    root: object = data
    for key in prefix:
        root = root.get(key) if isinstance(root, dict) else None
    if not isinstance(root, dict) or values_shape(root, True) is None:
        return None

    def locate(keys: KeyPath) -> Location:
        for end in range(len(keys), -1, -1):
            found = positions.get(keys[:end])
            if found is not None:
                return found
        return Location(path)

    settings: Settings = {}
    _flatten(locate, root, prefix, (), settings)
    where = locate((*prefix, "server"))
    return ValuesLayer(path, prefix, True, settings, where, "chart", "", chart_version)


# --- helmfiles -------------------------------------------------------------------------------

_ENV_SLOT = re.compile(r"\{\{-?\s*\.Environment\.Name\s*-?\}\}")
ENV_PLACEHOLDER = "\x00env\x00"


_VALUES_TEXT = re.compile(r"^server[ \t]*:", re.M)


def looks_like_temporal_values(path: str, text: str) -> bool:
    """For parse errors: a file worth reporting (a `server:` block and Temporal named), not a helmfile
    template or an unrelated YAML file that merely matched the cheap classification."""
    return not is_helmfile(path) and bool(_VALUES_TEXT.search(text)) and "temporal" in (path + text).lower()


def is_helmfile(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name.startswith("helmfile") or "/helmfile.d/" in f"/{path.lower()}"


def is_temporal_chart(chart: object) -> bool:
    if not isinstance(chart, str):
        return False
    name = chart.split("@")[0].rstrip("/").rsplit("/", 1)[-1].split(":")[0]
    return name.lower() == "temporal"


def _helmfile(doc: YamlDoc, path: str, facts: TemporalFileFacts) -> None:
    data = doc.data
    if not isinstance(data, dict):
        return
    environments = data.get("environments")
    if isinstance(environments, dict):
        facts.environments += [str(name) for name in environments if isinstance(name, str)]
    releases = data.get("releases")
    if not isinstance(releases, list):
        return
    base = posixpath.dirname(path)
    for i, release in enumerate(releases):
        if not isinstance(release, dict) or not is_temporal_chart(release.get("chart")):
            continue
        name = str(release.get("name", "temporal"))
        version = release.get("version")
        entries: list[tuple[str, str | int]] = []
        values = release.get("values")
        for j, entry in enumerate(values if isinstance(values, list) else []):
            if isinstance(entry, str):
                resolved = _ENV_SLOT.sub(ENV_PLACEHOLDER, entry)
                if "{{" not in resolved:  # any other template: the file cannot be known
                    entries.append(("file", posixpath.normpath(posixpath.join(base, resolved))))
            elif isinstance(entry, dict):
                entries.append(("layer", len(facts.layers)))
                facts.layers.append(_layer(doc, path, entry, (), True, ("releases", i, "values", j), "helmfile",
                                           name, str(version) if version is not None else None))
        sets = release.get("set")
        if isinstance(sets, list) and sets:
            entries.append(("layer", len(facts.layers)))
            facts.layers.append(_set_layer(doc, path, sets, ("releases", i, "set"), name))
        facts.releases.append(HelmfileRelease(name, str(release.get("chart")),
                                              str(version) if version is not None else None, tuple(entries),
                                              _loc(doc, path, ("releases", i))))


def _kustomize_charts(doc: YamlDoc, path: str, data: dict[object, object], facts: TemporalFileFacts) -> None:
    """Kustomize's `helmCharts:`: valuesFile, then additionalValuesFiles, then valuesInline."""
    base = posixpath.dirname(path)
    charts = data.get("helmCharts")
    for i, chart in enumerate(charts if isinstance(charts, list) else []):
        if not isinstance(chart, dict) or not is_temporal_chart(chart.get("name")):
            continue
        version = _str(chart.get("version"))
        name = str(chart.get("releaseName", "temporal"))
        entries: list[tuple[str, str | int]] = []
        extra = chart.get("additionalValuesFiles")
        for file in [chart.get("valuesFile"), *(extra if isinstance(extra, list) else [])]:
            if isinstance(file, str) and "{{" not in file:
                entries.append(("file", posixpath.normpath(posixpath.join(base, file))))
        inline = chart.get("valuesInline")
        if isinstance(inline, dict):
            entries.append(("layer", len(facts.layers)))
            facts.layers.append(_layer(doc, path, inline, (), True, ("helmCharts", i, "valuesInline"), "helmfile",
                                       name, version))
        facts.releases.append(HelmfileRelease(name, str(chart.get("name")), version, tuple(entries),
                                              _loc(doc, path, ("helmCharts", i))))


def _set_layer(doc: YamlDoc, path: str, sets: list[object], at: KeyPath, release: str) -> ValuesLayer:
    """`set: [{name: server.replicaCount, value: 3}]` as a layer of its own (it applies last)."""
    settings: Settings = {}
    for k, item in enumerate(sets):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        keys: KeyPath = tuple(re.split(r"(?<!\\)\.", str(item["name"])))
        where = _loc(doc, path, (*at, k, "value"))
        value = item.get("value")
        for depth in range(1, len(keys)):
            settings.setdefault(keys[:depth], Setting(Node("map", 1), where))
        if is_secret_key(keys[-1]):
            settings[keys] = Setting(Secret(is_literal_secret(value)), where)
        else:
            settings[keys] = Setting(value if isinstance(value, (str, int, float, bool)) else None, where)
    return ValuesLayer(path, (), True, settings, _loc(doc, path, at), "helmfile", release)


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
        facts.evidence.append(Evidence("alerts", f"alerting rules in {path}", Location(path)))
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
    meta = _map(obj.get("metadata"))
    name = str(meta.get("name", ""))
    where = _loc(doc, path, (*at, "kind"))
    spec = _map(obj.get("spec"))
    if kind == "TemporalCluster":
        facts.clusters.append(OperatorCluster(
            name, _str(meta.get("namespace")), flatten(doc, path, spec, (*at, "spec")), where,
            _loc(doc, path, (*at, "spec")),
        ))
    elif kind == "HelmRelease":
        _helm_release(doc, path, spec, at, name, facts)
    elif kind == "Application" and api.startswith("argoproj.io"):
        _argo_application(doc, path, spec, at, name, facts)
    elif kind == "ConfigMap":
        _configmap(doc, path, obj, at, name, facts)
    elif kind in _ALERT_KINDS:
        facts.evidence.append(Evidence("alerts", f"{kind} {name}", where))
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
        return bool(_map(spec.get("backup")).get("schedule"))
    if kind == "K8ssandraCluster":
        return "medusa" in spec
    return False


def _helm_release(doc: YamlDoc, path: str, spec: dict[object, object], at: KeyPath, name: str,
                  facts: TemporalFileFacts) -> None:
    chart_spec = _map(_map(spec.get("chart")).get("spec"))
    if not is_temporal_chart(chart_spec.get("chart")):
        return
    values = spec.get("values")
    version = _str(chart_spec.get("version"))
    if isinstance(values, dict):
        facts.layers.append(_layer(doc, path, values, (), True, (*at, "spec", "values"), "HelmRelease", name, version))


def _argo_application(doc: YamlDoc, path: str, spec: dict[object, object], at: KeyPath, name: str,
                      facts: TemporalFileFacts) -> None:
    sources: list[tuple[KeyPath, dict[object, object]]] = []
    if isinstance(spec.get("source"), dict):
        sources.append(((*at, "spec", "source"), _map(spec.get("source"))))
    many = spec.get("sources")
    for i, item in enumerate(many if isinstance(many, list) else []):
        if isinstance(item, dict):
            sources.append(((*at, "spec", "sources", i), item))
    for source_at, source in sources:
        if not is_temporal_chart(source.get("chart")):
            continue
        helm = _map(source.get("helm"))
        version = _str(source.get("targetRevision"))
        if isinstance(helm.get("valuesObject"), dict):
            facts.layers.append(_layer(doc, path, _map(helm.get("valuesObject")), (), True,
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
    data = _map(obj.get("data"))
    labels = _map(_map(obj.get("metadata")).get("labels"))
    rendered = str(labels.get("helm.sh/chart", "")).startswith("temporal-")
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if _ALERT_TEXT.search(value) and _EXPR_TEXT.search(value):
            facts.evidence.append(Evidence("alerts", f"ConfigMap {name} ({key})", _loc(doc, path, (*at, "kind"))))
        if "numHistoryShards" in value and "persistence" in value:
            key_line, _ = doc.loc(*at, "data", str(key))
            facts.configs.append(_config_text(value, path, key_line, f"ConfigMap {name} ({key})", rendered))


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
    persistence = _map(data.get("persistence"))
    if "numHistoryShards" not in persistence or not ({"global", "services", "log"} & set(data)):
        return
    stores = _map(persistence.get("datastores"))
    sqlite = next((_loc(doc, path, ("persistence", "datastores", str(name), "sql", "pluginName"))
                   for name, store in stores.items()
                   if str(_map(_map(store).get("sql")).get("pluginName", "")).startswith("sqlite")), None)
    level = _map(data.get("log")).get("level")
    shards_at = _loc(doc, path, ("persistence", "numHistoryShards"))
    facts.configs.append(ServerConfigText(
        name=path,
        location=shards_at,
        shards=Setting(_leaf(persistence.get("numHistoryShards")), shards_at),
        log_level=Setting(_leaf(level), _loc(doc, path, ("log", "level"))) if level is not None else None,
        sqlite=sqlite,
        chart_rendered=False,
    ))


def _leaf(value: object) -> Leaf:
    return value if isinstance(value, (str, int, float, bool)) else None


def _map(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------
# The server model rules judge


@dataclass(frozen=True)
class Value:
    """A setting the rules judge, with where it comes from."""

    value: object  # int / str / bool; never a secret
    location: Location
    key: str  # e.g. "server.history.replicaCount", "spec.numHistoryShards", "spec.replicas"
    origin: str = "set"  # "set" | "default"
    note: str = ""  # how a default was worked out, for messages


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # a service name, or "all" for one pod running every service
    replicas: Value | None  # None when it cannot be known
    resources: bool | None = None  # requests/limits configured (None: unknown / not judged here)
    budget: bool | None = None  # a PodDisruptionBudget covers it
    workload: Workload | None = None
    fix: str = ""  # the key or field to change, for messages


@dataclass(frozen=True)
class Store:
    role: str  # "default" | "visibility" | "secondaryVisibility" | "advancedVisibility"
    name: str
    driver: str | None  # "sql" | "cassandra" | "elasticsearch"
    plugin: str | None  # mysql8, postgres12, sqlite, ...
    hosts: tuple[str, ...]
    replication: Value | None
    location: Location
    key: str


@dataclass(frozen=True)
class SecretRef:
    """A password written as a literal: the key and where, never the value."""

    key: str
    location: Location


@dataclass(frozen=True)
class Image:
    component: str  # "server" | "admin-tools" | "ui"
    reference: str  # repository[:tag]; never contains credentials
    tag: str | None
    location: Location
    key: str


@dataclass(frozen=True)
class DevLaunch:
    what: str
    location: Location
    anchor: str


@dataclass
class ServerConfig:
    kind: str  # "helm-values" | "operator" | "manifests" | "server-config" | "env" (compose: rules.compose)
    name: str  # e.g. "Helm values deploy/temporal/values.yaml + values-prod.yaml"
    location: Location  # where release-level findings point
    anchor: str
    dev: bool = False  # a development/test variant: not judged
    layout: str | None = None  # Helm: "1.x" | "0.x" | "mixed" | None
    targets_current_chart: bool = False  # known to be rendered by the 1.x chart
    official_image: bool = True  # runs temporalio/server (custom builds may plug in an authorizer)
    services: list[ServiceSpec] = field(default_factory=list)
    shards: Value | None = None
    stores: list[Store] = field(default_factory=list)
    legacy_persistence: bool = False  # stores in the 0.x layout (a bundled Elasticsearch may add visibility)
    es_visibility: bool | None = None  # 0.x: the Elasticsearch sub-chart/external ES serves visibility
    dev_persistence: list[Value] = field(default_factory=list)  # bundled demo databases and the like
    tls_frontend: Value | None = None  # value True/False; None unknown or not applicable
    tls_internode: Value | None = None
    tls_location: Location | None = None
    authorizer: Value | None = None  # value "" means the no-op authorizer
    claim_mapper: Value | None = None
    metrics_enabled: Value | None = None
    unscraped: tuple[str, ...] = ()  # services whose metrics nothing scrapes
    scrape_location: Location | None = None
    passwords: list[SecretRef] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    log_level: Value | None = None
    legacy_keys: list[Value] = field(default_factory=list)
    dev_launches: list[DevLaunch] = field(default_factory=list)
    resources_location: Location | None = None
    budget_location: Location | None = None
    hosts: tuple[str, ...] = ()


@dataclass
class ServerProject:
    configs: list[ServerConfig] = field(default_factory=list)
    backups: list[Evidence] = field(default_factory=list)
    alerts: list[Evidence] = field(default_factory=list)
    monitors: list[Evidence] = field(default_factory=list)

    def judged(self) -> list[ServerConfig]:
        return [c for c in self.configs if not c.dev]


# --- development paths -----------------------------------------------------------------------

ENV_WORDS = DEV_WORDS | PROD_WORDS | {"staging", "stage", "stg", "qa", "uat", "preprod", "perf", "load", "int",
                                     "integration"}
_name_tokens = name_tokens


def _env_word(path: str) -> str | None:
    return next((t for t in _name_tokens(path) if t in ENV_WORDS), None)


def _judged_environments(names: list[str]) -> set[str]:
    """Environments held to production standards: the production ones when there are any (staging
    and QA deliberately run smaller), else every one that is not a development environment."""
    production = {n for n in names if n.lower() in PROD_WORDS}
    return production or {n for n in names if n.lower() not in DEV_WORDS}


# --- project assembly ------------------------------------------------------------------------

ReplicaFloor = Callable[[Workload], tuple[int, str, "Location | None"]]


def build_server_project(files: Iterable[TemporalFileFacts], paths: Iterable[str], workloads: list[Workload],
                         budgets: list[DisruptionBudget], replica_floor: ReplicaFloor) -> ServerProject:
    files = list(files)
    project = ServerProject()
    for facts in files:
        for item in facts.evidence:
            getattr(project, {"backup": "backups", "alerts": "alerts", "monitor": "monitors"}[item.kind]).append(item)
    project.backups += _backup_cronjobs(workloads)
    chart_dirs = {posixpath.dirname(p) for p in paths if posixpath.basename(p) == "Chart.yaml"}
    for variant in _variants(files, chart_dirs):
        config = _from_values(variant, budgets, bool(project.monitors))
        if config is not None:
            project.configs.append(config)
    for facts in files:
        for cluster in facts.clusters:
            project.configs.append(_from_operator(cluster, budgets))
    helm = any(c.kind == "helm-values" for c in project.configs)
    operator = any(c.kind == "operator" for c in project.configs)
    project.configs += _from_manifests(workloads, replica_floor, skip_chart=helm, skip_operator=operator)
    for facts in files:
        for text in facts.configs:
            if not (helm and text.chart_rendered):
                project.configs.append(_from_config_text(text))
    project.configs.sort(key=lambda c: (c.location.path, c.location.line, c.name))
    return project


# --- values: grouping layers into releases and variants --------------------------------------


@dataclass(frozen=True)
class _Variant:
    layers: tuple[ValuesLayer, ...]
    name: str
    dev: bool
    chart_version: str | None


def _variants(files: list[TemporalFileFacts], chart_dirs: set[str]) -> Iterator[_Variant]:
    by_path: dict[str, list[ValuesLayer]] = {}
    for facts in files:
        for layer in facts.layers:
            if layer.origin == "file":
                by_path.setdefault(layer.path, []).append(layer)
    used: set[str] = set()
    for facts in files:
        for release in facts.releases:
            yield from _helmfile_variants(facts, release, by_path, used)
    for facts in files:
        for layer in facts.layers:
            if layer.origin == "chart":
                yield _Variant((layer,), f"Helm values of the chart at {posixpath.dirname(layer.path) or '.'}",
                               is_dev_path(layer.path), layer.chart_version)
            elif layer.origin in ("HelmRelease", "Application"):
                yield _Variant((layer,), f"{layer.origin} {layer.release} in {layer.path}", is_dev_path(layer.path),
                               layer.chart_version)
    groups: dict[tuple[str, tuple[str, ...]], list[ValuesLayer]] = {}
    for path, layers in by_path.items():
        if path in used:
            continue
        for layer in layers:
            folder = posixpath.dirname(path)
            if posixpath.basename(folder) == "values":
                folder = posixpath.dirname(folder)
            groups.setdefault((folder, layer.prefix), []).append(layer)
    for (folder, prefix), layers in sorted(groups.items()):
        yield from _folder_variants(folder, prefix, layers, chart_dirs)


def _helmfile_variants(facts: TemporalFileFacts, release: HelmfileRelease, by_path: dict[str, list[ValuesLayer]],
                       used: set[str]) -> Iterator[_Variant]:
    slotted = any(kind == "file" and ENV_PLACEHOLDER in str(ref) for kind, ref in release.values)
    environments = facts.environments if slotted and facts.environments else [""]
    judged = _judged_environments([e for e in environments if e]) | {""}
    for env in environments:
        layers: list[ValuesLayer] = []
        for kind, ref in release.values:
            if kind == "layer" and isinstance(ref, int) and ref < len(facts.layers):
                layers.append(facts.layers[ref])
            elif kind == "file":
                path = str(ref).replace(ENV_PLACEHOLDER, env)
                found = [layer for layer in by_path.get(path, []) if layer.prefix == ()]
                used.add(path)
                layers += found
        if not layers:
            continue
        what = "kustomization helm chart" if posixpath.basename(release.location.path).startswith("kustomization") \
            else "helmfile release"
        name = f"{what} {release.name}" + (f" (environment {env})" if env else "")
        dev = env not in judged or any(is_dev_path(layer.path) for layer in layers if layer.origin == "file")
        yield _Variant(tuple(layers), f"{name} in {release.location.path}", dev, release.version)


def _folder_variants(folder: str, prefix: tuple[str, ...], layers: list[ValuesLayer],
                     chart_dirs: set[str]) -> Iterator[_Variant]:
    """`values.yaml` first, then feature overlays (tls, resources...), then one environment at a time."""
    base = [layer for layer in layers if posixpath.basename(layer.path) in ("values.yaml", "values.yml")
            and posixpath.dirname(layer.path) == folder]
    if base and not prefix and folder in chart_dirs:
        return  # the chart's own defaults (a vendored chart): judged when rendered with the user's values
    overlays = [layer for layer in layers if layer not in base and (layer.strong or _overlay_name(layer.path))]
    features = sorted((layer for layer in overlays if _env_word(layer.path) is None), key=lambda x: x.path)
    environments = sorted((layer for layer in overlays if _env_word(layer.path) is not None), key=lambda x: x.path)
    common = [*base, *features]
    judged = _judged_environments([str(_env_word(env.path)) for env in environments])
    variants = [([*common, env], str(_env_word(env.path)) in judged) for env in environments]
    if all(is_dev_path(env.path) for env in environments):
        variants.append((common, True))  # only development overlays: the base is what production gets
    for chosen, production in variants:
        if not any(layer.strong for layer in chosen):
            continue
        files = " + ".join(dict.fromkeys(layer.path for layer in chosen))
        dev = not production or any(is_dev_path(layer.path) for layer in chosen)
        yield _Variant(tuple(chosen), f"Helm values {files}", dev, None)


def _overlay_name(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return "values" in name or "/values/" in f"/{path.lower()}"


# --- values: the model -----------------------------------------------------------------------

_LEGACY_TOP = ("cassandra", "elasticsearch", "prometheus", "grafana", "mysql", "postgresql")


def _from_values(variant: _Variant, budgets: list[DisruptionBudget], monitored: bool) -> ServerConfig | None:
    merged = Merged.of(layer.settings for layer in variant.layers)
    if as_bool(merged.value("server", "enabled")) is False:
        return None  # values for an external server (web UI / admin tools only)
    first = variant.layers[0]
    prefix = "".join(f"{p}." for p in first.prefix)
    layout = _layout(merged)
    config = ServerConfig(
        kind="helm-values", name=variant.name, location=first.location,
        anchor=f"temporal-values:{variant.name}", dev=variant.dev, layout=layout,
    )
    config.targets_current_chart = _major(variant.chart_version) >= 1 if variant.chart_version else layout == "mixed"
    if _major(variant.chart_version) == 0:
        config.targets_current_chart = False

    def key(*parts: str) -> str:
        return prefix + ".".join(parts)

    images = _helm_images(merged, key)
    config.images = images
    server_image = next((i for i in images if i.component == "server"), None)
    config.official_image = server_image is None or "temporalio/" in server_image.reference
    if server_image is not None and "auto-setup" in server_image.reference:
        repository = merged.get("server", "image", "repository")
        where = repository.location if repository is not None else server_image.location
        config.dev_launches.append(DevLaunch(f"image {server_image.reference} ({key('server', 'image')})",
                                             where, config.anchor))
    config.services = [_helm_service(merged, svc, layout, first.location, key) for svc in SERVICES
                       if _helm_service_enabled(merged, svc)]
    config.shards = _helm_shards(merged, layout, first.location, key)
    config.stores = _helm_stores(merged, layout, key)
    config.legacy_persistence = any(s.key.endswith(("persistence.default", "persistence.visibility"))
                                    for s in config.stores)
    es_on = as_bool(merged.value("elasticsearch", "enabled"))
    external = as_bool(merged.value("elasticsearch", "external"))
    config.es_visibility = True if (es_on or external) else False if es_on is False else None
    config.hosts = tuple(h for s in config.stores for h in s.hosts)
    config.dev_persistence = _helm_dev_persistence(merged, key)
    _helm_tls(merged, config, key)
    config.authorizer = _setting_value(merged, ("server", "config", "authorization", "authorizer"), key, "", first)
    config.claim_mapper = _setting_value(merged, ("server", "config", "authorization", "claimMapper"), key, "", first)
    _helm_metrics(merged, config, key, monitored)
    config.passwords = _helm_passwords(variant.layers, merged, key)
    level = merged.get("server", "config", "logLevel")
    if level is not None:
        config.log_level = Value(level.value, level.location, key("server", "config", "logLevel"))
    config.legacy_keys = _legacy_keys(merged, key)
    _helm_resources_and_budgets(merged, config, key, budgets)
    return config


def _major(version: str | None) -> int:
    match = re.match(r"\D*(\d+)", version or "")
    return int(match.group(1)) if match else -1


def _layout(m: Merged) -> str | None:
    current = any(m.get(*k) is not None for k in (
        ("server", "config", "persistence", "datastores"), ("server", "config", "persistence", "numHistoryShards"),
        ("server", "internal-frontend"), ("shims",),
    ))
    legacy = any(m.filled(k) for k in _LEGACY_TOP) or any(m.get(*k) is not None for k in (
        ("server", "config", "persistence", "default", "driver"), ("server", "config", "persistence", "visibility"),
        ("server", "config", "numHistoryShards"), ("server", "internalFrontend"), ("schema", "setup"),
        ("schema", "createDatabase"),
    ))
    if current and legacy:
        return "mixed"
    return "1.x" if current else "0.x" if legacy else None


def _helm_service_enabled(m: Merged, svc: str) -> bool:
    if svc == "internal-frontend":
        return as_bool(m.value("server", "internal-frontend", "enabled")) is True or \
            as_bool(m.value("server", "internalFrontend", "enabled")) is True
    return as_bool(m.value("server", svc, "enabled")) is not False


def _helm_service(m: Merged, svc: str, layout: str | None, base: Location, key: Callable[..., str]) -> ServiceSpec:
    block = "internalFrontend" if svc == "internal-frontend" and m.get("server", svc) is None else svc
    replicas = _helm_replicas(m, block, svc, layout, base, key)
    fix = replicas.key if replicas is not None and "autoscaling" in replicas.key else key("server", block,
                                                                                             "replicaCount")
    return ServiceSpec(svc, replicas, fix=fix)


def _helm_replicas(m: Merged, block: str, svc: str, layout: str | None, base: Location,
                   key: Callable[..., str]) -> Value | None:
    if layout != "0.x" and as_bool(m.value("server", block, "autoscaling", "enabled")) is True:
        minimum = m.get("server", block, "autoscaling", "minReplicas")
        if minimum is None:
            enabled = m.get("server", block, "autoscaling", "enabled")
            where = enabled.location if enabled else base
            return Value(1, where, key("server", block, "autoscaling", "minReplicas"), "default",
                         "autoscaling is enabled without minReplicas, so the HPA's minimum is Kubernetes' default 1")
        count = as_int(minimum.value)
        return Value(count, minimum.location, key("server", block, "autoscaling", "minReplicas")) \
            if count is not None else None
    # The chart renders `default .Values.server.replicaCount $service.replicaCount`: an empty or zero
    # per-service value falls back to the global one.
    own = m.get("server", block, "replicaCount")
    if own is not None and not helm_empty(own.value):
        count = as_int(own.value)
        return Value(count, own.location, key("server", block, "replicaCount")) if count is not None else None
    shared = m.get("server", "replicaCount")
    if shared is not None:
        count = as_int(shared.value)
        if count is None:
            return None
        override = key("server", block, "replicaCount")
        return Value(count, shared.location, key("server", "replicaCount"), note=f"no {override} override")
    return Value(1, base, key("server", "replicaCount"), "default",
                 f"the chart default: neither {key('server', block, 'replicaCount')} nor "
                 f"{key('server', 'replicaCount')} is set")


def _helm_shards(m: Merged, layout: str | None, base: Location, key: Callable[..., str]) -> Value | None:
    current = ("server", "config", "persistence", "numHistoryShards")
    legacy = ("server", "config", "numHistoryShards")
    order = [legacy] if layout == "0.x" else [current] if layout == "1.x" else [current, legacy]
    for keys in order:
        found = m.get(*keys)
        if found is not None:
            count = as_int(found.value)
            return Value(count, found.location, key(*keys)) if count is not None else None
    return Value(512, base, key(*order[0]), "default", "the chart default")


def _helm_stores(m: Merged, layout: str | None, key: Callable[..., str]) -> list[Store]:
    stores: list[Store] = []
    persistence = ("server", "config", "persistence")
    if m.get(*persistence, "datastores") is not None or layout == "1.x":
        roles = (("default", "defaultStore", "default"), ("visibility", "visibilityStore", "visibility"),
                 ("secondaryVisibility", "secondaryVisibilityStore", None))
        for role, selector, fallback in roles:
            chosen = m.value(*persistence, selector)
            name = chosen if isinstance(chosen, str) and chosen else fallback
            if name is None or m.get(*persistence, "datastores", name) is None:
                continue
            stores.append(_store(m, role, name, (*persistence, "datastores", name), key, legacy=False))
        return stores
    for role in ("default", "visibility"):
        if m.get(*persistence, role) is not None:
            stores.append(_store(m, role, role, (*persistence, role), key, legacy=True))
    es = m.get("elasticsearch")
    if es is not None and (as_bool(m.value("elasticsearch", "enabled")) is True
                           or as_bool(m.value("elasticsearch", "external")) is True):
        host = m.value("elasticsearch", "host")
        stores.append(Store("advancedVisibility", "elasticsearch", "elasticsearch", None,
                            (str(host),) if isinstance(host, str) else (), None, es.location, key("elasticsearch")))
    return stores


def _store(m: Merged, role: str, name: str, at: KeyPath, key: Callable[..., str], legacy: bool) -> Store:
    block = m.get(*at)
    where = block.location if block else Location("")
    driver: str | None = None
    if legacy:
        chosen = m.value(*at, "driver")
        driver = chosen if isinstance(chosen, str) else None
    else:
        driver = next((d for d in ("sql", "cassandra", "elasticsearch") if m.get(*at, d) is not None), None)
    plugin: str | None = None
    hosts: tuple[str, ...] = ()
    replication: Value | None = None
    if driver == "sql":
        raw = m.value(*at, "sql", "driver" if legacy else "pluginName")
        plugin = raw if isinstance(raw, str) else None
        host = m.value(*at, "sql", "host" if legacy else "connectAddr")
        hosts = (str(host),) if isinstance(host, str) and host else ()
    elif driver == "cassandra":
        hosts = m.strings(*at, "cassandra", "hosts")
        rf = m.get(*at, "cassandra", "replicationFactor")
        if rf is not None and as_int(rf.value) is not None:
            replication = Value(as_int(rf.value), rf.location, key(*(str(p) for p in at), "cassandra",
                                                                    "replicationFactor"))
    elif driver == "elasticsearch":
        host = m.value(*at, "elasticsearch", "url", "host")
        hosts = (str(host),) if isinstance(host, str) and host else ()
    # Point at what decides the kind of store: the SQL plugin, else the driver block.
    decisive = m.get(*at, "sql", "driver" if legacy else "pluginName") if driver == "sql" else None
    decisive = decisive or (m.get(*at, "driver") if legacy else m.get(*at, driver) if driver else None)
    if decisive is not None:
        where = decisive.location
    return Store(role, name, driver, plugin, hosts, replication, where, key(*(str(p) for p in at)))


def _helm_dev_persistence(m: Merged, key: Callable[..., str]) -> list[Value]:
    """Legacy sub-charts (`cassandra.enabled`, `mysql.enabled`...) are demo-grade databases."""
    found: list[Value] = []
    for chart in ("cassandra", "mysql", "postgresql", "elasticsearch"):
        enabled = m.get(chart, "enabled")
        if enabled is None or as_bool(enabled.value) is not True:
            continue
        persisted = as_bool(m.value(chart, "persistence", "enabled"))
        if chart == "elasticsearch" and persisted is True:
            continue
        why = "without persistent volumes (persistence.enabled is not true: data is lost when its pods restart)" \
            if persisted is not True else "a single-node demo database bundled with the legacy chart"
        if chart == "cassandra" and persisted is True:
            size = as_int(m.value("cassandra", "config", "cluster_size"))
            if size is None or size >= 3:
                continue
            why = f"with cluster_size {size}"
        found.append(Value(True, enabled.location, key(chart, "enabled"), note=why))
    return found


def _helm_tls(m: Merged, config: ServerConfig, key: Callable[..., str]) -> None:
    mesh = _mesh(m)
    for plane in ("frontend", "internode"):
        flag = m.get("server", "tls", plane, "enabled")
        raw = m.get("server", "config", "tls", plane, "server")
        state: bool | None
        if raw is not None and isinstance(raw.value, Node) and raw.value.size > 0:
            state = True
        elif flag is not None:
            state = as_bool(flag.value)
            if state is None:
                continue  # templated: unknown
        else:
            state = False
        where = flag or raw
        value = Value(state or mesh, where.location if where else config.location,
                      key("server", "tls", plane, "enabled"), "set" if where else "default",
                      "a service mesh injects mTLS" if mesh else "")
        setattr(config, f"tls_{plane}", value)
    found = m.get("server", "tls") or m.get("server", "config", "tls")
    config.tls_location = found.location if found else config.location


def _mesh(m: Merged) -> bool:
    for block in ("podAnnotations", "podLabels"):
        for name in m.children("server", block):
            value = str(m.value("server", block, name)).lower()
            if name in ("sidecar.istio.io/inject", "linkerd.io/inject", "istio.io/dataplane-mode") and \
                    value in ("true", "enabled", "ambient"):
                return True
    return False


def _setting_value(m: Merged, keys: KeyPath, key: Callable[..., str], default: object,
                   layer: ValuesLayer) -> Value | None:
    found = m.get(*keys)
    if found is None:
        return Value(default, layer.location, key(*(str(k) for k in keys)), "default")
    if templated(found.value) or isinstance(found.value, (Node, Secret)):
        return None
    return Value(found.value, found.location, key(*(str(k) for k in keys)))


def _helm_metrics(m: Merged, config: ServerConfig, key: Callable[..., str], monitored: bool) -> None:
    prometheus = m.settings.get(("server", "config", "metrics", "prometheus"))
    reporters = [r for r in ("statsd", "m3", "opentelemetry") if m.get("server", "config", "metrics", r)]
    if prometheus is not None and (prometheus.value is None or helm_empty(prometheus.value)) and not reporters:
        config.metrics_enabled = Value(False, prometheus.location, key("server", "config", "metrics", "prometheus"))
    if monitored:
        return

    def flag(*keys: str | int) -> bool | None:
        return as_bool(m.value(*keys))

    unscraped: list[str] = []
    for spec in config.services:
        svc = spec.name
        annotations = flag("server", svc, "metrics", "annotations", "enabled")
        if annotations is None:
            annotations = flag("server", "metrics", "annotations", "enabled")
        monitor = flag("server", svc, "metrics", "serviceMonitor", "enabled")
        if monitor is None:
            monitor = flag("server", "metrics", "serviceMonitor", "enabled")
        if annotations is False and monitor is not True:
            unscraped.append(svc)
    config.unscraped = tuple(unscraped)
    found = m.get("server", "metrics", "annotations", "enabled") or m.get("server", "metrics")
    config.scrape_location = found.location if found else config.location


def _helm_passwords(layers: Iterable[ValuesLayer], m: Merged, key: Callable[..., str]) -> list[SecretRef]:
    found: list[SecretRef] = []
    for layer in layers:
        if layer.origin == "file" and is_dev_path(layer.path):
            continue
        for path, setting in layer.settings.items():
            if not (isinstance(setting.value, Secret) and setting.value.literal):
                continue
            if _password_in_use(path, m):
                found.append(SecretRef(key(*(str(p) for p in path)), setting.location))
    return found


def _password_in_use(path: KeyPath, m: Merged) -> bool:
    """A database password the chart would use: not one in a block the store's driver ignores, nor one
    shadowed by `existingSecret` / `passwordCommand`."""
    names = [str(p) for p in path]
    if len(names) >= 3 and names[-1] in ("value",) and "additionalEnv" in names:
        return True  # an env var named like a password, with its literal value
    if names[:3] == ["server", "config", "persistence"]:
        block = path[:-1]
        if m.filled(*block, "existingSecret") or m.get(*block, "passwordCommand") is not None:
            return False
        if len(block) >= 5 and block[3] in ("default", "visibility") and block[-1] in ("sql", "cassandra"):
            driver = m.value(*block[:-1], "driver")
            if isinstance(driver, str) and driver != block[-1]:
                return False
        return True
    return names[0] == "elasticsearch" and names[-1] == "password"


def _helm_images(m: Merged, key: Callable[..., str]) -> list[Image]:
    images: list[Image] = []
    for component, block in (("server", "server"), ("admin-tools", "admintools"), ("ui", "web")):
        repo = m.get(block, "image", "repository")
        tag = m.get(block, "image", "tag")
        if repo is None and tag is None:
            continue
        repository = repo.value if repo is not None and isinstance(repo.value, str) else None
        tag_text = str(tag.value) if tag is not None and isinstance(tag.value, (str, int, float)) else None
        if (repository is not None and templated(repository)) or (tag_text is not None and templated(tag_text)):
            continue
        where = tag or repo
        assert where is not None
        reference = (repository or f"<chart default {component} image>") + (f":{tag_text}" if tag_text else "")
        images.append(Image(component, reference, tag_text, where.location,
                            key(block, "image", "tag" if tag is not None else "repository")))
    return images


def _legacy_keys(m: Merged, key: Callable[..., str]) -> list[Value]:
    found: list[Value] = []
    for name in _LEGACY_TOP:
        setting = m.get(name)
        if setting is not None and not helm_empty(setting.value):
            found.append(Value(name, setting.location, key(name), note="breaks"))
    for keys in (("server", "config", "persistence", "default"), ("server", "config", "persistence", "visibility")):
        setting = m.get(*keys)
        if setting is not None and isinstance(setting.value, Node) and setting.value.kind == "map" \
                and setting.value.size:
            found.append(Value(".".join(keys), setting.location, key(*keys), note="breaks"))
    for name in ("createDatabase", "setup", "update"):
        setting = m.get("schema", name)
        if setting is not None and not helm_empty(setting.value):
            found.append(Value(f"schema.{name}", setting.location, key("schema", name), note="breaks"))
    renamed = m.get("server", "internalFrontend")
    if renamed is not None:
        found.append(Value("server.internalFrontend", renamed.location, key("server", "internalFrontend"),
                           note="renamed"))
    pull = m.settings.get(("imagePullSecrets",))
    if pull is not None and isinstance(pull.value, Node) and pull.value.kind == "map":
        found.append(Value("imagePullSecrets", pull.location, key("imagePullSecrets"), note="map"))
    shards = m.get("server", "config", "numHistoryShards")
    if shards is not None:
        found.append(Value("server.config.numHistoryShards", shards.location,
                           key("server", "config", "numHistoryShards"), note="ignored"))
    return found


def _helm_resources_and_budgets(m: Merged, config: ServerConfig, key: Callable[..., str],
                                budgets: list[DisruptionBudget]) -> None:
    shared = m.filled("server", "resources")
    specs: list[ServiceSpec] = []
    for spec in config.services:
        block = "internalFrontend" if spec.name == "internal-frontend" and m.get("server", spec.name) is None \
            else spec.name
        resources = m.filled("server", block, "resources") or shared
        budget = m.filled("server", block, "podDisruptionBudget") or _budget_for(budgets, spec.name, None)
        specs.append(ServiceSpec(spec.name, spec.replicas, resources, budget, fix=spec.fix))
    config.services = specs
    found = m.get("server", "resources")
    config.resources_location = found.location if found else config.location
    config.budget_location = config.location


def _budget_for(budgets: list[DisruptionBudget], service: str, cluster: str | None) -> bool:
    """A hand-written PDB selecting a Temporal service's pods by the labels its charts/operators set."""
    for budget in budgets:
        labels = budget.match_labels
        if labels.get("app.kubernetes.io/component") != service:
            continue
        name = labels.get("app.kubernetes.io/name", "")
        if (cluster is None and "temporal" in name) or (cluster is not None and name in (cluster, "")):
            return True
    return False


# --- operator --------------------------------------------------------------------------------

_OPERATOR_SERVICES = {"frontend": "frontend", "history": "history", "matching": "matching", "worker": "worker",
                      "internal-frontend": "internalFrontend"}


def _from_operator(cluster: OperatorCluster, budgets: list[DisruptionBudget]) -> ServerConfig:
    m = Merged(cluster.settings)
    config = ServerConfig(kind="operator", name=f"TemporalCluster {cluster.name}", location=cluster.location,
                          anchor=f"TemporalCluster/{cluster.namespace or 'default'}/{cluster.name}",
                          dev=is_dev_path(cluster.location.path))

    def spec_loc(*keys: str | int) -> Location:
        for end in range(len(keys), 0, -1):
            found = m.get(*keys[:end])
            if found is not None:
                return found.location
        return cluster.spec_location

    image = m.value("image")
    config.official_image = not isinstance(image, str) or "temporalio/" in image
    for svc, block in _OPERATOR_SERVICES.items():
        if svc == "internal-frontend" and as_bool(m.value("services", block, "enabled")) is not True:
            continue
        replicas = m.get("services", block, "replicas")
        count = as_int(replicas.value) if replicas is not None else 1
        value = None if count is None else Value(
            count, replicas.location if replicas else spec_loc("services", block),
            f"spec.services.{block}.replicas", "set" if replicas else "default",
            "" if replicas else "the operator's default",
        )
        resources = m.filled("services", block, "resources")
        config.services.append(ServiceSpec(svc, value, resources, _budget_for(budgets, svc, cluster.name),
                                           fix=f"spec.services.{block}.replicas"))
    config.resources_location = spec_loc("services")
    config.budget_location = spec_loc("services")
    shards = m.get("numHistoryShards")
    if shards is not None and as_int(shards.value) is not None:
        config.shards = Value(as_int(shards.value), shards.location, "spec.numHistoryShards")
    for role in ("defaultStore", "visibilityStore", "secondaryVisibilityStore", "advancedVisibilityStore"):
        if m.get("persistence", role) is not None:
            config.stores.append(_operator_store(m, role))
    config.hosts = tuple(h for s in config.stores for h in s.hosts)
    _operator_tls(m, config, spec_loc)
    auth = m.get("authorization", "authorizer")
    config.authorizer = Value(auth.value if auth else "", auth.location if auth else spec_loc("authorization"),
                              "spec.authorization.authorizer", "set" if auth else "default")
    enabled = m.get("metrics", "enabled")
    if enabled is None or as_bool(enabled.value) is False:
        config.metrics_enabled = Value(False, enabled.location if enabled else spec_loc("metrics"),
                                       "spec.metrics.enabled", "set" if enabled else "default")
    level = m.get("log", "level")
    if level is not None:
        config.log_level = Value(level.value, level.location, "spec.log.level")
    for component, keys in (("server", ("image",)), ("ui", ("ui", "image")), ("admin-tools", ("admintools", "image"))):
        found = m.get(*keys)
        if found is not None and isinstance(found.value, str):
            tag = found.value.rsplit(":", 1)[1] if ":" in found.value.rsplit("/", 1)[-1] else None
            config.images.append(Image(component, found.value, tag, found.location, "spec." + ".".join(keys)))
            if component == "server" and "auto-setup" in found.value:
                config.dev_launches.append(DevLaunch(f"image {found.value} (spec.image)", found.location,
                                                     config.anchor))
    return config


def _operator_store(m: Merged, role: str) -> Store:
    at: KeyPath = ("persistence", role)
    block = m.get(*at)
    driver = next((d for d in ("sql", "cassandra", "elasticsearch") if m.get(*at, d) is not None), None)
    plugin = m.value(*at, "sql", "pluginName")
    hosts: tuple[str, ...] = ()
    if driver == "sql":
        hosts = tuple(s for s in (m.value(*at, "sql", "connectAddr"),) if isinstance(s, str))
    elif driver == "cassandra":
        hosts = m.strings(*at, "cassandra", "hosts")
    elif driver == "elasticsearch":
        hosts = tuple(s for s in (m.value(*at, "elasticsearch", "url"),) if isinstance(s, str))
    decisive = m.get(*at, "sql", "pluginName") if driver == "sql" else m.get(*at, driver) if driver else None
    chosen = decisive or block
    where = chosen.location if chosen is not None else Location("")
    return Store(role.removesuffix("Store"), role, driver, plugin if isinstance(plugin, str) else None, hosts, None,
                 where, f"spec.persistence.{role}")


def _operator_tls(m: Merged, config: ServerConfig, spec_loc: Callable[..., Location]) -> None:
    provider = m.value("mTLS", "provider")
    mesh = isinstance(provider, str) and provider in ("istio", "linkerd")
    for plane in ("frontend", "internode"):
        found = m.get("mTLS", plane, "enabled")
        state = mesh or (found is not None and as_bool(found.value) is True)
        setattr(config, f"tls_{plane}", Value(state, found.location if found else spec_loc("mTLS"),
                                               f"spec.mTLS.{plane}.enabled", "set" if found else "default",
                                               f"mTLS provider {provider}" if mesh else ""))
    config.tls_location = spec_loc("mTLS")


# --- manifests -------------------------------------------------------------------------------

SERVER_IMAGE = re.compile(r"(^|/)temporalio/(server|auto-setup)(:|@|$)")
_START_DEV = re.compile(r"\bstart-dev\b")
_SERVICE_ARG = re.compile(r"--service[= ]([\w:,-]+)")
_BACKUP_TOOLS = re.compile(
    r"\b(pg_dump(all)?|pg_basebackup|mysqldump|mysqlpump|mariadb-dump|mariabackup|xtrabackup|cqlsh|"
    r"nodetool\s+snapshot|medusa|pgbackrest|wal-g|barman|velero|restic|kopia|backup|snapshot)\b", re.I)
_LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Rollout", "ReplicaSet", "Pod"})


def _backup_cronjobs(workloads: list[Workload]) -> list[Evidence]:
    found: list[Evidence] = []
    for workload in workloads:
        if workload.kind != "CronJob":
            continue
        words = " ".join([workload.name, *(c.image for c in workload.containers),
                          *(" ".join((*(c.command or ()), *(c.args or ()))) for c in workload.containers)])
        match = _BACKUP_TOOLS.search(words)
        if match:
            found.append(Evidence("backup", f"CronJob {workload.name} ({match.group(0)})", workload.location))
    return found


def dev_launch(workload: Workload) -> DevLaunch | None:
    """A container that runs the development server: `temporal server start-dev`, temporalite, or the
    deprecated `temporalio/auto-setup` image run as a long-lived server."""
    for container in (*workload.containers, *workload.init_containers):
        argv = " ".join((*(container.command or ()), *(container.args or ())))
        anchor = f"{workload.ref}/{container.name}"
        if _START_DEV.search(argv) and ("temporal" in argv or "temporal" in container.image):
            return DevLaunch(f"`{_short(argv)}` in container {container.name}", container.location, anchor)
        if "temporalite" in container.image.lower() or re.search(r"\btemporalite\b", argv):
            return DevLaunch(f"temporalite in container {container.name} ({container.image})",
                             container.image_location, anchor)
        if "temporalio/auto-setup" in container.image and workload.kind in _LONG_RUNNING \
                and container in workload.containers:
            return DevLaunch(f"image {container.image} in container {container.name}", container.image_location,
                             anchor)
    return None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _components(workload: Workload) -> list[str]:
    for container in workload.containers:
        for env in container.env:
            if env.name in ("SERVICES", "TEMPORAL_SERVICES") and env.value:
                return [s for s in re.split(r"[:,\s]+", env.value) if s in SERVICES]
        match = _SERVICE_ARG.findall(" ".join((*(container.command or ()), *(container.args or ()))))
        if match:
            return [s for m in match for s in re.split(r"[:,]", m) if s in SERVICES]
    for labels in (workload.pod_labels, workload.labels):
        component = labels.get("app.kubernetes.io/component")
        if component in SERVICES:
            return [component]
    for svc in sorted(SERVICES, key=len, reverse=True):
        if workload.name.endswith(f"-{svc}"):
            return [svc]
    return ["all"]


def _group_key(workload: Workload, components: list[str]) -> tuple[str, str]:
    labels = {**workload.labels, **workload.pod_labels}
    name = labels.get("app.kubernetes.io/instance") or labels.get("app.kubernetes.io/part-of")
    if not name:
        name = workload.name
        for svc in components:
            name = name.removesuffix(f"-{svc}")
    return workload.namespace or "default", name


def _from_manifests(workloads: list[Workload], replica_floor: ReplicaFloor, skip_chart: bool,
                    skip_operator: bool) -> list[ServerConfig]:
    groups: dict[tuple[str, str], list[tuple[Workload, list[str], DevLaunch | None]]] = {}
    for workload in workloads:
        launch = dev_launch(workload)
        server = any(SERVER_IMAGE.search(c.image) for c in workload.containers)
        if not server and launch is None:
            continue
        labels = {**workload.labels, **workload.pod_labels}
        if skip_chart and labels.get("helm.sh/chart", "").startswith("temporal-"):
            continue  # rendered from values already judged
        if skip_operator and labels.get("app.kubernetes.io/managed-by") == "temporal-operator":
            continue
        components = _components(workload) if server else []
        groups.setdefault(_group_key(workload, components), []).append((workload, components, launch))
    configs: list[ServerConfig] = []
    for (namespace, name), members in sorted(groups.items()):
        first = members[0][0]
        config = ServerConfig(kind="manifests", name=f"Temporal server {name} (namespace {namespace})",
                              location=first.location, anchor=f"temporal-server/{namespace}/{name}",
                              dev=all(is_dev_path(w.location.path) for w, _, _ in members))
        for workload, components, launch in members:
            if launch is not None:
                config.dev_launches.append(launch)
            for component in components:
                floor, source, where = replica_floor(workload)
                # The key carries the whole description ("spec.replicas unset, default 1", "HPA x minReplicas: 2").
                value = Value(floor, where or workload.location, source)
                config.services.append(ServiceSpec(component, value, workload=workload,
                                                   fix="spec.replicas (and any autoscaler's minimum)"))
            _env_settings(workload, config)
        configs.append(config)
    return configs


def _env_settings(workload: Workload, config: ServerConfig) -> None:
    """Settings the server image reads from its environment (its config template's variables)."""
    for container in workload.containers:
        if not SERVER_IMAGE.search(container.image):
            continue
        config.images.append(Image("server", container.image, None, container.image_location, "image"))
        for env in container.env:
            if env.value is None:
                continue
            config_env = server_from_env({env.name: (env.value, env.location)})
            config.shards = config_env.shards or config.shards
            config.log_level = config_env.log_level or config.log_level
            config.stores += config_env.stores


def server_from_env(env: dict[str, tuple[str, Location]]) -> ServerConfig:
    """The settings a `temporalio/server` (or auto-setup) container takes from environment variables;
    also the entry point for docker-compose services."""
    config = ServerConfig(kind="env", name="environment", location=Location(""), anchor="")
    shards = env.get("NUM_HISTORY_SHARDS")
    if shards is not None and as_int(shards[0]) is not None:
        config.shards = Value(as_int(shards[0]), shards[1], "NUM_HISTORY_SHARDS")
    level = env.get("LOG_LEVEL")
    if level is not None:
        config.log_level = Value(level[0], level[1], "LOG_LEVEL")
    db = env.get("DB")
    if db is not None and db[0].lower().startswith("sqlite"):
        config.stores.append(Store("default", "default", "sql", db[0].lower(), (), None, db[1], "DB"))
    return config


def _from_config_text(text: ServerConfigText) -> ServerConfig:
    config = ServerConfig(kind="server-config", name=text.name, location=text.location,
                          anchor=f"server-config:{text.name}", dev=is_dev_path(text.location.path))
    if text.shards is not None and as_int(text.shards.value) is not None:
        config.shards = Value(as_int(text.shards.value), text.shards.location, "persistence.numHistoryShards")
    if text.log_level is not None:
        config.log_level = Value(text.log_level.value, text.log_level.location, "log.level")
    if text.sqlite is not None:
        config.stores.append(Store("default", "default", "sql", "sqlite", (), None, text.sqlite,
                                   "persistence.datastores.<store>.sql.pluginName"))
    return config


__all__ = [
    "DevLaunch", "Evidence", "Image", "Merged", "OperatorCluster", "SecretRef", "ServerConfig", "ServerProject",
    "ServiceSpec", "Setting", "Store", "TemporalFileFacts", "Value", "ValuesLayer", "build_server_project",
    "extract_temporal_manifests", "extract_temporal_yaml", "is_dev_path", "layer_from_values",
    "looks_like_temporal_values", "server_from_env",
    "values_shape",
]
