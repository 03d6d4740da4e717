"""Rollouts that run one build per unversioned task queue, can be watched and can be undone (TPR419-TPR422).

A canary or blue-green set-up runs two builds of a worker at once. Without Worker Deployment versioning
both poll the same task queue, the server hands each workflow task to whichever poller asks first, and a
workflow started on one build replays on the other: if their workflow code differs it fails with a
non-determinism error. The same mix is what a live cluster shows (TPR805, TPR712); these rules read it
from the manifests before the deploy.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from tprlint.devsetup import name_tokens
from tprlint.facts.kubernetes import Container, Workload
from tprlint.facts.python.values import Lit, Missing, Obj, Seq
from tprlint.link.python_project import ResolvedWorker
from tprlint.model import Location, RelatedLocation
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project
from tprlint.rules.kubernetes_policies import split_image

# Workloads whose pods keep polling: a Job's worker exits when its work is done.
LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"})
_BUILD_ENV = re.compile(r"(^|_)BUILD_?ID$")
# Settings of versioned workers outside the code: the Temporal Worker Controller sets these.
_VERSIONING_ENV = frozenset({"TEMPORAL_DEPLOYMENT_NAME", "WORKER_BUILD_ID", "TEMPORAL_WORKER_BUILD_ID"})
_QUEUE_FLAGS = ("--task-queue", "--task_queue", "--queue")
# Folder names that say which environment a manifest is for: two of them are two clusters, not one.
_ENVIRONMENTS = frozenset({
    "dev", "development", "test", "testing", "qa", "uat", "stage", "staging", "preprod", "pre-prod", "prod",
    "production", "sandbox", "demo", "local", "perf", "load",
})
# Spellings of one environment, so `k8s/stage/` and `worker-staging.yaml` name the same one.
_SAME_ENVIRONMENT = {"stage": "staging", "prod": "production", "development": "dev", "testing": "test",
                     "pre-prod": "preprod"}
_SPLIT = re.compile(r"[-_.]")
# Kubernetes' own namespace in the environment (downward API copies), not the Temporal one.
_NOT_TEMPORAL_NAMESPACE = frozenset({"POD_NAMESPACE", "K8S_NAMESPACE", "KUBERNETES_NAMESPACE", "KUBE_NAMESPACE"})
_NEW = re.compile(r"(^|[-_.])(canary|green|preview|next|new|candidate)([-_.]|$)")
_MAX_GROUP = 50  # workloads named in one finding at most (a hostile tree could hold thousands)


@frozen
class _Build:
    """One workload's worker, as TPR419 compares them."""

    workload: Workload
    reason: str
    # Kubernetes namespace, kustomize overlay, environment (folder or word of the file or workload name),
    # Temporal namespace and address as the environment sets them ("" when it does not): a task queue
    # belongs to one namespace of one server, so two of those are two queues.
    world: tuple[str, str, str, str, str]
    # "queue:NAME" of the task queues it polls; "code:PATH:LINE" of a linked Worker whose queue is unreadable
    keys: frozenset[str]
    build: str  # image reference (tag or digest) and build id; "" when unknown (templated)
    image: str  # the image's name without tag or digest: two names are two programs, not two builds
    versioned: bool | None  # None: no code linked and nothing in the manifest says


def _worker_container(project: Project, workload: Workload) -> Container | None:
    linked = [link.container for link, _ in project.worker_links(workload)]
    if linked:
        return linked[0]
    return next((c for c in workload.containers if _env_queues(c)), workload.containers[0]
                if len(workload.containers) == 1 else None)


def _env_queues(container: Container) -> set[str]:
    """Task queues a container names in its environment (TASK_QUEUE=...) or its arguments (--task-queue X)."""
    queues = {env.value for env in container.env
              if env.name.upper().endswith("TASK_QUEUE") and env.value and not env.from_ref and _plain(env.value)}
    argv = [*(container.command or ()), *(container.args or ())]
    for index, word in enumerate(argv):
        for flag in _QUEUE_FLAGS:
            if word == flag and index + 1 < len(argv) and _plain(argv[index + 1]):
                queues.add(argv[index + 1])
            elif word.startswith(flag + "=") and _plain(word[len(flag) + 1:]):
                queues.add(word[len(flag) + 1:])
    return queues


def _plain(value: str) -> bool:
    return bool(value) and not any(mark in value for mark in ("$", "{{", "<"))


