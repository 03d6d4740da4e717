"""Kubernetes facts: the workload model rules and linking read.

Extraction from YAML documents lives in ``extract_kubernetes``; every fact keeps the location of
the key it came from so findings point at the exact line. The model is split by concern: containers
(``kube_containers``), workloads (``kube_workloads``), the objects around them (``kube_objects``) and
safe accessors (``kube_values``); this module re-exports their public names.
"""

from __future__ import annotations

import posixpath
from dataclasses import field

from tprlint.facts.kube_containers import Container, EnvVar, Probe, literal_secret, prestop_sleep_seconds
from tprlint.facts.kube_objects import (
    CLUSTER_POLICY_KINDS,
    NAMESPACED_POLICY_KINDS,
    DisruptionBudget,
    ImageOverride,
    LabelSelector,
    NetworkPolicy,
    ScaleTarget,
    disruption_budget,
    kustomize_images,
    label_selector,
    network_policy,
    scale_target,
    skaffold_images,
)
from tprlint.facts.kube_rollouts import ANALYSIS_TEMPLATE_KINDS, AnalysisTemplate, TemplateRef, analysis_template
from tprlint.facts.kube_values import KeyPath, Locator, as_dict, as_text, get_in
from tprlint.facts.kube_workloads import POD_SPEC_PATHS, WORKLOAD_KINDS, Workload, extract_workload, workload_from
from tprlint.facts.kustomization import Kustomization, extract_kustomization
from tprlint.facts.schema import ObjectSchema, validate_documents
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen, mutable

__all__ = [
    "WORKLOAD_KINDS", "AnalysisTemplate", "Container", "DisruptionBudget", "EnvVar", "ImageOverride", "KubeFacts",
    "LabelSelector", "Locator", "NetworkPolicy", "Probe", "ScaleTarget", "TemplateRef", "Workload",
    "extract_kubernetes", "label_selector", "literal_secret", "prestop_sleep_seconds", "workload_from",
]


@mutable
class KubeFacts:
    workloads: list[Workload] = field(default_factory=list)
    scale_targets: list[ScaleTarget] = field(default_factory=list)
    budgets: list[DisruptionBudget] = field(default_factory=list)
    network_policies: list[NetworkPolicy] = field(default_factory=list)
    image_overrides: list[ImageOverride] = field(default_factory=list)
    kustomizations: list[Kustomization] = field(default_factory=list)
    analysis_templates: list[AnalysisTemplate] = field(default_factory=list)  # Argo Rollouts' templates
    schema: list[ObjectSchema] = field(default_factory=list)  # built-in objects checked against their schema


_KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})


def extract_kubernetes(docs: list[YamlDoc], path: str) -> KubeFacts:
    """Workloads, autoscalers, disruption budgets, network policies and image rewrites in ``docs``."""
    facts = KubeFacts()
    kustomization = posixpath.basename(path).lower() in _KUSTOMIZATION_FILES
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        if kustomization or data.get("kind") in ("Kustomization", "Component"):
            facts.image_overrides += kustomize_images(_Doc(doc, path, ()), data)
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
    if not kustomization:
        facts.schema = validate_documents(docs, path)
    return facts


@frozen
class _Doc:
    """A YAML document plus the key path of the object inside it (non-empty for List items)."""

    doc: YamlDoc
    path: str
    prefix: KeyPath

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
    if kind in POD_SPEC_PATHS:
        meta = as_dict(obj.get("metadata"))
        if (as_text(meta.get("name")) or as_text(meta.get("generateName"))) and not _is_fragment(obj, kind, doc.path):
            # A nameless workload can't be applied, linked or fingerprinted: not a manifest.
            facts.workloads.append(extract_workload(doc, obj, kind))
    elif kind == "HorizontalPodAutoscaler":
        _append(facts.scale_targets, scale_target(doc, obj, kind, default_kind=None, default_min=1))
    elif kind == "ScaledObject":
        # KEDA targets a Deployment unless told otherwise, and may scale to zero by default.
        _append(facts.scale_targets, scale_target(doc, obj, kind, default_kind="Deployment", default_min=0))
    elif kind == "PodDisruptionBudget":
        facts.budgets.append(disruption_budget(doc, obj))
    elif kind in NAMESPACED_POLICY_KINDS or kind in CLUSTER_POLICY_KINDS:
        facts.network_policies.append(network_policy(doc, obj, kind))
    elif kind in ANALYSIS_TEMPLATE_KINDS and (as_text(obj.get("apiVersion")) or "").startswith("argoproj.io/"):
        template = analysis_template(doc, obj, kind)
        if template is not None:
            facts.analysis_templates.append(template)
    elif kind == "Config" and (as_text(obj.get("apiVersion")) or "").startswith("skaffold/"):
        facts.image_overrides += skaffold_images(doc, obj)


_PATCH_FOLDERS = frozenset({"patches", "patch", "overlays", "overlay", "tilt"})


def _is_fragment(obj: dict[object, object], kind: str, path: str) -> bool:
    """A strategic-merge patch (kustomize `patches`, Tilt patch files): in a patch's file or folder,
    containers that name no image. The API server refuses a container without one, so this is part of
    an object, not an object: judging it alone would report every setting the patch leaves to its base."""
    parts = path.lower().split("/")
    if "patch" not in parts[-1] and not _PATCH_FOLDERS.intersection(parts[:-1]):
        return False  # elsewhere an imageless container is a short example, judged as written
    containers = get_in(obj, *POD_SPEC_PATHS[kind], "containers")
    if not isinstance(containers, list) or not containers:
        return False  # no containers at all: a stub, judged as written (nothing here says "patch")
    return all(isinstance(c, dict) and not as_text(c.get("image")) for c in containers)


def _append(target: list[ScaleTarget], item: ScaleTarget | None) -> None:
    if item is not None:
        target.append(item)
