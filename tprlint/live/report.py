"""After a probe: what `tprlint probe` reports, the summary of what the probe saw, and ``--record``."""

from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tprlint.facts.kubernetes import literal_secret
from tprlint.live import is_live_rule
from tprlint.live.options import ProbeConfigError
from tprlint.live.paths import is_live_path
from tprlint.live.snapshot import LiveSnapshot, to_json
from tprlint.model import Finding
from tprlint.result_cache import RunResult

if TYPE_CHECKING:
    from tprlint.live.observe import LiveRun

_REDACTED = "<redacted by tprlint>"


def after_probe(result: RunResult, live: LiveRun, args: argparse.Namespace, probe_only: bool) -> RunResult:
    snapshot = live.snapshot
    if snapshot is not None:
        if not args.quiet:
            from tprlint.report.text import printable

            skipped = live.settings.kube_skipped if live.settings is not None else ""
            for line in summary(snapshot, skipped):
                print(f"tprlint: {printable(line)}", file=sys.stderr)
        if args.record:
            try:
                args.record.write_text(to_json(redacted(snapshot)) + "\n", encoding="utf-8")
            except OSError as exc:
                raise ProbeConfigError(f"--record: cannot write {args.record}: {exc.strerror}") from None
    if not probe_only:
        return result
    # `tprlint probe` reports what the probe found; the static findings are `tprlint PATHS`'s.
    kept = [f for f in result.findings if _live(f)]
    return replace(result, findings=kept, not_checked=tuple(u for u in result.not_checked if is_live_rule(u.rule_id)))


def _live(finding: Finding) -> bool:
    if finding.rule_id == "TPR000":
        return True  # an internal error always shows: the run is incomplete
    if finding.rule_id == "TPR001":
        return finding.location.path == "."  # the run's time limit, not a file of the repository
    return is_live_rule(finding.rule_id) or is_live_path(finding.location.path)


def summary(snapshot: LiveSnapshot, kube_skipped: str = "") -> list[str]:
    """What the probe saw, a line per system: figures that are not findings are worth seeing too."""
    lines = []
    temporal = snapshot.temporal
    if temporal is not None:
        tls = "TLS" if temporal.tls else "no TLS"
        head = f"probed Temporal at {temporal.address} (namespace {temporal.namespace}, {tls})"
        if temporal.error:
            lines.append(f"{head}: not reached")
        else:
            retention = (f"retention {_days(temporal.retention_seconds)}" if temporal.retention_seconds is not None
                         else "retention unknown")
            archival = f"history archival {temporal.history_archival}" if temporal.history_archival else ""
            stores = "/".join(s for s in (temporal.persistence_store, temporal.visibility_store) if s)
            shards = (f"{temporal.history_shard_count} history shard{'s' if temporal.history_shard_count != 1 else ''}"
                      if temporal.history_shard_count is not None else "shards unknown")
            parts = [f"server {temporal.server_version or 'version unknown'}", shards, stores and f"stores {stores}",
                     retention, archival]
            lines.append(f"{head}: " + ", ".join(p for p in parts if p))
            names = sorted({q.name for q in temporal.queues})
            for name in names:
                kinds = [q for q in temporal.queues if q.name == name]
                described = ", ".join(f"{q.kind} {len(q.pollers)} poller{'s' if len(q.pollers) != 1 else ''}"
                                      + (f" backlog {q.backlog_count}" if q.backlog_count else "")
                                      if not q.error else f"{q.kind} not described" for q in kinds)
                lines.append(f"  task queue {name}: {described}")
            if temporal.counts is not None:
                c = temporal.counts
                lines.append(f"  workflows closed since {c.since}: " + (
                    f"could not count ({c.error})" if c.error else
                    f"{c.completed} completed, {c.failed} failed, {c.timed_out} timed out, {c.terminated} terminated, "
                    f"{c.canceled} canceled"))
    kube = snapshot.kubernetes
    if kube is not None:
        head = f"probed Kubernetes {kube.context or 'current context'}"
        if kube.error:
            lines.append(f"{head}: not reached")
        else:
            where = ", ".join(kube.namespaces) or "its namespace"
            lines.append(f"{head} ({where}): {len(kube.objects)} objects, {len(kube.pods)} pods, "
                         f"{len(kube.errors)} list{'s' if len(kube.errors) != 1 else ''} refused or missing")
    elif kube_skipped:
        lines.append(f"Kubernetes not probed: {kube_skipped}")
    if snapshot.attempts > 1:
        lines.append(f"--wait: {snapshot.attempts} attempts")
    return lines


def _days(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds >= 86400 and seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{seconds / 3600:g} h"


def redacted(snapshot: LiveSnapshot) -> LiveSnapshot:
    """The snapshot without credentials the cluster's objects hold in plain env values (a recorded file
    is stored, and stored files never hold a secret). A replay then misses the finding about that value."""
    kube = snapshot.kubernetes
    if kube is None:
        return snapshot
    return replace(snapshot, kubernetes=replace(kube, objects=tuple(_without_secrets(o) for o in kube.objects)))


def _without_secrets(obj: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(obj)
    stack: list[Any] = [copied]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            env = node.get("env")
            if isinstance(env, list):
                for var in env:
                    if (isinstance(var, dict) and isinstance(var.get("value"), str)
                            and isinstance(var.get("name"), str) and literal_secret(var["name"], var["value"])):
                        var["value"] = _REDACTED
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return copied


def undecided_live(result: RunResult, wanted_rules: frozenset[str] | None = None) -> list[str]:
    """The live checks the probe tried to make and could not (refused, not answered, cut short): a gate
    must not pass on them. One line each, for stderr."""
    return [f"{u.rule_id} could not check {u.what}: {u.why}" for u in result.not_checked
            if u.gate and (wanted_rules is None or u.rule_id in wanted_rules)]