def _env(container: Container) -> dict[str, str]:
    return {e.name: e.value for e in container.env if e.value is not None and not e.from_ref}


def _workflow_workers(project: Project, workload: Workload) -> list[ResolvedWorker]:
    """The linked Workers that poll workflow tasks (an activity-only Worker replays nothing)."""
    workers = [w for _, runs in project.worker_links(workload) for w in runs]
    return [w for w in workers if not _no_workflows(project, w)]


def _no_workflows(project: Project, worker: ResolvedWorker) -> bool:
    value = project.python.fold(worker.option("workflows"))
    return isinstance(value, Missing) or (isinstance(value, Seq) and not value.items)


def worker_versioned(project: Project, worker: ResolvedWorker) -> bool:
    """Whether a Worker uses Worker Deployment versioning: a ``deployment_config`` that does not
    certainly switch versioning off (an unreadable one counts as versioned: stay silent)."""
    config = project.python.fold(worker.option("deployment_config"))
    if isinstance(config, Missing) or (isinstance(config, Lit) and config.value is None):
        return False
    if isinstance(config, Obj) and config.callee.endswith("WorkerDeploymentConfig"):
        use = config.keyword("use_worker_versioning")
        if isinstance(use, Missing) and len(config.args) > 1:
            use = config.args[1]
        folded = project.python.fold(use)
        return not (isinstance(folded, Lit) and folded.value in (False, None)) and not isinstance(folded, Missing)
    return True


def _build_of(project: Project, workload: Workload, reason: str) -> _Build | None:
    container = _worker_container(project, workload)
    if container is None:
        return None
    env = _env(container)
    keys: set[str] = {f"queue:{q}" for q in _env_queues(container)}
    workers = _workflow_workers(project, workload)
    linked = bool(project.worker_links(workload))
    if linked and not workers:
        return None  # activity-only Workers: no workflow task replays on them
    for worker in workers:
        queue = project.python.fold(worker.option("task_queue"), env)
        if isinstance(queue, Lit) and isinstance(queue.value, str):
            keys.add(f"queue:{queue.value}")
        else:  # a queue tprlint cannot read: the same Worker code is the next best sign of the same queue
            keys.add(f"code:{worker.location.path}:{worker.location.line}")
    if not keys:
        return None
    versioned: bool | None = any(worker_versioned(project, w) for w in workers) if workers else None
    if versioned is None and _VERSIONING_ENV.intersection(env):
        versioned = True
    image = split_image(container.image.strip().split("@")[0])[0]
    return _Build(workload, reason, _world(workload, _code_target(project, workers, env) or _temporal_target(env)),
                  frozenset(keys), _build_id(project, container, env), image,
                  versioned)


def _world(workload: Workload, target: tuple[str, str]) -> tuple[str, str, str, str, str]:
    parts = workload.location.path.lower().split("/")[:-1]
    words = [*parts, *name_tokens(workload.location.path), *_SPLIT.split(workload.name.lower())]
    environment = next((word for word in words if word in _ENVIRONMENTS), "")
    namespace, address = target
    return (workload.namespace or "", workload.overlay, _SAME_ENVIRONMENT.get(environment, environment),
            namespace, address)


def _code_target(project: Project, workers: list[ResolvedWorker], env: dict[str, str]) -> tuple[str, str] | None:
    """The namespace and address the linked Worker's module connects with, folded with the container's
    environment: what the worker really uses (the address from the manifest when the code's is unreadable).
    None unless exactly one ``Client.connect`` there names a namespace tprlint can read."""
    modules = {w.module for w in workers}
    connects = [c for m in sorted(modules) if (facts := project.python.module(m)) is not None
                for c in facts.client.connects]
    if len(connects) != 1:
        return None
    namespace = project.python.fold(connects[0].namespace, env)
    if not (isinstance(namespace, Lit) and isinstance(namespace.value, str) and namespace.value.strip()):
        return None
    target = project.python.fold(connects[0].target, env)
    address = (target.value.strip().lower() if isinstance(target, Lit) and isinstance(target.value, str)
               else _temporal_target(env)[1])
    return namespace.value.strip(), address


