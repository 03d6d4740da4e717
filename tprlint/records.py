"""``@frozen`` and ``@mutable``: dataclasses for which Python compiles one function, not six or three.

For each ``@dataclass(frozen=True)`` class, Python 3.11 writes the source of ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` and compiles each with ``exec`` (three of
them for a plain ``@dataclass``). tprlint's facts are about 250 such classes: compiling 1,300 small
functions was 0.1 s of every run, more than half of the time it took to import the analysis code, on the
critical path of a cold run (the parse workers fork only once the facts code is loaded) and of every
run after an edit.

``frozen`` builds the same class as ``@dataclass(frozen=True)``, ``mutable`` as ``@dataclass``.
``dataclasses.dataclass`` still collects and checks the fields, so ``fields``, ``replace``, ``asdict``
and ``is_dataclass`` work as on any dataclass, and the cache's codecs read the class as before. Only
``__init__`` is compiled (a function per class is what keeps building millions of facts fast), and
only when the class is first instantiated (its signature reads ``(*args, **kwargs)`` until then); the
other methods are closures over the class's field names, which compare, hash and print exactly as the
generated ones do. What a frozen dataclass refuses, ``frozen`` refuses too: an assignment or deletion
after ``__init__`` raises ``dataclasses.FrozenInstanceError``. A ``mutable`` instance is unhashable, as
a dataclass's is.

Supported: fields with defaults and ``default_factory``, ``field(init=False, ...)``, ``field(compare=,
hash=, repr=)``, ``__post_init__``, an explicit ``__eq__``, ``__hash__`` or ``__repr__`` in the class
body (kept, as dataclasses keeps it). Keyword-only fields and ``InitVar`` are refused at import time:
use ``dataclasses.dataclass`` for those (and for ``order=``, ``slots=``).
"""

from __future__ import annotations

import dataclasses
import keyword
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import TYPE_CHECKING, Any, TypeVar

_T = TypeVar("_T")
if TYPE_CHECKING:
    from typing_extensions import dataclass_transform  # typing's own from Python 3.11 on
else:
    def dataclass_transform(**_: object) -> Callable[[_T], _T]:
        """What type checkers read; nothing to do at run time."""
        return lambda decorated: decorated

_NO_ARGUMENT = object()  # stands for a field left out of the call when a factory makes its default


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[_T]) -> type[_T]:
    """The class as a frozen dataclass (``@dataclass(frozen=True)``): see the module's docstring."""
    return _record(cls, frozen=True)


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def mutable(cls: type[_T]) -> type[_T]:
    """The class as a dataclass whose fields may be assigned (``@dataclass``): compiles ``__init__``
    alone, like ``frozen``; its instances compare by value and are not hashable, as with dataclasses."""
    return _record(cls, frozen=False)


