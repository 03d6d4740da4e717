"""Extract ``PythonFacts`` from one module's source with the stdlib ``ast``. Never runs the code."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import PurePosixPath

from tprlint.facts.python.clients import redact, secret_kind
from tprlint.facts.python.code import FunctionBody, FunctionNode, ModuleCode, collect_scope, location
from tprlint.facts.python.evaluate import Evaluator
from tprlint.facts.python.extractors import EXTRACTORS
from tprlint.facts.python.facts import (
    UNTRACED,
    WORKER_CLASSES,
    ClassDef,
    ImportedModule,
    PythonFacts,
    SignalHandler,
    WorkerConstruction,
    WorkerRun,
)
from tprlint.facts.python.kwargs import kwargs_view
from tprlint.facts.python.names import Imports, Scope, source_text
from tprlint.facts.python.settings_classes import settings_class
from tprlint.facts.python.values import Env, Expr, Fields, Lit, Missing, Ref, Unknown, scalar
from tprlint.model import Location

GRACEFUL = "graceful_shutdown_timeout"
SIGNAL_INSTALLERS = {
    "signal.signal": "signal.signal",
    "anyio.open_signal_receiver": "anyio.open_signal_receiver",
}
# Servers and runners that install their own SIGTERM handling and then shut the app down.
FRAMEWORK_SIGNAL_HANDLING = {
    "uvicorn.run": "uvicorn.run", "uvicorn.Server": "uvicorn.Server", "aiorun.run": "aiorun.run",
    "hypercorn.asyncio.serve": "hypercorn", "faststream.FastStream": "faststream",
}


def extract_python(tree: ast.Module, path: str) -> PythonFacts:
    imports = Imports(path)
    facts = PythonFacts(path=path, key=imports.own_key, is_main_module=PurePosixPath(path).name == "__main__.py")
    collected = _Collector(imports)
    collected.collect(tree)  # the one walk: every scope's names and nodes
    for child in collected.import_nodes:
        imports.add(child)
    # Re-apply local definitions: an import inside a function must not shadow a module-level def.
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            imports.define(node.name)
    facts.imports = [ImportedModule(key, names) for key, names in imports.imported_modules]
    facts.mentions_temporal = any(
        key.startswith("mod:temporalio") for key, _ in imports.imported_modules
    )
    module_scope = collected.bodies[0].scope
    _note_function_writes(collected.bodies, module_scope)
    # Settings classes, once the imports are known (their bases are imported names). Every evaluator
    # of the module shares this dict: `Settings()` and `settings.DRAIN` fold against it.
    module_evaluator = Evaluator(imports, [module_scope], collected.classes)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name not in module_scope.assigned:
            found = settings_class(node, imports, module_evaluator, collected.classes)
            if found is not None:
                collected.classes[node.name] = found
                facts.constants[node.name] = replace(
                    found, fields=tuple((n, _without_secret(n, v)) for n, v in found.fields))
    _ModuleVisitor(facts, imports, module_scope, collected.classes).run(tree, collected.bodies)
    code = ModuleCode(path, tree, imports, collected.bodies)
    for extractor in EXTRACTORS:
        extractor(code, facts)
    return facts


class _Collector:
    """Walks each scope once, filing its nodes (``FunctionBody``) and noting its names (``Scope``)."""

    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.bodies: list[FunctionBody] = []
        self.import_nodes: list[ast.Import | ast.ImportFrom] = []
        self._class_scopes: set[int] = set()  # methods do not see their class body's names
        self.classes: dict[str, Fields] = {}  # filled once the imports are known (see extract_python)

    def collect(self, tree: ast.Module) -> None:
        self._scope(tree.body, Scope(None), [], "", "", None)

    def _scope(self, statements: list[ast.stmt], scope: Scope, outer: list[Scope], qualname: str,
               class_name: str, node: FunctionNode | ast.ClassDef | None) -> None:
        scope.mark_top_level(statements)
        scopes = [scope, *outer]
        body = FunctionBody(qualname, class_name, node, scope, Evaluator(self.imports, scopes, self.classes))
        self.bodies.append(body)
        nested = collect_scope(statements, body)
        self.import_nodes.extend(body.imports)
        for definition in nested:
            name = f"{qualname}.{definition.name}" if qualname else definition.name
            if isinstance(definition, ast.ClassDef):
                class_scope = Scope(None)
                self._class_scopes.add(id(class_scope))
                self._scope(definition.body, class_scope, scopes[-1:], name, definition.name, definition)
            else:
                # Enclosing function scopes stay visible (closures); class bodies do not.
                visible = [s for s in scopes if id(s) not in self._class_scopes]
                self._scope(definition.body, Scope(None, _params(definition)), visible, name, class_name, definition)


def _params(node: FunctionNode) -> set[str]:
    args = node.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if args.vararg:
        params.add(args.vararg.arg)
    if args.kwarg:
        params.add(args.kwarg.arg)
    return params


def _note_function_writes(bodies: list[FunctionBody], module_scope: Scope) -> None:
    """A function that rebinds a module-level name (``global GRACE; GRACE = ...``) or changes a
    module-level dict (``OPTIONS["graceful_shutdown_timeout"] = ...`` in a setup function) changes
    it for every reader: the module's own assignment is then not its value."""
    for body in bodies:
        if not body.is_function:
            continue
        local = body.scope
        for name in local.declared_global & set(local.assigned):
            module_scope.assigned.setdefault(name, []).extend(local.assigned[name] * 2)
        for name, updates in local.dict_updates.items():
            if name in local.declared_global or (name not in local.assigned and name not in local.params):
                module_scope.dict_updates.setdefault(name, []).extend(updates)


