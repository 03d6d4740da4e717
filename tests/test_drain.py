"""``tprlint.rules.drain``: the longest drain among the workers a workload runs, and why it could not be
decided - what TPR401, TPR601 and TPR602 compare grace periods with."""

from __future__ import annotations

import ast
import textwrap

from tprlint.facts.python.extract import extract_python
from tprlint.link.python_project import PythonProject, ResolvedWorker
from tprlint.rules.drain import drain_text, longest_drain, undecided_drain


def workers(*drains: str) -> list[ResolvedWorker]:
    """One Worker per drain expression ("" for none), in this order, in `app/main.py`."""
    lines = [f"    w{i} = Worker(client, task_queue='q{i}'" + (f", graceful_shutdown_timeout={d})" if d else ")")
             for i, d in enumerate(drains)]
    source = ("import os\nfrom datetime import timedelta\nfrom temporalio.worker import Worker\n\n"
              "async def main(client, cfg):\n" + "\n".join(lines) + "\n")
    project = PythonProject([extract_python(ast.parse(textwrap.dedent(source)), "app/main.py")])
    return sorted(project.workers, key=lambda w: w.location.line)


def test_the_longest_drain_and_the_first_of_equals() -> None:
    found = workers("timedelta(seconds=30)", "timedelta(minutes=2)", "timedelta(seconds=120)", "")
    best = longest_drain(found)
    assert best is not None and best[0] == 120 and best[1] is found[1]


def test_no_drain_is_the_sdk_default_of_zero() -> None:
    found = workers("")
    assert longest_drain(found) == (0.0, found[0])
    assert drain_text(found[0]) == "0 s (SDK default)"
    # Zero counts as a drain: a negative or positive start would change which worker is the longest.
    (first, second) = workers("", "timedelta(0)")
    assert longest_drain([first, second]) == (0.0, first)


def test_one_unresolved_drain_decides_nothing_and_says_which() -> None:
    found = workers("timedelta(seconds=30)", "cfg.drain", "timedelta(minutes=5)")
    assert longest_drain(found) is None
    reason = undecided_drain(found)
    assert reason.startswith(f"the drain of app/main.py:{found[1].location.line} could not be resolved (")
    assert "cfg" in reason
    assert undecided_drain(workers("timedelta(seconds=30)", "")) == ""
