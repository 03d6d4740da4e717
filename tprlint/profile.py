"""Where a run's time goes, stage by stage (``--profile`` or ``TPRLINT_PROFILE=1``)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TypeVar

# walk: list the candidate files (on Linux in a child process while this one starts loading the analysis
# code: the longer of the two); load: import the rest of that code (while the workers parse, for the
# linking and rule code); scan: read, classify and extract (through the cache); follow: parse the other
# modules that are needed; helm: wait for the charts; link, rules; report: write the cache and reports.
STAGES = ("walk", "load", "scan", "follow", "helm", "link", "rules", "report")
T = TypeVar("T")


def follow_all() -> bool:
    """``TPRLINT_FOLLOW_ALL=1``: parse every module the Temporal code imports, needed or not - the full
    scan the demand-driven one is checked against (slower; for a suspected miss)."""
    return os.environ.get("TPRLINT_FOLLOW_ALL", "") not in ("", "0")


class Profile:
    """Seconds per stage. ``lap`` closes the stage running since the last lap; ``timed`` times one
    step and moves the time spent parsing modules on demand inside it (``spent_following``) to
    "follow", where it belongs."""

    def __init__(self, spent_following: Callable[[], float] = lambda: 0.0) -> None:
        self.stages: dict[str, float] = {}
        self.spent_following = spent_following
        self._last = time.perf_counter()

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.add(stage, now - self._last)
        self._last = now

    def timed(self, stage: str, step: Callable[[], T], gap: str | None = None) -> T:
        """``step()``, timed under ``stage``; the time since the last lap goes to ``gap`` (else to
        ``stage``: the bookkeeping between two rules is judging too)."""
        self.lap(gap or stage)
        start, following = time.perf_counter(), self.spent_following()
        try:
            return step()
        finally:
            lazy = self.spent_following() - following
            self.add(stage, time.perf_counter() - start - lazy)
            self.add("follow", lazy)
            self._last = time.perf_counter()


def peak_memory() -> tuple[int, int]:
    """Peak resident memory, in bytes, of this process and of its largest finished child (a parse
    worker or the Helm renderer); (0, 0) where the platform does not say."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0, 0
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    own = _high_water_mark() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return own, children


def _high_water_mark() -> int:
    """This process's own peak (Linux's ``VmHWM``), in bytes; 0 where there is none. Linux carries
    ``ru_maxrss`` over ``exec``: started from a process holding 300 MB, tprlint would report 300 MB."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


_WHY = (
    ("temporal", "Python that mentions Temporal or signals"),
    ("importers", "modules importing a Worker module (entry chains)"),
    ("process", "modules of a worker process that may run it or handle signals"),
    ("credentials", "modules the Temporal code imports whose text may hold a credential"),
    ("needed", "modules an analysis needed a name from"),
    ("statements", "modules whose import statements could not be read alone"),
    ("other", "manifests, charts' values, compose files, Dockerfiles, ..."),
)


def render_profile(stages: dict[str, float], parsed_why: dict[str, int], files_scanned: int,
                   replayed: bool) -> str:
    """The ``--profile`` table: seconds per stage, files parsed and why, peak memory."""
    total = sum(stages.values()) or 1e-9
    lines = ["tprlint profile", f"  {'stage':<8} {'seconds':>8} {'share':>6}"]
    for stage in STAGES:
        if stage in stages:
            seconds = stages[stage]
            lines.append(f"  {stage:<8} {seconds:>8.3f} {seconds / total:>6.0%}")
    lines.append(f"  {'total':<8} {total:>8.3f}")
    if replayed:
        lines.append("  the last run's result was replayed: nothing it depends on changed, nothing was parsed")
    else:
        parsed = sum(parsed_why.values())
        lines.append(f"files: {files_scanned} scanned, {parsed} parsed "
                     "(the rest came from the cache or needed no parsing)")
        for key, label in _WHY:
            if parsed_why.get(key):
                lines.append(f"  {parsed_why[key]:>7}  {label}")
    own, child = peak_memory()
    if own:
        lines.append(f"peak memory: {own / 2**20:.0f} MB in this process, {child / 2**20:.0f} MB in the largest child")
    return "\n".join(lines) + "\n"


def wanted(flag: bool) -> bool:
    """``--profile``, or ``TPRLINT_PROFILE=1`` in the environment (for a run started by a wrapper)."""
    return flag or os.environ.get("TPRLINT_PROFILE", "") not in ("", "0")
