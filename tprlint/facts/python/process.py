"""Facts about the worker process beyond the Worker call: what signal handlers do, sandbox escape
hatches, versioning APIs and replay-test APIs; health routes are in ``health_routes``.

Everything is read from the per-scope index (``ModuleCode.bodies``); the only walks are of single
lambda expressions. Handlers are summarised per function (``Behaviour``) so the project phase can
follow a handler into the function it names, in this module or another one.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import field

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.health_routes import HealthRoute, RouteReader, call_argument
from tprlint.facts.python.names import source_text, split_qualname
from tprlint.facts.python.values import Expr, Seq, Sym
from tprlint.model import Location
from tprlint.records import frozen, mutable

# -- signal handlers ---------------------------------------------------------------------------

# Libraries whose calls neither end the process nor shut a worker down (logging, metrics, stdlib).
# A handler calling anything else outside the project may do either: tprlint cannot tell.
_NEUTRAL_ROOTS = frozenset(sys.stdlib_module_names) | {
    "temporalio", "structlog", "loguru", "sentry_sdk", "prometheus_client", "opentelemetry", "ddtrace",
    "datadog", "rich", "click", "typer", "pydantic", "logfire",
}
_EXIT_CALLS = {"sys.exit": "exit", "os._exit": "hard", "os.abort": "hard"}
_EXIT_EXCEPTIONS = frozenset({"SystemExit", "KeyboardInterrupt", "BaseException"})
_SIGNAL_FORWARDERS = frozenset({"os.kill", "os.killpg", "signal.raise_signal"})
# Method names that hand the stop over to code that shuts down cleanly: `stop.set()`, `task.cancel()`,
# `worker.shutdown()`, `server.stop()`, `queue.put_nowait(...)`, `proc.terminate()`.
_DRAIN_METHODS = frozenset({
    "set", "set_result", "put", "put_nowait", "notify", "notify_all", "release", "send_signal",
})
_DRAIN_WORDS = ("shutdown", "stop", "drain", "cancel", "terminate", "graceful")
_LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"})


@frozen
class Exit:
    """A way code ends the process (or unwinds the event loop)."""

    how: str  # "sys.exit()", "os._exit()", "loop.stop()", "raise SystemExit"
    location: Location
    kind: str  # "hard" (os._exit), "exit" (SystemExit family), "loop" (loop.stop), "raise" (other)
    exception: str = ""  # for "raise": qualified name of the raised class, to check in the project


@frozen
class Behaviour:
    """What a function or handler expression does that matters for shutdown."""

    exits: tuple[Exit, ...] = ()
    drains: tuple[str, ...] = ()  # evidence it hands the stop to an orderly shutdown: "stop.set()"
    calls: tuple[tuple[str, str], ...] = ()  # (module key, qualname) of functions to follow

    @property
    def empty(self) -> bool:
        return not (self.exits or self.drains or self.calls)


@frozen
class SignalInstall:
    location: Location
    signals: tuple[str, ...]  # ("SIGTERM",), "?" when not statically known
    mechanism: str  # "signal.signal" or "loop.add_signal_handler"
    handler: str  # how the handler is written, for messages: "lambda", "_on_sigterm", "stop.set"
    behaviour: Behaviour | None  # None: a handler tprlint does not understand

    @property
    def handles_sigterm(self) -> bool:
        return "SIGTERM" in self.signals


# -- versioning, sandbox and test APIs ----------------------------------------------------------

_WORKFLOW = "temporalio.workflow."
_PATCH_CALLS = frozenset({"temporalio.workflow.patched", "temporalio.workflow.deprecate_patch"})
_DEPLOYMENT_CONFIG = frozenset({
    "temporalio.worker.WorkerDeploymentConfig", "temporalio.worker._worker.WorkerDeploymentConfig",
})
_DEPLOYMENT_VERSION = frozenset({
    "temporalio.common.WorkerDeploymentVersion", "temporalio.worker.WorkerDeploymentVersion",
})
_LEGACY_METHODS = frozenset({
    "update_worker_build_id_compatibility", "get_worker_build_id_compatibility", "get_worker_task_reachability",
    "update_worker_versioning_rules", "get_worker_versioning_rules",
})
_REPLAYER = frozenset({"temporalio.worker.Replayer", "temporalio.worker._replayer.Replayer"})
_REPLAY_METHODS = frozenset({"replay_workflow", "replay_workflows", "workflow_replay_iterator"})
_FROM_JSON = frozenset({
    "temporalio.client.WorkflowHistory.from_json", "temporalio.client._workflow.WorkflowHistory.from_json",
})
_SANDBOX_UNRESTRICTED = "temporalio.workflow.unsafe.sandbox_unrestricted"
_DYNAMIC_CONFIG = "temporalio.workflow.dynamic_config"


@frozen
class Use:
    """A use of an API a rule reports: a sandbox escape hatch, a legacy versioning API."""

    location: Location
    what: str


@frozen
class VersionLiteral:
    """A ``WorkerDeploymentVersion`` built in code: its build id (or canonical string), unfolded."""

    location: Location
    what: str  # "WorkerDeploymentVersion(build_id=...)" or "WorkerDeploymentVersion.from_canonical_string(...)"
    value: Expr


@mutable
class ProcessFacts:
    signal_installs: list[SignalInstall] = field(default_factory=list)
    # Behaviour of this module's functions by qualname ("handle", "Service._on_term", "main.on_term");
    # functions that do nothing that matters are only named in ``plain_functions``.
    functions: dict[str, Behaviour] = field(default_factory=dict)
    plain_functions: set[str] = field(default_factory=set)
    exit_exceptions: set[str] = field(default_factory=set)  # classes here deriving from SystemExit & co
    loop_shutdowns: list[Location] = field(default_factory=list)  # `loop.run_until_complete(w.shutdown())`
    health_routes: list[HealthRoute] = field(default_factory=list)
    sandbox_escapes: list[Use] = field(default_factory=list)
    uses_patching: bool = False
    deployment_configs: list[Location] = field(default_factory=list)
    legacy_versioning: list[Use] = field(default_factory=list)
    deployment_versions: list[VersionLiteral] = field(default_factory=list)
    dynamic_config_classes: set[str] = field(default_factory=set)  # classes with a @workflow.dynamic_config
    uses_replayer: bool = False
    history_from_json: list[Use] = field(default_factory=list)  # `WorkflowHistory.from_json(x)`, one argument
    # A hand-written server (`asyncio.start_server`, `loop.create_server`, `socket.bind`/`listen`,
    # `serve_forever`): it may answer HTTP probes without any web framework (TPR603 stays silent).
    opens_server: bool = False


_SERVER_METHODS = frozenset({
    "start_server", "start_unix_server", "create_server", "create_unix_server", "serve_forever", "listen", "bind",
})


def extract_process(code: ModuleCode, facts: ProcessFacts) -> None:
    _Extractor(code, facts).run()


class _Extractor:
    def __init__(self, code: ModuleCode, facts: ProcessFacts) -> None:
        self.code = code
        self.facts = facts
        self.own = code.imports.own_key
        self.temporal = any(key.startswith("mod:temporalio") for key, _ in code.imports.imported_modules)
        self.functions = {b.qualname: b for b in code.bodies if b.is_function}
        self.scopes = {b.qualname: b for b in code.bodies}
        self._intent_calls: list[tuple[int, int]] = []
        self._intent_lines: set[int] = set()
        self._callees: dict[int, str] = {}
        self.routes = RouteReader(code, self.functions, self._nested, facts.health_routes)

    def callee(self, call: ast.Call) -> str:
        """``code.callee``, once per call: behaviours and the call scan both ask."""
        found = self._callees.get(id(call))
        if found is None:
            found = self._callees[id(call)] = self.code.callee(call)
        return found

    def run(self) -> None:
        for body in self.code.bodies:
            if isinstance(body.node, ast.ClassDef):
                self._exception_class(body, body.node)
            if body.is_function:
                behaviour = self.behaviour(body)
                if behaviour.empty:
                    self.facts.plain_functions.add(body.qualname)
                else:
                    self.facts.functions[body.qualname] = behaviour
                self._function_decorators(body)
            self._calls(body)
            if self.temporal:
                self._versioning_intent_refs(body)
            if not self.facts.opens_server:
                self.facts.opens_server = any(
                    isinstance(call.func, ast.Attribute) and call.func.attr in _SERVER_METHODS for call in body.calls
                )

    # -- behaviour of functions and handler expressions -----------------------------------------

    def behaviour(self, body: FunctionBody) -> Behaviour:
        found = _Found()
        excepts = [_span(h.body) for h in body.handlers if h.body]
        for statement in body.raises:
            if not any(first <= statement.lineno <= last for first, last in excepts):
                found.exits.append(self._raise(statement))  # a re-raise in an `except` is error handling
        self._effects(body, body.calls, body.attributes, found)
        for name in sorted(body.scope.declared_global & set(body.scope.assigned)):
            found.drains.append(f"sets the global `{name}`")
        for name in sorted(n for n in body.scope.dict_updates if n not in body.scope.assigned):
            found.drains.append(f"updates `{name}`")
        node = body.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            isinstance(s, ast.Nonlocal) for s in node.body
        ):
            found.drains.append("sets an enclosing function's variable")
        return found.freeze()

    def _lambda(self, body: FunctionBody, node: ast.Lambda) -> Behaviour:
        found = _Found()
        calls = [n for n in ast.walk(node.body) if isinstance(n, ast.Call)]
        attributes = [n for n in ast.walk(node.body) if isinstance(n, ast.Attribute)]
        self._effects(body, calls, attributes, found)
        return found.freeze()

    def _effects(self, body: FunctionBody, calls: list[ast.Call], attributes: list[ast.Attribute],
                 found: _Found) -> None:
        for call in calls:
            self._call_effect(body, call, found)
            # Callbacks handed on: `loop.call_soon_threadsafe(stop.set)`, `loop.call_soon(loop.stop)`.
            for argument in call.args:
                if isinstance(argument, ast.Attribute):
                    self._callback_effect(body, argument, found)
        for attribute in attributes:
            if isinstance(attribute.ctx, ast.Store):
                found.drains.append(f"sets `{_dotted(attribute)}`")

    def _callback_effect(self, body: FunctionBody, attribute: ast.Attribute, found: _Found) -> None:
        name = attribute.attr
        if name == "stop" and self._is_loop(body, attribute.value):
            found.exits.append(Exit(_dotted(attribute), self.code.loc(attribute), "loop"))
        elif name in ("exit", "_exit", "abort") and (qualname := self.code.qualname(attribute) or "") in _EXIT_CALLS:
            found.exits.append(Exit(_dotted(attribute), self.code.loc(attribute), _EXIT_CALLS[qualname]))
        elif _is_drain_name(name):
            found.drains.append(f"`{_dotted(attribute)}`")

    def _call_effect(self, body: FunctionBody, call: ast.Call, found: _Found) -> None:
        callee = self.callee(call)
        func = call.func
        if callee in _EXIT_CALLS:
            found.exits.append(Exit(f"{source_text(func, 60)}()", self.code.loc(call), _EXIT_CALLS[callee]))
        elif isinstance(func, ast.Name) and func.id in ("exit", "quit") and not callee \
                and func.id not in body.scope.assigned:
            found.exits.append(Exit(f"{func.id}()", self.code.loc(call), "exit"))
        elif callee in _SIGNAL_FORWARDERS:
            found.drains.append(f"forwards the signal with `{source_text(func, 60)}()`")
        elif isinstance(func, ast.Attribute) and func.attr == "stop" and self._is_loop(body, func.value):
            found.exits.append(Exit(f"{source_text(func, 60)}()", self.code.loc(call), "loop"))
        elif (target := self._target(body, func, callee)) is not None:
            found.calls.append(target)
        elif isinstance(func, ast.Attribute) and _is_drain_name(func.attr):
            found.drains.append(f"`{_dotted(func)}()`")

    def _target(self, body: FunctionBody, func: ast.expr, callee: str) -> tuple[str, str] | None:
        """The project function a call (or a handler reference) runs, when it may be one."""
        if isinstance(func, ast.Name):
            nested = self._nested(body.qualname, func.id)
            if nested is not None:
                return self.own, nested
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")
                and body.class_name):
            method = f"{body.class_name}.{func.attr}"
            if method in self.functions:
                return self.own, method
        if not callee or callee.split(".")[0] in _NEUTRAL_ROOTS:
            return None
        return split_qualname(callee)

    def _nested(self, scope: str, name: str) -> str | None:
        """A function defined in an enclosing function (closest first) of the scope ``scope``."""
        parts = scope.split(".") if scope else []
        while parts:
            candidate = ".".join([*parts, name])
            if candidate in self.functions:
                return candidate
            parts.pop()
        return None

    def _raise(self, node: ast.Raise) -> Exit:
        location = self.code.loc(node)
        if node.exc is None:
            return Exit("raise", location, "raise")
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        text = f"raise {source_text(target, 60)}"
        qualname = self.code.qualname(target) or ""
        if isinstance(target, ast.Name) and target.id in _EXIT_EXCEPTIONS and not qualname:
            return Exit(text, location, "exit")
        return Exit(text, location, "raise", qualname)  # the project decides what the class derives from

    def _is_loop(self, body: FunctionBody, node: ast.expr) -> bool:
        """Is this an asyncio event loop? A loop getter's result, or a name that says so."""
        if isinstance(node, ast.Call):
            return self.code.callee(node) in _LOOP_GETTERS
        if isinstance(node, ast.Name):
            value = body.scope.single_value(node.id)
            if isinstance(value, ast.Call) and self.code.callee(value) in _LOOP_GETTERS:
                return True
            return "loop" in node.id.lower()
        if isinstance(node, ast.Attribute):
            return "loop" in node.attr.lower()
        return False

    def _exception_class(self, body: FunctionBody, node: ast.ClassDef) -> None:
        if body.qualname != node.name:
            return  # only module-level classes can be raised from elsewhere by name
        for base in node.bases:
            qualname = self.code.qualname(base) or ""
            builtin = isinstance(base, ast.Name) and base.id in _EXIT_EXCEPTIONS and not qualname
            local = qualname.startswith(f"{self.own}.") and qualname[len(self.own) + 1:] in self.facts.exit_exceptions
            if builtin or local:
                self.facts.exit_exceptions.add(node.name)
                return

    # -- calls of interest -----------------------------------------------------------------------

    def _calls(self, body: FunctionBody) -> None:
        for call in body.calls:
            callee = self.callee(call)
            func = call.func
            attr = func.attr if isinstance(func, ast.Attribute) else ""
            if callee == "signal.signal":
                self._signal_install(body, call, "signal.signal")
            elif attr == "add_signal_handler":
                self._signal_install(body, call, "loop.add_signal_handler")
            elif attr == "run_until_complete" or callee == "asyncio.run":
                self._loop_shutdown(call)
            elif callee in ("aiohttp.web.get", "aiohttp.web.route") or callee == "starlette.routing.Route":
                self.routes.registered(body, call, "starlette" if callee.startswith("starlette") else "aiohttp")
            elif attr in ("add_get", "add_route", "add_api_route", "add_url_rule"):
                self.routes.registered(body, call, "")
            if self.temporal:
                self._temporal_call(body, call, callee, attr)

    def _temporal_call(self, body: FunctionBody, call: ast.Call, callee: str, attr: str) -> None:
        if not (callee.startswith("temporalio") or attr in _LEGACY_METHODS or attr in _REPLAY_METHODS
                or attr == "with_passthrough_all_modules"):
            return
        loc = self.code.loc(call)
        last = callee.rsplit(".", 1)[-1]
        if callee in _PATCH_CALLS:
            self.facts.uses_patching = True
        elif callee in _DEPLOYMENT_CONFIG:
            self.facts.deployment_configs.append(loc)
        elif callee in _DEPLOYMENT_VERSION:
            value = call_argument(call, 1, "build_id")
            if value is not None:
                self.facts.deployment_versions.append(VersionLiteral(
                    loc, "WorkerDeploymentVersion(build_id=...)", body.evaluator.eval(value)))
        elif callee.endswith(".from_canonical_string") and callee.rsplit(".", 1)[0] in _DEPLOYMENT_VERSION:
            value = call_argument(call, 0, "canonical")
            if value is not None:
                self.facts.deployment_versions.append(VersionLiteral(
                    loc, "WorkerDeploymentVersion.from_canonical_string(...)", body.evaluator.eval(value)))
        elif callee.startswith("temporalio.client") and last.startswith("BuildIdOp"):
            self.facts.legacy_versioning.append(Use(loc, f"`{last}`"))
        elif attr in _LEGACY_METHODS and self.temporal:
            self.facts.legacy_versioning.append(Use(loc, f"`{attr}()`"))
        elif callee in _REPLAYER or (attr in _REPLAY_METHODS and self.temporal):
            self.facts.uses_replayer = True
        elif callee in _FROM_JSON:
            given = len(call.args) + len(call.keywords)
            if given < 2 and not any(isinstance(a, ast.Starred) for a in call.args) \
                    and all(k.arg is not None for k in call.keywords):
                self.facts.history_from_json.append(Use(loc, source_text(call, 60)))
        elif callee == _SANDBOX_UNRESTRICTED:
            self.facts.sandbox_escapes.append(Use(loc, "`workflow.unsafe.sandbox_unrestricted()`"))
        elif attr == "with_passthrough_all_modules" and self.temporal:
            self.facts.sandbox_escapes.append(Use(loc, "`with_passthrough_all_modules()`"))
        if callee.startswith(_WORKFLOW):
            intent = next((k for k in call.keywords if k.arg == "versioning_intent"), None)
            if intent is not None and not (isinstance(intent.value, ast.Constant) and intent.value.value is None):
                where = self.code.loc(intent)  # the keyword: the call may span many lines
                called = source_text(call.func, 60)
                self.facts.legacy_versioning.append(Use(where, f"`versioning_intent=` on `{called}()`"))
                self._intent_calls.append((call.lineno, call.end_lineno or call.lineno))

    def _versioning_intent_refs(self, body: FunctionBody) -> None:
        """``VersioningIntent.COMPATIBLE`` and the like, once per line and not inside a call that is
        reported for its ``versioning_intent=`` already."""
        bindings = self.code.imports.bindings
        for attribute in body.attributes:
            value = attribute.value
            if attribute.attr != "VersioningIntent" and not (
                    isinstance(value, ast.Name) and bindings.get(value.id, "").endswith(".VersioningIntent")):
                continue
            qualname = self.code.qualname(attribute) or ""
            line = attribute.lineno
            if not qualname.startswith("temporalio.workflow.VersioningIntent") or line in self._intent_lines \
                    or any(first <= line <= last for first, last in self._intent_calls):
                continue
            self._intent_lines.add(line)
            self.facts.legacy_versioning.append(Use(self.code.loc(attribute), "`VersioningIntent`"))

    def _signal_install(self, body: FunctionBody, call: ast.Call, mechanism: str) -> None:
        if len(call.args) < 2 or any(isinstance(a, ast.Starred) for a in call.args[:2]):
            return
        signals = self._signals(body, call.args[0], call)
        handler, behaviour = self._handler(body, call.args[1])
        self.facts.signal_installs.append(SignalInstall(self.code.loc(call), signals, mechanism, handler, behaviour))

    def _signals(self, body: FunctionBody, node: ast.expr, call: ast.Call) -> tuple[str, ...]:
        loop = self._enclosing_loop(body, node, call) if isinstance(node, ast.Name) else None
        if loop is not None:
            value = body.evaluator.eval(loop.iter)
        elif isinstance(node, ast.Name) and node.id in body.scope.loops:
            return ("?",)  # a loop variable of a loop that does not enclose the call
        else:
            value = body.evaluator.eval(node)
        items = value.items if isinstance(value, Seq) else (value,)
        names = []
        for item in items:
            qualname = item.qualname if isinstance(item, Sym) else ""
            last = qualname.rsplit(".", 1)[-1]
            names.append(last if qualname.startswith("signal.") and last.startswith("SIG") else "?")
        return tuple(names) or ("?",)

    @staticmethod
    def _enclosing_loop(body: FunctionBody, name: ast.Name, call: ast.Call) -> ast.For | ast.AsyncFor | None:
        """The innermost ``for <name> in ...`` of this scope whose body holds the call."""
        found: ast.For | ast.AsyncFor | None = None
        for loop in body.loops:
            if (isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name)
                    and loop.target.id == name.id and loop.body
                    and _span(loop.body)[0] <= call.lineno <= _span(loop.body)[1]
                    and (found is None or loop.lineno > found.lineno)):
                found = loop
        return found

    def _handler(self, body: FunctionBody, node: ast.expr, depth: int = 0) -> tuple[str, Behaviour | None]:
        """How a handler argument is written, and what calling it does (None: not understood)."""
        text = source_text(node, 60)
        if depth > 3:
            return text, None
        if isinstance(node, ast.Lambda):
            return "lambda", self._lambda(body, node)
        if isinstance(node, ast.Call):
            if self.code.callee(node) == "functools.partial" and node.args:
                inner, behaviour = self._handler(body, node.args[0], depth + 1)
                return f"functools.partial({inner}, ...)", behaviour
            return text, None
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return text, None
        qualname = self.code.qualname(node) or ""
        if qualname in _EXIT_CALLS:
            return text, Behaviour(exits=(Exit(text, self.code.loc(node), _EXIT_CALLS[qualname]),))
        if isinstance(node, ast.Name) and self._nested(body.qualname, node.id) is None:
            value = body.scope.single_value(node.id)
            if value is not None and node.id not in body.scope.params:
                return self._handler(body, value, depth + 1)  # `handler = functools.partial(...)`
        target = self._target(body, node, qualname)
        if target is not None:
            return text, Behaviour(calls=(target,))
        if isinstance(node, ast.Attribute):
            if node.attr == "stop" and self._is_loop(body, node.value):
                return text, Behaviour(exits=(Exit(text, self.code.loc(node), "loop"),))
            if _is_drain_name(node.attr):
                return text, Behaviour(drains=(f"`{text}`",))
        return text, None

    def _loop_shutdown(self, call: ast.Call) -> None:
        """``loop.run_until_complete(worker.shutdown())`` after the loop stopped: the shutdown a
        handler that stops the loop (or raises out of it) hands over to."""
        if not call.args or not isinstance(call.args[0], ast.Call):
            return
        inner = call.args[0].func
        name = inner.attr if isinstance(inner, ast.Attribute) else inner.id if isinstance(inner, ast.Name) else ""
        if any(word in name.lower() for word in ("shutdown", "stop", "drain")):
            self.facts.loop_shutdowns.append(self.code.loc(call))

    # -- decorators: dynamic workflow config, and health routes (``health_routes``) --------------

    def _function_decorators(self, body: FunctionBody) -> None:
        node = body.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        if body.class_name and _DYNAMIC_CONFIG in self.code.decorator_names(body):
            self.facts.dynamic_config_classes.add(body.qualname.rsplit(".", 1)[0])
        parent = self.scopes.get(body.qualname.rpartition(".")[0]) or body
        self.routes.decorated(body, parent)

@mutable
class _Found:
    exits: list[Exit] = field(default_factory=list)
    drains: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def freeze(self) -> Behaviour:
        return Behaviour(tuple(self.exits), tuple(dict.fromkeys(self.drains)), tuple(dict.fromkeys(self.calls)))


def _is_drain_name(name: str) -> bool:
    lower = name.lower()
    return lower in _DRAIN_METHODS or any(word in lower for word in _DRAIN_WORDS)


def _span(statements: list[ast.stmt]) -> tuple[int, int]:
    first = statements[0].lineno
    last = max(getattr(s, "end_lineno", None) or s.lineno for s in statements)
    return first, last


def _dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name chain, cheaply (no unparse): drains are evidence, rarely shown."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "..."
