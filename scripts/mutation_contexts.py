"""A pytest plugin for scripts/mutation.py: under `coverage run`, record each line of the mutated module
under the id of the test that ran it, so that a mutant first runs only the tests that reach its line.

Code run outside any test (imports, collection) stays in the empty context; a mutant on such a line runs
the whole test selection. The processes a test starts are measured under its id too: the test's id is in
the environment they inherit, and the coverage configuration names it as their context.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import coverage  # type: ignore[import-not-found,unused-ignore]
import pytest


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("MUTATION_RCFILE"):
        os.environ["COVERAGE_PROCESS_START"] = os.environ["MUTATION_RCFILE"]  # for the processes tests start


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    measuring = coverage.Coverage.current()
    os.environ["MUTATION_TEST_ID"] = item.nodeid
    if measuring is not None:
        measuring.switch_context(item.nodeid)
    yield
    os.environ["MUTATION_TEST_ID"] = ""
    if measuring is not None:
        measuring.switch_context("")
