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
    # Every file of the tree goes through here: the common cases (a statement on one line, not
    # continued, no comment) take the shortest path, and the rest the general one.
    statements: list[bytes] = []
    find = data.find
    # Whether a position may be inside a triple-quoted string: an odd number of either triple quote
    # before it, counted incrementally (positions only grow), so the scan stays linear.
    quoted = _DOUBLE_QUOTES in data or _SINGLE_QUOTES in data
    counted_to = doubles = singles = 0
    at = find(b"import")
    while at != -1:
        if data[at + 6:at + 7] in (b" ", b"\t", b"("):  # not importlib, imports, ...
            line_start = data.rfind(b"\n", 0, at) + 1
            if line_start >= 2 and data[line_start - 2] in _CONTINUED:  # a backslash (or one before \r)
                line_start = _logical_line_start(data, line_start)
            code = line_start  # the line's first non-blank byte, found without slicing the line
            while data[code] in _BLANKS:  # ends at `import` at the latest
                code += 1
            if code == at or (data.startswith((b"from ", b"from\t"), code) and data[at - 1] in _BLANKS_OR_NEWLINE):
                end = find(b"\n", at)
                end = len(data) if end == -1 else end
                line = data[at:end]
                if line[-1:] in (b"\\", b"\r") or (b"(" in line and b")" not in line):
                    end = _statement_end(data, at)  # the statement goes on: `(` or a backslash
                chunk = data[code:end]
                if b"#" in chunk or b"\n" in chunk:
                    statement = b" ".join(part.split(b"#", 1)[0].rstrip(b"\\\r \t") for part in chunk.split(b"\n"))
                else:
                    statement = chunk.rstrip(b"\\\r \t")
                if quoted and code > counted_to:
                    doubles += data.count(_DOUBLE_QUOTES, counted_to, code)
                    singles += data.count(_SINGLE_QUOTES, counted_to, code)
                    counted_to = code
                statements.append(UNREADABLE_STATEMENT + statement if (doubles | singles) & 1 else statement)
                at = find(b"import", end)
                continue
            # `import` inside other code, a comment or a string: no statement starts later on this line
            end = find(b"\n", at)
            if end == -1:
                break
            at = find(b"import", end)
            continue
        at = find(b"import", at + 6)
    return b"\n".join(statements)


_DOUBLE_QUOTES, _SINGLE_QUOTES = b'"' * 3, b"'" * 3
_CONTINUED = frozenset(b"\\\r")
_BLANKS = frozenset(b" \t")
_BLANKS_OR_NEWLINE = frozenset(b" \t\n")
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


_PLAIN = re.compile(rb"(?:import|from)[ \t][\w. \t,()*]*")
_ALL_PLAIN = re.compile(rb"(?:import|from)[ \t][\w. \t,()*]*(?:\n(?:import|from)[ \t][\w. \t,()*]*)*")


def plain_statements(statements: bytes) -> bytes:
    """``statements`` as kept in the facts cache: a line that is not made of names, dots, commas,
    parentheses and ``*`` alone, or that may sit in a string (marked by ``scan_imports``), is replaced
    by ``UNREADABLE_STATEMENT``: no text of the file but the module names of its real import statements
    is ever stored. (Whoever needs more reads the file again: ``follow_imports.ModuleLoader``.)"""
    if not statements or _ALL_PLAIN.fullmatch(statements):  # every line plain: one match for the file
        return statements
    lines = statements.split(b"\n")
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
