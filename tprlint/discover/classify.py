"""Cheap classification from a file's name and bytes, so most files of a monorepo are never parsed."""

from __future__ import annotations

import enum
import re
from pathlib import PurePosixPath


class FileKind(str, enum.Enum):
    PYTHON = "python"  # Python that may matter: Temporal code, entrypoints, signal handling
    PYTHON_OTHER = "python-other"  # Python that matters only if a relevant module imports it
    KUBERNETES = "kubernetes"
    DOCKERFILE = "dockerfile"
    PYPROJECT = "pyproject"  # console scripts are process entrypoints
    SKIP = "skip"


_PYTHON_MARKERS = (b"temporalio", b"SIGTERM", b"add_signal_handler", b"__main__")
_YAML_SUFFIXES = (".yaml", ".yml")
_K8S_MARKERS = re.compile(rb"^\s*apiVersion\s*:", re.MULTILINE), re.compile(rb"^\s*kind\s*:", re.MULTILINE)
_TEMPLATE_MARKER = b"{{"


def classify(relpath: str, head: bytes) -> FileKind:
    """Classify by name and content; ``head`` is the whole file (files are small) or its start."""
    name = PurePosixPath(relpath).name
    lower = name.lower()
    if lower.endswith(".py"):
        if lower == "__main__.py" or any(marker in head for marker in _PYTHON_MARKERS):
            return FileKind.PYTHON
        return FileKind.PYTHON_OTHER
    if lower.endswith(_YAML_SUFFIXES):
        # Helm templates are rendered by Helm, never read as manifests.
        if "/templates/" in f"/{relpath}" and _TEMPLATE_MARKER in head:
            return FileKind.SKIP
        if all(marker.search(head) for marker in _K8S_MARKERS):
            return FileKind.KUBERNETES
        return FileKind.SKIP
    if lower == "pyproject.toml":
        return FileKind.PYPROJECT
    if lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return FileKind.DOCKERFILE
    return FileKind.SKIP
