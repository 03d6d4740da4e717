"""Rules on Temporal server deployments (TPR501-TPR513); operations evidence (TPR901, TPR902) is in
``rules.monitoring``.

They judge :class:`tprlint.facts.temporal_server.ServerConfig` — one per Helm release variant (values
files merged in order), ``TemporalCluster`` resource, or group of server Deployments — so every source
is held to the same standard. Development variants (``values-dev.yaml``, ``deploy/local/``) and test
paths are not judged. Where a value cannot be known the model holds ``None`` and the rules stay silent.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator

from tprlint.facts.kubernetes import Workload
from tprlint.facts.temporal_server import JUDGED_SERVICES, ServerConfig, ServiceSpec, Value, is_dev_path
from tprlint.facts.temporal_server.helm_commands import LATEST, ChartInstall, chart_installs, install_for
from tprlint.rules import compose
from tprlint.rules.context import Hit, Project, is_test_path

_MINIMUM_FIELDS = {
    "frontend": "frontend_min_replicas",
    "history": "history_min_replicas",
    "matching": "matching_min_replicas",
    "worker": "worker_service_min_replicas",
}
_WHY_REPLICAS = {
    "frontend": "every client and worker call (start, signal, query, poll, complete) goes through it, so one pod "
                "restart, eviction or node drain is an outage of the whole Temporal API",
    "history": "it owns the history shards and moves every workflow forward; when one of too few pods restarts, "
               "every workflow on the shards it held stalls until the shards move, and the rest take its load",
    "matching": "it holds the task queues and hands tasks to workers; a restart stalls dispatch on every task "
                "queue partition it owned",
    "worker": "it runs Temporal's own system workflows (schedules, batch operations, namespace deletion and "
              "replication, archival); with a single pod they stop whenever it restarts",
}


def _judged(project: Project) -> list[ServerConfig]:
    return [c for c in project.temporal_servers.judged() if not is_test_path(c.location.path)]


def _source(value: Value) -> str:
    if value.origin == "default":
        return value.note or f"{value.key} unset"
    shown = f"{value.key}: {value.value}" if value.key and not value.key.startswith(("spec.replicas", "Horizontal",
                                                                                      "ScaledObject")) \
        else value.key
    return f"{shown}; {value.note}" if value.note else shown


def _unique(hits: Iterable[tuple[tuple[object, ...], Hit]]) -> Iterator[Hit]:
    """Variants of one release share files: report each place once."""
    seen: set[tuple[object, ...]] = set()
    for key, hit in hits:
        if key not in seen:
            seen.add(key)
            yield hit


# --- TPR501 ----------------------------------------------------------------------------------


def judged_by_server_rules(project: Project, workload: Workload, what: str) -> bool:
    """Whether a server rule already judges this workload's ``what`` ("replicas": TPR501 reads its
    spec.replicas; "resources" and "budget": TPR511 reads the Helm values it is rendered from),
    so that the generic TPR404/TPR405/TPR406 do not report the same problem a second time."""
    for config in _judged(project):
        rendered = config.kind == "helm-values" and workload.location.path.startswith(_chart_folder(config) + "/")
        if what == "replicas" and any((s.workload is workload or (rendered and _serves(workload, s.name)))
                                      and s.replicas is not None and s.name in _MINIMUM_FIELDS
                                      for s in config.services):
            return True
        flagged = ((what == "resources" and (any(s.resources is False for s in config.services)
                                             or any(not r.memory_limit for r in config.service_resources)))
                   or (what == "budget" and any(s.budget is False for s in config.services)))
        if flagged and rendered and any(_serves(workload, spec.name) for spec in config.services):
            return True  # a server service of this chart (not its web UI or admin tools)
    return False


def _chart_folder(config: ServerConfig) -> str:
    """The chart a Helm values configuration renders: its values file's folder, or the folder above
    a `values/` folder of overlays (`values/values.postgresql.yaml`)."""
    folder = posixpath.dirname(config.location.path)
    return posixpath.dirname(folder) if posixpath.basename(folder) == "values" else folder


def _serves(workload: Workload, service: str) -> bool:
    """Is this rendered workload the chart's ``service`` (its component label, or the chart's
    `<release>-<service>` name)?"""
    component = workload.pod_labels.get("app.kubernetes.io/component") or workload.labels.get(
        "app.kubernetes.io/component")
    return component == service if component else workload.name.endswith(f"-{service}")


def server_replicas_below_minimum(project: Project) -> Iterator[Hit]:
    """TPR501."""
    yield from _unique(_replica_hits(project))


def _replica_hits(project: Project) -> Iterator[tuple[tuple[object, ...], Hit]]:
    thresholds = project.config.thresholds
    minimums = {svc: int(getattr(thresholds, name)) for svc, name in _MINIMUM_FIELDS.items()}
    for config in _judged(project):
        for spec in config.services:
            replicas = spec.replicas
            if replicas is None or not isinstance(replicas.value, int):
                continue
            if spec.name == "all":
                hit = _all_in_one(config, spec, replicas, minimums)
                if hit is not None:
                    yield (hit.location, "all"), hit
                continue
            minimum = minimums.get(spec.name)
            if minimum is None or replicas.value >= minimum:
                continue
            where = f" ({spec.workload.kind} {spec.workload.name})" if spec.workload is not None else ""
            count = replicas.value
            message = (
                f"The Temporal {spec.name} service{where} runs {count} replica{'' if count == 1 else 's'} "
                f"({_source(replicas)}), below the minimum of {minimum}: {_WHY_REPLICAS[spec.name]}. "
                f"Set {spec.fix or replicas.key} to {minimum} or more."
            )
            anchor = f"{spec.workload.ref}/{spec.name}" if spec.workload is not None else f"{config.anchor}/{spec.name}"
            yield (replicas.location, spec.name), Hit(replicas.location, message, anchor=anchor)


def _all_in_one(config: ServerConfig, spec: ServiceSpec, replicas: Value, minimums: dict[str, int]) -> Hit | None:
    assert isinstance(replicas.value, int)
    below = [f"{svc} {minimums[svc]}" for svc in JUDGED_SERVICES if replicas.value < minimums[svc]]
    if not below:
        return None
    workload = spec.workload
    what = f"{workload.kind} {workload.name}" if workload is not None else config.name
    count = replicas.value
    return Hit(
        replicas.location,
        f"{what} runs every Temporal service (frontend, history, matching, worker) in the same pods, "
        f"{count} replica{'' if count == 1 else 's'} ({_source(replicas)}): below the minimums "
        f"({', '.join(below)}). One pod restart stops the API, workflow progress and task dispatch at once. "
        "Run each service as its own Deployment (env SERVICES=frontend, history, matching, worker - as the "
        "temporal Helm chart does) with at least those replicas.",
        anchor=f"{workload.ref}/all" if workload is not None else f"{config.anchor}/all",
    )


# --- TPR502 ----------------------------------------------------------------------------------


def history_shards_too_low(project: Project) -> Iterator[Hit]:
    """TPR502."""
    minimum = int(project.config.thresholds.min_history_shards)
    hits = []
    for config in _judged(project):
        shards = config.shards
        if shards is None or not isinstance(shards.value, int) or shards.value >= minimum:
            continue
        hits.append(((shards.location,), Hit(
            shards.location,
            f"numHistoryShards is {shards.value} ({_source(shards)}), below the minimum of {minimum}. The shard "
            "count can never be changed after the cluster is created: the server keeps the value it was "
            "first started with and ignores a new one (it only logs a mismatch), so a cluster that outgrows "
            "its shards (lock contention, latency under load) needs a new cluster and a migration. Set "
            f"{shards.key} to at least {minimum} (1024-4096 for large clusters; a power of two) before the "
            "first deployment.",
            anchor=f"{config.anchor}/numHistoryShards",
        )))
    yield from _unique(hits)


# --- TPR503 ----------------------------------------------------------------------------------


def dev_server_in_production(project: Project) -> Iterator[Hit]:
    """TPR503."""
    hits = []
    for config in _judged(project):
        for launch in config.dev_launches:
            if is_dev_path(launch.location.path) or is_test_path(launch.location.path):
                continue
            hits.append(((launch.location,), Hit(
                launch.location,
                f"{config.name} runs a Temporal development server: {launch.what}. `temporal server "
                "start-dev` and temporalite run every service in one process on SQLite (in memory unless a "
                "file is given), and the `temporalio/auto-setup` image is deprecated, receives no updates "
                "and creates or migrates the schema on every start; none of them is meant for production. "
                "Deploy `temporalio/server` per service (the temporal Helm chart or the Temporal operator) "
                "against a production database, and run schema setup and upgrades with "
                "`temporalio/admin-tools`.",
                anchor=launch.anchor,
            )))
    yield from _unique(hits)


# --- TPR504 / TPR505 -------------------------------------------------------------------------


def dev_persistence(project: Project) -> Iterator[Hit]:
    """TPR504."""
    hits = []
    for config in _judged(project):
        for store in config.stores:
            if (store.plugin or "").lower().startswith("sqlite") or store.driver == "sqlite":
                hits.append(((store.location,), Hit(
                    store.location,
                    f"The {store.role} store of {config.name} uses SQLite ({store.key}): a file (or memory) "
                    "inside one pod, so the cluster cannot run more than one replica of anything and loses "
                    "every workflow when the volume does. Use PostgreSQL 12+, MySQL 8.0+ or Cassandra with "
                    "replication.",
                    anchor=f"{config.anchor}/{store.name}",
                )))
            replication = store.replication
            if replication is not None and isinstance(replication.value, int) and replication.value < 2:
                hits.append(((replication.location,), Hit(
                    replication.location,
                    f"The {store.role} store of {config.name} keeps one copy of its data "
                    f"({replication.key}: {replication.value}): losing one Cassandra node loses or blocks the "
                    "workflows stored on it. Use replicationFactor 3 with LOCAL_QUORUM/LOCAL_SERIAL consistency "
                    "(set before the keyspace is created, or ALTER the keyspace and repair).",
                    anchor=f"{config.anchor}/{store.name}/replication",
                )))
        for value in config.dev_persistence:
            hits.append(((value.location,), Hit(
                value.location,
                f"{config.name} deploys the bundled `{value.key.rsplit('.', 2)[-2]}` sub-chart of the legacy "
                f"temporal chart ({value.key}: true), {value.note}. These sub-charts are demo-grade: no "
                "backups, no tuning, removed from chart 1.0. Run the database outside the chart (a managed "
                "service or an operator with replication and persistent volumes) and point "
                "server.config.persistence at it.",
                anchor=f"{config.anchor}/{value.key}",
            )))
    yield from _unique(hits)


def no_advanced_visibility(project: Project) -> Iterator[Hit]:
    """TPR505."""
    hits = []
    for config in _judged(project):
        if any(s.role == "advancedVisibility" for s in config.stores):
            continue
        if config.legacy_persistence and config.es_visibility is not False:
            continue  # the legacy chart's bundled/external Elasticsearch may serve visibility
        for store in config.stores:
            if store.role not in ("visibility", "secondaryVisibility"):
                continue
            plugin = (store.plugin or "").lower()
            if store.driver == "cassandra":
                why = ("Cassandra visibility (\"standard visibility\") was deprecated in server 1.21 and removed "
                       "in 1.24, and the current temporal chart refuses to render it")
            elif store.driver == "sql" and plugin in ("mysql", "postgres"):
                why = (f"the `{plugin}` plugin is standard visibility for MySQL 5.7 / PostgreSQL < 12, deprecated "
                       "and removed in server 1.24 (no custom search attributes, limited list filters)")
            else:
                continue
            hits.append(((store.location,), Hit(
                store.location,
                f"The visibility store of {config.name} ({store.key}) is not advanced visibility: {why}. Use "
                "Elasticsearch 7+/OpenSearch 2+, or SQL advanced visibility (pluginName mysql8 or postgres12 "
                "on MySQL 8.0.17+ / PostgreSQL 12+).",
                anchor=f"{config.anchor}/{store.name}",
            )))
    yield from _unique(hits)


# --- TPR506 / TPR507 / TPR508 ----------------------------------------------------------------


def server_tls_disabled(project: Project) -> Iterator[Hit]:
    """TPR506."""
    hits = []
    for config in _judged(project):
        planes = [(name, value) for name, value in (("frontend", config.tls_frontend),
                                                    ("internode", config.tls_internode))
                  if value is not None and value.value is False]
        if not planes:
            continue
        where = config.tls_location or config.location
        names = " and ".join(name for name, _ in planes)
        keys = ", ".join(f"{v.key}{'' if v.origin == 'set' else ' (unset)'}" for _, v in planes)
        if config.kind == "operator":
            fix = ("Enable spec.mTLS (provider cert-manager with frontend.enabled and internode.enabled, or "
                   "provider istio/linkerd when a mesh encrypts pod traffic).")
        else:
            fix = ("Enable server.tls.frontend and server.tls.internode (with certificates from a Secret), or "
                   "configure server.config.tls frontend/internode certFile, keyFile and clientCaFiles. If a "
                   "service mesh encrypts pod traffic, say so with the sidecar injection label in "
                   "server.podLabels or suppress this finding.")
        hits.append(((where,), Hit(
            where,
            f"{config.name} runs the Temporal server without TLS for {names} traffic ({keys}): workflow "
            "payloads, signals and credentials cross the network in clear text, and anyone who can reach "
            f"the ports can join or impersonate cluster members. {fix}",
            anchor=f"{config.anchor}/tls",
        )))
    yield from _unique(hits)


def server_no_authorizer(project: Project) -> Iterator[Hit]:
    """TPR507."""
    hits = []
    for config in _judged(project):
        authorizer = config.authorizer
        if authorizer is None or authorizer.value not in ("", None) or not config.official_image:
            continue
        state = "unset" if authorizer.origin == "default" else "empty"
        fix = ("set spec.authorization.authorizer: default and claimMapper: default with "
               "jwtKeyProvider.keySourceURIs" if config.kind == "operator" else
               "set server.config.authorization.authorizer: default and claimMapper: default with "
               "jwtKeyProvider.keySourceURIs (your identity provider's JWKS)")
        hits.append(((authorizer.location,), Hit(
            authorizer.location,
            f"{config.name} configures no authorizer ({authorizer.key} {state}), so the server uses its no-op "
            "authorizer and allows every API call: anyone who can reach the frontend can start, terminate, "
            "read or reset any workflow and register or delete namespaces. To fix, " + fix + ", or plug in a "
            "custom Authorizer and ClaimMapper in your own server build.",
            anchor=f"{config.anchor}/authorizer",
        )))
    yield from _unique(hits)


def server_metrics_disabled(project: Project) -> Iterator[Hit]:
    """TPR508."""
    hits = []
    monitored = bool(project.temporal_servers.monitors)
    for config in _judged(project):
        enabled = config.metrics_enabled
        if enabled is not None and enabled.value is False:
            fix = ("set spec.metrics.enabled: true with spec.metrics.prometheus (and a scrapeConfig)"
                   if config.kind == "operator" else
                   "restore server.config.metrics.prometheus (listenAddress \"0.0.0.0:9090\")")
            state = "unset: the operator's default is off" if enabled.origin == "default" else "off"
            hits.append(((enabled.location,), Hit(
                enabled.location,
                f"{config.name} exposes no server metrics ({enabled.key} {state}): without service_requests/"
                "errors/latency, persistence latency and shard lock contention (semaphore_latency) an "
                f"overloaded or failing cluster goes unnoticed. To fix, {fix}.",
                anchor=f"{config.anchor}/metrics",
            )))
        elif config.unscraped and not monitored:
            where = config.scrape_location or config.location
            hits.append(((where,), Hit(
                where,
                f"Nothing scrapes the metrics of the Temporal {', '.join(config.unscraped)} service"
                f"{'' if len(config.unscraped) == 1 else 's'} of {config.name}: the Prometheus pod annotations "
                "are disabled (server.metrics.annotations.enabled: false) and no ServiceMonitor is enabled "
                "(server.metrics.serviceMonitor.enabled) or present in the scanned manifests. Enable one of "
                "them so the server's metrics reach your monitoring.",
                anchor=f"{config.anchor}/scrape",
            )))
    yield from _unique(hits)


# --- TPR509 / TPR510 / TPR511 ----------------------------------------------------------------


def plaintext_db_password(project: Project) -> Iterator[Hit]:
    """TPR509."""
    hits = []
    for config in _judged(project):
        for secret in config.passwords:
            if is_dev_path(secret.location.path):
                continue
            env = secret.key.endswith(".value")
            fix = ("take the variable from a Secret (valueFrom.secretKeyRef, or additionalEnvSecretName)" if env
                   else "reference a Kubernetes Secret instead (existingSecret and secretKey on the store), or "
                        "use passwordCommand (server 1.31+)")
            hits.append(((secret.location,), Hit(
                secret.location,
                f"A database password is written in {config.name} as a literal ({secret.key}; value not "
                "shown): everyone who can read the repository, the CI logs or the rendered release can read "
                f"it, and rotating it means a commit. To fix, {fix}, and rotate the exposed password.",
                anchor=f"{config.anchor}/{secret.key}",
                redact_source=True,
            )))
    yield from _unique(hits)


# The UI has no schema: what moves under it is its compatibility with the server it talks to.
_UI_DRIFT = "a pod restart can bring a UI release made for another server version than the one it talks to"


def server_image_unpinned(project: Project) -> Iterator[Hit]:
    """TPR510. Plain Kubernetes manifests are TPR409's: this rule reads Helm values and operator resources."""
    hits = []
    for config in _judged(project):
        if config.kind not in ("helm-values", "operator"):
            continue
        for image in config.images:
            if (image.tag or "").lower() != "latest" and not image.reference.lower().endswith(":latest"):
                continue
            risk = (_UI_DRIFT if image.component == "ui" else
                    "a pod restart can upgrade the server past its database schema (schema upgrades must run "
                    "first, with admin-tools of the same version) or skip required intermediate versions")
            hits.append(((image.location,), Hit(
                image.location,
                f"The Temporal {image.component} image of {config.name} is `{image.reference}` ({image.key}): "
                f"`latest` moves with every release, so {risk}. Pin an explicit version tag (or a digest).",
                anchor=f"{config.anchor}/{image.component}",
            )))
    yield from _unique(hits)