class _ModuleVisitor:
    """Worker constructions, runs and signal handlers, read from the collected scopes."""

    def __init__(self, facts: PythonFacts, imports: Imports, module_scope: Scope, classes: dict[str, Fields]) -> None:
        self.facts = facts
        self.imports = imports
        self.module_scope = module_scope
        self.facts_classes = classes
        self.path = facts.path

    def run(self, tree: ast.Module, bodies: list[FunctionBody]) -> None:
        evaluator = Evaluator(self.imports, [self.module_scope], self.facts_classes)
        for name in self.module_scope.assigned:
            value = self.module_scope.single_value(name)
            if value is not None:
                resolved = evaluator.eval(value)
                if not isinstance(resolved, Unknown):
                    self.facts.constants[name] = _without_secret(name, resolved)
        # `from .timeouts import DRAIN` in a package's __init__.py: `from pkg import DRAIN` elsewhere
        # reads the same value, so the name is a constant of this module too (folded by the project).
        for statement in bodies[0].imports:
            if isinstance(statement, ast.ImportFrom):
                for alias in statement.names:
                    name = alias.asname or alias.name
                    if alias.name == "*" or name in self.facts.constants or name in self.module_scope.assigned:
                        continue
                    resolved = evaluator.eval(ast.Name(id=name))
                    if isinstance(resolved, Ref) and resolved.module != self.facts.key:
                        self.facts.constants[name] = resolved
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.facts.functions.add(node.name)
            if isinstance(node, ast.If) and _is_main_guard(node.test) and self.facts.main_guard is None:
                self.facts.main_guard = self._loc(node)
        for body in bodies:
            self._visit(body)

    def _visit(self, body: FunctionBody) -> None:
        scope = body.scope
        func_node = body.node if isinstance(body.node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if func_node is not None and (body.qualname.count(".") == 0 or body.class_name):  # functions, methods
            returned = _returned_callees(body)
            names = [self.imports.qualname(c) or UNTRACED if c is not None else UNTRACED for c in returned]
            if names:
                self.facts.returned_calls[body.qualname] = tuple(dict.fromkeys(names))
        for call in body.calls:
            self._call(call, body.evaluator, scope, body.qualname, body.class_name, func_node)
        for statement in body.withs:
            if isinstance(statement, ast.AsyncWith):
                for item in statement.items:
                    builder = self._run_of(item.context_expr, scope)
                    if builder is not None:
                        self.facts.runs.append(WorkerRun(self._loc(item.context_expr), "async with", builder))
        if isinstance(body.node, ast.ClassDef) and "." not in body.qualname:
            cls = body.node
            bases = tuple(q for q in (self.imports.qualname(b) for b in cls.bases) if q)
            self.facts.classes[cls.name] = ClassDef(cls.name, bases, self._loc(cls))

    # -- calls -------------------------------------------------------------------------------

    def _call(self, node: ast.Call, evaluator: Evaluator, scope: Scope, function: str, class_name: str,
              func_node: ast.FunctionDef | ast.AsyncFunctionDef | None) -> None:
        qualname = self.imports.qualname(node.func) or ""
        if qualname in WORKER_CLASSES:
            self._worker(node, qualname, evaluator, scope, function, func_node)
        elif _is_super_init(node) and class_name and func_node is not None and func_node.name == "__init__":
            construction = self._construction(node, "", evaluator, scope, function, func_node)
            self.facts.workers.append(_with_subclass(construction, class_name))
        elif qualname and any(k.arg in ("task_queue", GRACEFUL) for k in node.keywords):
            # A project factory or Worker subclass, maybe: the project phase decides.
            self._worker(node, qualname, evaluator, scope, function, func_node)
        self._signal_handler(node, qualname, scope)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "run" and not node.args:
            builder = self._run_of(node.func.value, scope)
            if builder is not None:
                self.facts.runs.append(WorkerRun(self._loc(node), f"{source_text(node.func.value)}.run()", builder))

    def _worker(self, node: ast.Call, qualname: str, evaluator: Evaluator, scope: Scope, function: str,
                func_node: ast.FunctionDef | ast.AsyncFunctionDef | None) -> None:
        self.facts.workers.append(self._construction(node, qualname, evaluator, scope, function, func_node))

    def _construction(self, node: ast.Call, callee: str, evaluator: Evaluator, scope: Scope, function: str,
                      func_node: ast.FunctionDef | ast.AsyncFunctionDef | None) -> WorkerConstruction:
        graceful: Expr = Missing()
        unresolved = ""
        forwards = False
        for keyword in node.keywords:
            if keyword.arg == GRACEFUL:
                graceful = scalar(evaluator.eval(keyword.value))
            elif keyword.arg is None:
                splat = keyword.value
                kwarg_name = func_node.args.kwarg.arg if func_node and func_node.args.kwarg else None
                if isinstance(splat, ast.Name) and splat.id == kwarg_name:
                    forwards = True
                    if scope.dict_updates.get(kwarg_name) or kwarg_name in scope.assigned:
                        # `kwargs.setdefault("graceful_shutdown_timeout", ...)` or
                        # `kwargs = {**DEFAULTS, **kwargs}` before passing them on: not the caller's
                        # keywords alone, and tprlint does not track what was added.
                        unresolved = f"**{kwarg_name}"
                    continue
                view = kwargs_view(splat, evaluator, node.lineno)
                if GRACEFUL in view.items:
                    graceful = scalar(view.items[GRACEFUL])
                elif not view.complete:
                    unresolved = f"**{source_text(splat)}"
        options: dict[str, Expr] = {}
        for keyword in node.keywords:
            if keyword.arg is not None:
                options[keyword.arg] = evaluator.eval(keyword.value)
            else:
                options.update(kwargs_view(keyword.value, evaluator, node.lineno).items)
        return WorkerConstruction(
            location=self._loc(node), function=function, callee=callee, graceful=graceful,
            unresolved_splat=unresolved, forwards_kwargs=forwards, options=tuple(options.items()),
        )

    def _signal_handler(self, node: ast.Call, qualname: str, scope: Scope) -> None:
        mechanism = SIGNAL_INSTALLERS.get(qualname) or FRAMEWORK_SIGNAL_HANDLING.get(qualname)
        if mechanism is None and isinstance(node.func, ast.Attribute) and node.func.attr == "add_signal_handler":
            mechanism = "loop.add_signal_handler"
        if mechanism is None:
            return
        if qualname in FRAMEWORK_SIGNAL_HANDLING:
            signals: tuple[str, ...] = ("SIGTERM", "SIGINT")
        elif node.args:
            signals = self._signal_names(node.args[0], scope)
        else:
            signals = ("?",)
        self.facts.signal_handlers.append(SignalHandler(self._loc(node), signals, mechanism))

    def _signal_names(self, node: ast.expr, scope: Scope, depth: int = 0) -> tuple[str, ...]:
        if isinstance(node, ast.Starred):
            node = node.value
        qualname = self.imports.qualname(node) or ""
        if qualname.startswith("signal.") and qualname.rsplit(".", 1)[1].startswith("SIG"):
            return (qualname.rsplit(".", 1)[1],)
        if isinstance(node, ast.Name) and node.id in scope.loops and depth < 3:
            iterable = scope.loops[node.id]
            if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)):
                names: list[str] = []
                for element in iterable.elts:
                    names.extend(self._signal_names(element, scope, depth + 1))
                return tuple(names)
        return ("?",)

    def _run_of(self, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        """Is this (probably) a Worker? "" when it is: a construction, a name bound to one, or named
        like one. The callee's qualified name when it is the result of a call only the project can
        judge (``w = build(client)``: does the project's ``build`` build a Worker?). None otherwise."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            qualname = self.imports.qualname(node.func) or ""
            if qualname in WORKER_CLASSES or "worker" in qualname.lower():
                return ""
            return qualname if "." in qualname else None
        if isinstance(node, ast.Name):
            value = scope.single_value(node.id)
            if value is not None and isinstance(value, (ast.Call, ast.Await)):
                # What it is bound to decides, not its name (`x = await x` binds it to itself).
                return self._run_of(value, scope, depth + 1) if depth < 8 else None
            return "" if "worker" in node.id.lower() else None
        if isinstance(node, ast.Attribute):
            return "" if "worker" in node.attr.lower() else None
        return None

    def _loc(self, node: ast.AST) -> Location:
        return location(self.path, node)


_MAX_RETURN_DEPTH = 64  # conditional expressions and names, one inside the other: deeper is untraced


def _returned_callees(body: FunctionBody) -> list[ast.expr | None]:
    """What the calls whose result the function returns call - ``return make(...)``, ``return await
    make(...)``, ``return a() if x else b()``, ``w = make(...)`` (on any path) then ``return w`` -
    and None for a returned value that is no such call (``return self._worker``; ``return None`` is
    left out). Each name is followed once, so the work is linear in the function's size."""
    found: list[ast.expr | None] = []
    seen: set[str] = set()

    def follow(value: ast.expr | None, depth: int) -> None:
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return
        if depth > _MAX_RETURN_DEPTH:
            found.append(None)
            return
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call):
            found.append(value.func)
        elif isinstance(value, ast.IfExp):
            follow(value.body, depth + 1)
            follow(value.orelse, depth + 1)
        elif isinstance(value, ast.Name) and value.id in body.scope.assigned:
            if value.id not in seen:  # `w = Worker(a)` on one path, `Worker(b)` on another; `v = v`
                seen.add(value.id)
                for bound in body.scope.assigned[value.id]:
                    follow(bound, depth + 1)
        else:
            found.append(None)

    for statement in body.returns:
        follow(statement.value, 0)
    return found


