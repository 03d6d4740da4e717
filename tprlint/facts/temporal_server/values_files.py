"""Values files of the temporal chart and the helmfiles / kustomize charts that order them."""

from __future__ import annotations

import posixpath
import re

from tprlint.facts.temporal_server.files import HelmfileRelease, TemporalFileFacts, ValuesLayer
from tprlint.facts.temporal_server.settings import (
    KeyPath,
    Node,
    Secret,
    Setting,
    Settings,
    _flatten,
    as_str,
    flatten,
    is_literal_secret,
    is_secret_key,
    location_of,
)
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location

# --- the values recogniser -------------------------------------------------------------------

_STORE_KEYS = frozenset({"defaultStore", "visibilityStore", "numHistoryShards", "datastores", "default", "visibility",
                         "additionalStores", "secondaryVisibilityStore"})
_SERVICE_BLOCKS = ("frontend", "history", "matching", "worker", "internal-frontend", "internalFrontend")


def values_shape(root: object, mentions_temporal: bool) -> str | None:
    """"strong" when ``root`` is shaped like values of the temporal chart, "weak" when it only has a
    `server:` map (an overlay such as a TLS or replicas file), None otherwise."""
    if not isinstance(root, dict):
        return None
    server = root.get("server")
    if not isinstance(server, dict):
        return None
    config = server.get("config")
    config = config if isinstance(config, dict) else {}
    persistence = config.get("persistence")
    if isinstance(persistence, dict) and _STORE_KEYS & set(persistence):
        return "strong"
    if "numHistoryShards" in config:
        return "strong"
    if sum(isinstance(server.get(name), dict) for name in _SERVICE_BLOCKS) >= 2:
        return "strong"
    image = server.get("image")
    repository = image.get("repository") if isinstance(image, dict) else None
    if isinstance(repository, str) and "temporalio/" in repository:
        return "strong"
    if "admintools" in root and isinstance(root.get("admintools"), dict):
        return "strong"
    if mentions_temporal and {"cassandra", "elasticsearch"} & set(root):
        return "strong"  # the legacy 0.x layout: sub-charts beside `server:`
    return "weak"


def _values_layers(doc: YamlDoc, path: str, facts: TemporalFileFacts, mentions_temporal: bool) -> None:
    data = doc.data
    if not isinstance(data, dict):
        return
    shape = values_shape(data, mentions_temporal)
    if shape is not None:
        facts.layers.append(_layer(doc, path, data, (), shape == "strong"))
    for key, value in data.items():
        if key == "server" or not isinstance(key, str) or not isinstance(value, dict):
            continue
        # An umbrella chart's values: the temporal dependency's values live under its name or alias.
        nested = values_shape(value, mentions_temporal)
        if nested == "strong" or (nested == "weak" and "temporal" in key.lower()):
            facts.layers.append(_layer(doc, path, value, (key,), nested == "strong"))


def _layer(doc: YamlDoc, path: str, root: dict[object, object], prefix: tuple[str, ...], strong: bool,
           at: KeyPath = (), origin: str = "file", release: str = "", version: str | None = None) -> ValuesLayer:
    base = (*at, *prefix)
    settings = flatten(doc, path, root, base)
    server_at = (*base, "server") if "server" in root else base
    return ValuesLayer(path, prefix, strong, settings, location_of(doc, path, server_at), origin, release, version)


def layer_from_values(data: dict[str, object], positions: dict[KeyPath, Location], path: str,
                      chart_version: str | None = None, prefix: tuple[str, ...] = ()) -> ValuesLayer | None:
    """A chart's values as Helm merged them (the Helm stage's ``MergedValues``: data plus the location
    of every key in force) as one layer, when they are values of the temporal chart (or, with
    ``prefix``, of an umbrella chart that depends on it)."""
    root: object = data
    for key in prefix:
        root = root.get(key) if isinstance(root, dict) else None
    if not isinstance(root, dict) or values_shape(root, True) is None:
        return None

    def locate(keys: KeyPath) -> Location:
        for end in range(len(keys), -1, -1):
            found = positions.get(keys[:end])
            if found is not None:
                return found
        return Location(path)

    settings: Settings = {}
    _flatten(locate, root, prefix, (), settings)
    where = locate((*prefix, "server"))
    return ValuesLayer(path, prefix, True, settings, where, "chart", "", chart_version)


# --- helmfiles -------------------------------------------------------------------------------

_ENV_SLOT = re.compile(r"\{\{-?\s*\.Environment\.Name\s*-?\}\}")
ENV_PLACEHOLDER = "\x00env\x00"


_VALUES_TEXT = re.compile(r"^server[ \t]*:", re.M)


