"""Reporters: one module per output format, each a ``render(findings, ctx) -> str`` function.

Reporters are imported lazily by name (``load_reporter``) so that, for example, ``rich`` is only
imported when console output is requested.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tprlint.model import Finding, RuleMeta, Severity, Undecided
from tprlint.records import mutable
from tprlint.secrets import mask_lines

if TYPE_CHECKING:
    from tprlint.checklist.status import ChecklistReport

FORMATS = ("console", "concise", "json", "sarif", "github", "checklist", "markdown", "html", "junit", "gitlab")
# Formats read line by line, by people and by CI runners (also a Markdown, HTML or JUnit report printed
# to a CI log): every text from the input is made printable first (tprlint.report.text). JSON, SARIF and
# GitLab keep the input's text as it is; their encoder escapes every control and non-ASCII character, so
# they cannot end a line or carry an escape either.
LINE_FORMATS = frozenset({"console", "concise", "github", "checklist", "markdown", "html", "junit"})
# Markup formats: a line of theirs that starts with "::" (a path or message from the input at the start
# of a line of a code frame or a failure body) has its first colon written as a character reference,
# which reads the same but is no GitHub workflow command when the report is printed to the log.
MARKUP_FORMATS = frozenset({"markdown", "html", "junit"})
# The same for the terminal formats, where the colon is written as the escape `\x3a` (tprlint.report.text).
TERMINAL_FORMATS = frozenset({"console", "concise", "checklist"})
# Formats that show the checklist report (ReportContext.checklist): built only when one is asked for.
CHECKLIST_FORMATS = frozenset({"checklist", "markdown", "html", "junit", "json", "sarif"})


@mutable
class ReportContext:
    """What a reporter may need besides the findings."""

    rules: Mapping[str, RuleMeta]
    version: str
    files_scanned: int
    color: bool
    fail_on: Severity = Severity.ERROR
    # Finding paths are relative to this directory (SARIF's %SRCROOT%).
    base_dir: Path = field(default_factory=Path.cwd)
    # The rules that ran, for SARIF's rules[] (defaults to every rule that produced a finding).
    rules_run: tuple[str, ...] = ()

    # The folders that were scanned: a reported file reached through a symlink must resolve inside one.
    roots: tuple[str, ...] = ()
    quiet: bool = False  # console: the findings only, no rule table or summary line (`-q`)
    # What the rules could not decide. Shown, so a skip is not a pass.
    not_checked: tuple[Undecided, ...] = ()
    # The checklist report (tprlint.checklist.status), for the formats that show it.
    checklist: ChecklistReport | None = None

    def source_lines(self, path: str) -> list[str]:
        """Lines of a reported file, read on demand; empty when it cannot be shown: unreadable, not a
        regular file (a FIFO would block), larger than the scan's size limit, or a link out of the tree."""
        if path.startswith(("temporal://", "cluster://")):
            return []  # a live finding's place (tprlint.live.paths): there is no file to show
        cached = self._lines.get(path)
        if cached is None:
            cached = self._lines[path] = self._read_lines(os.path.join(self.base_dir, path))
        return cached

    def _read_lines(self, path: str) -> list[str]:
        from tprlint.discover.read import inside, read_text  # not at import: `--version` loads this module

        roots = self.roots or (str(self.base_dir),)
        if os.path.realpath(path) != os.path.abspath(path) and not any(inside(path, root) for root in roots):
            return []
        try:
            lines = read_text(path).splitlines()
        except OSError:
            return []
        # Whatever rule a finding belongs to, a line it shows never shows a credential's value.
        return mask_lines(lines, 1, len(lines))

    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)


Renderer = Callable[[list[Finding], ReportContext], str]



def checklist_report(findings: list[Finding], ctx: ReportContext) -> ChecklistReport:
    """The run's checklist report; built from the findings alone when the caller made none (a library
    caller rendering findings it has: only the items with findings are then decided)."""
    if ctx.checklist is not None:
        return ctx.checklist
    from tprlint.checklist.status import build_report

    ran = ctx.rules_run or tuple(sorted({f.rule_id for f in findings}))
    return build_report(findings, ran, {}, ctx.not_checked, {})


def load_reporter(name: str) -> Renderer:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"tprlint.report.{name}_format")
    render: Renderer = module.render

    def render_redacted(findings: list[Finding], ctx: ReportContext) -> str:
        if name in LINE_FORMATS:
            from tprlint.report.text import printable_finding

            findings = [printable_finding(f) for f in findings]
        text = render(redact_near_credentials(findings), ctx)
        if name in MARKUP_FORMATS or name in TERMINAL_FORMATS:  # a wrapped line can start with input text too
            from tprlint.report.text import no_command_lines

            text = no_command_lines(text, "&#58;" if name in MARKUP_FORMATS else "\\x3a")
        return text

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
