"""Values as tprlint keeps them: flattened settings with positions, merged in Helm's order; secrets
are never kept, only whether a literal is written."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen

SERVICES = ("frontend", "internal-frontend", "history", "matching", "worker")
JUDGED_SERVICES = ("frontend", "history", "matching", "worker")

KeyPath = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------
# Flattened settings


@frozen
class Node:
    """A mapping or list in a values file (its children are separate settings)."""

    kind: str  # "map" | "list"
    size: int


@frozen
class Secret:
    """A secret-looking key. The value itself is never kept: only whether a literal is written."""

    literal: bool


Leaf = str | int | float | bool | Node | Secret | None


@frozen
class Setting:
    value: Leaf
    location: Location


Settings = dict[KeyPath, Setting]

# Normalised (lower case, no - or _) key names whose values are credentials.
_SECRET_KEYS = frozenset({
    "password", "passwd", "pwd", "pass", "secret", "token", "apikey", "accesskey", "secretkey",
    "secretaccesskey", "privatekey", "clientsecret", "authtoken", "bearertoken", "sessiontoken",
})
_SECRET_ENV = re.compile(r"pass(word|wd)?|pwd|secret|token|api_?key|access_?key|private_?key|credential", re.I)
_NOT_LITERAL = re.compile(r"^(ref\+|ENC\[|\$\{|\$\(|\$[A-Za-z_]\w*$|vault:|secret://|<)")


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "").replace("_", "")
    return norm in _SECRET_KEYS or norm.endswith("password")


# What a values file's author leaves for the reader to fill in (the chart's own `values.postgresql.yaml`
# says "Replace `_PASSWORD_` with your password"): not a password anyone can use.
_PLACEHOLDER = re.compile(r"_+[A-Z][A-Z0-9_]*_+|\[[A-Z][A-Z_ -]*\]|(?i:change[-_ ]?(?:me|this|it))")


def is_literal_secret(value: object) -> bool:
    """A value written in the file, not a reference resolved at deploy time (templates, vals refs, sops)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and "{{" not in text and not _NOT_LITERAL.match(text) and not _PLACEHOLDER.fullmatch(text)


Locate = Callable[[KeyPath], Location]


def flatten(doc: YamlDoc, path: str, value: object, at: KeyPath, rel: KeyPath = (),
            out: Settings | None = None) -> Settings:
    """Every node under ``at`` as ``rel + key path -> Setting``; secrets redacted on the way."""
    out = {} if out is None else out
    _flatten(lambda keys: location_of(doc, path, keys), value, at, rel, out)
    return out


def location_of(doc: YamlDoc, path: str, at: KeyPath) -> Location:
    line, column = doc.loc(*at)
    return Location(path, line, column)


def _flatten(locate: Locate, value: object, at: KeyPath, rel: KeyPath, out: Settings) -> None:
    if isinstance(value, dict):
        out[rel] = Setting(Node("map", len(value)), locate(at))
        # `additionalEnv: [{name: SQL_PASSWORD, value: ...}]`: the value is a secret by its name.
        env_name = value.get("name")
        secret_env = isinstance(env_name, str) and bool(_SECRET_ENV.search(env_name)) and "value" in value
        for key, child in value.items():
            seg: str | int = key if isinstance(key, (str, int)) else str(key)
            child_at, child_rel = (*at, seg), (*rel, seg)
            if (is_secret_key(seg) or (secret_env and seg == "value")) and not isinstance(child, (dict, list)):
                out[child_rel] = Setting(Secret(is_literal_secret(child)), locate(child_at))
            else:
                _flatten(locate, child, child_at, child_rel, out)
    elif isinstance(value, list):
        out[rel] = Setting(Node("list", len(value)), locate(at))
        for i, item in enumerate(value):
            _flatten(locate, item, (*at, i), (*rel, i), out)
    else:
        scalar: Leaf = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        out[rel] = Setting(scalar, locate(at))


class Merged:
    """Settings of several layers merged the way Helm merges values files: maps deep-merge, lists
    and scalars replace, ``null`` deletes."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings: Settings = settings or {}

    @classmethod
    def of(cls, layers: Iterable[Settings]) -> Merged:
        merged: Settings = {}
        for layer in layers:
            for key in sorted(layer, key=len):
                setting = layer[key]
                old = merged.get(key)
                is_map = isinstance(setting.value, Node) and setting.value.kind == "map"
                # Maps deep-merge into maps; anything else (and anything over a list) replaces the subtree.
                if old is not None and isinstance(old.value, Node) and (not is_map or old.value.kind == "list"):
                    _drop_below(merged, key)
                merged[key] = setting
        return cls(merged)

    def get(self, *keys: str | int) -> Setting | None:
        """The setting at ``keys``; None when absent or set to null."""
        found = self.settings.get(keys)
        return found if found is not None and found.value is not None else None

    def value(self, *keys: str | int) -> Leaf:
        found = self.get(*keys)
        return found.value if found is not None else None

    def filled(self, *keys: str | int) -> bool:
        """Present and not empty (Helm's truthiness: `{}`, `[]`, `""`, `false`, `0` are empty)."""
        found = self.get(*keys)
        return found is not None and not helm_empty(found.value)

    def children(self, *keys: str | int) -> list[str | int]:
        depth = len(keys)
        return [k[depth] for k in self.settings if len(k) == depth + 1 and k[:depth] == keys]

    def strings(self, *keys: str | int) -> tuple[str, ...]:
        """A list of strings, or a comma-separated string, as a tuple."""
        found = self.get(*keys)
        if found is None:
            return ()
        if isinstance(found.value, str):
            return tuple(part.strip() for part in found.value.split(",") if part.strip())
        if isinstance(found.value, Node) and found.value.kind == "list":
            items = (self.value(*keys, i) for i in range(found.value.size))
            return tuple(str(item) for item in items if isinstance(item, (str, int)))
        return ()


def _drop_below(settings: Settings, key: KeyPath) -> None:
    depth = len(key)
    for other in [k for k in settings if len(k) > depth and k[:depth] == key]:
        del settings[other]


def helm_empty(value: Leaf) -> bool:
    if isinstance(value, Node):
        return value.size == 0
    if isinstance(value, Secret):
        return False
    return value in (None, "", False, 0) and not (isinstance(value, float) and value != 0)


def templated(value: Leaf) -> bool:
    return isinstance(value, str) and "{{" in value


def as_int(value: Leaf) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        return int(value)
    return None


def as_bool(value: Leaf) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_leaf(value: object) -> Leaf:
    return value if isinstance(value, (str, int, float, bool)) else None


def as_map(value: object) -> dict[object, object]:
    return value if isinstance(value, dict) else {}


def as_str(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
