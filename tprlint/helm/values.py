"""A chart's values as Helm composes them, with the file and line each effective key comes from.

Helm reads the chart's ``values.yaml`` and then every ``-f`` file in order. Files are merged like
Helm's ``mergeMaps``: maps merge key by key, anything else (scalars, lists) is replaced whole, and a
``null`` removes the key (Helm's coalescing drops it from the defaults). Positions follow the same
rule, so ``positions[("server", "history", "replicaCount")]`` is where the value in force was
written - the overlay that set it, not the default it replaced.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path

from tprlint.discover.read import FileTooLarge, inside, read_regular, strip_bom
from tprlint.discover.walk import display_path
from tprlint.facts.yaml_docs import YamlError, is_probably_binary, load_yaml_documents
from tprlint.model import Location
from tprlint.records import frozen, mutable

KeyPath = tuple[str | int, ...]
_MAX_VALUES_BYTES = 4 * 1024 * 1024


@frozen
class ValuesProblem:
    """A values file that could not be read; the rest were still merged."""

    location: Location
    message: str


@mutable
class MergedValues:
    data: dict[str, object] = field(default_factory=dict)
    positions: dict[KeyPath, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # display paths of the files read, in merge order
    problems: list[ValuesProblem] = field(default_factory=list)


def merged_values(chart_dir: Path, extra_files: Iterable[Path] = ()
                  ) -> tuple[dict[str, object], dict[KeyPath, Location]]:
    """The chart's ``values.yaml`` with ``extra_files`` merged over it in order (later files win).

    Returns the merged values and, for every key path in them, the location of the key that set it.
    Unreadable files are skipped (see :func:`load_values` for the problems).
    """
    merged = load_values(chart_dir, extra_files)
    return merged.data, merged.positions


def load_values(chart_dir: Path, extra_files: Iterable[Path] = (), base: Path | None = None, *,
                root: str = "") -> MergedValues:
    """With ``root`` (the scanned tree, resolved), the chart's own files - ``values.yaml`` and any other
    file inside its folder - are read only when they stay inside it once links are resolved: one that
    leads out is left out, as Helm is not shown it either (TPR002 names it, ``helm.render``). Files
    outside the chart's folder are named in the configuration."""
    base = base or Path.cwd()
    merged = MergedValues()
    for path in files_to_read(chart_dir, extra_files, root):
        shown = values_display(path, base)
        loaded = _read(path, shown, merged.problems)
        if loaded is None:
            continue
        data, positions = loaded
        merged.files.append(shown)
        _merge(merged.data, data, merged.positions, positions, ())
    return merged


def files_to_read(chart_dir: Path, extra_files: Iterable[Path] = (), root: str = "") -> list[Path]:
    """The files ``load_values`` reads, in merge order (see there)."""
    defaults = chart_dir / "values.yaml"
    own = os.path.abspath(chart_dir) + os.sep
    return [path for path in [defaults, *extra_files]
            if (path != defaults or path.is_file())  # a chart may have no defaults at all
            and not (root and os.path.abspath(path).startswith(own) and not inside(str(path), root))]


def values_display(path: Path, base: Path | None = None) -> str:
    """How findings show a values file (like every other path of the run)."""
    return display_path(path.resolve() if not path.is_absolute() else path, base or Path.cwd())


def _read(path: Path, shown: str, problems: list[ValuesProblem]
          ) -> tuple[dict[object, object], dict[KeyPath, Location]] | None:
    raw: bytes | None
    try:
        raw = strip_bom(read_regular(str(path), _MAX_VALUES_BYTES))
    except FileTooLarge:
        raw = None
    except OSError as exc:
        problems.append(ValuesProblem(Location(shown), f"values file cannot be read: {exc.strerror or exc}"))
        return None
    if raw is None or is_probably_binary(raw):
        problems.append(ValuesProblem(Location(shown), "values file is too large or binary; not read"))
        return None
    try:
        docs = load_yaml_documents(raw.decode("utf-8", errors="replace"), shown)
    except YamlError as exc:
        problems.append(ValuesProblem(Location(shown, exc.line, exc.column), f"values file is not valid YAML: {exc}"))
        return None
    if not docs:
        return {}, {}
    data = docs[0].data
    if not isinstance(data, dict):
        problems.append(ValuesProblem(Location(shown, docs[0].start_line), "values file is not a YAML mapping"))
        return None
    positions = {key: Location(shown, line, column) for key, (line, column) in docs[0].positions.items()}
    return data, positions


def _merge(target: dict[str, object], source: dict[object, object], target_pos: dict[KeyPath, Location],
           source_pos: dict[KeyPath, Location], at: KeyPath) -> None:
    for raw_key, value in source.items():
        key = str(raw_key) if not isinstance(raw_key, str) else raw_key
        path = (*at, key)
        current = target.get(key)
        if value is None:
            target.pop(key, None)
            _drop(target_pos, current, path)
        elif isinstance(value, dict) and isinstance(current, dict):
            if path in source_pos:
                target_pos[path] = source_pos[path]
            _merge(current, value, target_pos, source_pos, path)
        else:
            target[key] = _copy(value)
            _drop(target_pos, current, path)
            for sub in _paths_under(value, path):
                if sub in source_pos:
                    target_pos[sub] = source_pos[sub]


def _drop(positions: dict[KeyPath, Location], replaced: object, path: KeyPath) -> None:
    """Forget the positions of a value that is replaced or removed."""
    for sub in _paths_under(replaced, path):
        positions.pop(sub, None)


def _paths_under(value: object, path: KeyPath) -> Iterator[KeyPath]:
    """``path`` and the path of everything nested in ``value``: walking the value costs its size,
    where matching every known position against the prefix made a 25,000-key file quadratic."""
    stack: list[tuple[object, KeyPath]] = [(value, path)]
    while stack:
        node, at = stack.pop()
        yield at
        if isinstance(node, dict):
            stack.extend((child, (*at, k if isinstance(k, (str, int)) else str(k))) for k, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, (*at, i)) for i, child in enumerate(node))


def _copy(value: object) -> object:
    # Later merges change nested maps in place; the source documents stay untouched.
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def lookup(data: object, path: KeyPath) -> tuple[bool, object]:
    """(found, value) at ``path`` in nested dicts."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False, None
        data = data[key]
    return True, data
