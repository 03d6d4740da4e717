"""TPR102, TPR107 and TPR205 at their edges: a drain equal to the attempt, a schedule-to-close cap of
zero, several workers and activities where only a later one is wrong, the longest attempt named, the
advice and wording that depend on what was found."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import at, lint, messages, workflow_calling

ACTIVITIES = """\
from temporalio import activity


@activity.defn
async def export(x):
    activity.heartbeat()


@activity.defn
async def report(x):
    activity.heartbeat()
"""


def worker_with(graceful: str, *calls: str, second: str = "") -> dict[str, str]:
    """A project whose worker (drain ``graceful``) runs export and report, called as ``calls``; ``second``
    is another worker, written first in the module."""
    return {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": "from app.activities import export, report\n" + workflow_calling(*calls),
        "app/main.py": textwrap.dedent("""\
            from datetime import timedelta
            from temporalio.worker import Worker
            from app.activities import export, report

            async def main(client, unknown):
            """) + (f"    {second}\n" if second else "") + (
            f"    worker = Worker(client, task_queue='q', activities=[export, report],"
            f" graceful_shutdown_timeout={graceful})\n"),
    }


@pytest.mark.parametrize(("graceful", "stc", "flagged"), [
    ("timedelta(seconds=59)", "seconds=60", True),
    ("timedelta(seconds=60)", "seconds=60", False),  # the attempt ends when the drain does
    ("timedelta(seconds=1)", "hours=1", True),  # one second is a drain (zero is TPR101's case)
    ("timedelta(milliseconds=500)", "seconds=1", True),
])
def test_tpr102_drain_against_one_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, graceful: str,
                                          stc: str, flagged: bool) -> None:
    files = worker_with(graceful, f"await workflow.execute_activity(export, x,"
                                  f" start_to_close_timeout=timedelta({stc}))")
    assert lint(tmp_path, monkeypatch, files, "TPR102") == (at(files, "app/main.py", "worker =") if flagged else [])


@pytest.mark.parametrize(("graceful", "sctc", "seconds"), [
    ("minutes=1", "hours=1", "3600 s (60 min)"), ("milliseconds=500", "seconds=1", "1 s"),
])
def test_tpr102_schedule_to_close_alone_bounds_the_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           graceful: str, sctc: str, seconds: str) -> None:
    files = worker_with(f"timedelta({graceful})", f"await workflow.execute_activity(export, x,"
                                                  f" schedule_to_close_timeout=timedelta({sctc}))")
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert f"may run for {seconds} per attempt (schedule_to_close_timeout at app/workflows.py:" in message


@pytest.mark.parametrize(("sctc", "which"), [
    ("hours=2", "start_to_close_timeout"),  # the cap is above the attempt: the attempt's own limit
    ("hours=1", "start_to_close_timeout"),  # equal: still the attempt's own limit
    ("seconds=0", "start_to_close_timeout"),  # zero is no cap
    ("minutes=30", "schedule_to_close_timeout"),
])
def test_tpr102_names_the_limit_that_bounds_the_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sctc: str,
                                                        which: str) -> None:
    files = worker_with("timedelta(minutes=1)", f"await workflow.execute_activity(export, x,"
                                                f" start_to_close_timeout=timedelta(hours=1),"
                                                f" schedule_to_close_timeout=timedelta({sctc}))")
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert f"per attempt ({which} at app/workflows.py:" in message


def test_tpr102_names_the_longest_activity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with(
        "timedelta(minutes=1)",
        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(minutes=10))",
        "await workflow.execute_activity(report, x, start_to_close_timeout=timedelta(hours=1))",
        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(minutes=20))",
    )
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert ("activity `report` registered on it may run for 3600 s (60 min) per attempt (start_to_close_timeout"
            in message)


def test_tpr102_a_worker_with_an_unknown_drain_does_not_end_the_search(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with(
        "timedelta(minutes=1)",
        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(hours=1))",
        second="first = Worker(client, task_queue='q', activities=[export], graceful_shutdown_timeout=unknown)",
    )
    assert lint(tmp_path, monkeypatch, files, "TPR102") == at(files, "app/main.py", "worker =")


SYNC = """\
from temporalio import activity


@activity.defn
def first(x): ...


@activity.defn
def second(x): ...
"""


def sync_worker(activities: str, before: str = "") -> dict[str, str]:
    return {
        "app/activities.py": SYNC,
        "app/main.py": textwrap.dedent("""\
            from concurrent.futures import ThreadPoolExecutor
            from temporalio.worker import Worker
            from app.activities import first, second

            async def main(client):
            """) + (f"    {before}\n" if before else "")
        + f"    worker = Worker(client, task_queue='q', activities={activities})\n",
    }


def test_tpr107_wording_for_one_and_for_several(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (one,) = messages(tmp_path, monkeypatch, sync_worker("[first]"), "TPR107")
    assert one.startswith("This Worker registers the non-async activity `first` but passes no activity_executor")
    assert "ValueError: Activity first is not async" in one
    assert "or make the activity `async def`." in one
    (two,) = messages(tmp_path, monkeypatch, sync_worker("[second, first]"), "TPR107")
    assert two.startswith("This Worker registers the non-async activities `second`, `first` but passes no")
    assert "ValueError: Activity second is not async" in two
    assert "or make the activities `async def`." in two


def test_tpr107_an_unresolved_activity_name_falls_back_to_its_function(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = sync_worker("[first, second]")
    files["app/activities.py"] = SYNC.replace("@activity.defn\ndef first",
                                              "@activity.defn(name=settings.NAME)\ndef first")
    (message,) = messages(tmp_path, monkeypatch, files, "TPR107")
    assert "ValueError: Activity first is not async" in message


def test_tpr107_a_worker_with_an_executor_does_not_end_the_search(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = sync_worker("[first]", before="ok = Worker(client, task_queue='p', activities=[first],"
                                           " activity_executor=ThreadPoolExecutor(4))")
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(files, "app/main.py", "worker =")


def test_tpr205_advice_for_a_method_of_a_synchronous_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import requests
        from temporalio import activity

        @activity.defn
        async def fetch(url):
            session = requests.Session()
            session.get(url)
    """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR205")
    assert "Use an async HTTP client (`httpx.AsyncClient`, aiohttp)," in message


