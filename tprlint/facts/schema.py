"""Kubernetes objects checked against the API server's own OpenAPI schema (TPR430).

Done at extraction, per file, so the verdicts are cached with the file's other facts: a warm run reads
them and loads no schema. The schemas come from the `kubernetes-validate` package and are read only
when a file holds an object of a built-in API group (``tprlint.facts.schema_engine``); objects of other
groups (CRDs) have no bundled schema and are not judged.

Extraction does not see the configuration, so the fields are checked against one schema, the newest
bundled (``SCHEMA_VERSION``). What depends on the cluster's version - an API version it no longer
serves - is recorded here with the last version that served it, and decided by the rule against
``kubernetes-version``.
"""

from __future__ import annotations

import json
from dataclasses import replace

from tprlint.facts import schema_engine
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.live.paths import is_live_path
from tprlint.model import Location
from tprlint.records import frozen
from tprlint.secrets import scrub

# Work bounds per file and per object: a manifest is a few hundred nodes; a bundle of CRDs a few
# thousand per object. Past the file's budget the remaining objects are left unjudged (and say so).
FILE_BUDGET = 200_000
OBJECT_BUDGET = 50_000
MAX_DEPTH = 64  # the deepest built-in object (a CRD's schema) nests ~30 levels
KEPT_PROBLEMS = 5
MAX_OBJECTS = 2_000  # a file with more objects is a dump, not a manifest: the rest is not judged

# A patch (kustomize, Tilt) writes only the keys it changes, so a missing required field is no finding.
_PATCH_FOLDERS = frozenset({"patches", "patch", "overlays", "overlay", "tilt"})
_TEMPLATE_MARKS = ("{{", "${")
# Values never shown in a message: they may be credentials (facts and messages are cached and printed).
# Where a value may be a credential (`args: ["--db-password", 884213377190]`): its kind is shown, never itself.
_HIDDEN_VALUES = frozenset({"env", "data", "stringData", "binaryData", "annotations", "value", "args", "command"})

# ObjectSchema.unchecked
NO_SCHEMAS = "the kubernetes-validate package (its schemas) is not installed"
TOO_LARGE = "too large to check within tprlint's work bounds"


@frozen
class SchemaProblem:
    path: str  # "spec.template.spec.containers[0].ports[0].containerPort"
    message: str  # "required", "unknown field", "\"3\" is not of type integer"
    location: Location  # the key itself, or its parent when the key is missing


@frozen
class ObjectSchema:
    """One object of a built-in API group, checked against its schema (or why it was not)."""

    kind: str
    api_version: str
    name: str
    namespace: str | None
    location: Location  # the object's `kind:` line
    schema_version: str  # the Kubernetes version of the schema its fields were checked against; "" if not
    problems: tuple[SchemaProblem, ...] = ()
    more: int = 0  # problems found beyond those kept
    # An API version the schema version does not serve, though it serves the kind under another one:
    unserved: bool = False
    last_served: str = ""  # the newest Kubernetes version that served it ("" when older than any bundled)
    replacements: tuple[str, ...] = ()  # the API versions that serve the kind now
    unchecked: str = ""  # why the fields were not checked (NO_SCHEMAS, TOO_LARGE, an unsupported schema)
    # How many objects this entry stands for: the valid objects of a file share one entry (the first of
    # them), which keeps the cached facts small; an object with something to report has its own.
    objects: int = 1


def validate_documents(docs: list[YamlDoc], path: str) -> list[ObjectSchema]:
    """Every object of a built-in API group in ``docs`` (List items included), checked."""
    if is_live_path(path):
        return []  # the cluster's own objects were accepted by its API server, whatever its version
    objects = list(_objects(docs))
    if not any(_builtin(obj) for _, _, obj in objects):
        return []  # nothing to check: the schemas are not even looked for
    found: list[ObjectSchema] = []
    valid: ObjectSchema | None = None
    budget = FILE_BUDGET
    patch = _is_patch_path(path)
    for doc, prefix, obj in objects[:MAX_OBJECTS]:
        if not _builtin(obj):
            continue
        checked, budget = _check(doc, prefix, obj, path, budget, patch)
        if checked is None:
            continue
        if checked.schema_version and not (checked.problems or checked.more or checked.unserved or checked.unchecked):
            valid = checked if valid is None else replace(valid, objects=valid.objects + 1)
            continue
        found.append(checked)
    return found if valid is None else [valid, *found]


def _objects(docs: list[YamlDoc]) -> list[tuple[YamlDoc, tuple[str | int, ...], dict[object, object]]]:
    found: list[tuple[YamlDoc, tuple[str | int, ...], dict[object, object]]] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind, items = data.get("kind"), data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            found += [(doc, ("items", i), item) for i, item in enumerate(items) if isinstance(item, dict)]
        else:
            found.append((doc, (), data))
    return found


def _builtin(obj: dict[object, object]) -> bool:
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    return (isinstance(kind, str) and bool(kind) and isinstance(api_version, str)
            and schema_engine.is_builtin_group(api_version))


