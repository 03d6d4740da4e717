"""The checklist report as plain data: the ``checklist`` section of ``-f json`` and the summary that
SARIF carries in ``runs[].properties``. Kept in one place so the two never disagree."""

from __future__ import annotations

from typing import Any

from tprlint.checklist.status import ChecklistReport, ItemResult, Status, item_findings
from tprlint.model import Finding


def checklist_summary(report: ChecklistReport) -> dict[str, Any]:
    """Counts per status (all items, and per checklist) and each checklist's compliance figure."""
    return {
        "items": len(report.items),
        "by_status": {status.value: report.counts.get(status, 0) for status in Status},
        "not_analysed": report.not_analysed,
        "checklists": [
            {"id": c.checklist.id, "title": c.checklist.title, "items": len(c.items),
             "by_status": {status.value: c.counts.get(status, 0) for status in Status},
             "compliance": None if c.compliance is None else round(c.compliance, 4)}
            for c in report.checklists
        ],
    }


def checklist_document(report: ChecklistReport, findings: list[Finding], fingerprint_of: dict[int, str]
                       ) -> dict[str, Any]:
    """Every item with its status and evidence; findings are named by their fingerprints."""
    return {
        "summary": checklist_summary(report),
        "checklists": [
            {"id": c.checklist.id, "title": c.checklist.title, "source": c.checklist.source,
             "items": [_item(result, findings, fingerprint_of) for result in c.items]}
            for c in report.checklists
        ],
    }


def _item(result: ItemResult, findings: list[Finding], fingerprint_of: dict[int, str]) -> dict[str, Any]:
    attestation = result.attestation
    return {
        "id": result.item.id,
        "text": result.item.text,
        "evidence": list(result.item.evidence),
        "status": result.status.value,
        "reason": result.reason or None,
        "rules": list(result.item.rules),
        "applied": result.applied,
        # With a probe: the status from the item's static rules and from its live rules, each on its own.
        "sources": {source: status.value for source, status in result.sources},
        "findings": [fingerprint_of[id(f)] for f in item_findings(result.item, findings) if id(f) in fingerprint_of],
        "suppressed": result.suppressed,
        "undecided": [{"rule": u.rule_id, "what": u.what, "why": u.why,
                       "location": {"path": u.location.path, "line": u.location.line} if u.location else None}
                      for u in result.undecided],
        "attestation": None if attestation is None else {"paths": list(attestation.paths), "ok": attestation.ok,
                                                         "evidence": attestation.reason},
    }
