"""Capacity planning (TPR950-TPR953, `tprlint capacity`): the profile's parsing, the plan's numbers and
where they come from, and what a user sees on the command line. The rules' own examples
(rules/TPR95x.toml) cover the findings; this file covers what examples cannot show."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, write_tree

from tprlint.capacity.profile import ProfileError, parse_profile
from tprlint.capacity.units import parse_duration, parse_quantity, show_bytes, show_seconds
from tprlint.config import ConfigError, load_config

PROFILE = """
[tool.tprlint.capacity]
workflows-per-second = 10
workflow-duration = "5m"
activities-per-workflow = 5
activity-duration = "10s"
activity-cpu = 0.1
activity-memory = "256Mi"
"""

WORKER = """
import asyncio
import os

from temporalio.client import Client
from temporalio.worker import Worker

from orders.activities import charge_payment
from orders.workflows import OrderWorkflow


async def main() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    worker = Worker(client, task_queue="orders", workflows=[OrderWorkflow], activities=[charge_payment],
                    {slots})
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-worker
spec:
  replicas: 3
  selector:
    matchLabels: {{app: orders-worker}}
  template:
    metadata:
      labels: {{app: orders-worker}}
    spec:
      containers:
        - name: worker
          image: registry.example.com/orders:1.0.0
          command: ["python", "-m", "orders.worker"]
          env:
            - {{name: TEMPORAL_ADDRESS, value: "temporal-frontend.temporal:7233"}}
            - {{name: MAX_ACTIVITIES, value: "150"}}
          resources:
            requests: {{cpu: "{cpu}", memory: {memory}}}
            limits: {{memory: {memory}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: orders-worker
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: orders-worker}}
  minReplicas: 3
  maxReplicas: {maximum}
