"""TPR210-TPR213 messages, related locations and anchors as a user sees them, and which of several ways
to reach the same call is the one reported: direct calls, helpers, sandbox escape hatches, workflows
defined twice, workflows in tests, and configuration changes over the same parsed project."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import run_rules
from tprlint.config import Config
from tprlint.facts.python.extract import extract_python
from tprlint.link.python_project import PythonProject
from tprlint.model import Finding
from tprlint.rules.context import Project
from tprlint.rules.determinism import RULES


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str = "TPR21") -> list[Finding]:
    return sorted((f for f in run_rules(tmp_path, monkeypatch, files, rule) if f.rule_id.startswith(rule)),
                  key=lambda f: (f.location.path, f.location.line))


def by_line(found: list[Finding]) -> dict[int, Finding]:
    return {f.location.line: f for f in found}


REPLAY = (
    "it runs again every time the workflow is replayed (after a worker restart or cache eviction), so messages "
    "repeat, and it carries no workflow or run id. Use `workflow.logger` (it adds the workflow's context and skips "
    "messages while replaying)."
)
CLOCK = (
    "reads the wall clock: a replay gets another time and can take another branch. Use `workflow.now()` (the "
    "workflow's deterministic time, a UTC-aware datetime)."
)
TIME = "reads a system clock: a replay gets another value. Use `workflow.time()` / `workflow.time_ns()`, or " \
       "differences of `workflow.now()`."
REJECTED = (
    " The sandbox rejects it at run time (RestrictedWorkflowAccessError): the workflow task fails and the workflow "
    "is stuck until a fix is deployed."
)
UNRESTRICTED = (
    " It runs inside `workflow.unsafe.sandbox_unrestricted()`, so the sandbox will not catch it at run time."
)
UNSANDBOXED = " The workflow is defined with `sandboxed=False`, so nothing catches it at run time."


# -- what each message says about a call made directly in a workflow method ----------------------------

DIRECT = {
    "app/workflows/shipping.py": """
        import logging
        import os
        from datetime import datetime

        from temporalio import workflow

        log = logging.getLogger(__name__)


        @workflow.defn
        class ShippingWorkflow:
            @workflow.run
            async def run(self, order_id: str) -> str:
                region = os.environ["SHIPPING_REGION"]
                print("shipping", order_id, region)
                log.info("shipping %s", order_id)
                return f"{order_id}-{datetime.now():%Y%m%d}"
    """,
}


def test_direct_calls_name_the_api_as_the_user_wrote_it_and_stand_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = by_line(lint(tmp_path, monkeypatch, DIRECT))
    assert sorted((f.rule_id, line) for line, f in found.items()) == [
        ("TPR210", 14), ("TPR210", 17), ("TPR213", 15), ("TPR213", 16),
    ]
    assert found[14].message == (
        "`os.environ` in workflow code (ShippingWorkflow.run → os.environ) reads the process environment, which can "
        "differ on the worker that replays the history. Read it in the code that starts the workflow (or in an "
        "activity) and pass the value as workflow input."
    )
    assert found[17].message == (
        f"`datetime.now()` in workflow code (ShippingWorkflow.run → datetime.now) {CLOCK}{REJECTED}"
    )
    assert found[15].message == f"`print()` in workflow code (ShippingWorkflow.run → print) writes to stdout: {REPLAY}"
    assert found[16].message == (
        f"`log.info()` in workflow code (ShippingWorkflow.run → log.info) logs through a module logger: {REPLAY}"
    )
    assert all(f.related == () for f in found.values())
    assert found[17].anchor == "app/workflows/shipping.py:ShippingWorkflow.run:TPR210:datetime.datetime.now"


def test_a_worker_with_its_own_runner_turns_the_sandbox_note_into_a_caveat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = """
        from temporalio.worker import Worker
        from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

        from app.workflows.shipping import ShippingWorkflow


        async def run(client):
            restrictions = SandboxRestrictions.default.with_passthrough_modules("orjson")
            async with Worker(client, task_queue="shipping", workflows=[ShippingWorkflow],
                              workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
                              graceful_shutdown_timeout=60):
                pass
    """
    found = by_line(lint(tmp_path, monkeypatch, {**DIRECT, "app/worker.py": worker}, "TPR210"))
    assert found[17].message == (
        f"`datetime.now()` in workflow code (ShippingWorkflow.run → datetime.now) {CLOCK}{REJECTED} (That is with "
        "the default restrictions: a Worker at app/worker.py:9 sets its own `workflow_runner`; if its restrictions "
        "allow this call, nothing catches it before a replay fails.)"
    )
    # A call the default sandbox allows gets no caveat: nothing was said about the sandbox.
    assert "workflow_runner" not in found[14].message
    # A Worker that leaves the runner alone changes nothing; nor does a runner on a Worker that registers
    # other workflows (a monorepo of independent samples).
    plain = worker.replace("workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),", "")
    other = worker.replace("app.workflows.shipping import ShippingWorkflow", "app.workflows.billing import Billing")
    other = other.replace("workflows=[ShippingWorkflow]", "workflows=[Billing]")
    billing = "from temporalio import workflow\n\n\n@workflow.defn\nclass Billing:\n    @workflow.run\n" \
              "    async def run(self) -> None:\n        return None\n"
    files = {**DIRECT, "app/worker.py": plain, "app/billing_worker.py": other, "app/workflows/billing.py": billing}
    found = by_line(lint(tmp_path / "plain", monkeypatch, files, "TPR210"))
    assert found[17].message.endswith(REJECTED)
    # Workflows tprlint cannot read on a Worker with its own runner: any workflow may be one of them. So
    # is a list filled in place, which folds to the empty list it starts as.
    for name, registered in (("unread", "registered()"), ("appended", "WORKFLOWS")):
        unread = other.replace("workflows=[Billing]", f"workflows={registered}")
        unread = unread.replace("async def run(client):", "WORKFLOWS = []\n        WORKFLOWS.append(Billing)\n\n\n"
                                                             "        async def run(client):")
        found = by_line(lint(tmp_path / name, monkeypatch, {**files, "app/billing_worker.py": unread}, "TPR210"))
        assert "sets its own `workflow_runner`" in found[17].message, name
    # A Worker that runs no workflows, or that passes the default sandbox, lifts nothing.
    runner = "SandboxedWorkflowRunner(restrictions=restrictions)"
    for name, change in (("activities", ("workflows=[ShippingWorkflow],", "activities=[],")),
                         ("default", (runner, "SandboxedWorkflowRunner()"))):
        quiet = worker.replace(*change)
        found = by_line(lint(tmp_path / name, monkeypatch, {**DIRECT, "app/worker.py": quiet}, "TPR210"))
        assert found[17].message.endswith(REJECTED), name
    # An unsandboxed runner restricts nothing: said so, not "if its restrictions allow".
    bare = worker.replace("SandboxedWorkflowRunner(restrictions=restrictions)", "UnsandboxedWorkflowRunner()")
    bare = bare.replace("import SandboxedWorkflowRunner, SandboxRestrictions",
                        "import SandboxRestrictions, UnsandboxedWorkflowRunner")
    found = by_line(lint(tmp_path / "bare", monkeypatch, {**DIRECT, "app/worker.py": bare}, "TPR210"))
    assert found[17].message.endswith(
        "(That is with the default sandbox: the Worker at app/worker.py:9 runs workflows with "
        "`UnsandboxedWorkflowRunner()`, so nothing catches it before a replay fails.)")


# -- calls in helpers: the entry point as related location, the helper in the anchor ---------------------

HELPER = {
    "app/clock.py": """
        import time


        def elapsed_since(started: float) -> float:
            return time.time() - started
    """,
    "app/workflows.py": """
        from temporalio import workflow

        from app.clock import elapsed_since


        @workflow.defn
        class BillingWorkflow:
            @workflow.run
            async def run(self, started: float) -> float:
                return elapsed_since(started)
    """,
}


def test_a_call_in_a_helper_points_back_to_the_entry_point_and_is_anchored_at_the_helper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [finding] = lint(tmp_path, monkeypatch, HELPER, "TPR210")
    assert (finding.location.path, finding.location.line) == ("app/clock.py", 5)
    assert finding.message == f"`time.time()` in workflow code (BillingWorkflow.run → elapsed_since → time.time) " \
                              f"{TIME}{REJECTED}"
    [related] = finding.related
    assert (related.location.path, related.location.line) == ("app/workflows.py", 9)
    assert related.message == "workflow entry point BillingWorkflow.run (run) calls it"
    assert finding.anchor == "app/clock.py:elapsed_since:TPR210:time.time"


# -- which way of reaching a call is reported ------------------------------------------------------------

ESCAPED = {
    "app/audit.py": """
        import time


        def audit_stamp() -> float:
            return time.time()
    """,
    "app/workflows.py": """
        from temporalio import workflow

        from app.audit import audit_stamp


        @workflow.defn
        class AuditWorkflow:
            @workflow.run
            async def run(self) -> list[float]:
                stamps = [audit_stamp()]
                with workflow.unsafe.sandbox_unrestricted():
                    stamps.append(audit_stamp())
                return stamps
    """,
}


def test_a_helper_reached_inside_and_outside_sandbox_unrestricted_is_reported_as_the_unguarded_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [finding] = lint(tmp_path, monkeypatch, ESCAPED, "TPR210")
    assert (finding.location.path, finding.location.line) == ("app/audit.py", 5)
    assert finding.message == f"`time.time()` in workflow code (AuditWorkflow.run → audit_stamp → time.time) " \
                              f"{TIME}{UNRESTRICTED}"


TWICE = {
    "app/workflows.py": """
        import sys
        from datetime import datetime

        from temporalio import workflow


        def today() -> str:
            return datetime.now().date().isoformat()


        if sys.version_info >= (3, 11):
            @workflow.defn
            class ReportWorkflow:
                @workflow.run
                async def run(self) -> str:
                    return today()
        else:
            @workflow.defn(sandboxed=False)
            class ReportWorkflow:
                @workflow.run
                async def run(self) -> str:
                    return today()
    """,
}


def test_a_workflow_defined_twice_in_one_module_is_reported_once_from_its_first_definition(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [finding] = lint(tmp_path, monkeypatch, TWICE, "TPR210")
    assert finding.location.line == 8
    assert finding.message == f"`datetime.now()` in workflow code (ReportWorkflow.run → today → datetime.now) " \
                              f"{CLOCK}{REJECTED}"
    [related] = finding.related
    assert related.location.line == 15


def test_workflows_defined_in_tests_do_not_stop_the_production_workflows_from_being_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/tests/test_workflows.py": """
            import random

            from temporalio import workflow


            @workflow.defn
            class FlakyTestWorkflow:
                @workflow.run
                async def run(self) -> int:
                    return random.randint(1, 6)
        """,
        "app/workflows.py": """
            import uuid

            from temporalio import workflow


            @workflow.defn
            class SignupWorkflow:
                @workflow.run
                async def run(self) -> str:
                    return str(uuid.uuid4())
        """,
    }, "TPR210")
    assert [(f.location.path, f.location.line) for f in found] == [("app/workflows.py", 10)]


# -- configuration over the same parsed project ---------------------------------------------------------

VENDOR = {
    "app/payments.py": """
        import stripe


        def charge(amount: int) -> str:
            return stripe.Charge.create(amount=amount).id
    """,
    "app/workflows.py": """
        from temporalio import workflow

        from app.payments import charge


        @workflow.defn
        class CheckoutWorkflow:
            @workflow.run
            async def run(self, amount: int) -> str:
                return charge(amount)
    """,
}


def test_a_changed_configuration_is_applied_to_a_project_already_analysed(tmp_path: Path) -> None:
    python = PythonProject(
        extract_python(ast.parse(textwrap.dedent(text).lstrip("\n")), path) for path, text in VENDOR.items()
    )
    plain = Config(root=tmp_path)
    declared = plain.with_overrides(non_deterministic=("stripe.Charge.create",))
    assert list(RULES["TPR210"](Project(python=python, config=plain))) == []
    [hit] = RULES["TPR210"](Project(python=python, config=declared))
    assert (hit.location.path, hit.location.line) == ("app/payments.py", 5)
    assert hit.message.startswith(
        "`stripe.Charge.create()` in workflow code (CheckoutWorkflow.run → charge → stripe.Charge.create) is declared "
        "non-deterministic in the tprlint configuration (`non-deterministic`)."
    )
    assert [(r.location.path, r.location.line) for r in hit.related] == [("app/workflows.py", 9)]
    assert list(RULES["TPR210"](Project(python=python, config=plain))) == []


FALLBACKS = """\
import random
import uuid
from datetime import datetime

