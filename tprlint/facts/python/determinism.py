"""Facts for the workflow determinism checker (TPR210-TPR213).

Which functions are workflow code is only known for the whole project (a workflow in one module calls
a helper in another), so extraction records, for every function of a module, what the project phase
needs to decide later and nothing more:

* ``reasons``: the function's own non-deterministic or non-replay-safe operations (``datetime.now()``,
  ``open(...)``, iterating a set, ``asyncio.wait``, ``print``), each at its source location;
* ``calls``: the calls that may lead into other project code (``helper()``, ``self._step()``,
  ``super().run()``, ``util.compute()``, ``Helper(...)``). Calls into the standard library and the
  Temporal SDK are never followed, so they are not stored.

The link phase (``tprlint.link.call_graph``) walks these from every workflow entry method.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import field

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.determinism_apis import (
    BUILTINS,
    CALLBACK_TAKERS,
    EXACT,
    LOG_METHODS,
    LOGGER_FACTORIES,
    LOGGER_OBJECTS,
    MODULES,
    NOW_WITHOUT_ARGS,
    PATH_CLASSES,
    PATH_IO,
    PATH_PURE,
    PURE,
    SEEDED,
    module_of,
)
from tprlint.facts.python.names import Scope, source_text
from tprlint.facts.python.workflow_regions import Regions, child_blocks, regions_of
from tprlint.facts.python.workflows import METHOD_ROLES
from tprlint.model import Location
from tprlint.records import frozen, mutable

TPR_CALL = "TPR210"
TPR_SET = "TPR211"
TPR_WAIT = "TPR212"
TPR_LOG = "TPR213"


@frozen
class Reason:
    """One operation that makes workflow code non-deterministic (or, for TPR213, not replay-aware)."""

    rule: str  # TPR210..TPR213
    kind: str  # what it is: "clock", "time", "sleep", "random", "uuid", "thread", "io", "os", "env", ...
    api: str  # the qualified name judged ("datetime.datetime.now", "open", "os.environ") or the expression
    location: Location
    unrestricted: bool = False  # inside `with workflow.unsafe.sandbox_unrestricted():`
    detail: str = ""  # e.g. "without a seed" for `random.Random()`
    quiet: bool = False  # under `if not workflow.unsafe.is_replaying():`


@frozen
class CallEdge:
    """A call that may lead into project code. ``kind``:

    * ``name``: ``target`` is the qualified name the call resolves to through imports
      (``app.util.compute``, ``path:app/util.Helper``, ``path:app/wf.helper`` for this module);
    * ``self``: a method called on ``self``/``cls`` (``target`` is the method name);
    * ``super``: ``super().target()``;
    * ``local``: a function nested in this one or an enclosing one (``target`` is its qualname);
    * ``logger``: ``target.info(...)`` where ``target`` may be a logger defined in another module.
    """

    kind: str
    target: str
    location: Location
    unrestricted: bool = False
    quiet: bool = False  # under `if not workflow.unsafe.is_replaying():`


@frozen
class FunctionFacts:
    qualname: str  # "OrderWorkflow.run", "is_late", "OrderWorkflow.run.pick"
    owner: str  # qualname of the class whose `self` this code sees ("" for plain functions)
    location: Location
    reasons: tuple[Reason, ...] = ()
    calls: tuple[CallEdge, ...] = ()


@frozen
class HandlerMethod:
    """A method decorated as workflow code (``@workflow.signal`` ...) in a class that is not itself a
    ``@workflow.defn``: a base class whose handlers every workflow deriving from it inherits."""

    class_name: str
    method: str
    role: str
    location: Location


@mutable
class DeterminismFacts:
    # Only functions that do something worth following or reporting; the rest are silent leaves.
    # Activities (`@activity.defn`) are never recorded: they may do I/O and are not workflow code.
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    # Every class's method names (also clean ones), so `self.m()` finds the override, not a base's m.
    methods: dict[str, tuple[str, ...]] = field(default_factory=dict)
    handlers: tuple[HandlerMethod, ...] = ()
    loggers: tuple[str, ...] = ()  # module-level names bound to stdlib/structlog/loguru loggers


_ACTIVITY_DEFN = "temporalio.activity.defn"

_SET_TYPES = frozenset({
    "set", "frozenset", "typing.Set", "typing.FrozenSet", "typing.AbstractSet", "collections.abc.Set",
    "collections.abc.MutableSet",
})
_SET_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
_SET_OPS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)
_ORDER_KEEPING = frozenset({"list", "tuple", "enumerate", "iter", "zip"})  # iterate their argument's order
_ORDER_FREE = frozenset({"sorted", "sum", "any", "all", "min", "max", "set", "frozenset", "len"})

# Calls into these are never project code: not stored (a third-party name may be declared
# non-deterministic in config, so those are kept).
_NOT_PROJECT = frozenset(sys.stdlib_module_names) | {"temporalio", "builtins", "typing_extensions", "pydantic"}
_MAX_DEPTH = 8


def extract_determinism(code: ModuleCode, facts: DeterminismFacts) -> None:
    methods: dict[str, list[str]] = {}
    owners: dict[str, str] = {}  # method qualname -> class qualname
    classes: dict[str, FunctionBody] = {}
    workflow_classes: set[str] = set()
    handlers: list[HandlerMethod] = []
    for body in code.bodies:
        node = body.node
        if not isinstance(node, ast.ClassDef):
            continue
        classes[body.qualname] = body
        names = code.decorator_names(body)
        if "temporalio.workflow.defn" in names:
            workflow_classes.add(body.qualname)
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.setdefault(body.qualname, []).append(item.name)
                owners[f"{body.qualname}.{item.name}"] = body.qualname
                role = _handler_role(code, item)
                if role and body.qualname not in workflow_classes:
                    handlers.append(HandlerMethod(body.qualname, item.name, role, code.loc(item)))
    facts.methods = {name: tuple(found) for name, found in methods.items()}
    facts.handlers = tuple(handlers)
    if code.bodies:
        facts.loggers = tuple(sorted(_module_loggers(code, code.bodies[0])))
    defined = {body.qualname for body in code.bodies if body.is_function}
    for body in code.bodies:
        if not body.is_function or _ACTIVITY_DEFN in code.decorator_names(body):
            continue
        owner = _owner(body.qualname, owners)
        scanner = _FunctionScanner(code, body, owner, defined, classes.get(owner))
        function = scanner.scan()
        if function is not None:
            facts.functions[body.qualname] = function


def _handler_role(code: ModuleCode, item: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for decorator in item.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        role = METHOD_ROLES.get(code.qualname(target))
        if role is not None:
            return role
        if isinstance(target, ast.Attribute) and target.attr == "validator":
            return "validator"
    return ""


def _owner(qualname: str, owners: dict[str, str]) -> str:
    """The class whose instance ``self`` is in this function: its method's class, also for functions
    nested in a method (closures see the method's ``self``)."""
    parts = qualname.split(".")
    for end in range(len(parts), 1, -1):
        found = owners.get(".".join(parts[:end]))
        if found is not None:
            return found
    return ""


def _module_loggers(code: ModuleCode, module: FunctionBody) -> Iterator[str]:
    for name in module.scope.assigned:
        value = module.scope.single_value(name)
        if value is not None and _is_logger_value(code, value):
            yield name


def _is_logger_value(code: ModuleCode, value: ast.expr) -> bool:
    if isinstance(value, ast.Call):
        return code.callee(value) in LOGGER_FACTORIES
    return code.qualname(value) in LOGGER_OBJECTS


# -- one function ----------------------------------------------------------------------------------


class _FunctionScanner:
    def __init__(self, code: ModuleCode, body: FunctionBody, owner: str, defined: set[str],
                 owner_body: FunctionBody | None) -> None:
        self.code = code
        self.body = body
        self.owner = owner
        self.defined = defined
        self.owner_body = owner_body
        self.reasons: list[Reason] = []
        self.calls: list[CallEdge] = []
        self.regions = Regions()  # where the code is not workflow code, or runs only when not replaying
        self.self_names = _self_names(body) if owner else frozenset()
        self._self_attrs: dict[str, list[ast.expr] | None] = {}
        self._order_free: set[int] = set()  # comprehensions whose result does not depend on order

    def scan(self) -> FunctionFacts | None:
        body = self.body
        if not (body.calls or body.loops or body.attributes):
            return None
        self.regions = regions_of(self.code, body)
        for call in body.calls:
            self._call(call)
            for lam in _lambdas(call):
                for inner in ast.walk(lam.body):
                    if isinstance(inner, ast.Call):
                        self._call(inner)
        for attribute in body.attributes:
            self._environ(attribute)
        if body.loops:
            self._note_order_free()
            for loop in body.loops:
                self._loop(loop)
        if not (self.reasons or self.calls):
            return None
        return FunctionFacts(body.qualname, self.owner, self.code.loc(body.node or self.code.tree),
                             tuple(self.reasons), tuple(self.calls))

    # -- context ----------------------------------------------------------------------------------

    def _flags(self, node: ast.AST) -> tuple[bool, bool, bool]:
        """(inside imports_passed_through, inside sandbox_unrestricted, only when not replaying)."""
        return self.regions.flags(getattr(node, "lineno", 0))

    def _reason(self, rule: str, kind: str, api: str, node: ast.AST, detail: str = "") -> None:
        passed, unrestricted, quiet = self._flags(node)
        if passed or (quiet and rule == TPR_LOG):
            return
        self.reasons.append(Reason(rule, kind, api, self.code.loc(node), unrestricted, detail, quiet))

    def _edge(self, kind: str, target: str, node: ast.AST) -> None:
        passed, unrestricted, quiet = self._flags(node)
        if not passed:
            self.calls.append(CallEdge(kind, target, self.code.loc(node), unrestricted, quiet))

    # -- calls ------------------------------------------------------------------------------------

    def _call(self, call: ast.Call) -> None:
        func = call.func
        name = self.code.callee(call)
        if not name and isinstance(func, ast.Name) and func.id in BUILTINS and not self._bound(func.id):
            name = func.id
        if name and self._shadowed(func):
            name = ""  # `random = workflow.random()` ... `random.randint(...)`: not the module
        if name:
            if name in CALLBACK_TAKERS:
                self._callbacks(call, CALLBACK_TAKERS[name])
            if self._api(call, name):
                return
            if name not in BUILTINS and name.split(".", 1)[0] not in _NOT_PROJECT:
                self._edge("name", name, call)
                self._project_logger(call, name)
            return
        if isinstance(func, ast.Name):
            local = self._nested(func.id)
            if local:
                self._edge("local", local, call)
                return
            alias = self._value(func.id)  # `now = datetime.now` ... `now()`
            if isinstance(alias, (ast.Name, ast.Attribute)):
                name = self.code.qualname(alias)
                if name:
                    self._api(call, name)
            return
        if not isinstance(func, ast.Attribute):
            return
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in self.self_names:
            self._edge("self", func.attr, call)
            return
        if (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super"
                and self.owner):
            self._edge("super", func.attr, call)
            return
        self._receiver_call(call, func, receiver)

    def _callbacks(self, call: ast.Call, position: int) -> None:
        """Handlers registered at run time (``workflow.set_query_handler("state", self._state)``) and
        ``workflow.wait_condition(self._ready)`` run as workflow code: follow the function passed."""
        callbacks = [call.args[position]] if len(call.args) > position else []
        callbacks += [k.value for k in call.keywords if k.arg in ("handler", "fn", "validator")]
        for callback in callbacks:
            if isinstance(callback, ast.Attribute) and isinstance(callback.value, ast.Name) and (
                callback.value.id in self.self_names
            ):
                self._edge("self", callback.attr, callback)
            elif isinstance(callback, (ast.Name, ast.Attribute)):
                target = self.code.qualname(callback)
                local = self._nested(callback.id) if isinstance(callback, ast.Name) else ""
                if local:
                    self._edge("local", local, callback)
                elif target and target.split(".", 1)[0] not in _NOT_PROJECT:
                    self._edge("name", target, callback)

    def _receiver_call(self, call: ast.Call, func: ast.Attribute, receiver: ast.expr) -> None:
        """``x.m()`` where ``x`` is not an imported name: a logger, a Path, an executor, an instance."""
        if func.attr == "run_in_executor":
            self._reason(TPR_CALL, "thread", "loop.run_in_executor", call)
        elif func.attr in LOG_METHODS and self._is_logger(receiver):
            self._reason(TPR_LOG, "logger", f"{source_text(receiver, 60, None)}.{func.attr}", call)
        elif func.attr in PATH_IO and self._is_path(receiver, 0):
            self._reason(TPR_CALL, "io", f"pathlib.Path.{func.attr}", call)
        elif isinstance(receiver, ast.Name):
            # `h = Helper(...); h.run()` / `client = vendor.Client(); client.get()`: the class's method.
            value = self._value(receiver.id)
            if isinstance(value, ast.Call):
                cls = self.code.callee(value)
                if cls and cls.split(".", 1)[0] not in _NOT_PROJECT:
                    self._edge("name", f"{cls}.{func.attr}", call)

    def _api(self, call: ast.Call, name: str) -> bool:
        """Record ``name`` as a reason when it is a known API; True when it is one (judged or not)."""
        receiver, _, method = name.rpartition(".")
        if method in LOG_METHODS and (receiver in LOGGER_OBJECTS or receiver == "logging"):
            self._reason(TPR_LOG, "logger", name, call)
            return True
        if receiver == "logging" or receiver.startswith("logging."):
            return True
        kind = EXACT.get(name)
        if kind is None and name in NOW_WITHOUT_ARGS:
            if len(call.args) > NOW_WITHOUT_ARGS[name] or call.keywords:
                return True
            kind = "clock"
        if kind is None and name.startswith("os.environ."):
            return True  # reported once, at the `os.environ` read itself
        if kind is None:
            module = module_of(name)
            if module is None or name in PURE:
                return module is not None
            if name in SEEDED:
                if call.args or call.keywords:
                    return True
                self._reason(TPR_CALL, MODULES[module], name, call, "without a seed")
                return True
            kind = MODULES[module]
        if kind == "print":
            self._reason(TPR_LOG, kind, name, call)
        elif kind == "asyncio-wait":
            self._reason(TPR_WAIT, kind, name, call)
        else:
            self._reason(TPR_CALL, kind, name, call)
        return True

    def _project_logger(self, call: ast.Call, name: str) -> None:
        """``log.info(...)`` where ``log`` is imported from a project module: a logger defined there?"""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS and "." in name:
            self._edge("logger", name, call)

    def _environ(self, attribute: ast.Attribute) -> None:
        """``os.environ[...]``, ``os.environ.get(...)``, ``environ.get(...)`` after ``from os import environ``."""
        name = self.code.qualname(attribute)
        if self._shadowed(attribute):
            return
        if name == "os.environ" or (
            isinstance(attribute.value, ast.Name) and self.code.qualname(attribute.value) == "os.environ"
        ):
            self._reason(TPR_CALL, "env", "os.environ", attribute)

    # -- loops (TPR211) -----------------------------------------------------------------------------

    def _note_order_free(self) -> None:
        """Comprehensions that build a set (``{x for x in s}``) or feed an order-blind consumer
        (``sorted(x for x in s)``, ``sum(...)``, ``any(...)``): iterating a set there is harmless."""
        comprehensions: list[ast.expr] = []
        for call in self.body.calls:
            if isinstance(call.func, ast.Name) and call.func.id in _ORDER_FREE and not self._bound(call.func.id):
                comprehensions.extend(call.args)
        for values in self.body.scope.assigned.values():
            comprehensions.extend(v for v in values if isinstance(v, ast.SetComp))
        comprehensions.extend(r.value for r in self.body.returns if isinstance(r.value, ast.SetComp))
        for node in comprehensions:
            if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
                self._order_free.update(id(generator) for generator in node.generators)

    def _loop(self, loop: ast.For | ast.AsyncFor | ast.comprehension) -> None:
        if id(loop) in self._order_free:
            return
        iterable = loop.iter
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and (
            iterable.func.id in _ORDER_KEEPING and not self._bound(iterable.func.id)
        ):
            candidates = [a for a in iterable.args if not isinstance(a, ast.Starred)]
        else:
            candidates = [iterable]
        for candidate in candidates:
            if self._is_set(candidate, 0):
                self._reason(TPR_SET, "set", source_text(candidate, 60, None), candidate)
                return

    def _is_set(self, expr: ast.expr, depth: int, names: bool = True) -> bool:
        """Is ``expr`` a set? ``names``: may names in it be looked up in this function's scopes (not for
        values assigned to ``self.attr`` in another method, whose names mean something else)."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(expr, ast.Set):
            # Small ints hash to themselves: a set of int literals iterates in the same order everywhere.
            return not all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in expr.elts)
        if isinstance(expr, ast.SetComp):
            return True
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Name) and func.id in ("set", "frozenset") and not self._bound(func.id):
                return True
            return (isinstance(func, ast.Attribute) and func.attr in _SET_METHODS
                    and self._is_set(func.value, depth + 1, names))
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, _SET_OPS):
            return self._is_set(expr.left, depth + 1, names) or (
                not isinstance(expr.op, ast.Sub) and self._is_set(expr.right, depth + 1, names)
            )
        if not names:
            return False
        if isinstance(expr, ast.Name):
            annotation = self._param_annotation(expr.id)
            if annotation is not None:
                return self._is_set_type(annotation)
            value = self._value(expr.id)
            return value is not None and self._is_set(value, depth + 1)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in self.self_names:
            values = self._self_attribute(expr.attr)
            return bool(values) and all(
                self._is_set(v, depth + 1, names=False) or self._is_set_type(v) for v in values or ()
            )
        return False

    def _is_set_type(self, annotation: ast.expr, depth: int = 0) -> bool:
        """``set[str]``, ``frozenset``, ``Optional[Set[str]]``, ``set[str] | None``; not ``set[int]``:
        ints hash to themselves, so a set of ints iterates in the same order in every process."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):  # `set[str] | None`
            return self._is_set_type(annotation.left, depth + 1) or self._is_set_type(annotation.right, depth + 1)
        element: ast.expr | None = None
        if isinstance(annotation, ast.Subscript):
            element = annotation.slice
            if self.code.qualname(annotation.value) == "typing.Optional":
                return self._is_set_type(element, depth + 1)
            annotation = annotation.value
        if isinstance(annotation, ast.Name) and annotation.id in ("set", "frozenset"):
            is_set = not self._bound(annotation.id)
        else:
            is_set = self.code.qualname(annotation) in _SET_TYPES
        return is_set and not (isinstance(element, ast.Name) and element.id in ("int", "bool"))

    # -- names ------------------------------------------------------------------------------------

    def _scopes(self) -> list[Scope]:
        return self.body.evaluator.scopes

    def _bound(self, name: str) -> bool:
        """A builtin's name rebound in the module or an enclosing scope (``def print(...)``)."""
        if name in self.code.imports.bindings or self._nested(name):
            return True
        return any(name in s.assigned or name in s.params for s in self._scopes())

    def _value(self, name: str) -> ast.expr | None:
        """The one value ``name`` is bound to in the nearest scope binding it, or None."""
        for scope in self._scopes():
            if name in scope.params:
                return None
            if name in scope.assigned:
                return scope.single_value(name)
        return None

    def _param_annotation(self, name: str) -> ast.expr | None:
        node = self.body.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or name in self.body.scope.assigned:
            return None
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            if arg.arg == name:
                return arg.annotation
        return None

    def _nested(self, name: str) -> str:
        """The qualname of a function nested in this one (or an enclosing one) called by bare name."""
        if self._bound_locally(name):
            return ""
        parts = self.body.qualname.split(".")
        for end in range(len(parts), 0, -1):
            enclosing = ".".join(parts[:end])
            candidate = f"{enclosing}.{name}"
            if enclosing in self.defined and candidate in self.defined:
                return candidate
        return ""

    def _shadowed(self, expr: ast.expr) -> bool:
        """The imported name a dotted chain starts with is rebound in this function (or an enclosing one)."""
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        return isinstance(expr, ast.Name) and any(
            expr.id in s.assigned or expr.id in s.params for s in self._scopes()[:-1]
        )

    def _bound_locally(self, name: str) -> bool:
        return any(name in s.params for s in self._scopes()[:-1])

    def _is_logger(self, receiver: ast.expr) -> bool:
        if isinstance(receiver, ast.Call):
            return self.code.callee(receiver) in LOGGER_FACTORIES
        if isinstance(receiver, ast.Name):
            value = self._value(receiver.id)
            return value is not None and _is_logger_value(self.code, value)
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and (
            receiver.value.id in self.self_names
        ):
            values = self._self_attribute(receiver.attr)
            return bool(values) and all(_is_logger_value(self.code, v) for v in values or ())
        return False

    def _is_path(self, expr: ast.expr, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if isinstance(expr, ast.Call):
            if self.code.callee(expr) in PATH_CLASSES:
                return True
            func = expr.func
            return isinstance(func, ast.Attribute) and func.attr in PATH_PURE and self._is_path(func.value, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            return self._is_path(expr.left, depth + 1)
        if isinstance(expr, ast.Attribute) and expr.attr == "parent":
            return self._is_path(expr.value, depth + 1)
        if isinstance(expr, ast.Name):
            value = self._value(expr.id)
            return value is not None and self._is_path(value, depth + 1)
        return False

    def _self_attribute(self, attr: str) -> list[ast.expr] | None:
        """Every value the owner class assigns to ``self.<attr>`` (and its class-level default), or None
        when one assignment is not a plain ``self.attr = value`` tprlint can see."""
        if attr not in self._self_attrs:
            self._self_attrs[attr] = self._collect_self_attribute(attr)
        return self._self_attrs[attr]

    def _collect_self_attribute(self, attr: str) -> list[ast.expr] | None:
        owner = self.owner_body
        if owner is None or not isinstance(owner.node, ast.ClassDef):
            return None
        values: list[ast.expr] = []
        class_value = owner.scope.assigned.get(attr)
        if class_value is not None:
            if len(class_value) != 1:
                return None
            values.append(class_value[0])
        seen = 0
        stores = 0
        prefix = f"{owner.qualname}."
        for other in self.code.bodies:
            if other.qualname.startswith(prefix) and other.is_function:
                stores += sum(1 for a in other.attributes if a.attr == attr and isinstance(a.ctx, ast.Store)
                              and isinstance(a.value, ast.Name) and a.value.id in ("self", "cls"))
        for item in owner.node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for value in _self_assignments(item.body, attr):
                    seen += 1
                    if value is not None:
                        values.append(value)
        if seen != stores:
            return None  # assigned somewhere tprlint does not follow (tuple unpacking, a nested def)
        return values


def _self_names(body: FunctionBody) -> frozenset[str]:
    names = {"self", "cls"}
    node = body.node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        positional = [*node.args.posonlyargs, *node.args.args]
        if positional and body.class_name and body.qualname.count(".") == 1:
            names.add(positional[0].arg)
    return frozenset(names)


def _self_assignments(statements: list[ast.stmt], attr: str) -> Iterator[ast.expr | None]:
    """Values of ``self.attr = v``, annotations of ``self.attr: T = v``, and set-keeping ``self.attr |= v``
    in a method's statements. Statements only: expressions are not walked."""
    for statement in statements:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if _is_self_attr(target, attr):
                    yield statement.value
        elif isinstance(statement, ast.AnnAssign) and _is_self_attr(statement.target, attr):
            yield statement.annotation  # the declared type says more than `set()` (`set[int]` is harmless)
        elif isinstance(statement, ast.AugAssign) and _is_self_attr(statement.target, attr):
            yield statement.value if isinstance(statement.op, _SET_OPS) else ast.Constant(value=None)
        for child in child_blocks(statement):
            yield from _self_assignments(child, attr)


def _is_self_attr(target: ast.expr, attr: str) -> bool:
    return (isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name)
            and target.value.id in ("self", "cls"))


def _lambdas(call: ast.Call) -> Iterable[ast.Lambda]:
    """Lambdas passed to a call (``wait_condition(lambda: ...)``, ``sorted(key=lambda ...)``): their
    bodies run as part of this function. Nested scopes are not indexed, so they are read here."""
    for value in (*call.args, *(k.value for k in call.keywords)):
        if isinstance(value, ast.Lambda):
            yield value
