"""Which Python modules that never mention Temporal still need parsing: those relevant modules import
(constants, helpers, factories, workflow helpers of helpers) and those that import Worker builders and
runners (the entry chain of a process). Following every import up or down would parse the whole
monorepo; this follows only chains that touch Temporal, for a bounded number of rounds."""

from __future__ import annotations

from collections.abc import Iterable

from tprlint.facts.extract import FileFacts
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.names import module_key_for, suffix_index
from tprlint.rules.context import is_test_path
from tprlint.scan import ScannedFile, Scanner

MAX_IMPORT_ROUNDS = 4


def imported_python(parsed: list[FileFacts], others: list[ScannedFile], scanner: Scanner) -> list[FileFacts]:
    """Facts of the other Python modules (``others``) that the parsed ones pull in."""
    pending = {module_key_for(s.display): s for s in others}
    suffixes = suffix_index(pending)
    added: list[FileFacts] = []
    # Modules reached because they import a module that builds or runs a Worker: the chain from a
    # process entrypoint down to the Worker goes through them, so they are followed in turn.
    upward: set[str] = set()
    workflow_helpers: set[str] = set()  # modules workflow code imports, directly or through helpers
    frontier = [f.python for f in parsed if f.python is not None and _follows(f.python, upward)]
    for _ in range(MAX_IMPORT_ROUNDS):
        if not frontier or not pending:
            break
        wanted: set[str] = set()
        for module in frontier:  # modules they import (constants, helpers, factories)...
            for imported in module.imports:
                keys = {k for k in _candidate_keys(imported.key, imported.names, suffixes) if k in pending}
                wanted |= keys
                if module.workflow_classes or module.key in workflow_helpers:
                    # Workflow code runs whatever its helpers call: follow helpers of helpers too.
                    workflow_helpers |= keys
        # ...and production modules that import Worker builders and runners: calls to project
        # factories and entry chains may sit in files that never mention temporalio.
        stems = _module_stems(m.key for m in frontier if m.workers or m.runs or m.key in upward)
        if stems:
            found = {key for key, source in pending.items()
                     if not stems.isdisjoint(source.import_words) and not is_test_path(source.display)}
            upward |= found
            wanted |= found
        new = scanner.extract([pending.pop(key) for key in sorted(wanted)])
        added += new
        frontier = [f.python for f in new if f.python is not None and _follows(f.python, upward | workflow_helpers)]
    return [f for f in added if f.error is None]  # a broken unrelated module is not ours to report


def _follows(module: PythonFacts, upward: set[str]) -> bool:
    """Whether a module's imports are worth parsing: it touches Temporal, signals or a Worker chain.
    Test modules are not production processes; plain scripts that never reach Temporal do not matter."""
    if is_test_path(module.path):
        return False
    touches = module.mentions_temporal or module.workers or module.runs or module.signal_handlers
    return bool(touches) or module.key in upward


def _module_stems(keys: Iterable[str]) -> frozenset[bytes]:
    """The last part of each module's name: what an import of it must mention."""
    return frozenset(key.rsplit("/", 1)[-1].encode() for key in keys) - {b"", b"__main__"}


def _candidate_keys(key: str, names: tuple[str, ...], suffixes: dict[str, list[str]]) -> list[str]:
    bases = [key] + [f"{key}/{n}" if key.startswith("path:") else f"{key}.{n}" for n in names]
    found: list[str] = []
    for base in bases:
        if base.startswith("path:"):
            found.append(base)
        else:
            found += suffixes.get(base[len("mod:"):].replace(".", "/"), [])
    return found
