"""TPR520-TPR524: the PostgreSQL database behind the Temporal server.

Every workflow's state and history lives in the persistence database: when it is lost, so is every
running workflow, and when it stalls, the whole cluster does. The chapter asks for streaming replication,
point-in-time recovery (WAL archiving), WAL on a disk of its own, a connection pooler, and scheduled
backups. These rules judge a database only where the scan defines it and it serves Temporal: the
server's persistence host names one of its Services (a CloudNativePG ``<cluster>-rw``, a Zalando
``<name>``, a Crunchy ``<name>-primary``, a chart's ``<release>-postgresql``, a StatefulSet's Service),
or its name or labels say Temporal while a Temporal server is in the scan. A host the scan does not
define (a managed service such as ``*.rds.amazonaws.com``) is never passed nor failed: the items say
unknown, because only the provider's settings can answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import field, replace

from tprlint.devsetup import is_dev_path, says_production
from tprlint.facts.compose import ComposeConfig, ComposeService, is_dev_service
from tprlint.facts.database import (
    Database,
    Pooler,
    Said,
    ServiceRef,
    hosts_in_env,
    is_pooler_image,
    is_postgres_image,
)
from tprlint.link.compose_links import production_configs
from tprlint.model import Location
from tprlint.records import frozen, mutable
from tprlint.rules.context import Hit, Project, is_test_path

_SERVER_IMAGE = re.compile(r"(^|/)temporalio/(server|auto-setup)(:|@|$)")
_UNRESOLVED = ("{{", "${", "$(", "<")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
ATTEST = "only the provider's settings can say: confirm them there and attest the item"


@frozen
class Host:
    text: str  # as written
    name: str  # the first DNS label: a Service name inside the cluster
    namespace: str | None  # `svc.ns`, `svc.ns.svc.cluster.local`
    external: bool  # a fully qualified name outside the cluster, or an IP address
    unresolved: bool  # templated: `{{ .Values.db }}`, `${DB_HOST}`


def parse_host(raw: str) -> Host:
    """A persistence host as the server's settings write it: `db:5432`, `postgres://u@db.ns.svc/x`."""
    text = raw.strip()
    if any(marker in text for marker in _UNRESOLVED) or not text:
        return Host(raw, "", None, False, True)
    host = text.lower().split("://", 1)[-1].rsplit("@", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    if host.startswith("["):  # [::1]:5432
        return Host(raw, host, None, True, False)
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    if _IP.match(host):
        return Host(raw, host, None, True, False)
    parts = [p for p in host.split(".") if p]
    if not parts:
        return Host(raw, "", None, False, True)
    if len(parts) == 1:
        return Host(raw, parts[0], None, False, False)
    if len(parts) == 2 or parts[2] == "svc":
        return Host(raw, parts[0], parts[1], False, False)
    return Host(raw, parts[0], None, True, False)


@frozen
class ServerHost:
    server: str  # the Temporal server's description (ServerConfig.name, or the compose service)
    host: Host
    location: Location
    compose_folder: str | None = None  # a compose server: only services of its own configuration


@mutable
class Judged:
    """A database in the scan that serves Temporal, and how the server reaches it."""

    database: Database
    server: str
    how: str  # "reached at `temporal-db-rw:5432`", "named for Temporal"
    via_pooler: list[str] = field(default_factory=list)  # poolers the server connects through
    direct: list[str] = field(default_factory=list)  # hosts the server reaches it by without a pooler


@mutable
class Outside:
    server_host: ServerHost
    why: str


@mutable
class Linked:
    judged: list[Judged]
    outside: list[Outside]
    poolers: list[Pooler]
    patched: list[Judged] = field(default_factory=list)  # changed by a kustomize overlay: not judged as written


# --- the Temporal side -------------------------------------------------------------------------


def _server_hosts(project: Project) -> list[ServerHost]:
    found: list[ServerHost] = []
    for config in project.temporal_servers.judged():
        if is_test_path(config.location.path):
            continue
        for store in config.stores:
            if store.driver != "sql" or not (store.plugin or "postgres").startswith("postgres"):
                continue
            found += [ServerHost(config.name, parse_host(h), store.location) for h in store.hosts]
        for spec in config.services:
            workload = spec.workload
            for container in workload.containers if workload is not None else ():
                if not _SERVER_IMAGE.search(container.image):
                    continue
                env = {e.name: e for e in container.env}
                db, seeds = env.get("DB"), env.get("POSTGRES_SEEDS")
                if seeds is None or seeds.value is None or (db and db.value and "postgres" not in db.value):
                    continue
                found += [ServerHost(config.name, parse_host(h), seeds.location) for h in seeds.value.split(",")]
    for compose in production_configs(project.compose_configs):
        for service in compose.services:
            if is_dev_service(service) or not service.image or not _SERVER_IMAGE.search(service.image):
                continue
            compose_env = {e.name: e for e in service.environment}
            chosen, listed = compose_env.get("DB"), compose_env.get("POSTGRES_SEEDS")
            if listed is None or listed.value is None or (chosen and chosen.value and "postgres" not in chosen.value):
                continue
            label = f"compose service {service.name} ({compose.label})"
            found += [ServerHost(label, parse_host(h), listed.location, compose.folder)
                      for h in listed.value.split(",")]
    return list({(s.server, s.host.text): s for s in found}.values())


# --- the database side -------------------------------------------------------------------------


def _production(project: Project, location: Location, *names: str | None) -> bool:
    if is_test_path(location.path):
        return False
    return project.config.scope == "all" or not is_dev_path(location.path) or says_production(*names)


def _compose_database(config: ComposeConfig, service: ComposeService) -> Database:
    where = service.image_location or service.location
    argv = " ".join((*(service.entrypoint or ()), *(service.command or ())))
    archiving: bool | None = False
    said = "no archive_mode in its command"
    if re.search(r"archive_mode\s*=?\s*['\"]?(on|always)\b", argv):
        archiving, said = True, "archive_mode on in its command"
    elif "config_file" in argv:
        archiving, said = None, "its postgresql.conf is a mounted file"
    env = {e.name: e for e in service.environment}
    wal = env.get("POSTGRES_INITDB_WALDIR")
    return Database(
        "compose service", "compose", service.name, None, service.location, (service.name.lower(),),
        copies=1, copies_said=Said(f"one container of {service.image}", where), streams=True,
        archiving=archiving, archiving_said=Said(said, service.command_location or where),
        wal_volume=None if wal is not None else False,
        wal_said=Said("POSTGRES_INITDB_WALDIR set" if wal is not None else
                      "no POSTGRES_INITDB_WALDIR: pg_wal lives in the data directory's volume",
                      wal.location if wal is not None else where),
    )


def _compose_parts(project: Project) -> tuple[list[tuple[Database, str]], list[Pooler]]:
    """Databases of production compose configurations, with the folder of the configuration, and poolers."""
    databases: list[tuple[Database, str]] = []
    poolers: list[Pooler] = []
    for config in production_configs(project.compose_configs):
        for service in config.services:
            if is_dev_service(service) or not service.image:
                continue
            if is_postgres_image(service.image):
                databases.append((_compose_database(config, service), config.folder))
            elif is_pooler_image(service.image):
                env = {e.name: e.value or "" for e in service.environment}
                poolers.append(Pooler("PgBouncer compose service", service.name, None, service.location, "",
                                      hosts_in_env(env), (service.name.lower(),)))
    return databases, poolers


def _answers(names: tuple[str, ...], namespace: str | None, host: Host) -> bool:
    return host.name in names and (host.namespace is None or namespace is None or host.namespace == namespace)


def _reaches(database: Database, host: Host) -> bool:
    return _answers(database.hosts, database.namespace, host) or (
        not database.hosts and any(host.name.endswith(s) for s in database.host_suffixes))


def _fronts(pooler: Pooler, database: Database) -> bool:
    """The pooler forwards to this database."""
    if pooler.cluster and database.family == "cnpg":
        return pooler.cluster == database.name.lower() and (
            pooler.namespace is None or database.namespace is None or pooler.namespace == database.namespace)
    return any(_reaches(database, parse_host(target)) for target in pooler.targets)


def _with_services(project: Project) -> tuple[list[Database], list[Pooler]]:
    """Databases and poolers, with the names of the Services in their files that select their pods.
    Kustomize patch files are fragments of the objects they patch, never objects of their own."""
    databases: list[Database] = []
    poolers: list[Pooler] = []
    patch_files = {p.file for facts in project.databases for p in facts.patches if p.file}
    for facts in project.databases:
        for database in facts.databases:
            if database.location.path in patch_files:
                continue
            extra = _selecting(facts.services, database.namespace, database.pod_labels)
            databases.append(_extend(database, extra))
        for pooler in facts.poolers:
            extra = _selecting(facts.services, pooler.namespace, pooler.pod_labels)
            if extra:
                pooler = Pooler(pooler.source, pooler.name, pooler.namespace, pooler.location, pooler.cluster,
                                pooler.targets, tuple(dict.fromkeys((*pooler.hosts, *extra))), pooler.pod_labels)
            poolers.append(pooler)
    return databases, poolers


def _selecting(services: list[ServiceRef], namespace: str | None, labels: dict[str, str]) -> tuple[str, ...]:
    """Services of the same file whose selector matches the pods' labels."""
    return tuple(s.name for s in services if labels and s.selector and s.namespace in (None, namespace)
                 and all(labels.get(k) == v for k, v in s.selector.items()))


def _extend(database: Database, extra: tuple[str, ...]) -> Database:
    return replace(database, hosts=tuple(dict.fromkeys((*database.hosts, *extra)))) if extra else database


def link(project: Project) -> Linked:
    """The databases in the scan that serve Temporal, and the persistence hosts the scan does not define.
    Derived once per project: five rules and two subject families ask."""
    return project.derived("database-link", _link)


def _link(project: Project) -> Linked:
    servers = _server_hosts(project)
    databases, poolers = _with_services(project)
    compose_dbs, compose_poolers = _compose_parts(project)
    folders = {id(d): folder for d, folder in compose_dbs}
    databases = [d for d in databases if _production(project, d.location, d.name, d.namespace)]
    databases += [d for d, _ in compose_dbs]
    poolers = [p for p in poolers if _production(project, p.location, p.name, p.namespace)] + compose_poolers
    judged: dict[int, Judged] = {}
    outside: list[Outside] = []
    for server_host in servers:
        host = server_host.host
        if host.unresolved:
            outside.append(Outside(server_host, f"its persistence host `{host.text}` cannot be resolved"))
            continue
        candidates = [d for d in databases if _visible(d, folders.get(id(d)), server_host)]
        pooler = next((p for p in poolers if _answers(p.hosts, p.namespace, host)), None)
        if pooler is not None:
            targets = [d for d in candidates if _fronts(pooler, d)]
            if not targets:
                outside.append(Outside(server_host, f"it connects through {pooler.source} {pooler.name}, whose "
                                       "database is not defined in the scan"))
            for target in targets:
                entry = judged.setdefault(id(target), Judged(target, server_host.server, f"reached at `{host.text}`"))
                entry.via_pooler.append(f"{pooler.source} {pooler.name}")
            continue
        database = next((d for d in candidates if _reaches(d, host)), None)
        if database is None:
            pooled = next((d for d in candidates if _answers(d.pooler_hosts, d.namespace, host)), None)
            if pooled is not None:
                entry = judged.setdefault(id(pooled), Judged(pooled, server_host.server, f"reached at `{host.text}`"))
                entry.via_pooler.append(f"the pooler of {pooled.source} {pooled.name}")
                continue
            kind = "a host outside the cluster" if host.external else "a host no object in the scan defines"
            outside.append(Outside(server_host, f"its persistence host `{host.text}` is {kind} (a managed database "
                                   "service, or one deployed from another repository)"))
            continue
        entry = judged.setdefault(id(database), Judged(database, server_host.server, f"reached at `{host.text}`"))
        entry.direct.append(host.text)
    if servers or project.temporal_servers.judged():
        first = servers[0].server if servers else project.temporal_servers.judged()[0].name
        for database in databases:
            if database.temporal and id(database) not in judged and database.family != "compose":
                judged[id(database)] = Judged(database, first, "named for Temporal")
    patched = _patched(project)
    kept = [j for j in judged.values() if (j.database.kind, j.database.name) not in patched]
    return Linked(kept, outside, poolers, [j for j in judged.values() if j not in kept])


def _patched(project: Project) -> set[tuple[str, str]]:
    """(kind, name) of the objects a kustomize patch changes: named by the patch's target, or by the
    object the patch file holds."""
    found = {(p.kind, p.name) for facts in project.databases for p in facts.patches if p.kind}
    files = {p.file for facts in project.databases for p in facts.patches if p.file}
    found |= {(d.kind, d.name) for facts in project.databases for d in facts.databases if d.location.path in files}
    return found


def _visible(database: Database, folder: str | None, server_host: ServerHost) -> bool:
    """A compose server reaches only the services of its own configuration; a cluster's server only the
    cluster's objects."""
    if folder is not None:
        return server_host.compose_folder == folder
    return server_host.compose_folder is None


def _anchor(database: Database, what: str) -> str:
    return f"database/{database.family}/{database.namespace or 'default'}/{database.name}/{what}"


def _named(judged: Judged) -> str:
    database = judged.database
    where = f" in namespace {database.namespace}" if database.namespace else ""
    return f"{database.source} {database.name}{where}, the database of {judged.server} ({judged.how})"


def _outside(project: Project, rule_id: str, topic: str) -> None:
    """What the rule cannot judge: databases outside the scan, and databases a kustomize overlay patches."""
    linked = link(project)
    for entry in linked.outside:
        where = entry.server_host
        project.undecided(rule_id, f"{topic} of the database behind {where.server}",
                          f"{entry.why}; {ATTEST}", where.location)
    for judged in linked.patched:
        project.undecided(rule_id, _named(judged), "a kustomize overlay patches it, and the database rules read "
                          "it as written", judged.database.location)


# --- the rules -------------------------------------------------------------------------------


def no_replication(project: Project) -> Iterator[Hit]:
    """TPR520: one copy of the data."""
    _outside(project, "TPR520", "the replication")
    for judged in link(project).judged:
        database = judged.database
        said = database.copies_said or Said("", database.location)
        if database.copies is None:
            project.undecided("TPR520", _named(judged), f"its instance count cannot be read ({said.text})",
                              said.location)
        elif database.copies < 2:
            yield Hit(said.location, f"{_named(judged)}: it runs a single PostgreSQL instance ({said.text}): no "
                      "standby streams its WAL, so a lost node or volume takes every workflow's state and history with "
                      "it, and each restart or upgrade stops the Temporal cluster. Run a primary and at least one "
                      "streaming replica (CloudNativePG `instances: 3`, Zalando `numberOfInstances: 2`, Crunchy "
                      "`replicas: 2`, the postgresql chart's `architecture: replication`), or a managed HA "
                      "database.", anchor=_anchor(database, "replication"))
        elif database.streams is None:
            project.undecided("TPR520", _named(judged), f"it runs {database.copies} pods of a plain PostgreSQL "
                              f"image ({said.text}); whether they stream to each other depends on their "
                              "configuration", said.location)


def no_wal_archiving(project: Project) -> Iterator[Hit]:
    """TPR521: no WAL archive, so no point-in-time recovery."""
    _outside(project, "TPR521", "WAL archiving")
    configs = [c for facts in project.databases for c in facts.archive_configs]
    for judged in link(project).judged:
        database = judged.database
        said = database.archiving_said or Said("", database.location)
        archiving = database.archiving
        if archiving is None and database.family == "zalando":
            found = [c for c in configs if c.kind == "zalando"]
            archiving = any(c.archiving for c in found) if found else None
            if found and not archiving:
                said = Said(f"{said.text}; the operator configuration {found[0].name} sets no WAL bucket",
                            said.location)
        elif archiving is None and database.config_maps and database.family == "workload":
            found = [c for c in configs if c.kind == "postgresql.conf" and c.name in database.config_maps]
            archiving = any(c.archiving for c in found) if found else None
        if archiving is None:
            project.undecided("TPR521", _named(judged), f"whether WAL is archived is not in the scan: {said.text}",
                              said.location)
        elif not archiving:
            yield Hit(said.location, f"{_named(judged)}: it archives no WAL ({said.text}): it can only be restored to "
                      "its last base backup, and every workflow started or advanced since is lost. Archive WAL to "
                      "object storage for point-in-time recovery (CloudNativePG `spec.backup.barmanObjectStore` or "
                      "the Barman Cloud plugin, Crunchy pgBackRest repos, WAL-G for Zalando, `archive_mode = on` "
                      "with an `archive_command` elsewhere).", anchor=_anchor(database, "pitr"))


def wal_on_data_volume(project: Project) -> Iterator[Hit]:
    """TPR522: pg_wal shares the data volume."""
    _outside(project, "TPR522", "the WAL volume")
    for judged in link(project).judged:
        database = judged.database
        said = database.wal_said or Said("", database.location)
        if database.wal_volume is None:
            project.undecided("TPR522", _named(judged), f"where pg_wal lives is not in the scan ({said.text})",
                              said.location)
        elif not database.wal_volume:
            yield Hit(said.location, f"{_named(judged)}: it writes its WAL to the data volume ({said.text}). Temporal "
                      "commits every workflow task, so WAL writes are constant: on a shared disk they compete with "
                      "table reads and checkpoints, and a WAL that fills the disk (a stuck archive or replica) "
                      "stops the database. Give pg_wal a volume of its own (CloudNativePG `spec.walStorage`, "
                      "Crunchy `walVolumeClaimSpec`, a second volumeClaimTemplate mounted at the WAL "
                      "directory).", anchor=_anchor(database, "wal-disk"))


def no_pooler(project: Project) -> Iterator[Hit]:
    """TPR523: the server connects straight to PostgreSQL."""
    _outside(project, "TPR523", "connection pooling")
    linked = link(project)
    for judged in linked.judged:
        database = judged.database
        fronting = [f"{p.source} {p.name}" for p in linked.poolers if _fronts(p, database)]
        if database.pooler:
            fronting.append(f"the built-in pooler of {database.source} {database.name}")
        if judged.via_pooler and not judged.direct:
            continue
        if judged.direct and fronting:
            yield Hit(database.location, f"{_named(judged)}: it has a connection pooler ({', '.join(fronting)}), but "
                      f"the Temporal server connects to `{judged.direct[0]}` directly, past it. Point the server's "
                      "persistence host at the pooler's Service.", anchor=_anchor(database, "pooler"))
        elif not judged.direct and fronting:
            continue  # linked by name: a pooler in front of it is the evidence
        elif not fronting:
            yield Hit(database.location, f"{_named(judged)}: it has no connection pooler in front of it: each "
                      "Temporal service pod opens its own connections (`maxConns` per store, times every history, "
                      "matching, frontend and worker pod), and scaling the server out exhausts PostgreSQL's "
                      "`max_connections`. Put PgBouncer in front of it (a CloudNativePG `Pooler`, Crunchy "
                      "`proxy.pgBouncer`, Zalando `enableConnectionPooler`, or a PgBouncer Deployment) and point "
                      "the server's persistence host at it.", anchor=_anchor(database, "pooler"))


def no_scheduled_backup(project: Project) -> Iterator[Hit]:
    """TPR524: an operator cluster with a backup target, but no base backup on a schedule."""
    schedules = [s for facts in project.databases for s in facts.schedules]
    for patched in link(project).patched:
        if patched.database.backup_target:
            project.undecided("TPR524", _named(patched), "a kustomize overlay patches it, and the database rules "
                              "read it as written", patched.database.location)
    for judged in link(project).judged:
        database = judged.database
        if not database.backup_target:
            continue  # no backup target at all: TPR521 and TPR901 say so
        if database.family == "cnpg":
            if any(s.cluster == database.name.lower() and (s.namespace or None) in (None, database.namespace)
                   for s in schedules):
                continue
            what = "no ScheduledBackup names it in spec.cluster"
        elif database.backup_scheduled is False:
            what = (database.backup_said or Said("", database.location)).text
        else:
            continue
        yield Hit(database.location, f"{_named(judged)}: it has a backup target, but {what}: the operator takes no "
                  "base backup on its own after the first, so the WAL to replay grows without end and a restore "
                  "takes as long as the archive is old. Schedule base backups at least daily (a CloudNativePG "
                  "`ScheduledBackup`, `schedules.full` on a Crunchy pgBackRest repo).",
                  anchor=_anchor(database, "backups"))


def scheduled_backup_subjects(project: Project) -> Iterator[str]:
    """The databases TPR524 applies to: operator clusters with a backup target."""
    for judged in link(project).judged:
        database = judged.database
        if database.backup_target and (database.family == "cnpg" or database.backup_scheduled is not None):
            yield database.location.path


def database_subjects(project: Project) -> Iterator[str]:
    """The databases TPR520-TPR523 judge."""
    return (judged.database.location.path for judged in link(project).judged)


RULES = {"TPR520": no_replication, "TPR521": no_wal_archiving, "TPR522": wal_on_data_volume, "TPR523": no_pooler,
         "TPR524": no_scheduled_backup}
