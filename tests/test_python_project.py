"""The project phase and the worker rules on whole trees: factories and subclasses across modules,
import closures, and TPR101/TPR103 as the engine reports them on small, realistic projects."""

from __future__ import annotations

import ast
import shutil
import textwrap
from collections.abc import Iterable
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.facts import ImportedModule, PythonFacts
from tprlint.facts.python.values import Dur, Missing, Unknown
from tprlint.link.python_project import PythonProject, ResolvedWorker, resolve_launch_target

SHAPES = Path(__file__).parent / "data" / "python_shapes"


def project(files: dict[str, str]) -> PythonProject:
    return PythonProject(extract_python(ast.parse(textwrap.dedent(src)), path) for path, src in files.items())


def workers(files: dict[str, str]) -> list[ResolvedWorker]:
    return sorted(project(files).workers, key=lambda w: (w.location.path, w.location.line))


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def lint(root: Path, rule: str) -> list[tuple[str, int, str]]:
    result = run([root], Config(root=root).with_overrides(select=(rule,)), use_cache=False, jobs=1)
    return [(f.location.path, f.location.line, f.message) for f in result.findings if f.rule_id == rule]


def lint_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    return lint(tmp_path, rule)


def lint_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, rule: str):  # type: ignore[no-untyped-def]
    root = tmp_path / shape
    shutil.copytree(SHAPES / shape, root)
    monkeypatch.chdir(root)
    return lint(root, rule)


# -- factories and subclasses -------------------------------------------------------------------

T = "from datetime import timedelta\nfrom temporalio.worker import Worker\n"
FACTORY = T + "\ndef build_worker(client, **kwargs):\n    return Worker(client, **kwargs)\n"
FACTORY_WITH_DEFAULT = T + textwrap.dedent("""
    def build_worker(client, **kwargs):
        return Worker(client, graceful_shutdown_timeout=timedelta(minutes=2), **kwargs)
""")


def test_factory_is_judged_where_it_is_called() -> None:
    found = workers({
        "app/factory.py": FACTORY,
        "app/main.py": "from datetime import timedelta\nfrom app.factory import build_worker\n"
                       "a = build_worker(c, task_queue='a')\n"
                       "b = build_worker(c, task_queue='b', graceful_shutdown_timeout=timedelta(minutes=1))\n",
    })
    assert [(w.location.path, w.location.line, w.graceful) for w in found] == [
        ("app/main.py", 3, Missing()), ("app/main.py", 4, Dur(60.0)),
    ]
    assert found[0].via == "build_worker() at app/factory.py:5"


def test_factory_default_applies_unless_the_caller_overrides_it() -> None:
    found = workers({
        "app/factory.py": FACTORY_WITH_DEFAULT,
        "app/main.py": "from app.factory import build_worker\nw = build_worker(c, task_queue='q')\n",
    })
    assert [w.graceful for w in found] == [Dur(120.0)]


@pytest.mark.parametrize(
    "call",
    [
        "from app.factory import build_worker\nw = build_worker(c, task_queue='q')",
        "from app import factory\nw = factory.build_worker(c, task_queue='q')",
        "from .factory import build_worker\nw = build_worker(c, task_queue='q')",
        "from . import factory\nw = factory.build_worker(c, task_queue='q')",  # regression: was not resolved
        "import app.factory as f\nw = f.build_worker(c, task_queue='q')",
    ],
)
def test_factory_import_spellings(call: str) -> None:
    found = workers({"app/__init__.py": "", "app/factory.py": FACTORY, "app/main.py": call})
    assert [(w.location.path, w.graceful) for w in found] == [("app/main.py", Missing())]


def test_factory_in_the_same_module() -> None:
    found = workers({"app/main.py": FACTORY + "\nw = build_worker(c, task_queue='q')\n"})
    assert [(w.location.line, w.graceful, w.via) for w in found] == [(7, Missing(), "build_worker() at app/main.py:5")]


