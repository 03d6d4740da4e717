"""Name resolution for one module: imports, aliases, module keys and single-assignment scopes."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import PurePosixPath


def module_key_for(path: str) -> str:
    """``path:src/orders/worker`` for ``src/orders/worker.py``; a package is keyed by its folder.
    ``path`` is a display path (posix, normalised); string work, as this runs for every module."""
    folder, slash, name = path.rpartition("/")
    if name == "__init__.py":
        return f"path:{folder or '.'}" if slash else "path:."
    dot = name.rfind(".")
    return f"path:{folder}{slash}{name[:dot] if dot > 0 else name}"


@lru_cache(maxsize=4)
def shared_suffix_index(keys: frozenset[str]) -> SuffixIndex:
    """``SuffixIndex`` of a run's modules, built once for every world of the run (and the import
    following before them). Read-only."""
    return SuffixIndex(keys)


class SuffixIndex:
    """The keys of the modules a dotted import (``orders.worker``) may denote wherever the import root
    is: those of the ``path:`` keys with that trailing part (``worker``, ``orders/worker``, ...), in key
    order. Only the suffixes asked for are worked out (from the modules of the same file name): listing
    every suffix of 3,000 modules up front took 15 ms of every run, for the few hundred ever asked."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._by_name: dict[str, list[tuple[str, str]]] = {}
        for key in sorted(keys):
            path = key[len("path:"):]
            self._by_name.setdefault(path.rpartition("/")[2], []).append((key, path))
        self._found: dict[str, list[str]] = {}

    def get(self, suffix: str, default: Sequence[str] = ()) -> Sequence[str]:
        found = self._found.get(suffix)
        if found is None:
            tail = "/" + suffix
            found = self._found[suffix] = [key for key, path in self._by_name.get(suffix.rpartition("/")[2], ())
                                           if path == suffix or path.endswith(tail)]
        return found or default


def split_qualname(qualname: str) -> tuple[str, str] | None:
    """``("path:src/a", "NAME")`` or ``("mod:pkg.settings", "NAME")`` for a qualified attribute."""
    if qualname.startswith("path:"):
        # `from . import settings` binds `path:app.settings`, so `settings.DRAIN` is
        # `path:app.settings.DRAIN`: the folder ends at the first dot after the last slash, and the
        # dotted rest is submodules, then the name.
        start = qualname.rfind("/") + 1 or len("path:")
        folder, dot, rest = qualname[start:].partition(".")
        if not dot:
            return None
        *submodules, name = rest.split(".")
        head = qualname[len("path:"):start] + folder
        return "path:" + "/".join(p for p in (head, *submodules) if p), name
    if "." not in qualname:
        return None
    module, name = qualname.rsplit(".", 1)
    if not module.startswith("path:"):
        module = f"mod:{module}"
    return module, name


