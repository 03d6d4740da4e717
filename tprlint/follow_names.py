"""The names the parsed modules take from modules nobody parsed yet, and those modules, parsed.

A worker option or an activity timeout written ``settings.DRAIN`` or ``limits.ACTIVITY_TIMEOUT`` is a
``Ref`` in the facts; a Worker built by a project factory or subclass is a callee's qualified name, and
so is the callable whose result a module runs (``w = build(client); await w.run()``). Each
names one definition in one module: that module is parsed (in a batch per round, in the workers when
the batch is big) and only that definition is followed further - its value's own references, the
factory's Worker call, the class's bases - never the module's other names or its imports.

The modules found this way join the modules rules look through, as the import rounds' did before, so
what a rule sees does not depend on which rule asked first. Later questions (a call graph's functions,
a handler's callees) still find their modules through ``PythonProject.module``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tprlint.facts.python.facts import WORKER_CLASSES, ClassDef, PythonFacts, WorkerConstruction, WorkerRun
from tprlint.facts.python.names import split_qualname
from tprlint.facts.python.values import Ref
from tprlint.link.python_project import PythonProject
from tprlint.model import Location

LoadMany = Callable[[list[str]], list[PythonFacts | None]]
MAX_ROUNDS = 8  # references of references: deeper chains are not followed
_MAX_ITEMS = 200_000  # objects walked in all: a bound on hostile facts
# Facts no name is looked up from here: functions' determinism facts (the call graph follows those on
# demand), constants (followed only when a reference names them), and fields that hold no expression.
_SKIPPED_FIELDS = frozenset({"determinism", "constants", "imports", "functions", "path", "key"})
_LEAVES = frozenset({str, bytes, int, float, bool, type(None), set, frozenset, Location})


def needed_modules(project: PythonProject, parsed: Iterable[PythonFacts], load: LoadMany) -> list[PythonFacts]:
    """The modules ``parsed`` take names from, parsed through ``load``, in the order found."""
    walker = _Walker(project)
    for module in parsed:
        walker.walk_module(module)
    found: list[PythonFacts] = []
    for _ in range(MAX_ROUNDS):
        refs, walker.refs = walker.refs, []
        if not refs:
            break
        targets = [(ref, walker.home(ref)) for ref in refs]
        unparsed = [key for _, key in targets if key is not None and key not in project.modules]
        for loaded in load(unparsed):
            if loaded is not None and loaded.key not in walker.added:
                walker.added.add(loaded.key)
                found.append(loaded)
        for ref, key in targets:
            home = project.module(key) if key is not None else None
            if home is not None:
                walker.walk_definition(home, ref.name)
    return found


class _Walker:
    def __init__(self, project: PythonProject) -> None:
        self.project = project
        self.refs: list[Ref] = []
        self.added: set[str] = set()
        self._seen: set[tuple[str, str]] = set()
        self._items = 0

    def home(self, ref: Ref) -> str | None:
        """The one project module a reference's name is defined in (None: outside, or ambiguous)."""
        candidates = self.project.resolve_module(ref.module)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            # `from app.config import settings` then `settings.DRAIN`: the name `settings` in app.config.
            head, sep, last = ref.module.rpartition("/" if ref.module.startswith("path:") else ".")
            if sep and head not in ("mod", "path:"):
                self._ref(Ref(head, last))
        return None

    def walk_module(self, module: PythonFacts) -> None:
        for name, value in vars(module).items():
            if name not in _SKIPPED_FIELDS:
                self._walk(value)

    def walk_definition(self, module: PythonFacts, name: str) -> None:
        """What one name of ``module`` needs: its value, the Worker calls of a factory of that name,
        a class's bases."""
        if name in module.constants:
            self._walk(module.constants[name])
        self._walk([site for site in module.workers if site.function == name or site.in_subclass_init == name])
        if name in module.classes:
            self._walk(module.classes[name])

    def _walk(self, value: object) -> None:
        stack = [value]
        leaves = _LEAVES
        while stack and self._items < _MAX_ITEMS:
            item = stack.pop()
            self._items += 1
            kind = type(item)
            if kind in leaves:
                continue
            if kind is Ref:
                self._ref(item)  # type: ignore[arg-type]
            elif kind is list or kind is tuple:
                stack.extend(item)  # type: ignore[arg-type]
            elif kind is dict:
                stack.extend(item.values())  # type: ignore[attr-defined]
            elif hasattr(item, "__dict__"):
                if kind is WorkerConstruction:
                    callee = item.callee  # type: ignore[attr-defined]
                    if callee and callee not in WORKER_CLASSES:
                        self._qualname(callee)  # a project factory or Worker subclass
                elif kind is ClassDef:
                    for base in item.bases:  # type: ignore[attr-defined]
                        self._qualname(base)
                elif kind is WorkerRun and item.builder:  # type: ignore[attr-defined]
                    self._qualname(item.builder)  # type: ignore[attr-defined]  # does it build a Worker?
                stack.extend(vars(item).values())

    def _qualname(self, qualname: str) -> None:
        parts = split_qualname(qualname)
        if parts is not None:
            self._ref(Ref(*parts))

    def _ref(self, ref: Ref) -> None:
        key = (ref.module, ref.name)
        if key not in self._seen:
            self._seen.add(key)
            self.refs.append(ref)
