"""Where TPR103 points when the entrypoint itself neither runs a Worker nor has a main guard: a console
script whose function starts Workers that another module builds and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import at, findings

WORKERS = """\
import asyncio
from temporalio.client import Client
from temporalio.worker import Worker


async def serve():
    client = await Client.connect("temporal:7233")
    billing = Worker(client, task_queue="billing", workflows=[])
    refunds = Worker(client, task_queue="refunds", workflows=[])
    await asyncio.gather(billing.run(), refunds.run())
"""


def test_tpr103_of_a_console_script_points_at_the_first_worker_it_runs(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "payments"\n[project.scripts]\npayments-worker = "payments.cli:main"\n',
        "payments/__init__.py": "",
        "payments/cli.py": "import asyncio\n\nfrom payments.workers import serve\n\n\ndef main():\n"
                           "    asyncio.run(serve())\n",
        "payments/workers.py": WORKERS,
    }
    (found,) = findings(tmp_path, monkeypatch, files, "TPR103")
    first = at(files, "payments/workers.py", "billing = Worker")[0]
    assert (found.location.path, found.location.line) == first
    assert found.message.startswith("This entrypoint (console script `payments-worker` (pyproject.toml:")
    assert [((r.location.path, r.location.line), r.message) for r in found.related] == [
        (first, "the Worker this process runs")]
