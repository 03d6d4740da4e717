"""Configuration: ``[tool.tprlint]`` in ``pyproject.toml`` or a ``.tprlint.toml``.

The file is found by walking up from the first scanned path. Unknown keys and unknown rule ids are
errors (``ConfigError``, exit code 2): a typo in a CI gate must not silently disable a check.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from tprlint.capacity.profile import Profile, ProfileError, parse_profile
from tprlint.discover.read import describe_mode, read_text
from tprlint.model import Severity
from tprlint.records import frozen

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A usage or configuration problem: reported in one line, exit code 2."""


SCOPES = ("workers", "all")
# A recent version still widely run (managed offerings' extended support); see rules/TPR430.toml.
DEFAULT_KUBERNETES_VERSION = "1.33"


@frozen
class Thresholds:
    # Seconds added to the worker's drain time before comparing with the orchestrator's grace period:
    # process exit, final workflow-task completion and the SIGTERM delivery itself take time.
    grace_margin_seconds: float = 5.0
    worker_min_replicas: int = 2
    # TPR202: an activity allowed to run longer than this without a heartbeat_timeout hides a dead
    # worker for that long.
    heartbeat_after_seconds: float = 300.0
    # TPR501/TPR502: Temporal server service minimums (the server's own `worker` service, not SDK workers)
    # and the smallest history shard count worth creating a production cluster with.
    frontend_min_replicas: int = 3
    history_min_replicas: int = 5
    matching_min_replicas: int = 3
    worker_service_min_replicas: int = 2
    min_history_shards: int = 512
    # The live probe's (TPR7xx, TPR8xx): a task queue's backlog, the share of closed workflows that did not
    # complete, the namespace retention bounds (0: no upper bound), how long after its last poll a poller
    # still counts, how many container restarts a worker pod may have had.
    backlog_max_count: int = 1000
    backlog_max_age_seconds: float = 60.0
    failure_max_ratio: float = 0.05
    retention_min_seconds: float = 86400.0
    retention_max_seconds: float = 0.0
    poller_stale_seconds: float = 90.0
    pod_restart_max: int = 3


@frozen
class Link:
    """An explicit code ↔ workload link for what tprlint cannot infer from commands."""

    workload: str  # "Deployment/name" or "name"
    module: str | None = None  # dotted module run by the workload
    script: str | None = None  # or a script path relative to the config file


@frozen
class HelmConfig:
    """`[tool.tprlint.helm]`: values files per chart (absolute paths), and whether to apply the
    overlays kept beside a chart (`values/*.yaml`, `values-*.yaml`)."""

    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (chart folder, values files in order)
    overlays: bool = False


