"""The capacity plan: the declared profile against what the scan knows.

Concurrency follows Little's law: the number of activities running at once is their arrival rate times
how long each runs, ``workflows/s x activities per workflow x activity duration``. The chapter's worker
calculator multiplies the concurrent *workflows* by the activities per workflow instead, as if every
activity of every open workflow ran during the whole workflow; the plan shows both and uses Little's law.

Every number carries where it came from. A number the scan cannot resolve is unknown (``Fact.value`` None,
with the reason), and every check that needs it is undecided, never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from typing import TYPE_CHECKING

from tprlint.capacity.profile import Input, Load, Profile
from tprlint.capacity.units import parse_duration, parse_quantity, show_number
from tprlint.facts.capacity import AutoscalerMax, DatabaseStorage, RetentionSetting
from tprlint.facts.kubernetes import Container, Workload
from tprlint.facts.python.values import Lit, Missing, Seq, as_number
from tprlint.link.python_project import ResolvedWorker
from tprlint.model import Location
from tprlint.records import frozen, mutable

if TYPE_CHECKING:  # importing tprlint.rules.context loads every rule, and TPR950-TPR953 import this module
    from tprlint.rules.context import Project



def is_test_path(path: str) -> bool:
    from tprlint.rules.context import is_test_path as test_path

    return test_path(path)


SDK_DEFAULT_SLOTS = 100  # temporalio: no tuner and no max_concurrent_*: a fixed tuner of 100 slots each
SECONDS_PER_DAY = 86400.0


@frozen
class Fact:
    """A number the plan used: its value (None: unknown, see ``why``) and where it came from."""

    value: float | None
    source: str
    location: Location | None = None
    why: str = ""
    written: str = ""

    @property
    def known(self) -> bool:
        return self.value is not None


@mutable
class WorkerPlan:
    """A workload that runs Temporal Workers (or, with no manifest in the scan, a Worker in code)."""

    name: str  # "Deployment shop/orders-worker", or "Worker at orders/worker.py:20"
    anchor: str
    location: Location
    workload: Workload | None
    workers: list[ResolvedWorker]
    queues: tuple[str, ...] | None  # the task queues its Workers poll; None when one cannot be resolved
    slots: Fact  # activity slots of one pod (all its Workers)
    workflow_slots: Fact
    floor: Fact
    maximum: Fact
    container: str = ""
    cpu_request: Fact = field(default_factory=lambda: Fact(None, "not set"))
    cpu_limit: Fact = field(default_factory=lambda: Fact(None, "not set"))
    memory_request: Fact = field(default_factory=lambda: Fact(None, "not set"))
    memory_limit: Fact = field(default_factory=lambda: Fact(None, "not set"))

    def serves(self, load: Load, profile: Profile) -> bool | None:
        """Does it carry ``load``? None when its task queues are unknown."""
        if not profile.per_queue:
            return True
        if self.queues is None:
            return None
        if load.queue is None:  # the task queues [capacity.queues.*] does not list
            listed = {other.queue for other in profile.loads}
            return any(queue not in listed for queue in self.queues)
        return load.queue in self.queues


@mutable
class LoadPlan:
    load: Load
    workers: list[WorkerPlan]  # the workloads that serve it
    unsure: list[WorkerPlan]  # workloads that may serve it (task queue unknown)

    @property
    def activities_per_second(self) -> float:
        return self.load.workflows_per_second.value * self.load.activities_per_workflow.value

    @property
    def concurrent_activities(self) -> float:
        """Little's law: arrival rate x time in the system."""
        return self.activities_per_second * self.load.activity_duration.value

    @property
    def concurrent_workflows(self) -> float | None:
        duration = self.load.workflow_duration
        return self.load.workflows_per_second.value * duration.value if duration else None

    @property
    def chapter_concurrent_activities(self) -> float | None:
        """The chapter's calculator: concurrent workflows x activities per workflow."""
        workflows = self.concurrent_workflows
        return workflows * self.load.activities_per_workflow.value if workflows is not None else None

    def capacity(self) -> tuple[float | None, float]:
        """(slots x maximum replicas summed over its workloads, None when one is unknown; a lower bound
        from what is known, the floor standing in for an unknown maximum)."""
        total: float | None = 0.0
        lower = 0.0
        for worker in self.workers:
            if worker.slots.value is None:
                total = None
                continue
            if worker.maximum.value is not None and total is not None:
                total += worker.slots.value * worker.maximum.value
            else:
                total = None
            bound = worker.maximum.value if worker.maximum.value is not None else worker.floor.value
            lower += worker.slots.value * (bound or 0)
        if self.unsure:
            total = None
        return total, lower


