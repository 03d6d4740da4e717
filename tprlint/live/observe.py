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
from typing import TYPE_CHECKING

from tprlint.facts.extract import FileFacts
from tprlint.live.options import ProbeSettings
from tprlint.live.snapshot import KubeState, LiveSnapshot, TemporalState

if TYPE_CHECKING:
    from tprlint.rules.context import Project

# The rules behind the post-deployment items that --wait waits for (a fail keeps it waiting).
WAIT_RULES = ("TPR701", "TPR710", "TPR712", "TPR714", "TPR715", "TPR720", "TPR801", "TPR802", "TPR804")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LiveRun:
    """One probe of a run: ``start`` before the scan, ``observe`` once the code names its task queues,
    ``cluster_facts`` for the cluster's world.

    The cluster is listed in a thread (started with the run, and again for each --wait attempt) while the
    Temporal server is asked: the two share the attempt's deadline, and a listing that outlives it (an exec
    credential plugin that hangs) is given up, never waited for.
    """

    def __init__(self, settings: ProbeSettings | None = None, recorded: LiveSnapshot | None = None) -> None:
        self.settings = settings
        self.recorded = recorded
        self.snapshot: LiveSnapshot | None = recorded
        self.wanted: Callable[[str], bool] = lambda path: True  # the paths reported (the engine sets it)
        self._first: KubeState | None = recorded.kubernetes if recorded else None  # its objects are the facts
        self._listing: _Listing | None = None

    def start(self) -> None:
        if self.recorded is None and self.settings is not None and self.settings.kubernetes is not None:
            self._listing = _Listing(self.settings, time.monotonic() + self.settings.deadline)

    def cluster_facts(self) -> list[FileFacts]:
        """The live workloads, PDBs, autoscalers... of the first listing, as facts for the workload rules."""
        if self._first is None:
            return []
        from tprlint.live.objects import facts_of

        return facts_of(self._first)

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
            if attempts == 1:
                self._first = snapshot.kubernetes
            if settings.wait <= 0 or time.monotonic() + settings.interval > ends or passes(snapshot):
                self.snapshot = snapshot
                return snapshot
            time.sleep(settings.interval)

    def _look(self, settings: ProbeSettings, queues: list[str], since: datetime, attempts: int) -> LiveSnapshot:
        deadline = time.monotonic() + settings.deadline
        listing = self._listing if attempts == 1 else None
        if settings.kubernetes is not None and listing is None:  # status changes while --wait waits
            listing = _Listing(settings, deadline)
        temporal: TemporalState | None = None
        if settings.temporal is not None:
            from tprlint.live.temporal_probe import probe_temporal

            temporal = probe_temporal(settings.temporal, queues, since, deadline)
        kube = listing.result() if listing is not None else None
        return LiveSnapshot(stamp(now_utc()), temporal, kube, deadline_hit=time.monotonic() > deadline + 1,
                            attempts=attempts, expected_build=settings.build_id)


class _Listing:
    """The cluster listed in a daemon thread, its result waited for until its deadline only."""

    def __init__(self, settings: ProbeSettings, deadline: float) -> None:
        self._settings = settings
        self._deadline = deadline
        self._state: KubeState | None = None
        self._thread = threading.Thread(target=self._run, name="tprlint-kubernetes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import logging

        # The client logs an exec plugin's failure to the root logger, which Python prints raw on stderr when
        # nothing handles it: the probe says what failed itself, escaped.
        logging.getLogger().addHandler(logging.NullHandler())
        from tprlint.live.kubernetes_probe import probe_kubernetes

        assert self._settings.kubernetes is not None
        self._state = probe_kubernetes(self._settings.kubernetes, self._deadline)

    def result(self) -> KubeState:
        self._thread.join(max(0.0, self._deadline + 1 - time.monotonic()))
        if self._thread.is_alive() or self._state is None:  # the client ignored its timeouts: give it up
            return _cluster_gone(self._settings, "the probe's deadline ran out before the cluster answered (an "
                                                 "exec credential plugin that does not return?)")
        return self._state


def _since(settings: ProbeSettings) -> datetime:
    if settings.since_time:
        return datetime.fromisoformat(settings.since_time.replace("Z", "+00:00")).astimezone(timezone.utc)
    return (now_utc() - timedelta(seconds=settings.since_seconds)).replace(microsecond=0)


def _cluster_gone(settings: ProbeSettings, why: str) -> KubeState:
    kube = settings.kubernetes
    assert kube is not None
    return KubeState(context=kube.context, server="", namespaces=kube.namespaces, error=why)


def with_snapshot(project: Project, snapshot: LiveSnapshot) -> Project:
    """A copy of the project that sees ``snapshot`` (for --wait's trial judgements)."""
    return replace(project, live=snapshot, not_checked=[])
