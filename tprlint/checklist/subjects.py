"""What each rule applies to, counted in the linked project.

A checklist item passes only when a rule behind it met something it judges and found nothing wrong: a
rule that ran over a tree without any Worker says nothing about shutdown timeouts. Each rule names one
subject family here; a family counts the things its rules look at, with the same filters they use (test
code and development set-ups are not judged, so they are not counted either).

The table is checked against the rules' own examples (``tests/test_checklist_catalog.py``): every bad
example, which makes its rule fire, must count at least one subject of that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tprlint.devsetup import is_dev_path
from tprlint.facts.compose import ComposeService, is_dev_service
from tprlint.facts.python.facts import PythonFacts
from tprlint.link.compose_links import production_configs
from tprlint.live.paths import CLUSTER, cluster_path, is_loopback, temporal_path
from tprlint.model import SUBJECT_TAG as TAG
from tprlint.records import frozen
from tprlint.rules.activities import production_calls
from tprlint.rules.autoscaling import scaled_workers
from tprlint.rules.backups import backup_schedules, dated_dumps, local_dumps, sources
from tprlint.rules.capacity import load_carriers, sized_pods, temporal_databases
from tprlint.rules.client import resolve_target, worker_process_modules
from tprlint.rules.compose import server_repo
from tprlint.rules.context import Project, is_test_path
from tprlint.rules.database import database_subjects, scheduled_backup_subjects
from tprlint.rules.deploy_steps import deploy_steps
from tprlint.rules.kubernetes import REPLICATED_KINDS
from tprlint.rules.live_kubernetes import live_twin, live_workloads
from tprlint.rules.monitoring import alert_rules
from tprlint.rules.rollouts import LONG_RUNNING
from tprlint.rules.schema import judged_objects
from tprlint.rules.server_resources import resource_blocks
from tprlint.rules.server_tls import tls_servers
from tprlint.rules.task_queues import queue_uses
from tprlint.rules.temporal_server import judged_by_server_rules

Finder = Callable[[Project], Iterable[str]]  # the path of each subject met (and its TAG, when it has one)

_SERVER_COMMANDS = ("start-dev", "temporalite")  # what TPR503 reads in a compose command


@frozen
class Subject:
    name: str
    description: str  # what is counted, for `tprlint checklist --rules` and the reports
    find: Finder


def _workers(project: Project) -> Iterator[str]:
    return (w.location.path for w in project.python.workers if not is_test_path(w.location.path))


def _worker_processes(project: Project) -> Iterator[str]:
    modules = project.python.modules
    return (modules[key].path for key in worker_process_modules(project) if key in modules)


def _production_modules(project: Project) -> Iterator[PythonFacts]:
    return (m for m in project.python.modules.values() if not is_test_path(m.path))


def _workflows(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project) for _ in m.workflow_classes)


def _activities(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project) for _ in m.activity.definitions)


def _activity_calls(project: Project) -> Iterator[str]:
    return (call.location.path for call, _ in production_calls(project))


def _clients(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project) for _ in m.client.connects)


def _temporal_modules(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project) if m.mentions_temporal)


def _temporal_modules_and_tests(project: Project) -> Iterator[str]:
    return (m.path for m in project.python.modules.values() if m.mentions_temporal)


def _python_modules(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project))


def _health_routes(project: Project) -> Iterator[str]:
    return (m.path for m in _production_modules(project) for _ in m.process.health_routes)


def _remote_clients(project: Project) -> Iterator[str]:
    """Connections TPR301 judges: to anything but the loopback (it says what it could not decide: an
    address it cannot resolve, plaintext inside the cluster)."""
    for module in _production_modules(project):
        for connect in module.client.connects:
            target = resolve_target(project, connect)
            if target is None or target.kind != "loopback":
                yield module.path


def _codec_clients(project: Project) -> Iterator[str]:
    """Connections TPR305 judges: to a server elsewhere (or anywhere: an address it cannot resolve), with
    keyword arguments it can read."""
    for module in _production_modules(project):
        for connect in module.client.connects:
            target = resolve_target(project, connect)
            if (target is None or target.remote) and not connect.unresolved_splat:
                yield module.path


def _worker_workloads(project: Project) -> Iterator[str]:
    return (w.location.path for w, reason in project.in_scope() if reason.startswith("Temporal worker"))


def _replicated_workloads(project: Project) -> Iterator[str]:
    """What TPR406 judges: replicated workloads whose floor no server rule judges against its own minimum."""
    return (w.location.path for w, _ in project.in_scope()
            if w.kind in REPLICATED_KINDS and not judged_by_server_rules(project, w, "replicas"))


def _server_services(project: Project) -> Iterator[str]:
    """Each Temporal service whose replicas TPR501 reads, tagged with the service's name (one item per
    service: ha.frontend counts the frontend, and a pod running every service, "all")."""
    for config in project.temporal_servers.judged():
        if is_test_path(config.location.path):
            continue
        for spec in config.services:
            if spec.replicas is not None and isinstance(spec.replicas.value, int):
                yield f"{config.location.path}{TAG}{spec.name}"


def _workloads(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in project.in_scope())


def _temporal_workloads(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in (*project.in_scope(), *project.temporal_clients()))


def _env_holders(project: Project) -> Iterator[str]:
    """What TPR412 reads: Kubernetes workloads of Temporal, and every production compose service."""
    yield from _temporal_workloads(project)
    yield from (service.location.path for config in production_configs(project.compose_configs)
                for service in config.services if not is_dev_service(service))


def _frontend_tls(project: Project) -> Iterator[str]:
    return (c.location.path for c in tls_servers(project, "frontend"))


def _internode_tls(project: Project) -> Iterator[str]:
    return (c.location.path for c in tls_servers(project, "internode"))


def _resource_blocks(project: Project) -> Iterator[str]:
    return (f"{block.location.path}{TAG}{block.service}" for _, block in resource_blocks(project))


def _alert_rules(project: Project) -> Iterator[str]:
    return (e.location.path for e in alert_rules(project))


def _rollouts(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in project.in_scope() if w.kind in ("Deployment", "Rollout"))


def _progressive_rollouts(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in project.in_scope()
            if w.kind == "Rollout" and w.strategy_type in ("canary", "blueGreen"))


def _autoscalers(project: Project) -> Iterator[str]:
    if project.config.scope == "all":  # every autoscaler is judged, also one of a workload not in the scan
        return (t.location.path for t in project.scale_targets)
    judged = {(w.kind, w.name, w.namespace or "default") for w, _ in project.in_scope()}
    return (t.location.path for t in project.scale_targets
            if (t.target_kind, t.target_name, t.namespace or "default") in judged)


def _linked_workloads(project: Project) -> Iterator[str]:
    return (w.location.path for w in project.workloads if not project.development(w) and project.worker_links(w))


def _compose_workers(project: Project) -> Iterator[str]:
    return (link.service.location.path for link in project.compose_links if project.workers_run_by(link.module))


def _worker_deployments(project: Project) -> Iterator[str]:
    yield from _linked_workloads(project)
    yield from _compose_workers(project)


def _servers(project: Project) -> Iterator[str]:
    return (c.location.path for c in project.temporal_servers.judged() if not is_test_path(c.location.path))


def _compose_servers(project: Project) -> Iterator[str]:
    return (service.location.path for config in production_configs(project.compose_configs)
            for service in config.services if not is_dev_service(service) and _runs_server(service))


def _runs_server(service: ComposeService) -> bool:
    if server_repo(service) is not None:
        return True
    words = " ".join((*(service.entrypoint or ()), *(service.command or ()))).lower()
    return any(command in words for command in _SERVER_COMMANDS)


def _all_servers(project: Project) -> Iterator[str]:
    yield from _servers(project)
    yield from _compose_servers(project)


def _scripts(project: Project) -> Iterator[str]:
    """Scripts, Makefiles and CI files read (in production paths), and compose services of workers."""
    yield from (s.path for s in project.scripts
                if not is_test_path(s.path) and (project.config.scope == "all" or not is_dev_path(s.path)))
    yield from _compose_workers(project)


def _backups(project: Project) -> Iterator[str]:
    return (step.location.path for source in sources(project) for step in source.facts.backups)


def _backup_schedules(project: Project) -> Iterator[str]:
    return (item.location.path for item, _ in backup_schedules(project))


def _local_dumps(project: Project) -> Iterator[str]:
    return (step.location.path for _, step in local_dumps(project))


def _dated_dumps(project: Project) -> Iterator[str]:
    return (step.location.path for _, step in dated_dumps(project))


def _deploy_steps(project: Project) -> Iterator[str]:
    return (deploy.location.path for _, deploy, _, what in deploy_steps(project) if what != "?")


def _scaled_workers(project: Project) -> Iterator[str]:
    return (target.location.path for target, _, _ in scaled_workers(project))


def _backlog_scalers(project: Project) -> Iterator[str]:
    return (target.location.path for target, _, _ in scaled_workers(project) if target.temporal_queues)


def _spread_workloads(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in project.in_scope()
            if w.kind in REPLICATED_KINDS and not w.template_ref and w.spread and project.replica_floor(w)[0] >= 2)


def _schema_objects(project: Project) -> Iterator[str]:
    """What TPR430 checks: objects of built-in API groups whose schema tprlint has."""
    return (o.location.path for o in judged_objects(project) if o.schema_version and not o.unchecked)


def _running_worker_workloads(project: Project) -> Iterator[str]:
    """What TPR419 compares: worker workloads whose pods keep polling (not Jobs)."""
    return (w.location.path for w, reason in project.in_scope()
            if reason.startswith("Temporal worker") and w.kind in LONG_RUNNING)


def _draining_worker_rollouts(project: Project) -> Iterator[str]:
    """What TPR420 weighs: worker Deployments and Rollouts that set their drain time."""
    return (w.location.path for w, reason in project.in_scope() if reason.startswith("Temporal worker")
            and w.kind in ("Deployment", "Rollout") and w.grace_period_seconds is not None)


def _analysed_rollouts(project: Project) -> Iterator[str]:
    """What TPR422 looks up: Argo Rollouts whose analysis names templates."""
    return (w.location.path for w, _ in project.in_scope() if w.kind == "Rollout" and w.analysis_templates)


def _spreading_workloads(project: Project) -> Iterator[str]:
    """What TPR423 validates: workloads that set topologySpreadConstraints or anti-affinity."""
    return (w.location.path for w, _ in project.in_scope() if w.spread)


def _probed_server(project: Project) -> Iterator[str]:
    state = project.live.temporal if project.live else None
    if state is not None:
        yield temporal_path(state.address, state.namespace)


def _reached_server(project: Project) -> Iterator[str]:
    state = project.live.temporal if project.live else None
    if state is not None and not state.error:
        yield temporal_path(state.address, state.namespace)


def _remote_server(project: Project) -> Iterator[str]:
    state = project.live.temporal if project.live else None
    if state is not None and not state.error and not is_loopback(state.address):
        yield temporal_path(state.address, state.namespace)


def _shard_values(project: Project) -> Iterator[str]:
    if next(_reached_server(project), None) is not None:
        yield from (c.location.path for c in project.temporal_servers.judged() if c.shards is not None)


def _probed_queues(project: Project) -> Iterator[str]:
    if next(_reached_server(project), None) is not None:
        yield from (use.location.path for use in queue_uses(project)[0])


def _probed_cluster(project: Project) -> Iterator[str]:
    if project.live is not None and project.live.kubernetes is not None:
        yield cluster_path("")


def _live_workloads(project: Project) -> Iterator[str]:
    return (workload.location.path for workload, _, _ in live_workloads(project))


def _drifting(project: Project) -> Iterator[str]:
    return (w.location.path for w, _ in project.in_scope()
            if not w.location.path.startswith(CLUSTER) and live_twin(project, w) is not None)


SUBJECTS: dict[str, Subject] = {s.name: s for s in (
    Subject("workers", "Temporal Workers constructed in production code", _workers),
    Subject("worker-processes", "modules of processes that run a Worker", _worker_processes),
    Subject("workflows", "workflow classes in production code", _workflows),
    Subject("activities", "activity definitions in production code", _activities),
    Subject("activity-calls", "activity calls in production code", _activity_calls),
    Subject("clients", "Client.connect calls in production code", _clients),
    Subject("temporal-modules", "production Python modules that use Temporal", _temporal_modules),
    Subject("temporal-modules-and-tests", "Python modules that use Temporal, tests included",
            _temporal_modules_and_tests),
    Subject("python-modules", "production Python modules analysed", _python_modules),
    Subject("health-routes", "HTTP health and readiness routes", _health_routes),
    Subject("remote-clients", "Client.connect calls to an address off the host", _remote_clients),
    Subject("codec-clients", "Client.connect calls to a server elsewhere, with readable arguments", _codec_clients),
    Subject("workloads", "Kubernetes workloads of Temporal workers and servers", _workloads),
    Subject("worker-workloads", "Kubernetes workloads of Temporal workers", _worker_workloads),
    Subject("replicated-workloads", "replicated workloads of Temporal workers and servers whose floor no server "
            "rule judges", _replicated_workloads),
    Subject("server-services", "Temporal server services with a known replica count", _server_services),
    Subject("temporal-workloads", "Kubernetes workloads of Temporal workers, servers and clients",
            _temporal_workloads),
    Subject("env-holders", "Kubernetes workloads of Temporal workers, servers and clients, and production "
            "compose services", _env_holders),
    Subject("frontend-tls-servers", "Temporal server deployments whose frontend uses TLS", _frontend_tls),
    Subject("internode-tls-servers", "Temporal server deployments whose internode traffic uses TLS",
            _internode_tls),
    Subject("server-resource-blocks", "resources blocks of Temporal server services in Helm values",
            _resource_blocks),
    Subject("alert-rules", "alerting rules, in a scan with a Temporal server or Workers", _alert_rules),
    Subject("rollouts", "Deployments and Argo Rollouts of Temporal workers and servers", _rollouts),
    Subject("progressive-rollouts", "Argo Rollouts with a canary or blue-green strategy", _progressive_rollouts),
    Subject("autoscalers", "autoscalers of Temporal workloads", _autoscalers),
    Subject("linked-workloads", "Kubernetes workloads linked to the Worker code they run", _linked_workloads),
    Subject("compose-workers", "compose services linked to the Worker code they run", _compose_workers),
    Subject("worker-deployments", "workloads and compose services linked to the Worker code they run",
            _worker_deployments),
    Subject("servers", "Temporal server deployments (Helm values, operator clusters, manifests)", _servers),
    Subject("all-servers", "Temporal server deployments, compose services included", _all_servers),
    Subject("scripts", "scripts, Makefiles and CI workflow files, and compose services of workers", _scripts),
    Subject("scaled-workers", "autoscalers of Temporal worker workloads", _scaled_workers),
    Subject("backups", "database backups run by scripts, crontabs, CI steps and CronJobs", _backups),
    Subject("backup-schedules", "schedules of backups (crontab entries, CI workflow schedules, CronJobs)",
            _backup_schedules),
    Subject("local-dumps", "database dumps written to a local file or volume", _local_dumps),
    Subject("dated-dumps", "database dumps written to a new local file each run", _dated_dumps),
    Subject("deploy-steps", "CI/CD and script steps that deploy Temporal workloads", _deploy_steps),
    Subject("backlog-scalers", "KEDA Temporal triggers of worker workloads", _backlog_scalers),
    Subject("spread-workloads", "replicated workloads of workers and servers that set spreading", _spread_workloads),
    Subject("schema-objects", "Kubernetes objects of built-in API groups, checked against their schema",
            _schema_objects),
    Subject("running-worker-workloads", "Kubernetes workloads of Temporal workers whose pods keep polling",
            _running_worker_workloads),
    Subject("draining-worker-rollouts", "worker Deployments and Argo Rollouts that set terminationGracePeriodSeconds",
            _draining_worker_rollouts),
    Subject("analysed-rollouts", "Argo Rollouts whose analysis names templates", _analysed_rollouts),
    Subject("spreading-workloads", "workloads of workers and servers that set spreading", _spreading_workloads),
    Subject("probed-server", "the Temporal server the probe asked", _probed_server),
    Subject("reached-server", "the Temporal server the probe reached", _reached_server),
    Subject("remote-server", "the Temporal server the probe reached on another host", _remote_server),
    Subject("shard-values", "shard counts in the scan, with a server reached", _shard_values),
    Subject("probed-queues", "task queues of the code, on a server the probe reached", _probed_queues),
    Subject("probed-cluster", "the Kubernetes cluster the probe asked", _probed_cluster),
    Subject("live-workloads", "live workloads of Temporal workers and servers", _live_workloads),
    Subject("deployed-manifests", "workload manifests with a live twin in the cluster", _drifting),
    Subject("capacity-carriers", "worker workloads carrying a load of the capacity profile", load_carriers),
    Subject("capacity-memory-pods", "worker workloads carrying a load that states activity-memory",
            sized_pods("activity_memory")),
    Subject("capacity-cpu-pods", "worker workloads carrying a load that states activity-cpu",
            sized_pods("activity_cpu")),
    Subject("capacity-databases", "databases in the scan that a Temporal server stores in, with a capacity profile",
            temporal_databases),
    Subject("temporal-databases", "PostgreSQL databases in the scan that serve a Temporal server", database_subjects),
    Subject("backup-target-databases", "operator PostgreSQL clusters of a Temporal server with a backup target",
            scheduled_backup_subjects),
)}

# The subject family of each rule (engine rules TPR000-TPR003 report on the run, not on a subject).
RULE_SUBJECTS: dict[str, str] = {
    "TPR101": "workers", "TPR102": "workers", "TPR103": "worker-processes", "TPR104": "worker-processes",
    "TPR105": "temporal-modules", "TPR106": "workers", "TPR107": "activities", "TPR108": "workers",
    "TPR109": "health-routes",
    "TPR201": "activity-calls", "TPR202": "activity-calls", "TPR203": "activity-calls", "TPR204": "activity-calls",
    "TPR205": "activities", "TPR206": "activities",
    "TPR210": "workflows", "TPR211": "workflows", "TPR212": "workflows", "TPR213": "workflows",
    "TPR230": "workflows", "TPR231": "temporal-modules", "TPR232": "workers", "TPR233": "python-modules",
    "TPR250": "workflows", "TPR251": "temporal-modules-and-tests",
    "TPR301": "remote-clients", "TPR302": "python-modules", "TPR303": "clients", "TPR304": "codec-clients",
    "TPR305": "codec-clients", "TPR306": "workers",
    "TPR401": "worker-workloads", "TPR402": "workloads", "TPR403": "workloads", "TPR404": "workloads",
    "TPR405": "workloads", "TPR406": "replicated-workloads", "TPR407": "workloads", "TPR408": "rollouts",
    "TPR409": "workloads", "TPR410": "autoscalers", "TPR411": "workloads", "TPR412": "env-holders",
    "TPR413": "workloads", "TPR414": "progressive-rollouts", "TPR415": "workloads",
    "TPR501": "server-services", "TPR502": "servers", "TPR503": "all-servers", "TPR504": "servers", "TPR505": "servers",
    "TPR506": "servers", "TPR507": "servers", "TPR508": "servers", "TPR509": "all-servers",
    "TPR510": "all-servers", "TPR511": "servers", "TPR512": "servers", "TPR513": "servers",
    "TPR601": "linked-workloads", "TPR602": "compose-workers", "TPR603": "worker-deployments",
    "TPR604": "worker-deployments",
    "TPR514": "frontend-tls-servers", "TPR515": "internode-tls-servers", "TPR516": "server-resource-blocks",
    "TPR910": "alert-rules", "TPR911": "servers",
    "TPR901": "servers", "TPR902": "servers", "TPR903": "scripts",
    "TPR904": "backups", "TPR905": "backup-schedules", "TPR906": "local-dumps", "TPR907": "dated-dumps",
    "TPR908": "deploy-steps",
    "TPR520": "temporal-databases", "TPR521": "temporal-databases", "TPR522": "temporal-databases",
    "TPR523": "temporal-databases", "TPR524": "backup-target-databases",
    "TPR416": "scaled-workers", "TPR417": "backlog-scalers", "TPR418": "spread-workloads", "TPR430": "schema-objects",
    "TPR419": "running-worker-workloads", "TPR420": "draining-worker-rollouts", "TPR421": "rollouts",
    "TPR422": "analysed-rollouts", "TPR423": "spreading-workloads",
    "TPR701": "probed-server", "TPR702": "remote-server", "TPR703": "reached-server", "TPR704": "reached-server",
    "TPR705": "shard-values", "TPR706": "reached-server", "TPR710": "probed-queues", "TPR711": "probed-queues",
    "TPR712": "probed-queues", "TPR713": "probed-queues", "TPR714": "probed-queues", "TPR715": "probed-queues",
    "TPR720": "reached-server", "TPR801": "probed-cluster", "TPR802": "live-workloads", "TPR803": "live-workloads",
    "TPR804": "live-workloads", "TPR805": "live-workloads", "TPR806": "deployed-manifests",
    "TPR950": "capacity-carriers", "TPR951": "capacity-memory-pods", "TPR952": "capacity-cpu-pods",
    "TPR953": "capacity-databases",
}


def applied(project: Project, rule_ids: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """The files of the subjects each rule met, one entry per subject (each family looked for once,
    however many rules share it). Paths, not counts: a run of `tprlint PATH` analyses PATH's whole
    project but reports on PATH alone, so the engine keeps only the subjects inside PATH."""
    found: dict[str, tuple[str, ...]] = {}
    for family in {RULE_SUBJECTS[r] for r in rule_ids if r in RULE_SUBJECTS}:
        found[family] = tuple(sorted(SUBJECTS[family].find(project)))
    return {r: found[RULE_SUBJECTS[r]] for r in rule_ids if r in RULE_SUBJECTS}
