"""Fixes as line/column regions, for reports that carry them (SARIF ``fixes``).

Only the fixes computed from lines alone (the YAML ones): a report must not load a Python parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from tprlint.fix.edits import line_offsets
from tprlint.fix.yaml_fixes import fix_grace_period, fix_stop_grace_period
from tprlint.model import Finding

_LINE_FIXERS = {"TPR601": fix_grace_period, "TPR602": fix_stop_grace_period}


@dataclass(frozen=True)
class Replacement:
    """Replace from (start_line, start_column) to (end_line, end_column), 1-based, end exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


def line_fix(finding: Finding, lines: list[str]) -> list[Replacement] | None:
    """The replacements of ``finding``'s fix, given its file's lines; None when it has none."""
    fixer = _LINE_FIXERS.get(finding.rule_id)
    if fixer is None or finding.is_suppressed or finding.redact_source or not lines:
        return None
    text = "".join(f"{line}\n" for line in lines)
    fix = fixer(finding, text)
    if fix is None:
        return None
    offsets = line_offsets(text)
    return [Replacement(*_position(offsets, edit.start), *_position(offsets, edit.end), edit.replacement)
            for edit in fix.edits]


def _position(offsets: list[int], offset: int) -> tuple[int, int]:
    line = max(i for i, start in enumerate(offsets) if start <= offset)
    return line + 1, offset - offsets[line] + 1
