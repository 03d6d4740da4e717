"""The Kubernetes probe with the real ``kubernetes`` client against a loopback API server (kube_api_server).

What a user sees: every object of the namespaces, page after page; only GET requests to the list paths the
README's RBAC grants; refusals, missing CRDs, a dead or silent server and the deadline as error strings
that say what to fix, never an exception, never the token.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kube_api_server import FakeKubeApi, Request, many_pods, merged, shop_objects, write_kubeconfig

from tprlint.live.kubernetes_probe import NOT_PROBED, PAGE, probe_kubernetes, request_paths
from tprlint.live.options import KubeConnection
from tprlint.live.snapshot import KubeState, LiveSnapshot, from_json, to_json

TOKEN = "kube-token-7f3c9a2e51d84b6f"  # the reader's bearer token: it must never show in any output
NAMESPACES = ("shop", "payments", "bulk")


@pytest.fixture(scope="module")
def kube_api() -> Iterator[FakeKubeApi]:
    api = FakeKubeApi(
        token=TOKEN,
        objects=merged(shop_objects("shop"), shop_objects("payments"), many_pods("bulk", PAGE + 10)),
        forbidden={("networkpolicies", "payments")},
        not_installed={"keda.sh"},
        max_page={"shop": 2},  # the server may give fewer items than `limit`: only `continue` says more exist
    ).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def kubeconfig(kube_api: FakeKubeApi, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kubeconfig(tmp_path_factory.mktemp("kube"), kube_api.url, TOKEN, namespace="shop")


@dataclass(frozen=True)
class Probed:
    state: KubeState
    requests: list[Request]
    seconds: float


def probe(api: FakeKubeApi, conn: KubeConnection, within: float = 20.0) -> Probed:
    mark = api.mark()
    started = time.monotonic()
    state = probe_kubernetes(conn, started + within)
    return Probed(state, api.requests_since(mark), time.monotonic() - started)


@pytest.fixture(scope="module")
def listed(kube_api: FakeKubeApi, kubeconfig: Path) -> Probed:
    return probe(kube_api, KubeConnection(kubeconfig=str(kubeconfig), namespaces=NAMESPACES, timeout=5))


@pytest.fixture
def warm(listed: Probed) -> None:
    """The client's modules are imported and its validators built: a timing then measures the probe alone."""


def named(state: KubeState, kind: str, namespace: str) -> list[str]:
    return sorted(o["metadata"]["name"] for o in state.objects
                  if o["kind"] == kind and o["metadata"]["namespace"] == namespace)


def one(state: KubeState, kind: str, name: str, namespace: str = "shop") -> dict[str, Any]:
    [found] = [o for o in state.objects if o["kind"] == kind and o["metadata"]["name"] == name
               and o["metadata"]["namespace"] == namespace]
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- what is listed --------------------------------------------------------------------------------