def test_factory_without_kwargs_is_judged_inside() -> None:
    found = workers({
        "app/factory.py": T + "\ndef build_worker(client, queue):\n    return Worker(client, task_queue=queue)\n",
        "app/main.py": "from app.factory import build_worker\nw = build_worker(c, 'q')\n",
    })
    assert [(w.location.path, w.graceful) for w in found] == [("app/factory.py", Missing())]


@pytest.mark.parametrize(
    "body",
    [
        "    kwargs.setdefault('graceful_shutdown_timeout', timedelta(minutes=5))\n",
        "    kwargs['graceful_shutdown_timeout'] = timedelta(minutes=5)\n",
        "    kwargs = {**DEFAULTS, **kwargs}\n",
    ],
)
def test_factory_adding_the_timeout_to_its_kwargs_is_not_claimed_missing(body: str) -> None:
    # Regression: the callers of these factories were reported as having no timeout.
    factory = T + "DEFAULTS = {'graceful_shutdown_timeout': timedelta(minutes=5)}\n\n" \
                  "def build_worker(client, **kwargs):\n" + body + "    return Worker(client, **kwargs)\n"
    (worker,) = workers({"app/factory.py": factory,
                         "app/main.py": "from app.factory import build_worker\nw = build_worker(c, task_queue='q')\n"})
    assert worker.unresolved_splat == "**kwargs"  # so TPR101 stays silent


def test_factory_of_a_factory() -> None:
    found = workers({
        "app/factory.py": FACTORY,
        "app/orders.py": "from app.factory import build_worker\n\n"
                         "def orders_worker(client, **kwargs):\n"
                         "    return build_worker(client, task_queue='orders', **kwargs)\n",
        "app/main.py": "from app.orders import orders_worker\nw = orders_worker(c, task_queue='x')\n",
    })
    assert [(w.location.path, w.graceful) for w in found] == [("app/main.py", Missing())]


def test_helper_forwarding_task_queue_to_something_else_is_not_a_factory() -> None:
    # Regression: any function forwarding **kwargs with `task_queue=` counted as a Worker factory.
    found = workers({
        "app/starter.py": "from app.client import start\n\n"
                          "def start_order(client, **kwargs):\n"
                          "    return start(client, task_queue='orders', **kwargs)\n",
        "app/main.py": "from app.starter import start_order\nstart_order(c, task_queue='orders')\n",
    })
    assert found == []


SUBCLASS = T + textwrap.dedent("""
    class AppWorker(Worker):
        def __init__(self, client, **kwargs):
            super().__init__(client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)
""")
SUBCLASS_NO_DEFAULT = T + textwrap.dedent("""
    class AppWorker(Worker):
        def __init__(self, client, **kwargs):
            super().__init__(client, max_concurrent_activities=10, **kwargs)
""")
SUBCLASS_NO_INIT = T + "\nclass AppWorker(Worker):\n    pass\n"


@pytest.mark.parametrize(
    ("base", "expected"),
    [(SUBCLASS, Dur(300.0)), (SUBCLASS_NO_DEFAULT, Missing()), (SUBCLASS_NO_INIT, Missing())],
)
def test_subclasses(base: str, expected: object) -> None:
    found = workers({"app/base.py": base,
                     "app/main.py": "from app.base import AppWorker\nw = AppWorker(c, task_queue='q')\n"})
    assert [(w.location.path, w.graceful) for w in found] == [("app/main.py", expected)]
    assert found[0].via.startswith("AppWorker() at app/base.py:")


