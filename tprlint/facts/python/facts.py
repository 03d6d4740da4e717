"""Facts extracted from one Python module. Small, picklable, and all a rule ever sees of the code."""

from __future__ import annotations

from dataclasses import field

from tprlint.facts.python.activities import ActivityFacts
from tprlint.facts.python.clients import ClientFacts
from tprlint.facts.python.determinism import DeterminismFacts
from tprlint.facts.python.process import ProcessFacts
from tprlint.facts.python.values import Expr
from tprlint.facts.python.workflows import WorkflowClass
from tprlint.model import Location
from tprlint.records import frozen, mutable

WORKER_CLASSES = frozenset({"temporalio.worker.Worker", "temporalio.worker._worker.Worker"})


@frozen
class ImportedModule:
    """A module this one imports. ``key`` is a module key: ``mod:a.b`` or ``path:src/a/b``."""

    key: str
    names: tuple[str, ...] = ()  # for ``from X import a, b``: a and b may be submodules too


@frozen
class WorkerConstruction:
    """A call that constructs a Temporal Worker - directly, or (``callee`` a Ref) maybe via a project
    factory or subclass, which the project phase decides."""

    location: Location
    function: str  # enclosing function's qualified name within the module, "" at module level
    callee: str  # "temporalio.worker.Worker", or a module key + ":" + name for project callees
    graceful: Expr  # graceful_shutdown_timeout as resolved here (Missing when not passed)
    unresolved_splat: str = ""  # e.g. "**options": keyword arguments tprlint could not see
    forwards_kwargs: bool = False  # the splat is the enclosing function's own **kwargs: a factory
    in_subclass_init: str = ""  # class name when this is ``super().__init__(...)`` of a subclass
    # Every keyword argument tprlint could see (explicit, or from a resolvable **dict), unfolded.
    options: tuple[tuple[str, Expr], ...] = ()


UNTRACED = "?"  # in ``PythonFacts.returned_calls``: a returned value that is no call tprlint can name


@frozen
class WorkerRun:
    """Evidence that a Worker is run here: ``await w.run()``, ``async with Worker(...)``."""

    location: Location
    how: str
    # The callee whose result is run (``w = build(client); await w.run()``) when its name does not say
    # it is a Worker: a run only if the project's ``build`` builds one (``PythonProject.runs``).
    builder: str = ""


@frozen
class SignalHandler:
    location: Location
    signals: tuple[str, ...]  # e.g. ("SIGTERM", "SIGINT"); "?" when not statically known
    mechanism: str  # "loop.add_signal_handler", "signal.signal", "uvicorn.run", ...

    @property
    def handles_sigterm(self) -> bool:
        return "SIGTERM" in self.signals or "?" in self.signals


@frozen
class ClassDef:
    name: str
    bases: tuple[str, ...]  # qualified names or module-key:name of project bases
    location: Location


@mutable
class PythonFacts:
    path: str
    key: str  # this module's own key ("path:src/orders/worker")
    imports: list[ImportedModule] = field(default_factory=list)
    constants: dict[str, Expr] = field(default_factory=dict)
    classes: dict[str, ClassDef] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)  # module-level function names
    workers: list[WorkerConstruction] = field(default_factory=list)
    runs: list[WorkerRun] = field(default_factory=list)
    # Module-level functions and methods ("Factory.create") -> the callees whose result they return
    # (``return make(...)``, ``w = Worker(...)`` then ``return w``), and UNTRACED when they return
    # something else too: what a call of the function gives, for ``PythonProject.runs``.
    returned_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    signal_handlers: list[SignalHandler] = field(default_factory=list)
    main_guard: Location | None = None
    is_main_module: bool = False  # a package's __main__.py
    mentions_temporal: bool = False
    workflow_classes: list[WorkflowClass] = field(default_factory=list)
    determinism: DeterminismFacts = field(default_factory=DeterminismFacts)
    activity: ActivityFacts = field(default_factory=ActivityFacts)
    client: ClientFacts = field(default_factory=ClientFacts)
    process: ProcessFacts = field(default_factory=ProcessFacts)

    @property
    def is_entrypoint(self) -> bool:
        return self.main_guard is not None or self.is_main_module
