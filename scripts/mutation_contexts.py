"""A pytest plugin for scripts/mutation.py: under `coverage run`, record each line of the mutated module
under the id of the test that ran it, so that a mutant first runs only the tests that reach its line.

Code run outside any test (imports, collection) stays in the empty context; a mutant on such a line runs
the whole test selection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import coverage  # type: ignore[import-not-found,unused-ignore]
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.switch_context(item.nodeid)
    yield
    if measuring is not None:
        measuring.switch_context("")
