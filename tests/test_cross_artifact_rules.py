"""The cross-artifact rules (TPR601 grace period vs drain, TPR603 HTTP probes on workers that serve no HTTP,
TPR604 Python as PID 1 without a SIGTERM handler): their arithmetic, the exact text of their messages,
and that a workload they skip never stops them from judging the next one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import findings
from tprlint.config import Config, Link, Thresholds
from tprlint.model import Finding


def where(found: list[Finding]) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.line) for f in found)


def deployment(name: str, module: str, spec: str = "", container: str = "", namespace: str = "shop") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 2
  template:
    spec:
      {spec}
      containers:
        - name: worker
          image: ghcr.io/acme/{name}:1.8.0
          command: ["python", "-m", "{module}"]
          {container}
"""


# -- TPR601 ------------------------------------------------------------------------------------

DRAIN_FROM_ENV = """
import asyncio, os, signal
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    drain = timedelta(seconds=int(os.getenv("DRAIN_SECONDS", "60")))
    async with Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=drain):
        await stop.wait()

if __name__ == "__main__":
    asyncio.run(main(None))
"""


def drain_worker(drain: str, queue: str = "orders") -> str:
    return DRAIN_FROM_ENV.replace('int(os.getenv("DRAIN_SECONDS", "60"))', drain).replace('"orders"', f'"{queue}"')


def tpr601(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: str, worker: str = DRAIN_FROM_ENV,
           config: Config | None = None) -> list[Finding]:
    return findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": manifest,
        "orders/__init__.py": "",
        "orders/worker.py": worker,
    }, "TPR601", config)


def test_tpr601_message_adds_the_workload_env_drain_the_prestop_sleep_and_the_margin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = deployment("orders-worker", "orders.worker", spec="terminationGracePeriodSeconds: 300", container="""
          env:
            - {name: DRAIN_SECONDS, value: "600"}
          lifecycle:
            preStop:
              sleep: {seconds: 20}""")
    found = tpr601(tmp_path, monkeypatch, manifest)
    assert where(found) == [("deploy/orders-worker.yaml", 9)]
    assert found[0].message == (
        "Deployment orders-worker gives its pods terminationGracePeriodSeconds 300 s, but the worker it runs "
        "(orders/worker.py:10) drains for up to 600 s (10 min) (env DRAIN_SECONDS=600 set by the workload) "
        "+ preStop sleep 20 s + 5 s margin = 625 s: Kubernetes SIGKILLs the pod mid-drain and running activities "
        "are lost until their timeouts expire. Set terminationGracePeriodSeconds to at least 626."
    )


def test_tpr601_message_names_the_kubernetes_default_and_omits_an_absent_prestop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An entry without a literal value (`value: null`, from a Helm value left unset) sets nothing tprlint can
    # fold: the drain shown is the code's default.
    manifest = deployment("orders-worker", "orders.worker", container="""
          env:
            - {name: DRAIN_SECONDS, value: null}""")
    found = tpr601(tmp_path, monkeypatch, manifest)
    assert where(found) == [("deploy/orders-worker.yaml", 8)]
    assert found[0].message == (
        "Deployment orders-worker gives its pods terminationGracePeriodSeconds 30 s (the Kubernetes default; "
        "not set), but the worker it runs (orders/worker.py:10) drains for up to 60 s (default of env "
        "DRAIN_SECONDS) + 5 s margin = 65 s: Kubernetes SIGKILLs the pod mid-drain and running activities are "
        "lost until their timeouts expire. Set terminationGracePeriodSeconds to at least 66."
    )


