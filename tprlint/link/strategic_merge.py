"""Kustomize's two patch kinds, applied to YAML data that keeps where every key was written.

A merged object is judged like any other, so each of its keys must still point at the line a user
edits: the patch's line for what the patch set, the base's line for the rest. ``Positions`` maps a
key path to that place, and both functions return the new data with its new positions.

- ``strategic_merge``: maps merge key by key; ``null`` deletes a key; lists of objects merge by their
  merge key (``name``; ``mountPath`` for volume mounts, ``containerPort`` for ports), other lists are
  replaced; ``$patch: replace`` and ``$patch: delete`` are honoured.
- ``json_patch`` (RFC 6902): ``add``, ``replace`` and ``remove``; ``move``, ``copy`` and ``test`` are
  left out (never seen in the overlays that set what tprlint judges).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator

from tprlint.model import Location

KeyPath = tuple[str | int, ...]
Positions = dict[KeyPath, Location]

_MERGE_KEYS = {"volumeMounts": "mountPath", "ports": "containerPort", "volumeDevices": "devicePath"}


# A JSON patch whose operations times its object's keys exceed this is not applied: each operation
# rewrites the positions it moves, and a tree of strangers can hold huge objects and patch files.
MAX_JSON_PATCH_WORK = 5_000_000


class _Source:
    """Positions with an index of each path's children, so copying a subtree costs its size."""

    def __init__(self, at: Positions) -> None:
        self.at = at
        self._children: dict[KeyPath, list[KeyPath]] | None = None

    def get(self, path: KeyPath) -> Location | None:
        return self.at.get(path)

    def subtree(self, prefix: KeyPath) -> Iterator[tuple[KeyPath, Location]]:
        if self._children is None:
            self._children = {}
            for path in self.at:
                if path:
                    self._children.setdefault(path[:-1], []).append(path)
        stack = [prefix]
        while stack:
            path = stack.pop()
            where = self.at.get(path)
            if where is not None:
                yield path, where
            stack.extend(self._children.get(path, ()))


def strategic_merge(base: object, base_at: Positions, patch: object, patch_at: Positions) -> tuple[object, Positions]:
    out: Positions = {}
    return _merge(base, patch, (), (), (), _Source(base_at), _Source(patch_at), out, None), out


def _merge(base: object, patch: object, bp: KeyPath, pp: KeyPath, op: KeyPath,
           base_at: _Source, patch_at: _Source, out: Positions, field: str | int | None) -> object:
    # A map or list both sides have is the base's (the patch only walks through it to reach a key); a
    # value the patch replaces is the patch's, unless it writes what the base already had.
    where = base_at.get(bp) or patch_at.get(pp)
    if base == patch and not isinstance(base, (dict, list)):
        _copy(base_at, bp, op, out)
        return base
    if isinstance(base, dict) and isinstance(patch, dict) and patch.get("$patch") != "replace":
        if where is not None:
            out[op] = where
        merged: dict[object, object] = {}
        for key, value in base.items():
            if key not in patch:
                merged[key] = value
                _copy(base_at, (*bp, _segment(key)), (*op, _segment(key)), out)
            elif patch[key] is not None:  # null deletes the key
                merged[key] = _merge(value, patch[key], (*bp, _segment(key)), (*pp, _segment(key)),
                                     (*op, _segment(key)), base_at, patch_at, out, _segment(key))
        for key, value in patch.items():
            if key not in base and value is not None and not str(key).startswith("$"):
                merged[key] = value
                _copy(patch_at, (*pp, _segment(key)), (*op, _segment(key)), out)
        return merged
    if isinstance(base, list) and isinstance(patch, list):
        key = _merge_key(field, base, patch)
        if key is not None:
            if where is not None:
                out[op] = where
            return _merge_list(base, patch, key, bp, pp, op, base_at, patch_at, out)
    _copy(patch_at, pp, op, out)
    if isinstance(patch, dict):  # `$patch: replace`: the patch's map as it is, without the directive
        return {k: v for k, v in patch.items() if k != "$patch"}
    return patch


def _merge_list(base: list[object], patch: list[object], key: str, bp: KeyPath, pp: KeyPath, op: KeyPath,
                base_at: _Source, patch_at: _Source, out: Positions) -> list[object]:
    by_key = {item[key]: i for i, item in enumerate(patch) if isinstance(item, dict)}
    used: set[int] = set()
    merged: list[object] = []
    for i, item in enumerate(base):
        assert isinstance(item, dict)
        j = by_key.get(item[key])
        if j is None:
            _copy(base_at, (*bp, i), (*op, len(merged)), out)
            merged.append(item)
            continue
        used.add(j)
        if _directive(patch[j]) != "delete":
            merged.append(_merge(item, patch[j], (*bp, i), (*pp, j), (*op, len(merged)), base_at, patch_at,
                                 out, None))
    for j, item in enumerate(patch):
        if j not in used and _directive(item) != "delete":
            _copy(patch_at, (*pp, j), (*op, len(merged)), out)
            merged.append(item)
    return merged


