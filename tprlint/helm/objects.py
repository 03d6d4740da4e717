"""A chart's rendered output as Kubernetes facts: each object located where its author wrote it - the
template line, or the values key the field came from (``tprlint.helm.sources``) - and `helm test` hooks
left out, since they are no part of the running release."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from tprlint.discover.read import inside, read_text
from tprlint.facts.kubernetes import KubeFacts, extract_kubernetes
from tprlint.facts.yaml_docs import YamlDoc, YamlError, load_yaml_documents
from tprlint.helm.discover import ChartDir
from tprlint.helm.relocate import relocate
from tprlint.helm.render import RenderedChart
from tprlint.helm.sources import RenderedDocs, TemplateIndex, index_template, object_name, rendered_value, values_origin
from tprlint.helm.values import MergedValues
from tprlint.model import Location
from tprlint.records import mutable
from tprlint.rules.context import Hit
from tprlint.secrets import is_secret_key

_TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})


@mutable
class RenderedObjects:
    files: list[tuple[str, KubeFacts]] = field(default_factory=list)  # (where they point, their facts)
    origins: list[tuple[Location, Location]] = field(default_factory=list)  # values key -> template line
    hits: list[Hit] = field(default_factory=list)  # TPR002: a template rendered into invalid YAML


def rendered_objects(chart: ChartDir, root: str, values: MergedValues, output: RenderedChart) -> RenderedObjects:
    """The Kubernetes facts of a chart's rendered output, each located in the chart's own files."""
    found = RenderedObjects()
    file_order = {name: i for i, name in enumerate(values.files)}
    indexes: dict[str, TemplateIndex | None] = {}
    for source, text in output.manifests:
        shown = chart.template_display(source)
        try:
            docs = [doc for doc in load_yaml_documents(text, shown) if not _test_hook(doc)]
        except YamlError as exc:
            found.hits.append(Hit(
                Location(shown if Path(absolute(chart, shown)).is_file() else chart.chart_file),
                f"Helm rendered `{source}` into invalid YAML (`helm install` would refuse it): {exc} "
                f"(line {exc.line} of the rendered output). No rule saw the objects of this template.",
                anchor=f"helm:{chart.display}:{source}",
            ))
            continue
        kube = extract_kubernetes(docs, shown)
        if shown not in indexes:
            indexes[shown] = _index(chart, shown, root)
        index = indexes[shown]
        target = shown if index is not None else _fallback(chart, source).path
        origins: dict[Location, Location] = {}
        mapper = _Mapper(RenderedDocs(docs, text.splitlines()), index, target, values, file_order,
                         origins, _fallback(chart, source))
        found.files.append((target, relocate(kube, shown, mapper)))
        found.origins += origins.items()
    return found


class _Mapper:
    """Rendered position → template line, or the values key the field came from (see ``sources``)."""

    def __init__(self, rendered: RenderedDocs, index: TemplateIndex | None, target: str, values: MergedValues,
                 file_order: dict[str, int], origins: dict[Location, Location], fallback: Location) -> None:
        self.rendered = rendered
        self.index = index
        self.target = target
        self.values = values
        self.file_order = file_order
        self.origins = origins
        self.fallback = fallback

    def __call__(self, location: Location) -> Location:
        if self.index is None:
            return self.fallback
        found = self.rendered.find(location.line, location.column)
        if found is None:
            return Location(self.target, self.index.first_line or 1)
        doc, path, text = found
        line = self.index.line_for(path, text)
        template = Location(self.target, line, self.index.columns.get(line, 1))
        refs = self.index.refs.get(line)
        if refs and path:
            ok, value = rendered_value(doc, path)
            if ok:
                origin = values_origin(refs, value, object_name(doc), self.values.data, self.values.positions,
                                       self.file_order)
                if origin is not None:
                    self.origins.setdefault(origin, template)
                    return origin
        return template


def secret_values(data: object) -> list[str]:
    """Every scalar under a credential-named key of merged values (``db.password``, ``auth.apiKey``)."""
    found: list[str] = []
    stack: list[object] = [data]
    while stack:  # iterative: values nest as deep as their author likes
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (str, int, float)) and not isinstance(value, bool) and is_secret_key(str(key)):
                    found.append(str(value))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def read_inside(path: str, root: str) -> str:
    """A chart file's text: a regular file inside the scanned tree, else OSError."""
    if root and not inside(path, root):
        raise OSError(f"{path} leads out of the scanned tree")
    return read_text(path)


def _index(chart: ChartDir, shown: str, root: str) -> TemplateIndex | None:
    try:
        return index_template(read_inside(absolute(chart, shown), root))
    except OSError:
        return None  # a template inside a packaged sub-chart (.tgz)


def absolute(chart: ChartDir, shown: str) -> str:
    prefix = "" if chart.display == "." else f"{chart.display}/"
    rest = shown[len(prefix):] if shown.startswith(prefix) else shown
    return str(chart.path / rest)


def _fallback(chart: ChartDir, source: str) -> Location:
    """Where objects of a template that is not on disk point: their sub-chart's entry in Chart.yaml."""
    parts = source.split("/")
    if len(parts) > 2 and parts[1] == "charts":
        for dependency in chart.dependencies:
            if dependency.name == parts[2] or dependency.chart == parts[2]:
                return dependency.location
    return Location(chart.chart_file)


def _test_hook(doc: YamlDoc) -> bool:
    """`helm test` pods are not part of the release's running workloads."""
    data = doc.data
    meta = data.get("metadata") if isinstance(data, dict) else None
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    hooks = notes.get("helm.sh/hook") if isinstance(notes, dict) else None
    return isinstance(hooks, str) and any(h.strip() in _TEST_HOOKS for h in hooks.split(","))
