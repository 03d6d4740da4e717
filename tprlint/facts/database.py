"""PostgreSQL deployments in one file: what the database rules (TPR520-TPR524) judge about the database
behind a Temporal server.

Read from the objects that define a database, as their operators and charts name their fields:

* CloudNativePG ``Cluster`` (``spec.instances``, WAL archiving in ``spec.backup.barmanObjectStore`` or a
  WAL-archiver plugin, ``spec.walStorage``), its ``Pooler`` and ``ScheduledBackup`` objects;
* Zalando ``postgresql`` (``numberOfInstances``, WAL-G/WAL-E settings in ``spec.env``,
  ``enableConnectionPooler``) and the operator's configuration (``wal_s3_bucket``...);
* Crunchy ``PostgresCluster`` (``instances[].replicas``, ``walVolumeClaimSpec``, pgBackRest repos and
  their ``schedules``, ``proxy.pgBouncer``);
* values of the Bitnami ``postgresql`` chart (``architecture``, ``readReplicas.replicaCount``), as a file,
  the ``postgresql:`` key of an umbrella chart's values, or a Flux ``HelmRelease``/Argo ``Application``;
* StatefulSets and Deployments of PostgreSQL images, and PgBouncer Deployments.

Every object kind is checked before anything else is read, so a file without database objects costs a
dictionary lookup per document. Compose services are read from the merged compose model by the rules.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import field

from tprlint.facts.kustomization import extract_kustomization
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen, mutable

MAX_ITEMS = 200  # instance sets, containers, volumes read per object: a hostile file is bounded


@frozen
class Said:
    """What an object says about one property, quoted in messages, and where."""

    text: str  # "spec.instances: 1", "spec.walStorage unset"
    location: Location


@frozen
class Database:
    source: str  # "CloudNativePG Cluster", "Zalando postgresql", "StatefulSet", "postgresql chart values"...
    family: str  # "cnpg" | "zalando" | "crunchy" | "chart" | "workload" | "compose"
    name: str
    namespace: str | None
    location: Location
    hosts: tuple[str, ...]  # the Service names clients reach it by (lower case)
    # Chart values without a release name: the chart's Service names end so ("-postgresql").
    host_suffixes: tuple[str, ...] = ()
    temporal: bool = False  # its name or labels say it is Temporal's
    copies: int | None = None  # pods that hold the data; None when it cannot be read (templated)
    copies_said: Said | None = None
    # The copies stream from the primary: True for operators and HA images, None when it cannot be
    # told (several pods of a plain postgres image replicate only if configured so).
    streams: bool | None = True
    archiving: bool | None = None  # WAL archiving configured; None when decided elsewhere
    archiving_said: Said | None = None
    wal_volume: bool | None = None  # pg_wal on a volume of its own
    wal_said: Said | None = None
    pooler: bool = False  # a built-in pooler is enabled (Crunchy proxy.pgBouncer, Zalando's pooler)
    pooler_hosts: tuple[str, ...] = ()  # the built-in pooler's Service names
    backup_target: bool = False  # an operator backup destination is configured
    # Base backups on a schedule: None when other objects decide (CloudNativePG ScheduledBackups)
    # or the source has no such notion.
    backup_scheduled: bool | None = None
    backup_said: Said | None = None
    config_maps: tuple[str, ...] = ()  # ConfigMaps mounted into its pods (postgresql.conf may be there)
    pod_labels: dict[str, str] = field(default_factory=dict)
    kind: str = ""  # the object's kind, as a kustomize patch names it


@frozen
class Pooler:
    source: str  # "CloudNativePG Pooler", "PgBouncer Deployment"
    name: str
    namespace: str | None
    location: Location
    cluster: str = ""  # the CloudNativePG Cluster it fronts
    targets: tuple[str, ...] = ()  # host names of the database it forwards to
    hosts: tuple[str, ...] = ()  # the Service names clients reach it by
    pod_labels: dict[str, str] = field(default_factory=dict)


@frozen
class BackupSchedule:
    """A CloudNativePG ScheduledBackup: base backups of one Cluster on a cron schedule."""

    cluster: str
    namespace: str | None
    name: str
    location: Location


@frozen
class ServiceRef:
    """A Service beside a database or pooler object: another name that reaches its pods."""

    name: str
    namespace: str | None
    selector: dict[str, str]


@frozen
class ArchiveConfig:
    """WAL archiving switched on outside the database object: the Zalando operator's configuration, a
    pod environment ConfigMap, or a ConfigMap holding a postgresql.conf with ``archive_mode``."""

    kind: str  # "zalando" | "postgresql.conf"
    name: str
    namespace: str | None
    location: Location
    archiving: bool


@frozen
class PatchRef:
    """A kustomize patch: its file (a fragment, never an object) and the object it changes. The database
    rules read objects as written, so a database an overlay patches is left undecided, not judged."""

    file: str  # the patch file, relative to the scan ("" for an inline patch)
    kind: str  # the target's kind and name ("" when the patch file names it)
    name: str


@mutable
class DatabaseFacts:
    databases: list[Database] = field(default_factory=list)
    poolers: list[Pooler] = field(default_factory=list)
    schedules: list[BackupSchedule] = field(default_factory=list)
    services: list[ServiceRef] = field(default_factory=list)
    archive_configs: list[ArchiveConfig] = field(default_factory=list)
    patches: list[PatchRef] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.databases or self.poolers or self.schedules or self.archive_configs or self.patches)


# --- reading helpers -------------------------------------------------------------------------

_Path = tuple[str | int, ...]


def _map(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value) < 10:
        return int(value)
    return None


def _labels(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value).items() if isinstance(v, (str, int, float, bool))}


class _At:
    """Locations inside one object of one document."""

    def __init__(self, doc: YamlDoc, path: str, base: _Path) -> None:
        self.doc, self.path, self.base = doc, path, base

    def __call__(self, *keys: str | int) -> Location:
        line, column = self.doc.loc(*self.base, *keys)
        return Location(self.path, line, column)

    def said(self, text: str, *keys: str | int) -> Said:
        return Said(text, self(*keys))


def _says_temporal(name: str, labels: dict[str, str]) -> bool:
    return "temporal" in name.lower() or any("temporal" in v.lower() for v in labels.values())


# --- images ----------------------------------------------------------------------------------

_POSTGRES_REPOS = frozenset({"postgres", "postgresql", "postgis", "postgresql-repmgr", "postgresql-ha"})
_HA_PREFIXES = ("spilo", "postgresql-repmgr", "crunchy-postgres", "patroni")
_POOLER_WORDS = ("pgbouncer", "pgcat", "odyssey", "pgpool")


def _repo(image: str) -> str:
    """The last path segment of an image reference, without tag or digest: `bitnami/postgresql:16` ->
    `postgresql`."""
    name = image.strip().lower().split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def is_postgres_image(image: str) -> bool:
    repo = _repo(image)
    return repo in _POSTGRES_REPOS or repo.startswith(("spilo", "timescaledb", "crunchy-postgres", "patroni"))


def is_ha_image(image: str) -> bool:
    """Images that stream to their peers on their own (Patroni/Spilo, repmgr, Crunchy's HA image)."""
    return _repo(image).startswith(_HA_PREFIXES)


def is_pooler_image(image: str) -> bool:
    repo = _repo(image)
    return any(word in repo for word in _POOLER_WORDS) and "exporter" not in repo


# WAL archiving tools configured by environment (WAL-G, WAL-E, Spilo's own variables).
_ARCHIVE_ENV = re.compile(r"^(WALG_|WALE_|WAL_S3_BUCKET|WAL_GS_BUCKET|WAL_BUCKET_SCOPE|AZURE_STORAGE_ACCOUNT|"
                          r"WAL_AZ_|USE_WALG_BACKUP|PGBACKREST_REPO)", re.I)
_ARCHIVE_ON = re.compile(r"archive_mode\s*=?\s*['\"]?(on|always)\b", re.I)
_ARCHIVE_TOOLS = ("wal-g", "walg", "wal-e", "pgbackrest", "barman")
# A host in a PgBouncer setting: `host=db port=5432`, `postgres://user@db:5432/x`, or a bare host value.
_HOST_IN_TEXT = re.compile(r"(?:\bhost\s*=\s*|@)([A-Za-z0-9][A-Za-z0-9.-]{0,252})")
_POOLER_HOST_ENV = frozenset({
    "DB_HOST", "DATABASE_HOST", "DATABASES_HOST", "POSTGRESQL_HOST", "POSTGRES_HOST", "PGHOST",
    "PGBOUNCER_DATABASE_HOST", "PG_HOST",
})
_POOLER_TEXT_ENV = frozenset({"DATABASE_URL", "DATABASES", "PGBOUNCER_DSN", "PGBOUNCER_DATABASES"})


def hosts_in_env(env: dict[str, str]) -> tuple[str, ...]:
    """Database hosts a pooler's environment names."""
    found: list[str] = []
    for key, value in env.items():
        upper = key.upper()
        if upper in _POOLER_HOST_ENV and value:
            found.append(value.strip().lower())
        elif upper in _POOLER_TEXT_ENV or upper.startswith("DATABASES_"):
            found += [m.group(1).lower() for m in _HOST_IN_TEXT.finditer(value[:4096])]
    return tuple(dict.fromkeys(h for h in found if h))


# --- extraction ------------------------------------------------------------------------------

_WORKLOADS = frozenset({"StatefulSet", "Deployment"})
_KUSTOMIZATIONS = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})
_INLINE_KIND = re.compile(r"^kind:[ \t]*[\"']?([\w.-]+)", re.M)
_INLINE_NAME = re.compile(r"^[ \t]+name:[ \t]*[\"']?([\w.-]+)", re.M)


