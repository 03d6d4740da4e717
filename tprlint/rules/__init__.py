"""Rules: small pure functions over the linked ``Project``, registered by id.

Each rule module exports ``RULES``: a mapping of rule id to a function ``(Project) -> Iterable[Hit]``.
Rule metadata (name, severity, docs, examples) lives in the catalogue, ``rules/TPRnnn.toml``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tprlint.rules import (
    activities,
    activity_bodies,
    activity_timeouts,
    autoscaling,
    backups,
    capacity,
    client,
    compose,
    cross_artifact,
    database,
    deploy_steps,
    determinism,
    forced_kills,
    kubernetes,
    kubernetes_policies,
    live_kubernetes,
    live_temporal,
    monitoring,
    process,
    python_worker,
    rollouts,
    schema,
    server_resources,
    server_tls,
    temporal_server,
    versioning,
)
from tprlint.rules.context import Hit, Project

RuleFunction = Callable[[Project], Iterable[Hit]]

# Produced by the engine itself rather than by a rule function.
ENGINE_RULES = frozenset({"TPR000", "TPR001", "TPR002", "TPR003"})

REGISTRY: dict[str, RuleFunction] = {
    **python_worker.RULES,
    **kubernetes.RULES,
    **kubernetes_policies.RULES,
    **cross_artifact.RULES,
    **compose.RULES,
    **determinism.RULES,
    **activities.RULES,
    **activity_bodies.RULES,
    **activity_timeouts.RULES,
    **client.RULES,
    **process.RULES,
    **versioning.RULES,
    **temporal_server.RULES,
    **database.RULES,
    **forced_kills.RULES,
    **backups.RULES,
    **deploy_steps.RULES,
    **autoscaling.RULES,
    **capacity.RULES,
    **rollouts.RULES,
    **live_temporal.RULES,
    **live_kubernetes.RULES,
    **server_tls.RULES,
    **server_resources.RULES,
    **monitoring.RULES,
    **schema.RULES,
    # TPR412 judges Kubernetes env (kubernetes_policies) and compose environments (compose) alike.
    "TPR412": compose.with_compose_part(kubernetes_policies.RULES["TPR412"], compose.compose_secret_in_plain_env),
}