def server_no_pdb_or_resources(project: Project) -> Iterator[Hit]:
    """TPR511. Plain Kubernetes manifests are TPR404/TPR405/TPR407's: this rule reads values and operator
    resources, where the workloads are generated."""
    hits = []
    for config in _judged(project):
        if config.kind not in ("helm-values", "operator"):
            continue
        services = [s for s in config.services if s.name != "all"]
        bare = [s.name for s in services if s.resources is False]
        if bare:
            where = config.resources_location or config.location
            fix = ("spec.services.<service>.resources" if config.kind == "operator"
                   else "server.resources (or server.<service>.resources)")
            hits.append(((where, "resources"), Hit(
                where,
                f"The Temporal {', '.join(bare)} service{'' if len(bare) == 1 else 's'} of {config.name} "
                f"{'requests' if len(bare) == 1 else 'request'} no CPU or memory and "
                f"{'has' if len(bare) == 1 else 'have'} no memory limit: the scheduler packs them blindly, history "
                "and matching (large shard and task-queue caches) are the first pods evicted under node "
                f"pressure, and a leak can take the node down. Set {fix} with cpu/memory requests and a memory "
                "limit.",
                anchor=f"{config.anchor}/resources",
            )))
        unprotected = [s.name for s in services if s.budget is False]
        if unprotected:
            where = config.budget_location or config.location
            fix = ("add PodDisruptionBudgets selecting app.kubernetes.io/name: <cluster> and "
                   "app.kubernetes.io/component: <service>" if config.kind == "operator"
                   else "set server.<service>.podDisruptionBudget (e.g. {maxUnavailable: 1})")
            hits.append(((where, "budget"), Hit(
                where,
                f"No PodDisruptionBudget protects the Temporal {', '.join(unprotected)} "
                f"service{'' if len(unprotected) == 1 else 's'} of {config.name}: a node drain or cluster "
                f"upgrade may evict every pod of a service at once. To fix, {fix}.",
                anchor=f"{config.anchor}/pdb",
            )))
    yield from _unique(hits)


