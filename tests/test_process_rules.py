"""TPR104-TPR109 on small projects written the way real worker services are: handlers in a
lifecycle module, `functools.partial(handler, worker)`, service classes, several workers per process,
Flask/FastAPI/aiohttp health endpoints, options in factories and settings modules."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.process import ProcessFacts

Finding = tuple[str, int, str]


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[Finding]:
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=(rule,)), use_cache=False, jobs=1)
    return [(f.location.path, f.location.line, f.message) for f in result.findings if f.rule_id == rule]


def where(found: list[Finding]) -> list[tuple[str, int]]:
    return [(path, line) for path, line, _ in found]


def process(source: str, path: str = "app/main.py") -> ProcessFacts:
    return extract_python(ast.parse(textwrap.dedent(source)), path).process


# -- TPR104: what the SIGTERM handler does ---------------------------------------------------------

MAIN = """
import asyncio
from app.lifecycle import install
from app.factory import build_worker

async def main():
    worker = build_worker()
    install(worker)
    await worker.run()

if __name__ == "__main__":
    asyncio.run(main())
"""
FACTORY = """
from datetime import timedelta
from temporalio.worker import Worker

def build_worker(client=None):
    return Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=timedelta(minutes=5))
"""


def test_exiting_handler_in_a_lifecycle_module_is_reported_where_installed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/main.py": MAIN, "app/factory.py": FACTORY,
        "app/lifecycle.py": """
            import functools, logging, signal, sys

            log = logging.getLogger(__name__)

            def _on_term(worker, signum, frame):
                log.warning("terminating %s", worker)
                sys.exit(0)

            def install(worker):
                signal.signal(signal.SIGTERM, functools.partial(_on_term, worker))
        """,
    }, "TPR104")
    assert where(found) == [("app/lifecycle.py", 11)]
    assert "functools.partial(_on_term, ...)" in found[0][2] and "`sys.exit()`" in found[0][2]
    assert "await worker.shutdown()" in found[0][2]


def test_partial_handler_that_shuts_the_worker_down_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/main.py": MAIN, "app/factory.py": FACTORY,
        "app/lifecycle.py": """
            import asyncio, functools, signal

            def _on_term(worker):
                asyncio.ensure_future(worker.shutdown())

            def install(worker):
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGTERM, functools.partial(_on_term, worker))
        """,
    }, "TPR104")
    assert found == []


def test_exit_two_calls_deep_in_another_module_is_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/main.py": MAIN, "app/factory.py": FACTORY,
        "app/lifecycle.py": """
            import signal
            from app.util import flush_and_quit

            def _on_term(signum, frame):
                flush_and_quit(1)

            def install(worker):
                signal.signal(signal.SIGTERM, _on_term)
        """,
        "app/util.py": """
            import os
            import sys

            def flush_and_quit(code):
                sys.stdout.flush()
                _die(code)

            def _die(code):
                os._exit(code)
        """,
    }, "TPR104")
    assert where(found) == [("app/lifecycle.py", 9)]
    assert "kills the process on the spot" in found[0][2]


def test_handler_calling_code_tprlint_cannot_see_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/main.py": MAIN, "app/factory.py": FACTORY,
        "app/lifecycle.py": """
            import signal, sys
            from company_platform.shutdown import drain_everything

            def _on_term(signum, frame):
                drain_everything()
                sys.exit(0)

            def install(worker, handler=None):
                signal.signal(signal.SIGTERM, _on_term)
                signal.signal(signal.SIGTERM, handler)  # a parameter: unknown
        """,
    }, "TPR104")
    assert found == []


@pytest.mark.parametrize(("handler_body", "mechanism", "fires"), [
    ("raise KeyboardInterrupt", "loop", True),
    ("raise SystemExit(0)", "loop", True),
    ("raise RuntimeError('stop')", "loop", False),  # asyncio only logs it: not an exit
    ("raise RuntimeError('stop')", "signal", True),  # raised into the main thread's event loop
    ("raise GracefulExit()", "loop", True),  # a project SystemExit subclass in another module
    ("stop.set()\n    sys.exit(0)", "signal", False),  # hands the stop over first
    ("global STOPPING\n    STOPPING = True", "signal", False),
    ("task.cancel()", "signal", False),
    ("os.kill(CHILD_PID, signal.SIGTERM)\n    sys.exit(0)", "signal", False),  # forwards the signal
    ("print('bye')\n    exit(0)", "signal", True),
])
def test_what_counts_as_exiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handler_body: str,
                                mechanism: str, fires: bool) -> None:
    install = ("asyncio.get_event_loop().add_signal_handler(signal.SIGTERM, on_term)" if mechanism == "loop"
               else "signal.signal(signal.SIGTERM, on_term)")
    source = (
        "import asyncio, os, signal, sys\nfrom temporalio.worker import Worker\nfrom app.errors import GracefulExit\n"
        "stop = asyncio.Event()\nCHILD_PID = 1\nSTOPPING = False\n"
        f"def on_term(*args):\n    {handler_body}\n"
        f"async def main(client, task):\n    {install}\n    await Worker(client, task_queue='q', workflows=[]).run()\n"
        "if __name__ == '__main__':\n    asyncio.run(main(None, None))\n"
    )
    found = lint(tmp_path, monkeypatch, {
        "app/worker.py": source,
        "app/errors.py": "import temporalio\n\nclass Shutdown(SystemExit):\n    pass\n\n"
                         "class GracefulExit(Shutdown):\n    pass\n",
    }, "TPR104")
    assert bool(found) is fires, found


def test_service_class_with_method_handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "svc/service.py": """
            import asyncio, signal, sys
            from temporalio.worker import Worker

            class WorkerService:
                def __init__(self, client):
                    self.client = client
                    self._stop = asyncio.Event()

                def _request_stop(self, *_):
                    self._stop.set()

                def _die(self, *_):
                    self._cleanup()
                    sys.exit(0)

                def _cleanup(self):
                    pass

                async def serve(self, hard: bool):
                    signal.signal(signal.SIGTERM, self._die if hard else self._request_stop)
                    if hard:
                        signal.signal(signal.SIGTERM, self._die)
                    else:
                        signal.signal(signal.SIGTERM, self._request_stop)
                    async with Worker(self.client, task_queue="svc", workflows=[]):
                        await self._stop.wait()

            if __name__ == "__main__":
                asyncio.run(WorkerService(None).serve(False))
        """,
    }, "TPR104")
    assert where(found) == [("svc/service.py", 23)]  # the conditional handler is not understood


def test_several_workers_and_loop_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = """
        import asyncio, signal
        from temporalio.worker import Worker

        async def main(client):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, loop.stop)
            orders = Worker(client, task_queue="orders", workflows=[])
            billing = Worker(client, task_queue="billing", workflows=[])
            await asyncio.gather(orders.run(), billing.run())

        if __name__ == "__main__":
            asyncio.run(main(None))
    """
    assert where(lint(tmp_path, monkeypatch, {"app/worker.py": worker}, "TPR104")) == [("app/worker.py", 7)]


def test_loop_stop_with_shutdown_after_the_loop_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/worker.py": """
        import asyncio, signal
        from temporalio.worker import Worker

        def main(client):
            loop = asyncio.new_event_loop()
            workers = [Worker(client, task_queue=q, workflows=[]) for q in ("a", "b")]
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, loop.stop)
            for w in workers:
                loop.create_task(w.run())
            loop.run_forever()
            loop.run_until_complete(asyncio.gather(*(w.shutdown() for w in workers)))
            loop.run_until_complete(shutdown_all(workers))

        async def shutdown_all(workers):
            for w in workers:
                await w.shutdown()

        if __name__ == "__main__":
            main(None)
    """}, "TPR104")
    assert found == []


def test_processes_without_a_worker_and_tests_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "scripts/starter.py": """
            import asyncio, signal, sys
            from temporalio.client import Client

            async def main():
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                await Client.connect("localhost:7233")

            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "tests/test_worker.py": """
            import signal, sys
            from temporalio.worker import Worker

            def test_worker(client):
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                Worker(client, task_queue="t", workflows=[])
        """,
    }, "TPR104")
    assert found == []


