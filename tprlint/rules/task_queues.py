"""What the code tells the probe to look at: the task queues the scanned code uses, where, and by whom.

A queue is named by a Worker's ``task_queue=`` or an ``execute_activity(..., task_queue=...)``, folded as
the static rules fold values (constants, settings objects, ``**kwargs``). A queue that cannot be resolved
is recorded as undecided: the probe cannot look at a queue it cannot name.
"""

from __future__ import annotations

from dataclasses import field

from tprlint.facts.python.values import Lit, Missing
from tprlint.link.python_project import ResolvedWorker
from tprlint.model import Location
from tprlint.records import frozen, mutable
from tprlint.rules.context import Project, is_test_path


@mutable
class QueueUse:
    """A task queue the code uses: the Workers that poll it and the calls that send tasks to it."""

    name: str
    location: Location  # the first place the code names it (a Worker's, else a call's)
    workers: list[ResolvedWorker] = field(default_factory=list)
    calls: list[Location] = field(default_factory=list)  # execute_activity(task_queue=...) sites

    @property
    def polled_in_code(self) -> bool:
        return bool(self.workers)


@frozen
class Unnamed:
    """A task queue the code sets from a value tprlint could not resolve."""

    location: Location
    what: str


def queue_uses(project: Project) -> tuple[list[QueueUse], list[Unnamed]]:
    """The queues of production code (tests excluded), in the order the code names them."""
    found: dict[str, QueueUse] = {}
    unnamed: list[Unnamed] = []
    for worker in project.python.workers:
        if is_test_path(worker.location.path):
            continue
        name = _name(project, worker.option("task_queue"))
        if name is None:
            unnamed.append(Unnamed(worker.location, "the Worker's task_queue"))
            continue
        found.setdefault(name, QueueUse(name, worker.location)).workers.append(worker)
    from tprlint.rules.activities import production_calls  # the activity call index is built on demand

    for call, option in production_calls(project):
        raw = call.options.get("task_queue")
        if raw is None or isinstance(raw, Missing):
            continue  # the workflow's own queue
        value = option("task_queue")
        if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
            found.setdefault(value.value, QueueUse(value.value, call.location)).calls.append(call.location)
        else:
            unnamed.append(Unnamed(call.location, "an activity call's task_queue"))
    return list(found.values()), unnamed


def _name(project: Project, expr: object) -> str | None:
    value = project.python.fold(expr)  # type: ignore[arg-type]
    if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
        return value.value
    return None
