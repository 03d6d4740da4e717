"""Classes that hold settings, read from their definitions: a pydantic ``BaseSettings`` (each field
from the environment variable ``env_prefix`` + its name, case-insensitive unless ``case_sensitive``)
or a plain data class (``@dataclass``, ``attrs``, a pydantic ``BaseModel``, a ``NamedTuple``: field
defaults only).

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="WORKER_")
        shutdown_timeout: int = 600                      # WORKER_SHUTDOWN_TIMEOUT, else 600

The class becomes a ``Fields`` value; ``Settings().shutdown_timeout`` is folded against it (values.py)
with the environment of the workload that runs the code, as ``os.environ.get`` is.
"""

from __future__ import annotations

import ast

from tprlint.facts.python.evaluate import Evaluator
from tprlint.facts.python.names import Imports
from tprlint.facts.python.values import Expr, Fields, Lit, Missing, Unknown

SETTINGS_BASES = frozenset({
    "pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings",
    "pydantic_settings.main.BaseSettings",
})
DATA_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel", "typing.NamedTuple"})
DATA_DECORATORS = frozenset({
    "dataclasses.dataclass", "attr.s", "attr.attrs", "attr.define", "attr.frozen", "attrs.define", "attrs.frozen",
    "pydantic.dataclasses.dataclass",
})
FIELD_CALLS = frozenset({"pydantic.Field", "pydantic.fields.Field", "dataclasses.field", "attr.ib", "attrs.field",
                         "attr.field"})
_TYPES = {"int": "int", "float": "float", "timedelta": "timedelta", "datetime.timedelta": "timedelta",
          "PositiveInt": "int", "NonNegativeInt": "int", "PositiveFloat": "float", "NonNegativeFloat": "float"}


def settings_class(node: ast.ClassDef, imports: Imports, evaluator: Evaluator,
                   known: dict[str, Fields]) -> Fields | None:
    """The class as a ``Fields`` value, or None when it holds no settings tprlint knows of."""
    parents = [known[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in known]
    base_names = {imports.qualname(b) or "" for b in node.bases}
    decorators = {imports.qualname(d.func if isinstance(d, ast.Call) else d) or "" for d in node.decorator_list}
    reads_env = bool(base_names & SETTINGS_BASES) or any(p.env_prefix is not None for p in parents)
    if not (reads_env or parents or base_names & DATA_BASES or decorators & DATA_DECORATORS):
        return None
    fields: dict[str, Expr] = {}
    env_names: dict[str, str] = {}
    types: dict[str, str] = {}
    prefix, case_sensitive = "", False
    for parent in parents:
        fields.update(parent.fields)
        env_names.update(parent.env_names)
        types.update(parent.types)
        prefix, case_sensitive = parent.env_prefix or "", parent.case_sensitive
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            if name == "model_config":
                prefix, case_sensitive = _config(statement.value, evaluator, prefix, case_sensitive)
                continue
            default, env_name = _field(statement.value, imports, evaluator)
            fields[name] = default
            if env_name:
                env_names[name] = env_name
            kind = _TYPES.get(_annotation(statement.annotation), "")
            if kind:
                types[name] = kind
        elif isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model_config" for t in statement.targets):
            prefix, case_sensitive = _config(statement.value, evaluator, prefix, case_sensitive)
        elif isinstance(statement, ast.ClassDef) and statement.name == "Config":  # pydantic v1
            for inner in statement.body:
                if isinstance(inner, ast.Assign) and len(inner.targets) == 1 and isinstance(inner.targets[0], ast.Name):
                    value = evaluator.eval(inner.value)
                    if inner.targets[0].id == "env_prefix" and isinstance(value, Lit) and isinstance(value.value, str):
                        prefix = value.value
                    elif inner.targets[0].id == "case_sensitive" and isinstance(value, Lit):
                        case_sensitive = value.value is True
    return Fields(node.name, tuple(fields.items()), prefix if reads_env else None, case_sensitive,
                  tuple(env_names.items()), tuple(types.items()))


def _field(value: ast.expr | None, imports: Imports, evaluator: Evaluator) -> tuple[Expr, str]:
    """A field's default (Missing when it has none) and its own environment variable, if named."""
    if value is None:
        return Missing(), ""
    if isinstance(value, ast.Call) and (imports.qualname(value.func) or "") in FIELD_CALLS:
        keywords = {k.arg: k.value for k in value.keywords if k.arg}
        default_node = value.args[0] if value.args else keywords.get("default")
        env_name = ""
        for key in ("validation_alias", "alias", "env"):  # `env=` is pydantic v1's
            named = evaluator.eval(keywords[key]) if key in keywords else None
            if isinstance(named, Lit) and isinstance(named.value, str):
                env_name = named.value
                break
        if default_node is None or (isinstance(default_node, ast.Constant) and default_node.value is Ellipsis):
            if "default_factory" in keywords or "factory" in keywords:
                return Unknown("the field's default comes from a factory"), env_name
            return Missing(), env_name
        return evaluator.eval(default_node), env_name
    return evaluator.eval(value), ""


def _config(value: ast.expr | None, evaluator: Evaluator, prefix: str, case_sensitive: bool) -> tuple[str, bool]:
    """``SettingsConfigDict(env_prefix=..., case_sensitive=...)`` or the same as a dict literal."""
    pairs: list[tuple[str, ast.expr]] = []
    if isinstance(value, ast.Call):
        pairs = [(k.arg, k.value) for k in value.keywords if k.arg]
    elif isinstance(value, ast.Dict):
        pairs = [(k.value, v) for k, v in zip(value.keys, value.values, strict=True)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    for key, node in pairs:
        folded = evaluator.eval(node)
        if key == "env_prefix" and isinstance(folded, Lit) and isinstance(folded.value, str):
            prefix = folded.value
        elif key == "case_sensitive" and isinstance(folded, Lit):
            case_sensitive = folded.value is True
    return prefix, case_sensitive


def _annotation(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr if node.attr == "timedelta" else ast.unparse(node)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Annotated":
        first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
        return _annotation(first)
    return ""