class Imports:
    """What each module-level name refers to, as a qualified name.

    External names are dotted (``temporalio.worker.Worker``); names from modules given by a relative
    import are ``path:<folder>/<module>.<name>`` so the project phase can find the file.
    """

    def __init__(self, path: str) -> None:
        self.path = PurePosixPath(path)
        self.own_key = module_key_for(path)
        self.bindings: dict[str, str] = {}
        self.imported_modules: list[tuple[str, tuple[str, ...]]] = []  # (module key, names)

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported_modules.append((f"mod:{alias.name}", ()))
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.bindings[top] = top
            return
        base = self._from_base(node)
        if base is None:
            return
        names = tuple(a.name for a in node.names if a.name != "*")
        self.imported_modules.append((base, names))
        prefix = base[4:] if base.startswith("mod:") else base
        for alias in node.names:
            if alias.name != "*":
                self.bindings[alias.asname or alias.name] = f"{prefix}.{alias.name}"

    def _from_base(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return f"mod:{node.module}" if node.module else None
        package = self.path.parent
        for _ in range(node.level - 1):
            package = package.parent
        if node.module:
            package = package / node.module.replace(".", "/")
        text = package.as_posix()
        return f"path:{'' if text == '.' else text}"

    def define(self, name: str) -> None:
        """A module-level def/class shadows any import of the same name."""
        self.bindings[name] = f"{self.own_key}.{name}"

    def qualname(self, node: ast.expr) -> str | None:
        """Dotted qualified name of a Name/Attribute chain, or None when it is not one."""
        if isinstance(node, ast.Name):
            return self.bindings.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def walk_scope(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope's body; nested functions, lambdas and classes are yielded, not entered.
    Expression contexts (``Load``/``Store``) are skipped: they are a third of all nodes and carry nothing."""
    stack: list[ast.AST] = list(reversed(body))
    fields = CHILD_FIELDS
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES):
            continue
        names = fields.get(type(node))
        if names is None:
            names = child_fields(type(node))
        for name in reversed(names):
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(item for item in reversed(value) if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LEAF_FIELDS = frozenset({"ctx", "type_comment", "type_ignores"})
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of an AST node type that may hold child nodes (memoised in ``CHILD_FIELDS``)."""
    names = CHILD_FIELDS.get(kind)
    if names is None:
        names = CHILD_FIELDS[kind] = tuple(f for f in getattr(kind, "_fields", ()) if f not in _LEAF_FIELDS)
    return names


class Scope:
    """Names assigned in one scope. A name assigned more than once is not a constant."""

    def __init__(self, body: list[ast.stmt] | None, params: set[str] | None = None) -> None:
        """With ``body`` None the scope starts empty and the caller feeds it ``note(node)`` during its
        own walk (extraction walks each scope once for everything)."""
        self.assigned: dict[str, list[ast.expr]] = {}
        self.params = params or set()
        self.dict_updates: dict[str, list[ast.AST]] = {}  # d["k"] = v / d.update(...) / d |= ...
        self.loops: dict[str, ast.expr] = {}  # for-loop variable -> the iterable
        self.imported: set[str] = set()  # names an import statement in this scope binds
        self.star_import_line = 0  # last `from X import *` of this scope
        self.declared_global: set[str] = set()  # `global X`: assignments here rebind the module's X
        # The scope's own statements, as opposed to those inside an `if`, a loop or a `try`: what runs
        # on every path (see kwargs.py). Kept as the list and indexed only when asked: few scopes need it.
        self._statements: list[ast.stmt] = list(body or [])
        self._top_level: set[int] | None = None
        for node in walk_scope(body or []):
            self.note(node)

    def mark_top_level(self, statements: list[ast.stmt]) -> None:
        self._statements = statements
        self._top_level = None

    @property
    def top_level(self) -> set[int]:
        """Ids of the scope's own statements and of the calls that are such statements."""
        if self._top_level is None:
            self._top_level = {id(s) for s in self._statements}
            self._top_level.update(id(s.value) for s in self._statements if isinstance(s, ast.Expr))
        return self._top_level

    def note(self, node: ast.AST) -> None:
        if type(node) not in NOTED_TYPES:
            return
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, node.value, node)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.assigned.setdefault(node.target.id, []).append(node.value)
                self.dict_updates.setdefault(node.target.id, []).append(node)
            else:
                self._bind(node.target, node.value, node)
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            self.loops[node.target.id] = node.iter
            self.assigned.setdefault(node.target.id, []).extend([node.iter, node.iter])
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    self.assigned.setdefault(item.optional_vars.id, []).append(item.context_expr)
        elif isinstance(node, ast.NamedExpr):
            self.assigned.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            if isinstance(node.func.value, ast.Name):
                self.dict_updates.setdefault(node.func.value.id, []).append(node)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    self.dict_updates.setdefault(target.value.id, []).append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            # `try: from local import GRACE` / `except ImportError: GRACE = ...`: the assignment is
            # only one of the values the name can have. `from .local_settings import *` at the end
            # of a settings module may rebind any name assigned before it.
            for alias in node.names:
                if alias.name == "*":
                    self.star_import_line = max(self.star_import_line, node.lineno)
                else:
                    self.imported.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Global):
            self.declared_global.update(node.names)

    def _bind(self, target: ast.expr, value: ast.expr, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.assigned.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self.dict_updates.setdefault(target.value.id, []).append(node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                # Unpacking makes each name's value unknowable here; record it as reassigned.
                if isinstance(element, ast.Name):
                    self.assigned.setdefault(element.id, []).extend([value, value])

    def single_value(self, name: str) -> ast.expr | None:
        values = self.assigned.get(name)
        if values is None or len(values) != 1 or name in self.imported:
            return None  # assigned twice, or assigned and imported: two values
        if getattr(values[0], "lineno", 0) < self.star_import_line:
            return None  # a later `import *` may rebind it
        return values[0]


# The node types ``Scope.note`` looks at; every other node is skipped with one set lookup.
NOTED_TYPES = frozenset({
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr,
    ast.Call, ast.Delete, ast.Import, ast.ImportFrom, ast.Global,
})

# Methods that change a dict in place: after any of them, the dict literal is not the whole story.
_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"})


def source_text(node: ast.AST, limit: int | None = None, fallback: str | None = "...") -> str:
    """A node's source text for a message, cut to ``limit`` characters; ``fallback`` (or, when None,
    the node's type name) for an exotic tree ``ast.unparse`` cannot print."""
    try:
        text = ast.unparse(node)
    except Exception:  # only used in messages: never worth failing a file for
        return fallback if fallback is not None else type(node).__name__
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."
