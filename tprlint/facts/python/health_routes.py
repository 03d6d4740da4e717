"""Health routes a process serves (TPR603): the path, the object it is registered on, and what each
``return`` of the handler sends - its status and whether its body says the service is failing - so
the project can tell whether a probe's path is served and can ever fail."""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Callable

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.names import source_text
from tprlint.facts.python.values import Expr, Lit, Missing, Sym
from tprlint.model import Location
from tprlint.records import frozen

_HEALTH_SEGMENTS = frozenset({
    "ready", "readyz", "readiness", "health", "healthz", "healthcheck", "health-check", "health_check",
    "livez", "live", "liveness", "alive",
})
_ROUTE_DECORATORS = frozenset({"get", "route", "api_route", "head"})
_FAIL_WORDS = frozenset({
    "not ready", "not_ready", "notready", "unready", "unhealthy", "not healthy", "not_healthy", "error",
    "fail", "failed", "failing", "failure", "down", "unavailable", "not ok", "starting", "stopping",
    "shutting down", "shutting_down", "draining", "dead", "not running", "not_running", "disconnected",
})
_OK_WORDS = frozenset({"ok", "ready", "healthy", "up", "pass", "alive", "running", "live", "serving", "success"})
_FLAG_KEYS = frozenset({"ready", "healthy", "ok", "alive", "live", "up", "success", "running"})
_ABORTS = frozenset({"flask.abort", "werkzeug.exceptions.abort", "aiohttp.web.HTTPServiceUnavailable"})
_STATUS_NAME = re.compile(r"HTTP_(\d{3})")
_HTTP_METHODS = frozenset({"GET", "HEAD", "*"})


@frozen
class RouteReturn:
    location: Location
    shape: str  # "dict", "text", "tuple", "response", "none"
    state: str  # what the body says: "fail", "ok" or "?"
    statuses: tuple[int, ...]  # explicit status codes it may carry; () = the framework's default
    text: str  # the returned expression, shortened, for messages


@frozen
class HealthRoute:
    location: Location  # the decorator or registration call
    path: str
    app: Expr  # the object the route is registered on (unfolded); framework decided by the project
    framework: str  # "aiohttp"/"starlette" when the registration call says so, "" otherwise
    via: str  # how it is registered: the decorator or method name ("get", "route", "add_route", ...)
    handler: str
    returns: tuple[RouteReturn, ...]
    may_fail: bool  # raises, aborts, sets a status or returns something tprlint cannot read
    annotation: str  # the handler's return annotation ("" when none)
    response_model: bool  # FastAPI `response_model=` on the route
    default_status: int | None  # FastAPI `status_code=` on the route


