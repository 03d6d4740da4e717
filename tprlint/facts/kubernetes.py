"""Kubernetes facts: the workload model rules and linking read.

Extraction from YAML documents lives in ``extract_kubernetes``; every fact keeps the location of
the key it came from so findings point at the exact line.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tprlint.facts.yaml_docs import YamlDoc
from tprlint.link.commands import split_shell_commands
from tprlint.model import Location

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "Job", "CronJob")


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None  # literal value; None when valueFrom or absent
    from_ref: bool  # valueFrom / secretKeyRef etc.
    location: Location


@dataclass(frozen=True)
class Probe:
    kind: str  # "readiness" | "liveness" | "startup"
    http_path: str | None
    port: str | None  # number or name, as text
    location: Location


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    command: tuple[str, ...] | None  # None when unset (image ENTRYPOINT applies)
    args: tuple[str, ...] | None  # None when unset (image CMD applies)
    env: tuple[EnvVar, ...]
    probes: tuple[Probe, ...]
    requests: dict[str, str]  # e.g. {"cpu": "100m", "memory": "256Mi"}
    limits: dict[str, str]
    prestop_sleep_seconds: float | None  # preStop sleep action or `sleep N` exec; None if none/unknown
    prestop_location: Location | None
    location: Location  # the container's `- name:` item
    image_location: Location
    resources_location: Location | None
    security_context: dict[str, object]  # merged pod + container securityContext (container wins)

    def probe(self, kind: str) -> Probe | None:
        return next((p for p in self.probes if p.kind == kind), None)


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    namespace: str | None
    api_version: str
    location: Location  # the document's `kind:` line
    labels: dict[str, str]
    annotations: dict[str, str]
    pod_labels: dict[str, str]
    pod_annotations: dict[str, str]
    selector: dict[str, str]  # spec.selector.matchLabels
    replicas: int | None  # None when unset (default 1)
    replicas_location: Location | None
    grace_period_seconds: int | None  # pod spec terminationGracePeriodSeconds; None = default 30
    grace_period_location: Location | None
    pod_spec_location: Location  # the pod template's spec (or the workload's spec for Pods)
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...]
    strategy: dict[str, object] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` - stable identity for fingerprints and messages."""
        return f"{self.kind}/{self.namespace or 'default'}/{self.name}"


@dataclass(frozen=True)
class ScaleTarget:
    """An HPA or KEDA ScaledObject, reduced to what the replica floor needs."""

    kind: str  # "HorizontalPodAutoscaler" | "ScaledObject"
    name: str
    namespace: str | None
    target_kind: str
    target_name: str
    min_replicas: int  # HPA default 1, KEDA default 0
    min_location: Location | None
    location: Location


@dataclass(frozen=True)
class DisruptionBudget:
    name: str
    namespace: str | None
    match_labels: dict[str, str]
    min_available: str | None  # int or percentage, as text
    max_unavailable: str | None
    location: Location


@dataclass
class KubeFacts:
    workloads: list[Workload] = field(default_factory=list)
    scale_targets: list[ScaleTarget] = field(default_factory=list)
    budgets: list[DisruptionBudget] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Extraction. Manifests in the wild are partial, templated or simply wrong, so every accessor
# below checks types and falls back to "unknown" (None / empty) instead of raising.


# Where each workload kind keeps its pod spec, relative to the document.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts mirrors Deployment
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
_PROBE_KINDS = (("readiness", "readinessProbe"), ("liveness", "livenessProbe"), ("startup", "startupProbe"))
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
# `sleep 10`, `sleep 2.5`, `sleep 10s`, `sleep 1m` (GNU and busybox accept a unit suffix).
_SLEEP_ARG_RE = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$")
_SLEEP_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_SHELL_C_RE = re.compile(r"^-[a-z]*c[a-z]*$")  # -c, -ec, -lc
_LOOP_WORDS = frozenset({"while", "until", "for"})

_Path = tuple[str | int, ...]


def extract_kubernetes(docs: list[YamlDoc], path: str) -> KubeFacts:
    """Workloads, autoscalers and disruption budgets declared in ``docs``."""
    facts = KubeFacts()
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        items = data.get("items")
        kind = data.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            # `kind: List` (kubectl get -o yaml) and typed lists (`DeploymentList`) wrap objects.
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    _extract_object(_Doc(doc, path, ("items", i)), item, facts)
        else:
            _extract_object(_Doc(doc, path, ()), data, facts)
    return facts


