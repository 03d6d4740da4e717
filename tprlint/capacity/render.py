"""The plan as text (the chapter's calculator, with every input and where it came from) and as JSON."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from typing import Any

from tprlint.capacity.plan import Fact, LoadPlan, Plan, StoragePlan, WorkerPlan, ceil
from tprlint.capacity.profile import Input, Load
from tprlint.capacity.units import show_bytes, show_cores, show_number, show_seconds
from tprlint.model import Finding, Location, Undecided

_WIDTH = 26


def render_text(plan: Plan, findings: list[Finding], undecided: list[Undecided]) -> str:
    out: list[str] = [f"Capacity plan (profile: {_shown(plan.profile.source)})", ""]
    for load_plan in plan.loads:
        out += _load_lines(load_plan)
    out += ["Workers"]
    if not plan.workers:
        out.append("  none: no Temporal Worker in the scan")
    for worker in plan.workers:
        out += _worker_lines(plan, worker)
    out += _storage_lines(plan.storage)
    out += _chapter_lines(plan)
    out += _verdict_lines(findings, undecided)
    return "\n".join(out).rstrip() + "\n"


def _shown(path: str) -> str:
    """A path below the working folder as a relative one, as the findings show theirs."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith("..") else relative


def _row(name: str, value: str, source: str = "") -> str:
    text = f"  {name:<{_WIDTH}}{value}"
    return f"{text:<44}  {source}" if source else text


def _input(name: str, given: Input | None, shown: str) -> str:
    if given is None:
        return _row(name, "-", "not in the profile")
    return _row(name, shown, given.source)


def _load_lines(load_plan: LoadPlan) -> list[str]:
    load: Load = load_plan.load
    rate = show_number(load.workflows_per_second.value)
    lines = [f"Load of {load.label}",
             _input("workflows per second", load.workflows_per_second, rate),
             _input("workflow duration", load.workflow_duration,
                    show_seconds(load.workflow_duration.value) if load.workflow_duration else ""),
             _input("activities per workflow", load.activities_per_workflow,
                    show_number(load.activities_per_workflow.value)),
             _input("activity duration", load.activity_duration, show_seconds(load.activity_duration.value)),
             _input("activity CPU", load.activity_cpu,
                    show_cores(load.activity_cpu.value) if load.activity_cpu else ""),
             _input("activity memory", load.activity_memory,
                    show_bytes(load.activity_memory.value) if load.activity_memory else "")]
    workflows = load_plan.concurrent_workflows
    if workflows is not None and load.workflow_duration is not None:
        lines.append(_row("concurrent workflows", show_number(workflows),
                          f"{rate}/s \u00d7 {show_seconds(load.workflow_duration.value)}"))
    lines.append(_row("activities per second", show_number(load_plan.activities_per_second),
                      f"{rate}/s \u00d7 {show_number(load.activities_per_workflow.value)}"))
    lines.append(_row("concurrent activities", show_number(load_plan.concurrent_activities),
                      f"Little's law: {show_number(load_plan.activities_per_second)}/s \u00d7 "
                      f"{show_seconds(load.activity_duration.value)}"))
    return [*lines, ""]


def _fact(fact: Fact, shown: str) -> tuple[str, str]:
    where = f" ({_at(fact.location)})" if fact.location and _at(fact.location) not in fact.source else ""
    if fact.value is None:
        return "unknown", (fact.why or fact.source) + where
    return shown, fact.source + where


def _at(location: Location | None) -> str:
    return f"{_shown(location.path)}:{location.line}" if location else ""


