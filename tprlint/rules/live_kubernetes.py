"""TPR8xx: what the running cluster says about the workloads of Temporal workers and servers.

The probe (``tprlint.live.kubernetes_probe``) lists the objects; the engine turns the live workloads into
the same facts as manifests (their paths start with ``cluster://``), so every workload rule judges them
too. These rules judge what only a cluster has: status, pods, and drift from the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tprlint.facts.kubernetes import Workload, label_selector
from tprlint.facts.python.values import Missing
from tprlint.live.paths import CLUSTER, cluster_path
from tprlint.live.snapshot import KubeState, parse_stamp
from tprlint.model import Location, RelatedLocation
from tprlint.rules.context import Hit, Project

_RBAC = "grant it `get` and `list` (the read-only ClusterRole in the README's \"Probe the running system\")"


def cluster(project: Project) -> KubeState | None:
    return project.live.kubernetes if project.live else None


def live_workloads(project: Project) -> Iterator[tuple[Workload, str, dict[str, Any]]]:
    """Live workloads in scope (workers, servers), with why and the object the API returned."""
    state = cluster(project)
    if state is None:
        return
    objects = {(o.get("kind"), _meta(o).get("namespace") or "default", _meta(o).get("name")): o
               for o in state.objects}
    for workload, reason in project.in_scope():
        if workload.location.path.startswith(CLUSTER):
            raw = objects.get((workload.kind, workload.namespace or "default", workload.name))
            if raw is not None:
                yield workload, reason, raw


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- TPR801 ---------------------------------------------------------------------------------------


def cluster_access(project: Project) -> Iterator[Hit]:
    state = cluster(project)
    if state is None:
        return
    if state.error:
        yield Hit(Location(cluster_path("")), f"Cannot check the cluster ({state.context or 'no context'}): "
                  f"{state.error}", anchor=f"cluster:{state.context}")
        return
    for error in state.errors:
        where = f"{error.resource} in namespace {error.namespace}" if error.namespace else error.resource
        if error.status == 404:
            project.undecided("TPR801", where, "not installed in this cluster (its CRD is missing): nothing of "
                              "that kind can be checked", Location(cluster_path(error.namespace)))
            continue
        if error.status in (401, 403):
            fix = (f"give the probe's identity a valid token or certificate and {_RBAC}" if error.status == 401
                   else _RBAC)
            yield Hit(Location(cluster_path(error.namespace)), f"The cluster refused to list {where} "
                      f"(HTTP {error.status}): {error.message}. Every check of those objects is missing; {fix}.",
                      anchor=f"cluster:{error.namespace}:{error.resource}")
        else:
            yield Hit(Location(cluster_path(error.namespace)), f"Could not list {where}: {error.message}. "
                      "Every check of those objects is missing; check the API server's address and "
                      "--timeout.", anchor=f"cluster:{error.namespace}:{error.resource}")


# -- TPR802 ---------------------------------------------------------------------------------------


def replicas_not_ready(project: Project) -> Iterator[Hit]:
    if project.live is not None and project.live.kubernetes is None:
        manifests = [w for w, _ in project.in_scope() if not w.location.path.startswith(CLUSTER)]
        if manifests:  # the repository deploys to Kubernetes, but the probe did not look at the cluster
            project.undecided("TPR802", f"{len(manifests)} workload{'s' if len(manifests) != 1 else ''} of the "
                              "scanned manifests", "the cluster was not probed, so their ready replicas are not known",
                              manifests[0].location)
    for workload, reason, raw in live_workloads(project):
        desired = _int(_dict(raw.get("spec")).get("replicas"))
        desired = 1 if desired is None else desired
        status = _dict(raw.get("status"))
        ready = _int(status.get("readyReplicas")) or 0
        if desired == 0 or ready >= desired:
            continue
        yield Hit(workload.location, f"{workload.kind} {workload.name} ({reason}) has {ready} of {desired} "
                  f"replicas ready: {desired - ready} pod{'s are' if desired - ready != 1 else ' is'} not "
                  "serving, so the capacity (and for workers, the pollers) planned for is not there. "
                  f"`kubectl describe {workload.kind.lower()} {workload.name}` and its pods' events say why.",
                  anchor=f"{workload.ref}:ready")


# -- TPR803 ---------------------------------------------------------------------------------------


def _selects(workload_raw: dict[str, Any], pod: dict[str, Any]) -> bool:
    """The workload's label selector matches the pod, in its namespace (the manifests' own reading of it)."""
    pod_meta = _meta(pod)
    if (pod_meta.get("namespace") or "default") != (_meta(workload_raw).get("namespace") or "default"):
        return False
    selector = label_selector(_dict(workload_raw.get("spec")).get("selector"), everything=False)
    labels = {str(k): str(v) for k, v in _dict(pod_meta.get("labels")).items()}
    return selector is not None and selector.matches(labels) is True


def pods_of(project: Project, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The workload's pods that are running or starting (an evicted or completed pod runs nothing)."""
    state = cluster(project)
    return [pod for pod in (state.pods if state else ()) if _selects(raw, pod)
            and _dict(pod.get("status")).get("phase") not in ("Failed", "Succeeded")]