@pytest.mark.parametrize(("base", "expected"), [(SUBCLASS, Dur(300.0)), (SUBCLASS_NO_INIT, Missing())])
@pytest.mark.parametrize("import_line", ["from app.base import AppWorker", "from .base import AppWorker"])
def test_subclass_of_a_project_subclass(base: str, expected: object, import_line: str) -> None:
    found = workers({
        "app/__init__.py": "",
        "app/base.py": base,
        "app/orders.py": f"{import_line}\n\nclass OrdersWorker(AppWorker):\n    queue = 'orders'\n",
        "app/main.py": "from app.orders import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n",
    })
    assert [(w.location.path, w.graceful) for w in found] == [("app/main.py", expected)]


def test_second_level_init_that_leaves_the_timeout_to_its_base() -> None:
    found = workers({
        "app/base.py": SUBCLASS,
        "app/orders.py": "from app.base import AppWorker\n\nclass OrdersWorker(AppWorker):\n"
                         "    def __init__(self, client, **kwargs):\n"
                         "        super().__init__(client, max_concurrent_activities=3, **kwargs)\n",
        "app/main.py": "from app.orders import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n",
    })
    assert [w.graceful for w in found] == [Dur(300.0)]


def test_second_level_init_that_sets_its_own_timeout() -> None:
    found = workers({
        "app/base.py": SUBCLASS_NO_DEFAULT,
        "app/orders.py": "from datetime import timedelta\nfrom app.base import AppWorker\n\n"
                         "class OrdersWorker(AppWorker):\n"
                         "    def __init__(self, client, **kwargs):\n"
                         "        super().__init__(client, graceful_shutdown_timeout=timedelta(minutes=1), **kwargs)\n",
        "app/main.py": "from app.orders import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n",
    })
    assert [w.graceful for w in found] == [Dur(60.0)]


def test_subclass_init_that_does_not_forward_kwargs_still_decides() -> None:
    # Regression: an __init__ without **kwargs was skipped and the class judged as if it had none.
    base = T + textwrap.dedent("""
        class OrdersWorker(Worker):
            def __init__(self, client, task_queue):
                super().__init__(client, task_queue=task_queue, graceful_shutdown_timeout=timedelta(minutes=5))
    """)
    found = workers({"app/base.py": base,
                     "app/main.py": "from app.base import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n"})
    assert [w.graceful for w in found] == [Dur(300.0)]


def test_explicit_base_init_call() -> None:
    base = T + textwrap.dedent("""
        class OrdersWorker(Worker):
            def __init__(self, client, **kwargs):
                Worker.__init__(self, client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)
    """)
    found = workers({"app/base.py": base,
                     "app/main.py": "from app.base import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n"})
    assert [w.graceful for w in found] == [Dur(300.0)]


def test_subclass_init_calling_a_mixin_init_first() -> None:
    # Regression-adjacent: with `Mixin.__init__(self)` recorded as an __init__ call too, the call
    # that passes the timeout must be the one that counts, whatever the order.
    base = T + textwrap.dedent("""
        class MetricsMixin:
            def __init__(self):
                self.started = 0

        class OrdersWorker(MetricsMixin, Worker):
            def __init__(self, client, **kwargs):
                MetricsMixin.__init__(self)
                super().__init__(client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)
    """)
    found = workers({"app/base.py": base,
                     "app/main.py": "from app.base import OrdersWorker\nw = OrdersWorker(c, task_queue='q')\n"})
    assert [w.graceful for w in found] == [Dur(300.0)]


def test_class_that_is_not_a_worker_is_not_a_worker_wrapper() -> None:
    # Regression: any class whose __init__ forwarded **kwargs to super() was taken for a Worker
    # subclass, so `Starter(client, task_queue="orders")` was reported by TPR101.
    found = workers({
        "app/starter.py": "from app.base import BaseStarter\n\nclass Starter(BaseStarter):\n"
                          "    def __init__(self, client, **kwargs):\n        super().__init__(client, **kwargs)\n",
        "app/base.py": "class BaseStarter:\n    def __init__(self, client, task_queue):\n"
                       "        self.client, self.task_queue = client, task_queue\n",
        "app/main.py": "from app.starter import Starter\ns = Starter(c, task_queue='orders')\n",
    })
    assert found == []


