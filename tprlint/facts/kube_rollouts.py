"""How a workload rolls out: Deployment and Argo Rollouts strategies, their analysis, deadlines and history.

Argo Rollouts' canary and blue-green strategies run the old and the new build side by side on purpose
(canary steps hold a mix of both; blue-green keeps a preview stack beside the active one), and abort a bad
version through analysis runs built from AnalysisTemplates the Rollout names.
"""

from __future__ import annotations

from typing import Any

from tprlint.facts.kube_values import Locator, as_dict, as_int, as_text, get_in
from tprlint.model import Location
from tprlint.records import frozen

ANALYSIS_TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
_MAX_REFS = 64  # a Rollout names a handful of templates; a hostile file gets no more than this read


@frozen
class TemplateRef:
    """An AnalysisTemplate (or, with ``clusterScope: true``, a ClusterAnalysisTemplate) a Rollout names."""

    name: str
    cluster_scope: bool
    location: Location  # the `templateName:` key


@frozen
class AnalysisTemplate:
    """An AnalysisTemplate or ClusterAnalysisTemplate object of the scan, reduced to its identity."""

    kind: str
    name: str
    namespace: str | None
    location: Location


def analysis_template(doc: Locator, obj: dict[object, object], kind: str) -> AnalysisTemplate | None:
    meta = as_dict(obj.get("metadata"))
    name = as_text(meta.get("name"))
    if not name:
        return None
    return AnalysisTemplate(kind, name, as_text(meta.get("namespace")), doc.loc("kind"))


def rollout_settings(doc: Locator, spec: dict[object, object]) -> dict[str, Any]:
    """What Deployments and Rollouts share: the progress deadline and the rollback history kept."""
    return {
        "progress_deadline_seconds": as_int(spec.get("progressDeadlineSeconds")),
        "progress_deadline_location": doc.loc_if("spec", "progressDeadlineSeconds"),
        "revision_history_limit": as_int(spec.get("revisionHistoryLimit")),
        "revision_history_location": doc.loc_if("spec", "revisionHistoryLimit"),
    }


def deployment_strategy(doc: Locator, spec: dict[object, object]) -> dict[str, Any]:
    strategy = as_dict(spec.get("strategy"))
    return {
        "strategy_type": as_text(strategy.get("type")),
        "strategy_location": doc.loc_if("spec", "strategy", "type") or doc.loc_if("spec", "strategy"),
        "max_unavailable": as_text(get_in(strategy, "rollingUpdate", "maxUnavailable")),
        "max_unavailable_location": doc.loc_if("spec", "strategy", "rollingUpdate", "maxUnavailable"),
    }


def rollout_strategy(doc: Locator, spec: dict[object, object]) -> dict[str, Any]:
    """Argo Rollouts: `canary` or `blueGreen`, whether any analysis can abort it, and the templates named."""
    strategy = as_dict(spec.get("strategy"))
    name = next((key for key in ("canary", "blueGreen") if isinstance(strategy.get(key), dict)), None)
    if name is None:
        return {"strategy_location": doc.loc_if("spec", "strategy")}
    body = as_dict(strategy[name])
    at = ("spec", "strategy", name)
    refs: list[TemplateRef] = []
    steps = body.get("steps") if name == "canary" else None
    steps = steps if isinstance(steps, list) else []
    if name == "canary":
        analysis = "analysis" in body or any(
            isinstance(step, dict) and ("analysis" in step or bool(get_in(step, "experiment", "analyses")))
            for step in steps
        )
        refs += _template_refs(doc, body.get("analysis"), (*at, "analysis"), "templates")
        for index, step in enumerate(steps[:_MAX_REFS]):
            step = as_dict(step)
            refs += _template_refs(doc, step.get("analysis"), (*at, "steps", index, "analysis"), "templates")
            refs += _template_refs(doc, step.get("experiment"), (*at, "steps", index, "experiment"), "analyses")
    else:
        analysis = "prePromotionAnalysis" in body or "postPromotionAnalysis" in body
        for key in ("prePromotionAnalysis", "postPromotionAnalysis"):
            refs += _template_refs(doc, body.get(key), (*at, key), "templates")
    return {
        "strategy_type": name,
        "strategy_location": doc.loc(*at),
        "max_unavailable": as_text(body.get("maxUnavailable")) if name == "canary" else None,
        "max_unavailable_location": doc.loc_if(*at, "maxUnavailable"),
        "rollout_analysis": analysis,
        "canary_steps": len(steps),
        "analysis_templates": tuple(refs[:_MAX_REFS]),
    }


def _template_refs(doc: Locator, holder: object, at: tuple[str | int, ...], key: str) -> list[TemplateRef]:
    """``templateName`` of each item of ``holder[key]`` (analysis `templates`, experiment `analyses`)."""
    items = as_dict(holder).get(key)
    found: list[TemplateRef] = []
    for index, item in enumerate(items[:_MAX_REFS] if isinstance(items, list) else []):
        item = as_dict(item)
        name = as_text(item.get("templateName"))
        if name:
            found.append(TemplateRef(name, item.get("clusterScope") is True,
                                     doc.loc(*at, key, index, "templateName")))
    return found