@frozen
class Config:
    path: Path | None = None  # the file it came from, if any
    root: Path = field(default_factory=Path.cwd)  # directory that relative paths are resolved against
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.ERROR
    scope: str = "workers"
    severity: tuple[tuple[str, Severity], ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    links: tuple[Link, ...] = ()
    # Workflow determinism (TPR210): qualified names declared deterministic (never reported, calls
    # inside not followed) or non-deterministic (reported like `datetime.now`), as Go's workflowcheck
    # `decls` do. E.g. "app.clock.frozen_now" or "vendor_sdk.Client.get".
    deterministic: tuple[str, ...] = ()
    non_deterministic: tuple[str, ...] = ()
    helm: HelmConfig = field(default_factory=HelmConfig)
    # `[tool.tprlint.attest]`: checklist item id -> paths (relative to ``root``) of the evidence for it.
    attest: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Checklist gates (item statuses as their slugs, e.g. "fail", "needs-attestation"), see
    # tprlint.checklist.status: fail when an item has one of `fail_on_item`, or when `require` is set and
    # an item that applies has a status outside it.
    fail_on_item: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    # `[tool.tprlint.capacity]`: the declared workload profile (tprlint.capacity); None: the capacity
    # checks apply to nothing.
    capacity: Profile | None = None
    # The oldest Kubernetes version the manifests must apply to (TPR430: API versions it no longer serves).
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_KEYS = {
    "select", "extend-select", "ignore", "per-file-ignores", "exclude", "fail-on", "scope",
    "severity", "thresholds", "links", "deterministic", "non-deterministic", "helm", "attest", "fail-on-item",
    "require", "capacity", "kubernetes-version",
}
_THRESHOLD_KEYS = {
    "grace-margin-seconds": "grace_margin_seconds",
    "worker-min-replicas": "worker_min_replicas",
    "heartbeat-after-seconds": "heartbeat_after_seconds",
    "frontend-min-replicas": "frontend_min_replicas",
    "history-min-replicas": "history_min_replicas",
    "matching-min-replicas": "matching_min_replicas",
    "worker-service-min-replicas": "worker_service_min_replicas",
    "min-history-shards": "min_history_shards",
    "backlog-max-count": "backlog_max_count",
    "backlog-max-age-seconds": "backlog_max_age_seconds",
    "failure-max-ratio": "failure_max_ratio",
    "retention-min-seconds": "retention_min_seconds",
    "retention-max-seconds": "retention_max_seconds",
    "poller-stale-seconds": "poller_stale_seconds",
    "pod-restart-max": "pod_restart_max",
}
_MAX_CONFIG_BYTES = 1024 * 1024
_MAX_THRESHOLD = 10**9  # seconds (31 years) or replicas: beyond any real setting
_RULE_SELECTOR = re.compile(r"^TPR\d{0,3}$")


def find_config(start: Path) -> Path | None:
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory.resolve(), *directory.resolve().parents):
        dotfile = candidate_dir / ".tprlint.toml"
        if dotfile.is_file():
            return dotfile
        if os.path.lexists(dotfile):  # a FIFO, a device, a folder, a broken link: never skipped silently
            raise ConfigError(f"cannot read {dotfile}: {_not_regular(dotfile)}")
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _not_regular(path: Path) -> str:
    try:
        return f"{describe_mode(path.stat().st_mode)}, not a regular file" if path.exists() \
            else "a symbolic link to nothing"
    except OSError as exc:
        return exc.strerror or str(exc)


def _has_tool_table(pyproject: Path) -> bool:
    """Does this pyproject.toml configure tprlint? One that means to (it names `tool.tprlint`) but is not
    valid TOML is a configuration error: running with the defaults instead would silently drop its
    settings. Any other broken pyproject.toml is not our configuration (TPR001 reports it in the tree)."""
    try:
        return "tprlint" in _read_toml(pyproject).get("tool", {})
    except ConfigError:
        try:
            text = read_text(str(pyproject), _MAX_CONFIG_BYTES)
        except OSError:
            return False
        if re.search(r"^\s*\[\s*tool\s*\.\s*tprlint\b|^\s*tool\s*\.\s*tprlint\b", text, re.MULTILINE):
            raise
        return False


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(str(path), _MAX_CONFIG_BYTES))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except RecursionError:  # tomllib recurses once per nesting level
        raise ConfigError(f"cannot read {path}: nested too deeply to parse") from None


def load_config(path: Path | None, known_rules: set[str]) -> Config:
    if path is None:
        return Config()
    data = _read_toml(path)
    table = data if path.name == ".tprlint.toml" else data.get("tool", {}).get("tprlint", {})
    return parse_table(table, known_rules, source=path)


