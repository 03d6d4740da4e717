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

Selector = Callable[[object], "bool | None"]  # does this labelSelector select the template's pods?
_WHEN = ("DoNotSchedule", "ScheduleAnyway")


def spread_issue(pod_spec: dict[object, object], selects_own: Selector, locate: Callable[..., Location | None],
                 at: tuple[str, ...]) -> tuple[str, Location | None]:
    """Why none of the template's spreading counts its own replicas ("" when one does, or none is set)."""
    problems: list[tuple[str, Location | None]] = []
    constraints = pod_spec.get("topologySpreadConstraints")
    for index, raw in enumerate(constraints if isinstance(constraints, list) else []):
        where = locate(*at, "topologySpreadConstraints", index)
        if not isinstance(raw, dict):
            continue
        skew = raw.get("maxSkew")
        if not isinstance(skew, int) or isinstance(skew, bool) or skew < 1:
            problems.append((f"topologySpreadConstraints[{index}] has maxSkew {skew!r} (at least 1 is required)",
                             where))
        elif not isinstance(raw.get("topologyKey"), str) or not raw.get("topologyKey"):
            problems.append((f"topologySpreadConstraints[{index}] has no topologyKey", where))
        elif raw.get("whenUnsatisfiable") not in _WHEN:
            problems.append((f"topologySpreadConstraints[{index}] has whenUnsatisfiable "
                             f"{raw.get('whenUnsatisfiable')!r} (DoNotSchedule or ScheduleAnyway)", where))
        elif "labelSelector" not in raw:
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