def extract_database_manifests(docs: list[YamlDoc], path: str) -> DatabaseFacts:
    """Database objects of a Kubernetes file."""
    facts = DatabaseFacts()
    services: list[tuple[YamlDoc, dict[object, object]]] = []
    kustomization = posixpath.basename(path).lower() in _KUSTOMIZATIONS
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind = data.get("kind")
        if kustomization or kind in ("Kustomization", "Component"):
            _patches(facts, doc, path, data)
            continue
        if not isinstance(kind, str):
            continue
        if kind == "Service":
            services.append((doc, data))
            continue
        if kind in _OBJECTS or kind in _WORKLOADS or kind in ("ConfigMap", "HelmRelease", "Application"):
            _object(facts, _At(doc, path, ()), data, kind, str(data.get("apiVersion", "")))
    if facts.databases or facts.poolers:  # a Service only matters beside the pods it may select
        for _, data in services:
            meta = _map(data.get("metadata"))
            name = _str(meta.get("name"))
            selector = _labels(_map(data.get("spec")).get("selector"))
            if name and selector:
                facts.services.append(ServiceRef(name.lower(), _str(meta.get("namespace")), selector))
    return facts


def _patches(facts: DatabaseFacts, doc: YamlDoc, path: str, data: dict[object, object]) -> None:
    folder = posixpath.dirname(path)
    for patch in extract_kustomization(doc, path, data).patches[:MAX_ITEMS]:
        file = posixpath.normpath(posixpath.join(folder, patch.path)) if patch.path else ""
        kind, name = patch.target_kind or "", patch.target_name or ""
        if patch.inline and not kind:
            found_kind, found_name = _INLINE_KIND.search(patch.inline), _INLINE_NAME.search(patch.inline)
            kind = found_kind.group(1) if found_kind else ""
            name = found_name.group(1) if found_name else ""
        if file or kind:
            facts.patches.append(PatchRef(file, kind, name))


