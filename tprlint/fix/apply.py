"""``--fix`` and ``--diff``: compute the fixes of a run's findings per file, show them or write them.

Files are read only inside the scanned tree: a finding's path (relative to the working directory) must be
a regular file, not a symlink, whose real path lies under one of the requested paths. Writes replace the
file atomically and keep its mode.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import field
from importlib import import_module

from tprlint.discover.read import inside, read_regular
from tprlint.fix.edits import Fix, apply, merge
from tprlint.fix.fixable import SAFE_RULES, UNSAFE_RULES, is_safe_fix
from tprlint.model import Finding
from tprlint.records import mutable
from tprlint.result_cache import RunResult

_BOM = "\ufeff"
# rule id -> (module, function); modules are imported only when a finding of theirs is fixed.
_FIXERS = {
    "TPR210": ("tprlint.fix.python_fixes", "fix_nondeterministic_call"),
    "TPR101": ("tprlint.fix.python_fixes", "fix_worker_shutdown"),
    "TPR601": ("tprlint.fix.yaml_fixes", "fix_grace_period"),
    "TPR602": ("tprlint.fix.yaml_fixes", "fix_stop_grace_period"),
}


@mutable
class FileChange:
    path: str  # as the findings name it, relative to the working directory
    real: str
    before: str
    after: str
    fixed: list[Finding] = field(default_factory=list)


def plan_fixes(findings: list[Finding], roots: tuple[str, ...], unsafe: bool = False) -> list[FileChange]:
    """The changes the fixes of ``findings`` make, per file (files without a change left out)."""
    rules = SAFE_RULES | (UNSAFE_RULES if unsafe else frozenset())
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rule_id in rules and not finding.is_suppressed and (unsafe or is_safe_fix(finding)):
            by_file.setdefault(finding.location.path, []).append(finding)
    changes: dict[str, FileChange] = {}
    for path, found in sorted(by_file.items()):
        real = safe_path(path, roots)
        if real is None or real in changes:
            continue  # outside the tree, not a regular file, or the same file seen through another name
        text = _read(real)
        if text is None:
            continue
        change = _fix_file(path, real, text, sorted(found, key=Finding.sort_key))
        if change is not None:
            changes[real] = change
    return list(changes.values())


def safe_path(path: str, roots: tuple[str, ...]) -> str | None:
    """The real path of ``path`` when it may be read and written: a regular file (no symlink at the end)
    whose real path is inside one of ``roots`` (resolved)."""
    full = os.path.abspath(path)
    if os.path.islink(full) or not os.path.isfile(full):
        return None
    real = os.path.realpath(full)
    return real if any(inside(real, root) for root in roots) else None


def _read(real: str) -> str | None:
    try:
        data = read_regular(real)
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _fix_file(path: str, real: str, text: str, findings: list[Finding]) -> FileChange | None:
    body = text[1:] if text.startswith(_BOM) else text  # locations count from after a byte-order mark
    proposed: list[tuple[Finding, Fix]] = []
    for finding in findings:
        module, name = _FIXERS[finding.rule_id]
        fixer: Callable[[Finding, str], Fix | None] = getattr(import_module(module), name)
        fix = fixer(finding, body)
        if fix is not None:
            proposed.append((finding, fix))
    if not proposed:
        return None
    edits, taken = merge([fix for _, fix in proposed])
    accepted = [pair for pair, ok in zip(proposed, taken, strict=True) if ok]
    after = apply(body, edits)
    imports = [line for _, fix in accepted for line in fix.imports]
    unused = [name for _, fix in accepted for name in fix.unused]
    if imports or unused:
        from tprlint.fix.python_fixes import settle_imports

        settled = settle_imports(after, imports, unused)
        if settled is None:
            return None  # the result would not parse: fix nothing in this file
        after = settled
    if after == body:
        return None
    prefix = _BOM if text.startswith(_BOM) else ""
    return FileChange(path, real, text, prefix + after, [finding for finding, _ in accepted])


def render_diff(changes: list[FileChange]) -> str:
    """A unified diff of the changes (``a/PATH`` ``b/PATH``). Credential values on shown lines are masked
    and control characters escaped: the diff is printed, and the tree it comes from is not trusted."""
    from tprlint.report.text import no_command_lines, printable
    from tprlint.secrets import mask_lines

    out: list[str] = []
    for change in changes:
        before, after = _shown(change.before, mask_lines), _shown(change.after, mask_lines)
        name = printable(change.path.replace(os.sep, "/"))
        for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"):
            if line.endswith("\n"):
                out.append(line)
            else:
                out.append(f"{line}\n\\ No newline at end of file\n")
    # A context line is the file's text after one blank, and a CI runner trims blanks before it looks for
    # a workflow command: a '::' there is written as '\x3a:' (such a hunk no longer applies: said, not hidden).
    return no_command_lines("".join(out), "\\x3a")


def _shown(text: str, mask: Callable[[list[str], int, int], list[str]]) -> list[str]:
    from tprlint.report.text import printable

    lines = text.splitlines()
    masked = mask(lines, 1, len(lines)) if lines else []
    ends = text.splitlines(keepends=True)
    return [printable(shown) + ("\n" if raw.endswith(("\n", "\r")) else "")
            for shown, raw in zip(masked, ends, strict=True)]


def write_changes(changes: list[FileChange]) -> list[FileChange]:
    """Write each change (atomically, keeping the mode) unless its file changed since it was read; the
    changes written."""
    written = []
    for change in changes:
        if _read(change.real) != change.before:
            print(f"tprlint: {change.path} changed while fixing; left as it is", file=sys.stderr)
            continue
        mode = os.stat(change.real).st_mode & 0o7777
        folder, name = os.path.split(change.real)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tprlint-fix", dir=folder)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(change.after.encode("utf-8"))
            os.chmod(temporary, mode)
            os.replace(temporary, change.real)
        except OSError as exc:
            os.unlink(temporary)
            print(f"tprlint: cannot write {change.path}: {exc.strerror}", file=sys.stderr)
            continue
        written.append(change)
    return written


def fix_command(result: RunResult, roots: tuple[str, ...], write: bool, unsafe: bool,
                rerun: Callable[[], RunResult]) -> tuple[RunResult, int | None]:
    """``--diff`` (``write`` False): print the diff; returns the exit code (1 when there is a diff).
    ``--fix``: write the fixes, lint again and return that run's result, to be reported as usual."""
    changes = plan_fixes(result.findings, roots, unsafe)
    count = sum(len(change.fixed) for change in changes)
    if not write:
        sys.stdout.write(render_diff(changes))
        print(f"Would fix {_plural(count, 'finding')}.", file=sys.stderr)
        return result, 1 if changes else 0
    written = write_changes(changes)
    fixed = sum(len(change.fixed) for change in written)
    if written:
        result = rerun()
    remaining = sum(1 for f in result.findings if not f.is_suppressed)
    print(f"Fixed {_plural(fixed, 'finding')} ({remaining} remaining).", file=sys.stderr)
    return result, None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
