"""A run: walk the tree, replay the last result if nothing it depends on changed, else run the pipeline.

The walk only lists files and their stat, so a run on an unchanged tree opens no scanned file. On Linux
it runs in a child process while this one loads the analysis code (facts, link, rules), as far as the
walk leaves time for (``discover.background``): a replayed run never waits for that code. On a miss the
scan starts first (``tprlint.scan``), and ``tprlint.pipeline`` loads while it runs.

The cache lives outside the scanned tree (``tprlint.cache_store``): a ``.tprlint_cache/`` folder
committed to a repository is never read.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tprlint.catalog import load_catalog
from tprlint.config import Config
from tprlint.deadline import Deadline
from tprlint.discover.background import walk_while_importing
from tprlint.discover.context import reported, scan_roots
from tprlint.discover.walk import find_candidates
from tprlint.live.paths import is_live_path
from tprlint.model import SUBJECT_TAG, Finding, RuleMeta
from tprlint.result_cache import ResultCache, RunResult, run_key

if TYPE_CHECKING:
    from tprlint.discover.walk import Candidate
    from tprlint.helm.early import EarlyRender
    from tprlint.live.observe import LiveRun


# What a run that is not replayed imports, in the order it needs them, leaves first: loaded while the walk
# runs in a child process (``walk_while_importing``), as far as the walk leaves time for.
ANALYSIS_CODE = (
    "tprlint.cache", "yaml", "tprlint.facts.python.extract", "tprlint.facts.kubernetes", "tprlint.facts.compose",
    "tprlint.facts.temporal_server", "tprlint.facts.backups", "tprlint.facts.extract",
    "tprlint.scan", "tprlint.helm.discover", "tprlint.rules", "tprlint.helm.stage", "tprlint.link.python_project",
    "tprlint.pipeline",
)


def selected_rules(config: Config, catalog: Mapping[str, RuleMeta]) -> tuple[str, ...]:
    chosen = [r for r in catalog if not config.select or any(r.startswith(s) for s in config.select)]
    chosen += [r for r in catalog if any(r.startswith(s) for s in config.extend_select) and r not in chosen]
    return tuple(sorted(r for r in chosen if not any(r.startswith(s) for s in config.ignore)))


def cache_folder(config: Config, cache_dir: Path | None) -> Path | None:
    """This project's cache folder, or None (with a one-line note) when it cannot be trusted."""
    from tprlint.cache_store import CacheRefused, base_dir, open_project_dir

    try:
        return open_project_dir(base_dir(cache_dir), config.root)
    except CacheRefused as exc:
        note = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(exc))  # no terminal escapes
        print(f"tprlint: note: running without a cache: {note}", file=sys.stderr)
        return None


