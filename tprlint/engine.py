"""A run: walk the tree, replay the last result if nothing it depends on changed, else run the pipeline.

The walk only lists files and their stat, so a run on an unchanged tree opens no scanned file and
imports none of the analysis code (facts, link, rules): ``tprlint.pipeline`` is imported on a miss.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tprlint.catalog import load_catalog
from tprlint.config import Config
from tprlint.discover.walk import find_candidates
from tprlint.model import RuleMeta
from tprlint.result_cache import ResultCache, RunResult, run_key

CACHE_DIR = ".tprlint_cache"


def selected_rules(config: Config, catalog: Mapping[str, RuleMeta]) -> tuple[str, ...]:
    chosen = [r for r in catalog if not config.select or any(r.startswith(s) for s in config.select)]
    chosen += [r for r in catalog if any(r.startswith(s) for s in config.extend_select) and r not in chosen]
    return tuple(sorted(r for r in chosen if not any(r.startswith(s) for s in config.ignore)))


def run(paths: list[Path], config: Config, use_cache: bool = True, jobs: int | None = None) -> RunResult:
    """Findings for ``paths``. ``use_cache`` reads and writes ``.tprlint_cache/`` beside the config."""
    rules = selected_rules(config, load_catalog())
    candidates = find_candidates(paths, config.exclude, exclude_root=config.root)
    results = ResultCache(config.root / CACHE_DIR) if use_cache else None
    key = run_key(paths, candidates, config, rules) if results else ""
    if results:
        replayed = results.replay(key)
        if replayed is not None:
            return replayed
    from tprlint.pipeline import analyse

    result = analyse(candidates, config, rules, config.root / CACHE_DIR if use_cache else None, jobs)
    if results:
        results.store(key, result)
    return result


__all__ = ["RunResult", "run", "selected_rules"]
