"""The per-function index that every Python extractor reads, built in the module's single walk.

Walking a tree is the expensive part of extraction, so ``extract_python`` walks each scope once and
files the nodes extractors care about under the function (or method, or module body) they belong to.
An extractor (workflows, activities, clients, process behaviour) then reads these short lists
instead of walking the tree again.
"""

from __future__ import annotations

import ast
from dataclasses import field

from tprlint.facts.python.evaluate import Evaluator
from tprlint.facts.python.names import CHILD_FIELDS, NOTED_TYPES, Imports, Scope, child_fields
from tprlint.model import Location
from tprlint.records import mutable

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@mutable
class FunctionBody:
    """One scope: a function, a method, a class body or the module body (``qualname`` "")."""

    qualname: str  # "OrderWorkflow.run", "helpers.retry.inner", "" for the module body
    class_name: str  # the class a method belongs to ("" for functions and the module body)
    node: FunctionNode | ast.ClassDef | None  # None for the module body
    scope: Scope
    evaluator: Evaluator
    calls: list[ast.Call] = field(default_factory=list)
    withs: list[ast.With | ast.AsyncWith] = field(default_factory=list)
    loops: list[ast.For | ast.AsyncFor | ast.comprehension] = field(default_factory=list)
    handlers: list[ast.ExceptHandler] = field(default_factory=list)
    attributes: list[ast.Attribute] = field(default_factory=list)  # reads like `os.environ`
    returns: list[ast.Return] = field(default_factory=list)
    raises: list[ast.Raise] = field(default_factory=list)
    awaits: list[ast.Await] = field(default_factory=list)
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, (ast.FunctionDef, ast.AsyncFunctionDef))

    @property
    def decorators(self) -> list[ast.expr]:
        if isinstance(self.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return self.node.decorator_list
        return []


@mutable
class ModuleCode:
    """What extractors get: the module, its names, and every scope's index."""

    path: str
    tree: ast.Module
    imports: Imports
    bodies: list[FunctionBody]  # module body first, then classes and functions in source order

    def qualname(self, node: ast.expr) -> str:
        return self.imports.qualname(node) or ""

    _callees: dict[int, str] = field(default_factory=dict, repr=False)

    def callee(self, call: ast.Call) -> str:
        """The qualified name a call invokes, "" when not a plain name/attribute chain. Memoised:
        every extractor asks about the same calls."""
        found = self._callees.get(id(call))
        if found is None:
            found = self._callees[id(call)] = self.imports.qualname(call.func) or ""
        return found

    def decorator_names(self, body: FunctionBody) -> list[str]:
        """Qualified names of the decorators (``temporalio.workflow.defn`` also for ``@workflow.defn(...)``)."""
        names = []
        for decorator in body.decorators:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            names.append(self.imports.qualname(target) or "")
        return names

    def loc(self, node: ast.AST) -> Location:
        return location(self.path, node)


def location(path: str, node: ast.AST) -> Location:
    end_column = getattr(node, "end_col_offset", None)
    return Location(
        path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1,
        getattr(node, "end_lineno", None), end_column + 1 if end_column is not None else None,
    )


# Which list of ``FunctionBody`` each node type is filed under (a dict lookup beats an isinstance chain:
# this runs for every node of every parsed module).
_SLOTS: dict[type, str] = {
    ast.Call: "calls", ast.Attribute: "attributes", ast.Await: "awaits", ast.With: "withs",
    ast.AsyncWith: "withs", ast.For: "loops", ast.AsyncFor: "loops", ast.comprehension: "loops",
    ast.ExceptHandler: "handlers", ast.Return: "returns", ast.Raise: "raises", ast.Import: "imports",
    ast.ImportFrom: "imports",
}


def collect_scope(statements: list[ast.stmt], body: FunctionBody) -> list[FunctionNode | ast.ClassDef]:
    """Walk one scope's statements once: note names in ``body.scope``, file nodes under ``body``'s
    lists, and return the nested function and class definitions (walked later as scopes of their own).

    This is ``names.walk_scope`` + ``Scope.note`` + filing by node type, fused into one loop: it runs for
    every node of every parsed module, so it avoids a generator and per-node calls."""
    nested: list[FunctionNode | ast.ClassDef] = []
    stack: list[ast.AST] = list(reversed(statements))
    slots = _SLOTS
    noted = NOTED_TYPES
    fields = CHILD_FIELDS
    note = body.scope.note
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        slot = slots.get(kind)
        if slot is not None:
            getattr(body, slot).append(node)
        if kind in noted:
            note(node)
        if kind in _NESTED:
            if kind is not ast.Lambda:
                nested.append(node)  # type: ignore[arg-type]
            continue
        names = fields.get(kind)
        if names is None:
            names = child_fields(kind)
        for name in reversed(names):
            value = getattr(node, name, None)
            if type(value) is list:
                extend([item for item in reversed(value) if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                push(value)
    return nested


_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
