"""The Kubernetes half of the probe: list what the live rules judge, with GET requests only.

Per namespace, and page by page, the probe lists the workloads (Deployments, StatefulSets, Argo Rollouts),
what keeps them available or scales them (PodDisruptionBudgets, HorizontalPodAutoscalers, KEDA
ScaledObjects), NetworkPolicies and Pods, with the real ``kubernetes`` client configured from the
kubeconfig (or the pod's service account). Every refusal, timeout or missing CRD becomes a ``KubeError``
that says what to fix; one failing list never stops the others, and nothing ever raises out of
``probe_kubernetes``.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from tprlint.live.options import KubeConnection
from tprlint.live.snapshot import KubeError, KubeState
from tprlint.records import frozen, mutable

NOT_PROBED = "not probed: the probe's deadline ran out"
PAGE = 250  # items per list request: big lists arrive in pages instead of one huge answer
RBAC = "(see the README's read-only RBAC)"
_SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_TLS = "TLS failed: "


@frozen
class Resource:
    """One list endpoint: a typed API method of the client, or a custom resource (``api`` empty)."""

    plural: str
    group: str  # "" for the core group
    version: str
    kind: str
    api: str = ""  # client class, e.g. "AppsV1Api"
    method: str = ""  # its namespaced list method
    served_since: str = ""  # the Kubernetes release that serves this group/version, for a 404's message
    product: str = ""  # what installs the CRD

    @property
    def name(self) -> str:
        """``plural.group``, as RBAC rules and ``kubectl`` name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{prefix}/namespaces/{namespace}/{self.plural}"


RESOURCES: tuple[Resource, ...] = (
    Resource("deployments", "apps", "v1", "Deployment", "AppsV1Api", "list_namespaced_deployment", "1.9"),
    Resource("statefulsets", "apps", "v1", "StatefulSet", "AppsV1Api", "list_namespaced_stateful_set", "1.9"),
    Resource("poddisruptionbudgets", "policy", "v1", "PodDisruptionBudget", "PolicyV1Api",
             "list_namespaced_pod_disruption_budget", "1.21"),
    Resource("horizontalpodautoscalers", "autoscaling", "v2", "HorizontalPodAutoscaler", "AutoscalingV2Api",
             "list_namespaced_horizontal_pod_autoscaler", "1.23"),
    Resource("networkpolicies", "networking.k8s.io", "v1", "NetworkPolicy", "NetworkingV1Api",
             "list_namespaced_network_policy", "1.7"),
    Resource("pods", "", "v1", "Pod", "CoreV1Api", "list_namespaced_pod", "1.0"),
    Resource("rollouts", "argoproj.io", "v1alpha1", "Rollout", product="Argo Rollouts"),
    Resource("scaledobjects", "keda.sh", "v1alpha1", "ScaledObject", product="KEDA"),
)


def request_paths(namespaces: tuple[str, ...]) -> list[str]:
    """Every path the probe may GET (with ``limit`` and ``continue``), for the README's RBAC and the tests."""
    return [resource.path(namespace) for namespace in namespaces for resource in RESOURCES]


# -- errors ----------------------------------------------------------------------------------------


class _Unreachable(Exception):
    """No HTTP answer: the connection failed or timed out (``str`` says how, already scrubbed)."""


class _DeadlineOut(Exception):
    pass


