"""Read, classify and extract every candidate file, in worker processes, through the facts cache.

The workers read the files themselves: the main process sends paths, not bytes, and gets back facts
(or, for Python modules that matter only when imported, the words of their import statements). The
scan starts before the rest of the pipeline is imported, so rules and linking load while the workers
parse.

Cache entries are found by a file's path, size and modification time (as ruff's cache is), so a file
whose stat is unchanged is never opened again; failing that, by its path and content hash, so a cache
restored onto a fresh checkout (new modification times, as in CI) still saves the parsing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
from collections import Counter
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout  # not the builtin before 3.11
from typing import TYPE_CHECKING, TypeVar

from tprlint.cache import FactsCache
from tprlint.deadline import Deadline
from tprlint.discover.classify import FileKind
from tprlint.discover.imports import plain_statements, scan_imports
from tprlint.discover.read import MAX_FILE_BYTES, read_regular, strip_bom
from tprlint.discover.walk import Candidate, SourceFile, kind_by_name, read_source
from tprlint.facts.extract import FileFacts, ParseError, extract_file
from tprlint.model import Location
from tprlint.records import mutable

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

_T = TypeVar("_T")

PARALLEL_THRESHOLD = 200  # below this many files to read, a process pool costs more than it saves
# While Helm renders, the workers run at a lower priority than the main process and the renderer. Those
# are the run's critical path - Helm's output must be read, and imports followed, before anything is
# linked - while the workers have the most work and the most slack: on 2 cores, a cold run of the
# benchmark tree took 1.21 s with equal priorities and 1.16 s with these (medians of 9).
WORKER_NICENESS = 4
_UNREADABLE = "cannot be read"


@mutable
class ScannedFile:
    """What the scan learnt about one candidate file."""

    display: str
    abspath: str
    kind: FileKind  # SKIP when its content shows it is not ours (or it could not be read)
    stamp: str  # paths, size and modification time: the first cache key
    digest: str = ""  # of the content ("" when it was not read)
    unreadable: bool = False  # reading (or tprlint) failed: nothing is known, nothing is cached
    facts: FileFacts | None = None  # None for SKIP, and for Python that matters only when imported
    import_statements: bytes = b""  # PYTHON_OTHER: its import statements, parsed only when asked
    explicit: bool = False  # named on the command line (analysed in full): not cached, it is judged apart


def stamp(candidate: Candidate) -> str:
    # The absolute path as well as the shown one: two folders of one cache can have the same relative
    # names, sizes and times (a tarball, `cp -p`), and a moved tree keeps its times.
    outside = ("\0outside" if candidate.outside else "") + ("\0explicit" if candidate.explicit else "")
    return f"{candidate.abspath}\0{candidate.display}\0{candidate.size}\0{candidate.mtime_ns}{outside}"


def _content_key(kind: str, file: ScannedFile | Candidate, digest: str) -> str:
    return f"{kind}:{file.abspath}\0{file.display}\0{digest}"


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _file_digest(candidate: Candidate) -> str:
    if candidate.outside:
        return ""  # never read, not even to hash it
    try:
        return content_digest(strip_bom(read_regular(candidate.abspath)))
    except OSError:  # unreadable, not a regular file, too large: no content to find it by
        return ""


class Scanner:
    """``start`` dispatches the candidates, ``results`` waits for them, ``extract`` parses the modules
    that the import rounds ask for, ``close`` stops the workers."""

    def __init__(self, cache: FactsCache | None, jobs: int | None, deadline: Deadline | None = None,
                 yielding: bool = False) -> None:
        """``yielding``: the workers give way to this process and to a Helm renderer running meanwhile
        (``WORKER_NICENESS``)."""
        self.cache = cache
        self.yielding = yielding
        self.deadline = deadline or Deadline()
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.parsed = 0  # files parsed in this run (not from the cache)
        # Of those parsed by the first pass: "temporal" Python (it mentions Temporal or signals), "other".
        self.parsed_kinds: Counter[str] = Counter()
        self.hits = 0
        self._pool: ProcessPoolExecutor | None = None  # started once, shared by the import rounds
        self._done: list[ScannedFile] = []
        # Each batch sent to the workers, and whether it holds the Python files (read first: see ``start``).
        self._pending: list[tuple[Future[list[ScannedFile]], list[Candidate], bool]] = []
        self.unreadable = 0  # files that could not be read: the run's result must not be replayed

    def start(self, candidates: list[Candidate]) -> None:
        """Dispatch the candidates the cache does not answer; returns at once when a pool runs."""
        misses: list[Candidate] = []
        if self.cache and not self.cache.empty:
            self.cache.prefetch(f"scan:{stamp(c)}" for c in candidates if not c.explicit)
        for candidate in candidates:
            cached = self._from_cache(candidate)
            if cached is not None:
                self._done.append(cached)
                self.hits += cached.facts is not None
            else:
                misses.append(candidate)
        if len(misses) < PARALLEL_THRESHOLD or self.jobs <= 1:
            for index, candidate in enumerate(misses):
                if self.deadline.expired():
                    self.deadline.skipped_files += [c.display for c in misses[index:]]
                    break
                self._record([scan_file(candidate, self.cache is not None)])
            return
        # The Python files first: following imports, the next step, needs them alone, and runs while the
        # workers read the rest. Interleaved batches: neighbouring files are alike (a folder of
        # manifests), so each batch gets a fair share of the expensive ones.
        count = self.jobs * 2
        python = [c for c in misses if is_python_name(c.display)]
        rest = [c for c in misses if not is_python_name(c.display)]
        batches = [(files[i::count], files is python) for files in (python, rest) for i in range(count)]
        # The workers are forked at the first submit. Frozen, what the parent holds by then (modules,
        # the walk) is never walked again by a worker's cyclic collector, nor are its pages copied.
        gc.freeze()
        try:
            self._pending = [(self._executor().submit(scan_batch, batch, self.cache is not None), batch, is_python)
                             for batch, is_python in batches if batch]
        finally:
            gc.unfreeze()

    def _from_cache(self, candidate: Candidate) -> ScannedFile | None:
        if not self.cache or self.cache.empty or candidate.explicit:
            return None  # a cold run reads nothing twice; a file named on the command line is few
        key = stamp(candidate)
        found = self.cache.get(f"scan:{key}", ScannedFile)
        if found is None:
            digest = _file_digest(candidate)
            found = self.cache.get(_content_key("content", candidate, digest), ScannedFile) if digest else None
            if found is None:
                return None
            # The same object under the new stamp: the cache stores it once, as it was loaded.
            self.cache.put(f"scan:{key}", found)
        if found.display != candidate.display:
            return None
        return found if found.stamp == key else dataclasses.replace(found, stamp=key)

    def python_read(self, timeout: float) -> bool:
        """Whether the workers have read the Python files, waiting at most ``timeout`` seconds."""
        return not wait([f for f, _, is_python in self._pending if is_python], timeout=timeout).not_done

    def results(self, python_only: bool = False) -> list[ScannedFile]:
        """Every candidate's result, in candidate (display path) order; with ``python_only``, those of
        the Python files (``.py``), as soon as the workers have read them."""
        timed_out = False
        waited = [entry for entry in self._pending if entry[2] or not python_only]
        self._pending = [entry for entry in self._pending if not (entry[2] or not python_only)]
        for future, batch, _ in waited:
            try:
                self._record(_with_paths(future.result(timeout=self.deadline.remaining()), batch, bool(self.cache)))
            except FutureTimeout:
                timed_out = True
                self.deadline.skipped_files += [c.display for c in batch]
        if timed_out:  # the workers stop: the batches not waited for yet are never read either
            self.deadline.skipped_files += [c.display for _, batch, _ in self._pending for c in batch]
            self._pending = []
            self._stop_workers()
        done = sorted(self._done, key=lambda s: s.display)
        return [s for s in done if is_python_name(s.display)] if python_only else done

    def recall(self, kind: str, file: ScannedFile, cls: type[_T]) -> _T | None:
        """What was kept (``keep``) under ``kind`` for the file's content; None without a cache."""
        return self.cache.get(_content_key(kind, file, file.digest), cls) if self.cache and file.digest else None

    def keep(self, kind: str, file: ScannedFile, value: object) -> None:
        """Keep something learnt from the file's content, for the next runs (``recall``)."""
        if self.cache and file.digest:
            self.cache.put(_content_key(kind, file, file.digest), value)

    def extract(self, files: list[ScannedFile]) -> list[FileFacts]:
        """Facts of Python modules found to matter after the first pass (see tprlint.follow_imports)."""
        found: dict[str, FileFacts] = {}
        misses: list[ScannedFile] = []
        for file in files:
            cached = self.cache.get(_content_key("facts", file, file.digest), FileFacts) if (
                self.cache and file.digest) else None
            if cached is not None and cached.path == file.display:
                found[file.display] = cached
                self.hits += 1
            else:
                misses.append(file)
        if misses and self.deadline.expired():
            self.deadline.skipped_files += [f.display for f in misses]
            return [found.get(f.display) or FileFacts(f.display, f.kind) for f in files]
        work = [(f.display, f.abspath) for f in misses]
        # Once the pool runs (the first pass was big), the import rounds use it for smaller batches too;
        # not while it still has more of the first pass's other files to read: these would wait behind them.
        waiting = sum(len(batch) for future, batch, _ in self._pending if not future.done())
        if self._pool is None or len(work) < PARALLEL_THRESHOLD // 8 or waiting > len(work):
            extracted = extract_modules(work)
        else:
            chunks = [work[i :: self.jobs * 2] for i in range(self.jobs * 2)]
            extracted = [f for batch in self._pool.map(extract_modules, chunks) for f in batch]
        by_path = {facts.path: facts for facts in extracted}  # interleaved batches come back out of order
        for file in misses:
            facts = found[file.display] = by_path[file.display]
            if facts.error is not None and (facts.error.internal or facts.error.message.startswith(_UNREADABLE)):
                self.unreadable += 1
            elif self.cache and file.digest:
                self.cache.put(_content_key("facts", file, file.digest), facts)
        self.parsed += len(misses)
        return [found[f.display] for f in files]

    def _stop_workers(self) -> None:
        """Out of time: the workers stop now, not when their batches are done."""
        if self._pool is not None:
            # The executor has no public way to stop a running task; its processes are its own.
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        # Imported here: multiprocessing costs a run that parses a file or two more than the parse.
        from concurrent.futures import ProcessPoolExecutor

        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_give_way if self.yielding else None)
        return self._pool

    def _record(self, scanned: list[ScannedFile]) -> None:
        for file in scanned:
            self._done.append(file)
            self.parsed += file.facts is not None
            if file.facts is not None:
                self.parsed_kinds["temporal" if file.kind is FileKind.PYTHON else "other"] += 1
            if file.unreadable:
                self.unreadable += 1
            elif self.cache and not file.explicit:
                self.cache.put(f"scan:{file.stamp}", file)
                if file.digest:
                    self.cache.put(_content_key("content", file, file.digest), file)


