"""A stand-in Kubernetes API server for the live probe's tests (a helper module, not a test file).

No real API server can run in the test environment, so the real ``kubernetes`` client talks to this
loopback HTTP server instead. It answers the list endpoints the probe reads with the shapes the
Kubernetes API reference gives: ``List`` objects (``metadata.resourceVersion``, ``continue``,
``remainingItemCount``) and ``Status`` objects for refusals. It records every request (verb, path,
query, headers without ``Authorization``) so a test can check that the probe only ever reads.
"""

from __future__ import annotations

import copy
import json
import secrets
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# (API group path, version, plural, kind): the list endpoints served, as a real cluster names them.
RESOURCES: dict[str, tuple[str, str, str]] = {
    # plural -> (path prefix of the group/version, apiVersion of the items, kind of the items)
    "deployments": ("/apis/apps/v1", "apps/v1", "Deployment"),
    "statefulsets": ("/apis/apps/v1", "apps/v1", "StatefulSet"),
    "poddisruptionbudgets": ("/apis/policy/v1", "policy/v1", "PodDisruptionBudget"),
    "horizontalpodautoscalers": ("/apis/autoscaling/v2", "autoscaling/v2", "HorizontalPodAutoscaler"),
    "networkpolicies": ("/apis/networking.k8s.io/v1", "networking.k8s.io/v1", "NetworkPolicy"),
    "pods": ("/api/v1", "v1", "Pod"),
    "rollouts": ("/apis/argoproj.io/v1alpha1", "argoproj.io/v1alpha1", "Rollout"),
    "scaledobjects": ("/apis/keda.sh/v1alpha1", "keda.sh/v1alpha1", "ScaledObject"),
}
# Custom resources: their items carry apiVersion and kind in a list, like any unstructured object;
# the built-in typed lists leave them out of the items (the list's own kind says them).
CUSTOM_GROUPS = {"argoproj.io", "keda.sh"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; Authorization is never recorded


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``meta/v1 Status`` object, the body of every refusal from the API server."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


@dataclass
class FakeKubeApi:
    """The server's configuration: what it holds and what it refuses; start() serves it on a free port."""

    token: str
    # (plural, namespace) -> items, written as `kubectl get -o json` shows them.
    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    forbidden: set[tuple[str, str]] = field(default_factory=set)  # (plural, namespace) answered 403
    not_installed: set[str] = field(default_factory=set)  # API groups without their CRDs: 404
    max_page: dict[str, int] = field(default_factory=dict)  # namespace -> fewer items than `limit` per page
    delay: float = 0.0  # seconds before every answer (a slow API server)
    # A refusal that quotes the request's credentials, like a careless authorizing proxy in front of the
    # API server: what the probe stores must still never show them.
    quote_credentials: bool = False
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._continues: dict[str, tuple[str, int]] = {}  # token -> (path, offset)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeKubeApi:
        api = self

        class Handler(_Handler):
            server_api = api

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-kube-api",
                                        daemon=True)  # polls shutdown() every 50 ms: a quick stop()
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def requests_since(self, mark: int) -> list[Request]:
        with self._lock:
            return list(self.requests[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- answers -----------------------------------------------------------------------------------

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def answer(self, method: str, path: str, query: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        if method != "GET":
            return 405, status(405, "MethodNotAllowed", f"the server does not allow this method on the requested "
                                                        f"resource ({method} {path})")
        if authorization != f"Bearer {self.token}":
            return 401, status(401, "Unauthorized", "Unauthorized")
        route = _route(path)
        if route is None:
            return 404, status(404, "NotFound", "the server could not find the requested resource", {})
        group, plural, namespace = route
        if group in self.not_installed:
            return 404, status(404, "NotFound", "the server could not find the requested resource", {})
        if (plural, namespace) in self.forbidden:
            what = f'"{plural}" in API group "{group}"'
            full = f"{plural}.{group}" if group else plural
            message = (f'{full} is forbidden: User "system:serviceaccount:ops:tprlint" cannot list resource {what} '
                       f'in the namespace "{namespace}"')
            if self.quote_credentials:
                message += f" (request: GET {path}, Authorization: {authorization})"
            return 403, status(403, "Forbidden", message, {"group": group, "kind": plural})
        return self._page(path, plural, namespace, query)

    def _page(self, path: str, plural: str, namespace: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        items = self.objects.get((plural, namespace), [])
        start = 0
        token = query.get("continue", "")
        if token:
            with self._lock:
                known = self._continues.get(token)
            if known is None or known[0] != path:
                return 410, status(410, "Expired", "The provided continue parameter is too old to display a "
                                                   "consistent list result. You can start a new list without the "
                                                   "continue parameter.")
            start = known[1]
        size = len(items) - start
        if "limit" in query:
            size = min(size, int(query["limit"]))
        if namespace in self.max_page:
            size = min(size, self.max_page[namespace])
        end = start + size
        prefix, api_version, kind = RESOURCES[plural]
        metadata: dict[str, Any] = {"resourceVersion": "48213"}
        if end < len(items):
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._continues[next_token] = (path, end)
            metadata["continue"] = next_token
            metadata["remainingItemCount"] = len(items) - end
        page = [copy.deepcopy(item) for item in items[start:end]]
        if prefix.split("/")[2] not in CUSTOM_GROUPS:
            for item in page:
                item.pop("apiVersion", None)
                item.pop("kind", None)
        return 200, {"apiVersion": api_version, "kind": f"{kind}List", "metadata": metadata, "items": page}


def _route(path: str) -> tuple[str, str, str] | None:
    """(group, plural, namespace) of a namespaced list path the server knows, or None."""
    for plural, (prefix, _, _) in RESOURCES.items():
        head = f"{prefix}/namespaces/"
        if path.startswith(head) and path.endswith(f"/{plural}"):
            namespace = path[len(head):-len(plural) - 1]
            if namespace and "/" not in namespace:
                group = prefix.split("/")[2] if prefix.startswith("/apis/") else ""
                return group, plural, namespace
    return None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (its timeout, the probe's deadline) closed the connection: not a failure."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_api: FakeKubeApi
    protocol_version = "HTTP/1.1"  # keep-alive, like the API server: the client reuses its connections
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall per answer)

    def _serve(self) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items() if name.lower() != "authorization"}
        api = self.server_api
        api.record(Request(self.command, split.path, query, headers))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if api.delay:
            threading.Event().wait(api.delay)
        code, body = api.answer(self.command, split.path, query, self.headers.get("Authorization", ""))
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays quiet
        pass


def write_kubeconfig(folder: Path, server: str, token: str, namespace: str = "",
                     context: str = "shop-staging", name: str = "config") -> Path:
    """A kubeconfig like ``kubectl config view --raw`` shows: one cluster, a token user, one context."""
    ctx: dict[str, Any] = {"cluster": "staging", "user": "tprlint-reader"}
    if namespace:
        ctx["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "staging", "cluster": {"server": server}}],
        "users": [{"name": "tprlint-reader", "user": {"token": token}}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
        "preferences": {},
    }
    path = folder / name
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML: kubeconfig loaders read both
    return path


# -- fixtures written from the API reference -------------------------------------------------------

_T0 = "2025-05-12T08:00:00Z"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _meta(name: str, namespace: str, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}", "resourceVersion": "48100",
        "generation": 4, "creationTimestamp": _T0, "labels": labels or {"app": name},
        "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
                           "time": _T0, "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}],
    }
    meta.update(extra)
    return meta


def _condition(kind: str, state: str, reason: str, message: str) -> dict[str, str]:
    return {"type": kind, "status": state, "reason": reason, "message": message,
            "lastUpdateTime": "2025-05-12T09:14:03Z", "lastTransitionTime": "2025-05-12T09:14:03Z"}


def deployment(name: str, namespace: str, image: str, command: list[str], replicas: int, ready: int,
               conditions: list[dict[str, str]], grace: int = 30) -> dict[str, Any]:
    labels = {"app": name}
    spec_container = {
        "name": name.removesuffix("-worker") or name, "image": image, "command": command,
        "env": [{"name": "TEMPORAL_ADDRESS", "value": "temporal-frontend.temporal:7233"},
                {"name": "TEMPORAL_API_KEY", "valueFrom": {"secretKeyRef": {"name": "temporal", "key": "api-key"}}}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }
    last_applied = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                               "metadata": {"name": name, "namespace": namespace}})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _meta(name, namespace, labels,
                          annotations={"deployment.kubernetes.io/revision": "4", _LAST_APPLIED: last_applied}),
        "spec": {
            "replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [spec_container], "restartPolicy": "Always",
                                  "terminationGracePeriodSeconds": grace, "dnsPolicy": "ClusterFirst",
                                  "schedulerName": "default-scheduler", "securityContext": {}}},
        },
        "status": {"observedGeneration": 4, "replicas": replicas, "updatedReplicas": replicas,
                   "readyReplicas": ready, "availableReplicas": ready, "unavailableReplicas": replicas - ready,
                   "conditions": conditions},
    }


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name: str, namespace: str, app: str, replica_set: str, image: str, image_id: str, ready: bool,
        restarts: int = 0, oom_killed: bool = False) -> dict[str, Any]:
    state: dict[str, Any] = {"running": {"startedAt": "2025-05-12T09:20:00Z"}}
    last_state: dict[str, Any] = {}
    if oom_killed:  # ten minutes ago: a pod restarting now, not an old crash
        finished = datetime.now(timezone.utc) - timedelta(minutes=10)
        last_state = {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                     "startedAt": _rfc3339(finished - timedelta(minutes=18)),
                                     "finishedAt": _rfc3339(finished), "containerID": "containerd://7f3a"}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": _meta(name, namespace, {"app": app, "pod-template-hash": replica_set.rsplit("-", 1)[1]},
                          generateName=f"{replica_set}-",
                          ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": replica_set,
                                            "uid": f"uid-{replica_set}", "controller": True,
                                            "blockOwnerDeletion": True}]),
        "spec": {
            "containers": [{"name": "orders", "image": image, "command": ["python", "-m", "orders.worker"],
                            "env": [{"name": "DATABASE_PASSWORD", "value": "hunter2-pod-env"}],
                            "resources": {"limits": {"memory": "512Mi"}}}],
            "nodeName": "node-a", "serviceAccountName": "orders", "terminationGracePeriodSeconds": 30,
            "volumes": [{"name": "kube-api-access", "projected": {"sources": []}}],
        },
        "status": {
            "phase": "Running", "podIP": "10.1.2.3", "hostIP": "192.168.0.10", "startTime": _T0,
            "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                            "lastTransitionTime": "2025-05-12T09:20:05Z", "lastProbeTime": None},
                           {"type": "PodScheduled", "status": "True", "lastTransitionTime": _T0,
                            "lastProbeTime": None}],
            "containerStatuses": [{"name": "orders", "image": image, "imageID": image_id, "ready": ready,
                                   "started": True, "restartCount": restarts, "state": state,
                                   "lastState": last_state, "containerID": "containerd://9c1e"}],
        },
    }


