"""From a run's result and the configuration to the checklist report, and the checklist gates."""

from __future__ import annotations

from dataclasses import replace

from tprlint.checklist.attest import check_attestations
from tprlint.checklist.status import ChecklistReport, Status, build_report
from tprlint.config import Config
from tprlint.result_cache import RunResult


def checklist_of(result: RunResult, config: Config, new_only: bool = False) -> ChecklistReport:
    """The checklist of a run. ``new_only``: what gates a pull request, where a finding the baseline
    accepts or that is off the change counts as an accepted one (like a suppressed finding)."""
    findings = result.findings if not new_only else [
        f if f.is_new or f.is_suppressed else replace(f, suppressed_by="baseline or --diff-base")
        for f in result.findings]
    return build_report(findings, result.rules_run, result.applied, result.not_checked,
                        check_attestations(config.attest, config.root), outside=result.outside)


def explain_gate(report: ChecklistReport, config: Config) -> str:
    """The line that says why a checklist gate fails the run ("" when none does)."""
    fail_on = [Status.parse(s) for s in config.fail_on_item]
    require = [Status.parse(s) for s in config.require]
    failed = report.failing_gate(fail_on, require)
    if not failed:
        return ""
    shown = ", ".join(f"{r.item.id} ({r.status.value})" for r in failed[:8])
    more = f" and {len(failed) - 8} more" if len(failed) > 8 else ""
    gates = "; ".join(part for part in (
        f"fail-on-item {','.join(config.fail_on_item)}" if config.fail_on_item else "",
        f"require {','.join(config.require)}" if config.require else "") if part)
    noun = "item fails" if len(failed) == 1 else "items fail"
    return f"tprlint: {len(failed)} checklist {noun} the gate ({gates}): {shown}{more}."
