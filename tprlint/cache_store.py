"""Where the cache lives and how its files are read and written.

The cache is kept outside the scanned tree by default - a folder committed into a repository is
foreign input - in ``--cache-dir``, else ``$TPRLINT_CACHE_DIR``, else the per-user cache folder
(``$XDG_CACHE_HOME/tprlint``, ``~/.cache/tprlint``, ``~/Library/Caches/tprlint`` on macOS), with one
sub-folder per project named by a hash of the project's absolute root.

tprlint only uses folders it can trust and only touches files it created:
- the base folder and the project folder must be real directories (not symlinks) of the current user;
  otherwise the run goes on without a cache and says so in one line on stderr;
- the project folder is created complete (with its ``CACHEDIR.TAG`` marker) by renaming a private
  temporary folder into place, and an existing one is used only if it carries that marker;
- files are written to a temporary file and renamed over tprlint's own file names in that folder;
- cache files are read only when they are regular files (opened non-blocking, so a FIFO cannot
  hang the run), up to a size bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

ENV_VAR = "TPRLINT_CACHE_DIR"
# The Cache Directory Tagging Specification's signature: backup tools skip folders that carry it.
MARKER = "CACHEDIR.TAG"
MARKER_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
               "# This file is a cache directory tag created by tprlint.\n"
               "# For information about cache directory tags see https://bford.info/cachedir/\n")
_GITIGNORE_TEXT = "# created by tprlint\n*\n"


class CacheRefused(Exception):
    """The cache folder cannot be trusted (or created): the run goes on without a cache."""


def default_base_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "tprlint"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry (a bare container)
        raise CacheRefused("no home directory for the default cache folder (set TPRLINT_CACHE_DIR)") from None
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "tprlint"
    return home / ".cache" / "tprlint"


def base_dir(option: Path | None) -> Path:
    """``--cache-dir`` wins over ``$TPRLINT_CACHE_DIR``, which wins over the per-user default."""
    if option is not None:
        return option
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    return default_base_dir()


def project_folder_name(root: Path) -> str:
    """One folder per project: a hash of its absolute root (no path text of the project in the name)."""
    absolute = os.path.abspath(root)
    return "project-" + hashlib.blake2b(os.fsencode(absolute), digest_size=10).hexdigest()


def open_project_dir(base: Path, root: Path) -> Path:
    """The project's cache folder under ``base``, created if needed; CacheRefused when untrusted."""
    base = Path(os.path.abspath(base))
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheRefused(f"cannot create {base}: {exc.strerror or exc}") from None
    _check_owned_dir(base)
    project = base / project_folder_name(root)
    if not _exists(project):
        _create_marked_dir(base, project)
    _check_owned_dir(project)
    if not _is_marker(project / MARKER):
        raise CacheRefused(f"{project} was not created by tprlint (no {MARKER})")
    return project


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CacheRefused(f"cannot inspect {path}: {exc.strerror or exc}") from None
    return True


def _check_owned_dir(path: Path) -> None:
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise CacheRefused(f"cannot inspect {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise CacheRefused(f"{path} is a symlink")
    if not stat.S_ISDIR(info.st_mode):
        raise CacheRefused(f"{path} is not a directory")
    getuid = getattr(os, "getuid", None)  # not on Windows, where folders have no owning uid
    if getuid is not None and info.st_uid != getuid():
        raise CacheRefused(f"{path} is owned by another user (uid {info.st_uid})")


def _create_marked_dir(base: Path, project: Path) -> None:
    """Build the folder privately, then rename it into place: it never exists without its marker,
    and of two runs racing to create it, one wins and the other uses the winner's."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=base))  # mode 0o700
    except OSError as exc:
        raise CacheRefused(f"cannot write in {base}: {exc.strerror or exc}") from None
    try:
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        # A cache folder placed inside a repository is never committed by accident.
        (staging / ".gitignore").write_text(_GITIGNORE_TEXT, encoding="utf-8")
        os.rename(staging, project)
    except OSError as exc:
        if not _exists(project):
            raise CacheRefused(f"cannot create {project}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # ours; gone already when the rename succeeded


def _is_marker(path: Path) -> bool:
    data = read_bounded(path, len(MARKER_TEXT))
    return data is not None and data.startswith(MARKER_TEXT.split("\n", 1)[0].encode())


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The file's bytes if it is a regular file of at most ``limit`` bytes, else None.

    Opened without following a symlink and without blocking (a FIFO or device in its place never
    hangs the run), then checked with fstat before anything is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more than allowed shows a file that grew past the bound
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(folder: Path, name: str, data: bytes) -> bool:
    """Write ``folder/name`` through a temporary file renamed over it; False if that failed."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)  # mode 0o600
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, folder / name)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def remove_own_file(folder: Path, name: str) -> None:
    """Delete one of tprlint's files in its marked folder (a regular file only: never follow anything)."""
    path = folder / name
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass
