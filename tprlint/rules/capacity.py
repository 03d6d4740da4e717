"""TPR950-TPR953: the declared workload profile against the workers, pods and database in the scan.

Without a ``capacity`` table in the configuration these rules apply to nothing (the checklist's capacity
items are n/a). With one, a number the scan cannot resolve makes the check undecided (``unknown``), never a
pass. The plan itself (and the reasoning behind each number) is ``tprlint.capacity.plan``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from tprlint.capacity.plan import Fact, LoadPlan, Plan, WorkerPlan, ceil, plan_of, recorded_plan_of
from tprlint.capacity.profile import Input
from tprlint.capacity.units import show_bytes, show_cores, show_number, show_seconds
from tprlint.rules.context import Hit, Project


def little(plan: LoadPlan) -> str:
    load = plan.load
    return (f"Little's law: {show_number(load.workflows_per_second.value)} workflows/s \u00d7 "
            f"{show_number(load.activities_per_workflow.value)} activities \u00d7 "
            f"{show_seconds(load.activity_duration.value)}"
            f" = {show_number(plan.concurrent_activities)}")


def _where(worker: WorkerPlan) -> str:
    return f"{worker.name} ({show_number(worker.slots.value or 0)} slots \u00d7 " \
           f"{show_number(worker.maximum.value or 0)} " \
           f"replicas at most: {worker.maximum.source})"


def workers_below_load(project: Project) -> Iterator[Hit]:
    """TPR950: the workers' slots at their maximum replicas cannot run the profile's concurrent activities."""
    plan = recorded_plan_of(project)
    if plan is None:
        return
    for load_plan in plan.loads:
        needed = load_plan.concurrent_activities
        label = load_plan.load.label
        if not load_plan.workers and not load_plan.unsure:
            project.undecided("TPR950", label, "no Worker in the scan polls it, so nothing carries its "
                              f"{show_number(needed)} concurrent activities here ({little(load_plan)})")
            continue
        total, lower = load_plan.capacity()
        if lower >= needed - 1e-9:
            continue  # carried by what is known already
        if total is None:
            unknown = [f for w in (*load_plan.workers, *load_plan.unsure)
                       for f in (w.slots, w.maximum) if not f.known]
            reasons = "; ".join(dict.fromkeys(f.why for f in unknown)) or \
                "the task queue of a worker workload cannot be resolved"
            project.undecided("TPR950", label, f"it needs {show_number(needed)} concurrent activity slots "
                              f"({little(load_plan)}), and the slots or maximum replicas of its workers are not all "
                              f"known: {reasons}", load_plan.workers[0].location if load_plan.workers else None)
            continue
        first = load_plan.workers[0]
        slots = first.slots.value or 0
        if len(load_plan.workers) == 1 and slots and first.maximum.value:
            advice = (f"raise the maximum to at least {ceil(needed / slots)} replicas, or max_concurrent_activities "
                      f"to at least {ceil(needed / first.maximum.value)}")
        else:
            advice = (f"raise the workers' maximum replicas or max_concurrent_activities until slots \u00d7 maximum "
                      f"replicas reach {ceil(needed)}")
        chapter = load_plan.chapter_concurrent_activities
        yield Hit(first.maximum.location or first.location,
                  f"{label[0].upper()}{label[1:]} runs {show_number(needed)} activities at once ({little(load_plan)}), "
                  f"but its workers can run at most {show_number(total)}: "
                  f"{'; '.join(_where(w) for w in load_plan.workers)}. At the declared load activities wait in the "
                  "task queue, schedule-to-start latency grows without bound and workflows miss their timeouts. "
                  f"To fix: {advice}; the autoscaler must also be allowed to get there (a backlog-based scaler)."
                  + (f" (The chapter's calculator would ask for {show_number(chapter)}: concurrent workflows \u00d7 "
                     "activities per workflow, as if each activity ran for the whole workflow.)"
                     if chapter is not None and abs(chapter - needed) > 0.5 else ""),
                  anchor=f"capacity/workers/{load_plan.load.queue or '*'}")


def carried_by(plan: Plan, worker: WorkerPlan) -> list[LoadPlan]:
    """The loads ``worker`` carries (by identity: two workloads may have equal plans)."""
    return [lp for lp in plan.loads if any(w is worker for w in lp.workers)]


def _busy(plan: Plan, worker: WorkerPlan) -> tuple[int, list[LoadPlan]] | None:
    """How many activities one pod may run at once: its slots, but never more than its loads have."""
    loads = carried_by(plan, worker)
    if worker.slots.value is None or not loads:
        return None
    return min(int(worker.slots.value), ceil(sum(lp.concurrent_activities for lp in loads))), loads


def _per_activity(loads: list[LoadPlan], attribute: str) -> Input | None:
    values = [getattr(lp.load, attribute) for lp in loads if getattr(lp.load, attribute) is not None]
    return max(values, key=lambda i: i.value) if values else None


def _pod_check(rule_id: str, attribute: str, resource: str, show: Callable[[float], str],
               consequence: Callable[[str], str]) -> Callable[[Project], Iterator[Hit]]:
    def check(project: Project) -> Iterator[Hit]:
        plan = plan_of(project)
        if plan is None:
            return
        for worker in plan.workers:
            if worker.workload is None:
                continue
            busy = _busy(plan, worker)
            per = _per_activity(carried_by(plan, worker), attribute)
            if per is None:
                continue  # the profile says nothing of this resource (or the workload carries no load)
            if busy is None:
                if worker.slots.value is None:
                    project.undecided(rule_id, worker.name, f"its activity slots are not known: {worker.slots.why}",
                                      worker.location)
                continue
            count, _ = busy
            needed = count * per.value
            limit: Fact = getattr(worker, f"{resource}_limit")
            request: Fact = getattr(worker, f"{resource}_request")
            given = limit if limit.known else request
            unreadable = [f for f in (limit, request) if f.why]
            if unreadable or not given.known:
                why = unreadable[0].why if unreadable else f"its container {worker.container} sets no {resource} " \
                                                            "request or limit"
                project.undecided(rule_id, worker.name, why, worker.location)
                continue
            assert given.value is not None
            if needed <= given.value * (1 + 1e-9):
                continue
            which = "limit" if given is limit else "request (and no limit)"
            fits = math.floor(given.value / per.value + 1e-9)
            yield Hit(given.location or worker.location,
                      f"{worker.name} runs up to {count} activities at once per pod ({worker.slots.source}"
                      f"{'' if count == worker.slots.value else ', fewer than its slots: the whole load needs no more'}"
                      f"); at {per.written or show(per.value)} each ({per.source}) that is {show(needed)}, but its "
                      f"container `{worker.container}` has a {resource.replace('cpu', 'CPU')} {which} of "
                      f"{given.written or show(given.value)}"
                      f": {consequence(which)} Either the pod needs {show(needed)}, or max_concurrent_activities "
                      f"should be at most {max(fits, 1)}, or the profile's {per.source.split(' ')[0]} overstates "
                      "what one running activity uses.",
                      anchor=f"{worker.anchor}/capacity-{resource}")
    return check


def _memory_consequence(which: str) -> str:
    if which == "limit":
        return ("when its slots fill, the container is OOM-killed and every activity it was running is retried "
                "only after its timeout.")
    return ("the scheduler places the pod for its request only; a node under memory pressure evicts the pods that "
            "use more than they requested first.")


def _cpu_consequence(which: str) -> str:
    return ("when its slots fill, the container is throttled to its limit and every activity on it slows down "
            "(heartbeats and timeouts included)." if which == "limit" else
            "the scheduler reserves only the request, so busy pods compete for the node's CPU.") + \
        " Most activities wait on I/O and use far less CPU than their duration suggests: activity-cpu is the " \
        "profile's statement of what one running activity uses."


def storage_below_history(project: Project) -> Iterator[Hit]:
    """TPR953: the Temporal database's storage cannot hold the histories the profile keeps."""
    plan = plan_of(project)
    if plan is None:
        return
    storage = plan.storage
    if not storage.storages:
        others = ", ".join(f"{s.kind} {s.name}" for s in storage.other_storages[:3])
        project.undecided("TPR953", "Temporal's database", "the database the Temporal server stores in is not in the "
                          "scan (a managed database, or a host name tprlint cannot tie to a manifest)"
                          + (f"; the scan has {others}, which no Temporal persistence host names" if others else ""))
        return
    if storage.needed is None:
        project.undecided("TPR953", "Temporal's database", storage.retention.why,
                          storage.storages[0][0].location)
        return
    for database, size in storage.storages:
        if size.value is None:
            project.undecided("TPR953", f"{database.kind} {database.name}", size.why, database.location)
            continue
        if storage.needed <= size.value:
            continue
        yield Hit(database.location,
                  f"{database.kind} {database.name} has {database.size} of storage, but the profile's histories need "
                  f"about {show_bytes(storage.needed)}: {show_number(storage.workflows_per_day)} workflows/day \u00d7 "
                  f"{_events(plan)} \u00d7 {show_seconds(storage.retention.value or 0)} retention "
                  f"({storage.retention.source})"
                  f" \u00d7 {show_number(storage.overhead)} overhead. When the volume fills, the database stops "
                  "accepting writes and every workflow on the cluster stops. Grow the volume to at least "
                  f"{show_bytes(storage.needed)} (with room for growth), or shorten the namespace retention.",
                  anchor=f"capacity/storage/{database.kind}/{database.name}")