@pytest.mark.parametrize(("grace", "fires"), [(65, True), (66, False)])
def test_tpr601_a_grace_period_equal_to_drain_plus_margin_is_too_short(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace: int, fires: bool) -> None:
    manifest = deployment("orders-worker", "orders.worker", spec=f"terminationGracePeriodSeconds: {grace}")
    found = tpr601(tmp_path, monkeypatch, manifest)
    assert where(found) == ([("deploy/orders-worker.yaml", 9)] if fires else [])
    assert all(f.message.endswith("= 65 s: Kubernetes SIGKILLs the pod mid-drain and running activities are lost "
                                  "until their timeouts expire. Set terminationGracePeriodSeconds to at least 66.")
               for f in found)


@pytest.mark.parametrize(("drain", "margin", "advice"), [
    ("999_999_999_995", 5.0, "No grace period covers an unbounded wait: bound the preStop sleep, then set "
                             "terminationGracePeriodSeconds above the total."),
    ("999_999_999_994", 5.5, "Set terminationGracePeriodSeconds to at least 1000000000000."),
])
def test_tpr601_advice_gives_up_on_a_number_from_1e12_seconds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drain: str, margin: float, advice: str) -> None:
    config = Config(root=tmp_path, thresholds=Thresholds(grace_margin_seconds=margin))
    manifest = deployment("orders-worker", "orders.worker", spec="terminationGracePeriodSeconds: 300")
    found = tpr601(tmp_path, monkeypatch, manifest, drain_worker(drain), config)
    assert where(found) == [("deploy/orders-worker.yaml", 9)]
    assert found[0].message.endswith(f"are lost until their timeouts expire. {advice}")


def test_tpr601_a_development_workload_does_not_end_the_check_of_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A kind/ folder is a local set-up, but an object whose namespace says production is judged anywhere.
    found = findings(tmp_path, monkeypatch, {
        "kind/workers.yaml": deployment("orders-worker", "orders.worker", namespace="orders-dev") + "---"
        + deployment("orders-worker", "orders.worker", namespace="orders-prod"),
        "orders/__init__.py": "",
        "orders/worker.py": drain_worker("600"),
    }, "TPR601")
    assert where(found) == [("kind/workers.yaml", 22)]
    assert found[0].anchor == "Deployment/orders-prod/orders-worker/worker"


def test_tpr601_checks_every_worker_container_of_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # First container: a drain read at run time (not decided); second: covered; third: 10 min, too long.
    manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: fulfilment-workers, namespace: shop}
spec:
  replicas: 2
  template:
    spec:
      terminationGracePeriodSeconds: 120
      containers:
        - name: orders
          image: ghcr.io/acme/fulfilment:4.2.0
          command: ["python", "-m", "fulfilment.orders"]
        - name: billing
          image: ghcr.io/acme/fulfilment:4.2.0
          command: ["python", "-m", "fulfilment.billing"]
        - name: shipping
          image: ghcr.io/acme/fulfilment:4.2.0
          command: ["python", "-m", "fulfilment.shipping"]
"""
    found = findings(tmp_path, monkeypatch, {
        "deploy/fulfilment.yaml": manifest,
        "fulfilment/__init__.py": "",
        "fulfilment/orders.py": drain_worker('int(os.environ["ORDERS_DRAIN_SECONDS"])', "orders"),
        "fulfilment/billing.py": drain_worker("30", "billing"),
        "fulfilment/shipping.py": drain_worker("600", "shipping"),
    }, "TPR601")
    assert where(found) == [("deploy/fulfilment.yaml", 9)]
    assert found[0].anchor == "Deployment/shop/fulfilment-workers/shipping"
    assert "(fulfilment/shipping.py:10) drains for up to 600 s (10 min)" in found[0].message


# -- TPR603 ------------------------------------------------------------------------------------

PROBED = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/{name}:2.4.0
          command: ["python", "-m", "{module}"]
          readinessProbe:
            httpGet: {{path: /healthz, port: 8080}}
"""

HANDLED_WORKER = """
import asyncio, signal
IMPORTS
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=timedelta(seconds=30)):
        await stop.wait()

if __name__ == "__main__":
    asyncio.run(main(None))
"""


