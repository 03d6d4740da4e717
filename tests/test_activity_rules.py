"""How activities are linked, seen through the findings: option dicts that build on each other, explicit
keywords beside an unseen ``**splat``, a wrapper that always calls one activity, activities re-exported
by a package, what may heartbeat (decorators and helpers tprlint cannot read), the limit of one attempt,
and the wording of TPR205 and TPR206."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import WF, at, findings, lint, messages, workflow_calling
from tprlint.facts.python.extract import extract_python
from tprlint.link.python_project import PythonProject
from tprlint.rules.activities import ActivityIndex

ACTIVITIES = """\
from temporalio import activity


@activity.defn
async def charge(order_id):
    activity.heartbeat()
"""

# How many option dicts in a row (`RETRYING = {**BASE, ...}` in another module) are followed.
OPTION_DICTS = 8


def options_chain(dicts: int) -> dict[str, str]:
    """``app/options/o0.py`` builds ``O0`` on ``O1`` of the next module, and so on: ``dicts`` option dicts,
    each adding a retry policy, none a timeout."""
    files = {"app/activities.py": ACTIVITIES}
    for k in range(dicts):
        base = "" if k + 1 == dicts else f"from app.options.o{k + 1} import O{k + 1}\n"
        spread = "" if k + 1 == dicts else f"**O{k + 1}, "
        files[f"app/options/o{k}.py"] = (f"from temporalio.common import RetryPolicy\n{base}\n"
                                         f"O{k} = {{{spread}'retry_policy': RetryPolicy(maximum_attempts={k + 2})}}\n")
    files["app/workflows.py"] = "from app.activities import charge\nfrom app.options.o0 import O0\n" + (
        workflow_calling("await workflow.execute_activity(charge, x, **O0)"))
    return files


@pytest.mark.parametrize(("dicts", "flagged"), [(1, True), (OPTION_DICTS, True), (OPTION_DICTS + 1, False)])
def test_tpr201_follows_option_dicts_built_on_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dicts: int,
                                                         flagged: bool) -> None:
    files = options_chain(dicts)
    # Past the bound the dict is an unseen splat, which may well carry the timeout: silence.
    assert lint(tmp_path, monkeypatch, files, "TPR201") == (at(files, "app/workflows.py", "**O0") if flagged else [])


def test_tpr204_explicit_keywords_hold_beside_an_unseen_splat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": "from app.activities import charge\nfrom app import settings\n" + workflow_calling(
            "await workflow.execute_activity(charge, x, start_to_close_timeout=timedelta(minutes=10),"
            " schedule_to_close_timeout=timedelta(minutes=5), **settings.RETRY_OPTIONS)",
            "await workflow.execute_activity(charge, x, **{'start_to_close_timeout': timedelta(minutes=10),"
            " 'schedule_to_close_timeout': timedelta(minutes=5)}, **settings.RETRY_OPTIONS)"),
    }
    # The splat cannot override an explicit keyword (that is a TypeError), but it may override the
    # entries of a dict splatted before it.
    (message,) = messages(tmp_path, monkeypatch, files, "TPR204")
    assert message.startswith("`workflow.execute_activity(charge)`: start_to_close_timeout (600 s (10 min)) is longer"
                              " than schedule_to_close_timeout (300 s (5 min))")
    assert lint(tmp_path, monkeypatch, files, "TPR204") == at(files, "app/workflows.py", "minutes=10),")


def test_tpr107_an_activity_a_package_reexports_from_its_own_module(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # `from .activities import charge`: `activities` is a package whose module `charge.py` defines `charge`.
    files = {
        "app/activities/__init__.py": "from .charge import charge\n",
        "app/activities/charge.py": "from temporalio import activity\n\n\n@activity.defn\ndef charge(order_id): ...\n",
        "app/main.py": """\
            from temporalio.worker import Worker
            from .activities import charge

            async def main(client):
                worker = Worker(client, task_queue="payments", activities=[charge])
            """,
    }
    (found,) = findings(tmp_path, monkeypatch, files, "TPR107")
    assert (found.location.path, found.location.line) == at(files, "app/main.py", "worker =")[0]
    assert [(r.location.path, r.message) for r in found.related] == [
        ("app/activities/charge.py", "non-async activity charge")]


def test_tpr107_the_scanned_folder_is_itself_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tprlint run inside a package: its `__init__.py` is at the root (module key "path:.").
    files = {"__init__.py": """\
        from temporalio import activity
        from temporalio.worker import Worker

        @activity.defn
        def charge(order_id): ...

        async def main(client):
            worker = Worker(client, task_queue="payments", activities=[charge])
        """}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR107")
    assert (found.location.path, found.location.line) == at(files, "__init__.py", "worker =")[0]
    assert [(r.location.path, r.location.line) for r in found.related] == at(files, "__init__.py", "def charge")


def test_tpr201_a_wrapper_that_always_runs_one_activity_names_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": WF + """\
from app.activities import charge


