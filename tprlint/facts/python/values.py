"""Static values: what an expression evaluates to, without running anything.

Extraction folds what one file can know (literals, module constants, ``timedelta(...)`` arithmetic,
``int(os.environ.get("X", "300"))``). Names imported from other modules stay symbolic (``Ref``) and
are folded later against the whole project's constants (``fold``). Anything else is ``Unknown`` with
a reason, so rules can stay silent - or say what they could not resolve - instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from tprlint.records import frozen

Number = int | float


@frozen
class Lit:
    value: Number | str | bool | None
    note: str = ""  # where the value came from, e.g. "default of env SHUTDOWN_SECONDS"


@frozen
class Dur:
    """A ``timedelta`` of known length."""

    seconds: float
    note: str = ""


@frozen
class Ref:
    """A name imported from another module: ``module`` is a module key (see ``ModuleKey``)."""

    module: str
    name: str


@frozen
class Env:
    """``os.environ.get(name, default)``: the workload that runs the code may set ``name``."""

    name: str
    default: Expr | None
    ignore_case: bool = False  # pydantic settings match environment names case-insensitively by default


@frozen
class DurOf:
    """``timedelta(...)`` whose parts are not all known yet: ``((unit, expr), ...)``."""

    parts: tuple[tuple[str, Expr], ...]


@frozen
class Arith:
    op: str  # "+", "-", "*", "/", "//", "neg", "int", "float"
    left: Expr
    right: Expr | None = None


@frozen
class Unknown:
    reason: str


@frozen
class Missing:
    """The argument was not given at all (the SDK default applies)."""


@frozen
class Sym:
    """A name defined outside the project, e.g. ``temporalio.common.VersioningBehavior.PINNED``."""

    qualname: str


@frozen
class Seq:
    """A list or tuple literal: ``activities=[charge, refund]``."""

    items: tuple[Expr, ...]


@frozen
class Obj:
    """A call of a named callable tprlint does not evaluate: ``UnsandboxedWorkflowRunner()``,
    ``WorkerDeploymentConfig(version=..., use_worker_versioning=True)``. ``callee`` is the qualified
    name; arguments are kept so rules can look inside."""

    callee: str
    args: tuple[Expr, ...] = ()
    keywords: tuple[tuple[str, Expr], ...] = ()

    def keyword(self, name: str) -> Expr:
        return next((value for key, value in self.keywords if key == name), Missing())


@frozen
class Fields:
    """A class whose instances hold settings: a pydantic ``BaseSettings`` (every field read from the
    environment variable ``env_prefix`` + its name, else its default) or a plain data class (a
    ``@dataclass``, a pydantic ``BaseModel``: the defaults, unless the constructor is given a value)."""

    name: str
    fields: tuple[tuple[str, Expr], ...]
    env_prefix: str | None = None  # None: not read from the environment
    case_sensitive: bool = False
    env_names: tuple[tuple[str, str], ...] = ()  # a field's own variable (`Field(validation_alias="X")`)
    types: tuple[tuple[str, str], ...] = ()  # "int", "float" or "timedelta": how a string from the environment is read


@frozen
class New:
    """``Settings()`` / ``WorkerConfig(timeout=...)``: an instance of a project class."""

    cls: Expr  # Fields, or a Ref to it in another module
    keywords: tuple[tuple[str, Expr], ...] = ()


@frozen
class Attr:
    """``settings.SHUTDOWN_TIMEOUT``: an attribute of a value the project phase resolves."""

    base: Expr
    name: str


Expr = Lit | Dur | Ref | Env | DurOf | Arith | Unknown | Missing | Sym | Seq | Obj | Fields | New | Attr

SECONDS_PER_UNIT = {
    "weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
    "milliseconds": 0.001, "microseconds": 0.000001,
}
# timedelta's positional parameter order.
TIMEDELTA_POSITIONAL = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")

Lookup = Callable[[Ref], "Expr | None"]


def fold(expr: Expr, lookup: Lookup | None = None, env: dict[str, str] | None = None, depth: int = 0) -> Expr:
    """Reduce ``expr`` as far as possible. ``lookup`` resolves names imported from other modules;
    ``env`` is the environment of the workload that runs the code (None: defaults apply)."""
    if depth > 20:
        return Unknown("definition too deeply nested")
    if isinstance(expr, Ref):
        target = lookup(expr) if lookup else None
        if target is None:
            return Unknown(f"`{expr.name}` is imported from a module tprlint did not resolve")
        return fold(target, lookup, env, depth + 1)
    if isinstance(expr, Env):
        return _fold_env(expr, lookup, env, depth)
    if isinstance(expr, Attr):
        return _fold_attribute(expr, lookup, env, depth)
    if isinstance(expr, DurOf):
        return _fold_duration(expr, lookup, env, depth)
    if isinstance(expr, Arith):
        left = fold(expr.left, lookup, env, depth + 1)
        right = fold(expr.right, lookup, env, depth + 1) if expr.right is not None else None
        return apply_op(expr.op, left, right)
    return expr


def _fold_env(expr: Env, lookup: Lookup | None, env: dict[str, str] | None, depth: int) -> Expr:
    if env is not None and expr.name in env:
        return Lit(env[expr.name], f"env {expr.name}={env[expr.name]} set by the workload")
    if env is not None and expr.ignore_case:
        wanted = expr.name.lower()
        for name, value in env.items():
            if name.lower() == wanted:
                return Lit(value, f"env {name}={value} set by the workload")
    if expr.default is None:
        return Unknown(f"env {expr.name} has no default")
    default = fold(expr.default, lookup, env, depth + 1)
    if isinstance(default, Lit):
        return Lit(default.value, f"default of env {expr.name}")
    return default


def _fold_attribute(expr: Attr, lookup: Lookup | None, env: dict[str, str] | None, depth: int) -> Expr:
    """``instance.field``: the constructor's keyword, else (for settings) the environment, else the default."""
    base = fold(expr.base, lookup, env, depth + 1)
    if isinstance(base, Obj):  # `Settings()` where Settings is imported: is it a project class?
        parts = base.callee.rsplit(".", 1)
        target = lookup(Ref(*_module_key(parts[0]), parts[1])) if lookup and len(parts) == 2 else None
        base = New(target, base.keywords) if isinstance(target, Fields) else base
    if not isinstance(base, New):
        return base if isinstance(base, Unknown) else Unknown(f"`.{expr.name}` of a value tprlint does not follow")
    cls = fold(base.cls, lookup, env, depth + 1)
    if not isinstance(cls, Fields):
        return cls if isinstance(cls, Unknown) else Unknown(f"`.{expr.name}` of a value tprlint does not follow")
    given = next((value for key, value in base.keywords if key == expr.name), None)
    if given is not None:
        return fold(given, lookup, env, depth + 1)
    default = next((value for key, value in cls.fields if key == expr.name), None)
    if default is None:
        return Unknown(f"`{cls.name}` has no field `{expr.name}` tprlint can see")
    if cls.env_prefix is None:
        return fold(default, lookup, env, depth + 1)
    name = dict(cls.env_names).get(expr.name, cls.env_prefix + expr.name)
    value = fold(Env(name, None if isinstance(default, Missing) else default, not cls.case_sensitive),
                 lookup, env, depth + 1)
    return _as_field_type(value, dict(cls.types).get(expr.name, ""))


