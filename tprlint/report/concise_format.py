"""``concise``: one line per unsuppressed finding, ``path:line:col: RULE [severity] message`` (findings a
``--baseline`` accepts are left out).

The shape matches what editors and ``grep`` expect from compilers, so the output can be fed to
``quickfix`` lists and problem matchers unchanged.
"""

from __future__ import annotations

from tprlint.model import Finding
from tprlint.report import ReportContext


def render(findings: list[Finding], ctx: ReportContext) -> str:
    lines = [_line(finding) for finding in findings if not finding.is_suppressed
             and finding.baseline_state != "unchanged"]
    if not lines:
        return "All checks passed!\n"  # as ruff says it: silence could also mean tprlint did not run
    return "".join(line + "\n" for line in lines)


def _line(finding: Finding) -> str:
    loc = finding.location
    return (
        f"{loc.path}:{loc.line}:{loc.column}: "
        f"{finding.rule_id} [{finding.severity.label}] {_one_line(finding.message)}"
    )


def _one_line(text: str) -> str:
    # A multi-line message would break the one-finding-per-line contract line-based tools rely on.
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