def pods_unlisted(project: Project, rule_id: str, workload: Workload) -> bool:
    """Were the pods of the workload's namespace refused or not answered? Then say the rule could not see."""
    state = cluster(project)
    namespace = workload.namespace or "default"
    error = next((e for e in (state.errors if state else ()) if e.resource == "pods" and e.namespace == namespace
                  and e.status != 404), None)
    if error is not None:
        project.undecided(rule_id, f"{workload.kind} {workload.name}", f"its pods could not be listed: {error.message}",
                          workload.location, gate=True)
    return error is not None


# A container's last termination older than this is history, not a pod that is restarting now.
RECENT_SECONDS = 86400.0


def _recent(finished: object, taken_at: str) -> bool:
    then, now = parse_stamp(finished), parse_stamp(taken_at)
    if then is None or now is None:
        return True  # no time: judged by the figures alone
    return (now - then).total_seconds() <= RECENT_SECONDS


def pods_restarting(project: Project) -> Iterator[Hit]:
    limit = int(project.config.thresholds.pod_restart_max)
    taken_at = project.live.taken_at if project.live else ""
    for workload, reason, raw in live_workloads(project):
        if pods_unlisted(project, "TPR803", workload):
            continue
        worst: tuple[int, str, str] | None = None
        oom: list[str] = []
        for pod in pods_of(project, raw):
            for status in _dict(pod.get("status")).get("containerStatuses") or ():
                status = _dict(status)
                restarts = _int(status.get("restartCount")) or 0
                name = f"{_meta(pod).get('name')}/{status.get('name')}"
                last = _dict(_dict(status.get("lastState")).get("terminated"))
                if last and not _recent(last.get("finishedAt"), taken_at):
                    continue  # it has run since: an old crash, not a pod restarting now
                if last.get("reason") == "OOMKilled":
                    oom.append(name)
                if restarts > limit and (worst is None or restarts > worst[0]):
                    worst = (restarts, name, str(last.get("reason") or ""))
        if not worst and not oom:
            continue
        parts = []
        if worst:
            why = f", last ended: {worst[2]}" if worst[2] else ""
            parts.append(f"container {worst[1]} restarted {worst[0]} times (limit {limit}{why})")
        if oom:
            parts.append(f"{', '.join(sorted(oom)[:3])} {'was' if len(oom) == 1 else 'were'} OOM-killed")
        yield Hit(workload.location, f"Pods of {workload.kind} {workload.name} ({reason}) are restarting: "
                  f"{'; '.join(parts)}. A worker killed mid-task loses its activities until their timeouts "
                  "expire, and a kill skips the graceful drain. Raise the memory limit (or lower the worker's "
                  "concurrent slots), and read the previous container's logs (`kubectl logs --previous`).",
                  anchor=f"{workload.ref}:restarts")


# -- TPR804 ---------------------------------------------------------------------------------------


