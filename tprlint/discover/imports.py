"""The words of a Python file's import statements, found without parsing it.

The engine parses a module that never mentions Temporal only when it imports one that builds or
runs a Worker (the entry chain of a process). Answering "does this file import module X" for
every file of a monorepo must cost far less than parsing them, so it is a byte scan for the word
``import`` (at memchr speed), keeping the statements it starts.
"""

from __future__ import annotations

import re

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def scan_import_words(data: bytes) -> frozenset[bytes]:
    """Identifiers in the file's ``import`` and ``from ... import`` statements."""
    statements: list[bytes] = []
    at = data.find(b"import")
    while at != -1:
        if data[at + 6:at + 7] in (b" ", b"\t", b"("):  # not importlib, imports, ...
            line_start = data.rfind(b"\n", 0, at) + 1
            code = line_start  # the line's first non-blank byte, found without slicing the line
            while data[code:code + 1] in (b" ", b"\t"):
                code += 1
            if code == at or (data.startswith((b"from ", b"from\t"), code) and data[at - 1:at] in (b" ", b"\t")):
                end = data.find(b"\n", at)
                end = len(data) if end == -1 else end
                line = data[at:end]
                if line[-1:] in (b"\\", b"\r") or (b"(" in line and b")" not in line):
                    end = _statement_end(data, at)  # the statement goes on: `(` or a backslash
                statements.append(data[line_start:end])
                at = data.find(b"import", end)
                continue
            # `import` inside other code, a comment or a string: no statement starts later on this line
            end = data.find(b"\n", at)
            if end == -1:
                break
            at = data.find(b"import", end)
            continue
        at = data.find(b"import", at + 6)
    # One regex pass over the joined statements: per-statement calls cost more than the scan.
    return frozenset(_WORD.findall(b"\n".join(statements)))


def _statement_end(data: bytes, at: int) -> int:
    """The end of the statement whose ``import`` keyword is at ``at``: the line, or the closing
    parenthesis of ``from x import (a,\\n b)``, or the lines continued with a backslash."""
    end = data.find(b"\n", at)
    end = len(data) if end == -1 else end
    line = data[at:end]
    if b")" not in line and b"(" in line:
        close = data.find(b")", end)
        return len(data) if close == -1 else close
    while end < len(data) and (data[end - 1:end] == b"\\" or data[end - 2:end] == b"\\\r"):
        following = data.find(b"\n", end + 1)
        end = len(data) if following == -1 else following
    return end
