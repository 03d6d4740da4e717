"""Line edits for YAML findings: TPR601 (terminationGracePeriodSeconds) and TPR602 (stop_grace_period).

The file is edited as text, line by line, never loaded and dumped again: comments, quoting, key order and
anchors stay as the author wrote them. An edit is made only when the line at the finding's location is
exactly what the fix expects; anything else (a value from a template, a flow mapping) gets no fix.
"""

from __future__ import annotations

import re

from tprlint.fix.edits import Edit, Fix, line_offsets
from tprlint.fix.fixable import GRACE_LINE, GRACE_WANTED, KEY_LINE, STOP_LINE, STOP_WANTED
from tprlint.model import Finding


def fix_grace_period(finding: Finding, text: str) -> Fix | None:
    """TPR601: raise the workload's terminationGracePeriodSeconds to what the message asks for."""
    wanted = GRACE_WANTED.search(finding.message)
    if wanted is None:
        return None
    seconds = wanted.group(1)
    return (_replace_value(text, finding.location.line, GRACE_LINE, seconds)
            or _insert_under(text, finding.location.line, "spec", "terminationGracePeriodSeconds", seconds))


def fix_stop_grace_period(finding: Finding, text: str) -> Fix | None:
    """TPR602: set the compose service's stop_grace_period to what the message asks for."""
    wanted = STOP_WANTED.search(finding.message)
    if wanted is None:
        return None
    value = f"{wanted.group(1)}s"
    return (_replace_value(text, finding.location.line, STOP_LINE, value)
            or _insert_under(text, finding.location.line, None, "stop_grace_period", value))


def _replace_value(text: str, line: int, pattern: re.Pattern[str], value: str) -> Fix | None:
    offsets = line_offsets(text)
    if not 1 <= line < len(offsets):
        return None
    start = offsets[line - 1]
    match = pattern.match(_content(text, line, offsets))
    if match is None:
        return None
    return Fix((Edit(start + match.start("value"), start + match.end("value"), value),))


def _insert_under(text: str, line: int, key: str | None, name: str, value: str) -> Fix | None:
    """Add ``name: value`` as the first entry of the block mapping whose key is on ``line`` (any key when
    ``key`` is None), at the indentation of its entries; None unless that is unambiguous."""
    if "{{" in text:
        return None  # a Helm template: its lines are not YAML until rendered
    offsets = line_offsets(text)
    if not 1 <= line < len(offsets):
        return None
    header = KEY_LINE.match(_content(text, line, offsets))
    if header is None or (key is not None and header.group("key") != key):
        return None
    indent = len(header.group("indent"))
    body: list[str] = []
    for number in range(line + 1, len(offsets)):
        content = _content(text, number, offsets)
        if not content.strip() or content.lstrip().startswith("#"):
            continue
        if len(content) - len(content.lstrip(" ")) <= indent or content.startswith("---"):
            break
        body.append(content)
    if not body or body[0].lstrip(" ").startswith(("-", "\t")):
        return None  # an empty mapping, or a sequence: no place for a key that is obviously right
    child = body[0][: len(body[0]) - len(body[0].lstrip(" "))]
    siblings = [c for c in body if c.startswith(child) and not c[len(child):].startswith((" ", "\t"))]
    if any(re.match(rf"{re.escape(name)}[ \t]*:", c[len(child):]) for c in siblings):
        return None  # already set (the finding is then about something this fix does not understand)
    newline = "\r\n" if text[offsets[line] - 2: offsets[line]] == "\r\n" else "\n"
    # A body follows, so the key's line ends with a newline: the new line goes right after it.
    return Fix((Edit(offsets[line], offsets[line], f"{child}{name}: {value}{newline}"),))


def _content(text: str, line: int, offsets: list[int]) -> str:
    """Line ``line`` without its line ending."""
    return text[offsets[line - 1]: offsets[line]].rstrip("\r\n")
