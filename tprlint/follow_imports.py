"""The project's Python modules that never mention Temporal: parsed only when something needs them.

Five kinds of need, each counted apart (``--timings``):

- **importers**: a module that imports a module building or running a Worker may be the entry of a
  process (``main.py`` calling a factory). Which modules do is a byte scan of their import statements
  (``tprlint.discover.imports``); those found are parsed up front, and their importers in turn.
- **process**: a module of a Temporal process's import closure whose words say it may run a Worker,
  handle signals or serve HTTP: rules look for those in every module of a process, so it is parsed up
  front too.
- **credentials**: a module of those closures whose text may hold a credential (``credential_text``: a
  name like ``API_KEY`` bound to something, a PEM block, a URL with a password), since TPR302 judges
  every production module the Temporal code imports.
- **needed**: a module an analysis asks a name of - a constant or settings value a worker option or an
  activity timeout needs, a factory or base class (``follow_names``, up front), a function reached from
  workflow code, a helper an activity calls, a function a signal handler calls (``ModuleLoader.load``,
  when a rule asks). Only that module is parsed: its own imports wait until a name in them is asked for.
- the import closure of a process runs through the modules nobody needs a name of: their import
  statements, kept by the scan, tell what they import without parsing them (``import_statements``).

Parsing every module reachable from the Temporal ones instead (the design before) parsed four times as
many files as the Temporal ones on a real-shaped tree, for names nothing read. ``TPRLINT_FOLLOW_ALL=1``
still does, as the check that the demand-driven scan finds the same (``tests/test_follow.py``).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Iterable

from tprlint.discover.imports import UNREADABLE_STATEMENT, has_process_words, import_words, scan_imports
from tprlint.discover.read import read_regular, strip_bom
from tprlint.facts.extract import FileFacts
from tprlint.facts.python.credential_text import may_hold_a_credential
from tprlint.facts.python.facts import ImportedModule, PythonFacts
from tprlint.facts.python.import_statements import imports_of_statements
from tprlint.facts.python.names import module_key_for
from tprlint.records import frozen
from tprlint.rules.context import is_test_path
from tprlint.scan import ScannedFile, Scanner

# Rounds of importers of importers (an entry chain `cli` -> ... -> the Worker's module): each round parses
# only the modules found in it, so this bounds the work on a tree of long import chains, not the result
# on real ones.
MAX_ROUNDS = 16
_BROKEN: list[ImportedModule] = []  # what a module that does not parse imports, as far as anyone can tell
_DEFINITION = re.compile(rb"def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(")


@frozen
class ModuleTraits:
    """What following imports reads a module's text for, besides its import statements."""

    process: bool  # it may run a Worker, handle signals or serve HTTP (``has_process_words``)
    definitions: frozenset[bytes]  # the names of the functions and methods it defines
    credential: bool  # it may hold a credential (``credential_text.may_hold_a_credential``)


