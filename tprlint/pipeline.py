"""The pipeline: read → extract facts (parallel, cached) → link → rules → suppress → sorted findings."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tprlint.cache import FactsCache
from tprlint.catalog import load_catalog
from tprlint.config import Config
from tprlint.discover import FileKind, SourceFile
from tprlint.discover.imports import import_words
from tprlint.discover.walk import MAX_FILE_BYTES, Candidate, read_sources
from tprlint.facts.extract import FileFacts, ParseError, extract_file
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.names import module_key_for, suffix_index
from tprlint.facts.temporal_server import build_server_project
from tprlint.helm.stage import HelmStage
from tprlint.link.python_project import PythonProject
from tprlint.model import Finding, Location, RuleMeta
from tprlint.result_cache import RunResult
from tprlint.rules import REGISTRY
from tprlint.rules.context import Hit, Project, is_test_path
from tprlint.suppress.comments import parse_annotation
from tprlint.suppress.unknown import IGNORE_ANNOTATION, unknown_suppressions

PARALLEL_THRESHOLD = 200  # below this many files to parse, a process pool costs more than it saves


def analyse(candidates: list[Candidate], config: Config, rules: tuple[str, ...], cache_dir: Path | None,
            jobs: int | None = None) -> RunResult:
    catalog = load_catalog()
    sources = read_sources(candidates)
    cache = FactsCache(cache_dir) if cache_dir else None
    if cache:
        cache.load()
    helm = HelmStage(sources, config, cache)  # charts render in a child process while the rest is parsed
    extractor = _Extractor(cache, jobs)
    try:
        facts = extractor.extract([s for s in helm.remaining if s.kind is not FileKind.PYTHON_OTHER])
        facts += _imported_python(facts, [s for s in sources if s.kind is FileKind.PYTHON_OTHER], extractor)
    finally:
        extractor.close()
    charts = helm.finish()
    facts += charts.facts
    if cache:
        cache.save()

    python_keys = [module_key_for(s.display) for s in sources if s.kind in (FileKind.PYTHON, FileKind.PYTHON_OTHER)]
    project = build_project(facts, config, python_keys)
    findings = [_finding(rule_id, hit, catalog, config) for rule_id in rules if rule_id in REGISTRY
                for hit in REGISTRY[rule_id](project)]
    if "TPR001" in rules:
        findings += [_finding("TPR001", _parse_error_hit(f.error), catalog, config) for f in facts if f.error]
    if "TPR002" in rules:
        findings += [_finding("TPR002", hit, catalog, config) for hit in charts.hits]
    charts.annotate(findings)
    if "TPR003" in rules:
        findings += [_finding("TPR003", hit, catalog, config)
                     for hit in unknown_suppressions(facts, project.workloads, set(catalog),
                                                     [s for c in project.compose_configs for s in c.services])]
    _suppress(findings, facts, project, config)
    findings.sort(key=Finding.sort_key)
    return RunResult(findings, len(sources), rules, parsed=extractor.parsed, cache_hits=extractor.hits,
                     timings={f"helm render {chart}": seconds for chart, seconds in charts.timings.items()})


def build_project(facts: Iterable[FileFacts], config: Config, python_keys: Iterable[str] = ()) -> Project:
    facts = list(facts)
    project = Project(
        python=PythonProject(
            (f.python for f in facts if f.python is not None), python_keys,
            (script for f in facts if f.pyproject is not None for script in f.pyproject.scripts),
        ),
        dockerfiles=[f.dockerfile for f in facts if f.dockerfile is not None],
        config=config,
    )
    for f in facts:
        if f.kube is not None:
            project.workloads += f.kube.workloads
            project.scale_targets += f.kube.scale_targets
            project.budgets += f.kube.budgets
            project.network_policies += f.kube.network_policies
            project.image_overrides += f.kube.image_overrides
        if f.compose is not None:
            project.compose.append(f.compose)
    project.temporal_servers = build_server_project(
        (f.temporal for f in facts if f.temporal is not None), (f.path for f in facts),
        project.workloads, project.budgets, project.replica_floor,
    )
    return project


class _Extractor:
    def __init__(self, cache: FactsCache | None, jobs: int | None) -> None:
        self.cache = cache
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.parsed = 0
        self.hits = 0
        self._pool: ProcessPoolExecutor | None = None  # started once, shared by the import rounds

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def extract(self, sources: list[SourceFile]) -> list[FileFacts]:
        results: dict[str, FileFacts] = {}
        misses: list[SourceFile] = []
        for source in sources:
            if source.too_large:
                results[source.display] = _too_large(source)
                continue
            cached = self.cache.get(FactsCache.key(source)) if self.cache else None
            if isinstance(cached, FileFacts) and cached.path == source.display:
                results[source.display] = cached
                self.hits += 1
            else:
                misses.append(source)
        for source, facts in zip(misses, self._run(misses), strict=True):
            results[source.display] = facts
            if self.cache:
                self.cache.put(FactsCache.key(source), facts)
        self.parsed += len(misses)
        return [results[s.display] for s in sources]

    def _run(self, sources: list[SourceFile]) -> list[FileFacts]:
        work = [(s.display, s.kind, s.data) for s in sources]
        # Once the pool runs (the first pass was big), later import rounds use it for smaller batches too.
        threshold = PARALLEL_THRESHOLD if self._pool is None else PARALLEL_THRESHOLD // 8
        if len(work) < threshold or self.jobs <= 1:
            return [extract_file(*item) for item in work]
        chunk = max(16, len(work) // (self.jobs * 4))
        batches = [work[i : i + chunk] for i in range(0, len(work), chunk)]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs)
        return [facts for batch in self._pool.map(_extract_batch, batches) for facts in batch]


def _extract_batch(batch: list[tuple[str, FileKind, bytes]]) -> list[FileFacts]:
    return [extract_file(*item) for item in batch]


def _imported_python(parsed: list[FileFacts], others: list[SourceFile], extractor: _Extractor) -> list[FileFacts]:
    """Parse the other Python modules that relevant ones import (constants, helpers, entry chains)."""
    pending = {module_key_for(s.display): s for s in others}
    suffixes = suffix_index(pending)
    added: list[FileFacts] = []
    # Modules reached because they import a module that builds or runs a Worker: the chain from a
    # process entrypoint down to the Worker goes through them, so they are followed in turn.
    upward: set[str] = set()
    workflow_helpers: set[str] = set()  # modules workflow code imports, directly or through helpers
    frontier = [f.python for f in parsed if f.python is not None and _follows(f.python, upward)]
    for _ in range(_MAX_IMPORT_ROUNDS):
        if not frontier or not pending:
            break
        wanted: set[str] = set()
        for module in frontier:  # modules they import (constants, helpers, factories)...
            for imported in module.imports:
                keys = {k for k in _candidate_keys(imported.key, imported.names, suffixes) if k in pending}
                wanted |= keys
                if module.workflow_classes or module.key in workflow_helpers:
                    # Workflow code runs whatever its helpers call: follow helpers of helpers too.
                    workflow_helpers |= keys
        # ...and production modules that import Worker builders and runners: calls to project
        # factories and entry chains may sit in files that never mention temporalio. Following
        # every helper upwards (or downwards) would parse the whole monorepo.
        stems = _module_stems(m.key for m in frontier if m.workers or m.runs or m.key in upward)
        if stems:
            found = {key for key, source in pending.items()
                     if not stems.isdisjoint(import_words(source)) and not is_test_path(source.display)}
            upward |= found
            wanted |= found
        new = extractor.extract([pending.pop(key) for key in sorted(wanted)])
        added += new
        frontier = [f.python for f in new if f.python is not None and _follows(f.python, upward | workflow_helpers)]
    return [f for f in added if f.error is None]  # a broken unrelated module is not ours to report


def _follows(module: PythonFacts, upward: set[str]) -> bool:
    """Whether a module's imports are worth parsing: it touches Temporal, signals or a Worker chain.
    Test modules are not production processes; plain scripts that never reach Temporal do not matter."""
    if is_test_path(module.path):
        return False
    touches = module.mentions_temporal or module.workers or module.runs or module.signal_handlers
    return bool(touches) or module.key in upward


_MAX_IMPORT_ROUNDS = 4


def _module_stems(keys: Iterable[str]) -> frozenset[bytes]:
    """The last part of each module's name: what an import of it must mention."""
    return frozenset(key.rsplit("/", 1)[-1].encode() for key in keys) - {b"", b"__main__"}


