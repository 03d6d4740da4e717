from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run tprlint the way a user does: a separate process, real exit code and output."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tprlint", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli


# In CI a skipped test is a missing part (a service, a binary) that CI was supposed to provide:
# fail the run instead of letting a skip look like a pass.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") and _skipped:
        session.config.stash[_skip_key] = list(_skipped)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.config.stash.get(_skip_key, [])
    if skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} skipped test(s) fail the run:", red=True)
        for nodeid in skipped:
            terminalreporter.write_line(f"  {nodeid}")


_skip_key = pytest.StashKey[list[str]]()
