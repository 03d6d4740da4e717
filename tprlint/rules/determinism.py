"""Workflow determinism (TPR210-TPR213): what workflow code does that a replay cannot reproduce.

Workflow code is every entry method of a ``@workflow.defn`` class and every project function it calls,
transitively (``tprlint.link.call_graph``). Each offending call is reported once, where it is, with
the shortest chain from a workflow entry method and the replacement to use.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import TypeGuard

from tprlint.facts.python.determinism import TPR_CALL, TPR_LOG, TPR_SET, TPR_WAIT
from tprlint.facts.python.values import Missing, Obj, Seq
from tprlint.link.call_graph import CallGraph, Reached
from tprlint.link.python_project import PythonProject
from tprlint.model import Location, RelatedLocation
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project, is_test_path

# kind -> (what goes wrong, how to fix it)
_WHY: dict[str, tuple[str, str]] = {
    "clock": ("reads the wall clock: a replay gets another time and can take another branch",
              "Use `workflow.now()` (the workflow's deterministic time, a UTC-aware datetime)."),
    "time": ("reads a system clock: a replay gets another value",
             "Use `workflow.time()` / `workflow.time_ns()`, or differences of `workflow.now()`."),
    "sleep": ("blocks the workflow thread instead of starting a durable timer; past 2 s the workflow task "
              "fails as a potential deadlock (TMPRL1101)",
              "Use `await workflow.sleep(...)` or `await asyncio.sleep(...)` (durable timers), or "
              "`await workflow.wait_condition(...)`."),
    "random": ("draws from a random source a replay cannot reproduce",
               "Use `workflow.random()` (a deterministic `random.Random`) or `workflow.new_random(...)`."),
    "uuid": ("generates an id a replay cannot reproduce",
             "Use `workflow.uuid4()` (or `workflow.uuid7()`)."),
    "thread": ("runs work on threads or executors, whose timing a replay cannot reproduce",
               "Use asyncio tasks of workflow coroutines (`asyncio.gather`, `asyncio.create_task`) or move the "
               "work into an activity."),
    "io": ("does file or console I/O: it runs again on every replay and can return something else on "
           "another worker",
           "Move it into an activity and call that with `workflow.execute_activity(...)`."),
    "os": ("touches the host (files, processes, users): the result differs between workers and it runs again "
           "on every replay",
           "Move it into an activity and call that with `workflow.execute_activity(...)`."),
    "env": ("reads the process environment, which can differ on the worker that replays the history",
            "Read it in the code that starts the workflow (or in an activity) and pass the value as workflow "
            "input."),
    "network": ("does network I/O: it runs again on every replay, blocks the workflow thread, and its result "
                "can differ",
                "Move it into an activity and call that with `workflow.execute_activity(...)`."),
    "db": ("talks to a database: it runs again on every replay, blocks the workflow thread, and its result "
           "can differ",
           "Move it into an activity and call that with `workflow.execute_activity(...)`."),
    "process": ("starts a process: it runs again on every replay and its result can differ",
                "Move it into an activity and call that with `workflow.execute_activity(...)`."),
    "client": ("connects a Temporal client from workflow code, which must not do I/O",
               "Use activities, child workflows (`workflow.execute_child_workflow`) or "
               "`workflow.get_external_workflow_handle(...)` instead."),
    "activity": ("is an activity API: outside an activity it raises (`activity.info()`, `activity.heartbeat()`)",
                 "Use the workflow equivalent (`workflow.info()`, `workflow.logger`) or move the code into an "
                 "activity."),
    "declared": ("is declared non-deterministic in the tprlint configuration (`non-deterministic`)",
                 "Move the call into an activity, or list it under `deterministic` if it is."),
}
# What the sandbox's default restrictions reject at run time (temporalio 1.35
# `SandboxRestrictions.invalid_module_members_default`): whole modules, and single members.
_SANDBOX_MODULES = (
    "random.", "os.", "subprocess.", "socket.", "threading.", "concurrent.futures.", "multiprocessing.", "shutil.",
    "tempfile.", "glob.", "http.client.", "urllib.request.", "select.", "smtplib.", "ftplib.", "imaplib.",
    "poplib.", "webbrowser.", "platform.", "getpass.",
)
_SANDBOX_MEMBERS = frozenset({
    "open", "input", "datetime.datetime.now", "datetime.datetime.today", "datetime.datetime.utcnow",
    "datetime.date.today", "uuid.uuid1", "uuid.uuid4", "uuid.uuid7",
    *(f"time.{name}" for name in (
        "localtime", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "process_time",
        "process_time_ns", "sleep", "time", "time_ns", "thread_time", "thread_time_ns", "get_clock_info",
    )),
    *(f"secrets.{name}" for name in (
        "choice", "randbelow", "randbits", "SystemRandom", "token_bytes", "token_hex", "token_urlsafe",
    )),
    *(f"pathlib.Path.{name}" for name in (
        "chmod", "cwd", "exists", "expanduser", "glob", "group", "hardlink_to", "home", "is_dir", "is_file",
        "is_symlink", "iterdir", "lstat", "mkdir", "open", "owner", "read_bytes", "read_text", "rename",
        "replace", "resolve", "rglob", "rmdir", "samefile", "stat", "symlink_to", "touch", "unlink",
        "write_bytes", "write_text",
    )),
})
# Allowed (`os.stat`, `random.Random`), rejected only on some Python versions (`os.path` before 3.14),
# or not verified (`os.environ` is read as an attribute, not called).
_SANDBOX_ALLOWS = ("os.path.", "os.stat", "os.environ", "random.Random")
_SHORT = (("datetime.datetime.", "datetime."), ("datetime.date.", "date."), ("temporalio.client.", ""),
          ("temporalio.", ""), ("pathlib.", ""))


@frozen
class _Runner:
    """A production Worker that passes a ``workflow_runner`` of its own (or may, through ``**options``)."""

    location: Location
    unsandboxed: bool  # `UnsandboxedWorkflowRunner()`: nothing is restricted


@frozen
class _Found:
    reached: Reached
    entries: int  # how many workflow entry methods reach it
    runner: _Runner | None  # a Worker that sets its own `workflow_runner` and may run this workflow


def workflow_nondeterministic_call(project: Project) -> Iterator[Hit]:
    """TPR210: clocks, randomness, ids, threads, I/O and environment reads in workflow code."""
    yield from _hits(project, TPR_CALL)


def workflow_unordered_iteration(project: Project) -> Iterator[Hit]:
    """TPR211: iterating a set or frozenset in workflow code."""
    yield from _hits(project, TPR_SET)


def workflow_asyncio_wait(project: Project) -> Iterator[Hit]:
    """TPR212: `asyncio.wait` / `asyncio.as_completed` instead of their workflow versions."""
    yield from _hits(project, TPR_WAIT)


def workflow_print_logging(project: Project) -> Iterator[Hit]:
    """TPR213: `print()` and module loggers instead of `workflow.logger`."""
    yield from _hits(project, TPR_LOG)


# -- analysis (once per project, shared by the four rules) ----------------------------------------------

_CACHE: weakref.WeakKeyDictionary[PythonProject, tuple[object, dict[str, list[_Found]]]] = (
    weakref.WeakKeyDictionary()
)


def _hits(project: Project, rule: str) -> Iterator[Hit]:
    for found in _analysis(project).get(rule, []):
        yield _hit(found)


def _analysis(project: Project) -> dict[str, list[_Found]]:
    key = (project.config.deterministic, project.config.non_deterministic)
    cached = _CACHE.get(project.python)
    if cached is not None and cached[0] == key:
        return cached[1]
    graph = CallGraph.build(project.python, project.config.deterministic, project.config.non_deterministic)
    best: dict[tuple[str, str, int, int, str], Reached] = {}
    reached_from: dict[tuple[str, str, int, int, str], set[str]] = {}
    workflows_of: dict[tuple[str, str, int, int, str], set[tuple[str, str]]] = {}
    # Handlers first; then the workflow's other methods, only those no handler reaches (callbacks
    # handed on by reference): judged from a handler, a method keeps its context (not replaying,
    # sandbox_unrestricted) and its chain from the handler.
    visited: set[tuple[str, str]] = set()
    entries = sorted(graph.entries(), key=lambda e: e.role == "method")
    for entry in entries:
        if is_test_path(entry.path):
            continue  # workflows defined in tests are test fixtures, not production workflows
        if entry.role == "method" and (entry.node.module, entry.node.qualname) in visited:
            continue
        for reached in graph.reach(entry, visited if entry.role != "method" else None):
            reason = reached.reason
            if reached.quiet and (reason.rule == TPR_LOG or (reason.rule == TPR_CALL and not _rejected(reached))):
                # Side effects only when not replaying (log once, emit a metric once) are the known
                # replay-safe pattern; a call the sandbox rejects still fails the workflow task there.
                continue
            where = (reason.rule, reason.location.path, reason.location.line, reason.location.column, reason.api)
            reached_from.setdefault(where, set()).add(f"{entry.module}:{entry.name}")
            workflows_of.setdefault(where, set()).add((entry.module, entry.workflow))
            current = best.get(where)
            if current is None or _rank(reached) < _rank(current):
                best[where] = reached
    runners = _own_runners(project.python)
    result: dict[str, list[_Found]] = {}
    for where in sorted(best):
        candidates = [runners[w] for w in [*sorted(workflows_of[where]), None] if w in runners]
        runner = next((r for r in candidates if r.unsandboxed), candidates[0] if candidates else None)
        result.setdefault(where[0], []).append(_Found(best[where], len(reached_from[where]), runner))
    _CACHE[project.python] = (key, result)
    return result


def _own_runners(python: PythonProject) -> dict[tuple[str, str] | None, _Runner]:
    """Production Workers whose ``workflow_runner`` may lift restrictions of the default sandbox, by
    the (module, class) of each workflow they register; under None when which workflows they register
    cannot be read (a list filled at run time, ``**options``). A Worker that registers no workflows, or
    passes ``SandboxedWorkflowRunner()`` with the default restrictions, is none of them."""
    runners: dict[tuple[str, str] | None, _Runner] = {}
    for worker in python.workers:
        if is_test_path(worker.location.path):
            continue
        runner = python.fold(worker.option("workflow_runner"))
        default = _sdk_runner(runner, "SandboxedWorkflowRunner") and not (runner.args or runner.keywords)
        if not worker.unresolved_splat and (isinstance(runner, Missing) or default):
            continue  # no runner of its own, or the default restrictions
        unsandboxed = _sdk_runner(runner, "UnsandboxedWorkflowRunner")
        workflows = python.fold(worker.option("workflows"))
        if isinstance(workflows, Missing) and not worker.unresolved_splat:
            # An activity-only Worker. (`workflows=[]` is not told apart from a list filled in place,
            # which folds to the `[]` it starts as: that one may hold any workflow.)
            continue
        registered = [python.workflow_class(item) for item in workflows.items] if isinstance(workflows, Seq) else []
        keys: list[tuple[str, str] | None] = [(found[0].key, found[1].name) for found in registered
                                              if found is not None]
        # A list that resolves to fewer classes than it holds, or to none (`WORKFLOWS.append(...)` after
        # `WORKFLOWS = []` folds to an empty list): any workflow may be one of them.
        if not keys or len(keys) < len(registered):
            keys.append(None)
        for key in keys:
            if key not in runners or (unsandboxed and not runners[key].unsandboxed):
                runners[key] = _Runner(worker.location, unsandboxed)  # an unsandboxed one says most
    return runners


def _sdk_runner(runner: object, name: str) -> TypeGuard[Obj]:
    """Whether ``runner`` is the SDK's workflow runner class ``name``, built (not a project's own)."""
    return isinstance(runner, Obj) and runner.callee.startswith("temporalio.") \
        and runner.callee.rsplit(".", 1)[-1] == name


def _runner_caveat(runner: _Runner) -> str:
    """What "the sandbox rejects it" is worth when a Worker that may run the workflow has its own runner."""
    where = f"{runner.location.path}:{runner.location.line}"
    if runner.unsandboxed:
        return (f" (That is with the default sandbox: the Worker at {where} runs workflows with "
                "`UnsandboxedWorkflowRunner()`, so nothing catches it before a replay fails.)")
    return (f" (That is with the default restrictions: a Worker at {where} sets its own `workflow_runner`; if "
            "its restrictions allow this call, nothing catches it before a replay fails.)")


def _rank(reached: Reached) -> tuple[int, tuple[str, ...], str, str, bool]:
    """Shortest chain first; then a stable order, so the same project always gets the same message."""
    return (len(reached.chain), reached.chain, reached.entry.module, reached.entry.name, not reached.unrestricted)


# -- messages ----------------------------------------------------------------------------------------


def _hit(found: _Found) -> Hit:
    reached = found.reached
    reason = reached.reason
    tail = () if reason.rule == TPR_SET else (_short(reason.api),)
    chain = " → ".join((*_chain_names(reached), *tail))
    message = _MESSAGES[reason.rule](reached, chain)
    if found.runner is not None and reason.rule == TPR_CALL and _rejected(reached):
        message += _runner_caveat(found.runner)
    if found.entries > 1:
        message += f" (Reached from {found.entries} workflow entry points; reported once.)"
    related: tuple[RelatedLocation, ...] = ()
    if len(reached.chain) > 1:
        entry = reached.entry
        related = (RelatedLocation(entry.location, f"workflow entry point {entry.name} ({entry.role}) calls it"),)
    return Hit(reason.location, message, related=related,
               anchor=f"{reason.location.path}:{reached.chain[-1]}:{reason.rule}:{reason.api}")


def _chain_names(reached: Reached) -> list[str]:
    names = list(reached.chain)
    # The entry method is shown as the workflow's method even when a base class defines it.
    names[0] = reached.entry.name
    return names


def _call_message(reached: Reached, chain: str) -> str:
    reason = reached.reason
    why, fix = _WHY.get(reason.kind, _WHY["io"])
    what = f"`{_short(reason.api)}`" if reason.kind == "env" else f"`{_short(reason.api)}()`"
    if reason.detail == "without a seed":
        why = "without a seed is seeded from the operating system, so a replay gets other numbers"
        fix = "Use `workflow.random()`, or seed it from the workflow: `random.Random(workflow.random_seed())`."
    return f"{what} in workflow code ({chain}) {why}. {fix}{_sandbox_note(reached)}"


def _rejected(reached: Reached) -> bool:
    """Does the sandbox reject this call at run time (so the workflow task fails there)?"""
    api = reached.reason.api
    rejected = api in _SANDBOX_MEMBERS or (api.startswith(_SANDBOX_MODULES) and not api.startswith(_SANDBOX_ALLOWS))
    return rejected and reached.entry.sandboxed and not reached.unrestricted


def _sandbox_note(reached: Reached) -> str:
    if reached.unrestricted:
        return (" It runs inside `workflow.unsafe.sandbox_unrestricted()`, so the sandbox will not catch it at "
                "run time.")
    if not reached.entry.sandboxed:
        return " The workflow is defined with `sandboxed=False`, so nothing catches it at run time."
    if _rejected(reached):
        return (" The sandbox rejects it at run time (RestrictedWorkflowAccessError): the workflow task fails and "
                "the workflow is stuck until a fix is deployed.")
    return ""


def _set_message(reached: Reached, chain: str) -> str:
    expression = reached.reason.api
    return (
        f"Iterating the set `{expression}` in workflow code ({chain}): a set of strings (or enums, or tuples of "
        f"them) iterates in an order that depends on the process's hash seed, so a worker replaying this history "
        f"can loop in another order, issue commands in another order and fail with a non-determinism error. "
        f"Iterate `sorted({expression})`, or keep the items in a list or dict (insertion-ordered)."
    )


def _wait_message(reached: Reached, chain: str) -> str:
    name = reached.reason.api.rsplit(".", 1)[-1]
    return (
        f"`asyncio.{name}()` in workflow code ({chain}) handles its tasks in an unordered set, so a replay can see "
        f"them complete in another order (the SDK warns about it). Use `workflow.{name}(...)`: same arguments, "
        f"deterministic order."
    )


def _log_message(reached: Reached, chain: str) -> str:
    reason = reached.reason
    what = "`print()`" if reason.kind == "print" else f"`{_short(reason.api)}()`"
    how = "writes to stdout" if reason.kind == "print" else "logs through a module logger"
    return (
        f"{what} in workflow code ({chain}) {how}: it runs again every time the workflow is replayed (after a "
        f"worker restart or cache eviction), so messages repeat, and it carries no workflow or run id. Use "
        f"`workflow.logger` (it adds the workflow's context and skips messages while replaying)."
    )


_MESSAGES: dict[str, Callable[[Reached, str], str]] = {
    TPR_CALL: _call_message, TPR_SET: _set_message, TPR_WAIT: _wait_message, TPR_LOG: _log_message,
}


def _short(api: str) -> str:
    for prefix, short in _SHORT:
        if api.startswith(prefix):
            return short + api[len(prefix):]
    return api


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR210": workflow_nondeterministic_call,
    "TPR211": workflow_unordered_iteration,
    "TPR212": workflow_asyncio_wait,
    "TPR213": workflow_print_logging,
}
