"""Reporters: one module per output format, each a ``render(findings, ctx) -> str`` function.

Reporters are imported lazily by name (``load_reporter``) so that, for example, ``rich`` is only
imported when console output is requested.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tprlint.model import Finding, RuleMeta, Severity

FORMATS = ("console", "concise", "json", "sarif", "github")


@dataclass
class ReportContext:
    """What a reporter may need besides the findings."""

    rules: dict[str, RuleMeta]
    version: str
    fail_on: Severity = Severity.ERROR
    files_scanned: int = 0
    color: bool = False
    # Finding paths are relative to this directory (SARIF's %SRCROOT%).
    base_dir: Path = field(default_factory=Path.cwd)
    # The rules that ran, for SARIF's rules[] (defaults to every rule that produced a finding).
    rules_run: tuple[str, ...] = ()

    def source_lines(self, path: str) -> list[str]:
        """Lines of a reported file, read on demand; empty when unreadable."""
        cached = self._lines.get(path)
        if cached is None:
            try:
                text = (self.base_dir / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            cached = self._lines[path] = text.splitlines()
        return cached

    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)


Renderer = Callable[[list[Finding], ReportContext], str]


def load_reporter(name: str) -> Renderer:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"tprlint.report.{name}_format")
    render: Renderer = module.render
    return render