def test_subclass_of_an_external_base_is_not_guessed() -> None:
    found = workers({
        "app/base.py": "from company_sdk.temporal import InstrumentedWorker\n\n"
                       "class AppWorker(InstrumentedWorker):\n    pass\n",
        "app/main.py": "from app.base import AppWorker\nw = AppWorker(c, task_queue='q')\n",
    })
    assert found == []


def test_several_workers_in_one_process() -> None:
    found = workers({"app/main.py": T + textwrap.dedent("""
        async def main(client):
            fast = Worker(client, task_queue="fast", graceful_shutdown_timeout=timedelta(seconds=30))
            slow = Worker(client, task_queue="slow")
            batch = Worker(client, task_queue="batch", graceful_shutdown_timeout=timedelta(0))
            await asyncio.gather(fast.run(), slow.run(), batch.run())
    """)})
    assert [w.graceful for w in found] == [Dur(30.0), Missing(), Dur(0.0)]


# -- closure and launch targets --------------------------------------------------------------------


def test_closure_follows_imports_through_cycles() -> None:
    p = project({
        "app/main.py": "from app import a\n",
        "app/a.py": "from app import b\n",
        "app/b.py": "from app import a\nfrom app.c import X\n",
        "app/c.py": "X = 1\n",
        "app/unrelated.py": "import os\n",
    })
    assert set(p.closure("path:app/main")) == {"path:app/main", "path:app/a", "path:app/b", "path:app/c"}


def test_closure_includes_submodules_imported_by_name() -> None:
    p = project({"app/__init__.py": "", "app/main.py": "from . import lifecycle\n", "app/lifecycle.py": ""})
    assert "path:app/lifecycle" in p.closure("path:app/main")


def test_closure_prefers_the_same_named_module_next_to_the_importer() -> None:
    # Regression: in a monorepo, `from app import create_app` in services/api/main.py pulled in
    # services/worker/app.py as well (and with it that service's Worker).
    p = project({
        "services/api/main.py": "from app import create_app\n",
        "services/api/app.py": "",
        "services/worker/app.py": "",
        "main.py": "from app import create_app\n",  # neither is importable from here: both stay
    })
    assert p.closure("path:services/api/main") == ["path:services/api/main", "path:services/api/app"]
    assert set(p.closure("path:main")) == {"path:main", "path:services/api/app", "path:services/worker/app"}


def test_ambiguous_modules_are_not_resolved() -> None:
    p = project({"orders/settings.py": "", "payments/settings.py": ""})
    assert sorted(p.resolve_module("mod:settings")) == ["path:orders/settings", "path:payments/settings"]
    assert p.lookup(__import__("tprlint.facts.python.values", fromlist=["Ref"]).Ref("mod:settings", "X")) is None


@pytest.mark.parametrize(
    ("kind", "target", "expected"),
    [
        ("module", "billing.worker", "path:src/billing/worker/__main__"),
        ("module", "billing.worker.factory", "path:src/billing/worker/factory"),
        ("script", "/app/src/billing/worker/factory.py", "path:src/billing/worker/factory"),
        ("script", "worker/factory.py", "path:src/billing/worker/factory"),
        ("module", "nowhere", None),
    ],
)
def test_launch_targets(kind: str, target: str, expected: str | None) -> None:
    p = project({
        "src/billing/worker/__init__.py": "",
        "src/billing/worker/__main__.py": "",
        "src/billing/worker/factory.py": "",
    })
    assert resolve_launch_target(p, kind, target) == expected


# -- TPR101 through the engine ---------------------------------------------------------------------


def test_tpr101_django_management_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_shape(tmp_path, monkeypatch, "django_command", "TPR101")
    assert [(p, line) for p, line, _ in found] == [("orders/management/commands/run_temporal_worker.py", 23)]
    assert "sets no graceful_shutdown_timeout" in found[0][2]


