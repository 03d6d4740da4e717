"""The timeouts of each activity call (TPR201-TPR204).

One problem, one finding: the same activity scheduled the same way from many places (nine workflows
calling `charge` without a timeout) is one finding at the activity, with every call site as a related
location, not one finding per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tprlint.facts.python.values import Expr, describe_seconds
from tprlint.model import RelatedLocation
from tprlint.rules.activities import (
    HEARTBEAT_TIMEOUT,
    SCTC,
    STC,
    LinkedCall,
    absent,
    call_anchor,
    index_of,
    production_calls,
    seconds_or_none,
)
from tprlint.rules.context import Hit, Project


def once_per_activity(found: Iterable[tuple[LinkedCall, Hit]]) -> Iterator[Hit]:
    """The hits, those that say the same of the same activity from several call sites merged into one
    placed at the activity's definition (or at the first call when the definition is not known)."""
    groups: dict[tuple[str, str], list[tuple[LinkedCall, Hit]]] = {}
    for call, hit in found:
        target = (f"{call.target.module}:{call.target.definition.location.line}" if call.target is not None
                  else call.target_text)
        groups.setdefault((target, hit.message), []).append((call, hit))
    for group in groups.values():
        call, hit = group[0]
        if len(group) == 1:
            yield hit
            continue
        sites = tuple(RelatedLocation(c.location, f"called the same way here ({c.function or 'module level'})")
                      for c, _ in group)
        where = call.target.definition.location if call.target is not None else call.location
        yield Hit(
            where,
            f"{hit.message} The same call is made from {len(group)} places; each is listed with this finding.",
            related=sites + tuple(r for r in hit.related if r.location != where),
            anchor=f"{call_anchor(call)}:every-call",
        )


# -- TPR201 ----------------------------------------------------------------------------------------------


def _activity_missing_timeout(project: Project) -> Iterator[tuple[LinkedCall, Hit]]:
    """TPR201: an activity call without start_to_close_timeout or schedule_to_close_timeout."""
    for call, option in production_calls(project):
        if call.unresolved or not (absent(option(STC)) and absent(option(SCTC))):
            continue
        yield call, Hit(
            call.location,
            f"{call.describe()} sets neither start_to_close_timeout nor schedule_to_close_timeout. The SDK "
            f"rejects the call only when the workflow runs it (ValueError: Activity must have "
            f"start_to_close_timeout or schedule_to_close_timeout): that fails the workflow task, so the "
            f"workflow stays Running and retries the task forever until a fix is deployed. Pass "
            f"start_to_close_timeout=timedelta(...) (the longest one attempt may take), and "
            f"schedule_to_close_timeout to bound all retries together if needed.",
            related=call.related(),
            anchor=call_anchor(call),
        )


# -- TPR202 ----------------------------------------------------------------------------------------------


def _long_activity_without_heartbeat(project: Project) -> Iterator[tuple[LinkedCall, Hit]]:
    """TPR202: an activity allowed to run long per attempt with no heartbeat_timeout."""
    threshold = project.config.thresholds.heartbeat_after_seconds
    index = index_of(project)
    for call, option in production_calls(project):
        if call.local or call.unresolved or not absent(option(HEARTBEAT_TIMEOUT)):
            continue
        stc, sctc = option(STC), option(SCTC)
        which, limit = (STC, seconds_or_none(stc)) if not absent(stc) else (SCTC, seconds_or_none(sctc))
        if limit is None or limit <= threshold:
            continue
        advice = "call activity.heartbeat() in the activity more often than that"
        if call.target is not None and index.heartbeats(call.target) == "no":
            advice = (f"call activity.heartbeat() in `{call.target.label}` more often than that (it never "
                      f"heartbeats today)")
        yield call, Hit(
            call.location,
            f"{call.describe()} lets one attempt run for {describe_seconds(limit)} ({which}, above the "
            f"{describe_seconds(threshold)} heartbeat-after-seconds threshold) with no heartbeat_timeout: if the "
            f"worker running it dies, "
            f"Temporal notices only when those {describe_seconds(limit)} have passed, and a cancellation from "
            f"the workflow never reaches the activity. Pass heartbeat_timeout=timedelta(...) (e.g. 30 s to "
            f"2 min) and {advice}.",
            related=call.related(),
            anchor=call_anchor(call),
        )