def extract_database_values(docs: list[YamlDoc], path: str) -> DatabaseFacts:
    """Values of the postgresql chart in a values file: on their own, or under an umbrella chart's
    `postgresql:` key (never the temporal chart's own legacy `postgresql:` key beside `server:`, which
    the server rules report as a bundled demo database)."""
    facts = DatabaseFacts()
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or "kind" in data:
            continue
        sub = data.get("postgresql")
        if isinstance(sub, dict) and "server" not in data and sub.get("enabled") is not False:
            temporal = any("temporal" in str(k).lower() for k in data)
            facts.databases.append(_chart(_At(doc, path, ("postgresql",)), sub, None, None, "umbrella values",
                                          temporal))
        elif data.get("architecture") in ("standalone", "replication") and isinstance(data.get("primary"), dict):
            facts.databases.append(_chart(_At(doc, path, ()), data, None, None, "values", "temporal" in path.lower()))
    return facts


_OBJECTS = frozenset({"Cluster", "Pooler", "ScheduledBackup", "postgresql", "PostgresCluster",
                      "OperatorConfiguration"})


def _object(facts: DatabaseFacts, at: _At, obj: dict[object, object], kind: str, api: str) -> None:
    meta = _map(obj.get("metadata"))
    name = _str(meta.get("name")) or ""
    namespace = _str(meta.get("namespace"))
    spec = _map(obj.get("spec"))
    if api.startswith("postgresql.cnpg.io"):
        if kind == "Cluster":
            facts.databases.append(_cnpg_cluster(at, spec, name, namespace, _labels(meta.get("labels"))))
        elif kind == "Pooler":
            cluster = _str(_map(spec.get("cluster")).get("name")) or ""
            facts.poolers.append(Pooler("CloudNativePG Pooler", name, namespace, at("kind"), cluster.lower(),
                                        (f"{cluster.lower()}-rw",), (name.lower(),)))
        elif kind == "ScheduledBackup":
            cluster = _str(_map(spec.get("cluster")).get("name")) or ""
            facts.schedules.append(BackupSchedule(cluster.lower(), namespace, name, at("kind")))
    elif api.startswith("acid.zalan.do"):
        if kind == "postgresql":
            facts.databases.append(_zalando(at, spec, name, namespace, _labels(meta.get("labels"))))
        elif kind == "OperatorConfiguration":
            config = _map(obj.get("configuration"))
            buckets = {str(k): v for k, v in _map(config.get("aws_or_gcp")).items()}
            on = any(_str(buckets.get(k)) for k in ("wal_s3_bucket", "wal_gs_bucket", "wal_az_storage_account"))
            facts.archive_configs.append(ArchiveConfig("zalando", name, namespace, at("kind"), on))
    elif api.startswith("postgres-operator.crunchydata.com") and kind == "PostgresCluster":
        facts.databases.append(_crunchy(at, spec, name, namespace, _labels(meta.get("labels"))))
    elif kind in _WORKLOADS:
        _workload(facts, at, obj, kind, name, namespace)
    elif kind == "ConfigMap":
        _configmap(facts, at, obj, name, namespace)
    elif kind == "HelmRelease":
        chart = _map(_map(spec.get("chart")).get("spec"))
        if _is_postgres_chart(chart.get("chart")) and isinstance(spec.get("values"), dict):
            release = _str(spec.get("releaseName")) or name
            facts.databases.append(_chart(_At(at.doc, at.path, ("spec", "values")), _map(spec.get("values")),
                                          release, _str(spec.get("targetNamespace")) or namespace,
                                          f"HelmRelease {name}", "temporal" in release.lower()))
    elif kind == "Application" and api.startswith("argoproj.io"):
        source = _map(spec.get("source"))
        helm = _map(source.get("helm"))
        if _is_postgres_chart(source.get("chart")) and isinstance(helm.get("valuesObject"), dict):
            release = _str(helm.get("releaseName")) or name
            where = _At(at.doc, at.path, ("spec", "source", "helm", "valuesObject"))
            destination = _str(_map(spec.get("destination")).get("namespace"))
            facts.databases.append(_chart(where, _map(helm.get("valuesObject")), release, destination,
                                          f"Application {name}", "temporal" in release.lower()))