def _temporal_target(env: dict[str, str]) -> tuple[str, str]:
    """The Temporal namespace and server address a container's environment names ("" for either when it
    names none: then the code's default, the same for every build of the same code)."""
    namespace = env.get("TEMPORAL_NAMESPACE") or next(
        (value for key, value in sorted(env.items())
         if key.upper().endswith("_NAMESPACE") and key.upper() not in _NOT_TEMPORAL_NAMESPACE and value), "")
    address = env.get("TEMPORAL_ADDRESS") or next(
        (value for key, value in sorted(env.items())
         if "TEMPORAL" in key.upper() and key.upper().endswith(("_ADDRESS", "_HOST", "_HOST_URL", "_HOSTPORT"))
         and value), "")
    address = address.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    return namespace.strip(), address


def _build_id(project: Project, container: Container, env: dict[str, str]) -> str:
    """What identifies the build a container runs: its image (after kustomize `images:` rewrites) and
    any build id its environment sets. "" when the image is templated (resolved at deploy time)."""
    image = container.image.strip()
    if not _plain(image) or " " in image:
        return ""
    name, tag = split_image(image.split("@")[0])
    digest = image.split("@", 1)[1] if "@" in image else ""
    override = next((o for o in project.image_overrides if o.name == name), None)
    if override is not None:
        tag, digest = "(set by kustomize images)", ""  # one rewrite for every workload of this image
    build = "".join(f"{key}={value} " for key, value in sorted(env.items()) if _BUILD_ENV.search(key.upper()))
    return f"{name}:{tag or 'latest'}{'@' + digest if digest else ''} {build}".strip()


def _shown(build: _Build) -> str:
    return f"{build.workload.kind} {build.workload.name} ({build.build})"


def two_builds_one_queue(project: Project) -> Iterator[Hit]:
    """TPR419: two builds of a worker poll one task queue at once, and the code is not versioned."""
    builds = [b for w, reason in project.in_scope()
              if reason.startswith("Temporal worker") and w.kind in LONG_RUNNING
              and (b := _build_of(project, w, reason)) is not None]
    yield from _progressive_rollouts(project, builds)
    groups: dict[tuple[tuple[str, str, str, str, str], str], list[_Build]] = {}
    for build in builds:
        for key in sorted(build.keys):
            groups.setdefault((build.world, key), []).append(build)
    reported: set[frozenset[int]] = set()
    for (_, key), members in sorted(groups.items(), key=lambda item: (not item[0][1].startswith("queue:"), item[0])):
        # Folders first: recipes kept side by side (k8s/canary/, k8s/blue-green/) are alternatives, each
        # reported on its own; one finding for the whole namespace only when no folder holds two builds.
        folders: dict[str, list[_Build]] = {}
        for build in members:
            folders.setdefault(posixpath.dirname(build.workload.location.path), []).append(build)
        mixed = [group for group in folders.values() if _builds(group) >= 2] if len(folders) > 1 else []
        for group in mixed or [members]:
            # Two image names on one queue are two programs (a Go activity worker beside a Python
            # workflow worker, a GPU image for some activities), not two builds of one worker.
            images: dict[str, list[_Build]] = {}
            for build in group:
                images.setdefault(build.image, []).append(build)
            for same_image in images.values():
                hit = _mixed(project, same_image, key, reported)
                if hit is not None:
                    yield hit


def _builds(members: list[_Build]) -> int:
    return len({b.build for b in members if b.build})


def _mixed(project: Project, members: list[_Build], key: str, reported: set[frozenset[int]]) -> Hit | None:
    """The finding for workloads of one task queue (or Worker code) that run different builds, if any."""
    members = [b for b in members if b.build][:_MAX_GROUP]
    group = frozenset(id(b.workload) for b in members)
    if _builds(members) < 2 or group in reported:
        return None
    reported.add(group)
    if _versioning(project, members, key, "TPR419") is not False:
        return None
    # The finding goes on the build that looks new (a canary, green, preview), else the smallest.
    ordered = sorted(members, key=lambda b: (not _NEW.search(b.workload.name.lower()),
                                             b.workload.replicas or 1, _order(b.workload.location)))
    other = ordered[0]
    first = next(b for b in sorted(members, key=lambda b: _order(b.workload.location)) if b.build != other.build)
    others = [b for b in members if b is not other and b is not first]
    what = f"task queue `{key[6:]}`" if key.startswith("queue:") else "the task queue of the same Worker code"
    kube_namespace, _, _, temporal_namespace, _ = other.world
    where = f"in Kubernetes namespace `{kube_namespace or 'default'}`"
    if temporal_namespace:
        where += f" on Temporal namespace `{temporal_namespace}`"
    return Hit(
        other.workload.location,
        f"{_shown(other)} and {_shown(first)} run different builds of the same worker, both polling {what} "
        f"{where}, and the Worker code uses no Worker Deployment versioning: the server gives "
        "each workflow task to whichever poller asks first, so a workflow started on one build replays on the "
        "other and fails with a non-determinism error as soon as their workflow code differs. Run one build "
        "per unversioned task queue (a rolling update, or a canary that only changes activity code), or move "
        "to Worker Deployment versioning (`deployment_config=WorkerDeploymentConfig(..., "
        "use_worker_versioning=True)`) and ramp the new build with `temporal worker deployment "
        "set-ramping-version`.",
        related=(RelatedLocation(first.workload.location, f"{first.workload.kind} {first.workload.name}"),
                 *[RelatedLocation(b.workload.location, f"{b.workload.kind} {b.workload.name}: {b.build}")
                   for b in others][:5]),
        anchor=f"{other.workload.ref}/two-builds/{key}",
    )


