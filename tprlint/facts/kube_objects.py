"""Kubernetes objects around workloads: autoscalers, disruption budgets, network policies, image rewrites."""

from __future__ import annotations

from typing import Any

from tprlint.facts.autoscaling import scaling_signals
from tprlint.facts.kube_values import Locator, as_dict, as_int, as_text, get_in, str_map
from tprlint.model import Location
from tprlint.records import frozen

# Policy kinds that select pods across namespaces: with one in the scan, per-namespace coverage is unknown.
CLUSTER_POLICY_KINDS = frozenset({
    "GlobalNetworkPolicy", "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
})
NAMESPACED_POLICY_KINDS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy"})


@frozen
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



@frozen
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


@frozen
class DisruptionBudget:
    name: str
    namespace: str | None
    match_labels: dict[str, str]
    min_available: str | None  # int or percentage, as text
    max_unavailable: str | None
    location: Location
    selector: LabelSelector | None = None  # None: no selector, which selects no pods
    budget_location: Location | None = None  # the minAvailable / maxUnavailable key


@frozen
class NetworkPolicy:
    """A NetworkPolicy (or a CNI's policy kind), reduced to which pods it covers."""

    kind: str
    name: str
    namespace: str | None
    selector: LabelSelector | None  # None when tprlint can't evaluate it (CNI-specific selector syntax)
    cluster_wide: bool  # GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy, AdminNetworkPolicy...
    location: Location


@frozen
class ImageOverride:
    """An image that a deploy tool rewrites: a kustomization's `images:` entry or a Skaffold artifact."""

    name: str  # the image name as the manifests write it, without tag or digest
    tag: str | None  # kustomize newTag
    digest: bool  # kustomize digest
    built: bool  # Skaffold builds and tags it at deploy time
    location: Location



def scale_target(
    doc: Locator, obj: dict[object, object], kind: str, *, default_kind: str | None, default_min: int
) -> ScaleTarget | None:
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    ref = as_dict(spec.get("scaleTargetRef"))
    target_name = as_text(ref.get("name"))
    target_kind = as_text(ref.get("kind")) or default_kind
    if not target_name or not target_kind:
        return None  # nothing to link it to
    min_key = "minReplicas" if kind == "HorizontalPodAutoscaler" else "minReplicaCount"
    minimum = as_int(spec.get(min_key))
    return ScaleTarget(
        kind=kind,
        name=as_text(meta.get("name")) or "",
        namespace=as_text(meta.get("namespace")),
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
    scale_down = as_dict(get_in(spec, *path, "scaleDown"))
    return {
        "scale_down_window": as_int(scale_down.get("stabilizationWindowSeconds")),
        "scale_down_window_location": doc.loc_if("spec", *path, "scaleDown", "stabilizationWindowSeconds"),
        "scale_down_disabled": as_text(scale_down.get("selectPolicy")) == "Disabled",
    }


def disruption_budget(doc: Locator, obj: dict[object, object]) -> DisruptionBudget:
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    # policy/v1: an empty selector selects every pod of the namespace; policy/v1beta1: none.
    everything = not (as_text(obj.get("apiVersion")) or "").startswith("policy/v1beta")
    key = "minAvailable" if "minAvailable" in spec else "maxUnavailable"
    return DisruptionBudget(
        name=as_text(meta.get("name")) or "",
        namespace=as_text(meta.get("namespace")),
        match_labels=str_map(get_in(spec, "selector", "matchLabels")),
        min_available=as_text(spec.get("minAvailable")),
        max_unavailable=as_text(spec.get("maxUnavailable")),
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
        item = as_dict(item)
        values = item.get("values")
        words = tuple(w for w in (as_text(v) for v in (values if isinstance(values, list) else [])) if w is not None)
        expressions.append((as_text(item.get("key")) or "", as_text(item.get("operator")) or "", words))
    return LabelSelector(str_map(value.get("matchLabels")), tuple(expressions), everything)


def network_policy(doc: Locator, obj: dict[object, object], kind: str) -> NetworkPolicy:
    meta = as_dict(obj.get("metadata"))
    core = kind == "NetworkPolicy" and (as_text(obj.get("apiVersion")) or "").startswith("networking.k8s.io/")
    # A core policy's podSelector is required; `{}` (or a missing one) selects every pod of the namespace.
    selector = label_selector(get_in(obj, "spec", "podSelector"), True) if core else None
    return NetworkPolicy(
        kind=kind,
        name=as_text(meta.get("name")) or "",
        namespace=as_text(meta.get("namespace")),
        selector=selector,
        cluster_wide=kind in CLUSTER_POLICY_KINDS,
        location=doc.loc("kind"),
    )


def kustomize_images(doc: Locator, obj: dict[object, object]) -> list[ImageOverride]:
    images = obj.get("images")
    found: list[ImageOverride] = []
    for i, item in enumerate(images if isinstance(images, list) else []):
        item = as_dict(item)
        name = as_text(item.get("name"))
        if name:
            found.append(ImageOverride(name, as_text(item.get("newTag")), bool(as_text(item.get("digest"))), False,
                                       doc.loc("images", i)))
    return found


def skaffold_images(doc: Locator, obj: dict[object, object]) -> list[ImageOverride]:
    artifacts = get_in(obj, "build", "artifacts")
    found: list[ImageOverride] = []
    for i, item in enumerate(artifacts if isinstance(artifacts, list) else []):
        name = as_text(as_dict(item).get("image"))
        if name:
            found.append(ImageOverride(name, None, False, True, doc.loc("build", "artifacts", i)))
    return found
