"""Files a hostile checkout can hold: FIFOs, devices and symlinks named like the files tprlint reads,
links out of the tree, unreadable files, byte-order marks, and `.gitignore` patterns that make a
backtracking matcher run for minutes. Each is handled in bounded time and reported, never hidden."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tprlint.discover.wildmatch import parse, segment_matches

WORKER = b"""from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=timedelta(minutes=10))
    await worker.run()
"""
DEPLOYMENT = b"""apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: example/worker:latest
          env: [{name: TEMPORAL_TASK_QUEUE, value: q}]
"""


def _findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert "Traceback" not in result.stderr, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_fifos_named_like_our_files_are_reported_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "worker.yaml").write_bytes(DEPLOYMENT)
    os.mkfifo(tmp_path / "worker.py")
    os.mkfifo(tmp_path / "deploy" / "pipe.yaml")
    os.mkfifo(tmp_path / "Dockerfile")
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    findings = _findings(result)
    not_read = sorted(str(f["path"]) for f in findings if "named pipe" in str(f["message"]))
    assert not_read == ["Dockerfile", "deploy/pipe.yaml", "worker.py"]
    assert any(f["rule"] == "TPR409" for f in findings)  # the real manifest is still analysed


def test_a_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "worker.py").symlink_to("/dev/zero")
    (tmp_path / "inner").mkdir()
    os.mkfifo(tmp_path / "inner" / "fifo")
    (tmp_path / "inner" / "deploy.yaml").symlink_to(tmp_path / "inner" / "fifo")  # inside the tree
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    messages = {str(f["path"]): str(f["message"]) for f in _findings(result)}
    assert "outside the scanned tree" in messages["worker.py"]
    assert "named pipe" in messages["inner/deploy.yaml"]


def test_links_out_of_the_tree_are_reported_once_and_never_shown(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_bytes(WORKER + b"LEAKED_MARKER = 'x'\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "worker.py").symlink_to(outside / "leak.py")
    (repo / "inside.py").symlink_to(repo / "real.py")
    (repo / "real.py").write_bytes(WORKER)
    for fmt in ("console", "json", "sarif", "github", "concise"):
        result = run_cli(".", "-f", fmt, cwd=repo)
        assert "LEAKED_MARKER" not in result.stdout
    findings = _findings(run_cli(".", "-f", "json", cwd=repo))
    outside_links = [f for f in findings if "outside the scanned tree" in str(f["message"])]
    assert [f["path"] for f in outside_links] == ["worker.py"]
    assert outside_links[0]["rule"] == "TPR001"


def test_a_byte_order_mark_does_not_hide_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "plain.yaml").write_bytes(DEPLOYMENT)
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + DEPLOYMENT.replace(b"name: worker", b"name: bom-worker"))
    findings = _findings(run_cli(".", "-f", "json", "--select", "TPR409", cwd=tmp_path))
    located = sorted((str(f["path"]), f["line"], f["column"]) for f in findings)
    assert located == [("bom.yaml", 9, 11), ("plain.yaml", 9, 11)]  # same place as without the mark


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv drops root's file access rights")
def test_unreadable_files_are_named_and_never_a_pass(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_bytes(WORKER)
    (tmp_path / "worker.py").chmod(0)
    command = [sys.executable, "-m", "tprlint", ".", "-f", "json"]
    if os.geteuid() == 0:  # root reads mode-000 files: drop the capabilities that allow it
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    findings = _findings(result)
    assert [(f["rule"], f["path"]) for f in findings] == [("TPR001", "worker.py")]
    assert "cannot be read: Permission denied" in str(findings[0]["message"])
    console = subprocess.run(command[:-2], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}, check=False)
    assert "All checks passed" not in console.stdout
    assert console.returncode == 0  # a warning: reported, and does not gate at the default --fail-on


def test_a_backtracking_gitignore_pattern_is_matched_in_bounded_time(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("a*a*a*a*a*a*a*a*a*a*a*a*b\n", encoding="utf-8")
    (tmp_path / ("a" * 60 + ".py")).write_bytes(b"import temporalio\nx = (\n")
    (tmp_path / ("a" * 13 + "b")).mkdir()
    (tmp_path / ("a" * 13 + "b") / "worker.py").write_bytes(b"import temporalio\nx = (\n")
    # It took more than two minutes; matched segment by segment it takes milliseconds.
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    assert [f["path"] for f in _findings(result)] == ["a" * 60 + ".py"]  # the folder `aaaaaaaaaab` is ignored


def test_gitignore_lines_that_are_no_valid_regex_do_not_stop_the_scan(tmp_path: Path) -> None:
    # `[c-a]` was handed to a regex compiler, which rejected the reversed range: the run ended in a
    # traceback, with no report. Git reads it (it matches `c`), and so does tprlint now.
    (tmp_path / ".gitignore").write_text("[c-a]x\n[[:bogus:]]\nlogs[\n", encoding="utf-8")
    (tmp_path / "cx").mkdir()
    (tmp_path / "cx" / "worker.py").write_bytes(b"import temporalio\nx = (\n")
    (tmp_path / "worker.py").write_bytes(b"import temporalio\nx = (\n")
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert [(f["rule"], f["path"]) for f in _findings(result)] == [("TPR001", "worker.py")]


def test_segment_matching_costs_at_most_pattern_times_name_steps() -> None:
    assert not segment_matches("a*" * 40 + "b", "a" * 5000)
    assert segment_matches("a*" * 40 + "b", "a" * 5000 + "b")


GITIGNORE_CASES = [
    "a*a*a*b", "*x*y*z*", "**/d*e*f*/", "docs/**/*a*b*.py", "/top*a*b*", "!k*e*e*p.py", "[a-c]*x*y?",
    "*.py", "build/", "a/**", "**/z", "q*\\**r*",
]
PATHS = [
    "axayb", "aab", "ab", "xyz", "zxy", "xaybzc", "sub/d1e2f3/", "d1e2f3", "docs/a/b/xaqb.py", "docs/xab.py",
    "topab", "sub/topab", "keep.py", "kaeaeap.py", "axyz", "cxyq", "dxy", "m.py", "build/", "a/x", "a/",
    "u/v/z", "q*r", "qxr",
]


@pytest.mark.skipif(shutil.which("git") is None, reason="git answers what git ignores")
@pytest.mark.parametrize("pattern", GITIGNORE_CASES)
def test_wildmatch_answers_what_git_answers(tmp_path: Path, pattern: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(("*\n" if pattern.startswith("!") else "") + pattern + "\n", encoding="utf-8")
    wild = parse(pattern)
    assert wild is not None
    for path in PATHS:
        checked = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "-q", "--no-index", path],
                                 capture_output=True, check=False)
        git_ignores = checked.returncode == 0
        expected = git_ignores if wild.include else not git_ignores
        assert wild.matches(path) is expected, (pattern, path)


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": "replicaCount: 1\n",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-worker}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: worker
          image: example/shop:latest
          env: [{name: TEMPORAL_TASK_QUEUE, value: shop}]
""",
}