def _candidate_keys(key: str, names: tuple[str, ...], suffixes: dict[str, list[str]]) -> list[str]:
    bases = [key] + [f"{key}/{n}" if key.startswith("path:") else f"{key}.{n}" for n in names]
    found: list[str] = []
    for base in bases:
        if base.startswith("path:"):
            found.append(base)
        else:
            found += suffixes.get(base[len("mod:"):].replace(".", "/"), [])
    return found


def _too_large(source: SourceFile) -> FileFacts:
    facts = FileFacts(source.display, source.kind)
    limit = MAX_FILE_BYTES // (1024 * 1024)
    facts.error = ParseError(Location(source.display), f"file is larger than {limit} MiB; not analysed")
    return facts


def _parse_error_hit(error: ParseError | None) -> Hit:
    assert error is not None
    return Hit(error.location, f"{error.message}. The file was skipped; every other file was still analysed.")


def _finding(rule_id: str, hit: Hit, catalog: Mapping[str, RuleMeta], config: Config) -> Finding:
    severity = dict(config.severity).get(rule_id, catalog[rule_id].severity)
    return Finding(rule_id, severity, hit.message, hit.location, hit.related, hit.anchor, hit.redact_source)


def _suppress(findings: list[Finding], facts: list[FileFacts], project: Project, config: Config) -> None:
    by_path = {f.path: f.suppressions for f in facts}
    annotations: dict[str, tuple[str, ...]] = {}
    for workload in project.workloads:
        ignored = [parse_annotation(a[IGNORE_ANNOTATION]) for a in (workload.annotations, workload.pod_annotations)
                   if IGNORE_ANNOTATION in a]
        if ignored:
            annotations[workload.ref] = tuple(r for group in ignored for r in group)
    for compose in project.compose_configs:  # compose services carry the same key as a label
        for service in compose.services:
            if IGNORE_ANNOTATION in service.labels:
                labelled = parse_annotation(service.labels[IGNORE_ANNOTATION])
                annotations[service.ref] = annotations.get(service.ref, ()) + labelled
    for finding in findings:
        comments = by_path.get(finding.location.path)
        comment = comments.match(finding.rule_id, finding.location.line) if comments else None
        if comment is not None:
            finding.suppressed_by = f"comment at line {comment.line}"
            continue
        workload_ref = finding.anchor.split("/")[:3]
        rules = annotations.get("/".join(workload_ref))
        if rules and any(r == "*" or finding.rule_id.startswith(r) for r in rules):
            finding.suppressed_by = f"annotation {IGNORE_ANNOTATION}"
            continue
        for pattern, ids in config.per_file_ignores:
            if _path_matches(finding.location.path, pattern, config.root) and any(
                finding.rule_id.startswith(i) for i in ids
            ):
                finding.suppressed_by = f"per-file-ignores {pattern!r} in {config.path}"
                break


def _path_matches(path: str, pattern: str, root: Path) -> bool:
    absolute = Path(path).resolve()
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        relative = path
    return fnmatch.fnmatch(relative, pattern) or bool(re.fullmatch(fnmatch.translate(pattern), path))


__all__ = ["analyse", "build_project"]
