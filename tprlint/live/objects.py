"""Live cluster objects as facts: each object is written as YAML under its ``cluster://`` path and read by
the same extractor as a manifest, so every workload rule judges the cluster as it judges the repository."""

from __future__ import annotations

from typing import Any

import yaml

from tprlint.discover import FileKind
from tprlint.facts.extract import FileFacts, extract_file
from tprlint.live.paths import cluster_path
from tprlint.live.snapshot import KubeState

# What the workload rules read; status is the live rules' (they read it from the snapshot).
_KEPT = ("apiVersion", "kind", "metadata", "spec")


def facts_of(state: KubeState) -> list[FileFacts]:
    """The objects as facts; none of a namespace where a list other than pods was refused or cut short:
    judged without their PDBs, autoscalers or policies, its workloads would get findings that are not true
    (TPR801 says what is missing)."""
    incomplete = {e.namespace for e in state.errors if e.status != 404 and e.resource != "pods"}
    found = []
    for obj in state.objects:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        kind, name = obj.get("kind"), meta.get("name")
        namespace = str(meta.get("namespace") or "default")
        if not (isinstance(kind, str) and isinstance(name, str)) or namespace in incomplete:
            continue
        path = cluster_path(namespace, kind, name)
        body: dict[str, Any] = {key: obj[key] for key in _KEPT if key in obj}
        text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
        found.append(extract_file(path, FileKind.KUBERNETES, text.encode("utf-8")))
    return found
