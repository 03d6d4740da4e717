"""Rewrite every ``Location`` inside a fact object graph (frozen dataclasses, tuples, lists, dicts).

Facts of rendered charts are extracted from Helm's output, so their locations point into text that
exists nowhere on disk. Walking the dataclasses generically keeps every kind of fact (present and
future ones) pointing into the chart's own files without each extractor knowing about Helm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from tprlint.model import Location

T = TypeVar("T")


def relocate(value: T, path: str, mapper: Callable[[Location], Location]) -> T:
    """A copy of ``value`` with each Location in file ``path`` replaced by ``mapper(location)``."""
    memo: dict[Location, Location] = {}

    def convert(item: object) -> object:
        kind = type(item)
        if kind in _LEAVES:  # most of what a fact holds: nothing to look into
            return item
        if isinstance(item, Location):
            if item.path != path:
                return item
            if item not in memo:
                memo[item] = mapper(item)
            return memo[item]
        names = _init_fields(kind)  # type: ignore[arg-type]  # types are hashable
        if names is not None:
            changes = {}
            for name in names:
                current = getattr(item, name)
                converted = convert(current)
                if converted is not current:
                    changes[name] = converted
            return dataclasses.replace(item, **changes) if changes else item  # type: ignore[type-var]
        if isinstance(item, tuple):
            items = tuple(convert(x) for x in item)
            return item if all(a is b for a, b in zip(items, item, strict=True)) else items
        if isinstance(item, list):
            return [convert(x) for x in item]
        if isinstance(item, dict):
            return {key: convert(x) for key, x in item.items()}
        return item

    return convert(value)  # type: ignore[return-value]


_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})


@cache
def _init_fields(kind: type) -> tuple[str, ...] | None:
    """The fields ``dataclasses.replace`` takes, of a dataclass type; None for any other type."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(spec.name for spec in dataclasses.fields(kind) if spec.init)