def probed(name: str = "orders-worker", module: str = "orders.worker") -> str:
    return PROBED.format(name=name, module=module)


def handled_worker(imports: str = "") -> str:
    return HANDLED_WORKER.replace("IMPORTS", imports)


def test_tpr603_message_names_the_probe_its_port_the_process_and_why_it_serves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": probed(),
        "orders/__init__.py": "",
        "orders/worker.py": handled_worker("import json, logging"),
    }, "TPR603")
    assert where(found) == [("deploy/orders-worker.yaml", 12)]
    assert found[0].message == (
        "The readinessProbe of container worker in Deployment orders-worker requests HTTP GET /healthz on port 8080, "
        "but the process it runs (container command `python -m orders.worker`, orders/worker.py) starts no HTTP "
        "server: it imports no web framework, `http.server`, a Prometheus endpoint or another package that could "
        "serve one. The probe can never succeed - the pod never becomes Ready, so it gets no traffic and a rollout "
        "never completes. Use an exec probe instead (a file the worker touches while it polls, e.g. `exec: "
        "{command: [\"test\", \"-f\", \"/tmp/worker-ready\"]}`), or serve the path from the worker process (a small "
        "aiohttp or `http.server` endpoint on a background task)."
    )


@pytest.mark.parametrize(("imports", "reason"), [
    ("from orders.activities import charge",
     "neither it nor the project module it imports uses a web framework"),
    ("from orders.activities import charge\nfrom orders.settings import TASK_QUEUE",
     "neither it nor any of the 2 project modules it imports uses a web framework"),
])
def test_tpr603_message_counts_the_project_modules_the_process_imports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str, reason: str) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": probed(),
        "orders/__init__.py": "",
        "orders/activities.py": "import httpx\nfrom temporalio import activity\n",
        "orders/settings.py": "import os\nTASK_QUEUE = os.getenv('TASK_QUEUE', 'orders')\n",
        "orders/worker.py": handled_worker(imports),
    }, "TPR603")
    assert where(found) == [("deploy/orders-worker.yaml", 12)]
    assert (f"(container command `python -m orders.worker`, orders/worker.py) starts no HTTP server: {reason}, "
            "`http.server`, a Prometheus endpoint or another package that could serve one. The probe") \
        in found[0].message


@pytest.mark.parametrize(("imports", "fires"), [
    ("from orders.settings import TASK_QUEUE\nimport prometheus_client", False),  # after a project module
    ("from .proto import orders_pb2", False),  # generated at build time: a module tprlint cannot place
    ("from importlib import metadata", True),
    ("from importlib import metadata, import_module", False),
    ("from temporalio import runtime", False),  # `runtime.PrometheusConfig` may serve any path
    ("from aiohttp import ClientSession, ClientTimeout, ClientError, ClientResponseError, ClientResponse, "
     "TCPConnector, BasicAuth, FormData, ClientConnectorError, ServerDisconnectedError, ContentTypeError, hdrs",
     True),  # every client name aiohttp has: still no server
])
def test_tpr603_judges_each_import_of_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  imports: str, fires: bool) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": probed(),
        "orders/__init__.py": "",
        "orders/settings.py": "import os\nTASK_QUEUE = os.getenv('TASK_QUEUE', 'orders')\n",
        "orders/worker.py": handled_worker(imports),
    }, "TPR603")
    assert where(found) == ([("deploy/orders-worker.yaml", 12)] if fires else [])