def _events(plan: Plan) -> str:
    if len(plan.profile.loads) == 1:
        load = plan.profile.loads[0]
        return f"{show_number(load.events().value)} events \u00d7 {show_bytes(load.size_of_event().value)}"
    return f"{show_bytes(plan.storage.bytes_per_day / max(plan.storage.workflows_per_day, 1))} of history per workflow"


RULES = {
    "TPR950": workers_below_load,
    "TPR951": _pod_check("TPR951", "activity_memory", "memory", show_bytes, _memory_consequence),
    "TPR952": _pod_check("TPR952", "activity_cpu", "cpu", show_cores, _cpu_consequence),
    "TPR953": storage_below_history,
}


# -- what the rules apply to (tprlint.checklist.subjects) ------------------------------------------


def load_carriers(project: Project) -> Iterator[str]:
    """TPR950: the workloads (or Workers) that carry a load of the profile."""
    plan = plan_of(project)
    for load_plan in plan.loads if plan else ():
        yield from (w.location.path for w in (*load_plan.workers, *load_plan.unsure))


def sized_pods(attribute: str) -> Callable[[Project], Iterator[str]]:
    """TPR951/TPR952: worker workloads carrying a load that states ``attribute`` (activity-memory, -cpu)."""
    def find(project: Project) -> Iterator[str]:
        plan = plan_of(project)
        for worker in plan.workers if plan else ():
            loads = carried_by(plan, worker) if plan else []
            if worker.workload is not None and _per_activity(loads, attribute) is not None:
                yield worker.location.path
    return find


def temporal_databases(project: Project) -> Iterator[str]:
    """TPR953: the scanned databases a Temporal server stores in."""
    plan = plan_of(project)
    yield from (database.location.path for database, _ in (plan.storage.storages if plan else ()))
