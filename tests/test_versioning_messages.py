"""TPR230-TPR233 as a user reads them: how workflow lists are summed up, the verb and column of a
legacy versioning line, which kind of literal a build id is, which Workers and workflows TPR232 judges
(positional deployment configs, plain Workers, dynamic workflows, re-exported classes), and that
modules under tests never stop production modules from being judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import run_rules
from tprlint.model import Finding


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[Finding]:
    found = run_rules(tmp_path, monkeypatch, files, rule)
    assert [f for f in found if f.rule_id == "TPR000"] == []
    return sorted((f for f in found if f.rule_id == rule), key=lambda f: (f.location.path, f.location.line))


def workflow_module(name: str, decorator: str = "@workflow.defn") -> str:
    return f"""
        from temporalio import workflow


        {decorator}
        class {name}:
            @workflow.run
            async def run(self, order_id: str) -> None: ...
    """


# -- TPR230: the workflows named in the message ---------------------------------------------------------

SERVICE = ["BillingWorkflow", "InventoryWorkflow", "OrderWorkflow", "ShippingWorkflow"]


@pytest.mark.parametrize(("count", "named"), [
    (3, "`BillingWorkflow`, `InventoryWorkflow`, `OrderWorkflow`"),
    (4, "`BillingWorkflow`, `InventoryWorkflow`, `OrderWorkflow` and 1 more"),
])
def test_tpr230_names_the_first_three_workflows_and_counts_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, named: str) -> None:
    files = {f"app/workflows/{name.removesuffix('Workflow').lower()}.py": workflow_module(name)
             for name in SERVICE[:count]}
    [finding] = lint(tmp_path, monkeypatch, files, "TPR230")
    assert (finding.location.path, finding.location.line) == ("app/workflows/billing.py", 5)
    assert finding.message.startswith(f"This project defines workflows ({named}) but has no versioning strategy: ")


def test_tpr230_names_a_workflow_class_defined_in_many_folders_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"samples/{folder}/workflows.py": workflow_module("AgentWorkflow") for folder in ("hello", "tools")}
    [finding] = lint(tmp_path, monkeypatch, files, "TPR230")
    assert finding.message.startswith("This project defines workflows (`AgentWorkflow`) but has no versioning")


# -- TPR231: one finding per line, with every legacy API on it -----------------------------------------

LEGACY = {
    "app/tests/test_versioning.py": """
        from temporalio.client import Client


        async def test_new_build_is_reachable(client: Client) -> None:
            assert await client.get_worker_task_reachability(["v2"])
    """,
    "app/versioning.py": """
        from temporalio.client import BuildIdOpAddNewDefault, Client


        async def promote(client: Client, build_id: str) -> None:
            await client.update_worker_build_id_compatibility("orders", BuildIdOpAddNewDefault(build_id))


        async def reachable(client: Client, build_id: str):
            return await client.get_worker_task_reachability([build_id])
    """,
}
LEGACY_TAIL = (
    " to legacy Build-ID-based worker versioning (version sets and assignment rules): deprecated in the SDK and "
    "rejected by current servers (Server 1.32: PERMISSION_DENIED, \"Worker versioning v0.1 ... is disabled\")."
)


def test_tpr231_says_belong_for_several_legacy_apis_on_a_line_and_belongs_for_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    promote, reachable = lint(tmp_path, monkeypatch, LEGACY, "TPR231")
    assert (promote.location.path, promote.location.line, promote.location.column) == ("app/versioning.py", 5, 11)
    assert promote.message.startswith(
        "`update_worker_build_id_compatibility()` and `BuildIdOpAddNewDefault` belong" + LEGACY_TAIL)
    assert (reachable.location.path, reachable.location.line) == ("app/versioning.py", 9)
    assert reachable.message.startswith("`get_worker_task_reachability()` belongs" + LEGACY_TAIL)


# -- TPR233: a version or a build id, in production modules only ------------------------------------------

BUILD_IDS = {
    "app/tests/test_release.py": """
        from temporalio.common import WorkerDeploymentVersion

        TEST_VERSION = WorkerDeploymentVersion.from_canonical_string("orders.test")
    """,
    "app/versioning.py": """
        from temporalio.common import WorkerDeploymentVersion

        CURRENT = WorkerDeploymentVersion.from_canonical_string("orders.2024-06-01")
        PINNED = WorkerDeploymentVersion(deployment_name="orders", build_id="v7")
    """,
}
BUILD_ID_TAIL = (
    ": every build of this worker then announces the same deployment version unless someone edits the code, so "
    "changed workflow code can run under a version that PINNED workflows trust to be the old code."
)


def test_tpr233_calls_a_canonical_string_a_version_and_a_build_id_a_build_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canonical, build_id = lint(tmp_path, monkeypatch, BUILD_IDS, "TPR233")
    assert (canonical.location.path, canonical.location.line) == ("app/versioning.py", 3)
    assert canonical.message.startswith(
        "`WorkerDeploymentVersion.from_canonical_string(...)` gets the literal version `orders.2024-06-01`"
        + BUILD_ID_TAIL)
    assert (build_id.location.path, build_id.location.line) == ("app/versioning.py", 4)
    assert build_id.message.startswith("`WorkerDeploymentVersion(build_id=...)` gets the literal build id `v7`"
                                       + BUILD_ID_TAIL)


# -- TPR232: which Workers and which workflows --------------------------------------------------------------

ORDERS = {
    "app/workflows.py": """
        import os
        from collections.abc import Sequence
        from typing import Any

        from temporalio import workflow
        from temporalio.common import RawValue, VersioningBehavior

        DYNAMIC_ROUTER = os.environ.get("DYNAMIC_ROUTER") == "1"


        @workflow.defn(versioning_behavior=VersioningBehavior.PINNED)
        class OrderWorkflow:
            @workflow.run
            async def run(self, order_id: str) -> None: ...


        @workflow.defn
        class RefundWorkflow:
            @workflow.run
            async def run(self, order_id: str) -> None: ...


        @workflow.defn(dynamic=True)
        class FallbackWorkflow:
            @workflow.run
            async def run(self, args: Sequence[RawValue]) -> Any: ...


        @workflow.defn(dynamic=DYNAMIC_ROUTER)
        class RouterWorkflow:
            @workflow.run
            async def run(self, args: Sequence[RawValue]) -> Any: ...
    """,
    "app/worker.py": """
        import os

        from temporalio.common import WorkerDeploymentVersion
        from temporalio.worker import Worker, WorkerDeploymentConfig

        from app import plugins
        from app.workflows import FallbackWorkflow, OrderWorkflow, RefundWorkflow, RouterWorkflow

        VERSION = WorkerDeploymentVersion("orders", os.environ["BUILD_ID"])


        async def main(client) -> None:
            extensions = Worker(client, task_queue="extensions", workflows=plugins.discover(),
                                deployment_config=WorkerDeploymentConfig(VERSION, True))
            orders = Worker(client, task_queue="orders",
                            workflows=[OrderWorkflow, RefundWorkflow, FallbackWorkflow, RouterWorkflow],
                            deployment_config=WorkerDeploymentConfig(VERSION, True))
            unversioned = Worker(client, task_queue="orders-unversioned", workflows=[RefundWorkflow])
    """,
}


def test_tpr232_judges_each_versioned_worker_and_only_workflows_that_certainly_declare_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refund, fallback = sorted(lint(tmp_path, monkeypatch, ORDERS, "TPR232"), key=lambda f: f.location.line)
    assert (refund.location.path, refund.location.line) == ("app/workflows.py", 17)
    assert refund.message.startswith(
        "`RefundWorkflow` is registered on a Worker whose `WorkerDeploymentConfig(use_worker_versioning=True)` sets "
        "no `default_versioning_behavior`, and it declares no `versioning_behavior` itself: the Worker refuses to "
        "start (ValueError: \"Workflow RefundWorkflow must specify a versioning behavior\").")
    assert (fallback.location.path, fallback.location.line) == ("app/workflows.py", 23)
    assert "\"Workflow FallbackWorkflow must specify a versioning behavior\"" in fallback.message
    for finding in (refund, fallback):
        assert [(r.location.path, r.location.line, r.message) for r in finding.related] == [
            ("app/worker.py", 15, "the versioned Worker that registers it"),
        ]


def re_exported(hops: int) -> dict[str, str]:
    """A versioned Worker registering a workflow that ``app.workflows`` re-exports through ``hops``
    modules, each importing the next under ``imports_passed_through()``."""
    files = {
        f"app/workflows/layer{k}.py": f"""
            from temporalio import workflow

            with workflow.unsafe.imports_passed_through():
                from app.workflows.layer{k + 1} import OrderWorkflow
        """ for k in range(hops)
    }
    files[f"app/workflows/layer{hops}.py"] = workflow_module("OrderWorkflow")
    files["app/worker.py"] = """
        import os

        from temporalio.common import WorkerDeploymentVersion
        from temporalio.worker import Worker, WorkerDeploymentConfig

        from app.workflows.layer0 import OrderWorkflow

        CONFIG = WorkerDeploymentConfig(
            version=WorkerDeploymentVersion("orders", os.environ["BUILD_ID"]), use_worker_versioning=True)


        async def main(client) -> None:
            await Worker(client, task_queue="orders", workflows=[OrderWorkflow], deployment_config=CONFIG).run()
    """
    return files


@pytest.mark.parametrize("hops", [0, 1, 5])
def test_tpr232_follows_a_registered_workflow_through_up_to_five_re_exports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hops: int) -> None:
    found = lint(tmp_path, monkeypatch, re_exported(hops), "TPR232")
    assert [(f.location.path, f.location.line) for f in found] == [(f"app/workflows/layer{hops}.py", 4)]


def test_tpr232_stops_following_re_exports_after_five(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(tmp_path, monkeypatch, re_exported(6), "TPR232") == []
