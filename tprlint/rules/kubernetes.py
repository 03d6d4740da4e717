"""Rules on Kubernetes workloads (TPR4xx): Temporal workers and server components by default,
every workload with ``scope = "all"``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.facts.kubernetes import Container, Workload
from tprlint.model import Location
from tprlint.rules.context import Hit, Project
from tprlint.rules.drain import longest_drain
from tprlint.rules.temporal_server import judged_by_server_rules

REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "Rollout", "ReplicaSet"})
POD_DEFAULT_GRACE = 30


def grace_period_unset_for_worker(project: Project) -> Iterator[Hit]:
    """TPR401: a worker pod that gets Kubernetes' 30 s default to drain."""
    for workload, reason in project.in_scope():
        if not reason.startswith("Temporal worker") or workload.grace_period_seconds is not None:
            continue
        if workload.kind in ("Job", "CronJob", "Pod"):
            continue
        if _drain_known(project, workload):
            continue  # TPR601 compares the real numbers instead
        yield Hit(
            workload.pod_spec_location,
            f"{workload.kind} {workload.name} ({reason}) does not set terminationGracePeriodSeconds, so "
            f"Kubernetes SIGKILLs its pods {POD_DEFAULT_GRACE} s after SIGTERM, whatever the worker's "
            "graceful_shutdown_timeout. Set terminationGracePeriodSeconds above the worker's drain time "
            "(graceful_shutdown_timeout + preStop + a few seconds).",
            anchor=workload.ref,
        )


def _drain_known(project: Project, workload: Workload) -> bool:
    return any(longest_drain(workers) is not None for _, workers in project.worker_links(workload))


def _worker(reason: str) -> bool:
    """Worker wording only for workers: under `--scope all` an API server is judged as what it is."""
    return reason.startswith("Temporal worker")


def readiness_probe_missing(project: Project) -> Iterator[Hit]:
    """TPR402."""
    yield from _probe_missing(project, "readiness", lambda worker: (
        "Kubernetes sends it traffic and counts it available during rollouts before it is ready"
        + ("; for a worker, a rollout can take old pods down before new ones poll" if worker else "")))


def liveness_probe_missing(project: Project) -> Iterator[Hit]:
    """TPR403."""
    yield from _probe_missing(project, "liveness", lambda worker: (
        "a hung process (deadlocked event loop, stuck poller) is never restarted and silently stops processing "
        "its task queue" if worker else "a hung process is never restarted"))


def _probe_missing(project: Project, kind: str, why: Callable[[bool], str]) -> Iterator[Hit]:
    for workload, reason in project.in_scope():
        if workload.kind in ("Job", "CronJob"):
            continue
        for container in workload.containers:
            if container.probe(kind) is None:
                yield Hit(
                    container.location,
                    f"Container {container.label} of {workload.kind} {workload.name} ({reason}) has no "
                    f"{kind}Probe: {why(_worker(reason))}. Add a {kind}Probe (an httpGet on a health endpoint"
                    + (", or an exec check for workers without HTTP)." if _worker(reason) else ")."),
                    anchor=f"{workload.ref}/{container.name}",
                )


def resource_requests_missing(project: Project) -> Iterator[Hit]:
    """TPR404."""
    for workload, reason in project.in_scope():
        if judged_by_server_rules(project, workload, "resources"):
            continue  # TPR511 says it once, where it is fixed
        for container in workload.containers:
            # Kubernetes copies a limit into the request when only the limit is set.
            missing = [r for r in ("cpu", "memory") if r not in container.requests and r not in container.limits]
            if missing:
                yield Hit(
                    _resources_location(container),
                    f"Container {container.label} of {workload.kind} {workload.name} ({reason}) requests no "
                    f"{' or '.join(missing)}: the scheduler packs it blindly and it is the first to be "
                    f"evicted under node pressure{', mid-activity' if _worker(reason) else ''}. Set "
                    "resources.requests.cpu and "
                    "resources.requests.memory.",
                    anchor=f"{workload.ref}/{container.name}",
                )


def memory_limit_missing(project: Project) -> Iterator[Hit]:
    """TPR405."""
    for workload, reason in project.in_scope():
        if judged_by_server_rules(project, workload, "resources"):
            continue  # TPR511
        for container in workload.containers:
            if "memory" not in container.limits:
                yield Hit(
                    _resources_location(container),
                    f"Container {container.label} of {workload.kind} {workload.name} ({reason}) has no "
                    f"memory limit: a leak{' or a large workflow cache' if _worker(reason) else ''} can "
                    "exhaust the node and take neighbours down. Set resources.limits.memory"
                    + (" (workflow cache size drives a worker's memory: see max_cached_workflows)."
                       if _worker(reason) else "."),
                    anchor=f"{workload.ref}/{container.name}",
                )


def replica_floor_too_low(project: Project) -> Iterator[Hit]:
    """TPR406."""
    minimum = project.config.thresholds.worker_min_replicas
    for workload, reason in project.in_scope():
        if workload.kind not in REPLICATED_KINDS or judged_by_server_rules(project, workload, "replicas"):
            continue  # a Temporal server service: TPR501 judges it against that service's own minimum
        floor, source, location = project.replica_floor(workload)
        if floor < minimum:
            yield Hit(
                location or workload.location,
                f"{workload.kind} {workload.name} ({reason}) can run as few as {floor} pod"
                f"{'' if floor == 1 else 's'} ({source}), below the minimum of {minimum}: one node drain, "
                f"eviction or crash {_LOSS[_worker(reason)]}. Run at least {minimum} replicas"
                " (or set the autoscaler's minimum to it).",
                anchor=workload.ref,
            )


_LOSS = {True: "stops its task queues from being polled", False: "leaves it with no pod to serve"}


def _resources_location(container: Container) -> Location:
    return container.resources_location or container.location


RULES = {
    "TPR401": grace_period_unset_for_worker,
    "TPR402": readiness_probe_missing,
    "TPR403": liveness_probe_missing,
    "TPR404": resource_requests_missing,
    "TPR405": memory_limit_missing,
    "TPR406": replica_floor_too_low,
}