class ModuleLoader:
    """Facts of the modules the first pass did not parse, on demand (memoised), for every world of
    the run, through the scanner (the facts cache, and the workers while they run)."""

    def __init__(self, others: Iterable[ScannedFile], scanner: Scanner) -> None:
        self._scanner = scanner
        self._pending: dict[str, ScannedFile] = {module_key_for(s.display): s for s in others}
        self._loaded: dict[str, PythonFacts | None] = {}
        self._imports: dict[str, list[ImportedModule] | None] = {}
        self._import_words: dict[str, frozenset[bytes]] = {}
        self._traits: dict[str, ModuleTraits | None] = {}
        self._joined: tuple[list[str], list[int], bytes] | None = None  # every module's statements, joined
        self._unreadable: list[str] = []
        self._import_memos: dict[frozenset[str], dict[tuple[str, str], list[str]]] = {}
        self.facts: list[FileFacts] = []  # of the modules parsed on demand, error-free (suppressions)
        self.seconds = 0.0  # spent parsing on demand: the "follow" stage, not the rule that asked
        self.counts: Counter[str] = Counter()
        self.reached: set[str] = set()  # the modules of the Temporal code's import closures (``follow``)

    def load(self, key: str) -> PythonFacts | None:
        """The module's facts, parsed now if need be; None for a module not in the tree or broken."""
        if key in self._loaded:
            return self._loaded[key]
        if key not in self._pending:
            return None
        return self.load_many([key], "needed")[0]

    def load_many(self, keys: Iterable[str], why: str) -> list[PythonFacts | None]:
        """Facts of ``keys`` (parsed now, in the workers when there are many), counted under ``why``."""
        keys = list(keys)
        wanted = [k for k in dict.fromkeys(keys) if k in self._pending and k not in self._loaded]
        if wanted:
            start, parsed = time.perf_counter(), self._scanner.parsed
            for facts in self._scanner.extract([self._pending[k] for k in wanted]):
                key = module_key_for(facts.path)
                # A broken unrelated module is not ours to report: it simply gives no names.
                ok = facts.error is None and facts.python is not None
                self._loaded[key] = facts.python if ok else None
                if ok:
                    self.facts.append(facts)
            self.counts[why] += self._scanner.parsed - parsed  # not those the cache answered
            self.seconds += time.perf_counter() - start
        return [self._loaded.get(k) for k in keys]

    def importers(self, stems: frozenset[bytes], skip: set[str]) -> list[str]:
        """Production modules not parsed up front whose import statements mention one of ``stems``, but
        those in ``skip``. (A module parsed since - to resolve its imports, or for a name - is still one:
        a candidate turned down in one round may import what the next round looks for.)"""
        return sorted(key for key in self._mentioning(stems) if key not in skip
                      and not stems.isdisjoint(self._words(key, self._pending[key]))
                      and not is_test_path(self._pending[key].display))

    def _mentioning(self, stems: frozenset[bytes]) -> list[str]:
        """The modules whose statements hold the bytes of one of ``stems`` (a superset of holding it as a
        word), and those with a statement that was not kept (``UNREADABLE_STATEMENT``), which ``_words``
        looks for in the file itself. One search over all the statements joined, not one per module."""
        if not stems:
            return []  # no module can import one of no modules
        if self._joined is None:
            keys = list(self._pending)
            parts = [self._pending[k].import_statements for k in keys]
            starts = list(itertools.accumulate((len(p) + 1 for p in parts[:-1]), initial=0))
            # A separator no stem holds: a match never runs from one module's statements into the next.
            self._joined = (keys, starts, b"\n".join(parts))
            self._unreadable = [k for k, p in zip(keys, parts, strict=True) if UNREADABLE_STATEMENT in p]
        keys, starts, joined = self._joined
        search = re.compile(b"|".join(re.escape(stem) for stem in sorted(stems))).search
        found = dict.fromkeys(self._unreadable)
        match = search(joined)
        while match is not None:
            index = bisect.bisect_right(starts, match.start()) - 1
            found[keys[index]] = None
            match = search(joined, starts[index + 1]) if index + 1 < len(starts) else None
        return list(found)

    def loaded(self, keys: Iterable[str]) -> list[PythonFacts]:
        """The facts of those of ``keys`` parsed so far (and not broken)."""
        return [m for k in keys if (m := self._loaded.get(k)) is not None]

    def _words(self, key: str, source: ScannedFile) -> frozenset[bytes]:
        """The words of the module's import statements. When some could not be kept (a statement that
        may sit in a string), the file is read again for them: a superset is what the search for
        importers needs, and nothing but module names is kept in the cache."""
        words = self._import_words.get(key)
        if words is None:
            statements = source.import_statements
            if UNREADABLE_STATEMENT in statements:
                with contextlib.suppress(OSError):  # unreadable now: the words kept are all there is
                    statements = scan_imports(strip_bom(read_regular(source.abspath)))
            words = self._import_words[key] = import_words(statements)
        return words

    def import_memo(self, known: frozenset[str]) -> dict[tuple[str, str], list[str]]:
        """Where the projects of this run over the modules ``known`` keep which modules an import in a
        file may load (by the file's path and the import's key)."""
        return self._import_memos.setdefault(known, {})

    def path_of(self, key: str) -> str | None:
        source = self._pending.get(key)
        return source.display if source is not None else None

    def imports_of(self, key: str) -> list[ImportedModule] | None:
        """What an unparsed module imports, from its import statements; parsed in full when they are
        not plain import statements. None when the module is not one of these."""
        if key in self._loaded:
            loaded = self._loaded[key]
            return loaded.imports if loaded is not None else _BROKEN  # one list: projects memoise by it
        if key in self._imports:
            return self._imports[key]
        source = self._pending.get(key)
        if source is None:
            return None
        found = imports_of_statements(source.display, source.import_statements)
        if found is None:
            module = self.load_many([key], "statements")[0]
            found = module.imports if module is not None else []
        self._imports[key] = found
        return found

    def may_matter_to_a_process(self, key: str) -> bool:
        """Whether the module may run a Worker, handle signals or serve HTTP (``discover.imports``).
        Asked of the modules the Temporal code's processes import only, so the file is read again
        here rather than searched for these words by the first pass, for every module of the tree."""
        if key not in self._pending:
            return False
        traits = self._module_traits(key)
        # A module that cannot be read now: parsing it reports nothing, and says nothing is known.
        return traits is None or traits.process

    def may_hold_a_credential(self, key: str) -> bool:
        """Whether the module's text may hold a credential (``credential_text``): TPR302 judges
        every production module of the Temporal code's import closures, so such a module is parsed."""
        if key not in self._pending or is_test_path(self._pending[key].display):
            return False
        traits = self._module_traits(key)
        return traits is not None and traits.credential

    def defining(self, keys: Iterable[str], name: str) -> list[PythonFacts]:
        """Those of ``keys`` whose text defines a function or method ``name``, parsed: a method called
        on an object tprlint cannot type may be theirs (an activity's ``tracker.tick()``). Each file is
        read once for all the names it defines, however many names are asked for."""
        wanted = [key for key in sorted(keys) if name.encode() in self._defined(key)]
        return [m for m in self.load_many(wanted, "needed") if m is not None]

    def _defined(self, key: str) -> frozenset[bytes]:
        traits = self._module_traits(key)
        return traits.definitions if traits is not None else frozenset()

    def _module_traits(self, key: str) -> ModuleTraits | None:
        """What the module's text says (read once for both questions, and kept in the cache by its
        content: an edited run does not read the modules of every process again). None when it is not
        one of these modules, or cannot be read now."""
        if key in self._traits:
            return self._traits[key]
        source = self._pending.get(key)
        traits = self._scanner.recall("traits", source, ModuleTraits) if source is not None else None
        if traits is None and source is not None:
            try:
                data = strip_bom(read_regular(source.abspath))
            except OSError:
                data = None
            if data is not None:
                traits = ModuleTraits(has_process_words(data, self._words(key, source)),
                                      frozenset(_DEFINITION.findall(data)),
                                      may_hold_a_credential(data))
                self._scanner.keep("traits", source, traits)
        self._traits[key] = traits
        return traits


