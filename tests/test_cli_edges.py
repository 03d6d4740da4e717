"""The command line at the edges its other tests leave open: a configuration file named with --config is read
in place of the one found by walking up from the first path."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

BROKEN = b"import temporalio\nx = (\n"  # a syntax error: one TPR001 warning


def _tree(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "worker.py").write_bytes(BROKEN)
    return root


def test_a_configuration_named_with_config_replaces_the_one_found_in_the_tree(tmp_path: Path) -> None:
    project = _tree(tmp_path / "project")
    (project / ".tprlint.toml").write_text('ignore = ["TPR001"]\n', encoding="utf-8")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "pyproject.toml").write_text('[tool.tprlint]\nfail-on = "warning"\n', encoding="utf-8")

    found = run_cli("project", "-f", "concise", cwd=tmp_path)
    assert found.returncode == 0 and found.stdout == "All checks passed!\n", found.stderr

    named = run_cli("project", "--config", "ci/pyproject.toml", "-f", "concise", cwd=tmp_path)
    assert named.returncode == 1, named.stderr
    assert [line.split(" ")[:2] for line in named.stdout.splitlines()] == [["project/worker.py:2:5:", "TPR001"]]
