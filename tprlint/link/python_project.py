"""The Python project as a whole: module lookup, import closures, cross-module values and the
Workers that are really constructed (through project factories and subclasses)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Protocol

from tprlint.facts.pyproject import ConsoleScript
from tprlint.facts.python.facts import (
    UNTRACED,
    WORKER_CLASSES,
    ImportedModule,
    PythonFacts,
    WorkerConstruction,
    WorkerRun,
)
from tprlint.facts.python.names import shared_suffix_index, split_qualname
from tprlint.facts.python.values import Attr, Expr, Missing, Ref, Unknown, fold
from tprlint.facts.python.workflows import WorkflowClass
from tprlint.model import Location
from tprlint.records import frozen


@frozen
class ResolvedWorker:
    """A Worker constructed in the project, with ``graceful_shutdown_timeout`` folded."""

    location: Location
    module: str  # module key of the construction site
    function: str
    graceful: Expr  # folded with environment defaults
    unresolved_splat: str
    graceful_expr: Expr = field(default_factory=Missing)  # before folding: see ``graceful_with``
    via: str = ""  # "make_worker() at app/factory.py:12" when built through a project wrapper
    via_location: Location | None = None
    # Keyword arguments tprlint could see, unfolded: the call site's, over the wrapper's.
    options: tuple[tuple[str, Expr], ...] = ()

    def option(self, name: str) -> Expr:
        return next((value for key, value in self.options if key == name), Missing())


@frozen
class Entrypoint:
    """Why a module runs as a process of its own."""

    reason: str  # "`if __name__ == \"__main__\"`", "console script `orders-worker` (pyproject.toml)", ...
    location: Location


class ModuleSource(Protocol):
    """Where modules not parsed up front come from (``tprlint.follow_imports.ModuleLoader``)."""

    reached: set[str]

    def load(self, key: str) -> PythonFacts | None: ...
    def imports_of(self, key: str) -> list[ImportedModule] | None: ...
    def path_of(self, key: str) -> str | None: ...
    def defining(self, keys: Iterable[str], name: str) -> list[PythonFacts]: ...
    def import_memo(self, known: frozenset[str]) -> dict[tuple[str, str], list[str]]: ...


_NO_IMPORTS: list[ImportedModule] = []  # a module tprlint cannot read: never added to


class PythonProject:
    def __init__(self, modules: Iterable[PythonFacts], other_keys: Iterable[str] = (),
                 console_scripts: Iterable[ConsoleScript] = (), loader: ModuleSource | None = None) -> None:
        """``modules``: those parsed up front, which rules look through. ``other_keys``: the tree's other
        modules, which take part in resolving imports (a name never resolves to a parsed module by
        mistake) and which ``loader`` parses when a name in one is asked for (``module``)."""
        self.modules: dict[str, PythonFacts] = {m.key: m for m in modules}
        self._loader = loader
        self.console_scripts = list(console_scripts)
        self._closures: dict[str, list[str]] = {}
        self._imported: dict[str, tuple[list[ImportedModule], set[str]]] = {}
        self._builders: dict[str, bool] = {}  # project callables by qualified name: do they build a Worker?
        self._known = set(self.modules) | set(other_keys)
        known = frozenset(self._known)
        self._by_suffix = shared_suffix_index(known)
        # Which modules an import in a given file may load is the same for every project of a run over the
        # same modules (the one following imports, each world's): worked out once, kept by the loader.
        self._importable: dict[tuple[str, str], list[str]] = loader.import_memo(known) if loader is not None else {}

    # -- modules -----------------------------------------------------------------------------

    def resolve_module(self, key: str) -> list[str]:
        """Project module keys a module key may denote (several when the tree is ambiguous)."""
        if key.startswith("path:"):
            return [key] if key in self._known else []
        return list(self._by_suffix.get(key[len("mod:"):].replace(".", "/"), ()))

    def module(self, key: str) -> PythonFacts | None:
        """The module's facts: parsed up front, or now, because a name in it is needed."""
        found = self.modules.get(key)
        if found is None and self._loader is not None:
            found = self._loader.load(key)
        return found

    def workflow_class(self, item: Expr, depth: int = 0) -> tuple[PythonFacts, WorkflowClass] | None:
        """The ``@workflow.defn`` class a ``workflows=[...]`` item names, following re-exports."""
        if not isinstance(item, Ref) or depth > 5:
            return None
        candidates = self.resolve_module(item.module)
        module = self.module(candidates[0]) if len(candidates) == 1 else None
        if module is None:
            return None
        for workflow in module.workflow_classes:
            if workflow.name == item.name:
                return module, workflow
        return self.workflow_class(module.constants.get(item.name, Missing()), depth + 1)

    @property
    def known_keys(self) -> set[str]:
        """Every Python module of the tree, parsed or not."""
        return self._known

    def defining(self, name: str) -> list[PythonFacts]:
        """The modules of the Temporal code's processes, not parsed up front, that define a function
        or method ``name`` - parsed now (see ``ModuleLoader.defining``)."""
        if self._loader is None:
            return []
        return self._loader.defining(self._loader.reached - self.modules.keys(), name)

    def imports_of(self, key: str) -> tuple[str, list[ImportedModule]] | None:
        """A module's path and imports; an unparsed module's from its import statements alone."""
        parsed = self.modules.get(key)
        if parsed is not None:
            return parsed.path, parsed.imports
        if self._loader is None:
            return None
        path, imports = self._loader.path_of(key), self._loader.imports_of(key)
        return (path, imports) if path is not None and imports is not None else None

    def imported_project_modules(self, module: PythonFacts | str) -> set[str]:
        """The project modules a module imports; an unparsed one (given by key) is not parsed for it."""
        key = module if isinstance(module, str) else module.key
        known = (module.path, module.imports) if isinstance(module, PythonFacts) else self.imports_of(key)
        path, imports = known if known is not None else ("", _NO_IMPORTS)
        # Kept with the list it was worked out from: a module read through its import statements may be
        # parsed since, and its parse may see an import the statements did not (`_ = 0; import x`).
        cached = self._imported.get(key)
        if cached is not None and cached[0] is imports:
            return cached[1]
        found: set[str] = set()
        for imported in imports:
            found.update(self.importable(path, imported.key))
            for name in imported.names:  # `from pkg import submodule`
                found.update(self.importable(path, _child_key(imported.key, name)))
        found.discard(key)
        self._imported[key] = (imports, found)
        return found

    def importable(self, importer: PythonFacts | str, key: str) -> list[str]:
        """The modules an import in ``importer`` may load. When a dotted name matches modules in
        several places (each service of a monorepo with its own ``app.py``), keep those whose import
        root is a folder containing the importer - Python puts the script's folder first on sys.path
        - so ``from app import create_app`` in ``services/api/main.py`` is not ``services/worker/app.py``.
        With no such candidate, all stay (unchanged). The list is shared (memoised): read it, never change it."""
        path = importer if isinstance(importer, str) else importer.path
        found = self._importable.get((path, key))
        if found is None:
            found = self._importable[(path, key)] = self._near(path, key)
        return found

    def _near(self, path: str, key: str) -> list[str]:
        candidates = self.resolve_module(key)
        if len(candidates) < 2:
            return candidates
        depth = key.count(".") + 1  # folders + file the dotted name itself spells
        folder = path.split("/")[:-1]
        near = []
        for candidate in candidates:
            # String splitting, not PurePosixPath: this runs for every import of every module.
            root = candidate[len("path:"):].split("/")[:-depth]
            if folder[: len(root)] == root:
                near.append(candidate)
        return near or candidates

    def closure(self, key: str) -> list[str]:
        """The module and every project module it imports, transitively (cycles are fine).
        Memoised: every workload rule asks for the closures of the same few entrypoints."""
        cached = self._closures.get(key)
        if cached is None:
            cached = self._closures[key] = self._compute_closure(key)
        return cached

    def reachable(self, keys: Iterable[str]) -> set[str]:
        """Every module the ``keys`` import, transitively, and themselves: their closures' union."""
        seen = set(keys)
        stack = list(seen)
        while stack:
            current = stack.pop()
            if current in self._known:
                for imported in self.imported_project_modules(current):
                    if imported not in seen:
                        seen.add(imported)
                        stack.append(imported)
        return seen

    def _compute_closure(self, key: str) -> list[str]:
        seen = {key}
        order = [key]
        stack = [key]
        while stack:
            current = stack.pop()
            if current not in self._known:
                continue
            for imported in sorted(self.imported_project_modules(current)):
                if imported not in seen:
                    seen.add(imported)
                    order.append(imported)
                    stack.append(imported)
        return order

    @cached_property
    def entrypoints(self) -> dict[str, Entrypoint]:
        """Modules that run as processes: a main guard, a package's ``__main__.py``, a console script
        of a scanned ``pyproject.toml``, a Django management command. (Modules run by a container
        command are linked separately, see ``link.workloads``.)"""
        found: dict[str, Entrypoint] = {}
        for script in sorted(self.console_scripts, key=lambda s: (s.location.path, s.location.line)):
            candidates = self.resolve_module(f"mod:{script.module}")
            if len(candidates) == 1 and candidates[0] not in found:
                where = f"{script.location.path}:{script.location.line}"
                found[candidates[0]] = Entrypoint(f"console script `{script.name}` ({where})", script.location)
        for key, module in self.modules.items():
            if module.main_guard is not None:
                found.setdefault(key, Entrypoint('`if __name__ == "__main__"`', module.main_guard))
            elif module.is_main_module:
                found.setdefault(key, Entrypoint("a package's `__main__.py`", Location(module.path)))
            elif _is_django_command(module):
                command = PurePosixPath(module.path).stem
                found.setdefault(key, Entrypoint(f"Django management command `{command}`",
                                                 module.classes["Command"].location))
        return found

    def module_for_path(self, path: str) -> PythonFacts | None:
        return next((m for m in self.modules.values() if m.path == path), None)

    # -- values ------------------------------------------------------------------------------

    def lookup(self, ref: Ref) -> Expr | None:
        candidates = self.resolve_module(ref.module)
        if not candidates:
            # `from app.config import settings` then `settings.DRAIN`: not a module `app.config.settings`
            # but the attribute DRAIN of the name `settings` in `app.config`.
            head, sep, last = ref.module.rpartition("/" if ref.module.startswith("path:") else ".")
            if sep and head not in ("mod", "path:"):
                owner = self.lookup(Ref(head, last))
                if owner is not None:
                    return Attr(owner, ref.name)
                home = self.resolve_module(head)
                owner_module = self.module(home[0]) if len(home) == 1 else None
                if owner_module is not None:
                    return Unknown(f"`{last}.{ref.name}`: `{last}` in {owner_module.path} is computed "
                                   f"at run time")
        if len(candidates) != 1:
            return None  # ambiguous or outside the project: never guess
        module = self.module(candidates[0])
        return module.constants.get(ref.name) if module else None

    def fold(self, expr: Expr, env: dict[str, str] | None = None) -> Expr:
        return fold(expr, self.lookup, env)

    def graceful_with(self, worker: ResolvedWorker, env: dict[str, str]) -> Expr:
        """The worker's timeout as a workload that sets ``env`` would run it."""
        return self.fold(worker.graceful_expr, env)

    # -- workers -----------------------------------------------------------------------------

    @cached_property
    def workers(self) -> list[ResolvedWorker]:
        resolved: list[ResolvedWorker] = []
        for module in self.modules.values():
            for construction in module.workers:
                worker = self._resolve_worker(module, construction)
                if worker is not None:
                    resolved.append(worker)
        return resolved

    def workers_in(self, keys: Iterable[str]) -> list[ResolvedWorker]:
        wanted = set(keys)
        return [w for w in self.workers if w.module in wanted]

    def _resolve_worker(self, module: PythonFacts, site: WorkerConstruction) -> ResolvedWorker | None:
        if site.callee == "super" or site.forwards_kwargs:
            return None  # a wrapper (of Worker, or of a project factory): judged where it is called
        if site.callee in WORKER_CLASSES:
            return ResolvedWorker(site.location, module.key, site.function, self.fold(site.graceful),
                                  site.unresolved_splat, site.graceful, options=site.options)
        wrapper = self._wrapper(site.callee)
        if wrapper is None:
            return None
        _, inner = wrapper
        graceful = site.graceful if not isinstance(site.graceful, Missing) else inner.graceful
        name = site.callee.rsplit(".", 1)[-1]
        return ResolvedWorker(
            site.location, module.key, site.function, self.fold(graceful),
            site.unresolved_splat or inner.unresolved_splat, graceful,
            via=f"{name}() at {inner.location.path}:{inner.location.line}", via_location=inner.location,
            options=tuple({**dict(inner.options), **dict(site.options)}.items()),
        )

    def runs(self, module: PythonFacts) -> list[WorkerRun]:
        """The module's runs of a Worker: those its file shows, and those of the result of a project
        callable that builds one (``w = build(client); await w.run()``, ``async with make(client):``)."""
        return [run for run in module.runs if not run.builder or self._builds_worker(run.builder)]

    def _builds_worker(self, qualname: str) -> bool:
        """Does calling the project's ``qualname`` give a Worker: a function that returns one it builds
        (itself, or through such functions), or a class that derives from Worker?"""
        found = self._builders.get(qualname)
        if found is None:
            # Each question is answered on its own (its own memo), so an answer never depends on
            # which other question came first, in a cycle of factories calling each other included.
            found = self._builders[qualname] = self._returns_worker(qualname, set(), {})
        return found

    def _returns_worker(self, qualname: str, path: set[str], memo: dict[str, bool]) -> bool:
        if qualname in memo:
            return memo[qualname]
        if qualname in path or len(path) >= _MAX_FACTORY_DEPTH:
            return False  # a factory calling itself, or a chain deeper than any real one
        module, name = self._definition_of(qualname)
        if module is None:
            found = False
        elif name in module.classes:
            found = self._wrapper(qualname) is not None  # a class deriving from Worker
        else:
            inner = path | {qualname}
            returned = module.returned_calls.get(name, ())
            found = any(callee in WORKER_CLASSES or self._returns_worker(callee, inner, memo) for callee in returned)
            if not found and UNTRACED in returned:
                # It returns something tprlint cannot follow (`return self._worker`): a function
                # that builds a Worker may well return it.
                found = any(site.function == name and not site.in_subclass_init for site in module.workers)
        memo[qualname] = found
        return found

    def _definition_of(self, qualname: str) -> tuple[PythonFacts | None, str]:
        """The module defining ``qualname`` and its name there: a function or class (``mod.make``),
        or a method of a class (``mod.Factory.create`` -> "Factory.create")."""
        for parts in (split_qualname(qualname), *(_method_parts(qualname, depth) for depth in (1, 2, 3))):
            if parts is None:
                continue
            candidates = self.resolve_module(parts[0])
            module = self.module(candidates[0]) if len(candidates) == 1 else None
            if module is not None:
                return module, parts[1]
        return None, ""

    def may_build_or_run_workers(self, module: PythonFacts) -> bool:
        """May the module run a Worker, build one, or define what builds one? A ``super().__init__(...)``
        counts only in a class that derives from Worker (a Temporal integration's toolset or agent class
        calls its base's too), and a call with ``task_queue=`` unless it goes to the Temporal SDK
        (``workflow.execute_activity(task_queue=...)``): any project function may build a Worker from
        it, forwarding keywords or not (``run_worker(client, task_queue="orders")``)."""
        if self.runs(module):
            return True
        for site in module.workers:
            if site.in_subclass_init:
                if self._wrapper(f"{module.key}.{site.in_subclass_init}") is not None:
                    return True
            elif site.callee in WORKER_CLASSES or not site.callee.startswith(("temporalio.", "super")):
                return True
        return False

    def _wrapper(self, qualname: str, depth: int = 0) -> tuple[PythonFacts, WorkerConstruction] | None:
        """The Worker construction inside a project factory function or Worker subclass."""
        parts = split_qualname(qualname)
        if parts is None or depth > 5:
            return None
        module_key, name = parts
        candidates = self.resolve_module(module_key)
        if len(candidates) != 1:
            return None
        module = self.module(candidates[0])
        if module is None:
            return None
        for site in module.workers:
            if not (site.forwards_kwargs and site.function == name):
                continue
            if site.callee in WORKER_CLASSES:
                return module, site
            # A factory that passes its **kwargs to another project callee: that one must build the
            # Worker, or this is not a factory at all (a helper forwarding `task_queue=` elsewhere).
            inner = self._wrapper(site.callee, depth + 1)
            if inner is not None:
                return (module, site) if _decides_timeout(site) else inner
        cls = module.classes.get(name)
        if cls is None:
            return None
        # Only a class deriving from Worker (directly or through project classes) builds one: the
        # `super().__init__(client, **kwargs)` of any other class (a workflow starter, a settings
        # object) says nothing about Workers. Its own __init__, forwarding **kwargs or not, is what
        # the caller's call runs; without one, or when that leaves the timeout out, the base decides.
        owns = [s for s in module.workers if s.in_subclass_init == name]  # `Mixin.__init__(self)` too
        own = next((s for s in owns if _decides_timeout(s)), owns[0] if owns else None)
        for base in cls.bases:
            if base in WORKER_CLASSES:
                return module, own or WorkerConstruction(cls.location, "", base, Missing())
            found = self._wrapper(base, depth + 1)
            if found is not None:
                return (module, own) if own is not None and _decides_timeout(own) else found
        return None


