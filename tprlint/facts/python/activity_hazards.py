"""What an activity's own code does that it must not: block the event loop (TPR205), or swallow the
cancellation Temporal delivers to it (TPR206). Part of the activity facts (``activities``), read from
the same per-scope index of the module's single walk; only a suspicious ``except`` costs a walk, of
one function's statements, to find its ``try``.
"""

from __future__ import annotations

import ast

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.names import Scope, source_text
from tprlint.model import Location
from tprlint.records import frozen

# -- blocking calls (TPR205) -----------------------------------------------------------------------
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
BLOCKING_CALLS = frozenset({
    "time.sleep", "os.system", "socket.create_connection",
    *(f"requests.{verb}" for verb in _HTTP_VERBS), *(f"requests.api.{verb}" for verb in _HTTP_VERBS),
    *(f"httpx.{verb}" for verb in (*_HTTP_VERBS, "stream")),
    "urllib.request.urlopen", "urllib.request.urlretrieve",
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.getoutput", "subprocess.getstatusoutput",
    "psycopg2.connect", "psycopg.connect", "psycopg.Connection.connect", "pymysql.connect", "MySQLdb.connect",
    "mysql.connector.connect", "sqlite3.connect", "pymssql.connect", "cx_Oracle.connect", "oracledb.connect",
})
# Constructors of synchronous clients: calling their methods blocks (except the listed local ones).
_LOCAL_METHODS = frozenset({
    "get_paginator", "get_waiter", "generate_presigned_url", "generate_presigned_post", "can_paginate",
    "pipeline", "lock", "pubsub", "close", "mount", "prepare_request", "build_request",
})
BLOCKING_CLIENTS: dict[str, frozenset[str] | None] = {  # None: every method but the local ones
    "requests.Session": frozenset((*_HTTP_VERBS, "send")),
    "requests.session": frozenset((*_HTTP_VERBS, "send")),
    "requests.sessions.Session": frozenset((*_HTTP_VERBS, "send")),
    "httpx.Client": frozenset((*_HTTP_VERBS, "send", "stream")),
    "redis.Redis": None, "redis.StrictRedis": None, "redis.from_url": None, "redis.Redis.from_url": None,
    "redis.client.Redis": None,
    "boto3.client": None, "boto3.resource": None,
    "subprocess.Popen": frozenset({"wait", "communicate"}),
    "smtplib.SMTP": None, "smtplib.SMTP_SSL": None,
}
# -- cancellation (TPR206) -----------------------------------------------------------------------------
ASYNC_CANCELLED = frozenset({"asyncio.CancelledError", "asyncio.exceptions.CancelledError"})
THREAD_CANCELLED = frozenset({"temporalio.exceptions.CancelledError"})
_SUPPRESS = frozenset({"contextlib.suppress"})
_RAISING_CALLS = frozenset({"temporalio.activity.raise_complete_async", "sys.exit"})


@frozen
class BlockingCall:
    location: Location
    call: str  # "requests.get", "s3.put_object (boto3.client)"
    via: tuple[str, ...] = ()  # helpers of this module the activity calls on the way: ("fetch()",)


@frozen
class CancelSwallow:
    location: Location  # the `except` clause, or the `with suppress(...)` statement
    caught: str  # "asyncio.CancelledError", "BaseException", "a bare `except:`"


