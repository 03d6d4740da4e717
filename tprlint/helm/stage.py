"""The Helm stage of the pipeline: find charts, render them (cached, beside the rest of the run), turn
the rendered objects into Kubernetes facts located in the chart's own files, and report TPR002.

A chart whose defaults do not render is rendered again with each of its chart-testing values files
(``ci/``, see ``tprlint.helm.variants``); TPR002 then says that nothing rendered, with what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field, replace
from pathlib import Path

from tprlint.cache import FactsCache
from tprlint.config import Config
from tprlint.deadline import Deadline
from tprlint.discover import FileKind, SourceFile
from tprlint.discover.walk import Candidate, read_sources
from tprlint.facts.extract import FileFacts
from tprlint.facts.kubernetes import KubeFacts
from tprlint.facts.temporal_server import TemporalFileFacts, layer_from_values
from tprlint.helm.discover import (
    ChartDir,
    Dependency,
    find_charts,
    is_chart_file,
    rendered_prefixes,
    vendored,
)
from tprlint.helm.early import EarlyRender, chart_render_key, chart_values_files, values_of, values_read
from tprlint.helm.objects import absolute, read_inside, rendered_objects, secret_values
from tprlint.helm.render import (
    RUN_TIMED_OUT,
    PendingRender,
    RenderedChart,
    RenderJob,
    chart_files,
    start_render,
    stopped,
    tree_root,
    unsafe_chart_entries,
)
from tprlint.helm.renderer import find_renderer
from tprlint.helm.values import MergedValues, load_values, lookup, values_display
from tprlint.helm.variants import RenderedVariant, ci_values_files, variant_of
from tprlint.model import Finding, Location, RelatedLocation
from tprlint.records import mutable
from tprlint.rules.context import Hit
from tprlint.secrets import mask_known_values
from tprlint.suppress.comments import scan_comments

# `chart/templates/x.yaml:12:5` (or without line) as Helm prints it in its errors.
_HELM_POSITION = re.compile(
    r"(?P<source>[\w.\-/]+?/templates/[^\s:()\"'<>]+?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?(?=[\s:()\"'<>]|$)")


@mutable
class HelmResult:
    facts: list[FileFacts] = field(default_factory=list)  # rendered objects, and suppressions of chart files
    hits: list[Hit] = field(default_factory=list)  # TPR002
    origins: dict[Location, Location] = field(default_factory=dict)  # values key -> template line using it
    timings: dict[str, float] = field(default_factory=dict)  # seconds Helm took per chart (0: from the cache)
    # Per chart whose defaults did not render: the variants its ci values files rendered, each judged
    # on its own (their facts are not in ``facts``; see ``tprlint.helm.variants.worlds``).
    variants: list[list[RenderedVariant]] = field(default_factory=list)

    def annotate(self, findings: Iterable[Finding]) -> None:
        """Findings placed on a values key also name the template line that renders it."""
        for finding in findings:
            template = self.origins.get(finding.location)
            if template is not None:
                related = RelatedLocation(template, "the chart template that renders this value")
                finding.related = (*finding.related, related)


@mutable
class ChartOutcome:
    """What a rendered chart gave: facts per file (already placed in the chart's files), TPR002 hits,
    values origins. This is what is cached - never Helm's raw output, which may hold literal secrets
    that the facts redact."""

    files: list[tuple[str, KubeFacts]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    origins: list[tuple[Location, Location]] = field(default_factory=list)
    error: str = ""  # Helm's error (on one line, credentials masked) when the chart did not render


@mutable
class _Chart:
    chart: ChartDir
    values: MergedValues
    files: list[Path]
    missing: list[Dependency]
    key: str = ""
    root: str = ""  # the scanned tree, resolved: chart content that leads out of it is never read
    ci: list[Path] = field(default_factory=list)  # chart-testing values files, tried when the defaults fail


@mutable
class _Attempt:
    """One ci values file tried on a chart whose defaults did not render."""

    values_file: str  # display path
    chart: _Chart | None  # None: the file could not be read (``error``)
    error: str = ""  # why it could not be read


class HelmStage:
    """Started before the other files are parsed; ``finish()`` collects the rendered charts."""

    def __init__(self, chart_files: list[SourceFile], config: Config, cache: FactsCache | None,
                 early: EarlyRender | None = None) -> None:
        """``chart_files``: the ``Chart.yaml`` files found; ``early``: renders already started for them."""
        self.early = early
        self.charts = find_charts(s for s in chart_files if s.kind is FileKind.HELM_CHART)
        self._rendered_prefixes: tuple[str, ...] | None = None
        self.scanned: set[str] = set()
        self.cache = cache
        self.result = HelmResult()
        self.prepared: list[_Chart] = []
        self.cached: dict[str, ChartOutcome] = {}
        self._fresh: dict[str, RenderedChart] | None = None  # Helm's output by render key, once collected
        self.renderer, self.why_not = find_renderer() if self.charts else (None, "")
        jobs: list[RenderJob] = []
        for chart in self.charts:
            prepared = self._prepare(chart, config)
            if prepared is None:
                continue
            self.prepared.append(prepared)
            self._report_unsafe(prepared)
            if self.renderer is None:
                continue
            self._queue(prepared, jobs)
        self.pending: PendingRender | None = start_render(self.renderer, jobs) if self.renderer and jobs else None

    def _queue(self, prepared: _Chart, jobs: list[RenderJob]) -> None:
        """Give a chart (with its values files) its cache key; queue its render unless it is cached."""
        assert self.renderer is not None
        chart = prepared.chart
        leave_out = [d.name for d in prepared.missing]
        # (the code's version is in the cache file name; a chart read early or found cached has its key)
        prepared.key = prepared.key or chart_render_key(chart, self.renderer, prepared.files, prepared.values.files,
                                                        leave_out, prepared.root)
        found = self.cache.get(prepared.key, ChartOutcome) if self.cache else None
        if found is not None:
            self.cached[prepared.key] = found
        elif self.early is not None and prepared.key in self.early.keys:
            pass  # rendering since the walk (tprlint.helm.early)
        elif prepared.key not in {job.key for job in jobs}:
            jobs.append(RenderJob(prepared.key, str(chart.path), chart.release_name,
                                  tuple(str(p) for p in prepared.files), tuple(leave_out), prepared.root))

    def _prepare(self, chart: ChartDir, config: Config) -> _Chart | None:
        if chart.error:
            self.result.hits.append(Hit(
                Location(chart.chart_file, chart.error_line),
                f"Helm chart in {chart.display} cannot be rendered: {chart.error}. No rule saw its objects.",
                anchor=f"helm:{chart.display}",
            ))
            return None
        root = tree_root(chart.path, config.root)
        # (a values file left out as leading out of the tree is reported with the chart's other such entries)
        files = chart_values_files(chart, config, root)
        cached = self._cached_render(chart, files, root)
        if cached is not None:
            return cached
        early = self.early.read.get(values_of(chart, files)) if self.early is not None else None
        values = early.values if early is not None else load_values(chart.path, files, root=root)
        if values.problems:
            for problem in values.problems:
                self.result.hits.append(Hit(
                    problem.location,
                    f"{problem.message}. Helm chart `{chart.name}` ({chart.display}) was not rendered with it, "
                    f"so no rule saw its objects.",
                    anchor=f"helm:{chart.display}:values",
                ))
            return None
        missing = [d for d in chart.dependencies if not vendored(chart, d) and _enabled(d, values.data)]
        for dependency in missing:
            self.result.hits.append(Hit(
                dependency.location,
                f"Chart dependency `{dependency.name}`"
                f"{f' {dependency.version}' if dependency.version else ''}"
                f"{f' ({dependency.repository})' if dependency.repository else ''} is not vendored in "
                f"{chart.display}/charts/, so it was not rendered and no rule saw its objects; the rest of "
                f"the chart was. Run `helm dependency build {chart.display}` before linting (tprlint never "
                f"downloads charts), or ignore TPR002 here if the dependency is not yours to check.",
                anchor=f"helm:{chart.display}:dependency:{dependency.name}",
            ))
        key = early.key if early is not None and not missing else ""
        return _Chart(chart, values, files, missing, key=key, root=root, ci=ci_values_files(chart.path, root))

    def _cached_render(self, chart: ChartDir, files: list[Path], root: str) -> _Chart | None:
        """The chart, its values left unread, when its render is cached under the key its values files
        give if they all read. They did when it was cached, and the key holds their bytes: they read
        now, and nothing else here needs their content - unless the server rules judge them (a
        `temporal` chart, or an umbrella over one) or a dependency Helm may leave out has a condition."""
        if self.renderer is None or self.cache is None or self.cache.empty:
            return None
        if chart.name == "temporal" or any(d.chart == "temporal" or not vendored(chart, d) for d in chart.dependencies):
            return None
        shown = values_read(chart, files, root)
        key = chart_render_key(chart, self.renderer, files, shown, [], root)
        if self.cache.get(key, ChartOutcome) is None:
            return None
        return _Chart(chart, MergedValues(files=shown), files, [], key=key, root=root,
                      ci=ci_values_files(chart.path, root))

    def _variant(self, prepared: _Chart, path: Path) -> _Attempt:
        """The chart with one ci values file: over its ``values.yaml``, under the files configured for
        it (the configuration and ``--values`` keep the last word, as everywhere else)."""
        chart = prepared.chart
        shown = values_display(path)
        files = [path, *prepared.files]
        values = load_values(chart.path, files, root=prepared.root)  # the same readers and limits as every values file
        if values.problems:
            problem = values.problems[0]
            return _Attempt(shown, None, f"{problem.location.path}: {problem.message}")
        missing = [d for d in chart.dependencies if not vendored(chart, d) and _enabled(d, values.data)]
        return _Attempt(shown, _Chart(chart, values, files, missing, root=prepared.root))

    def _report_unsafe(self, prepared: _Chart) -> None:
        """Chart entries Helm is not shown (links out of the tree, FIFOs): once each, as TPR002."""
        chart = prepared.chart
        for relative, why in unsafe_chart_entries(chart.path, prepared.root):
            shown = f"{chart.display}/{Path(relative).as_posix()}"
            self.result.hits.append(Hit(
                Location(shown),
                f"{shown} is {why}: Helm chart `{chart.name}` was rendered without it, so no rule saw what it "
                f"would have made.",
                anchor=f"helm:{chart.display}:unsafe:{relative}",
            ))

    def owns(self, display: str) -> bool:
        """Whether a file is a chart's template or vendored sub-chart: Helm renders it, no extractor reads it."""
        if self._rendered_prefixes is None:  # asked of every file of the tree
            self._rendered_prefixes = rendered_prefixes(self.charts)
        return display.startswith(self._rendered_prefixes)

    def rendered(self) -> bool:
        """Whether ``collect`` would wait for no child: the renders it takes have all ended (an early
        render it does not want is stopped, not waited for)."""
        pending = [self.pending] if self.pending is not None else []
        if self.early is not None and self._early_wanted():
            pending.append(self.early.pending)
        return all(p.settled() for p in pending)

    def _early_wanted(self) -> bool:
        """Whether a render started early is one of those this stage takes (its keys match)."""
        return self.early is not None and bool(self.early.keys & {prepared.key for prepared in self.prepared})

    def collect(self, deadline: Deadline | None = None) -> None:
        """Wait for the renders and turn their output into facts. The pipeline calls this while the
        parse workers read (as soon as the renders have ended): their output's YAML is read meanwhile,
        not after them."""
        if self._fresh is not None:
            return
        self._fresh = {}
        if self.early is not None:
            if self._early_wanted():
                self._fresh = self.early.pending.results(deadline)
            else:  # none of its renders is wanted (keys computed otherwise here): not waited for
                self.early.cancel()
        if self.pending is not None:
            self._fresh.update(self.pending.results(deadline))
        if self.renderer is not None:
            for prepared in self.prepared:
                self._outcome(prepared, self._fresh)  # kept in self.cached for finish()

    def finish(self, scanned: set[str], deadline: Deadline | None = None) -> HelmResult:
        """``scanned``: display paths of the files the pipeline extracted facts from."""
        self.scanned = scanned
        self.collect(deadline)
        fresh = self._fresh or {}
        retry: list[tuple[_Chart, ChartOutcome]] = []
        for prepared in self.prepared:
            self._suppressions(prepared)
            self._server_values(prepared)
            if self.renderer is None:
                self._not_rendered(prepared)
                continue
            outcome = self._outcome(prepared, fresh)
            if outcome is None:
                continue
            if outcome.error and prepared.ci and not stopped(outcome.error):
                # chart-testing's values files may render it (never retried: a chart over its limits)
                retry.append((prepared, outcome))
                continue
            self.result.hits += outcome.hits
            for origin, template in outcome.origins:
                self.result.origins.setdefault(origin, template)
            for shown, kube in outcome.files:
                self._file(shown).kube = _combined(self._file(shown).kube, kube)
        if retry:
            self._render_variants(retry, deadline)
        return self.result

    def _outcome(self, prepared: _Chart, fresh: dict[str, RenderedChart]) -> ChartOutcome | None:
        """What the render of ``prepared`` gave, from the cache or from Helm (None: the run's time ran out)."""
        display = prepared.chart.display
        outcome = self.cached.get(prepared.key)
        if outcome is not None:
            self.result.timings.setdefault(display, 0.0)
            return outcome
        output = fresh.get(prepared.key)
        if output is None or output.error == RUN_TIMED_OUT:  # said once, in the run's summary
            return None
        self.result.timings[display] = self.result.timings.get(display, 0.0) + output.seconds
        outcome = ChartOutcome()
        if output.error:
            _render_error(prepared, output.error, outcome)
        else:
            _objects(prepared, output, outcome)
        self.cached[prepared.key] = outcome
        if self.cache:
            self.cache.put(prepared.key, outcome)
        return outcome

    def _render_variants(self, retry: list[tuple[_Chart, ChartOutcome]], deadline: Deadline | None) -> None:
        """Render the failed charts once per ci values file (one more round, under the same limits)."""
        assert self.renderer is not None
        jobs: list[RenderJob] = []
        tried: list[tuple[_Chart, ChartOutcome, list[_Attempt]]] = []
        for prepared, default in retry:
            attempts = [self._variant(prepared, path) for path in prepared.ci]
            for attempt in attempts:
                if attempt.chart is not None:
                    self._queue(attempt.chart, jobs)
            tried.append((prepared, default, attempts))
        fresh = start_render(self.renderer, jobs).results(deadline) if jobs else {}
        for prepared, default, attempts in tried:
            rendered: list[RenderedVariant] = []
            unfinished = False
            said: set[tuple[Location, str, str]] = set()
            for attempt in attempts:
                outcome = self._outcome(attempt.chart, fresh) if attempt.chart is not None else None
                if attempt.chart is not None and outcome is None:
                    unfinished = True
                if outcome is None or outcome.error:
                    continue
                variant = variant_of(attempt.values_file, outcome.files)
                rendered.append(variant)
                for hit in outcome.hits:  # e.g. a template rendered into invalid YAML: once, first variant
                    if (hit.location, hit.anchor, hit.message) not in said:
                        said.add((hit.location, hit.anchor, hit.message))
                        self.result.hits.append(replace(hit, message=hit.message + variant.suffix))
                for origin, template in outcome.origins:
                    self.result.origins.setdefault(origin, template)
            if rendered:
                self.result.variants.append(rendered)
            elif not unfinished:  # a variant the run's time stopped is said in the run's summary
                self.result.hits.append(_nothing_rendered(prepared, default, attempts))

    def _server_values(self, prepared: _Chart) -> None:
        """The `temporal` chart's merged values (or an umbrella chart's `temporal:` block) are judged
        by the server rules as values, at their keys - rendered or not. The file-level extractor never
        sees a chart's values files: they belong to the chart."""
        chart = prepared.chart
        if chart.name == "temporal":
            prefix: tuple[str, ...] = ()
            version = _chart_version(chart.chart_text)
        else:
            dependency = next((d for d in chart.dependencies if d.chart == "temporal"), None)
            if dependency is None:
                return
            prefix, version = (dependency.name,), dependency.version
        shown = prepared.values.files[0] if prepared.values.files else chart.chart_file
        layer = layer_from_values(prepared.values.data, prepared.values.positions, shown, version or None, prefix)
        if layer is not None:
            self._file(shown).temporal = TemporalFileFacts(layers=[layer])

    def _not_rendered(self, prepared: _Chart) -> None:
        chart = prepared.chart
        read = ", ".join(prepared.values.files) or "none"
        self.result.hits.append(Hit(
            Location(chart.chart_file),
            f"Helm chart `{chart.name}` ({chart.display}) was not rendered: {self.why_not}. No rule saw the "
            f"objects its templates make; checks that read values files still read: {read}. Install the "
            f"`helm` binary or `pip install 'tprlint[helm]'` to render it.",
            anchor=f"helm:{chart.display}",
        ))

    def _suppressions(self, prepared: _Chart) -> None:
        """Comments in Chart.yaml, templates and values files suppress findings placed there."""
        chart = prepared.chart
        paths = [chart.chart_file, *prepared.values.files, *(values_display(p) for p in prepared.ci)]
        try:
            templates = chart_files(chart.path / "templates", prepared.root)
        except OSError:
            templates = []
        paths += [chart.template_display(f"{chart.name}/{p.relative_to(chart.path).as_posix()}") for p in templates]
        for shown in paths:
            if shown in self.scanned or any(f.path == shown for f in self.result.facts):
                continue
            try:
                text = read_inside(absolute(chart, shown), prepared.root)
            except OSError:
                continue
            facts = FileFacts(shown, FileKind.SKIP)
            facts.suppressions = scan_comments(text)
            self.result.facts.append(facts)

    def _file(self, shown: str) -> FileFacts:
        for facts in self.result.facts:
            if facts.path == shown:
                return facts
        facts = FileFacts(shown, FileKind.KUBERNETES)
        self.result.facts.append(facts)
        return facts


def _chart_version(chart_text: str) -> str:
    found = re.search(r"^version:[ \t]*[\"']?([^\"'\s#]+)", chart_text, re.MULTILINE)
    return found.group(1) if found else ""


def _render_error(prepared: _Chart, error: str, outcome: ChartOutcome) -> None:
    chart = prepared.chart
    # Helm's message may quote values (`fail (printf "bad password %s" .Values.db.password)`); it is
    # shown in every format and cached: the values under credential keys never are.
    error = mask_known_values(error, secret_values(prepared.values.data))
    message = " ".join(part.strip() for part in error.splitlines() if part.strip())
    location = Location(chart.chart_file)
    # Helm names the template (and line) that failed; through `include`, the innermost is the cause.
    matches = list(_HELM_POSITION.finditer(error))
    numbered = [m for m in matches if m.group("line")]
    match = numbered[-1] if numbered else (matches[0] if matches else None)
    if match:
        shown = chart.template_display(match.group("source"))
        if Path(absolute(chart, shown)).is_file():
            location = Location(shown, int(match.group("line") or 1), int(match.group("column") or 1))
    files = ", ".join(prepared.values.files) or "no values files"
    outcome.error = message
    outcome.hits.append(Hit(
        location,
        f"Helm could not render chart `{chart.name}` ({chart.display}, with {files}): {message}. "
        f"No rule saw this chart's objects; fix the template or the values (reproduce with `helm template`).",
        anchor=f"helm:{chart.display}",
    ))


def _nothing_rendered(prepared: _Chart, default: ChartOutcome, attempts: list[_Attempt]) -> Hit:
    """TPR002 for a chart that rendered neither with its defaults nor with any ci values file: at the
    place Helm named for the defaults, with their error (the first one)."""
    chart = prepared.chart
    first = default.hits[0] if default.hits else Hit(Location(chart.chart_file), "", anchor=f"helm:{chart.display}")
    files = ", ".join(prepared.values.files) or "no values files"
    count = f"{len(attempts)} ci values file{'s' if len(attempts) != 1 else ''}"
    names = ", ".join(attempt.values_file for attempt in attempts)
    unread = "; ".join(attempt.error for attempt in attempts if attempt.chart is None)
    return Hit(
        first.location,
        f"Helm could not render chart `{chart.name}` ({chart.display}) with its defaults ({files}) nor with "
        f"any of its {count} ({names}). The first error, with the defaults: {default.error}. "
        f"{f'Not read: {unread}. ' if unread else ''}"
        f"No rule saw this chart's objects; fix the template or the values (reproduce with `helm template`).",
        anchor=first.anchor,
    )


def _objects(prepared: _Chart, output: RenderedChart, outcome: ChartOutcome) -> None:
    found = rendered_objects(prepared.chart, prepared.root, prepared.values, output)
    outcome.files += found.files
    outcome.origins += found.origins
    outcome.hits += found.hits


def _enabled(dependency: Dependency, values: dict[str, object]) -> bool:
    """Helm skips a dependency whose condition (the first path of it that is set) is false."""
    for path in (p.strip() for p in dependency.condition.split(",") if p.strip()):
        found, value = lookup(values, tuple(path.split(".")))
        if found and isinstance(value, bool):
            return value
    return True


def _combined(first: KubeFacts | None, second: KubeFacts) -> KubeFacts:
    if first is None:
        return second
    for name in first.__dataclass_fields__:
        existing = getattr(first, name)
        if isinstance(existing, list):
            existing.extend(getattr(second, name))
    return first


__all__ = ["ChartOutcome", "HelmResult", "HelmStage"]


def start_helm(candidates: list[Candidate], config: Config, cache: FactsCache | None,
               early: EarlyRender | None = None) -> HelmStage | Exception | None:
    """The Helm stage for the charts among ``candidates``, its renders started (or taken from ``early``);
    None when there is no chart. An exception is returned, not raised: the pipeline reports it inside its
    boundaries."""
    charts = [c for c in candidates if is_chart_file(c.display)]
    if not charts:
        return None
    try:
        return HelmStage(read_sources(charts), config, cache, early)
    except Exception as exc:
        return exc
