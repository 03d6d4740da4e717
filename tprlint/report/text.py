"""Making text from the scanned tree safe to print.

Paths, object names, keys, values and Helm's messages all come from the repository under review, and
every report ends up in a terminal or a CI log. A newline in a Deployment's name would start a new
output line, which GitHub Actions reads as a workflow command (``::error file=...::``); an ESC byte
would drive the reader's terminal; a bidirectional override would make a line read differently from
what it says (as in "Trojan Source"); a lone surrogate (from a file name that is not UTF-8, or a
``"\\ud800"`` literal) cannot be encoded at all. So before any reporter sees a finding, each such
character is replaced by a visible escape, as Python's ``repr`` would write it: nothing is dropped,
and nothing from the input can end a line or change how the rest of it is shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from tprlint.model import Finding, Location, RelatedLocation

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Fast path: most text is printable ASCII or ordinary letters.
_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
                      r"\ud800-\udfff]")


# A line that starts with "::" after blanks (a CI runner trims them): a GitHub workflow command.
_COMMAND_LINE = re.compile(r"(?m)^([ \t]*):(?=:)")


def no_command_lines(text: str, colon: str) -> str:
    """``text`` with the first colon of each line that would read as a workflow command written as
    ``colon`` (``&#58;`` in markup, the escape ``\\x3a`` in a terminal): it reads the same, commands nothing."""
    return _COMMAND_LINE.sub(lambda m: m.group(1) + colon, text)


def printable(text: str) -> str:
    """``text`` with control, format (bidi), separator and surrogate characters escaped."""
    if not _SUSPECT.search(text):
        return text
    return "".join(_escape(char) for char in text)


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape: show the byte
        return f"\\x{code - 0xDC00:02x}"
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and char != "\u200d"):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def printable_path(path: str) -> str:
    """A path as reports show it: printable, and never starting with ``:`` (a line that starts with
    ``::`` is a workflow command to GitHub Actions)."""
    shown = printable(path)
    return f"./{shown}" if shown.startswith(":") else shown


def printable_finding(finding: Finding) -> Finding:
    """The finding with every text that came from the input made printable."""
    location = _printable_location(finding.location)
    related = tuple(RelatedLocation(_printable_location(rel.location), printable(rel.message))
                    for rel in finding.related)
    message = printable(finding.message)
    if (location is finding.location and message == finding.message and related == finding.related
            and _same(finding.suppressed_by)):
        return finding
    suppressed_by = printable(finding.suppressed_by) if finding.suppressed_by is not None else None
    return replace(finding, message=message, location=location, related=related, anchor=printable(finding.anchor),
                   suppressed_by=suppressed_by)


def _same(text: str | None) -> bool:
    return text is None or printable(text) == text


def _printable_location(location: Location) -> Location:
    path = printable_path(location.path)
    return location if path == location.path else replace(location, path=path)