# --- TPR512 / TPR513 -------------------------------------------------------------------------

_LEGACY_FIX = {
    "cassandra": "configure Cassandra under server.config.persistence.datastores.<name>.cassandra and run the "
                 "database outside the chart",
    "elasticsearch": "configure Elasticsearch under server.config.persistence.datastores.<name>.elasticsearch "
                     "and run it outside the chart",
    "prometheus": "scrape the server with server.metrics.annotations or server.metrics.serviceMonitor",
    "grafana": "import the dashboards from github.com/temporalio/dashboards into your Grafana",
    "mysql": "configure MySQL under server.config.persistence.datastores.<name>.sql",
    "postgresql": "configure PostgreSQL under server.config.persistence.datastores.<name>.sql",
}


def legacy_chart_keys(project: Project) -> Iterator[Hit]:
    """TPR512."""
    hits = []
    installs = chart_installs(project.scripts)
    for config in _judged(project):
        if config.kind != "helm-values" or (config.chart_version is not None and not config.targets_current_chart):
            continue
        install = None if config.targets_current_chart else install_for(installs, config.values_paths)
        if not config.targets_current_chart:
            if install is None:
                _undecided_chart(project, config)
                continue
            if not install.current:
                continue  # a 0.x chart (or a version range tprlint does not read) renders them
        for key in config.legacy_keys:
            message = _legacy_message(config, key) + _why_current(config, install)
            hits.append(((key.location,), Hit(key.location, message, anchor=f"{config.anchor}/{key.key}")))
    yield from _unique(hits)


