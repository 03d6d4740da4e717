"""``json``: a stable, documented JSON document for scripts and dashboards.

The shape is versioned by the top-level ``version`` field; fields may be added within a version,
never renamed, removed or retyped. Keys are sorted and the output ends with a newline, so the same
input always produces byte-identical output. (This text is mirrored in ``docs/json-output.md``.)

.. code-block:: text

    {
      "version": 1,
      "tool": {"name": "tprlint", "version": "0.1.0"},
      "summary": {
        "files": 12,                 # files scanned
        "findings": 5,               # unsuppressed findings (those that may gate)
        "suppressed": 1,             # suppressed findings (listed below, flagged)
        "by_severity": {"error": 3, "warning": 2, "note": 0},   # unsuppressed only
        "fail_on": "error",          # the gate threshold of this run
        "not_checked": []            # what a rule could not decide: {rule, what, why, location}
      },
      "findings": [
        {
          "rule": "TPR101",                     # rule id
          "name": "worker-shutdown-timeout",    # rule name, null if the rule is unknown
          "severity": "error",                  # "error" | "warning" | "note"
          "checklist": "shutdown.timeout",      # the rule's area, null if the rule is unknown
          "items": ["shutdown.timeout"],        # the checklist items it is evidence against
          "message": "...",
          "path": "k8s/worker.yaml",            # relative to the scan root, "/"-separated
          "line": 12, "column": 7,              # 1-based
          "end_line": 12, "end_column": 40,     # null when unknown; end_column is exclusive
          "related": [                          # other artifacts the finding relies on
            {"path": "worker.py", "line": 30, "column": 5, "message": "..."}
          ],
          "suppressed": false,
          "suppressed_by": null,                # why it is suppressed, when it is
          "baseline": null,                     # with --baseline: "unchanged" (accepted) or "new"
          "in_diff": null,                      # with --diff-base: whether the change touched its lines
          "fingerprint": "3f1c..."              # stable across unrelated line shifts
        }
      ],
      "checklist": {                            # the production checklists, item by item
        "summary": {
          "items": 60, "not_analysed": 0,       # not_analysed: TPR000-TPR002 findings (evidence missing)
          "by_status": {"pass": 12, "fail": 5, "unknown": 9, "n/a": 4, "needs probe": 10,
                        "attested": 2, "needs attestation": 18},
          "checklists": [{"id": "shutdown", "title": "Worker shutdown", "items": 4,
                          "by_status": {...}, "compliance": 0.5}]   # pass+attested / items that apply
        },
        "checklists": [
          {"id": "shutdown", "title": "Worker shutdown", "source": "10.1.1", "items": [
            {"id": "shutdown.timeout", "text": "...", "evidence": ["static"],
             "status": "fail",                  # pass|fail|unknown|n/a|needs probe|attested|needs attestation
             "reason": null,                    # why, for every status but pass and fail
             "rules": ["TPR101", "TPR102", "TPR206"], "applied": 3,   # things its rules applied to
             "sources": {},                     # with a probe: {"static": "pass", "live": "fail"}
             "findings": ["3f1c..."],           # fingerprints of its unsuppressed findings
             "suppressed": 0,
             "undecided": [],                   # {rule, what, why, location}: what made it unknown
             "attestation": null}               # {paths, ok, evidence} when configured
          ]}
        ]
      }
    }

Findings appear in report order (path, line, column, rule), suppressed ones included.
"""

from __future__ import annotations

from typing import Any

from tprlint.checklist.catalog import items_of_rule
from tprlint.model import Finding, RelatedLocation, Severity, Undecided
from tprlint.report import ReportContext, checklist_report
from tprlint.report.checklist_data import checklist_document
from tprlint.report.fingerprint import fingerprints
from tprlint.report.json_text import dumps_indented

FORMAT_VERSION = 1


def render(findings: list[Finding], ctx: ReportContext) -> str:
    prints = fingerprints(findings, ctx)
    document = {
        "version": FORMAT_VERSION,
        "tool": {"name": "tprlint", "version": ctx.version},
        "summary": _summary(findings, ctx),
        "findings": [_finding(finding, ctx, fp) for finding, fp in zip(findings, prints, strict=True)],
        "checklist": checklist_document(checklist_report(findings, ctx), findings,
                                        {id(f): fp for f, fp in zip(findings, prints, strict=True)}),
    }
    return dumps_indented(document) + "\n"


def _summary(findings: list[Finding], ctx: ReportContext) -> dict[str, Any]:
    active = [finding for finding in findings if not finding.is_suppressed]
    by_severity = {sev.label: 0 for sev in Severity}
    for finding in active:
        by_severity[finding.severity.label] += 1
    return {
        "files": ctx.files_scanned,
        "findings": len(active),
        "suppressed": len(findings) - len(active),
        "by_severity": by_severity,
        "fail_on": ctx.fail_on.label,
        # What the headline rules could not decide, so a skip never looks like a pass.
        "not_checked": [_undecided(entry) for entry in ctx.not_checked],
    }


def _undecided(entry: Undecided) -> dict[str, Any]:
    where = entry.location
    return {"rule": entry.rule_id, "what": entry.what, "why": entry.why,
            "location": {"path": where.path, "line": where.line} if where else None}


def _finding(finding: Finding, ctx: ReportContext, fp: str) -> dict[str, Any]:
    meta = ctx.rules.get(finding.rule_id)
    loc = finding.location
    return {
        "rule": finding.rule_id,
        "name": meta.name if meta else None,
        "severity": finding.severity.label,
        "checklist": meta.checklist if meta else None,
        "items": [item.id for item in items_of_rule(finding.rule_id) if not item.anchors
                  or any(finding.anchor.endswith(suffix) for suffix in item.anchors)],
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "related": [_related(rel) for rel in finding.related],
        "suppressed": finding.is_suppressed,
        "suppressed_by": finding.suppressed_by,
        "baseline": finding.baseline_state,
        "in_diff": finding.in_diff,
        "fingerprint": fp,
    }


def _related(rel: RelatedLocation) -> dict[str, Any]:
    loc = rel.location
    return {"path": loc.path, "line": loc.line, "column": loc.column, "message": rel.message}
