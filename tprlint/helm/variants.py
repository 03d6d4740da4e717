"""Charts that need values to render, judged the way chart-testing (``ct``) installs them.

Many charts fail with their own ``values.yaml`` by design: ``{{ required "image.repository is
required" .Values.image.repository }}``. chart-testing installs such a chart once per values file in
its ``ci/`` folder. tprlint does the same, and only then: when the chart's defaults do not render,
it renders the chart once per ``ci/*-values.yaml`` and ``ci/values/**/*.yaml`` file (sorted by their
path in the chart), and every variant that renders is judged. A ci file is merged over the chart's
``values.yaml`` and under the files configured for the chart (configuration, ``--values``). A chart
stopped by a render limit (memory, time) is not tried again: its TPR002 says so.

Each variant is judged on its own, as a deployment of its own: the rules run once per *world*, where
a world is every other fact of the run plus one rendered variant of each such chart (world ``k``
takes the ``k``-th variant, or a chart's last one when it has fewer). An autoscaler of one variant is
never paired with a Deployment of another. A finding placed in a variant's objects says which values
file rendered it (``(rendered with chart/ci/prod-values.yaml)``); a finding that a later world makes
again - same rule, place, message and anchor - is left out, so an object that renders the same in
two variants is reported once, under the first variant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from tprlint.discover import FileKind
from tprlint.facts.extract import FileFacts
from tprlint.facts.kubernetes import KubeFacts
from tprlint.helm.render import chart_files
from tprlint.model import Finding, Location
from tprlint.records import mutable

CI_FOLDER = "ci"
_YAML = (".yaml", ".yml")


def ci_values_files(chart: Path, root: str) -> list[Path]:
    """The chart's chart-testing values files, by path: ``ci/*-values.yaml`` and every YAML file
    under ``ci/values/``. Found by the walk that lists the chart's files, so links that leave the
    scanned tree, FIFOs and devices are never among them."""
    folder = chart / CI_FOLDER
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for path in chart_files(folder, root or None):
        parts = path.relative_to(folder).parts
        if not path.name.endswith(_YAML):
            continue
        if (len(parts) == 1 and path.name.rsplit(".", 1)[0].endswith("-values")) or \
                (len(parts) > 1 and parts[0] == "values"):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(chart).as_posix())


@mutable
class RenderedVariant:
    """One chart rendered with one ci values file: its facts, kept apart from the run's other facts."""

    values_file: str  # display path of the ci values file
    facts: list[FileFacts]
    locations: frozenset[Location]  # every place its facts point at

    @property
    def suffix(self) -> str:
        return f" (rendered with {self.values_file})"


def variant_of(values_file: str, files: Iterable[tuple[str, KubeFacts]]) -> RenderedVariant:
    """A variant from its facts per file (``(display path, KubeFacts)``, as a chart outcome holds them)."""
    by_path: dict[str, FileFacts] = {}
    for shown, kube in files:
        facts = by_path.setdefault(shown, FileFacts(shown, FileKind.KUBERNETES, kube=KubeFacts()))
        assert facts.kube is not None
        for spec in dataclasses.fields(kube):
            getattr(facts.kube, spec.name).extend(getattr(kube, spec.name))
    locations = frozenset(_locations([facts.kube for facts in by_path.values()]))
    return RenderedVariant(values_file, list(by_path.values()), locations)


def _locations(value: object) -> Iterable[Location]:
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Location):
            yield item
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, spec.name) for spec in dataclasses.fields(item))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def worlds(charts: list[list[RenderedVariant]]) -> list[list[RenderedVariant]]:
    """The variants judged together: one world per variant index (``[[]]`` when no chart has any)."""
    charts = [variants for variants in charts if variants]
    if not charts:
        return [[]]
    count = max(len(variants) for variants in charts)
    return [[variants[min(k, len(variants) - 1)] for variants in charts] for k in range(count)]


FindingKey = tuple[str, Location, str, str]


def finding_key(finding: Finding) -> FindingKey:
    """What makes two worlds' findings the same finding: rule, place, message and anchor."""
    return (finding.rule_id, finding.location, finding.message, finding.anchor)


def new_in_world(findings: list[Finding], world: list[RenderedVariant], seen: set[FindingKey]) -> list[Finding]:
    """The findings of one world that no earlier world made, each naming the values file of the
    variant it is placed in. ``seen`` collects the keys of every world judged so far."""
    kept: list[Finding] = []
    keys: set[FindingKey] = set()
    for finding in findings:
        key = finding_key(finding)
        keys.add(key)
        if key in seen:
            continue
        variant = next((v for v in world if finding.location in v.locations), None)
        if variant is not None:
            finding.message += variant.suffix
        kept.append(finding)
    seen |= keys
    return kept


__all__ = ["CI_FOLDER", "FindingKey", "RenderedVariant", "ci_values_files", "finding_key", "new_in_world", "variant_of",
           "worlds"]
