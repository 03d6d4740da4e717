"""Walk the scanned paths: honour .gitignore files and config excludes, skip vendored trees.

Discovery is two steps so that a warm run can stop after the first: ``find_candidates`` lists the
files whose name may matter, with their size and modification time (no file is opened), and
``read_source`` reads and classifies one (in the scan's worker processes). ``discover`` does both.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pathspec
from pathspec.pattern import RegexPattern

from tprlint.discover.classify import CONTENT_DECIDES, FileKind, classify, classify_by_name
from tprlint.discover.read import (
    FileTooLarge,
    NotRegularFile,
    inside,
    read_head,
    read_regular,
    read_text,
    strip_bom,
)
from tprlint.discover.wildmatch import MAX_REGEX_STARS, WildPattern, parse, star_count
from tprlint.records import mutable

# Directories that never hold the project's own deployable code or manifests.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tprlint_cache", ".eggs",
})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file that may matter, known by its name and stat only."""

    abspath: str
    display: str  # relative to the current directory when inside it (posix), else absolute
    size: int
    mtime_ns: int
    outside: bool  # a symbolic link that leads out of the scanned tree: never read
    explicit: bool  # named on the command line: analysed in full, whatever its content
    # Set for a folder the walk could not list (its permissions): reported, so that what it holds is
    # never silently missing from a run that looks clean.
    unlisted: str = ""


OUTSIDE_LINK = "a symbolic link to a file outside the scanned tree; not read"
UNLISTED_FOLDER = "folder cannot be listed"


@mutable
class SourceFile:
    """A candidate's bytes and kind."""

    abspath: str
    display: str
    kind: FileKind
    data: bytes
    too_large: bool = False
    problem: str = ""  # why the file was not read (a FIFO, a link out of the tree): reported, not analysed

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
        explicit = root.is_file()  # once per root: not a stat per file of the tree
        # An explicit file is read even when ignored.
        entries = [(str(root), root.stat(), False, "")] if explicit else _walk(str(root))
        for abspath, stat, outside, unlisted in entries:
            if abspath in seen or _excluded(abspath, exclude, excluded_root):
                continue
            seen.add(abspath)
            found.append(Candidate(abspath, display_path(abspath, folder), stat.st_size, stat.st_mtime_ns, outside,
                                   explicit=explicit, unlisted=unlisted))
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


