"""Text edits and their application: plain data, no parser."""

from __future__ import annotations

from dataclasses import field
from itertools import pairwise

from tprlint.records import frozen


@frozen
class Edit:
    """Replace ``text[start:end]`` (character offsets) with ``replacement``."""

    start: int
    end: int
    replacement: str


@frozen
class Fix:
    """What one finding's fixer proposes for its file.

    ``imports`` are import lines the edit needs bound at module level ("from temporalio import workflow");
    ``unused`` are module-level names the edit may have made unused (``datetime``), dropped from their
    import only if nothing else in the module still reads them. Both are settled once per file, after
    every edit of the file is in (``tprlint.fix.python_fixes.settle_imports``).
    """

    edits: tuple[Edit, ...]
    imports: tuple[str, ...] = ()
    unused: tuple[str, ...] = field(default=())


def line_offsets(text: str) -> list[int]:
    """Offset of the start of each line (index 0 is line 1), plus the end of the text."""
    offsets = [0]
    for index, char in enumerate(text):
        if char == "\n":
            offsets.append(index + 1)
    if offsets[-1] != len(text):
        offsets.append(len(text))
    return offsets


def merge(fixes: list[Fix]) -> tuple[list[Edit], list[bool]]:
    """The edits to apply, sorted, and for each fix whether it was taken.

    A fix is refused whole when one of its edits overlaps an edit already taken (two fixes rewriting the
    same text cannot both be right); an edit identical to one taken (the same finding reported twice, for
    two containers of one workload) is the same change and counts as taken.
    """
    taken: list[Edit] = []
    accepted: list[bool] = []
    for fix in fixes:
        new = [e for e in fix.edits if e not in taken]
        if all(not _overlaps(e, other) for e in new for other in taken) and not _self_overlap(new):
            taken.extend(new)
            accepted.append(True)
        else:
            accepted.append(False)
    return sorted(taken, key=lambda e: (e.start, e.end)), accepted


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be a guess
    return a.start < b.end and b.start < a.end


def _self_overlap(edits: list[Edit]) -> bool:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    return any(_overlaps(a, b) for a, b in pairwise(ordered))


def apply(text: str, edits: list[Edit]) -> str:
    """``text`` with ``edits`` (sorted, not overlapping) applied, from the end backwards so that the
    offsets of the edits still to apply stay valid."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end:]
    return text
