"""Activities on realistic project shapes: definitions and calls as facts, and TPR102, TPR107 and
TPR201-TPR206 as the engine reports them - shared option modules, wrappers around
``workflow.execute_activity``, activity classes, string names, Workers registering activities from
other modules, and the false-positive traps each rule must stay silent on."""

from __future__ import annotations

import ast
import pickle
import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import WF, at, lint, messages, workflow_calling
from tprlint.config import Config, Thresholds
from tprlint.facts.python.activities import ActivityFacts
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.values import Dur, Lit


def facts(source: str, path: str = "app/mod.py") -> ActivityFacts:
    return extract_python(ast.parse(textwrap.dedent(source)), path).activity


# -- facts -----------------------------------------------------------------------------------------------


def test_definitions_in_every_spelling() -> None:
    found = facts("""
        import temporalio.activity as act
        from temporalio import activity
        from temporalio.activity import defn

        @activity.defn
        async def a(): ...

        @activity.defn()
        def b(): ...

        @defn(name="custom-c")
        async def c(): ...

        @act.defn(dynamic=True)
        async def d(args): ...

        class Payments:
            @activity.defn
            def charge(self): ...

            def helper(self): ...

        @activity.defn
        class Callable:
            async def __call__(self): ...

        @activity.defn
        @some_decorator
        def e(): ...

        @not_temporal.defn
        def f(): ...
    """).definitions
    summary = {(d.qualname, d.is_async, d.dynamic, d.wrapped, d.is_class) for d in found}
    assert summary == {
        ("a", True, False, False, False), ("b", False, False, False, False), ("c", True, False, False, False),
        ("d", True, True, False, False), ("Payments.charge", False, False, False, False),
        ("Callable", True, False, False, True), ("e", False, False, True, False),
    }
    assert next(d for d in found if d.qualname == "c").name == Lit("custom-c")


def test_activity_calls_of_every_api_are_facts() -> None:
    apis = ["execute_activity", "start_activity", "execute_activity_method", "start_activity_method",
            "execute_activity_class", "start_activity_class", "execute_local_activity", "start_local_activity",
            "execute_local_activity_method", "start_local_activity_method", "execute_local_activity_class",
            "start_local_activity_class"]
    found = facts(workflow_calling(*(f"await workflow.{api}('x', start_to_close_timeout=timedelta(seconds=1))"
                                     for api in apis))).calls
    assert [(c.api, c.local) for c in found] == [(api, "local" in api) for api in apis]
    assert all(c.options[0].items == (("start_to_close_timeout", Dur(1.0)),) for c in found)


def test_call_targets_and_forwarding_wrappers() -> None:
    found = facts("""
        from temporalio import workflow
        from app.acts import Payments, charge
        from app import names

        async def run_activity(fn, *args, **options):
            return await workflow.execute_activity(fn, args=args, **options)

        async def go():
            await workflow.execute_activity(charge)
            await workflow.execute_activity_method(Payments.refund)
            await workflow.execute_activity(names.CHARGE)
            await workflow.execute_activity(activity="by-keyword")
    """).calls
    wrapper, *calls = found
    assert (wrapper.forwards, wrapper.target_param, wrapper.params) == ("**options", 0, ("fn",))
    assert [c.target.qualname for c in calls if c.target] == [
        "app.acts.charge", "app.acts.Payments.refund", "app.names.CHARGE", ""]
    assert calls[-1].target is not None and calls[-1].target.value == Lit("by-keyword")


def test_facts_pickle_round_trip() -> None:
    found = facts(workflow_calling("await workflow.execute_activity('x', **OPTS)") + """
OPTS = {"start_to_close_timeout": timedelta(minutes=1)}
ACTIVITIES = [a, b]
""")
    assert pickle.loads(pickle.dumps(found)) == found
    assert set(found.option_dicts) == {"OPTS"} and set(found.activity_lists) == {"ACTIVITIES"}


