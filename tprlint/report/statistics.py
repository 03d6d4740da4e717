"""``--statistics``: how many findings each rule has, most first (as ruff prints them)."""

from __future__ import annotations

from collections import Counter

from tprlint.model import Finding
from tprlint.report import ReportContext


def render_statistics(findings: list[Finding], ctx: ReportContext) -> str:
    counts = Counter(f.rule_id for f in findings if not f.is_suppressed)
    if not counts:
        return "All checks passed!\n"
    width = len(str(max(counts.values())))
    lines = []
    for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        meta = ctx.rules.get(rule_id)
        label = f"[{meta.severity.label}] {meta.name}" if meta else ""
        lines.append(f"{count:>{width}}\t{rule_id}\t{label}".rstrip())
    return "\n".join(lines) + "\n"
