"""Helm charts among the scanned files: a folder with ``Chart.yaml`` and ``templates/`` (or vendored
``charts/``). Sub-charts vendored under another chart's ``charts/`` are rendered by their parent,
never on their own, and nothing inside a chart's ``templates/`` or ``charts/`` is read as a manifest."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from tprlint.config import HelmConfig
from tprlint.discover.read import read_text
from tprlint.discover.walk import SourceFile
from tprlint.facts.yaml_docs import YamlError, load_yaml_documents
from tprlint.model import Location
from tprlint.records import frozen

CHART_FILE = "Chart.yaml"
_RELEASE_NAME = re.compile(r"[^a-z0-9-]+")


@frozen
class Dependency:
    name: str  # the name Helm uses for it: its alias when one is set
    chart: str  # the chart name in the repository
    version: str
    repository: str
    condition: str
    location: Location  # its entry in Chart.yaml


@frozen
class ChartDir:
    path: Path  # absolute folder
    display: str  # folder as findings show it (like every other path of the run)
    name: str  # `name:` of Chart.yaml (what `# Source:` lines start with)
    chart_file: str  # display path of Chart.yaml
    chart_text: str
    dependencies: tuple[Dependency, ...]
    error: str = ""  # Chart.yaml unreadable: not renderable
    error_line: int = 1

    @property
    def release_name(self) -> str:
        """A valid release name; the chart's own name, so `<release>-<chart>` helpers do not repeat it."""
        name = _RELEASE_NAME.sub("-", self.name.lower()).strip("-")[:53].strip("-")
        return name or "release"

    def template_display(self, source: str) -> str:
        """Display path of a `# Source:` path (``mychart/templates/x.yaml``)."""
        head, _, rest = source.partition("/")
        inside = rest if head == self.name and rest else source
        return inside if self.display == "." else f"{self.display}/{inside}"


def is_chart_file(display: str) -> bool:
    return posixpath.basename(display) == CHART_FILE


def find_charts(sources: Iterable[SourceFile]) -> list[ChartDir]:
    """Top-level charts among the ``Chart.yaml`` files found; vendored sub-charts are left to their parent."""
    candidates = [s for s in sources if posixpath.basename(s.display) == CHART_FILE]
    folders = {s.path.parent for s in candidates}
    charts: list[ChartDir] = []
    for source in candidates:
        folder = source.path.parent
        if _is_subchart(folder, folders):
            continue
        if not ((folder / "templates").is_dir() or (folder / "charts").is_dir()):
            continue  # not a chart with anything to render (e.g. a library's metadata only)
        charts.append(_chart(source))
    return charts


def _is_subchart(folder: Path, chart_folders: set[Path]) -> bool:
    parent = folder.parent
    return parent.name == "charts" and parent.parent in chart_folders


def _chart(source: SourceFile) -> ChartDir:
    display = posixpath.dirname(source.display) or "."
    text = source.data.decode("utf-8", errors="replace")
    fallback = source.path.parent.name
    try:
        docs = load_yaml_documents(text, source.display)
    except YamlError as exc:
        return ChartDir(source.path.parent, display, fallback, source.display, text, (),
                        error=f"Chart.yaml is not valid YAML: {exc}", error_line=exc.line)
    data = docs[0].data if docs else None
    if not isinstance(data, dict):
        return ChartDir(source.path.parent, display, fallback, source.display, text, (),
                        error="Chart.yaml is not a YAML mapping")
    name = data.get("name")
    deps = _dependencies(data.get("dependencies"), docs[0].positions, source.display)
    return ChartDir(source.path.parent, display, str(name) if isinstance(name, (str, int)) and name else fallback,
                    source.display, text, deps)


def _dependencies(raw: object, positions: dict[tuple[str | int, ...], tuple[int, int]], shown: str
                  ) -> tuple[Dependency, ...]:
    if not isinstance(raw, list):
        return ()
    found: list[Dependency] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        line, column = positions.get(("dependencies", i), (1, 1))
        chart = item["name"]
        alias = item.get("alias")
        found.append(Dependency(
            name=alias if isinstance(alias, str) and alias else chart, chart=chart,
            version=str(item.get("version") or ""), repository=str(item.get("repository") or ""),
            condition=str(item.get("condition") or ""), location=Location(shown, line, column),
        ))
    return tuple(found)


def vendored(chart: ChartDir, dependency: Dependency) -> bool:
    """Whether ``charts/`` holds the dependency, unpacked or as an archive (what `helm dependency build` makes)."""
    folder = chart.path / "charts"
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return False
    for entry in entries:
        if entry.is_dir() and (entry / CHART_FILE).is_file():
            if entry.name == dependency.chart or _chart_name(entry / CHART_FILE) == dependency.chart:
                return True
        elif entry.name.endswith(".tgz") and entry.name.startswith(f"{dependency.chart}-"):
            return True
    return False


def _chart_name(path: Path) -> str:
    try:
        data = yaml.safe_load(read_text(str(path)))
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get("name", "")) if isinstance(data, dict) else ""


def rendered_prefixes(charts: Iterable[ChartDir]) -> tuple[str, ...]:
    """The charts' ``templates/`` and ``charts/`` folders: a scanned file whose path starts with one of
    them is Helm's to render (one ``str.startswith`` per file of the tree)."""
    prefixes = ("" if chart.display == "." else f"{chart.display}/" for chart in charts)
    return tuple(f"{prefix}{folder}/" for prefix in prefixes for folder in ("templates", "charts"))


def values_files_for(chart: ChartDir, config: HelmConfig) -> list[Path]:
    """The ``-f`` files for a chart, in merge order: overlays beside it (when `overlays = true`), then
    the files configured for it, then ``--values CHART=FILE`` (kept last in ``config.values``)."""
    files: list[Path] = []
    if config.overlays:
        files += sorted((*chart.path.glob("values/*.yaml"), *chart.path.glob("values/*.yml")))
        files += sorted((*chart.path.glob("values-*.yaml"), *chart.path.glob("values-*.yml")))
    resolved = chart.path.resolve()
    for folder, extra in config.values:
        if Path(folder).resolve() == resolved:
            files += [Path(f) for f in extra]
    # A file named twice is applied once, at its last (most explicit) place.
    unique: list[Path] = []
    for path in reversed(files):
        if path not in unique:
            unique.insert(0, path)
    return unique
