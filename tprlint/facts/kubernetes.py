"""Kubernetes facts: the workload model rules and linking read.

Extraction from YAML documents lives in ``extract_kubernetes``; every fact keeps the location of
the key it came from so findings point at the exact line.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from tprlint.facts.autoscaling import scaling_signals
from tprlint.facts.kustomization import Kustomization, extract_kustomization
from tprlint.facts.python.clients import REDACTED, is_placeholder, looks_like_token, secret_kind
from tprlint.facts.spread import spread_issue
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.link.commands import split_shell_commands
from tprlint.model import Location
from tprlint.secrets import scrub, scrub_argv

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "Job", "CronJob")


@dataclass(frozen=True)
class EnvVar:
    name: str
    # The literal value; None when valueFrom or absent. REDACTED when the name or the value looks like a
    # credential: facts are cached on disk, so a secret's text must never reach them.
    value: str | None
    from_ref: bool  # valueFrom / secretKeyRef etc.
    location: Location
    # What plain-text credential the literal holds ("" when none): "credential" (a secret-named variable
    # with a real value), "private-key" (PEM private key text), "url-password" (a password inside a URL).
    literal_secret: str = ""


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector: matchLabels plus matchExpressions (key, operator, values)."""

    match_labels: dict[str, str]
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    matches_all_when_empty: bool = True  # `{}` selects everything (policy/v1, NetworkPolicy) or nothing

    def matches(self, labels: dict[str, str]) -> bool | None:
        """Whether pods with ``labels`` are selected; None when an expression can't be evaluated."""
        if not self.match_labels and not self.expressions:
            return self.matches_all_when_empty
        if any(labels.get(key) != value for key, value in self.match_labels.items()):
            return False
        for key, operator, values in self.expressions:
            if operator == "In":
                ok = key in labels and labels[key] in values
            elif operator == "NotIn":
                ok = key not in labels or labels[key] not in values
            elif operator == "Exists":
                ok = key in labels
            elif operator == "DoesNotExist":
                ok = key not in labels
            else:
                return None
            if not ok:
                return False
        return True


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
    # Merged pod + container securityContext (container wins). Fields Kubernetes only reads on containers
    # (allowPrivilegeEscalation, readOnlyRootFilesystem, privileged, capabilities, procMount) are taken
    # from the container alone: at pod level the API server drops them.
    security_context: dict[str, object]
    security_location: Location | None = None  # the container's securityContext key
    # Names of the ConfigMaps and Secrets whose keys become environment variables (`envFrom`).
    env_from: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the container (manifests may omit the name; the API server would not)."""
        return self.name or "(unnamed)"

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
    # Deployment `strategy.type` as written (None = RollingUpdate); "canary"/"blueGreen" for Argo Rollouts.
    strategy_type: str | None = None
    strategy_location: Location | None = None
    max_unavailable: str | None = None  # rollingUpdate.maxUnavailable (Rollouts: canary.maxUnavailable)
    max_unavailable_location: Location | None = None
    rollout_analysis: bool = False  # an Argo Rollout runs some analysis (background, step, pre/post promotion)
    template_ref: bool = False  # an Argo Rollout's pod template lives in another object (spec.workloadRef)
    spread: bool = False  # non-empty topologySpreadConstraints or podAntiAffinity terms
    # Why that spreading counts none of the workload's own replicas (tprlint.facts.spread); "" when it does.
    spread_issue: str = ""
    spread_issue_location: Location | None = None
    share_process_namespace: bool = False  # the pause container is PID 1, not the app (TPR604)
    overlay: str = ""  # the kustomize overlay (its folder) that built it from a base and patches; "" as written

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
    # behavior.scaleDown (KEDA: advanced.horizontalPodAutoscalerConfig.behavior.scaleDown); None = unset,
    # which means the HPA's 300 s default stabilization window.
    scale_down_window: int | None = None
    scale_down_window_location: Location | None = None
    scale_down_disabled: bool = False  # selectPolicy: Disabled (never scales down)
    # What it scales on (tprlint.facts.autoscaling): "cpu", "memory", "temporal", "external:NAME"...
    signals: tuple[str, ...] = ()
    temporal_queues: tuple[tuple[str, Location | None], ...] = ()  # KEDA temporal triggers' task queues


@dataclass(frozen=True)
class DisruptionBudget:
    name: str
    namespace: str | None
    match_labels: dict[str, str]
    min_available: str | None  # int or percentage, as text
    max_unavailable: str | None
    location: Location
    selector: LabelSelector | None = None  # None: no selector, which selects no pods
    budget_location: Location | None = None  # the minAvailable / maxUnavailable key


@dataclass(frozen=True)
class NetworkPolicy:
    """A NetworkPolicy (or a CNI's policy kind), reduced to which pods it covers."""

    kind: str
    name: str
    namespace: str | None
    selector: LabelSelector | None  # None when tprlint can't evaluate it (CNI-specific selector syntax)
    cluster_wide: bool  # GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy, AdminNetworkPolicy...
    location: Location


@dataclass(frozen=True)
class ImageOverride:
    """An image that a deploy tool rewrites: a kustomization's `images:` entry or a Skaffold artifact."""

    name: str  # the image name as the manifests write it, without tag or digest
    tag: str | None  # kustomize newTag
    digest: bool  # kustomize digest
    built: bool  # Skaffold builds and tags it at deploy time
    location: Location


@dataclass
class KubeFacts:
    workloads: list[Workload] = field(default_factory=list)
    scale_targets: list[ScaleTarget] = field(default_factory=list)
    budgets: list[DisruptionBudget] = field(default_factory=list)
    network_policies: list[NetworkPolicy] = field(default_factory=list)
    image_overrides: list[ImageOverride] = field(default_factory=list)
    kustomizations: list[Kustomization] = field(default_factory=list)


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
# Policy kinds that select pods across namespaces: with one in the scan, per-namespace coverage is unknown.
_CLUSTER_POLICY_KINDS = frozenset({
    "GlobalNetworkPolicy", "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
})
_NAMESPACED_POLICY_KINDS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy"})
# securityContext fields that exist only on containers; a pod-level copy is ignored by Kubernetes.
_CONTAINER_ONLY_SECURITY = frozenset({
    "allowPrivilegeEscalation", "readOnlyRootFilesystem", "privileged", "capabilities", "procMount",
})
_KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})

