"""Rules on the worker process: graceful shutdown and signal handling (TPR1xx)."""

from __future__ import annotations

from collections.abc import Iterator

from tprlint.facts.python.values import Dur, Missing, Seq
from tprlint.link.python_project import ResolvedWorker
from tprlint.model import RelatedLocation
from tprlint.rules.context import Hit, Project, is_test_path

_FIX_TIMEOUT = (
    "Pass graceful_shutdown_timeout=timedelta(...) longer than the longest activity this worker runs, "
    "and give the pod a terminationGracePeriodSeconds above it."
)


def worker_graceful_shutdown_missing(project: Project) -> Iterator[Hit]:
    """TPR101: a Worker that cancels its running activities the moment shutdown starts."""
    shared: set[str] | None = None  # modules in a process with a Client that may have plugins, once needed
    for worker in project.python.workers:
        if is_test_path(worker.location.path):
            continue  # tests may
        if _workflows_only(worker):
            if shared is None:
                shared = _sharing_a_process_with_plugins(project)
            if worker.module not in shared:
                continue  # the timeout is the time activities are given to finish: it has none to give it to
        if worker.unresolved_splat and isinstance(worker.graceful, Missing):
            # an unseen **kwargs may well carry the timeout: never guess, but say so
            where = f"{worker.location.path}:{worker.location.line}"
            project.undecided("TPR101", f"the Worker at {where}", f"its keyword arguments come from "
                              f"{worker.unresolved_splat}, which could not be resolved", worker.location)
            continue
        if isinstance(worker.graceful, Missing):
            problem = "sets no graceful_shutdown_timeout; the SDK default is 0 s"
        elif isinstance(worker.graceful, Dur) and worker.graceful.seconds <= 0:
            problem = "sets graceful_shutdown_timeout to 0 s"
        else:
            continue
        yield Hit(
            worker.location,
            f"{_worker_name(worker)} {problem}, so on shutdown (every deploy, scale-in or node drain) it "
            f"cancels all running activities at once and they fail with WorkerShutdown and are retried. "
            f"{_FIX_TIMEOUT}",
            related=_via(worker),
            anchor=f"{worker.module}:{worker.function}",
        )


def _workflows_only(worker: ResolvedWorker) -> bool:
    """Is the Worker given a list of workflows and none of activities, Nexus service handlers and
    plugins (which may bring either), all its keyword arguments seen? The SDK gives
    `graceful_shutdown_timeout` to activities alone ("time after shutdown is called that activities
    are given to complete"). An empty list is not trusted: `activities = []` may be appended to."""
    workflows = worker.option("workflows")
    return not worker.unresolved_splat and isinstance(workflows, Seq) and bool(workflows.items) and all(
        isinstance(worker.option(name), Missing) for name in ("activities", "nexus_service_handlers", "plugins"))


def _sharing_a_process_with_plugins(project: Project) -> set[str]:
    """The modules one process may load with a Client that may have plugins (a Client's plugins are
    its Workers' too: the OpenAI Agents plugin brings its model activity): what the modules importing
    such a Client's module, directly or not, import. A Client may have plugins when `Client.connect`
    or the constructor is given them, or keyword arguments tprlint cannot see (but envconfig's)."""
    python = project.python
    with_plugins = {key for key, module in python.modules.items() if module.client.built_with_plugins or any(
        not isinstance(c.plugins, Missing) or (c.unresolved_splat and not c.envconfig) for c in module.client.connects)}
    if not with_plugins:
        return set()
    # The modules that import such a Client's module, directly or not (through modules never parsed
    # too, by their import statements): each may be where a process starts (`main.py` making the
    # Client and calling the Worker's factory).
    importers: dict[str, set[str]] = {}
    for key in python.reachable(python.modules):
        for imported in python.imported_project_modules(key):
            importers.setdefault(imported, set()).add(key)
    roots, stack = set(with_plugins), list(with_plugins)
    while stack:
        for importer in importers.get(stack.pop(), ()):
            if importer not in roots:
                roots.add(importer)
                stack.append(importer)
    return python.reachable(roots)


def worker_no_sigterm_handler(project: Project) -> Iterator[Hit]:
    """TPR103: an entrypoint that runs a Worker but never turns SIGTERM into a worker shutdown."""
    linked = {link.module: link for link in project.links}
    entrypoints = project.python.entrypoints
    for key, module in sorted(project.python.modules.items()):
        if not (key in entrypoints or key in linked) or is_test_path(module.path):
            continue
        closure = project.python.closure(key)
        workers = [w for w in project.python.workers_in(closure) if not is_test_path(w.location.path)]
        parsed = [project.python.modules[m] for m in closure if m in project.python.modules]
        # Another entrypoint's run sits behind its own `if __name__ == "__main__"`: importing that
        # module (a client script importing a workflow class) does not run its Worker.
        runs = [run for m in parsed if m is module or not m.is_entrypoint for run in project.python.runs(m)]
        if not workers or not runs:
            continue  # a library module, or a process that does not run a worker
        handlers = [h for m in parsed for h in m.signal_handlers if h.handles_sigterm]
        if handlers:
            continue
        own_runs = project.python.runs(module)
        location = own_runs[0].location if own_runs else (module.main_guard or workers[0].location)
        pid1 = ""
        link = linked.get(key)
        if link is not None and link.launch is not None and link.launch.python_is_pid1:
            pid1 = (
                f" Worse, {link.workload.kind} {link.workload.name} starts Python as PID 1 "
                f"({link.evidence_text}), and PID 1 ignores an unhandled SIGTERM: the pod keeps polling "
                "for new tasks until it is SIGKILLed."
            )
        related = [RelatedLocation(workers[0].location, "the Worker this process runs")]
        if link is not None:
            related.append(RelatedLocation(link.evidence, f"started by {link.workload.kind} {link.workload.name}"))
        entry = entrypoints.get(key)
        what = f"This entrypoint ({entry.reason})" if entry else "This entrypoint"
        yield Hit(
            location,
            f"{what} runs a Temporal Worker but neither it nor any project module it imports "
            f"installs a SIGTERM handler, so `kubectl delete`, rollouts and scale-in never shut the worker "
            f"down gracefully.{pid1} Install one with `loop.add_signal_handler(signal.SIGTERM, stop.set)` "
            f"and call `await worker.shutdown()` (or leave `async with Worker(...)`) when it fires.",
            related=tuple(related),
            anchor=f"{key}:entrypoint",
        )


def _worker_name(worker: ResolvedWorker) -> str:
    if worker.via:
        return f"The Worker built through {worker.via}"
    return "This Worker"


def _via(worker: ResolvedWorker) -> tuple[RelatedLocation, ...]:
    if worker.via_location is None:
        return ()
    return (RelatedLocation(worker.via_location, "the wrapper that constructs the Worker"),)


RULES = {
    "TPR101": worker_graceful_shutdown_missing,
    "TPR103": worker_no_sigterm_handler,
}
