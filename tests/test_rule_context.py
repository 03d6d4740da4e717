"""What every rule reads from the linked project (tprlint.rules.context): the replica floor of a workload
and where it is written, which kustomize overlays are development set-ups, which workloads are Temporal
clients rather than workers, what a rule could not decide, and that a finding shows its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.project_helpers import findings, write
from tprlint.config import Config
from tprlint.engine import run

WORKER_REASON = "Temporal worker: its containers set a task queue (TASK_QUEUE environment variable)"


def deployment(name: str, replicas: str = "  replicas: 3\n", env: str = "") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n{replicas}"
        f"  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n"
        f"        - name: worker\n          image: ghcr.io/acme/{name}:1.4.2\n"
        f"          env:\n            - {{name: TEMPORAL_TASK_QUEUE, value: {name}}}\n{env}"
    )


def autoscaler(kind: str, name: str, minimum: str) -> str:
    if kind == "ScaledObject":
        return (f"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: {name}}}\nspec:\n"
                f"  scaleTargetRef: {{name: {name}}}\n  maxReplicaCount: 20\n{minimum}")
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}}}\nspec:\n"
            f"  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}\n  maxReplicas: 20\n"
            f"{minimum}")


# -- the replica floor (TPR406) -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "minimum", "source"), [
    ("ScaledObject", "  minReplicaCount: 1\n", "ScaledObject billing-worker minReplicaCount: 1"),
    ("HorizontalPodAutoscaler", "  minReplicas: 1\n", "HorizontalPodAutoscaler billing-worker minReplicas: 1"),
])
def test_tpr406_names_the_autoscaler_minimum_and_points_at_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              kind: str, minimum: str, source: str) -> None:
    # The autoscaler is the second document of the file: its minimum is on line 22.
    manifest = deployment("billing-worker") + "---\n" + autoscaler(kind, "billing-worker", minimum)
    files = {"deploy/billing.yaml": manifest}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR406")
    assert (found.location.path, found.location.line) == ("deploy/billing.yaml", 22)
    assert found.message.startswith(
        f"Deployment billing-worker ({WORKER_REASON}) can run as few as 1 pod ({source}), below the minimum of 2:")


def test_tpr406_a_deployment_without_replicas_runs_one_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/billing.yaml": deployment("billing-worker", replicas="")}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR406")
    assert (found.location.path, found.location.line) == ("deploy/billing.yaml", 2)
    assert found.message.startswith(
        f"Deployment billing-worker ({WORKER_REASON}) can run as few as 1 pod (spec.replicas unset, default 1), "
        "below the minimum of 2:")


# -- kustomize overlays ---------------------------------------------------------------------------------


def test_a_production_overlay_is_held_to_production_standards(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "deploy/base/deployment.yaml": deployment("billing-worker"),
        "deploy/overlays/production/kustomization.yaml": (
            "resources: [../../base]\npatches:\n  - path: replicas.yaml\n    target: {kind: Deployment}\n"),
        "deploy/overlays/production/replicas.yaml": "- {op: replace, path: /spec/replicas, value: 1}\n",
    }
    found = findings(tmp_path, monkeypatch, files, "TPR406")
    assert [(f.location.path, f.location.line) for f in found] == [("deploy/overlays/production/replicas.yaml", 1)]


# -- Temporal clients (TPR412) --------------------------------------------------------------------------


def test_tpr412_a_worker_with_a_literal_api_key_is_reported_once(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker is judged as a worker; the API server, out of scope, as a Temporal client. Neither twice.
    api_key = "            - {name: TEMPORAL_API_KEY, value: tcld_4f7Hq9ZkP2mX8vR1sT6wY3bN5cJ0dL}\n"
    api = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders-api}\nspec:\n  replicas: 2\n"
        "  template:\n    metadata:\n      labels: {app: orders-api}\n    spec:\n      containers:\n"
        "        - name: api\n          image: ghcr.io/acme/orders-api:2.0.1\n"
        "          env:\n            - {name: TEMPORAL_ADDRESS, value: 'orders.a1b2c.tmprl.cloud:7233'}\n"
        + api_key
    )
    files = {"deploy/worker.yaml": deployment("billing-worker", env=api_key), "deploy/api.yaml": api}
    found = findings(tmp_path, monkeypatch, files, "TPR412")
    assert sorted((f.location.path, f.location.line) for f in found) == [
        ("deploy/api.yaml", 15), ("deploy/worker.yaml", 15)]
    by_path = {f.location.path: f.message for f in found}
    assert ("Environment variable TEMPORAL_API_KEY of container api in Deployment orders-api (Temporal client: its "
            "containers have TEMPORAL_* environment variables)") in by_path["deploy/api.yaml"]
    assert (f"Environment variable TEMPORAL_API_KEY of container worker in Deployment billing-worker "
            f"({WORKER_REASON})") in by_path["deploy/worker.yaml"]


# -- what a rule could not decide -----------------------------------------------------------------------


def test_a_drain_the_compose_file_cannot_tell_is_reported_as_not_checked(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {
        "docker-compose.yml": ("services:\n  orders-worker:\n    build: .\n    command: python -m app.worker\n"
                               "    stop_grace_period: ${WORKER_STOP_GRACE}\n"),
        "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nCMD [\"python\", \"-m\", \"app.worker\"]\n",
        "app/__init__.py": "",
        "app/worker.py": """\
            import asyncio
            from datetime import timedelta

            from temporalio.client import Client
            from temporalio.worker import Worker


            async def main() -> None:
                client = await Client.connect("temporal:7233")
                async with Worker(client, task_queue="orders", workflows=[],
                                  graceful_shutdown_timeout=timedelta(minutes=2)):
                    await asyncio.Event().wait()

            if __name__ == "__main__":
                asyncio.run(main())
            """,
    })
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR602",)), use_cache=False, jobs=1)
    assert [f for f in result.findings if f.rule_id == "TPR602"] == []
    assert [(u.rule_id, u.what) for u in result.not_checked] == [("TPR602", "compose service orders-worker")]


# -- source frames --------------------------------------------------------------------------------------


def test_a_finding_without_a_secret_shows_its_source_line(tmp_path: Path) -> None:
    write(tmp_path, {"deploy/billing.yaml": deployment("billing-worker", replicas="  replicas: 1\n")})
    result = run_cli(".", "--no-cache", "--select", "TPR406", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "deploy/billing.yaml:5:3  TPR406" in result.stdout
    assert "  > 5 │   replicas: 1" in result.stdout
    assert "source not shown" not in result.stdout