def _is_postgres_chart(chart: object) -> bool:
    return isinstance(chart, str) and chart.rsplit("/", 1)[-1] == "postgresql"


def _cnpg_cluster(at: _At, spec: dict[object, object], name: str, namespace: str | None,
                  labels: dict[str, str]) -> Database:
    instances = _int(spec.get("instances"))
    if "instances" in spec:
        copies, said = instances, at.said(f"spec.instances: {spec.get('instances')}", "spec", "instances")
    else:
        copies, said = 1, at.said("spec.instances unset (default 1)", "spec")
    backup = _map(spec.get("backup"))
    plugins = [_map(p) for p in _list(spec.get("plugins"))]
    archiver = next((p for p in plugins if p.get("isWALArchiver") is True
                     or str(p.get("name", "")).startswith("barman-cloud")), None)
    if isinstance(backup.get("barmanObjectStore"), dict):
        archiving, archived = True, at.said("spec.backup.barmanObjectStore", "spec", "backup", "barmanObjectStore")
    elif archiver is not None:
        archiving, archived = True, at.said(f"spec.plugins: {archiver.get('name')}", "spec", "plugins")
    elif backup:
        archiving, archived = False, at.said("spec.backup without barmanObjectStore (volume snapshots keep no WAL "
                                             "archive)", "spec", "backup")
    else:
        archiving, archived = False, at.said("no spec.backup.barmanObjectStore and no WAL-archiver plugin", "kind")
    wal = "walStorage" in spec
    wal_said = at.said("spec.walStorage" if wal else "spec.walStorage unset: pg_wal lives on spec.storage",
                       "spec", "walStorage" if wal else "storage")
    lower = name.lower()
    return Database("CloudNativePG Cluster", "cnpg", name, namespace, at("kind"),
                    (f"{lower}-rw", f"{lower}-ro", f"{lower}-r"), temporal=_says_temporal(name, labels), kind="Cluster",
                    copies=copies, copies_said=said, archiving=archiving, archiving_said=archived,
                    wal_volume=wal, wal_said=wal_said, backup_target=archiving,
                    backup_said=archived)