@mutable
class StoragePlan:
    workflows_per_day: float
    bytes_per_day: float  # raw history written per day
    retention: Fact  # seconds
    overhead: float
    needed: float | None  # bytes; None when the retention is unknown
    storages: list[tuple[DatabaseStorage, Fact]]  # databases of the Temporal server in the scan, their size
    other_storages: list[DatabaseStorage]  # databases in the scan no Temporal server names
    lines: list[tuple[str, Input]]  # per load: its events and event size


@mutable
class Plan:
    profile: Profile
    loads: list[LoadPlan]
    workers: list[WorkerPlan]
    storage: StoragePlan


def plan_of(project: Project) -> Plan | None:
    """The plan of ``project``, or None without a profile (the capacity checks apply to nothing)."""
    profile = project.config.capacity
    if profile is None:
        return None
    workers = list(_worker_plans(project))
    loads = []
    for load in profile.loads:
        serving = [w for w in workers if w.serves(load, profile)]
        unsure = [w for w in workers if w.serves(load, profile) is None]
        loads.append(LoadPlan(load, serving, unsure))
    return Plan(profile, loads, workers, _storage(project, profile))


# -- workers -------------------------------------------------------------------------------------


def _worker_plans(project: Project) -> Iterator[WorkerPlan]:
    linked = False
    for workload, reason in project.in_scope():
        if not reason.startswith("Temporal worker"):
            continue
        links = project.worker_links(workload)
        linked = True
        if not links:  # a worker tprlint cannot tie to its code: its slots are unknown, and so is the plan
            floor, floor_why, floor_at = project.replica_floor(workload)
            unknown = Fact(None, "code not linked", workload.location,
                           why=f"{workload.kind} {workload.name} runs a Temporal worker, but tprlint cannot tell which "
                               "code (name the module in [[tool.tprlint.links]])")
            yield WorkerPlan(
                name=f"{workload.kind} {workload.namespace + '/' if workload.namespace else ''}{workload.name}",
                anchor=workload.ref, location=workload.location, workload=workload, workers=[], queues=None,
                slots=unknown, workflow_slots=unknown, floor=Fact(floor, floor_why, floor_at),
                maximum=_maximum(project, workload, floor, floor_why, floor_at))
            continue
        link, _ = links[0]
        env = {e.name: e.value for e in link.container.env if e.value is not None and not e.from_ref}
        workers = [w for _, found in links for w in found]
        floor, floor_why, floor_at = project.replica_floor(workload)
        plan = WorkerPlan(
            name=f"{workload.kind} {workload.namespace + '/' if workload.namespace else ''}{workload.name}",
            anchor=workload.ref, location=workload.location, workload=workload, workers=workers,
            queues=_queues(project, workers, env),
            slots=_slots(project, workers, env, "max_concurrent_activities", activities=True),
            workflow_slots=_slots(project, workers, env, "max_concurrent_workflow_tasks", activities=False),
            floor=Fact(floor, floor_why, floor_at), maximum=_maximum(project, workload, floor, floor_why, floor_at),
            container=link.container.name,
        )
        _resources(plan, link.container)
        yield plan
    if linked:
        return
    # No manifest runs the Workers: their slots are known, how many pods run them is not.
    for worker in project.python.workers:
        if is_test_path(worker.location.path):
            continue
        unknown = Fact(None, "no Kubernetes workload in the scan runs this Worker", why="replicas unknown")
        yield WorkerPlan(
            name=f"Worker at {worker.location.path}:{worker.location.line}",
            anchor=f"{worker.module}:{worker.function}",
            location=worker.location, workload=None, workers=[worker], queues=_queues(project, [worker], {}),
            slots=_slots(project, [worker], {}, "max_concurrent_activities", activities=True),
            workflow_slots=_slots(project, [worker], {}, "max_concurrent_workflow_tasks", activities=False),
            floor=unknown, maximum=unknown)


def _queues(project: Project, workers: list[ResolvedWorker], env: dict[str, str]) -> tuple[str, ...] | None:
    queues: list[str] = []
    for worker in workers:
        value = project.python.fold(worker.option("task_queue"), env)
        if not (isinstance(value, Lit) and isinstance(value.value, str)):
            return None
        queues.append(value.value)
    return tuple(dict.fromkeys(queues))


