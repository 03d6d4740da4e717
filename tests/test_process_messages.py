"""TPR104-TPR108: what the findings say and which processes, handlers and workers they are about, on
small worker services written the way real ones are (TPR109: test_process_health_messages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import at, findings, lint, messages

# -- TPR104: which handler, which exit, how deep ------------------------------------------------------

WORKER = """
import asyncio
from temporalio.client import Client
from temporalio.worker import Worker
from app.lifecycle import install

async def main():
    client = await Client.connect("temporal:7233")
    install()
    await Worker(client, task_queue="orders", workflows=[]).run()

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_tpr104_reports_the_fallback_handler_after_one_that_hands_the_stop_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": """
        import asyncio, signal, sys

        STOP = asyncio.Event()

        def install():
            try:
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, STOP.set)
            except NotImplementedError:
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # fallback
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR104") == at(files, "app/lifecycle.py", "# fallback")


def test_tpr104_names_the_first_exit_the_handler_reaches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": """
        import os, signal, sys

        def _abort_if_stuck():
            os._exit(1)

        def _quit():
            sys.exit(0)

        def _on_term(signum, frame):
            _abort_if_stuck()
            _quit()

        def install():
            signal.signal(signal.SIGTERM, _on_term)
    """}
    found = findings(tmp_path, monkeypatch, files, "TPR104")
    assert [(f.location.path, f.location.line) for f in found] == at(files, "app/lifecycle.py", "signal.signal(")
    assert found[0].message.startswith(
        "This SIGTERM handler (`_on_term`) ends the process without shutting the Temporal Worker down: "
        "`os._exit()` kills the process on the spot: running activities are abandoned")
    assert [(r.location.path, r.location.line, r.message) for r in found[0].related] == [
        ("app/lifecycle.py", 5, "the handler exits here (`os._exit()`)")]


def test_tpr104_names_an_exit_in_a_handler_body_before_those_of_its_helpers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": """
        import os, signal, sys

        def _flush():
            os._exit(1)

        def _on_term(signum, frame):
            if frame is None:
                sys.exit(0)
            _flush()

        def install():
            signal.signal(signal.SIGTERM, _on_term)
    """}
    found = findings(tmp_path, monkeypatch, files, "TPR104")
    assert "`sys.exit()` unwinds the event loop, which cancels every task at once" in found[0].message
    assert [(r.location.line, r.message) for r in found[0].related] == [(9, "the handler exits here (`sys.exit()`)")]


def _chain(helpers: int) -> str:
    """A lifecycle module whose SIGTERM handler reaches `os._exit` through ``helpers`` helper functions."""
    names = [f"_step{i}" for i in range(1, helpers + 1)]
    body = ["import os, signal", ""]
    for name, following in zip(names, [*names[1:], None], strict=True):
        body += [f"def {name}():", f"    {following}()" if following else "    os._exit(1)", ""]
    body += ["def _on_term(signum, frame):", f"    {names[0]}()", "",
             "def install():", "    signal.signal(signal.SIGTERM, _on_term)", ""]
    return "\n".join(body)


@pytest.mark.parametrize(("helpers", "reported"), [(2, True), (3, True), (4, False)])
def test_tpr104_follows_a_handler_four_calls_deep_and_no_further(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: int, reported: bool) -> None:
    found = lint(tmp_path, monkeypatch, {"app/worker.py": WORKER, "app/lifecycle.py": _chain(helpers)}, "TPR104")
    assert found == ([("app/lifecycle.py", 3 * helpers + 7)] if reported else [])


def test_tpr104_follows_a_helper_after_one_the_handler_already_reached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": """
        import logging, os, signal

        log = logging.getLogger(__name__)

        def _close_pools():
            log.info("closing pools")

        def _die():
            os._exit(0)

        def _finish():
            _close_pools()
            _die()

        def _on_term(signum, frame):
            _close_pools()
            _finish()

        def install():
            signal.signal(signal.SIGTERM, _on_term)
    """}
    found = findings(tmp_path, monkeypatch, files, "TPR104")
    assert [(f.location.line, [r.location.line for r in f.related]) for f in found] == [(21, [10])]


def test_tpr104_an_error_raised_by_a_helper_of_a_signal_handler_is_not_its_exit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": """
        import signal

        UNSENT: list[str] = []

        def _flush():
            if UNSENT:
                raise RuntimeError("metrics were not flushed")

        def _on_term(signum, frame):
            _flush()

        def install():
            signal.signal(signal.SIGTERM, _on_term)
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR104") == []


def test_tpr104_a_project_exception_that_is_no_system_exit_does_not_end_the_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/errors.py": """
        class ShutdownRequested(Exception):
            pass
    """, "app/lifecycle.py": """
        import asyncio, signal
        from app.errors import ShutdownRequested

        def _on_term():
            raise ShutdownRequested()

        def install():
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, _on_term)
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR104") == []