async def charge_order(order_id, **kwargs):
    return await workflow.execute_activity(charge, order_id, **kwargs)


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, order_id):
        await charge_order(order_id, task_queue="payments")
""",
    }
    (found,) = findings(tmp_path, monkeypatch, files, "TPR201")
    assert found.message.startswith("`charge_order(charge)` (which calls workflow.execute_activity) sets neither")
    assert [r.message for r in found.related] == ["the workflow.execute_activity call inside charge_order()",
                                                  "activity charge is defined here"]


# -- TPR102: the limit of one attempt -----------------------------------------------------------------------


def drained(graceful: str, *calls: str) -> dict[str, str]:
    return {
        "app/activities.py": ACTIVITIES + "\n\n@activity.defn\nasync def refund(order_id):\n    activity.heartbeat()\n",
        "app/workflows.py": "from app.activities import charge, refund\n" + workflow_calling(*calls),
        "app/main.py": f"""\
            from datetime import timedelta
            from temporalio.worker import Worker
            from app.activities import charge, refund

            async def main(client):
                worker = Worker(client, task_queue="q", activities=[charge, refund],
                                graceful_shutdown_timeout={graceful})
            """,
    }


def test_tpr102_a_one_second_schedule_to_close_caps_the_attempt(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = drained("timedelta(milliseconds=500)",
                    "await workflow.execute_activity(charge, x, start_to_close_timeout=timedelta(hours=1),"
                    " schedule_to_close_timeout=timedelta(seconds=1))")
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert "may run for 1 s per attempt (schedule_to_close_timeout at app/workflows.py:" in message


def test_tpr102_a_call_without_timeouts_does_not_hide_a_long_one(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = drained("timedelta(minutes=1)",
                    "await workflow.execute_activity(charge, x)",
                    "await workflow.execute_activity(refund, x, start_to_close_timeout=timedelta(hours=1))")
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert "activity `refund` registered on it may run for 3600 s (60 min) per attempt" in message


def test_tpr107_an_unknown_registration_does_not_end_the_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": "from temporalio import activity\n\n\n@activity.defn\ndef reconcile(day): ...\n",
        "app/worker.py": """\
            from temporalio.worker import Worker
            from app.activities import reconcile

            def build_worker(client, plugin_activities):
                return Worker(client, task_queue="ledger", activities=[*plugin_activities, reconcile])
            """,
    }
    (message,) = messages(tmp_path, monkeypatch, files, "TPR107")
    assert message.startswith("This Worker registers the non-async activity `reconcile` but passes no")


# -- what may heartbeat -------------------------------------------------------------------------------------


def heartbeat_timeout_call(activity: str, name: str = "export") -> dict[str, str]:
    return {
        "app/activities.py": activity,
        "app/workflows.py": f"from app.activities import {name}\n" + workflow_calling(
            f"await workflow.execute_activity({name}, x, start_to_close_timeout=timedelta(hours=1),"
            f" heartbeat_timeout=timedelta(minutes=1))"),
    }


def test_tpr203_a_decorator_tprlint_cannot_name_may_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    traced = """\
        from opentelemetry import trace
        from temporalio import activity

        tracer = trace.get_tracer(__name__)

        @activity.defn
        @tracer.start_as_current_span("export")
        async def export(batch):
            ...
        """
    assert lint(tmp_path, monkeypatch, heartbeat_timeout_call(traced), "TPR203") == []
    plain = traced.replace('        @tracer.start_as_current_span("export")\n', "")
    files = heartbeat_timeout_call(plain)
    assert lint(tmp_path, monkeypatch, files, "TPR203") == at(files, "app/workflows.py", "(export")


def test_tpr203_a_helper_in_a_module_tprlint_could_not_parse_may_heartbeat(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    files = heartbeat_timeout_call("""\
        from temporalio import activity
        from app.progress import report

        @activity.defn
        async def export(batch):
            for row in batch:
                report(row)
        """)
    files["app/progress.py"] = "def report(row:\n    ...\n"  # a syntax error: tprlint sees no function in it
    assert lint(tmp_path, monkeypatch, files, "TPR203") == []
    files["app/progress.py"] = "def report(row):\n    print(row)\n"
    assert lint(tmp_path, monkeypatch, files, "TPR203") == at(files, "app/workflows.py", "(export")


def heartbeat_answer(source: str) -> str:
    index = ActivityIndex(PythonProject([extract_python(ast.parse(textwrap.dedent(source)), "app/acts.py")]))
    (resolved,) = [r for r in index.definitions.values() if r.definition.qualname == "export"]
    return index.heartbeats(resolved)


TRACKER = """\
from temporalio import activity


