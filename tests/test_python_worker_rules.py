"""TPR101 and TPR103 at their edges: a one-second drain, test code met first, an entrypoint running two
workers, several entrypoints of which only a later one is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import at, findings, lint

MAIN = """\
import asyncio
from datetime import timedelta
from temporalio.worker import Worker


async def main(client):
    first = Worker(client, task_queue="a", workflows=[], graceful_shutdown_timeout=DRAIN)
    second = Worker(client, task_queue="b", workflows=[], graceful_shutdown_timeout=DRAIN)
    await first.run()
    await second.run()


if __name__ == "__main__":
    asyncio.run(main(None))
"""


@pytest.mark.parametrize(("drain", "flagged"), [("timedelta(0)", True), ("timedelta(seconds=1)", False)])
def test_tpr101_a_one_second_drain_is_a_drain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drain: str,
                                              flagged: bool) -> None:
    files = {"app/main.py": MAIN.replace("DRAIN", drain)}
    expected = at(files, "app/main.py", "first =", "second =") if flagged else []
    assert lint(tmp_path, monkeypatch, files, "TPR101") == expected


def test_tpr101_test_code_met_first_does_not_end_the_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = MAIN.replace("DRAIN", "timedelta(0)")
    # "tests/" sorts before "zz/".
    files = {"tests/test_main.py": source, "zz/main.py": source}
    assert lint(tmp_path, monkeypatch, files, "TPR101") == at(files, "zz/main.py", "first =", "second =")


def test_tpr103_points_at_the_first_run_and_the_first_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/main.py": MAIN.replace("DRAIN", "timedelta(seconds=30)")}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR103")
    assert (found.location.path, found.location.line) == at(files, "app/main.py", "await first.run()")[0]
    assert [(r.location.line, r.message) for r in found.related] == [
        (at(files, "app/main.py", "first =")[0][1], "the Worker this process runs")]


def test_tpr103_an_entrypoint_with_a_handler_does_not_end_the_search(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = MAIN.replace("DRAIN", "timedelta(seconds=30)")
    handled = source.replace("async def main(client):\n", "async def main(client):\n"
                             "    import signal\n"
                             "    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)\n")
    files = {"a_handled/main.py": handled, "b_plain/main.py": source}
    assert lint(tmp_path, monkeypatch, files, "TPR103") == at(files, "b_plain/main.py", "await first.run()")


WORKFLOWS_ONLY = """\
from temporalio.worker import Worker
from app.workflows import OrderWorkflow


def make_worker(client):
    return Worker(client, task_queue="orders", workflows=[OrderWorkflow])
"""


@pytest.mark.parametrize(("connect", "flagged"), [
    ('Client.connect(address)', False),  # a workflow-only Worker: no activity to give the timeout to
    ('Client.connect(address, plugins=[OpenAIAgentsPlugin()])', True),  # the plugin brings activities
    ('Client.connect(address, **client_options())', True),  # keyword arguments tprlint cannot see
    ('Client(address, plugins=[OpenAIAgentsPlugin()])', True),  # built, not connected: plugins all the same
])
def test_tpr101_a_workflow_only_worker_is_judged_when_its_process_makes_a_client_that_may_have_plugins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, connect: str, flagged: bool) -> None:
    main = ("import asyncio\nfrom temporalio.client import Client\n"
            "from temporalio.contrib.openai_agents import OpenAIAgentsPlugin\nfrom app.workers import make_worker\n"
            "from app.options import client_options\n\n\n"
            f"async def main(address):\n    client = await {connect}\n    await make_worker(client).run()\n\n\n"
            'if __name__ == "__main__":\n    asyncio.run(main("temporal:7233"))\n')
    files = {"app/main.py": main, "app/workers.py": WORKFLOWS_ONLY,
             "app/options.py": "def client_options():\n    return {}\n"}
    assert lint(tmp_path, monkeypatch, files, "TPR101") == (at(files, "app/workers.py", "return Worker") if flagged
                                                             else [])


def test_tpr101_a_client_with_plugins_reached_through_a_module_nobody_parses(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    main = ("import asyncio\nfrom app.workers import make_worker\nfrom app.glue import client\n\n\n"
            "async def main():\n    await make_worker(await client()).run()\n\n\n"
            'if __name__ == "__main__":\n    asyncio.run(main())\n')
    files = {"app/main.py": main, "app/workers.py": WORKFLOWS_ONLY,
             # No Temporal here: only its import statements are read.
             "app/glue.py": ("from app.clients import get_client\n\n\n"
                             "async def client():\n    return await get_client()\n"),
             "app/clients.py": ("from temporalio.client import Client\n"
                                "from temporalio.contrib.openai_agents import OpenAIAgentsPlugin\n\n\n"
                                "async def get_client():\n"
                                '    return await Client.connect("temporal:7233", plugins=[OpenAIAgentsPlugin()])\n')}
    assert lint(tmp_path, monkeypatch, files, "TPR101") == at(files, "app/workers.py", "return Worker")
