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
        types: dict[tuple[str, str], int] = {}
        values: list[list[Any]] = []
        keys: dict[str, int] = {}
        by_identity: dict[int, int] = {}  # the same value under several keys is stored once
        for key in sorted(self.used):
            new = self._new.get(key)
            if new is not None:
                identity = id(new)
                if identity not in by_identity:
                    try:
                        encoded = encode_as(type(new), new)
                    except CodecError:
                        continue  # a value that would not load again is not stored
                    ident = (type_name(type(new)), schema_of(type(new)).digest)
                    values.append([types.setdefault(ident, len(types)), encoded])
                    by_identity[identity] = len(values) - 1
                keys[key] = by_identity[identity]
            elif key in self._keys:
                index = self._keys[key]
                identity = -1 - index  # stored values keep their raw form: nothing to encode again
                if identity not in by_identity:
                    type_index, encoded = self._stored[index]
                    values.append([types.setdefault(self._types[type_index], len(types)), encoded])
                    by_identity[identity] = len(values) - 1
                keys[key] = by_identity[identity]
        document = {"format": FACTS_FORMAT, "types": [list(t) for t in types], "values": values, "keys": keys}
        try:
            data = json.dumps(document, separators=(",", ":")).encode("utf-8", "surrogateescape")
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
