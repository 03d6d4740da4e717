"""Rules on the worker process: signal handlers, sandbox and debug switches, deprecated Worker
options and health endpoints (TPR104-TPR109)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.health_routes import HealthRoute, RouteReturn, is_health_path
from tprlint.facts.python.names import split_qualname
from tprlint.facts.python.process import Behaviour, Exit, SignalInstall
from tprlint.facts.python.values import Lit, Missing, Obj, is_true, qualname_of
from tprlint.model import RelatedLocation
from tprlint.records import mutable
from tprlint.rules.context import Hit, Project, is_test_path

_FOLLOW_DEPTH = 4


# -- TPR104 ------------------------------------------------------------------------------------


def signal_handler_exits(project: Project) -> Iterator[Hit]:
    """TPR104: a SIGTERM handler that ends the process instead of shutting the worker down."""
    python = project.python
    candidates = {
        key: installs for key, module in python.modules.items() if not is_test_path(module.path)
        if (installs := [i for i in module.process.signal_installs if i.handles_sigterm and i.behaviour])
    }
    if not candidates or all(is_test_path(w.location.path) for w in python.workers):
        return  # cheap exits first: the process closures below are the expensive part
    # A handler that stops the loop (or raises out of it) is fine when the code then drives the
    # shutdown itself: `loop.run_forever()` ... `loop.run_until_complete(worker.shutdown())`.
    hands_over = any(m.process.loop_shutdowns for m in python.modules.values() if not is_test_path(m.path))
    in_worker_process = _worker_process_modules(project)
    for key in sorted(set(candidates) & in_worker_process):
        for install in candidates[key]:
            assert install.behaviour is not None
            found = _Follow(project, install.mechanism).run(install.behaviour)
            if found is None or found.drains:
                continue  # a handler tprlint cannot follow, or one that hands the stop on
            exits = [e for e in found.exits if e.kind == "hard" or not hands_over]
            if exits:
                yield _exit_hit(install, exits[0])


@mutable
class _Outcome:
    exits: list[Exit]
    drains: list[str]


@mutable
class _Callee:
    behaviour: Behaviour | None


class _Follow:
    """What a handler does, following the project functions it calls (None: it calls code tprlint
    cannot see, which may well shut the worker down)."""

    def __init__(self, project: Project, mechanism: str) -> None:
        self.python = project.python
        self.mechanism = mechanism

    def run(self, behaviour: Behaviour) -> _Outcome | None:
        outcome = _Outcome([], [])
        pending: list[tuple[Behaviour, int]] = [(behaviour, 0)]
        seen: set[tuple[str, str]] = set()
        while pending:
            found, depth = pending.pop(0)
            outcome.drains += found.drains
            outcome.exits += [e for e in found.exits if self._ends_process(e, depth)]
            for target in found.calls:
                if target in seen:
                    continue
                seen.add(target)
                resolved = self._resolve(target)
                if resolved is None:
                    return None
                if resolved.behaviour is not None and depth < _FOLLOW_DEPTH:
                    pending.append((resolved.behaviour, depth + 1))
        return outcome

    def _resolve(self, target: tuple[str, str]) -> _Callee | None:
        module = self._module(target[0])
        if module is None:
            return None
        name = target[1]
        if name in module.process.functions:
            return _Callee(module.process.functions[name])
        if name in module.process.plain_functions or name in module.classes:
            return _Callee(None)  # does nothing that matters / builds an object
        return None

    def _module(self, key: str) -> PythonFacts | None:
        candidates = self.python.resolve_module(key)
        return self.python.module(candidates[0]) if len(candidates) == 1 else None

    def _ends_process(self, exit_: Exit, depth: int) -> bool:
        if exit_.kind in ("hard", "exit", "loop"):
            return True
        if self._is_exit_exception(exit_.exception):
            return True
        # Any other exception leaves a `signal.signal` handler into whatever the main thread was
        # running (the event loop); asyncio only logs it from an `add_signal_handler` callback. A
        # helper raising is error handling, not the handler's way out: depth 0 is the installed
        # expression (a lambda), depth 1 the function it names.
        return self.mechanism == "signal.signal" and depth <= 1

    def _is_exit_exception(self, qualname: str) -> bool:
        parts = split_qualname(qualname) if qualname else None
        if parts is None:
            return False
        module = self._module(parts[0])
        return module is not None and parts[1] in module.process.exit_exceptions


def _worker_process_modules(project: Project) -> set[str]:
    """Modules of processes that run a Worker: the import closures of entrypoints (and of modules
    that build a Worker) whose closure constructs one. Test code is not a production process."""
    python = project.python
    linked = {link.module for link in project.links}
    found: set[str] = set()
    for key, module in python.modules.items():
        if is_test_path(module.path) or key in found:
            continue
        if not (module.is_entrypoint or key in linked or module.workers or python.runs(module)):
            continue
        closure = python.closure(key)
        if any(not is_test_path(w.location.path) for w in python.workers_in(closure)):
            found.update(m for m in closure if m in python.modules and not is_test_path(python.modules[m].path))
    return found


def _exit_hit(install: SignalInstall, exit_: Exit) -> Hit:
    if exit_.kind == "hard":
        effect = (
            f"`{exit_.how}` kills the process on the spot: running activities are abandoned and only retried "
            "once their timeouts expire"
        )
    else:
        effect = (
            f"`{exit_.how}` unwinds the event loop, which cancels every task at once - running activities "
            "included - instead of giving them `graceful_shutdown_timeout` to finish"
        )
    handler = "a lambda" if install.handler == "lambda" else f"`{install.handler}`"
    return Hit(
        install.location,
        f"This SIGTERM handler ({handler}) ends the process without shutting the Temporal Worker down: "
        f"{effect}, and the worker never stops polling in an orderly way. Let the handler only request the "
        "stop - `loop.add_signal_handler(signal.SIGTERM, stop.set)` - and `await worker.shutdown()` (or leave "
        "`async with Worker(...)`) when `stop` is set.",
        related=(RelatedLocation(exit_.location, f"the handler exits here (`{exit_.how}`)"),),
        anchor=f"{install.location.path}:signal:{install.handler}",
    )


# -- TPR105 / TPR106 / TPR108 --------------------------------------------------------------------

_UNSANDBOXED = "UnsandboxedWorkflowRunner"
_SANDBOX_FIX = (
    "Keep the default `SandboxedWorkflowRunner()`; import side-effect-free modules (activities, models) "
    "with `with workflow.unsafe.imports_passed_through():`, or pass named modules through with "
    "`SandboxRestrictions.default.with_passthrough_modules(...)`."
)


def sandbox_disabled(project: Project) -> Iterator[Hit]:
    """TPR105: workflow code that runs outside the determinism sandbox, in production code."""
    python = project.python
    for worker in python.workers:
        if is_test_path(worker.location.path):
            continue
        runner = qualname_of(python.fold(worker.option("workflow_runner")))
        if runner.startswith("temporalio") and runner.endswith(_UNSANDBOXED):
            yield Hit(
                worker.location,
                "This Worker runs every workflow with `UnsandboxedWorkflowRunner()`: the sandbox that rejects "
                "non-deterministic calls (`datetime.now()`, `random`, I/O) and gives each run fresh module "
                "state is off, so such bugs surface only as non-determinism errors on replay in production. "
                + _SANDBOX_FIX,
                anchor=f"{worker.module}:{worker.function}:workflow_runner",
            )
    for key, module in sorted(python.modules.items()):
        if is_test_path(module.path):
            continue
        for workflow in module.workflow_classes:
            sandboxed = python.fold(workflow.option("sandboxed"))
            if isinstance(sandboxed, Lit) and sandboxed.value is False:
                yield Hit(
                    workflow.decorator,
                    f"`@workflow.defn(sandboxed=False)` runs `{workflow.name}` outside the determinism sandbox: "
                    "non-deterministic calls and module state shared between runs go unnoticed until a replay "
                    "fails in production. Remove `sandboxed=False`. " + _SANDBOX_FIX,
                    anchor=f"{key}:{workflow.name}:sandboxed",
                )
        for use in module.process.sandbox_escapes:
            if "passthrough" in use.what:
                problem = (
                    "passes every module through the sandbox: none is re-imported per workflow run, so "
                    "module-level state leaks between runs and import-time side effects go unnoticed"
                )
            else:
                problem = "switches the sandbox's restrictions off for the code inside it"
            yield Hit(
                use.location,
                f"{use.what} {problem}. Use it only for code proven deterministic, or not at all. " + _SANDBOX_FIX,
                anchor=f"{key}:sandbox-escape",
            )


def debug_mode(project: Project) -> Iterator[Hit]:
    """TPR106: a Worker with deadlock detection (and safe eviction) switched off."""
    python = project.python
    for worker in python.workers:
        if is_test_path(worker.location.path):
            continue
        problems = []
        debug = python.fold(worker.option("debug_mode"))
        if is_true(debug):
            problems.append(
                f"`debug_mode=True`{_note(debug)} turns off deadlock detection (a workflow that blocks for more "
                "than 2 s is no longer failed with TMPRL1101 and retried; it silently holds a workflow task slot "
                "and thread) and may turn off the sandbox"
            )
        eviction = python.fold(worker.option("disable_safe_workflow_eviction"))
        if is_true(eviction):
            problems.append(
                f"`disable_safe_workflow_eviction=True`{_note(eviction)} lets the garbage collector tear "
                "evicted workflows down, running their `finally` blocks in the wrong workflow context "
                "(the SDK: \"Users should not set this value to true\")"
            )
        if problems:
            yield Hit(
                worker.location,
                f"This Worker is in debug mode: {'; and '.join(problems)}. Remove the option{_plural(problems)} "
                "(and keep the `TEMPORAL_DEBUG` environment variable, which also turns debug mode on, out of "
                "production).",
                anchor=f"{worker.module}:{worker.function}:debug",
            )


def _plural(items: list[str]) -> str:
    return "s" if len(items) > 1 else ""


def _note(value: object) -> str:
    note = value.note if isinstance(value, Lit) else ""
    return f" ({note})" if note else ""


# Deprecated in temporalio 1.35.0 (`WARNING: Deprecated` in Worker's docstring). `build_id` and
# `use_worker_versioning` are deprecated too: TPR231 reports them, as legacy versioning.
_DEPRECATED_OPTIONS = {
    "max_concurrent_workflow_task_polls": "workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=N)",
    "max_concurrent_activity_task_polls": "activity_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=N)",
}


def deprecated_options(project: Project) -> Iterator[Hit]:
    """TPR108: Worker options the SDK has deprecated."""
    python = project.python
    for worker in python.workers:
        if is_test_path(worker.location.path):
            continue
        used = [name for name in _DEPRECATED_OPTIONS if _given(python.fold(worker.option(name)))]
        if not used:
            continue
        replacements = "; ".join(f"`{name}=` → `{_DEPRECATED_OPTIONS[name]}`" for name in used)
        yield Hit(
            worker.location,
            f"This Worker uses deprecated option{'s' if len(used) > 1 else ''} "
            f"{', '.join(f'`{name}`' for name in used)}: when set it overrides the poller behaviour, and the SDK "
            f"will remove it. Replace: {replacements} (`PollerBehaviorSimpleMaximum` and "
            "`PollerBehaviorAutoscaling` are in `temporalio.worker`).",
            anchor=f"{worker.module}:{worker.function}:deprecated",
        )


def _given(value: object) -> bool:
    return not isinstance(value, Missing) and not (isinstance(value, Lit) and value.value is None)


# -- TPR109 ------------------------------------------------------------------------------------

_FRAMEWORKS = {
    "fastapi.FastAPI": "fastapi", "fastapi.applications.FastAPI": "fastapi",
    "fastapi.APIRouter": "fastapi", "fastapi.routing.APIRouter": "fastapi",
    "flask.Flask": "flask", "flask.app.Flask": "flask", "flask.Blueprint": "flask",
    "flask.blueprints.Blueprint": "flask",
    "aiohttp.web.Application": "aiohttp", "aiohttp.web.RouteTableDef": "aiohttp",
    "starlette.applications.Starlette": "starlette",
}
# FastAPI validates the return value against these; anything else may turn a body into a 500.
_PLAIN_ANNOTATIONS = frozenset({"", "Any", "typing.Any", "object", "dict", "Dict", "dict[str, Any]", "Dict[str, Any]"})
_TUPLE_ANNOTATIONS = frozenset({"", "Any", "typing.Any", "object", "tuple", "Tuple"})
_FIXES = {
    "fastapi": "return `JSONResponse(content=..., status_code=503)` or `raise HTTPException(status_code=503)` there",
    "flask": "return `(body, 503)` there",
    "aiohttp": "return `web.json_response(..., status=503)` there",
    "starlette": "return `JSONResponse(..., status_code=503)` there",
}


def readiness_never_fails(project: Project) -> Iterator[Hit]:
    """TPR109: a health/readiness route that tries to report failure but always answers 2xx."""
    python = project.python
    for _, module in sorted(python.modules.items()):
        if is_test_path(module.path):
            continue
        for route in module.process.health_routes:
            app = python.fold(route.app)
            framework = route.framework or (_FRAMEWORKS.get(app.callee, "") if isinstance(app, Obj) else "")
            if not framework:
                continue  # framework not certain: its rules for return values are unknown
            path = (_prefix(app) + route.path).rstrip("/") or "/"
            if not is_health_path(path):
                continue
            if framework == "fastapi" and route.via == "add_route":
                framework = "starlette"  # a raw Starlette route on a FastAPI app: it must return a Response
            hit = _tuple_status(route, framework, path) or _always_2xx(route, framework, path)
            if hit is not None:
                yield hit


def _prefix(app: object) -> str:
    if not isinstance(app, Obj):
        return ""
    for name in ("prefix", "url_prefix"):
        value = app.keyword(name)
        if isinstance(value, Lit) and isinstance(value.value, str):
            return value.value.rstrip("/")
    return ""


def _tuple_status(route: HealthRoute, framework: str, path: str) -> Hit | None:
    """FastAPI serialises a returned ``(body, 503)`` as a JSON array, with the route's status."""
    if framework != "fastapi" or route.response_model or route.annotation not in _TUPLE_ANNOTATIONS:
        return None  # a response model would reject the tuple: a 500, which does fail the probe
    default = route.default_status or 200
    for found in route.returns:
        failing = [code for code in found.statuses if _fails_probe(code)]
        if found.shape == "tuple" and failing:
            return Hit(
                found.location,
                f"FastAPI does not take a status code from a returned tuple: `{found.text}` in this `{path}` "
                f"handler is sent as a JSON array with status {default}, so the probe that calls it never fails "
                "(Kubernetes reads only the status code). Return `JSONResponse(content=..., status_code=503)` or "
                "`raise HTTPException(status_code=503)` on the failure branch.",
                related=(RelatedLocation(route.location, f"the `{path}` route"),),
                anchor=f"{route.location.path}:{route.handler}:tuple",
            )
    return None


