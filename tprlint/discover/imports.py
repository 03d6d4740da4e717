"""The words of a Python file's import statements, found without parsing it.

The engine parses a module that never mentions Temporal only when it imports one that builds or
runs a Worker (the entry chain of a process). Answering "does this file import module X" for
every file of a monorepo must cost far less than parsing them, so it is a byte scan for the word
``import`` (at memchr speed), keeping the statements it starts.
"""

from __future__ import annotations

import re

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# Whether a module that does not mention Temporal may still matter to the process that imports it: it
# may run a Worker (`.run()` or `async with` on something named like one), install signal handlers
# (which takes importing `signal` or a framework that does), or serve HTTP: a health route (its path or
# a route registration is in the file) or a server it opens (tprlint.facts.python.process).
_RUN_BYTES = (b".run(", b"async with", b"async  with")
_WORKER_BYTES = (b"worker", b"Worker", b"WORKER")
_PROCESS_BYTES = (
    b"health", b"readyz", b"readiness", b"/ready", b'"ready', b"'ready", b"/live", b'"live', b"'live", b"alive",
    b"route", b"add_get", b"add_url_rule", b"start_server", b"create_server", b"serve_forever", b"listen", b"bind",
    b"run_forever", b"run_until_complete",  # the event loop handed over to a shutdown (TPR104)
)
_PROCESS_IMPORTS = frozenset({
    b"signal", b"anyio", b"uvicorn", b"aiorun", b"hypercorn", b"faststream", b"gunicorn", b"daphne",
})
_ROUTE_DECORATOR = re.compile(rb"@[ \t]*[\w.]+\.(?:get|head)[ \t]*\(")


def has_process_words(data: bytes, imported: frozenset[bytes]) -> bool:
    """``imported``: the words of the file's import statements (``import_words``)."""
    if not _PROCESS_IMPORTS.isdisjoint(imported) or any(word in data for word in _PROCESS_BYTES):
        return True
    if any(word in data for word in _RUN_BYTES) and any(word in data for word in _WORKER_BYTES):
        return True  # `await worker.run()`, `async with worker:`
    return b"@" in data and _ROUTE_DECORATOR.search(data) is not None


def scan_import_words(data: bytes) -> frozenset[bytes]:
    """Identifiers in the file's ``import`` and ``from ... import`` statements."""
    return import_words(scan_imports(data))


UNREADABLE_STATEMENT = b"\0"  # stands for a statement that is not plain: the module must be parsed


def import_words(statements: bytes) -> frozenset[bytes]:
    """The identifiers of ``scan_imports``'s statements, those that may sit in a string included: a
    superset is what the search for importers of Worker modules needs."""
    # One regex pass over the joined statements: per-statement calls cost more than the scan.
    return frozenset(_WORD.findall(statements))


def scan_imports(data: bytes) -> bytes:
    """The file's ``import`` and ``from ... import`` statements, each from its first word, one per
    line (a statement's continuation lines joined, comments cut): enough to know what the module imports
    without parsing it. (An import statement holds no string, so ``#`` always starts a comment.) A
    statement that may sit inside a triple-quoted string (an example in a docstring) is kept behind
    ``UNREADABLE_STATEMENT``: only parsing the module tells whether it is one."""
    statements: list[bytes] = []
    quotes = _QuoteParity(data)
    at = data.find(b"import")
    while at != -1:
        if data[at + 6:at + 7] in (b" ", b"\t", b"("):  # not importlib, imports, ...
            line_start = _logical_line_start(data, data.rfind(b"\n", 0, at) + 1)
            code = line_start  # the line's first non-blank byte, found without slicing the line
            while data[code:code + 1] in (b" ", b"\t"):
                code += 1
            if code == at or (data.startswith((b"from ", b"from\t"), code)
                              and data[at - 1:at] in (b" ", b"\t", b"\n")):
                end = data.find(b"\n", at)
                end = len(data) if end == -1 else end
                line = data[at:end]
                if line[-1:] in (b"\\", b"\r") or (b"(" in line and b")" not in line):
                    end = _statement_end(data, at)  # the statement goes on: `(` or a backslash
                statement = b" ".join(part.split(b"#", 1)[0].rstrip(b"\\\r \t")
                                      for part in data[code:end].split(b"\n"))
                statements.append(UNREADABLE_STATEMENT + statement if quotes.inside(code) else statement)
                at = data.find(b"import", end)
                continue
            # `import` inside other code, a comment or a string: no statement starts later on this line
            end = data.find(b"\n", at)
            if end == -1:
                break
            at = data.find(b"import", end)
            continue
        at = data.find(b"import", at + 6)
    return b"\n".join(statements)


_MAX_CONTINUED_LINES = 8  # `from a.b \` + `import c`: a statement is a line or two, not a page


def _logical_line_start(data: bytes, line_start: int) -> int:
    """The start of the line a backslash continues onto ``line_start`` (``from x \\`` then ``import y``).
    A backslash that ends a comment continues nothing; the walk back is bounded, so the scan stays
    linear on a file of thousands of continued lines."""
    for _ in range(_MAX_CONTINUED_LINES):
        if not (line_start >= 2 and (data[line_start - 2:line_start - 1] == b"\\"
                                     or data[line_start - 3:line_start - 1] == b"\\\r")):
            return line_start
        previous = data.rfind(b"\n", 0, line_start - 1) + 1
        if b"#" in data[previous:line_start]:
            return line_start  # `# a note \` is a comment: the next line starts on its own
        line_start = previous
    return line_start


class _QuoteParity:
    """Whether a position may be inside a triple-quoted string: an odd number of either triple quote
    before it. Counted incrementally (positions only grow), so the scan stays linear."""

    _QUOTES = (b'"' * 3, b"'" * 3)

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.any = any(quote in data for quote in self._QUOTES)
        self.at = 0
        self.counts = [0, 0]

    def inside(self, position: int) -> bool:
        if not self.any:
            return False
        for index, quote in enumerate(self._QUOTES):
            self.counts[index] += self.data.count(quote, self.at, position)
        self.at = max(self.at, position)
        return bool(self.counts[0] % 2 or self.counts[1] % 2)


_PLAIN = re.compile(rb"(?:import|from)[ \t][\w. \t,()*]*")


def plain_statements(statements: bytes) -> bytes:
    """``statements`` as kept in the facts cache: a line that is not made of names, dots, commas,
    parentheses and ``*`` alone, or that may sit in a string (marked by ``scan_imports``), is replaced
    by ``UNREADABLE_STATEMENT``: no text of the file but the module names of its real import statements
    is ever stored. (Whoever needs more reads the file again: ``follow_imports.ModuleLoader``.)"""
    if not statements:
        return statements
    lines = statements.split(b"\n")
    if all(_PLAIN.fullmatch(line) for line in lines):
        return statements
    return b"\n".join(line if _PLAIN.fullmatch(line) else UNREADABLE_STATEMENT for line in lines)


def _statement_end(data: bytes, at: int) -> int:
    """The end of the statement whose ``import`` keyword is at ``at``: the line, or the closing
    parenthesis of ``from x import (a,\\n b)``, or the lines continued with a backslash."""
    end = data.find(b"\n", at)
    end = len(data) if end == -1 else end
    line = data[at:end]
    if b")" not in line and b"(" in line:
        close = data.find(b")", end)
        return len(data) if close == -1 else close + 1
    while end < len(data) and (data[end - 1:end] == b"\\" or data[end - 2:end] == b"\\\r"):
        following = data.find(b"\n", end + 1)
        end = len(data) if following == -1 else following
    return end
