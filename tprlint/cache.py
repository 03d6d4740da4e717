"""On-disk cache of per-file facts (see ``tprlint.scan`` for the keys: path, size, modification time)
and of rendered charts (keyed by their files' content), for one tprlint version and extractor code.

The cache folder is chosen and checked by ``tprlint.cache_store`` (outside the scanned tree by
default). Its files are JSON, decoded by ``tprlint.cache_codec`` into the one dataclass the caller
asks for, every value checked against its declared type: whatever bytes a cache file holds, loading
it can only give back facts or a miss - it never runs code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from tprlint import __version__
from tprlint.cache_codec import CodecError, decode_as, encode_as, schema_of
from tprlint.cache_store import read_bounded, remove_own_file, write_atomic

T = TypeVar("T")

FACTS_FORMAT = "tprlint-facts/2"
MAX_FACTS_BYTES = 256 * 1024 * 1024  # larger is not a cache tprlint wrote for any real tree: a miss
_FACTS_FILE = re.compile(r"facts-[A-Za-z0-9.+_-]+-[0-9a-f]{12}\.json")
_TEMPORARY_FILE = re.compile(r"\.tmp-[A-Za-z0-9_]+")  # tempfile.mkstemp's names, with write_atomic's prefix
_ABANDONED_SECONDS = 3600  # a run still writing is never this slow


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - os.lstat(path).st_mtime > seconds
    except OSError:
        return False


def stat_lines(paths: Iterable[str | Path]) -> list[str]:
    """Each file's path, size and modification time (or that it is missing): what a cache key needs
    to notice a change without reading the file."""
    lines: list[str] = []
    for path in paths:
        try:
            stat = os.stat(path)
            lines.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
        except OSError:
            lines.append(f"{path}\0missing")
    return lines


def _extractor_fingerprint() -> str:
    """Changes whenever the code that produces facts changes, so a development checkout never
    reads facts written by older extraction code under the same version number."""
    package = Path(__file__).parent
    # Chart results are facts too, built by tprlint.helm: its code is part of the key; and so is what
    # following imports keeps of a module's text (``follow_imports.ModuleTraits``).
    sources = [*(package / "facts").rglob("*.py"), *(package / "discover").glob("*.py"),
               *(package / "helm").glob("*.py"), package / "scan.py", package / "follow_imports.py"]
    text = "\n".join(stat_lines(sorted(sources)))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=6).hexdigest()


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class FactsCache:
    """Entries by key, each a dataclass value.

    The file is a JSON header line (format, the stored types with their schema digests, and each key's
    value number), then one JSON line per value. Loading parses the header only; a value's line is
    parsed and decoded (and checked) when a key asks for it, so a bad value is a miss for its keys
    alone, and values that were not changed are written back as the same line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = f"facts-{__version__}-{_extractor_fingerprint()}.json"
        self.file = directory / self.name
        self.used: set[str] = set()
        self.dirty = False
        self._types: list[tuple[str, str]] = []  # stored values' (type name, schema digest)
        self._lines: list[bytes] = []  # one stored value per line: [index into _types, encoded value]
        self._keys: dict[str, int] = {}  # key -> index into _lines
        self._decoded: dict[int, object] = {}  # one object per stored value, as the keys share them
        self._parsed: dict[int, object] = {}  # JSON parsed ahead (``prefetch``), not decoded yet
        self._loaded_from: dict[int, int] = {}  # id() of a decoded object -> its line
        self._new: dict[str, object] = {}  # put in this run

    @property
    def empty(self) -> bool:
        return not self._keys and not self._new

    def load(self) -> None:
        data = read_bounded(self.file, MAX_FACTS_BYTES)
        if data is None:
            return  # a missing, foreign or oversized cache is just a cold start
        header, _, body = data.partition(b"\n")
        try:
            outline = json.loads(header)
        except (ValueError, RecursionError):
            return
        lines = body.split(b"\n") if body else []
        if _valid_outline(outline, len(lines)):
            self._types = [(t[0], t[1]) for t in outline["types"]]
            self._keys = outline["keys"]
            self._lines = lines

    def prefetch(self, keys: Iterable[str]) -> None:
        """Parse the lines of ``keys`` in one ``json.loads`` (a few thousand calls cost a third more).
        A line that is not JSON makes the batch fail: each is then parsed alone, when asked for."""
        indexes = [i for key in keys if (i := self._keys.get(key)) is not None
                   and i not in self._decoded and i not in self._parsed]
        if not indexes:
            return
        try:
            values = json.loads(b"[" + b",".join(self._lines[i] for i in indexes) + b"]")
        except (ValueError, RecursionError):
            return
        if type(values) is list and len(values) == len(indexes):  # a line holding `1,2` would shift them
            self._parsed.update(zip(indexes, values, strict=True))

    def get(self, key: str, kind: type[T]) -> T | None:
        """The entry under ``key`` if there is one of type ``kind`` that passes every check, else None."""
        value = self._new.get(key)
        if value is None:
            value = self._load_entry(key, kind)
        if not isinstance(value, kind):
            return None
        self.used.add(key)
        return value

    def _load_entry(self, key: str, kind: type) -> object | None:
        index = self._keys.get(key)
        if index is None:
            return None
        found = self._decoded.get(index)
        if found is not None:
            return found
        stored = self._parsed.pop(index, None)
        if stored is None:
            try:
                stored = json.loads(self._lines[index])
            except (ValueError, RecursionError):
                return None
        if not (type(stored) is list and len(stored) == 2 and type(stored[0]) is int
                and 0 <= stored[0] < len(self._types)):
            return None
        if self._types[stored[0]] != (type_name(kind), schema_of(kind).digest):
            return None
        try:
            found = decode_as(kind, stored[1])
        except CodecError:
            return None
        self._decoded[index] = found
        self._loaded_from[id(found)] = index
        return found

    def put(self, key: str, value: object) -> None:
        self._new[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Keep only entries of this run, so the cache does not grow without bound."""
        self._remove_stale()
        if not self.dirty and self.used == set(self._keys):
            return
        document = _Document(self._types, self._lines)
        keys: dict[str, int] = {}
        for key in sorted(self.used):
            value = self._new.get(key)
            if value is None or id(value) in self._loaded_from:
                # As loaded (perhaps under a new key): its line is written back, not encoded again.
                index = self._keys.get(key) if value is None else self._loaded_from[id(value)]
                if index is not None:
                    keys[key] = document.add_stored(index)
            else:
                position = document.add_new(value)
                if position is not None:
                    keys[key] = position
        header = {"format": FACTS_FORMAT, "types": [list(t) for t in document.types], "keys": keys}
        try:
            first = json.dumps(header, separators=(",", ":")).encode("ascii")
        except (ValueError, RecursionError):
            return
        write_atomic(self.directory, self.name, b"\n".join([first, *document.lines]))

    def _remove_stale(self) -> None:
        """Cache files of other tprlint versions or extractor code are never read again. Only files
        with the facts cache's own name pattern, in tprlint's own (marked) folder, are removed."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name != self.name and _FACTS_FILE.fullmatch(name):
                remove_own_file(self.directory, name)
            elif _TEMPORARY_FILE.fullmatch(name) and _older_than(self.directory / name, _ABANDONED_SECONDS):
                remove_own_file(self.directory, name)  # left by a run killed while writing


def _valid_outline(outline: object, line_count: int) -> bool:
    """The header has exactly the expected shape, and every key names an existing line."""
    if not (isinstance(outline, dict) and outline.keys() == {"format", "types", "keys"}
            and outline["format"] == FACTS_FORMAT):
        return False
    types, keys = outline["types"], outline["keys"]
    return (isinstance(types, list) and isinstance(keys, dict)
            and all(type(t) is list and len(t) == 2 and type(t[0]) is type(t[1]) is str for t in types)
            and all(type(i) is int and 0 <= i < line_count for i in keys.values()))


class _Document:
    """The lines of the file being written, each value once however many keys share it. Types keep
    their loaded numbers, so a loaded line is valid as it is."""

    def __init__(self, loaded_types: list[tuple[str, str]], loaded_lines: list[bytes]) -> None:
        self.types = list(loaded_types)
        self.lines: list[bytes] = []
        self._type_numbers = {ident: number for number, ident in enumerate(self.types)}
        self._loaded = loaded_lines
        self._positions: dict[int, int] = {}  # a new value's id(), or -1 - a loaded value's line

    def add_stored(self, index: int) -> int:
        identity = -1 - index
        if identity not in self._positions:
            self._positions[identity] = self._append(self._loaded[index])
        return self._positions[identity]

    def add_new(self, value: object) -> int | None:
        identity = id(value)
        if identity not in self._positions:
            kind = type(value)
            try:
                encoded = encode_as(kind, value)
                ident = (type_name(kind), schema_of(kind).digest)
                if ident not in self._type_numbers:
                    self._type_numbers[ident] = len(self.types)
                    self.types.append(ident)
                line = json.dumps([self._type_numbers[ident], encoded], separators=(",", ":")).encode("ascii")
            except (CodecError, ValueError, RecursionError):
                return None  # a value that would not load again is not stored
            self._positions[identity] = self._append(line)
        return self._positions[identity]

    def _append(self, line: bytes) -> int:
        self.lines.append(line)
        return len(self.lines) - 1
