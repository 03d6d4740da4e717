"""TPR230-TPR233, TPR250 and TPR251 on small projects shaped like real ones: workflow lists and
deployment configs in other modules, several workers per process, client wrappers, replay tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run

Finding = tuple[str, int, str]


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[Finding]:
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=(rule,)), use_cache=False, jobs=1)
    return [(f.location.path, f.location.line, f.message) for f in result.findings if f.rule_id == rule]


def where(found: list[Finding]) -> list[tuple[str, int]]:
    return [(path, line) for path, line, _ in found]


WORKFLOWS = {
    "app/workflows/orders.py": """
        from temporalio import workflow

        @workflow.defn(name="orders")
        class OrderWorkflow:
            @workflow.run
            async def run(self) -> None: ...
    """,
    "app/workflows/billing.py": """
        from temporalio import workflow
        from temporalio.common import VersioningBehavior

        @workflow.defn(versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
        class BillingWorkflow:
            @workflow.run
            async def run(self) -> None: ...
    """,
    "app/workflows/__init__.py": """
        from .billing import BillingWorkflow
        from .orders import OrderWorkflow

        ALL = [BillingWorkflow, OrderWorkflow]
    """,
}
PLAIN_WORKER = """
    from temporalio.worker import Worker
    from app.workflows import ALL

    async def run(client):
        await Worker(client, task_queue="app", workflows=ALL).run()
"""

# -- TPR230 ------------------------------------------------------------------------------------------


def test_no_strategy_is_reported_once_at_the_first_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {**WORKFLOWS, "app/worker.py": PLAIN_WORKER}, "TPR230")
    assert where(found) == [("app/workflows/billing.py", 5)]
    assert "`BillingWorkflow`, `OrderWorkflow`" in found[0][2]


@pytest.mark.parametrize("extra", [
    # patching in a helper module the workflows use
    {"app/workflows/compat.py": "from temporalio import workflow\n\ndef new_path() -> bool:\n"
                                "    return workflow.patched('v2')\n"},
    {"app/workflows/compat.py": "from temporalio import workflow as wf\n\ndef done() -> None:\n"
                                "    wf.deprecate_patch('v2')\n"},
    # a deployment config built in a settings module
    {"app/versioning.py": "import os\nfrom temporalio.worker import WorkerDeploymentConfig\n"
                          "from temporalio.common import WorkerDeploymentVersion\n"
                          "CONFIG = WorkerDeploymentConfig(WorkerDeploymentVersion('app', os.environ['B']), True)\n"},
    # legacy versioning: a strategy, reported by TPR231 instead
    {"app/legacy.py": "from temporalio.worker import Worker\n"
                      "w = Worker(c, task_queue='x', build_id='1', use_worker_versioning=True)\n"},
])
def test_any_strategy_silences_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]) -> None:
    assert lint(tmp_path, monkeypatch, {**WORKFLOWS, "app/worker.py": PLAIN_WORKER, **extra}, "TPR230") == []


def test_patching_in_tests_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        **WORKFLOWS,
        "tests/test_patch.py": "from temporalio import workflow\n\ndef test():\n    workflow.patched('x')\n",
    }, "TPR230")
    assert where(found) == [("app/workflows/billing.py", 5)]


# -- TPR231 ------------------------------------------------------------------------------------------


def test_legacy_versioning_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/ops.py": """
            from temporalio.client import Client
            import temporalio.client as tc

            class VersioningOps:
                def __init__(self, client: Client) -> None:
                    self._client = client

                async def reachability(self, build_id: str):
                    return await self._client.get_worker_task_reachability([build_id])

                async def rules(self, request):
                    return await self._client.workflow_service.get_worker_versioning_rules(request)

                async def promote(self, build_id: str):
                    await self._client.update_worker_build_id_compatibility("q", tc.BuildIdOpMergeSets(build_id, "x"))
        """,
        "app/workflows.py": """
            from temporalio import workflow

            @workflow.defn
            class Parent:
                @workflow.run
                async def run(self) -> None:
                    await workflow.execute_child_workflow("Child", versioning_intent=workflow.VersioningIntent.DEFAULT)
                    await workflow.start_activity("a", start_to_close_timeout=1, versioning_intent=None)
                    workflow.continue_as_new(versioning_intent=workflow.VersioningIntent.COMPATIBLE)
        """,
        "app/worker.py": """
            import os
            from temporalio.worker import Worker, WorkerDeploymentConfig
            from app import settings

            a = Worker(c, task_queue="a", build_id=settings.BUILD)
            b = Worker(c, task_queue="b", build_id="1", use_worker_versioning=settings.VERSIONED)
            d = Worker(c, task_queue="d", deployment_config=WorkerDeploymentConfig(v, use_worker_versioning=True))
        """,
        "app/settings.py": "import os\nBUILD = os.environ['GIT_SHA']\nVERSIONED = True\n",
    }, "TPR231")
    assert where(found) == [
        ("app/ops.py", 9), ("app/ops.py", 12), ("app/ops.py", 15),
        ("app/worker.py", 5), ("app/worker.py", 6),
        ("app/workflows.py", 7), ("app/workflows.py", 9),
    ]
    promote = found[2][2]
    assert promote.startswith("`update_worker_build_id_compatibility()` and `BuildIdOpMergeSets` belong")
    assert "only labels the worker" in found[3][2] and "PERMISSION_DENIED" in found[4][2]


# -- TPR232 ------------------------------------------------------------------------------------------

VERSIONED = """
    import os
    from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
    from temporalio.worker import Worker, WorkerDeploymentConfig
    from app.workflows import ALL, BillingWorkflow
    from app.config import DEFAULT

    VERSION = WorkerDeploymentVersion(deployment_name="app", build_id=os.environ["BUILD_ID"])

    def versioned(default=None):
        return WorkerDeploymentConfig(version=VERSION, use_worker_versioning=True)

    async def main(client):
        plain = Worker(client, task_queue="plain", workflows=ALL)
        billing = Worker(client, task_queue="billing", workflows=[BillingWorkflow],
                         deployment_config=WorkerDeploymentConfig(version=VERSION, use_worker_versioning=True))
        everything = Worker(client, task_queue="all", workflows=ALL,
                            deployment_config=WorkerDeploymentConfig(VERSION, True, VersioningBehavior.UNSPECIFIED))
        defaulted = Worker(client, task_queue="d", workflows=ALL,
                           deployment_config=WorkerDeploymentConfig(VERSION, True, DEFAULT))
        from_factory = Worker(client, task_queue="f", workflows=ALL, deployment_config=versioned())
"""


def test_versioned_worker_with_workflow_lists_from_another_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        **WORKFLOWS, "app/worker.py": VERSIONED,
        "app/config.py": "from temporalio.common import VersioningBehavior\nDEFAULT = VersioningBehavior.PINNED\n",
    }, "TPR232")
    # Only OrderWorkflow lacks a behaviour, and only the `everything` Worker (UNSPECIFIED default) and
    # the factory-built one register it; the factory's config is a call result tprlint does not follow.
    assert where(found) == [("app/workflows/orders.py", 3)]
    assert "Workflow orders must specify a versioning behavior" in found[0][2]


def test_versioned_worker_built_through_a_kwargs_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        **WORKFLOWS,
        "app/factory.py": """
            from temporalio.worker import Worker

            def build_worker(client, **options):
                return Worker(client, **options)
        """,
        "app/main.py": """
            import os
            from temporalio.common import WorkerDeploymentVersion
            from temporalio.worker import WorkerDeploymentConfig
            from app.factory import build_worker
            from app.workflows.orders import OrderWorkflow

            CONFIG = WorkerDeploymentConfig(
                version=WorkerDeploymentVersion("app", os.environ["BUILD_ID"]), use_worker_versioning=True)
            OPTIONS = {"workflows": [OrderWorkflow], "deployment_config": CONFIG}

            worker = build_worker(None, task_queue="orders", **OPTIONS)
        """,
    }, "TPR232")
    assert where(found) == [("app/workflows/orders.py", 3)]


# -- TPR233 ------------------------------------------------------------------------------------------


def test_build_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/release.py": '__version__ = "1.4.2"\n',
        "app/worker.py": """
            import os
            from temporalio.common import WorkerDeploymentVersion
            from temporalio.worker import Worker
            from app.release import __version__

            pinned = WorkerDeploymentVersion(deployment_name="app", build_id=__version__)
            from_env = WorkerDeploymentVersion("app", os.getenv("BUILD_ID", "local"))
            worker = Worker(c, task_queue="q", build_id="2024-06-01")
            env_worker = Worker(c, task_queue="q", build_id=os.environ["BUILD_ID"])
        """,
        "tests/test_versions.py": """
            from temporalio.common import WorkerDeploymentVersion
            V = WorkerDeploymentVersion.from_canonical_string("app.1")
        """,
    }, "TPR233")
    assert where(found) == [("app/worker.py", 6), ("app/worker.py", 8)]
    assert "`1.4.2`" in found[0][2] and "`2024-06-01`" in found[1][2]


# -- TPR250 / TPR251 ---------------------------------------------------------------------------------


def test_replay_test_through_a_fixture_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        **WORKFLOWS,
        "tests/conftest.py": """
            import pytest
            from temporalio.worker import Replayer as R
            from app.workflows import ALL

            @pytest.fixture
            def replayer():
                return R(workflows=ALL)
        """,
        "tests/test_replay.py": """
            from temporalio.client import WorkflowHistory

            async def test_histories(replayer, histories):
                await replayer.replay_workflows(histories)
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR250") == []
    files["tests/conftest.py"] = "import pytest\n"
    assert lint(tmp_path, monkeypatch, files, "TPR250") == []  # `replay_workflows` alone counts too


def test_no_tests_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {**WORKFLOWS, "app/worker.py": PLAIN_WORKER}, "TPR250")
    assert where(found) == [("app/workflows/billing.py", 5)]


def test_from_json_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "tests/test_replay.py": """
            from temporalio.client import WorkflowHistory as WH
            import temporalio.client

            def load(text, kwargs, args):
                WH.from_json(text)
                temporalio.client.WorkflowHistory.from_json(history=text)
                WH.from_json("wf-1", text)
                WH.from_json(workflow_id="wf-1", history=text)
                WH.from_json(*args)
                WH.from_json(text, **kwargs)
        """,
        "tools/replay.py": """
            from temporalio.client import WorkflowHistory

            history = WorkflowHistory.from_json(open("h.json").read())
        """,
    }, "TPR251")
    assert where(found) == [("tests/test_replay.py", 5), ("tests/test_replay.py", 6), ("tools/replay.py", 3)]
