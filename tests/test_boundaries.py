"""Boundaries and scopes that hand-made mutations of the code got past: every threshold is tested at,
just below and just above its limit; suppressions and exit codes at each --fail-on level; the scope of
file-wide comments, prefix selectors, nested .gitignore files and an autoscaler's namespace."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli

WORKER = textwrap.dedent("""\
    import asyncio
    import signal
    from datetime import timedelta
    from temporalio.worker import Worker

    async def main(client):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
        worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=timedelta(seconds=600))
        await worker.run()

    if __name__ == "__main__":
        asyncio.run(main(None))
    """)
DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: worker, namespace: NAMESPACE}
    spec:
      replicas: REPLICAS
      template:
        spec:
          terminationGracePeriodSeconds: GRACE
          containers:
            - name: worker
              image: example/worker:1.0
              command: [python, worker.py]
    """)


def _tree(root: Path, grace: int = 700, replicas: int = 3, namespace: str = "apps", extra: str = "") -> Path:
    (root / "worker.py").write_text(WORKER, encoding="utf-8")
    manifest = DEPLOYMENT.replace("GRACE", str(grace)).replace("REPLICAS", str(replicas))
    manifest = manifest.replace("NAMESPACE", namespace)
    (root / "deploy.yaml").write_text(manifest + extra, encoding="utf-8")
    return root


