"""Facts the capacity plan needs beyond the workload facts (see ``tprlint.capacity``).

- the maximum of each autoscaler (HPA ``maxReplicas``, KEDA ``maxReplicaCount``), keyed by the
  autoscaler's ``kind:`` location, which is also its ``ScaleTarget.location``;
- the storage of databases defined in the scan: CloudNativePG ``Cluster`` (``spec.storage.size``),
  Zalando ``postgresql`` (``spec.volume.size``), Crunchy ``PostgresCluster`` (the instances'
  ``dataVolumeClaimSpec``), and StatefulSets of database images (their data ``volumeClaimTemplates``);
- the retention of Temporal namespaces: the server chart's ``server.config.namespaces.namespace[]``
  and the operator's ``TemporalNamespace`` (``spec.retentionPeriod``).

Values are kept as written (text): the plan parses them and says when it cannot.
"""

from __future__ import annotations

import re

from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen

_DATABASE_IMAGE = re.compile(r"(^|/)(postgres|postgresql|postgis|mysql|mariadb|percona[\w-]*|cassandra|scylla|"
                             r"cockroach)(:|@|$)")
_MAX_ITEMS = 256  # per document: list items looked at (instances, claim templates, containers, namespaces)


@frozen
class AutoscalerMax:
    location: Location  # the autoscaler's `kind:` line (ScaleTarget.location)
    max_replicas: int | None  # None when unset or not a number (KEDA's default is 100; an HPA requires it)
    max_location: Location | None
    default: int | None = None  # the API's default when unset (KEDA: 100)


@frozen
class DatabaseStorage:
    kind: str  # "Cluster" (CloudNativePG), "postgresql" (Zalando), "PostgresCluster" (Crunchy), "StatefulSet"
    name: str
    namespace: str | None
    size: str  # as written, per instance: "100Gi"
    location: Location  # the size key
    hosts: tuple[str, ...]  # the names clients reach it by (services)


@frozen
class RetentionSetting:
    namespace: str  # the Temporal namespace
    retention: str  # as written: "3d", "72h", "168h0m0s"
    location: Location


@frozen
class CapacityFacts:
    autoscalers: tuple[AutoscalerMax, ...] = ()
    storages: tuple[DatabaseStorage, ...] = ()
    retentions: tuple[RetentionSetting, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.autoscalers or self.storages or self.retentions)


def extract_capacity_manifests(docs: list[YamlDoc], path: str) -> CapacityFacts:
    autoscalers: list[AutoscalerMax] = []
    storages: list[DatabaseStorage] = []
    retentions: list[RetentionSetting] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind, spec, meta = data.get("kind"), _dict(data.get("spec")), _dict(data.get("metadata"))
        name, namespace = _text(meta.get("name")), _text(meta.get("namespace"))
        if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            key = "maxReplicas" if kind == "HorizontalPodAutoscaler" else "maxReplicaCount"
            value = spec.get(key)
            number = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
            autoscalers.append(AutoscalerMax(_loc(doc, path, "kind"), number, _loc_if(doc, path, "spec", key),
                                             100 if kind == "ScaledObject" else None))
        elif not name:
            continue
        elif kind == "Cluster" and str(data.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
            size = _text(_dict(spec.get("storage")).get("size"))
            if size:
                storages.append(DatabaseStorage("Cluster", name, namespace, size,
                                                _loc(doc, path, "spec", "storage", "size"),
                                                (name, f"{name}-rw", f"{name}-ro", f"{name}-r")))
        elif kind == "postgresql" and str(data.get("apiVersion", "")).startswith("acid.zalan.do/"):
            size = _text(_dict(spec.get("volume")).get("size"))
            if size:
                storages.append(DatabaseStorage("postgresql", name, namespace, size,
                                                _loc(doc, path, "spec", "volume", "size"), (name, f"{name}-repl")))
        elif kind == "PostgresCluster" and str(data.get("apiVersion", "")).startswith("postgres-operator.crunchydata"):
            instances = spec.get("instances")
            for index, instance in enumerate(instances[:_MAX_ITEMS] if isinstance(instances, list) else []):
                size = _text(_dig(instance, "dataVolumeClaimSpec", "resources", "requests", "storage"))
                if size:
                    storages.append(DatabaseStorage("PostgresCluster", name, namespace, size, _loc(
                        doc, path, "spec", "instances", index, "dataVolumeClaimSpec", "resources", "requests",
                        "storage"), (f"{name}-primary", f"{name}-pgbouncer", name)))
                    break
        elif kind == "StatefulSet":
            storage = _statefulset_storage(doc, path, spec, name, namespace)
            if storage is not None:
                storages.append(storage)
        elif kind == "TemporalNamespace":
            retention = _text(spec.get("retentionPeriod"))
            if retention:
                retentions.append(RetentionSetting(_text(spec.get("name")) or name, retention,
                                                   _loc(doc, path, "spec", "retentionPeriod")))
    return CapacityFacts(tuple(autoscalers), tuple(storages), tuple(retentions))


def extract_capacity_values(docs: list[YamlDoc], path: str) -> CapacityFacts:
    """Namespaces the Temporal chart creates, with their retention (``server.config.namespaces``)."""
    retentions: list[RetentionSetting] = []
    for doc in docs:
        listed = _dig(doc.data, "server", "config", "namespaces", "namespace")
        for index, item in enumerate(listed[:_MAX_ITEMS] if isinstance(listed, list) else []):
            if isinstance(item, dict) and _text(item.get("name")) and _text(item.get("retention")):
                retentions.append(RetentionSetting(
                    _text(item.get("name")) or "", _text(item.get("retention")) or "",
                    _loc(doc, path, "server", "config", "namespaces", "namespace", index, "retention")))
    return CapacityFacts(retentions=tuple(retentions))


def _statefulset_storage(doc: YamlDoc, path: str, spec: dict[object, object], name: str,
                         namespace: str | None) -> DatabaseStorage | None:
    containers = _dig(spec, "template", "spec", "containers")
    images = [_text(c.get("image")) or "" for c in (containers[:_MAX_ITEMS] if isinstance(containers, list) else [])
              if isinstance(c, dict)]
    if not any(_DATABASE_IMAGE.search(image.lower()) for image in images):
        return None
    templates = spec.get("volumeClaimTemplates")
    for index, template in enumerate(templates[:_MAX_ITEMS] if isinstance(templates, list) else []):
        size = _text(_dig(template, "spec", "resources", "requests", "storage"))
        if size:  # the first claim is the data volume in every chart and manifest seen
            service = _text(spec.get("serviceName"))
            return DatabaseStorage("StatefulSet", name, namespace, size, _loc(
                doc, path, "spec", "volumeClaimTemplates", index, "spec", "resources", "requests", "storage"),
                tuple(dict.fromkeys(h for h in (name, service) if h)))
    return None


def _loc(doc: YamlDoc, path: str, *keys: str | int) -> Location:
    line, column = doc.loc(*keys)
    return Location(path, line, column)


def _loc_if(doc: YamlDoc, path: str, *keys: str | int) -> Location | None:
    found = doc.positions.get(keys)
    return Location(path, found[0], found[1]) if found is not None else None


def _dig(value: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _dict(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None
