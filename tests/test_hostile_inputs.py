"""Odd but valid inputs that used to crash a run (a traceback, exit 1, no report) or give a wrong
answer: each is the smallest input that showed it, run through the CLI as a user would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from tprlint.facts.python.values import describe_seconds

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
      - name: w
        image: x:1
        command: ["python", "worker.py"]
"""

WORKER = """\
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout={timeout})
    await worker.run()
"""


def _lint(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    result = run_cli(str(root), "--no-cache", "-f", "json", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["rule"] == "TPR000"]
    return result, findings


def test_a_huge_hex_replica_count_is_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT.format(replicas="0x" + "f" * 4000), encoding="utf-8")
    _lint(tmp_path, "--scope", "all")


@pytest.mark.parametrize("timeout", [
    "timedelta(days=1" + "0" * 310 + ")",  # int too large for a float
    "timedelta(seconds=float('inf'))",
    "timedelta(seconds=float('nan'))",
    "timedelta(seconds=1e300)",
    "timedelta(seconds=0x" + "f" * 2000 + ")",
])
def test_a_drain_python_cannot_build_is_unresolved_not_a_crash(timeout: str, tmp_path: Path) -> None:
    # Python raises OverflowError/ValueError for each of these timedeltas when the worker starts, so
    # there is no drain time to compare with the grace period: TPR601 stays silent, never guesses.
    (tmp_path / "worker.py").write_text(WORKER.format(timeout=timeout), encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT.format(replicas=2), encoding="utf-8")
    _, findings = _lint(tmp_path)
    assert [f["rule"] for f in findings if f["rule"] == "TPR601"] == []


def test_a_long_drain_is_still_compared(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(WORKER.format(timeout="timedelta(days=999999999)"), encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT.format(replicas=2), encoding="utf-8")
    _, findings = _lint(tmp_path)
    messages = [str(f["message"]) for f in findings if f["rule"] == "TPR601"]
    assert len(messages) == 1 and "8.64e+13 s" in messages[0]


def test_durations_are_shown_with_bounded_digits() -> None:
    assert describe_seconds(1e300) == "1e+300 s"
    assert describe_seconds(float("inf")) == "an unbounded time"
    assert describe_seconds(600) == "600 s (10 min)"


def test_a_dockerfile_cmd_of_a_thousand_brackets_is_shell_form(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nCMD " + "[" * 1000 + "\n", encoding="utf-8")
    _lint(tmp_path)


NESTED_TOML = "a = " + "[" * 1000 + "]" * 1000 + "\n"


def test_a_deeply_nested_pyproject_in_the_tree_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text(NESTED_TOML, encoding="utf-8")
    _, findings = _lint(tmp_path)
    assert [(f["rule"], f["path"]) for f in findings] == [("TPR001", "app/pyproject.toml")]


def test_a_thousand_level_class_chain_under_a_workflow(tmp_path: Path) -> None:
    chain = "".join(f"class C{i}(C{i - 1}):\n    pass\n" for i in range(1, 1000))
    (tmp_path / "wf.py").write_text(
        "from datetime import datetime\nfrom temporalio import workflow\n"
        "class C0:\n    def now(self):\n        return datetime.now()\n" + chain +
        "@workflow.defn\nclass W(C999):\n    @workflow.run\n    async def run(self):\n        return self.now()\n",
        encoding="utf-8",
    )
    _, findings = _lint(tmp_path, "--select", "TPR210")
    # The inherited method is found through all thousand bases.
    assert [(f["rule"], f["line"]) for f in findings] == [("TPR210", 5)]


def test_a_base_class_listed_many_times_at_every_level_is_searched_once(tmp_path: Path) -> None:
    # `self.helper(...)` is looked up through the workflow's project bases. Sixty copies of one base
    # at each of four levels made that 60**4 searches per call: minutes (run_cli's timeout fails it).
    def bases(name: str) -> str:
        return ", ".join([name] * 60)

    calls = "".join(f"        await self.missing{i}(1)\n" for i in range(8))
    (tmp_path / "wf.py").write_text(
        "from temporalio import workflow\n\n"
        "class D:\n    async def go(self, fn, **kw):\n        return await workflow.execute_activity(fn, **kw)\n"
        f"class C({bases('D')}): pass\nclass B({bases('C')}): pass\nclass A({bases('B')}): pass\n\n"
        f"@workflow.defn\nclass W({bases('A')}):\n    @workflow.run\n    async def run(self):\n{calls}",
        encoding="utf-8",
    )
    _lint(tmp_path, "--select", "TPR201")


def test_a_prestop_sleep_beyond_float_range_is_an_unbounded_wait(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(WORKER.format(timeout="timedelta(seconds=60)"), encoding="utf-8")
    sleep = "1" + "0" * 309  # float() of it is inf
    hook = f'        lifecycle: {{preStop: {{exec: {{command: ["sleep", "{sleep}"]}}}}}}\n'
    manifest = DEPLOYMENT.format(replicas=2) + hook
    (tmp_path / "deploy.yaml").write_text(manifest, encoding="utf-8")
    _, findings = _lint(tmp_path)
    messages = [str(f["message"]) for f in findings if f["rule"] == "TPR601"]
    assert len(messages) == 1 and "preStop sleep an unbounded time" in messages[0]
    assert "No grace period covers an unbounded wait" in messages[0]


def test_a_pod_budget_of_thousands_of_digits_is_not_a_crash(tmp_path: Path) -> None:
    budget = ("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: b}\n"
              f"spec: {{minAvailable: {'9' * 5000}, selector: {{matchLabels: {{app: w}}}}}}\n")
    manifest = DEPLOYMENT.format(replicas=2).replace("  template:\n", "  template:\n    metadata: {labels: {app: w}}\n")
    (tmp_path / "deploy.yaml").write_text(manifest + budget, encoding="utf-8")
    _lint(tmp_path, "--scope", "all")