def _as_field_type(value: Expr, kind: str) -> Expr:
    """A string from the environment as pydantic reads it into an ``int``, ``float`` or ``timedelta`` field."""
    if not (isinstance(value, Lit) and isinstance(value.value, str)) or kind not in ("int", "float", "timedelta"):
        return value
    number = _convert("float", value)
    if kind == "timedelta":
        seconds = as_number(number)
        return duration(seconds, value.note) if seconds is not None else Unknown(
            f"{value.note or 'the environment'}: not a number of seconds tprlint can read")
    return _convert(kind, value)


def _module_key(module: str) -> tuple[str]:
    return (module if module.startswith("path:") else f"mod:{module}",)


def _fold_duration(expr: DurOf, lookup: Lookup | None, env: dict[str, str] | None, depth: int) -> Expr:
    total = 0.0
    notes: list[str] = []
    for unit, part in expr.parts:
        value = fold(part, lookup, env, depth + 1)
        number = as_number(value)
        if number is None:
            return value if isinstance(value, Unknown) else Unknown(f"timedelta {unit}= is not a number")
        total += number * SECONDS_PER_UNIT[unit]
        if isinstance(value, Lit) and value.note:
            notes.append(value.note)
    return duration(total, "; ".join(notes))


def is_symbolic(value: Expr) -> bool:
    """Still waiting for the project: an imported name or an environment variable inside."""
    return isinstance(value, (Ref, Env, DurOf, Arith, Attr))


def qualname_of(value: Expr) -> str:
    """The dotted name a value refers to: a project name (``path:app/acts.charge``) or an external
    one (``temporalio.worker.UnsandboxedWorkflowRunner``); "" for anything else."""
    if isinstance(value, Sym):
        return value.qualname
    if isinstance(value, Ref):
        return f"{value.module}.{value.name}"
    if isinstance(value, Obj):
        return value.callee
    return ""


