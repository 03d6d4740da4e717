"""The workload profile: the ``capacity`` table of the configuration, validated strictly.

```toml
[tool.tprlint.capacity]          # [capacity] in .tprlint.toml
workflows-per-second = 10
workflow-duration = "5m"
activities-per-workflow = 5
activity-duration = "10s"
activity-cpu = 0.1               # cores per running activity (or "100m")
activity-memory = "256Mi"        # memory per running activity
# storage (optional): events-per-workflow, event-size, retention, storage-overhead

[tool.tprlint.capacity.queues.payments]   # optional: a load per task queue; the keys above are its defaults,
workflows-per-second = 2                  # and, when complete, the load of the task queues not listed
```

A profile is what the user states about their load: every value is kept with the key it came from, so
the plan can say where each number came from. Errors are ``ProfileError`` (the configuration turns them
into ``ConfigError``, exit code 2): a typo must never silently turn a check off.
"""

from __future__ import annotations

import math
from dataclasses import replace

from tprlint.capacity.units import parse_duration, parse_quantity
from tprlint.records import frozen


class ProfileError(ValueError):
    """A bad ``capacity`` table: the message names the key and what is expected."""


@frozen
class Input:
    """One number of the plan and where it came from ("capacity.activity-duration", "default", ...)."""

    value: float
    source: str
    written: str = ""  # as the user wrote it ("10s", "256Mi"), for the plan


@frozen
class Load:
    """The load of one task queue (``queue``), or of every worker together (``queue`` None)."""

    queue: str | None
    workflows_per_second: Input
    activities_per_workflow: Input
    activity_duration: Input  # seconds
    workflow_duration: Input | None = None  # seconds
    activity_cpu: Input | None = None  # cores
    activity_memory: Input | None = None  # bytes
    events_per_workflow: Input | None = None  # None: estimated from the activities (see events)
    event_size: Input | None = None  # bytes
    retention: Input | None = None  # seconds; None: the scan's, if it has one
    storage_overhead: Input | None = None
    others: bool = False  # the top-level load beside [capacity.queues.*]: every task queue not listed there

    @property
    def label(self) -> str:
        if self.queue is not None:
            return f"task queue `{self.queue}`"
        return "the other task queues" if self.others else "the profile"

    def events(self) -> Input:
        """History events per workflow: declared, or estimated. A workflow that runs N activities one
        after another writes about 5 + 6·N events: started, its first workflow task (scheduled, started,
        completed), completed; per activity scheduled, started, completed and the workflow task that
        follows (scheduled, started, completed)."""
        if self.events_per_workflow is not None:
            return self.events_per_workflow
        count = 5 + 6 * self.activities_per_workflow.value
        given = _plain(self.activities_per_workflow.value)
        return Input(count, f"estimate 5 + 6 \u00d7 activities-per-workflow ({given})")

    def size_of_event(self) -> Input:
        return self.event_size or Input(DEFAULT_EVENT_SIZE, "default (about 1 KiB per history event of small payloads)",
                                        "1Ki")

    def overhead(self) -> Input:
        return self.storage_overhead or Input(DEFAULT_OVERHEAD, "default (indexes, visibility records, database "
                                                                "bloat and free space)")


@frozen
class Profile:
    source: str  # the configuration file
    loads: tuple[Load, ...]
    per_queue: bool  # [capacity.queues.*] given: each load is a task queue's


DEFAULT_EVENT_SIZE = 1024.0
DEFAULT_OVERHEAD = 2.0
_MAX_RATE = 1e7  # workflows per second: beyond any cluster
_MAX_COUNT = 1e6  # activities or events per workflow
_MAX_SECONDS = 10 * 365 * 86400.0
_MAX_BYTES = 2.0**60

_REQUIRED = ("workflows-per-second", "activities-per-workflow", "activity-duration")
_KEYS = (*_REQUIRED, "workflow-duration", "activity-cpu", "activity-memory", "events-per-workflow", "event-size",
         "retention", "storage-overhead")