def _why_current(config: ServerConfig, install: ChartInstall | None) -> str:
    if install is not None:
        version = "no --version: Helm takes the newest chart, 1.x" if install.version == LATEST else \
            f"--version {install.version}"
        return (f" (These values are installed by `{install.command}` at {install.location.path}:"
                f"{install.location.line}, {version}.)")
    marker = config.current_chart_key
    if config.chart_version or marker is None:
        return ""
    return f" (These values are for the 1.x chart: {marker.key} exists only there, since chart 1.6.)"


def _undecided_chart(project: Project, config: ServerConfig) -> None:
    """Legacy keys, and nothing that says which chart renders them: `helm install` without --version
    takes the newest chart, 1.x, which refuses them; a pinned 0.x chart reads them."""
    legacy = [k for k in config.legacy_keys if k.note == "breaks"]
    if legacy and config.chart_version is None:
        project.undecided("TPR512", f"{config.name} sets legacy (0.x) keys ({', '.join(k.key for k in legacy[:4])})",
                          "nothing in the scan pins the temporal chart version (a helmfile, a GitOps release, "
                          "a Chart.yaml dependency, a `helm install|upgrade -f` of this file): the 1.x chart "
                          "fails to render these keys, the 0.x chart reads them", legacy[0].location)


def _legacy_message(config: ServerConfig, key: Value) -> str:
    name = str(key.value)
    if key.note == "ignored":
        return (f"`{key.key}` is the legacy (0.x) place of the shard count; the current temporal chart (1.x) "
                "ignores it and renders server.config.persistence.numHistoryShards (default 512) instead. Move "
                "the value there - keeping the number the cluster was created with, since it can never change.")
    if key.note == "renamed":
        return (f"`{key.key}` is the legacy (0.x) spelling; the current temporal chart (1.x) reads "
                "server.internal-frontend, so this block has no effect there. Rename the key.")
    if key.note == "map":
        return (f"`{key.key}` is a map (the legacy 0.x default `{{}}`); the current temporal chart (1.x) fails to "
                "render unless it is a list. Use `imagePullSecrets: []` or a list of `{name: ...}`.")
    fix = _LEGACY_FIX.get(name, "configure each store under server.config.persistence.datastores.<name> "
                                "(createDatabase and manageSchema per store)")
    return (f"`{key.key}` is a legacy (0.x) key of the temporal chart: the current chart (1.x) removed it and "
            "fails to render while it is set (even `enabled: false` inside it counts). Remove the block and "
            f"{fix}.")