def _slots(project: Project, workers: list[ResolvedWorker], env: dict[str, str], option: str,
           activities: bool) -> Fact:
    """The slots of one pod: each Worker's ``option``, the SDK's default when unset."""
    total = 0
    sources: list[str] = []
    for worker in workers:
        where = f"{worker.location.path}:{worker.location.line}"
        if activities and _runs_no_activities(worker):
            sources.append(f"no activities registered at {where}")
            continue
        tuner = project.python.fold(worker.option("tuner"), env)
        if not isinstance(tuner, Missing) and not (isinstance(tuner, Lit) and tuner.value is None):
            return Fact(None, f"tuner ({where})", worker.location,
                        why=f"the Worker at {where} takes its slots from a tuner, which tprlint does not evaluate")
        value = project.python.fold(worker.option(option), env)
        if isinstance(value, Missing) or (isinstance(value, Lit) and value.value is None):
            if worker.unresolved_splat:
                return Fact(None, f"unresolved **{worker.unresolved_splat} ({where})", worker.location,
                            why=f"the Worker at {where} takes keyword arguments from `**{worker.unresolved_splat}`, "
                                f"which may set {option}")
            total += SDK_DEFAULT_SLOTS
            sources.append(f"SDK default {SDK_DEFAULT_SLOTS}: {option} unset at {where}")
            continue
        number = as_number(value)
        if number is None or number < 1 or number != int(number):
            return Fact(None, f"{option} ({where})", worker.location,
                        why=f"{option} of the Worker at {where} cannot be resolved to a whole number")
        total += int(number)
        note = f", {value.note}" if isinstance(value, Lit) and value.note else ""
        sources.append(f"{option}={int(number)} at {where}{note}")
    return Fact(total, "; ".join(sources), workers[0].location if workers else None)


def _runs_no_activities(worker: ResolvedWorker) -> bool:
    value = worker.option("activities")
    if isinstance(value, Missing):
        return not worker.unresolved_splat
    return isinstance(value, Seq) and not value.items


def _autoscaler_max(project: Project, location: Location) -> AutoscalerMax | None:
    for facts in project.capacity:
        for found in facts.autoscalers:
            if found.location == location:
                return found
    return None


def _maximum(project: Project, workload: Workload, floor: int, floor_why: str, floor_at: Location | None) -> Fact:
    for target in project.scale_targets:
        if (target.target_name == workload.name and target.target_kind == workload.kind
                and (target.namespace or "default") == (workload.namespace or "default")):
            found = _autoscaler_max(project, target.location)
            key = "maxReplicas" if target.kind == "HorizontalPodAutoscaler" else "maxReplicaCount"
            if found is None:
                return Fact(None, f"{target.kind} {target.name}", target.location,
                            why=f"the maximum of {target.kind} {target.name} is not known (rendered by Helm, or "
                                "built by kustomize)")
            if found.max_replicas is not None:
                return Fact(found.max_replicas, f"{target.kind} {target.name} {key}: {found.max_replicas}",
                            found.max_location or target.location)
            if found.default is not None:
                return Fact(found.default, f"{target.kind} {target.name} {key} unset, default {found.default}",
                            target.location)
            return Fact(None, f"{target.kind} {target.name}", target.location,
                        why=f"{target.kind} {target.name} has no readable {key}")
    return Fact(floor, f"no autoscaler: {floor_why}", floor_at)


def _resources(plan: WorkerPlan, container: Container) -> None:
    for attribute, table, name, parse in (
        ("cpu_request", container.requests, "cpu", _cores), ("cpu_limit", container.limits, "cpu", _cores),
        ("memory_request", container.requests, "memory", _bytes), ("memory_limit", container.limits, "memory", _bytes),
    ):
        raw = table.get(name)
        kind = "requests" if table is container.requests else "limits"
        where = container.resources_location or container.location
        if raw is None:
            setattr(plan, attribute, Fact(None, f"{kind}.{name} not set", where))
            continue
        value = parse(raw)
        setattr(plan, attribute, Fact(value, f"container {container.name} {kind}.{name}: {raw}", where,
                                      why="" if value is not None else f"{kind}.{name} {raw!r} is not a quantity",
                                      written=raw))


def _cores(text: str) -> float | None:
    return parse_quantity(text)


def _bytes(text: str) -> float | None:
    value = parse_quantity(text)
    return value if value is not None and not text.strip().endswith("m") else None