class RouteReader:
    """The health routes of one module, into ``out``."""

    def __init__(self, code: ModuleCode, functions: dict[str, FunctionBody],
                 nested: Callable[[str, str], str | None], out: list[HealthRoute]) -> None:
        self.code = code
        self.functions = functions
        self.nested = nested  # a function defined in an enclosing function of a scope
        self.out = out

    def decorated(self, body: FunctionBody, parent: FunctionBody) -> None:
        """Routes of a handler's decorators: ``@app.get("/healthz")``, ``@bp.route("/ready")``."""
        for decorator in body.decorators:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in _ROUTE_DECORATORS):
                continue
            path = call_argument(decorator, 0, "path") or call_argument(decorator, 0, "rule")
            app = parent.evaluator.eval(decorator.func.value)
            self._route(body, decorator, path, app, "", decorator.func.attr)

    def registered(self, body: FunctionBody, call: ast.Call, framework: str) -> None:
        """A route registered by a call: ``app.add_route(...)``, ``router.add_get(...)``, ``add_url_rule``."""
        func = call.func
        attr = func.attr if isinstance(func, ast.Attribute) else ""
        first = call.args[0] if call.args else None
        if attr == "add_route" and isinstance(first, ast.Constant) and str(first.value).upper() in _HTTP_METHODS:
            path, handler = call_argument(call, 1, "path"), call_argument(call, 2, "handler")  # aiohttp
        elif attr == "add_url_rule":  # flask: add_url_rule(rule, endpoint, view_func)
            path, handler = call_argument(call, 0, "rule"), call_argument(call, 2, "view_func")
        else:
            path = call_argument(call, 0, "path")
            handler = call_argument(call, 1, "endpoint") or call_argument(call, 1, "handler")
        if handler is None or not isinstance(handler, ast.Name):
            return
        qualname = self.nested(body.qualname, handler.id) or handler.id
        target = self.functions.get(qualname)
        if target is None:
            return
        app: Expr = Missing()
        if isinstance(func, ast.Attribute) and not framework:
            receiver = func.value
            # `app.router.add_get(...)`: the router belongs to the application.
            if isinstance(receiver, ast.Attribute) and receiver.attr == "router":
                receiver = receiver.value
            app = body.evaluator.eval(receiver)
        self._route(target, call, path, app, framework, attr or framework)

    def _route(self, handler: FunctionBody, site: ast.Call, path_node: ast.expr | None, app: Expr,
               framework: str, via: str) -> None:
        path = _literal_str(handler, path_node)
        if path is None or not (is_health_path(path) or path.strip("/") == ""):
            return  # "" and "/" may sit under a health prefix (APIRouter(prefix="/health"))
        node = handler.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        returns: list[RouteReturn] = []
        may_fail = bool(handler.raises)
        for statement in handler.returns:
            found = self._route_return(handler, statement)
            if found is None:
                may_fail = True
            else:
                returns.append(found)
        for call in handler.calls:
            if self.code.callee(call) in _ABORTS:
                may_fail = True
        for attribute in handler.attributes:
            if isinstance(attribute.ctx, ast.Store) and attribute.attr in ("status_code", "status"):
                may_fail = True
        default_status = None
        status = call_argument(site, -1, "status_code")  # FastAPI: the status of plain return values
        if status is not None:
            codes = _status_codes(handler, status)
            if codes is None or len(codes) != 1:
                may_fail = True
            else:
                default_status = codes[0]
        self.out.append(HealthRoute(
            location=self.code.loc(site), path=path, app=app, framework=framework, via=via, handler=handler.qualname,
            returns=tuple(returns), may_fail=may_fail,
            annotation=source_text(node.returns, 60) if node.returns is not None else "",
            response_model=any(k.arg == "response_model" for k in site.keywords),
            default_status=default_status,
        ))

    def _route_return(self, body: FunctionBody, statement: ast.Return) -> RouteReturn | None:
        """What one ``return`` of a route handler sends, or None when tprlint cannot read it."""
        value = statement.value
        loc = self.code.loc(statement)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return RouteReturn(loc, "none", "?", (), "None")
        text = source_text(value, 60)
        if isinstance(value, ast.Tuple) and len(value.elts) in (2, 3):
            statuses = _status_codes(body, value.elts[1])
            if statuses is None:
                return None
            return RouteReturn(loc, "tuple", self._state(body, value.elts[0]), statuses, text)
        if isinstance(value, ast.Call):
            callee = self.code.callee(value)
            name = callee.rsplit(".", 1)[-1] or (value.func.attr if isinstance(value.func, ast.Attribute) else "")
            if name == "jsonify" and callee.startswith("flask"):
                return RouteReturn(loc, "dict", self._state(body, value), (), text)
            if name.endswith("Response") or name in ("json_response", "make_response"):
                status = call_argument(value, 1, "status_code") or call_argument(value, -1, "status")
                if name in ("json_response",) or callee.startswith("aiohttp"):
                    status = call_argument(value, -1, "status")  # aiohttp: the status is keyword-only
                statuses = _status_codes(body, status) if status is not None else ()
                if statuses is None:
                    return None
                payload = (call_argument(value, 0, "content") or call_argument(value, 0, "text")
                           or call_argument(value, 0, "body") or call_argument(value, 0, "data"))
                state = self._state(body, payload) if payload is not None else "?"
                return RouteReturn(loc, "response", state, statuses, text)
            return None
        if isinstance(value, (ast.Dict, ast.Constant)):
            shape = "dict" if isinstance(value, ast.Dict) else "text"
            return RouteReturn(loc, shape, self._state(body, value), (), text)
        return None

    def _state(self, body: FunctionBody, node: ast.expr) -> str:
        """Does this response body say the service is failing ("fail"), fine ("ok"), or neither?"""
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(node, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(node, ast.Call) and self.code.callee(node).endswith("jsonify"):
            if node.args and isinstance(node.args[0], ast.Dict):
                return self._state(body, node.args[0])
            pairs = [(k.arg, k.value) for k in node.keywords if k.arg]
        else:
            return _word_state(body.evaluator.eval(node))
        states = set()
        for key, value in pairs:
            evaluated = body.evaluator.eval(value)
            if key.lower() in _FLAG_KEYS and isinstance(evaluated, Lit) and isinstance(evaluated.value, bool):
                states.add("ok" if evaluated.value else "fail")
            else:
                states.add(_word_state(evaluated))
        states.discard("?")
        return states.pop() if len(states) == 1 else "?"


def is_health_path(path: str) -> bool:
    return any(segment.lower() in _HEALTH_SEGMENTS for segment in path.split("/"))


def _word_state(value: Expr) -> str:
    if isinstance(value, Lit) and isinstance(value.value, str):
        text = value.value.strip().lower()
        if text in _FAIL_WORDS:
            return "fail"
        if text in _OK_WORDS:
            return "ok"
    return "?"


def _status_codes(body: FunctionBody, node: ast.expr) -> tuple[int, ...] | None:
    """The status codes an expression may be (both arms of ``503 if x else 200``), None if unknown."""
    if isinstance(node, ast.IfExp):
        first, second = _status_codes(body, node.body), _status_codes(body, node.orelse)
        return None if first is None or second is None else tuple(dict.fromkeys(first + second))
    value = body.evaluator.eval(node)
    if isinstance(value, Lit) and isinstance(value.value, int) and not isinstance(value.value, bool):
        return (value.value,)
    if isinstance(value, Sym):
        last = value.qualname.rsplit(".", 1)[-1]
        match = _STATUS_NAME.match(last)  # starlette/fastapi `status.HTTP_503_SERVICE_UNAVAILABLE`
        if match:
            return (int(match.group(1)),)
        if "HTTPStatus" in value.qualname and last in http.HTTPStatus.__members__:
            return (http.HTTPStatus[last].value,)
    return None


def _literal_str(body: FunctionBody, node: ast.expr | None) -> str | None:
    if node is None:
        return None
    value = body.evaluator.eval(node)
    return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None


def call_argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    """A call's argument by keyword, or by position (-1: keyword only)."""
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if 0 <= position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None
