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
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from tprlint import __version__
from tprlint.cache_codec import CodecError, decode_as, encode_as, schema_of
from tprlint.cache_store import read_bounded, remove_own_file, write_atomic

T = TypeVar("T")

FACTS_FORMAT = "tprlint-facts/1"
MAX_FACTS_BYTES = 256 * 1024 * 1024  # larger is not a cache tprlint wrote for any real tree: a miss
_FACTS_FILE = re.compile(r"facts-[A-Za-z0-9.+_-]+-[0-9a-f]{12}\.json")


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
    # Chart results are facts too, built by tprlint.helm: its code is part of the key.
    sources = [*(package / "facts").rglob("*.py"), *(package / "discover").glob("*.py"),
               *(package / "helm").glob("*.py"), package / "scan.py"]
    text = "\n".join(stat_lines(sorted(sources)))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=6).hexdigest()


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class FactsCache:
    """Entries by key, each a dataclass value. Loading parses the JSON; an entry is decoded (and
    checked) only when asked for, so a bad entry is a miss for that key alone."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = f"facts-{__version__}-{_extractor_fingerprint()}.json"
        self.file = directory / self.name
        self.used: set[str] = set()
        self.dirty = False
        self._types: list[tuple[str, str]] = []  # stored entries' (type name, schema digest)
        self._stored: list[tuple[int, Any]] = []  # (index into _types, encoded value)
        self._keys: dict[str, int] = {}  # key -> index into _stored
        self._decoded: dict[int, object] = {}  # one object per stored value, as the keys share them
        self._loaded_from: dict[int, int] = {}  # id() of a decoded object -> its stored index
        self._new: dict[str, object] = {}  # put in this run

    @property
    def empty(self) -> bool:
        return not self._keys and not self._new

    def load(self) -> None:
        data = read_bounded(self.file, MAX_FACTS_BYTES)
        if data is None:
            return  # a missing, foreign or oversized cache is just a cold start
        try:
            loaded = json.loads(data)
        except (ValueError, RecursionError):
            return
        self._accept(loaded)

    def _accept(self, loaded: object) -> None:
        """Take the file's outline if it has exactly the expected shape; the values are checked on use."""
        if not (isinstance(loaded, dict) and loaded.keys() == {"format", "types", "values", "keys"}
                and loaded["format"] == FACTS_FORMAT):
            return
        types, values, keys = loaded["types"], loaded["values"], loaded["keys"]
        if not (isinstance(types, list) and isinstance(values, list) and isinstance(keys, dict)):
            return
        if not all(isinstance(t, list) and len(t) == 2 and all(type(s) is str for s in t) for t in types):
            return
        if not all(type(v) is list and len(v) == 2 and type(v[0]) is int and 0 <= v[0] < len(types)
                   for v in values):
            return
        if not all(type(i) is int and 0 <= i < len(values) for i in keys.values()):
            return
        self._types = [(t[0], t[1]) for t in types]
        self._stored = [(v[0], v[1]) for v in values]
        self._keys = keys

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
        type_index, encoded = self._stored[index]
        if self._types[type_index] != (type_name(kind), schema_of(kind).digest):
            return None
        try:
            found = decode_as(kind, encoded)
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
        document = _Document(self._types, self._stored)
        keys: dict[str, int] = {}
        for key in sorted(self.used):
            value = self._new.get(key)
            if value is None or id(value) in self._loaded_from:
                # As loaded (perhaps under a new key): its stored form is written back, not encoded again.
                index = self._keys.get(key) if value is None else self._loaded_from[id(value)]
                if index is not None:
                    keys[key] = document.add_stored(index)
            else:
                position = document.add_new(value)
                if position is not None:
                    keys[key] = position
        outline = {"format": FACTS_FORMAT, "types": [list(t) for t in document.types], "values": document.values,
                   "keys": keys}
        try:
            data = json.dumps(outline, separators=(",", ":")).encode("utf-8", "surrogateescape")
        except (ValueError, RecursionError):
            return
        write_atomic(self.directory, self.name, data)

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


class _Document:
    """The values of the file being written, each once however many keys share it."""

    def __init__(self, loaded_types: list[tuple[str, str]], loaded: list[tuple[int, Any]]) -> None:
        self.types: dict[tuple[str, str], int] = {}
        self.values: list[list[Any]] = []
        self._loaded_types = loaded_types
        self._loaded = loaded
        self._positions: dict[int, int] = {}  # a new value's id(), or -1 - a loaded value's index

    def add_stored(self, index: int) -> int:
        identity = -1 - index
        if identity not in self._positions:
            type_index, encoded = self._loaded[index]
            self._positions[identity] = self._append(self._loaded_types[type_index], encoded)
        return self._positions[identity]

    def add_new(self, value: object) -> int | None:
        identity = id(value)
        if identity not in self._positions:
            kind = type(value)
            try:
                encoded = encode_as(kind, value)
            except CodecError:
                return None  # a value that would not load again is not stored
            self._positions[identity] = self._append((type_name(kind), schema_of(kind).digest), encoded)
        return self._positions[identity]

    def _append(self, ident: tuple[str, str], encoded: Any) -> int:
        self.values.append([self.types.setdefault(ident, len(self.types)), encoded])
        return len(self.values) - 1
