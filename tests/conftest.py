from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_temporal import temporal_dev_server  # noqa: F401  (session fixture: a real dev server)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative path to bytes) under ``root``, making folders as needed."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run tprlint the way a user does: a separate process, real exit code and output."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tprlint", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own tprlint cache folder (never the user's ~/.cache); CLI runs inherit it."""
    folder = tmp_path_factory.mktemp("tprlint-cache")
    monkeypatch.setenv("TPRLINT_CACHE_DIR", str(folder))
    return folder


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


# The demo's expected findings, reviewed by reading them: (rule, path under fixtures/demo-shop, line).
DEMO_FINDINGS = [
    ("TPR908", "Makefile", 6),  # `make deploy` applies the workers and watches no rollout
    ("TPR415", "deploy/charts/reports-worker/templates/deployment.yaml", 2),  # no NetworkPolicy (note)
    ("TPR406", "deploy/charts/reports-worker/values.yaml", 1),  # Helm: replicaCount 1, at the values key
    ("TPR409", "deploy/charts/reports-worker/values.yaml", 5),  # Helm: tag latest, at the values key
    ("TPR506", "deploy/temporal/values.yaml", 3),  # the shop's own server: no TLS
    ("TPR511", "deploy/temporal/values.yaml", 3),  # ... no PodDisruptionBudgets
    ("TPR511", "deploy/temporal/values.yaml", 3),  # ... no resources
    ("TPR902", "deploy/temporal/values.yaml", 3),  # ... no alerting rules (note)
    ("TPR911", "deploy/temporal/values.yaml", 3),  # ... no dashboards (note); its RDS database is unknown
    ("TPR406", "deploy/workers.yaml", 3),  # orders-worker: replicas unset
    ("TPR415", "deploy/workers.yaml", 3),  # namespace shop: no NetworkPolicy (note)
    ("TPR402", "deploy/workers.yaml", 15),  # orders-worker container: no readiness probe
    ("TPR403", "deploy/workers.yaml", 15),  # ... no liveness probe
    ("TPR404", "deploy/workers.yaml", 15),  # ... no requests
    ("TPR405", "deploy/workers.yaml", 15),  # ... no memory limit
    ("TPR413", "deploy/workers.yaml", 15),  # ... no pod security settings (note)
    ("TPR604", "deploy/workers.yaml", 15),  # ... python is PID 1 and the code handles no SIGTERM
    ("TPR407", "deploy/workers.yaml", 23),  # payments-worker: 2 replicas, no PDB
    ("TPR411", "deploy/workers.yaml", 34),  # ... no topology spread (note)
    ("TPR601", "deploy/workers.yaml", 35),  # payments: 300 s grace < 600 s drain (constant via dict)
    ("TPR413", "deploy/workers.yaml", 37),  # (note)
    ("TPR951", "deploy/workers.yaml", 40),  # 60 busy slots x 64Mi (the capacity profile) > 256Mi limit
    ("TPR952", "deploy/workers.yaml", 40),  # ... and x 50m CPU > 250m request (note)
    ("TPR407", "deploy/workers.yaml", 49),  # shipping-worker: no PDB
    ("TPR411", "deploy/workers.yaml", 60),  # (note)
    ("TPR601", "deploy/workers.yaml", 60),  # shipping: default 30 s < 120 s drain (env default)
    ("TPR413", "deploy/workers.yaml", 62),  # (note)
    ("TPR951", "deploy/workers.yaml", 68),  # shipping-worker: the same capacity shortfall
    ("TPR952", "deploy/workers.yaml", 68),  # (note)
    ("TPR407", "deploy/workers.yaml", 78),  # notifications-worker: no PDB
    ("TPR401", "deploy/workers.yaml", 89),  # notifications: worker by TEMPORAL_* env, code not here
    ("TPR411", "deploy/workers.yaml", 89),  # (note)
    ("TPR413", "deploy/workers.yaml", 91),  # (note)
    ("TPR602", "docker-compose.yml", 3),  # compose: default 10 s stop grace < 120 s drain
    ("TPR210", "orders/deadlines.py", 9),  # datetime.now() in a helper the workflow calls
    ("TPR306", "orders/worker.py", 14),  # no SDK metrics anywhere (note)
    ("TPR101", "orders/worker.py", 15),  # Worker without graceful_shutdown_timeout
    ("TPR103", "orders/worker.py", 21),  # no SIGTERM handler, python is PID 1
    ("TPR230", "orders/workflows.py", 11),  # neither patching nor Worker Deployments (note)
    ("TPR250", "orders/workflows.py", 11),  # no replay test
    ("TPR201", "orders/workflows.py", 16),  # activity by name without a timeout
    ("TPR302", "payments/settings.py", 7),  # hard-coded API key (redacted in every output)
    ("TPR303", "payments/worker.py", 18),  # hard-coded frontend address (note)
    ("TPR304", "payments/worker.py", 18),  # remote target, namespace `default` (note)
    ("TPR305", "payments/worker.py", 18),  # remote target, no payload codec (note)
    ("TPR205", "shipping/activities.py", 9),  # requests.post in an async activity
]
DEMO_BY_SEVERITY = {"error": 9, "warning": 19, "note": 18}
