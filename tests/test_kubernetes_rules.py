"""The workload rules TPR401-TPR406 on small, realistic manifests: the exact messages a worker and a
Temporal server component get, and that a workload a rule passes over never hides the ones after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import findings
from tests.test_one_problem_one_finding import CHART
from tprlint.model import Finding

PROBE_AND_RESOURCE_RULES = ("TPR402", "TPR403", "TPR404", "TPR405")

ORDERS_WORKER_PY = """\
    import asyncio
    from datetime import timedelta

    from temporalio.client import Client
    from temporalio.worker import Worker


    async def main() -> None:
        client = await Client.connect("temporal-frontend:7233")
        async with Worker(client, task_queue="orders", workflows=[],
                          graceful_shutdown_timeout=timedelta(minutes=2)):
            await asyncio.Event().wait()

    if __name__ == "__main__":
        asyncio.run(main())
"""

PAYMENTS_WORKER_PY = """\
    import asyncio
    import os
    from datetime import timedelta

    from temporalio.client import Client
    from temporalio.worker import Worker


    async def main() -> None:
        client = await Client.connect("temporal-frontend:7233")
        drain = timedelta(seconds=int(os.environ["DRAIN_SECONDS"]))
        async with Worker(client, task_queue="payments", workflows=[], graceful_shutdown_timeout=drain):
            await asyncio.Event().wait()

    if __name__ == "__main__":
        asyncio.run(main())
"""


def deployment(name: str, *, replicas: int = 2, container: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/{name}:1.4.2
{container}"""


TASK_QUEUE_ENV = "          env: [{name: TEMPORAL_TASK_QUEUE, value: billing}]\n"

RECONCILE_CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: orders-reconcile-worker}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: reconcile
              image: ghcr.io/acme/orders:1.4.2
              env: [{name: TEMPORAL_TASK_QUEUE, value: reconcile}]
"""

HISTORY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: temporal-history
  labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
spec:
  replicas: 3
  template:
    metadata:
      labels: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: history}
    spec:
      containers:
        - name: temporal-history
          image: temporalio/server:1.25.1
          env: [{name: SERVICES, value: history}]
"""

WORKER_REASON = "Temporal worker: its containers set a task queue (TASK_QUEUE environment variable)"
SERVER_REASON = "Temporal server component"


def by_rule(found: list[Finding]) -> dict[str, list[tuple[str, int, str]]]:
    grouped: dict[str, list[tuple[str, int, str]]] = {}
    for finding in sorted(found, key=lambda f: (f.rule_id, f.location.path, f.location.line)):
        grouped.setdefault(finding.rule_id, []).append((finding.location.path, finding.location.line,
                                                        finding.message))
    return grouped


def lint_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str],
             rules: tuple[str, ...]) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        found += findings(tmp_path, monkeypatch, files, rule)
    return found


# -- TPR401 ------------------------------------------------------------------------------------------


def test_tpr401_names_the_30_s_default_and_skips_jobs_and_workers_whose_drain_tpr601_compares(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/workers.yaml": "---\n".join([
            RECONCILE_CRONJOB,
            deployment("orders-worker", container='          command: ["python", "-m", "orders.worker"]\n'),
            deployment("payments-worker", container='          command: ["python", "-m", "payments.worker"]\n'),
            deployment("billing-worker", container=TASK_QUEUE_ENV),
        ]),
        "orders/__init__.py": "",
        "orders/worker.py": ORDERS_WORKER_PY,
        "payments/__init__.py": "",
        "payments/worker.py": PAYMENTS_WORKER_PY,
    }
    found = findings(tmp_path, monkeypatch, files, "TPR401")
    assert [(f.location.path, f.location.line, f.message) for f in found] == [
        ("deploy/workers.yaml", 38,
         "Deployment payments-worker (Temporal worker: it runs Temporal worker code) does not set "
         "terminationGracePeriodSeconds, so Kubernetes SIGKILLs its pods 30 s after SIGTERM, whatever the worker's "
         "graceful_shutdown_timeout. Set terminationGracePeriodSeconds above the worker's drain time "
         "(graceful_shutdown_timeout + preStop + a few seconds)."),
        ("deploy/workers.yaml", 52,
         f"Deployment billing-worker ({WORKER_REASON}) does not set terminationGracePeriodSeconds, so Kubernetes "
         "SIGKILLs its pods 30 s after SIGTERM, whatever the worker's graceful_shutdown_timeout. Set "
         "terminationGracePeriodSeconds above the worker's drain time (graceful_shutdown_timeout + preStop + a "
         "few seconds)."),
    ]


# -- TPR402-TPR405: a worker's wording and a server component's --------------------------------------