def test_tpr101_silent_when_options_come_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint_shape(tmp_path, monkeypatch, "django_command_settings", "TPR101") == []


def test_tpr101_names_the_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_shape(tmp_path, monkeypatch, "billing_src_layout", "TPR101")
    assert [(p, line) for p, line, _ in found] == [("src/billing/worker/__main__.py", 18)]
    assert found[0][2].startswith("The Worker built through build_worker() at src/billing/worker/factory.py:9 ")


def test_tpr103_silent_when_handler_is_in_an_imported_module(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint_shape(tmp_path, monkeypatch, "billing_src_layout", "TPR103") == []


def test_tpr101_service_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_shape(tmp_path, monkeypatch, "worker_service_class", "TPR101")
    assert [(p, line) for p, line, _ in found] == [("notifications/service.py", 31)]


def test_tpr103_service_class_with_signal_signal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint_shape(tmp_path, monkeypatch, "worker_service_class", "TPR103") == []


def test_tpr101_never_judges_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = "from temporalio.worker import Worker\n\nasync def run(client):\n" \
             "    async with Worker(client, task_queue='q'):\n        pass\n"
    found = lint_tree(tmp_path, monkeypatch, {
        "tests/test_workflows.py": worker,
        "tests/integration/helpers.py": worker,
        "app/conftest.py": worker,
        "app/worker_test.py": worker,
        "app/test_worker.py": worker,
        "testing/fixtures.py": worker,
    }, "TPR101")
    assert found == []


def test_tpr101_settings_object_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "app/config.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n"
                         "    worker_options: dict = {}\n\nsettings = Settings()\n",
        "app/worker.py": "from temporalio.worker import Worker\nfrom app.config import settings\n\n"
                         "def build(client):\n"
                         "    return Worker(client, task_queue='q', **settings.worker_options)\n",
    }, "TPR101")
    assert found == []


def test_tpr101_resolves_zero_through_a_constant_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/settings.py": "from datetime import timedelta\nDRAIN = timedelta(seconds=0)\n",
        "app/worker.py": "from temporalio.worker import Worker\nfrom . import settings\n\n"
                         "worker = Worker(client, task_queue='q', graceful_shutdown_timeout=settings.DRAIN)\n",
    }, "TPR101")
    assert [(p, line) for p, line, _ in found] == [("app/worker.py", 4)]
    assert "to 0 s" in found[0][2]


def test_tpr101_silent_on_a_non_worker_class_taking_task_queue(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "app/starter.py": "from temporalio.client import Client\n\nclass BaseStarter:\n"
                          "    def __init__(self, client: Client, task_queue: str):\n"
                          "        self.client, self.task_queue = client, task_queue\n\n"
                          "class OrderStarter(BaseStarter):\n"
                          "    def __init__(self, client: Client, **kwargs):\n"
                          "        super().__init__(client, **kwargs)\n",
        "app/main.py": "from app.starter import OrderStarter\n\nstarter = OrderStarter(client, task_queue='orders')\n",
    }, "TPR101")
    assert found == []


# -- TPR103 through the engine ---------------------------------------------------------------------

MAIN = """\
import asyncio
{imports}
from temporalio.client import Client
from temporalio.worker import Worker


async def main() -> None:
    client = await Client.connect("temporal:7233")
    {setup}
    worker = Worker(client, task_queue="orders", workflows=[])
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
"""
LIFECYCLE = """\
import asyncio
import signal


def install_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
"""


def main_module(imports: str = "", setup: str = "pass") -> str:
    return MAIN.format(imports=imports, setup=setup)


def test_tpr103_fires_without_any_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {"app/main.py": main_module()}, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("app/main.py", 11)]


