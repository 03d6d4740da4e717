"""Kustomize overlays: the objects a cluster receives are a base plus each overlay's patches.

A patch file (`kind: Deployment`, a name, the three keys it changes) is not an object: judged alone,
it lacks everything its base sets. Judging only the base is wrong the other way: the overlay that
raises `terminationGracePeriodSeconds` for production is what production runs. So every kustomization
that no other one includes (an overlay, or a base applied on its own) is built as Kustomize builds
it - its resources (files, and folders with their own kustomization, recursively), then its
strategic-merge and JSON 6902 patches - and judged as a deployment of its own, in its own *world*
(as Helm's ci values variants are, ``tprlint.helm.variants``): an object a patch changed replaces its
base there, with every key pointing at the line that wrote it (the patch's for what the patch set),
and the budgets and autoscalers of the other overlays are not in it, so production's budget is never
paired with staging's Deployment.

A patch whose base is not in the scan is still a fragment, and skipped (``facts.kubernetes``).
Kustomize's `namespace`, `namePrefix` and `nameSuffix` are not applied: budgets and autoscalers of the
same overlay are read as written too, so objects keep matching them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import replace

from tprlint.discover import FileKind
from tprlint.discover.read import read_text
from tprlint.facts.extract import FileFacts
from tprlint.facts.kubernetes import Workload, workload_from
from tprlint.facts.kustomization import Kustomization, KustomizePatch
from tprlint.facts.yaml_docs import YamlError, load_yaml_documents
from tprlint.helm.variants import FindingKey
from tprlint.link.strategic_merge import KeyPath, Positions, json_patch, strategic_merge
from tprlint.model import Finding, Location
from tprlint.records import frozen, mutable

# Bounds for a tree of strangers: the objects built across all kustomizations (one large base may be
# included by thousands of overlays), and the keys merged across all patches (thousands of patches on
# one huge object). Past them, objects are judged as built so far.
MAX_OBJECTS = 20_000
MAX_MERGED_KEYS = 20_000_000

ObjectKey = tuple[str, str, str]  # file, kind, name


@frozen
class Overlay:
    """One top-level kustomization, built: what its world judges instead of the files as written."""

    folder: str
    built: tuple[Workload, ...]  # the objects its patches changed
    replaced: frozenset[ObjectKey]  # the base objects those replace
    foreign: frozenset[str]  # files only other overlays build: their objects are not in this world
    managed: frozenset[str]  # every file some overlay builds
    patch_files: frozenset[str]  # every patch file of every overlay: fragments, never objects

    def keeps(self, path: str, kind: str = "", name: str = "") -> bool:
        return path not in self.foreign and path not in self.patch_files and (path, kind, name) not in self.replaced


@mutable
class _Object:
    data: dict[object, object]
    at: Positions
    origin: ObjectKey  # the base object, as the file writes it
    patched: bool = False


@frozen
class _Layered:
    """The ``Locator`` of a built object: each key where it was written, the base or a patch."""

    path: str
    at: Positions

    def loc(self, *keys: str | int) -> Location:
        for end in range(len(keys), -1, -1):
            found = self.at.get(keys[:end])
            if found is not None:
                return found
        return Location(self.path)

    def loc_if(self, *keys: str | int) -> Location | None:
        return self.at.get(keys)


def overlays(facts: Iterable[FileFacts]) -> list[Overlay]:
    """One ``Overlay`` per top-level kustomization; none when no kustomization patches anything."""
    facts = list(facts)
    kustomizations = [k for f in facts if f.kube is not None for k in f.kube.kustomizations]
    if not any(k.patches for k in kustomizations):
        return []
    builder = _Builder(kustomizations, {f.path for f in facts if f.kind is FileKind.KUBERNETES})
    results: list[tuple[str, list[_Object], set[str]]] = []
    for top in builder.tops():
        builder.files = set()
        objects = builder.build(top)
        results.append((_folder(top.path), objects, builder.files | {top.path}))
    managed = {path for _, _, files in results for path in files}
    found: list[Overlay] = []
    for folder, objects, files in results:
        built: dict[str, Workload] = {}  # by its text: two patches may build the same object
        for obj in objects:
            workload = workload_from(_Layered(obj.origin[0], obj.at), obj.data) if obj.patched else None
            if workload is not None:
                built.setdefault(repr(workload), replace(workload, overlay=folder))
        replaced = frozenset(o.origin for o in objects if o.patched)
        found.append(Overlay(folder, tuple(built.values()), replaced, frozenset(managed - files), frozenset(managed),
                             frozenset(builder.patch_files)))
    return found


def in_overlay(workloads: list[Workload], overlay: Overlay) -> list[Workload]:
    """The workloads of ``overlay``'s world: as written where it does not patch them, else as built."""
    return [w for w in workloads if overlay.keeps(w.location.path, w.kind, w.name)] + list(overlay.built)


def name_overlays(findings: list[Finding], overlay_of: dict[int, tuple[FindingKey, Overlay]],
                  in_overlays: dict[FindingKey, list[str]], every: list[str]) -> None:
    """Say which overlays a finding in kustomize's files holds for, unless it holds for all of them: a
    base's line may be right in production and wrong in staging."""
    for finding in findings:
        found = overlay_of.get(id(finding))
        if found is None:
            continue
        key, overlay = found
        names = sorted(set(in_overlays.get(key, ())))
        if finding.location.path in overlay.managed and len(names) < len(set(every)):
            finding.message += f" (kustomize overlay{'s' if len(names) > 1 else ''} {', '.join(names)})"