# -- storage -------------------------------------------------------------------------------------


def _storage(project: Project, profile: Profile) -> StoragePlan:
    per_day = 0.0
    bytes_per_day = 0.0
    lines: list[tuple[str, Input]] = []
    for load in profile.loads:
        workflows = load.workflows_per_second.value * SECONDS_PER_DAY
        per_day += workflows
        events, size = load.events(), load.size_of_event()
        bytes_per_day += workflows * events.value * size.value
        lines += [(f"{load.label}: events per workflow", events), (f"{load.label}: event size", size)]
    retention = _retention(project, profile)
    overhead = max(load.overhead().value for load in profile.loads)
    needed = bytes_per_day * retention.value / SECONDS_PER_DAY * overhead if retention.value is not None else None
    linked, other = _temporal_databases(project)
    storages = [(s, _size_of(s)) for s in linked]
    return StoragePlan(per_day, bytes_per_day, retention, overhead, needed, storages, other, lines)


def _retention(project: Project, profile: Profile) -> Fact:
    declared = [load.retention for load in profile.loads if load.retention is not None]
    if declared:
        longest = max(declared, key=lambda i: i.value)
        return Fact(longest.value, longest.source, written=longest.written)
    settings: list[RetentionSetting] = [r for facts in project.capacity for r in facts.retentions
                                        if not is_test_path(r.location.path)]
    parsed = [(parse_duration(r.retention), r) for r in settings]  # Go's "168h0m0s" is read too
    if any(seconds is None for seconds, _ in parsed):
        bad = next(r for seconds, r in parsed if seconds is None)
        return Fact(None, f"namespace {bad.namespace} retention {bad.retention!r}", bad.location,
                    why=f"the retention {bad.retention!r} of namespace {bad.namespace} is not a duration tprlint reads")
    if parsed:
        seconds, setting = max(parsed, key=lambda p: p[0] or 0.0)
        return Fact(seconds, f"namespace {setting.namespace} retention: {setting.retention}", setting.location,
                    written=setting.retention)
    return Fact(None, "unknown", why="neither the profile (retention) nor the scan (the server chart's "
                                     "server.config.namespaces, a TemporalNamespace) says how long histories are kept")


def _temporal_databases(project: Project) -> tuple[list[DatabaseStorage], list[DatabaseStorage]]:
    """The scanned databases a Temporal server's persistence names by host, and the others."""
    hosts = {_host_name(host) for config in project.temporal_servers.judged() for store in config.stores
             for host in store.hosts}
    hosts.discard("")
    linked: list[DatabaseStorage] = []
    other: list[DatabaseStorage] = []
    for facts in project.capacity:
        for storage in facts.storages:
            if is_test_path(storage.location.path):
                continue
            (linked if hosts & set(storage.hosts) else other).append(storage)
    return linked, other


def _host_name(host: str) -> str:
    """`temporal-db-rw.db.svc.cluster.local:5432` → `temporal-db-rw`."""
    name = host.strip().split("://")[-1].split("@")[-1]
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name.split(".", 1)[0].lower()


def _size_of(storage: DatabaseStorage) -> Fact:
    value = _bytes(storage.size)
    source = f"{storage.kind} {storage.name} storage: {storage.size}"
    return Fact(value, source, storage.location, why="" if value is not None else f"{storage.size!r} is not a size",
                written=storage.size)


def ceil(value: float) -> int:
    """Whole pods and slots: 4.0001 workers need 5."""
    return math.ceil(value - 1e-9)




# -- what `tprlint capacity` prints ---------------------------------------------------------------
# The command runs the ordinary pipeline with the capacity rules selected; TPR950 hands each world's plan to
# the recorders open at the time (one per command run, in this process), so the printed plan is the one the
# rules judged, built from the same facts.

_recorders: list[list[Plan]] = []


@contextmanager
def recording() -> Iterator[list[Plan]]:
    plans: list[Plan] = []
    _recorders.append(plans)
    try:
        yield plans
    finally:
        _recorders.remove(plans)


def recorded_plan_of(project: Project) -> Plan | None:
    plan = plan_of(project)
    if plan is not None:
        for plans in _recorders:
            plans.append(plan)
    return plan


__all__ = ["Fact", "LoadPlan", "Plan", "StoragePlan", "WorkerPlan", "ceil", "plan_of", "recorded_plan_of", "recording",
           "show_number"]