@pytest.mark.parametrize(
    ("imports", "setup"),
    [
        ("from .lifecycle import install_handlers", "install_handlers(asyncio.Event())"),
        ("from app.lifecycle import install_handlers", "install_handlers(asyncio.Event())"),
        ("from app import lifecycle", "lifecycle.install_handlers(asyncio.Event())"),
        ("from . import lifecycle", "lifecycle.install_handlers(asyncio.Event())"),
        ("import app.lifecycle", "app.lifecycle.install_handlers(asyncio.Event())"),
    ],
)
def test_tpr103_handler_in_an_imported_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str,
                                              setup: str) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/main.py": main_module(imports, setup), "app/lifecycle.py": LIFECYCLE,
    }, "TPR103")
    assert found == []


@pytest.mark.parametrize(
    ("imports", "setup"),
    [
        ("import signal", "signal.signal(signal.SIGTERM, lambda *_: asyncio.get_event_loop().stop())"),
        ("import signal", "loop = asyncio.get_running_loop()\n"
                          "    for s in (signal.SIGINT, signal.SIGTERM):\n"
                          "        loop.add_signal_handler(s, lambda: None)"),
        ("from signal import SIGTERM", "asyncio.get_running_loop().add_signal_handler(SIGTERM, lambda: None)"),
    ],
)
def test_tpr103_handler_in_the_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str,
                                          setup: str) -> None:
    assert lint_tree(tmp_path, monkeypatch, {"app/main.py": main_module(imports, setup)}, "TPR103") == []


def test_tpr103_sigint_only_fires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = "asyncio.get_running_loop().add_signal_handler(signal.SIGINT, lambda: None)"
    found = lint_tree(tmp_path, monkeypatch, {"app/main.py": main_module("import signal", setup)}, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("app/main.py", 11)]


def test_tpr103_uvicorn_app_handles_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {"api/main.py": """\
        import asyncio
        from contextlib import asynccontextmanager

        import uvicorn
        from fastapi import FastAPI
        from temporalio.client import Client
        from temporalio.worker import Worker


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            client = await Client.connect("temporal:7233")
            worker = Worker(client, task_queue="api-side-tasks", workflows=[])
            task = asyncio.create_task(worker.run())
            yield
            await worker.shutdown()
            await task


        app = FastAPI(lifespan=lifespan)

        if __name__ == "__main__":
            uvicorn.run(app, host="0.0.0.0", port=8000)
    """}, "TPR103")
    assert found == []


def test_tpr103_package_main_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "orders/__init__.py": "",
        "orders/__main__.py": "import asyncio\n\nfrom orders.worker import serve\n\nasyncio.run(serve())\n",
        "orders/worker.py": "from temporalio.client import Client\nfrom temporalio.worker import Worker\n\n\n"
                            "async def serve() -> None:\n"
                            "    client = await Client.connect('temporal:7233')\n"
                            "    await Worker(client, task_queue='orders', workflows=[]).run()\n",
    }, "TPR103")
    assert len(found) == 1
    assert "installs a SIGTERM handler" in found[0][2]


def test_tpr103_package_main_with_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "orders/__init__.py": "",
        "orders/__main__.py": "import asyncio\n\nfrom orders.worker import serve\n\nasyncio.run(serve())\n",
        "orders/worker.py": "import asyncio\nimport signal\n\nfrom temporalio.client import Client\n"
                            "from temporalio.worker import Worker\n\n\nasync def serve() -> None:\n"
                            "    client = await Client.connect('temporal:7233')\n"
                            "    stop = asyncio.Event()\n"
                            "    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)\n"
                            "    async with Worker(client, task_queue='orders', workflows=[]):\n"
                            "        await stop.wait()\n",
    }, "TPR103")
    assert found == []


def test_tpr103_import_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": main_module("from app import registry", "registry.load()"),
        "app/registry.py": "from app import plugins\n\ndef load():\n    return plugins.ALL\n",
        "app/plugins.py": "from app import registry\n\nALL = []\n",
    }
    found = lint_tree(tmp_path, monkeypatch, files, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("app/main.py", 11)]
    (tmp_path / "app/plugins.py").write_text(
        "import signal\n\nfrom app import registry\n\nALL = []\n\n"
        "def install(loop, stop):\n    loop.add_signal_handler(signal.SIGTERM, stop.set)\n")
    assert lint(tmp_path, "TPR103") == []