def _check(doc: YamlDoc, prefix: tuple[str | int, ...], obj: dict[object, object], path: str,
           budget: int, patch: bool) -> tuple[ObjectSchema | None, int]:

    kind, api_version = str(obj["kind"]), str(obj["apiVersion"])
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") or meta.get("generateName")
    namespace = meta.get("namespace")
    where = _location(doc, path, (*prefix, "kind"))
    header = ObjectSchema(kind, api_version, name if isinstance(name, str) else "",
                          namespace if isinstance(namespace, str) else None, where, schema_version="")
    schemas = schema_engine.schemas()
    if schemas is None:
        return replace(header, unchecked=NO_SCHEMAS), budget
    version = schema_engine.version_text(schemas.version)
    schema = schemas.kind_schema(kind, api_version)
    if schema is None:
        replacements = schemas.other_versions(kind, api_version)
        if not replacements:
            return None, budget  # a kind this version does not know at all: a CRD in a built-in-looking group
        last = schemas.last_served(kind, api_version)
        return replace(header, schema_version=version, unserved=True, replacements=replacements,
                       last_served=schema_engine.version_text(last) if last else ""), budget
    if budget <= 0:
        return replace(header, unchecked=TOO_LARGE), budget
    allowed = min(budget, OBJECT_BUDGET)
    try:
        problems, more = schemas.validate(schema, obj, allowed, MAX_DEPTH, limit=64)
    except (schema_engine.Budget, RecursionError):
        return replace(header, unchecked=TOO_LARGE), budget - allowed
    except schema_engine.Unsupported as exc:
        return replace(header, unchecked=f"its schema uses what tprlint cannot check ({exc})"), budget
    # An object with no `spec` where its kind has one is a stub (a snippet, a metadata-only patch kept
    # beside its kustomization): its missing fields are not judged, what it does write is.
    properties = schema.get("properties")
    fragment = patch or ("spec" not in obj and isinstance(properties, dict) and "spec" in properties)
    kept: list[SchemaProblem] = []
    for key_path, code, detail in problems:
        message = _message(code, detail, _value_at(obj, key_path), key_path)
        if message is None or (fragment and code == "required"):
            continue
        at = key_path[:-1] if code == "required" else key_path
        if len(kept) < KEPT_PROBLEMS:
            kept.append(SchemaProblem(_dotted(key_path), message, _location(doc, path, (*prefix, *at))))
        else:
            more += 1
    checked = ObjectSchema(header.kind, header.api_version, header.name, header.namespace, header.location, version,
                           tuple(kept), more)
    return checked, budget - allowed


def _message(code: str, detail: object, value: object, key_path: tuple[str | int, ...]) -> str | None:
    """What is wrong, or None when the value is a template placeholder (`${REPLICAS}`, `{{ x }}`)."""
    if code == "required":
        return "required"
    if code == "unknown":
        key = key_path[-1]
        return None if isinstance(key, str) and any(m in key for m in _TEMPLATE_MARKS) else "unknown field"
    if isinstance(value, str) and any(mark in value for mark in _TEMPLATE_MARKS):
        return None
    if isinstance(value, dict) and not value:
        return None  # `{{ .Values.x }}` read as YAML: a flow mapping whose only key was dropped
    shown = _shown(value, key_path)
    if code == "enum":
        options = ", ".join(json.dumps(option) for option in detail[:8]) if isinstance(detail, list) else ""
        return f"{shown} is not one of {options}"
    names = _type_names(detail)
    return f"{shown} is not of type {names}"


def _type_names(detail: object) -> str:
    names: list[str] = []
    for item in detail if isinstance(detail, list) else [detail]:
        for name in item if isinstance(item, list) else [item]:
            if isinstance(name, str) and name != "null" and name not in names:
                names.append(name)
    return " or ".join(names) or "the schema's"


def _shown(value: object, key_path: tuple[str | int, ...]) -> str:
    kind = {dict: "a mapping", list: "a list", bool: "a boolean", str: "a string"}.get(type(value))
    if isinstance(value, (dict, list)) or any(segment in _HIDDEN_VALUES for segment in key_path):
        return kind or "a number"
    if isinstance(value, str):
        text = scrub(value)
        return json.dumps(text) if len(text) <= 24 and text == value else "a string"
    if isinstance(value, bool):
        return json.dumps(value)
    return "a number"  # a number where a string belongs may be a PIN or a key written without quotes


def _value_at(obj: object, key_path: tuple[str | int, ...]) -> object:
    for segment in key_path:
        if isinstance(obj, dict):
            obj = obj.get(segment)
        elif isinstance(obj, list) and isinstance(segment, int) and 0 <= segment < len(obj):
            obj = obj[segment]
        else:
            return None
    return obj


def _dotted(key_path: tuple[str | int, ...]) -> str:
    text = ""
    for segment in key_path:
        text += f"[{segment}]" if isinstance(segment, int) and not isinstance(segment, bool) else (
            f".{segment}" if text else str(segment))
    return text or "(the object)"


def _location(doc: YamlDoc, path: str, keys: tuple[str | int, ...]) -> Location:
    line, column = doc.loc(*keys)
    return Location(path, line, column)


def _is_patch_path(path: str) -> bool:
    parts = path.lower().split("/")
    return "patch" in parts[-1] or bool(_PATCH_FOLDERS.intersection(parts[:-1]))


__all__ = ["ObjectSchema", "SchemaProblem", "validate_documents"]