@pytest.mark.parametrize("source", [
    "from temporalio import workflow\nworkflow.execute_activity()",
    "from temporalio import workflow\nworkflow.execute_activity(*args, **{**a, **b})",
    "from temporalio import workflow\nworkflow.execute_activity(lambda: 1, **{k: v for k, v in x})",
    "from temporalio import workflow\nworkflow.execute_activity(f, **{1: 2, **{}})",
    "from temporalio import activity\n@activity.defn()()\nasync def a(): ...",
    "from temporalio import activity\n@activity.defn(**opts)\nasync def a(): ...",
    "from temporalio import activity\n@activity.defn\nclass A: ...",
    "from temporalio import activity\n@activity.defn\nasync def a():\n    try: pass\n    except* ValueError: pass\n",
    "from temporalio.worker import Worker\nWorker(c, activities=[*x, y.z, f()(), lambda: 1][::2])",
    "from temporalio.worker import Worker\nA = [a.b.c, *B]\nB = A\nWorker(c, activities=A + B)",
    "OPTS = dict(OPTS, start_to_close_timeout=1)\nX = {**X}\n",
    "from temporalio import workflow\nclass W:\n    async def f(self, **kw):\n        kw = {}\n"
    "        await workflow.execute_activity(self.x, **kw)\n        await self.f(**kw)",
])
def test_odd_shapes_do_not_crash(source: str) -> None:
    assert isinstance(facts(source), ActivityFacts)


# -- TPR201 ----------------------------------------------------------------------------------------------


def test_shared_options_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflows.py": workflow_calling(
            "await workflow.execute_activity('a', x, **opts.DEFAULT)",
            "await workflow.execute_activity('b', x, **opts.RETRY_ONLY)",
            "await workflow.execute_activity('c', x, **{**opts.RETRY_ONLY, **opts.DEFAULT})",
            "await workflow.execute_activity('d', x, **opts.CONFIG)",
            "await workflow.execute_activity('e', x, **opts.UNKNOWN_DICT)",
        ).replace("from temporalio import workflow\n", "from temporalio import workflow\nfrom app import opts\n"),
        "app/opts.py": """
            from datetime import timedelta
            from temporalio import workflow
            from temporalio.common import RetryPolicy

            RETRY_ONLY = {"retry_policy": RetryPolicy(maximum_attempts=3)}
            DEFAULT = {**RETRY_ONLY, "start_to_close_timeout": timedelta(minutes=1)}
            CONFIG = workflow.ActivityConfig(schedule_to_close_timeout=timedelta(minutes=5))
            UNKNOWN_DICT = load_from_yaml()
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR201") == at(files, "app/workflows.py", "'b'")


def test_options_built_in_the_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/workflows.py": WF + """
OPTS = {"start_to_close_timeout": timedelta(minutes=1)}

@workflow.defn
class W:
    CLASS_OPTS = {"retry_policy": None}

    @workflow.run
    async def run(self, x, extra):
        local = dict(OPTS, task_queue="q")
        await workflow.execute_activity("a", x, **local)
        await workflow.execute_activity("b", x, **self.CLASS_OPTS)
        await workflow.execute_activity("c", x, **OPTS | {"summary": "c"})
        await workflow.execute_activity("d", x, **extra)
        mutated = {}
        mutated["start_to_close_timeout"] = timedelta(minutes=1)
        await workflow.execute_activity("e", x, **mutated)
"""}
    assert lint(tmp_path, monkeypatch, files, "TPR201") == at(files, "app/workflows.py", '"b"')


@pytest.mark.parametrize(("keywords", "fires"), [
    ("start_to_close_timeout=None", True),
    ("start_to_close_timeout=timedelta(0)", True),
    ("start_to_close_timeout=timedelta(0), schedule_to_close_timeout=timedelta(seconds=5)", False),
    ("schedule_to_close_timeout=timedelta(seconds=5)", False),
    ("start_to_close_timeout=settings.TIMEOUT", False),
    ("start_to_close_timeout=compute_timeout()", False),
])
def test_values_the_sdk_treats_as_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keywords: str,
                                          fires: bool) -> None:
    files = {
        "app/workflows.py": "from app import settings\n"
                            + workflow_calling(f"await workflow.execute_activity('a', {keywords})"),
        "app/settings.py": "from datetime import timedelta\nTIMEOUT = timedelta(seconds=30)\n",
    }
    assert bool(lint(tmp_path, monkeypatch, files, "TPR201")) is fires


def test_wrapper_is_judged_where_it_is_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflow_utils.py": """
            from datetime import timedelta
            from temporalio import workflow

            async def run_activity(activity, *args, **options):
                return await workflow.execute_activity(activity, args=args, **options)

            async def run_with_default(activity, *args, **options):
                options.setdefault("start_to_close_timeout", timedelta(minutes=1))
                return await workflow.execute_activity(activity, args=args, **options)
        """,
        "app/workflows.py": "from app.workflow_utils import run_activity, run_with_default\n" + workflow_calling(
            "await run_activity('a', x)",
            "await run_activity('b', x, start_to_close_timeout=timedelta(seconds=10))",
            "await run_with_default('c', x)",
            "await self.forward('d')",
        ) + """
    async def forward(self, name, **options):
        return await run_activity(name, **options)