class Hazards:
    """The hazards in the activities of one module."""

    def __init__(self, code: ModuleCode, functions: dict[str, FunctionBody], classes: dict[str, FunctionBody]) -> None:
        self.code = code
        self.own = code.imports.own_key
        self.functions = functions  # the module's functions and methods by qualified name
        self.classes = classes

    def blocking(self, body: FunctionBody, via: tuple[str, ...] = (), depth: int = 0) -> list[BlockingCall]:
        """The calls in ``body`` that block the event loop, and the first one in each helper of this
        module it calls (two helpers deep), reported at the activity's own call of the helper."""
        found: list[BlockingCall] = []
        owner = class_of(body, self.classes)
        for call in body.calls:
            what = self._blocking_call(call, body)
            if what:
                if not (what == "time.sleep" and _is_zero(call)):
                    found.append(BlockingCall(self.code.loc(call), what, via))
                continue
            helper = self._local_helper(call, owner)
            if helper is not None and depth < 2 and not helper.decorators:
                inner = self.blocking(helper, (*via, f"{helper.qualname}()"), depth + 1)
                # Reported where the activity calls the helper: that line is the one to change.
                found.extend(BlockingCall(self.code.loc(call), b.call, b.via) for b in inner[:1])
        return found if depth == 0 else found[:1]

    def _blocking_call(self, call: ast.Call, body: FunctionBody) -> str:
        callee = self.code.callee(call)
        if callee in BLOCKING_CALLS:
            return callee
        func = call.func
        if not isinstance(func, ast.Attribute):
            return ""
        client = self._client_of(func.value, body)
        if not client:
            return ""
        methods = BLOCKING_CLIENTS[client]
        blocking = func.attr in methods if methods is not None else (
            func.attr not in _LOCAL_METHODS and not func.attr.startswith("_"))
        return f"{source_text(func, 80)} ({client})" if blocking else ""

    def _client_of(self, node: ast.expr, body: FunctionBody) -> str:
        """The synchronous client class an object was built from: `requests.Session()`, `boto3.client(...)`."""
        if isinstance(node, ast.Call):
            callee = self.code.callee(node)
            return callee if callee in BLOCKING_CLIENTS else ""
        if isinstance(node, ast.Name):
            kind, value, _ = binding_of(node.id, body.evaluator.scopes)
            if kind == "value" and isinstance(value, ast.Call):
                callee = self.code.callee(value)
                return callee if callee in BLOCKING_CLIENTS else ""
        return ""

    def _local_helper(self, call: ast.Call, owner: str) -> FunctionBody | None:
        func = call.func
        if isinstance(func, ast.Name):
            qualname = self.code.qualname(func)
            if qualname and qualname.startswith(f"{self.own}."):
                return self.functions.get(qualname[len(self.own) + 1:])
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              and func.value.id in ("self", "cls") and owner):
            return self.functions.get(f"{owner}.{func.attr}")
        return None

    def swallows(self, body: FunctionBody) -> list[CancelSwallow]:
        """The ``except`` clauses and ``contextlib.suppress(...)`` in ``body`` that catch the activity's
        cancellation and do not raise it again."""
        found: list[CancelSwallow] = []
        for handler in body.handlers:
            caught = self._caught(handler.type, body.is_async)
            if not caught or self._reraises(body, handler):
                continue
            owner = _find_try(body, handler)
            if owner is not None and _awaits_own_task(owner.body):
                continue  # `task.cancel(); try: await task except CancelledError: pass`: cleanup
            found.append(CancelSwallow(self.code.loc(handler), caught))
        for statement in body.withs:
            for item in statement.items:
                expr = item.context_expr
                if not (isinstance(expr, ast.Call) and self.code.callee(expr) in _SUPPRESS):
                    continue
                caught = next((c for c in (self._caught(a, body.is_async) for a in expr.args) if c), "")
                if caught and caught != "a bare `except:`" and not _awaits_own_task(statement.body):
                    found.append(CancelSwallow(self.code.loc(statement), f"contextlib.suppress({caught})"))
        return found

    def _caught(self, node: ast.expr | None, is_async: bool) -> str:
        if node is None:
            return "a bare `except:`"
        if isinstance(node, ast.Tuple):
            return next((c for c in (self._caught(e, is_async) for e in node.elts) if c), "")
        if isinstance(node, ast.Name) and node.id == "BaseException" and node.id not in self.code.imports.bindings:
            return "BaseException"
        qualname = self.code.qualname(node)
        if qualname in (ASYNC_CANCELLED if is_async else THREAD_CANCELLED):
            return qualname
        return ""

    def _reraises(self, body: FunctionBody, handler: ast.ExceptHandler) -> bool:
        first, last = handler.lineno, handler.end_lineno or handler.lineno
        if any(first <= r.lineno <= last for r in body.raises):
            return True
        return any(first <= c.lineno <= last and self.code.callee(c) in _RAISING_CALLS for c in body.calls)


def binding_of(name: str, scopes: list[Scope]) -> tuple[str, ast.expr | None, int]:
    """("param" | "value" | "unknown" | "global", the single value, index of its scope)."""
    for i, scope in enumerate(scopes):
        if name in scope.params and name not in scope.assigned:
            return "param", None, i
        if name in scope.assigned:
            value = scope.single_value(name)
            if value is None or scope.dict_updates.get(name):
                return "unknown", None, i
            return "value", value, i
    return "global", None, len(scopes)


def class_of(body: FunctionBody, classes: dict[str, FunctionBody]) -> str:
    """The qualified name (within the module) of the class a method belongs to, "" for functions."""
    parent = body.qualname.rpartition(".")[0]
    return parent if body.is_function and parent in classes else ""


def _is_zero(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value == 0


def _find_try(body: FunctionBody, handler: ast.ExceptHandler) -> ast.Try | None:
    """The ``try`` a handler belongs to: a walk of this function's statements only."""
    node = body.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    stack: list[ast.stmt] = list(node.body)
    while stack:
        statement = stack.pop()
        if (isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar") \
                and handler in getattr(statement, "handlers", ()):
            return statement  # type: ignore[return-value]
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            stack.extend(getattr(statement, name, ()))
        for inner in getattr(statement, "handlers", ()):
            stack.extend(inner.body)
        for case in getattr(statement, "cases", ()):
            stack.extend(case.body)
    return None


def _awaits_own_task(statements: list[ast.stmt]) -> bool:
    """``await task``, ``await self._heartbeater``, ``await asyncio.wait_for(task, 5)`` only: waiting
    for a task this code cancelled, not running work of its own."""
    return bool(statements) and all(
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Await) and _is_task_wait(s.value.value)
        for s in statements
    )


def _is_task_wait(node: ast.expr) -> bool:
    if isinstance(node, (ast.Name, ast.Attribute)):
        return True
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("wait_for", "gather", "wait", "shield"):
        return False
    waited = node.args if name == "gather" else node.args[:1]  # wait_for(task, timeout): the task only
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in waited]
    return bool(arguments) and all(_is_task_ref(a) for a in arguments)


def _is_task_ref(node: ast.expr) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(isinstance(e, (ast.Name, ast.Attribute)) for e in node.elts)
    return isinstance(node, (ast.Name, ast.Attribute))