_Path = tuple[str | int, ...]


def extract_kubernetes(docs: list[YamlDoc], path: str) -> KubeFacts:
    """Workloads, autoscalers, disruption budgets, network policies and image rewrites in ``docs``."""
    facts = KubeFacts()
    kustomization = posixpath.basename(path).lower() in _KUSTOMIZATION_FILES
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        if kustomization or data.get("kind") in ("Kustomization", "Component"):
            facts.image_overrides += _kustomize_images(_Doc(doc, path, ()), data)
            facts.kustomizations.append(extract_kustomization(doc, path, data))
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


class Locator(Protocol):
    """Where each key of an object was written: one YAML document, or a base and its patches."""

    @property
    def path(self) -> str: ...

    def loc(self, *keys: str | int) -> Location: ...

    def loc_if(self, *keys: str | int) -> Location | None: ...


def workload_from(doc: Locator, obj: dict[object, object]) -> Workload | None:
    """The workload ``obj`` describes, if it is a named workload (see ``tprlint.link.kustomize``)."""
    kind = obj.get("kind")
    name = _dict(obj.get("metadata")).get("name")
    if isinstance(kind, str) and kind in _POD_SPEC_PATHS and isinstance(name, str) and name:
        return _workload(doc, obj, kind)
    return None


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
        if (_text(meta.get("name")) or _text(meta.get("generateName"))) and not _is_fragment(obj, kind, doc.path):
            # A nameless workload can't be applied, linked or fingerprinted: not a manifest.
            facts.workloads.append(_workload(doc, obj, kind))
    elif kind == "HorizontalPodAutoscaler":
        _append(facts.scale_targets, _scale_target(doc, obj, kind, default_kind=None, default_min=1))
    elif kind == "ScaledObject":
        # KEDA targets a Deployment unless told otherwise, and may scale to zero by default.
        _append(facts.scale_targets, _scale_target(doc, obj, kind, default_kind="Deployment", default_min=0))
    elif kind == "PodDisruptionBudget":
        facts.budgets.append(_budget(doc, obj))
    elif kind in _NAMESPACED_POLICY_KINDS or kind in _CLUSTER_POLICY_KINDS:
        facts.network_policies.append(_network_policy(doc, obj, kind))
    elif kind == "Config" and (_text(obj.get("apiVersion")) or "").startswith("skaffold/"):
        facts.image_overrides += _skaffold_images(doc, obj)


_PATCH_FOLDERS = frozenset({"patches", "patch", "overlays", "overlay", "tilt"})


