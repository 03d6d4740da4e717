"""Rules on workflow versioning and replay testing (TPR230-TPR233, TPR250, TPR251)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.process import Use, VersionLiteral
from tprlint.facts.python.values import Expr, Lit, Missing, Obj, Seq, Sym, is_true
from tprlint.facts.python.workflows import WorkflowClass
from tprlint.link.python_project import PythonProject, ResolvedWorker
from tprlint.model import Location, RelatedLocation
from tprlint.rules.context import Hit, Project, is_test_path

_DEPLOYMENT_CONFIG = frozenset({
    "temporalio.worker.WorkerDeploymentConfig", "temporalio.worker._worker.WorkerDeploymentConfig",
})
_UNSPECIFIED = ".VersioningBehavior.UNSPECIFIED"
_MIGRATE = (
    "Move to Worker Deployment versioning: `Worker(..., deployment_config=WorkerDeploymentConfig("
    "version=WorkerDeploymentVersion(deployment_name=\"...\", build_id=os.environ[\"BUILD_ID\"]), "
    "use_worker_versioning=True))`."
)


def _production_workflows(python: PythonProject) -> list[tuple[PythonFacts, WorkflowClass]]:
    found = [(m, w) for m in python.modules.values() if not is_test_path(m.path) for w in m.workflow_classes]
    return sorted(found, key=lambda item: (item[1].location.path, item[1].location.line))


def _production_workers(python: PythonProject) -> list[ResolvedWorker]:
    return [w for w in python.workers if not is_test_path(w.location.path)]


def _names(workflows: list[tuple[PythonFacts, WorkflowClass]]) -> str:
    # Samples define one class name in many folders: each name once ("`AgentWorkflow`, `AgentWorkflow`"
    # read as a mistake), and the count is of the names.
    distinct = list(dict.fromkeys(w.name for _, w in workflows))
    more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
    return ", ".join(f"`{name}`" for name in distinct[:3]) + more


# -- TPR230 ------------------------------------------------------------------------------------


def no_versioning_strategy(project: Project) -> Iterator[Hit]:
    """TPR230: workflows, but neither patching nor Worker Deployment versioning anywhere."""
    python = project.python
    workflows = _production_workflows(python)
    if not workflows:
        return
    production = [m for m in python.modules.values() if not is_test_path(m.path)]
    if any(m.process.uses_patching or m.process.deployment_configs for m in production):
        return
    for worker in _production_workers(python):
        if any(_given(python.fold(worker.option(name))) for name in ("deployment_config", "use_worker_versioning")):
            return  # legacy versioning is a strategy too: TPR231 says it no longer works
    first = workflows[0][1]
    yield Hit(
        first.location,
        f"This project defines workflows ({_names(workflows)}) but has no versioning strategy: no "
        "`workflow.patched()`/`workflow.deprecate_patch()` and no Worker Deployment versioning "
        "(`deployment_config=`). The first deploy that changes a workflow's code while executions are open "
        "makes them fail replay with non-determinism errors. Guard changes with `if workflow.patched(\"id\"):`, "
        "or run versioned workers (`deployment_config=WorkerDeploymentConfig(..., use_worker_versioning=True)`) "
        "with PINNED or AUTO_UPGRADE workflows.",
        anchor="project:versioning",
    )


def _given(value: Expr) -> bool:
    if isinstance(value, Missing):
        return False
    return not (isinstance(value, Lit) and value.value in (None, False))


# -- TPR231 ------------------------------------------------------------------------------------


def legacy_build_id_versioning(project: Project) -> Iterator[Hit]:
    """TPR231: Build-ID-based versioning (version sets, assignment rules): servers now reject it."""
    python = project.python
    for worker in _production_workers(python):
        build_id = python.fold(worker.option("build_id"))
        legacy = python.fold(worker.option("use_worker_versioning"))
        if _given(legacy):
            yield Hit(
                worker.location,
                "`use_worker_versioning=` on Worker is legacy Build-ID-based versioning: deprecated in the SDK "
                "and rejected by current servers (Server 1.32: PERMISSION_DENIED, \"Worker versioning v0.1 "
                "... is disabled\"), so a worker using it gets no tasks. " + _MIGRATE,
                anchor=f"{worker.module}:{worker.function}:use_worker_versioning",
            )
        elif _given(build_id):
            yield Hit(
                worker.location,
                "`build_id=` on Worker is deprecated (\"Use `deployment_config` instead\"): on its own it only "
                "labels the worker, and together with `use_worker_versioning=True` it is legacy Build-ID "
                "versioning, which current servers reject. " + _MIGRATE,
                anchor=f"{worker.module}:{worker.function}:build_id",
            )
    for key, module in sorted(python.modules.items()):
        if is_test_path(module.path):
            continue
        by_line: dict[int, list[Use]] = {}
        for use in module.process.legacy_versioning:
            by_line.setdefault(use.location.line, []).append(use)
        for uses in by_line.values():
            what = " and ".join(dict.fromkeys(use.what for use in uses))
            verb = "belong" if len(uses) > 1 else "belongs"
            yield Hit(
                uses[0].location,
                f"{what} {verb} to legacy Build-ID-based worker versioning (version sets and assignment rules): "
                "deprecated in the SDK and rejected by current servers (Server 1.32: PERMISSION_DENIED, "
                "\"Worker versioning v0.1 ... is disabled\"). " + _MIGRATE
                + " Routing between versions is then set with `temporal worker deployment set-current-version`.",
                anchor=f"{key}:legacy-versioning",
            )


# -- TPR232 ------------------------------------------------------------------------------------


def versioned_workflow_missing_behavior(project: Project) -> Iterator[Hit]:
    """TPR232: a versioned Worker with no default behaviour registers a workflow that declares none."""
    python = project.python
    offenders: dict[tuple[str, int], tuple[WorkflowClass, list[Location]]] = {}
    for worker in _production_workers(python):
        if not _versioned_without_default(python, worker):
            continue
        workflows = python.fold(worker.option("workflows"))
        if not isinstance(workflows, Seq):
            continue
        for item in workflows.items:
            found = python.workflow_class(item)
            if found is None or _declares_behavior(python, *found):
                continue
            workflow = found[1]
            entry = offenders.setdefault((workflow.location.path, workflow.location.line), (workflow, []))
            entry[1].append(worker.location)
    for _, (workflow, workers) in sorted(offenders.items()):
        name = _type_name(python, workflow)
        yield Hit(
            workflow.decorator,
            f"`{workflow.name}` is registered on a Worker whose `WorkerDeploymentConfig(use_worker_versioning=True)` "
            "sets no `default_versioning_behavior`, and it declares no `versioning_behavior` itself: the Worker "
            f"refuses to start (ValueError: \"Workflow {name} must specify a versioning behavior\"). Add "
            "`versioning_behavior=VersioningBehavior.PINNED` (or `AUTO_UPGRADE`) to `@workflow.defn`, or set "
            "`default_versioning_behavior=` on the WorkerDeploymentConfig.",
            related=tuple(RelatedLocation(w, "the versioned Worker that registers it") for w in dict.fromkeys(workers)),
            anchor=f"{workflow.location.path}:{workflow.name}:versioning_behavior",
        )


def _versioned_without_default(python: PythonProject, worker: ResolvedWorker) -> bool:
    config = python.fold(worker.option("deployment_config"))
    if not (isinstance(config, Obj) and config.callee in _DEPLOYMENT_CONFIG):
        return False
    use = _field(config, 1, "use_worker_versioning")
    default = python.fold(_field(config, 2, "default_versioning_behavior"))
    unspecified = isinstance(default, Missing) or (isinstance(default, Sym) and default.qualname.endswith(_UNSPECIFIED))
    return is_true(python.fold(use)) and unspecified


def _field(config: Obj, position: int, name: str) -> Expr:
    value = config.keyword(name)
    if isinstance(value, Missing) and position < len(config.args):
        return config.args[position]
    return value


def _declares_behavior(python: PythonProject, module: PythonFacts, workflow: WorkflowClass) -> bool:
    """True unless the class certainly declares no versioning behaviour."""
    behavior = python.fold(workflow.option("versioning_behavior"))
    if not (isinstance(behavior, Missing) or (isinstance(behavior, Sym) and behavior.qualname.endswith(_UNSPECIFIED))):
        return True  # declared, or not something tprlint can read
    dynamic = python.fold(workflow.option("dynamic"))
    if not isinstance(dynamic, (Missing, Lit)):
        return True  # cannot tell whether it is a dynamic workflow
    if is_true(dynamic):
        # Only a dynamic workflow may decide its behaviour in a `@workflow.dynamic_config` method, which
        # it can also inherit from a base class.
        cls = module.classes.get(workflow.name)
        return workflow.name in module.process.dynamic_config_classes or bool(cls and cls.bases)
    return False


def _type_name(python: PythonProject, workflow: WorkflowClass) -> str:
    name = python.fold(workflow.option("name"))
    return name.value if isinstance(name, Lit) and isinstance(name.value, str) else workflow.name


# -- TPR233 ------------------------------------------------------------------------------------


def hardcoded_build_id(project: Project) -> Iterator[Hit]:
    """TPR233: a build id (deployment version) written into the code instead of coming from the build."""
    python = project.python
    for key, module in sorted(python.modules.items()):
        if is_test_path(module.path):
            continue
        for version in module.process.deployment_versions:
            value = _literal(python, version)
            if value is not None:
                yield _build_id_hit(version.location, f"`{version.what}`", value, key)
    for worker in _production_workers(python):
        value = _literal(python, VersionLiteral(worker.location, "build_id", worker.option("build_id")))
        if value is not None:
            yield _build_id_hit(worker.location, "`Worker(build_id=...)`", value, worker.module)


def _literal(python: PythonProject, version: VersionLiteral) -> str | None:
    """The build id when it is a string in the code; values read from the environment (even with a
    literal fallback: the deployment sets the variable) are what the rule asks for."""
    value = python.fold(version.value)
    if isinstance(value, Lit) and isinstance(value.value, str) and "env" not in value.note:
        return value.value
    return None


def _build_id_hit(location: Location, what: str, value: str, anchor: str) -> Hit:
    return Hit(
        location,
        f"{what} gets the literal {'version' if 'canonical' in what else 'build id'} `{value}`: every build of "
        "this worker then announces the same "
        "deployment version unless someone edits the code, so changed workflow code can run under a version "
        "that PINNED workflows trust to be the old code. Take it from the build, e.g. "
        "`build_id=os.environ[\"BUILD_ID\"]` set from the image tag or commit SHA (the Temporal Worker "
        "Controller sets `WORKER_BUILD_ID`).",
        anchor=f"{anchor}:build-id",
    )


# -- TPR250 / TPR251 ---------------------------------------------------------------------------


def no_replay_tests(project: Project) -> Iterator[Hit]:
    """TPR250: workflows, and no code (tests included) that replays histories with ``Replayer``."""
    python = project.python
    workflows = _production_workflows(python)
    if not workflows or any(m.process.uses_replayer for m in python.modules.values()):
        return
    yield Hit(
        workflows[0][1].location,
        f"This project defines workflows ({_names(workflows)}) but no test replays recorded histories with "
        "`Replayer`, so a change that breaks determinism for running executions is first noticed in "
        "production, as workflow tasks failing with NondeterminismError. Add a replay test: "
        "`await Replayer(workflows=[...]).replay_workflow(WorkflowHistory.from_json(workflow_id, history))` "
        "over histories exported with `temporal workflow show -o json` (or "
        "`client.list_workflows(...).map_histories()` in CI).",
        anchor="project:replay-tests",
    )


def history_from_json_args(project: Project) -> Iterator[Hit]:
    """TPR251: ``WorkflowHistory.from_json(history)`` - the workflow id comes first."""
    for key, module in sorted(project.python.modules.items()):
        for use in module.process.history_from_json:
            yield Hit(
                use.location,
                f"`{use.what}` raises TypeError: `WorkflowHistory.from_json` takes the workflow id first, "
                "`WorkflowHistory.from_json(workflow_id, history)` (the history is a JSON string or dict, "
                "e.g. from `temporal workflow show -o json`).",
                anchor=f"{key}:from_json",
            )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR230": no_versioning_strategy,
    "TPR231": legacy_build_id_versioning,
    "TPR232": versioned_workflow_missing_behavior,
    "TPR233": hardcoded_build_id,
    "TPR250": no_replay_tests,
    "TPR251": history_from_json_args,
}
