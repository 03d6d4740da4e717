"""The Kubernetes OpenAPI schemas of the `kubernetes-validate` package, and a validator for them.

Why not ``kubernetes_validate.validate``: it reads the 1.8 MB ``_definitions.json`` again for every
object, and ``jsonschema`` + ``referencing`` then crawl that whole document on every ``$ref`` they
resolve (the registry it builds is never kept). Measured on a small Deployment: 56 ms per object, and
importing ``jsonschema`` costs 100 ms per process. Here the package's schema files are only *read*
(nothing of it is imported; 6 ms per process for what a run needs), each schema is compiled once per
process (about 0.05 ms per object then: 32 ms for the 683 objects of the benchmark tree), and a small
interpreter covers the
keywords these schemas use (type, properties, additionalProperties, required, items, enum, oneOf,
$ref); a schema using any other validation keyword is not judged at all (``Unsupported``). The tests
compare its verdicts with ``jsonschema``'s on the same schemas.

Deliberate differences from JSON Schema, each one what the API server does: ``null`` counts as an
omitted field (every type, enum and oneOf accepts it), and ``oneOf`` is read as "any of" (the only
ones are IntOrString and Quantity, which ``null`` would otherwise match twice).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Sequence

# The newest Kubernetes version whose schema the fields are checked against (the newest the required
# kubernetes-validate bundles): a field added in a later version than the cluster's is then not
# reported, where checking against an older schema would report every new field as unknown.
SCHEMA_VERSION = (1, 37)
_PACKAGE = "kubernetes_validate"
_FOLDER = re.compile(r"v(\d+)\.(\d+)\.\d+-local-strict")
# API groups served by the API server itself; any other group is a CRD's, whose schema is not bundled.
_CORE_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy", "extensions"})
_KNOWN_KEYWORDS = frozenset({
    "type", "properties", "additionalProperties", "required", "items", "enum", "oneOf", "$ref",
    # annotations, no verdict:
    "description", "format", "$schema", "$id", "default", "title",
})
_VALIDATING = _KNOWN_KEYWORDS - {"$ref", "description", "format", "$schema", "$id", "default", "title"}
_REF_PREFIX = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/")
_DEFINITION_START = re.compile(r'\n    "([^"\n]+)": \{')

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str, object]  # (where, "required" | "type" | "unknown" | "enum" | "oneOf", detail)


class Unsupported(Exception):
    """A schema keyword this validator does not interpret: the object is not judged."""


class Budget(Exception):
    """The object is too large or too deep to validate within the work budget."""


def is_builtin_group(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group in _CORE_GROUPS or (group.endswith(".k8s.io") and not group.endswith("x-k8s.io"))


def _file_stem(kind: str, api_version: str) -> str:
    """kubernetes-validate's file naming: `rbac.authorization.k8s.io/v1` → `rbac-v1`, `v1` → `v1`."""
    group, _, version = api_version.rpartition("/")
    short = group.split(".", 1)[0]
    return f"{kind.lower()}-{short}-{version}" if group else f"{kind.lower()}-{version}"


@functools.cache
def _folders() -> tuple[tuple[tuple[int, int], str], ...]:
    """The package's strict schema folders, oldest first; () when the package is not installed."""
    spec = importlib.util.find_spec(_PACKAGE)  # finds, never imports (its __init__ imports jsonschema)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        return ()
    root = os.path.join(locations[0], "kubernetes-json-schema")
    try:
        names = os.listdir(root)
    except OSError:
        return ()
    found = []
    for name in names:
        match = _FOLDER.fullmatch(name)
        if match:
            found.append(((int(match.group(1)), int(match.group(2))), os.path.join(root, name)))
    return tuple(sorted(found))


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@functools.cache
def schemas() -> Schemas | None:
    """The schemas to check fields against, one set per process; None without the package."""
    usable = [(version, folder) for version, folder in _folders() if version <= SCHEMA_VERSION]
    if not usable:
        return None
    version, folder = usable[-1]
    return Schemas(version, folder)