def _progressive_rollouts(project: Project, builds: list[_Build]) -> Iterator[Hit]:
    """An Argo Rollout with canary steps or a blue-green preview runs two builds at once by construction."""
    for build in builds:
        workload = build.workload
        if workload.kind != "Rollout":
            continue
        if workload.strategy_type == "canary" and workload.canary_steps:
            how = (f"its {workload.canary_steps} canary step{'s' if workload.canary_steps > 1 else ''} keep the "
                   "stable and the canary ReplicaSet running side by side")
        elif workload.strategy_type == "blueGreen":
            how = "its blue-green strategy runs the preview ReplicaSet beside the active one until promotion"
        else:
            continue
        if _versioning(project, [build], "", "TPR419") is not False:
            continue
        queues = sorted(k[6:] for k in build.keys if k.startswith("queue:"))
        polled = f"task queue `{queues[0]}`" if len(queues) == 1 else "the same task queues"
        yield Hit(
            workload.strategy_location or workload.location,
            f"Argo Rollout {workload.name} ({build.reason}) runs two builds at once during every rollout: {how}, "
            f"and both poll {polled} while the Worker code uses no Worker Deployment versioning. Workflow tasks go "
            "to either build, so a workflow started on one replays on the other and fails with a non-determinism "
            "error as soon as their workflow code differs; traffic weights do not apply to task queues. Use "
            "Worker Deployment versioning (`deployment_config=WorkerDeploymentConfig(..., "
            "use_worker_versioning=True)`, e.g. with the Temporal Worker Controller), or roll out unversioned "
            "workers with a plain rolling update.",
            anchor=f"{workload.ref}/two-builds",
        )


def _versioning(project: Project, members: list[_Build], key: str, rule_id: str) -> bool | None:
    """False when none of these workers is versioned, as far as tprlint can tell; True when one is (the rule
    stays silent); None when it cannot tell (no code linked and none in the scan polls the queue)."""
    states = {b.versioned for b in members}
    if True in states:
        return True
    if None not in states:
        return False
    queues = {k[6:] for b in members for k in b.keys if k.startswith("queue:")}
    polling = [w for w in project.python.workers if _polls(project, w, queues)]
    if polling:
        return any(worker_versioned(project, w) for w in polling)
    first = members[0].workload
    project.undecided(rule_id, f"{first.kind} {first.name}",
                      "no Worker code in the scan is linked to it or polls its task queue, so whether it uses "
                      "Worker Deployment versioning is unknown", first.location)
    return None


def _polls(project: Project, worker: ResolvedWorker, queues: set[str]) -> bool:
    value = project.python.fold(worker.option("task_queue"))
    return isinstance(value, Lit) and value.value in queues and not _no_workflows(project, worker)


def _order(location: Location) -> tuple[str, int, int]:
    return (location.path, location.line, location.column)


# --------------------------------------------------------------------------------------------
# TPR420 progress deadline shorter than a drain

DEFAULT_PROGRESS_DEADLINE = 600