def _zalando(at: _At, spec: dict[object, object], name: str, namespace: str | None,
             labels: dict[str, str]) -> Database:
    raw = spec.get("numberOfInstances")
    copies = _int(raw)
    said = at.said(f"numberOfInstances: {raw}" if raw is not None else "numberOfInstances unset",
                   "spec", "numberOfInstances")
    env = {str(_map(e).get("name", "")): e for e in _list(spec.get("env"))}
    archive_env = sorted(k for k in env if _ARCHIVE_ENV.match(k))
    archiving = True if archive_env else None  # else the operator's configuration decides
    archived = at.said(f"spec.env: {', '.join(archive_env)}" if archive_env else
                       "no WAL-G/WAL-E settings in spec.env (the operator's configuration decides)", "spec")
    pooler = spec.get("enableConnectionPooler") is True
    lower = name.lower()
    return Database("Zalando postgresql", "zalando", name, namespace, at("kind"),
                    (lower, f"{lower}-repl"), temporal=_says_temporal(name, labels), kind="postgresql", copies=copies,
                    copies_said=said, archiving=archiving, archiving_said=archived, wal_volume=False,
                    wal_said=at.said("spec.volume holds pg_wal: the operator has no separate WAL volume", "spec",
                                     "volume"),
                    pooler=pooler, pooler_hosts=(f"{lower}-pooler", f"{lower}-pooler-repl") if pooler else ())


def _crunchy(at: _At, spec: dict[object, object], name: str, namespace: str | None,
             labels: dict[str, str]) -> Database:
    sets = [_map(s) for s in _list(spec.get("instances"))]
    copies: int | None = 0
    parts = []
    for index, item in enumerate(sets):
        replicas = _int(item.get("replicas")) if "replicas" in item else 1
        if replicas is None or copies is None:
            copies = None
        else:
            copies += replicas
        parts.append(f"{item.get('name', index)}: {item.get('replicas', '1 (default)')}")
    said = at.said(f"spec.instances replicas ({'; '.join(parts) or 'none'})", "spec", "instances")
    repos = [_map(r) for r in _list(_map(_map(spec.get("backups")).get("pgbackrest")).get("repos"))]
    archiving = bool(repos)
    archived = at.said("spec.backups.pgbackrest.repos" if repos else "no spec.backups.pgbackrest.repos", "spec",
                       "backups")
    wal = bool(sets) and all(isinstance(s.get("walVolumeClaimSpec"), dict) for s in sets)
    missing = [str(s.get("name", i)) for i, s in enumerate(sets) if not isinstance(s.get("walVolumeClaimSpec"), dict)]
    wal_said = at.said("walVolumeClaimSpec on every instance set" if wal else
                       f"no walVolumeClaimSpec on instance set {', '.join(missing) or '(none)'}", "spec", "instances")
    scheduled = any(_map(r.get("schedules")) for r in repos)
    pooler = isinstance(_map(spec.get("proxy")).get("pgBouncer"), dict)
    lower = name.lower()
    return Database("Crunchy PostgresCluster", "crunchy", name, namespace, at("kind"),
                    (f"{lower}-primary", f"{lower}-replicas", f"{lower}-ha"), temporal=_says_temporal(name, labels),
                    kind="PostgresCluster",
                    copies=copies, copies_said=said, archiving=archiving, archiving_said=archived, wal_volume=wal,
                    wal_said=wal_said, pooler=pooler, pooler_hosts=(f"{lower}-pgbouncer",) if pooler else (),
                    backup_target=archiving, backup_scheduled=scheduled if repos else None,
                    backup_said=at.said("schedules on a pgBackRest repo" if scheduled else
                                        "no schedules on any spec.backups.pgbackrest.repos entry", "spec", "backups"))