class Schemas:
    """One Kubernetes version's schemas: kind files read when first needed, definitions once."""

    def __init__(self, version: tuple[int, int], folder: str) -> None:
        self.version = version
        self.folder = folder
        self.stems = {name[:-5] for name in os.listdir(folder) if name.endswith(".json")}
        self._kinds: dict[str, dict[str, object] | None] = {}
        self._defs: dict[str, object] = {}  # definitions decoded so far
        self._text: str | None = None  # _definitions.json, once read
        self._starts: dict[str, int] = {}
        self._all: dict[str, object] | None = None
        self._nodes: dict[int, _Node] = {}  # id() of a schema dict -> its compiled form

    def kind_schema(self, kind: str, api_version: str) -> dict[str, object] | None:
        """The schema of ``kind`` at ``api_version``; None when this version does not serve it."""
        stem = _file_stem(kind, api_version)
        if stem not in self._kinds:
            self._kinds[stem] = _load(os.path.join(self.folder, stem + ".json")) if stem in self.stems else None
        schema = self._kinds[stem]
        # The file name drops the group's domain: check that the schema is of this very group.
        allowed = _enum_of(schema, "apiVersion") if schema is not None else ()
        return schema if api_version in allowed else None

    def other_versions(self, kind: str, api_version: str) -> tuple[str, ...]:
        """The API versions of the same group that serve ``kind`` in this Kubernetes version."""
        group = api_version.rpartition("/")[0]
        prefix = _file_stem(kind, f"{group}/") if group else f"{kind.lower()}-"
        found = []
        for stem in sorted(self.stems):
            if stem.startswith(prefix) and "-" not in stem[len(prefix):]:
                candidate = f"{group}/{stem[len(prefix):]}" if group else stem[len(prefix):]
                if self.kind_schema(kind, candidate) is not None:
                    found.append(candidate)
        return tuple(found)

    def last_served(self, kind: str, api_version: str) -> tuple[int, int] | None:
        """The newest bundled Kubernetes version that served ``kind`` at ``api_version``."""
        stem = _file_stem(kind, api_version) + ".json"
        for version, folder in reversed(_folders()):
            if version < self.version and os.path.exists(os.path.join(folder, stem)):
                return version
        return None

    def validate(self, schema: dict[str, object], value: object, budget: int, max_depth: int,
                 limit: int) -> tuple[list[Problem], int]:
        """Problems of ``value`` (at most ``limit`` kept) and how many more were found."""
        run = _Run(budget, max_depth, limit)
        run.check(self.node(schema), value, [])
        return run.problems, run.more

    def node(self, schema: dict[str, object]) -> _Node:
        """``schema`` compiled (once: the schema dicts live as long as this object, so ids stay unique)."""
        found = self._nodes.get(id(schema))
        if found is None:
            ref = schema.get("$ref")
            if isinstance(ref, str) and not _VALIDATING.intersection(schema):
                # `{"$ref": ..., "description": ...}`, how every structured field is written: the target itself.
                found = self._nodes[id(schema)] = self.node(self.resolve(ref))
            else:
                found = self._nodes[id(schema)] = _Node(self)
                found.fill(schema)
        return found

    def resolve(self, ref: str) -> dict[str, object]:
        match = _REF_PREFIX.match(ref)
        name = ref[match.end():] if match else ""
        target = self._defs.get(name)
        if target is None:
            target = self._defs[name] = self._definition(name)
        if not isinstance(target, dict):
            raise Unsupported(f"unresolvable $ref {ref}")
        return target

    def _definition(self, name: str) -> object:
        """One definition of ``_definitions.json`` (1.8 MB, 860 definitions, a run uses a few dozen): found
        by an index of where each starts, and decoded alone. Parsing the whole file took 11 ms per process;
        the index and the few definitions decoded take a third of that."""
        if self._text is None:
            try:
                with open(os.path.join(self.folder, "_definitions.json"), encoding="utf-8") as handle:
                    self._text = handle.read()
            except (OSError, ValueError):
                self._text = ""
            # The file is `json.dump(indent=2)`: each definition's key alone on a line, 4 spaces in (a newline
            # inside a string is written `\n`, so a line start is never inside one).
            self._starts = {m.group(1): m.end() - 1 for m in _DEFINITION_START.finditer(self._text)}
        start = self._starts.get(name)
        if start is not None:
            try:
                return json.JSONDecoder().raw_decode(self._text, start)[0]
            except ValueError:
                pass
        if self._all is None:  # another layout: the whole file, the way it is meant to be read
            loaded = _load(os.path.join(self.folder, "_definitions.json"))
            defs = loaded.get("$defs") if loaded is not None else None
            self._all = defs if isinstance(defs, dict) else {}
        return self._all.get(name)


