"""Where in a function its code runs, as the determinism checker (TPR210-TPR213) must know it:

- inside ``with workflow.unsafe.imports_passed_through():`` (imports, not workflow code);
- inside ``with workflow.unsafe.sandbox_unrestricted():`` (the sandbox lets it through);
- only when the workflow is not replaying (``if not workflow.unsafe.is_replaying():``);
- never inside a workflow: the fallback of a ``try`` around workflow calls that raise only outside
  one (``try: now = workflow.now() except Exception: now = datetime.now()``), and what
  ``if workflow.in_workflow():`` leaves to its ``else``.

Each is a list of line spans of the function's statements.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import field

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.records import mutable

_UNSAFE = "temporalio.workflow.unsafe."
PASSED_THROUGH = _UNSAFE + "imports_passed_through"
UNRESTRICTED = _UNSAFE + "sandbox_unrestricted"
REPLAYING = frozenset({_UNSAFE + "is_replaying", _UNSAFE + "is_replaying_history_events"})
_IN_WORKFLOW = "temporalio.workflow.in_workflow"
# Workflow calls that raise outside a workflow ("not in workflow event loop") and never inside one
# (not random() or uuid4(): they raise in a query handler or an update validator too): a `try` that
# does nothing but call them falls back only outside a workflow.
_RAISE_OUTSIDE_ONLY = frozenset(f"temporalio.workflow.{name}" for name in ("now", "time", "time_ns", "info"))

Span = tuple[int, int]


@mutable
class Regions:
    passed: list[Span] = field(default_factory=list)
    unrestricted: list[Span] = field(default_factory=list)
    quiet: list[Span] = field(default_factory=list)  # only when not replaying
    outside: list[Span] = field(default_factory=list)  # never in a workflow

    def flags(self, line: int) -> tuple[bool, bool, bool]:
        """(not workflow code here: passed through or never in a workflow, sandbox unrestricted, only
        when not replaying)."""
        return (inside(line, self.passed) or inside(line, self.outside), inside(line, self.unrestricted),
                inside(line, self.quiet))


def regions_of(code: ModuleCode, body: FunctionBody) -> Regions:
    regions = Regions()
    for statement in body.withs:
        for item in statement.items:
            expr = item.context_expr
            name = code.callee(expr) if isinstance(expr, ast.Call) else ""
            if name == PASSED_THROUGH:
                regions.passed.append(span(statement.body))
            elif name == UNRESTRICTED:
                regions.unrestricted.append(span(statement.body))
    if not isinstance(body.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return regions
    callees = {code.callee(c) for c in body.calls}
    if not callees.isdisjoint(REPLAYING):
        regions.quiet = list(_not_replaying_spans(code, body.node.body))
    if _IN_WORKFLOW in callees or not callees.isdisjoint(_RAISE_OUTSIDE_ONLY):
        regions.outside = list(_outside_workflow_spans(code, body.node.body))
    return regions


def _not_replaying_spans(code: ModuleCode, statements: list[ast.stmt]) -> Iterator[Span]:
    """Line spans that run only when the workflow is not replaying: the body of
    ``if not workflow.unsafe.is_replaying():``, the ``else`` of ``if workflow.unsafe.is_replaying():``,
    and what follows ``if workflow.unsafe.is_replaying(): return``."""
    for index, statement in enumerate(statements):
        if isinstance(statement, ast.If):
            test = _replay_test(code, statement.test)
            if test == "not-replaying":
                yield span(statement.body)
            elif test == "replaying":
                if statement.orelse:
                    yield span(statement.orelse)
                rest = statements[index + 1:]
                if rest and statement.body and isinstance(statement.body[-1], (ast.Return, ast.Raise)):
                    yield span(rest)
        for block in child_blocks(statement):
            yield from _not_replaying_spans(code, block)


def _replay_test(code: ModuleCode, test: ast.expr) -> str:
    if isinstance(test, ast.Call) and code.callee(test) in REPLAYING:
        return "replaying"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return "not-replaying" if _replay_test(code, test.operand) == "replaying" else ""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(
        _replay_test(code, value) == "not-replaying" for value in test.values
    ):
        return "not-replaying"
    return ""


def _outside_workflow_spans(code: ModuleCode, statements: list[ast.stmt]) -> Iterator[Span]:
    """Line spans that never run inside a workflow: the handlers of a ``try`` whose calls are all
    workflow calls that raise only outside one (an import may sit there too), and the ``else`` of
    ``if workflow.in_workflow():``, or what follows it when it returns (the body of ``if not
    workflow.in_workflow():``)."""
    for index, statement in enumerate(statements):
        if isinstance(statement, ast.Try) and statement.handlers and _only_outside_raises(code, statement.body):
            for handler in statement.handlers:
                yield span(handler.body)
        elif isinstance(statement, ast.If):
            test = statement.test
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            call = test.operand if isinstance(test, ast.UnaryOp) and negated else test
            if isinstance(call, ast.Call) and code.callee(call) == _IN_WORKFLOW:
                yield span(statement.body if negated else statement.orelse)
                rest = statements[index + 1:]
                if not negated and rest and statement.body and isinstance(statement.body[-1], (ast.Return, ast.Raise)):
                    yield span(rest)  # `if workflow.in_workflow(): return ...` then the fallback
        for block in child_blocks(statement):
            yield from _outside_workflow_spans(code, block)


def _only_outside_raises(code: ModuleCode, body: list[ast.stmt]) -> bool:
    """Is every statement an import, or a bare call of one of ``_RAISE_OUTSIDE_ONLY`` (alone or
    assigned to a name: `now = workflow.now()`)? Anything more (`workflow.info().parent.workflow_id`,
    a subscript, a raise) may raise inside a workflow too."""
    calls = 0
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        value = statement.value if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, ast.AnnAssign) else [])
        if not (isinstance(value, ast.Call) and code.callee(value) in _RAISE_OUTSIDE_ONLY
                and not value.args and not value.keywords  # `workflow.now(x)` raises inside too
                and all(isinstance(t, ast.Name) for t in targets)):
            return False
        calls += 1
    return calls > 0


def child_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def span(statements: list[ast.stmt]) -> Span:
    if not statements:
        return (0, -1)
    first = statements[0].lineno
    last = max((getattr(s, "end_lineno", None) or s.lineno) for s in statements)
    return (first, last)


def inside(line: int, spans: list[Span]) -> bool:
    return any(first <= line <= last for first, last in spans)
