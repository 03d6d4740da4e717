"""Walk the scanned paths: honour .gitignore files and config excludes, skip vendored trees."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from tprlint.discover.classify import FileKind, classify

# Directories that never hold the project's own deployable code or manifests.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tprlint_cache", ".eggs",
})
MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass
class SourceFile:
    path: Path  # absolute
    display: str  # relative to the current directory when inside it (posix), else absolute
    kind: FileKind
    data: bytes
    digest: str
    too_large: bool = False


def display_path(path: Path, base: Path) -> str:
    text, folder = str(path), str(base).rstrip(os.sep)
    if text.startswith(folder + os.sep):  # string work: this runs for every file of the tree
        return text[len(folder) + 1:].replace(os.sep, "/")
    if text == folder:
        return "."
    return path.as_posix()


def discover(paths: list[Path], exclude: tuple[str, ...] = (), exclude_root: Path | None = None,
             base: Path | None = None) -> list[SourceFile]:
    """Every file worth looking at under ``paths``, read once and classified, in a stable order."""
    base = base or Path.cwd()
    exclude_root = exclude_root or base
    seen: set[Path] = set()
    files: list[SourceFile] = []
    for root in paths:
        root = root.resolve()
        candidates = [root] if root.is_file() else _walk(root)
        for path in candidates:
            if path in seen or _excluded(path, exclude, exclude_root):
                continue
            seen.add(path)
            source = _read(path, base)
            if source is not None and source.kind is not FileKind.SKIP:
                files.append(source)
    files.sort(key=lambda f: f.display)
    return files


def _walk(root: Path) -> Iterator[Path]:
    # String paths, not Path objects: this runs for every file and folder of a monorepo.
    ignore_stack: list[tuple[str, pathspec.PathSpec[Any]]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        while ignore_stack and not _is_within(dirpath, ignore_stack[-1][0]):
            ignore_stack.pop()
        spec = _gitignore(dirpath)
        if spec is not None:
            ignore_stack.append((dirpath, spec))
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIPPED_DIRS
            and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
            and not _ignored(os.path.join(dirpath, d), ignore_stack, is_dir=True)
        )
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not _ignored(path, ignore_stack, is_dir=False):
                yield Path(path)


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _gitignore(directory: str) -> pathspec.PathSpec[Any] | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(path: str, stack: list[tuple[str, pathspec.PathSpec[Any]]], is_dir: bool) -> bool:
    for base, spec in stack:
        rel = os.path.relpath(path, base) if os.sep != "/" else path[len(base.rstrip("/")) + 1:]
        rel = rel.replace(os.sep, "/") + ("/" if is_dir else "")
        if spec.match_file(rel):
            return True
    return False


def _excluded(path: Path, patterns: tuple[str, ...], root: Path) -> bool:
    if not patterns:
        return False
    rel = display_path(path, root)
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern.rstrip("/")) for pattern in patterns for p in prefixes)


def _read(path: Path, base: Path) -> SourceFile | None:
    display = display_path(path, base)
    kind = classify(display, b"") if path.suffix.lower() not in (".py", ".yaml", ".yml") else None
    if kind is FileKind.SKIP:
        return None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            kind = classify(display, _head(path))
            if kind is FileKind.SKIP or kind is FileKind.PYTHON_OTHER:
                return None
            return SourceFile(path, display, kind, b"", "", too_large=True)
        data = path.read_bytes()
    except OSError:
        return None
    kind = classify(display, data)
    if kind is FileKind.SKIP:
        return None
    return SourceFile(path, display, kind, data, hashlib.blake2b(data, digest_size=16).hexdigest())


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(64 * 1024)