def _chart(at: _At, values: dict[object, object], release: str | None, namespace: str | None, origin: str,
           temporal: bool) -> Database:
    """Values of the Bitnami postgresql chart (also the official chart's older layout)."""
    architecture = values.get("architecture")
    read = _map(values.get("readReplicas"))
    if architecture == "replication":
        count = _int(read.get("replicaCount")) if "replicaCount" in read else 1
        copies = None if count is None else 1 + count
        shown = read.get("replicaCount", "1 (default)")
        said = at.said(f"architecture: replication, readReplicas.replicaCount: {shown}",
                       "readReplicas" if "replicaCount" in read else "architecture")
    else:
        copies = 1
        text = f"architecture: {architecture}" if architecture is not None else "architecture unset (standalone)"
        said = at.said(text, "architecture")
    primary = _map(values.get("primary"))
    conf = " ".join(str(v) for v in (primary.get("extendedConfiguration"), primary.get("configuration"),
                                     values.get("postgresqlExtendedConf")) if v is not None)[:65536]
    archiving = bool(_ARCHIVE_ON.search(conf)) or "archiveMode" in conf
    archived = at.said("archive_mode on in primary.extendedConfiguration" if archiving else
                       "no archive_mode in primary.extendedConfiguration or primary.configuration", "primary")
    wal_dir = _str(values.get("postgresqlWalDir"))
    mounts = [_str(_map(m).get("mountPath")) or "" for m in _list(primary.get("extraVolumeMounts"))]
    wal = wal_dir is not None and any(m and (wal_dir == m or wal_dir.startswith(m.rstrip("/") + "/"))
                                      for m in mounts)
    wal_said = at.said(f"postgresqlWalDir: {wal_dir}" if wal_dir else "postgresqlWalDir unset: pg_wal lives on the "
                       "primary's data volume", "postgresqlWalDir" if wal_dir else "primary")
    fullname = _str(values.get("fullnameOverride"))
    hosts: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    if fullname is None and release is not None:
        short = _str(values.get("nameOverride")) or "postgresql"
        fullname = release if short in release else f"{release}-{short}"
    if fullname is not None:
        lower = fullname.lower()
        hosts = (lower, f"{lower}-primary", f"{lower}-read", f"{lower}-hl")
    else:
        suffixes = ("-postgresql", "-postgresql-primary", "-postgresql-read")
    name = fullname or release or "postgresql"
    return Database(f"postgresql chart values ({origin})", "chart", name, namespace, at(), hosts, suffixes,
                    temporal=temporal or "temporal" in name.lower(), copies=copies, copies_said=said,
                    archiving=archiving, archiving_said=archived, wal_volume=wal, wal_said=wal_said)


