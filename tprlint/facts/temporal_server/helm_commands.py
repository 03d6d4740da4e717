"""Which temporal chart a values file is installed with, read from the `helm install` / `helm upgrade`
commands of scripts, Makefiles and CI steps (``facts.scripts``): the `--version` they pin, or - with no
`--version` - the newest chart of the repository, which is 1.x since December 2025.

Used by TPR512 when nothing else (a helmfile, a GitOps release, a Chart.yaml dependency, a 1.x-only
key) says which chart renders legacy values.
"""

from __future__ import annotations

import posixpath

from tprlint.facts.scripts import ScriptFacts
from tprlint.model import Location
from tprlint.records import frozen

LATEST = "latest"  # no --version: Helm takes the newest chart version of the repository


@frozen
class ChartInstall:
    values: str  # a values file as the command names it, normalised (no ./ or ../)
    version: str  # the --version given, or LATEST
    location: Location
    command: str  # for messages: "helm upgrade --install temporal temporalio/temporal -f values.yaml"

    @property
    def current(self) -> bool:
        """Renders the current (1.x) chart: no --version, or a version whose major is 1 or more."""
        if self.version == LATEST:
            return True
        major = self.version.lstrip("v~^=").split(".")[0]
        return major.isdigit() and int(major) >= 1


def chart_installs(scripts: list[ScriptFacts]) -> list[ChartInstall]:
    found: list[ChartInstall] = []
    for script in scripts:
        for step in script.deploys:
            if not step.verb.startswith("helm "):
                continue
            chart = next((name for name in step.names if _is_temporal_chart(name)), None)
            if chart is None:
                continue
            version, values = _options(step.words)
            for path in values:
                found.append(ChartInstall(path, version or LATEST, step.location, " ".join(step.words)[:160]))
    return found


def install_for(installs: list[ChartInstall], values_paths: tuple[str, ...]) -> ChartInstall | None:
    """The command that installs any of ``values_paths`` (paths relative to the scan root), matched on
    the path the command names, as a suffix of the file's path."""
    for install in installs:
        if any(path == install.values or path.endswith("/" + install.values) for path in values_paths):
            return install
    return None


def _is_temporal_chart(name: str) -> bool:
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return base == "temporal" and ("/" in name or name.startswith("oci:"))


def _options(words: tuple[str, ...]) -> tuple[str | None, list[str]]:
    version: str | None = None
    values: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word == "--version" and following:
            version = following
        elif word.startswith("--version="):
            version = word.split("=", 1)[1]
        elif word in ("-f", "--values") and following:
            values.extend(p for p in following.split(",") if p)
        elif word.startswith("--values="):
            values.extend(p for p in word.split("=", 1)[1].split(",") if p)
    return version, [_normalised(p) for p in values if "://" not in p and "$" not in p]


def _normalised(path: str) -> str:
    parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".", "..")]
    return "/".join(parts)
