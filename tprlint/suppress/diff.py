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

from tprlint.discover.read import read_regular
from tprlint.model import Finding, Location

TIMEOUT_SECONDS = 60
# A finding spanning more lines than this (TPR250 on a workflow class) gates on its first line only: an
# edit anywhere in a class did not bring a project-level finding. A call spanning a few lines counts whole.
_WHOLE_SPAN_LINES = 6
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT = ("git", "-c", "core.quotePath=true", "-c", "core.fsmonitor=false", "-c", "diff.external=")


class DiffError(Exception):
    """The change cannot be computed (not a git repository, an unknown ref): exit code 2."""


def changed_lines(base_ref: str, cwd: Path) -> dict[str, set[int]]:
    """Lines changed since ``base_ref``, per file, as paths relative to ``cwd``."""
    if base_ref.startswith("-"):
        raise DiffError(f"--diff-base {base_ref!r} is not a git revision")
    root = Path(os.fsdecode(_git(["rev-parse", "--show-toplevel"], cwd).strip()))
    _git(["rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}"], cwd,
         what=f"--diff-base {base_ref!r} is not a commit in this repository")
    base = _git(["merge-base", base_ref, "HEAD"], cwd, what=f"no common history with {base_ref!r}").strip().decode()
    # The prefixes are given: a user's diff.mnemonicPrefix or diff.noprefix would change the headers.
    patch = _git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "--find-renames",
                  "--src-prefix=a/", "--dst-prefix=b/", base, "--"], root)
    removals: list[tuple[set[int], list[int]]] = []
    changed = parse_patch(patch, removals)
    _removed_from_yaml(root, changed, removals)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    for name in filter(None, untracked.split(b"\0")):
        changed[os.fsdecode(name)] = {0}  # 0: every line (a file the base does not have)
    here = cwd.resolve()
    return {os.path.relpath(root / name, here).replace(os.sep, "/"): lines for name, lines in changed.items()}


def _removed_from_yaml(root: Path, changed: dict[str, set[int]], removals: list[tuple[set[int], list[int]]]) -> None:
    """Lines removed from a YAML mapping changed the keys that held them: a pull request that deletes
    `terminationGracePeriodSeconds` changed the pod `spec:` (where TPR401 and TPR601 then point) and the
    keys above it. Each removal marks the keys it sat under, read from the file as it is now."""
    by_lines = {id(lines): name for name, lines in changed.items()}
    for lines, (after, indent) in removals:
        name = by_lines.get(id(lines), "")
        if not name.lower().endswith((".yaml", ".yml")) or indent >= 1 << 30:
            continue
        try:
            text = read_regular(str(root / name)).decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        for number in range(min(after, len(text)), 0, -1):
            line = text[number - 1]
            stripped = line.lstrip(" ")
            depth = len(line) - len(stripped)
            if stripped and not stripped.startswith("#") and depth < indent:
                lines.add(number)  # a key the removed lines were under
                indent = depth
                if depth == 0:
                    break


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
    if last - location.line > _WHOLE_SPAN_LINES:
        last = location.line  # a finding about a whole class or document: where it points, not its body
    return any(line in lines for line in range(location.line, last + 1))


def parse_patch(patch: bytes, removals: list[tuple[set[int], list[int]]] | None = None) -> dict[str, set[int]]:
    """The new-side line numbers of each file's hunks. Lines are split on LF alone, headers are read only
    between a ``diff --git`` line and the file's first hunk, and each hunk's lines are counted out, so
    no added content (a line reading ``+++ /dev/null``) can pass for a header."""
    removals = [] if removals is None else removals  # (the file's lines, [after line, indentation]) per removal
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    in_header = False
    remaining_old = remaining_new = 0
    removal: list[int] | None = None  # [line the removed lines followed, their least indentation]
    for line in patch.split(b"\n"):
        if remaining_old > 0 or remaining_new > 0:  # a line of the current hunk: content, whatever it says
            if line.startswith(b"-"):
                remaining_old -= 1
                text = line[1:]
                if removal is not None and text.strip():
                    removal[1] = min(removal[1], len(text) - len(text.lstrip(b" ")))
            elif line.startswith(b"+"):
                remaining_new -= 1
            elif line.startswith(b"\\"):  # "\ No newline at end of file"
                pass
            else:
                remaining_old, remaining_new = remaining_old - 1, remaining_new - 1
            continue
        if line.startswith(b"diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith(b"+++ "):
            name = line[4:]
            if name == b"/dev/null":
                current = None  # a deleted file has no lines to gate
                continue
            name = _unquote(name.rstrip(b"\t"))  # git ends a name holding a space with a tab
            current = changed.setdefault(os.fsdecode(name[2:] if name.startswith(b"b/") else name), set())
        elif line.startswith(b"@@"):
            in_header = False
            match = _HUNK.match(line.decode("ascii", "replace"))
            if match is None or current is None:
                continue
            old_count = int(match.group(1) or "1")
            start, count = int(match.group(2)), int(match.group(3) or "1")
            remaining_old, remaining_new = old_count, count
            if count:
                current.update(range(start, start + count))
                removal = None
            else:  # lines removed after line `start`: the lines on either side are what changed
                current.update((start, start + 1))
                removal = [start, 1 << 30]
                removals.append((current, removal))
    return changed


_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13,
            ord('"'): ord('"'), ord("\\"): ord("\\")}


def _unquote(name: bytes) -> bytes:
    """git writes a name with a quote, a backslash, a control or (core.quotePath) a non-ASCII byte as a C
    string with octal escapes: undone byte by byte."""
    if not (len(name) >= 2 and name.startswith(b'"') and name.endswith(b'"')):
        return name
    raw, out, index = name[1:-1], bytearray(), 0
    while index < len(raw):
        byte = raw[index]
        if byte == ord("\\") and index + 1 < len(raw):
            nxt = raw[index + 1]
            digits = raw[index + 1:index + 4]
            if len(digits) == 3 and all(ord("0") <= d <= ord("7") for d in digits):
                out.append(int(digits, 8) & 0xFF)
                index += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            index += 2
            continue
        out.append(byte)
        index += 1
    return bytes(out)


def _git(args: list[str], cwd: Path, what: str = "") -> bytes:
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
    return result.stdout