def _without_secret(name: str, value: Expr) -> Expr:
    """Constants are cached on disk: a credential's value is replaced (rules only need to know that a
    literal is there, e.g. that an ``api_key`` is set). Secret-named constants lose every string;
    others lose strings that carry key material or a password in a URL."""
    if secret_kind(name):
        return redact(value)
    text = value.value if isinstance(value, Lit) else value.default.value if (
        isinstance(value, Env) and isinstance(value.default, Lit)) else None
    if isinstance(text, str) and ("PRIVATE KEY" in text or _URL_WITH_PASSWORD.search(text)):
        return redact(value)
    return value


_URL_WITH_PASSWORD = re.compile(r"://[^:/@\s]+:[^@/\s]+@")


def _splat_items(splat: ast.expr, evaluator: Evaluator) -> dict[str, Expr] | None:
    """Every entry of a ``**splat`` dict tprlint can see, or None when it can see none of it."""
    view = kwargs_view(splat, evaluator, getattr(splat, "lineno", 0) + 1)
    return view.items if view.items or view.complete else None


def _with_subclass(construction: WorkerConstruction, class_name: str) -> WorkerConstruction:
    return replace(construction, callee="super", in_subclass_init=class_name)


def _is_super_init(node: ast.Call) -> bool:
    """``super().__init__(...)``, or the explicit ``Worker.__init__(self, ...)`` form."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "__init__"):
        return False
    if isinstance(func.value, ast.Call):
        return isinstance(func.value.func, ast.Name) and func.value.func.id == "super"
    return isinstance(func.value, (ast.Name, ast.Attribute)) and bool(node.args) and (
        isinstance(node.args[0], ast.Name) and node.args[0].id == "self"
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main