def _record(cls: type[_T], frozen: bool) -> type[_T]:
    decorator = "@dataclass(frozen=True)" if frozen else "@dataclass"
    if frozen and ("__setattr__" in cls.__dict__ or "__delattr__" in cls.__dict__):
        raise TypeError(f"{cls.__qualname__}: a frozen record cannot define __setattr__ or __delattr__")
    class_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in cls.__dict__))
    documented = bool(cls.__dict__.get("__doc__"))
    if not documented:  # or dataclasses calls inspect.signature for one, which costs more than the rest
        cls.__doc__ = "(written below)"
    # The fields, collected and checked as for any dataclass; no function is generated here.
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    # What the class is, for whoever reads the flags (dataclasses itself, when a subclass is declared):
    # the parameters of this class alone, set here as ``@dataclass`` would have set them.
    params = cls.__dict__["__dataclass_params__"]
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # it is a dataclass now
    for field in fields:
        if field.kw_only:
            raise TypeError(f"{cls.__qualname__}.{field.name}: keyword-only fields need {decorator}")
    declared = cls.__dict__["__dataclass_fields__"].values()  # fields, and ClassVar and InitVar names
    if any(isinstance(f.type, dataclasses.InitVar) or str(f.type).startswith(("InitVar", "dataclasses.InitVar"))
           for f in declared):
        raise TypeError(f"{cls.__qualname__}: InitVar needs {decorator}")
    methods: dict[str, Callable[..., Any] | None] = {"__init__": _init(cls, fields)}
    if "__repr__" not in cls.__dict__:
        methods["__repr__"] = _repr(tuple(f.name for f in fields if f.repr))
    if "__eq__" not in cls.__dict__:
        methods["__eq__"] = _eq(_values([f.name for f in fields if f.compare]))
    if not explicit_hash:  # by value when frozen; none when fields may change, as dataclasses does
        compared = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        methods["__hash__"] = _hash(_values(compared)) if frozen else None
    if frozen:
        methods["__setattr__"], methods["__delattr__"] = _refusals(cls, frozenset(f.name for f in fields))
    for name, method in methods.items():
        if method is not None:
            method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    if not documented:  # what dataclasses writes, without the types (inspect.signature doubled the cost)
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    return cls


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """``__init__``, compiled when the class is first instantiated by it: most fact classes never are
    in a run that takes its facts from the cache (the cache builds instances without ``__init__``), and
    compiling them all was a fifth of the time it took to import the facts code. The first call puts
    the compiled function on the class in its own place."""
    # Field names go into the source as written: only identifiers (a class body gives nothing else, but
    # `dataclasses.make_dataclass` would). Checked now, so a bad class fails at import as before.
    if not all(f.name.isidentifier() and not keyword.iskeyword(f.name) for f in fields):
        raise TypeError(f"{cls.__qualname__}: a field name is not an identifier")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        compiled = _compiled_init(cls, fields)
        compiled.__qualname__ = __init__.__qualname__
        if cls.__dict__.get("__init__") is __init__:
            type.__setattr__(cls, "__init__", compiled)
        compiled(self, *args, **kwargs)

    return __init__


def _compiled_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """The one compiled function: arguments straight into the instance's ``__dict__`` (a frozen
    dataclass calls ``object.__setattr__`` per field instead, which costs more). Names of the code's
    own (`__record_...`) cannot come from a class body, which mangles them."""
    me = "__record_self" if any(f.name == "self" for f in fields) else "self"
    scope: dict[str, Any] = {"__record_no_argument": _NO_ARGUMENT}
    parameters: list[str] = []
    body: list[str] = []
    for index, field in enumerate(fields):
        default, factory = field.default, field.default_factory
        if default is not dataclasses.MISSING:
            scope[f"__record_default_{index}"] = default
        if factory is not dataclasses.MISSING:
            scope[f"__record_factory_{index}"] = factory
        name = field.name
        if field.init:
            if factory is not dataclasses.MISSING:
                parameters.append(f"{name}=__record_no_argument")
                value = f"__record_factory_{index}() if {name} is __record_no_argument else {name}"
            elif default is not dataclasses.MISSING:
                parameters.append(f"{name}=__record_default_{index}")
                value = name
            else:
                parameters.append(name)
                value = name
        elif factory is not dataclasses.MISSING:
            value = f"__record_factory_{index}()"
        elif default is not dataclasses.MISSING:
            value = f"__record_default_{index}"
        else:
            continue  # an init=False field without a default: set by __post_init__, or never
        body.append(f"  __record_dict[{name!r}] = {value}")
    if hasattr(cls, "__post_init__"):
        body.append(f"  {me}.__post_init__()")
    signature = ", ".join([me, *parameters])
    source = f"def __init__({signature}) -> None:\n  __record_dict = {me}.__dict__\n" + "\n".join(body) + "\n"
    exec(source, scope)
    init: Callable[..., None] = scope["__init__"]
    return init


def _values(names: list[str]) -> Callable[[Any], Any]:
    """What an instance is compared and hashed by: its fields' values."""
    if len(names) == 1:  # a tuple of one, as dataclasses compares: (nan,) == (nan,) by identity
        name = names[0]
        return lambda record: (getattr(record, name),)
    return attrgetter(*names) if names else lambda _: ()  # a tuple for two names or more


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    @recursive_repr()  # a record holding itself shows `...` there, as a dataclass does
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _eq(values: Callable[[Any], Any]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return bool(values(self) == values(other))
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], Any]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _refusals(cls: type[Any], names: frozenset[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