def test_nested_handler_and_signal_tuples_from_constants() -> None:
    facts = process("""
        import asyncio, signal, sys
        from app.config import EXTRA_SIGNALS

        SIGNALS = (signal.SIGTERM, signal.SIGINT)

        async def main(sigs):
            def on_term(*_):
                sys.exit(0)
            for sig in SIGNALS:
                signal.signal(sig, on_term)
            for sig in sigs:
                signal.signal(sig, on_term)
            signal.signal(EXTRA_SIGNALS, on_term)
    """)
    installs = facts.signal_installs
    assert [i.signals for i in installs] == [("SIGTERM", "SIGINT"), ("?",), ("?",)]
    assert installs[0].behaviour is not None and installs[0].behaviour.calls == (("path:app/main", "main.on_term"),)
    assert facts.functions["main.on_term"].exits[0].how == "sys.exit()"


@pytest.mark.parametrize("source", [
    "import signal\nsignal.signal()",
    "import signal\nsignal.signal(*args)",
    "import signal\nsignal.signal(signal.SIGTERM, *handlers)",
    "loop.add_signal_handler(15)",
    "import signal\nsignal.signal(signal.SIGTERM, getattr(obj, 'x'))",
    "import signal\nsignal.signal(signal.SIGTERM, lambda *a: (lambda: sys.exit())())",
    "import signal\nsignal.signal(signal.SIGTERM, handlers[0])",
    "import signal, functools\nsignal.signal(signal.SIGTERM, functools.partial())",
    "import signal\nh = h\nsignal.signal(signal.SIGTERM, h)",
    "def f():\n    raise\n",
    "class E(SystemExit, metaclass=M):\n    pass\ndef g():\n    raise E from None",
])
def test_odd_handler_shapes_never_crash(source: str) -> None:
    found = process(source)
    # Whatever the shape, what is recorded points into this file, at a line that exists.
    lines = len(textwrap.dedent(source).splitlines())
    assert all(i.location.path == "app/main.py" and 1 <= i.location.line <= lines for i in found.signal_installs)