def _workload(facts: DatabaseFacts, at: _At, obj: dict[object, object], kind: str, name: str,
              namespace: str | None) -> None:
    spec = _map(obj.get("spec"))
    template = _map(spec.get("template"))
    pod = _map(template.get("spec"))
    containers = [_map(c) for c in _list(pod.get("containers"))]
    images = [str(c.get("image", "")) for c in containers]
    pg = next((i for i, image in enumerate(images) if is_postgres_image(image)), None)
    pooler = next((i for i, image in enumerate(images) if is_pooler_image(image)), None)
    if pg is None and pooler is None:
        return
    meta = _map(obj.get("metadata"))
    labels = _labels(meta.get("labels"))
    pod_labels = _labels(_map(template.get("metadata")).get("labels"))
    lower = name.lower()
    hosts = tuple(dict.fromkeys(h for h in (lower, (_str(spec.get("serviceName")) or "").lower()) if h))
    if pg is None:
        assert pooler is not None
        env = _env(containers[pooler])
        facts.poolers.append(Pooler(f"PgBouncer {kind}", name, namespace, at("kind"), "", hosts_in_env(env), hosts,
                                    pod_labels))
        return
    container = containers[pg]
    base: _Path = ("spec", "template", "spec", "containers", pg)
    replicas = spec.get("replicas")
    copies = _int(replicas) if replicas is not None else 1
    said = at.said(f"spec.replicas: {replicas}" if replicas is not None else "spec.replicas unset (default 1)",
                   "spec", "replicas" if replicas is not None else "kind")
    ha = is_ha_image(images[pg])
    env = _env(container)
    argv = " ".join(str(a) for a in (*_list(container.get("command")), *_list(container.get("args"))))[:8192]
    volumes = [_map(v) for v in _list(pod.get("volumes"))]
    config_maps = tuple(str(_map(v.get("configMap")).get("name")) for v in volumes
                        if isinstance(_map(v.get("configMap")).get("name"), str))
    sidecar_archiver = any(any(t in _repo(image) for t in _ARCHIVE_TOOLS) for image in images)
    archive_env = sorted(k for k in env if _ARCHIVE_ENV.match(k))
    archiving: bool | None
    if _ARCHIVE_ON.search(argv) or archive_env or sidecar_archiver:
        archiving = True
        text = "archive_mode on in the container's arguments" if _ARCHIVE_ON.search(argv) else (
            f"environment {', '.join(archive_env)}" if archive_env else "a WAL archiving sidecar")
    elif config_maps or "config_file" in argv:
        archiving, text = None, f"its configuration comes from ConfigMap {', '.join(config_maps) or '(a file)'}"
    else:
        archiving, text = False, "no archive_mode in its arguments, no WAL-G/WAL-E/pgBackRest settings or sidecar"
    mounts = [(_str(_map(m).get("name")) or "", _str(_map(m).get("mountPath")) or "")
              for m in _list(container.get("volumeMounts"))]
    wal_dir = env.get("POSTGRES_INITDB_WALDIR") or env.get("POSTGRESQL_INITDB_WALDIR") or ""
    match = re.search(r"--waldir[= ](\S+)", argv)
    wal_dir = wal_dir or (match.group(1) if match else "")
    data_dir = env.get("PGDATA") or env.get("POSTGRESQL_DATA_DIR") or "/var/lib/postgresql/data"
    wal_mount = next((m for m in mounts if m[1] and (_wal_path(m[1]) or (wal_dir and wal_dir.startswith(m[1])))), None)
    data_mount = next((m for m in mounts if m[1] and data_dir.startswith(m[1].rstrip("/"))), None)
    wal = wal_mount is not None and (data_mount is None or wal_mount[0] != data_mount[0])
    wal_said = at.said(f"volume {wal_mount[0]} mounted at {wal_mount[1]}" if wal and wal_mount else
                       "no volume of its own for pg_wal: WAL is written to the data volume",
                       *base, "volumeMounts")
    facts.databases.append(Database(
        kind, "workload", name, namespace, at("kind"), hosts, temporal=_says_temporal(name, {**labels, **pod_labels}),
        copies=copies, copies_said=said, streams=True if ha else (None if (copies or 1) > 1 else True),
        archiving=archiving, archiving_said=at.said(text, *base, "image"), wal_volume=wal, wal_said=wal_said,
        config_maps=config_maps, pod_labels=pod_labels, kind=kind))


def _wal_path(mount: str) -> bool:
    last = mount.rstrip("/").rsplit("/", 1)[-1].lower()
    return last in ("pg_wal", "wal", "pgwal", "pg_xlog", "xlog") or last.endswith("-wal") or last.endswith("_wal")


def _env(container: dict[object, object]) -> dict[str, str]:
    """Literal environment values (a valueFrom reference has an empty value: its name still counts)."""
    found: dict[str, str] = {}
    for item in _list(container.get("env")):
        entry = _map(item)
        key = _str(entry.get("name"))
        if key:
            value = entry.get("value")
            found[key] = str(value)[:4096] if isinstance(value, (str, int)) else ""
    return found


_ZALANDO_KEYS = ("wal_s3_bucket", "wal_gs_bucket", "wal_az_storage_account", "WAL_S3_BUCKET", "WAL_GS_BUCKET",
                 "WALG_S3_PREFIX", "WALG_GS_PREFIX", "WALG_AZ_PREFIX", "WALE_S3_PREFIX", "AZURE_STORAGE_ACCOUNT")


def _configmap(facts: DatabaseFacts, at: _At, obj: dict[object, object], name: str, namespace: str | None) -> None:
    data = _map(obj.get("data"))
    keys = [k for k in data if isinstance(k, str)]
    if any(k in _ZALANDO_KEYS for k in keys):
        on = any(_str(data.get(k)) for k in _ZALANDO_KEYS)
        facts.archive_configs.append(ArchiveConfig("zalando", name, namespace, at("kind"), on))
        return
    for key in keys[:MAX_ITEMS]:
        value = data.get(key)
        if isinstance(value, str) and "archive_mode" in value:
            on = bool(_ARCHIVE_ON.search(value[:65536]))
            facts.archive_configs.append(ArchiveConfig("postgresql.conf", name, namespace, at("data", key), on))
            return