def test_every_object_of_every_namespace_is_listed(kube_api: FakeKubeApi, listed: Probed) -> None:
    state = listed.state
    assert (state.context, state.server, state.namespaces, state.error) == (
        "shop-staging", kube_api.url, NAMESPACES, "")
    for namespace in ("shop", "payments"):
        assert named(state, "Deployment", namespace) == ["email-worker", "order-worker", "payment-worker"]
        assert named(state, "StatefulSet", namespace) == ["orders-postgres"]
        assert named(state, "PodDisruptionBudget", namespace) == ["order-worker"]
        assert named(state, "HorizontalPodAutoscaler", namespace) == ["order-worker"]
        assert named(state, "Rollout", namespace) == ["checkout-worker"]
    assert named(state, "NetworkPolicy", "shop") == ["default-deny"]
    assert sum(p["metadata"]["namespace"] == "bulk" for p in state.pods) == PAGE + 10
    assert sum(p["metadata"]["namespace"] == "shop" for p in state.pods) == 3
    # Typed lists leave kind/apiVersion out of their items: the probe writes them back.
    kinds = {(o["apiVersion"], o["kind"]) for o in state.objects}
    assert kinds == {("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("policy/v1", "PodDisruptionBudget"),
                     ("autoscaling/v2", "HorizontalPodAutoscaler"), ("networking.k8s.io/v1", "NetworkPolicy"),
                     ("argoproj.io/v1alpha1", "Rollout")}
    assert listed.seconds < 10


def test_big_lists_are_read_page_by_page_with_the_servers_continue_token(listed: Probed) -> None:
    def asked(path: str) -> list[dict[str, str]]:
        return [r.query for r in listed.requests if r.path == path]

    # 3 Deployments, at most 2 a page: two requests, the second with the token the first answer gave.
    deployments = asked("/apis/apps/v1/namespaces/shop/deployments")
    assert [q.get("limit") for q in deployments] == [str(PAGE), str(PAGE)]
    assert "continue" not in deployments[0] and deployments[1]["continue"]
    # 260 pods with limit=250: 250, then the 10 left (remainingItemCount 10) with the continue token.
    pods = asked("/api/v1/namespaces/bulk/pods")
    assert len(pods) == 2 and "continue" not in pods[0] and pods[1]["continue"]
    # The server answers 410 Expired to any token it did not give: no error means every token came back as given.
    assert [e for e in listed.state.errors if e.status == 410] == []
    assert sum(r.query.get("continue") is not None for r in listed.requests) == 3  # shop deployments/pods, bulk pods


def test_only_get_requests_to_the_list_paths(listed: Probed) -> None:
    assert {r.method for r in listed.requests} == {"GET"}
    assert all(set(r.query) <= {"limit", "continue"} for r in listed.requests)
    shop = [
        "/apis/apps/v1/namespaces/shop/deployments",
        "/apis/apps/v1/namespaces/shop/statefulsets",
        "/apis/policy/v1/namespaces/shop/poddisruptionbudgets",
        "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers",
        "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
        "/api/v1/namespaces/shop/pods",
        "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts",
        "/apis/keda.sh/v1alpha1/namespaces/shop/scaledobjects",
    ]
    assert request_paths(("shop",)) == shop
    # KEDA's 404 in the first namespace says it is not installed: not asked again in the others.
    expected = shop + [p.replace("/shop/", f"/{ns}/") for ns in ("payments", "bulk") for p in shop[:-1]]
    assert list(dict.fromkeys(r.path for r in listed.requests)) == expected
    assert all("authorization" not in r.headers for r in listed.requests)


def test_the_fake_api_server_refuses_every_other_verb(kube_api: FakeKubeApi) -> None:
    mark = kube_api.mark()
    for verb in ("POST", "PUT", "PATCH", "DELETE"):
        request = urllib.request.Request(f"{kube_api.url}/apis/apps/v1/namespaces/shop/deployments", method=verb,
                                         data=b"{}", headers={"Authorization": f"Bearer {TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 405
        assert json.loads(refused.value.read())["reason"] == "MethodNotAllowed"
    assert [r.method for r in kube_api.requests_since(mark)] == ["POST", "PUT", "PATCH", "DELETE"]


# -- objects as the API gives them -----------------------------------------------------------------


def test_workloads_keep_their_spec_and_status(listed: Probed) -> None:
    state = listed.state
    worker = one(state, "Deployment", "order-worker")
    assert worker["spec"]["replicas"] == 3
    assert {k: worker["status"][k] for k in ("replicas", "readyReplicas", "updatedReplicas", "availableReplicas")} == {
        "replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
    pod_spec = worker["spec"]["template"]["spec"]
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    assert pod_spec["containers"][0]["image"] == "shop/orders:1.4.2"
    assert pod_spec["containers"][0]["command"] == ["python", "-m", "orders.worker"]
    [stuck] = one(state, "Deployment", "payment-worker")["status"]["conditions"]
    assert (stuck["type"], stuck["status"], stuck["reason"]) == ("Progressing", "False", "ProgressDeadlineExceeded")
    assert stuck["lastUpdateTime"].startswith("2025-05-12T09:14:03")
    hpa = one(state, "HorizontalPodAutoscaler", "order-worker")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"], hpa["status"]["desiredReplicas"]) == (3, 12, 3)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order-worker"}
    pdb = one(state, "PodDisruptionBudget", "order-worker")
    assert (pdb["spec"]["minAvailable"], pdb["status"]["disruptionsAllowed"]) == (2, 0)
    assert one(state, "Rollout", "checkout-worker")["status"]["phase"] == "Paused"
    assert one(state, "StatefulSet", "orders-postgres")["status"]["readyReplicas"] == 1


def test_apply_bookkeeping_is_dropped(listed: Probed) -> None:
    for obj in listed.state.objects + listed.state.pods:
        assert "managedFields" not in obj["metadata"]
        assert "kubectl.kubernetes.io/last-applied-configuration" not in obj["metadata"].get("annotations", {})
    assert one(listed.state, "Deployment", "order-worker")["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "4"}


def test_pods_keep_only_what_the_live_checks_read(listed: Probed) -> None:
    pods = [p for p in listed.state.pods if p["metadata"]["namespace"] == "shop"]
    images = sorted(p["spec"]["containers"][0]["image"] for p in pods)
    assert images == ["shop/orders:1.4.1", "shop/orders:1.4.2", "shop/orders:1.4.2"]
    [restarted] = [p for p in pods if p["status"]["containerStatuses"][0]["restartCount"] == 7]
    container = restarted["status"]["containerStatuses"][0]
    assert container["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert container["ready"] is False and container["imageID"].endswith("a" * 64)
    assert restarted["metadata"]["ownerReferences"][0]["name"] == "order-worker-7d9f8c"
    assert restarted["metadata"]["labels"]["app"] == "order-worker"
    assert restarted["spec"] == {"containers": [{"name": "orders", "image": "shop/orders:1.4.2"}],
                                 "terminationGracePeriodSeconds": 30}
    assert set(restarted["status"]) == {"phase", "conditions", "containerStatuses"}
    text = json.dumps(listed.state.pods)
    assert "hunter2-pod-env" not in text and "DATABASE_PASSWORD" not in text and "podIP" not in text


def test_the_state_is_plain_json(listed: Probed) -> None:
    snapshot = LiveSnapshot("2025-05-12T10:00:00Z", kubernetes=listed.state)
    assert from_json(to_json(snapshot)) == snapshot


# -- refusals --------------------------------------------------------------------------------------


def test_a_forbidden_list_is_an_error_and_the_others_are_still_listed(listed: Probed) -> None:
    [refused] = [e for e in listed.state.errors if e.status == 403]
    assert (refused.resource, refused.namespace) == ("networkpolicies.networking.k8s.io", "payments")
    assert "cannot list resource" in refused.message  # the API server's own words, kept
    assert "grant list on networkpolicies.networking.k8s.io (see the README's read-only RBAC)" in refused.message
    assert named(listed.state, "NetworkPolicy", "payments") == []
    assert named(listed.state, "Deployment", "payments") != []  # asked after the refusal
    assert sum(p["metadata"]["namespace"] == "payments" for p in listed.state.pods) == 3


def test_a_missing_crd_is_a_404_not_installed_for_each_namespace(listed: Probed) -> None:
    missing = [e for e in listed.state.errors if e.status == 404]
    assert [(e.resource, e.namespace) for e in missing] == [("scaledobjects.keda.sh", ns) for ns in NAMESPACES]
    assert all(e.message.startswith("not installed") and "KEDA" in e.message for e in missing)
    assert [e.status for e in listed.state.errors] == [404, 403, 404, 404]


def test_a_wrong_token_gives_401_errors_without_the_token(kube_api: FakeKubeApi, tmp_path: Path) -> None:
    wrong = "wrong-token-0d1e2f3a4b5c"
    config = write_kubeconfig(tmp_path, kube_api.url, wrong, namespace="shop")
    probed = probe(kube_api, KubeConnection(kubeconfig=str(config), timeout=5))
    state = probed.state
    assert state.namespaces == ("shop",) and state.error == "" and state.objects == () and state.pods == ()
    assert [e.status for e in state.errors] == [401] * 8
    assert "did not accept the credentials of context 'shop-staging'" in state.errors[0].message
    assert wrong not in to_json(LiveSnapshot("now", kubernetes=state))


def test_credentials_quoted_by_the_server_are_scrubbed(tmp_path: Path) -> None:
    api = FakeKubeApi(token=TOKEN, objects=shop_objects(), forbidden={("pods", "shop")}, quote_credentials=True)
    api.start()
    try:
        probed = probe(api, KubeConnection(kubeconfig=str(write_kubeconfig(tmp_path, api.url, TOKEN, "shop"))))
    finally:
        api.stop()
    [refused] = probed.state.errors
    assert refused.status == 403 and "Authorization: ***" in refused.message
    assert TOKEN not in to_json(LiveSnapshot("now", kubernetes=probed.state))
    assert named(probed.state, "Deployment", "shop") != []


# -- no answer -------------------------------------------------------------------------------------


def test_an_unreachable_server_is_one_error_within_the_timeout(tmp_path: Path, warm: None) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    config = write_kubeconfig(tmp_path, url, TOKEN, namespace="shop")
    started = time.monotonic()
    state = probe_kubernetes(KubeConnection(kubeconfig=str(config), timeout=2), started + 20)
    assert time.monotonic() - started < 2
    assert state.error.startswith(f"cannot reach the Kubernetes API server at {url}: connection refused")
    assert "kubectl cluster-info" in state.error and TOKEN not in state.error
    assert (state.server, state.objects, state.pods, state.errors) == (url, (), (), ())


def test_a_silent_server_times_out_once_not_once_per_retry(tmp_path: Path, warm: None) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config = write_kubeconfig(tmp_path, url, TOKEN, namespace="shop")
        started = time.monotonic()
        state = probe_kubernetes(KubeConnection(kubeconfig=str(config), timeout=0.5), started + 20)
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 1.5  # one request, one timeout: urllib3's default retries would take 2 s
    assert state.error.startswith(f"the Kubernetes API server at {url} did not answer within 0.5s")
    assert state.errors == ()


def test_a_tls_failure_says_what_to_check(kube_api: FakeKubeApi, tmp_path: Path) -> None:
    url = kube_api.url.replace("http://", "https://")  # TLS spoken to a plain HTTP server
    config = write_kubeconfig(tmp_path, url, TOKEN, namespace="shop")
    state = probe_kubernetes(KubeConnection(kubeconfig=str(config), timeout=2), time.monotonic() + 10)
    assert state.error.startswith(f"TLS with the Kubernetes API server at {url} failed (")
    assert state.error.endswith("check the kubeconfig's certificate-authority and client certificate for this cluster")
    assert state.errors == () and TOKEN not in state.error


def test_the_deadline_is_honoured(tmp_path: Path, warm: None) -> None:
    api = FakeKubeApi(token=TOKEN, objects=shop_objects(), delay=0.3).start()
    try:
        config = write_kubeconfig(tmp_path, api.url, TOKEN, namespace="shop")
        probed = probe(api, KubeConnection(kubeconfig=str(config), timeout=5), within=1.0)
    finally:
        api.stop()
    assert probed.seconds < 1.5
    state = probed.state
    assert state.error == ""
    late = [e for e in state.errors if e.message == NOT_PROBED]
    assert late and all(e.status is None for e in late)
    # What was listed in time is kept; every list after it says it was not probed.
    assert state.errors == tuple(late) and late[-1].resource == "scaledobjects.keda.sh"
    assert named(state, "Deployment", "shop") == ["email-worker", "order-worker", "payment-worker"]
    assert len(probed.requests) + len(late) in (8, 9)  # the request cut by the deadline is the one extra


# -- configuration ---------------------------------------------------------------------------------


def test_the_namespace_is_the_contexts_else_default(kube_api: FakeKubeApi, tmp_path: Path) -> None:
    bare = write_kubeconfig(tmp_path, kube_api.url, TOKEN, name="bare")
    probed = probe(kube_api, KubeConnection(kubeconfig=str(bare)))
    assert probed.state.namespaces == ("default",)
    assert {r.path.split("/namespaces/")[1].split("/")[0] for r in probed.requests} == {"default"}
    assert probed.state.objects == () and probed.state.error == ""


def test_an_unknown_context_names_the_known_ones(kubeconfig: Path) -> None:
    state = probe_kubernetes(KubeConnection(kubeconfig=str(kubeconfig), context="prod"), time.monotonic() + 5)
    assert state.error == (f"the kubeconfig {kubeconfig} has no context 'prod' (its contexts: shop-staging): pass "
                           "one of them as the probe's context, or run `kubectl config use-context NAME`")


def test_a_context_given_needs_no_current_context(kube_api: FakeKubeApi, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path, kube_api.url, TOKEN, namespace="shop")
    written = json.loads(path.read_text())
    del written["current-context"]
    path.write_text(json.dumps(written))
    state = probe_kubernetes(KubeConnection(kubeconfig=str(path)), time.monotonic() + 5)
    assert state.error.startswith(f"the kubeconfig {path} sets no current-context (its contexts: shop-staging)")
    probed = probe(kube_api, KubeConnection(kubeconfig=str(path), context="shop-staging"))
    assert (probed.state.context, probed.state.namespaces, probed.state.error) == ("shop-staging", ("shop",), "")
    assert named(probed.state, "Deployment", "shop")


def test_the_kubeconfig_variable_is_read(kube_api: FakeKubeApi, kubeconfig: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{kubeconfig}")
    probed = probe(kube_api, KubeConnection(namespaces=("shop",)))
    assert probed.state.context == "shop-staging" and named(probed.state, "Deployment", "shop")


def test_no_configuration_says_how_to_give_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    state = probe_kubernetes(KubeConnection(), time.monotonic() + 5)
    assert state.error.startswith(f"no Kubernetes configuration: there is no {tmp_path}/.kube/config")
    assert "point KUBECONFIG" in state.error
    state = probe_kubernetes(KubeConnection(kubeconfig=str(tmp_path / "nope")), time.monotonic() + 5)
    assert state.error.startswith(f"the kubeconfig {tmp_path / 'nope'} does not exist")


def test_in_cluster_without_a_service_account_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(free_port()))
    state = probe_kubernetes(KubeConnection(), time.monotonic() + 5)
    assert state.error.startswith("the in-cluster configuration cannot be used: ")
    assert "service account token" in state.error


def test_the_clients_default_configuration_is_left_alone(kube_api: FakeKubeApi, kubeconfig: Path) -> None:
    from kubernetes import client

    def default() -> tuple[str, dict[str, str]]:
        configuration = client.Configuration.get_default_copy()
        return configuration.host, dict(configuration.api_key)

    before = default()
    assert probe(kube_api, KubeConnection(kubeconfig=str(kubeconfig))).state.objects
    assert default() == before and before[0] != kube_api.url