@dataclass(frozen=True)
class _Doc:
    """A YAML document plus the key path of the object inside it (non-empty for List items)."""

    doc: YamlDoc
    path: str
    prefix: _Path

    def loc(self, *keys: str | int) -> Location:
        line, column = self.doc.loc(*self.prefix, *keys)
        return Location(self.path, line, column)

    def loc_if(self, *keys: str | int) -> Location | None:
        """The location of ``keys`` only if that exact key exists."""
        found = self.doc.positions.get((*self.prefix, *keys))
        return Location(self.path, found[0], found[1]) if found is not None else None


def _extract_object(doc: _Doc, obj: dict[object, object], facts: KubeFacts) -> None:
    kind = obj.get("kind")
    if not isinstance(kind, str):
        return
    if kind in _POD_SPEC_PATHS:
        meta = _dict(obj.get("metadata"))
        if _text(meta.get("name")) or _text(meta.get("generateName")):
            # A nameless workload can't be applied, linked or fingerprinted: not a manifest.
            facts.workloads.append(_workload(doc, obj, kind))
    elif kind == "HorizontalPodAutoscaler":
        _append(facts.scale_targets, _scale_target(doc, obj, kind, default_kind=None, default_min=1))
    elif kind == "ScaledObject":
        # KEDA targets a Deployment unless told otherwise, and may scale to zero by default.
        _append(facts.scale_targets, _scale_target(doc, obj, kind, default_kind="Deployment", default_min=0))
    elif kind == "PodDisruptionBudget":
        facts.budgets.append(_budget(doc, obj))


def _append(target: list[ScaleTarget], item: ScaleTarget | None) -> None:
    if item is not None:
        target.append(item)


def _workload(doc: _Doc, obj: dict[object, object], kind: str) -> Workload:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    pod_path = _POD_SPEC_PATHS[kind]
    pod_spec = _dict(_get(obj, *pod_path))
    template = _dict(_get(obj, *pod_path[:-1])) if kind != "Pod" else obj
    pod_meta = _dict(template.get("metadata"))
    pod_security = _dict(pod_spec.get("securityContext"))
    strategy = spec.get("strategy", spec.get("updateStrategy"))
    return Workload(
        kind=kind,
        name=_text(meta.get("name")) or _text(meta.get("generateName")) or "",
        namespace=_text(meta.get("namespace")),
        api_version=_text(obj.get("apiVersion")) or "",
        location=doc.loc("kind"),
        labels=_str_map(meta.get("labels")),
        annotations=_str_map(meta.get("annotations")),
        pod_labels=_str_map(pod_meta.get("labels")),
        pod_annotations=_str_map(pod_meta.get("annotations")),
        selector=_str_map(_get(spec, "selector", "matchLabels")),
        replicas=_int(spec.get("replicas")) if kind != "Pod" else None,
        replicas_location=doc.loc_if("spec", "replicas") if kind != "Pod" else None,
        grace_period_seconds=_int(pod_spec.get("terminationGracePeriodSeconds")),
        grace_period_location=doc.loc_if(*pod_path, "terminationGracePeriodSeconds"),
        pod_spec_location=doc.loc(*pod_path),
        containers=_containers(doc, pod_spec, (*pod_path, "containers"), pod_security),
        init_containers=_containers(doc, pod_spec, (*pod_path, "initContainers"), pod_security),
        strategy=dict(strategy) if isinstance(strategy, dict) else {},
    )


def _containers(
    doc: _Doc, pod_spec: dict[object, object], list_path: _Path, pod_security: dict[object, object]
) -> tuple[Container, ...]:
    items = pod_spec.get(list_path[-1])
    if not isinstance(items, list):
        return ()
    return tuple(
        _container(doc, item, (*list_path, i), pod_security) for i, item in enumerate(items) if isinstance(item, dict)
    )


def _container(doc: _Doc, spec: dict[object, object], at: _Path, pod_security: dict[object, object]) -> Container:
    resources = _dict(spec.get("resources"))
    prestop = _get(spec, "lifecycle", "preStop")
    security = {str(k): v for k, v in {**pod_security, **_dict(spec.get("securityContext"))}.items()}
    return Container(
        name=_text(spec.get("name")) or "",
        image=_text(spec.get("image")) or "",
        command=_argv(spec.get("command")),
        args=_argv(spec.get("args")),
        env=_env(doc, spec.get("env"), (*at, "env")),
        probes=_probes(doc, spec, at),
        requests=_str_map(resources.get("requests")),
        limits=_str_map(resources.get("limits")),
        prestop_sleep_seconds=prestop_sleep_seconds(prestop),
        prestop_location=doc.loc_if(*at, "lifecycle", "preStop"),
        location=doc.loc(*at),
        image_location=doc.loc(*at, "image"),
        resources_location=doc.loc_if(*at, "resources"),
        security_context=security,
    )


def _env(doc: _Doc, items: object, at: _Path) -> tuple[EnvVar, ...]:
    if not isinstance(items, list):
        return ()
    result: list[EnvVar] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name"))
        if not name:
            continue
        result.append(EnvVar(name, _text(item.get("value")), "valueFrom" in item, doc.loc(*at, i)))
    return tuple(result)