def _is_fragment(obj: dict[object, object], kind: str, path: str) -> bool:
    """A strategic-merge patch (kustomize `patches`, Tilt patch files): in a patch's file or folder,
    containers that name no image. The API server refuses a container without one, so this is part of
    an object, not an object: judging it alone would report every setting the patch leaves to its base."""
    parts = path.lower().split("/")
    if "patch" not in parts[-1] and not _PATCH_FOLDERS.intersection(parts[:-1]):
        return False  # elsewhere an imageless container is a short example, judged as written
    containers = _get(obj, *_POD_SPEC_PATHS[kind], "containers")
    if not isinstance(containers, list) or not containers:
        return False  # no containers at all: a stub, judged as written (nothing here says "patch")
    return all(isinstance(c, dict) and not _text(c.get("image")) for c in containers)


def _append(target: list[ScaleTarget], item: ScaleTarget | None) -> None:
    if item is not None:
        target.append(item)


def _workload(doc: Locator, obj: dict[object, object], kind: str) -> Workload:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    pod_path = _POD_SPEC_PATHS[kind]
    pod_spec = _dict(_get(obj, *pod_path))
    template = _dict(_get(obj, *pod_path[:-1])) if kind != "Pod" else obj
    pod_meta = _dict(template.get("metadata"))
    pod_security = {k: v for k, v in _dict(pod_spec.get("securityContext")).items()
                    if k not in _CONTAINER_ONLY_SECURITY}
    strategy = spec.get("strategy", spec.get("updateStrategy"))
    rollout = _rollout_strategy(doc, spec) if kind == "Rollout" else _deployment_strategy(doc, spec)
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
        **rollout,
        template_ref=kind == "Rollout" and isinstance(spec.get("workloadRef"), dict),
        spread=_spread(pod_spec),
        **_spread_issue(doc, pod_spec, pod_path, _str_map(pod_meta.get("labels"))),
        share_process_namespace=pod_spec.get("shareProcessNamespace") is True,
    )


def _deployment_strategy(doc: Locator, spec: dict[object, object]) -> dict[str, Any]:
    strategy = _dict(spec.get("strategy"))
    return {
        "strategy_type": _text(strategy.get("type")),
        "strategy_location": doc.loc_if("spec", "strategy", "type") or doc.loc_if("spec", "strategy"),
        "max_unavailable": _text(_get(strategy, "rollingUpdate", "maxUnavailable")),
        "max_unavailable_location": doc.loc_if("spec", "strategy", "rollingUpdate", "maxUnavailable"),
    }


def _rollout_strategy(doc: Locator, spec: dict[object, object]) -> dict[str, Any]:
    """Argo Rollouts: `canary` or `blueGreen`, and whether any analysis can abort it."""
    strategy = _dict(spec.get("strategy"))
    name = next((key for key in ("canary", "blueGreen") if isinstance(strategy.get(key), dict)), None)
    if name is None:
        return {"strategy_location": doc.loc_if("spec", "strategy")}
    body = _dict(strategy[name])
    if name == "canary":
        steps = body.get("steps")
        analysis = "analysis" in body or any(
            isinstance(step, dict) and ("analysis" in step or bool(_get(step, "experiment", "analyses")))
            for step in (steps if isinstance(steps, list) else [])
        )
    else:
        analysis = "prePromotionAnalysis" in body or "postPromotionAnalysis" in body
    return {
        "strategy_type": name,
        "strategy_location": doc.loc("spec", "strategy", name),
        "max_unavailable": _text(body.get("maxUnavailable")) if name == "canary" else None,
        "max_unavailable_location": doc.loc_if("spec", "strategy", name, "maxUnavailable"),
        "rollout_analysis": analysis,
    }


def _spread_issue(doc: Locator, pod_spec: dict[object, object], pod_path: tuple[str, ...],
                  labels: dict[str, str]) -> dict[str, Any]:
    def selects_own(value: object) -> bool | None:
        selector = label_selector(value, everything=False) if value is not None else None
        return selector.matches(labels) if selector is not None else None

    text, where = spread_issue(pod_spec, selects_own, doc.loc_if, pod_path)
    return {"spread_issue": text, "spread_issue_location": where}


def _spread(pod_spec: dict[object, object]) -> bool:
    constraints = pod_spec.get("topologySpreadConstraints")
    if isinstance(constraints, list) and constraints:
        return True
    anti = _dict(_get(pod_spec, "affinity", "podAntiAffinity"))
    return any(isinstance(anti.get(key), list) and anti.get(key) for key in (
        "requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"))


def _containers(
    doc: Locator, pod_spec: dict[object, object], list_path: _Path, pod_security: dict[object, object]
) -> tuple[Container, ...]:
    items = pod_spec.get(list_path[-1])
    if not isinstance(items, list):
        return ()
    return tuple(
        _container(doc, item, (*list_path, i), pod_security) for i, item in enumerate(items) if isinstance(item, dict)
    )


