"""Operations evidence around a Temporal server: backups (TPR901), alerting rules (TPR902), what the
alerts watch (TPR910) and dashboards (TPR911).

They read the evidence ``facts.temporal_server`` collects per file (backup jobs and operator backup
schedules, PrometheusRules and rule files with the signals their expressions read, Grafana
dashboard ConfigMaps and resources) and judge it once per project, against the server deployments
(and workers) of the scan. Evidence in test paths and development set-ups does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.devsetup import is_dev_path
from tprlint.facts.temporal_server import ServerConfig
from tprlint.facts.temporal_server.alerts import SIGNALS
from tprlint.facts.temporal_server.files import Evidence
from tprlint.rules.backups import backup_schedules
from tprlint.rules.context import Hit, Project, is_test_path


def _judged(project: Project) -> list[ServerConfig]:
    return [c for c in project.temporal_servers.judged() if not is_test_path(c.location.path)]


def _counted(evidence: list[Evidence]) -> list[Evidence]:
    return [e for e in evidence if not (is_test_path(e.location.path) or is_dev_path(e.location.path))]


# --- TPR901 / TPR902 -------------------------------------------------------------------------

# Database hosts whose provider takes automated backups by default: a backup job in the repository
# is not the only evidence there.
_MANAGED_HOSTS = (".rds.amazonaws.com", ".cassandra.", "keyspaces", ".database.azure.com", ".cosmos.azure.com",
                  ".aivencloud.com", ".datastax.com", ".cockroachlabs.cloud", ".neon.tech", ".supabase.co",
                  ".elastic-cloud.com", ".es.io", ".aws.found.io", ".aiven.io", "cloudsql")


def _managed(config: ServerConfig) -> bool:
    hosts = config.hosts
    return bool(hosts) and all(any(marker in host.lower() for marker in _MANAGED_HOSTS) for host in hosts)


def _first(project: Project) -> ServerConfig | None:
    configs = _judged(project)
    return configs[0] if configs else None


def no_backup_job(project: Project) -> Iterator[Hit]:
    """TPR901."""
    first = _first(project)
    if first is None or project.temporal_servers.backups:
        return
    if next(backup_schedules(project), None) is not None:
        return  # a crontab entry or scheduled CI job runs a dump: TPR904-TPR907 judge how well
    if all(_managed(c) for c in _judged(project)):
        return  # every store is a managed database service with its own automated backups
    yield Hit(
        first.location,
        f"A Temporal server is deployed here ({first.name}), but no database backup job is in the scanned "
        "manifests or scripts: no CronJob running pg_dump, mysqldump, cqlsh/nodetool snapshot or medusa, no "
        "Velero Schedule, no database-operator backup schedule, no crontab entry or scheduled CI job that runs a "
        "dump. The persistence database is the only copy of every "
        "workflow's state and history. Automate backups (and test restores), or record where they are taken "
        "(a managed database service, another repository) by suppressing this note.",
        anchor="project/TPR901",
    )


def no_alerting_rules(project: Project) -> Iterator[Hit]:
    """TPR902."""
    first = _first(project)
    if first is None or project.temporal_servers.alerts:
        return
    yield Hit(
        first.location,
        f"A Temporal server is deployed here ({first.name}), but no alerting rules are in the scanned "
        "manifests (no PrometheusRule, no Prometheus rule file). Alert at least on frontend error rate and "
        "latency (service_errors, service_latency), persistence errors and latency, shard lock contention "
        "(semaphore_latency), task-queue backlog / schedule-to-start latency, and pods restarting. If alerts "
        "live elsewhere (a monitoring repository), suppress this note.",
        anchor="project/TPR902",
    )


# --- TPR910 ----------------------------------------------------------------------------------

_SERVER_SIGNALS = ("service-errors", "persistence-latency", "persistence-errors", "task-queue")
_WORKER_SIGNALS = ("task-queue", "worker-slots")


def required_signals(project: Project) -> tuple[str, ...]:
    """The signals the chapter asks alerts on, for what the scan deploys: the server's own signals
    when a server is deployed here, the workers' (SDK metrics) when the scan holds Workers."""
    wanted: set[str] = set()
    if _judged(project):
        wanted.update(_SERVER_SIGNALS)
    if any(not is_test_path(w.location.path) for w in project.python.workers):
        wanted.update(_WORKER_SIGNALS)
    return tuple(s for s in SIGNALS if s in wanted)


def alert_rules(project: Project) -> list[Evidence]:
    """Alerting rules TPR910 judges: in production paths, when there is something to watch."""
    return _counted(project.temporal_servers.alerts) if required_signals(project) else []


def alerts_miss_signals(project: Project) -> Iterator[Hit]:
    """TPR910."""
    alerts = alert_rules(project)
    if not alerts:
        return  # no alerting rules at all is TPR902's
    covered = {s for e in alerts for s in e.signals}
    missing = [s for s in required_signals(project) if s not in covered]
    if not missing:
        return
    shown = ", ".join(e.what for e in alerts[:3]) + (f" and {len(alerts) - 3} more" if len(alerts) > 3 else "")
    watched = ", ".join(SIGNALS[s].split(" (")[0] for s in SIGNALS if s in covered) or "none of them"
    yield Hit(
        alerts[0].location,
        f"The alerting rules in the scan ({shown}) do not watch {len(missing)} of the signals a Temporal "
        f"deployment must be paged on: {'; '.join(SIGNALS[s] for s in missing)}. They watch: {watched}. An "
        "outage there (a failing database, a task queue nobody polls, workers out of slots) then shows up "
        "first as users' complaints. Add alerts on the missing signals (github.com/temporalio/dashboards "
        "lists the metrics), or suppress this note where it points if they live in another repository.",
        anchor="project/TPR910",
    )


# --- TPR911 ----------------------------------------------------------------------------------


def no_dashboards(project: Project) -> Iterator[Hit]:
    """TPR911."""
    configs = _judged(project)
    if not configs or _counted(project.temporal_servers.dashboards):
        return
    if any(c.bundled_dashboards is not None for c in configs):
        return  # the legacy chart's grafana sub-chart provisions the Temporal dashboards
    first = configs[0]
    yield Hit(
        first.location,
        f"A Temporal server is deployed here ({first.name}), but no Grafana dashboard is in the scan: no "
        "ConfigMap labelled grafana_dashboard, no GrafanaDashboard resource. Without dashboards for the "
        "frontend, history, matching and persistence (and the workers' SDK metrics) an incident starts "
        "with building the graphs. Provision the server and SDK dashboards of github.com/temporalio/dashboards "
        "(a ConfigMap the Grafana sidecar loads, or a GrafanaDashboard); if they live in another repository, "
        "suppress this note.",
        anchor="project/TPR911",
    )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR901": no_backup_job,
    "TPR902": no_alerting_rules,
    "TPR910": alerts_miss_signals,
    "TPR911": no_dashboards,
}

__all__ = ["RULES", "alert_rules", "required_signals"]
