"""The project's call graph as far as workflow code reaches: from every workflow entry method through
the project functions and methods it calls, across modules.

Modelled on Go's ``workflowcheck``: per-function facts (``DeterminismFacts``: the function's own
reasons and the calls that may lead into project code) are linked here. Calls resolve through imports
and aliases (``from app.util import compute``, ``import app.util as u``), re-exports in a package's
``__init__``, ``self.m()``/``cls.m()`` along the workflow class's project bases (the override wins),
``super().m()``, ``Helper(...)`` (its ``__init__``), ``Helper.m()`` and ``h = Helper(); h.m()``, and
functions nested in the caller. Whatever cannot be resolved unambiguously is not followed - never
guessed. Activities are not workflow code and are never entered; ``workflow.execute_activity(fn)``
only refers to ``fn``.

Configuration decides over names as Go's ``decls`` do: a qualified name declared deterministic is
neither reported nor entered; one declared non-deterministic is reported where it is called.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import PurePosixPath

from tprlint.facts.python.determinism import TPR_CALL, TPR_LOG, CallEdge, FunctionFacts, Reason
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.values import Lit, Ref
from tprlint.facts.python.workflows import WorkflowClass
from tprlint.link.python_project import PythonProject
from tprlint.model import Location
from tprlint.records import frozen, mutable

ClassRef = tuple[str, str]  # (module key, class qualname)
_MAX_DEPTH = 6


@frozen
class Node:
    """A function or method as it runs: ``self_class`` is the class ``self`` is an instance of (the
    workflow class for its methods and inherited methods), None for plain functions."""

    module: str
    qualname: str
    self_class: ClassRef | None = None


@frozen
class Entry:
    """A workflow entry method: ``@workflow.run``/signal/update/query/init/validator, ``__init__``,
    and handlers inherited from project base classes."""

    module: str  # module key of the workflow class
    path: str  # its file
    workflow: str
    method: str
    role: str
    location: Location
    node: Node
    sandboxed: bool  # False for `@workflow.defn(sandboxed=False)`

    @property
    def name(self) -> str:
        return f"{self.workflow}.{self.method}"


@frozen
class Reached:
    """A reason found in workflow code, with the shortest call chain it was reached by."""

    reason: Reason
    entry: Entry
    chain: tuple[str, ...]  # functions from the entry method to the one that does it
    unrestricted: bool  # runs inside `workflow.unsafe.sandbox_unrestricted()` (here or on the way)
    quiet: bool  # runs only when not replaying


@frozen
class _Definition:
    module: str
    qualname: str
    cls: ClassRef | None = None  # the class itself (kind "class") or the class a method is looked up on
    kind: str = "function"  # "function", "class" or "method"


@frozen
class _Step:
    """Where a call leads: project functions to follow, or a reason reported at the call itself."""

    targets: tuple[Node, ...] = ()
    reason: Reason | None = None


@frozen
class _State:
    node: Node
    unrestricted: bool
    quiet: bool


@mutable
class CallGraph:
    project: PythonProject
    deterministic: frozenset[str] = frozenset()
    non_deterministic: frozenset[str] = frozenset()
    _steps: dict[Node, list[tuple[CallEdge, _Step]]] = field(default_factory=dict)
    _mros: dict[ClassRef, list[ClassRef]] = field(default_factory=dict)

    @classmethod
    def build(cls, project: PythonProject, deterministic: Iterable[str] = (),
              non_deterministic: Iterable[str] = ()) -> CallGraph:
        return cls(project, frozenset(deterministic), frozenset(non_deterministic))

    # -- entries ----------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        found: list[Entry] = []
        for _, module in sorted(self.project.modules.items()):
            for workflow in module.workflow_classes:
                found.extend(self._entries_of(module, workflow))
        return found

    def _entries_of(self, module: PythonFacts, workflow: WorkflowClass) -> Iterator[Entry]:
        key, name = module.key, workflow.name
        cls = (key, name)
        sandboxed = _sandboxed(workflow.option("sandboxed"))
        seen: set[str] = set()
        for method in workflow.methods:
            seen.add(method.name)
            yield Entry(key, module.path, name, method.name, method.role, method.location,
                        Node(key, f"{name}.{method.name}", cls), sandboxed)
        # Signal/query/update handlers of project base classes are the workflow's handlers too.
        for base in self.mro(cls)[1:]:
            base_module = self.project.module(base[0])
            for handler in base_module.determinism.handlers if base_module else ():
                if handler.class_name != base[1] or handler.method in seen:
                    continue
                seen.add(handler.method)
                yield Entry(key, module.path, name, handler.method, handler.role, handler.location,
                            Node(base[0], f"{base[1]}.{handler.method}", cls), sandboxed)
        # The SDK builds the workflow instance inside the workflow: `__init__` is workflow code.
        init = self.method(cls, "__init__") if "__init__" not in seen else None
        if init is not None:
            facts = self.function(Node(*init))
            if facts is not None:
                seen.add("__init__")
                yield Entry(key, module.path, name, "__init__", "init", facts.location, Node(*init, cls), sandboxed)
        # Every other method of the class runs inside the workflow too, whoever calls it: a callback
        # handed to a scheduler (`Scheduler(executor=self._execute)`), a coroutine gathered by
        # `asyncio.gather(*(self._step(t) for t in ...))`. These come last, with the role "method": a
        # method the handlers already reach is judged from them (see tprlint.rules.determinism).
        for method_name in module.determinism.methods.get(name, ()):
            facts = self.function(Node(key, f"{name}.{method_name}"))
            if method_name not in seen and facts is not None:
                seen.add(method_name)
                yield Entry(key, module.path, name, method_name, "method", facts.location,
                            Node(key, f"{name}.{method_name}", cls), sandboxed)

    # -- traversal --------------------------------------------------------------------------------

    def reach(self, entry: Entry, visited: set[tuple[str, str]] | None = None) -> Iterator[Reached]:
        """Breadth first, so each function is first reached by a shortest chain. A function reached
        inside `sandbox_unrestricted()` or only when not replaying is a state of its own."""
        names = _dotted(entry.node.module, entry.node.qualname)
        if self._declared(names, self.deterministic):
            return
        if entry.role == "method" and self._declared(names, self.non_deterministic):
            return  # reported where it is called, as declared; its body is not followed
        start = _State(entry.node, False, False)
        parents: dict[_State, _State | None] = {start: None}
        depths: dict[_State, int] = {start: 1}
        heads: dict[_State, tuple[str, ...]] = {start: (start.node.qualname,)}  # the first names of each chain
        queue = deque([start])
        while queue:
            state = queue.popleft()
            if visited is not None:
                visited.add((state.node.module, state.node.qualname))
            facts = self.function(state.node)
            if facts is None:
                continue
            # Built only when something is reported, and never longer than _CHAIN_HEAD + _CHAIN_TAIL
            # names: rebuilding every chain in full made a 20,000-function chain quadratic.
            chain: tuple[str, ...] | None = None
            for reason in facts.reasons:
                if reason.api not in self.deterministic:
                    chain = chain or _chain(state, parents, depths[state], heads[state])
                    yield Reached(reason, entry, chain, state.unrestricted or reason.unrestricted,
                                  state.quiet or reason.quiet)
            for edge, step in self.steps(state.node, facts):
                unrestricted, quiet = state.unrestricted or edge.unrestricted, state.quiet or edge.quiet
                if step.reason is not None:
                    chain = chain or _chain(state, parents, depths[state], heads[state])
                    yield Reached(step.reason, entry, chain, unrestricted, quiet)
                for target in step.targets:
                    following = _State(target, unrestricted, quiet)
                    if following not in parents:
                        parents[following] = state
                        depths[following] = depths[state] + 1
                        head = heads[state]
                        heads[following] = head if len(head) >= _CHAIN_HEAD else (*head, target.qualname)
                        queue.append(following)

    def function(self, node: Node) -> FunctionFacts | None:
        module = self.project.module(node.module)
        return module.determinism.functions.get(node.qualname) if module else None

    def steps(self, node: Node, facts: FunctionFacts) -> list[tuple[CallEdge, _Step]]:
        """Where each call of a function leads (memoised: many workflows share their helpers)."""
        cached = self._steps.get(node)
        if cached is None:
            cached = self._steps[node] = [(edge, self._step(node, facts, edge)) for edge in facts.calls]
        return cached

    def _step(self, node: Node, facts: FunctionFacts, edge: CallEdge) -> _Step:
        module = self.project.module(node.module)
        if module is None:
            return _Step()
        if edge.kind == "name":
            return self._named(module, edge)
        if edge.kind == "logger":
            return self._logger(module, edge)
        own = (node.module, facts.owner) if facts.owner else None
        if edge.kind == "local":
            return self._judged(_Definition(node.module, edge.target), node.self_class, edge)
        cls = node.self_class or own
        if cls is None:
            return _Step()
        if edge.kind == "self":
            found = self.method(cls, edge.target)
        elif edge.kind == "super" and own is not None:
            order = self.mro(cls)
            after = order[order.index(own) + 1:] if own in order else self.mro(own)[1:]
            found = self._method_in(after, edge.target)
        else:
            found = None
        if found is None:
            return _Step()
        return self._judged(_Definition(*found, cls=cls, kind="method"), cls, edge)

    def _named(self, module: PythonFacts, edge: CallEdge) -> _Step:
        if not edge.target.startswith("path:"):
            if edge.target in self.deterministic:
                return _Step()
            if edge.target in self.non_deterministic:
                return _Step(reason=_declared_reason(edge, edge.target))
        definition = self.definition(module, edge.target)
        if definition is None:
            return _Step()
        if definition.kind == "class":
            assert definition.cls is not None
            init = self.method(definition.cls, "__init__")
            if init is None:
                return _Step()
            return self._judged(_Definition(*init, cls=definition.cls, kind="method"), definition.cls, edge)
        return self._judged(definition, definition.cls, edge)

    def _judged(self, definition: _Definition, self_class: ClassRef | None, edge: CallEdge) -> _Step:
        """Follow into a project function unless configuration decides about it."""
        names = _dotted(definition.module, definition.qualname)
        declared = self._declared(names, self.non_deterministic)
        if declared:
            return _Step(reason=_declared_reason(edge, declared))
        if self._declared(names, self.deterministic):
            return _Step()
        return _Step(targets=(Node(definition.module, definition.qualname, self_class),))

    def _logger(self, module: PythonFacts, edge: CallEdge) -> _Step:
        """``log.info(...)`` with ``log`` imported from a project module that binds it to a logger."""
        receiver, _, method = edge.target.rpartition(".")
        for module_key, name in _splits(receiver):
            candidates = self._modules(module, module_key)
            if len(candidates) != 1:
                continue
            target = self.project.module(candidates[0])
            if target is not None and name in target.determinism.loggers:
                reason = Reason(TPR_LOG, "logger", f"{name}.{method}", edge.location, edge.unrestricted)
                return _Step(reason=reason)
        return _Step()

    @staticmethod
    def _declared(names: Iterable[str], declared: frozenset[str]) -> str:
        return next((name for name in names if name in declared), "")

    # -- names ------------------------------------------------------------------------------------

    def definition(self, importer: PythonFacts | None, qualname: str, depth: int = 0) -> _Definition | None:
        """The project function, class or method a qualified name denotes, when unambiguous."""
        if depth > _MAX_DEPTH:
            return None
        for module_key, name in _splits(qualname):
            candidates = self._modules(importer, module_key)
            if len(candidates) > 1:
                return None  # several project modules could be meant: never guess
            module = self.project.module(candidates[0]) if candidates else None
            if module is None:
                continue
            found = self._in_module(module, name, depth)
            if found is not None:
                return found
        return None

    def _modules(self, importer: PythonFacts | None, module_key: str) -> list[str]:
        if importer is None:
            return self.project.resolve_module(module_key)
        # The same import-root preference the project uses for imports (a service's own `app`).
        return self.project.importable(importer, module_key)

    def _in_module(self, module: PythonFacts, name: str, depth: int) -> _Definition | None:
        first, _, rest = name.partition(".")
        if not rest and (first in module.functions or first in module.determinism.functions):
            return _Definition(module.key, first)
        if first in module.classes:
            cls = (module.key, first)
            if not rest:
                return _Definition(module.key, first, cls, "class")
            if "." not in rest:
                found = self.method(cls, rest)
                return _Definition(*found, cls=cls, kind="method") if found else None
            return None
        value = module.constants.get(first)
        if isinstance(value, Ref):  # re-exported: `from .impl import compute` in a package __init__
            target = f"{_dotted_key(value.module)}.{value.name}" + (f".{rest}" if rest else "")
            return self.definition(None, target, depth + 1)
        return None

    def method(self, cls: ClassRef, name: str) -> tuple[str, str] | None:
        """Where ``cls().name`` is defined: the class itself first, then its project bases."""
        return self._method_in(self.mro(cls), name)

    def _method_in(self, classes: list[ClassRef], name: str) -> tuple[str, str] | None:
        for module_key, class_name in classes:
            module = self.project.module(module_key)
            if module is not None and name in module.determinism.methods.get(class_name, ()):
                return module_key, f"{class_name}.{name}"
        return None

    def mro(self, cls: ClassRef) -> list[ClassRef]:
        """The class and its project bases, depth first, left to right (close enough to C3 for
        finding the method that runs; bases outside the project are not followed). Iterative: a
        hierarchy a thousand classes deep must not exhaust the interpreter's stack."""
        cached = self._mros.get(cls)
        if cached is not None:
            return cached
        order: list[ClassRef] = []
        seen: set[ClassRef] = set()
        stack = [cls]
        while stack:
            current = stack.pop()
            if current in seen:
                continue  # a diamond, or a cyclic hierarchy
            seen.add(current)
            order.append(current)
            stack.extend(reversed(self._project_bases(current)))
        self._mros[cls] = order
        return order

    def _project_bases(self, cls: ClassRef) -> list[ClassRef]:
        module = self.project.module(cls[0])
        definition = module.classes.get(cls[1]) if module else None
        bases: list[ClassRef] = []
        for base in definition.bases if definition else ():
            found = self.definition(module, base)
            if found is not None and found.kind == "class" and found.cls is not None:
                bases.append(found.cls)
        return bases