class Tracker:
    def advance(self):
        activity.heartbeat()


def beat():
    activity.heartbeat()


def auto_heartbeat(fn):
    async def wrapper(*args):
        activity.heartbeat()
        return await fn(*args)
    return wrapper


"""


@pytest.mark.parametrize(("activity", "answer"), [
    pytest.param("@activity.defn\n@auto_heartbeat\nasync def export(x):\n    pass\n", "yes",
                 id="a project decorator that heartbeats"),
    # Which class `tracker` is an instance of is not followed: some `advance` heartbeats, so maybe.
    pytest.param("@activity.defn\nasync def export(x):\n    tracker = make_tracker()\n    tracker.advance()\n",
                 "unknown", id="a method of an object"),
    # The method is met first (last in, first out); the helper that surely heartbeats still counts.
    pytest.param("@activity.defn\nasync def export(x):\n    beat()\n    tracker = make_tracker()\n"
                 "    tracker.advance()\n", "yes", id="a helper and a method"),
])
def test_heartbeat_answers_yes_only_when_sure(activity: str, answer: str) -> None:
    assert heartbeat_answer(TRACKER + activity) == answer


# How deep lists in an `activities=` value seen only by folding (`**dict(activities=...)`) are searched.
SEQ_DEPTH = 3


@pytest.mark.parametrize(("lists", "registered"), [(1, ["Charge"]), (SEQ_DEPTH, ["Charge"]), (SEQ_DEPTH + 1, [])])
def test_activities_passed_in_a_dict_of_worker_options(lists: int, registered: list[str]) -> None:
    value = "[" * lists + "Charge()" + "]" * lists
    source = f"""\
        from temporalio import activity
        from temporalio.worker import Worker

        @activity.defn
        class Charge:
            def __call__(self, order_id): ...

        async def main(client):
            options = dict(task_queue="payments", activities={value})
            worker = Worker(client, **options)
        """
    index = ActivityIndex(PythonProject([extract_python(ast.parse(textwrap.dedent(source)), "app/worker.py")]))
    (worker,) = index.python.workers
    assert [r.label for r in index.registered(worker)] == registered


# -- TPR205 / TPR206 wording ------------------------------------------------------------------------------


def test_tpr205_names_each_helper_once_on_the_way_to_the_blocking_call(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """\
        import requests
        from temporalio import activity

        def _download(url):
            return requests.get(url, timeout=10)

        def _fetch_rates(url):
            return _download(url)

        @activity.defn
        async def refresh_rates(url):
            _fetch_rates(url)
        """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR205")
    assert message.startswith("Async activity `refresh_rates` calls `_fetch_rates()`, which calls `_download()`, which"
                              " calls `requests.get()`, which blocks the worker's event loop")


@pytest.mark.parametrize(("definition", "ending"), [
    ("async def", "Clean up and `raise` in the handler (catching `Exception` instead does not catch asyncio"
                  " cancellation)."),
    ("def", "Clean up and `raise` in the handler."),
])
def test_tpr206_advice_on_catching_exception_only_for_async_activities(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       definition: str, ending: str) -> None:
    files = {"app/activities.py": f"""\
        from temporalio import activity

        @activity.defn
        {definition} sync_ledger(day):
            try:
                return day
            except BaseException:
                return None
        """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR206")
    assert message.endswith(ending)