def _method_parts(qualname: str, depth: int) -> tuple[str, str] | None:
    """``mod.Factory.create`` -> ("mod", "Factory.create") at depth 1, ``mod.Outer.Inner.create`` ->
    ("mod", "Outer.Inner.create") at depth 2 (``path:`` keys too)."""
    pieces = qualname.rsplit(".", depth)
    parts = split_qualname(pieces[0]) if len(pieces) == depth + 1 else None
    return (parts[0], ".".join((parts[1], *pieces[1:]))) if parts is not None else None


_MAX_FACTORY_DEPTH = 8  # factories returning what other factories return: deeper is not real code


def _is_django_command(module: PythonFacts) -> bool:
    """``<app>/management/commands/<name>.py`` defining ``Command``: ``manage.py <name>`` runs it."""
    parts = PurePosixPath(module.path).parts
    return (len(parts) >= 3 and parts[-3:-1] == ("management", "commands") and "Command" in module.classes
            and not parts[-1].startswith("_"))


def _decides_timeout(site: WorkerConstruction) -> bool:
    """Does this wrapper call pass the timeout on itself (or keywords tprlint cannot see)?"""
    return not isinstance(site.graceful, Missing) or bool(site.unresolved_splat)


def _child_key(key: str, name: str) -> str:
    if key.startswith("path:"):
        base = key[len("path:"):]
        return f"path:{base}/{name}" if base else f"path:{name}"
    return f"{key}.{name}"


def resolve_launch_target(project: PythonProject, kind: str, target: str) -> str | None:
    """The project module a ``python -m X`` / ``python path/x.py`` launch runs, when unambiguous."""
    if kind == "module":
        for candidate in (f"mod:{target}.__main__", f"mod:{target}"):
            found = project.resolve_module(candidate)
            if len(found) == 1:
                return found[0]
        return None
    if kind == "script":
        parts = [p for p in target.strip("/").removesuffix(".py").split("/") if p not in ("", ".")]
        # Containers copy the tree to some WORKDIR: match the longest unambiguous path suffix.
        for start in range(len(parts)):
            found = project.resolve_module(f"mod:{'.'.join(parts[start:])}")
            if len(found) == 1:
                return found[0]
            if found:
                return None
    return None
