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