def _worker_lines(plan: Plan, worker: WorkerPlan) -> list[str]:
    loads = [lp for lp in plan.loads if any(w is worker for w in lp.workers)]
    queues = ", ".join(worker.queues) if worker.queues is not None else "unknown"
    plural = "s" if worker.queues and len(worker.queues) > 1 else ""
    lines = [f"  {worker.name} ({_at(worker.location)}), task queue{plural} {queues}"]
    slots = worker.slots.value
    lines.append("  " + _row("activity slots per pod", *_fact(worker.slots, show_number(slots or 0))))
    lines.append("  " + _row("workflow task slots", *_fact(worker.workflow_slots,
                                                           show_number(worker.workflow_slots.value or 0))))
    lines.append("  " + _row("replicas (floor)", *_fact(worker.floor, show_number(worker.floor.value or 0))))
    lines.append("  " + _row("replicas (maximum)", *_fact(worker.maximum, show_number(worker.maximum.value or 0))))
    if slots is not None and worker.maximum.value is not None:
        lines.append("  " + _row("max concurrent activities", show_number(slots * worker.maximum.value),
                                 "slots \u00d7 maximum replicas"))
    needed = sum(lp.concurrent_activities for lp in loads)
    if slots and loads:
        lines.append("  " + _row("workers needed", str(ceil(needed / slots)),
                                 f"{show_number(needed)} concurrent activities ÷ {show_number(slots)} slots"))
        busy = min(int(slots), ceil(needed))
        cpu = max((lp.load.activity_cpu.value for lp in loads if lp.load.activity_cpu), default=None)
        memory = max((lp.load.activity_memory.value for lp in loads if lp.load.activity_memory), default=None)
        if cpu is not None:
            lines.append("  " + _row("CPU per worker", show_cores(busy * cpu),
                                     f"{busy} busy slots \u00d7 {show_cores(cpu)}; the pod: "
                                     f"{_given(worker.cpu_request, worker.cpu_limit, show_cores)}"))
        if memory is not None:
            lines.append("  " + _row("memory per worker", show_bytes(busy * memory),
                                     f"{busy} busy slots \u00d7 {show_bytes(memory)}; the pod: "
                                     f"{_given(worker.memory_request, worker.memory_limit, show_bytes)}"))
    return [*lines, ""]


def _given(request: Fact, limit: Fact, show: Any) -> str:
    def one(fact: Fact, name: str) -> str:
        if fact.value is not None:
            return f"{name} {fact.written or show(fact.value)}"
        return f"{name} {fact.written!r} unreadable" if fact.why else f"no {name}"
    return f"{one(request, 'request')}, {one(limit, 'limit')}"


def _storage_lines(storage: StoragePlan) -> list[str]:
    lines = ["Storage",
             _row("workflows per day", show_number(storage.workflows_per_day), "workflows per second \u00d7 86,400")]
    for name, given in storage.lines:
        shown = show_bytes(given.value) if "size" in name else show_number(given.value)
        lines.append(_row(name.split(": ", 1)[-1] if len(storage.lines) == 2 else name, shown, given.source))
    lines.append(_row("history per day", show_bytes(storage.bytes_per_day),
                      "workflows \u00d7 events \u00d7 event size"))
    lines.append(_row("per day of retention", show_bytes(storage.bytes_per_day * storage.overhead),
                      "history per day \u00d7 overhead: the storage each day of retention takes"))
    retention = storage.retention
    lines.append(_row("retention", *(_fact(retention, show_seconds(retention.value or 0)))))
    lines.append(_row("overhead", show_number(storage.overhead), "storage-overhead, else default 2"))
    if storage.needed is not None:
        lines.append(_row("storage needed", show_bytes(storage.needed),
                          "history per day \u00d7 retention \u00d7 overhead"))
    else:
        lines.append(_row("storage needed", "unknown", "needs the retention"))
    for database, size in storage.storages:
        verdict = "" if size.value is None or storage.needed is None else \
            ("holds it" if storage.needed <= size.value else "too small")
        lines.append(_row(f"database {database.name}", *_fact(size, f"{database.size} {verdict}".strip())))
    if not storage.storages:
        lines.append(_row("database", "unknown", "the Temporal server's database is not in the scan"))
    return [*lines, ""]


def _chapter_lines(plan: Plan) -> list[str]:
    lines: list[str] = []
    for load_plan in plan.loads:
        chapter = load_plan.chapter_concurrent_activities
        if chapter is None:
            lines.append(f"  {load_plan.load.label}: no workflow-duration in the profile, so the chapter's formula "
                         "(concurrent workflows \u00d7 activities per workflow) cannot be shown.")
            continue
        load = load_plan.load
        slots = sorted({w.slots.value for w in load_plan.workers if w.slots.value})  # one size: workers to compare
        per_pod = f" ({ceil(chapter / slots[0])} workers of {show_number(slots[0])} slots, where Little's law needs " \
                  f"{ceil(load_plan.concurrent_activities / slots[0])})" if len(slots) == 1 else ""
        lines.append(f"  {load.label}: the chapter multiplies concurrent workflows by activities per workflow: "
                     f"{show_number(load_plan.concurrent_workflows or 0)} \u00d7 "
                     f"{show_number(load.activities_per_workflow.value)}"
                     f" = {show_number(chapter)} concurrent activities{per_pod}. That counts every activity of every "
                     f"open workflow as running for the whole workflow ({show_seconds(load.workflow_duration.value)}"
                     if load.workflow_duration else "")
        if load.workflow_duration:
            lines[-1] += (f"), but each runs {show_seconds(load.activity_duration.value)}. Little's law "
                          "(arrival rate \u00d7"
                          f" time in the system) gives {show_number(load_plan.activities_per_second)}/s \u00d7 "
                          f"{show_seconds(load.activity_duration.value)} = "
                          f"{show_number(load_plan.concurrent_activities)}"
                          "; this plan uses Little's law. The two agree only when a workflow's activities run for "
                          "all of its duration, in parallel.")
    return ["Where this differs from the chapter's calculator", *(w for line in lines for w in _wrap(line.strip())), ""]