@mutable
class _Secrets:
    """What must never be stored: read when an error is written, as a token may be refreshed meanwhile."""

    configuration: Any = None
    known: set[str] = field(default_factory=set)

    def values(self) -> list[str]:
        found = set(self.known)
        cfg = self.configuration
        if cfg is not None:
            for value in (getattr(cfg, "api_key", None) or {}).values():
                if isinstance(value, str):
                    found.add(value)
                    found.add(value.split(" ", 1)[-1])  # "Bearer TOKEN": the token alone too
            password = getattr(cfg, "password", None)
            if isinstance(password, str):
                found.add(password)
            found.update(_file_secrets(getattr(cfg, "key_file", None)))
        # Longest first, so a token inside a longer secret is not half-replaced; short strings are not secrets.
        return sorted((value for value in found if len(value) >= 6), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for value in self.values():
            text = text.replace(value, "***")
        return text


def _file_secrets(path: object) -> list[str]:
    """A client key file's contents and lines (the client writes kubeconfig key data to such a file)."""
    if not isinstance(path, str) or not path:
        return []
    try:
        content = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [content.strip(), *(line.strip() for line in content.splitlines() if "-----" not in line)]


@mutable
class _Kubeconfig:
    """What the probe reads of kubeconfig files itself: contexts (the first file naming one wins, like
    kubectl), the current context, and every credential, so that it is scrubbed even when loading fails."""

    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str = ""
    secrets: set[str] = field(default_factory=set)


def _read_kubeconfigs(files: list[str]) -> _Kubeconfig:
    found = _Kubeconfig()
    for name in files:
        try:
            data = yaml.safe_load(Path(name).read_text(encoding="utf-8", errors="replace"))
        except (OSError, yaml.YAMLError):
            continue  # the client's loader says what is wrong with it
        if not isinstance(data, dict):
            continue
        for entry in _list_of(data.get("users")):
            found.secrets.update(_secret_values(_dict(_dict(entry).get("user"))))
        for entry in _list_of(data.get("contexts")):
            context_name = _dict(entry).get("name")
            if isinstance(context_name, str):
                found.contexts.setdefault(context_name, _dict(_dict(entry).get("context")))
        if not found.current and isinstance(data.get("current-context"), str):
            found.current = data["current-context"]
    return found


def _secret_values(node: dict[str, Any]) -> Iterator[str]:
    """Tokens, keys, passwords of a kubeconfig user (auth-provider config and exec env included)."""
    words = ("token", "key", "password", "secret")
    name, value = node.get("name"), node.get("value")
    if isinstance(name, str) and isinstance(value, str) and any(word in name.lower() for word in words):
        yield value  # an exec plugin's env entry: {name: AWS_SECRET_ACCESS_KEY, value: ...}
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _secret_values(value)
        elif isinstance(value, list):
            for item in value:
                yield from _secret_values(_dict(item))
        elif isinstance(value, str) and any(word in key.lower() for word in words):
            yield value


# -- configuration ---------------------------------------------------------------------------------


@mutable
class _Cluster:
    client: Any  # kubernetes.client.ApiClient
    context: str
    server: str
    namespaces: tuple[str, ...]
    secrets: _Secrets


def _kubeconfig_files(conn: KubeConnection) -> tuple[list[str], str]:
    """The kubeconfig files to read (like kubectl: --kubeconfig, else $KUBECONFIG, else ~/.kube/config),
    and why none could be used."""
    if conn.kubeconfig:
        path = os.path.expanduser(conn.kubeconfig)
        return [path], ""
    variable = os.environ.get("KUBECONFIG", "")
    if variable:
        files = [os.path.expanduser(name) for name in variable.split(os.pathsep) if name]
        present = [name for name in files if os.path.isfile(name)]
        return present, "" if present else f"no file of KUBECONFIG={variable} exists"
    default = os.path.expanduser("~/.kube/config")
    return ([default], "") if os.path.isfile(default) else ([], f"there is no {default}")


def _configure(conn: KubeConnection, secrets: _Secrets) -> _Cluster | str:
    """The cluster to ask, or why there is none (a message with the fix)."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    files, missing = _kubeconfig_files(conn)
    if conn.kubeconfig and not os.path.isfile(files[0]):
        return f"the kubeconfig {conn.kubeconfig} does not exist: give the path of an existing kubeconfig file"
    configuration = type.__call__(client.Configuration)  # a fresh one: the client's global default stays as it is
    # One attempt per request: urllib3's default retries would take 4 timeouts (and backoff) to give up.
    configuration.retries = 0
    secrets.configuration = configuration
    if files:
        where = os.pathsep.join(files)
        kubeconfig = _read_kubeconfigs(files)
        secrets.known.update(kubeconfig.secrets)
        chosen = conn.context or kubeconfig.current
        if chosen not in kubeconfig.contexts:
            names = ", ".join(sorted(kubeconfig.contexts)) or "none"
            why = f"has no context {chosen!r}" if chosen else "sets no current-context"
            return (f"the kubeconfig {where} {why} (its contexts: {names}): pass one of them as the probe's "
                    "context, or run `kubectl config use-context NAME`")
        try:
            api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=where, context=chosen, persist_config=False, client_configuration=configuration)
        except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as exc:
            return secrets.scrub(f"the kubeconfig {where} cannot be used: {_one_line(exc)}; check it with "
                                 "`kubectl config view`")
        namespace = str(kubeconfig.contexts[chosen].get("namespace") or "default")
        return _Cluster(api_client, chosen, str(configuration.host), conn.namespaces or (namespace,), secrets)
    if conn.context:
        return f"the context {conn.context!r} was asked for, but {missing}: give the kubeconfig that has it"
    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return (f"no Kubernetes configuration: {missing}, and the probe is not running in a pod; point "
                "KUBECONFIG (or the probe's kubeconfig setting) at a kubeconfig file, or run the probe in "
                "the cluster with a service account")
    try:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except (ConfigException, OSError, ValueError) as exc:
        return secrets.scrub(f"the in-cluster configuration cannot be used: {_one_line(exc)}; check the pod's "
                             "service account token mount")
    try:
        namespace = (_SERVICE_ACCOUNT / "namespace").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        namespace = "default"
    return _Cluster(client.ApiClient(configuration), "in-cluster", str(configuration.host),
                    conn.namespaces or (namespace,), secrets)


# -- the probe -------------------------------------------------------------------------------------


def probe_kubernetes(conn: KubeConnection, deadline: float) -> KubeState:
    """What the cluster holds in the connection's namespaces, by ``deadline`` (a ``time.monotonic()`` value)."""
    try:
        import kubernetes  # noqa: F401  (the live extra)
    except ImportError:
        return KubeState(conn.context, "", conn.namespaces,
                         error="the kubernetes package is not installed: pip install 'tprlint[live]'")
    secrets = _Secrets()
    try:
        cluster = _configure(conn, secrets)
        if isinstance(cluster, str):
            return KubeState(conn.context, "", conn.namespaces, error=cluster)
        try:
            return _Lister(cluster, conn.timeout, deadline).run()
        finally:
            cluster.client.close()
    except Exception as exc:  # a client bug or an answer nobody foresaw: still a message, never a traceback
        return KubeState(conn.context, "", conn.namespaces,
                         error=secrets.scrub(f"the Kubernetes probe failed: {type(exc).__name__}: {_one_line(exc)}"))


class _Lister:
    def __init__(self, cluster: _Cluster, timeout: float, deadline: float) -> None:
        self.cluster = cluster
        self.timeout = timeout
        self.deadline = deadline
        self.answered = False  # some request got an HTTP answer: the server is there
        self.missing: dict[str, KubeError] = {}  # resource -> its 404: not asked again in other namespaces

    def run(self) -> KubeState:
        cluster = self.cluster
        objects: list[dict[str, Any]] = []
        pods: list[dict[str, Any]] = []
        errors: list[KubeError] = []
        for namespace in cluster.namespaces:
            for resource in RESOURCES:
                if resource.name in self.missing:
                    errors.append(KubeError(resource.name, namespace, 404, self.missing[resource.name].message))
                    continue
                try:
                    items = self._list(resource, namespace)
                except _DeadlineOut:
                    errors.append(KubeError(resource.name, namespace, None, NOT_PROBED))
                    continue
                except _Unreachable as exc:
                    if not self.answered:  # nothing answered at all: one clear message instead of a list of them
                        return KubeState(cluster.context, cluster.server, cluster.namespaces, error=str(exc))
                    errors.append(KubeError(resource.name, namespace, None,
                                            f"list {resource.name} in namespace {namespace!r}: {exc}"))
                    continue
                except _Refused as exc:
                    errors.append(exc.error)
                    if exc.error.status == 404:
                        self.missing[resource.name] = exc.error
                    continue
                if resource.kind == "Pod":
                    pods.extend(_pod_view(item) for item in items)
                else:
                    objects.extend(_clean(item, resource) for item in items)
        return KubeState(cluster.context, cluster.server, cluster.namespaces, tuple(objects), tuple(pods),
                         tuple(errors))

    def _list(self, resource: Resource, namespace: str) -> list[dict[str, Any]]:
        """Every item, page after page, as JSON-shaped dicts."""
        from kubernetes import client

        api_client = self.cluster.client
        if resource.api:
            call: Callable[..., Any] = getattr(getattr(client, resource.api)(api_client), resource.method)
            args: tuple[str, ...] = (namespace,)
        else:
            call = client.CustomObjectsApi(api_client).list_namespaced_custom_object
            args = (resource.group, resource.version, namespace, resource.plural)
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            timeout = min(self.timeout, self.deadline - time.monotonic())
            if timeout <= 0.01:
                raise _DeadlineOut
            options: dict[str, Any] = {"limit": PAGE, "_request_timeout": timeout}
            if token:
                options["_continue"] = token
            answer = self._call(resource, namespace, call, args, options, clipped=timeout < self.timeout)
            page = answer if isinstance(answer, dict) else api_client.sanitize_for_serialization(answer)
            if not isinstance(page, dict):
                raise _Refused(KubeError(resource.name, namespace, None,
                                         f"list {resource.name} in namespace {namespace!r}: the API server's "
                                         f"answer is not a list object ({type(page).__name__})"))
            items.extend(item for item in page.get("items") or () if isinstance(item, dict))
            metadata = page.get("metadata")
            token = str(metadata.get("continue") or "") if isinstance(metadata, dict) else ""
            if not token:
                return items

    def _call(self, resource: Resource, namespace: str, call: Callable[..., Any], args: tuple[str, ...],
              options: dict[str, Any], clipped: bool) -> Any:
        from kubernetes.client.exceptions import ApiException

        scrub = self.cluster.secrets.scrub
        server = self.cluster.server
        try:
            answer = call(*args, **options)
        except ApiException as exc:
            if not exc.status:  # the client's own wrapper of a TLS failure: no HTTP answer
                raise _Unreachable(scrub(_tls_message(server, str(exc.reason or exc)))) from None
            self.answered = True
            raise _Refused(self._refusal(resource, namespace, exc)) from None
        except Exception as exc:
            failure = _network_failure(exc)
            if failure is None:
                self.answered = True  # an answer came, but the client could not read it
                raise _Refused(KubeError(resource.name, namespace, None, scrub(
                    f"list {resource.name} in namespace {namespace!r}: the API server's answer could not be "
                    f"read ({type(exc).__name__}: {_one_line(exc)})"))) from None
            timed_out, why = failure
            if timed_out and clipped and self.deadline - time.monotonic() <= 0.05:
                raise _DeadlineOut from None
            raise _Unreachable(scrub(self._unreachable(why, timed_out))) from None
        self.answered = True
        return answer

    def _unreachable(self, why: str, timed_out: bool) -> str:
        server, context = self.cluster.server, self.cluster.context
        if timed_out:
            return (f"the Kubernetes API server at {server} did not answer within {self.timeout:g}s ({why}); check "
                    f"that it is reachable from here (context {context!r}, `kubectl cluster-info`), or give the "
                    "probe a longer timeout")
        if why.startswith(_TLS):
            return _tls_message(server, why.removeprefix(_TLS))
        return (f"cannot reach the Kubernetes API server at {server}: {why}; check that the cluster is up and the "
                f"server address of context {context!r} (`kubectl cluster-info`)")

    def _refusal(self, resource: Resource, namespace: str, exc: Any) -> KubeError:
        """The KubeError of an HTTP refusal, with what to do about it."""
        status = int(exc.status)
        message = _status_message(exc.body) or str(exc.reason or "")
        what = f"list {resource.name} in namespace {namespace!r}"
        grant = f"grant list on {resource.name} {RBAC}"
        if status == 401:
            text = (f"{what} was refused (401 Unauthorized: {message}): the API server did not accept the "
                    f"credentials of context {self.cluster.context!r} (expired or wrong token, unknown client "
                    f"certificate?); log in again or fix the kubeconfig's user, and {grant}")
        elif status == 403:
            text = f"{what} was refused (403 Forbidden: {message}): {grant}"
        elif status == 404 and resource.product:
            text = (f"not installed: this cluster does not serve {resource.name} ({resource.api_version}), so "
                    f"{resource.product} is not installed here and its objects cannot be checked")
        elif status == 404:
            text = (f"not installed: this API server does not serve {resource.api_version} {resource.plural} "
                    f"(Kubernetes {resource.served_since} or newer does)")
        elif status == 410:
            text = f"{what}: the list changed while it was read page by page (410 {message}); run the probe again"
        else:
            text = f"{what} failed (HTTP {status} {exc.reason or ''}: {message}); check the API server's health"
        return KubeError(resource.name, namespace, status, self.cluster.secrets.scrub(" ".join(text.split())))


class _Refused(Exception):
    def __init__(self, error: KubeError) -> None:
        super().__init__(error.message)
        self.error = error


def _status_message(body: object) -> str:
    """The ``message`` of a ``Status`` body, or a short plain-text body ("404 page not found")."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return _one_line(body)[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _one_line(data["message"])
    return ""


def _network_failure(exc: BaseException) -> tuple[bool, str] | None:
    """(timed out?, why) when ``exc`` means no HTTP answer came, else None."""
    import urllib3.exceptions as u3

    reason: BaseException = exc
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    # NewConnectionError subclasses ConnectTimeoutError in urllib3: a refusal is no timeout.
    if isinstance(reason, (u3.TimeoutError, socket.timeout, TimeoutError)) and not isinstance(
            reason, u3.NewConnectionError):
        return True, "timed out"
    if isinstance(reason, (u3.SSLError, ssl.SSLError)):
        return False, f"{_TLS}{_one_line(reason)}"
    if isinstance(reason, (u3.NewConnectionError, u3.ProtocolError, u3.ProxyError, ConnectionError, OSError)):
        return False, _socket_reason(reason)
    if isinstance(reason, u3.HTTPError):
        return False, _one_line(reason)
    return None


def _socket_reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused (nothing listens at that address)"
        if isinstance(seen, socket.gaierror):
            return "its host name does not resolve"
        if isinstance(seen, ConnectionResetError):
            return "the connection was reset"
        seen = seen.__cause__ or seen.__context__
    text = _one_line(exc)
    return text.split("Failed to establish a new connection: ", 1)[-1]


def _tls_message(server: str, detail: str) -> str:
    return (f"TLS with the Kubernetes API server at {server} failed ({_one_line(detail)}); check the kubeconfig's "
            "certificate-authority and client certificate for this cluster")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


# -- what is kept ----------------------------------------------------------------------------------


def _clean(item: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """The object as the API shows it, with its kind and apiVersion, without the apply bookkeeping."""
    item = {"apiVersion": item.get("apiVersion") or resource.api_version, "kind": item.get("kind") or resource.kind,
            **{key: value for key, value in item.items() if key not in ("apiVersion", "kind")}}
    meta = item.get("metadata")
    if isinstance(meta, dict):
        meta = {key: value for key, value in meta.items() if key != "managedFields"}
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations = {key: value for key, value in annotations.items() if key != _LAST_APPLIED}
            if annotations:
                meta["annotations"] = annotations
            else:
                del meta["annotations"]
        item["metadata"] = meta
    return item


_POD_META = ("name", "namespace", "labels", "ownerReferences", "creationTimestamp", "deletionTimestamp")
_POD_STATUS = ("phase", "conditions")
_CONTAINER_STATUS = ("name", "image", "imageID", "ready", "restartCount", "state", "lastState")


def _pod_view(pod: dict[str, Any]) -> dict[str, Any]:
    """What the live checks read of a pod (images, readiness, restarts); never its env or volumes."""
    meta = _pick(pod.get("metadata"), _POD_META)
    spec_in = _dict(pod.get("spec"))
    status_in = _dict(pod.get("status"))
    spec: dict[str, Any] = {"containers": [_pick(c, ("name", "image")) for c in _list_of(spec_in.get("containers"))]}
    if "terminationGracePeriodSeconds" in spec_in:
        spec["terminationGracePeriodSeconds"] = spec_in["terminationGracePeriodSeconds"]
    status = _pick(status_in, _POD_STATUS)
    if "containerStatuses" in status_in:
        status["containerStatuses"] = [_pick(s, _CONTAINER_STATUS) for s in _list_of(status_in["containerStatuses"])]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _pick(value: object, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value[key] for key in keys if key in value} if isinstance(value, dict) else {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list_of(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


__all__ = ["NOT_PROBED", "PAGE", "RESOURCES", "Resource", "probe_kubernetes", "request_paths"]