def parse_table(table: dict[str, Any], known_rules: set[str], source: Path) -> Config:
    where = str(source)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")

    def rule_list(key: str) -> tuple[str, ...]:
        return check_rule_selectors(_str_list(table.get(key, []), f"{where}: {key}"), known_rules, where)

    per_file: list[tuple[str, tuple[str, ...]]] = []
    for pattern, ids in _table(table.get("per-file-ignores", {}), f"{where}: per-file-ignores").items():
        per_file.append((pattern, check_rule_selectors(_str_list(ids, pattern), known_rules, where)))

    severity: list[tuple[str, Severity]] = []
    for rule_id, level in _table(table.get("severity", {}), f"{where}: severity").items():
        check_rule_selectors([rule_id], known_rules, where)
        severity.append((rule_id, _severity(level, f"{where}: severity.{rule_id}")))

    scope = table.get("scope", "workers")
    if scope not in SCOPES:
        raise ConfigError(f"{where}: scope must be one of {', '.join(SCOPES)}, not {scope!r}")

    return Config(
        path=source,
        root=source.parent.resolve(),
        select=rule_list("select"),
        extend_select=rule_list("extend-select"),
        ignore=rule_list("ignore"),
        per_file_ignores=tuple(per_file),
        exclude=_str_list(table.get("exclude", []), f"{where}: exclude"),
        fail_on=_severity(table.get("fail-on", "error"), f"{where}: fail-on"),
        scope=scope,
        severity=tuple(severity),
        thresholds=_thresholds(_table(table.get("thresholds", {}), f"{where}: thresholds"), where),
        links=tuple(_link(raw, where) for raw in _list_of_tables(table.get("links", []), where)),
        deterministic=_str_list(table.get("deterministic", []), f"{where}: deterministic"),
        non_deterministic=_str_list(table.get("non-deterministic", []), f"{where}: non-deterministic"),
        helm=_helm(_table(table.get("helm", {}), f"{where}: helm"), where, source.parent.resolve()),
        attest=_attest(_table(table.get("attest", {}), f"{where}: attest"), where),
        fail_on_item=check_statuses(_str_list(table.get("fail-on-item", []), f"{where}: fail-on-item"), where),
        require=check_statuses(_str_list(table.get("require", []), f"{where}: require"), where),
        capacity=_capacity(table, where),
        kubernetes_version=_kubernetes_version(table.get("kubernetes-version", DEFAULT_KUBERNETES_VERSION), where),
    )


def _kubernetes_version(value: object, where: str) -> str:
    """`"1.31"`, `"v1.31"` or `"1.31.4"` → `"1.31"`."""
    match = re.fullmatch(r"v?(1\.\d{1,3})(?:\.\d+)?", value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f'{where}: kubernetes-version must be a Kubernetes version such as "1.33", not {value!r}')
    return match.group(1)


def _capacity(table: dict[str, Any], where: str) -> Profile | None:
    if "capacity" not in table:
        return None
    try:
        return parse_profile(table["capacity"], where)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None


