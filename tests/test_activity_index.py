"""How calls, registrations and heartbeats are linked to activity definitions across modules
(``tprlint.rules.activities.ActivityIndex``): re-exports and their bound, names given as strings,
wrappers inherited from base classes, and the search for ``activity.heartbeat()`` through helpers."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tprlint.facts.python.extract import extract_python
from tprlint.link.python_project import PythonProject
from tprlint.rules.activities import ActivityIndex

# How many re-exports in a row are followed (`from .a import charge` in a package that re-exports
# another package...): a bound, so that a cycle or a generated chain costs nothing.
REEXPORTS = 5

ACTS = """\
from temporalio import activity


@activity.defn
async def charge(x): ...


class Payments:
    @activity.defn
    async def refund(self, x): ...


def beat():
    activity.heartbeat()


OPTIONS = {"start_to_close_timeout": 5}
"""


def index(files: dict[str, str]) -> ActivityIndex:
    return ActivityIndex(PythonProject(extract_python(ast.parse(textwrap.dedent(src)), path)
                                       for path, src in files.items()))


def reexported(hops: int, name: str, **more: str) -> dict[str, str]:
    """``m0`` re-exports ``name`` from ``m1``, ... and the last from ``acts``: ``hops`` re-exports."""
    files = {"acts.py": ACTS, **more}
    for k in range(hops):
        files[f"m{k}.py"] = f"from {f'm{k + 1}' if k + 1 < hops else 'acts'} import {name}\n"
    return files


@pytest.mark.parametrize(("hops", "found"), [(1, True), (REEXPORTS, True), (REEXPORTS + 1, False)])
def test_definitions_through_reexports(hops: int, found: bool) -> None:
    assert (index(reexported(hops, "charge")).definition("m0.charge") is not None) is found
    # A class re-exported: the rest of the name (`.refund`) follows it.
    refund = index(reexported(hops, "Payments")).definition("m0.Payments.refund")
    assert (refund is not None and refund.definition.qualname == "Payments.refund") is found


@pytest.mark.parametrize(("hops", "found"), [(1, True), (REEXPORTS, True), (REEXPORTS + 1, False)])
def test_option_dicts_through_reexports(hops: int, found: bool) -> None:
    assert (index(reexported(hops, "OPTIONS"))._option_dict("m0.OPTIONS") is not None) is found


def test_a_name_in_a_top_level_module() -> None:
    # `acts.charge`: a module of one part, the shortest name there is.
    assert index({"acts.py": ACTS}).definition("acts.charge") is not None


def heartbeats(helper_module: str, files: dict[str, str]) -> str:
    worker = f"""\
        from temporalio import activity
        from {helper_module} import beat

        @activity.defn
        async def export(x):
            beat()
        """
    found = index({**files, "export.py": worker})
    (resolved,) = [r for r in found.definitions.values() if r.definition.qualname == "export"]
    return found.heartbeats(resolved)


@pytest.mark.parametrize(("hops", "answer"), [(1, "yes"), (REEXPORTS, "yes"), (REEXPORTS + 1, "unknown")])
def test_heartbeat_helpers_through_reexports(hops: int, answer: str) -> None:
    assert heartbeats("m0", reexported(hops, "beat")) == answer


def test_strings_name_an_activity_only_when_no_name_is_computed() -> None:
    named = index({"acts.py": ACTS})
    assert named.by_string("charge") is not None
    computed = ACTS + "\n\n@activity.defn(name=settings.NAME)\nasync def other(x): ...\n"
    # `other` may be registered as "charge" too: a string names nothing for sure.
    assert index({"acts.py": computed}).by_string("charge") is None
    # A dynamic activity has no name to collide with.
    dynamic = ACTS + "\n\n@activity.defn(dynamic=True)\nasync def fallback(args): ...\n"
    assert index({"acts.py": dynamic}).by_string("charge") is not None
    numbered = ACTS + "\n\n@activity.defn(name=5)\nasync def odd(x): ...\n"
    assert index({"acts.py": numbered}).by_string("5") is None


def test_a_helper_inherited_from_a_base_class_may_heartbeat() -> None:
    tools = """\
        from temporalio import activity

        class Base:
            @staticmethod
            def beat():
                activity.heartbeat()

        class Tools(Base):
            pass
        """
    worker = """\
        from temporalio import activity
        from tools import Tools

        @activity.defn
        async def export(x):
            Tools.beat()
        """
    found = index({"tools.py": tools, "export.py": worker})
    (resolved,) = [r for r in found.definitions.values() if r.definition.qualname == "export"]
    # Which `beat` runs depends on the class hierarchy, which is not followed: not "no".
    assert found.heartbeats(resolved) == "unknown"
