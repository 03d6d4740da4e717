"""Reading Kubernetes objects safely: typed accessors over YAML data and where each key was written.

Manifests in the wild are partial, templated or simply wrong, so every accessor checks types and falls
back to "unknown" (None / empty) instead of raising.
"""

from __future__ import annotations

import re
from typing import Protocol

from tprlint.model import Location
from tprlint.secrets import scrub_argv

KeyPath = tuple[str | int, ...]
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")


class Locator(Protocol):
    """Where each key of an object was written: one YAML document, or a base and its patches."""

    @property
    def path(self) -> str: ...

    def loc(self, *keys: str | int) -> Location: ...

    def loc_if(self, *keys: str | int) -> Location | None: ...


def get_in(obj: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def as_dict(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def as_text(value: object) -> str | None:
    """A scalar as Kubernetes would read it from YAML; None for absent or non-scalar values."""
    if isinstance(value, bool):
        return "true" if value else "false"  # `enabled: true` as a label value
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value) and len(value) < 20:
        return int(value)
    return None


def str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        text = as_text(item)
        if text is not None and as_text(key) is not None:
            result[str(as_text(key))] = text
    return result


def argv_list(value: object) -> tuple[str, ...] | None:
    """A command/args list; None when unset or not a list (the image's default then applies)."""
    if not isinstance(value, list):
        return None
    words = [as_text(item) for item in value]
    return scrub_argv([word if word is not None else "" for word in words])
