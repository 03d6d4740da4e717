"""A Worker whose keyword arguments are built step by step (``kwargs = {...}; kwargs[k] = v;
if ...: kwargs[k] = v``), judged end to end: what is set on every path is used, what is set on one
path only counts as possibly set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli

SHAPE = Path(__file__).parent / "data" / "python_shapes" / "kwargs_step_by_step"


def _findings(tmp_path: Path) -> list[dict[str, object]]:
    project = tmp_path / "orders"
    shutil.copytree(SHAPE, project)
    result = run_cli(".", "-f", "json", "--no-cache", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_a_drain_set_by_subscript_is_compared_with_the_grace_period(tmp_path: Path) -> None:
    [finding] = [f for f in _findings(tmp_path) if f["rule"] == "TPR601"]
    assert "drains for up to 600 s" in str(finding["message"]) and "worker.py:26" in str(finding["message"])


def test_versioning_set_on_one_path_is_not_called_missing(tmp_path: Path) -> None:
    assert not [f for f in _findings(tmp_path) if f["rule"] == "TPR230"]
