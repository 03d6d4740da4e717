"""Workflow determinism (TPR210-TPR213) on whole projects written the way real Temporal code is:
helpers in other modules, base workflow classes, shared helpers, aliases, sandbox escape hatches,
configuration declarations - what fires, where, with which chain, and what must stay silent."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.python.determinism import DeterminismFacts
from tprlint.facts.python.extract import extract_python
from tprlint.link.python_project import PythonProject
from tprlint.model import Finding
from tprlint.rules.context import Project
from tprlint.rules.determinism import RULES

WF = "from temporalio import workflow\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")


def dedent(text: str) -> str:
    """Dedent a module written as WF followed by an indented triple-quoted body."""
    if text.startswith(WF):
        return WF + textwrap.dedent(text[len(WF):])
    return textwrap.dedent(text)


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str = "TPR21",
         **config: tuple[str, ...]) -> list[Finding]:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    settings = Config(root=tmp_path).with_overrides(select=(rule,), **config)
    result = run([tmp_path], settings, use_cache=False, jobs=1)
    return [f for f in result.findings if f.rule_id.startswith(rule)]


def where(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, Path(f.location.path).name, f.location.line) for f in findings)


def facts(source: str, path: str = "app/workflows.py") -> DeterminismFacts:
    return extract_python(ast.parse(dedent(source)), path).determinism


def reasons(source: str, function: str = "W.run") -> list[tuple[str, str]]:
    found = facts(source).functions.get(function)
    return [(r.rule, r.api) for r in found.reasons] if found else []


def in_run(body: str, header: str = "") -> str:
    """A workflow whose run method contains ``body``."""
    head = "\n@workflow.defn\nclass W:\n    @workflow.run\n    async def run(self, x):\n"
    return header + WF + head + textwrap.indent(textwrap.dedent(body), "        ")


# -- which calls are non-deterministic (extraction) --------------------------------------------------

@pytest.mark.parametrize(("header", "body", "api"), [
    ("from datetime import datetime\n", "datetime.now()", "datetime.datetime.now"),
    ("from datetime import datetime as dt\n", "dt.now(x)", "datetime.datetime.now"),
    ("import datetime\n", "datetime.datetime.utcnow()", "datetime.datetime.utcnow"),
    ("from datetime import date\n", "date.today()", "datetime.date.today"),
    ("import time as t\n", "t.time()", "time.time"),
    ("from time import monotonic\n", "monotonic()", "time.monotonic"),
    ("import time\n", "time.sleep(1)", "time.sleep"),
    ("import time\n", "time.gmtime()", "time.gmtime"),
    ("import time\n", "time.strftime('%Y')", "time.strftime"),
    ("import random\n", "random.randint(1, 2)", "random.randint"),
    ("import random\n", "random.Random()", "random.Random"),
    ("import random\n", "random.SystemRandom().random()", "random.SystemRandom"),
    ("import secrets\n", "secrets.token_hex()", "secrets.token_hex"),
    ("import uuid\n", "uuid.uuid4()", "uuid.uuid4"),
    ("from uuid import uuid1 as make_id\n", "make_id()", "uuid.uuid1"),
    ("import os\n", "os.getenv('X')", "os.getenv"),
    ("import os\n", "os.environ['X']", "os.environ"),
    ("import os\n", "os.environ.get('X', '1')", "os.environ"),
    ("from os import environ\n", "environ.get('X')", "os.environ"),
    ("import os\n", "os.listdir('.')", "os.listdir"),
    ("", "open('f').read()", "open"),
    ("from pathlib import Path\n", "Path('a').read_text()", "pathlib.Path.read_text"),
    ("from pathlib import Path\nBASE = Path(__file__).parent\n", "(BASE / 'x.json').exists()",
     "pathlib.Path.exists"),
    ("import subprocess\n", "subprocess.run(['ls'])", "subprocess.run"),
    ("import requests\n", "requests.get('http://x')", "requests.get"),
    ("import httpx\n", "httpx.AsyncClient()", "httpx.AsyncClient"),
    ("import threading\n", "threading.Thread(target=print).start()", "threading.Thread"),
    ("from concurrent.futures import ThreadPoolExecutor\n", "ThreadPoolExecutor()",
     "concurrent.futures.ThreadPoolExecutor"),
    ("import asyncio\n", "asyncio.to_thread(print)", "asyncio.to_thread"),
    ("import asyncio\n", "asyncio.get_running_loop().run_in_executor(None, print)", "loop.run_in_executor"),
    ("import boto3\n", "boto3.client('s3')", "boto3.client"),
    ("import asyncpg\n", "asyncpg.connect('dsn')", "asyncpg.connect"),
    ("from temporalio.client import Client\n", "Client.connect('x')", "temporalio.client.Client.connect"),
    ("from temporalio import activity\n", "activity.info()", "temporalio.activity.info"),
    ("import time\n", "workflow.wait_condition(lambda: time.time() > x)", "time.time"),
    ("from datetime import datetime\nnow = datetime.utcnow\n", "now()", "datetime.datetime.utcnow"),
])
def test_nondeterministic_calls(header: str, body: str, api: str) -> None:
    assert ("TPR210", api) in reasons(in_run(body, header))


@pytest.mark.parametrize(("header", "body"), [
    ("", "workflow.now(); workflow.time(); workflow.uuid4(); workflow.random().random()"),
    ("import random\n", "random.Random(42).random()"),
    ("import random\n", "random.Random(x=workflow.random_seed())"),
    ("from datetime import datetime, timedelta\n", "datetime.fromtimestamp(x) + timedelta(days=1)"),
    ("import uuid\n", "uuid.UUID(x); uuid.uuid5(uuid.NAMESPACE_URL, x)"),
    ("import time\n", "time.strftime('%Y', time.gmtime(x)); time.ctime(x)"),
    ("import os\n", "os.path.join('a', 'b'); os.fspath(x)"),
    ("import asyncio\n", "asyncio.sleep(1); asyncio.gather(); asyncio.wait_for(x, 1)"),
    ("import secrets\n", "secrets.compare_digest(x, x)"),
    ("from temporalio import activity\n", "activity.in_activity()"),
    ("", "def open(p):\n    return p\nopen(x)"),
    ("import random\n", "random = workflow.random()\nrandom.randint(1, 3)"),
    ("import os\n", "def inner(os):\n    return os.environ\ninner(x)"),
    ("from pathlib import PurePosixPath\n", "PurePosixPath(x).with_suffix('.json')"),
])
def test_deterministic_calls(header: str, body: str) -> None:
    assert [r for r in reasons(in_run(body, header)) if r[0] == "TPR210"] == []


def test_imports_passed_through_inside_a_function_are_not_judged() -> None:
    source = in_run("with workflow.unsafe.imports_passed_through():\n    import time\n    time.time()\n")
    assert reasons(source) == []


def test_sandbox_unrestricted_is_recorded() -> None:
    source = in_run("import uuid\nwith workflow.unsafe.sandbox_unrestricted():\n    uuid.uuid4()\n")
    found = facts(source).functions["W.run"].reasons
    assert [(r.api, r.unrestricted) for r in found] == [("uuid.uuid4", True)]


def test_activities_are_not_recorded() -> None:
    found = facts("""
        import time
        from temporalio import activity

        @activity.defn
        async def slow():
            time.sleep(3)

        class Acts:
            @activity.defn
            async def slower(self):
                time.sleep(5)
    """)
    assert found.functions == {}
    assert found.methods == {"Acts": ("slower",)}


def test_only_calls_that_may_reach_project_code_are_stored() -> None:
    found = facts(in_run("""
        import json, math
        json.dumps(x); math.floor(1.5); len(x); workflow.info()
        helper(x); util.compute(x); self._step()
    """, "from app import util\n") + "\ndef helper(y):\n    return y\n")
    calls = [(c.kind, c.target) for c in found.functions["W.run"].calls]
    assert calls == [("name", "path:app/workflows.helper"), ("name", "app.util.compute"), ("self", "_step")]


# -- TPR211 / TPR212 / TPR213 extraction ---------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "for a in {'x', 'y'}: pass",
    "for a in set(x): pass",
    "for a in frozenset(x): pass",
    "s = set(x)\nfor a in s: pass",
    "s = {a for a in x}\n[b for b in s]",
    "s = set()\ns.add(1)\nfor a in list(s): pass",
    "for i, a in enumerate(set(x) | {'z'}): pass",
    "for a in set(x).union(x): pass",
    "[a for a in set(x) if a]",
    "{a: 1 for a in set(x)}",
])
def test_set_iteration(body: str) -> None:
    assert [r for r in reasons(in_run(body)) if r[0] == "TPR211"]


@pytest.mark.parametrize("body", [
    "for a in sorted(set(x)): pass",
    "s = set(x)\nif 'a' in s and len(s) > 1: pass",
    "for a in {1, 2, 3}: pass",
    "s = set(x)\nu = {a.upper() for a in s}",
    "s = set(x)\nsum(len(a) for a in s); any(a for a in s); max(a for a in s)",
    "s = x\nif x:\n    s = set(x)\nfor a in s: pass",
    "for a in list(x): pass",
])
def test_set_iteration_not_reported(body: str) -> None:
    assert [r for r in reasons(in_run(body)) if r[0] == "TPR211"] == []


def test_set_typed_attribute_and_parameter() -> None:
    source = WF + textwrap.dedent("""
        @workflow.defn
        class W:
            def __init__(self):
                self.seen: set[str] = set()
                self.order: list[str] = []
                self.numbers: set[int] = set()

            @workflow.run
            async def run(self, ids: set[str], names: list[str]):
                for a in self.seen: pass
                for b in self.order: pass
                for c in ids: pass
                for d in names: pass
                for e in self.numbers: pass
    """)
    assert [api for rule, api in reasons(source) if rule == "TPR211"] == ["self.seen", "ids"]


@pytest.mark.parametrize("annotation", ["set[str]", "Optional[Set[str]]", "frozenset[str] | None", "set"])
def test_set_annotations(annotation: str) -> None:
    source = in_run("for a in ids: pass", "from typing import Optional, Set\n").replace(
        "run(self, x)", f"run(self, ids: {annotation})")
    assert [api for rule, api in reasons(source) if rule == "TPR211"] == ["ids"]


@pytest.mark.parametrize("annotation", ["set[int]", "Optional[Set[int]]", "list[str]", "Iterable[str]"])
def test_int_sets_and_other_annotations(annotation: str) -> None:
    source = in_run("for a in ids: pass", "from typing import Iterable, Optional, Set\n").replace(
        "run(self, x)", f"run(self, ids: {annotation})")
    assert reasons(source) == []


def test_attribute_assigned_something_else_somewhere_is_not_judged() -> None:
    source = WF + textwrap.dedent("""
        @workflow.defn
        class W:
            def __init__(self):
                self.seen = set()

            @workflow.signal
            def reset(self, items):
                self.seen = sorted(items)

            @workflow.run
            async def run(self):
                for a in self.seen: pass
    """)
    assert reasons(source) == []


@pytest.mark.parametrize(("header", "body", "expected"), [
    ("import asyncio\n", "asyncio.wait(x)", ("TPR212", "asyncio.wait")),
    ("from asyncio import as_completed\n", "as_completed(x)", ("TPR212", "asyncio.as_completed")),
    ("", "print(x)", ("TPR213", "print")),
    ("import logging\n", "logging.info(x)", ("TPR213", "logging.info")),
    ("import logging\n", "logging.getLogger('a').warning(x)", ("TPR213", "logging.getLogger('a').warning")),
    ("import logging\nlogger = logging.getLogger(__name__)\n", "logger.error(x)", ("TPR213", "logger.error")),
    ("import structlog\nlog = structlog.get_logger()\n", "log.info(x)", ("TPR213", "log.info")),
    ("from loguru import logger\n", "logger.info(x)", ("TPR213", "loguru.logger.info")),
])
def test_wait_print_and_loggers(header: str, body: str, expected: tuple[str, str]) -> None:
    assert expected in reasons(in_run(body, header))


@pytest.mark.parametrize("body", [
    "workflow.logger.info(x)",
    "log = workflow.logger\nlog.info(x)",
    "if not workflow.unsafe.is_replaying():\n    print(x)",
    "if workflow.unsafe.is_replaying():\n    pass\nelse:\n    print(x)",
    "if workflow.unsafe.is_replaying():\n    return\nprint(x)",
    "if x and not workflow.unsafe.is_replaying():\n    print(x)",
])
def test_replay_aware_logging(body: str) -> None:
    assert reasons(in_run(body, "import logging\n")) == []


# -- the call graph on whole projects --------------------------------------------------------------

WORKFLOWS = WF + """
with workflow.unsafe.imports_passed_through():
    from app.activities import charge
    from app.util import compute
    import app.util as u


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, order):
        await workflow.execute_activity(charge, order, start_to_close_timeout=timedelta(seconds=5))
        return compute(order) + u.stamp()