def _give_way() -> None:
    """A worker's first step (``Scanner.yielding``)."""
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows: equal priorities
        os.nice(WORKER_NICENESS)


def is_python_name(display: str) -> bool:
    """Whether a file is Python by its name: only those are (``discover.classify``)."""
    return display.lower().endswith(".py")


def scan_batch(batch: list[Candidate], cached: bool = True) -> list[ScannedFile]:
    """A worker's results, without the paths and stamps the parent already has (``_with_paths``):
    on a large tree they were a third of what crossed back and had to be unpickled."""
    found = [scan_file(candidate, cached) for candidate in batch]
    for file in found:
        file.display = file.abspath = file.stamp = ""
    return found


def _with_paths(found: list[ScannedFile], batch: list[Candidate], cached: bool) -> list[ScannedFile]:
    for file, candidate in zip(found, batch, strict=True):
        file.display, file.abspath = candidate.display, candidate.abspath
        if cached:  # the stamp is a cache key, nothing else
            file.stamp = stamp(candidate)
    return found


def scan_file(candidate: Candidate, cached: bool = True) -> ScannedFile:
    """``cached``: the run has a cache, which finds files by their content's digest too (``digest``)."""
    scanned = _scan_file(candidate, cached)
    return dataclasses.replace(scanned, explicit=True) if candidate.explicit else scanned


