"""Rules (stub; filled in by the versioning work)."""

from __future__ import annotations

from tprlint.rules.context import Project  # noqa: F401

RULES: dict[str, object] = {}
