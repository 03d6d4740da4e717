"""Inline suppression comments, read from a file's lines (any file type that has ``#`` comments).

``# tprlint: ignore[TPR101, TPR103]`` on the finding's line or the line above; bare
``# tprlint: ignore`` suppresses every rule there; ``# tprlint: ignore-file[TPR4]`` the whole file.
"""

from __future__ import annotations

import re
from dataclasses import field

from tprlint.records import frozen, mutable

_COMMENT = re.compile(r"#\s*tprlint:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?")
ALL = "*"


@frozen
class SuppressionComment:
    line: int
    column: int
    file_level: bool
    rules: tuple[str, ...]  # (ALL,) for a bare ignore


@mutable
class FileSuppressions:
    comments: list[SuppressionComment] = field(default_factory=list)

    def match(self, rule_id: str, line: int) -> SuppressionComment | None:
        for comment in self.comments:
            if not comment.file_level and comment.line not in (line, line - 1):
                continue
            if any(sel == ALL or rule_id.startswith(sel) for sel in comment.rules):
                return comment
        return None


def scan_comments(text: str) -> FileSuppressions:
    found = FileSuppressions()
    if "tprlint:" not in text:  # the common case costs one substring search
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _COMMENT.finditer(line):
            rules = tuple(r.strip() for r in (match.group(2) or "").split(",") if r.strip()) or (ALL,)
            found.comments.append(
                SuppressionComment(number, match.start() + 1, match.group(1) == "ignore-file", rules)
            )
    return found


def parse_annotation(value: object) -> tuple[str, ...]:
    """``tprlint.io/ignore: "TPR402,TPR403"`` (empty or "*" means every rule)."""
    rules = tuple(r.strip() for r in str(value).split(",") if r.strip())
    return rules or (ALL,)