def _chart(root: Path) -> Path:
    for name, text in CHART.items():
        (root / "chart" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "chart" / name).write_text(text, encoding="utf-8")
    return root / "chart"


def test_chart_content_that_leaves_the_tree_or_blocks_is_not_rendered(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked-OUTSIDE-MARKER}\ndata: {k: OUTSIDE-MARKER}\n",
        encoding="utf-8")
    repo = tmp_path / "repo"
    chart = _chart(repo)
    (chart / "templates" / "leak.yaml").symlink_to(outside / "leak.yaml")
    os.mkfifo(chart / "templates" / "pipe.yaml")
    result = run_cli(".", "-f", "json", cwd=repo)
    assert "OUTSIDE-MARKER" not in result.stdout
    findings = _findings(result)
    unsafe = sorted((str(f["path"]), str(f["rule"])) for f in findings if "rendered without it" in str(f["message"]))
    assert unsafe == [("chart/templates/leak.yaml", "TPR002"), ("chart/templates/pipe.yaml", "TPR002")]
    # The rest of the chart was rendered and judged.
    assert any(f["rule"] == "TPR409" and str(f["path"]).startswith("chart/") for f in findings)


def test_a_bundle_of_many_small_documents_is_not_an_alias_bomb(tmp_path: Path) -> None:
    configmaps = [f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}}}\ndata: {{a: '1', b: '2'}}\n"
                  for i in range(20_000)]
    (tmp_path / "bundle.yaml").write_text("---\n".join([*configmaps, DEPLOYMENT.decode()]), encoding="utf-8")
    findings = _findings(run_cli(".", "-f", "json", cwd=tmp_path))
    assert not any(f["rule"] == "TPR001" for f in findings)
    assert any(f["rule"] == "TPR409" for f in findings)  # the Deployment after them is checked


def test_a_chart_values_file_that_blocks_is_one_finding(tmp_path: Path) -> None:
    # The file is the chart's: TPR002 says what the chart lost; a TPR001 beside it would say it twice.
    repo = tmp_path / "repo"
    chart = _chart(repo)
    (chart / "values.yaml").unlink(missing_ok=True)
    os.mkfifo(chart / "values.yaml")
    findings = _findings(run_cli(".", "-f", "json", cwd=repo))
    assert [(f["rule"], f["path"]) for f in findings if f["path"] == "chart/values.yaml"] == [
        ("TPR002", "chart/values.yaml")]
    alone = _findings(run_cli(".", "-f", "json", "--ignore", "TPR002", cwd=repo))
    assert [(f["rule"], f["path"]) for f in alone if f["path"] == "chart/values.yaml"] == [
        ("TPR001", "chart/values.yaml")]