def test_tpr603_a_pod_with_a_sidecar_does_not_end_the_check_of_the_next_workload(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sidecar = probed("billing-worker") + (
        "        - name: health-proxy\n          image: ghcr.io/acme/health-proxy:0.3.1\n")
    found = findings(tmp_path, monkeypatch, {
        "deploy/a-billing.yaml": sidecar,
        "deploy/b-orders.yaml": probed(),
        "orders/__init__.py": "",
        "orders/worker.py": handled_worker(),
    }, "TPR603")
    assert where(found) == [("deploy/b-orders.yaml", 12)]


def test_tpr603_a_link_declared_in_the_configuration_is_not_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The declared link says which module runs, not how it is started: the start command may serve the port.
    billing = probed("billing-worker").replace('          command: ["python", "-m", "orders.worker"]\n', "")
    config = Config(root=tmp_path, links=(Link(workload="billing-worker", module="billing.worker"),))
    found = findings(tmp_path, monkeypatch, {
        "deploy/a-billing.yaml": billing,
        "deploy/b-orders.yaml": probed(),
        "billing/__init__.py": "",
        "billing/worker.py": handled_worker(),
        "orders/__init__.py": "",
        "orders/worker.py": handled_worker(),
    }, "TPR603", config)
    assert where(found) == [("deploy/b-orders.yaml", 12)]


def test_tpr603_silent_when_a_module_registers_a_route_or_opens_a_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/billing.yaml": probed("billing-worker", "billing.worker"),
        "deploy/shipping.yaml": probed("shipping-worker", "shipping.worker"),
        "deploy/orders.yaml": probed(),
        "billing/__init__.py": "",
        "billing/health.py": """
def register(app):
    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}
""",
        "billing/worker.py": handled_worker("from billing.health import register"),
        # `web` touches nothing Temporal, but the words of a server are in it: it is parsed, and it serves.
        "shipping/__init__.py": "",
        "shipping/helpers.py": "from shipping.web import serve\n",
        "shipping/web.py": "def serve(server):\n    server.serve_forever()\n",
        "shipping/worker.py": handled_worker("from shipping import helpers"),
        "orders/__init__.py": "",
        "orders/worker.py": handled_worker(),
    }, "TPR603")
    assert where(found) == [("deploy/orders.yaml", 12)]


def test_tpr603_compose_healthcheck_disabled_by_an_override_or_run_through_a_shell_is_not_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "compose.yaml": """
services:
  orders-worker:
    build: .
    command: python -m orders.worker
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
  billing-worker:
    build: .
    command: python -m orders.worker
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
  shipping-worker:
    build: .
    command: sh -c "python -m http.server 8000 & exec python -m orders.worker"
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
""",
        "compose.override.yaml": """
services:
  billing-worker:
    healthcheck:
      disable: true
""",
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n",
        "orders/__init__.py": "",
        "orders/worker.py": handled_worker(),
    }, "TPR603")
    assert where(found) == [("compose.yaml", 6)]
    assert found[0].message.startswith("The healthcheck of compose service `orders-worker`")


# -- TPR604 ------------------------------------------------------------------------------------

TWO_WORKERS_NO_HANDLER = """
import asyncio
from datetime import timedelta
from temporalio.client import Client
from temporalio.worker import Worker

async def main():
    client = await Client.connect("temporal:7233")
    orders = Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=timedelta(minutes=5))
    refunds = Worker(client, task_queue="refunds", workflows=[], graceful_shutdown_timeout=timedelta(minutes=5))
    await asyncio.gather(orders.run(), refunds.run())

if __name__ == "__main__":
    asyncio.run(main())
"""

HANDLED_RUN = """
import asyncio, signal
from datetime import timedelta
from temporalio.client import Client
from temporalio.worker import Worker

async def main():
    client = await Client.connect("temporal:7233")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue="billing", workflows=[], graceful_shutdown_timeout=timedelta(minutes=5)):
        await stop.wait()

if __name__ == "__main__":
    asyncio.run(main())
"""

RUN_WORKER = """
from datetime import timedelta
from temporalio.client import Client
from temporalio.worker import Worker

async def run_worker():
    client = await Client.connect("temporal:7233")
    worker = Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=timedelta(minutes=5))
    await worker.run()
"""


