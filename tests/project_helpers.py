"""Small projects written to a temporary folder and linted with one rule selected: the helpers of the
rule tests (activities, timeouts, workers, clients)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import write_tree
from tprlint.config import Config
from tprlint.engine import run
from tprlint.model import Finding


def write(tmp_path: Path, files: dict[str, str]) -> None:
    write_tree(tmp_path, {name: textwrap.dedent(text).encode("utf-8") for name, text in files.items()})


def findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str,
             config: Config | None = None) -> list[Finding]:
    """The findings of ``rule`` on ``files``, written under ``tmp_path`` (the project root and the cwd)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    base = config or Config(root=tmp_path)
    result = run([tmp_path], base.with_overrides(select=(rule,), root=tmp_path), use_cache=False, jobs=1)
    return [f for f in result.findings if f.rule_id == rule]


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str,
         config: Config | None = None) -> list[tuple[str, int]]:
    """(path, line) of each finding of ``rule``, sorted."""
    return sorted((f.location.path, f.location.line) for f in findings(tmp_path, monkeypatch, files, rule, config))


def messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[str]:
    return [f.message for f in findings(tmp_path, monkeypatch, files, rule)]


WF = "from datetime import timedelta\nfrom temporalio import workflow\n"


def at(files: dict[str, str], path: str, *markers: str) -> list[tuple[str, int]]:
    """(path, line) of the first line of ``files[path]`` (as written to disk) containing each marker."""
    lines = textwrap.dedent(files[path]).splitlines()
    return sorted((path, next(i for i, line in enumerate(lines, 1) if marker in line)) for marker in markers)


def workflow_calling(*lines: str) -> str:
    """A workflow module whose run method makes the given calls (one per line)."""
    body = "\n".join(f"        {line}" for line in lines)
    return WF + f"\n@workflow.defn\nclass W:\n    @workflow.run\n    async def run(self, x):\n{body}\n"


def run_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], *rules: str) -> list[Finding]:
    """Every finding, internal errors included, of one run with ``rules`` selected. Each file's text is
    dedented and its leading newline dropped: line 1 is the line after the opening quotes."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {name: textwrap.dedent(text).lstrip("\n").encode("utf-8") for name, text in files.items()})
    config = Config(root=tmp_path).with_overrides(select=rules, root=tmp_path)
    return run([tmp_path], config, use_cache=False, jobs=1).findings
