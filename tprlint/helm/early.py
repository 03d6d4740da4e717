"""Start rendering charts as soon as the walk has found them, before tprlint loads its analysis code.

On a cold run the main process spends its first quarter second importing the code the parse workers
fork with, and one of two cores has nothing to do. The Helm child needs none of that code: started
here, it loads Helm and renders while the import runs. The values are read here, with tprlint's own
limits, so that Helm is never handed a file tprlint refuses (such a chart is left to the stage, which
reports it); the stage takes them as read. ``tprlint.helm.stage`` later computes every chart's render
key as usual and takes the result started here when the keys match; when they do not, it renders the
chart itself, so an early start can only waste a render, never change one.

Only a run with no cached renders starts early: a warm run finds its charts in the cache, and
rendering them here would be work thrown away.
"""

from __future__ import annotations

import os
from pathlib import Path

from tprlint.config import Config
from tprlint.deadline import Deadline
from tprlint.discover.read import inside
from tprlint.discover.walk import Candidate, read_sources
from tprlint.helm.discover import ChartDir, find_charts, is_chart_file, values_files_for, vendored
from tprlint.helm.render import (
    PendingRender,
    RenderJob,
    RenderLimits,
    discard,
    render_key,
    spawn_child,
    start_render,
    tree_root,
)
from tprlint.helm.renderer import Renderer, find_renderer
from tprlint.helm.values import MergedValues, files_to_read, load_values, values_display
from tprlint.records import frozen, mutable


@frozen
class ReadEarly:
    """A chart started early: its values as read, and its render key."""

    values: MergedValues
    key: str


@mutable
class EarlyRender:
    """Renders started before the Helm stage: the stage takes the results of the keys it asks for."""

    pending: PendingRender
    keys: frozenset[str]
    # Each started chart by (chart folder, values files): the stage takes its values and key as they
    # are rather than read and hash the files twice.
    read: dict[tuple[str, tuple[str, ...]], ReadEarly]

    def cancel(self) -> None:
        """Stop the child if nothing collected it (the run failed before the Helm stage finished)."""
        self.pending.cancel()


def chart_values_files(chart: ChartDir, config: Config, root: str) -> list[Path]:
    """The ``-f`` files a chart renders with. The chart's own files (in its folder, links unresolved)
    that lead out of the scanned tree are not read; files named in the configuration are the user's."""
    own = os.path.abspath(chart.path) + os.sep
    return [f for f in values_files_for(chart, config.helm)
            if not os.path.abspath(f).startswith(own) or inside(str(f), root)]


def values_read(chart: ChartDir, files: list[Path], root: str) -> list[str]:
    """The values files ``load_values`` names when every one of them reads (when one does not, the
    chart is not rendered)."""
    return [values_display(p) for p in files_to_read(chart.path, files, root)]


def chart_render_key(chart: ChartDir, renderer: Renderer, files: list[Path], shown_values: list[str],
                     leave_out: list[str], root: str) -> str:
    """The key a chart's render is cached and matched under. Facts carry display paths, so the names of
    the values files read (``shown_values``) are part of it; their bytes are hashed by ``render_key``."""
    shown = "\0".join([chart.display, *shown_values])
    return render_key(chart.path, chart.release_name, files, renderer, leave_out, shown, root)


# What the early start may read before the parse workers start: the values read here are read by the
# main process alone (a monorepo's 50 charts of 220 KB values took 5 s); charts beyond it are rendered
# by the stage, their values read while the workers parse.
EARLY_VALUES_BYTES = 1 << 20


def start_early(candidates: list[Candidate], config: Config, deadline: Deadline | None = None) -> EarlyRender | None:
    """Renders of the charts among ``candidates`` that need nothing but their files to start: no
    dependency that is missing from ``charts/`` (whether Helm must leave it out depends on the values,
    which are read later), within ``EARLY_VALUES_BYTES`` of values and the run's time. None when there is
    nothing to start."""
    charts = [c for c in candidates if is_chart_file(c.display)]
    if not charts:
        return None
    renderer, _ = find_renderer()
    if renderer is None:
        return None
    # The renderer starts first: its interpreter and the Helm library load while the values are read.
    limits = RenderLimits()
    child = spawn_child(renderer, limits)
    try:
        jobs, read = _jobs(charts, renderer, config, deadline)
    except BaseException:
        discard(child)
        raise
    if not jobs:
        discard(child)
        return None
    return EarlyRender(start_render(renderer, jobs, limits, child), frozenset(job.key for job in jobs), read)


def _jobs(charts: list[Candidate], renderer: Renderer, config: Config, deadline: Deadline | None
          ) -> tuple[list[RenderJob], dict[tuple[str, tuple[str, ...]], ReadEarly]]:
    jobs: list[RenderJob] = []
    read: dict[tuple[str, tuple[str, ...]], ReadEarly] = {}
    budget = EARLY_VALUES_BYTES
    for chart in find_charts(read_sources(charts)):
        if chart.error or not all(vendored(chart, d) for d in chart.dependencies):
            continue
        root = tree_root(chart.path, config.root)
        files = chart_values_files(chart, config, root)
        budget -= sum(_size(p) for p in [chart.path / "values.yaml", *files])
        if budget < 0 or (deadline is not None and deadline.expired()):
            break
        # Read with tprlint's own limits first: Helm is never handed a values file tprlint refuses (the
        # stage reads it again and reports why, TPR002).
        values = load_values(chart.path, files, root=root)
        if values.problems:
            continue
        key = chart_render_key(chart, renderer, files, values.files, [], root)
        read[values_of(chart, files)] = ReadEarly(values, key)
        if key not in {job.key for job in jobs}:
            jobs.append(RenderJob(key, str(chart.path), chart.release_name, tuple(str(p) for p in files), (), root))
    return jobs, read


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def values_of(chart: ChartDir, files: list[Path]) -> tuple[str, tuple[str, ...]]:
    """What ``EarlyRender.read`` is keyed by."""
    return str(chart.path), tuple(str(p) for p in files)
