"""Server Deployments of plain or rendered manifests, and server config text, as ``ServerConfig``s."""

from __future__ import annotations

import re

from tprlint.devsetup import is_dev_path
from tprlint.facts.kubernetes import Workload
from tprlint.facts.temporal_server.files import Evidence, ServerConfigText
from tprlint.facts.temporal_server.model import (
    DevLaunch,
    Image,
    ReplicaFloor,
    ServerConfig,
    ServiceSpec,
    Store,
    Value,
)
from tprlint.facts.temporal_server.settings import SERVICES, as_int
from tprlint.model import Location

# --- manifests -------------------------------------------------------------------------------

SERVER_IMAGE = re.compile(r"(^|/)temporalio/(server|auto-setup)(:|@|$)")
_START_DEV = re.compile(r"\bstart-dev\b")
_SERVICE_ARG = re.compile(r"--service[= ]([\w:,-]+)")
_BACKUP_TOOLS = re.compile(
    r"\b(pg_dump(all)?|pg_basebackup|mysqldump|mysqlpump|mariadb-dump|mariabackup|xtrabackup|cqlsh|"
    r"nodetool\s+snapshot|medusa|pgbackrest|wal-g|barman|velero|restic|kopia|backup|snapshot)\b", re.I)
_LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Rollout", "ReplicaSet", "Pod"})


def backup_cronjobs(workloads: list[Workload]) -> list[Evidence]:
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


def configs_from_manifests(workloads: list[Workload], replica_floor: ReplicaFloor, skip_chart: bool,
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


def config_from_text(text: ServerConfigText) -> ServerConfig:
    config = ServerConfig(kind="server-config", name=text.name, location=text.location,
                          anchor=f"server-config:{text.name}", dev=is_dev_path(text.location.path))
    if text.shards is not None and as_int(text.shards.value) is not None:
        config.shards = Value(as_int(text.shards.value), text.shards.location, "persistence.numHistoryShards")
    if text.log_level is not None:
        config.log_level = Value(text.log_level.value, text.log_level.location, "log.level")
    if text.sqlite is not None:
        config.stores.append(Store("default", "default", "sql", "sqlite", (), None, text.sqlite,
                                   "persistence.datastores.<store>.sql.pluginName"))
    for plane in text.tls:
        setattr(config, f"{plane.plane}_client_auth", Value(plane.client_auth, plane.location, plane.key))
    return config

