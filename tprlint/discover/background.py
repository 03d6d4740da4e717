"""The walk in a forked child while this process loads the analysis code.

A run spends about 50 ms listing a 3,500-file tree and 150 ms importing the code that analyses it, one
after the other, on a machine with two cores or more. On Linux the walk runs in a child process
(``os.fork``) and this one imports the analysis modules meanwhile, one at a time, stopping as soon as
the walk is back: a run whose result is replayed needs none of them, and the rest are imported later
anyway.

The child sends the candidates back as plain values (``marshal`` of tuples of strings, integers and
booleans) through a pipe only the two processes hold; nothing read from the scanned tree is ever
unmarshalled, only the child's own list of names and stats. Anything unusual - no ``fork`` (another
system, or threads already running), a child that fails or is killed, an answer of the wrong shape -
and the walk runs in this process, as it always did, raising what it raises.
"""

from __future__ import annotations

import dataclasses
import importlib
import marshal
import operator
import os
import select
import sys
import threading
from collections.abc import Callable, Iterable

from tprlint.discover.walk import Candidate

_ROW = operator.attrgetter(*(f.name for f in dataclasses.fields(Candidate)))  # a candidate's fields, in order
_TYPES = (str, str, int, int, bool, bool, str)  # each field's class, checked on the way back


def walk_while_importing(walk: Callable[[], list[Candidate]], modules: Iterable[str]) -> list[Candidate]:
    """``walk()``, run in a child process while ``modules`` are imported here, in order, until it is done."""
    if sys.platform != "linux" or threading.active_count() > 1:  # fork() copies only the calling thread
        return walk()
    child = _start(walk)
    if child is None:
        return walk()
    pid, pipe = child
    try:
        for module in modules:
            if select.select([pipe], [], [], 0)[0]:  # the walk is done (or the child gone): stop here
                break
            importlib.import_module(module)
        data = _read_all(pipe)
    finally:
        os.close(pipe)
        _, status = os.waitpid(pid, 0)
    found = _candidates(data) if os.waitstatus_to_exitcode(status) == 0 else None
    return walk() if found is None else found


def _start(walk: Callable[[], list[Candidate]]) -> tuple[int, int] | None:
    reading, writing = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return None
    if pid == 0:  # the child: walk, write, and leave without running anything of the parent's
        code = 1
        try:
            os.close(reading)
            rows = list(map(_ROW, walk()))
            payload = memoryview(marshal.dumps(rows))
            while payload:
                payload = payload[os.write(writing, payload):]
            code = 0
        finally:
            os._exit(code)  # no atexit handlers, no flush of the parent's buffered output
    os.close(writing)
    return pid, reading


def _read_all(pipe: int) -> bytes:
    chunks: list[bytes] = []
    while chunk := os.read(pipe, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _candidates(data: bytes) -> list[Candidate] | None:
    """The child's rows as candidates, or None when they are not exactly what it writes."""
    try:
        rows = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    if type(rows) is not list or set(map(type, rows)) - {tuple} or set(map(len, rows)) - {len(_TYPES)}:
        return None
    # Column by column: each holds values of its field's class alone.
    columns = zip(*rows, strict=True)
    if rows and any(set(map(type, column)) != {kind} for column, kind in zip(columns, _TYPES, strict=True)):
        return None
    return [Candidate(*row) for row in rows]
