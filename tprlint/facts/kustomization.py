"""What a kustomization says about composing objects: its resources and its patches.

Kustomize builds the objects a cluster receives from a base plus the patches of each overlay. The
patch files are fragments (a `kind: Deployment` with a name and the few keys it changes), so they are
not objects of their own: ``tprlint.link.kustomize`` merges them into the objects they patch.
"""

from __future__ import annotations

from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen


@frozen
class KustomizePatch:
    location: Location  # the entry in the kustomization
    path: str | None  # a patch file, as written (relative to the kustomization's folder)
    inline: str | None  # or the patch itself (`patch: |`, an inline `patchesStrategicMerge` item)
    target_kind: str | None = None  # `target:` (required by JSON 6902 patches; else the patch names its object)
    target_name: str | None = None
    targeted: bool = False  # a `target:` is given: it alone says which objects the patch applies to


@frozen
class Kustomization:
    path: str  # the kustomization file
    resources: tuple[str, ...]  # `resources`, `bases` and `components`, as written
    patches: tuple[KustomizePatch, ...]


def extract_kustomization(doc: YamlDoc, path: str, data: dict[object, object]) -> Kustomization:
    resources = tuple(item for key in ("resources", "bases", "components") for item in _strings(data.get(key)))
    patches: list[KustomizePatch] = []
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        entries = data.get(key)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            where = Location(path, *doc.loc(key, i))
            if isinstance(entry, str):  # patchesStrategicMerge: a file name, or the patch inline
                inline = "\n" in entry or ":" in entry
                patches.append(KustomizePatch(where, None if inline else entry, entry if inline else None))
            elif isinstance(entry, dict):
                target = entry.get("target")
                target = target if isinstance(target, dict) else {}
                patch_path, inline_patch = entry.get("path"), entry.get("patch")
                patches.append(KustomizePatch(
                    where,
                    patch_path if isinstance(patch_path, str) else None,
                    inline_patch if isinstance(inline_patch, str) else None,
                    _text(target.get("kind")),
                    _text(target.get("name")),
                    bool(target),
                ))
    return Kustomization(path, resources, tuple(patches))


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str) and item] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
