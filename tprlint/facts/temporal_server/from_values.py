"""A values variant of the temporal chart (1.x and legacy 0.x layouts) as a ``ServerConfig``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tprlint.devsetup import is_dev_path
from tprlint.facts.kubernetes import DisruptionBudget
from tprlint.facts.temporal_server.files import ValuesLayer
from tprlint.facts.temporal_server.model import (
    DevLaunch,
    Image,
    SecretRef,
    ServerConfig,
    ServiceResources,
    ServiceSpec,
    Store,
    Value,
    ValuesVariant,
)
from tprlint.facts.temporal_server.settings import (
    SERVICES,
    KeyPath,
    Merged,
    Node,
    Secret,
    as_bool,
    as_int,
    helm_empty,
    templated,
)
from tprlint.model import Location

# --- values: the model -----------------------------------------------------------------------

_LEGACY_TOP = ("cassandra", "elasticsearch", "prometheus", "grafana", "mysql", "postgresql")


def config_from_values(variant: ValuesVariant, budgets: list[DisruptionBudget], monitored: bool) -> ServerConfig | None:
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

    def key(*parts: str) -> str:
        return prefix + ".".join(parts)

    config.chart_version = variant.chart_version
    config.values_paths = tuple(layer.path for layer in variant.layers if layer.origin == "file")
    config.current_chart_key = _current_only_key(merged, key)
    config.targets_current_chart = _major(variant.chart_version) >= 1 if variant.chart_version else \
        layout == "mixed" or config.current_chart_key is not None
    if _major(variant.chart_version) == 0:
        config.targets_current_chart = False

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
    if not _mesh(merged):  # a mesh's sidecars verify client certificates themselves
        for plane in ("frontend", "internode"):
            setattr(config, f"{plane}_client_auth", _helm_client_auth(merged, plane, key))
    config.frontend_exposure = _frontend_exposure(merged, key)
    config.authorizer = _setting_value(merged, ("server", "config", "authorization", "authorizer"), key, "", first)
    config.claim_mapper = _setting_value(merged, ("server", "config", "authorization", "claimMapper"), key, "", first)
    _helm_metrics(merged, config, key, monitored)
    config.passwords = _helm_passwords(variant.layers, merged, key)
    level = merged.get("server", "config", "logLevel")
    if level is not None:
        config.log_level = Value(level.value, level.location, key("server", "config", "logLevel"))
    config.legacy_keys = _legacy_keys(merged, key)
    _helm_resources_and_budgets(merged, config, key, budgets)
    grafana = merged.get("grafana", "enabled")
    if grafana is not None and as_bool(grafana.value) is True and not config.targets_current_chart:
        config.bundled_dashboards = grafana.location
    return config


def _current_only_key(m: Merged, key: Callable[..., str]) -> Value | None:
    """A key only the current (1.x) chart reads: the `server.tls.<plane>` toggles (chart 1.6+). The
    0.x chart had TLS only as raw server config (`server.config.tls`)."""
    for plane in ("frontend", "internode"):
        for name in ("enabled", "secretName"):
            found = m.get("server", "tls", plane, name)
            if found is not None:
                return Value(found.value, found.location, key("server", "tls", plane, name))
    return None


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


def _helm_client_auth(m: Merged, plane: str, key: Callable[..., str]) -> Value | None:
    """Whether the plane's TLS verifies client certificates, when its TLS is on. The chart generates
    `requireClientAuth` from `server.tls.<plane>.requireClientAuth` (default: true for internode,
    false for the frontend) or-ed with the raw `server.config.tls.<plane>.server.requireClientAuth`
    merged over it; raw config alone uses the server's default, false."""
    toggle = m.get("server", "tls", plane, "enabled")
    raw_server = m.get("server", "config", "tls", plane, "server")
    raw_flag = m.get("server", "config", "tls", plane, "server", "requireClientAuth")
    chart_flag = m.get("server", "tls", plane, "requireClientAuth")
    on_toggle = toggle is not None and as_bool(toggle.value) is True
    on_raw = raw_server is not None and isinstance(raw_server.value, Node) and raw_server.value.size > 0
    if not (on_toggle or on_raw):
        return None
    raw = as_bool(raw_flag.value) if raw_flag is not None else False
    chart: bool | None = False
    if on_toggle:
        chart = as_bool(chart_flag.value) if chart_flag is not None else plane == "internode"
    if raw is None or chart is None:
        return None  # templated: unknown
    decisive = raw_flag if raw else chart_flag if on_toggle and chart_flag is not None else raw_flag
    if decisive is not None:
        name = key("server", "tls", plane, "requireClientAuth") if decisive is chart_flag else \
            key("server", "config", "tls", plane, "server", "requireClientAuth")
        return Value(raw or chart, decisive.location, name)
    where = toggle if on_toggle else raw_server
    assert where is not None
    if on_toggle:
        return Value(chart, where.location, key("server", "tls", plane, "requireClientAuth"), "default",
                     f"the chart's default for server.tls.{plane}")
    return Value(False, where.location, key("server", "config", "tls", plane, "server", "requireClientAuth"),
                 "default", "the server's default")


def _frontend_exposure(m: Merged, key: Callable[..., str]) -> Value | None:
    kind = m.get("server", "frontend", "service", "type")
    if kind is not None and kind.value in ("LoadBalancer", "NodePort"):
        return Value(kind.value, kind.location, key("server", "frontend", "service", "type"))
    ingress = m.get("server", "frontend", "ingress", "enabled")
    if ingress is not None and as_bool(ingress.value) is True:
        return Value(True, ingress.location, key("server", "frontend", "ingress", "enabled"))
    return None


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
        budget = m.filled("server", block, "podDisruptionBudget") or budget_for(budgets, spec.name, None)
        specs.append(ServiceSpec(spec.name, spec.replicas, resources, budget, fix=spec.fix))
    config.services = specs
    config.service_resources = _service_resources(m, config, key)
    found = m.get("server", "resources")
    config.resources_location = found.location if found else config.location
    config.budget_location = config.location


def _service_resources(m: Merged, config: ServerConfig, key: Callable[..., str]) -> list[ServiceResources]:
    """The block each service renders: `default .Values.server.resources $service.resources` - the
    service's own block when it is not empty, else the shared one, never a merge of both."""
    found: list[ServiceResources] = []
    shared_limits = m.get("server", "resources", "limits")
    for spec in config.services:
        block = "internalFrontend" if spec.name == "internal-frontend" and m.get("server", spec.name) is None \
            else spec.name
        own = m.filled("server", block, "resources")
        at: tuple[str, ...] = ("server", block, "resources") if own else ("server", "resources")
        setting = m.get(*at)
        if setting is None or not m.filled(*at) or any(templated(v.value) for k, v in m.settings.items()
                                                       if k[:len(at)] == at):
            continue
        replaced = shared_limits.location if own and shared_limits is not None and m.filled(
            "server", "resources", "limits") else None
        found.append(ServiceResources(spec.name, key(*at), setting.location, m.filled(*at, "requests"),
                                      m.get(*at, "limits", "memory") is not None, replaced))
    return found


def budget_for(budgets: list[DisruptionBudget], service: str, cluster: str | None) -> bool:
    """A hand-written PDB selecting a Temporal service's pods by the labels its charts/operators set."""
    for budget in budgets:
        labels = budget.match_labels
        if labels.get("app.kubernetes.io/component") != service:
            continue
        name = labels.get("app.kubernetes.io/name", "")
        if (cluster is None and "temporal" in name) or (cluster is not None and name in (cluster, "")):
            return True
    return False
