"""Inputs that crashed a run, each with the smallest file that showed it, and the safety net behind
them: an exception in one file's extraction, one rule or one output format becomes a TPR000 that names
where it happened; the rest of the run goes on, every report is written, and the exit code is 2 even
with --exit-zero."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tprlint.config import Config
from tprlint.engine import run

DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: worker}
    spec:
      replicas: REPLICAS
      template:
        spec:
          containers:
            - name: worker
              image: example/worker:latest
              command: [python, worker.py]
    """)
WORKER = textwrap.dedent("""\
    import asyncio
    import signal
    from datetime import timedelta
    from temporalio.worker import Worker

    async def main(client):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
        worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=DRAIN)
        await worker.run()

    if __name__ == "__main__":
        asyncio.run(main(None))
    """)


def _json(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert "Traceback" not in result.stderr, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("replicas", ["0x" + "f" * 4000, "1" + "0" * 5000])
def test_a_number_longer_than_any_api_takes_is_not_a_replica_count(tmp_path: Path, replicas: str) -> None:
    _tree(tmp_path, {"deploy.yaml": DEPLOYMENT.replace("REPLICAS", replicas), "worker.py": WORKER.replace(
        "DRAIN", "timedelta(seconds=10)")})
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    assert result.returncode in (0, 1)
    assert not any(f["rule"] == "TPR000" for f in _json(result))


@pytest.mark.parametrize("drain", [
    "timedelta(days=1" + "0" * 310 + ")", "timedelta(seconds=float('inf'))", "timedelta(seconds=float('nan'))",
    "timedelta(seconds=1e300)",
])
def test_a_drain_python_cannot_represent_is_unresolvable_not_a_crash(tmp_path: Path, drain: str) -> None:
    # Python itself raises OverflowError (or ValueError) building such a timedelta: the worker never
    # starts, so there is no drain to compare a grace period with.
    _tree(tmp_path, {"deploy.yaml": DEPLOYMENT.replace("REPLICAS", "2"), "worker.py": WORKER.replace("DRAIN", drain)})
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    findings = _json(result)
    assert result.returncode in (0, 1)
    assert not any(f["rule"] in ("TPR000", "TPR601") for f in findings)
    assert all(len(str(f["message"])) < 2000 for f in findings)  # no number printed with 300 digits


def test_a_duration_too_long_to_print_in_full_is_shown_by_its_magnitude() -> None:
    from tprlint.facts.python.values import describe_seconds

    assert describe_seconds(1e300) == "1e+300 s"
    assert describe_seconds(float("inf")) == "an unbounded time"
    assert describe_seconds(600) == "600 s (10 min)"


def test_deep_nesting_in_a_dockerfile_a_pyproject_and_a_class_hierarchy(tmp_path: Path) -> None:
    chain = "\n".join(f"class C{i}(C{i - 1}):\n    pass" for i in range(1, 1000))
    _tree(tmp_path, {
        "Dockerfile": "FROM python:3.12\nCMD " + "[" * 1000 + "\n",
        "sub/pyproject.toml": "x = " + "[" * 1000 + "]" * 1000 + "\n",
        "wf.py": "from temporalio import workflow\n\nclass C0:\n    pass\n" + chain
                 + "\n\n@workflow.defn\nclass Deep(C999):\n    @workflow.run\n    async def run(self) -> None:\n"
                   "        return None\n",
    })
    findings = _json(run_cli(".", "-f", "json", cwd=tmp_path))
    assert not any(f["rule"] == "TPR000" for f in findings)
    (toml,) = [f for f in findings if f["rule"] == "TPR001"]
    assert toml["path"] == "sub/pyproject.toml" and "nested too deeply" in str(toml["message"])


def test_a_deeply_nested_pyproject_in_a_parent_folder_is_not_our_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    project = _tree(tmp_path / "project", {"worker.py": "import temporalio\n"})
    result = run_cli(".", cwd=project)
    assert result.returncode == 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e300"])
def test_a_threshold_that_is_not_a_finite_number_in_range_is_a_configuration_error(tmp_path: Path, value: str) -> None:
    (tmp_path / ".tprlint.toml").write_text(f"[thresholds]\ngrace-margin-seconds = {value}\n", encoding="utf-8")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "grace-margin-seconds" in result.stderr


def test_a_config_file_nested_too_deeply_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / ".tprlint.toml").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2 and "nested too deeply" in result.stderr and "Traceback" not in result.stderr


