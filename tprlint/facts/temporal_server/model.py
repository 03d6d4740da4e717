"""The model every source of a Temporal server deployment becomes, and the TPR5xx rules judge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

from tprlint.facts.kubernetes import Workload
from tprlint.facts.temporal_server.files import Evidence, ValuesLayer
from tprlint.model import Location
from tprlint.records import frozen, mutable

# ---------------------------------------------------------------------------------------------
# The server model rules judge


@frozen
class Value:
    """A setting the rules judge, with where it comes from."""

    value: object  # int / str / bool; never a secret
    location: Location
    key: str  # e.g. "server.history.replicaCount", "spec.numHistoryShards", "spec.replicas"
    origin: str = "set"  # "set" | "default"
    note: str = ""  # how a default was worked out, for messages


@frozen
class ServiceSpec:
    name: str  # a service name, or "all" for one pod running every service
    replicas: Value | None  # None when it cannot be known
    resources: bool | None = None  # requests/limits configured (None: unknown / not judged here)
    budget: bool | None = None  # a PodDisruptionBudget covers it
    workload: Workload | None = None
    fix: str = ""  # the key or field to change, for messages


@frozen
class Store:
    role: str  # "default" | "visibility" | "secondaryVisibility" | "advancedVisibility"
    name: str
    driver: str | None  # "sql" | "cassandra" | "elasticsearch"
    plugin: str | None  # mysql8, postgres12, sqlite, ...
    hosts: tuple[str, ...]
    replication: Value | None
    location: Location
    key: str


@frozen
class SecretRef:
    """A password written as a literal: the key and where, never the value."""

    key: str
    location: Location


@frozen
class Image:
    component: str  # "server" | "admin-tools" | "ui"
    reference: str  # repository[:tag]; never contains credentials
    tag: str | None
    location: Location
    key: str


@frozen
class ServiceResources:
    """The `resources` block a chart service's container gets: the chart renders the service's own block
    when it is set, else `server.resources` - never a merge of the two."""

    service: str
    key: str  # the block used, e.g. "server.history.resources"
    location: Location
    requests: bool
    memory_limit: bool
    replaced_limits: Location | None = None  # `server.resources.limits` the service's own block replaces


@frozen
class DevLaunch:
    what: str
    location: Location
    anchor: str


@mutable
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
    chart_version: str | None = None  # Helm: the chart version a helmfile/GitOps release/Chart.yaml pins
    values_paths: tuple[str, ...] = ()  # Helm: the values files of the variant, in order
    current_chart_key: Value | None = None  # Helm: a key only the 1.x chart has (why targets_current_chart)
    frontend_client_auth: Value | None = None  # value bool, when frontend TLS is on; None unknown / no TLS
    internode_client_auth: Value | None = None
    frontend_exposure: Value | None = None  # a Service type / Ingress that exposes the frontend outside
    service_resources: list[ServiceResources] = field(default_factory=list)
    bundled_dashboards: Location | None = None  # legacy chart's grafana sub-chart (provisions dashboards)


@mutable
class ServerProject:
    configs: list[ServerConfig] = field(default_factory=list)
    backups: list[Evidence] = field(default_factory=list)
    alerts: list[Evidence] = field(default_factory=list)
    monitors: list[Evidence] = field(default_factory=list)
    dashboards: list[Evidence] = field(default_factory=list)
    exposures: list[Evidence] = field(default_factory=list)

    def judged(self) -> list[ServerConfig]:
        return [c for c in self.configs if not c.dev]


@frozen
class ValuesVariant:
    layers: tuple[ValuesLayer, ...]
    name: str
    dev: bool
    chart_version: str | None


# How many pods a workload runs at least, and why (the rules' Project.replica_floor).
ReplicaFloor = Callable[[Workload], tuple[int, str, "Location | None"]]
