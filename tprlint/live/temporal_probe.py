"""Look at a running Temporal server, read-only: what ``TemporalState`` records, never a change.

Only describe/get/count/health calls are made. Every call is bounded by the connection's timeout and by
the caller's deadline, and any failure becomes an error string on the state (what happened, what to fix),
scrubbed of the API key and the client key; one failing call never stops the others. ``temporalio`` is
imported only when a probe runs.

Two things measured against the development server (``temporal server start-dev``, Server 1.32) shape
what the fields mean:

- A live, idle worker's ``last_access`` is the start of its current long poll, so it ages up to about a
  minute before the poll returns and is renewed; a stopped worker's pollers stay listed for minutes with a
  ``last_access`` that only grows. A poller is gone when its ``last_access`` is older than about 90 s.
- ``Client.connect``'s ``connect_timeout`` bounds only the TCP connect: a port that accepts and never
  answers holds the connect's first call (and a lazy client's calls) for 30 s. So every await here is
  also bounded by ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from tprlint.live.options import TemporalConnection
from tprlint.live.snapshot import Poller, QueueState, TemporalState, WorkflowCounts

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.service import TLSConfig

NOT_PROBED = "not probed: the probe's deadline ran out"
PARALLEL_CALLS = 8  # task queue descriptions in flight at once: a busy frontend is not flooded
IDENTITY = "tprlint-probe"  # how the probe shows in the server's logs and audit trail

_HEALTH_SERVICE = "temporal.api.workflowservice.v1.WorkflowService"
_CLOSED = (("completed", "Completed"), ("failed", "Failed"), ("timed_out", "TimedOut"),
           ("terminated", "Terminated"), ("canceled", "Canceled"))
_ADVANCED_VISIBILITY = ("advanced visibility (SQL 8.0+/PostgreSQL 12+/Elasticsearch) is needed to count "
                        "closed workflows")

T = TypeVar("T")


def probe_temporal(conn: TemporalConnection, queues: Sequence[str], since: datetime,
                   deadline: float) -> TemporalState:
    """What the server at ``conn`` says; ``deadline`` is a ``time.monotonic()`` value. Never raises.

    ``queues`` are described for workflow and activity pollers; ``since`` (aware; a naive one is taken as
    UTC) starts the window for the closed-workflow counts. Synchronous: it runs its own event loop, in a
    helper thread when the calling thread already runs one.
    """
    state = TemporalState(address=conn.address, namespace=conn.namespace, tls=conn.tls)
    if time.monotonic() >= deadline:
        return replace(state, error=f"{NOT_PROBED} before the Temporal server at {conn.address} was contacted; "
                                    "give the probe more time")
    try:
        import temporalio.client  # noqa: F401  (the live extra may be missing)
    except ImportError:
        return replace(state, error="the live probe needs the temporalio package: pip install 'tprlint[live]'")
    scrub = _scrubber(conn)
    try:
        return _run_sync(_Probe(conn, deadline, scrub).run(state, queues, since))
    except Exception as exc:  # a bug or a library surprise: still an answer, never a traceback
        return replace(state, error=scrub(f"the probe failed unexpectedly ({type(exc).__name__}: {exc}); "
                                          "please report it to tprlint"))


def rfc3339(moment: datetime) -> str:
    """UTC, second precision unless there is more, with a ``Z``: the form the snapshot's times use."""
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _run_sync(work: Awaitable[T]) -> T:
    async def main() -> T:
        return await work

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # Called from a coroutine: asyncio.run cannot nest, so the probe gets a thread and a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tprlint-probe") as pool:
        return pool.submit(asyncio.run, main()).result()


def _scrubber(conn: TemporalConnection) -> Callable[[str], str]:
    secrets = [s for s in conn.secrets() if s]
    if conn.tls_key_path:
        try:
            with open(conn.tls_key_path, encoding="utf-8", errors="replace") as handle:
                key = handle.read()
        except OSError:
            key = ""
        # The whole key and each of its base64 lines: an error could quote either.
        secrets += [key.strip()] + [line.strip() for line in key.splitlines()
                                    if len(line.strip()) >= 16 and not line.startswith("-----")]
    secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return scrub


