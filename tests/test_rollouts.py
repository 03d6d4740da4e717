"""Rollouts (TPR419-TPR422): two builds of a worker on one task queue, progress deadlines, rollback
history and Argo analysis templates, on manifests shaped like real canary and blue-green set-ups."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tprlint.config import Config
from tprlint.discover import FileKind
from tprlint.engine import run
from tprlint.facts.extract import extract_file
from tprlint.model import Finding
from tprlint.result_cache import RunResult

CHAPTER = Path(__file__).parent.parent / "fixtures" / "chapter"
OVERLAYS = Path(__file__).parent / "data" / "kustomize_overlays"

WORKER = """
    import asyncio
    import os
    import signal
    from datetime import timedelta

    from temporalio.client import Client
    from temporalio.worker import Worker

    from orders.activities import reserve_stock
    from orders.workflows import OrderWorkflow


    async def main() -> None:
        client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with Worker(client, task_queue=os.environ.get("TASK_QUEUE", "orders"), workflows=[OrderWorkflow],
                          activities=[reserve_stock], graceful_shutdown_timeout=timedelta(minutes=2){extra}):
            await stop.wait()


    if __name__ == "__main__":
        asyncio.run(main())
"""
VERSIONED = (",\n                          deployment_config=WorkerDeploymentConfig(version=VERSION, "
             "use_worker_versioning={on})")


def worker_code(extra: str = "") -> str:
    code = textwrap.dedent(WORKER).replace("{extra}", extra)
    if "WorkerDeploymentConfig" in extra:
        code = code.replace("from temporalio.worker import Worker",
                            "from temporalio.common import WorkerDeploymentVersion\n"
                            "from temporalio.worker import Worker, WorkerDeploymentConfig\n\n"
                            "VERSION = WorkerDeploymentVersion(deployment_name=\"orders\", "
                            "build_id=os.environ[\"BUILD_ID\"])")
    return code


def deployment(name: str, tag: str, *, namespace: str = "shop", kind: str = "Deployment",
               api: str = "apps/v1", spec: str = "", env: str = "", command: str = '["python", "-m", "orders.worker"]',
               image: str = "registry.example.com/shop/orders") -> str:
    command_line = f"\n          command: {command}" if command else ""
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
            f"  replicas: 2{spec}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: worker\n"
            f"          image: {image}:{tag}{command_line}\n          env:\n"
            f"            - {{name: TEMPORAL_ADDRESS, value: \"temporal-frontend.temporal:7233\"}}{env}\n")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def lint_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> RunResult:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    return run([tmp_path], Config(root=tmp_path).with_overrides(select=(rule,)), use_cache=False, jobs=1)


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[Finding]:
    return [f for f in lint_result(tmp_path, monkeypatch, files, rule).findings if f.rule_id == rule]


def where(findings: list[Finding]) -> list[tuple[str, int]]:
    return sorted((Path(f.location.path).name, f.location.line) for f in findings)


# -- TPR419: the chapter's own recipes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapter_findings() -> list[dict[str, object]]:
    result = run_cli("k8s", "orders", "-f", "json", "--no-cache", "--select", "TPR419,TPR420,TPR421,TPR422,TPR423",
                     cwd=CHAPTER)
    assert result.returncode in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


def test_the_chapter_canary_and_blue_green_pairs_are_reported_once_each(
        chapter_findings: list[dict[str, object]]) -> None:
    two_builds = sorted((str(f["path"]), int(str(f["line"]))) for f in chapter_findings if f["rule"] == "TPR419")
    # The finding goes on the new build: the canary, and green.
    assert two_builds == [("k8s/blue-green/green.yaml", 3), ("k8s/canary/canary.yaml", 4)]
    canary = next(f for f in chapter_findings if f["rule"] == "TPR419" and "canary" in str(f["path"]))
    assert "orders-worker-canary (registry.example.com/orders/worker:1.5.0)" in str(canary["message"])
    assert "orders-worker-stable (registry.example.com/orders/worker:1.4.2)" in str(canary["message"])
    assert "task queue `orders`" in str(canary["message"])


def test_the_chapter_rolling_deployment_is_not_reported(chapter_findings: list[dict[str, object]]) -> None:
    # Its drain (330 s) is below the default deadline, it keeps its history, names no analysis.
    assert not [f for f in chapter_findings if str(f["path"]) == "k8s/deployment.yaml"]
    assert {f["rule"] for f in chapter_findings} == {"TPR419"}


# -- TPR419: what counts as two builds -------------------------------------------------------------------------


def canary_pair(stable: str = "1.4.2", canary: str = "1.5.0", canary_namespace: str = "shop", **kwargs: str) -> str:
    return deployment("orders-worker-stable", stable, **kwargs) + "---\n" + deployment(
        "orders-worker-canary", canary, namespace=canary_namespace, **kwargs)


def test_a_canary_pair_without_versioning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(), "orders/worker.py": worker_code()},
                 "TPR419")
    assert where(found) == [("workers.yaml", 22)]  # the canary's `kind:` line
    assert "non-determinism error" in found[0].message
    assert [r.message for r in found[0].related] == ["Deployment orders-worker-stable"]


@pytest.mark.parametrize(("on", "reported"), [("True", False), ("False", True)])
def test_worker_deployment_versioning_silences_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: str,
                                                  reported: bool) -> None:
    code = worker_code(VERSIONED.replace("{on}", on))
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(), "orders/worker.py": code}, "TPR419")
    assert bool(found) is reported


@pytest.mark.parametrize(("files", "why"), [
    ({"deploy/workers.yaml": canary_pair(canary="1.4.2")}, "the same image"),
    ({"deploy/workers.yaml": canary_pair(canary_namespace="shop-canary")}, "another namespace"),
    ({"deploy/production/w.yaml": deployment("orders-worker", "1.4.2"),
      "deploy/staging/w.yaml": deployment("orders-worker", "1.5.0")}, "two environments' folders"),
    ({"deploy/workers.yaml": canary_pair(canary="${NEXT_TAG}")}, "a tag set at deploy time"),
    ({"deploy/workers.yaml": deployment("orders-worker", "1.4.2") + "---\n" + deployment(
        "orders-activities-go", "2.0.0", command="", image="registry.example.com/shop/orders-activities-go",
        env="\n            - {name: TASK_QUEUE, value: orders}")}, "another program on the same queue"),
    ({"deploy/workers.yaml": canary_pair(canary="1.4.2@sha256:" + "a" * 64)}, "a digest of the same tag"),
])
def test_what_is_not_two_builds_on_one_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              files: dict[str, str], why: str) -> None:
    files = {**files, "orders/worker.py": worker_code()}
    if why == "a digest of the same tag":
        assert lint(tmp_path, monkeypatch, files, "TPR419"), "a digest is another build"
        return
    assert lint(tmp_path, monkeypatch, files, "TPR419") == [], why


def test_the_queue_is_read_with_each_workloads_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One code base, two Deployments on two task queues (TASK_QUEUE overrides the default): two workers,
    # each with its own build, and no workflow task of one reaches the other.
    refunds = "\n            - {name: TASK_QUEUE, value: refunds}"
    files = {"deploy/workers.yaml": deployment("orders-worker", "1.4.2") + "---\n"
             + deployment("refunds-worker", "1.5.0", env=refunds), "orders/worker.py": worker_code()}
    assert lint(tmp_path, monkeypatch, files, "TPR419") == []


def test_an_unreadable_queue_falls_back_to_the_same_worker_code(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code = worker_code().replace('os.environ.get("TASK_QUEUE", "orders")', 'os.environ["TASK_QUEUE"]')
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(), "orders/worker.py": code}, "TPR419")
    assert len(found) == 1 and "polling the task queue of the same Worker code" in found[0].message


def test_activity_only_workers_replay_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = worker_code().replace(" workflows=[OrderWorkflow],", "")
    assert "workflows=" not in code
    assert lint(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(), "orders/worker.py": code},
                "TPR419") == []


def test_a_queue_named_in_the_environment_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Images of another repository: no code is linked. Whether they are versioned is unknown...
    queue = "\n            - {name: TEMPORAL_TASK_QUEUE, value: payments}"
    pair = canary_pair(env=queue, command="")
    result = lint_result(tmp_path, monkeypatch, {"deploy/workers.yaml": pair}, "TPR419")
    assert [f for f in result.findings if f.rule_id == "TPR419"] == []
    assert [u.rule_id for u in result.not_checked] == ["TPR419"]
    # ... unless the Worker Controller's settings say so.
    versioned = lint_result(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(
        env=queue + "\n            - {name: TEMPORAL_DEPLOYMENT_NAME, value: payments}", command="")}, "TPR419")
    assert versioned.findings == [] and versioned.not_checked == ()


def test_a_queue_in_the_environment_and_unversioned_code_polling_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = "\n            - {name: TASK_QUEUE, value: orders}"
    files = {"deploy/workers.yaml": canary_pair(env=queue, command=""), "orders/worker.py": worker_code()}
    assert where(lint(tmp_path, monkeypatch, files, "TPR419")) == [("workers.yaml", 22)]


def test_recipes_in_sibling_folders_are_judged_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "k8s/deployment.yaml": deployment("orders-worker", "1.4.2"),
        "k8s/canary/stable.yaml": deployment("orders-worker-stable", "1.4.2"),
        "k8s/canary/canary.yaml": deployment("orders-worker-canary", "1.5.0"),
        "k8s/blue-green/blue.yaml": deployment("orders-worker-blue", "1.4.2"),
        "k8s/blue-green/green.yaml": deployment("orders-worker-green", "1.5.0"),
        "orders/worker.py": worker_code(),
    }
    assert where(lint(tmp_path, monkeypatch, files, "TPR419")) == [("canary.yaml", 2), ("green.yaml", 2)]


def test_a_kustomize_overlay_per_environment_is_not_a_canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(OVERLAYS, root)
    staging = root / "deploy/overlays/staging/kustomization.yaml"
    staging.write_text(staging.read_text(encoding="utf-8")
                       + "images:\n  - name: ghcr.io/example/orders-worker\n    newTag: 1.5.0-rc.1\n", encoding="utf-8")
    result = run_cli(".", "-f", "json", "--no-cache", "--select", "TPR419", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["findings"] == []


def temporal_env(namespace: str) -> str:
    return f"\n            - {{name: TEMPORAL_NAMESPACE, value: \"{namespace}\"}}" if namespace else ""


def test_staging_and_production_files_on_their_own_temporal_namespaces_are_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The chapter's code beside one file per environment, in one Kubernetes namespace.
    shutil.copytree(CHAPTER / "orders", tmp_path / "orders")
    shutil.copy(CHAPTER / "pyproject.toml", tmp_path / "pyproject.toml")
    image = "registry.example.com/orders/worker"
    found = lint(tmp_path, monkeypatch, {
        "k8s/worker-staging.yaml": deployment("orders-worker-staging", "1.5.0", namespace="orders", image=image,
                                              env=temporal_env("orders-staging")),
        "k8s/worker-production.yaml": deployment("orders-worker", "1.4.0", namespace="orders", image=image,
                                                 env=temporal_env("orders-production")),
    }, "TPR419")
    assert found == []


@pytest.mark.parametrize(("stable", "canary", "reported"), [
    ("orders-a", "orders-b", False),  # two Temporal namespaces: two task queues
    ("orders-a", "", False),  # only one says: not provably the same queue
    ("orders-a", "orders-a", True),
])
def test_the_temporal_namespace_scopes_the_task_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       stable: str, canary: str, reported: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/workers.yaml": deployment("orders-worker-stable", "1.4.2", env=temporal_env(stable)) + "---\n"
        + deployment("orders-worker-canary", "1.5.0", env=temporal_env(canary)),
        "orders/worker.py": worker_code()}, "TPR419")
    assert bool(found) == reported
    if reported:
        assert "in Kubernetes namespace `shop` on Temporal namespace `orders-a`" in found[0].message


def test_the_namespace_the_code_connects_with_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The code pins its namespace: what the manifests' stray variable says does not change the queue.
    code = worker_code().replace('Client.connect(os.environ["TEMPORAL_ADDRESS"])',
                                 'Client.connect(os.environ["TEMPORAL_ADDRESS"], namespace="orders")')
    assert 'namespace="orders"' in code
    found = lint(tmp_path, monkeypatch, {
        "deploy/workers.yaml": deployment("orders-worker-stable", "1.4.2", env=temporal_env("a")) + "---\n"
        + deployment("orders-worker-canary", "1.5.0", env=temporal_env("b")),
        "orders/worker.py": code}, "TPR419")
    assert len(found) == 1 and "on Temporal namespace `orders`" in found[0].message


def test_two_temporal_servers_are_two_worlds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = deployment("orders-worker-canary", "1.5.0").replace("temporal-frontend.temporal:7233",
                                                                 "temporal-frontend.temporal-next:7233")
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": deployment("orders-worker-stable", "1.4.2")
                                         + "---\n" + other, "orders/worker.py": worker_code()}, "TPR419")
    assert found == []


@pytest.mark.parametrize(("first", "second"), [
    ("deploy/worker-staging.yaml", "deploy/worker-prod.yaml"),
    ("deploy/worker-stage.yaml", "deploy/worker.yaml"),
])
def test_an_environment_word_in_the_file_name_is_an_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str) -> None:
    found = lint(tmp_path, monkeypatch, {first: deployment("orders-worker", "1.5.0"),
                                         second: deployment("orders-worker", "1.4.2"),
                                         "orders/worker.py": worker_code()}, "TPR419")
    assert found == []


def test_the_message_names_the_kubernetes_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": canary_pair(), "orders/worker.py": worker_code()},
                 "TPR419")
    assert "in Kubernetes namespace `shop`," in found[0].message
    assert "same namespace" not in found[0].message and "Temporal namespace" not in found[0].message


@pytest.mark.parametrize(("strategy", "line"), [
    ("\n  strategy:\n    canary:\n      steps:\n        - setWeight: 20\n        - pause: {}", 9),
    ("\n  strategy:\n    blueGreen:\n      activeService: orders-worker\n      autoPromotionEnabled: false", 9),
    ("\n  strategy:\n    canary: {maxSurge: 1, maxUnavailable: 0}", None),  # no steps: a rolling update
])
def test_argo_rollouts_run_two_builds_by_construction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       strategy: str, line: int | None) -> None:
    rollout = deployment("orders-worker", "1.5.0", kind="Rollout", api="argoproj.io/v1alpha1", spec=strategy)
    found = lint(tmp_path, monkeypatch, {"deploy/rollout.yaml": rollout, "orders/worker.py": worker_code()},
                 "TPR419")
    assert where(found) == ([("rollout.yaml", line)] if line else [])
    if found:
        assert "traffic weights do not apply to task queues" in found[0].message


# -- TPR420, TPR421 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "grace", "reported"), [
    ("", 600, True),  # equal to the 600 s default
    ("", 599, False),
    ("\n  progressDeadlineSeconds: 900", 900, True),
    ("\n  progressDeadlineSeconds: 1500", 900, False),
])
def test_progress_deadline_against_the_grace_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str,
                                                     grace: int, reported: bool) -> None:
    manifest = deployment("orders-worker", "1.4.2", spec=spec).replace(
        "    spec:\n      containers:", f"    spec:\n      terminationGracePeriodSeconds: {grace}\n      containers:")
    found = lint(tmp_path, monkeypatch, {"deploy/w.yaml": manifest, "orders/worker.py": worker_code()}, "TPR420")
    assert bool(found) is reported
    if found:
        assert f"up to {grace} s" in found[0].message


def test_revision_history_zero_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/a.yaml": deployment("orders-worker", "1.4.2", spec="\n  revisionHistoryLimit: 0"),
             "deploy/b.yaml": deployment("billing-worker", "1.4.2", spec="\n  revisionHistoryLimit: 1"),
             "orders/worker.py": worker_code()}
    assert where(lint(tmp_path, monkeypatch, files, "TPR421")) == [("a.yaml", 8)]


# -- TPR422 -------------------------------------------------------------------------------------------------------

ANALYSED = """
  strategy:
    blueGreen:
      activeService: orders-worker
      prePromotionAnalysis:
        templates:
          - templateName: smoke
      postPromotionAnalysis:
        templates:
          - {templateName: worker-errors, clusterScope: true}"""


def template(kind: str, name: str, namespace: str | None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}{ns}\nspec: {{metrics: []}}\n"


@pytest.mark.parametrize(("templates", "missing"), [
    ([template("AnalysisTemplate", "smoke", "shop"), template("ClusterAnalysisTemplate", "worker-errors", None)], []),
    ([template("AnalysisTemplate", "smoke", None), template("ClusterAnalysisTemplate", "worker-errors", None)], []),
    ([template("AnalysisTemplate", "smoke", "billing"), template("ClusterAnalysisTemplate", "worker-errors", None)],
     ["smoke"]),
    ([template("AnalysisTemplate", "smoke", "shop"), template("AnalysisTemplate", "worker-errors", "shop")],
     ["worker-errors"]),
])
def test_analysis_templates_are_looked_up_by_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   templates: list[str], missing: list[str]) -> None:
    rollout = deployment("orders-worker", "1.5.0", kind="Rollout", api="argoproj.io/v1alpha1", spec=ANALYSED)
    files = {"deploy/rollout.yaml": rollout, "deploy/analysis.yaml": "---\n".join(templates),
             "orders/worker.py": worker_code()}
    found = lint(tmp_path, monkeypatch, files, "TPR422")
    assert sorted(f.message.split("`")[1] for f in found) == missing


def test_no_template_in_the_scan_is_unknown_not_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rollout = deployment("orders-worker", "1.5.0", kind="Rollout", api="argoproj.io/v1alpha1", spec=ANALYSED)
    result = lint_result(tmp_path, monkeypatch, {"deploy/rollout.yaml": rollout, "orders/worker.py": worker_code()},
                         "TPR422")
    assert [f for f in result.findings if f.rule_id == "TPR422"] == []
    assert sorted(u.what for u in result.not_checked) == [
        "AnalysisTemplate smoke named by Argo Rollout orders-worker",
        "ClusterAnalysisTemplate worker-errors named by Argo Rollout orders-worker"]


def test_template_references_are_read_from_every_place_and_bounded() -> None:
    steps = "".join(f"        - analysis: {{templates: [{{templateName: t{i}}}]}}\n" for i in range(200))
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w}\nspec:\n  strategy:\n    canary:\n"
            "      analysis: {templates: [{templateName: background}]}\n      steps:\n"
            "        - experiment: {analyses: [{name: a, templateName: exp, clusterScope: true}]}\n" + steps
            + "  template:\n    spec:\n      containers: [{name: w, image: 'x:1'}]\n")
    facts = extract_file("deploy/r.yaml", FileKind.KUBERNETES, text.encode())
    assert facts.kube is not None
    [workload] = facts.kube.workloads
    names = [(ref.name, ref.cluster_scope) for ref in workload.analysis_templates]
    assert names[:3] == [("background", False), ("exp", True), ("t0", False)]
    assert len(names) == 64 and workload.canary_steps == 201
    assert workload.analysis_templates[0].location.line == 7