def shop_objects(namespace: str = "shop") -> dict[tuple[str, str], list[dict[str, Any]]]:
    """A worker namespace mid-rollout: 3 Deployments, a StatefulSet, a PDB, an HPA, a policy, pods, a Rollout."""
    progressing = _condition("Progressing", "True", "NewReplicaSetAvailable",
                             'ReplicaSet "order-worker-7d9f8c" has successfully progressed.')
    available = _condition("Available", "False", "MinimumReplicasUnavailable",
                           "Deployment does not have minimum availability.")
    stuck = _condition("Progressing", "False", "ProgressDeadlineExceeded",
                       'ReplicaSet "payment-worker-6c5d7b" has timed out progressing.')
    order = deployment("order-worker", namespace, "shop/orders:1.4.2", ["python", "-m", "orders.worker"], 3, 2,
                       [available, progressing])
    payment = deployment("payment-worker", namespace, "shop/payments:2.0.0", ["python", "-m", "payments.worker"],
                         2, 1, [stuck])
    email = deployment("email-worker", namespace, "shop/email:0.9.1", ["python", "-m", "email.worker"], 1, 1,
                       [progressing])
    statefulset = {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta("orders-postgres", namespace),
        "spec": {"replicas": 1, "serviceName": "orders-postgres",
                 "selector": {"matchLabels": {"app": "orders-postgres"}},
                 "template": {"metadata": {"labels": {"app": "orders-postgres"}},
                              "spec": {"containers": [{"name": "postgres", "image": "postgres:16.3"}]}},
                 "updateStrategy": {"type": "RollingUpdate"}},
        "status": {"replicas": 1, "readyReplicas": 1, "currentReplicas": 1, "updatedReplicas": 1,
                   "availableReplicas": 1, "currentRevision": "orders-postgres-5f8", "observedGeneration": 1},
    }
    pdb = {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta("order-worker", namespace),
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "order-worker"}}},
        "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 3,
                   "observedGeneration": 1,
                   "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                   "message": "", "lastTransitionTime": "2025-05-12T09:14:03Z",
                                   "observedGeneration": 1}]},
    }
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta("order-worker", namespace),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order-worker"},
                 "minReplicas": 3, "maxReplicas": 12,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                               "target": {"type": "Utilization",
                                                                          "averageUtilization": 70}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3,
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                       "averageUtilization": 41, "averageValue": "103m"}}}],
                   "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                                   "message": "recommended size matches current size",
                                   "lastTransitionTime": "2025-05-12T09:14:03Z"}]},
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta("default-deny", namespace),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    pods = [
        pod("order-worker-7d9f8c-x2k4p", namespace, "order-worker", "order-worker-7d9f8c", "shop/orders:1.4.2",
            "docker.io/shop/orders@sha256:" + "a" * 64, ready=True),
        pod("order-worker-7d9f8c-q8w3n", namespace, "order-worker", "order-worker-7d9f8c", "shop/orders:1.4.2",
            "docker.io/shop/orders@sha256:" + "a" * 64, ready=False, restarts=7, oom_killed=True),
        pod("order-worker-5b6c4d-m7t9z", namespace, "order-worker", "order-worker-5b6c4d", "shop/orders:1.4.1",
            "docker.io/shop/orders@sha256:" + "b" * 64, ready=True),
    ]
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": _meta("checkout-worker", namespace),
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "checkout-worker"}},
                 "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
                 "template": {"metadata": {"labels": {"app": "checkout-worker"}},
                              "spec": {"containers": [{"name": "checkout", "image": "shop/checkout:3.1.0"}]}}},
        "status": {"phase": "Paused", "replicas": 2, "readyReplicas": 2, "updatedReplicas": 1,
                   "availableReplicas": 2, "currentStepIndex": 1},
    }
    return {
        ("deployments", namespace): [order, payment, email],
        ("statefulsets", namespace): [statefulset],
        ("poddisruptionbudgets", namespace): [pdb],
        ("horizontalpodautoscalers", namespace): [hpa],
        ("networkpolicies", namespace): [policy],
        ("pods", namespace): pods,
        ("rollouts", namespace): [rollout],
    }


def many_pods(namespace: str, count: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``count`` pods of one worker: more than one page of the probe's ``limit``."""
    return {("pods", namespace): [
        pod(f"report-worker-6f7d-{i:05d}", namespace, "report-worker", "report-worker-6f7d", "shop/reports:1.0.0",
            "docker.io/shop/reports@sha256:" + "c" * 64, ready=True)
        for i in range(count)
    ]}


def merged(*parts: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts:
        out.update(part)
    return out

