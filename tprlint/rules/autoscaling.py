"""TPR416, TPR417: workers autoscaled on the signal that says whether they keep up.

A worker waiting for tasks is idle, so CPU says little about a task queue's backlog: a CPU-scaled worker
adds pods only once the ones it has are busy computing, and an I/O-bound worker (most activities call
other services) may never look busy while tasks wait. KEDA's Temporal scaler scales on the backlog of the
task queue itself; it must then name a queue the workers poll.
"""

from __future__ import annotations

from collections.abc import Iterator

from tprlint.facts.autoscaling import CPU_LIKE
from tprlint.facts.kubernetes import ScaleTarget, Workload
from tprlint.facts.python.values import Lit
from tprlint.rules.context import Hit, Project


def scaled_workers(project: Project) -> Iterator[tuple[ScaleTarget, Workload, str]]:
    """Autoscalers of Temporal worker workloads, with the workload and why it is one."""
    workers = {(w.kind, w.namespace or "default", w.name): (w, reason) for w, reason in project.in_scope()
               if reason.startswith("Temporal worker")}
    for target in project.scale_targets:
        found = workers.get((target.target_kind, target.namespace or "default", target.target_name))
        if found is not None:
            yield target, found[0], found[1]


def cpu_only_autoscaling(project: Project) -> Iterator[Hit]:
    """TPR416: a worker scaled on CPU or memory alone."""
    for target, workload, reason in scaled_workers(project):
        if not target.signals or not set(target.signals) <= CPU_LIKE:
            continue
        shown = " and ".join(sorted(set(target.signals)))
        yield Hit(target.location, f"{target.kind} {target.name} scales {workload.kind} {workload.name} ({reason}) "
                  f"on {shown} only: a worker waiting for tasks is idle, so its {shown} does not show the task "
                  "queue's backlog. I/O-bound activities (most call other services) can leave tasks waiting while "
                  "every pod looks quiet, and the autoscaler never adds workers. Scale on the backlog: KEDA's "
                  "Temporal scaler (`type: temporal` with the worker's `taskQueue`), or an external metric of "
                  "the task queue's backlog or schedule-to-start latency.",
                  anchor=f"{workload.ref}/autoscaling-signal")


def _polled_queues(project: Project, workload: Workload) -> set[str] | None:
    """The task queues the workload's Workers poll; None when one of them cannot be resolved."""
    queues: set[str] = set()
    for _, workers in project.worker_links(workload):
        for worker in workers:
            value = project.python.fold(worker.option("task_queue"))
            if not (isinstance(value, Lit) and isinstance(value.value, str)):
                return None
            queues.add(value.value)
    return queues or None


def trigger_queue_not_polled(project: Project) -> Iterator[Hit]:
    """TPR417: a KEDA Temporal trigger on a task queue the scaled workers do not poll."""
    for target, workload, reason in scaled_workers(project):
        if not target.temporal_queues:
            continue
        polled = _polled_queues(project, workload)
        if polled is None:
            continue  # not linked to code, or a queue that cannot be resolved: nothing to compare with
        for queue, where in target.temporal_queues:
            if queue in polled:
                continue
            yield Hit(where or target.location, f"{target.kind} {target.name} scales {workload.kind} "
                      f"{workload.name} ({reason}) on the backlog of task queue `{queue}`, but its Workers poll "
                      f"{', '.join(f'`{q}`' for q in sorted(polled))}: the workers grow with another queue's "
                      "backlog and not with their own. Set the trigger's taskQueue to the queue they poll.",
                      anchor=f"{workload.ref}/keda-queue/{queue}")


RULES = {"TPR416": cpu_only_autoscaling, "TPR417": trigger_queue_not_polled}