def _walk(root: str) -> list[tuple[str, os.stat_result, bool, str]]:
    """Depth-first, sorted, with string paths: this runs for every file and folder of a monorepo.
    Each file comes with its stat and whether it is a symbolic link that leaves the tree; a folder that
    cannot be listed comes with why (its own stat, as a file's)."""
    found: list[tuple[str, os.stat_result, bool, str]] = []
    real_root = os.path.realpath(root)
    ignore_stack: list[tuple[str, _IgnoreFile]] = []

    def visit(directory: str, is_root: bool = False) -> None:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            if not is_root:  # a root that cannot be listed is the caller's error to report
                with contextlib.suppress(OSError):  # gone since it was listed: nothing to say
                    found.append((directory, os.stat(directory, follow_symlinks=False), False,
                                  f"{UNLISTED_FOLDER}: {exc.strerror or exc}; nothing in it was analysed"))
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
                    if entry.is_symlink() and not inside(entry.path, real_root):
                        found.append((entry.path, entry.stat(follow_symlinks=False), True, ""))
                    else:
                        found.append((entry.path, entry.stat(), False, ""))
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
    matching every file against each pattern in turn was half of a warm run's walk. The lines a regex
    gets wrong or cannot bound go to ``wildmatch`` instead (``_needs_wildmatch``)."""

    def __init__(self, lines: list[str]) -> None:
        # In file order, each pattern with its verdict: the last one that matches decides.
        self.ordered: list[tuple[bool, Callable[[str], bool]]] = []
        self.wild: list[WildPattern] = []
        regex_parts: list[str] = []
        for line in lines:
            if _needs_wildmatch(line):
                wild = parse(line)
                if wild is not None:
                    self.ordered.append((wild.include, wild.matches))
                    self.wild += [wild] if wild.include else []
                continue
            pattern = _regex_pattern(line)
            if pattern is None or pattern.include is None or pattern.regex is None:
                continue
            self.ordered.append((pattern.include, _searcher(pattern.regex)))
            if pattern.include:
                # Named groups repeat across patterns; they carry nothing matching needs.
                regex_parts.append(_NAMED_GROUP.sub("(?:", pattern.regex.pattern))
        self.negated = any(not include for include, _ in self.ordered)
        joined = "|".join(f"(?:{part})" for part in regex_parts)
        self.combined: re.Pattern[str] | None = re.compile(joined) if joined and not self.negated else None
        self.empty = not self.ordered

    def matches(self, rel: str) -> bool:
        if self.empty:
            return False
        if not self.negated:
            if self.combined is not None and self.combined.search(rel) is not None:  # as pathspec: unanchored
                return True
            return any(wild.matches(rel) for wild in self.wild)
        verdict = False
        for include, matcher in self.ordered:
            if matcher(rel):
                verdict = include
        return verdict


def _needs_wildmatch(line: str) -> bool:
    # Many stars backtrack without bound in a regex. pathspec's regex can also differ from git, or not
    # compile: escapes, a closing `**/` (`a/**/` matches the file `a/x`), and character classes other
    # than plain ones (a reversed range `[c-a]`, `[[:digit:]]`, `]` first, an unclosed `[`, a negated `[!_]`:
    # its regex `[^_]` matches the `/` between folders, which no class matches in git). Such lines
    # are few; wildmatch answers them as git does (tests/test_wildmatch.py). Plain classes such as
    # `*.py[cod]`, in most Python projects' .gitignore, stay with the one combined regex: wildmatch costs
    # a Python call per path.
    return (star_count(line) > MAX_REGEX_STARS or "\\" in line or line.rstrip().endswith("**/")
            or ("[" in line and not _plain_classes(line)))


_PLAIN_CLASS = re.compile(r"\[(?![!^])([^\[\]:]+)\]")
_RANGE = re.compile(r"(.)-(.)")


def _plain_classes(line: str) -> bool:
    """Every `[` opens a class (not negated) of plain characters and increasing ranges, closed by a `]`."""
    classes = _PLAIN_CLASS.findall(line)
    return len(classes) == line.count("[") == line.count("]") and all(
        low <= high for members in classes for low, high in _RANGE.findall(members))


def _searcher(regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda rel: regex.search(rel) is not None


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _regex_pattern(line: str) -> RegexPattern | None:
    """pathspec's reading of one line; None for a line it rejects (`!`, a trailing backslash)."""
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return None
    pattern = spec.patterns[0] if spec.patterns else None
    return pattern if isinstance(pattern, RegexPattern) else None


def _gitignore(directory: str) -> _IgnoreFile | None:
    try:
        text = read_text(os.path.join(directory, ".gitignore"))
    except OSError:  # unreadable, a FIFO, a device, too large: no patterns rather than a hang
        return None
    return _IgnoreFile(text.splitlines())


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
    """The file's bytes and kind, or None when it is not ours. A file that is not read on purpose (a
    FIFO or device, a link out of the tree) comes back with its ``problem``. Raises OSError when it
    cannot be read: that is not a verdict on the file, and must not be cached as one."""
    display = candidate.display
    if candidate.unlisted:
        raise OSError(candidate.unlisted)  # not a verdict on what the folder holds: never cached
    kind = classify_by_name(posixpath.basename(display))
    if kind is FileKind.SKIP:
        return None
    if candidate.outside:
        return SourceFile(candidate.abspath, display, kind_by_name(display), b"", problem=OUTSIDE_LINK)
    try:
        data = strip_bom(read_regular(candidate.abspath))
    except NotRegularFile as exc:
        return SourceFile(candidate.abspath, display, kind_by_name(display), b"",
                          problem=f"not a regular file but {exc.kind}; not read")
    except FileTooLarge:
        kind = classify(display, strip_bom(read_head(candidate.abspath, 64 * 1024)))
        if kind in (FileKind.SKIP, FileKind.PYTHON_OTHER, FileKind.COMPOSE_CHAIN):
            return None  # a big script or .env holds no compose chain worth a TPR001
        return SourceFile(candidate.abspath, display, kind, b"", too_large=True)
    if kind is CONTENT_DECIDES:
        kind = classify(display, data)
        if kind is FileKind.PYTHON_OTHER and candidate.explicit:
            kind = FileKind.PYTHON  # `tprlint settings.py`: the user asked about this file
        if kind is FileKind.SKIP:
            return None
    return SourceFile(candidate.abspath, display, kind, data)


def kind_by_name(display: str) -> FileKind:
    """A kind for a file that was not read, so that its TPR001 is reported with the right family."""
    name = posixpath.basename(display).lower()
    if name.endswith(".py"):
        return FileKind.PYTHON
    if name.endswith((".yaml", ".yml")):
        return FileKind.KUBERNETES
    return classify_by_name(name) or FileKind.SKIP
