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

import contextlib
import dataclasses
import fcntl
import importlib
import marshal
import operator
import os
import select
import signal
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
        answered = select.poll()  # not select(): a process with a thousand files open has higher numbers
        answered.register(pipe, select.POLLIN)
        for module in modules:
            if answered.poll(0):  # the walk is done (or the child gone): stop here
                break
            importlib.import_module(module)
        data = _read_all(pipe)
    except BaseException:
        _stop(pid)  # an interrupted run (Ctrl-C) does not wait for the walk to end
        raise
    finally:
        os.close(pipe)
        code = _reap(pid)
    found = _candidates(data) if code in (0, None) else None
    return walk() if found is None else found


def _reap(pid: int) -> int | None:
    """The child's exit code; None when it was reaped elsewhere (SIGCHLD ignored, or a handler that
    waits for every child): then its answer's own checks decide."""
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        return None


def _stop(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _start(walk: Callable[[], list[Candidate]]) -> tuple[int, int] | None:
    reading, writing = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return None
    if pid == 0:  # the child: walk, write, and leave without running anything of the parent's
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it outright, never as the parent's code
        code = 1
        try:
            os.close(reading)
            if writing <= 2:  # the parent ran with standard streams closed: keep the answer off them
                writing = fcntl.fcntl(writing, fcntl.F_DUPFD, 3)
            _let_go_of_output()
            rows = list(map(_ROW, walk()))
            payload = memoryview(marshal.dumps(rows))
            while payload:
                payload = payload[os.write(writing, payload):]
            code = 0
        finally:
            os._exit(code)  # no atexit handlers, no flush of the parent's buffered output
    os.close(writing)
    return pid, reading


def _let_go_of_output() -> None:
    """The child writes nothing but its answer: its standard streams go to /dev/null, so that a CI job
    reading this run's output through a pipe sees it end when the run ends, not when the walk does (a run
    killed by a time limit)."""
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    if null > 2:
        os.close(null)


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