@workflow.defn
class RefundWorkflow:
    @workflow.run
    async def run(self, order):
        return compute(order)
"""
UTIL = """
import time
from datetime import datetime


def compute(order):
    return _inner(order)


def _inner(order):
    return f"{order}-{datetime.now():%Y}"


def stamp():
    return str(time.time())


def only_for_activities():
    return datetime.utcnow()
"""
ACTIVITIES = """
import time
from temporalio import activity
from app.util import only_for_activities


@activity.defn
async def charge(order):
    time.sleep(1)
    return only_for_activities()
"""


def test_helpers_in_other_modules_with_chains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": "from datetime import timedelta\n" + WORKFLOWS, "app/util.py": UTIL,
        "app/activities.py": ACTIVITIES, "app/__init__.py": "",
    })
    assert where(found) == [("TPR210", "util.py", 11), ("TPR210", "util.py", 15)]
    by_line = {f.location.line: f for f in found}
    # Two workflows reach `_inner`: one finding, with the shortest chain (ties: stable order).
    assert "(OrderWorkflow.run → compute → _inner → datetime.now)" in by_line[11].message
    assert "Use `workflow.now()`" in by_line[11].message
    assert "Reached from 2 workflow entry points" in by_line[11].message
    assert "(OrderWorkflow.run → stamp → time.time)" in by_line[15].message
    assert "workflow.time()" in by_line[15].message
    related = by_line[11].related[0]
    assert (Path(related.location.path).name, related.location.line) == ("workflows.py", 13)
    assert "OrderWorkflow.run" in related.message


def test_base_workflow_class_in_another_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/base.py": """
            import random
            import uuid
            from temporalio import workflow


            class BaseWorkflow:
                def _token(self):
                    return uuid.uuid4().hex

                def _jitter(self):
                    return random.random()

                @workflow.signal
                def cancel(self):
                    self._cancelled = random.choice([True])
        """,
        "app/workflows.py": WF + """
            from app.base import BaseWorkflow


            @workflow.defn
            class PaymentWorkflow(BaseWorkflow):
                @workflow.run
                async def run(self):
                    return self._token() + str(self._jitter())

                def _jitter(self):
                    return workflow.random().random()
        """,
    }, "TPR210")
    # `_jitter` is overridden by the workflow class: the base's random.random() is not its code. The
    # inherited `cancel` signal handler is workflow code.
    assert where(found) == [("TPR210", "base.py", 9), ("TPR210", "base.py", 16)]
    messages = sorted(f.message for f in found)
    assert "(PaymentWorkflow.cancel → random.choice)" in messages[0]
    assert "(PaymentWorkflow.run → BaseWorkflow._token → uuid.uuid4)" in messages[1]


def test_super_calls_and_helper_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": WF + """
            import os
            import time


            class Pricing:
                def __init__(self):
                    self.region = os.getenv("REGION")

                def quote(self):
                    return time.monotonic()


            class Base:
                async def run(self):
                    return time.perf_counter()


            @workflow.defn
            class QuoteWorkflow(Base):
                @workflow.run
                async def run(self):
                    pricing = Pricing()
                    pricing.quote()
                    return await super().run()
        """,
    }, "TPR210")
    assert where(found) == [("TPR210", "workflows.py", 9), ("TPR210", "workflows.py", 12),
                            ("TPR210", "workflows.py", 17)]


def test_handlers_registered_at_run_time_are_workflow_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": WF + """
            import time


            @workflow.defn
            class WindowWorkflow:
                @workflow.run
                async def run(self):
                    workflow.set_query_handler("state", self._state)
                    workflow.set_signal_handler("done", handler=self._done)
                    await workflow.wait_condition(self._ready)

                def _state(self):
                    return time.time()

                def _done(self):
                    print("done")

                def _ready(self):
                    return time.monotonic() > 0

                def _unused(self):
                    return time.time()
        """,
    })
    # `_unused` too: an instance method of a workflow class only ever runs inside the workflow.
    assert where(found) == [("TPR210", "workflows.py", 15), ("TPR210", "workflows.py", 21),
                            ("TPR210", "workflows.py", 24), ("TPR213", "workflows.py", 18)]


def test_recursive_and_mutually_recursive_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/tree.py": """
            import random


            def walk(node, depth=0):
                if depth > 3:
                    return visit(node)
                return walk(node, depth + 1)


            def visit(node):
                if random.random() > 0.5:
                    return walk(node)
                return node
        """,
        "app/workflows.py": WF + """
            from app.tree import walk


            @workflow.defn
            class TreeWorkflow:
                @workflow.run
                async def run(self, node):
                    return self._go(node)

                def _go(self, node):
                    return self._go(walk(node)) if node else node
        """,
    }, "TPR210")
    assert where(found) == [("TPR210", "tree.py", 12)]
    assert "(TreeWorkflow.run → TreeWorkflow._go → walk → visit → random.random)" in found[0].message


REEXPORTS = {
    "app/helpers/__init__.py": "from .clock import today\n",
    "app/helpers/clock.py": "from datetime import date\n\n\ndef today():\n    return date.today()\n",
    "app/workflows.py": WF + """
        import secrets
        from app.helpers import today


        @workflow.defn
        class ReportWorkflow:
            @workflow.run
            async def run(self):
                def token():
                    return secrets.token_urlsafe()
                return f"{today()}-{token()}"
    """,
}


def test_nested_functions_and_package_reexports() -> None:
    project = Project(python=PythonProject(
        extract_python(ast.parse(dedent(text)), path) for path, text in REEXPORTS.items()
    ))
    found = [(Path(h.location.path).name, h.location.line) for h in RULES["TPR210"](project)]
    assert sorted(found) == [("clock.py", 5), ("workflows.py", 12)]


def test_engine_parses_helpers_of_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, REEXPORTS, "TPR210")
    assert where(found) == [("TPR210", "clock.py", 5), ("TPR210", "workflows.py", 12)]


def test_src_layout_and_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "src/app/clock.py": "from datetime import datetime\n\n\ndef now_for_tests():\n    return datetime.now()\n",
        "src/app/cache.py": "_DATA = {}\n\n\ndef get(key):\n    return _DATA.get(key)\n",
        "src/app/workflows.py": WF + """
            import mylib
            from app.clock import now_for_tests
            from app import cache


            @workflow.defn
            class CacheWorkflow:
                @workflow.run
                async def run(self, key):
                    return now_for_tests(), cache.get(key), mylib.fetch(key), mylib.pure(key)
        """,
    }
    plain = lint(tmp_path, monkeypatch, files, "TPR210")
    assert where(plain) == [("TPR210", "clock.py", 5)]
    declared = lint(tmp_path, monkeypatch, files, "TPR210", deterministic=("app.clock.now_for_tests",),
                    non_deterministic=("app.cache.get", "mylib.fetch"))
    assert where(declared) == [("TPR210", "workflows.py", 12), ("TPR210", "workflows.py", 12)]
    assert all("declared non-deterministic in the tprlint configuration" in f.message for f in declared)
    assert sorted(f.location.column for f in declared) == [33, 49]
    # Standard-library APIs can be declared deterministic too.
    silenced = lint(tmp_path, monkeypatch, files, "TPR210", deterministic=("datetime.datetime.now",))
    assert silenced == []


def test_configuration_names_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/workflows.py": in_run("return self._stamp()\n") + "\n    def _stamp(self):\n"
             "        import time\n        return time.time()\n"}
    assert where(lint(tmp_path, monkeypatch, files, "TPR210")) == [("TPR210", "workflows.py", 11)]
    assert lint(tmp_path, monkeypatch, files, "TPR210", deterministic=("app.workflows.W._stamp",)) == []
    declared = lint(tmp_path, monkeypatch, files, "TPR210", non_deterministic=("workflows.W._stamp",))
    assert where(declared) == [("TPR210", "workflows.py", 7)]


def test_sandbox_escape_hatches_in_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": WF + """
            import time


            @workflow.defn(sandboxed=False)
            class FastWorkflow:
                @workflow.run
                async def run(self):
                    return time.time()


            @workflow.defn
            class EscapeWorkflow:
                @workflow.run
                async def run(self):
                    with workflow.unsafe.sandbox_unrestricted():
                        return self._read()

                def _read(self):
                    return time.time_ns()
        """,
    }, "TPR210")
    by_line = {f.location.line: f.message for f in found}
    assert "sandboxed=False" in by_line[10]
    assert "sandbox_unrestricted()" in by_line[21] and "will not catch it" in by_line[21]


def test_side_effects_only_when_not_replaying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/metrics.py": "import requests\n\n\ndef emit(name):\n    requests.post('http://m/' + name)\n",
        "app/workflows.py": WF + """
            import time
            import requests
            from app.metrics import emit


            @workflow.defn
            class MeteredWorkflow:
                @workflow.run
                async def run(self):
                    if not workflow.unsafe.is_replaying():
                        with workflow.unsafe.sandbox_unrestricted():
                            emit("started")
                        requests.post("http://m/started")
                        print("started")
                        started = time.time()
                    return 1
        """,
    })
    # Emitting once is the replay-safe pattern; `time.time()` there still fails in the sandbox.
    assert where(found) == [("TPR210", "workflows.py", 17)]
    assert "rejects it at run time" in found[0].message


def test_messages_say_what_the_sandbox_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/workflows.py": in_run("""
        import os, random, time
        import requests
        random.Random()
        time.gmtime()
        time.monotonic()
        os.listdir(".")
        requests.get("http://x")
    """)}, "TPR210")
    rejected = {f.location.line: "rejects it at run time" in f.message for f in found}
    assert rejected == {10: False, 11: False, 12: True, 13: True, 14: False}
    unseeded = next(f.message for f in found if f.location.line == 10)
    assert "without a seed" in unseeded and "random.Random(workflow.random_seed())" in unseeded


def test_workflows_in_tests_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "tests/test_flow.py": in_run("import time\nreturn time.time()\n"),
        "app/conftest.py": in_run("print(x)\n"),
    })
    assert found == []


def test_same_name_elsewhere_is_not_the_workflows_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/other.py": "import time\n\n\ndef compute():\n    return time.time()\n",
        "app/workflows.py": WF + """
            import time


            def compute():
                return 1


            class Unrelated:
                def step(self):
                    return time.time()


            @workflow.defn
            class W:
                @workflow.run
                async def run(self):
                    return compute() + self.step()

                def step(self):
                    return 2
        """,
    })
    assert found == []


def test_unresolvable_or_ambiguous_calls_stay_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "svc_a/util.py": "import time\n\n\ndef compute():\n    return time.time()\n",
        "svc_b/util.py": "import time\n\n\ndef compute():\n    return time.time()\n",
        "shared/workflows.py": WF + """
            from util import compute
            from somewhere import *


            @workflow.defn
            class W:
                @workflow.run
                async def run(self, handler):
                    handler.process()
                    star_imported()
                    return compute()
        """,
    })
    assert found == []


def test_all_four_rules_on_one_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": WF + """
            import asyncio
            import logging
            from datetime import timedelta

            log = logging.getLogger(__name__)

            with workflow.unsafe.imports_passed_through():
                from app.activities import notify


            @workflow.defn
            class FanoutWorkflow:
                def __init__(self):
                    self.targets: set[str] = set()

                @workflow.signal
                def add(self, target: str):
                    self.targets.add(target)
                    log.info("added %s", target)

                @workflow.run
                async def run(self):
                    await workflow.wait_condition(lambda: bool(self.targets))
                    tasks = [
                        asyncio.create_task(workflow.execute_activity(
                            notify, t, start_to_close_timeout=timedelta(seconds=5)))
                        for t in self.targets
                    ]
                    await asyncio.wait(tasks)
                    print("done")
                    workflow.logger.info("really done")
        """,
    })
    assert where(found) == [("TPR211", "workflows.py", 29), ("TPR212", "workflows.py", 31),
                            ("TPR213", "workflows.py", 21), ("TPR213", "workflows.py", 32)]
    by_rule = {f.rule_id: f.message for f in found}
    assert "sorted(self.targets)" in by_rule["TPR211"]
    assert "workflow.wait(...)" in by_rule["TPR212"]
    assert "workflow.logger" in by_rule["TPR213"]


def test_logger_from_a_project_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/logs.py": "import logging\n\nlogger = logging.getLogger('app')\nLEVEL = 10\n",
        "app/workflows.py": WF + """
            from app.logs import logger
            from app import logs


            @workflow.defn
            class W:
                @workflow.run
                async def run(self):
                    logger.info("a")
                    logs.logger.debug("b")
                    if not workflow.unsafe.is_replaying():
                        logger.info("once")
        """,
    }, "TPR213")
    assert where(found) == [("TPR213", "workflows.py", 11), ("TPR213", "workflows.py", 12)]


def test_suppression_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"app/workflows.py": in_run("import time\nreturn time.time()  # tprlint: ignore[TPR210]\n")})
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR210",)), use_cache=False, jobs=1)
    assert [f.suppressed_by for f in result.findings] == ["comment at line 8"]


def test_odd_code_never_crashes() -> None:
    found = facts(WF + textwrap.dedent("""
        import time, random
        x = lambda: time.time()

        @workflow.defn
        class W(*bases, metaclass=Meta):
            @workflow.run
            async def run(self, *args, **kwargs):
                for (a, b) in {(1, 2)}: pass
                for self.x in set(): pass
                [f() for f in (lambda: 1,)]
                (lambda: random.random())()
                getattr(self, "x")()()
                super(W, self).run()
                self.a.b.c()
                await (await self.x)()
                match args:
                    case [1, *rest]:
                        print(rest)
                    case _:
                        pass
                async with self.lock as (a, b): pass
                del self.x

            def __init__(self):
                self.x, self.y = set(), set()
    """))
    # Odd code is still read: the workflow's methods are there, and the calls inside them are judged.
    assert "W.run" in found.functions
    assert {"print", "set"} <= {r.kind for r in found.functions["W.run"].reasons}


def test_every_method_of_a_workflow_class_is_workflow_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/workflows.py": WF + """
            import asyncio
            from datetime import UTC, datetime


            @workflow.defn
            class BatchWorkflow:
                @workflow.run
                async def run(self, items):
                    scheduler = Scheduler(executor=self._execute)
                    await asyncio.gather(*(self._step(item) for item in items))
                    return await scheduler.run()

                async def _execute(self, job):
                    return datetime.now(UTC)

                async def _step(self, item):
                    return item
        """,
    }, "TPR210")
    (finding,) = found
    assert finding.location.line == 16 and "(BatchWorkflow._execute → datetime.now)" in finding.message