_CHAIN_HEAD = 20
_CHAIN_TAIL = 20


def _chain(state: _State, parents: dict[_State, _State | None], depth: int, head: tuple[str, ...]
           ) -> tuple[str, ...]:
    """The functions from the entry to ``state``; a chain deeper than the head and tail shown has the
    middle replaced by one "... N more ..." element. At most head + tail steps up ``parents``."""
    names: list[str] = []
    current: _State | None = state
    if depth <= _CHAIN_HEAD + _CHAIN_TAIL:
        while current is not None:
            names.append(current.node.qualname)
            current = parents[current]
        return tuple(reversed(names))
    for _ in range(_CHAIN_TAIL):
        assert current is not None
        names.append(current.node.qualname)
        current = parents[current]
    skipped = depth - _CHAIN_HEAD - _CHAIN_TAIL
    return (*head, f"... {skipped} more ...", *reversed(names))


def _declared_reason(edge: CallEdge, name: str) -> Reason:
    return Reason(TPR_CALL, "declared", name, edge.location, edge.unrestricted)


def _sandboxed(option: object) -> bool:
    return not (isinstance(option, Lit) and option.value is False)


def _splits(qualname: str) -> list[tuple[str, str]]:
    """Ways to read a qualified name as (module key, name in that module), longest module first:
    ``app.util.Helper.run`` is ``app.util.Helper`` + ``run``, ``app.util`` + ``Helper.run``, ..."""
    if qualname.startswith("path:"):
        text = qualname[len("path:"):]
        slash = text.rfind("/") + 1
        head, dot, rest = text[slash:].partition(".")
        if not dot:
            return []
        folder = text[:slash] + head
        parts = rest.split(".")
        return [
            ("path:" + "/".join(p for p in (folder, *parts[:i]) if p), ".".join(parts[i:]))
            for i in range(len(parts) - 1, -1, -1)
        ]
    parts = qualname.split(".")
    return [(f"mod:{'.'.join(parts[:i])}", ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]


def _dotted_key(module_key: str) -> str:
    return module_key[len("mod:"):] if module_key.startswith("mod:") else module_key


def _dotted(module_key: str, qualname: str) -> list[str]:
    """Dotted names a project function goes by: ``app.helpers.is_late`` for ``src/app/helpers.py``
    (every import root: ``src.app.helpers.is_late``, ``app.helpers.is_late``, ``helpers.is_late``)."""
    if not module_key.startswith("path:"):
        return [f"{_dotted_key(module_key)}.{qualname}"]
    parts = PurePosixPath(module_key[len("path:"):]).parts
    return [".".join((*parts[i:], qualname)) for i in range(len(parts))]