def parse_profile(table: object, where: str, prefix: str = "capacity") -> Profile:
    """The profile of a ``capacity`` table (``where``: the file, for messages)."""
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: {prefix} must be a table")
    unknown = sorted(set(table) - {*_KEYS, "queues"})
    if unknown:
        known = ", ".join(sorted((*_KEYS, "queues")))
        raise ProfileError(f"{where}: unknown key {prefix}.{unknown[0]} (known: {known})")
    defaults = {key: _value(key, table[key], f"{prefix}.{key}", where) for key in _KEYS if key in table}
    queues = table.get("queues", {})
    if not isinstance(queues, dict):
        raise ProfileError(f"{where}: {prefix}.queues must be a table of task queues ([{prefix}.queues.NAME])")
    loads: list[Load] = []
    for name, raw in queues.items():
        if not isinstance(raw, dict):
            raise ProfileError(f"{where}: {prefix}.queues.{name} must be a table")
        bad = sorted(set(raw) - set(_KEYS))
        if bad:
            raise ProfileError(f"{where}: unknown key {prefix}.queues.{name}.{bad[0]} "
                               f"(known: {', '.join(sorted(_KEYS))})")
        own = {key: _value(key, raw[key], f"{prefix}.queues.{name}.{key}", where) for key in _KEYS if key in raw}
        loads.append(_load(name, {**defaults, **own}, f"{prefix}.queues.{name}", where))
    if not queues:
        loads.append(_load(None, defaults, prefix, where))
    elif all(key in defaults for key in _REQUIRED):  # a complete top level is the load of the queues not listed
        loads.insert(0, replace(_load(None, defaults, prefix, where), others=True))
    return Profile(where, tuple(loads), per_queue=bool(queues))


def _load(queue: str | None, values: dict[str, Input], table: str, where: str) -> Load:
    missing = [key for key in _REQUIRED if key not in values]
    if missing:
        raise ProfileError(f"{where}: {table} needs {', '.join(missing)} (the profile: workflows-per-second, "
                           "activities-per-workflow, activity-duration; optionally workflow-duration, activity-cpu, "
                           "activity-memory and the storage keys)")
    return Load(
        queue=queue,
        workflows_per_second=values["workflows-per-second"],
        activities_per_workflow=values["activities-per-workflow"],
        activity_duration=values["activity-duration"],
        workflow_duration=values.get("workflow-duration"),
        activity_cpu=values.get("activity-cpu"),
        activity_memory=values.get("activity-memory"),
        events_per_workflow=values.get("events-per-workflow"),
        event_size=values.get("event-size"),
        retention=values.get("retention"),
        storage_overhead=values.get("storage-overhead"),
    )


def _number(raw: object) -> float:
    """A TOML number as a float; NaN for anything else, and for an integer beyond any float (a 400-digit
    integer would raise OverflowError in float())."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return math.nan
    try:
        return float(raw)
    except OverflowError:
        return math.inf


def _shown(raw: object) -> str:
    """The value as written, cut short: a 400-digit number is not repeated in full."""
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) >= 10 ** 18:
        return "a number too large"
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _value(key: str, raw: object, name: str, where: str) -> Input:
    source = f"{name} in {where.rsplit('/', 1)[-1]}"
    if key in ("workflow-duration", "activity-duration", "retention"):
        seconds = parse_duration(raw) if isinstance(raw, str) else None
        if seconds is None or not 0 < seconds <= _MAX_SECONDS:
            raise ProfileError(f"{where}: {name} must be a duration with its unit, like \"10s\", \"5m\", \"2h\" or "
                               f"\"7d\" (above 0, at most 10 years), not {_shown(raw)}")
        return Input(seconds, source, raw if isinstance(raw, str) else "")
    if key in ("activity-memory", "event-size"):
        size = parse_quantity(raw) if isinstance(raw, str) else None
        if size is None or not 0 < size <= _MAX_BYTES or (isinstance(raw, str) and raw.strip().endswith("m")):
            raise ProfileError(f"{where}: {name} must be a size in bytes written as a Kubernetes quantity, like "
                               f"\"256Mi\", \"1Gi\" or \"512M\", not {_shown(raw)}")
        return Input(size, source, raw if isinstance(raw, str) else "")
    if key == "activity-cpu":
        cores = parse_quantity(raw) if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) else None
        if cores is None or not 0 < cores <= 1024:
            raise ProfileError(f"{where}: {name} must be the CPU one running activity uses, in cores (0.1) or "
                               f"millicores (\"100m\"), above 0, not {_shown(raw)}")
        return Input(cores, source, raw if isinstance(raw, str) else "")
    limits = {"workflows-per-second": (_MAX_RATE, "workflows started per second"),
              "activities-per-workflow": (_MAX_COUNT, "activities each workflow runs"),
              "events-per-workflow": (_MAX_COUNT, "history events each workflow writes"),
              "storage-overhead": (100.0, "a factor of at least 1 on the raw history size")}
    top, what = limits[key]
    low = 1.0 if key == "storage-overhead" else 0.0
    number = _number(raw)
    if not (math.isfinite(number) and (number > low or (key == "storage-overhead" and number == 1.0))
            and number <= top):
        raise ProfileError(f"{where}: {name} must be a number ({what}), above {_plain(low)} and at most "
                           f"{_plain(top)}, not {_shown(raw)}")
    return Input(number, source)


def _plain(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
