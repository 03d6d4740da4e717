"""The project's Temporal servers: every source turned into ``ServerConfig``s."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from tprlint.facts.kubernetes import DisruptionBudget, Workload
from tprlint.facts.temporal_server.files import TemporalFileFacts
from tprlint.facts.temporal_server.from_manifests import backup_cronjobs, config_from_text, configs_from_manifests
from tprlint.facts.temporal_server.from_operator import config_from_operator
from tprlint.facts.temporal_server.from_values import config_from_values
from tprlint.facts.temporal_server.model import ReplicaFloor, ServerProject
from tprlint.facts.temporal_server.variants import values_variants

# --- project assembly ------------------------------------------------------------------------



def build_server_project(files: Iterable[TemporalFileFacts], paths: Iterable[str], workloads: list[Workload],
                         budgets: list[DisruptionBudget], replica_floor: ReplicaFloor) -> ServerProject:
    files = list(files)
    project = ServerProject()
    for facts in files:
        for item in facts.evidence:
            getattr(project, {"backup": "backups", "alerts": "alerts", "monitor": "monitors",
                                    "dashboard": "dashboards", "exposure": "exposures"}[item.kind]).append(item)
    project.backups += backup_cronjobs(workloads)
    chart_dirs = {posixpath.dirname(p) for p in paths if posixpath.basename(p) == "Chart.yaml"}
    for variant in values_variants(files, chart_dirs):
        config = config_from_values(variant, budgets, bool(project.monitors))
        if config is not None:
            project.configs.append(config)
    for facts in files:
        for cluster in facts.clusters:
            project.configs.append(config_from_operator(cluster, budgets))
    helm = any(c.kind == "helm-values" for c in project.configs)
    operator = any(c.kind == "operator" for c in project.configs)
    project.configs += configs_from_manifests(workloads, replica_floor, skip_chart=helm, skip_operator=operator)
    for facts in files:
        for text in facts.configs:
            if not (helm and text.chart_rendered):
                project.configs.append(config_from_text(text))
    project.configs.sort(key=lambda c: (c.location.path, c.location.line, c.name))
    return project
