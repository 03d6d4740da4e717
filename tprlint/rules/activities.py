"""Rules on activities and the calls that schedule them (TPR102, TPR107; the
timeouts of each call, TPR201-TPR204, are in activity_timeouts.py; what an activity body does, TPR205
and TPR206, in activity_bodies.py).

The project phase links what each module's facts name by qualified name: an activity call's target
to its ``@activity.defn`` (a function, a method, a callable class, or a string name), the options a
call passes (keywords, dicts of options in any project module, project wrappers that forward
``**kwargs`` to ``workflow.execute_activity``), and the activities each Worker registers. Whatever
cannot be linked stays unknown, and the rules stay silent about it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator

from tprlint.facts.python.activities import (
    ActivityCall,
    ActivityDefinition,
    HelperCall,
    OptionPart,
    Registered,
    Target,
)
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.values import (
    Dur,
    Expr,
    Lit,
    Missing,
    Obj,
    Ref,
    Seq,
    Sym,
    describe_seconds,
    qualname_of,
)
from tprlint.link.python_project import PythonProject, ResolvedWorker
from tprlint.model import Location, RelatedLocation
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project, is_test_path
from tprlint.rules.drain import undecided_drain

STC = "start_to_close_timeout"
SCTC = "schedule_to_close_timeout"
HEARTBEAT_TIMEOUT = "heartbeat_timeout"


@frozen
class Resolved:
    """An activity definition found in the project."""

    module: str
    path: str
    definition: ActivityDefinition
    name: str | None  # the activity name (decorator `name=` or the function's), None when computed

    @property
    def label(self) -> str:
        return self.definition.qualname


@frozen
class LinkedCall:
    """An activity call as it runs: a direct ``workflow.execute_activity(...)``, or a call of a
    project wrapper that forwards its keyword arguments to one (then ``via`` is the wrapper's call)."""

    location: Location
    module: str
    function: str
    api: str
    local: bool
    target: Resolved | None
    target_text: str
    options: dict[str, Expr]  # keywords whose value is final, unfolded
    unresolved: str  # a **splat tprlint could not see: stay silent about missing options
    via: Location | None = None
    via_name: str = ""

    def describe(self) -> str:
        if self.via_name:
            return f"`{self.via_name}({self.target_text})` (which calls workflow.{self.api})"
        return f"`workflow.{self.api}({self.target_text})`"

    def related(self) -> tuple[RelatedLocation, ...]:
        found = []
        if self.via is not None:
            found.append(RelatedLocation(self.via, f"the workflow.{self.api} call inside {self.via_name}()"))
        if self.target is not None:
            found.append(RelatedLocation(self.target.definition.location,
                                         f"activity {self.target.label} is defined here"))
        return tuple(found)


class ActivityIndex:
    """Definitions, calls and registrations of the whole project, linked once per run."""

    def __init__(self, python: PythonProject) -> None:
        self.python = python
        self.definitions: dict[tuple[str, str], Resolved] = {}
        self.by_name: dict[str, list[Resolved]] = {}
        self.unnamed = False  # some definition's name is computed: a string may name it
        self.methods: dict[str, list[tuple[str, str]]] = {}  # method name -> (module, "Class.method")
        # Folder and module names of the project: imports of these are ours.
        self.roots: set[str] = {part for key in python.known_keys for part in key[len("path:"):].split("/")}
        self.roots -= {"", "."}
        self._heartbeats: dict[tuple[str, str], str] = {}
        # Every Worker's registrations and every call ask for the same few names: each is looked up once.
        self._locations: dict[str, list[tuple[str, str]]] = {}
        self._searched: set[str] = set()  # method names looked for in the modules not parsed
        self._indexed: set[str] = set()
        for key, module in python.modules.items():
            self._index_methods(key, module)
            for definition in module.activity.definitions:
                name = self._activity_name(definition)
                resolved = Resolved(key, module.path, definition, name)
                self.definitions[(key, definition.qualname)] = resolved
                if name is None:
                    self.unnamed = self.unnamed or not definition.dynamic
                else:
                    self.by_name.setdefault(name, []).append(resolved)
        self.calls = self._link_calls()

    def _index_methods(self, key: str, module: PythonFacts) -> None:
        if key in self._indexed:
            return
        self._indexed.add(key)
        for qualname in module.activity.summaries:
            owner, _, method = qualname.partition(".")
            if method and "." not in method and owner in module.classes:
                self.methods.setdefault(method, []).append((key, qualname))

    def methods_named(self, method: str) -> list[tuple[str, str]]:
        """The project methods called ``method``: of the parsed modules, and of the modules of the
        Temporal code's processes whose text defines one (parsed the first time it is asked for)."""
        if method not in self._searched:
            self._searched.add(method)
            for module in self.python.defining(method):
                self._index_methods(module.key, module)
        return self.methods.get(method, [])

    # -- names ---------------------------------------------------------------------------------------

    def _activity_name(self, definition: ActivityDefinition) -> str | None:
        if definition.dynamic:
            return None
        if isinstance(definition.name, Missing):
            return definition.function_name
        value = self.python.fold(definition.name)
        return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None

    def locations(self, qualname: str) -> list[tuple[str, str]]:
        """The (module key, name in it) a dotted name may denote, most specific module first:
        ``app.acts.Payments.charge`` is ``Payments.charge`` of ``app.acts``. (Each module is parsed only
        when a caller asks ``python.module`` for it: most callers need the first alone.)"""
        found = self._locations.get(qualname)
        if found is None:
            found = self._locations[qualname] = self._locate(qualname)
        return found

    def _locate(self, qualname: str) -> list[tuple[str, str]]:
        qualname = qualname.removeprefix("mod:")
        if qualname.startswith("path:"):
            rest = qualname[len("path:"):]
            slash = rest.rfind("/") + 1
            head, parts = rest[:slash], rest[slash:].split(".")
            if rest.startswith(".."):  # the root package's key is "path:.", so its own names are "path:..charge"
                parts = [".", *parts[2:]]
            keys = [("path:" + head + "/".join(parts[:i]), i) for i in range(len(parts) - 1, 0, -1)]
        else:
            parts = qualname.split(".")
            keys = [("mod:" + ".".join(parts[:i]), i) for i in range(len(parts) - 1, 0, -1)]
        found: list[tuple[str, str]] = []
        for key, i in keys:
            candidates = self.python.resolve_module(key)
            if len(candidates) == 1:
                found.append((candidates[0], ".".join(parts[i:])))
        return found

    def is_ours(self, qualname: str) -> bool:
        """Could this name be project code that was not parsed (rather than a library)?"""
        qualname = qualname.removeprefix("mod:")
        return qualname.startswith("path:") or qualname.split(".", 1)[0] in self.roots

    def definition(self, qualname: str, depth: int = 0) -> Resolved | None:
        for key, name in self.locations(qualname):
            module = self.python.module(key)
            if module is None:
                return None
            found = self.definitions.get((key, name))
            if found is not None:
                return found
            head = name.split(".", 1)[0]
            reexport = module.constants.get(head)
            if isinstance(reexport, Ref) and depth < 5:  # `from .acts import charge` in a package
                return self.definition(qualname_of(reexport) + name[len(head):], depth + 1)
            return None
        return None

    def by_string(self, name: str) -> Resolved | None:
        matches = self.by_name.get(name, [])
        return matches[0] if len(matches) == 1 and not self.unnamed else None

    def target(self, target: Target | None) -> Resolved | None:
        if target is None:
            return None
        if target.qualname:
            found = self.definition(target.qualname)
            if found is not None:
                return found
        value = self.python.fold(target.value)
        if isinstance(value, Lit) and isinstance(value.value, str):
            return self.by_string(value.value)
        return None

    # -- options -------------------------------------------------------------------------------------

    def options(self, parts: tuple[OptionPart, ...], depth: int = 0) -> tuple[dict[str, Expr], str]:
        """The keywords a call passes whose value is final, and the first **splat tprlint could not see.
        Later entries win (as in ``{**BASE, "k": v}``); a splat that cannot be seen may override what
        came before it, except a call's own explicit keywords (a duplicate would be a TypeError)."""
        values: dict[str, Expr] = {}
        final: set[str] = set()
        fixed: set[str] = set()
        unresolved = ""
        for part in parts:
            inner: tuple[dict[str, Expr], str] | None = None
            if part.ref:
                found = self._option_dict(part.ref) if depth < 8 else None
                inner = self.options(found, depth + 1) if found is not None else ({}, f"**{_short(part.ref)}")
            elif part.unresolved:
                inner = ({}, part.unresolved)
            if inner is not None:
                if inner[1]:
                    unresolved = unresolved or inner[1]
                    final = set(fixed)
                values.update(inner[0])
                final.update(inner[0])
                continue
            for key, value in part.items:
                values[key] = value
                final.add(key)
                if part.fixed:
                    fixed.add(key)
        return {k: v for k, v in values.items() if k in final}, unresolved

    def _option_dict(self, qualname: str, depth: int = 0) -> tuple[OptionPart, ...] | None:
        for key, name in self.locations(qualname):
            module = self.python.module(key)
            if module is None:
                return None
            found = module.activity.option_dicts.get(name)
            if found is not None:
                return found
            reexport = module.constants.get(name)
            if isinstance(reexport, Ref) and depth < 5:
                return self._option_dict(qualname_of(reexport), depth + 1)
            return None
        return None

    # -- calls ---------------------------------------------------------------------------------------

    def _link_calls(self) -> list[LinkedCall]:
        linked: list[LinkedCall] = []
        wrappers: dict[tuple[str, str], ActivityCall] = {}
        for key, module in self.python.modules.items():
            for call in module.activity.calls:
                if call.forwards:
                    wrappers[(key, call.function)] = call  # judged where it is called
                    continue
                options, unresolved = self.options(call.options)
                linked.append(LinkedCall(
                    call.location, key, call.function, call.api, call.local, self.target(call.target),
                    call.target.text if call.target else "?", options, unresolved,
                ))
        if not wrappers:
            return linked
        for key, module in self.python.modules.items():
            for helper in module.activity.helper_calls:
                found = self._wrapper_of(module, helper, wrappers)
                if found is not None:
                    linked.append(self._through_wrapper(key, helper, *found))
        return linked

    def _wrapper_of(self, module: PythonFacts, helper: HelperCall,
                    wrappers: dict[tuple[str, str], ActivityCall]) -> tuple[str, ActivityCall] | None:
        if helper.callee:
            for key, name in self.locations(helper.callee):
                if (key, name) in wrappers:
                    return name, wrappers[(key, name)]
            return None
        # `self.run_activity(...)` defined on a project base class of the calling workflow.
        return self._inherited(module, helper.class_name, helper.self_method, wrappers, 0)

    def _inherited(self, module: PythonFacts, class_name: str, method: str,
                   wrappers: dict[tuple[str, str], ActivityCall], depth: int,
                   seen: set[tuple[str, str]] | None = None) -> tuple[str, ActivityCall] | None:
        # ``seen``: a class listed as a base many times over, at every level, would otherwise be
        # searched once per path to it - exponential in the depth.
        seen = set() if seen is None else seen
        cls = module.classes.get(class_name)
        if cls is None or depth > 3 or (module.key, class_name) in seen:
            return None
        seen.add((module.key, class_name))
        for base in cls.bases:
            for key, name in self.locations(base):
                if (key, f"{name}.{method}") in wrappers:
                    return f"{name}.{method}", wrappers[(key, f"{name}.{method}")]
                base_module = self.python.module(key)
                if base_module is not None:
                    found = self._inherited(base_module, name, method, wrappers, depth + 1, seen)
                    if found is not None:
                        return found
        return None

    def _through_wrapper(self, key: str, helper: HelperCall, name: str, wrapper: ActivityCall) -> LinkedCall:
        target = wrapper.target
        if wrapper.target_param >= 0:
            param = wrapper.params[wrapper.target_param] if wrapper.target_param < len(wrapper.params) else ""
            if wrapper.target_param < len(helper.args):
                target = helper.args[wrapper.target_param]
            else:
                target = next((t for k, t in helper.keyword_targets if k == param), None)
        options, unresolved = self.options((*wrapper.options, *helper.options))
        return LinkedCall(
            helper.location, key, helper.function, wrapper.api, wrapper.local, self.target(target),
            target.text if target is not None else "?", options, unresolved,
            via=wrapper.location, via_name=name.rsplit(".", 1)[-1],
        )

    # -- heartbeats ----------------------------------------------------------------------------------

    def heartbeats(self, resolved: Resolved) -> str:
        """"yes" (the activity calls activity.heartbeat, maybe through project helpers), "no", or
        "unknown" (it calls project code tprlint cannot see into, or methods that might heartbeat)."""
        cache_key = (resolved.module, resolved.definition.qualname)
        if cache_key not in self._heartbeats:
            self._heartbeats[cache_key] = self._search_heartbeat(resolved)
        return self._heartbeats[cache_key]

    def _search_heartbeat(self, resolved: Resolved) -> str:
        stack: list[tuple[str, str, bool]] = [(resolved.module, resolved.definition.summary_key, True)]
        unknown = False
        for decorator in resolved.definition.decorators:  # `@auto_heartbeater` wraps the activity
            unknown = self._follow(decorator, True, stack) or unknown
        seen: set[tuple[str, str, bool]] = set()
        while stack:
            item = stack.pop()
            if item in seen:
                continue
            seen.add(item)
            if len(seen) > 2000:
                return "unknown"
            key, qualname, certain = item
            module = self.python.module(key)
            summary = module.activity.summaries.get(qualname) if module is not None else None
            if summary is None:
                continue
            if summary.heartbeats:
                if certain:
                    return "yes"
                unknown = True
                continue
            for callee in summary.callees:
                unknown = self._follow(callee, certain, stack) or unknown
            for method in summary.methods:
                stack.extend((k, q, False) for k, q in self.methods_named(method))
        return "unknown" if unknown else "no"

    def _follow(self, qualname: str, certain: bool, stack: list[tuple[str, str, bool]], depth: int = 0) -> bool:
        """Queue the function a callee names; True when it is project code tprlint cannot see."""
        if qualname == "?":
            return True
        for key, name in self.locations(qualname):
            module = self.python.module(key)
            if module is None:
                return True
            head = name.split(".", 1)[0]
            if name in module.activity.summaries or name in module.functions:
                stack.append((key, name, certain))
            elif name == head and head in module.classes:
                stack.append((key, f"{name}.__init__", certain))
            elif head in module.classes:
                # `Tools.beat()` with no summary of its own: a method that calls nothing of the project,
                # or one inherited (only a class with bases can inherit it). `State.client.fetch()`: a
                # method of whatever the attribute holds. Which method runs is not followed, so any
                # method of that name may be the one.
                stack.append((key, name, certain))
                if module.classes[head].bases or name.count(".") > 1:
                    stack.extend((k, q, False) for k, q in self.methods_named(name.rsplit(".", 1)[1]))
            elif isinstance(module.constants.get(head), Ref) and depth < 5:
                reexport = module.constants[head]
                assert isinstance(reexport, Ref)
                return self._follow(qualname_of(reexport) + name[len(head):], certain, stack, depth + 1)
            elif "." in name:  # `client.fetch()` on a module-level object of that module
                stack.extend((k, q, False) for k, q in self.methods_named(name.rsplit(".", 1)[1]))
            else:
                return True
            return False
        return self.is_ours(qualname)

    # -- workers -------------------------------------------------------------------------------------

    def registered(self, worker: ResolvedWorker) -> list[Resolved]:
        """The activity definitions a Worker registers that tprlint can identify: from the call that
        passes `activities=` (the construction site, else the factory's own Worker call)."""
        for key, location in ((worker.module, worker.location), ("", worker.via_location)):
            if location is None:
                continue
            module = self.python.module(key) or self.python.module_for_path(location.path)
            for registration in module.activity.registrations if module is not None else ():
                where = registration.location
                if (where.path, where.line, where.column) == (location.path, location.line, location.column):
                    return self._expand(registration.items, 0)
        return self._from_value(self.python.fold(worker.option("activities")), 0)

    def _expand(self, items: tuple[Registered, ...], depth: int) -> list[Resolved]:
        found: list[Resolved] = []
        for item in items:
            if item.kind == "unknown" or depth > 5:
                continue
            definition = self.definition(item.qualname)
            if definition is not None:
                if item.kind != "instance" or definition.definition.is_class:
                    found.append(definition)
                continue
            if item.kind == "ref":
                found.extend(self._expand(self._activity_list(item.qualname), depth + 1))
        return found

    def _activity_list(self, qualname: str) -> tuple[Registered, ...]:
        for key, name in self.locations(qualname):
            module = self.python.module(key)
            if module is not None:
                return module.activity.activity_lists.get(name, ())
            return ()
        return ()

    def _from_value(self, value: Expr, depth: int) -> list[Resolved]:
        if isinstance(value, Seq) and depth < 3:
            return [d for item in value.items for d in self._from_value(self.python.fold(item), depth + 1)]
        if isinstance(value, (Ref, Sym, Obj)):
            definition = self.definition(qualname_of(value))
            if definition is not None and (not isinstance(value, Obj) or definition.definition.is_class):
                return [definition]
        return []


_INDEXES: weakref.WeakKeyDictionary[PythonProject, ActivityIndex] = weakref.WeakKeyDictionary()


def index_of(project: Project) -> ActivityIndex:
    index = _INDEXES.get(project.python)
    if index is None:
        index = _INDEXES[project.python] = ActivityIndex(project.python)
    return index


# -- value helpers -------------------------------------------------------------------------------------


def absent(value: Expr) -> bool:
    """Not given, or given as something the SDK treats as not given (``None``, ``timedelta(0)``)."""
    if isinstance(value, Missing):
        return True
    if isinstance(value, Lit):
        return value.value is None or value.value is False or value.value == 0 or value.value == ""
    return isinstance(value, Dur) and value.seconds == 0 and not value.note


def seconds_or_none(value: Expr) -> float | None:
    return value.seconds if isinstance(value, Dur) else None


def _short(qualname: str) -> str:
    return qualname.removeprefix("mod:").rsplit("/", 1)[-1]


def production_calls(project: Project) -> Iterator[tuple[LinkedCall, Callable[[str], Expr]]]:
    """Calls outside test code, with a folding accessor for their options."""
    for call in index_of(project).calls:
        if is_test_path(call.location.path):
            continue

        def option(name: str, call: LinkedCall = call) -> Expr:
            return project.python.fold(call.options.get(name, Missing()))

        yield call, option


def call_anchor(call: LinkedCall) -> str:
    return f"{call.module}:{call.function}:{call.target_text}"


# -- TPR102 / TPR107 -------------------------------------------------------------------------------------


def _production_workers(project: Project) -> Iterator[ResolvedWorker]:
    for worker in project.python.workers:
        if not is_test_path(worker.location.path):
            yield worker


def _attempt_limit(option: Callable[[str], Expr]) -> tuple[float, str] | None:
    """How long one attempt may run: start_to_close_timeout, capped by schedule_to_close_timeout."""
    stc, sctc = option(STC), option(SCTC)
    if not absent(stc):
        seconds = seconds_or_none(stc)
        if seconds is None:
            return None
        cap = seconds_or_none(sctc)
        return (cap, SCTC) if cap is not None and 0 < cap < seconds else (seconds, STC)
    seconds = seconds_or_none(sctc)
    return (seconds, SCTC) if seconds is not None and seconds > 0 else None


def _same_queue(queue: Expr, worker_queue: Expr) -> bool:
    if absent(queue):
        return True  # the workflow's own task queue
    return isinstance(queue, Lit) and isinstance(worker_queue, Lit) and queue.value == worker_queue.value


@frozen
class _Attempt:
    """A production call of an activity with a known attempt limit: what TPR102 compares Workers with."""

    order: int  # the call's place among the calls, so that the first of equal limits is the one named
    seconds: float
    which: str  # the option that sets the limit
    queue: Expr  # the call's task_queue, folded
    call: LinkedCall


def _attempts_by_activity(project: Project) -> dict[tuple[str, str], list[_Attempt]]:
    """Each call's limit and queue folded once, by (module, qualname) of the activity called: every Worker
    of a large project is compared with them, and folding is the cost."""
    found: dict[tuple[str, str], list[_Attempt]] = {}
    for order, (call, option) in enumerate(production_calls(project)):
        if call.local or call.unresolved or call.target is None:
            continue
        limit = _attempt_limit(option)
        if limit is not None:
            key = (call.target.module, call.target.definition.qualname)
            found.setdefault(key, []).append(_Attempt(order, limit[0], limit[1], option("task_queue"), call))
    return found


def worker_shutdown_shorter_than_activity(project: Project) -> Iterator[Hit]:
    """TPR102: graceful_shutdown_timeout shorter than an attempt of an activity the worker runs."""
    index = index_of(project)
    attempts: dict[tuple[str, str], list[_Attempt]] | None = None  # built for the first Worker that needs it
    for worker in _production_workers(project):
        graceful = seconds_or_none(worker.graceful)
        if graceful is None and not isinstance(worker.graceful, Missing) and index.registered(worker):
            # its activities' attempts cannot be compared with a drain that is not known: say so
            project.undecided("TPR102", f"the Worker at {worker.location.path}:{worker.location.line}",
                              undecided_drain([worker]), worker.location)
            continue
        if graceful is None or graceful <= 0:
            continue  # TPR101's case
        if attempts is None:
            attempts = _attempts_by_activity(project)
        registered = {(r.module, r.definition.qualname) for r in index.registered(worker)}
        queue = project.python.fold(worker.option("task_queue"))
        runs = sorted((a for key in registered for a in attempts.get(key, ())), key=lambda a: a.order)
        worst: tuple[float, str, LinkedCall] | None = None
        for attempt in runs:
            if not _same_queue(attempt.queue, queue):
                continue
            if attempt.seconds > graceful and (worst is None or attempt.seconds > worst[0]):
                worst = (attempt.seconds, attempt.which, attempt.call)
        if worst is None:
            continue
        seconds, which, call = worst
        assert call.target is not None
        note = f" ({worker.graceful.note})" if isinstance(worker.graceful, Dur) and worker.graceful.note else ""
        yield Hit(
            worker.location,
            f"This Worker's graceful_shutdown_timeout is {describe_seconds(graceful)}{note}, but activity "
            f"`{call.target.label}` registered on it may run for {describe_seconds(seconds)} per attempt ({which} "
            f"at {call.location.path}:{call.location.line}): on every deploy, scale-in or node drain, an attempt "
            f"still running after {describe_seconds(graceful)} is cancelled and retried from the start. Raise "
            f"graceful_shutdown_timeout above {describe_seconds(seconds)} (and the pod's "
            f"terminationGracePeriodSeconds above that), or shorten the activity's {which}.",
            related=(RelatedLocation(call.location, f"activity {call.target.label} is called with {which} "
                                                    f"{describe_seconds(seconds)}"),),
            anchor=f"{worker.module}:{worker.function}:{call.target.label}",
        )


def worker_sync_activity_without_executor(project: Project) -> Iterator[Hit]:
    """TPR107: a plain-``def`` activity registered on a Worker without an activity_executor."""
    index = index_of(project)
    for worker in _production_workers(project):
        if worker.unresolved_splat or not absent(project.python.fold(worker.option("activity_executor"))):
            continue
        sync = []
        for resolved in index.registered(worker):
            if not resolved.definition.is_async and not resolved.definition.wrapped and resolved not in sync:
                sync.append(resolved)
        if not sync:
            continue
        first = sync[0].name or sync[0].definition.function_name
        names = ", ".join(f"`{r.label}`" for r in sync)
        yield Hit(
            worker.location,
            f"This Worker registers the non-async activit{'ies' if len(sync) > 1 else 'y'} {names} but passes no "
            f"activity_executor, so Worker() raises at start-up (ValueError: Activity "
            f"{first} is not async so an activity_executor must be present) and the "
            f"process crash-loops. Pass activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=...) "
            f"(at least max_concurrent_activities), or make the activit{'ies' if len(sync) > 1 else 'y'} "
            f"`async def`.",
            related=tuple(RelatedLocation(r.definition.location, f"non-async activity {r.label}") for r in sync),
            anchor=f"{worker.module}:{worker.function}:sync-activities",
        )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR102": worker_shutdown_shorter_than_activity,
    "TPR107": worker_sync_activity_without_executor,
}
