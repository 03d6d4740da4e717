"""``gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``), shown in merge requests.

GitLab reads a subset of the CodeClimate issue format: a JSON array of objects, each with
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path`` /
``location.lines.begin``. The CodeClimate fields ``type``, ``categories`` and ``engine_name`` are written
too, for tools that read the full format.

* Only unsuppressed findings: the merge-request widget lists what needs attention, and a suppressed
  finding is an accepted one.
* ``fingerprint`` is the one the JSON and SARIF reports carry (``tprlint.report.fingerprint``): it
  survives line shifts, so GitLab sees a moved finding as the same one, not as fixed plus new.
* ``location.path`` is the finding's path ("/"-separated, relative to where tprlint ran): run tprlint
  from the repository's root for GitLab to place the findings in the diff.
"""

from __future__ import annotations

import re
from typing import Any

from tprlint.model import Finding, Severity
from tprlint.report import ReportContext
from tprlint.report.fingerprint import fingerprints
from tprlint.report.json_text import dumps_indented

# GitLab's scale is info < minor < major < critical < blocker. tprlint's error (what gates a build by
# default) is "major", as the GitLab reports of other linters (ESLint, mypy, Pylint) write their errors,
# so tprlint's findings sort among theirs in one widget; "critical" and "blocker" stay for the security
# scanners' exploitable vulnerabilities, which report into the same merge request.
SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.NOTE: "info"}

# CodeClimate's categories: the rules about credentials, TLS, authorisation and encryption (their
# checklist area is `sec.*` or `code.secrets`) are "Security"; every other rule guards against an outage
# or lost work in production, which is a "Bug Risk".
_SECURITY_AREAS = ("sec.", "code.secrets")

# A lone surrogate (from a file name that is not UTF-8) would be written as a `\udcxx` escape that many
# JSON parsers refuse; it becomes U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def render(findings: list[Finding], ctx: ReportContext) -> str:
    # Numbered over every finding, suppressed ones too, so each fingerprint is the one `-f json` shows.
    prints = fingerprints(findings, ctx)
    issues = [_issue(finding, ctx, fp) for finding, fp in zip(findings, prints, strict=True)
              if not finding.is_suppressed]
    return dumps_indented(issues) + "\n"


def _issue(finding: Finding, ctx: ReportContext, fingerprint: str) -> dict[str, Any]:
    meta = ctx.rules.get(finding.rule_id)
    area = meta.checklist if meta else ""
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": _text(f"{finding.rule_id}: {finding.message}"),
        "categories": ["Security" if area.startswith(_SECURITY_AREAS) else "Bug Risk"],
        "severity": SEVERITY[finding.severity],
        "fingerprint": fingerprint,
        "engine_name": "tprlint",
        # GitLab needs a line of 1 or more; a finding about a whole file is on its first line.
        "location": {"path": _text(finding.location.path.replace("\\", "/")),
                     "lines": {"begin": max(1, finding.location.line)}},
    }


def _text(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)