class _Builder:
    def __init__(self, kustomizations: list[Kustomization], readable: set[str]) -> None:
        self.by_folder = {_folder(k.path): k for k in kustomizations}
        self.readable = readable
        self.patch_files: set[str] = set()
        self.files: set[str] = set()  # what the current build read
        self.budget = MAX_OBJECTS
        self.merged_keys = 0
        self._built: dict[str, list[_Object]] = {}
        self._building: set[str] = set()
        self._read_by: dict[str, set[str]] = {}
        self._files: dict[str, list[tuple[object, Positions]]] = {}

    def tops(self) -> list[Kustomization]:
        included = {self._resolve(k, entry) for k in self.by_folder.values() for entry in k.resources}
        return [k for folder, k in self.by_folder.items() if folder not in included]

    def build(self, kustomization: Kustomization) -> list[_Object]:
        """The workload objects ``kustomization`` builds (fresh copies: the caller may keep them)."""
        folder = _folder(kustomization.path)
        self.files.add(kustomization.path)
        if folder in self._built:
            self.files |= self._read_by[folder]
            return [_Object(o.data, o.at, o.origin, o.patched) for o in self._built[folder]]
        if folder in self._building:  # a cycle: Kustomize refuses it, so do we
            return []
        self._building.add(folder)
        outer, self.files = self.files, {kustomization.path}
        objects: list[_Object] = []
        for entry in kustomization.resources:
            target = self._resolve(kustomization, entry)
            if target in self.by_folder:
                objects += self.build(self.by_folder[target])
            elif target in self.readable:
                objects += self._objects(target)
        for patch in kustomization.patches:
            for data, at in self._patch_docs(kustomization, patch):
                objects = [self._apply(o, patch, data, at) for o in objects]
        self._building.discard(folder)
        self._read_by[folder] = self.files
        self.files = outer | self.files
        self.budget -= len(objects)
        if self.budget < 0:
            objects = []  # past the bound: the rest is judged as written
        self._built[folder] = objects
        return [_Object(o.data, o.at, o.origin, o.patched) for o in objects]

    def _apply(self, obj: _Object, patch: KustomizePatch, data: object, at: Positions) -> _Object:
        meta = obj.data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        kind = obj.data.get("kind")
        if patch.targeted:
            # `target:` picks the objects, for both patch kinds. One that selects by labels or annotations
            # alone is not followed: applied to the wrong objects, it would hide real problems.
            applies = bool(patch.target_kind or patch.target_name) and patch.target_kind in (None, kind) \
                and patch.target_name in (None, name)
        elif isinstance(data, dict):  # a strategic merge names its object
            patch_meta = data.get("metadata")
            applies = data.get("kind") == kind and \
                (patch_meta.get("name") if isinstance(patch_meta, dict) else None) == name
        else:
            applies = False  # JSON 6902 operations need a target
        self.merged_keys += len(obj.at) + len(at) if applies else 0
        if not applies or self.merged_keys > MAX_MERGED_KEYS:
            return obj
        merged, merged_at = strategic_merge(obj.data, obj.at, data, at) if isinstance(data, dict) \
            else json_patch(obj.data, obj.at, data if isinstance(data, list) else [], at)
        if not isinstance(merged, dict):
            return obj
        return _Object(merged, merged_at, obj.origin, True)

    def _patch_docs(self, kustomization: Kustomization, patch: KustomizePatch) -> list[tuple[object, Positions]]:
        if patch.path is not None:
            target = self._resolve(kustomization, patch.path)
            if target not in self.readable:
                return []
            self.patch_files.add(target)
            self.files.add(target)
            return self._documents(target)
        if patch.inline is None:
            return []
        # An inline patch's keys all point at its entry in the kustomization: the text is a YAML string
        # inside YAML, and its own line numbers would point into the wrong file.
        try:
            docs = load_yaml_documents(patch.inline, kustomization.path)
        except YamlError:
            return []
        return [(doc.data, {path: patch.location for path in doc.positions}) for doc in docs]

    def _objects(self, path: str) -> list[_Object]:
        self.files.add(path)
        objects: list[_Object] = []
        for data, at in self._documents(path):
            if isinstance(data, dict):
                meta = data.get("metadata")
                name = meta.get("name") if isinstance(meta, dict) else None
                if isinstance(data.get("kind"), str) and isinstance(name, str):
                    objects.append(_Object(data, at, (path, str(data["kind"]), name)))
        return objects

    def _documents(self, path: str) -> list[tuple[object, Positions]]:
        if path not in self._files:
            try:
                docs = load_yaml_documents(read_text(path), path)
            except (OSError, ValueError):  # unreadable, too large, not YAML: its own scan reported it
                docs = []
            self._files[path] = [(doc.data, _located(path, doc.positions)) for doc in docs]
        return self._files[path]

    def _resolve(self, kustomization: Kustomization, entry: str) -> str:
        return posixpath.normpath(posixpath.join(_folder(kustomization.path), entry))


def _folder(path: str) -> str:
    return posixpath.normpath(posixpath.dirname(path) or ".")


def _located(path: str, positions: dict[KeyPath, tuple[int, int]]) -> Positions:
    return {key: Location(path, line, column) for key, (line, column) in positions.items()}
