"""Discover: walk the scanned paths and classify each file before anything is parsed."""

from tprlint.discover.classify import FileKind, classify
from tprlint.discover.walk import Candidate, SourceFile, discover, find_candidates, read_sources

__all__ = ["Candidate", "FileKind", "SourceFile", "classify", "discover", "find_candidates", "read_sources"]
