"""What alerting rules watch: the Temporal signals their expressions read.

The chapter names the signals an operator must be paged on: service errors (or the service being
down), persistence latency and errors, task queue schedule-to-start latency or backlog, and worker
slot exhaustion. An alert covers a signal when its expression - or a recording rule it reads, in the
same file - names one of the signal's metrics, with or without a metrics prefix (`temporal_`) or a
histogram suffix (`_bucket`): the match is on a part of the series name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Signal id -> what it is, for messages (the metrics are in _METRICS).
SIGNALS: dict[str, str] = {
    "service-errors": "service errors or availability (service_errors, service_error_with_type, or `up` of the "
                      "Temporal services)",
    "persistence-latency": "persistence latency (persistence_latency)",
    "persistence-errors": "persistence errors (persistence_errors, persistence_error_with_type)",
    "task-queue": "task queue schedule-to-start latency or backlog (temporal_workflow_task_schedule_to_start_latency, "
                  "temporal_activity_schedule_to_start_latency, approximate_backlog_count)",
    "worker-slots": "worker slot exhaustion (temporal_worker_task_slots_available)",
}

_METRICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("service-errors", ("service_errors", "service_error_with_type")),
    ("persistence-latency", ("persistence_latency",)),
    ("persistence-errors", ("persistence_errors", "persistence_error_with_type")),
    ("task-queue", ("schedule_to_start_latency", "approximate_backlog_count", "approximate_backlog_age")),
    ("worker-slots", ("worker_task_slots_available", "worker_task_slots_used")),
)
# Availability: the scrape target or the Deployment of a Temporal service is down.
_AVAILABILITY = ("up", "kube_deployment_status_replicas_available", "kube_deployment_status_replicas_unavailable")

_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_MAX_NODES = 20_000  # a hostile rule file cannot make the walk unbounded
_MAX_EXPRESSION = 20_000
_MAX_DEPTH = 4  # recording rules reading recording rules


def rule_signals(data: object) -> tuple[str, ...]:
    """The signals the alerting expressions in ``data`` (a rule file, a PrometheusRule or VMRule
    spec, a Grafana alert rule group) watch, in the order of ``SIGNALS``."""
    records: dict[str, str] = {}
    alerts: list[str] = []
    for node in _dicts(data):
        expr = node.get("expr")
        if not isinstance(expr, str):
            continue
        record = node.get("record")
        if isinstance(record, str):
            records[record] = expr[:_MAX_EXPRESSION]
        else:
            alerts.append(expr[:_MAX_EXPRESSION])
    return signals_of(alerts, records)


def signals_of(expressions: Iterable[str], records: dict[str, str] | None = None) -> tuple[str, ...]:
    found: set[str] = set()
    for expression in expressions:
        found.update(_expression_signals(expression, records or {}, 0))
    return tuple(s for s in SIGNALS if s in found)


def _expression_signals(expression: str, records: dict[str, str], depth: int) -> set[str]:
    found: set[str] = set()
    names = set(_NAME.findall(expression))
    for name in names:
        lowered = name.lower()
        for signal, metrics in _METRICS:
            if any(metric in lowered for metric in metrics):
                found.add(signal)
        if name in records and depth < _MAX_DEPTH:
            found |= _expression_signals(records[name], records, depth + 1)
    if names & set(_AVAILABILITY) and "temporal" in expression.lower():
        found.add("service-errors")
    return found


def _dicts(data: object) -> Iterator[dict[object, object]]:
    stack: list[object] = [data]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
