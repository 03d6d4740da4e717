"""TPR201-TPR204 at their edges: zero and one-second timeouts, calls that must not end the search for
others, the advice that depends on whether the activity heartbeats, and the one finding that stands for
many call sites (where it is placed, what each related location says)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import WF, at, findings, lint, messages, workflow_calling

ACTIVITIES = """\
from temporalio import activity


@activity.defn
async def quiet(x):
    return x


@activity.defn
async def chatty(items):
    for item in items:
        activity.heartbeat(item)
"""


def test_tpr202_later_calls_are_still_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A call that already heartbeats, then one under the threshold: neither ends the search.
    files = {"app/workflows.py": workflow_calling(
        "await workflow.execute_activity('a', start_to_close_timeout=timedelta(hours=1),"
        " heartbeat_timeout=timedelta(minutes=1))",
        "await workflow.execute_activity('b', start_to_close_timeout=timedelta(minutes=1))",
        "await workflow.execute_activity('c', start_to_close_timeout=timedelta(hours=1))",
    )}
    assert lint(tmp_path, monkeypatch, files, "TPR202") == at(files, "app/workflows.py", "'c'")


def test_tpr202_advice_names_an_activity_that_never_heartbeats(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": "from app.activities import chatty, quiet\n" + workflow_calling(
            "await workflow.execute_activity(quiet, 1, start_to_close_timeout=timedelta(hours=1))",
            "await workflow.execute_activity(chatty, [], start_to_close_timeout=timedelta(hours=2))",
        ),
    }
    quiet, chatty = sorted(messages(tmp_path, monkeypatch, files, "TPR202"), key=lambda m: "chatty" in m)
    assert "call activity.heartbeat() in `quiet` more often than that (it never heartbeats today)" in quiet
    assert "call activity.heartbeat() in the activity more often than that." in chatty
    assert "never heartbeats" not in chatty


@pytest.mark.parametrize(("heartbeat", "flagged"), [("seconds=0", False), ("seconds=1", True)])
def test_tpr203_a_one_second_heartbeat_timeout_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      heartbeat: str, flagged: bool) -> None:
    # timedelta(0) is "no heartbeat timeout" to the SDK; one second is a real one.
    files = {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": "from app.activities import quiet\n" + workflow_calling(
            f"await workflow.execute_activity(quiet, 1, start_to_close_timeout=timedelta(minutes=1),"
            f" heartbeat_timeout=timedelta({heartbeat}))",
        ),
    }
    expected = at(files, "app/workflows.py", "quiet, 1") if flagged else []
    assert lint(tmp_path, monkeypatch, files, "TPR203") == expected


@pytest.mark.parametrize(("heartbeat", "attempt", "flagged"), [
    ("seconds=0", "seconds=0", False),  # a zero heartbeat timeout is no heartbeat timeout
    ("seconds=1", "seconds=1", True),  # one second: not shorter than the attempt
    ("seconds=1", "seconds=2", False),
])
def test_tpr204_heartbeat_against_the_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, heartbeat: str,
                                              attempt: str, flagged: bool) -> None:
    files = {"app/workflows.py": workflow_calling(
        f"await workflow.execute_activity('a', start_to_close_timeout=timedelta({attempt}),"
        f" heartbeat_timeout=timedelta({heartbeat}))",
    )}
    expected = at(files, "app/workflows.py", "'a'") if flagged else []
    assert lint(tmp_path, monkeypatch, files, "TPR204") == expected


def test_one_finding_for_many_call_sites_names_each_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/workflows.py": WF + (
        "\n@workflow.defn\nclass W:\n"
        "    @workflow.run\n    async def run(self, x):\n"
        "        await workflow.execute_activity('charge', x)\n"
        "\n    async def refund(self, x):\n"
        "        await workflow.execute_activity('charge', x)\n"
    )}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR201")
    first, second = at(files, "app/workflows.py", "def run", "def refund")
    # No definition is known for a name given as a string: the finding sits at the first call.
    assert found.location.line == first[1] + 1
    assert [r.message for r in found.related[:2]] == ["called the same way here (W.run)",
                                                      "called the same way here (W.refund)"]
    assert [r.location.line for r in found.related[:2]] == [first[1] + 1, second[1] + 1]


def test_one_finding_at_the_definition_does_not_point_at_itself(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/activities.py": ACTIVITIES,
        "app/workflows.py": "from app.activities import quiet\n" + workflow_calling(
            "await workflow.execute_activity(quiet, 1)",
            "await workflow.execute_activity(quiet, 2)",
        ),
    }
    (found,) = findings(tmp_path, monkeypatch, files, "TPR201")
    assert (found.location.path, found.location.line) == at(files, "app/activities.py", "async def quiet")[0]
    assert [(r.location.path, r.location.line) for r in found.related] == at(
        files, "app/workflows.py", "quiet, 1", "quiet, 2")


@pytest.mark.parametrize("options", [
    "start_to_close_timeout=timedelta(0), schedule_to_close_timeout=timedelta(hours=1),"
    " heartbeat_timeout=timedelta(seconds=30)",
    "start_to_close_timeout=timedelta(hours=1), schedule_to_close_timeout=timedelta(0)",
])
def test_tpr204_a_zero_timeout_is_not_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str) -> None:
    # The SDK treats timedelta(0) as not given: no limit to compare with.
    files = {"app/workflows.py": workflow_calling(f"await workflow.execute_activity('a', {options})")}
    assert lint(tmp_path, monkeypatch, files, "TPR204") == []