def _container(doc: Locator, spec: dict[object, object], at: _Path, pod_security: dict[object, object]) -> Container:
    resources = _dict(spec.get("resources"))
    prestop = _get(spec, "lifecycle", "preStop")
    security = {str(k): v for k, v in {**pod_security, **_dict(spec.get("securityContext"))}.items()}
    env = _env(doc, spec.get("env"), (*at, "env"))
    return Container(
        name=_text(spec.get("name")) or "",
        image=_text(spec.get("image")) or "",
        command=_argv(spec.get("command")),
        args=_argv(spec.get("args")),
        env=env,
        probes=_probes(doc, spec, at),
        requests=_str_map(resources.get("requests")),
        limits=_str_map(resources.get("limits")),
        prestop_sleep_seconds=prestop_sleep_seconds(prestop),
        prestop_location=doc.loc_if(*at, "lifecycle", "preStop"),
        location=doc.loc(*at),
        image_location=doc.loc(*at, "image"),
        resources_location=doc.loc_if(*at, "resources"),
        security_context=security,
        security_location=doc.loc_if(*at, "securityContext"),
        env_from=_env_from(spec.get("envFrom")),
    )


def _env_from(items: object) -> tuple[str, ...]:
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        for key in ("configMapRef", "secretRef"):
            name = _text(_dict(_dict(item).get(key)).get("name"))
            if name:
                names.append(name)
    return tuple(names)


def _env(doc: Locator, items: object, at: _Path) -> tuple[EnvVar, ...]:
    if not isinstance(items, list):
        return ()
    result: list[EnvVar] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name"))
        if not name:
            continue
        value = _text(item.get("value"))
        secret = literal_secret(name, value) if value else ""
        if value and (secret or _sensitive_name(name)) and not _harmless(value):
            value = REDACTED
        elif value:
            value = scrub(value)  # a password inside a URL, a token of a known format: never cached
        result.append(EnvVar(name, value, "valueFrom" in item, doc.loc(*at, i), secret))
    return tuple(result)


# Names whose literal value must not be cached even when tprlint does not judge it a credential.
_SENSITIVE_HINTS = ("pass", "pwd", "secret", "token", "key", "cred", "cert", "auth", "private")
_STRONG_KINDS = frozenset({"password", "secret", "token", "api-key", "private-key"})
_STRONG_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "privatekey")
# `<qualifier>_KEY` names that hold identifiers, not credentials.
_NOT_SECRET_KEYS = frozenset({
    "public", "kms", "cache", "partition", "routing", "sort", "primary", "foreign", "idempotency", "object",
    "s3", "bucket", "lookup", "hash", "dedup", "dedupe", "queue", "index", "group", "shard", "label",
})
_HARMLESS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"})
_REFERENCE_MARKS = ("$(", "${", "{{")
_PRIVATE_KEY_TEXT = re.compile(r"BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY")
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.\-]*://[^:/@\s]+:(?P<password>[^@/\s]+)@(?P<host>[^:/?#\s]+)")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def literal_secret(name: str, value: str) -> str:
    """What plain-text credential an env var's literal holds ("" for none; see ``EnvVar.literal_secret``).

    Secret names (the last word decides: ``DB_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``, ``PGPASSWORD``) with
    any real value; generic ``*_KEY`` names only with a machine-generated-looking value; any variable
    holding PEM private key text or a URL with a password. Never: empty values, ``$(VAR)`` / ``${VAR}`` /
    ``{{ }}`` references, booleans, file paths, ``*_KEY_ID``, ``PUBLIC_KEY``, ``TOKEN_URL``.
    """
    text = value.strip()
    if _PRIVATE_KEY_TEXT.search(text):
        return "private-key"
    match = _URL_CREDENTIALS.match(text)
    if match and match.group("host").lower() not in _LOOPBACK and not is_placeholder(match.group("password")):
        return "url-password"
    if _harmless(text) or (text.startswith("<") and text.endswith(">")):
        return ""
    words = [w.lower() for w in _WORD_RE.findall(name)]
    if not words:
        return ""
    if secret_kind(name) in _STRONG_KINDS or words[-1].endswith(_STRONG_SUFFIXES):
        return "credential"
    if words[-1] == "key" and (len(words) < 2 or words[-2] not in _NOT_SECRET_KEYS) and not secret_kind(name):
        return "credential" if looks_like_token(text) and not text.startswith("arn:") else ""
    return ""


def _sensitive_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in _SENSITIVE_HINTS)


