"""Kubernetes workloads: the pod template, its rollout strategy and spreading, as rules read them."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from tprlint.facts.kube_containers import Container, containers_of
from tprlint.facts.kube_objects import label_selector
from tprlint.facts.kube_rollouts import TemplateRef, deployment_strategy, rollout_settings, rollout_strategy
from tprlint.facts.kube_values import Locator, as_dict, as_int, as_text, get_in, str_map
from tprlint.facts.spread import SpreadFault, invalid_spread, spread_issue
from tprlint.model import Location
from tprlint.records import frozen

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "Job", "CronJob")


# Where each workload kind keeps its pod spec, relative to the document.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts mirrors Deployment
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
# securityContext fields that exist only on containers; a pod-level copy is ignored by Kubernetes.
_CONTAINER_ONLY_SECURITY = frozenset({
    "allowPrivilegeEscalation", "readOnlyRootFilesystem", "privileged", "capabilities", "procMount",
})


@frozen
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
    # topologySpreadConstraints the API server refuses (maxSkew below 1, no topologyKey, an unknown
    # whenUnsatisfiable): the whole object is then rejected at apply time.
    spread_invalid: tuple[SpreadFault, ...] = ()
    # Deployments and Argo Rollouts: spec.progressDeadlineSeconds (None = the 600 s default) and
    # spec.revisionHistoryLimit (None = the default of 10 old ReplicaSets kept for rollbacks).
    progress_deadline_seconds: int | None = None
    progress_deadline_location: Location | None = None
    revision_history_limit: int | None = None
    revision_history_location: Location | None = None
    canary_steps: int = 0  # an Argo Rollout's canary steps (each holds a mix of the old and the new build)
    analysis_templates: tuple[TemplateRef, ...] = ()  # AnalysisTemplates an Argo Rollout's analysis names
    share_process_namespace: bool = False  # the pause container is PID 1, not the app (TPR604)
    overlay: str = ""  # the kustomize overlay (its folder) that built it from a base and patches; "" as written

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` - stable identity for fingerprints and messages."""
        return f"{self.kind}/{self.namespace or 'default'}/{self.name}"


def workload_from(doc: Locator, obj: dict[object, object]) -> Workload | None:
    """The workload ``obj`` describes, if it is a named workload (see ``tprlint.link.kustomize``)."""
    kind = obj.get("kind")
    name = as_dict(obj.get("metadata")).get("name")
    if isinstance(kind, str) and kind in POD_SPEC_PATHS and isinstance(name, str) and name:
        return extract_workload(doc, obj, kind)
    return None


def extract_workload(doc: Locator, obj: dict[object, object], kind: str) -> Workload:
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    pod_path = POD_SPEC_PATHS[kind]
    pod_spec = as_dict(get_in(obj, *pod_path))
    template = as_dict(get_in(obj, *pod_path[:-1])) if kind != "Pod" else obj
    pod_meta = as_dict(template.get("metadata"))
    pod_security = {k: v for k, v in as_dict(pod_spec.get("securityContext")).items()
                    if k not in _CONTAINER_ONLY_SECURITY}
    strategy = spec.get("strategy", spec.get("updateStrategy"))
    rollout = rollout_strategy(doc, spec) if kind == "Rollout" else deployment_strategy(doc, spec)
    settings = rollout_settings(doc, spec) if kind in ("Deployment", "Rollout") else {}
    return Workload(
        kind=kind,
        name=as_text(meta.get("name")) or as_text(meta.get("generateName")) or "",
        namespace=as_text(meta.get("namespace")),
        api_version=as_text(obj.get("apiVersion")) or "",
        location=doc.loc("kind"),
        labels=str_map(meta.get("labels")),
        annotations=str_map(meta.get("annotations")),
        pod_labels=str_map(pod_meta.get("labels")),
        pod_annotations=str_map(pod_meta.get("annotations")),
        selector=str_map(get_in(spec, "selector", "matchLabels")),
        replicas=as_int(spec.get("replicas")) if kind != "Pod" else None,
        replicas_location=doc.loc_if("spec", "replicas") if kind != "Pod" else None,
        grace_period_seconds=as_int(pod_spec.get("terminationGracePeriodSeconds")),
        grace_period_location=doc.loc_if(*pod_path, "terminationGracePeriodSeconds"),
        pod_spec_location=doc.loc(*pod_path),
        containers=containers_of(doc, pod_spec, (*pod_path, "containers"), pod_security),
        init_containers=containers_of(doc, pod_spec, (*pod_path, "initContainers"), pod_security),
        strategy=dict(strategy) if isinstance(strategy, dict) else {},
        **rollout,
        **settings,
        template_ref=kind == "Rollout" and isinstance(spec.get("workloadRef"), dict),
        spread=_spread(pod_spec),
        **_spread_issue(doc, pod_spec, pod_path, str_map(pod_meta.get("labels"))),
        spread_invalid=invalid_spread(pod_spec, doc.loc_if, pod_path),
        share_process_namespace=pod_spec.get("shareProcessNamespace") is True,
    )


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
    anti = as_dict(get_in(pod_spec, "affinity", "podAntiAffinity"))
    return any(isinstance(anti.get(key), list) and anti.get(key) for key in (
        "requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"))