from temporalio import workflow


@workflow.defn
class W:
    @workflow.run
    async def run(self) -> str:
        try:
            now = workflow.now()
        except Exception:  # never runs inside a workflow: not judged
            now = datetime.now()
        try:
            parent = workflow.info().parent.workflow_id  # AttributeError without a parent
        except AttributeError:
            parent = str(uuid.uuid4())
        try:
            token = workflow.uuid4()  # raises in a query or an update validator, inside a workflow
        except Exception:
            token = random.random()
        try:
            zone = workflow.now(self.zone)  # a TypeError inside a workflow too
        except Exception:
            zone = datetime.now()
        return f"{now}{parent}{token}{zone}{jitter()}{stamp()}"


def jitter() -> float:
    if not workflow.in_workflow():
        return random.random()  # never inside a workflow: not judged
    return 0.5


def stamp() -> datetime:
    if workflow.in_workflow():
        return workflow.now()
    return datetime.now()  # after the workflow's own return: not judged
"""


def test_tpr210_only_a_fallback_that_cannot_run_inside_a_workflow_is_left_out(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/workflows.py": FALLBACKS}, "TPR210")
    lines = FALLBACKS.splitlines()
    assert [f.location.line for f in found] == [
        next(i for i, line in enumerate(lines, 1) if "uuid.uuid4()" in line),
        next(i for i, line in enumerate(lines, 1) if "token = random.random()" in line),
        next(i for i, line in enumerate(lines, 1) if "zone = datetime.now()" in line),
    ]
