"""Turn an expression's AST into a ``values.Expr`` using what this module alone can see."""

from __future__ import annotations

import ast

from tprlint.facts.python.names import Imports, Scope, source_text, split_qualname
from tprlint.facts.python.values import (
    TIMEDELTA_POSITIONAL,
    Attr,
    DurOf,
    Env,
    Expr,
    Fields,
    Lit,
    New,
    Obj,
    Ref,
    Seq,
    Sym,
    Unknown,
    apply_op,
    fold,
    is_symbolic,
)

TIMEDELTA = frozenset({"datetime.timedelta"})
ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}
_MAX_DEPTH = 30
_MAX_ITEMS = 200  # longer literals are data, not options


class Evaluator:
    def __init__(self, imports: Imports, scopes: list[Scope], classes: dict[str, Fields] | None = None) -> None:
        self.imports = imports
        self.scopes = scopes  # innermost first; the module scope last
        self.classes = classes if classes is not None else {}  # the module's settings classes (settings_classes.py)

    def eval(self, node: ast.expr, depth: int = 0) -> Expr:
        if depth > _MAX_DEPTH:
            return Unknown("expression too deeply nested")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (int, float, str, bool)) or value is None:
                return Lit(value)
            return Unknown("unsupported literal")
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.eval(node.left, depth + 1), self.eval(node.right, depth + 1)
            return apply_op(_BINOPS[type(node.op)], left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return apply_op("neg", self.eval(node.operand, depth + 1), None)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self._or(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return Unknown("sequence with *unpacking")
            return Seq(tuple(self.eval(e, depth + 1) for e in node.elts[:_MAX_ITEMS]))
        return Unknown(f"`{source_text(node, 60, None)}` is not a static value")

    def _name(self, name: str, depth: int) -> Expr:
        for scope in self.scopes:
            if name in scope.params:
                return Unknown(f"`{name}` is a parameter: its value comes from the caller")
            if name in scope.assigned:
                value = scope.single_value(name)
                if value is None:
                    return Unknown(f"`{name}` is assigned more than once")
                return self.eval(value, depth + 1)
        if name in self.classes:
            return self.classes[name]
        qualname = self.imports.qualname(ast.Name(id=name))
        if qualname:
            return self._ref(qualname)
        return Unknown(f"`{name}` is not defined in this module")

    def _attribute(self, node: ast.Attribute, depth: int) -> Expr:
        qualname = self.imports.qualname(node)
        if qualname:
            return self._ref(qualname)
        if isinstance(node.value, (ast.Name, ast.Attribute, ast.Call)):
            # `settings.DRAIN`, `cfg.timeout`, `Settings().drain`: an instance of a settings class, maybe.
            base = self.eval(node.value, depth + 1)
            if isinstance(base, (New, Attr, Ref, Fields)) or (isinstance(base, Obj) and _maybe_project(base.callee)):
                return Attr(base, node.attr)
        return Unknown(f"`{source_text(node, 60, None)}` is read at run time")

    def _ref(self, qualname: str) -> Expr:
        parts = split_qualname(qualname)
        if parts is None or not _maybe_project(qualname):
            return Sym(qualname)
        return Ref(*parts)

    def _or(self, node: ast.BoolOp, depth: int) -> Expr:
        # `os.environ.get("X") or "300"`: the fallback is the effective default.
        values = [self.eval(v, depth + 1) for v in node.values]
        first, fallback = values[0], values[-1]
        if isinstance(first, Lit) and first.value:
            return first
        if isinstance(first, Env) and first.default is None and len(values) == 2:
            return Env(first.name, fallback)
        return Unknown("`or` expression")

    def _call(self, node: ast.Call, depth: int) -> Expr:
        if isinstance(node.func, ast.Name) and node.func.id in self.classes and not self._shadowed(node.func.id):
            return New(self.classes[node.func.id],
                       tuple((k.arg, self.eval(k.value, depth + 1)) for k in node.keywords if k.arg))
        qualname = self.imports.qualname(node.func) or ""
        if qualname in TIMEDELTA:
            return self._timedelta(node, depth)
        if (isinstance(node.func, ast.Name) and node.func.id in ("int", "float") and len(node.args) == 1
                and node.func.id not in self.imports.bindings):
            return apply_op(node.func.id, self.eval(node.args[0], depth + 1), None)
        if qualname in ENV_GETTERS:
            return self._env_default(node, depth)
        if qualname and not any(isinstance(a, ast.Starred) for a in node.args):
            return Obj(
                qualname,
                tuple(self.eval(a, depth + 1) for a in node.args[:_MAX_ITEMS]),
                tuple((k.arg, self.eval(k.value, depth + 1)) for k in node.keywords if k.arg),
            )
        return Unknown(f"`{source_text(node, 60, None)}` is computed at run time")

    def _shadowed(self, name: str) -> bool:
        return any(name in scope.params or name in scope.assigned for scope in self.scopes)

    def _timedelta(self, node: ast.Call, depth: int) -> Expr:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return Unknown("timedelta(*args/**kwargs)")
        if len(node.args) > len(TIMEDELTA_POSITIONAL):
            return Unknown("timedelta with too many arguments")
        parts = [(TIMEDELTA_POSITIONAL[i], self.eval(a, depth + 1)) for i, a in enumerate(node.args)]
        parts += [(k.arg, self.eval(k.value, depth + 1)) for k in node.keywords if k.arg]
        if any(unit not in TIMEDELTA_POSITIONAL for unit, _ in parts):
            return Unknown("timedelta with an unknown unit")
        if any(is_symbolic(value) for _, value in parts):
            return DurOf(tuple(parts))  # finished by the project phase (imports, workload env)
        return fold(DurOf(tuple(parts)))

    def _env_default(self, node: ast.Call, depth: int) -> Expr:
        name = self.eval(node.args[0], depth + 1) if node.args else Unknown("")
        if not (isinstance(name, Lit) and isinstance(name.value, str)):
            return Unknown("environment variable with a computed name")
        default_node = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg == "default"), None
        )
        return Env(name.value, self.eval(default_node, depth + 1) if default_node is not None else None)


def _maybe_project(qualname: str) -> bool:
    """Names of well-known libraries are never project constants."""
    root = qualname.split(".")[0]
    return root not in {"os", "sys", "datetime", "temporalio", "asyncio", "signal", "time", "typing"}
