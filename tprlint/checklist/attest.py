"""``[tool.tprlint.attest]``: evidence a person points at for the items only a person can confirm.

``"ops.runbooks" = "docs/runbooks/"`` attests the item when that path is inside the project, exists and
holds something: a regular file that is not empty, or a folder with at least one such file (looked for
a bounded number of entries deep). The path is checked, never read, and a symbolic link that leads out
of the project attests nothing: the configuration comes with the pull request it judges.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tprlint.records import frozen

_MAX_ENTRIES = 10_000  # looked at in a folder before giving up: a folder that large is not empty anyway


@frozen
class Attestation:
    item_id: str
    paths: tuple[str, ...]  # as configured, relative to the configuration file's folder
    ok: bool
    reason: str  # the evidence that holds ("docs/runbooks/ (3 files)"), or why none does


def check_attestations(attest: tuple[tuple[str, tuple[str, ...]], ...], root: Path) -> dict[str, Attestation]:
    return {item_id: check(item_id, paths, root) for item_id, paths in attest}


def check(item_id: str, paths: tuple[str, ...], root: Path) -> Attestation:
    """Attested when any of the paths holds evidence."""
    reasons = []
    for shown in paths:
        ok, reason = _evidence(shown, root)
        if ok:
            return Attestation(item_id, paths, True, reason)
        reasons.append(reason)
    return Attestation(item_id, paths, False, "; ".join(reasons))


def _evidence(shown: str, root: Path) -> tuple[bool, str]:
    if "\0" in shown:
        return False, "the configured path holds a NUL character"
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, shown))
    if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
        return False, f"{shown} is outside the project"
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False, f"{shown} does not exist"
    if stat.S_ISREG(mode):
        return (True, shown) if os.path.getsize(target) > 0 else (False, f"{shown} is empty")
    if not stat.S_ISDIR(mode):
        return False, f"{shown} is not a file or folder"
    found = _files_in(target, base)
    if found:
        return True, f"{shown} ({found}{'+' if found >= _MAX_ENTRIES else ''} file{'s' if found != 1 else ''})"
    return False, f"{shown} holds no file with content"


def _files_in(folder: str, base: str) -> int:
    """Non-empty regular files under ``folder``, not following links out of ``base``; bounded."""
    found = seen = 0
    stack = [folder]
    while stack and seen < _MAX_ENTRIES:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                real = os.path.realpath(entry.path)
                if not real.startswith(base.rstrip(os.sep) + os.sep):
                    continue
                if entry.is_dir():
                    stack.append(real)
                elif entry.is_file() and entry.stat().st_size > 0:
                    found += 1
            except OSError:
                continue
    return found