def looks_like_temporal_values(path: str, text: str) -> bool:
    """For parse errors: a file worth reporting (a `server:` block and Temporal named), not a helmfile
    template or an unrelated YAML file that merely matched the cheap classification."""
    return not is_helmfile(path) and bool(_VALUES_TEXT.search(text)) and "temporal" in (path + text).lower()


def is_helmfile(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name.startswith("helmfile") or "/helmfile.d/" in f"/{path.lower()}"


def is_temporal_chart(chart: object) -> bool:
    if not isinstance(chart, str):
        return False
    name = chart.split("@")[0].rstrip("/").rsplit("/", 1)[-1].split(":")[0]
    return name.lower() == "temporal"


def _helmfile(doc: YamlDoc, path: str, facts: TemporalFileFacts) -> None:
    data = doc.data
    if not isinstance(data, dict):
        return
    environments = data.get("environments")
    if isinstance(environments, dict):
        facts.environments += [str(name) for name in environments if isinstance(name, str)]
    releases = data.get("releases")
    if not isinstance(releases, list):
        return
    base = posixpath.dirname(path)
    for i, release in enumerate(releases):
        if not isinstance(release, dict) or not is_temporal_chart(release.get("chart")):
            continue
        name = str(release.get("name", "temporal"))
        version = release.get("version")
        entries: list[tuple[str, str | int]] = []
        values = release.get("values")
        for j, entry in enumerate(values if isinstance(values, list) else []):
            if isinstance(entry, str):
                resolved = _ENV_SLOT.sub(ENV_PLACEHOLDER, entry)
                if "{{" not in resolved:  # any other template: the file cannot be known
                    entries.append(("file", posixpath.normpath(posixpath.join(base, resolved))))
            elif isinstance(entry, dict):
                entries.append(("layer", len(facts.layers)))
                facts.layers.append(_layer(doc, path, entry, (), True, ("releases", i, "values", j), "helmfile",
                                           name, str(version) if version is not None else None))
        sets = release.get("set")
        if isinstance(sets, list) and sets:
            entries.append(("layer", len(facts.layers)))
            facts.layers.append(_set_layer(doc, path, sets, ("releases", i, "set"), name))
        facts.releases.append(HelmfileRelease(name, str(release.get("chart")),
                                              str(version) if version is not None else None, tuple(entries),
                                              location_of(doc, path, ("releases", i))))


def _kustomize_charts(doc: YamlDoc, path: str, data: dict[object, object], facts: TemporalFileFacts) -> None:
    """Kustomize's `helmCharts:`: valuesFile, then additionalValuesFiles, then valuesInline."""
    base = posixpath.dirname(path)
    charts = data.get("helmCharts")
    for i, chart in enumerate(charts if isinstance(charts, list) else []):
        if not isinstance(chart, dict) or not is_temporal_chart(chart.get("name")):
            continue
        version = as_str(chart.get("version"))
        name = str(chart.get("releaseName", "temporal"))
        entries: list[tuple[str, str | int]] = []
        extra = chart.get("additionalValuesFiles")
        for file in [chart.get("valuesFile"), *(extra if isinstance(extra, list) else [])]:
            if isinstance(file, str) and "{{" not in file:
                entries.append(("file", posixpath.normpath(posixpath.join(base, file))))
        inline = chart.get("valuesInline")
        if isinstance(inline, dict):
            entries.append(("layer", len(facts.layers)))
            facts.layers.append(_layer(doc, path, inline, (), True, ("helmCharts", i, "valuesInline"), "helmfile",
                                       name, version))
        facts.releases.append(HelmfileRelease(name, str(chart.get("name")), version, tuple(entries),
                                              location_of(doc, path, ("helmCharts", i))))


def _set_layer(doc: YamlDoc, path: str, sets: list[object], at: KeyPath, release: str) -> ValuesLayer:
    """`set: [{name: server.replicaCount, value: 3}]` as a layer of its own (it applies last)."""
    settings: Settings = {}
    for k, item in enumerate(sets):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        keys: KeyPath = tuple(re.split(r"(?<!\\)\.", str(item["name"])))
        where = location_of(doc, path, (*at, k, "value"))
        value = item.get("value")
        for depth in range(1, len(keys)):
            settings.setdefault(keys[:depth], Setting(Node("map", 1), where))
        if is_secret_key(keys[-1]):
            settings[keys] = Setting(Secret(is_literal_secret(value)), where)
        else:
            settings[keys] = Setting(value if isinstance(value, (str, int, float, bool)) else None, where)
    return ValuesLayer(path, (), True, settings, location_of(doc, path, at), "helmfile", release)