# -- TPR105 / TPR106 / TPR108: Worker options -------------------------------------------------------


def test_sandbox_escapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/settings.py": """
            from temporalio.worker import UnsandboxedWorkflowRunner
            RUNNER = UnsandboxedWorkflowRunner()
            SANDBOXED = False
        """,
        "app/factory.py": """
            from temporalio.worker import Worker
            from app import settings

            def make_worker(client, **kwargs):
                return Worker(client, workflow_runner=settings.RUNNER, **kwargs)
        """,
        "app/main.py": """
            from app.factory import make_worker

            orders = make_worker(client, task_queue="orders")
        """,
        "app/workflows.py": """
            from temporalio import workflow
            from app.settings import SANDBOXED

            @workflow.defn(sandboxed=SANDBOXED)
            class Report:
                pass

            @workflow.defn(sandboxed=True)
            class Fine:
                pass
        """,
        "tests/test_replay.py": """
            from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker
            Replayer(workflows=[], workflow_runner=UnsandboxedWorkflowRunner())
            Worker(client, task_queue="t", workflow_runner=UnsandboxedWorkflowRunner())
        """,
    }, "TPR105")
    assert where(found) == [("app/main.py", 4), ("app/workflows.py", 5)]


@pytest.mark.parametrize(("option", "fires"), [
    ("debug_mode=True", True),
    ("debug_mode=settings.DEBUG", True),
    ("debug_mode=settings.ENV_DEBUG", False),  # os.environ.get("DEBUG", "") == "1": computed at run time
    ("debug_mode=settings.DEFAULT_OFF", False),  # env with a False default
    ("disable_safe_workflow_eviction=True", True),
    ("debug_mode=False, disable_safe_workflow_eviction=False", False),
])
def test_debug_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, fires: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/settings.py": 'import os\nDEBUG = True\nENV_DEBUG = os.environ.get("DEBUG", "") == "1"\n'
                           'DEFAULT_OFF = os.environ.get("DEBUG", False)\n',
        "app/worker.py": f"from temporalio.worker import Worker\nfrom app import settings\n"
                         f"w = Worker(client, task_queue='q', workflows=[], {option})\n",
    }, "TPR106")
    assert bool(found) is fires, found


def test_deprecated_options_across_several_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/worker.py": """
        from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

        COMMON = {"max_concurrent_activity_task_polls": 20, "graceful_shutdown_timeout": None}

        async def main(client):
            orders = Worker(client, task_queue="orders", workflows=[], **COMMON)
            billing = Worker(client, task_queue="billing", workflows=[],
                             workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=4))
            legacy = Worker(client, task_queue="legacy", workflows=[], build_id="x",
                            max_concurrent_workflow_task_polls=2, max_concurrent_activity_task_polls=2)
    """}, "TPR108")
    assert where(found) == [("app/worker.py", 7), ("app/worker.py", 10)]
    assert "activity_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=N)" in found[0][2]
    assert "build_id" not in found[1][2]  # TPR231's business


# -- TPR109: health endpoints ------------------------------------------------------------------------


def test_fastapi_app_factory_and_router_in_another_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "svc/api/routers.py": """
            from fastapi import APIRouter
            health = APIRouter(prefix="/health")
        """,
        "svc/api/probes.py": """
            from svc.api.routers import health
            from svc.worker import STATE

            @health.get("/ready")
            async def ready():
                ok = STATE.running
                return {"ready": ok}, (200 if ok else 503)

            @health.get("/live")
            async def live():
                return {"alive": True}
        """,
        "svc/app.py": """
            from fastapi import FastAPI
            from fastapi.responses import PlainTextResponse
            from svc.worker import STATE

            def create_app() -> FastAPI:
                app = FastAPI()

                @app.get("/readyz")
                async def readyz():
                    if not STATE.running:
                        return PlainTextResponse("not ready")
                    return PlainTextResponse("ok")

                @app.get("/metrics")
                async def metrics():
                    return {"status": "error"}

                return app
        """,
        # The health modules import the module that builds the Worker: that is how tprlint reaches
        # modules that never mention temporalio.
        "svc/worker.py": """
            from temporalio.worker import Worker

            class State:
                running = False

            STATE = State()

            def build(client):
                return Worker(client, task_queue="svc", workflows=[])
        """,
    }, "TPR109")
    assert where(found) == [("svc/api/probes.py", 8), ("svc/app.py", 12)]
    assert "JSON array with status 200" in found[0][2] and "`/health/ready`" in found[0][2]
    assert "answers 200 on every branch" in found[1][2]


def test_flask_tuple_is_read_by_flask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/health.py": """
        from http import HTTPStatus
        from flask import Flask, jsonify, make_response
        from temporalio.client import Client

        app = Flask(__name__)
        client: Client | None = None

        @app.route("/ready")
        def ready():
            if client is None:
                return jsonify(status="not ready"), HTTPStatus.SERVICE_UNAVAILABLE
            return jsonify(status="ready")

        @app.get("/healthz")
        def healthz():
            if client is None:
                return make_response({"status": "unhealthy"}, 503)
            return {"status": "ok"}

        @app.route("/livez")
        def livez():
            if client is None:
                return {"status": "down"}, 200
            return {"status": "up"}
    """}, "TPR109")
    assert where(found) == [("app/health.py", 24)]


def test_aiohttp_and_starlette_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/http.py": """
        from aiohttp import web
        from starlette.responses import JSONResponse
        from starlette.routing import Route
        from temporalio.worker import Worker

        routes = web.RouteTableDef()
        WORKER: Worker | None = None

        @routes.get("/healthz")
        async def healthz(request):
            if WORKER is None:
                return web.Response(text="unhealthy")
            return web.Response(text="ok")

        @routes.get("/readyz")
        async def readyz(request):
            if WORKER is None:
                raise web.HTTPServiceUnavailable()
            return web.Response(text="ok")

        async def ready(request):
            if WORKER is None:
                return JSONResponse({"ready": False})
            return JSONResponse({"ready": True})

        async def live(request):
            if WORKER is None:
                return {"alive": False}  # not a Response: Starlette answers 500
            return JSONResponse({"alive": True})

        ROUTES = [Route("/ready", ready), Route("/live", live)]
    """}, "TPR109")
    assert where(found) == [("app/http.py", 13), ("app/http.py", 24)]


def test_fastapi_routes_that_can_fail_are_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/health.py": """
        from fastapi import FastAPI, status
        from fastapi.responses import JSONResponse
        from temporalio.worker import Worker

        app = FastAPI()
        worker: Worker | None = None

        def current():
            return JSONResponse({"ready": False}, status_code=503)

        @app.get("/ready", response_model=dict)
        async def ready():
            if worker is None:
                return {"ready": False}, 503   # the response model rejects the tuple: a 500
            return {"ready": True}

        @app.get("/healthz")
        async def healthz():
            if worker is None:
                return JSONResponse({"status": "not ready"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
            return {"status": "ok"}

        @app.get("/livez")
        async def livez():
            if worker is None:
                return current()
            return {"status": "ok"}
    """}, "TPR109")
    assert found == []