def scalar(value: Expr) -> Expr:
    """``value`` where a number, string or duration is expected: calls, sequences and external
    objects are not such values tprlint knows."""
    if isinstance(value, Obj):
        return Unknown(f"`{value.callee.rsplit('.', 1)[-1]}()` is computed at run time")
    if isinstance(value, (Seq, Sym, Fields, New)):
        return Unknown("not a number or duration")
    return value


def is_true(value: Expr) -> bool:
    return isinstance(value, Lit) and value.value is True


def as_number(value: Expr) -> float | None:
    if isinstance(value, Lit) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        try:
            return float(value.value)
        except OverflowError:  # an int beyond any float: no duration is made of it
            return None
    return None


# `timedelta` refuses anything longer (OverflowError), so a worker built with it never starts.
TIMEDELTA_MAX_SECONDS = timedelta.max.total_seconds()


def duration(seconds: float, note: str = "") -> Expr:
    """A duration, or Unknown when Python could not make it: not finite, or beyond timedelta's range."""
    if not math.isfinite(seconds) or abs(seconds) > TIMEDELTA_MAX_SECONDS:
        return Unknown("a duration Python cannot represent (timedelta raises OverflowError at run time)")
    return Dur(seconds, note)


def apply_op(op: str, left: Expr, right: Expr | None) -> Expr:
    """Arithmetic on folded operands: numbers, durations and the conversions ``int()``/``float()``."""
    for operand in (left, right):
        if isinstance(operand, (Unknown, Missing)):
            return operand if isinstance(operand, Unknown) else Unknown("a value is missing")
        if isinstance(operand, (Sym, Seq, Obj, Fields, New)):
            return Unknown("arithmetic on a value that is not a number")
        if isinstance(operand, (Ref, Env, DurOf, Arith, Attr)):
            return Arith(op, left, right)  # still symbolic: fold again with a project lookup
    if op in ("int", "float"):
        return _convert(op, left)
    if op == "neg":
        if isinstance(left, Dur):
            return duration(-left.seconds, left.note)
        number = as_number(left)
        return Lit(-number) if number is not None else Unknown("cannot negate a non-number")
    assert right is not None
    note = _note(left) or _note(right)
    if isinstance(left, Dur) or isinstance(right, Dur):
        return _duration_op(op, left, right, note)
    a, b = as_number(left), as_number(right)
    if a is None or b is None:
        return Unknown(f"cannot evaluate `{op}` on these values")
    result = _number_op(op, a, b)
    if result is None:
        return Unknown(f"cannot evaluate `{op}`")
    if isinstance(_lit(left), int) and isinstance(_lit(right), int) and op != "/":
        return Lit(int(result), note)
    return Lit(result, note)


def _duration_op(op: str, left: Expr, right: Expr, note: str) -> Expr:
    if isinstance(left, Dur) and isinstance(right, Dur):
        if op == "+":
            return duration(left.seconds + right.seconds, note)
        if op == "-":
            return duration(left.seconds - right.seconds, note)
        return Unknown(f"cannot evaluate timedelta {op} timedelta as a duration")
    span, other = (left, right) if isinstance(left, Dur) else (right, left)
    assert isinstance(span, Dur)
    factor = as_number(other)
    if factor is None:
        return Unknown("timedelta arithmetic with a non-number")
    if op == "*":
        return duration(span.seconds * factor, note)
    if op in ("/", "//") and isinstance(left, Dur) and factor:
        return duration(span.seconds / factor, note)
    return Unknown(f"cannot evaluate timedelta {op} number")


def _number_op(op: str, a: float, b: float) -> float | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/" and b:
        return a / b
    if op == "//" and b:
        return float(a // b)
    return None


def _convert(op: str, value: Expr) -> Expr:
    raw = value.value if isinstance(value, Lit) else None
    note = _note(value)
    try:
        if isinstance(raw, bool) or raw is None:
            raise ValueError
        if op == "int":
            return Lit(int(raw), note)
        return Lit(float(raw), note)
    except (TypeError, ValueError):
        return Unknown(f"{op}() of a value that is not a number")


def _lit(value: Expr) -> object:
    return value.value if isinstance(value, Lit) else None


def _note(value: Expr | None) -> str:
    return value.note if isinstance(value, (Lit, Dur)) else ""


def seconds_of(value: Expr) -> float | None:
    """Seconds of a resolved duration (a bare number is not a duration for the SDK)."""
    return value.seconds if isinstance(value, Dur) else None


def describe_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "an unbounded time" if seconds > 0 else "an undefined time"
    if abs(seconds) >= 1e9:  # never hundreds of digits: a magnitude is what a reader needs here
        return f"{seconds:.3g} s"
    if seconds == int(seconds):
        whole = int(seconds)
        if whole >= 120 and whole % 60 == 0:
            return f"{whole} s ({whole // 60} min)"
        return f"{whole} s"
    return f"{seconds:g} s"