def _attest(table: dict[str, Any], where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    from tprlint.checklist.catalog import all_items  # read only by configurations that attest

    items = {item.id: item for item in all_items()}
    found = []
    for item_id, paths in table.items():
        item = items.get(item_id)
        if item is None:
            raise ConfigError(f"{where}: attest: unknown checklist item {item_id!r} (see `tprlint checklist`)")
        if not item.accepts_attestation:
            raise ConfigError(f"{where}: attest: {item_id} cannot be attested: its evidence is "
                              f"{' and '.join(item.evidence)}, not a person's word")
        listed = (paths,) if isinstance(paths, str) else _str_list(paths, f"{where}: attest.{item_id}")
        if not listed or any(not p.strip() or "\0" in p for p in listed):
            raise ConfigError(f"{where}: attest.{item_id} must name a file or folder")
        found.append((item_id, tuple(listed)))
    return tuple(found)


def check_statuses(values: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """Checklist item statuses given by their slugs (`fail`, `unknown`, `needs-attestation`...)."""
    from tprlint.checklist.status import Status

    try:
        return tuple(dict.fromkeys(Status.parse(v).slug for v in values))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def check_rule_selectors(selectors: list[str] | tuple[str, ...], known: set[str], where: str) -> tuple[str, ...]:
    """Validate rule ids or id prefixes ("TPR4" selects every TPR4xx rule)."""
    for selector in selectors:
        if not _RULE_SELECTOR.match(selector):
            raise ConfigError(f"{where}: {selector!r} is not a rule id (like TPR101) or prefix (like TPR4)")
        if not any(rule_id.startswith(selector) for rule_id in known):
            raise ConfigError(f"{where}: unknown rule {selector!r} (see `tprlint rules`)")
    return tuple(selectors)


def _severity(value: object, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _thresholds(raw: dict[str, Any], where: str) -> Thresholds:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _THRESHOLD_KEYS:
            raise ConfigError(f"{where}: unknown threshold {key!r} (known: {', '.join(sorted(_THRESHOLD_KEYS))})")
        # `nan` compares false with everything, so `value < 0` lets it through and every comparison with
        # it then passes silently: a threshold must be a finite number in range.
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                or not 0 <= value <= _MAX_THRESHOLD):
            raise ConfigError(f"{where}: threshold {key} must be a number from 0 to {_MAX_THRESHOLD}, not {value!r}")
        values[_THRESHOLD_KEYS[key]] = value
    return Thresholds(**values)


def _helm(raw: dict[str, Any], where: str, root: Path) -> HelmConfig:
    unknown = sorted(set(raw) - {"values", "overlays"})
    if unknown:
        raise ConfigError(f"{where}: unknown key helm.{unknown[0]} (known: overlays, values)")
    overlays = raw.get("overlays", False)
    if not isinstance(overlays, bool):
        raise ConfigError(f"{where}: helm.overlays must be true or false")
    values: list[tuple[str, tuple[str, ...]]] = []
    for chart, files in _table(raw.get("values", {}), f"{where}: helm.values").items():
        chart_dir = _inside_project(root, chart, f"{where}: helm.values: {chart!r}")
        if not (chart_dir / "Chart.yaml").is_file():
            raise ConfigError(f"{where}: helm.values: {chart!r} is not a Helm chart folder (no Chart.yaml)")
        resolved = [_inside_project(root, name, f"{where}: helm.values.{chart}: {name!r}")
                    for name in _str_list(files, f"{where}: helm.values.{chart}")]
        missing = [str(p) for p in resolved if not p.is_file()]
        if missing:
            raise ConfigError(f"{where}: helm.values.{chart}: values file not found: {missing[0]}")
        values.append((str(chart_dir), tuple(str(p) for p in resolved)))
    return HelmConfig(tuple(values), overlays)


def _inside_project(root: Path, name: str, where: str) -> Path:
    """``name`` resolved against the configuration's folder, which it must not lead out of (links
    resolved). The configuration is often the scanned repository's own, written by whoever opened the
    pull request: naming ``/proc/self/environ`` or ``../../.ssh`` as values would have tprlint read it
    and hand it to Helm. A file elsewhere is the user's to give, with ``--values`` on the command line."""
    try:
        resolved = (root / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a NUL in the name
        raise ConfigError(f"{where} cannot be resolved: {exc}") from None
    if resolved != root and root not in resolved.parents:
        raise ConfigError(f"{where} leads out of the project folder {root} (a configuration names only "
                          "files inside its folder; give others with --values CHART=FILE)")
    return resolved


def add_helm_values(config: HelmConfig, specs: list[str], base: Path) -> HelmConfig:
    """`--values CHART=FILE` (repeatable): applied after the configured files, in the order given."""
    values = list(config.values)
    for spec in specs:
        chart, sep, name = spec.partition("=")
        if not sep or not chart or not name:
            raise ConfigError(f"--values expects CHART=FILE, not {spec!r}")
        chart_dir = (base / chart).resolve()
        if not (chart_dir / "Chart.yaml").is_file():
            raise ConfigError(f"--values {spec}: {chart!r} is not a Helm chart folder (no Chart.yaml)")
        path = (base / name).resolve()
        if not path.is_file():
            raise ConfigError(f"--values {spec}: values file not found: {name}")
        values.append((str(chart_dir), (str(path),)))
    return HelmConfig(tuple(values), config.overlays)


def _link(raw: dict[str, Any], where: str) -> Link:
    if set(raw) - {"workload", "module", "script"} or "workload" not in raw:
        raise ConfigError(f"{where}: each [[links]] entry needs `workload` and one of `module` or `script`")
    if ("module" in raw) == ("script" in raw):
        raise ConfigError(f"{where}: link for {raw['workload']!r} needs exactly one of `module` or `script`")
    return Link(workload=str(raw["workload"]), module=raw.get("module"), script=raw.get("script"))


def _str_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def _list_of_tables(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: links must be an array of tables ([[tool.tprlint.links]])")
    return value
