"""One problem, one finding: a Temporal server Deployment's replicas and resources are judged by the
server rules only (not also by the generic workload rules), and the same activity scheduled the same
way from many places is one finding at the activity, the call sites listed with it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.conftest import run_cli


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def _findings(root: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli(".", "-f", "json", "--no-cache", *args, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


HISTORY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: temporal-history
      labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
    spec:
      replicas: 1
      selector:
        matchLabels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
      template:
        metadata:
          labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
        spec:
          containers:
            - name: temporal-history
              image: temporalio/server:1.25.1
              env:
                - {name: SERVICES, value: history}
"""


def test_a_server_deployment_with_one_replica_is_reported_once_by_the_server_rule(tmp_path: Path) -> None:
    found = _findings(_write(tmp_path, {"temporal.yaml": HISTORY}))
    on_replicas = sorted(str(f["rule"]) for f in found if f["line"] == 7)
    assert on_replicas == ["TPR501"]


def test_a_worker_with_one_replica_is_still_tpr406(tmp_path: Path) -> None:
    worker = HISTORY.replace("temporal-history", "orders-worker").replace("temporalio/server:1.25.1", "acme/worker:1")
    worker = worker.replace("app.kubernetes.io/name: temporal", "app.kubernetes.io/name: orders")
    worker = worker.replace("- {name: SERVICES, value: history}", "- {name: TEMPORAL_TASK_QUEUE, value: orders}")
    found = _findings(_write(tmp_path, {"worker.yaml": worker}))
    assert [f["rule"] for f in found if f["line"] == 7] == ["TPR406"]


CHART = {
    "deploy/temporal/Chart.yaml": "apiVersion: v2\nname: temporal\nversion: 1.0.0\nappVersion: 1.25.1\n",
    "deploy/temporal/values.yaml": """
        server:
          replicaCount: 5
          image: {repository: temporalio/server, tag: 1.25.1}
          config:
            persistence:
              default: {driver: sql, sql: {driver: postgres12, host: postgres.db}}
              visibility: {driver: sql, sql: {driver: postgres12, host: postgres.db}}
    """,
    "deploy/temporal/templates/history.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-history
          labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
        spec:
          replicas: {{ .Values.server.replicaCount }}
          selector:
            matchLabels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
          template:
            metadata:
              labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
            spec:
              containers:
                - name: temporal-history
                  image: "{{ .Values.server.image.repository }}:{{ .Values.server.image.tag }}"
                  env:
                    - {name: SERVICES, value: history}
    """,
}


def test_server_resources_and_budgets_are_reported_once_in_the_values(tmp_path: Path) -> None:
    found = _findings(_write(tmp_path, CHART))
    rules = [(f["path"], f["rule"]) for f in found]
    assert rules.count(("deploy/temporal/values.yaml", "TPR511")) == 2  # resources, budget
    assert not {"TPR404", "TPR405", "TPR407"} & {str(f["rule"]) for f in found}


ACTIVITIES = """
    from temporalio import activity


    @activity.defn
    async def charge(order_id: str) -> None:
        return None
"""
WORKFLOWS = """
    from datetime import timedelta

    from temporalio import workflow

    from app.activities import charge


    @workflow.defn
    class Checkout:
        @workflow.run
        async def run(self, order_id: str) -> None:
            await workflow.execute_activity(charge, order_id)


    @workflow.defn
    class Renewal:
        @workflow.run
        async def run(self, order_id: str) -> None:
            await workflow.execute_activity(charge, order_id)


    @workflow.defn
    class Retry:
        @workflow.run
        async def run(self, order_id: str) -> None:
            await workflow.execute_activity(charge, order_id)


    @workflow.defn
    class Careful:
        @workflow.run
        async def run(self, order_id: str) -> None:
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(seconds=30))
"""


def test_the_same_activity_scheduled_the_same_way_from_three_places_is_one_finding(tmp_path: Path) -> None:
    root = _write(tmp_path, {"app/__init__.py": "", "app/activities.py": ACTIVITIES, "app/workflows.py": WORKFLOWS})
    [finding] = [f for f in _findings(root, "--select", "TPR201") if f["rule"] == "TPR201"]
    assert (finding["path"], finding["line"]) == ("app/activities.py", 5)
    assert "from 3 places" in str(finding["message"])
    sites = sorted(r["line"] for r in finding["related"] if "called the same way" in r["message"])
    assert sites == [12, 19, 26]


def test_a_single_call_is_still_reported_where_it_is_made(tmp_path: Path) -> None:
    one = WORKFLOWS.split("@workflow.defn\n    class Renewal")[0]
    root = _write(tmp_path, {"app/__init__.py": "", "app/activities.py": ACTIVITIES, "app/workflows.py": one})
    [finding] = [f for f in _findings(root, "--select", "TPR201") if f["rule"] == "TPR201"]
    assert (finding["path"], finding["line"]) == ("app/workflows.py", 12)
