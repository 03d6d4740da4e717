"""Diff-aware gating (``--diff-base REF``): only findings on lines a change touched fail the run.

The lines are those ``git diff`` shows between the merge base of REF and HEAD and the working tree
(what a pull request changes, plus anything not committed yet), and every line of an untracked file. A
finding touches the change when any of its locations does: a cross-artifact finding (TPR601: the
Deployment's grace period against the worker's drain) gates when a pull request changes either side.

git runs in the user's checkout, never as part of the scanned content: no external diff driver, no
textconv filter (a ``.gitattributes`` in the tree could name one), no pager, no prompt, a time limit
and a bound on what it may print.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tprlint.model import Finding, Location

TIMEOUT_SECONDS = 60
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_GIT = ("git", "-c", "core.quotePath=false", "-c", "core.fsmonitor=false", "-c", "diff.external=")


class DiffError(Exception):
    """The change cannot be computed (not a git repository, an unknown ref): exit code 2."""


def changed_lines(base_ref: str, cwd: Path) -> dict[str, set[int]]:
    """Lines changed since ``base_ref``, per file, as paths relative to ``cwd``."""
    if base_ref.startswith("-"):
        raise DiffError(f"--diff-base {base_ref!r} is not a git revision")
    root = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    base = _git(["merge-base", base_ref, "HEAD"], cwd, what=f"no common history with {base_ref!r}").strip()
    patch = _git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "--find-renames",
                  base, "--"], root)
    changed = _parse(patch)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    for name in filter(None, untracked.split("\0")):
        changed[name] = {0}  # 0: every line (a file the base does not have)
    here = cwd.resolve()
    return {os.path.relpath(root / name, here).replace(os.sep, "/"): lines for name, lines in changed.items()}


def touches(finding: Finding, changed: dict[str, set[int]]) -> bool:
    """Whether any location of ``finding`` is on a changed line (or in a new file)."""
    locations = [finding.location, *(related.location for related in finding.related)]
    return any(_touched(location, changed) for location in locations)


def _touched(location: Location, changed: dict[str, set[int]]) -> bool:
    lines = changed.get(os.path.normpath(location.path).replace(os.sep, "/"))
    if not lines:
        return False
    if 0 in lines:
        return True
    last = max(location.line, location.end_line or location.line)
    return any(line in lines for line in range(location.line, last + 1))


def _parse(patch: str) -> dict[str, set[int]]:
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in patch.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            if name == "/dev/null":
                current = None  # a deleted file has no lines to gate
                continue
            name = _unquote(name)
            current = changed.setdefault(name[2:] if name.startswith("b/") else name, set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match is None:
                continue
            start, count = int(match.group(1)), int(match.group(2) or "1")
            if count:
                current.update(range(start, start + count))
            else:  # lines removed after line `start`: the lines on either side are what changed
                current.update((start, start + 1))
    return changed


def _unquote(name: str) -> str:
    """git writes a name with a quote, a backslash or a control character as a C string."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")
    return raw.decode("utf-8", "surrogateescape")


def _git(args: list[str], cwd: Path, what: str = "") -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run([*_GIT, *args], cwd=cwd, capture_output=True, timeout=TIMEOUT_SECONDS, env=env,
                                check=False)
    except FileNotFoundError:
        raise DiffError("--diff-base needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"git {args[0]} took more than {TIMEOUT_SECONDS} s") from None
    if len(result.stdout) > MAX_OUTPUT_BYTES:
        raise DiffError(f"the change is larger than {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB of diff")
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(what or f"git {args[0]}: {message[-1] if message else 'failed'}")
    return result.stdout.decode("utf-8", "surrogateescape")