class _Probe:
    def __init__(self, conn: TemporalConnection, deadline: float, scrub: Callable[[str], str]) -> None:
        self.conn = conn
        self.deadline = deadline
        self.scrub = scrub
        self.errors: list[str] = []  # calls that failed while the server was reachable

    async def run(self, state: TemporalState, queues: Sequence[str], since: datetime) -> TemporalState:
        tls, problem = self._tls_config()
        if problem:
            return replace(state, error=self.scrub(problem))
        client, problem = await self._connect(tls)
        if client is None:
            return replace(state, error=self.scrub(problem))
        gate = asyncio.Semaphore(PARALLEL_CALLS)
        (serving, system, cluster, namespace, described, counts) = await asyncio.gather(
            self._health(client), self._system(client), self._cluster(client), self._namespace(client),
            asyncio.gather(*(self._queue(client, name, kind, gate)
                             for name in dict.fromkeys(q for q in queues if q) for kind in ("workflow", "activity"))),
            self._counts(client, since, gate))
        return replace(state, serving=serving, **system, **cluster, **namespace, queues=tuple(described),
                       counts=counts, errors=tuple(self.errors))

    # -- connecting --------------------------------------------------------------------------------

    def _tls_config(self) -> tuple[bool | TLSConfig, str]:
        from temporalio.service import TLSConfig

        conn = self.conn
        if not conn.tls:
            return False, ""
        files: dict[str, bytes | None] = {}
        for name, path in (("CA", conn.tls_ca_path), ("certificate", conn.tls_cert_path),
                           ("key", conn.tls_key_path)):
            try:
                files[name] = _read(path) if path else None
            except OSError as exc:
                return False, f"cannot read the TLS {name} file {path}: {exc.strerror or exc}"
        return TLSConfig(server_root_ca_cert=files["CA"], client_cert=files["certificate"],
                         client_private_key=files["key"], domain=conn.tls_server_name or None), ""

    async def _connect(self, tls: bool | TLSConfig) -> tuple[Client | None, str]:
        from temporalio.client import Client
        from temporalio.service import RetryConfig

        conn = self.conn
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None, f"{NOT_PROBED} before the Temporal server at {conn.address} was contacted"
        bound = min(conn.timeout, left)
        try:
            client = await asyncio.wait_for(Client.connect(
                conn.address, namespace=conn.namespace, api_key=conn.api_key or None, tls=tls,
                connect_timeout=timedelta(seconds=bound), identity=IDENTITY,
                retry_config=RetryConfig(max_retries=0, max_elapsed_time_millis=int(bound * 1000))), bound)
        except asyncio.TimeoutError:
            if bound < conn.timeout:
                return None, f"{NOT_PROBED} while connecting to the Temporal server at {conn.address}"
            return None, self._unreachable(f"no answer within {_seconds(bound)} (raise --call-timeout if the "
                                           "link is slow)")
        except Exception as exc:
            return None, self._unreachable(_connect_reason(str(exc), conn))
        return client, ""

    def _unreachable(self, reason: str) -> str:
        return (f"cannot reach the Temporal server at {self.conn.address}: {reason}. Check --address/"
                "TEMPORAL_ADDRESS, that the frontend is up, and TLS settings")

    # -- one call ----------------------------------------------------------------------------------

    async def _call(self, what: str, make: Callable[[timedelta], Awaitable[T]],
                    gate: asyncio.Semaphore | None = None,
                    explain: Callable[[str, Exception], str] | None = None) -> tuple[T | None, str]:
        """The call's answer, or None and why; ``make`` gets the timeout to pass to the RPC."""
        if gate is not None:
            async with gate:
                return await self._call(what, make, explain=explain)
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None, f"{what}: {NOT_PROBED}"
        bound = min(self.conn.timeout, left)
        try:
            return await asyncio.wait_for(make(timedelta(seconds=bound)), bound), ""
        except asyncio.TimeoutError:
            return None, self._timed_out(what, bound)
        except Exception as exc:
            from temporalio.service import RPCError, RPCStatusCode

            if isinstance(exc, RPCError) and exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
                return None, self._timed_out(what, bound)
            return None, self.scrub((explain or self._explain)(what, exc))

    def _timed_out(self, what: str, bound: float) -> str:
        if bound < self.conn.timeout:
            return f"{what}: {NOT_PROBED}"
        return (f"{what}: no answer within {_seconds(bound)}; the server may be overloaded (raise --call-timeout "
                "to wait longer)")

    def _explain(self, what: str, exc: Exception) -> str:
        from temporalio.service import RPCError, RPCStatusCode

        if not isinstance(exc, RPCError):
            return f"{what} failed: {_first_line(str(exc)) or type(exc).__name__}"
        code, message = exc.status, _first_line(exc.message)
        ns = self.conn.namespace
        if code == RPCStatusCode.UNAUTHENTICATED:
            return (f"{what}: the server refused the credentials ({message}); check the API key "
                    "(--api-key-env, TEMPORAL_API_KEY) or the client certificate (--tls-cert-path)")
        if code == RPCStatusCode.PERMISSION_DENIED:
            return (f"{what}: permission denied ({message}); give the probe's API key or certificate read "
                    f"access to namespace {ns} (describe, list and count)")
        if code == RPCStatusCode.NOT_FOUND and "amespace" in message:
            return (f"{what}: namespace {ns} does not exist on the server ({message}); check --namespace/"
                    "TEMPORAL_NAMESPACE (`temporal operator namespace list` shows them)")
        if code == RPCStatusCode.UNIMPLEMENTED:
            return f"{what}: the server does not support this call ({message}); it may be too old"
        if code == RPCStatusCode.UNAVAILABLE:
            return f"{what}: the server became unavailable ({message}); is the frontend restarting?"
        return f"{what} failed: {code.name} ({message})"

    def _keep(self, error: str) -> None:
        if error:
            self.errors.append(error)

    # -- the server --------------------------------------------------------------------------------

    async def _health(self, client: Client) -> bool | None:
        serving, error = await self._call("health check", lambda t: client.service_client.check_health(
            service=_HEALTH_SERVICE, retry=False, timeout=t))
        self._keep(error)
        return serving

    async def _system(self, client: Client) -> dict[str, Any]:
        from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

        info, error = await self._call("get_system_info", lambda t: client.workflow_service.get_system_info(
            GetSystemInfoRequest(), retry=False, timeout=t))
        self._keep(error)
        if info is None:
            return {}
        # Proto field names of the capabilities set to true (a newer server has more; unknown ones are kept).
        true = tuple(sorted(field.name for field, value in info.capabilities.ListFields() if value is True))
        return {"server_version": info.server_version, "capabilities": true}

    async def _cluster(self, client: Client) -> dict[str, Any]:
        from temporalio.api.workflowservice.v1 import GetClusterInfoRequest

        info, error = await self._call("get_cluster_info", lambda t: client.workflow_service.get_cluster_info(
            GetClusterInfoRequest(), retry=False, timeout=t))
        self._keep(error)
        if info is None:
            return {}
        return {"history_shard_count": info.history_shard_count or None,
                "persistence_store": info.persistence_store, "visibility_store": info.visibility_store}

    async def _namespace(self, client: Client) -> dict[str, Any]:
        from temporalio.api.enums.v1 import ArchivalState
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

        ns = self.conn.namespace
        answer, error = await self._call(f"describe_namespace {ns}", lambda t: client.workflow_service
                                         .describe_namespace(DescribeNamespaceRequest(namespace=ns), retry=False,
                                                             timeout=t))
        if answer is None:
            return {"namespace_error": error}
        config = answer.config
        states = {ArchivalState.ARCHIVAL_STATE_ENABLED: "enabled", ArchivalState.ARCHIVAL_STATE_DISABLED: "disabled"}
        retention = (config.workflow_execution_retention_ttl.ToTimedelta().total_seconds()
                     if config.HasField("workflow_execution_retention_ttl") else None)
        return {"retention_seconds": retention,
                "history_archival": states.get(config.history_archival_state, ""),
                "visibility_archival": states.get(config.visibility_archival_state, "")}

    # -- task queues ---------------------------------------------------------------------------------

    async def _queue(self, client: Client, name: str, kind: str, gate: asyncio.Semaphore) -> QueueState:
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        queue_type = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW if kind == "workflow"
                      else TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
        request = DescribeTaskQueueRequest(namespace=self.conn.namespace, task_queue=TaskQueue(name=name),
                                           task_queue_type=queue_type, report_stats=True)
        answer, error = await self._call(f"describe_task_queue {name} ({kind})", lambda t: client.workflow_service
                                         .describe_task_queue(request, retry=False, timeout=t), gate)
        if answer is None:
            return QueueState(name=name, kind=kind, error=error)
        count: int | None = None
        age: float | None = None
        if answer.HasField("stats"):  # older servers do not report stats
            count = answer.stats.approximate_backlog_count
            age = answer.stats.approximate_backlog_age.ToTimedelta().total_seconds()
        return QueueState(name=name, kind=kind, pollers=tuple(_poller(p) for p in answer.pollers),
                          backlog_count=count, backlog_age_seconds=age)

    # -- closed workflows ----------------------------------------------------------------------------

    async def _counts(self, client: Client, since: datetime, gate: asyncio.Semaphore) -> WorkflowCounts:
        from temporalio.api.workflowservice.v1 import CountWorkflowExecutionsRequest

        start = rfc3339(since)

        def count(status: str) -> Callable[[timedelta], Awaitable[Any]]:
            request = CountWorkflowExecutionsRequest(
                namespace=self.conn.namespace, query=f"ExecutionStatus = '{status}' AND CloseTime >= '{start}'")
            return lambda t: client.workflow_service.count_workflow_executions(request, retry=False, timeout=t)

        answers = await asyncio.gather(*(self._call(f"count_workflows {status}", count(status), gate,
                                                    explain=self._visibility) for _, status in _CLOSED))
        figures = {field: (answer.count if answer is not None else None)
                   for (field, _), (answer, _) in zip(_CLOSED, answers, strict=True)}
        problems = [error for _, error in answers if error]
        return WorkflowCounts(since=start, **figures, error=problems[0] if problems else "")

    def _visibility(self, what: str, exc: Exception) -> str:
        from temporalio.service import RPCError, RPCStatusCode

        refusals = (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.FAILED_PRECONDITION,
                    RPCStatusCode.INTERNAL, RPCStatusCode.UNKNOWN)
        if isinstance(exc, RPCError) and exc.status in refusals:
            # Standard visibility (Cassandra, or an SQL store below MySQL 8 / PostgreSQL 12) refuses the query.
            return (f"visibility cannot count: {what} failed with {exc.status.name} ({_first_line(exc.message)}); "
                    f"{_ADVANCED_VISIBILITY}")
        return self._explain(what, exc)