def _load(path: str) -> dict[str, object] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _enum_of(schema: dict[str, object], name: str) -> Sequence[object]:
    properties = schema.get("properties")
    field = properties.get(name) if isinstance(properties, dict) else None
    enum = field.get("enum") if isinstance(field, dict) else None
    return enum if isinstance(enum, list) else ()


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
    "array": (list,), "null": (type(None),),
}
_SCALARS = frozenset({str, int, float, bool})
_SCALARS_AND_NONE = _SCALARS | {type(None)}


class _Node:
    """A schema with its keywords read once: what ``_Run.check`` needs, as attributes."""

    __slots__ = (
        "additional",
        "closed",
        "enum",
        "enum_strings",
        "fast",
        "integer",
        "items",
        "options",
        "plain_object",
        "properties",
        "raw_properties",
        "ref",
        "required",
        "schemas",
        "type_names",
        "types",
    )

    def __init__(self, schemas: Schemas) -> None:
        self.schemas = schemas

    def fill(self, schema: dict[str, object]) -> None:
        unknown = [key for key in schema if key not in _KNOWN_KEYWORDS and not key.startswith("x-")]
        if unknown:
            raise Unsupported(f"schema keyword {unknown[0]}")
        ref = schema.get("$ref")
        self.ref = self.schemas.node(self.schemas.resolve(ref)) if isinstance(ref, str) else None
        types = schema.get("type")
        names = types if isinstance(types, list) else [types] if types is not None else None
        self.type_names = names
        self.types: frozenset[type] | None = None
        self.integer = False
        if names is not None:
            python: set[type] = set()
            for name in names:
                if not isinstance(name, str) or name not in _PY_TYPES:
                    raise Unsupported(f"type {name}")
                python.update(_PY_TYPES[name])
            self.types = frozenset(python)
            self.integer = "integer" in names and "number" not in names  # 3.0 is an integer in JSON
        enum = schema.get("enum")
        self.enum = enum if isinstance(enum, list) else None
        # Most enums are of strings (apiVersion, kind, imagePullPolicy): a set answers those at once.
        strings = self.enum is not None and all(isinstance(e, str) for e in self.enum)
        self.enum_strings = frozenset(self.enum) if strings and self.enum is not None else None
        one_of = schema.get("oneOf")
        self.options = [self.schemas.node(o) for o in one_of if isinstance(o, dict)] if isinstance(
            one_of, list) else None
        properties = schema.get("properties")
        self.raw_properties = properties if isinstance(properties, dict) else {}
        self.properties: dict[str, _Node | None] = {}  # compiled when first met; None: not a property
        additional = schema.get("additionalProperties", True)
        self.closed = additional is False
        self.additional = self.schemas.node(additional) if isinstance(additional, dict) else None
        required = schema.get("required")
        self.required = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        items = schema.get("items")
        self.items = self.schemas.node(items) if isinstance(items, dict) else None
        # A scalar of one of these types is valid here without a call: no $ref, enum or oneOf to look at.
        self.plain_object = self.types is not None and dict in self.types and self.ref is None and (
            self.enum is None and self.options is None)
        self.fast = (self.types | {type(None)}) & _SCALARS_AND_NONE if (
            self.types is not None and self.ref is None and self.enum is None and self.options is None) else frozenset()

    def child(self, name: str) -> _Node | None:
        if not self.raw_properties:
            return None  # a map (labels, annotations): no name is worth remembering
        raw = self.raw_properties.get(name)
        found = self.properties[name] = self.schemas.node(raw) if isinstance(raw, dict) else None
        return found


