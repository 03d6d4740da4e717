"""The indented JSON writer gives exactly ``json.dumps(value, indent=2, sort_keys=True)``."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tprlint.report.json_text import dumps_indented

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=30)


@given(_VALUES)
def test_any_json_value_is_written_as_json_dumps_writes_it(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, sort_keys=True)


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


@pytest.mark.parametrize("value", [
    {}, [], {"a": {}, "b": [], "c": [{}]}, "é\u2028\x00\"\\", math.inf, -math.inf, math.nan, -0.0, 1e300,
    {2: "int key", 1: "another"}, {True: 1, False: 2}, [Level.HIGH], {"level": Level.HIGH}, Text("sub"),
    {Text("k"): 1}, 10**40, -7,
])
def test_unusual_values_are_the_standard_library_s(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, sort_keys=True)


@pytest.mark.parametrize("value", [{"a": object()}, {1: "a", "b": 2}])
def test_what_json_refuses_it_refuses_the_same_way(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value, indent=2, sort_keys=True)
    with pytest.raises(TypeError):
        dumps_indented(value)


def test_a_value_holding_itself_is_refused_as_json_refuses_it() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps_indented(loop)