def _merge_key(field: str | int | None, base: list[object], patch: list[object]) -> str | None:
    key = _MERGE_KEYS.get(field, "name") if isinstance(field, str) else "name"
    items = [*base, *patch]
    if items and all(isinstance(item, dict) and isinstance(item.get(key), (str, int)) for item in items):
        return key
    return None


def _directive(item: object) -> object:
    return item.get("$patch") if isinstance(item, dict) else None


def json_patch(obj: object, obj_at: Positions, ops: list[object], ops_at: Positions) -> tuple[object, Positions]:
    """``ops`` applied in order; an operation that does not apply (bad pointer, missing parent) is skipped."""
    if len(ops) * (len(obj_at) + 1) > MAX_JSON_PATCH_WORK:
        return obj, obj_at
    result = copy.deepcopy(obj)
    at = dict(obj_at)
    source = _Source(ops_at)
    for i, operation in enumerate(ops):
        if not isinstance(operation, dict):
            continue
        name, pointer = operation.get("op"), _pointer(operation.get("path"))
        if pointer is None or not pointer or name not in ("add", "replace", "remove"):
            continue
        parent = _walk(result, pointer[:-1])
        last = pointer[-1]
        if isinstance(parent, dict):
            if name == "remove" or "value" in operation:
                if name != "add" and last not in parent:
                    continue
                _drop(at, _typed(pointer, result))
                if name == "remove":
                    del parent[last]
                    continue
                parent[last] = copy.deepcopy(operation["value"])
                _copy(source, (i, "value"), _typed(pointer, result), at)
        elif isinstance(parent, list):
            index = len(parent) if last == "-" else _index(last)
            if index is None or index > len(parent) or (name != "add" and index >= len(parent)):
                continue
            if name == "add" and "value" in operation:
                # Items after an insertion move: their old positions no longer hold, drop them.
                _drop(at, (*_typed(pointer[:-1], result), index), siblings_after=True)
                parent.insert(index, copy.deepcopy(operation["value"]))
            elif name == "replace" and "value" in operation:
                _drop(at, (*_typed(pointer[:-1], result), index))
                parent[index] = copy.deepcopy(operation["value"])
            elif name == "remove":
                _drop(at, (*_typed(pointer[:-1], result), index), siblings_after=True)
                del parent[index]
                continue
            else:
                continue
            _copy(source, (i, "value"), (*_typed(pointer[:-1], result), index), at)
    return result, at


def _pointer(value: object) -> list[str] | None:
    if not isinstance(value, str) or not value.startswith("/"):
        return None
    return [part.replace("~1", "/").replace("~0", "~") for part in value[1:].split("/")]


def _walk(data: object, parts: Iterable[str]) -> object:
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list):
            index = _index(part)
            data = data[index] if index is not None and index < len(data) else None
        else:
            return None
    return data


def _typed(parts: list[str], data: object) -> KeyPath:
    """The pointer as a key path: list indices as ints, as the positions store them."""
    path: list[str | int] = []
    for part in parts:
        index = _index(part) if isinstance(data, list) else None
        path.append(index if index is not None else part)
        data = _walk(data, [part])
    return tuple(path)


def _index(part: str) -> int | None:
    return int(part) if part.isdigit() else None


def _segment(key: object) -> str | int:
    return key if isinstance(key, (str, int)) else str(key)


def _copy(source: _Source, prefix: KeyPath, target: KeyPath, out: Positions) -> None:
    size = len(prefix)
    for path, where in source.subtree(prefix):
        out[target + path[size:]] = where


def _drop(at: Positions, prefix: KeyPath, *, siblings_after: bool = False) -> None:
    """Forget the positions under ``prefix`` (and, for a list item, under the items after it)."""
    size = len(prefix)
    last = prefix[-1] if prefix else None
    for path in list(at):
        if path[:size] == prefix:
            del at[path]
        elif siblings_after and isinstance(last, int) and len(path) >= size and path[:size - 1] == prefix[:-1]:
            item = path[size - 1]
            if isinstance(item, int) and item > last:
                del at[path]