def _poller(info: Any) -> Poller:
    """A ``PollerInfo``: its Worker Deployment options, else the legacy worker version capabilities."""
    from temporalio.api.enums.v1 import WorkerVersioningMode

    last = ""
    if info.HasField("last_access_time"):
        last = rfc3339(info.last_access_time.ToDatetime(tzinfo=timezone.utc))
    if info.HasField("deployment_options"):
        options = info.deployment_options
        return Poller(identity=info.identity, last_access=last, build_id=options.build_id,
                      deployment_name=options.deployment_name,
                      versioned=options.worker_versioning_mode == WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED)
    legacy = info.worker_version_capabilities
    return Poller(identity=info.identity, last_access=last, build_id=legacy.build_id,
                  deployment_name=legacy.deployment_series_name, versioned=legacy.use_versioning)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


# What the SDK's connect errors (Rust's tonic and rustls, quoted in the message) mean for the user.
_CONNECT_REASONS: tuple[tuple[str, str], ...] = (
    (r"Connection refused|ConnectionRefused", "connection refused: nothing listens on that port"),
    (r"dns error|failed to lookup address", "the host name does not resolve (DNS)"),
    (r"UnknownIssuer", "the server's TLS certificate is signed by an authority the probe does not trust; "
                       "give that CA with --tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH)"),
    (r"NotValidForName", "the server's TLS certificate does not carry the name dialled{presented}; give one "
                         "of its names with --tls-server-name (TEMPORAL_TLS_SERVER_NAME){skip}"),
    (r"Expired", "the server's TLS certificate has expired"),
    (r"InvalidCertificate\((\w+)", "the server's TLS certificate was rejected ({0})"),
    (r"InvalidContentType|InvalidMessage|CorruptMessage|WrongVersion",
     "the TLS handshake failed: that port does not answer with TLS (a plaintext frontend? then switch TLS "
     "off: --no-tls, TEMPORAL_TLS=false, or tls.disabled = true in the profile)"),
    (r"CertificateRequired", "the server requires a client certificate (mutual TLS): give --tls-cert-path and "
                             "--tls-key-path"),
    (r"fatal alert: (\w+)", "the server refused the TLS handshake ({0}){tls_hint}"),
    (r"PrivateKeyParseError", "the client key (--tls-key-path) is not a PEM private key"),
    (r"InvalidCertificateData|certificate parse|CertificateParseError",
     "a certificate file is not PEM (--tls-cert-path, --tls-ca-path)"),
    (r"code: Unauthenticated", "the server refused the credentials; check the API key (--api-key-env, "
                               "TEMPORAL_API_KEY) or the client certificate"),
    (r"code: PermissionDenied", "permission denied; the API key or certificate is not allowed to call the server"),
    (r"grpc-status header missing|HTTP status code", "something answered, but not a Temporal frontend's gRPC "
                                                     "(an HTTP service, the Web UI, or a proxy?)"),
    (r"BrokenPipe|ConnectionReset|broken pipe|connection reset|connection closed|connection was not ready",
     "the server closed the connection during the handshake{tls_hint}"),
    (r"Timeout expired|TimedOut|timed out", "the connection timed out"),
)


def _connect_reason(text: str, conn: TemporalConnection) -> str:
    text = text.removeprefix("Failed client connect: ")
    for pattern, reason in _CONNECT_REASONS:
        found = re.search(pattern, text)
        if not found:
            continue
        names = re.findall(r'DnsName\(\\?"([^"\\]+)', text)
        return reason.format(*found.groups(), presented=f" (it names {', '.join(names)})" if names else "",
                             skip=("; the probe cannot skip that check (the Python SDK always verifies the name), "
                                   "so --tls-disable-host-verification does not help here")
                             if conn.tls_disable_host_verification else "",
                             tls_hint=_closed_hint(conn))
    return _first_line(text) or "the connection failed"


def _closed_hint(conn: TemporalConnection) -> str:
    if not conn.tls:
        return ": the server may require TLS (give --tls, or --tls-ca-path for a private CA)"
    if not conn.tls_cert_path:
        return (": the server may require a client certificate (mutual TLS: give --tls-cert-path and "
                "--tls-key-path)")
    return ": the server may not accept this client certificate"


__all__ = ["IDENTITY", "NOT_PROBED", "PARALLEL_CALLS", "probe_temporal", "rfc3339"]
