"""The console report, character for character: the code frame, the caret under what a finding points at,
the help block and the rule table. A layout change must show up here, on purpose."""

from __future__ import annotations

from pathlib import Path

from tprlint.catalog import load_catalog
from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, load_reporter

SOURCE = 'import temporalio\nworker = Worker(client, task_queue="orders")\nx = f(a)\nconfig = {  \n    "a": 1,\n}\n'
FINDINGS = [
    Finding("TPR601", Severity.ERROR, "token at column 10", Location("worker.py", 2, 10)),  # the word there
    Finding("TPR103", Severity.WARNING, "past the end", Location("worker.py", 3, 99)),  # just after the line
    Finding("TPR101", Severity.WARNING, "one char", Location("worker.py", 3, 6, 3, 7)),
    # To its first line's end, trailing blanks left out.
    Finding("TPR201", Severity.NOTE, "multi-line", Location("worker.py", 4, 1, 6, 2)),
]
EXPECTED = """\
worker.py:2:10  TPR601 [error] grace-period-shorter-than-drain
  token at column 10
    1 │ import temporalio
  > 2 │ worker = Worker(client, task_queue="orders")
      │          ^^^^^^
    3 │ x = f(a)
  help: A workload's `terminationGracePeriodSeconds` (default 30) does not exceed the
        `graceful_shutdown_timeout` of the worker it runs, plus its preStop sleep and a margin.
        (tprlint explain TPR601)

worker.py:3:99  TPR103 [warning] worker-no-sigterm-handler
  past the end
    1 │ import temporalio
    2 │ worker = Worker(client, task_queue="orders")
  > 3 │ x = f(a)
      │         ^
    4 │ config = {
  help: A process entrypoint runs a Temporal Worker but no module of the project it imports installs
        a SIGTERM handler.
        (tprlint explain TPR103)

worker.py:3:6  TPR101 [warning] worker-graceful-shutdown-missing
  one char
    1 │ import temporalio
    2 │ worker = Worker(client, task_queue="orders")
  > 3 │ x = f(a)
      │      ^
    4 │ config = {
  help: A Temporal `Worker` is constructed without `graceful_shutdown_timeout`, or with zero.
        (tprlint explain TPR101)

worker.py:4:1  TPR201 [note] activity-missing-timeout
  multi-line
    2 │ worker = Worker(client, task_queue="orders")
    3 │ x = f(a)
  > 4 │ config = {
      │ ^^^^^^^^^^
    5 │     "a": 1,
  help: An activity is scheduled without `start_to_close_timeout` or `schedule_to_close_timeout`.
        (tprlint explain TPR201)

Rule     Name                               Severity   Count
────────────────────────────────────────────────────────────
TPR601   grace-period-shorter-than-drain    error          1
TPR101   worker-graceful-shutdown-missing   warning        1
TPR103   worker-no-sigterm-handler          warning        1
TPR201   activity-missing-timeout           note           1

Found 1 error, 2 warnings, 1 note (1 file scanned).
"""


def _render(root: Path, *, color: bool = False) -> str:
    (root / "worker.py").write_text(SOURCE, encoding="utf-8")
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=color, base_dir=root)
    return load_reporter("console")(FINDINGS, context)


def test_the_console_report_character_for_character(tmp_path: Path) -> None:
    assert _render(tmp_path) == EXPECTED


def test_in_colour_only_the_lines_around_a_finding_are_dimmed(tmp_path: Path) -> None:
    dim = "\x1b[2m"
    lines = _render(tmp_path, color=True).splitlines()
    target = next(line for line in lines if "> 2" in line and "Worker(client" in line)
    context = next(line for line in lines if " 1 " in line and "import temporalio" in line)
    assert dim not in target.split("│", 1)[1]
    assert dim in context.split("│", 1)[1]
