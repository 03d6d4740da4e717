"""The probe inside a run: the cluster is listed while the scan reads files (its workloads become facts
like manifests), the Temporal server is asked once the code has said which task queues it uses.

``--wait`` looks again, every ``interval`` seconds, until the post-deployment rules find nothing or the
time runs out. A recorded snapshot (``--replay``, rule examples) is judged without any network call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from tprlint.facts.extract import FileFacts
from tprlint.live.options import ProbeSettings
from tprlint.live.snapshot import KubeState, LiveSnapshot, TemporalState

# The rules behind the post-deployment items that --wait waits for (a fail keeps it waiting).
WAIT_RULES = ("TPR701", "TPR710", "TPR712", "TPR714", "TPR720", "TPR802", "TPR804")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LiveRun:
    """One probe of a run: ``start`` before the scan, ``cluster_facts`` before linking, ``observe`` after."""

    def __init__(self, settings: ProbeSettings | None = None, recorded: LiveSnapshot | None = None) -> None:
        self.settings = settings
        self.recorded = recorded
        self.snapshot: LiveSnapshot | None = recorded
        self._kube: KubeState | None = recorded.kubernetes if recorded else None
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self.wanted: Callable[[str], bool] = lambda path: True  # the paths reported (the engine sets it)

    def start(self) -> None:
        """List the cluster in a thread: it waits on the network while the scan uses the CPUs."""
        if self.recorded is not None or self.settings is None or self.settings.kubernetes is None:
            return
        self._thread = threading.Thread(target=self._list_cluster, name="tprlint-kubernetes", daemon=True)
        self._thread.start()

    def _list_cluster(self) -> None:
        assert self.settings is not None and self.settings.kubernetes is not None
        from tprlint.live.kubernetes_probe import probe_kubernetes

        self._kube = probe_kubernetes(self.settings.kubernetes, self._started + self.settings.deadline)

    def cluster_facts(self) -> list[FileFacts]:
        """The live workloads, PDBs, autoscalers... as facts, for every workload rule to judge."""
        if self._thread is not None:
            assert self.settings is not None
            self._thread.join(max(0.0, self._started + self.settings.deadline + 1 - time.monotonic()))
            if self._thread.is_alive():  # the client ignored its timeouts: never wait past the deadline
                self._kube = _cluster_gone(self.settings, "the probe's deadline ran out before the cluster answered")
        if self._kube is None:
            return []
        from tprlint.live.objects import facts_of

        return facts_of(self._kube)

    def observe(self, queues: Callable[[], Iterable[str]], passes: Callable[[LiveSnapshot], bool]) -> LiveSnapshot:
        """The snapshot the rules judge. ``queues`` names the task queues of the code; ``passes`` says
        whether the post-deployment rules are satisfied with a snapshot (for --wait)."""
        if self.snapshot is not None:
            return self.snapshot
        assert self.settings is not None
        settings = self.settings
        names = sorted(set(queues()))
        since = _since(settings)
        ends = time.monotonic() + settings.wait
        attempts = 0
        while True:
            attempts += 1
            snapshot = self._look(settings, names, since, attempts)
            if settings.wait <= 0 or passes(snapshot) or time.monotonic() + settings.interval > ends:
                self.snapshot = snapshot
                return snapshot
            time.sleep(settings.interval)

    def _look(self, settings: ProbeSettings, queues: list[str], since: datetime, attempts: int) -> LiveSnapshot:
        deadline = time.monotonic() + settings.deadline
        kube = self._kube
        if attempts > 1 and settings.kubernetes is not None:  # status changes while --wait waits
            from tprlint.live.kubernetes_probe import probe_kubernetes

            kube = probe_kubernetes(settings.kubernetes, deadline)
        temporal: TemporalState | None = None
        if settings.temporal is not None:
            from tprlint.live.temporal_probe import probe_temporal

            temporal = probe_temporal(settings.temporal, queues, since, deadline)
        return LiveSnapshot(stamp(now_utc()), temporal, kube, deadline_hit=time.monotonic() > deadline,
                            attempts=attempts)


def _since(settings: ProbeSettings) -> datetime:
    if settings.since_time:
        return datetime.fromisoformat(settings.since_time.replace("Z", "+00:00")).astimezone(timezone.utc)
    return (now_utc() - timedelta(seconds=settings.since_seconds)).replace(microsecond=0)


def _cluster_gone(settings: ProbeSettings, why: str) -> KubeState:
    kube = settings.kubernetes
    assert kube is not None
    return KubeState(context=kube.context, server="", namespaces=kube.namespaces, error=why)


def with_snapshot(project: object, snapshot: LiveSnapshot) -> object:
    """A copy of the project that sees ``snapshot`` (for --wait's trial judgements)."""
    return replace(project, live=snapshot, not_checked=[])  # type: ignore[type-var]