# --- the safety net ---------------------------------------------------------------------------

DEMO = REPO / "fixtures" / "demo-shop"


def test_an_extractor_that_raises_costs_one_file_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.facts.extract as extract

    def broken(text: str, path: str) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(extract, "parse_dockerfile", broken)
    monkeypatch.chdir(DEMO)
    result = run([Path(".")], Config(root=DEMO), use_cache=False, jobs=1)
    (internal,) = [f for f in result.findings if f.rule_id == "TPR000"]
    assert internal.location.path == "Dockerfile"
    assert "extracting facts from Dockerfile: KeyError: 'boom'" in internal.message
    assert "github.com/tprlint/tprlint/issues" in internal.message
    assert {"TPR601", "TPR602", "TPR409"} <= {f.rule_id for f in result.findings}


def test_a_rule_that_raises_costs_one_rule_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint.rules import REGISTRY

    def broken(project: object) -> list[object]:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(REGISTRY, "TPR409", broken)
    monkeypatch.chdir(DEMO)
    result = run([Path(".")], Config(root=DEMO, ignore=("TPR0",)), use_cache=False, jobs=1)
    (internal,) = [f for f in result.findings if f.rule_id == "TPR000"]  # neither deselected nor suppressed
    assert "rule TPR409: ZeroDivisionError" in internal.message
    assert "TPR409" not in {f.rule_id for f in result.findings}
    assert "TPR601" in {f.rule_id for f in result.findings}


BREAK_A_RULE = """
import sys
from tprlint.rules import REGISTRY
from tprlint import cli

def broken(project):
    raise RuntimeError("a rule's own bug")

REGISTRY["TPR409"] = broken
sys.exit(cli.main(sys.argv[1:]))
"""


def test_the_cli_exits_2_and_writes_every_report_when_a_rule_crashes(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    command = [sys.executable, "-c", BREAK_A_RULE, ".", "--exit-zero", "-f", "concise",
               "-f", f"json:{reports}/out.json", "-f", f"sarif:{reports}/out.sarif"]
    result = subprocess.run(command, cwd=DEMO, capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2, result.stderr
    assert "TPR000" in result.stdout and "TPR601" in result.stdout
    document = json.loads((reports / "out.json").read_text(encoding="utf-8"))
    assert "TPR000" in {f["rule"] for f in document["findings"]}
    sarif = json.loads((reports / "out.sarif").read_text(encoding="utf-8"))
    assert "TPR000" in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_a_run_out_of_time_reports_what_it_did_not_analyse_and_exits_2(tmp_path: Path) -> None:
    report = tmp_path / "out.json"
    result = run_cli(".", "--timeout", "0.001", "--exit-zero", "-f", "concise", "-f", f"json:{report}", cwd=DEMO)
    assert result.returncode == 2, result.stderr
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    (summary,) = [f for f in findings if "--timeout 0.001 s" in str(f["message"])]
    assert summary["rule"] == "TPR001" and summary["path"] == "."
    assert re.search(r"not analysed: \d+ files \(", str(summary["message"]))
    # Nothing of an incomplete run is replayed: the next run with time analyses everything.
    complete = run_cli(".", "-f", "json", cwd=DEMO)
    assert complete.returncode == 1
    assert not any("--timeout 0.001" in str(f["message"]) for f in json.loads(complete.stdout)["findings"])


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_a_timeout_must_be_a_positive_number_of_seconds(value: str) -> None:
    result = run_cli(".", "--timeout", value, cwd=DEMO)
    assert result.returncode == 2 and "timeout" in result.stderr


@pytest.mark.parametrize(("name", "text"), [
    (".tprlint.toml", "select = [\"TPR6\"\n"),
    ("pyproject.toml", "[project]\nname = 'x'\n[tool.tprlint]\nselect = [\"TPR6\"\n"),
])
def test_a_configuration_that_is_not_valid_toml_is_a_configuration_error(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and name in result.stderr


def test_a_broken_pyproject_that_does_not_configure_tprlint_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x\n", encoding="utf-8")
    result = run_cli(".", "-f", "concise", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("pyproject.toml:1:1: TPR001")