def rollout_stuck(project: Project) -> Iterator[Hit]:
    for workload, reason, raw in live_workloads(project):
        status = _dict(raw.get("status"))
        stuck = ""
        for condition in status.get("conditions") or ():
            condition = _dict(condition)
            if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
                stuck = str(condition.get("message") or "progress deadline exceeded").rstrip(".")
        if workload.kind == "Rollout" and status.get("phase") == "Degraded":
            stuck = stuck or str(status.get("message") or "the Rollout is Degraded").rstrip(".")
        if not stuck:
            continue
        yield Hit(workload.location, f"The rollout of {workload.kind} {workload.name} ({reason}) is stuck: "
                  f"{stuck}. New pods do not become ready, so old and new builds both run (and both poll) "
                  "until someone acts. Roll back (`kubectl rollout undo`) or fix the new pods.",
                  anchor=f"{workload.ref}:stuck")


# -- TPR805 ---------------------------------------------------------------------------------------


def _versioned(project: Project, workload: Workload) -> bool:
    workers = [w for _, runs in project.worker_links(workload) for w in runs]
    return any(not isinstance(project.python.fold(w.option("deployment_config")), Missing) for w in workers)


def mixed_images(project: Project) -> Iterator[Hit]:
    for workload, reason, raw in live_workloads(project):
        if not reason.startswith("Temporal worker") or _versioned(project, workload):
            continue
        if pods_unlisted(project, "TPR805", workload):
            continue
        images: dict[str, set[str]] = {}
        for pod in pods_of(project, raw):
            for container in _dict(pod.get("spec")).get("containers") or ():
                container = _dict(container)
                if isinstance(container.get("image"), str):
                    images.setdefault(str(container.get("name")), set()).add(container["image"])
        mixed = {name: sorted(found) for name, found in images.items() if len(found) > 1}
        if not mixed:
            continue
        name, found = sorted(mixed.items())[0]
        yield Hit(workload.location, f"Pods of {workload.kind} {workload.name} ({reason}) run different images "
                  f"in container `{name}` ({', '.join(found[:3])}) and its code uses no Worker Deployment "
                  "versioning: both builds poll the same task queues, so a workflow started on one build replays "
                  "on the other and fails with a non-determinism error if their workflow code differs. Let the "
                  "rollout finish (or roll back), and use Worker Deployment versioning for changes to workflow "
                  "code.", anchor=f"{workload.ref}:images")


# -- TPR806 ---------------------------------------------------------------------------------------


def live_twin(project: Project, workload: Workload) -> dict[str, Any] | None:
    """The live object of a manifest's workload: same kind and name, and namespace when both say one."""
    state = cluster(project)
    for obj in state.objects if state else ():
        meta = _meta(obj)
        if obj.get("kind") == workload.kind and meta.get("name") == workload.name and (
                not workload.namespace or (meta.get("namespace") or "default") == workload.namespace):
            return obj
    return None


def _grace(obj: dict[str, Any]) -> int:
    pod_spec = _dict(_dict(_dict(obj.get("spec")).get("template")).get("spec"))
    seconds = _int(pod_spec.get("terminationGracePeriodSeconds"))
    return 30 if seconds is None else seconds


def grace_period_drift(project: Project) -> Iterator[Hit]:
    if cluster(project) is None:
        return
    for twin, reason in project.in_scope():
        if twin.location.path.startswith(CLUSTER):
            continue
        live = live_twin(project, twin)
        if live is None:
            continue
        mine = 30 if twin.grace_period_seconds is None else twin.grace_period_seconds
        running = _grace(live)
        if mine == running:
            continue
        where = Location(cluster_path(_meta(live).get("namespace") or "default", twin.kind, twin.name))
        yield Hit(twin.grace_period_location or twin.location,
                  f"{twin.kind} {twin.name} ({reason}) has terminationGracePeriodSeconds {mine} here, but the "
                  f"cluster runs it with {running}: the repository is not what is deployed, so what tprlint "
                  "checked here is not what protects the running workers' drain. Deploy this manifest (or find "
                  "what changes it: a Helm value, a kustomize patch, a manual edit).",
                  related=(RelatedLocation(where, f"live: terminationGracePeriodSeconds {running}"),),
                  anchor=f"{twin.ref}:grace-drift")


RULES = {
    "TPR801": cluster_access,
    "TPR802": replicas_not_ready,
    "TPR803": pods_restarting,
    "TPR804": rollout_stuck,
    "TPR805": mixed_images,
    "TPR806": grace_period_drift,
}