def test_probe_and_resource_messages_speak_of_workers_only_for_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/billing.yaml": deployment("billing-worker", container=TASK_QUEUE_ENV),
             "deploy/temporal.yaml": HISTORY}
    found = by_rule(lint_all(tmp_path, monkeypatch, files, PROBE_AND_RESOURCE_RULES))
    worker = f"Container worker of Deployment billing-worker ({WORKER_REASON})"
    server = f"Container temporal-history of Deployment temporal-history ({SERVER_REASON})"
    assert found == {
        "TPR402": [
            ("deploy/billing.yaml", 11,
             f"{worker} has no readinessProbe: Kubernetes sends it traffic and counts it available during rollouts "
             "before it is ready; for a worker, a rollout can take old pods down before new ones poll. Add a "
             "readinessProbe (an httpGet on a health endpoint, or an exec check for workers without HTTP)."),
            ("deploy/temporal.yaml", 13,
             f"{server} has no readinessProbe: Kubernetes sends it traffic and counts it available during rollouts "
             "before it is ready. Add a readinessProbe (an httpGet on a health endpoint)."),
        ],
        "TPR403": [
            ("deploy/billing.yaml", 11,
             f"{worker} has no livenessProbe: a hung process (deadlocked event loop, stuck poller) is never "
             "restarted and silently stops processing its task queue. Add a livenessProbe (an httpGet on a health "
             "endpoint, or an exec check for workers without HTTP)."),
            ("deploy/temporal.yaml", 13,
             f"{server} has no livenessProbe: a hung process is never restarted. Add a livenessProbe (an httpGet "
             "on a health endpoint)."),
        ],
        "TPR404": [
            ("deploy/billing.yaml", 11,
             f"{worker} requests no cpu or memory: the scheduler packs it blindly and it is the first to be evicted "
             "under node pressure, mid-activity. Set resources.requests.cpu and resources.requests.memory."),
            ("deploy/temporal.yaml", 13,
             f"{server} requests no cpu or memory: the scheduler packs it blindly and it is the first to be "
             "evicted under node pressure. Set resources.requests.cpu and resources.requests.memory."),
        ],
        "TPR405": [
            ("deploy/billing.yaml", 11,
             f"{worker} has no memory limit: a leak or a large workflow cache can exhaust the node and take "
             "neighbours down. Set resources.limits.memory (workflow cache size drives a worker's memory: see "
             "max_cached_workflows)."),
            ("deploy/temporal.yaml", 13,
             f"{server} has no memory limit: a leak can exhaust the node and take neighbours down. Set "
             "resources.limits.memory."),
        ],
    }


def test_a_cronjob_worker_has_no_probe_findings_and_the_worker_after_it_still_has(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/workers.yaml": RECONCILE_CRONJOB + "---\n"
             + deployment("billing-worker", container=TASK_QUEUE_ENV)}
    for rule in ("TPR402", "TPR403"):
        found = findings(tmp_path, monkeypatch, files, rule)
        assert [(f.location.line, f.anchor) for f in found] == [(26, "Deployment/default/billing-worker/worker")]


WORKER_CHART = {
    "deploy/workers/Chart.yaml": "apiVersion: v2\nname: billing-worker\nversion: 0.3.0\n",
    "deploy/workers/values.yaml": "replicaCount: 2\nimage: {repository: ghcr.io/acme/billing-worker, tag: 2.0.1}\n",
    "deploy/workers/templates/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-worker
        spec:
          replicas: {{ .Values.replicaCount }}
          template:
            metadata:
              labels: {app: billing-worker}
            spec:
              containers:
                - name: worker
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                  env: [{name: TEMPORAL_TASK_QUEUE, value: billing}]
    """,
}


def test_a_server_judged_in_its_helm_values_hides_no_resources_finding_of_a_worker_chart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {**CHART, **WORKER_CHART}
    for rule in ("TPR404", "TPR405"):
        found = findings(tmp_path, monkeypatch, files, rule)
        assert [(f.location.path, f.location.line) for f in found] == [("deploy/workers/templates/deployment.yaml", 12)]


# -- TPR406 ------------------------------------------------------------------------------------------


def test_tpr406_says_one_pod_in_the_singular(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/billing.yaml": deployment("billing-worker", replicas=1, container=TASK_QUEUE_ENV)}
    found = findings(tmp_path, monkeypatch, files, "TPR406")
    assert [(f.location.line, f.message) for f in found] == [(
        5,
        f"Deployment billing-worker ({WORKER_REASON}) can run as few as 1 pod (spec.replicas: 1), below the minimum "
        "of 2: one node drain, eviction or crash stops its task queues from being polled. Run at least 2 replicas "
        "(or set the autoscaler's minimum to it).",
    )]


def test_tpr406_counts_pods_in_the_plural_below_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keda = ("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: billing-worker}\n"
            "spec:\n  scaleTargetRef: {name: billing-worker}\n  maxReplicaCount: 20\n")
    files = {"deploy/billing.yaml": deployment("billing-worker", container=TASK_QUEUE_ENV) + "---\n" + keda}
    (finding,) = findings(tmp_path, monkeypatch, files, "TPR406")
    assert finding.message.startswith(
        f"Deployment billing-worker ({WORKER_REASON}) can run as few as 0 pods (ScaledObject billing-worker "
        "minReplicaCount: 0), below the minimum of 2:")
