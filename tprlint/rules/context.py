"""What rules see: the linked project. Built once per run; rules only read it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from functools import cached_property, lru_cache
from typing import TypeVar, cast

from tprlint.config import Config
from tprlint.devsetup import is_dev_path, says_production
from tprlint.facts.backups import BackupJob
from tprlint.facts.capacity import CapacityFacts
from tprlint.facts.compose import ComposeConfig, ComposeFile
from tprlint.facts.compose_chains import ComposeChain
from tprlint.facts.compose_projects import compose_configs
from tprlint.facts.database import DatabaseFacts
from tprlint.facts.dockerfile import DockerfileFacts
from tprlint.facts.kube_rollouts import AnalysisTemplate
from tprlint.facts.kubernetes import DisruptionBudget, ImageOverride, NetworkPolicy, ScaleTarget, Workload
from tprlint.facts.schema import ObjectSchema
from tprlint.facts.scripts import ScriptFacts
from tprlint.facts.temporal_server import ServerProject
from tprlint.link.compose_links import ComposeLink, link_compose
from tprlint.link.python_project import PythonProject, ResolvedWorker
from tprlint.link.workloads import SERVER_IMAGES, WorkloadLink, link_workloads, worker_reason
from tprlint.live.snapshot import LiveSnapshot
from tprlint.model import Location, RelatedLocation, Undecided
from tprlint.records import mutable

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")

_T = TypeVar("_T")


@lru_cache(maxsize=8192)
def is_test_path(path: str) -> bool:
    """Test code (tests/, test_*.py, *_test.py, conftest.py). Cached: rules ask about the same few
    hundred paths tens of thousands of times."""
    return bool(_TEST_PATH.search(path))


@mutable
class Hit:
    """What a rule reports; the engine adds the rule id and severity."""

    location: Location
    message: str
    related: tuple[RelatedLocation, ...] = ()
    anchor: str = ""
    redact_source: bool = False


@mutable
class Project:
    python: PythonProject
    workloads: list[Workload] = field(default_factory=list)
    scale_targets: list[ScaleTarget] = field(default_factory=list)
    budgets: list[DisruptionBudget] = field(default_factory=list)
    dockerfiles: list[DockerfileFacts] = field(default_factory=list)
    config: Config = field(default_factory=Config)
    network_policies: list[NetworkPolicy] = field(default_factory=list)
    image_overrides: list[ImageOverride] = field(default_factory=list)  # kustomize `images:`, Skaffold
    analysis_templates: list[AnalysisTemplate] = field(default_factory=list)  # Argo Rollouts' templates
    compose: list[ComposeFile] = field(default_factory=list)  # one per compose file; see compose_configs
    compose_chains: list[ComposeChain] = field(default_factory=list)  # COMPOSE_FILE, -f chains in scripts
    scripts: list[ScriptFacts] = field(default_factory=list)  # commands of scripts, Makefiles, CI files
    backup_jobs: list[BackupJob] = field(default_factory=list)  # backup CronJobs of manifests
    capacity: list[CapacityFacts] = field(default_factory=list)  # autoscaler maxima, database storage, retention
    databases: list[DatabaseFacts] = field(default_factory=list)  # PostgreSQL clusters, poolers (TPR52x)
    schema: list[ObjectSchema] = field(default_factory=list)  # built-in objects checked against their schema (TPR430)
    # Temporal server deployments (Helm values, operator clusters, server manifests) and ops evidence
    temporal_servers: ServerProject = field(default_factory=ServerProject)
    # What a rule could not decide: a silent skip must never look like a pass.
    not_checked: list[Undecided] = field(default_factory=list)
    # What the live probe saw (tprlint.live): None when no probe ran; the live rules apply to nothing then.
    live: LiveSnapshot | None = None
    # What several rules derive from the same facts, computed once (see ``derived``). Not an init field: a
    # world made with dataclasses.replace (the cluster's) starts with its own.
    _derived: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, key: str, compute: Callable[[Project], _T]) -> _T:
        """``compute(self)``, once per project: for derived facts that several rules and subjects ask for."""
        if key not in self._derived:
            self._derived[key] = compute(self)
        return cast(_T, self._derived[key])

    def undecided(self, rule_id: str, what: str, why: str, location: Location | None = None,
                  gate: bool = False) -> None:
        entry = Undecided(rule_id, what, why, location, gate)
        # A set beside the list: rules say the same undecided thing once per subject, hundreds of times.
        seen = cast("set[Undecided]", self._derived.setdefault("undecided entries", set()))
        if len(seen) != len(self.not_checked):  # the list was built or changed elsewhere (another world's)
            seen.clear()
            seen.update(self.not_checked)
        if entry not in seen:
            seen.add(entry)
            self.not_checked.append(entry)

    @cached_property
    def links(self) -> list[WorkloadLink]:
        return link_workloads(self.workloads, self.dockerfiles, self.python, self.config.links)

    @cached_property
    def compose_configs(self) -> list[ComposeConfig]:
        """The compose files merged as `docker compose` runs them (base + override, base + variant)."""
        return compose_configs(self.compose, self.compose_chains)

    @cached_property
    def compose_links(self) -> list[ComposeLink]:
        return link_compose(self.compose_configs, self.dockerfiles, self.python)

    def links_of(self, workload: Workload) -> list[WorkloadLink]:
        return [link for link in self.links if link.workload is workload]

    def workers_run_by(self, module_key: str) -> list[ResolvedWorker]:
        if module_key not in self.python.modules:
            return []  # an entry module beyond the entry chains followed: what it runs is not known
        return [w for w in self.python.workers_in(self.python.closure(module_key)) if not is_test_path(w.location.path)]

    def worker_links(self, workload: Workload) -> list[tuple[WorkloadLink, list[ResolvedWorker]]]:
        found = []
        for link in self.links_of(workload):
            workers = self.workers_run_by(link.module)
            if workers:
                found.append((link, workers))
        return found

    def development(self, workload: Workload) -> bool:
        """A workload of a development set-up (tilt/, kind/, examples/...): not held to production
        standards by any rule, unless its own name or namespace says production (or scope = all)."""
        dev = is_dev_path(workload.location.path) or bool(workload.overlay and is_dev_path(workload.overlay))
        return self.config.scope != "all" and dev and not says_production(workload.name, workload.namespace)

    def classification(self, workload: Workload) -> str | None:
        """Why a workload is in scope of the workload rules ("Temporal worker", ...), or None."""
        if self.development(workload):
            return None
        reason = worker_reason(workload, linked=bool(self.worker_links(workload)))
        if reason:
            return f"Temporal worker: {reason}"
        if any(image in c.image for c in workload.containers for image in SERVER_IMAGES):
            return "Temporal server component"
        if self.config.scope == "all":
            return "scope = all"
        return None

    @cached_property
    def _in_scope(self) -> list[tuple[Workload, str]]:
        return [(w, reason) for w in self.workloads if (reason := self.classification(w))]

    def in_scope(self) -> list[tuple[Workload, str]]:
        return self._in_scope

    def temporal_clients(self) -> list[tuple[Workload, str]]:
        """Workloads out of scope that talk to Temporal (TEMPORAL_* settings) without polling: an API
        server, a CronJob that starts workflows. Judged by the rules about credentials, never as workers."""
        judged = {id(workload) for workload, _ in self._in_scope}
        return [(w, "Temporal client: its containers have TEMPORAL_* environment variables")
                for w in self.workloads if id(w) not in judged
                and any(e.name.startswith("TEMPORAL_") for c in (*w.containers, *w.init_containers) for e in c.env)]

    def replica_floor(self, workload: Workload) -> tuple[int, str, Location | None]:
        """The fewest pods that can be running: an autoscaler's minimum overrides spec.replicas."""
        for target in self.scale_targets:
            if (target.target_name == workload.name and target.target_kind == workload.kind
                    and (target.namespace or "default") == (workload.namespace or "default")):
                what = "minReplicaCount" if target.kind == "ScaledObject" else "minReplicas"
                where = target.min_location or target.location
                return target.min_replicas, f"{target.kind} {target.name} {what}: {target.min_replicas}", where
        if workload.replicas is None:
            return 1, "spec.replicas unset, default 1", workload.location
        return workload.replicas, f"spec.replicas: {workload.replicas}", workload.replicas_location