def _probes(doc: _Doc, spec: dict[object, object], at: _Path) -> tuple[Probe, ...]:
    probes: list[Probe] = []
    for kind, key in _PROBE_KINDS:
        probe = spec.get(key)
        if not isinstance(probe, dict):
            continue
        http = _dict(probe.get("httpGet"))
        port = http.get("port", _dict(probe.get("tcpSocket")).get("port", _dict(probe.get("grpc")).get("port")))
        probes.append(Probe(kind, _text(http.get("path")) if http else None, _text(port), doc.loc(*at, key)))
    return tuple(probes)


def _scale_target(
    doc: _Doc, obj: dict[object, object], kind: str, *, default_kind: str | None, default_min: int
) -> ScaleTarget | None:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    ref = _dict(spec.get("scaleTargetRef"))
    target_name = _text(ref.get("name"))
    target_kind = _text(ref.get("kind")) or default_kind
    if not target_name or not target_kind:
        return None  # nothing to link it to
    min_key = "minReplicas" if kind == "HorizontalPodAutoscaler" else "minReplicaCount"
    minimum = _int(spec.get(min_key))
    return ScaleTarget(
        kind=kind,
        name=_text(meta.get("name")) or "",
        namespace=_text(meta.get("namespace")),
        target_kind=target_kind,
        target_name=target_name,
        # An unparsable floor is treated like an absent one: the API server's default applies.
        min_replicas=minimum if minimum is not None else default_min,
        min_location=doc.loc_if("spec", min_key),
        location=doc.loc("kind"),
    )


def _budget(doc: _Doc, obj: dict[object, object]) -> DisruptionBudget:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    return DisruptionBudget(
        name=_text(meta.get("name")) or "",
        namespace=_text(meta.get("namespace")),
        match_labels=_str_map(_get(spec, "selector", "matchLabels")),
        min_available=_text(spec.get("minAvailable")),
        max_unavailable=_text(spec.get("maxUnavailable")),
        location=doc.loc("kind"),
    )


def prestop_sleep_seconds(prestop: object) -> float | None:
    """Seconds a preStop hook waits: the `sleep` action, or an exec'd `sleep N` (possibly in `sh -c`).

    None when there is no hook or its duration can't be read (an HTTP hook, a loop, a script).
    """
    if not isinstance(prestop, dict):
        return None
    sleep = prestop.get("sleep")
    if isinstance(sleep, dict):
        seconds = _int(sleep.get("seconds"))
        return float(seconds) if seconds is not None else None
    command = _argv(_dict(prestop.get("exec")).get("command"))
    return _command_sleep(command) if command else None


def _command_sleep(argv: tuple[str, ...]) -> float | None:
    program = posixpath.basename(argv[0])
    if program == "sleep":
        return _sleep_duration(argv[1:])
    if program not in _SHELLS:
        return None
    script = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if _SHELL_C_RE.match(a)), None)
    if script is None:
        return None
    commands = split_shell_commands(script)
    if any(word in _LOOP_WORDS for command in commands for word in (*command.prefix, *command.argv)):
        return None  # `while …; do sleep 1; done`: the duration depends on runtime state
    # Sleeps run one after another, so `sleep 5 && nginx -s quit && sleep 10` waits 15 s.
    total: float | None = None
    for command in commands:
        if posixpath.basename(command.argv[0]) == "sleep":
            seconds = _sleep_duration(command.argv[1:])
            if seconds is None:
                return None
            total = (total or 0.0) + seconds
    return total


def _sleep_duration(args: tuple[str, ...]) -> float | None:
    """`sleep` sums its operands (`sleep 1m 30s`); anything unreadable (`$DELAY`) makes it unknown."""
    if not args:
        return None
    total = 0.0
    for arg in args:
        match = _SLEEP_ARG_RE.match(arg)
        if not match:
            return None
        total += float(match.group(1)) * _SLEEP_UNITS[match.group(2)]
    return total


def _get(obj: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _dict(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """A scalar as Kubernetes would read it from YAML; None for absent or non-scalar values."""
    if isinstance(value, bool):
        return "true" if value else "false"  # `enabled: true` as a label value
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value) and len(value) < 20:
        return int(value)
    return None


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        text = _text(item)
        if text is not None and _text(key) is not None:
            result[str(_text(key))] = text
    return result


def _argv(value: object) -> tuple[str, ...] | None:
    """A command/args list; None when unset or not a list (the image's default then applies)."""
    if not isinstance(value, list):
        return None
    words = [_text(item) for item in value]
    return tuple(word if word is not None else "" for word in words)