# -- TPR104: which modules belong to a worker process --------------------------------------------------

EXITING_LIFECYCLE = """
import signal, sys

def install():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
"""


def test_tpr104_judges_a_worker_entrypoint_listed_after_the_tests(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": WORKER, "app/lifecycle.py": EXITING_LIFECYCLE, "app/tests/test_worker.py": """
        from temporalio.worker import Worker

        def test_worker_starts(client):
            Worker(client, task_queue="test", workflows=[])
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR104") == [("app/lifecycle.py", 5)]


def test_tpr104_judges_every_worker_process_of_a_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/billing_worker.py": """
            import asyncio
            from temporalio.worker import Worker
            from app.common import connect

            async def main():
                await Worker(await connect(), task_queue="billing", workflows=[]).run()

            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "app/common.py": """
            from temporalio.client import Client

            async def connect():
                return await Client.connect("temporal:7233")
        """,
        "app/orders_worker.py": WORKER.replace("app.lifecycle", "app.orders_lifecycle"),
        "app/orders_lifecycle.py": EXITING_LIFECYCLE,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR104") == [("app/orders_lifecycle.py", 5)]


def test_tpr104_leaves_a_handler_module_alone_that_only_tests_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/worker.py": WORKER.replace("from app.lifecycle import install", "def install(): pass"),
        "app/lifecycle.py": EXITING_LIFECYCLE,
        "tests/test_lifecycle.py": """
            from temporalio.worker import Worker
            from app.lifecycle import install
            from app.worker import main

            def test_install_then_run(client):
                install()
                Worker(client, task_queue="test", workflows=[])
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR104") == []


def test_tpr104_judges_a_script_a_deployment_runs_without_a_main_guard(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/worker.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: orders-worker
            spec:
              template:
                spec:
                  containers:
                    - name: worker
                      image: ghcr.io/acme/orders-worker:1.4.2
                      command: ["python", "app/run.py"]
        """,
        "app/run.py": """
            import asyncio
            from app.lifecycle import install
            from app.service import serve

            install()
            asyncio.run(serve())
        """,
        "app/service.py": """
            import asyncio
            from temporalio.client import Client
            from temporalio.worker import Worker

            async def serve():
                client = await Client.connect("temporal:7233")
                async with Worker(client, task_queue="orders", workflows=[]):
                    await asyncio.Event().wait()
        """,
        "app/lifecycle.py": EXITING_LIFECYCLE,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR104") == [("app/lifecycle.py", 5)]


def test_tpr104_judges_a_worker_factory_and_the_console_script_that_runs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pyproject.toml": """
            [project]
            name = "orders"
            version = "1.0"

            [project.scripts]
            orders-worker = "app.cli:main"
        """,
        "app/factory.py": """
            import signal, sys
            from temporalio.worker import Worker

            def create_worker(client):
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                return Worker(client, task_queue="orders", workflows=[])
        """,
        "app/cli.py": """
            import asyncio
            from temporalio.client import Client
            from app.factory import create_worker

            async def _run():
                worker = create_worker(await Client.connect("temporal:7233"))
                await worker.run()

            def main():
                asyncio.run(_run())
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR104") == [("app/factory.py", 6)]


def test_tpr104_follows_imports_through_a_module_whose_own_imports_are_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/worker.py": """
            import asyncio, signal, sys
            from temporalio.client import Client
            from temporalio.worker import Worker
            from app.settings import TASK_QUEUE

            async def main():
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                client = await Client.connect("temporal:7233")
                await Worker(client, task_queue=TASK_QUEUE, workflows=[]).run()

            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "app/settings.py": '''
            """Worker settings. On SIGTERM the worker drains for SHUTDOWN_GRACE seconds."""
            from app.defaults import SHUTDOWN_GRACE, TASK_QUEUE
        ''',
        "app/defaults.py": """
            SHUTDOWN_GRACE = 30
            TASK_QUEUE = "orders"
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR104") == [("app/worker.py", 8)]


# -- TPR105 / TPR106 / TPR108: what the Worker-option findings say ------------------------------------

SANDBOX_FIX = (
    "Keep the default `SandboxedWorkflowRunner()`; import side-effect-free modules (activities, models) "
    "with `with workflow.unsafe.imports_passed_through():`, or pass named modules through with "
    "`SandboxRestrictions.default.with_passthrough_modules(...)`."
)


def test_tpr105_says_what_each_sandbox_escape_hatch_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/tests/test_workflows.py": """
            from temporalio import workflow

            @workflow.defn(sandboxed=False)
            class ReplayProbe:
                pass
        """,
        "app/workflows.py": """
            from temporalio import workflow
            from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

            RUNNER = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())

            @workflow.defn
            class Report:
                @workflow.run
                async def run(self) -> str:
                    with workflow.unsafe.sandbox_unrestricted():
                        import pandas
                    return pandas.__version__
        """,
    }
    found = findings(tmp_path, monkeypatch, files, "TPR105")
    assert [(f.location.path, f.location.line, f.message) for f in found] == [
        ("app/workflows.py", 5,
         "`with_passthrough_all_modules()` passes every module through the sandbox: none is re-imported per "
         "workflow run, so module-level state leaks between runs and import-time side effects go unnoticed. "
         "Use it only for code proven deterministic, or not at all. " + SANDBOX_FIX),
        ("app/workflows.py", 11,
         "`workflow.unsafe.sandbox_unrestricted()` switches the sandbox's restrictions off for the code inside it. "
         "Use it only for code proven deterministic, or not at all. " + SANDBOX_FIX),
    ]


SETTINGS = """
from pydantic_settings import BaseSettings, SettingsConfigDict

