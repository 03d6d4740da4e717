"""``tprlint.records.frozen`` behaves as ``@dataclass(frozen=True)`` does, everywhere tprlint relies on it."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from tprlint.records import frozen, mutable


@frozen
class Point:
    """A docstring, as facts have."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    seen: list[str] = field(default_factory=list, compare=False)
    note: str = field(default="", repr=False)
    KIND: ClassVar[str] = "point"


@dataclass(frozen=True)
class PointAsDataclass:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    seen: list[str] = field(default_factory=list, compare=False)
    note: str = field(default="", repr=False)
    KIND: ClassVar[str] = "point"


def test_builds_compares_hashes_and_prints_as_a_frozen_dataclass() -> None:
    ours, theirs = Point(1, 2, ("a",), ["x"], "n"), PointAsDataclass(1, 2, ("a",), ["x"], "n")
    assert repr(ours) == repr(theirs).replace("PointAsDataclass", "Point")
    assert ours == Point(1, 2, ("a",), ["other"], "n")  # `seen` is not compared
    assert ours != Point(1, 2, ("a",), ["x"], "other note")  # `note` is, though not shown
    assert ours != Point(1, 3, ("a",))
    assert hash(ours) == hash(Point(1, 2, ("a",), [], "n"))
    assert ours != theirs  # another class is never equal, as with dataclasses
    assert (ours == 1) is False
    assert Point(1).seen == [] and Point(1).seen is not Point(1).seen  # a fresh list each time
    assert Point(x=4, note="b") == Point(4, 0, (), [], "b")
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_refuses_assignment_and_deletion() -> None:
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.anything = 2  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y  # type: ignore[misc]
    assert point.x == 1


def test_is_a_dataclass_for_the_standard_functions_and_the_cache() -> None:
    point = Point(1, 2, ("a",))
    assert dataclasses.is_dataclass(Point)
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "seen", "note"]
    assert dataclasses.replace(point, y=5) == Point(1, 5, ("a",))
    assert dataclasses.asdict(point) == {"x": 1, "y": 2, "tags": ("a",), "seen": [], "note": ""}
    assert pickle.loads(pickle.dumps(point)) == point  # what the parse workers send back
    assert copy.deepcopy(point) == point
    assert Point.__match_args__ == ("x", "y", "tags", "seen", "note")


def test_keeps_methods_the_class_defines_and_runs_post_init() -> None:
    @frozen
    class Named:
        name: str
        shown: str = field(init=False, default="")
        slug: list[str] = field(init=False, default_factory=list)

        def __post_init__(self) -> None:
            object.__setattr__(self, "shown", self.name.upper())

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __hash__(self) -> int:
            return 7

    named = Named("a")
    assert (named.shown, named.slug, repr(named), hash(named)) == ("A", [], "<a>", 7)
    with pytest.raises(TypeError):
        Named("a", "b")  # type: ignore[call-arg]  # init=False fields are not arguments


def test_a_field_may_be_named_like_the_generated_code_s_own_names() -> None:
    @frozen
    class Odd:
        self: int
        values: dict[str, int]

    odd = Odd(1, {"a": 2})
    assert (odd.self, odd.values) == (1, {"a": 2})


def test_refuses_what_it_does_not_build() -> None:
    with pytest.raises(TypeError, match="keyword-only"):
        @frozen
        class KeywordOnly:
            a: int = field(kw_only=True)

    with pytest.raises(TypeError, match="not an identifier"):  # it would be written into __init__'s source
        frozen(type("Built", (), {"__annotations__": {"a=print('run'),b": "int"}}))

    with pytest.raises(TypeError, match="__setattr__"):
        @frozen
        class OwnSetattr:
            a: int

            def __setattr__(self, name: str, value: object) -> None:
                pass


@mutable
class Counter:
    name: str
    seen: list[str] = field(default_factory=list)
    total: int = 0


@dataclass
class CounterAsDataclass:
    name: str
    seen: list[str] = field(default_factory=list)
    total: int = 0


def test_a_mutable_record_is_a_plain_dataclass() -> None:
    ours, theirs = Counter("a"), CounterAsDataclass("a")
    ours.total += 2
    ours.seen.append("x")
    assert (ours.total, ours.seen) == (2, ["x"])
    shown = repr(CounterAsDataclass("a", ["x"], 2))
    assert repr(Counter("a", ["x"], 2)) == shown.replace("CounterAsDataclass", "Counter")
    assert ours == Counter("a", ["x"], 2) and ours != Counter("a")
    assert Counter.__hash__ is None and CounterAsDataclass.__hash__ is None  # fields may change: unhashable
    with pytest.raises(TypeError):
        hash(ours)
    assert dataclasses.replace(ours, total=5).total == 5 and theirs.total == 0
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_dataclasses_reads_a_frozen_record_as_frozen() -> None:
    @frozen
    class Base:
        a: int

    @dataclass(frozen=True)
    class Child(Base):  # dataclasses refuses a frozen child of a class it does not know to be frozen
        b: int = 0

    assert Base.__dataclass_params__.frozen and not Counter.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert Child(1, 2) == Child(1, 2) and hash(Child(1, 2)) == hash(Child(1, 2))
    with pytest.raises(TypeError):
        @dataclass
        class Thawed(Base):  # nor may a plain dataclass thaw one
            c: int = 0


def test_one_field_compares_and_prints_as_a_dataclass_does() -> None:
    @frozen
    class One:
        value: float

    @frozen
    class Node:
        """A node."""

        kids: list[object]

    nan = float("nan")
    assert One(nan) == One(nan)  # the same object: equal, as in a tuple
    assert hash(One(5)) == hash((5,))
    node = Node([])
    node.kids.append(node)
    assert repr(node).endswith(".Node(kids=[...])")  # the qualified name, as dataclasses shows it
    assert One.__doc__ is not None and One.__doc__.startswith("One(value")


def test_init_is_compiled_when_first_called_and_then_kept() -> None:
    @frozen
    class Late:
        name: str
        size: int = 3

    first = Late.__dict__["__init__"]
    assert Late("a") == Late(name="a", size=3)  # the first call compiles, and builds the instance
    compiled = Late.__dict__["__init__"]
    assert compiled is not first and compiled.__qualname__.endswith("Late.__init__")
    Late("b", 4)
    assert Late.__dict__["__init__"] is compiled  # compiled once
    with pytest.raises(TypeError):
        Late()  # type: ignore[call-arg]  # a missing argument, as dataclasses says it


def test_init_compiled_through_a_subclass_is_the_base_class_own() -> None:
    @mutable
    class Base:
        value: int

    class Sub(Base):
        pass

    assert Sub(1).value == 1
    assert "__init__" not in Sub.__dict__ and Base(2).value == 2