""",
    }
    assert lint(tmp_path, monkeypatch, files, "TPR201") == at(files, "app/workflows.py", "('a', x)")
    [message] = messages(tmp_path, monkeypatch, files, "TPR201")
    assert message.startswith("`run_activity('a')` (which calls workflow.execute_activity)")


def test_wrapper_method_on_a_base_workflow_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/base.py": """
            from temporalio import workflow

            class BaseWorkflow:
                async def activity(self, fn, *args, **kwargs):
                    return await workflow.execute_activity(fn, args=args, **kwargs)
        """,
        "app/workflows.py": """
            from datetime import timedelta
            from temporalio import workflow
            from app.base import BaseWorkflow
            from app.activities import charge

            @workflow.defn
            class PaymentWorkflow(BaseWorkflow):
                @workflow.run
                async def run(self, order):
                    await self.activity(charge, order)
                    await self.activity(charge, order, start_to_close_timeout=timedelta(seconds=30))
        """,
        "app/activities.py": """
            from temporalio import activity

            @activity.defn
            async def charge(order): ...
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR201") == at(files, "app/workflows.py", "(charge, order)")


def test_test_code_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"tests/test_workflow.py": workflow_calling("await workflow.execute_activity('a', x)")}
    assert lint(tmp_path, monkeypatch, files, "TPR201") == []


# -- TPR202 ----------------------------------------------------------------------------------------------


def test_long_activities_without_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/workflows.py": workflow_calling(
        "await workflow.execute_activity('a', start_to_close_timeout=timedelta(hours=1))",
        "await workflow.execute_activity('b', schedule_to_close_timeout=timedelta(hours=1))",
        "await workflow.execute_activity('c', start_to_close_timeout=timedelta(hours=1), heartbeat_timeout=None)",
        "await workflow.execute_activity('d', start_to_close_timeout=timedelta(hours=1),"
        " heartbeat_timeout=timedelta(minutes=1))",
        "await workflow.execute_local_activity('e', start_to_close_timeout=timedelta(hours=1))",
        "await workflow.execute_activity('f', start_to_close_timeout=timedelta(minutes=5))",
        "await workflow.execute_activity('g', start_to_close_timeout=x,"
        " schedule_to_close_timeout=timedelta(hours=9))",
    )}
    assert lint(tmp_path, monkeypatch, files, "TPR202") == at(files, "app/workflows.py", "'a'", "'b'", "'c'")
    config = Config(root=tmp_path, thresholds=Thresholds(heartbeat_after_seconds=3600))
    assert lint(tmp_path, monkeypatch, files, "TPR202", config) == []


# -- TPR203 ----------------------------------------------------------------------------------------------

HB = "heartbeat_timeout=timedelta(seconds=30), start_to_close_timeout=timedelta(hours=1)"