def _fails_probe(code: int) -> bool:
    """Kubernetes HTTP probes pass on 200-399."""
    return not 200 <= code < 400


def _always_2xx(route: HealthRoute, framework: str, path: str) -> Hit | None:
    """A handler whose body says "not ready" on some branch, while every branch answers 2xx."""
    if route.may_fail:
        return None
    if framework == "fastapi" and (route.response_model or route.annotation not in _PLAIN_ANNOTATIONS):
        return None
    default = (route.default_status or 200) if framework == "fastapi" else 200
    failing: RouteReturn | None = None
    for found in route.returns:
        if framework in ("aiohttp", "starlette") and found.shape != "response":
            return None  # not a Response: the framework answers 500, which does fail the probe
        serialised = framework == "fastapi" and found.shape == "tuple"
        if serialised and route.annotation not in _TUPLE_ANNOTATIONS:
            return None  # the return annotation rejects the tuple: a 500, which does fail the probe
        statuses = (default,) if serialised or not found.statuses else found.statuses
        if any(_fails_probe(code) for code in statuses):
            return None  # some branch can fail the probe
        if found.state == "fail" and failing is None:
            failing = found
    if failing is None:
        return None
    sent = failing.statuses if framework != "fastapi" or failing.shape != "tuple" else ()
    status = sent[0] if sent else default
    return Hit(
        failing.location,
        f"This `{path}` handler reports failure only in the response body (`{failing.text}`) and answers "
        f"{status} on every branch; Kubernetes probes read only the status code, so the probe never fails "
        f"(a readiness probe keeps an unready worker counted as ready, a liveness probe never restarts a stuck "
        f"one). Answer a non-2xx status on the failure branch: {_FIXES[framework]}.",
        related=(RelatedLocation(route.location, f"the `{path}` route"),),
        anchor=f"{route.location.path}:{route.handler}:status",
    )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR104": signal_handler_exits,
    "TPR105": sandbox_disabled,
    "TPR106": debug_mode,
    "TPR108": deprecated_options,
    "TPR109": readiness_never_fails,
}