_UNSEEN = _Node.__new__(_Node)  # a property name not looked up yet


class _Run:
    """One object's validation: a node budget, a depth limit, and the problems found."""

    def __init__(self, budget: int, max_depth: int, limit: int) -> None:
        self.budget = budget
        self.max_depth = max_depth
        self.limit = limit
        self.problems: list[Problem] = []
        self.more = 0

    def add(self, path: list[str | int], code: str, detail: object) -> None:
        if len(self.problems) < self.limit:
            self.problems.append((tuple(path), code, detail))
        else:
            self.more += 1

    def check(self, node: _Node, value: object, path: list[str | int]) -> None:
        # The budget counts the entries of mappings and lists (in ``_object`` and below): the nodes.
        if node.ref is not None:
            self.check(node.ref, value, path)
        if value is None:
            return  # what the API server does with `key: null`: as if the key were not written
        kind = type(value)
        if node.types is not None and kind not in node.types and not (
                node.integer and isinstance(value, float) and value.is_integer()):
            self.add(path, "type", node.type_names)
            return
        if node.enum is not None and not (value in node.enum_strings if node.enum_strings is not None and kind is str
                                          else any(_same(value, allowed) for allowed in node.enum)):
            self.add(path, "enum", node.enum)
            return
        if node.options is not None and not any(self._matches(option, value, path) for option in node.options):
            self.add(path, "oneOf", [option.type_names for option in node.options])
            return
        if kind in _SCALARS:
            return
        if len(path) >= self.max_depth:
            raise Budget("nested too deeply")
        if isinstance(value, dict):
            self._object(node, value, path)
        elif isinstance(value, list) and node.items is not None:
            self.budget -= len(value)
            if self.budget < 0:
                raise Budget("too large")
            for index, item in enumerate(value):
                path.append(index)
                self.check(node.items, item, path)
                path.pop()

    def _matches(self, option: _Node, value: object, path: list[str | int]) -> bool:
        trial = _Run(self.budget, self.max_depth, 1)
        trial.check(option, value, list(path))
        self.budget = trial.budget
        return not trial.problems and not trial.more

    def _object(self, node: _Node, value: dict[object, object], path: list[str | int]) -> None:
        self.budget -= len(value)
        if self.budget < 0:
            raise Budget("too large")
        additional = node.additional
        if not node.raw_properties and additional is not None and additional.fast:
            # A map of scalars (labels, annotations, a ConfigMap's data): one pass, no call per entry.
            fast = additional.fast
            if all(type(item) in fast for item in value.values()):
                return
        properties = node.properties
        for key, item in value.items():
            name = key if type(key) is str else key_text(key)
            child = properties.get(name, _UNSEEN)
            if child is _UNSEEN:
                child = node.child(name)
            if child is not None:
                kind = type(item)
                if kind in child.fast:
                    continue  # the common case, a valid scalar: checked without a call
                path.append(key if isinstance(key, (str, int)) else name)
                if kind is dict and child.plain_object:
                    # A mapping where one belongs, and nothing else to look at: straight in.
                    if len(path) >= self.max_depth:
                        raise Budget("nested too deeply")
                    self._object(child, item, path)  # type: ignore[arg-type]
                else:
                    self.check(child, item, path)
                path.pop()
                continue
            if node.closed:
                path.append(key if isinstance(key, (str, int)) else name)
                self.add(path, "unknown", None)
                path.pop()
            elif additional is not None:
                path.append(key if isinstance(key, (str, int)) else name)
                self.check(additional, item, path)
                path.pop()
        for name in node.required:
            if name not in value and not any(key_text(key) == name for key in value if type(key) is not str):
                path.append(name)
                self.add(path, "required", None)
                path.pop()


def key_text(key: object) -> str:
    """A mapping key as the API server receives it (YAML 1.1 `on:` and `1:` keys become strings)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def _same(value: object, allowed: object) -> bool:
    """JSON equality: `true` is not `1`."""
    return type(value) is type(allowed) and value == allowed if isinstance(value, bool) or isinstance(
        allowed, bool) else value == allowed
