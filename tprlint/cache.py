"""On-disk cache of per-file facts (see ``tprlint.scan`` for the keys: path, size, modification time)
and of rendered charts (keyed by their files' content), for one tprlint version and extractor code.

The cache lives in ``.tprlint_cache/`` beside the configuration (or in the current directory). It is
read with a restricted unpickler that only rebuilds tprlint's own fact classes and plain builtins:
a cache file committed to a scanned repository must never be a way to run code in a CI gate.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tprlint import __version__

_ALLOWED_BUILTINS = frozenset({"set", "frozenset", "dict", "list", "tuple", "int", "float", "str", "bytes"})


class FactsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module == "tprlint" or module.startswith("tprlint.")) and not name.startswith("_"):
            return super().find_class(module, name)
        if module == "builtins" and name in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the cache")


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


def prepare_cache_dir(directory: Path) -> None:
    """Create the cache folder with a .gitignore, so it is never committed by accident."""
    directory.mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# created by tprlint\n*\n", encoding="utf-8")


class FactsCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.file = directory / f"facts-{__version__}-{_extractor_fingerprint()}.pickle"
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False

    def load(self) -> None:
        try:
            data = self.file.read_bytes()
            loaded = FactsUnpickler(io.BytesIO(data)).load()
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return  # a missing, stale or foreign cache is just a cold start
        if isinstance(loaded, dict):
            self.entries = loaded

    def get(self, key: str) -> Any:
        value = self.entries.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Keep only entries of this run, so the cache does not grow without bound."""
        self._remove_stale()
        if not self.dirty and self.used == set(self.entries):
            return
        kept = {k: v for k, v in self.entries.items() if k in self.used}
        try:
            prepare_cache_dir(self.directory)
            with tempfile.NamedTemporaryFile(dir=self.directory, delete=False) as handle:
                pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.file)
        except OSError:
            pass  # a read-only checkout still gets its findings

    def _remove_stale(self) -> None:
        """Cache files of other tprlint versions or extractor code are never read again."""
        try:
            for stale in self.directory.glob("facts-*.pickle"):
                if stale != self.file:
                    stale.unlink()
        except OSError:
            pass
