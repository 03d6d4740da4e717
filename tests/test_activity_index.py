"""How calls, registrations and heartbeats are linked to activity definitions across modules
(``tprlint.rules.activities.ActivityIndex``): re-exports and their bound, names given as strings,
wrappers inherited from base classes, and the search for ``activity.heartbeat()`` through helpers."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.values import Dur, Expr, Lit, Missing, Obj, Ref, Seq, Sym
from tprlint.link.python_project import PythonProject
from tprlint.rules.activities import ActivityIndex, absent

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
    # A name that is not a string is not a name tprlint knows: strings are ambiguous again.
    assert index({"acts.py": numbered}).by_string("charge") is None


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


# How many levels of base classes are searched for a wrapper method (`self.run_activity(...)`).
BASE_LEVELS = 4


def wrapper_in_base(levels: int) -> dict[str, str]:
    """``W`` derives from ``B{levels-1}``, ... from ``B0``, which defines the wrapper ``run_activity``."""
    files = {"acts.py": ACTS, "b0.py": """\
        from temporalio import workflow

        class B0:
            async def run_activity(self, fn, *args, **kwargs):
                return await workflow.execute_activity(fn, args=args, **kwargs)
        """}
    for k in range(1, levels):
        files[f"b{k}.py"] = f"from b{k - 1} import B{k - 1}\n\n\nclass B{k}(B{k - 1}):\n    pass\n"
    top = f"B{levels - 1}"
    files["wf.py"] = f"""\
        from temporalio import workflow
        from acts import charge
        from b{levels - 1} import {top}

        @workflow.defn
        class W({top}):
            @workflow.run
            async def run(self):
                await self.run_activity(charge, 1)
                await self.run_activity(fn=charge)
        """
    return files


@pytest.mark.parametrize(("levels", "linked"), [(1, 2), (BASE_LEVELS, 2), (BASE_LEVELS + 1, 0)])
def test_wrappers_inherited_from_base_classes(levels: int, linked: int) -> None:
    calls = index(wrapper_in_base(levels)).calls
    assert len(calls) == linked
    for call in calls:  # positional and keyword: both name the activity
        assert call.target is not None and call.target.label == "charge"
        assert call.describe() == "`run_activity(charge)` (which calls workflow.execute_activity)"
        assert [r.message for r in call.related()] == ["the workflow.execute_activity call inside run_activity()",
                                                        "activity charge is defined here"]


def heartbeat_answer(files: dict[str, str]) -> str:
    found = index(files)
    (resolved,) = [r for r in found.definitions.values() if r.definition.qualname == "export"]
    return found.heartbeats(resolved)


HEARTBEAT = "from temporalio import activity\n"


@pytest.mark.parametrize(("source", "answer"), [
    # Callees are searched last name first: `shared` is met again before `beat`.
    pytest.param("def beat():\n    activity.heartbeat()\ndef shared():\n    pass\n"
                 "def hub():\n    beat()\n    shared()\n"
                 "@activity.defn\nasync def export(x):\n    hub()\n    shared()\n", "yes", id="a helper reached twice"),
    pytest.param("class helper:\n    pass\ndef beat():\n    activity.heartbeat()\n"
                 "@activity.defn\nasync def export(x):\n    beat()\n    helper()\n", "yes",
                 id="a class without __init__ called first"),
    pytest.param("def helper():\n    pass\n@activity.defn\nasync def export(x):\n    helper()\n", "no",
                 id="no heartbeat"),
])
def test_heartbeat_search_goes_on_past_what_it_cannot_use(source: str, answer: str) -> None:
    assert heartbeat_answer({"acts.py": HEARTBEAT + source}) == answer


def test_a_decorator_from_unseen_project_code_may_heartbeat() -> None:
    # `@auto_heartbeat` wraps the activity; its module is the project's but was not parsed.
    files = {"app/acts.py": HEARTBEAT + "from app.helpers import auto_heartbeat\n\n"
                            "@activity.defn\n@auto_heartbeat\nasync def export(x):\n    pass\n"}
    assert heartbeat_answer(files) == "unknown"


def test_a_method_of_a_module_level_object_may_heartbeat() -> None:
    files = {
        "tools.py": HEARTBEAT + "class Client:\n    def fetch(self):\n        activity.heartbeat()\n\n"
                                "client = Client()\n",
        "acts.py": HEARTBEAT + "from tools import client\n\n@activity.defn\nasync def export(x):\n    client.fetch()\n",
    }
    # Which class `client` is an instance of is not followed: some `fetch` heartbeats, so maybe.
    assert heartbeat_answer(files) == "unknown"


# The heartbeat search visits at most this many functions, then answers "unknown".
SEARCHED = 2000


@pytest.mark.parametrize(("helpers", "answer"), [(SEARCHED - 2, "yes"), (SEARCHED - 1, "unknown")])
def test_the_heartbeat_search_is_bounded(helpers: int, answer: str) -> None:
    # export -> f0 -> f1 -> ... -> f{helpers}, which heartbeats: helpers + 2 functions in all.
    chain = "".join(f"def f{i}():\n    f{i + 1}()\n" for i in range(helpers))
    source = chain + f"def f{helpers}():\n    activity.heartbeat()\n@activity.defn\nasync def export(x):\n    f0()\n"
    assert heartbeat_answer({"acts.py": HEARTBEAT + source}) == answer


def test_an_unseen_option_splat_is_named_briefly() -> None:
    workflow = """\
        from temporalio import workflow
        from .opts import OPTS

        @workflow.defn
        class W:
            @workflow.run
            async def run(self):
                await workflow.execute_activity("x", **OPTS)
        """
    (call,) = index({"app/wf.py": workflow}).calls
    assert call.unresolved == "**opts.OPTS"


@pytest.mark.parametrize(("value", "expected"), [
    (Lit(None), True), (Lit(False), True), (Lit(0), True), (Lit(""), True), (Missing(), True),
    (Lit(1), False), (Lit(True), False), (Lit("x"), False),
    (Dur(0), True), (Dur(0, "from settings.TIMEOUT"), False), (Dur(1), False),
])
def test_values_the_sdk_treats_as_not_given(value: Expr, expected: bool) -> None:
    assert absent(value) is expected


def test_a_function_named_like_its_module_in_a_package() -> None:
    # `acts/charge.py` defines `charge`, which `acts/__init__.py` re-exports: `acts.charge` is the
    # function, not the module.
    files = {
        "acts/__init__.py": "from acts.charge import charge\n",
        "acts/charge.py": ACTS.split("\n\nclass Payments")[0] + "\n",
    }
    found = index(files).definition("acts.charge")
    assert found is not None and found.path == "acts/charge.py"


def test_calls_after_a_wrapper_in_the_same_module_are_linked() -> None:
    workflow = """\
        from temporalio import workflow
        from acts import charge

        async def run_activity(fn, *args, **kwargs):
            return await workflow.execute_activity(fn, args=args, **kwargs)

        @workflow.defn
        class W:
            @workflow.run
            async def run(self):
                await workflow.execute_activity(charge, 1)
        """
    (call,) = index({"acts.py": ACTS, "wf.py": workflow}).calls
    assert call.target is not None and call.target.label == "charge" and call.via is None


def test_heartbeat_helpers_on_reexported_classes_and_object_attributes() -> None:
    tools = HEARTBEAT + """\
