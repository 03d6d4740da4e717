"""The project a path belongs to: what `tprlint PATH` analyses, so that PATH is judged with everything
it depends on (its SIGTERM handler in a sibling module, the manifests that run it in `deploy/`), while
only PATH's findings are reported.

The project is the folder of the configuration file; else the nearest folder, from PATH up, that holds
a project's marker (a repository root or a Python or Go project file: a sample with its own
`pyproject.toml` inside a larger repository is a project of its own); else PATH itself. The search
never reaches the home folder or above: a home folder kept in git is not a project.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg", "go.mod")


def project_root(path: Path, config_root: Path | None = None) -> Path:
    """The folder whose files give ``path`` its context (``path`` itself when nothing says more)."""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    if config_root is not None and _within(folder, config_root.resolve()):
        return config_root.resolve()
    stop = _home()
    for candidate in (folder, *folder.parents):
        if stop is not None and _within(stop, candidate):  # the home folder or above it
            break
        if any(os.path.lexists(candidate / marker) for marker in PROJECT_MARKERS):
            return candidate
    return path


def scan_roots(paths: Iterable[Path], config_root: Path | None = None) -> list[Path]:
    """What to walk for ``paths``: the files named (first, so that they stay explicit), then each
    path's project, none inside another."""
    resolved = [p.resolve() for p in paths]
    projects: list[Path] = []
    for path in resolved:
        root = project_root(path, config_root)
        if not any(_within(root, kept) for kept in projects):
            projects = [kept for kept in projects if not _within(kept, root)] + [root]
    return [p for p in resolved if p.is_file()] + projects


def reported(path: str, requested: Iterable[str]) -> bool:
    """Whether a finding at ``path`` (absolute, real) belongs to one of the ``requested`` paths (absolute, real)."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in requested)


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _home() -> Path | None:
    home = os.environ.get("HOME")
    return Path(home).resolve() if home and home != os.sep else None
