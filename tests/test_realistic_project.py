"""A platform monorepo written the way real teams write Temporal code: a toolkit that builds workers
from shared option dicts, settings from pydantic-settings, a lifecycle helper that drains several
workers, an activity class, two entrypoints (a console script and a Django management command), a
workflow calling business helpers in another module, and replay tests.

Every rule runs on it. It has exactly three real problems and every other rule must stay silent:
this is the false-positive trap for the whole catalogue (values tprlint cannot resolve - settings
attributes, option dicts built by functions - must never be guessed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tprlint.config import Config
from tprlint.engine import run

SHAPE = Path(__file__).parent / "data" / "python_shapes" / "platform_services"


def test_only_the_real_problems_are_reported(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "platform"
    shutil.copytree(SHAPE, root)
    monkeypatch.chdir(root)
    result = run([root], Config(root=root), use_cache=False, jobs=1)
    found = [(f.rule_id, f.location.path, f.location.line) for f in result.findings]
    assert found == [
        # The workflow calls a billing-calendar helper that reads the wall clock.
        ("TPR210", "src/billing/calendar.py", 13),
        # A sync activity registered without an activity_executor: Worker() raises at start-up.
        ("TPR107", "src/payments/management/commands/payments_worker.py", 21),
        # The Django command runs a Worker and nothing in its imports handles SIGTERM.
        ("TPR103", "src/payments/management/commands/payments_worker.py", 27),
    ], found
    messages = {f.rule_id: f.message for f in result.findings}
    assert "InvoiceWorkflow.run → days_overdue → date.today" in messages["TPR210"]
    assert "settle_batch" in messages["TPR107"] and "activity_executor" in messages["TPR107"]
    assert "Django management command `payments_worker`" in messages["TPR103"]
