"""Walk the scanned paths: honour .gitignore files and config excludes, skip vendored trees.

Discovery is two steps so that a warm run can stop after the first: ``find_candidates`` lists the
files whose name may matter, with their size and modification time (no file is opened), and
``read_source`` reads and classifies one (in the scan's worker processes). ``discover`` does both.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec
from pathspec.pattern import RegexPattern

from tprlint.discover.classify import CONTENT_DECIDES, FileKind, classify, classify_by_name

# Directories that never hold the project's own deployable code or manifests.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tprlint_cache", ".eggs",
})
MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file that may matter, known by its name and stat only."""

    abspath: str
    display: str  # relative to the current directory when inside it (posix), else absolute
    size: int
    mtime_ns: int


@dataclass
class SourceFile:
    """A candidate's bytes and kind."""

    abspath: str
    display: str
    kind: FileKind
    data: bytes
    too_large: bool = False

    @property
    def path(self) -> Path:
        return Path(self.abspath)


def display_path(path: Path | str, base: Path | str) -> str:
    text, folder = str(path), str(base).rstrip(os.sep)
    if text.startswith(folder + os.sep):  # string work: this runs for every file of the tree
        return text[len(folder) + 1:].replace(os.sep, "/")
    if text == folder:
        return "."
    return Path(text).as_posix()


def discover(paths: list[Path], exclude: tuple[str, ...] = (), exclude_root: Path | None = None,
             base: Path | None = None) -> list[SourceFile]:
    """Every file worth looking at under ``paths``, read once and classified, in a stable order."""
    return read_sources(find_candidates(paths, exclude, exclude_root, base))


def find_candidates(paths: list[Path], exclude: tuple[str, ...] = (), exclude_root: Path | None = None,
                    base: Path | None = None) -> list[Candidate]:
    """The files under ``paths`` whose name may make them relevant, with their stat, in a stable order."""
    folder = str(base or Path.cwd())
    excluded_root = str(exclude_root or base or Path.cwd())
    seen: set[str] = set()
    found: list[Candidate] = []
    for root in paths:
        root = root.resolve()
        # An explicit file is read even when ignored.
        entries = [(str(root), root.stat())] if root.is_file() else _walk(str(root))
        for abspath, stat in entries:
            if abspath in seen or _excluded(abspath, exclude, excluded_root):
                continue
            seen.add(abspath)
            found.append(Candidate(abspath, display_path(abspath, folder), stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda c: c.display)
    return found


def read_sources(candidates: list[Candidate]) -> list[SourceFile]:
    """The candidates that are ours; files that cannot be read are left out."""
    sources: list[SourceFile] = []
    for candidate in candidates:
        try:
            source = read_source(candidate)
        except OSError:
            continue
        if source is not None:
            sources.append(source)
    return sources


def _walk(root: str) -> list[tuple[str, os.stat_result]]:
    """Depth-first, sorted, with string paths: this runs for every file and folder of a monorepo."""
    found: list[tuple[str, os.stat_result]] = []
    ignore_stack: list[tuple[str, _IgnoreFile]] = []

    def visit(directory: str, is_root: bool = False) -> None:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            return
        names = {entry.name for entry in entries}
        if "pyvenv.cfg" in names and not is_root:
            return  # a virtual environment under another name
        # Look for .gitignore among the entries: opening a missing file per folder costs more.
        spec = _gitignore(directory) if ".gitignore" in names else None
        if spec is not None:
            ignore_stack.append((directory, spec))
        folders: list[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):  # as os.walk: a symlinked folder may loop
                    if entry.name not in SKIPPED_DIRS:
                        folders.append(entry.path)
                    continue
                if classify_by_name(entry.name) is FileKind.SKIP:
                    continue  # decided by name: no stat, no ignore matching
                if not _ignored(entry.path, ignore_stack, is_dir=False):
                    found.append((entry.path, entry.stat()))
            except OSError:
                continue
        for path in folders:
            if not _ignored(path, ignore_stack, is_dir=True):
                visit(path)
        if spec is not None:
            ignore_stack.pop()

    visit(root, is_root=True)
    return found


class _IgnoreFile:
    """One folder's .gitignore. Without negations (the usual case) the patterns become one regex:
    matching every file against each pattern in turn was half of a warm run's walk."""

    def __init__(self, spec: pathspec.PathSpec[Any]) -> None:
        self.spec = spec
        patterns = [p for p in spec.patterns if p.include is not None]
        self.combined: re.Pattern[str] | None = None
        if all(p.include for p in patterns) and all(isinstance(p, RegexPattern) for p in patterns):
            # Named groups repeat across patterns; they carry nothing matching needs.
            parts = [_NAMED_GROUP.sub("(?:", p.regex.pattern) for p in patterns
                     if isinstance(p, RegexPattern) and p.regex is not None]
            self.combined = re.compile("|".join(f"(?:{part})" for part in parts)) if parts else None
            self.empty = not parts
        else:
            self.empty = False

    def matches(self, rel: str) -> bool:
        if self.empty:
            return False
        if self.combined is not None:
            return self.combined.search(rel) is not None  # as pathspec: `*/` is unanchored
        return self.spec.match_file(rel)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _gitignore(directory: str) -> _IgnoreFile | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    try:
        return _IgnoreFile(pathspec.GitIgnoreSpec.from_lines(lines))
    except ValueError:  # pathspec rejects a line git accepts (`!`, a trailing backslash): drop such lines
        return _IgnoreFile(pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_pattern(line)]))


def _valid_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _ignored(path: str, stack: list[tuple[str, _IgnoreFile]], is_dir: bool) -> bool:
    for base, rules in stack:
        rel = os.path.relpath(path, base) if os.sep != "/" else path[len(base.rstrip("/")) + 1:]
        rel = rel.replace(os.sep, "/") + ("/" if is_dir else "")
        if rules.matches(rel):
            return True
    return False


def _excluded(path: str, patterns: tuple[str, ...], root: str) -> bool:
    if not patterns:
        return False
    rel = display_path(path, root)
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern.rstrip("/")) for pattern in patterns for p in prefixes)


def read_source(candidate: Candidate) -> SourceFile | None:
    """The file's bytes and kind, or None when it is not ours. Raises OSError when it cannot be read:
    that is not a verdict on the file, and must not be cached as one."""
    display = candidate.display
    kind = classify_by_name(posixpath.basename(display))
    if kind is FileKind.SKIP:
        return None
    if candidate.size > MAX_FILE_BYTES:
        kind = classify(display, _head(candidate.abspath))
        if kind is FileKind.SKIP or kind is FileKind.PYTHON_OTHER:
            return None
        return SourceFile(candidate.abspath, display, kind, b"", too_large=True)
    with open(candidate.abspath, "rb") as handle:
        data = handle.read()
    if kind is CONTENT_DECIDES:
        kind = classify(display, data)
        if kind is FileKind.SKIP:
            return None
    return SourceFile(candidate.abspath, display, kind, data)


def _head(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(64 * 1024)
