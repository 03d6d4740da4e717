"""Containing tprlint's own failures (TPR000).

An exception in one file's extraction, one rule, or one stage must not cost the run its other
results, and must never let a gate pass: it becomes a TPR000 finding that names where it happened,
the run goes on and writes every report, and the exit code is 2.
"""

from __future__ import annotations

import traceback

INTERNAL_ERROR = "TPR000"
REPORT_AT = "https://github.com/tprlint/tprlint/issues"
_MAX_DETAIL = 300


def describe(where: str, exc: BaseException) -> str:
    """``where`` is e.g. "rule TPR601" or "extracting facts from deploy/w.yaml"."""
    detail = str(exc).strip().replace("\n", " ")
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + "..."
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {frame[0].filename.rsplit('/tprlint/', 1)[-1]}:{frame[0].lineno})" if frame else ""
    return (f"internal error in {where}: {type(exc).__name__}{': ' + detail if detail else ''}{at}. "
            f"That part was not analysed, so the run is incomplete (exit 2). This is a bug in tprlint, "
            f"not in your files: please report it at {REPORT_AT} with this message (and the file, if you "
            f"can share it)")
