"""Whether a pod template's spreading spreads its own replicas.

``topologySpreadConstraints`` and ``podAntiAffinity`` count the pods their ``labelSelector`` selects: a
selector that does not match the template's own labels (a label renamed in one place only, a selector
copied from another workload) counts none of the replicas, and the scheduler is then free to put them all
on one node. A constraint without ``labelSelector`` counts no pods either; one the API server would
refuse (``maxSkew`` below 1, no ``topologyKey``, an unknown ``whenUnsatisfiable``) spreads nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from tprlint.model import Location
from tprlint.records import frozen

Selector = Callable[[object], "bool | None"]  # does this labelSelector select the template's pods?
_WHEN = ("DoNotSchedule", "ScheduleAnyway")
_MAX_CONSTRAINTS = 32  # a pod template holds a few; a hostile file gets no more than this read


@frozen
class SpreadFault:
    """Why the API server refuses one topologySpreadConstraint, and where it is."""

    text: str
    location: Location | None


def invalid_spread(pod_spec: dict[object, object], locate: Callable[..., Location | None],
                   at: tuple[str, ...]) -> tuple[SpreadFault, ...]:
    """The topologySpreadConstraints the API server's validation refuses (one fault per constraint)."""
    faults: list[SpreadFault] = []
    constraints = pod_spec.get("topologySpreadConstraints")
    for index, raw in enumerate(constraints[:_MAX_CONSTRAINTS] if isinstance(constraints, list) else []):
        text = _constraint_fault(index, raw) if isinstance(raw, dict) else ""
        if text:
            faults.append(SpreadFault(text, locate(*at, "topologySpreadConstraints", index)))
    return tuple(faults)


def _constraint_fault(index: int, raw: dict[object, object]) -> str:
    skew = raw.get("maxSkew")
    if not isinstance(skew, int) or isinstance(skew, bool) or skew < 1:
        return f"topologySpreadConstraints[{index}] has maxSkew {skew!r} (an integer of at least 1 is required)"
    if not isinstance(raw.get("topologyKey"), str) or not raw.get("topologyKey"):
        return f"topologySpreadConstraints[{index}] has no topologyKey"
    if raw.get("whenUnsatisfiable") not in _WHEN:
        return (f"topologySpreadConstraints[{index}] has whenUnsatisfiable {raw.get('whenUnsatisfiable')!r} "
                "(DoNotSchedule or ScheduleAnyway)")
    return ""


def spread_issue(pod_spec: dict[object, object], selects_own: Selector, locate: Callable[..., Location | None],
                 at: tuple[str, ...]) -> tuple[str, Location | None]:
    """Why none of the template's spreading counts its own replicas ("" when one does, or none is set)."""
    problems: list[tuple[str, Location | None]] = []
    constraints = pod_spec.get("topologySpreadConstraints")
    for index, raw in enumerate(constraints if isinstance(constraints, list) else []):
        where = locate(*at, "topologySpreadConstraints", index)
        if not isinstance(raw, dict):
            continue
        if _constraint_fault(index, raw):
            continue  # refused by the API server: TPR423's finding, not this one
        if "labelSelector" not in raw:
            problems.append((f"topologySpreadConstraints[{index}] has no labelSelector, so it counts no pods", where))
        elif selects_own(raw.get("labelSelector")) is False:
            problems.append((f"the labelSelector of topologySpreadConstraints[{index}] does not match the pod "
                             "template's labels, so it counts none of these replicas", where))
        else:
            return "", None  # this one spreads the replicas (or cannot be judged): nothing to say
    anti = pod_spec.get("affinity")
    anti = anti.get("podAntiAffinity") if isinstance(anti, dict) else None
    for key, inner in (("requiredDuringSchedulingIgnoredDuringExecution", False),
                       ("preferredDuringSchedulingIgnoredDuringExecution", True)):
        terms = anti.get(key) if isinstance(anti, dict) else None
        for index, raw in enumerate(terms if isinstance(terms, list) else []):
            term = raw.get("podAffinityTerm") if inner and isinstance(raw, dict) else raw
            if not isinstance(term, dict):
                continue
            where = locate(*at, "affinity", "podAntiAffinity", key, index)
            if selects_own(term.get("labelSelector")) is False or "labelSelector" not in term:
                problems.append((f"the podAntiAffinity term {key.split('During')[0]}[{index}] does not select the "
                                 "pod template's labels, so it keeps these replicas away only from other pods",
                                 where))
            else:
                return "", None
    if not problems:
        return "", None
    return "; ".join(text for text, _ in problems[:3]), problems[0][1]