def test_heartbeat_timeout_for_activity_classes_and_string_names(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflows.py": "from app.activities import Payments\nfrom app import names\n" + workflow_calling(
            f"await workflow.execute_activity_method(Payments.charge, x, {HB})",
            f"await workflow.execute_activity_method(Payments.settle, x, {HB})",
            f"await workflow.execute_activity(names.REFUND, x, {HB})",
            f"await workflow.execute_activity('export', x, {HB})",
            "await workflow.execute_local_activity('refund-payment', x, start_to_close_timeout=timedelta(hours=1))",
        ),
        "app/names.py": "REFUND = 'refund-payment'\n",
        "app/activities.py": """
            from temporalio import activity
            from app import names

            class Payments:
                def __init__(self, gateway):
                    self.gateway = gateway

                @activity.defn
                async def charge(self, order):
                    await self.gateway.charge(order)

                @activity.defn
                async def settle(self, batch):
                    for item in batch:
                        await self.gateway.settle(item)
                        self._progress(item)

                def _progress(self, item):
                    activity.heartbeat(item)

            @activity.defn(name=names.REFUND)
            async def refund(order): ...

            @activity.defn(name="export")
            async def export(report):
                await upload(report, progress=activity.heartbeat)
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR203") == at(
        files, "app/workflows.py", "Payments.charge", "names.REFUND")


def test_heartbeats_through_helpers_decorators_and_reexports(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflows.py": "from app.activities import a, b, c, d, e\n" + workflow_calling(
            *(f"await workflow.execute_activity({name}, x, {HB})" for name in "abcde")),
        "app/activities/__init__.py": "from .impl import a, b, c, d, e\n",
        "app/activities/impl.py": """
            from temporalio import activity
            from app.progress import Tracker, beat_forever, heartbeating
            from app.missing_module import opaque_helper

            def _local_beat():
                activity.heartbeat()

            @activity.defn
            async def a(x):
                _local_beat()

            @activity.defn
            async def b(x):
                await beat_forever()

            @activity.defn
            @heartbeating
            async def c(x):
                ...

            @activity.defn
            async def d(x):
                tracker = make_tracker()
                tracker.advance()

            @activity.defn
            async def e(x):
                await opaque_helper(x)
        """,
        "app/progress.py": """
            from temporalio import activity

            class Tracker:
                def advance(self):
                    self._send()

                def _send(self):
                    activity.heartbeat()

            async def beat_forever():
                while True:
                    _tick()

            def _tick():
                activity.heartbeat()

            def heartbeating(fn):
                return fn if activity.heartbeat else fn
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR203") == []


def test_never_heartbeats_through_plain_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflows.py": "from app.activities import crunch\n" + workflow_calling(
            f"await workflow.execute_activity(crunch, x, {HB})"),
        "app/activities.py": """
            import logging
            from temporalio import activity
            from app.util import chunks

            @activity.defn
            async def crunch(data):
                for part in chunks(data):
                    logging.info("part %s", part)
                    activity.logger.info("part")
        """,
        "app/util.py": "def chunks(data):\n    return [data[i:i + 10] for i in range(0, len(data), 10)]\n",
    }
    assert lint(tmp_path, monkeypatch, files, "TPR203") == at(files, "app/workflows.py", "(crunch")
    [message] = messages(tmp_path, monkeypatch, files, "TPR203")
    assert "`crunch` (app/activities.py:7) never calls activity.heartbeat()" in message


# -- TPR204 ----------------------------------------------------------------------------------------------


def test_inconsistent_timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/workflows.py": workflow_calling(
        "await workflow.execute_local_activity('a', start_to_close_timeout=timedelta(minutes=5),"
        " schedule_to_close_timeout=timedelta(minutes=1))",
        "await workflow.execute_activity('b', schedule_to_close_timeout=timedelta(minutes=1),"
        " heartbeat_timeout=timedelta(minutes=1))",
        "await workflow.execute_activity('c', start_to_close_timeout=timedelta(minutes=1),"
        " schedule_to_close_timeout=timedelta(minutes=1), heartbeat_timeout=timedelta(seconds=59))",
        "await workflow.execute_activity('d', start_to_close_timeout=x, heartbeat_timeout=timedelta(hours=1))",
    )}
    assert lint(tmp_path, monkeypatch, files, "TPR204") == at(files, "app/workflows.py", "'a'", "'b'")


# -- TPR205 ----------------------------------------------------------------------------------------------


def test_blocking_calls_in_async_activities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import asyncio
        import functools
        import subprocess
        import redis
        import redis.asyncio as aioredis
        import requests
        from temporalio import activity

        CACHE = redis.Redis(host="cache")
        ASYNC_CACHE = aioredis.Redis(host="cache")

        def _inner(url):
            return requests.get(url)

        def _outer(url):
            return _inner(url)

        @activity.defn
        async def sync_prices(url):
            with requests.Session() as session:
                session.get(url)
            CACHE.set("k", 1)
            await ASYNC_CACHE.set("k", 1)
            process = subprocess.Popen(["ls"])
            process.wait()
            _outer(url)
            await asyncio.get_running_loop().run_in_executor(None, functools.partial(requests.get, url))
            CACHE.pipeline()

        @activity.defn
        def sync_prices_threaded(url):
            requests.get(url)
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR205") == at(
        files, "app/activities.py", "session.get(url)", 'CACHE.set("k", 1)', "process.wait()", "    _outer(url)")
    found = messages(tmp_path, monkeypatch, files, "TPR205")
    assert any("calls `_outer()`, which calls `_inner()`, which calls `requests.get()`" in m for m in found)


