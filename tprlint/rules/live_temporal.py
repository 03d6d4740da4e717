"""TPR7xx: what the running Temporal server says, judged against the code and the thresholds.

The probe (``tprlint.live.temporal_probe``) fills ``project.live.temporal``; these rules only read it. A
figure the server did not give (an error, a visibility store that cannot count) is undecided, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from tprlint.facts.python.values import Missing, describe_seconds
from tprlint.link.python_project import ResolvedWorker
from tprlint.live.paths import CLUSTER, is_loopback, temporal_path
from tprlint.live.snapshot import Poller, QueueState, TemporalState, parse_stamp
from tprlint.model import Location, RelatedLocation
from tprlint.rules.context import Hit, Project
from tprlint.rules.task_queues import QueueUse, queue_uses

_DEV_STORES = ("sqlite",)


def reached(project: Project, rule_id: str = "") -> TemporalState | None:
    """The probed server's state when the probe reached it, else None; a server probed but not reached
    leaves ``rule_id`` undecided (the checklist's unknown: the probe ran and could not see)."""
    state = project.live.temporal if project.live else None
    if state is not None and state.error:
        if rule_id:
            project.undecided(rule_id, f"the Temporal server at {state.address}", "it could not be reached",
                              where(state), gate=True)
        return None
    return state


def where(state: TemporalState) -> Location:
    return Location(temporal_path(state.address, state.namespace))


def _server(state: TemporalState) -> str:
    return f"the Temporal server at {state.address}"


# -- TPR701 ---------------------------------------------------------------------------------------


def server_unreachable(project: Project) -> Iterator[Hit]:
    state = project.live.temporal if project.live else None
    if state is None:
        return
    if state.error:
        yield Hit(where(state), f"Cannot check {_server(state)} (namespace {state.namespace}): {state.error}",
                  anchor=f"temporal:{state.address}")
    elif state.namespace_error:
        yield Hit(where(state), f"Cannot check namespace {state.namespace} on the Temporal server at {state.address}: "
                  f"{state.namespace_error}. Every check of its task queues and workflows is missing: check "
                  "--namespace (TEMPORAL_NAMESPACE) and the probe's permissions.",
                  anchor=f"temporal:{state.address}:{state.namespace}")
    elif state.serving is False:
        yield Hit(where(state), f"The Temporal server at {state.address} answers, but its health check says the "
                  "WorkflowService is NOT_SERVING: workers cannot poll and clients cannot start workflows. "
                  "Look at the frontend's logs and its database connection.", anchor=f"temporal:{state.address}")
    for error in state.errors:  # a call that failed while the server answered others: its figures are missing
        project.undecided("TPR701", f"the Temporal server at {state.address}", error, where(state), gate=True)


# -- TPR702 ---------------------------------------------------------------------------------------


def plaintext_connection(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR702")
    if state is None or state.tls or is_loopback(state.address):
        return
    yield Hit(where(state), f"The Temporal server at {state.address} accepted a connection without TLS: workflow "
              "inputs, results and any credentials cross the network in clear text, and anyone who can reach "
              "the port can act as a client. Enable TLS on the frontend (`server.config.tls.frontend`, mTLS with "
              "client certificates), then probe with --tls-ca-path (and --tls-cert-path/--tls-key-path).",
              anchor=f"temporal:{state.address}:plaintext")


# -- TPR703 ---------------------------------------------------------------------------------------


def development_persistence(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR703")
    if state is None:
        return
    stores = [f"{what} store `{store}`" for what, store in (("persistence", state.persistence_store),
                                                             ("visibility", state.visibility_store))
              if store.lower() in _DEV_STORES]
    if stores:
        yield Hit(where(state), f"The Temporal server at {state.address} runs on SQLite ({' and '.join(stores)}): "
                  "that is "
                  "the development server (`temporal server start-dev`), one process with no replication, "
                  "which loses every workflow when its file (or memory) goes. Run the server on PostgreSQL, "
                  "MySQL or Cassandra (the temporal Helm chart), or use Temporal Cloud.",
                  anchor=f"temporal:{state.address}:stores")


# -- TPR704, TPR705 -------------------------------------------------------------------------------


def running_shards_too_low(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR704")
    minimum = int(project.config.thresholds.min_history_shards)
    if state is None or state.history_shard_count is None or state.history_shard_count >= minimum:
        return
    yield Hit(where(state), f"The Temporal server at {state.address} runs with {state.history_shard_count} history "
              f"shard{'s' if state.history_shard_count != 1 else ''}, below the production minimum of {minimum}. "
              "The count was fixed when the cluster's database was created and can never change: a cluster "
              "that outgrows its shards needs a new cluster and a migration. Create production clusters with "
              "numHistoryShards of at least 512 (1024-4096 for large ones).",
              anchor=f"temporal:{state.address}:shards")


def shards_drift(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR705")
    if state is None or state.history_shard_count is None:
        return
    running = state.history_shard_count
    for config in project.temporal_servers.judged():
        shards = config.shards
        if shards is None or not isinstance(shards.value, int) or shards.value == running:
            continue
        yield Hit(shards.location, f"numHistoryShards is {shards.value} here, but {_server(state)} runs with "
                  f"{running}: the shard count is written into the database when the cluster is created and "
                  "the server ignores a different value in its configuration ('mismatches persisted "
                  "ImmutableClusterMetadata'), so this setting changes nothing. Set it back to "
                  f"{running} so the values say what runs; more shards need a new cluster.",
                  related=(RelatedLocation(where(state), f"the running cluster: {running} shards"),),
                  anchor=f"{config.name}:shards-drift")


# -- TPR706 ---------------------------------------------------------------------------------------


def retention_out_of_bounds(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR706")
    if state is None:
        return
    if state.namespace_error or state.retention_seconds is None:
        project.undecided("TPR706", f"namespace {state.namespace} on {state.address}",
                          state.namespace_error or "the server did not report the namespace's retention", where(state),
                          gate=True)
        return
    thresholds = project.config.thresholds
    low, high = thresholds.retention_min_seconds, thresholds.retention_max_seconds
    retention = state.retention_seconds
    archival = (f" History archival is {state.history_archival}." if state.history_archival else "")
    if retention < low:
        yield Hit(where(state), f"Namespace {state.namespace} keeps closed workflows for "
                  f"{describe_seconds(retention)}, less than {describe_seconds(low)}: a failed workflow's history "
                  f"is deleted before anyone can debug it or replay it against new code.{archival} Raise it with "
                  f"`temporal operator namespace update --namespace {state.namespace} --retention 7d` (or "
                  "enable archival), or set thresholds.retention-min-seconds to your policy.",
                  anchor=f"temporal:{state.address}:{state.namespace}:retention")
    elif high and retention > high:
        yield Hit(where(state), f"Namespace {state.namespace} keeps closed workflows for "
                  f"{describe_seconds(retention)}, more than the configured {describe_seconds(high)}: the "
                  f"persistence database grows with every day kept.{archival} Lower the retention (and archive "
                  "what must be kept longer), or raise thresholds.retention-max-seconds.",
                  anchor=f"temporal:{state.address}:{state.namespace}:retention")


# -- task queues: TPR710-TPR714 -------------------------------------------------------------------


def _expected_kinds(use: QueueUse) -> set[str]:
    """The poller types the code needs on a queue; "any" when a Worker's registrations are not visible."""
    kinds: set[str] = set()
    for worker in use.workers:
        given = [k for k, option in (("workflow", "workflows"), ("activity", "activities"))
                 if not isinstance(worker.option(option), Missing)]
        kinds.update(given or ["any"])
    if use.calls:
        kinds.add("activity")
    return kinds


def _states(state: TemporalState, name: str) -> dict[str, QueueState]:
    return {q.kind: q for q in state.queues if q.name == name}


def _seconds_since(stamp: str, now: str) -> float | None:
    then, moment = parse_stamp(stamp), parse_stamp(now)
    return (moment - then).total_seconds() if then is not None and moment is not None else None


def fresh_pollers(project: Project, queue: QueueState) -> list[Poller]:
    """Pollers seen recently: the server lists a stopped worker's pollers for minutes after its last poll."""
    assert project.live is not None
    limit = project.config.thresholds.poller_stale_seconds
    fresh = []
    for poller in queue.pollers:
        age = _seconds_since(poller.last_access, project.live.taken_at) if poller.last_access else None
        if age is None or age <= limit:
            fresh.append(poller)
    return fresh


def _queue_undecided(project: Project, state: TemporalState,
                     rule_id: str) -> Iterator[tuple[QueueUse, dict[str, QueueState]]]:
    uses, unnamed = queue_uses(project)
    if not uses and not unnamed:
        project.undecided(rule_id, "the task queues of the code", "the code scanned names no task queue (no Worker, "
                          "no activity call with task_queue=), so no queue was looked at", where(state))
    for entry in unnamed:
        project.undecided(rule_id, f"{entry.what} at {entry.location.path}:{entry.location.line}",
                          "its value could not be resolved, so the probe could not look at the queue", entry.location)
    for use in uses:
        states = _states(state, use.name)
        failed = [q for q in states.values() if q.error]
        if not states or failed:
            why = failed[0].error if failed else "the probe did not describe it (its deadline ran out)"
            project.undecided(rule_id, f"task queue {use.name}", why, use.location, gate=True)
            continue
        yield use, states


def _who(use: QueueUse) -> str:
    if use.workers:
        worker = use.workers[0]
        return f"its Worker is constructed at {worker.location.path}:{worker.location.line}"
    call = use.calls[0]
    return f"the code sends activities to it at {call.path}:{call.line} and no Worker in the scan polls it"


def queue_without_pollers(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR710")
    if state is None:
        return
    for use, states in _queue_undecided(project, state, "TPR710"):
        kinds = _expected_kinds(use)
        polled = {kind for kind, q in states.items() if fresh_pollers(project, q)}
        missing = sorted(kinds - {"any"} - polled)
        if not missing and "any" in kinds and not polled:
            missing = ["workflow or activity"]
        if not missing:
            continue
        yield Hit(use.location, f"Task queue `{use.name}` has no {' or '.join(missing)} pollers on "
                  f"{state.address} (namespace {state.namespace}): no running worker polls it, so its tasks "
                  f"wait (schedule-to-start) until one does; {_who(use)}. Start or fix that worker (is it "
                  "deployed, connected to this address and namespace, and not crash-looping?).",
                  anchor=f"queue:{use.name}:pollers")


def _floor_of(project: Project, workers: list[ResolvedWorker]) -> tuple[int, str, Location | None] | None:
    """The largest replica floor among the workloads that run these Workers (repository or live)."""
    best: tuple[int, str, Location | None] | None = None
    ids = {id(w) for w in workers}
    # With a cluster listed, the live workloads say how many pods should run (judged in the cluster's world);
    # else the repository's manifests do.
    kube = project.live.kubernetes if project.live else None
    live_floors = kube is not None and not kube.error
    for workload in project.workloads:
        if project.development(workload) or workload.location.path.startswith(CLUSTER) != live_floors:
            continue
        if any(id(w) in ids for _, runs in project.worker_links(workload) for w in runs):
            floor, why, at = project.replica_floor(workload)
            if best is None or floor > best[0]:
                best = (floor, f"{workload.kind} {workload.name}: {why}", at or workload.location)
    return best


def too_few_pollers(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR711")
    if state is None:
        return
    for use, states in _queue_undecided(project, state, "TPR711"):
        floor = _floor_of(project, use.workers)
        if floor is None or floor[0] < 2:
            continue
        counts = {kind: len({p.identity for p in fresh_pollers(project, q)}) for kind, q in sorted(states.items())}
        short = {kind: n for kind, n in counts.items() if 0 < n < floor[0]}  # none at all is TPR710's
        if not short:
            continue
        figures = " and ".join(f"{n} {kind}" for kind, n in short.items())
        related = (RelatedLocation(floor[2], floor[1]),) if floor[2] else ()
        yield Hit(use.location, f"Task queue `{use.name}` has {figures} poller identit"
                  f"{'y' if sum(short.values()) == 1 else 'ies'} on {state.address}, fewer than the {floor[0]} pods "
                  f"its workload should always run ({floor[1]}): some replicas are not polling (not ready, "
                  "crash-looping, or connected elsewhere), so the capacity you planned is not there. Check the "
                  "pods' logs and readiness.", related=related, anchor=f"queue:{use.name}:few-pollers")


def _versioned_in_code(project: Project, workers: list[ResolvedWorker]) -> bool | None:
    if not workers:
        return None
    return any(not isinstance(project.python.fold(w.option("deployment_config")), Missing) for w in workers)


def mixed_builds(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR712")
    if state is None:
        return
    for use, states in _queue_undecided(project, state, "TPR712"):
        # Workflow pollers only: replaying on another build is what breaks, and an unversioned worker's build
        # id is the SDK's checksum of its loaded code, which differs between a workflow-only and an
        # activity-only Worker of the same release.
        workflow_queue = states.get("workflow")
        pollers = fresh_pollers(project, workflow_queue) if workflow_queue else []
        if any(p.versioned for p in pollers):
            continue  # Worker Deployment versioning routes each workflow to its own build
        builds = sorted({p.build_id for p in pollers})
        if len(builds) < 2:
            continue
        shown = ", ".join(f"`{b}`" if b else "(none)" for b in builds[:4])
        yield Hit(use.location, f"Task queue `{use.name}` has workflow pollers of {len(builds)} different builds "
                  f"({shown}) on {state.address}, and none uses Worker Deployment versioning: workflow tasks go to "
                  "either build, so a workflow started on one replays on the other and fails with a non-determinism "
                  "error whenever their workflow code differs. Finish the rollout (one build per unversioned "
                  "queue), or move to Worker Deployment versioning (`deployment_config=WorkerDeploymentConfig(...)`).",
                  anchor=f"queue:{use.name}:builds")


def versioning_mismatch(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR713")
    if state is None:
        return
    for use, states in _queue_undecided(project, state, "TPR713"):
        in_code = _versioned_in_code(project, use.workers)
        pollers = [p for q in states.values() for p in fresh_pollers(project, q)]
        if in_code is None or not pollers:
            continue
        live = any(p.versioned for p in pollers)
        if in_code and not live:
            yield Hit(use.location, f"The code's Workers for task queue `{use.name}` use Worker Deployment "
                      f"versioning (`deployment_config=`), but every poller on {state.address} is unversioned: "
                      "the running workers are an older build than this code. Deploy this build (and set it "
                      "current with `temporal worker deployment set-current-version`).",
                      anchor=f"queue:{use.name}:versioning")
        elif live and not in_code:
            versions = sorted({f"{p.deployment_name}.{p.build_id}" for p in pollers if p.versioned})
            yield Hit(use.location, f"Pollers on task queue `{use.name}` at {state.address} use Worker Deployment "
                      f"versioning ({', '.join(versions[:3])}), but the code's Workers set no "
                      "`deployment_config`: deploying this code adds unversioned pollers beside the versioned "
                      "ones, and the server sends them no tasks of pinned workflows. Keep the deployment_config "
                      "in the code.", anchor=f"queue:{use.name}:versioning")


def backlog(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR714")
    if state is None:
        return
    thresholds = project.config.thresholds
    for use, states in _queue_undecided(project, state, "TPR714"):
        for kind, queue in sorted(states.items()):
            count, age = queue.backlog_count, queue.backlog_age_seconds
            if count is None and age is None:
                project.undecided("TPR714", f"task queue {use.name} ({kind})",
                                  "the server reported no backlog statistics", use.location, gate=True)
                continue
            over_count = count is not None and count > thresholds.backlog_max_count
            over_age = age is not None and age > thresholds.backlog_max_age_seconds
            if not (over_count or over_age):
                continue
            figures = ", ".join(part for part in (
                f"about {count} tasks" if count is not None else "",
                f"the oldest waiting {describe_seconds(age)}" if age is not None else "") if part)
            yield Hit(use.location, f"Task queue `{use.name}` has a {kind} backlog on {state.address} "
                      f"({figures}; limits {thresholds.backlog_max_count} tasks, "
                      f"{describe_seconds(thresholds.backlog_max_age_seconds)}): its workers do not keep up, so "
                      "every new task waits behind it. Add workers (or slots), or find what slows them.",
                      anchor=f"queue:{use.name}:{kind}:backlog")


def new_build_not_polling(project: Project) -> Iterator[Hit]:
    expected = project.live.expected_build if project.live else ""
    if not expected:
        return
    state = reached(project, "TPR715")
    if state is None:
        return
    for use, states in _queue_undecided(project, state, "TPR715"):
        pollers = [p for q in states.values() for p in fresh_pollers(project, q)]
        if not pollers or any(p.build_id == expected for p in pollers):
            continue  # no pollers at all is TPR710's
        builds = sorted({p.build_id or "(none)" for p in pollers})
        yield Hit(use.location, f"Task queue `{use.name}` has no pollers of build `{expected}` on {state.address}: "
                  f"its pollers run {', '.join(f'`{b}`' for b in builds[:4])}. The new build has not started polling "
                  "(not rolled out yet, not ready, or it reports another build id: a Worker Deployment version's "
                  "build id, or the Worker's `build_id=`).", anchor=f"queue:{use.name}:new-build")


# -- TPR720 ---------------------------------------------------------------------------------------


def failure_rate(project: Project) -> Iterator[Hit]:
    state = reached(project, "TPR720")
    if state is None:
        return
    counts = state.counts
    what = f"workflows closed in namespace {state.namespace}"
    if counts is None or counts.error:
        project.undecided("TPR720", what, counts.error if counts else "the probe did not count them", where(state),
                          gate=True)
        return
    parts = {"completed": counts.completed, "failed": counts.failed, "timed out": counts.timed_out,
             "terminated": counts.terminated}
    if any(value is None for value in parts.values()):
        project.undecided("TPR720", what, "the server did not give every count", where(state), gate=True)
        return
    bad = sum(v or 0 for k, v in parts.items() if k != "completed")
    total = bad + (counts.completed or 0)
    if total == 0:
        project.undecided("TPR720", what, f"no workflow closed since {counts.since}: nothing shows yet whether "
                          "they complete", where(state))
        return
    ratio = bad / total
    limit = project.config.thresholds.failure_max_ratio
    if ratio <= limit:
        return
    figures = ", ".join(f"{v} {k}" for k, v in parts.items())
    yield Hit(where(state), f"{ratio:.0%} of the workflows closed in namespace {state.namespace} since "
              f"{counts.since} did not complete ({figures}), above the limit of {limit:.0%}: "
              "look at the failures (`temporal workflow list --query \"ExecutionStatus='Failed'\"`) before "
              "calling the deployment done, and roll back if the new build causes them.",
              anchor=f"temporal:{state.address}:{state.namespace}:failures")


RULES = {
    "TPR701": server_unreachable,
    "TPR702": plaintext_connection,
    "TPR703": development_persistence,
    "TPR704": running_shards_too_low,
    "TPR705": shards_drift,
    "TPR706": retention_out_of_bounds,
    "TPR710": queue_without_pollers,
    "TPR711": too_few_pollers,
    "TPR712": mixed_builds,
    "TPR713": versioning_mismatch,
    "TPR714": backlog,
    "TPR715": new_build_not_polling,
    "TPR720": failure_rate,
}
