"""What one file tells about Temporal servers: the per-file facts (cached, picklable)."""

from __future__ import annotations

from dataclasses import field

from tprlint.facts.temporal_server.settings import Setting, Settings
from tprlint.model import Location
from tprlint.records import frozen, mutable

# ---------------------------------------------------------------------------------------------
# Per-file facts


@frozen
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


@frozen
class HelmfileRelease:
    name: str
    chart: str
    version: str | None
    # ("file", path relative to the scan, possibly with a {{ .Environment.Name }} slot) or ("layer", index)
    values: tuple[tuple[str, str | int], ...]
    location: Location


@frozen
class OperatorCluster:
    name: str
    namespace: str | None
    settings: Settings  # spec flattened, paths relative to `spec`
    location: Location  # the `kind:` line
    spec_location: Location


@frozen
class TlsPlane:
    """One TLS plane (`global.tls.frontend` / `global.tls.internode`) of a server config file."""

    plane: str  # "frontend" | "internode"
    client_auth: bool  # `server.requireClientAuth` (the server's default: false)
    location: Location  # the requireClientAuth key, else the plane's `server:` block
    key: str


@frozen
class ServerConfigText:
    """A Temporal server config (`persistence:`, `global:`, `services:`) in a file or a ConfigMap."""

    name: str
    location: Location
    shards: Setting | None
    log_level: Setting | None
    sqlite: Location | None
    chart_rendered: bool  # a ConfigMap rendered from the temporal chart (labels say so)
    tls: tuple[TlsPlane, ...] = ()  # planes whose server side has a certificate (TLS on)


@frozen
class Evidence:
    kind: str  # "backup" | "alerts" | "monitor" | "dashboard" | "exposure" (a frontend reachable from outside)
    what: str
    location: Location
    signals: tuple[str, ...] = ()  # alerts: the Temporal signals their expressions watch (facts.temporal_server.alerts)


@mutable
class TemporalFileFacts:
    layers: list[ValuesLayer] = field(default_factory=list)
    releases: list[HelmfileRelease] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    clusters: list[OperatorCluster] = field(default_factory=list)
    configs: list[ServerConfigText] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.layers or self.releases or self.clusters or self.configs or self.evidence)
