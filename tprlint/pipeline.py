"""The pipeline: read → extract facts (parallel, cached) → link → rules → suppress → sorted findings."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from tprlint.catalog import load_catalog
from tprlint.checklist.subjects import applied as applied_to
from tprlint.config import Config
from tprlint.discover import FileKind
from tprlint.discover.walk import UNLISTED_FOLDER, Candidate
from tprlint.facts.extract import FileFacts, ParseError
from tprlint.facts.python.names import module_key_for
from tprlint.facts.temporal_server import build_server_project
from tprlint.follow_imports import ModuleLoader, follow
from tprlint.helm.stage import HelmResult, HelmStage, start_helm
from tprlint.helm.variants import FindingKey, finding_key, new_in_world, worlds
from tprlint.internal import INTERNAL_ERROR, describe
from tprlint.link.kustomize import Overlay, in_overlay, name_overlays, overlays
from tprlint.link.python_project import ModuleSource, PythonProject
from tprlint.live.observe import LiveRun
from tprlint.live.snapshot import LiveSnapshot
from tprlint.model import Finding, Location, RuleMeta, Severity
from tprlint.profile import Profile, follow_all
from tprlint.result_cache import RunResult
from tprlint.rules import REGISTRY
from tprlint.rules.context import Hit, Project
from tprlint.scan import Scanner
from tprlint.suppress.comments import parse_annotation
from tprlint.suppress.unknown import IGNORE_ANNOTATION, unknown_suppressions

# What the cluster's world is judged with besides the live objects: the code and how it is built.
_CODE_KINDS = frozenset({FileKind.PYTHON, FileKind.PYTHON_OTHER, FileKind.DOCKERFILE, FileKind.PYPROJECT})


def analyse(candidates: list[Candidate], scanner: Scanner, config: Config, rules: tuple[str, ...],
            live: LiveRun | None = None, profile: Profile | None = None,
            helm: HelmStage | Exception | None = None) -> RunResult:
    """Findings for ``candidates``, whose files ``scanner`` has started reading, and whose charts ``helm``
    has started rendering (``start_helm``; started here when not given) - see tprlint.engine.

    Each stage and each rule runs inside a boundary: an exception there becomes a TPR000 finding
    (``tprlint.internal``) and the run goes on with what the other stages and rules found."""
    catalog = load_catalog()
    cache = scanner.cache
    failures: list[Hit] = []
    profile = profile or Profile()
    # Helm renders the charts in a child process while the workers parse the rest.
    started = helm if helm is not None else start_helm(candidates, config, cache)
    helm = _guarded(failures, "the Helm stage", None, partial(_started, started))
    # Following imports needs the Python files alone, which the workers read first: it runs while they
    # read the rest. Helm's output is read as soon as it is there, before if it comes first: this
    # process has nothing else to do while it waits.
    while helm is not None and not scanner.deadline.expired() and not scanner.python_read(timeout=0.005):
        if _guarded(failures, "the Helm stage", True, helm.rendered):
            _guarded(failures, "the Helm stage", None, partial(helm.collect, scanner.deadline))
            profile.lap("helm")
            break
    # Chart templates and vendored sub-charts are Helm's: their facts come from the rendered output.
    python = [s for s in scanner.results(python_only=True) if not (helm and helm.owns(s.display))]
    profile.lap("scan")
    python_keys = [module_key_for(s.display) for s in python if s.kind in (FileKind.PYTHON, FileKind.PYTHON_OTHER)]
    loader = ModuleLoader([s for s in python if s.kind is FileKind.PYTHON_OTHER], scanner)
    profile.spent_following = lambda: loader.seconds
    python_facts = [s.facts for s in python if s.facts is not None]
    nothing_followed: list[FileFacts] = []
    followed = _guarded(failures, "following imports", nothing_followed,
                        lambda: follow(python_facts, loader, python_keys, follow_all()))
    profile.lap("follow")
    if helm is not None:  # the charts' output is read while the workers read the other files
        _guarded(failures, "the Helm stage", None, partial(helm.collect, scanner.deadline))
        profile.lap("helm")
    scanned = [s for s in scanner.results() if not (helm and helm.owns(s.display))]
    scanner.close()
    profile.lap("scan")
    facts = [s.facts for s in scanned if s.facts is not None] + followed
    deadline = scanner.deadline
    charts = _guarded(failures, "the Helm stage", HelmResult(), lambda: helm.finish(
        {s.display for s in scanned if s.kind is not FileKind.SKIP}, deadline)) if helm else HelmResult()
    facts += charts.facts
    profile.lap("helm")
    # Charts rendered only with their ci values files, and kustomize overlays: each variant is judged
    # on its own, beside everything else (one world per variant; a single world when there are none).
    findings: list[Finding] = []
    projects: list[Project] = []
    seen: set[FindingKey] = set()
    chart_worlds = worlds(charts.variants)
    built: list[Overlay | None] = _guarded(failures, "building kustomize overlays", [], lambda: list(overlays(facts)))
    built = built or [None]
    profile.lap("link")
    overlay_of: dict[int, tuple[FindingKey, Overlay]] = {}
    applied: dict[str, tuple[str, ...]] = {}  # the files of the subjects each rule met, in any world
    in_overlays: dict[FindingKey, list[str]] = {}

    def judge(project: Project) -> list[Finding]:
        projects.append(project)
        world_findings: list[Finding] = []
        for rule_id in rules:
            if rule_id in REGISTRY and deadline.expired():
                if rule_id not in deadline.skipped_rules:
                    deadline.skipped_rules.append(rule_id)
            elif rule_id in REGISTRY:
                no_hits: list[Hit] = []
                hits = profile.timed("rules", partial(
                    _guarded, failures, f"rule {rule_id}", no_hits, partial(_run_rule, rule_id, project)))
                world_findings += [_finding(rule_id, hit, catalog, config) for hit in hits]
        ran = [r for r in rules if r in REGISTRY and r not in deadline.skipped_rules]
        nothing: dict[str, tuple[str, ...]] = {}
        met = profile.timed("rules", partial(
            _guarded, failures, "finding what the rules applied to", nothing, partial(applied_to, project, ran)))
        for rule_id, paths in met.items():  # a subject in several worlds is one subject
            applied[rule_id] = tuple(sorted({*applied.get(rule_id, ()), *paths}))
        return world_findings

    # The live cluster is a world of its own: its objects with the code, never with the repository's
    # manifests (a PDB that exists only in the cluster must not hide the repository's missing one).
    cluster: list[Project] = []

    def cluster_world() -> Project:
        if not cluster:
            assert live is not None
            code = [f for f in facts if f.kind in _CODE_KINDS]
            live_facts: list[FileFacts] = _guarded(failures, "the cluster probe", [], live.cluster_facts)
            facts_of_cluster.extend(live_facts)
            cluster.append(_guarded(failures, "linking code to the cluster", None,
                                    partial(build_project, code + live_facts, config, python_keys, loader=loader))
                           or build_project([], config))
        return cluster[0]

    facts_of_cluster: list[FileFacts] = []
    for k in range(max(len(chart_worlds), len(built))):
        world, overlay = chart_worlds[min(k, len(chart_worlds) - 1)], built[min(k, len(built) - 1)]
        judged = facts + [f for variant in world for f in variant.facts]
        project = profile.timed("link", partial(_guarded, failures, "linking code to deployments", None,
                                                partial(build_project, judged, config, python_keys, overlay, loader)))
        if project is None:
            project = build_project([], config)
        if live is not None:
            project.live = _guarded(failures, "the live probe", None,
                                    partial(_observe, live, project, cluster_world, rules))
        world_findings = judge(project)
        if overlay is not None:
            for finding in world_findings:
                overlay_of.setdefault(id(finding), (finding_key(finding), overlay))
                in_overlays.setdefault(finding_key(finding), []).append(overlay.folder)
        findings += new_in_world(world_findings, world, seen)
    if live is not None and live.snapshot is not None and live.snapshot.kubernetes is not None:
        live_project = _guarded(failures, "linking code to the cluster", None, cluster_world)
        if live_project is not None:
            live_project.live = live.snapshot
            findings += new_in_world(judge(live_project), [], seen)
    facts += facts_of_cluster  # their internal errors are reported like any file's
    if len(built) > 1:
        name_overlays(findings, overlay_of, in_overlays, [o.folder for o in built if o is not None])
    project = _every_world(projects)
    parse_errors = [f.error for f in facts if f.error]
    if "TPR001" in rules:
        # A chart file the Helm stage could not use is its TPR002 (which says what the chart lost), once.
        said_by_chart = {hit.location.path for hit in charts.hits} if "TPR002" in rules else set()
        findings += [_finding("TPR001", _parse_error_hit(e), catalog, config) for e in parse_errors
                     if not e.internal and e.location.path not in said_by_chart]
    if "TPR002" in rules:
        findings += [_finding("TPR002", hit, catalog, config) for hit in charts.hits]
    charts.annotate(findings)
    if "TPR003" in rules:
        findings += _guarded(failures, "rule TPR003", [], lambda: [
            _finding("TPR003", hit, catalog, config)
            for hit in unknown_suppressions(facts, project.workloads, set(catalog),
                                            [s for c in project.compose_configs for s in c.services])])
    # Comments in the modules parsed on demand suppress what is reported there (a call chain's step).
    _guarded(failures, "applying suppressions", None,
             lambda: _suppress(findings, facts + loader.facts, project, config))
    # Internal errors are never deselected nor suppressed: they say the run is incomplete.
    findings += [_internal(Hit(e.location, e.message), catalog) for e in parse_errors if e.internal]
    said = {(hit.location, hit.message, hit.anchor): hit for hit in failures}  # once, not once per world
    findings += [_internal(hit, catalog) for hit in said.values()]
    if deadline.hit:  # what ran out of time is said, never silently missing: the run is incomplete
        summary = Hit(Location("."), deadline.summary(), anchor="timeout")
        findings.append(_finding("TPR001", summary, catalog, config))
    findings.sort(key=Finding.sort_key)
    profile.lap("rules")
    if cache:  # after the rules: modules parsed on demand are cached too
        cache.save()
        profile.lap("report")
    files_scanned = sum(s.kind is not FileKind.SKIP for s in scanned) + (len(helm.charts) if helm else 0)
    return RunResult(findings, files_scanned, rules, parsed=scanner.parsed, cache_hits=scanner.hits,
                     incomplete=deadline.hit,
                     not_checked=tuple(entry for entry in project.not_checked if entry.rule_id in rules),
                     applied=applied,
                     timings={f"helm render {chart}": seconds for chart, seconds in charts.timings.items()},
                     stages=profile.stages, parsed_why=dict(scanner.parsed_kinds + loader.counts))


def _observe(live: LiveRun, project: Project, cluster_world: Callable[[], Project],
             rules: tuple[str, ...]) -> LiveSnapshot:
    """The probe's snapshot, taken once per run (the first world names the task queues to look at). With
    --wait, a snapshot passes when the post-deployment rules find nothing, and could decide everything they
    tried to look at, in the repository's world and in the cluster's."""
    from tprlint.live.observe import WAIT_RULES, with_snapshot
    from tprlint.rules.task_queues import queue_uses

    waited = [r for r in WAIT_RULES if r in rules and r in REGISTRY]

    def passes(snapshot: LiveSnapshot) -> bool:
        worlds_ = [project] + ([cluster_world()] if snapshot.kubernetes is not None else [])
        for world in worlds_:
            trial = with_snapshot(world, snapshot)
            for rule_id in waited:
                if any(live.wanted(hit.location.path) for hit in REGISTRY[rule_id](trial)):
                    return False
            if any(u.gate and u.rule_id in waited and (u.location is None or live.wanted(u.location.path))
                   for u in trial.not_checked):
                return False
        return True

    return live.observe(lambda: [use.name for use in queue_uses(project)[0]], passes)


def _every_world(projects: list[Project]) -> Project:
    """One project holding the objects of every world: what suppressions and TPR003 look at."""
    first = projects[0]
    if len(projects) == 1:
        return first
    return replace(
        first,
        workloads=_unique(w for p in projects for w in p.workloads),
        scale_targets=_unique(t for p in projects for t in p.scale_targets),
        budgets=_unique(b for p in projects for b in p.budgets),
        network_policies=_unique(n for p in projects for n in p.network_policies),
        image_overrides=_unique(i for p in projects for i in p.image_overrides),
        not_checked=list(dict.fromkeys(entry for p in projects for entry in p.not_checked)),
    )


def _unique(items: Iterable[T]) -> list[T]:
    """``items`` without the objects every world shares repeated, in order."""
    seen: set[int] = set()
    kept: list[T] = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            kept.append(item)
    return kept


def _started(helm: HelmStage | Exception | None) -> HelmStage | None:
    if isinstance(helm, Exception):
        raise helm  # reported by the stage's boundary, as if it had failed here
    return helm


def _run_rule(rule_id: str, project: Project) -> list[Hit]:
    return list(REGISTRY[rule_id](project))


def _guarded(failures: list[Hit], where: str, fallback: T, step: Callable[[], T]) -> T:
    """``step()``, or ``fallback`` with a TPR000 hit when tprlint itself fails in it."""
    try:
        return step()
    except Exception as exc:
        failures.append(Hit(Location("."), describe(where, exc), anchor=f"internal:{where}"))
        return fallback


def _internal(hit: Hit, catalog: Mapping[str, RuleMeta]) -> Finding:
    meta = catalog.get(INTERNAL_ERROR)
    severity = meta.severity if meta is not None else Severity.ERROR
    return Finding(INTERNAL_ERROR, severity, hit.message, hit.location, hit.related, hit.anchor)


T = TypeVar("T")


def build_project(facts: Iterable[FileFacts], config: Config, python_keys: Iterable[str] = (),
                  overlay: Overlay | None = None, loader: ModuleSource | None = None) -> Project:
    """The project the rules judge; with ``overlay``, the world of one kustomize overlay (its objects as
    built, without the objects only other overlays build)."""
    facts = list(facts)
    project = Project(
        python=PythonProject(
            (f.python for f in facts if f.python is not None), python_keys,
            (script for f in facts if f.pyproject is not None for script in f.pyproject.scripts),
            loader,
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
            project.analysis_templates += f.kube.analysis_templates
            project.schema += f.kube.schema
        if f.compose is not None:
            project.compose.append(f.compose)
        if f.compose_chains is not None:
            project.compose_chains += f.compose_chains.chains
        if f.scripts is not None:
            project.scripts.append(f.scripts)
        project.backup_jobs += f.backup_jobs
        if f.capacity is not None:
            project.capacity.append(f.capacity)
        if f.database is not None:
            project.databases.append(f.database)
    if overlay is not None:
        project.workloads = in_overlay(project.workloads, overlay)
        project.scale_targets = [t for t in project.scale_targets if overlay.keeps(t.location.path)]
        project.budgets = [b for b in project.budgets if overlay.keeps(b.location.path)]
        project.network_policies = [n for n in project.network_policies if overlay.keeps(n.location.path)]
        project.image_overrides = [i for i in project.image_overrides if overlay.keeps(i.location.path)]
        project.analysis_templates = [a for a in project.analysis_templates if overlay.keeps(a.location.path)]
        project.schema = [o for o in project.schema if overlay.keeps(o.location.path)]
    project.temporal_servers = build_server_project(
        (f.temporal for f in facts if f.temporal is not None), (f.path for f in facts),
        project.workloads, project.budgets, project.replica_floor,
    )
    return project


def _parse_error_hit(error: ParseError | None) -> Hit:
    assert error is not None
    what = "folder" if error.message.startswith(UNLISTED_FOLDER) else "file"
    return Hit(error.location, f"{error.message}. The {what} was skipped; every other file was still analysed.")


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
