"""Facts about activities: ``@activity.defn`` definitions, activity calls from workflow code
(``workflow.execute_activity`` and its siblings), the activity lists handed to Workers, and a small
call summary of every function so the project phase can tell whether an activity heartbeats.

Everything here reads the per-scope index built by the module's single walk (``ModuleCode.bodies``);
the only extra walks are of single expressions (a dict literal, a list of activities). What an
activity's body must not do (block the loop, swallow cancellation) is ``activity_hazards``.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import field

from tprlint.facts.python.activity_hazards import (
    BlockingCall,
    CancelSwallow,
    Hazards,
    binding_of,
    class_of,
)
from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.evaluate import Evaluator
from tprlint.facts.python.names import Scope, source_text
from tprlint.facts.python.values import Expr, Lit, Missing, Unknown
from tprlint.model import Location
from tprlint.records import frozen, mutable

ACTIVITY_DEFN = "temporalio.activity.defn"
HEARTBEAT = "temporalio.activity.heartbeat"
# Completing asynchronously hands the activity (and its heartbeats) to whoever holds its task token.
ASYNC_COMPLETION = "temporalio.activity.raise_complete_async"
# workflow API name -> is it a local activity
ACTIVITY_APIS = {
    "execute_activity": False, "start_activity": False,
    "execute_activity_method": False, "start_activity_method": False,
    "execute_activity_class": False, "start_activity_class": False,
    "execute_local_activity": True, "start_local_activity": True,
    "execute_local_activity_method": True, "start_local_activity_method": True,
    "execute_local_activity_class": True, "start_local_activity_class": True,
}
# Keys of `ActivityConfig` / `LocalActivityConfig`, plus the other keywords of the calls.
OPTION_KEYS = frozenset({
    "task_queue", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout",
    "heartbeat_timeout", "retry_policy", "cancellation_type", "activity_id", "versioning_intent", "summary",
    "event_groups", "priority", "local_retry_threshold", "result_type", "args",
})
OPTION_DICT_CALLS = frozenset({
    "temporalio.workflow.ActivityConfig", "temporalio.workflow.LocalActivityConfig",
    "temporalio.workflow._activities.ActivityConfig", "temporalio.workflow._activities.LocalActivityConfig",
})
_NOT_PROJECT = frozenset(sys.stdlib_module_names) | {"temporalio", "builtins"}

@frozen
class OptionPart:
    """One piece of an activity call's keyword arguments, in order: explicit keywords, the entries of
    a dict tprlint could see, a dict defined elsewhere (``ref``), or a ``**splat`` it cannot see."""

    items: tuple[tuple[str, Expr], ...] = ()
    ref: str = ""  # qualified name of a module- or class-level dict of options (resolved by the project)
    unresolved: str = ""  # e.g. "**options": keyword arguments tprlint could not see
    fixed: bool = False  # explicit keywords of a call: no later **splat can override them


@frozen
class Target:
    """The activity an activity call names: a function/method/class reference or a string name."""

    qualname: str  # qualified name of a Name/Attribute reference ("" otherwise)
    value: Expr  # the evaluated expression (a string name, a constant)
    text: str  # source text, for messages


@frozen
class ActivityDefinition:
    qualname: str  # "charge", "PaymentActivities.charge", "make_activities.charge"
    function_name: str  # the def's (or callable class's) own name: the default activity name
    name: Expr  # the decorator's `name=` (unfolded), Missing when not given
    dynamic: bool
    is_async: bool
    wrapped: bool  # decorators applied before @activity.defn: what they return decides sync/async
    decorators: tuple[str, ...]  # qualified names of the other decorators (they may heartbeat)
    is_class: bool  # a callable class (`async def __call__`)
    location: Location
    summary_key: str  # key of this definition's body in ``ActivityFacts.summaries``
    blocking: tuple[BlockingCall, ...] = ()
    swallows: tuple[CancelSwallow, ...] = ()


@frozen
class CallSummary:
    """What a function (with its nested functions) calls, for the heartbeat question."""

    heartbeats: bool  # calls `activity.heartbeat` or hands it on as a callback
    callees: tuple[str, ...] = ()  # qualified names of project-like callees (this module's included)
    methods: tuple[str, ...] = ()  # names of methods called on objects whose type tprlint does not know


@frozen
class ActivityCall:
    location: Location
    function: str  # enclosing function's qualified name within the module
    api: str  # "execute_activity", "start_local_activity_method", ...
    local: bool
    target: Target | None  # None when the activity argument is missing or starred
    target_param: int  # the activity is the enclosing function's parameter number N (-1: it is not)
    options: tuple[OptionPart, ...]
    forwards: str  # the enclosing function's own **kwargs passed on here: a wrapper, judged where called
    params: tuple[str, ...] = ()  # the enclosing function's positional parameters (self/cls dropped)


@frozen
class HelperCall:
    """A call in workflow code that may go through a project wrapper of ``execute_activity``."""

    location: Location
    function: str
    callee: str  # qualified name ("" for `self.x(...)` of a method not defined on the own class)
    self_method: str  # `self.x(...)`: "x"
    class_name: str  # the class of the calling method, for `self.x` through project base classes
    args: tuple[Target, ...]
    keyword_targets: tuple[tuple[str, Target], ...]  # keywords that are not activity options
    options: tuple[OptionPart, ...]


@frozen
class Registered:
    """One entry of a Worker's ``activities=``."""

    kind: str  # "ref" (function, or a list defined elsewhere), "method" (bound method), "instance", "unknown"
    qualname: str  # the function / "Class.method" / class, "" when unknown
    text: str


