"""What a ``**kwargs`` dict holds when it is passed on, including a dict built step by step:

    kwargs = {"task_queue": QUEUE, "workflows": [Orders]}
    kwargs["build_id"] = BUILD_ID                       # set: its value
    kwargs.update(graceful_shutdown_timeout=DRAIN)      # set: its value
    if settings.versioned:
        kwargs["deployment_config"] = config            # set on one path only: possibly set
    worker = Worker(client, **kwargs)

A key set on every path before the call has its value. A key set on some path only (inside an ``if``,
a loop, a ``try``, or by another function) is possibly set: its value is ``Unknown``, so a rule that
needs its value stays silent and a rule that asks whether it is set sees it. What tprlint cannot see
(``kwargs.update(other)``, a computed key, ``**unknown``) makes the view incomplete: a key not among
the items may still be there.
"""

from __future__ import annotations

import ast
from dataclasses import field
from typing import Protocol

from tprlint.facts.python.evaluate import Evaluator
from tprlint.facts.python.names import Scope
from tprlint.facts.python.values import Expr, Unknown
from tprlint.records import mutable

_MAX_DEPTH = 10  # `opts = {**opts, ...}` refers to itself


@mutable
class KwargsView:
    items: dict[str, Expr] = field(default_factory=dict)
    complete: bool = True
    reason: str = ""  # why the view is not complete

    def lost(self, reason: str) -> KwargsView:
        if self.complete:
            self.complete, self.reason = False, reason
        return self


def kwargs_view(splat: ast.expr, evaluator: Evaluator, before_line: int, depth: int = 0) -> KwargsView:
    """The entries of ``**splat`` at a call on line ``before_line``."""
    if depth > _MAX_DEPTH:
        return KwargsView().lost("keyword arguments built from themselves")
    if isinstance(splat, ast.Name):
        return _named(splat.id, evaluator, before_line, depth)
    if isinstance(splat, ast.Dict):
        view = KwargsView()
        for key, value in zip(splat.keys, splat.values, strict=True):
            if key is None:
                _merge(view, kwargs_view(value, evaluator, before_line, depth + 1))
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                view.items[key.value] = evaluator.eval(value)
            else:
                view.lost("dict with computed keys")
        return view
    if isinstance(splat, ast.Call) and isinstance(splat.func, ast.Name) and splat.func.id == "dict" and not splat.args:
        view = KwargsView()
        for keyword in splat.keywords:
            if keyword.arg is None:
                _merge(view, kwargs_view(keyword.value, evaluator, before_line, depth + 1))
            else:
                view.items[keyword.arg] = evaluator.eval(keyword.value)
        return view
    return KwargsView().lost("keyword arguments built at run time")


def _named(name: str, evaluator: Evaluator, before_line: int, depth: int) -> KwargsView:
    for scope in evaluator.scopes:
        if name in scope.params and name not in scope.assigned:
            return KwargsView().lost(f"`{name}` is a parameter: its value comes from the caller")
        if name in scope.assigned:
            updates = scope.dict_updates.get(name, [])
            augmented = {id(u.value) for u in updates if isinstance(u, ast.AugAssign)}  # `d |= {...}`
            built = [v for v in scope.assigned[name] if id(v) not in augmented]
            if len(built) != 1 or name in scope.imported or getattr(built[0], "lineno", 0) < scope.star_import_line:
                return KwargsView().lost(f"`{name}` is assigned more than once")
            view = kwargs_view(built[0], evaluator, before_line, depth + 1)
            for update in sorted(updates, key=lambda n: getattr(n, "lineno", 0)):
                if getattr(update, "lineno", 0) < before_line or id(update) not in scope.top_level:
                    _apply(view, name, update, scope, evaluator, before_line, depth)
            return view
    return KwargsView().lost(f"`{name}` is not built in this module")


