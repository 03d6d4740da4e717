"""The pull-request gates, applied to a run's findings after the run (and after a replayed one): a
baseline of accepted findings (``--baseline``, ``--write-baseline``) and the lines a change touched
(``--diff-base``). A finding gates only when it is new on both counts (``Finding.is_new``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tprlint.model import Finding
from tprlint.report import ReportContext
from tprlint.report.fingerprint import fingerprints
from tprlint.suppress.baseline import mark, read_baseline, write_baseline
from tprlint.suppress.diff import changed_lines, touches


def apply_gates(findings: list[Finding], ctx: ReportContext, baseline: Path | None, diff_base: str | None,
                cwd: Path) -> list[Finding]:
    """``findings`` with ``baseline_state`` and ``in_diff`` set as the options ask."""
    if baseline is not None:
        findings = mark(findings, fingerprints(findings, ctx), read_baseline(baseline))
    if diff_base is not None:
        changed = changed_lines(diff_base, cwd)
        findings = [replace(f, in_diff=touches(f, changed)) for f in findings]
    return findings


def record_baseline(findings: list[Finding], ctx: ReportContext, path: Path) -> int:
    return write_baseline(path, findings, fingerprints(findings, ctx))
