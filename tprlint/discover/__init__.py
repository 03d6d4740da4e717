"""Discover: walk the scanned paths and classify each file before anything is parsed.

The names below load their module when first asked for: a process that needs only ``discover.read``
(the Helm renderer child) does not import the walk and its ignore-file parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tprlint.discover.classify import FileKind
    from tprlint.discover.walk import Candidate, SourceFile, discover, find_candidates, read_sources

# (No name here is also a submodule's: importing `discover.walk` binds `walk` in this package.)
_MODULE_OF = {"FileKind": "classify", "Candidate": "walk", "SourceFile": "walk", "discover": "walk",
              "find_candidates": "walk", "read_sources": "walk"}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'tprlint.discover' has no attribute {name!r}")
    found = globals()[name] = getattr(importlib.import_module(f"tprlint.discover.{module}"), name)
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


__all__ = ["Candidate", "FileKind", "SourceFile", "discover", "find_candidates", "read_sources"]