@frozen
class Registration:
    location: Location  # the call that passes `activities=` (a Worker or a project factory)
    items: tuple[Registered, ...]


@mutable
class ActivityFacts:
    definitions: list[ActivityDefinition] = field(default_factory=list)
    calls: list[ActivityCall] = field(default_factory=list)
    helper_calls: list[HelperCall] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    summaries: dict[str, CallSummary] = field(default_factory=dict)  # module functions and methods
    option_dicts: dict[str, tuple[OptionPart, ...]] = field(default_factory=dict)  # "OPTS", "Workflow.OPTS"
    activity_lists: dict[str, tuple[Registered, ...]] = field(default_factory=dict)  # ACTIVITIES = [a, b]


def extract_activities(code: ModuleCode, facts: ActivityFacts) -> None:
    _Extractor(code, facts).run()


class _Extractor:
    def __init__(self, code: ModuleCode, facts: ActivityFacts) -> None:
        self.code = code
        self.facts = facts
        self.own = code.imports.own_key
        self.functions = {b.qualname: b for b in code.bodies if b.is_function}
        self.classes = {b.qualname: b for b in code.bodies if isinstance(b.node, ast.ClassDef)}
        self.hazards = Hazards(code, self.functions, self.classes)
        bindings = code.imports.bindings
        self.workflow_code = any(q == "temporalio.workflow" or q.startswith("temporalio.workflow.")
                                 for q in bindings.values())
        # Names bound to `temporalio.activity.heartbeat` itself, and whether `activity.heartbeat` can
        # be spelled here at all: most modules need neither check.
        self.heartbeat_names = {name for name, q in bindings.items() if q == HEARTBEAT}
        self.imports_activity = any(q in ("temporalio", "temporalio.activity") for q in bindings.values())

    def run(self) -> None:
        raw: dict[str, tuple[bool, set[str], set[str]]] = {}
        for body in self.code.bodies:
            awaited = {id(a.value) for a in body.awaits} if self.workflow_code else set()
            callees = [self.code.callee(call) for call in body.calls]
            helpers = self.workflow_code and body.is_function
            for call, callee in zip(body.calls, callees, strict=True):
                if callee.startswith("temporalio.workflow.") or call.keywords:
                    self._call(body, call, callee)
                if helpers:
                    self._helper_call(body, call, callee, awaited)
            node = body.node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                raw[body.qualname] = self._summary_of(body, callees)
                if node.decorator_list and ACTIVITY_DEFN in self.code.decorator_names(body):
                    self._definition(body)
            elif isinstance(node, ast.ClassDef) and node.decorator_list \
                    and ACTIVITY_DEFN in self.code.decorator_names(body):
                self._class_definition(body)
        self._summaries(raw)
        self._module_values()

    # -- names ---------------------------------------------------------------------------------------

    def _global_qualname(self, node: ast.expr, body: FunctionBody | None) -> str:
        """The qualified name of a module-level (or nested-def) name or attribute chain."""
        qualname = self.code.qualname(node)
        if qualname:
            return qualname
        if isinstance(node, ast.Name) and body is not None and body.qualname:
            nested = f"{body.qualname}.{node.id}"
            if nested in self.functions or nested in self.classes:
                return f"{self.own}.{nested}"
        return ""

    def _is_project(self, qualname: str) -> bool:
        return qualname.startswith("path:") or qualname.split(".", 1)[0] not in _NOT_PROJECT

    # -- call summaries (does the code heartbeat?) ----------------------------------------------------

    def _summaries(self, raw: dict[str, tuple[bool, set[str], set[str]]]) -> None:
        kept = {q for q in raw if "." not in q or q.rpartition(".")[0] in self.classes}
        merged: dict[str, tuple[bool, set[str], set[str]]] = {q: (raw[q][0], set(raw[q][1]), set(raw[q][2]))
                                                               for q in kept}
        for qualname, (beats, callees, methods) in raw.items():
            # A nested function's calls run when its owner runs it: they count for the owner.
            parent = qualname.rpartition(".")[0]
            while parent:
                if parent in merged and parent != qualname:
                    owner = merged[parent]
                    merged[parent] = (owner[0] or beats, owner[1] | callees, owner[2] | methods)
                    break
                parent = parent.rpartition(".")[0]
        for qualname, (beats, callees, methods) in merged.items():
            if beats or callees or methods:
                self.facts.summaries[qualname] = CallSummary(beats, tuple(sorted(callees)), tuple(sorted(methods)))

    def _summary_of(self, body: FunctionBody, callees_of_calls: list[str]) -> tuple[bool, set[str], set[str]]:
        beats = self.imports_activity and any(
            a.attr == "heartbeat" and self.code.qualname(a) == HEARTBEAT for a in body.attributes)
        callees: set[str] = set()
        methods: set[str] = set()
        owner = class_of(body, self.classes) or (body.class_name if body.class_name in self.classes else "")
        # `activity.client().get_async_activity_handle(...)` then `handle.heartbeat()`: heartbeats too.
        handle = self.imports_activity and any(a.attr == "get_async_activity_handle" for a in body.attributes)
        for call, callee in zip(body.calls, callees_of_calls, strict=True):
            handle_beat = handle and isinstance(call.func, ast.Attribute) and call.func.attr == "heartbeat"
            passes_beat = bool(self.heartbeat_names) and self._passes_heartbeat(call)
            if callee in (HEARTBEAT, ASYNC_COMPLETION) or passes_beat or handle_beat:
                beats = True
            if callee:
                if self._is_project(callee):
                    callees.add(callee)
            elif isinstance(call.func, ast.Attribute):
                base = call.func.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls") and owner:
                    method = f"{owner}.{call.func.attr}"
                    if method in self.functions:
                        callees.add(f"{self.own}.{method}")
                        continue
                methods.add(call.func.attr)
            # A call of a nested function needs no edge: its body is merged into its owner's summary.
        return beats, callees, methods

    def _passes_heartbeat(self, call: ast.Call) -> bool:
        """`activity.heartbeat` handed on as a callback by its bare name (`on_progress=heartbeat`);
        the attribute form is already among the scope's attribute reads."""
        values = [*call.args, *(k.value for k in call.keywords)]
        return any(isinstance(v, ast.Name) and v.id in self.heartbeat_names for v in values)

    # -- definitions ---------------------------------------------------------------------------------

    def _definition(self, body: FunctionBody) -> None:
        node = body.node
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        decorator, others, wrapped = self._decoration(body)
        name, dynamic = self._defn_options(body, decorator)
        self.facts.definitions.append(ActivityDefinition(
            qualname=body.qualname, function_name=node.name, name=name, dynamic=dynamic,
            is_async=body.is_async, wrapped=wrapped, decorators=others, is_class=False,
            location=self.code.loc(node), summary_key=self._summary_key(body.qualname),
            blocking=tuple(self.hazards.blocking(body)) if body.is_async else (),
            swallows=tuple(self.hazards.swallows(body)),
        ))

    def _class_definition(self, body: FunctionBody) -> None:
        node = body.node
        assert isinstance(node, ast.ClassDef)
        call = self.functions.get(f"{body.qualname}.__call__")
        decorator, others, wrapped = self._decoration(body)
        name, dynamic = self._defn_options(body, decorator)
        self.facts.definitions.append(ActivityDefinition(
            qualname=body.qualname, function_name=node.name, name=name, dynamic=dynamic,
            is_async=call is not None and call.is_async, wrapped=wrapped or call is None, decorators=others,
            is_class=True, location=self.code.loc(node), summary_key=f"{body.qualname}.__call__",
            blocking=tuple(self.hazards.blocking(call)) if call is not None and call.is_async else (),
            swallows=tuple(self.hazards.swallows(call)) if call is not None else (),
        ))

    def _summary_key(self, qualname: str) -> str:
        """Nested definitions are summarised with their outermost enclosing function or method."""
        key = qualname
        parent = qualname.rpartition(".")[0]
        while parent:
            if parent in self.functions:
                key = parent
            parent = parent.rpartition(".")[0]
        return key

    def _decoration(self, body: FunctionBody) -> tuple[ast.expr, tuple[str, ...], bool]:
        """The @activity.defn decorator, the other decorators' names, and whether any of them is
        applied before @activity.defn (closer to the def): then its result is what the SDK sees."""
        names = self.code.decorator_names(body)
        index = names.index(ACTIVITY_DEFN)
        others = tuple(name or "?" for i, (decorator, name) in enumerate(zip(body.decorators, names, strict=True))
                       if i != index and not _is_method_kind(decorator))
        wrapped = any(not _is_method_kind(d) for d in body.decorators[index + 1:])
        return body.decorators[index], others, wrapped

    def _defn_options(self, body: FunctionBody, decorator: ast.expr) -> tuple[Expr, bool]:
        name: Expr = Missing()
        dynamic = False
        if isinstance(decorator, ast.Call):
            evaluator = self._module_evaluator()
            for keyword in decorator.keywords:
                if keyword.arg == "name":
                    name = evaluator.eval(keyword.value)
                elif keyword.arg == "dynamic":
                    value = evaluator.eval(keyword.value)
                    dynamic = not (isinstance(value, Lit) and value.value is False)
                elif keyword.arg is None:
                    name = Unknown("@activity.defn(**...)")
        return name, dynamic

    def _module_evaluator(self) -> Evaluator:
        return self.code.bodies[0].evaluator

    # -- activity calls, wrapper calls and Worker registrations ---------------------------------------

    def _call(self, body: FunctionBody, call: ast.Call, callee: str) -> None:
        api = _activity_api(callee)
        if api:
            self._activity_call(body, call, api)
            return
        if call.keywords and (any(k.arg == "activities" for k in call.keywords)
                              or self._splat_has_activities(call, body)):
            self._registration(body, call)

    def _activity_call(self, body: FunctionBody, call: ast.Call, api: str) -> None:
        node = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else next(
            (k.value for k in call.keywords if k.arg == "activity"), None)
        params = self._params(body)
        target_param = -1
        if isinstance(node, ast.Name) and node.id in params:
            kind, _, index = binding_of(node.id, body.evaluator.scopes)
            if kind == "param" and index == 0:
                target_param = params.index(node.id)
        options, forwards = self._call_options(body, call, skip=("activity",))
        self.facts.calls.append(ActivityCall(
            location=self.code.loc(call), function=body.qualname, api=api, local=ACTIVITY_APIS[api],
            target=self._target(node, body) if node is not None else None, target_param=target_param,
            options=options, forwards=forwards, params=params,
        ))

    def _params(self, body: FunctionBody) -> tuple[str, ...]:
        node = body.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return ()
        names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        if class_of(body, self.classes) and not static and names:
            names = names[1:]
        return tuple(names)

    def _target(self, node: ast.expr, body: FunctionBody) -> Target:
        qualname = ""
        if isinstance(node, ast.Name):
            kind, value, _ = binding_of(node.id, body.evaluator.scopes)
            if kind == "global":
                qualname = self._global_qualname(node, body)
            elif kind == "value" and isinstance(value, (ast.Name, ast.Attribute)):
                qualname = self.code.qualname(value) or ""
        elif isinstance(node, ast.Attribute):
            qualname = self._attribute_qualname(node, body)
        return Target(qualname, body.evaluator.eval(node), source_text(node, 80))

    def _attribute_qualname(self, node: ast.Attribute, body: FunctionBody) -> str:
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value  # type: ignore[assignment]
        if isinstance(root, ast.Name):
            kind, _, _ = binding_of(root.id, body.evaluator.scopes)
            if kind != "global":
                return ""  # a local object: `acts.charge` on an instance tprlint does not follow here
        return self.code.qualname(node) or ""

    def _call_options(self, body: FunctionBody, call: ast.Call,
                      skip: tuple[str, ...] = ()) -> tuple[tuple[OptionPart, ...], str]:
        explicit = tuple((k.arg, body.evaluator.eval(k.value)) for k in call.keywords
                         if k.arg is not None and k.arg not in skip)
        parts: list[OptionPart] = [OptionPart(items=explicit, fixed=True)] if explicit else []
        forwards = ""
        kwarg = self._kwarg_name(body)
        for keyword in call.keywords:
            if keyword.arg is not None:
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id == kwarg:
                scope = body.evaluator.scopes[0]
                if value.id in scope.assigned or scope.dict_updates.get(value.id):
                    # `kwargs.setdefault("start_to_close_timeout", ...)` first: not the caller's alone.
                    parts.append(OptionPart(unresolved=f"**{value.id}"))
                else:
                    forwards = f"**{value.id}"
                continue
            parts.extend(self._splat_parts(value, body.evaluator.scopes, body, 0))
        return tuple(parts), forwards

    def _kwarg_name(self, body: FunctionBody) -> str:
        node = body.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.args.kwarg:
            return node.args.kwarg.arg
        return ""

    def _splat_parts(self, node: ast.expr, scopes: list[Scope], body: FunctionBody | None,
                     depth: int) -> list[OptionPart]:
        unresolved = [OptionPart(unresolved=f"**{source_text(node, 80)}")]
        if depth > 8:
            return unresolved
        if isinstance(node, ast.Name):
            kind, value, index = binding_of(node.id, scopes)
            if kind == "value" and value is not None:
                return self._dict_parts(value, scopes[index:], body, depth + 1) or unresolved
            if kind == "global":
                qualname = self.code.qualname(node)
                return [OptionPart(ref=qualname)] if qualname else unresolved
            return unresolved
        if isinstance(node, ast.Attribute):
            base = node.value
            owner = class_of(body, self.classes) if body is not None else ""
            if isinstance(base, ast.Name) and base.id in ("self", "cls") and owner:
                return [OptionPart(ref=f"{self.own}.{owner}.{node.attr}")]
            qualname = self.code.qualname(node)
            return [OptionPart(ref=qualname)] if qualname else unresolved
        return self._dict_parts(node, scopes, body, depth + 1) or unresolved

    def _dict_parts(self, node: ast.expr, scopes: list[Scope], body: FunctionBody | None,
                    depth: int) -> list[OptionPart] | None:
        """The option parts of a dict expression, None when it is not a dict tprlint can read."""
        evaluator = Evaluator(self.code.imports, scopes)
        if isinstance(node, ast.Dict):
            parts: list[OptionPart] = []
            items: list[tuple[str, Expr]] = []
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    if items:
                        parts.append(OptionPart(items=tuple(items)))
                        items = []
                    parts.extend(self._splat_parts(value, scopes, body, depth + 1))
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    items.append((key.value, evaluator.eval(value)))
                else:
                    return [OptionPart(unresolved="a dict with computed keys")]
            if items:
                parts.append(OptionPart(items=tuple(items)))
            return parts
        if isinstance(node, ast.Call) and self._is_dict_call(node):
            parts = []
            for arg in node.args[:1]:
                parts.extend(self._splat_parts(arg, scopes, body, depth + 1))
            for keyword in node.keywords:
                if keyword.arg is None:
                    parts.extend(self._splat_parts(keyword.value, scopes, body, depth + 1))
                else:
                    parts.append(OptionPart(items=((keyword.arg, evaluator.eval(keyword.value)),)))
            return parts
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return (self._splat_parts(node.left, scopes, body, depth + 1)
                    + self._splat_parts(node.right, scopes, body, depth + 1))
        return None

    def _is_dict_call(self, node: ast.Call) -> bool:
        if isinstance(node.func, ast.Name) and node.func.id == "dict" and "dict" not in self.code.imports.bindings:
            return len(node.args) <= 1
        return self.code.callee(node) in OPTION_DICT_CALLS and not node.args

    def _helper_call(self, body: FunctionBody, call: ast.Call, callee: str, awaited: set[int]) -> None:
        # Wrappers are awaited (`await run_activity(...)`) or given activity options: other calls are not.
        if id(call) not in awaited and not any(k.arg in OPTION_KEYS for k in call.keywords):
            return
        if callee.startswith("temporalio."):
            return
        self_method = ""
        func = call.func
        owner = class_of(body, self.classes)
        if not callee and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in ("self", "cls") and owner:
            method = f"{owner}.{func.attr}"
            callee = f"{self.own}.{method}" if method in self.functions else ""
            self_method = "" if callee else func.attr
        elif callee and not self._is_project(callee):
            return
        if not (callee or self_method):
            return
        args = tuple(self._target(a, body) if not isinstance(a, ast.Starred) else Target("", Unknown("*args"), "")
                     for a in call.args[:6])
        keyword_targets = tuple((k.arg, self._target(k.value, body)) for k in call.keywords
                                if k.arg is not None and k.arg not in OPTION_KEYS
                                and isinstance(k.value, (ast.Name, ast.Attribute, ast.Constant)))
        options, forwards = self._call_options(body, call)
        if forwards:  # this caller forwards its own **kwargs: what they hold is not known here
            options = (*options, OptionPart(unresolved=forwards))
        self.facts.helper_calls.append(HelperCall(
            location=self.code.loc(call), function=body.qualname, callee=callee, self_method=self_method,
            class_name=owner, args=args, keyword_targets=keyword_targets, options=options,
        ))

    def _splat_has_activities(self, call: ast.Call, body: FunctionBody) -> bool:
        return any(k.arg is None and self._activities_in_splat(k.value, body) is not None for k in call.keywords)

    def _activities_in_splat(self, node: ast.expr, body: FunctionBody) -> ast.expr | None:
        if isinstance(node, ast.Name):
            kind, value, _ = binding_of(node.id, body.evaluator.scopes)
            node = value if kind == "value" and value is not None else node
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "activities":
                    return value
        return None

    def _registration(self, body: FunctionBody, call: ast.Call) -> None:
        value = next((k.value for k in call.keywords if k.arg == "activities"), None)
        if value is None:
            value = next((v for v in (self._activities_in_splat(k.value, body) for k in call.keywords
                                      if k.arg is None) if v is not None), None)
        if value is None:
            return
        items = self._registered(value, body.evaluator.scopes, body, 0)
        self.facts.registrations.append(Registration(self.code.loc(call), tuple(items)))

    def _registered(self, node: ast.expr, scopes: list[Scope], body: FunctionBody | None,
                    depth: int) -> list[Registered]:
        unknown = [Registered("unknown", "", source_text(node, 80))]
        if depth > 8:
            return unknown
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [r for element in node.elts[:200] for r in self._registered(element, scopes, body, depth + 1)]
        if isinstance(node, ast.Starred):
            return self._registered(node.value, scopes, body, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return (self._registered(node.left, scopes, body, depth + 1)
                    + self._registered(node.right, scopes, body, depth + 1))
        if isinstance(node, ast.Name):
            kind, value, index = binding_of(node.id, scopes)
            if kind == "value" and value is not None:
                return self._registered(value, scopes[index:], body, depth + 1)
            qualname = self._global_qualname(node, body) if kind == "global" else ""
            return [Registered("ref", qualname, node.id)] if qualname else unknown
        if isinstance(node, ast.Attribute):
            return self._registered_attribute(node, scopes, body) or unknown
        if isinstance(node, ast.Call):
            callee = self.code.callee(node)
            if callee and self._is_project(callee):
                return [Registered("instance", callee, source_text(node, 80))]
            return unknown
        return unknown

    def _registered_attribute(self, node: ast.Attribute, scopes: list[Scope],
                              body: FunctionBody | None) -> list[Registered]:
        base = node.value
        if isinstance(base, ast.Call):  # `PaymentActivities(db).charge`
            cls = self.code.callee(base)
            return [Registered("method", f"{cls}.{node.attr}", source_text(node, 80))] if cls else []
        if isinstance(base, ast.Name):
            kind, value, _ = binding_of(base.id, scopes)
            if kind == "value":  # `acts = PaymentActivities(db)` ... `acts.charge`
                if isinstance(value, ast.Call) and self.code.callee(value):
                    return [Registered("method", f"{self.code.callee(value)}.{node.attr}", source_text(node, 80))]
                return []
            if kind != "global":
                return []
        qualname = self.code.qualname(node)
        return [Registered("ref", qualname, source_text(node, 80))] if qualname else []

    # -- module-level values: option dicts and activity lists -----------------------------------------

    def _module_values(self) -> None:
        module = self.code.bodies[0]
        self._values_of(module, "", [module.scope])
        for qualname, body in self.classes.items():
            if "." not in qualname:
                self._values_of(body, f"{qualname}.", [body.scope, module.scope])

    def _values_of(self, body: FunctionBody, prefix: str, scopes: list[Scope]) -> None:
        scope = scopes[0]
        for name in scope.assigned:
            value = scope.single_value(name)
            if value is None or scope.dict_updates.get(name):
                continue
            if _looks_like_options(value):
                parts = self._dict_parts(value, scopes, None, 0)
                if parts and any(p.ref or any(k in OPTION_KEYS for k, _ in p.items) for p in parts):
                    self.facts.option_dicts[prefix + name] = tuple(parts)
            if not prefix and isinstance(value, (ast.List, ast.Tuple)) and value.elts and len(value.elts) <= 200 \
                    and all(isinstance(e, (ast.Name, ast.Attribute, ast.Call, ast.Starred)) for e in value.elts):
                self.facts.activity_lists[name] = tuple(self._registered(value, scopes, None, 0))


def _looks_like_options(node: ast.expr) -> bool:
    """A cheap look before evaluating: a dict literal or dict()/ActivityConfig() call naming an option
    or merging other dicts (modules are full of data dicts that are not activity options)."""
    if isinstance(node, ast.Dict):
        return len(node.keys) <= 50 and any(
            k is None or (isinstance(k, ast.Constant) and k.value in OPTION_KEYS) for k in node.keys)
    if isinstance(node, ast.Call):
        return len(node.keywords) <= 50 and any(k.arg is None or k.arg in OPTION_KEYS for k in node.keywords)
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)


def _activity_api(callee: str) -> str:
    if not callee.startswith("temporalio.workflow."):
        return ""
    name = callee.rsplit(".", 1)[1]
    return name if name in ACTIVITY_APIS else ""


def _is_method_kind(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod")