# -- TPR206 ----------------------------------------------------------------------------------------------


def test_swallowed_cancellation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import asyncio
        import contextlib
        import temporalio.exceptions
        from temporalio import activity

        @activity.defn
        async def a():
            try:
                await work()
            except (ValueError, asyncio.CancelledError):
                return None
            except Exception:
                return None
            with contextlib.suppress(asyncio.CancelledError):
                await work()

        @activity.defn
        def b():
            try:
                work()
            except temporalio.exceptions.CancelledError:
                pass
            except Exception:
                pass

        @activity.defn
        async def c():
            try:
                await work()
            except asyncio.CancelledError as error:
                await cleanup()
                raise RuntimeError("stopped") from error
            except BaseException:
                activity.raise_complete_async()

        @activity.defn
        async def d():
            beat = asyncio.create_task(beat_forever())
            try:
                await work()
            finally:
                beat.cancel()
                try:
                    await asyncio.wait_for(beat, timeout=5)
                except asyncio.CancelledError:
                    pass
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR206") == at(
        files, "app/activities.py", "except (ValueError", "with contextlib.suppress", "except temporalio")


# -- TPR107 ----------------------------------------------------------------------------------------------


def test_sync_activities_from_registries_and_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": """
            from temporalio import activity

            @activity.defn
            def export(x): ...

            @activity.defn
            async def notify(x): ...

            class Payments:
                def __init__(self, db):
                    self.db = db

                @activity.defn
                def charge(self, x): ...

            @activity.defn
            class Transcode:
                def __call__(self, x): ...
        """,
        "app/registry.py": "from app.activities import export, notify\n\nACTIVITIES = [export, notify]\n",
        "app/worker.py": """
            from concurrent.futures import ThreadPoolExecutor
            from temporalio.worker import Worker
            from app.activities import Payments, Transcode, notify
            from app.registry import ACTIVITIES
            from app.settings import WORKER_OPTS

            def workers(client, db, extra):
                payments = Payments(db)
                return [
                    Worker(client, task_queue="a", activities=ACTIVITIES),
                    Worker(client, task_queue="b", activities=[payments.charge]),
                    Worker(client, task_queue="c", activities=[Transcode()]),
                    Worker(client, task_queue="d", activities=[notify, *extra]),
                    Worker(client, task_queue="e", activities=ACTIVITIES, **WORKER_OPTS),
                    Worker(client, task_queue="f", activities=ACTIVITIES, activity_executor=ThreadPoolExecutor(8)),
                    Worker(client, task_queue="g", activities=[notify]),
                ]
        """,
        "app/settings.py": "WORKER_OPTS = load()\n",
    }
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(
        files, "app/worker.py", '"a"', '"b"', '"c"')


def test_factory_and_subclass_supply_the_executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": "from temporalio import activity\n\n@activity.defn\ndef export(x): ...\n",
        "app/factory.py": """
            from concurrent.futures import ThreadPoolExecutor
            from temporalio.worker import Worker

            def build_worker(client, **kwargs):
                return Worker(client, activity_executor=ThreadPoolExecutor(16), **kwargs)

            def bare_worker(client, **kwargs):
                return Worker(client, **kwargs)
        """,
        "app/main.py": """
            from app.activities import export
            from app.factory import bare_worker, build_worker

            good = build_worker(client, task_queue="a", activities=[export])
            bad = bare_worker(client, task_queue="b", activities=[export])
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(files, "app/main.py", "bad =")


# -- TPR102 ----------------------------------------------------------------------------------------------


