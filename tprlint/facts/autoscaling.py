"""What an autoscaler scales on: an HPA's metrics and a KEDA ScaledObject's triggers, with the task queues of
KEDA's Temporal scaler (``type: temporal``, ``metadata.taskQueue``)."""

from __future__ import annotations

from typing import Any, Protocol

from tprlint.model import Location


class Locator(Protocol):
    def loc_if(self, *keys: str | int) -> Location | None: ...


def scaling_signals(doc: Locator, spec: dict[object, object], kind: str) -> dict[str, Any]:
    """``signals`` ("cpu", "memory", "external:NAME", "temporal"...) and ``temporal_queues`` ((queue, where))."""
    signals: list[str] = []
    queues: list[tuple[str, Location | None]] = []
    if kind == "HorizontalPodAutoscaler":
        metrics = spec.get("metrics")
        if not isinstance(metrics, list) or not metrics:
            signals.append("cpu")  # autoscaling/v2 without metrics scales on CPU (80% of requests)
        for metric in metrics if isinstance(metrics, list) else ():
            signals.append(_metric_signal(metric))
    else:
        triggers = spec.get("triggers")
        for index, trigger in enumerate(triggers if isinstance(triggers, list) else []):
            if not isinstance(trigger, dict):
                continue
            kind_ = str(trigger.get("type") or "").lower()
            signals.append(kind_ or "unknown")
            metadata = trigger.get("metadata")
            if kind_ == "temporal" and isinstance(metadata, dict):
                queue = metadata.get("taskQueue")
                if isinstance(queue, str) and queue:
                    queues.append((queue, doc.loc_if("spec", "triggers", index, "metadata", "taskQueue")))
    return {"signals": tuple(signals), "temporal_queues": tuple(queues)}


def _metric_signal(metric: object) -> str:
    if not isinstance(metric, dict):
        return "unknown"
    kind = str(metric.get("type") or "")
    if kind in ("Resource", "ContainerResource"):
        block = metric.get("resource" if kind == "Resource" else "containerResource")
        name = block.get("name") if isinstance(block, dict) else None
        return str(name).lower() if isinstance(name, str) else "unknown"
    block = metric.get(kind[:1].lower() + kind[1:]) if kind else None
    inner = block.get("metric") if isinstance(block, dict) else None
    name = inner.get("name") if isinstance(inner, dict) else None
    return f"{kind.lower()}:{name}" if isinstance(name, str) else kind.lower() or "unknown"


CPU_LIKE = frozenset({"cpu", "memory"})