class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_")
    debug: bool = True
    task_queue: str = "orders"

settings = WorkerSettings()
"""
DEBUG_EFFECT = (
    " turns off deadlock detection (a workflow that blocks for more than 2 s is no longer failed with TMPRL1101 "
    "and retried; it silently holds a workflow task slot and thread) and may turn off the sandbox"
)
EVICTION_EFFECT = (
    " lets the garbage collector tear evicted workflows down, running their `finally` blocks in the wrong "
    "workflow context (the SDK: \"Users should not set this value to true\")"
)
DEBUG_FIX = (
    " (and keep the `TEMPORAL_DEBUG` environment variable, which also turns debug mode on, out of production)."
)


def test_tpr106_names_where_a_debug_switch_comes_from_and_counts_the_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/settings.py": SETTINGS,
        "app/tests/test_worker.py": """
            from temporalio.worker import Worker

            def test_worker(client):
                Worker(client, task_queue="test", workflows=[], debug_mode=True)
        """,
        "app/worker.py": """
            from temporalio.worker import Worker
            from app.settings import settings

            def build(client):
                return Worker(client, task_queue=settings.task_queue, workflows=[], debug_mode=settings.debug)

            def build_for_replays(client):
                return Worker(client, task_queue="replays", workflows=[], debug_mode=True,
                              disable_safe_workflow_eviction=True)
        """,
    }
    found = findings(tmp_path, monkeypatch, files, "TPR106")
    assert [(f.location.path, f.location.line, f.message) for f in found] == [
        ("app/worker.py", 6, "This Worker is in debug mode: `debug_mode=True` (default of env ORDERS_debug)"
         + DEBUG_EFFECT + ". Remove the option" + DEBUG_FIX),
        ("app/worker.py", 9, "This Worker is in debug mode: `debug_mode=True`" + DEBUG_EFFECT
         + "; and `disable_safe_workflow_eviction=True`" + EVICTION_EFFECT + ". Remove the options" + DEBUG_FIX),
    ]


def test_tpr106_a_lone_eviction_switch_is_one_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/worker.py": """
        from temporalio.worker import Worker

        def build(client):
            return Worker(client, task_queue="orders", workflows=[], disable_safe_workflow_eviction=True)
    """}
    assert messages(tmp_path, monkeypatch, files, "TPR106") == [
        "This Worker is in debug mode: `disable_safe_workflow_eviction=True`" + EVICTION_EFFECT
        + ". Remove the option" + DEBUG_FIX]


def _deprecated(names: str) -> str:
    return (f"This Worker uses deprecated {names}: when set it overrides the poller behaviour, and the SDK will "
            "remove it. Replace: ")


def test_tpr108_counts_the_deprecated_options_it_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/tests/test_pollers.py": """
            from temporalio.worker import Worker

            def test_pollers(client):
                Worker(client, task_queue="test", workflows=[], max_concurrent_workflow_task_polls=1)
        """,
        "app/worker.py": """
            from temporalio.worker import Worker

            def build_orders(client):
                return Worker(client, task_queue="orders", workflows=[], max_concurrent_activity_task_polls=10)

            def build_billing(client):
                return Worker(client, task_queue="billing", workflows=[], max_concurrent_workflow_task_polls=4,
                              max_concurrent_activity_task_polls=8)
        """,
    }
    tail = " (`PollerBehaviorSimpleMaximum` and `PollerBehaviorAutoscaling` are in `temporalio.worker`)."
    activity = ("`max_concurrent_activity_task_polls=` → "
                "`activity_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=N)`")
    workflow = ("`max_concurrent_workflow_task_polls=` → "
                "`workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=N)`")
    found = findings(tmp_path, monkeypatch, files, "TPR108")
    assert [(f.location.path, f.location.line, f.message) for f in found] == [
        ("app/worker.py", 5, _deprecated("option `max_concurrent_activity_task_polls`") + activity + tail),
        ("app/worker.py", 8, _deprecated("options `max_concurrent_workflow_task_polls`, "
                                         "`max_concurrent_activity_task_polls`") + f"{workflow}; {activity}" + tail),
    ]