def test_tpr205_a_test_module_does_not_end_the_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocking = """
        import time
        from temporalio import activity

        @activity.defn
        async def wait(x):
            time.sleep(1)
    """
    # "test_wait.py" sorts before "worker/": the test module is met first.
    files = {"test_wait.py": blocking, "worker/activities.py": blocking}
    assert lint(tmp_path, monkeypatch, files, "TPR205") == at(files, "worker/activities.py", "time.sleep")


def test_tpr102_a_zero_drain_is_left_to_tpr101(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with("timedelta(0)", "await workflow.execute_activity(export, x,"
                                        " start_to_close_timeout=timedelta(hours=1))")
    assert lint(tmp_path, monkeypatch, files, "TPR102") == []


def test_tpr102_says_where_the_drain_comes_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with("timedelta(seconds=int(os.environ.get('DRAIN_SECONDS', '60')))",
                        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(hours=1))")
    files["app/main.py"] = "import os\n" + files["app/main.py"]
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert message.startswith("This Worker's graceful_shutdown_timeout is 60 s (default of env DRAIN_SECONDS), but")
    plain = worker_with("timedelta(seconds=60)",
                        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(hours=1))")
    (message,) = messages(tmp_path, monkeypatch, plain, "TPR102")
    assert message.startswith("This Worker's graceful_shutdown_timeout is 60 s, but")


def test_tpr107_a_worker_without_sync_activities_does_not_end_the_search(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    files = sync_worker("[first]", before="ok = Worker(client, task_queue='p', activities=[])")
    assert lint(tmp_path, monkeypatch, files, "TPR107") == at(files, "app/main.py", "worker =")


@pytest.mark.parametrize(("definition", "how"), [
    ("async def", "reaches an activity as asyncio.CancelledError - when"),
    ("def", "reaches an activity as temporalio.exceptions.CancelledError (raised into the activity's thread) - when"),
])
def test_tpr206_names_the_exception_of_async_and_sync_activities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 definition: str, how: str) -> None:
    files = {"app/activities.py": f"""
        import asyncio
        from temporalio import activity
        from temporalio.exceptions import CancelledError

        @activity.defn
        {definition} work(x):
            try:
                return x
            except (asyncio.CancelledError, CancelledError):
                return None
    """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR206")
    assert how in message


def test_tpr205_advice_follows_the_client_class_not_the_variable_name(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import httpx
        from temporalio import activity

        @activity.defn
        async def fetch(url):
            requests = httpx.Client()
            requests.get(url)
    """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR205")
    assert "Use `httpx.AsyncClient`, wrap the call" in message


def test_tpr102_of_two_equally_long_activities_names_the_first_call(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with(
        "timedelta(minutes=1)",
        "await workflow.execute_activity(report, x, start_to_close_timeout=timedelta(hours=1))",
        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(hours=1))",
    )
    (message,) = messages(tmp_path, monkeypatch, files, "TPR102")
    assert "activity `report` registered on it" in message


def test_tpr102_a_worker_that_drains_long_enough_does_not_end_the_search(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = worker_with(
        "timedelta(minutes=1)",
        "await workflow.execute_activity(export, x, start_to_close_timeout=timedelta(hours=1))",
        second="first = Worker(client, task_queue='q', activities=[export],"
               " graceful_shutdown_timeout=timedelta(hours=2))",
    )
    assert lint(tmp_path, monkeypatch, files, "TPR102") == at(files, "app/main.py", "worker =")


def test_tpr201_a_call_in_test_code_does_not_end_the_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    call = "await workflow.execute_activity('charge', x)"
    # "tests/" sorts before "zz/": the test module's call is met first.
    files = {"tests/test_flow.py": workflow_calling(call), "zz/workflows.py": workflow_calling(call)}
    assert lint(tmp_path, monkeypatch, files, "TPR201") == at(files, "zz/workflows.py", "'charge'")


def test_tpr205_advice_for_a_database_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import psycopg2
        from temporalio import activity

        @activity.defn
        async def load(dsn):
            psycopg2.connect(dsn)
    """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR205")
    assert "Use an async driver (asyncpg, psycopg's AsyncConnection, aiomysql, aiosqlite)," in message


def test_tpr205_a_client_built_inline_with_parentheses_in_its_arguments(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/activities.py": """
        import boto3
        from temporalio import activity

        @activity.defn
        async def fetch(key, region, fallback):
            boto3.client("s3", region_name=region or (fallback or "eu-west-1")).get_object(Key=key)
    """}
    (message,) = messages(tmp_path, monkeypatch, files, "TPR205")
    assert ("calls `boto3.client('s3', region_name=region or (fallback or 'eu-west-1')).get_object()` on a"
            " synchronous `boto3.client(...)` client" in message)
    assert "Use aioboto3 (or `await asyncio.to_thread(...)`)," in message
