"""Small inputs that took minutes or gigabytes: each now finishes in seconds because the algorithm
changed (no timeout is hit). Each runs the CLI in a subprocess, with a limit far below what it took
before and far above what it takes now, and memory measured with getrusage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

MEASURE = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "tprlint", ".", "-f", "json"], capture_output=True, timeout=40)
sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + "\\n" + done.stdout.decode())
"""


def _lint(root: Path) -> tuple[list[dict[str, object]], int]:
    """Findings and the peak memory (KiB) of a run; fails when the run takes more than 40 s."""
    result = subprocess.run([sys.executable, "-c", MEASURE], cwd=root, capture_output=True, text=True, timeout=120,
                            check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in result.stderr, result.stderr
    peak, document = result.stdout.split("\n", 1)
    return json.loads(document)["findings"], int(peak)


def test_a_call_chain_of_twenty_thousand_functions(tmp_path: Path) -> None:
    # 126 s before: the chain from the workflow was rebuilt for every function on it.
    functions = [f"def f{i}():\n    return f{i + 1}()\n" for i in range(19_999)]
    functions.append("def f19999():\n    return datetime.now()\n")
    (tmp_path / "wf.py").write_text(
        "from datetime import datetime\nfrom temporalio import workflow\n\n" + "\n".join(functions)
        + "\n@workflow.defn\nclass W:\n    @workflow.run\n    async def run(self):\n        return f0()\n",
        encoding="utf-8")
    findings, _ = _lint(tmp_path)
    (found,) = [f for f in findings if f["rule"] == "TPR210"]
    # The chain is shown by its ends, with the middle counted.
    assert "W.run → f0 → f1" in str(found["message"]) and "... 19961 more ... → f19980" in str(found["message"])


def test_a_values_file_with_twenty_five_thousand_keys(tmp_path: Path) -> None:
    # 84 s before: every key's merge scanned every known position.
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("".join(f"k{i}: {i}\n" for i in range(25_000)) + "image: x:latest\n",
                                       encoding="utf-8")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: worker\n          image: {{ .Values.image }}\n"
        "          env: [{name: TEMPORAL_TASK_QUEUE, value: q}]\n", encoding="utf-8")
    findings, _ = _lint(tmp_path)
    (tag,) = [f for f in findings if f["rule"] == "TPR409"]
    assert tag["path"] == "chart/values.yaml" and tag["line"] == 25_001  # located at the key, as before


def test_a_megabyte_of_names_that_look_like_credentials_in_an_imported_module(tmp_path: Path) -> None:
    # Hours, then minutes before: every `token` looked ahead to the end of its line for a string literal
    # (17.6 s for 8,000 of them on one line), then a bounded but ambiguous look-ahead took 47 s a
    # megabyte of `pwd:`. Whether a module the worker imports may hold a credential is now one search
    # for names and a short anchored look after each.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "noise.py").write_text(
        "X = 1  # " + "token = (" * 110_000 + "\nY = 2  # " + ("pwd:" * 25 + " " * 20 + "=") * 8_000 + "\n"
        + "Z = 3  # " + "://a:" * 200_000 + "\n", encoding="utf-8")
    (tmp_path / "app" / "worker.py").write_text(
        "from temporalio.worker import Worker\n\nfrom app import noise\n\n"
        "async def main(c):\n    w = Worker(c, task_queue='q', workflows=[])\n", encoding="utf-8")
    findings, _ = _lint(tmp_path)
    assert sorted(f["rule"] for f in findings) == ["TPR101", "TPR306"]  # the Worker's own: no TPR000


def test_twenty_thousand_console_scripts(tmp_path: Path) -> None:
    # 60 s before: each script's line was looked up by scanning the file from the top.
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n[project.scripts]\n" + "".join(f"s{i} = 'app.m{i}:main'\n" for i in range(20_000)),
        encoding="utf-8")
    findings, _ = _lint(tmp_path)
    assert findings == []


def test_twenty_thousand_workers_in_one_module(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_text(
        "from temporalio.worker import Worker\n\nasync def main(c):\n"
        + "".join(f"    w{i} = Worker(c, task_queue='q{i}', workflows=[])\n" for i in range(20_000)), encoding="utf-8")
    findings, _ = _lint(tmp_path)
    assert len([f for f in findings if f["rule"] == "TPR101"]) == 20_000


def test_a_python_file_just_under_the_size_limit_with_200_000_functions(tmp_path: Path) -> None:
    # 2.2 GB and 16 s before: its syntax tree alone took 1.7 GB.
    (tmp_path / "worker.py").write_text(
        "from temporalio import workflow\n" + "".join(f"def f{i}(a, b):\n    return a + b * {i}\n"
                                                      for i in range(190_000)), encoding="utf-8")
    findings, peak_kib = _lint(tmp_path)
    (skipped,) = findings
    assert skipped["rule"] == "TPR001" and "too large to analyse" in str(skipped["message"])
    assert peak_kib < 400 * 1024
