"""Baselines: the findings a project has accepted for now, so that a gate fails only on new ones.

``--write-baseline FILE`` records the unsuppressed findings of a run by fingerprint (see
``tprlint.report.fingerprint``: stable when unrelated lines move, different for a second finding of the
same rule in the same file). ``--baseline FILE`` then marks each finding ``unchanged`` (in the baseline)
or ``new``; only new ones gate. The file is sorted JSON with one entry per line of the findings list, so
that a change to it reads well in a pull request.

A baseline comes with the repository, so it is foreign input like any other file: read with a size
limit, checked entry by entry, and an unreadable one is a usage error (exit 2), never an empty baseline
that would quietly gate on everything or nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from tprlint.internal import INTERNAL_ERROR
from tprlint.model import Finding

FORMAT = "tprlint-baseline/1"
MAX_BYTES = 32 * 1024 * 1024
UNCHANGED, NEW = "unchanged", "new"  # SARIF's baselineState words
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


class BaselineError(Exception):
    """The baseline file cannot be used: said in one line, exit code 2."""


def write_baseline(path: Path, findings: list[Finding], prints: list[str]) -> int:
    """Record the unsuppressed findings (an internal error is never accepted); returns how many."""
    entries = sorted(
        {(f.location.path, f.rule_id, fp) for f, fp in zip(findings, prints, strict=True)
         if not f.is_suppressed and f.rule_id != INTERNAL_ERROR})
    lines = [json.dumps({"path": p, "rule": r, "fingerprint": fp}, sort_keys=True) for p, r, fp in entries]
    body = ",\n    ".join(lines)
    text = f'{{\n  "format": "{FORMAT}",\n  "findings": [\n    {body}\n  ]\n}}\n' if lines else \
        f'{{\n  "format": "{FORMAT}",\n  "findings": []\n}}\n'
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise BaselineError(f"cannot write the baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def read_baseline(path: Path) -> frozenset[str]:
    """The fingerprints a baseline file accepts."""
    from tprlint.discover.read import read_regular  # a FIFO or a device is refused, not waited on

    try:
        data = read_regular(str(path), MAX_BYTES)
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"the baseline {path} is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BaselineError(f"the baseline {path} is not a tprlint baseline (\"format\": \"{FORMAT}\")")
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"the baseline {path} has no findings list")
    found = set()
    for index, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
            raise BaselineError(f"the baseline {path}: entry {index + 1} has no fingerprint (32 hex digits)")
        found.add(fingerprint)
    return frozenset(found)


def mark(findings: list[Finding], prints: list[str], accepted: frozenset[str]) -> list[Finding]:
    """Each finding ``unchanged`` (accepted by the baseline) or ``new``."""
    return [replace(f, baseline_state=UNCHANGED if fp in accepted else NEW)
            for f, fp in zip(findings, prints, strict=True)]