def follow(parsed: list[FileFacts], loader: ModuleLoader, python_keys: Iterable[str],
           parse_all: bool = False) -> list[FileFacts]:
    """Facts of the modules parsed up front besides the Temporal ones, in rounds until none is added:

    - **importers**: modules that import a module building or running a Worker, and their importers in
      turn - the entry chains of processes (test modules are no production process);
    - **process**: the modules of the import closures of all these that may run a Worker, handle signals
      or serve a health route (``discover.imports.has_process_words``), since rules look for those in
      every module of a process. With ``parse_all``, every module of those closures."""
    from tprlint.follow_names import needed_modules
    from tprlint.link.python_project import PythonProject

    added: list[FileFacts] = []
    known = [f.python for f in parsed if f.python is not None and not is_test_path(f.python.path)]
    project = PythonProject(known, python_keys, loader=loader)
    frontier, found, upward, reached = known, list[str](), set[str](), loader.reached
    for _ in range(MAX_ROUNDS):
        # Importers of the modules that build or run a Worker, and of those importers in turn: the
        # chain from a process's entry module down to the Worker (`cli` -> `bootstrap` -> `worker`).
        targets = {m.key for m in frontier if project.may_build_or_run_workers(m)} | set(found)
        stems = _module_stems(targets)
        # The word search is a cheap superset (`from openai import ...` mentions the project's own
        # `models/openai.py`); a candidate is an importer only when its statements resolve to a target,
        # as the linker resolves them (on two public libraries of 600 and 700 modules, 304 and 228
        # modules were parsed as importers by their words alone, 205 and 200 by resolution).
        found = [key for key in (loader.importers(stems, upward) if stems else [])
                 if not targets.isdisjoint(project.imported_project_modules(key))]
        loader.load_many(found, "importers")
        upward.update(found)
        roots = frontier + [m for m in loader.loaded(found) if not is_test_path(m.path)]
        new_reach = project.reachable(root.key for root in roots) - reached
        reached |= new_reach
        wanted = sorted(k for k in new_reach if k not in project.modules
                        and (parse_all or loader.may_matter_to_a_process(k)))
        loader.load_many(wanted, "process")
        # Modules that may bind a credential, for TPR302 (a key in the `config.py` the worker imports).
        credentials = [k for k in sorted(new_reach - set(wanted)) if k not in project.modules
                       and loader.may_hold_a_credential(k)]
        loader.load_many(credentials, "credentials")
        frontier = [m for m in loader.loaded(found + wanted + credentials) if not is_test_path(m.path)
                    and m.key not in project.modules]
        if not frontier and not found:
            break
        known += frontier
        project.modules.update((m.key, m) for m in frontier)
        new = {id(m) for m in frontier}
        added += [f for f in loader.facts if id(f.python) in new]
    # The modules all these take names from: constants, settings objects, factories, base classes.
    needed = {id(m) for m in needed_modules(project, known, lambda keys: loader.load_many(keys, "needed"))}
    return added + [f for f in loader.facts if id(f.python) in needed]


def _module_stems(keys: Iterable[str]) -> frozenset[bytes]:
    """The last part of each module's name: what an import of it must mention."""
    # A name that is not UTF-8 (`\x80.py`) keeps its bytes: no import statement can spell it anyway.
    # A top-level module's key (`path:worker`) has no folder: its stem is what follows the prefix.
    stems = (key.rsplit("/", 1)[-1].removeprefix("path:") for key in keys)
    return frozenset(stem.encode("utf-8", "surrogateescape") for stem in stems) - {b"", b"__main__"}
