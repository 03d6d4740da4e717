"""The words of a Python file's import statements, found without parsing it.

The engine parses a module that never mentions Temporal only when it imports one that builds or
runs a Worker (the entry chain of a process). Answering "does this file import module X" for
every file of a monorepo must cost far less than parsing them, so it is a byte scan for the word
``import`` (at memchr speed), keeping the statements it starts.
"""

from __future__ import annotations

import re

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = b" \t"


def scan_import_words(data: bytes) -> frozenset[bytes]:
    """Identifiers in the file's ``import`` and ``from ... import`` statements."""
    words: set[bytes] = set()
    start = 0
    while True:
        at = data.find(b"import", start)
        if at == -1:
            break
        start = at + 6
        if data[start:start + 1] not in (b" ", b"\t", b"("):
            continue  # importlib, imports, ...
        line_start = data.rfind(b"\n", 0, at) + 1
        head = data[line_start:at].lstrip(_SPACE)
        if head and not (head.startswith((b"from ", b"from\t")) and data[at - 1:at] in (b" ", b"\t")):
            continue  # `import` inside other code or a string
        end = _statement_end(data, at)
        words.update(_WORD.findall(data, line_start, end))
        start = end
    return frozenset(words)


def _statement_end(data: bytes, at: int) -> int:
    """The end of the statement whose ``import`` keyword is at ``at``: the line, or the closing
    parenthesis of ``from x import (a,\\n b)``, or the lines continued with a backslash."""
    end = data.find(b"\n", at)
    end = len(data) if end == -1 else end
    line = data[at:end]
    if b"(" in line and b")" not in line:
        close = data.find(b")", end)
        return len(data) if close == -1 else close
    while end < len(data) and (data[end - 1:end] == b"\\" or data[end - 2:end] == b"\\\r"):
        following = data.find(b"\n", end + 1)
        end = len(data) if following == -1 else following
    return end