def test_tpr103_monorepo_api_is_not_blamed_for_a_sibling_services_worker(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "services/worker/app.py": main_module(),
        "services/api/app.py": "from flask import Flask\n\n\ndef create_app() -> Flask:\n    return Flask(__name__)\n",
        "services/api/main.py": "from app import create_app\n\nif __name__ == '__main__':\n"
                                "    create_app().run(host='0.0.0.0')\n",
    }, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("services/worker/app.py", 11)]


def test_tpr103_library_module_is_not_an_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = main_module().split("\n\nif __name__")[0] + "\n"
    assert lint_tree(tmp_path, monkeypatch, {"lib/workers.py": library}, "TPR103") == []


def test_tpr103_test_entrypoints_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint_tree(tmp_path, monkeypatch, {"tests/run_local_worker.py": main_module()}, "TPR103") == []


def test_tpr103_client_script_importing_from_a_worker_entrypoint(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint_tree(tmp_path, monkeypatch, {
        "run_worker.py": """\
            import asyncio

            from temporalio import workflow
            from temporalio.client import Client
            from temporalio.worker import Worker


            @workflow.defn
            class Greeting:
                @workflow.run
                async def run(self, name: str) -> str:
                    return f"Hello, {name}"


            async def main() -> None:
                client = await Client.connect("localhost:7233")
                await Worker(client, task_queue="hello", workflows=[Greeting]).run()


            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "starter.py": """\
            import asyncio

            from temporalio.client import Client

            from run_worker import Greeting


            async def main() -> None:
                client = await Client.connect("localhost:7233")
                print(await client.execute_workflow(Greeting.run, "you", id="hello", task_queue="hello"))


            if __name__ == "__main__":
                asyncio.run(main())
        """,
    }, "TPR103")
    assert [p for p, _, _ in found] == ["run_worker.py"]  # the worker only, not the client script


def test_unknown_value_reasons_survive_the_project() -> None:
    (worker,) = workers({"app/main.py": T + "from app.cfg import GRACE\n"
                                            "w = Worker(c, task_queue='q', graceful_shutdown_timeout=GRACE)\n"})
    assert isinstance(worker.graceful, Unknown) and "GRACE" in worker.graceful.reason


class _Statements:
    """A module source whose module `app/boot.py` is read through its import statements, then parsed."""

    def __init__(self) -> None:
        self.reached: set[str] = set()
        self.parsed = False
        self._statements = [ImportedModule("mod:app.worker")]
        self._parse = extract_python(
            ast.parse("from app.worker import run\n_ = 0; import app.handlers\n"), "app/boot.py").imports

    def load(self, key: str) -> PythonFacts | None:
        return None

    def imports_of(self, key: str) -> list[ImportedModule] | None:
        return self._parse if self.parsed else self._statements

    def path_of(self, key: str) -> str | None:
        return "app/boot.py"

    def defining(self, keys: Iterable[str], name: str) -> list[PythonFacts]:
        return []

    def import_memo(self, known: frozenset[str]) -> dict[tuple[str, str], list[str]]:
        return {}


def test_what_a_module_imports_is_worked_out_again_once_it_is_parsed() -> None:
    # Its import statements miss `_ = 0; import app.handlers`; the parse does not.
    source = _Statements()
    keys = ["path:app/boot", "path:app/worker", "path:app/handlers"]
    python = PythonProject([], keys, loader=source)
    assert python.imported_project_modules("path:app/boot") == {"path:app/worker"}
    source.parsed = True
    assert python.imported_project_modules("path:app/boot") == {"path:app/worker", "path:app/handlers"}
