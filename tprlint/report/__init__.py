"""Reporters: one module per output format, each a ``render(findings, ctx) -> str`` function.

Reporters are imported lazily by name (``load_reporter``) so that, for example, ``rich`` is only
imported when console output is requested.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tprlint.model import Finding, RuleMeta, Severity

FORMATS = ("console", "concise", "json", "sarif", "github")


@dataclass
class ReportContext:
    """What a reporter may need besides the findings."""

    rules: Mapping[str, RuleMeta]
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

    def render_redacted(findings: list[Finding], ctx: ReportContext) -> str:
        return render(redact_near_credentials(findings), ctx)

    return render_redacted


# Source lines any reporter may show around a finding: the console frame (two before, one after),
# the SARIF snippet and the fingerprint's line text are all inside this window.
_SHOWN_BEFORE = 2
_SHOWN_AFTER = 1


def redact_near_credentials(findings: list[Finding]) -> list[Finding]:
    """Findings whose shown source lines overlap a credential finding's lines (``redact_source``)
    hide their source too: a note about the `Client.connect(...)` call that carries a literal
    ``api_key=`` must not print that line. Suppressed credential findings count as well."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for finding in findings:
        if finding.redact_source:
            loc = finding.location
            spans.setdefault(loc.path, []).append((loc.line, max(loc.line, loc.end_line or loc.line)))
    if not spans:
        return findings
    result = []
    for finding in findings:
        loc = finding.location
        first, last = loc.line - _SHOWN_BEFORE, loc.line + _SHOWN_AFTER
        near = any(start <= last and first <= end for start, end in spans.get(loc.path, ()))
        result.append(replace(finding, redact_source=True) if near and not finding.redact_source else finding)
    return result
