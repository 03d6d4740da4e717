"""Discover: walk the scanned paths and classify each file before anything is parsed."""

from tprlint.discover.classify import FileKind, classify
from tprlint.discover.walk import SourceFile, discover

__all__ = ["FileKind", "SourceFile", "classify", "discover"]