def server_debug_logging(project: Project) -> Iterator[Hit]:
    """TPR513."""
    hits = []
    for config in _judged(project):
        level = config.log_level
        # The server parses exactly one level name; anything else (the chart's "debug,info") means info.
        if level is None or not isinstance(level.value, str) or level.value.strip().lower() != "debug":
            continue
        hits.append(((level.location,), Hit(
            level.location,
            f"{config.name} runs the Temporal server with debug logging ({level.key}: {level.value}): every "
            "request and persistence call is logged, which multiplies log volume and cost and slows the "
            "server under load. Use info (or warn) in production; raise it temporarily when debugging.",
            anchor=f"{config.anchor}/log",
        )))
    yield from _unique(hits)


def _with_compose(manifests: Callable[[Project], Iterator[Hit]],
                  compose_part: Callable[[Project], Iterator[Hit]]) -> Callable[[Project], Iterator[Hit]]:
    """One rule id, two inputs: Kubernetes/Helm (this module) and docker-compose (``rules.compose``)."""

    def rule(project: Project) -> Iterator[Hit]:
        yield from manifests(project)
        yield from compose_part(project)

    rule.__doc__ = manifests.__doc__
    return rule


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR501": server_replicas_below_minimum,
    "TPR502": history_shards_too_low,
    "TPR503": _with_compose(dev_server_in_production, compose.compose_dev_server),
    "TPR504": dev_persistence,
    "TPR505": no_advanced_visibility,
    "TPR506": server_tls_disabled,
    "TPR507": server_no_authorizer,
    "TPR508": server_metrics_disabled,
    "TPR509": _with_compose(plaintext_db_password, compose.compose_plaintext_db_password),
    "TPR510": _with_compose(server_image_unpinned, compose.compose_server_image_unpinned),
    "TPR511": server_no_pdb_or_resources,
    "TPR512": legacy_chart_keys,
    "TPR513": server_debug_logging,
}

__all__ = ["RULES"]
