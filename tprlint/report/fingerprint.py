"""Stable finding fingerprints, shared by the JSON and SARIF reporters.

A fingerprint must survive edits elsewhere in the file (a line inserted above the finding shifts
its line number but is not a new problem), so line numbers never enter the hash. It is built from:

* the rule id and the file path;
* the finding's ``anchor`` (the identity of the offending object, e.g. a Kubernetes resource or a
  Python function) when the rule set one, otherwise the whitespace-normalised text of the source
  line, so re-indenting does not create a "new" finding either;
* an occurrence counter that tells apart findings whose first two parts are identical (the same
  rule firing on two identical lines of one file).

The counter depends on the other findings, so callers that report a whole run should use
:func:`fingerprints`, which numbers identical keys in report order; :func:`fingerprint` is the
single-finding form.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

from tprlint.model import Finding
from tprlint.report import ReportContext

# Bumping this invalidates every stored fingerprint (baselines, code-scanning alert history), so
# only do it when the key material changes meaning.
SCHEME = "tprlint/v1"

_DIGEST_CHARS = 32  # 128 bits: far beyond any collision risk within one repository
_KEY_PART = re.compile(r"^\s*([^=:]*[=:])")


def fingerprint(finding: Finding, ctx: ReportContext, occurrence: int = 0) -> str:
    """Hex digest identifying ``finding`` independently of its line number."""
    material = "\0".join(
        (SCHEME, finding.rule_id, _posix(finding.location.path), _identity(finding, ctx), str(occurrence))
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_CHARS]


def fingerprints(findings: Sequence[Finding], ctx: ReportContext) -> list[str]:
    """Fingerprints of ``findings`` (in the same order), numbering identical keys per file."""
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for finding in findings:
        key = (finding.rule_id, _posix(finding.location.path), _identity(finding, ctx))
        result.append(fingerprint(finding, ctx, seen[key]))
        seen[key] += 1
    return result


def _identity(finding: Finding, ctx: ReportContext) -> str:
    if finding.anchor:
        return "anchor:" + finding.anchor
    line = _source_line(finding, ctx)
    if finding.redact_source:
        # A hash of a line holding a low-entropy password can be brute-forced offline, so keep
        # only the key part (``password:``, ``API_KEY =``) and never the value.
        match = _KEY_PART.match(line)
        line = match.group(1) if match else ""
    return "line:" + " ".join(line.split())


def _source_line(finding: Finding, ctx: ReportContext) -> str:
    lines = ctx.source_lines(finding.location.path)
    index = finding.location.line - 1
    return lines[index] if 0 <= index < len(lines) else ""


def _posix(path: str) -> str:
    # The same checkout scanned on Windows and Linux must yield the same fingerprints.
    return path.replace("\\", "/")
