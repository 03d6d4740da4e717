"""A ``TemporalCluster`` of the operator as a ``ServerConfig``."""

from __future__ import annotations

from collections.abc import Callable

from tprlint.devsetup import is_dev_path
from tprlint.facts.kubernetes import DisruptionBudget
from tprlint.facts.temporal_server.files import OperatorCluster
from tprlint.facts.temporal_server.from_values import budget_for
from tprlint.facts.temporal_server.model import DevLaunch, Image, ServerConfig, ServiceSpec, Store, Value
from tprlint.facts.temporal_server.settings import KeyPath, Merged, as_bool, as_int
from tprlint.model import Location

# --- operator --------------------------------------------------------------------------------

_OPERATOR_SERVICES = {"frontend": "frontend", "history": "history", "matching": "matching", "worker": "worker",
                      "internal-frontend": "internalFrontend"}


def config_from_operator(cluster: OperatorCluster, budgets: list[DisruptionBudget]) -> ServerConfig:
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
        config.services.append(ServiceSpec(svc, value, resources, budget_for(budgets, svc, cluster.name),
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