def _harmless(value: str) -> bool:
    """Values that can't be a credential, safe to keep in the cache: references, booleans, paths."""
    text = value.strip()
    return (not text or text.lower() in _HARMLESS or any(mark in text for mark in _REFERENCE_MARKS)
            or text.startswith(("/", "./", "../", "~/", "file:")))


def _probes(doc: Locator, spec: dict[object, object], at: _Path) -> tuple[Probe, ...]:
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
    doc: Locator, obj: dict[object, object], kind: str, *, default_kind: str | None, default_min: int
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
        **_scale_down(doc, spec, kind),
        **scaling_signals(doc, spec, kind),
    )


def _scale_down(doc: Locator, spec: dict[object, object], kind: str) -> dict[str, Any]:
    path: tuple[str, ...] = ("behavior",) if kind == "HorizontalPodAutoscaler" else (
        "advanced", "horizontalPodAutoscalerConfig", "behavior")
    scale_down = _dict(_get(spec, *path, "scaleDown"))
    return {
        "scale_down_window": _int(scale_down.get("stabilizationWindowSeconds")),
        "scale_down_window_location": doc.loc_if("spec", *path, "scaleDown", "stabilizationWindowSeconds"),
        "scale_down_disabled": _text(scale_down.get("selectPolicy")) == "Disabled",
    }


def _budget(doc: Locator, obj: dict[object, object]) -> DisruptionBudget:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    # policy/v1: an empty selector selects every pod of the namespace; policy/v1beta1: none.
    everything = not (_text(obj.get("apiVersion")) or "").startswith("policy/v1beta")
    key = "minAvailable" if "minAvailable" in spec else "maxUnavailable"
    return DisruptionBudget(
        name=_text(meta.get("name")) or "",
        namespace=_text(meta.get("namespace")),
        match_labels=_str_map(_get(spec, "selector", "matchLabels")),
        min_available=_text(spec.get("minAvailable")),
        max_unavailable=_text(spec.get("maxUnavailable")),
        location=doc.loc("kind"),
        selector=label_selector(spec["selector"], everything) if isinstance(spec.get("selector"), dict) else None,
        budget_location=doc.loc_if("spec", key),
    )


def label_selector(value: object, everything: bool) -> LabelSelector | None:
    """A label selector; None when it is not a mapping (a template leftover, a string)."""
    if value is None:
        return LabelSelector({}, (), everything)
    if not isinstance(value, dict):
        return None
    expressions: list[tuple[str, str, tuple[str, ...]]] = []
    raw = value.get("matchExpressions")
    for item in raw if isinstance(raw, list) else []:
        item = _dict(item)
        values = item.get("values")
        words = tuple(w for w in (_text(v) for v in (values if isinstance(values, list) else [])) if w is not None)
        expressions.append((_text(item.get("key")) or "", _text(item.get("operator")) or "", words))
    return LabelSelector(_str_map(value.get("matchLabels")), tuple(expressions), everything)


def _network_policy(doc: Locator, obj: dict[object, object], kind: str) -> NetworkPolicy:
    meta = _dict(obj.get("metadata"))
    core = kind == "NetworkPolicy" and (_text(obj.get("apiVersion")) or "").startswith("networking.k8s.io/")
    # A core policy's podSelector is required; `{}` (or a missing one) selects every pod of the namespace.
    selector = label_selector(_get(obj, "spec", "podSelector"), True) if core else None
    return NetworkPolicy(
        kind=kind,
        name=_text(meta.get("name")) or "",
        namespace=_text(meta.get("namespace")),
        selector=selector,
        cluster_wide=kind in _CLUSTER_POLICY_KINDS,
        location=doc.loc("kind"),
    )


def _kustomize_images(doc: Locator, obj: dict[object, object]) -> list[ImageOverride]:
    images = obj.get("images")
    found: list[ImageOverride] = []
    for i, item in enumerate(images if isinstance(images, list) else []):
        item = _dict(item)
        name = _text(item.get("name"))
        if name:
            found.append(ImageOverride(name, _text(item.get("newTag")), bool(_text(item.get("digest"))), False,
                                       doc.loc("images", i)))
    return found


def _skaffold_images(doc: Locator, obj: dict[object, object]) -> list[ImageOverride]:
    artifacts = _get(obj, "build", "artifacts")
    found: list[ImageOverride] = []
    for i, item in enumerate(artifacts if isinstance(artifacts, list) else []):
        name = _text(_dict(item).get("image"))
        if name:
            found.append(ImageOverride(name, None, False, True, doc.loc("build", "artifacts", i)))
    return found


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
    return scrub_argv([word if word is not None else "" for word in words])
