"""What the probe saw: plain dataclasses, written to and read from JSON (``--record``, rule examples).

Every field the probe could not fill says so: a ``None`` figure with an ``error`` that says why and what
to fix. Rules treat such a field as undecided (the checklist's ``unknown``), never as a pass.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from tprlint.records import frozen

SCHEMA = "tprlint-live/1"


@frozen
class Poller:
    """A worker polling a task queue (``describe_task_queue``'s ``pollers[]``)."""

    identity: str
    last_access: str = ""  # RFC 3339, UTC
    build_id: str = ""  # Worker Deployment version's build id, or the legacy worker_version's
    deployment_name: str = ""
    versioned: bool = False  # WORKER_VERSIONING_MODE_VERSIONED


@frozen
class QueueState:
    """One task queue of one type, as ``describe_task_queue`` answered."""

    name: str
    kind: str  # "workflow" or "activity"
    pollers: tuple[Poller, ...] = ()
    backlog_count: int | None = None  # approximate; None when the server did not report stats
    backlog_age_seconds: float | None = None
    error: str = ""  # why it could not be described


@frozen
class WorkflowCounts:
    """Closed workflow executions in the namespace since ``since`` (``count_workflows``)."""

    since: str  # RFC 3339, UTC
    completed: int | None = None
    failed: int | None = None
    timed_out: int | None = None
    terminated: int | None = None
    canceled: int | None = None
    error: str = ""  # visibility could not answer (no advanced visibility, a refusal...)


@frozen
class TemporalState:
    address: str
    namespace: str
    tls: bool
    error: str = ""  # the server could not be reached or refused us: what happened and what to do
    serving: bool | None = None  # gRPC health of the WorkflowService
    server_version: str = ""
    capabilities: tuple[str, ...] = ()  # get_system_info's capabilities that are true
    history_shard_count: int | None = None
    persistence_store: str = ""
    visibility_store: str = ""
    namespace_error: str = ""
    retention_seconds: float | None = None
    history_archival: str = ""  # "enabled", "disabled" or "" (unknown)
    visibility_archival: str = ""
    queues: tuple[QueueState, ...] = ()
    counts: WorkflowCounts | None = None
    # Calls that failed while the server was reachable (health, get_system_info, get_cluster_info): what and
    # why, so an empty figure above says why it is empty. Namespace, queue and count failures have their own.
    errors: tuple[str, ...] = ()


@frozen
class KubeError:
    """A list the cluster refused or could not answer: never a traceback, never a stop."""

    resource: str  # "deployments.apps", "scaledobjects.keda.sh"
    namespace: str  # "" for a cluster-wide list
    status: int | None  # HTTP status: 401, 403, 404 (resource not installed); None for timeouts
    message: str


@frozen
class KubeState:
    context: str  # kubeconfig context, or "in-cluster"
    server: str  # the API server's URL
    namespaces: tuple[str, ...]  # what was listed; () when every namespace was
    # Live objects as the API returned them (apiVersion, kind, metadata, spec, status), without
    # metadata.managedFields; Deployments, StatefulSets, Rollouts, PDBs, HPAs, ScaledObjects, NetworkPolicies.
    objects: tuple[dict[str, Any], ...] = ()
    # Pods: metadata (name, namespace, labels, ownerReferences), spec.containers[].image, status.
    pods: tuple[dict[str, Any], ...] = ()
    errors: tuple[KubeError, ...] = ()
    error: str = ""  # no configuration, or the API server could not be reached at all


@frozen
class LiveSnapshot:
    taken_at: str  # RFC 3339, UTC
    temporal: TemporalState | None = None
    kubernetes: KubeState | None = None
    deadline_hit: bool = False  # the probe's own deadline ran out: what is missing says why
    attempts: int = 1  # how many times --wait looked
    expected_build: str = ""  # --build-id: the build every task queue of the code must be polled by


def parse_stamp(text: object) -> datetime | None:
    """An RFC 3339 time of the snapshot or of the objects it holds (``Z`` or an offset); None otherwise.
    Python 3.10's ``fromisoformat`` does not read ``Z``."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def to_json(snapshot: LiveSnapshot) -> str:
    return json.dumps({"schema": SCHEMA, **asdict(snapshot)}, indent=2, sort_keys=True)


def from_json(text: str) -> LiveSnapshot:
    """A snapshot from ``to_json``'s text (or a rule example's); ValueError when it is not one."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict) or data.get("schema", SCHEMA) != SCHEMA:
        raise ValueError(f"not a {SCHEMA} snapshot")
    data.pop("schema", None)
    return _build(LiveSnapshot, data)


T = TypeVar("T")


def _build(cls: type[T], data: object) -> T:
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {unknown}")
    return cls(**{name: _value(hints[name], value) for name, value in data.items()})


def _value(hint: Any, value: object) -> Any:
    """``value`` as ``hint`` says, or ValueError: a recorded file is input like any other."""
    options = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    if value is None:
        if type(None) in options or hint is Any:
            return None
        raise ValueError(f"null where {hint} is expected")
    for option in options:
        if is_dataclass(option) and isinstance(value, dict):
            return _build(option, value)  # type: ignore[arg-type]
        if get_origin(option) is tuple and isinstance(value, list):
            item = get_args(option)[0]
            return tuple(_value(item, v) for v in value)
        if get_origin(option) is dict and isinstance(value, dict):
            return value  # a cluster object as the API gave it: the rules read it defensively
        if option is Any or (option is bool and isinstance(value, bool)):
            return value
        if option in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if option is float else value if isinstance(value, int) else _not(hint, value)
        if option is str and isinstance(value, str):
            return value
    return _not(hint, value)


def _not(hint: Any, value: object) -> Any:
    raise ValueError(f"{type(value).__name__} where {hint} is expected")


__all__ = ["KubeError", "KubeState", "LiveSnapshot", "Poller", "QueueState", "TemporalState", "WorkflowCounts",
           "from_json", "to_json"]