def _scan_file(candidate: Candidate, cached: bool) -> ScannedFile:
    key = stamp(candidate)
    try:
        source = read_source(candidate)
    except OSError as exc:  # permissions, a file removed since the walk, an I/O error: maybe not next time
        kind = kind_by_name(candidate.display)
        reason = candidate.unlisted or f"{_UNREADABLE}: {exc.strerror or exc}; not analysed"
        return ScannedFile(candidate.display, candidate.abspath, kind, key, unreadable=True,
                           facts=_not_read(candidate.display, kind, reason))
    if source is None:
        return ScannedFile(candidate.display, candidate.abspath, FileKind.SKIP, key)
    if source.too_large:
        return ScannedFile(source.display, candidate.abspath, source.kind, key, facts=_too_large(source))
    if source.problem:
        return ScannedFile(source.display, candidate.abspath, source.kind, key,
                           facts=_not_read(source.display, source.kind, source.problem))
    digest = content_digest(source.data) if cached else ""  # nothing looks for it without a cache
    if source.kind is FileKind.PYTHON_OTHER:
        statements = scan_imports(source.data)
        # Its words (``import_words``) are read from these when asked: cheaper than caching them too.
        return ScannedFile(source.display, candidate.abspath, source.kind, key, digest,
                           import_statements=plain_statements(statements))
    facts = extract_file(source.display, source.kind, source.data)
    # tprlint's own failure (TPR000) is not a verdict on the file either: never cached, never replayed.
    failed = facts.error is not None and facts.error.internal
    return ScannedFile(source.display, candidate.abspath, source.kind, key, digest, unreadable=failed, facts=facts)


def extract_modules(batch: list[tuple[str, str]]) -> list[FileFacts]:
    """Facts of Python modules given as (display path, absolute path)."""
    found: list[FileFacts] = []
    for display, abspath in batch:
        try:
            data = strip_bom(read_regular(abspath))
        except OSError as exc:
            facts = FileFacts(display, FileKind.PYTHON_OTHER)
            facts.error = ParseError(Location(display), f"{_UNREADABLE}: {exc.strerror or exc}")
            found.append(facts)
            continue
        found.append(extract_file(display, FileKind.PYTHON_OTHER, data))
    return found


def _not_read(display: str, kind: FileKind, reason: str) -> FileFacts:
    facts = FileFacts(display, kind)
    facts.error = ParseError(Location(display), reason)
    return facts


def _too_large(source: SourceFile) -> FileFacts:
    facts = FileFacts(source.display, source.kind)
    limit = MAX_FILE_BYTES // (1024 * 1024)
    facts.error = ParseError(Location(source.display), f"file is larger than {limit} MiB; not analysed")
    return facts