def test_drain_shorter_than_activity_per_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": """
            from temporalio import activity

            @activity.defn
            async def export(x):
                activity.heartbeat()

            @activity.defn
            async def notify(x): ...
        """,
        "app/workflows.py": "from app.activities import export, notify\n" + workflow_calling(
            "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(minutes=20),"
            " heartbeat_timeout=timedelta(seconds=30))",
            "await workflow.execute_activity(notify, x, task_queue='other', start_to_close_timeout=timedelta(hours=2))",
            "await workflow.execute_local_activity(notify, x, start_to_close_timeout=timedelta(hours=3))",
            "await workflow.execute_activity('notify', x, start_to_close_timeout=timedelta(minutes=3))",
        ),
        "app/main.py": """
            from datetime import timedelta
            from temporalio.worker import Worker
            from app.activities import export, notify

            async def main(client):
                slow = Worker(client, task_queue="slow", activities=[export],
                              graceful_shutdown_timeout=timedelta(minutes=5))
                fast = Worker(client, task_queue="fast", activities=[notify],
                              graceful_shutdown_timeout=timedelta(minutes=1))
                long = Worker(client, task_queue="slow2", activities=[export],
                              graceful_shutdown_timeout=timedelta(minutes=30))
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR102") == at(files, "app/main.py", "slow =", "fast =")
    found = messages(tmp_path, monkeypatch, files, "TPR102")
    assert any("activity `notify` registered on it may run for 180 s (3 min)" in m for m in found)


def test_django_and_fastapi_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "shop/activities.py": """
            from asgiref.sync import sync_to_async
            from temporalio import activity

            @activity.defn
            @sync_to_async
            def mark_paid(order_id):
                Order.objects.filter(pk=order_id).update(paid=True)

            @activity.defn
            def send_invoice(order_id):
                ...
        """,
        "shop/management/commands/run_worker.py": """
            from django.conf import settings
            from django.core.management.base import BaseCommand
            from django.utils.module_loading import import_string
            from temporalio.worker import Worker
            from shop.activities import mark_paid

            class Command(BaseCommand):
                async def run(self, client):
                    extra = [import_string(path) for path in settings.TEMPORAL_ACTIVITIES]
                    await Worker(client, task_queue="shop", activities=[mark_paid, *extra]).run()
        """,
        "api/main.py": """
            from contextlib import asynccontextmanager
            from fastapi import FastAPI
            from temporalio.worker import Worker
            from shop.activities import send_invoice

            @asynccontextmanager
            async def lifespan(app):
                async with Worker(app.state.client, task_queue="invoices", activities=[send_invoice]):
                    yield

            app = FastAPI(lifespan=lifespan)
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(files, "api/main.py", "async with Worker")


def test_worker_subclass_registers_and_drains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": """
            from temporalio import activity

            @activity.defn
            def rebuild(x):
                activity.heartbeat()
        """,
        "app/workers.py": """
            from datetime import timedelta
            from temporalio.worker import Worker
            from app.activities import rebuild

            class IndexWorker(Worker):
                def __init__(self, client, **kwargs):
                    super().__init__(client, activities=[rebuild], graceful_shutdown_timeout=timedelta(seconds=30),
                                     **kwargs)
        """,
        "app/main.py": """
            from app.workers import IndexWorker

            worker = IndexWorker(client, task_queue="index")
        """,
        "app/workflows.py": "from app.activities import rebuild\n" + workflow_calling(
            "await workflow.execute_activity(rebuild, x, start_to_close_timeout=timedelta(minutes=2),"
            " heartbeat_timeout=timedelta(seconds=20))"),
    }
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(files, "app/main.py", "IndexWorker(client")
    assert lint(tmp_path, monkeypatch, files, "TPR102") == at(files, "app/main.py", "IndexWorker(client")


def test_async_completion_and_handle_heartbeats_count_as_heartbeating(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/workflows.py": "from app.activities import approve, poll, idle\n" + workflow_calling(
            f"await workflow.execute_activity(approve, x, {HB})",
            f"await workflow.execute_activity(poll, x, {HB})",
            f"await workflow.execute_activity(idle, x, {HB})",
        ),
        "app/activities.py": """
            from temporalio import activity

            @activity.defn
            async def approve(request):
                # A human completes it later with the task token; heartbeats come from there.
                await send_for_approval(activity.info().task_token, request)
                activity.raise_complete_async()

            @activity.defn
            async def poll(job):
                handle = activity.client().get_async_activity_handle(task_token=activity.info().task_token)
                while not await job.done():
                    await handle.heartbeat(job.progress)

            @activity.defn
            async def idle(job):
                await job.wait()
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR203") == at(files, "app/workflows.py", "(idle")
