"""`tprlint probe --kubeconfig ...` end to end: the real kubernetes client, run by the CLI in a separate
process, against the loopback API server of kube_api_server.py. The live workloads are judged by the
workload rules and the live-only rules, linked to the code of the project, and the client only ever reads
what the README's ClusterRole allows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, run_cli
from kube_api_server import FakeKubeApi, merged, shop_objects, write_kubeconfig

TOKEN = "kube-token-e2e-41c9d0b7aa3f"
WORKER = '''import asyncio
import os
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from orders.activities import reserve_stock


async def main() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue="orders", activities=[reserve_stock],
                      graceful_shutdown_timeout=timedelta(minutes=10)):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
'''
MANIFEST = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-worker
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: order-worker}
  template:
    metadata:
      labels: {app: order-worker}
    spec:
      terminationGracePeriodSeconds: 660
      containers:
        - name: orders
          image: shop/orders:1.4.2
          command: ["python", "-m", "orders.worker"]
'''


@pytest.fixture(scope="module")
def kube_api() -> Iterator[FakeKubeApi]:
    api = FakeKubeApi(token=TOKEN, objects=merged(shop_objects("shop"), shop_objects("payments")),
                      forbidden={("networkpolicies", "payments")}, not_installed={"keda.sh"}).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    (root / "orders").mkdir()
    (root / "orders" / "__init__.py").write_text("")
    (root / "orders" / "worker.py").write_text(WORKER)
    (root / "deploy").mkdir()
    (root / "deploy" / "order-worker.yaml").write_text(MANIFEST)
    return root


@pytest.fixture(scope="module")
def kubeconfig(kube_api: FakeKubeApi, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kubeconfig(tmp_path_factory.mktemp("kubeconfig"), kube_api.url, TOKEN, namespace="shop")


@pytest.fixture(scope="module")
def probed(kube_api: FakeKubeApi, kubeconfig: Path, project: Path) -> dict[str, Any]:
    mark = kube_api.mark()
    result = run_cli("probe", str(project), "--kubeconfig", str(kubeconfig), "--kube-namespace", "shop,payments",
                     "--no-temporal", "-f", "json", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    return {"report": json.loads(result.stdout), "stderr": result.stderr, "requests": kube_api.requests_since(mark)}


def found(probed: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule"], f["path"]) for f in probed["report"]["findings"]}


def test_live_workloads_are_judged_by_the_live_rules(probed: dict[str, Any]) -> None:
    findings = found(probed)
    order = "cluster://shop/Deployment/order-worker"
    assert ("TPR802", order) in findings  # 2 of 3 ready
    assert ("TPR803", order) in findings  # restarted 7 times, OOM-killed
    assert ("TPR805", order) in findings  # shop/orders:1.4.2 and 1.4.1 side by side, no versioning
    message = next(f["message"] for f in probed["report"]["findings"] if f["rule"] == "TPR805")
    assert "shop/orders:1.4.1, shop/orders:1.4.2" in message


def test_live_workloads_are_judged_by_the_manifest_rules_too(probed: dict[str, Any]) -> None:
    # The live Deployment runs the worker that drains for 10 minutes with a 30 s grace period.
    assert ("TPR601", "cluster://shop/Deployment/order-worker") in found(probed)


def test_a_manifest_that_is_not_what_runs_is_drift(probed: dict[str, Any]) -> None:
    [drift] = [f for f in probed["report"]["findings"] if f["rule"] == "TPR806"]
    assert drift["path"] == "deploy/order-worker.yaml" and drift["line"] == 14
    assert "terminationGracePeriodSeconds 660 here, but the cluster runs it with 30" in drift["message"]


def test_a_refused_list_is_a_finding_and_a_missing_crd_is_unknown(probed: dict[str, Any]) -> None:
    [refused] = [f for f in probed["report"]["findings"] if f["rule"] == "TPR801"]
    assert refused["path"] == "cluster://payments"
    assert "networkpolicies.networking.k8s.io in namespace payments (HTTP 403)" in refused["message"]
    assert "read-only ClusterRole in the README" in refused["message"]
    items = {i["id"]: i for c in probed["report"]["checklist"]["checklists"] for i in c["items"]}
    assert items["post.workers-healthy"]["status"] == "fail"
    # Without its NetworkPolicies, the namespace's workloads would be told they have none: not judged.
    assert {f["rule"] for f in probed["report"]["findings"] if f["path"].startswith("cluster://payments")} == {"TPR801"}


def test_the_client_only_reads_what_the_readme_role_grants(probed: dict[str, Any]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Probe the running system", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    role = next(doc for doc in yaml.safe_load_all(block) if doc["kind"] == "ClusterRole")
    granted = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"]}
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"get", "list"}
    assert probed["requests"]
    for request in probed["requests"]:
        assert request.method == "GET", request
        match = re.fullmatch(r"/(?:api/v1|apis/([^/]+)/[^/]+)/namespaces/(shop|payments)/([a-z]+)", request.path)
        assert match, request.path
        assert (match.group(1) or "", match.group(3)) in granted, request.path


def test_the_token_is_in_no_output(kube_api: FakeKubeApi, kubeconfig: Path, project: Path, tmp_path: Path) -> None:
    recorded = tmp_path / "snapshot.json"
    for fmt in ("console", "json", "sarif", "github", "checklist", "markdown"):
        result = run_cli("probe", str(project), "--kubeconfig", str(kubeconfig), "--no-temporal", "-f", fmt,
                         "--no-cache", "--record", str(recorded), cwd=project)
        assert result.returncode == 1, result.stderr
        assert TOKEN not in result.stdout and TOKEN not in result.stderr, fmt
        assert TOKEN not in recorded.read_text(encoding="utf-8")


def test_a_wrong_token_says_so_without_showing_either(kube_api: FakeKubeApi, project: Path, tmp_path: Path) -> None:
    wrong = "kube-token-wrong-0000deadbeef"
    config = write_kubeconfig(tmp_path, kube_api.url, wrong, namespace="shop")
    result = run_cli("probe", str(project), "--kubeconfig", str(config), "--no-temporal", "-f", "json",
                     "--no-cache", cwd=project)
    report = json.loads(result.stdout)
    refused = [f for f in report["findings"] if f["rule"] == "TPR801"]
    assert refused and all("HTTP 401" in f["message"] for f in refused)
    assert wrong not in result.stdout + result.stderr and TOKEN not in result.stdout + result.stderr


def test_an_unreachable_cluster_is_one_clear_finding(project: Path, tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path, "http://127.0.0.1:9", TOKEN, namespace="shop")
    result = run_cli("probe", str(project), "--kubeconfig", str(config), "--no-temporal", "-f", "json",
                     "--no-cache", "--call-timeout", "2s", cwd=project)
    report = json.loads(result.stdout)
    [refused] = [f for f in report["findings"] if f["rule"] == "TPR801"]
    assert refused["message"].startswith("Cannot check the cluster (shop-staging):")
    assert "Traceback" not in result.stderr