def test_tpr604_kubernetes_finding_points_at_the_first_worker_of_the_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": deployment("orders-worker", "orders.worker",
                                                spec="terminationGracePeriodSeconds: 330"),
        "orders/__init__.py": "",
        "orders/worker.py": TWO_WORKERS_NO_HANDLER,
    }, "TPR604")
    assert where(found) == [("deploy/orders-worker.yaml", 11)]
    assert [(r.location.path, r.location.line, r.message) for r in found[0].related] == [
        ("orders/worker.py", 9, "the Worker this process runs")]
    assert "until Kubernetes SIGKILLs it 330 s later (terminationGracePeriodSeconds)" in found[0].message


def test_tpr604_compose_finding_points_at_the_first_worker_of_the_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "compose.yaml": """
services:
  orders-worker:
    build: .
    command: ["python", "-m", "orders.worker"]
    stop_grace_period: 2m
""",
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n",
        "orders/__init__.py": "",
        "orders/worker.py": TWO_WORKERS_NO_HANDLER,
    }, "TPR604")
    assert where(found) == [("compose.yaml", 5)]
    assert [(r.location.path, r.location.line, r.message) for r in found[0].related] == [
        ("orders/worker.py", 9, "the Worker this process runs")]


def test_tpr604_a_shared_pid_namespace_or_a_handled_sigterm_does_not_end_the_check_of_the_next_workload(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/a-refunds.yaml": deployment("refunds-worker", "orders.worker", spec="shareProcessNamespace: true"),
        "deploy/b-billing.yaml": deployment("billing-worker", "billing.worker"),
        "deploy/c-orders.yaml": deployment("orders-worker", "orders.worker"),
        "billing/__init__.py": "",
        "billing/worker.py": HANDLED_RUN,
        "orders/__init__.py": "",
        "orders/worker.py": TWO_WORKERS_NO_HANDLER,
    }, "TPR604")
    assert where(found) == [("deploy/c-orders.yaml", 11)]


def test_tpr604_a_worker_run_from_test_code_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "deploy/soak-worker.yaml": deployment("soak-worker", "tests.soak.run_worker"),
        "deploy/orders-worker.yaml": deployment("orders-worker", "orders.main"),
        "orders/__init__.py": "",
        "orders/worker.py": RUN_WORKER,
        "orders/main.py": "import asyncio\nfrom orders.worker import run_worker\n\n"
                          "if __name__ == \"__main__\":\n    asyncio.run(run_worker())\n",
        "tests/__init__.py": "",
        "tests/soak/__init__.py": "",
        "tests/soak/run_worker.py": "import asyncio\nfrom orders.worker import run_worker\n\n"
                                    "if __name__ == \"__main__\":\n    asyncio.run(run_worker())\n",
    }, "TPR604")
    assert where(found) == [("deploy/orders-worker.yaml", 11)]
    assert "the code it runs (orders/main.py) installs no SIGTERM handler" in found[0].message


def test_tpr604_a_worker_runs_only_where_its_own_entrypoint_or_an_imported_library_module_runs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # orders.main runs the Worker of a library module; orders.cli imports a module that runs its Worker
    # only behind its own main guard, so the CLI process runs no Worker.
    found = findings(tmp_path, monkeypatch, {
        "deploy/orders-worker.yaml": deployment("orders-worker", "orders.main"),
        "deploy/orders-cli.yaml": deployment("orders-cli", "orders.cli"),
        "orders/__init__.py": "",
        "orders/worker.py": RUN_WORKER,
        "orders/main.py": "import asyncio\nfrom orders.worker import run_worker\n\n"
                          "if __name__ == \"__main__\":\n    asyncio.run(run_worker())\n",
        "orders/standalone.py": TWO_WORKERS_NO_HANDLER,
        "orders/cli.py": "import sys\nfrom orders import standalone\n\n"
                         "if __name__ == \"__main__\":\n    print(standalone.__name__, sys.argv)\n",
    }, "TPR604")
    assert where(found) == [("deploy/orders-worker.yaml", 11)]
