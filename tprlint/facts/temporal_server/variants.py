"""Values layers grouped into releases and variants (values.yaml, overlays, one environment at a time)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from tprlint.devsetup import DEV_WORDS, PROD_WORDS, is_dev_path, name_tokens
from tprlint.facts.temporal_server.files import HelmfileRelease, TemporalFileFacts, ValuesLayer
from tprlint.facts.temporal_server.model import ValuesVariant
from tprlint.facts.temporal_server.values_files import ENV_PLACEHOLDER

# --- development paths -----------------------------------------------------------------------

ENV_WORDS = DEV_WORDS | PROD_WORDS | {"staging", "stage", "stg", "qa", "uat", "preprod", "perf", "load", "int",
                                     "integration"}
_name_tokens = name_tokens


def _env_word(path: str) -> str | None:
    return next((t for t in _name_tokens(path) if t in ENV_WORDS), None)


def _judged_environments(names: list[str]) -> set[str]:
    """Environments held to production standards: the production ones when there are any (staging
    and QA deliberately run smaller), else every one that is not a development environment."""
    production = {n for n in names if n.lower() in PROD_WORDS}
    return production or {n for n in names if n.lower() not in DEV_WORDS}


# --- values: grouping layers into releases and variants --------------------------------------


def values_variants(files: list[TemporalFileFacts], chart_dirs: set[str]) -> Iterator[ValuesVariant]:
    by_path: dict[str, list[ValuesLayer]] = {}
    for facts in files:
        for layer in facts.layers:
            if layer.origin == "file":
                by_path.setdefault(layer.path, []).append(layer)
    used: set[str] = set()
    for facts in files:
        for release in facts.releases:
            yield from _helmfile_variants(facts, release, by_path, used)
    for facts in files:
        for layer in facts.layers:
            if layer.origin == "chart":
                yield ValuesVariant((layer,), f"Helm values of the chart at {posixpath.dirname(layer.path) or '.'}",
                                    is_dev_path(layer.path), layer.chart_version)
            elif layer.origin in ("HelmRelease", "Application"):
                yield ValuesVariant((layer,), f"{layer.origin} {layer.release} in {layer.path}",
                                    is_dev_path(layer.path), layer.chart_version)
    groups: dict[tuple[str, tuple[str, ...]], list[ValuesLayer]] = {}
    for path, layers in by_path.items():
        if path in used:
            continue
        for layer in layers:
            folder = posixpath.dirname(path)
            if posixpath.basename(folder) == "values":
                folder = posixpath.dirname(folder)
            groups.setdefault((folder, layer.prefix), []).append(layer)
    for (folder, prefix), layers in sorted(groups.items()):
        yield from _folder_variants(folder, prefix, layers, chart_dirs)


def _helmfile_variants(facts: TemporalFileFacts, release: HelmfileRelease, by_path: dict[str, list[ValuesLayer]],
                       used: set[str]) -> Iterator[ValuesVariant]:
    slotted = any(kind == "file" and ENV_PLACEHOLDER in str(ref) for kind, ref in release.values)
    environments = facts.environments if slotted and facts.environments else [""]
    judged = _judged_environments([e for e in environments if e]) | {""}
    for env in environments:
        layers: list[ValuesLayer] = []
        for kind, ref in release.values:
            if kind == "layer" and isinstance(ref, int) and ref < len(facts.layers):
                layers.append(facts.layers[ref])
            elif kind == "file":
                path = str(ref).replace(ENV_PLACEHOLDER, env)
                found = [layer for layer in by_path.get(path, []) if layer.prefix == ()]
                used.add(path)
                layers += found
        if not layers:
            continue
        what = "kustomization helm chart" if posixpath.basename(release.location.path).startswith("kustomization") \
            else "helmfile release"
        name = f"{what} {release.name}" + (f" (environment {env})" if env else "")
        dev = env not in judged or any(is_dev_path(layer.path) for layer in layers if layer.origin == "file")
        yield ValuesVariant(tuple(layers), f"{name} in {release.location.path}", dev, release.version)


def _folder_variants(folder: str, prefix: tuple[str, ...], layers: list[ValuesLayer],
                     chart_dirs: set[str]) -> Iterator[ValuesVariant]:
    """`values.yaml` first, then feature overlays (tls, resources...), then one environment at a time."""
    base = [layer for layer in layers if posixpath.basename(layer.path) in ("values.yaml", "values.yml")
            and posixpath.dirname(layer.path) == folder]
    if base and not prefix and folder in chart_dirs:
        return  # the chart's own defaults (a vendored chart): judged when rendered with the user's values
    overlays = [layer for layer in layers if layer not in base and (layer.strong or _overlay_name(layer.path))]
    features = sorted((layer for layer in overlays if _env_word(layer.path) is None), key=lambda x: x.path)
    environments = sorted((layer for layer in overlays if _env_word(layer.path) is not None), key=lambda x: x.path)
    common = [*base, *features]
    judged = _judged_environments([str(_env_word(env.path)) for env in environments])
    variants = [([*common, env], str(_env_word(env.path)) in judged) for env in environments]
    if all(is_dev_path(env.path) for env in environments):
        variants.append((common, True))  # only development overlays: the base is what production gets
    for chosen, production in variants:
        if not any(layer.strong for layer in chosen):
            continue
        files = " + ".join(dict.fromkeys(layer.path for layer in chosen))
        dev = not production or any(is_dev_path(layer.path) for layer in chosen)
        yield ValuesVariant(tuple(chosen), f"Helm values {files}", dev, None)


def _overlay_name(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return "values" in name or "/values/" in f"/{path.lower()}"