class Tools:
    @staticmethod
    def beat():
        activity.heartbeat()


class Client:
    def fetch(self):
        activity.heartbeat()


class State:
    client = Client()


state = State()
"""
    via_package = HEARTBEAT + "from pkg import Tools\n\n@activity.defn\nasync def export(x):\n    Tools.beat()\n"
    files = {"tools.py": tools, "pkg/__init__.py": "from tools import Tools\n", "acts.py": via_package}
    assert heartbeat_answer(files) == "yes"
    chained = HEARTBEAT + "from tools import state\n\n@activity.defn\nasync def export(x):\n    state.client.fetch()\n"
    # `fetch` of whatever `state.client` is: some `fetch` heartbeats, so maybe.
    assert heartbeat_answer({"tools.py": tools, "acts.py": chained}) == "unknown"
    nested = HEARTBEAT + "from tools import State\n\n@activity.defn\nasync def export(x):\n    State.client.fetch()\n"
    assert heartbeat_answer({"tools.py": tools, "acts.py": nested}) == "unknown"


# How many modules of activity lists (`ALL = [*billing.ALL, *shipping.ALL]`) are followed.
LIST_MODULES = 5


@pytest.mark.parametrize(("modules", "registered"), [(1, ["charge"]), (LIST_MODULES, ["charge"]),
                                                     (LIST_MODULES + 1, [])])
def test_registrations_through_lists_of_other_modules(modules: int, registered: list[str]) -> None:
    files = {"acts.py": ACTS}
    for k in range(modules):
        last = k + 1 == modules
        files[f"l{k}.py"] = "from acts import charge\nALL = [charge]\n" if last else (
            f"from l{k + 1} import ALL as NEXT\nALL = [*NEXT]\n")
    files["w.py"] = """\
        from temporalio.worker import Worker
        from l0 import ALL

        async def main(client):
            worker = Worker(client, task_queue="q", activities=ALL)
        """
    found = index(files)
    (worker,) = found.python.workers
    assert [r.label for r in found.registered(worker)] == registered


SEQ_DEPTH = 3  # nested lists in an `activities=` value that only folding could see (a **kwargs dict)


@pytest.mark.parametrize(("value", "registered"), [
    (Sym("acts.charge"), ["charge"]),
    (Ref("acts", "charge"), ["charge"]),
    (Sym("acts.Payments.refund"), ["Payments.refund"]),
    (Obj("acts.Payments"), []),  # an instance of a class that is not an activity class
    (Obj("acts.charge"), []),  # the result of calling the activity function
    (Sym("acts.elsewhere"), []),
    (Lit("charge"), []),
])
def test_registered_values_seen_only_by_folding(value: Expr, registered: list[str]) -> None:
    found = index({"acts.py": ACTS})
    assert [r.label for r in found._from_value(value, 0)] == registered
    if isinstance(value, Ref):
        return  # items of a sequence are folded first: a reference is followed to what it names
    nested: Expr = value
    for _ in range(SEQ_DEPTH):
        nested = Seq((Lit(1), nested))
    assert [r.label for r in found._from_value(nested, 0)] == registered
    assert found._from_value(Seq((nested,)), 0) == []



def test_a_method_of_a_class_without_bases_that_calls_no_project_code_never_heartbeats() -> None:
    source = HEARTBEAT + """\
import json


class Metrics:
    @staticmethod
    def record(n):
        return json.dumps(n)


class Progress:
    def record(self, n):
        activity.heartbeat(n)


@activity.defn
async def export(x):
    Metrics.record(x)
"""
    # Another class's `record` heartbeats, but Metrics has its own and inherits nothing.
    assert heartbeat_answer({"acts.py": source}) == "no"
