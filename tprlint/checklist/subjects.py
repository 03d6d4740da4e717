"""What each rule applies to, counted in the linked project.

A checklist item passes only when a rule behind it met something it judges and found nothing wrong: a
rule that ran over a tree without any Worker says nothing about shutdown timeouts. Each rule names one
subject family here; a family counts the things its rules look at, with the same filters they use (test
code and development set-ups are not judged, so they are not counted either).

The table is checked against the rules' own examples (``tests/test_checklist_catalog.py``): every bad
example, which makes its rule fire, must count at least one subject of that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tprlint.facts.compose import ComposeService, is_dev_service
from tprlint.link.compose_links import production_configs
from tprlint.rules.activities import production_calls
from tprlint.rules.client import worker_process_modules
from tprlint.rules.compose import image_parts
from tprlint.rules.context import Project, is_test_path

Counter = Callable[[Project], int]

_SERVER_IMAGES = ("temporalio/server", "temporalio/auto-setup", "temporalio/admin-tools", "temporalio/ui")
_SERVER_COMMANDS = ("start-dev", "temporalite")


@dataclass(frozen=True)
class Subject:
    name: str
    description: str  # what is counted, for `tprlint checklist --rules` and the reports
    count: Counter


def _workers(project: Project) -> int:
    return sum(1 for w in project.python.workers if not is_test_path(w.location.path))


def _worker_processes(project: Project) -> int:
    return len(worker_process_modules(project))


def _workflows(project: Project) -> int:
    return sum(len(m.workflow_classes) for m in project.python.modules.values() if not is_test_path(m.path))


def _activities(project: Project) -> int:
    return sum(len(m.activity.definitions) for m in project.python.modules.values() if not is_test_path(m.path))


def _activity_calls(project: Project) -> int:
    return sum(1 for _ in production_calls(project))


def _clients(project: Project) -> int:
    return sum(len(m.client.connects) for m in project.python.modules.values() if not is_test_path(m.path))


def _python_modules(project: Project) -> int:
    return sum(1 for m in project.python.modules.values() if not is_test_path(m.path))


def _health_routes(project: Project) -> int:
    return sum(len(m.process.health_routes) for m in project.python.modules.values() if not is_test_path(m.path))


def _workloads(project: Project) -> int:
    return len(project.in_scope())


def _temporal_workloads(project: Project) -> int:
    return len(project.in_scope()) + len(project.temporal_clients())


def _rollouts(project: Project) -> int:
    return sum(1 for w, _ in project.in_scope() if w.kind in ("Deployment", "Rollout"))


def _progressive_rollouts(project: Project) -> int:
    return sum(1 for w, _ in project.in_scope() if w.kind == "Rollout" and w.strategy_type in ("canary", "blueGreen"))


def _autoscalers(project: Project) -> int:
    judged = {(w.kind, w.name) for w, _ in project.in_scope()}
    return sum(1 for t in project.scale_targets if (t.target_kind, t.target_name) in judged)


def _linked_workloads(project: Project) -> int:
    return sum(1 for w in project.workloads if not project.development(w) and project.worker_links(w))


def _compose_workers(project: Project) -> int:
    return sum(1 for link in project.compose_links if project.workers_run_by(link.module))


def _worker_deployments(project: Project) -> int:
    return _linked_workloads(project) + _compose_workers(project)


def _servers(project: Project) -> int:
    return sum(1 for c in project.temporal_servers.judged() if not is_test_path(c.location.path))


def _compose_servers(project: Project) -> int:
    return sum(1 for config in production_configs(project.compose_configs) for service in config.services
               if not is_dev_service(service) and _runs_server(service))


def _runs_server(service: ComposeService) -> bool:
    repository = image_parts(service.image)[0] if service.image else ""
    if repository and any(repository == r or repository.endswith("/" + r) for r in _SERVER_IMAGES):
        return True
    words = " ".join((*(service.entrypoint or ()), *(service.command or ()))).lower()
    return any(command in words for command in _SERVER_COMMANDS)


def _all_servers(project: Project) -> int:
    return _servers(project) + _compose_servers(project)


SUBJECTS: dict[str, Subject] = {s.name: s for s in (
    Subject("workers", "Temporal Workers constructed in production code", _workers),
    Subject("worker-processes", "modules of processes that run a Worker", _worker_processes),
    Subject("workflows", "workflow classes in production code", _workflows),
    Subject("activities", "activity definitions in production code", _activities),
    Subject("activity-calls", "activity calls in production code", _activity_calls),
    Subject("clients", "Client.connect calls in production code", _clients),
    Subject("python-modules", "production Python modules analysed", _python_modules),
    Subject("health-routes", "HTTP health and readiness routes", _health_routes),
    Subject("workloads", "Kubernetes workloads of Temporal workers and servers", _workloads),
    Subject("temporal-workloads", "Kubernetes workloads of Temporal workers, servers and clients",
            _temporal_workloads),
    Subject("rollouts", "Deployments and Argo Rollouts of Temporal workers and servers", _rollouts),
    Subject("progressive-rollouts", "Argo Rollouts with a canary or blue-green strategy", _progressive_rollouts),
    Subject("autoscalers", "autoscalers of Temporal workloads", _autoscalers),
    Subject("linked-workloads", "Kubernetes workloads linked to the Worker code they run", _linked_workloads),
    Subject("compose-workers", "compose services linked to the Worker code they run", _compose_workers),
    Subject("worker-deployments", "workloads and compose services linked to the Worker code they run",
            _worker_deployments),
    Subject("servers", "Temporal server deployments (Helm values, operator clusters, manifests)", _servers),
    Subject("all-servers", "Temporal server deployments, compose services included", _all_servers),
)}

# The subject family of each rule (engine rules TPR000-TPR003 report on the run, not on a subject).
RULE_SUBJECTS: dict[str, str] = {
    "TPR101": "workers", "TPR102": "workers", "TPR103": "worker-processes", "TPR104": "worker-processes",
    "TPR105": "workers", "TPR106": "workers", "TPR107": "workers", "TPR108": "workers",
    "TPR109": "health-routes",
    "TPR201": "activity-calls", "TPR202": "activity-calls", "TPR203": "activity-calls", "TPR204": "activity-calls",
    "TPR205": "activities", "TPR206": "activities",
    "TPR210": "workflows", "TPR211": "workflows", "TPR212": "workflows", "TPR213": "workflows",
    "TPR230": "workflows", "TPR231": "workers", "TPR232": "workers", "TPR233": "python-modules",
    "TPR250": "workflows", "TPR251": "workflows",
    "TPR301": "clients", "TPR302": "python-modules", "TPR303": "clients", "TPR304": "clients",
    "TPR305": "clients", "TPR306": "workers",
    "TPR401": "workloads", "TPR402": "workloads", "TPR403": "workloads", "TPR404": "workloads",
    "TPR405": "workloads", "TPR406": "workloads", "TPR407": "workloads", "TPR408": "rollouts",
    "TPR409": "workloads", "TPR410": "autoscalers", "TPR411": "workloads", "TPR412": "temporal-workloads",
    "TPR413": "workloads", "TPR414": "progressive-rollouts", "TPR415": "workloads",
    "TPR501": "servers", "TPR502": "servers", "TPR503": "all-servers", "TPR504": "servers", "TPR505": "servers",
    "TPR506": "servers", "TPR507": "servers", "TPR508": "servers", "TPR509": "all-servers",
    "TPR510": "all-servers", "TPR511": "servers", "TPR512": "servers", "TPR513": "servers",
    "TPR601": "linked-workloads", "TPR602": "compose-workers", "TPR603": "worker-deployments",
    "TPR604": "worker-deployments",
    "TPR901": "servers", "TPR902": "servers",
}


def applied(project: Project, rule_ids: tuple[str, ...] | list[str]) -> dict[str, int]:
    """How many subjects each rule met (each family counted once, however many rules share it)."""
    counts: dict[str, int] = {}
    for family in {RULE_SUBJECTS[r] for r in rule_ids if r in RULE_SUBJECTS}:
        counts[family] = SUBJECTS[family].count(project)
    return {r: counts[RULE_SUBJECTS[r]] for r in rule_ids if r in RULE_SUBJECTS}