"""


def project(root: Path, *, profile: str = PROFILE, slots: str = "max_concurrent_activities=100,",
            maximum: int = 4, cpu: str = "500m", memory: str = "1Gi", extra: dict[str, str] | None = None) -> Path:
    files = {
        "pyproject.toml": "[project]\nname = \"orders\"\nversion = \"1.0\"\n" + profile,
        "orders/__init__.py": "",
        "orders/activities.py": "from temporalio import activity\n\n\n@activity.defn\n"
                                "async def charge_payment() -> None:\n    pass\n",
        "orders/workflows.py": "from temporalio import workflow\n\n\n@workflow.defn\nclass OrderWorkflow:\n"
                               "    @workflow.run\n    async def run(self) -> None:\n        pass\n",
        "orders/worker.py": WORKER.format(slots=slots),
        "deploy/worker.yaml": DEPLOYMENT.format(maximum=maximum, cpu=cpu, memory=memory),
        **(extra or {}),
    }
    write_tree(root, {name: textwrap.dedent(text).lstrip("\n").encode() for name, text in files.items()})
    return root


# -- units ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("10s", 10), ("5m", 300), ("1h30m", 5400), ("3d", 259200), ("250ms", 0.25), ("168h0m0s", 604800), ("1w", 604800),
    ("1.5h", 5400),
])
def test_durations_are_read_with_their_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "5 minutes", "", "-1s", "1h 30m", "s", "5mm", "{{ .Values.retention }}",
                                  "9" * 100 + "s"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("256Mi", 256 * 2**20), ("1Gi", 2**30), ("500m", 0.5), ("2", 2), ("1.5Gi", 1.5 * 2**30), ("1e3", 1000),
    ("512M", 512e6), (0.1, 0.1), (4, 4.0),
])
def test_kubernetes_quantities(text: str | float, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "-1Gi", "1GB", "{{ .Values.memory }}", "", "1e999", True])
def test_anything_else_is_not_a_quantity(text: str | bool) -> None:
    assert parse_quantity(text) is None


def test_sizes_and_durations_are_shown_as_a_profile_writes_them() -> None:
    assert show_bytes(25 * 2**30) == "25Gi" and show_bytes(256 * 2**20) == "256Mi"
    assert show_seconds(300) == "5m" and show_seconds(5400) == "1h30m" and show_seconds(10) == "10s"


# -- the profile ------------------------------------------------------------------------------------


def test_the_chapters_profile_is_read_with_where_each_value_came_from() -> None:
    profile = parse_profile({"workflows-per-second": 10, "workflow-duration": "5m", "activities-per-workflow": 5,
                             "activity-duration": "10s", "activity-cpu": "100m", "activity-memory": "256Mi"},
                            "/repo/pyproject.toml")
    (load,) = profile.loads
    assert load.queue is None and not profile.per_queue
    assert load.workflow_duration is not None and load.workflow_duration.value == 300
    assert load.activity_cpu is not None and load.activity_cpu.value == pytest.approx(0.1)
    assert load.activity_memory is not None and load.activity_memory.value == 256 * 2**20
    assert load.activity_duration.source == "capacity.activity-duration in pyproject.toml"
    assert load.events().value == 35 and "estimate" in load.events().source


def test_queues_inherit_the_top_level_keys() -> None:
    profile = parse_profile({"activities-per-workflow": 3, "activity-duration": "2s",
                             "queues": {"orders": {"workflows-per-second": 4},
                                        "payments": {"workflows-per-second": 1, "activity-duration": "30s"}}},
                            "/repo/.tprlint.toml")
    assert profile.per_queue
    orders, payments = profile.loads
    assert (orders.queue, orders.activity_duration.value, orders.activities_per_workflow.value) == ("orders", 2, 3)
    assert payments.activity_duration.value == 30
    assert payments.activity_duration.source == "capacity.queues.payments.activity-duration in .tprlint.toml"


@pytest.mark.parametrize(("table", "said"), [
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": 10}, "activity-duration must be"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10 seconds"}, "with its unit"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s",
      "activity-memory": "256MB"}, "activity-memory must be a size"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s",
      "activity-memory": "500m"}, "activity-memory must be a size"),
    ({"workflows-per-second": float("nan"), "activities-per-workflow": 5, "activity-duration": "10s"},
     "workflows-per-second must be a number"),
    ({"workflows-per-second": True, "activities-per-workflow": 5, "activity-duration": "10s"},
     "workflows-per-second must be a number"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s", "storage-overhead": 0.5},
     "storage-overhead must be a number"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5}, "needs activity-duration"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s", "activty-cpu": 1},
     "unknown key capacity.activty-cpu"),
    ({"activities-per-workflow": 5, "activity-duration": "10s", "queues": {"orders": {}}},
     "capacity.queues.orders needs workflows-per-second"),
    ({"activities-per-workflow": 5, "activity-duration": "10s", "queues": {"orders": {"rate": 1}}},
     "unknown key capacity.queues.orders.rate"),
    ({"activities-per-workflow": 5, "activity-duration": "10s", "queues": ["orders"]}, "must be a table"),
    # An integer beyond any float: an error that says so, not an OverflowError, and not repeated in full.
    ({"workflows-per-second": 9 * 10 ** 400, "activities-per-workflow": 5, "activity-duration": "10s"},
     "workflows-per-second must be a number (workflows started per second), above 0 and at most"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s",
      "storage-overhead": 10 ** 400}, "not a number too large"),
    ({"workflows-per-second": 10, "activities-per-workflow": 5, "activity-duration": "10s",
      "activity-cpu": 10 ** 400}, "activity-cpu must be"),
])
def test_a_bad_profile_is_a_configuration_error(table: dict[str, object], said: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(said)):
        parse_profile(table, "pyproject.toml")


def test_a_huge_number_in_the_profile_is_a_configuration_error_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / ".tprlint.toml").write_text(
        "[capacity]\nworkflows-per-second = " + "9" * 401 + "\nactivities-per-workflow = 5\n"
        'activity-duration = "10s"\n')
    for command in ((".",), ("capacity", ".")):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "workflows-per-second must be a number" in result.stderr
        assert "9" * 30 not in result.stderr


def test_the_configuration_reports_a_bad_profile_as_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / ".tprlint.toml"
    config.write_text('[capacity]\nworkflows-per-second = 10\nactivities-per-workflow = 5\nactivity-duration = "ten"\n')
    with pytest.raises(ConfigError, match=r"capacity\.activity-duration must be a duration"):
        load_config(config, {"TPR950"})
    config.write_text('[capacity]\nworkflows-per-second = 10\nactivities-per-workflow = 5\nactivity-duration = "10s"\n')
    loaded = load_config(config, {"TPR950"}).capacity
    assert loaded is not None and loaded.loads[0].activity_duration.value == 10


# -- the command ------------------------------------------------------------------------------------


def test_the_plan_shows_littles_law_the_chapters_numbers_and_every_source(tmp_path: Path) -> None:
    root = project(tmp_path / "shop")
    run = run_cli("capacity", str(root))
    assert run.returncode == 1, run.stderr  # 100 slots x 4 replicas cannot run 500 activities at once
    out = run.stdout
    assert "concurrent workflows      3,000" in out and "concurrent activities     500" in out
    assert "Little's law: 50/s \u00d7 10s" in out
    assert "capacity.workflows-per-second in pyproject.toml" in out
    assert "max_concurrent_activities=100 at" in out and "orders/worker.py:13" in out
    assert "HorizontalPodAutoscaler orders-worker maxReplicas: 4" in out
    assert "workers needed            5" in out
    assert "CPU per worker            10 cores" in out and "memory per worker         25Gi" in out
    # where it differs from the chapter, and why
    assert "3,000 \u00d7 5 = 15,000 concurrent activities (150 workers of 100 slots, where Little's law needs 5)" \
        in " ".join(out.split())
    assert "TPR950 [warning]" in out and "TPR951 [warning]" in out and "TPR952 [note]" in out
    assert "TPR953 unknown" in out  # no database in the scan: unknown, never a pass


def test_json_gives_the_same_plan(tmp_path: Path) -> None:
    root = project(tmp_path / "shop", maximum=8, cpu="12", memory="32Gi")
    run = run_cli("capacity", str(root), "-f", "json")
    assert run.returncode == 0, run.stdout + run.stderr  # 800 slots, and pods big enough
    data = json.loads(run.stdout)
    (load,) = data["loads"]
    assert load["concurrent_activities"] == 500 and load["chapter_concurrent_activities"] == 15000
    assert load["inputs"]["activity-duration"] == {"value": 10.0,
                                                   "source": "capacity.activity-duration in pyproject.toml"}
    (worker,) = data["workers"]
    assert worker["activity_slots"]["value"] == 100 and worker["replicas_max"]["value"] == 8
    assert worker["replicas_max"]["path"].endswith("deploy/worker.yaml") and worker["replicas_max"]["line"] == 31
    assert data["findings"] == [] and data["storage"]["needed_bytes"] is None
    assert [u["rule"] for u in data["unknown"]] == ["TPR953"]


def test_slots_from_the_workloads_environment_and_the_sdk_default(tmp_path: Path) -> None:
    from_env = project(tmp_path / "env", slots='max_concurrent_activities=int(os.environ.get("MAX_ACTIVITIES", "50")),',
                       maximum=4, cpu="15", memory="40Gi")
    run = run_cli("capacity", str(from_env), "-f", "json")
    assert json.loads(run.stdout)["workers"][0]["activity_slots"]["value"] == 150  # the Deployment sets 150
    assert run.returncode == 0, run.stdout  # 150 x 4 = 600 >= 500; 150 x 256Mi fit in 40Gi
    default = project(tmp_path / "default", slots="", maximum=5, cpu="12", memory="32Gi")
    data = json.loads(run_cli("capacity", str(default), "-f", "json").stdout)
    assert data["workers"][0]["activity_slots"]["value"] == 100
    assert "SDK default 100" in data["workers"][0]["activity_slots"]["source"]


def test_a_tuner_is_unknown_never_a_pass(tmp_path: Path) -> None:
    root = project(tmp_path / "tuned", slots="tuner=WorkerTuner.create_resource_based(target_memory_usage=0.8, "
                                             "target_cpu_usage=0.9),")
    run = run_cli("capacity", str(root))
    assert run.returncode == 0
    assert "TPR950 unknown" in run.stdout and "takes its slots from a tuner" in run.stdout
    checklist = run_cli(str(root), "-f", "checklist", "--no-cache").stdout
    assert any(line.split()[1:3] == ["unknown", "capacity.workers"] for line in checklist.splitlines()
               if len(line.split()) > 2)


def test_a_queue_no_worker_polls_is_unknown(tmp_path: Path) -> None:
    profile = PROFILE.replace("workflows-per-second = 10\n", "") + \
        "[tool.tprlint.capacity.queues.orders]\nworkflows-per-second = 2\n" \
        "[tool.tprlint.capacity.queues.payments]\nworkflows-per-second = 1\n"
    run = run_cli("capacity", str(project(tmp_path / "queues", profile=profile, cpu="12", memory="32Gi")))
    assert "Load of task queue `orders`" in run.stdout and "Load of task queue `payments`" in run.stdout
    assert "TPR950 unknown: task queue `payments`: no Worker in the scan polls it" in " ".join(run.stdout.split())
    assert run.returncode == 0  # orders: 100 activities at once, 400 slots


def test_storage_from_the_scanned_database_and_namespace_retention(tmp_path: Path) -> None:
    values = """
    server:
      config:
        namespaces:
          namespace:
            - {name: orders, retention: 7d}
        persistence:
          datastores:
            default:
              sql: {pluginName: postgres12, connectAddr: "postgres.db.svc:5432", databaseName: temporal}
    """
    database = """
    apiVersion: apps/v1
    kind: StatefulSet
    metadata:
      name: postgres
      namespace: db
    spec:
      serviceName: postgres
      selector:
        matchLabels: {app: postgres}
      template:
        metadata:
          labels: {app: postgres}
        spec:
          containers:
            - name: postgres
              image: postgres:16
      volumeClaimTemplates:
        - metadata: {name: data}
          spec:
            accessModes: [ReadWriteOnce]
            resources:
              requests: {storage: 200Gi}
    """
    root = project(tmp_path / "db", maximum=8, cpu="12", memory="32Gi",
                   extra={"deploy/temporal/values.yaml": values, "deploy/postgres.yaml": database})
    run = run_cli("capacity", str(root))
    out = " ".join(run.stdout.split())
    # 864,000 workflows/day x 35 events x 1Ki x 7 days x 2 = about 404Gi
    assert "retention 7d namespace orders retention: 7d" in out
    assert "storage needed 403.7Gi" in out and "database postgres 200Gi too small" in out
    assert "TPR953 [warning]" in out and "deploy/postgres.yaml:22:" in out
    assert run.returncode == 1


def test_without_a_profile_the_command_says_how_to_declare_one(tmp_path: Path) -> None:
    root = project(tmp_path / "plain", profile="")
    run = run_cli("capacity", str(root))
    assert run.returncode == 2 and "no workload profile" in run.stderr and "[tool.tprlint.capacity]" in run.stderr
    checklist = run_cli(str(root), "-f", "checklist", "--no-cache").stdout
    assert any(line.split()[1:3] == ["n/a", "capacity.workers"] for line in checklist.splitlines()
               if len(line.split()) > 2)


def test_a_typo_in_the_profile_stops_the_run(tmp_path: Path) -> None:
    root = project(tmp_path / "typo", profile=PROFILE.replace("activity-memory", "activity-mem"))
    for args in (("capacity", str(root)), (str(root),)):
        run = run_cli(*args)
        assert run.returncode == 2 and "unknown key capacity.activity-mem" in run.stderr


def test_the_chapters_profile_on_the_chapters_fixture() -> None:
    run = run_cli("capacity", str(FIXTURES / "chapter"))
    assert run.returncode in (0, 1), run.stderr
    out = " ".join(run.stdout.split())
    assert "concurrent activities 500 Little's law: 50/s \u00d7 10s" in out
    assert "3,000 \u00d7 5 = 15,000 concurrent activities" in out and "this plan uses Little's law" in out


def test_a_worker_workload_not_tied_to_its_code_is_unknown(tmp_path: Path) -> None:
    root = project(tmp_path / "unlinked", cpu="12", memory="32Gi")
    manifest = root / "deploy/worker.yaml"
    manifest.write_text(manifest.read_text().replace('"-m", "orders.worker"', '"/app/run-worker.sh"'))
    run = run_cli("capacity", str(root))
    out = " ".join(run.stdout.split())
    assert "activity slots per pod unknown" in out and "cannot tell which code" in out
    assert "TPR950 unknown: the profile" in out
    assert run.returncode == 0


def test_a_complete_top_level_is_the_load_of_the_queues_not_listed(tmp_path: Path) -> None:
    profile = PROFILE + "[tool.tprlint.capacity.queues.payments]\nworkflows-per-second = 1\n"
    run = run_cli("capacity", str(project(tmp_path / "rest", profile=profile, maximum=8, cpu="12", memory="32Gi")),
                  "-f", "json")
    data = json.loads(run.stdout)
    assert [(load["queue"], load["workers"]) for load in data["loads"]] == [
        (None, ["Deployment orders-worker"]), ("payments", [])]
    assert data["storage"]["workflows_per_day"] == 11 * 86400
    assert [u["what"] for u in data["unknown"] if u["rule"] == "TPR950"] == ["task queue `payments`"]
    assert run.returncode == 0
