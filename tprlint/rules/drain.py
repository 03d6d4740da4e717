"""How long a linked worker drains on shutdown: what TPR401, TPR601 and TPR602 compare the
orchestrator's grace period with."""

from __future__ import annotations

from tprlint.facts.python.values import Dur, Missing, Unknown, describe_seconds
from tprlint.link.python_project import ResolvedWorker


def longest_drain(workers: list[ResolvedWorker]) -> tuple[float, ResolvedWorker] | None:
    """The longest ``graceful_shutdown_timeout`` among ``workers`` (a missing one is the SDK's 0 s),
    or None when any of them is not resolved: the comparison would be a guess."""
    best: tuple[float, ResolvedWorker] | None = None
    for worker in workers:
        if isinstance(worker.graceful, Missing):
            seconds = 0.0
        elif isinstance(worker.graceful, Dur):
            seconds = worker.graceful.seconds
        else:
            return None
        if best is None or seconds > best[0]:
            best = (seconds, worker)
    return best


def undecided_drain(workers: list[ResolvedWorker]) -> str:
    """Why ``longest_drain`` gave None: the first worker whose drain could not be resolved, and why."""
    for worker in workers:
        if not isinstance(worker.graceful, (Missing, Dur)):
            why = worker.graceful.reason if isinstance(worker.graceful, Unknown) else "it is computed at run time"
            return f"the drain of {worker.location.path}:{worker.location.line} could not be resolved ({why})"
    return ""


def drain_text(worker: ResolvedWorker) -> str:
    if isinstance(worker.graceful, Dur):
        note = f" ({worker.graceful.note})" if worker.graceful.note else ""
        return f"{describe_seconds(worker.graceful.seconds)}{note}"
    return "0 s (SDK default)"
