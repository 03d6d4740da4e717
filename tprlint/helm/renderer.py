"""Which Helm renders charts: the ``helm`` binary on PATH, else the ``helm-python-sdk`` package.

Kept apart from ``tprlint.helm.render`` so a warm run can name the renderer (it is part of the
result cache key) without importing the rendering code.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

from tprlint.records import frozen


@frozen
class Renderer:
    kind: str  # "binary" | "sdk"
    executable: str = ""

    @property
    def identity(self) -> str:
        if self.kind == "binary":
            try:
                stat = os.stat(self.executable)
                return f"helm binary {self.executable} {stat.st_size} {stat.st_mtime_ns}"
            except OSError:
                return f"helm binary {self.executable}"
        # The installed package's files by stat: cheaper than importlib.metadata, which a warm run
        # would otherwise import just for this.
        spec = importlib.util.find_spec("helm_python")
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            stat = os.stat(origin)
            return f"helm-python-sdk {origin} {stat.st_size} {stat.st_mtime_ns}"
        except OSError:
            return "helm-python-sdk"

    @property
    def description(self) -> str:
        return f"`helm template` ({self.executable})" if self.kind == "binary" else "helm-python-sdk"


def find_renderer() -> tuple[Renderer | None, str]:
    """The renderer to use, or None and why there is none. Never loads the Helm library itself."""
    executable = shutil.which("helm")
    if executable:
        return Renderer("binary", executable), ""
    if importlib.util.find_spec("helm_python") is None:
        return None, "neither the `helm` binary (on PATH) nor the `helm-python-sdk` package is installed"
    return Renderer("sdk"), ""