def run(paths: list[Path], config: Config, use_cache: bool = True, jobs: int | None = None,
        cache_dir: Path | None = None, timeout: float | None = None, live: LiveRun | None = None) -> RunResult:
    """Findings for ``paths``. ``use_cache`` reads and writes the project's cache folder: under
    ``cache_dir`` if given, else ``$TPRLINT_CACHE_DIR``, else the per-user cache folder. ``live`` probes
    the running system too (tprlint.live); such a run is never replayed nor stored, only its facts are."""
    from tprlint.profile import Profile

    profile = Profile()
    deadline = Deadline(timeout)
    rules = selected_rules(config, load_catalog())
    # PATH is analysed in its project's context; only PATH's findings are reported (see discover.context).
    roots = scan_roots(paths, config.root if config.path else None)
    candidates = walk_while_importing(lambda: find_candidates(roots, config.exclude, exclude_root=config.root),
                                      ANALYSIS_CODE)
    folder = cache_folder(config, cache_dir) if use_cache else None
    results = ResultCache(folder) if folder and live is None else None
    key = run_key(paths, candidates, config, rules) if results else ""
    profile.lap("walk")
    if results:
        replayed = results.replay(key)
        if replayed is not None:
            replayed.stages = profile.stages
            return replayed
    from tprlint.cache import FactsCache

    cache = FactsCache(folder) if folder else None
    if cache:
        cache.load()
    early = _start_early(candidates, config, deadline) if cache is None or cache.empty else None
    scanner = None
    try:
        # The facts code next: the worker processes fork with it loaded and start reading at once...
        from tprlint.helm.discover import is_chart_file
        from tprlint.scan import Scanner

        profile.lap("load")

        scanner = Scanner(cache, jobs, deadline, yielding=early is not None)
        if live is not None:
            live.wanted = requested(paths)  # --wait waits for what is reported
            live.start()
        scanner.start([c for c in candidates if not is_chart_file(c.display)])
        # Helm renders in a child process of its own, started before this process loads the linking and
        # rule code: the render is one long job, the parse is many short ones that the workers share out.
        from tprlint.helm.stage import start_helm

        helm = start_helm(candidates, config, cache, early)
        analyse = profile.timed("load", _pipeline, gap="scan")
        result = analyse(candidates, scanner, config, rules, live, profile, helm)
    finally:
        if scanner is not None:
            scanner.close()
        if early is not None:
            early.cancel()  # a no-op once the Helm stage has collected it
    result = _only_requested(result, paths)
    # A file that could not be read may be readable next time, and a run out of time did not finish.
    if results and not scanner.unreadable and not result.incomplete:
        results.store(key, result)
    return result


def _start_early(candidates: list[Candidate], config: Config, deadline: Deadline) -> EarlyRender | None:
    """Nothing rendered is cached: Helm starts now, on the core the import of the facts code leaves idle.
    Whatever goes wrong here is left to the Helm stage, which meets it again and reports it (TPR000)."""
    from tprlint.helm.early import start_early

    try:
        return start_early(candidates, config, deadline)
    except Exception:
        return None


def _pipeline() -> Callable[..., RunResult]:
    from tprlint.pipeline import analyse

    return analyse


def requested(paths: list[Path]) -> Callable[[str], bool]:
    """Is a finding's path in the paths asked for (or the run's own ".", or a live place)?"""
    asked = [os.path.realpath(p) for p in paths]
    here = os.path.realpath(os.getcwd())
    # The usual `tprlint .`: a path shown relative to the current folder, with no `.` or `..` part, is in
    # it (any other is resolved: a values file named `deploy/../../v.yaml` may lead out).
    all_here = here in asked and os.sep == "/"

    def wanted(path: str) -> bool:
        if all_here and not path.startswith("/") and "/." not in "/" + path:
            return True
        # Candidates are named from the resolved roots down, links inside the tree unresolved: so are these.
        return path == "." or is_live_path(path) or reported(os.path.normpath(os.path.join(here, path)), asked)

    return wanted


def _only_requested(result: RunResult, paths: list[Path]) -> RunResult:
    """The findings placed in the paths asked for (and those of the run itself, placed at ".")."""
    requested_path = requested(paths)

    def wanted(finding: Finding) -> bool:
        return requested_path(finding.location.path)

    def inside(path: str) -> bool:
        return requested_path(path.split(SUBJECT_TAG, 1)[0])

    kept = [f for f in result.findings if wanted(f)]
    # What the rules applied to and could not decide counts for the checklist only inside those paths too;
    # a finding left out may still be about them (a SIGTERM handler missing from a module outside PATH):
    # its rule gives no pass.
    applied = {rule_id: tuple(p for p in paths if inside(p)) for rule_id, paths in result.applied.items()}
    undecided = tuple(u for u in result.not_checked if u.location is None or inside(u.location.path))
    outside = Counter(f.rule_id for f in result.findings if not f.is_suppressed and not wanted(f))
    if (len(kept), applied, undecided) == (len(result.findings), result.applied, result.not_checked):
        return result
    return replace(result, findings=kept, applied=applied, not_checked=undecided, outside=dict(outside))


__all__ = ["RunResult", "run", "selected_rules"]
