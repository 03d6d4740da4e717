"""TPR109: which status a health-route finding names and which routes it judges, on Flask, FastAPI and
aiohttp services written the way real ones are."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import at, findings, lint, messages

# -- TPR109: which status the finding names, and which routes it judges ---------------------------------

FLASK_FIX = "return `(body, 503)` there"
FASTAPI_FIX = "return `JSONResponse(content=..., status_code=503)` or `raise HTTPException(status_code=503)` there"
AIOHTTP_FIX = "return `web.json_response(..., status=503)` there"


def _always(path: str, text: str, status: int, fix: str) -> str:
    return (f"This `{path}` handler reports failure only in the response body (`{text}`) and answers {status} on "
            "every branch; Kubernetes probes read only the status code, so the probe never fails (a readiness probe "
            "keeps an unready worker counted as ready, a liveness probe never restarts a stuck one). Answer a "
            f"non-2xx status on the failure branch: {fix}.")


def test_tpr109_names_the_status_a_flask_handler_answers_on_its_failure_branch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/health.py": """
        from flask import Flask, make_response
        from temporalio.worker import Worker

        app = Flask(__name__)
        worker: Worker | None = None
        warming = True

        @app.get("/healthz")
        def healthz():
            if worker is None:
                return {"status": "starting"}, 202
            return {"status": "ok"}

        @app.get("/readyz")
        def readyz():
            if worker is None:
                return {"ready": False}
            return {"ready": True}

        @app.get("/livez")
        def livez():
            if worker is None:
                return make_response({"status": "down"}, 203 if warming else 202)
            return {"status": "up"}
    """}
    found = findings(tmp_path, monkeypatch, files, "TPR109")
    assert [(f.location.line, f.message) for f in found] == [
        (12, _always("/healthz", "({'status': 'starting'}, 202)", 202, FLASK_FIX)),
        (18, _always("/readyz", "{'ready': False}", 200, FLASK_FIX)),
        (24, _always("/livez", "make_response({'status': 'down'}, 203 if warming else 202)", 203, FLASK_FIX)),
    ]


def test_tpr109_names_the_status_a_fastapi_route_declares_or_a_response_sets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/api.py": """
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse
        from temporalio.worker import Worker

        app = FastAPI()
        worker: Worker | None = None

        @app.get("/ready", status_code=202)
        async def ready():
            if worker is None:
                return {"ready": False}
            return {"ready": True}

        @app.get("/live", status_code=202)
        async def live():
            if worker is None:
                return JSONResponse({"status": "unhealthy"}, status_code=200)
            return {"status": "ok"}
    """}
    found = findings(tmp_path, monkeypatch, files, "TPR109")
    assert [(f.location.line, f.message) for f in found] == [
        (12, _always("/ready", "{'ready': False}", 202, FASTAPI_FIX)),
        (18, _always("/live", "JSONResponse({'status': 'unhealthy'}, status_code=200)", 200, FASTAPI_FIX)),
    ]


def test_tpr109_a_fastapi_route_that_answers_503_unless_told_otherwise_can_fail(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/api.py": """
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse
        from temporalio.worker import Worker

        app = FastAPI()
        worker: Worker | None = None

        @app.get("/ready", status_code=503)
        async def ready():
            if worker is not None:
                return JSONResponse({"status": "ready"}, status_code=200)
            return {"status": "unavailable"}
    """}
    assert lint(tmp_path, monkeypatch, files, "TPR109") == []


def test_tpr109_a_fastapi_tuple_its_return_annotation_rejects_is_a_500_a_dict_it_accepts_a_200(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/api.py": """
        from fastapi import FastAPI
        from temporalio.worker import Worker

        app = FastAPI()
        worker: Worker | None = None

        @app.get("/ready")
        async def ready() -> dict:
            if worker is None:
                return {"status": "not ready"}, 503
            return {"status": "ready"}

        @app.get("/live")
        async def live() -> dict:
            if worker is None:
                return {"status": "down"}
            return {"status": "up"}
    """}
    found = messages(tmp_path, monkeypatch, files, "TPR109")
    assert found == [_always("/live", "{'status': 'down'}", 200, FASTAPI_FIX)]


def test_tpr109_an_aiohttp_route_added_on_the_router_gets_the_aiohttp_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"app/http.py": """
        from aiohttp import web
        from temporalio.worker import Worker

        WORKER: Worker | None = None

        async def healthz(request):
            if WORKER is None:
                return web.Response(text="unhealthy")
            return web.Response(text="ok")

        def make_app():
            app = web.Application()
            app.router.add_route("GET", "/healthz", healthz)
            return app
    """}
    assert messages(tmp_path, monkeypatch, files, "TPR109") == [
        _always("/healthz", "web.Response(text='unhealthy')", 200, AIOHTTP_FIX)]


@pytest.mark.parametrize(("code", "reported"), [(199, False), (200, True), (399, True), (400, False)])
def test_tpr109_a_status_passes_the_probe_from_200_to_399(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reported: bool) -> None:
    files = {"app/health.py": f"""
        from flask import Flask
        from temporalio.worker import Worker

        app = Flask(__name__)
        worker: Worker | None = None

        @app.get("/healthz")
        def healthz():
            if worker is None:
                return {{"status": "unhealthy"}}, {code}
            return {{"status": "ok"}}
    """}
    text = f"({{'status': 'unhealthy'}}, {code})"
    assert messages(tmp_path, monkeypatch, files, "TPR109") == ([_always("/healthz", text, code, FLASK_FIX)]
                                                                  if reported else [])


def test_tpr109_judges_each_health_route_past_those_it_cannot_or_need_not_judge(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/tests/test_health.py": """
            from flask import Flask
            from temporalio.testing import WorkflowEnvironment

            stub = Flask(__name__)

            @stub.get("/healthz")
            def healthz():
                return {"status": "down"}
        """,
        "app/web.py": """
            from company_platform.http import make_ops_router
            from fastapi import APIRouter, FastAPI
            from temporalio.worker import Worker

            app = FastAPI()
            ops = make_ops_router()
            api = APIRouter(prefix="/api")
            worker: Worker | None = None

            @ops.get("/healthz")
            async def ops_health():
                return {"status": "down"}

            @api.get("/")
            async def index():
                return {"status": "error"}

            @app.get("/readyz")
            async def readyz():
                if worker is None:
                    return {"status": "not ready"}
                return {"status": "ready"}
        """,
    }
    assert lint(tmp_path, monkeypatch, files, "TPR109") == at(files, "app/web.py", '"not ready"')