def _apply(view: KwargsView, name: str, update: ast.AST, scope: Scope, evaluator: Evaluator, before_line: int,
           depth: int) -> None:
    """One change of the dict: ``d[k] = v``, ``d.update(...)``, ``d.setdefault(k, v)``, ``d |= {...}``,
    ``d.pop(k)``, ``del d[k]``."""
    surely = id(update) in scope.top_level and getattr(update, "lineno", 0) < before_line
    line = getattr(update, "lineno", 0)

    def put(key: str, value: Expr, only_if_absent: bool = False) -> None:
        if only_if_absent and key in view.items and surely:
            return
        if only_if_absent and not view.complete and key not in view.items:
            # `config = load_config(); config.setdefault("target_host", "localhost:7233")`: the default
            # is used only when the part tprlint cannot see does not hold the key already.
            view.items[key] = Unknown(f'`{name}.setdefault("{key}", ...)` is a fallback: `{name}` may hold '
                                      f"it already (line {line})")
            return
        view.items[key] = value if surely else Unknown(f'`{name}["{key}"]` is set only on some paths (line {line})')

    if isinstance(update, (ast.Assign, ast.AnnAssign)):
        targets = update.targets if isinstance(update, ast.Assign) else [update.target]
        value_node = update.value
        for target in targets:
            key = _constant_key(target)
            if key is None or value_node is None:
                view.lost(f"`{name}` gets an entry under a computed key (line {line})")
            else:
                put(key, evaluator.eval(value_node))
    elif isinstance(update, ast.AugAssign):
        added = kwargs_view(update.value, evaluator, before_line, depth + 1)
        for key, value in added.items.items():
            put(key, value)
        if not added.complete:
            view.lost(added.reason)
    elif isinstance(update, ast.Delete):
        for target in update.targets:
            key = _constant_key(target)
            if key is not None and surely:
                view.items.pop(key, None)
            elif key is not None:
                put(key, evaluator.eval(ast.Constant(None)))
    elif isinstance(update, ast.Call) and isinstance(update.func, ast.Attribute):
        _method(view, name, update, evaluator, before_line, depth, put, surely)


class _Put(Protocol):
    def __call__(self, key: str, value: Expr, only_if_absent: bool = False) -> None: ...


def _method(view: KwargsView, name: str, call: ast.Call, evaluator: Evaluator, before_line: int, depth: int,
            put: _Put, surely: bool) -> None:
    method, line = call.func.attr if isinstance(call.func, ast.Attribute) else "", call.lineno
    if method == "update":
        for argument in call.args:
            added = kwargs_view(argument, evaluator, before_line, depth + 1)
            for key, value in added.items.items():
                put(key, value)
            if not added.complete:
                view.lost(f"`{name}.update(...)` adds entries tprlint cannot see (line {line})")
        for keyword in call.keywords:
            if keyword.arg is None:
                view.lost(f"`{name}.update(**...)` adds entries tprlint cannot see (line {line})")
            else:
                put(keyword.arg, evaluator.eval(keyword.value))
    elif method == "setdefault" and call.args and _constant_key_of(call.args[0]) is not None:
        default = evaluator.eval(call.args[1]) if len(call.args) > 1 else evaluator.eval(ast.Constant(None))
        put(str(_constant_key_of(call.args[0])), default, only_if_absent=True)
    elif method == "pop" and call.args and _constant_key_of(call.args[0]) is not None:
        key = str(_constant_key_of(call.args[0]))
        if surely:
            view.items.pop(key, None)
        elif key in view.items:
            put(key, view.items[key])
    elif method in ("clear", "popitem") or method in ("setdefault", "pop", "__setitem__", "__delitem__"):
        view.lost(f"`{name}.{method}(...)` changes it in a way tprlint does not follow (line {line})")


def _merge(view: KwargsView, inner: KwargsView) -> None:
    view.items.update(inner.items)
    if not inner.complete:
        view.lost(inner.reason)


def _constant_key(target: ast.expr) -> str | None:
    if isinstance(target, ast.Subscript):
        return _constant_key_of(target.slice)
    return None


def _constant_key_of(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
