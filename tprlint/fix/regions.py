"""Fixes as line/column regions, for reports that carry them (SARIF ``fixes``).

Only the fixes computed from lines alone: a report must not load a Python parser. That is the YAML ones,
and TPR210's rewrite of a call in a workflow's own code when the call's text is exactly one of the
known forms and the module already imports ``workflow`` from temporalio (workflow code does, for its
``@workflow.defn``); ``--fix`` also adds missing imports and drops unused ones, which needs libcst.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tprlint.fix.edits import line_offsets
from tprlint.fix.fixable import RANDOM_METHODS, in_workflow_itself
from tprlint.fix.yaml_fixes import fix_grace_period, fix_stop_grace_period
from tprlint.model import Finding
from tprlint.records import frozen

# The call's text at the finding's span, and what it becomes.
_CALL_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?:datetime\.){0,2}(?:now|utcnow)\(\)"), lambda m: "workflow.now()"),
    (re.compile(r"time\.time\(\)"), lambda m: "workflow.time()"),
    (re.compile(r"(?:uuid\.)?uuid4\(\)"), lambda m: "workflow.uuid4()"),
    (re.compile(r"random\.(" + "|".join(RANDOM_METHODS) + r")\((.*)\)"),
     lambda m: f"workflow.random().{m.group(1)}({m.group(2)})"),
)
_WORKFLOW_IMPORTED = re.compile(r"^from temporalio import (?:[\w ,()]*\b)?workflow\b(?! as)", re.MULTILINE)

_LINE_FIXERS = {"TPR601": fix_grace_period, "TPR602": fix_stop_grace_period}


@frozen
class Replacement:
    """Replace from (start_line, start_column) to (end_line, end_column), 1-based, end exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


def line_fix(finding: Finding, lines: list[str]) -> list[Replacement] | None:
    """The replacements of ``finding``'s fix, given its file's lines; None when it has none."""
    if finding.rule_id == "TPR210":
        return _call_fix(finding, lines)
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


def _call_fix(finding: Finding, lines: list[str]) -> list[Replacement] | None:
    loc = finding.location
    if (finding.is_suppressed or not in_workflow_itself(finding) or loc.end_column is None
            or loc.end_line not in (None, loc.line) or not 0 < loc.line <= len(lines)):
        return None
    if not _WORKFLOW_IMPORTED.search("\n".join(lines)):
        return None
    call = lines[loc.line - 1][loc.column - 1:loc.end_column - 1]
    for form, replacement in _CALL_FORMS:
        match = form.fullmatch(call)
        if match is not None:
            return [Replacement(loc.line, loc.column, loc.line, loc.end_column, replacement(match))]
    return None