# -- TPR203 ----------------------------------------------------------------------------------------------


def _heartbeat_timeout_never_heartbeats(project: Project) -> Iterator[tuple[LinkedCall, Hit]]:
    """TPR203: heartbeat_timeout for an activity whose definition never heartbeats."""
    index = index_of(project)
    for call, option in production_calls(project):
        heartbeat = seconds_or_none(option(HEARTBEAT_TIMEOUT))
        if call.local or call.target is None or heartbeat is None or heartbeat <= 0:
            continue
        if index.heartbeats(call.target) != "no":
            continue
        target = call.target
        yield call, Hit(
            call.location,
            f"{call.describe()} sets heartbeat_timeout={describe_seconds(heartbeat)}, but activity "
            f"`{target.label}` ({target.path}:{target.definition.location.line}) never calls "
            f"activity.heartbeat(): every attempt that runs longer than {describe_seconds(heartbeat)} fails "
            f"with a heartbeat timeout and is retried, so long runs can never succeed. Call "
            f"activity.heartbeat() in the activity at least every {describe_seconds(heartbeat)} (e.g. once "
            f"per item it processes), or remove heartbeat_timeout.",
            related=call.related(),
            anchor=call_anchor(call),
        )


# -- TPR204 ----------------------------------------------------------------------------------------------


def _activity_timeouts_inconsistent(project: Project) -> Iterator[tuple[LinkedCall, Hit]]:
    """TPR204: heartbeat ≥ start-to-close, or start-to-close > schedule-to-close."""
    for call, option in production_calls(project):
        stc, sctc = _given_seconds(option(STC)), _given_seconds(option(SCTC))
        heartbeat = None if call.local else _given_seconds(option(HEARTBEAT_TIMEOUT))
        problems = []
        if stc is not None and sctc is not None and stc > sctc:
            problems.append(
                f"start_to_close_timeout ({describe_seconds(stc)}) is longer than schedule_to_close_timeout "
                f"({describe_seconds(sctc)}): the server caps each attempt at the schedule-to-close budget, so "
                f"one slow attempt uses up the whole budget and is never retried. Make start_to_close_timeout "
                f"the limit of one attempt, well below schedule_to_close_timeout (the limit of all attempts)"
            )
        attempt, which = (stc, STC) if stc is not None else (sctc, SCTC)
        if heartbeat is not None and heartbeat > 0 and attempt is not None and heartbeat >= attempt:
            problems.append(
                f"heartbeat_timeout ({describe_seconds(heartbeat)}) is not shorter than {which} "
                f"({describe_seconds(attempt)}): the attempt times out before a missed heartbeat is noticed, "
                f"so the heartbeat timeout never detects a dead worker early. Use a heartbeat_timeout well "
                f"below {which} (e.g. 30 s to 2 min) and heartbeat more often than that"
            )
        if problems:
            yield call, Hit(
                call.location, f"{call.describe()}: " + "; also, ".join(problems) + ".",
                related=call.related(), anchor=call_anchor(call),
            )


def _per_activity(found: Callable[[Project], Iterable[tuple[LinkedCall, Hit]]]) -> Callable[[Project], Iterator[Hit]]:
    """A rule from per-call hits: the same hit from several calls of one activity becomes one finding."""
    return lambda project: once_per_activity(found(project))


RULES = {
    "TPR201": _per_activity(_activity_missing_timeout),
    "TPR202": _per_activity(_long_activity_without_heartbeat),
    "TPR203": _per_activity(_heartbeat_timeout_never_heartbeats),
    "TPR204": _per_activity(_activity_timeouts_inconsistent),
}


def _given_seconds(value: Expr) -> float | None:
    """The seconds of a timeout that is set: `timedelta(0)` is "not set" to the SDK, not a zero limit."""
    return None if absent(value) else seconds_or_none(value)
