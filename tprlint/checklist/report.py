"""From a run's result and the configuration to the checklist report, and the checklist gates."""

from __future__ import annotations

from dataclasses import replace

from tprlint.checklist.attest import check_attestations
from tprlint.checklist.catalog import Checklist, load_checklists
from tprlint.checklist.status import ChecklistReport, Status, build_report
from tprlint.config import Config
from tprlint.live import is_live_rule
from tprlint.result_cache import RunResult


def checklist_of(result: RunResult, config: Config, new_only: bool = False, live_only: bool = False) -> ChecklistReport:
    """The checklist of a run. ``new_only``: what gates a pull request, where a finding the baseline
    accepts or that is off the change counts as an accepted one (like a suppressed finding). ``live_only``:
    the items a probe can answer (`tprlint probe`)."""
    findings = result.findings if not new_only else [
        f if f.is_new or f.is_suppressed else replace(f, suppressed_by="baseline or --diff-base")
        for f in result.findings]
    return build_report(findings, result.rules_run, result.applied, result.not_checked,
                        check_attestations(config.attest, config.root), outside=result.outside,
                        checklists=_live_items() if live_only else None)


def _live_items() -> tuple[Checklist, ...]:
    """The items a live rule answers, judged by their live rules alone (`tprlint probe`)."""
    checklists = []
    for checklist in load_checklists():
        items = []
        for item in checklist.items:
            rules = tuple(r for r in item.rules if is_live_rule(r))
            if rules:
                items.append(replace(item, rules=rules, requires=tuple(r for r in item.requires if is_live_rule(r))))
        if items:
            checklists.append(replace(checklist, items=tuple(items)))
    return tuple(checklists)


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