def progress_deadline_below_drain(project: Project) -> Iterator[Hit]:
    """TPR420: a worker rollout declared failed while a pod is still draining."""
    for workload, reason in project.in_scope():
        if workload.kind not in ("Deployment", "Rollout") or not reason.startswith("Temporal worker"):
            continue
        grace = workload.grace_period_seconds
        if grace is None:
            continue
        deadline = workload.progress_deadline_seconds
        limit = DEFAULT_PROGRESS_DEADLINE if deadline is None else deadline
        if grace < limit:
            continue
        setting = (f"sets no progressDeadlineSeconds (default {DEFAULT_PROGRESS_DEADLINE} s)" if deadline is None
                   else f"sets progressDeadlineSeconds: {deadline}")
        yield Hit(
            workload.progress_deadline_location or workload.grace_period_location or workload.location,
            f"{workload.kind} {workload.name} ({reason}) lets a pod drain for up to {grace} s "
            f"(terminationGracePeriodSeconds) but {setting}: a rollout step that waits on a draining pod (the "
            "Recreate strategy, a surge pod pending until a draining pod frees its node or quota) makes no "
            "progress for longer than the deadline, so the rollout is marked ProgressDeadlineExceeded, "
            "`kubectl rollout status` fails the pipeline mid-drain, and automation that rolls back on it undoes a "
            "healthy deploy. Set progressDeadlineSeconds above the drain plus the pod's start-up time "
            f"(e.g. {grace + 300}).",
            related=((RelatedLocation(workload.grace_period_location, f"terminationGracePeriodSeconds: {grace}"),)
                     if workload.grace_period_location and workload.progress_deadline_location else ()),
            anchor=f"{workload.ref}/progress-deadline",
        )


# --------------------------------------------------------------------------------------------
# TPR421 no rollback history


def no_rollback_history(project: Project) -> Iterator[Hit]:
    """TPR421: revisionHistoryLimit: 0 leaves nothing to roll back to."""
    for workload, reason in project.in_scope():
        if workload.kind not in ("Deployment", "Rollout") or workload.revision_history_limit != 0:
            continue
        undo = "kubectl argo rollouts undo" if workload.kind == "Rollout" else "kubectl rollout undo"
        yield Hit(
            workload.revision_history_location or workload.location,
            f"{workload.kind} {workload.name} ({reason}) sets revisionHistoryLimit: 0, so no old ReplicaSet is kept: "
            f"`{undo}` has no revision to go back to, and a bad build can only be replaced by a new deploy of the "
            "old manifest, while it keeps failing tasks. Remove the setting (10 are kept by default) or keep a "
            "few (revisionHistoryLimit: 3).",
            anchor=f"{workload.ref}/revision-history",
        )


# --------------------------------------------------------------------------------------------
# TPR422 analysis template not in the scan


def analysis_template_missing(project: Project) -> Iterator[Hit]:
    """TPR422: an Argo Rollout's analysis names an AnalysisTemplate that the scan does not define."""
    namespaced = {(t.namespace or "", t.name) for t in project.analysis_templates if t.kind == "AnalysisTemplate"}
    cluster = {t.name for t in project.analysis_templates if t.kind == "ClusterAnalysisTemplate"}
    for workload, reason in project.in_scope():
        if workload.kind != "Rollout":
            continue
        for ref in workload.analysis_templates:
            kind = "ClusterAnalysisTemplate" if ref.cluster_scope else "AnalysisTemplate"
            if not _plain(ref.name):
                continue
            if ref.cluster_scope:
                found = ref.name in cluster
            else:
                found = any(name == ref.name and (ns == (workload.namespace or "") or not ns or not workload.namespace)
                            for ns, name in namespaced)
            if found:
                continue
            if not project.analysis_templates:
                project.undecided("TPR422", f"{kind} {ref.name} named by Argo Rollout {workload.name}",
                                  "the scan defines no AnalysisTemplate at all, so the templates live elsewhere "
                                  "(another repository, a chart): whether this one exists is unknown", ref.location)
                continue
            yield Hit(
                ref.location,
                f"Argo Rollout {workload.name} ({reason}) runs analysis with {kind} `{ref.name}`, which is not "
                "defined in the scanned manifests"
                + (f" (namespace {workload.namespace})" if workload.namespace and not ref.cluster_scope else "")
                + ": Argo Rollouts then cannot create the AnalysisRun, the rollout stops with an InvalidSpec "
                "error, and the analysis meant to abort a bad worker build never runs. Define the "
                f"{kind} beside the Rollout, or fix the templateName"
                + ("" if ref.cluster_scope else " (a ClusterAnalysisTemplate needs clusterScope: true)") + ".",
                anchor=f"{workload.ref}/analysis-template/{ref.name}",
            )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR419": two_builds_one_queue,
    "TPR420": progress_deadline_below_drain,
    "TPR421": no_rollback_history,
    "TPR422": analysis_template_missing,
}
