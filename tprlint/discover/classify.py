"""Cheap classification from a file's name and bytes, so most files of a monorepo are never parsed."""

from __future__ import annotations

import enum
import re


class FileKind(str, enum.Enum):
    PYTHON = "python"  # Python that may matter: Temporal code, entrypoints, signal handling
    PYTHON_OTHER = "python-other"  # Python that matters only if a relevant module imports it
    KUBERNETES = "kubernetes"
    COMPOSE = "compose"  # docker-compose files (by name, with a top-level `services:`)
    DOCKERFILE = "dockerfile"
    PYPROJECT = "pyproject"  # console scripts are process entrypoints
    HELM_CHART = "helm-chart"  # a chart's Chart.yaml: the chart is rendered by Helm (tprlint.helm)
    # Temporal server YAML that is not a Kubernetes object: values of the temporal chart (found by shape),
    # helmfiles, server config files; also Prometheus rule files (alerting evidence)
    TEMPORAL_VALUES = "temporal-values"
    # Scripts, Makefiles, justfiles, CI workflow files and .env: where compose files are chained (COMPOSE_FILE,
    # `-f` chains), and the commands that stop processes or pods (tprlint.facts.scripts); crontabs too
    COMPOSE_CHAIN = "compose-chain"
    SKIP = "skip"


_YAML_SUFFIXES = (".yaml", ".yml")
_K8S_MARKERS = re.compile(rb"^\s*apiVersion\s*:", re.MULTILINE), re.compile(rb"^\s*kind\s*:", re.MULTILINE)
_TEMPLATE_MARKER = b"{{"
_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml")
# A JSON 6902 patch file (a list of `op:`/`path:` items) that a kustomization applies to its objects.
_JSON_PATCH_MARKERS = re.compile(rb"^[\s{-]*op\s*:\s*[\"']?(?:add|replace|remove)\b", re.MULTILINE), \
    re.compile(rb"\bpath\s*:\s*[\"']?/")
_COMPOSE_NAME = re.compile(r"^(docker-)?compose([.-][^/]*)?\.ya?ml$")
_COMPOSE_MARKER = re.compile(rb"^services[ \t]*:", re.MULTILINE)
# Cheap pre-filters only; the extractor decides by shape (tprlint.facts.temporal_server.values_shape).
# Each entry matches when all of its patterns do (independent linear searches, never one that backtracks).
_TEMPORAL_YAML = (
    (re.compile(rb"^(server|[\w.-]*temporal[\w.-]*)[ \t]*:", re.MULTILINE | re.IGNORECASE),),  # (umbrella) values
    (re.compile(rb"^persistence[ \t]*:", re.MULTILINE), re.compile(rb"\bnumHistoryShards\b")),  # server config
    (re.compile(rb"^[ \t]*-?[ \t]*alert[ \t]*:", re.MULTILINE),),  # Prometheus alerting rules
)


# classify_by_name's answer for .py and YAML files, whose content decides (see classify).
CONTENT_DECIDES = None


def classify_by_name(name: str) -> FileKind | None:
    """The kind of a file from its base name alone, or ``CONTENT_DECIDES`` for .py and YAML files."""
    lower = name.lower()
    if lower.endswith(".py") or lower.endswith(_YAML_SUFFIXES):
        return CONTENT_DECIDES
    if lower == "pyproject.toml":
        return FileKind.PYPROJECT
    if lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return FileKind.DOCKERFILE
    if lower in (".env", "makefile", "gnumakefile", "justfile") or lower.endswith(".sh"):
        return FileKind.COMPOSE_CHAIN
    if lower in ("crontab", "crontab.txt") or lower.endswith((".cron", ".crontab")):
        return FileKind.COMPOSE_CHAIN  # crontab entries: backup schedules (tprlint.facts.scripts)
    return FileKind.SKIP


def classify(relpath: str, head: bytes) -> FileKind:
    """Classify by name and content; ``head`` is the whole file (files are small) or its start."""
    name = relpath.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower.endswith(".py"):
        # Three substring searches beat one alternation regex here: each runs at memchr speed.
        if lower == "__main__.py" or b"temporalio" in head or b"SIGTERM" in head or b"add_signal_handler" in head:
            return FileKind.PYTHON
        return FileKind.PYTHON_OTHER
    if name == "Chart.yaml":
        return FileKind.HELM_CHART
    if lower.endswith(_YAML_SUFFIXES):
        if lower == ".gitlab-ci.yml" or "/.github/workflows/" in f"/{relpath.lower()}":
            return FileKind.COMPOSE_CHAIN  # CI steps: the commands they run
        # Helm templates are rendered by Helm, never read as manifests.
        if "/templates/" in f"/{relpath}" and _TEMPLATE_MARKER in head:
            return FileKind.SKIP
        if _COMPOSE_NAME.match(lower) and _COMPOSE_MARKER.search(head):
            return FileKind.COMPOSE
        if all(marker.search(head) for marker in _K8S_MARKERS) or lower in _KUSTOMIZATION_NAMES \
                or all(marker.search(head) for marker in _JSON_PATCH_MARKERS):
            return FileKind.KUBERNETES  # kustomizations (often without `kind:`) carry image tag overrides
        if lower.startswith("helmfile") or "/helmfile.d/" in f"/{relpath}" or any(
            all(pattern.search(head) for pattern in markers) for markers in _TEMPORAL_YAML
        ):
            return FileKind.TEMPORAL_VALUES
        return FileKind.SKIP
    return classify_by_name(name) or FileKind.SKIP