def _verdict_lines(findings: Iterable[Finding], undecided: Iterable[Undecided]) -> list[str]:
    lines = ["Checks"]
    for finding in sorted(findings, key=lambda f: f.rule_id):
        lines += _wrap(f"{finding.rule_id} [{finding.severity.label}] {_at(finding.location)}: {finding.message}")
    for entry in sorted(undecided, key=lambda u: u.rule_id):
        lines += _wrap(f"{entry.rule_id} unknown: {entry.what}: {entry.why}")
    if len(lines) == 1:
        lines.append("  the workers, pods and database in the scan carry the profile")
    return lines


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=100, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False,
                         break_long_words=False)


# -- JSON ----------------------------------------------------------------------------------------------


def plan_json(plan: Plan, findings: list[Finding], undecided: list[Undecided]) -> dict[str, Any]:
    return {
        "profile": plan.profile.source,
        "formula": "little",  # concurrent activities = workflows/s x activities per workflow x activity duration
        "loads": [_load_json(lp) for lp in plan.loads],
        "workers": [_worker_json(w) for w in plan.workers],
        "storage": _storage_json(plan.storage),
        "findings": [{"rule": f.rule_id, "severity": f.severity.label, "message": f.message,
                      "path": f.location.path, "line": f.location.line} for f in findings],
        "unknown": [{"rule": u.rule_id, "what": u.what, "why": u.why,
                     "path": u.location.path if u.location else None,
                     "line": u.location.line if u.location else None} for u in undecided],
    }


def _input_json(given: Input | None) -> dict[str, Any] | None:
    return None if given is None else {"value": given.value, "source": given.source}


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {"value": fact.value, "source": fact.source, "path": fact.location.path if fact.location else None,
            "line": fact.location.line if fact.location else None, **({"unknown": fact.why} if fact.why else {})}


def _load_json(load_plan: LoadPlan) -> dict[str, Any]:
    load = load_plan.load
    return {
        "queue": load.queue,
        "inputs": {
            "workflows-per-second": _input_json(load.workflows_per_second),
            "workflow-duration": _input_json(load.workflow_duration),
            "activities-per-workflow": _input_json(load.activities_per_workflow),
            "activity-duration": _input_json(load.activity_duration),
            "activity-cpu": _input_json(load.activity_cpu),
            "activity-memory": _input_json(load.activity_memory),
        },
        "concurrent_workflows": load_plan.concurrent_workflows,
        "activities_per_second": load_plan.activities_per_second,
        "concurrent_activities": load_plan.concurrent_activities,
        "chapter_concurrent_activities": load_plan.chapter_concurrent_activities,
        "workers": [w.name for w in load_plan.workers],
        "capacity": load_plan.capacity()[0],
    }


def _worker_json(worker: WorkerPlan) -> dict[str, Any]:
    return {
        "name": worker.name, "path": worker.location.path, "line": worker.location.line,
        "task_queues": list(worker.queues) if worker.queues is not None else None,
        "activity_slots": _fact_json(worker.slots), "workflow_task_slots": _fact_json(worker.workflow_slots),
        "replicas_floor": _fact_json(worker.floor), "replicas_max": _fact_json(worker.maximum),
        "container": worker.container or None,
        "cpu_request": _fact_json(worker.cpu_request), "cpu_limit": _fact_json(worker.cpu_limit),
        "memory_request": _fact_json(worker.memory_request), "memory_limit": _fact_json(worker.memory_limit),
    }


def _storage_json(storage: StoragePlan) -> dict[str, Any]:
    return {
        "workflows_per_day": storage.workflows_per_day,
        "history_bytes_per_day": storage.bytes_per_day,
        "retention_seconds": _fact_json(storage.retention),
        "overhead": storage.overhead,
        "needed_bytes": storage.needed,
        "databases": [{"kind": d.kind, "name": d.name, "size": _fact_json(size)} for d, size in storage.storages],
    }