def _rules(root: Path, *args: str) -> list[str]:
    result = run_cli(".", "-f", "json", *args, cwd=root)
    return [str(f["rule"]) for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


@pytest.mark.parametrize(("grace", "fires"), [(604, True), (605, True), (606, False)])
def test_tpr601_at_and_around_drain_plus_margin(tmp_path: Path, grace: int, fires: bool) -> None:
    # Drain 600 s + the default 5 s margin = 605 s: the grace period must exceed it (the message asks 606).
    rules = _rules(_tree(tmp_path, grace=grace), "--select", "TPR601")
    assert ("TPR601" in rules) is fires


@pytest.mark.parametrize(("grace", "fires"), [(609, True), (610, True), (611, False)])
def test_tpr601_with_a_configured_margin(tmp_path: Path, grace: int, fires: bool) -> None:
    (tmp_path / ".tprlint.toml").write_text("[thresholds]\ngrace-margin-seconds = 10\n", encoding="utf-8")
    assert ("TPR601" in _rules(_tree(tmp_path, grace=grace), "--select", "TPR601")) is fires


@pytest.mark.parametrize(("replicas", "fires"), [(1, True), (2, False), (3, False)])
def test_the_replica_floor_at_and_around_the_minimum(tmp_path: Path, replicas: int, fires: bool) -> None:
    assert ("TPR406" in _rules(_tree(tmp_path, replicas=replicas), "--select", "TPR406")) is fires


HPA = """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker, namespace: HPA_NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 3
  maxReplicas: 6
"""


@pytest.mark.parametrize(("hpa_namespace", "fires"), [("apps", False), ("other", True)])
def test_an_autoscaler_raises_the_floor_only_in_its_own_namespace(tmp_path: Path, hpa_namespace: str,
                                                                 fires: bool) -> None:
    root = _tree(tmp_path, replicas=1, extra=HPA.replace("HPA_NS", hpa_namespace))
    assert ("TPR406" in _rules(root, "--select", "TPR406")) is fires


@pytest.mark.parametrize("fail_on", ["error", "warning", "note"])
@pytest.mark.parametrize("suppressed", [True, False])
def test_suppressed_findings_never_gate_at_any_level(tmp_path: Path, fail_on: str, suppressed: bool) -> None:
    # One warning (TPR406, replicas 1), suppressed by the workload's annotation or not.
    root = _tree(tmp_path, replicas=1)
    if suppressed:
        text = (root / "deploy.yaml").read_text(encoding="utf-8")
        text = text.replace("metadata: {name: worker, namespace: apps}",
                            "metadata: {name: worker, namespace: apps, annotations: {tprlint.io/ignore: TPR406}}")
        (root / "deploy.yaml").write_text(text, encoding="utf-8")
    result = run_cli(".", "--select", "TPR406", "--fail-on", fail_on, cwd=root)
    gates = not suppressed and fail_on in ("warning", "note")
    assert result.returncode == (1 if gates else 0)


LOOSE_WORKER = "from temporalio.worker import Worker\n\nasync def main(client):\n" \
               "    worker = Worker(client, task_queue='q', workflows=[])\n    await worker.run()\n"


@pytest.mark.parametrize(("comment", "suppressed"), [
    ("# tprlint: ignore-file[TPR101]", True),
    ("# tprlint: ignore-file[TPR1]", True),  # a prefix selects every TPR1xx rule
    ("# tprlint: ignore-file[TPR10]", True),
    ("# tprlint: ignore-file[TPR2]", False),
    ("# tprlint: ignore[TPR101]", False),  # a line comment covers its line and the next, not line 4
])
def test_file_wide_comments_cover_the_whole_file_and_prefixes(tmp_path: Path, comment: str, suppressed: bool) -> None:
    (tmp_path / "w.py").write_text(comment + "\n" + LOOSE_WORKER, encoding="utf-8")
    result = run_cli(".", "-f", "json", "--select", "TPR101", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["line"] == 5 and finding["suppressed"] is suppressed


def test_a_nested_gitignore_applies_to_its_own_folder_only(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "w.py").write_text(LOOSE_WORKER, encoding="utf-8")
    (tmp_path / "a" / ".gitignore").write_text("w.py\n", encoding="utf-8")
    result = run_cli(".", "-f", "json", "--select", "TPR101", cwd=tmp_path)
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["b/w.py"]


def _workload(name: str, env: str, container: str = "app") -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 1\n"
            f"  template:\n    spec:\n      containers:\n        - name: {container}\n"
            f"          image: example/{name}:1.0\n          env: [{env}]\n")


@pytest.mark.parametrize(("name", "env", "container", "worker"), [
    ("orders-api", "{name: TEMPORAL_ADDRESS, value: 'temporal:7233'}", "api", False),  # a client
    ("temporal-ui-proxy", "{name: TEMPORAL_ADDRESS, value: 'temporal:7233'}", "proxy", False),
    ("orders", "{name: TEMPORAL_TASK_QUEUE, value: orders}", "app", True),  # a Go worker: it polls
    ("orders", "{name: TEMPORAL_ADDRESS, value: 'temporal:7233'}", "orders-worker", True),
])
def test_only_a_workload_that_polls_is_judged_as_a_worker(tmp_path: Path, name: str, env: str, container: str,
                                                          worker: bool) -> None:
    (tmp_path / "deploy.yaml").write_text(_workload(name, env, container), encoding="utf-8")
    assert ("TPR406" in _rules(tmp_path, "--select", "TPR406")) is worker
    everything = run_cli(".", "-f", "concise", "--select", "TPR406", "--scope", "all", cwd=tmp_path).stdout
    assert "TPR406" in everything  # under --scope all every workload is judged...
    assert ("Temporal worker" in everything) is worker  # ...and only a worker in a worker's words


@pytest.mark.parametrize(("path", "name", "namespace", "judged"), [
    ("deploy/worker.yaml", "orders-worker", "apps", True),
    ("tilt/worker.yaml", "orders-worker", "apps", False),
    ("kind/deploy/worker.yaml", "orders-worker", "apps", False),
    ("deploy/worker-local.yaml", "orders-worker", "apps", False),
    ("examples/worker.yaml", "orders-worker", "apps", False),
    ("examples/worker.yaml", "orders-worker-prod", "apps", True),  # its own name says production
    ("examples/worker.yaml", "orders-worker", "production", True),  # and so does its namespace
])
def test_development_set_ups_are_not_judged_unless_the_object_says_production(
        tmp_path: Path, path: str, name: str, namespace: str, judged: bool) -> None:
    manifest = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
                "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: worker\n"
                "          image: example/worker:1.0\n          env: [{name: TEMPORAL_TASK_QUEUE, value: q}]\n")
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(manifest, encoding="utf-8")
    assert ("TPR406" in _rules(tmp_path, "--select", "TPR406")) is judged


@pytest.mark.parametrize(("env_from", "name", "worker"), [
    ("[{configMapRef: {name: temporal-settings}}]", "payments-worker", True),  # a Go worker's chart
    ("[{secretRef: {name: orders-temporal}}]", "orders-worker", True),
    ("[{configMapRef: {name: temporal-settings}}]", "payments-api", False),  # a client
    ("[{configMapRef: {name: app-settings}}]", "payments-worker", False),
])
def test_a_worker_whose_settings_come_from_env_from(tmp_path: Path, env_from: str, name: str, worker: bool) -> None:
    (tmp_path / "deploy.yaml").write_text(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 1\n  template:\n"
        f"    spec:\n      containers:\n        - name: app\n          image: example/{name}:1.0\n"
        f"          envFrom: {env_from}\n", encoding="utf-8")
    assert ("TPR406" in _rules(tmp_path, "--select", "TPR406")) is worker
