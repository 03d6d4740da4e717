"""Cross-artifact rules (TPR6xx): the worker code against the workload that runs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from tprlint.facts.python.values import Dur, Missing, describe_seconds
from tprlint.link.python_project import ResolvedWorker
from tprlint.model import RelatedLocation
from tprlint.rules.context import Hit, Project
from tprlint.rules.kubernetes import POD_DEFAULT_GRACE


def grace_period_shorter_than_drain(project: Project) -> Iterator[Hit]:
    """TPR601: the pod is SIGKILLed before the worker has finished draining."""
    margin = project.config.thresholds.grace_margin_seconds
    for workload in project.workloads:
        for link, workers in project.worker_links(workload):
            env = {e.name: e.value for e in link.container.env if e.value is not None and not e.from_ref}
            drain = _longest_drain([replace(w, graceful=project.python.graceful_with(w, env)) for w in workers])
            if drain is None:
                continue  # some worker's timeout is unknown: never guess
            seconds, worker = drain
            prestop = link.container.prestop_sleep_seconds or 0.0
            needed = seconds + prestop + margin
            grace = workload.grace_period_seconds
            effective = POD_DEFAULT_GRACE if grace is None else grace
            if effective > needed:
                continue
            grace_text = f"{effective} s" + (" (the Kubernetes default; not set)" if grace is None else "")
            prestop_text = f" + preStop sleep {describe_seconds(prestop)}" if prestop else ""
            related = [
                RelatedLocation(worker.location, f"Worker with graceful_shutdown_timeout {_drain_text(worker)}"),
                RelatedLocation(link.evidence, f"links {workload.kind} {workload.name} to "
                                f"{project.python.modules[link.module].path} via {link.evidence_text}"),
            ]
            yield Hit(
                workload.grace_period_location or workload.pod_spec_location,
                f"{workload.kind} {workload.name} gives its pods terminationGracePeriodSeconds {grace_text}, "
                f"but the worker it runs ({worker.location.path}:{worker.location.line}) drains for up to "
                f"{_drain_text(worker)}{prestop_text} + {describe_seconds(margin)} margin = "
                f"{describe_seconds(needed)}: Kubernetes SIGKILLs the pod mid-drain and running activities "
                f"are lost until their timeouts expire. Set terminationGracePeriodSeconds to at least "
                f"{int(needed) + 1}.",
                related=tuple(related),
                anchor=f"{workload.ref}/{link.container.name}",
            )


def _longest_drain(workers: list[ResolvedWorker]) -> tuple[float, ResolvedWorker] | None:
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


def _drain_text(worker: ResolvedWorker) -> str:
    if isinstance(worker.graceful, Dur):
        note = f" ({worker.graceful.note})" if worker.graceful.note else ""
        return f"{describe_seconds(worker.graceful.seconds)}{note}"
    return "0 s (SDK default)"


RULES = {"TPR601": grace_period_shorter_than_drain}
