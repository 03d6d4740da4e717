"""What extraction sees in one module: Worker constructions however they are spelled, the keyword
arguments they really get, runs, signal handlers and entrypoints."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tprlint.discover.classify import FileKind
from tprlint.facts.extract import extract_file
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.facts import PythonFacts, WorkerConstruction
from tprlint.facts.python.values import Dur, Missing, Unknown

WORKER = "temporalio.worker.Worker"


def facts(source: str, path: str = "app/worker.py") -> PythonFacts:
    return extract_python(ast.parse(textwrap.dedent(source)), path)


def only_worker(source: str, path: str = "app/worker.py") -> WorkerConstruction:
    found = facts(source, path).workers
    assert len(found) == 1, found
    return found[0]


# -- spelling of the constructor ------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "from temporalio.worker import Worker\nw = Worker(client, task_queue='q')",
        "from temporalio.worker import Worker as W\nw = W(client, task_queue='q')",
        "import temporalio.worker as tw\nw = tw.Worker(client, task_queue='q')",
        "import temporalio.worker\nw = temporalio.worker.Worker(client, task_queue='q')",
        "import temporalio\nw = temporalio.worker.Worker(client, task_queue='q')",
        "from temporalio import worker\nw = worker.Worker(client, task_queue='q')",
        "from temporalio import worker as temporal_worker\nw = temporal_worker.Worker(client, task_queue='q')",
        "from temporalio.worker import Worker\nasync def main(c):\n    async with Worker(c, task_queue='q'):\n"
        "        pass",
        # an import inside the function that builds it
        "async def main(c):\n    from temporalio.worker import Worker\n    await Worker(c, task_queue='q').run()",
    ],
)
def test_worker_constructor_spellings(source: str) -> None:
    construction = only_worker(source)
    assert construction.callee in (WORKER, "temporalio.worker._worker.Worker")
    assert construction.graceful == Missing()
    assert not construction.unresolved_splat


def test_positional_only_call_is_still_a_worker() -> None:
    # Worker's parameters after `client` are keyword-only, but the call is recognised by its class.
    construction = only_worker("from temporalio.worker import Worker\nw = Worker(client, **{'task_queue': 'q'})")
    assert construction.callee == WORKER and construction.graceful == Missing()


@pytest.mark.parametrize(
    "source",
    [
        "from rq import Worker\nw = Worker(['default'], connection=redis)",
        "from celery.apps.worker import Worker\nw = Worker(app=app, hostname='h')",
        # a project class of the same name shadows the import
        "from temporalio.worker import Worker\n\nclass Worker:\n    pass\n\nw = Worker()",
    ],
)
def test_other_workers_are_not_temporal_workers(source: str) -> None:
    assert facts(source).workers == []


def test_temporal_mentions() -> None:
    assert facts("from temporalio.client import Client\n").mentions_temporal
    assert not facts("import celery\n").mentions_temporal


# -- keyword arguments ------------------------------------------------------------------------

PRELUDE = "from datetime import timedelta\nfrom temporalio.worker import Worker\n"


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ("opts = {'task_queue': 'q', 'graceful_shutdown_timeout': timedelta(minutes=1)}\nw = Worker(c, **opts)", 60),
        ("opts = dict(task_queue='q', graceful_shutdown_timeout=timedelta(minutes=1))\nw = Worker(c, **opts)", 60),
        ("base = {'graceful_shutdown_timeout': timedelta(minutes=1)}\n"
         "w = Worker(c, **{**base, 'task_queue': 'q'})", 60),
        # later keys win, as in Python
        ("base = {'graceful_shutdown_timeout': timedelta(minutes=1)}\n"
         "w = Worker(c, **{**base, 'graceful_shutdown_timeout': timedelta(0)})", 0),
        ("base = {'graceful_shutdown_timeout': timedelta(0)}\n"
         "w = Worker(c, **{'graceful_shutdown_timeout': timedelta(minutes=1), **base})", 0),
        ("a = {'task_queue': 'q'}\nb = {'graceful_shutdown_timeout': timedelta(seconds=30)}\n"
         "w = Worker(c, **a, **b)", 30),
        ("def build(c):\n    opts = {'task_queue': 'q', 'graceful_shutdown_timeout': timedelta(seconds=20)}\n"
         "    return Worker(c, **opts)", 20),
        # a module-level dict read inside a function
        ("OPTS = {'task_queue': 'q', 'graceful_shutdown_timeout': timedelta(seconds=40)}\n"
         "def build(c):\n    return Worker(c, **OPTS)", 40),
    ],
)
def test_keyword_dicts_that_carry_the_timeout(body: str, seconds: float) -> None:
    construction = only_worker(PRELUDE + body)
    assert construction.graceful == Dur(float(seconds))
    assert not construction.unresolved_splat


@pytest.mark.parametrize(
    "body",
    [
        "opts = {'task_queue': 'q'}\nw = Worker(c, **opts)",
        "opts = dict(task_queue='q', max_concurrent_activities=5)\nw = Worker(c, **opts)",
        "base = {'task_queue': 'q'}\nw = Worker(c, **{**base, 'max_concurrent_activities': 5})",
    ],
)
def test_keyword_dicts_without_the_timeout_are_missing(body: str) -> None:
    construction = only_worker(PRELUDE + body)
    assert construction.graceful == Missing()
    assert not construction.unresolved_splat


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("opts = dict(BASE, task_queue='q')\nw = Worker(c, **opts)", id="dict-of-a-mapping"),
        pytest.param("opts = BASE | {'task_queue': 'q'}\nw = Worker(c, **opts)", id="union-expression"),
        pytest.param("from django.conf import settings\nw = Worker(c, **settings.TEMPORAL_WORKER_OPTIONS)",
                     id="settings-attribute"),
        pytest.param("w = Worker(c, **load_options())", id="call-result"),
        pytest.param("def build(c, options):\n    return Worker(c, **options)", id="parameter"),
        pytest.param("options = {'task_queue': 'q'}\ndef build(c, options):\n    return Worker(c, **options)",
                     id="parameter-shadows-module-dict"),  # regression: the module dict was used
        pytest.param("def build(c, opts):\n    opts = {**opts, 'task_queue': 'q'}\n    return Worker(c, **opts)",
                     id="self-referencing-rebuild"),  # regression: infinite recursion
    ],
)
def test_keywords_tprlint_cannot_see_are_unresolved_not_missing(body: str) -> None:
    construction = only_worker(PRELUDE + body)
    assert construction.graceful == Missing()
    assert construction.unresolved_splat.startswith("**")


# A dict built step by step (kwargs = {...}; kwargs["k"] = v; kwargs.update(...)): what is set on every
# path before the call has its value; what is set on some path only is possibly set (Unknown: a rule
# that needs the value stays silent); keys nobody sets are missing.
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("opts = {'task_queue': 'q'}\nopts['graceful_shutdown_timeout'] = timedelta(minutes=1)\n"
                     "w = Worker(c, **opts)", Dur(60.0), id="subscript-assignment"),
        pytest.param("opts = dict(task_queue='q')\nopts.update(graceful_shutdown_timeout=timedelta(minutes=1))\n"
                     "w = Worker(c, **opts)", Dur(60.0), id="update"),
        pytest.param("opts = dict(task_queue='q')\nopts.update({'graceful_shutdown_timeout': timedelta(seconds=9)})\n"
                     "w = Worker(c, **opts)", Dur(9.0), id="update-with-a-dict"),
        pytest.param("opts = dict(task_queue='q')\nopts.setdefault('graceful_shutdown_timeout', timedelta(minutes=1))\n"
                     "w = Worker(c, **opts)", Dur(60.0), id="setdefault"),
        pytest.param("opts = {'graceful_shutdown_timeout': timedelta(seconds=5)}\n"
                     "opts.setdefault('graceful_shutdown_timeout', timedelta(minutes=1))\nw = Worker(c, **opts)",
                     Dur(5.0), id="setdefault-keeps-what-is-there"),
        pytest.param("opts = {'task_queue': 'q'}\nopts |= {'graceful_shutdown_timeout': timedelta(minutes=1)}\n"
                     "w = Worker(c, **opts)", Dur(60.0), id="in-place-union"),
        pytest.param("from typing import Any\ndef build(c):\n    opts: dict[str, Any] = {'task_queue': 'q'}\n"
                     "    opts['graceful_shutdown_timeout'] = timedelta(minutes=1)\n    return Worker(c, **opts)",
                     Dur(60.0), id="annotated-then-set"),
        pytest.param("opts = {'task_queue': 'q', 'graceful_shutdown_timeout': timedelta(0)}\n"
                     "del opts['graceful_shutdown_timeout']\nw = Worker(c, **opts)", Missing(), id="del-key"),
        pytest.param("opts = {'task_queue': 'q'}\nw = Worker(c, **opts)\n"
                     "opts['graceful_shutdown_timeout'] = timedelta(minutes=1)", Missing(), id="set-after-the-call"),
        pytest.param("opts = {'task_queue': 'q'}\n\ndef tune(opts):\n    opts.setdefault('x', 1)\n\n"
                     "def unrelated():\n    opts = {}\n    opts['y'] = 2\n\n"
                     "def tune_module():\n    opts['max_concurrent_activities'] = 4\n\nw = Worker(c, **opts)",
                     Missing(), id="module-dict-changed-elsewhere-on-other-keys"),
    ],
)
def test_keyword_dicts_built_step_by_step(body: str, expected: object) -> None:
    construction = only_worker(PRELUDE + body)
    assert construction.graceful == expected
    assert not construction.unresolved_splat


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("def build(c, long_running):\n    opts = {'task_queue': 'q'}\n    if long_running:\n"
                     "        opts['graceful_shutdown_timeout'] = timedelta(minutes=10)\n    return Worker(c, **opts)",
                     id="conditional-subscript"),
        pytest.param("OPTS = {'task_queue': 'q'}\n\ndef configure(seconds):\n"
                     "    OPTS['graceful_shutdown_timeout'] = timedelta(seconds=seconds)\n\nw = Worker(c, **OPTS)",
                     id="module-dict-set-in-a-function"),
        pytest.param("OPTS = {'task_queue': 'q'}\n\ndef configure(grace):\n"
                     "    OPTS.update(graceful_shutdown_timeout=grace)\n\ndef build(c):\n    return Worker(c, **OPTS)",
                     id="module-dict-updated-in-a-function"),
        pytest.param("opts = {'task_queue': 'q'}\nfor key, value in EXTRA.items():\n    opts[key] = value\n"
                     "w = Worker(c, **opts)", id="computed-key"),
    ],
)
def test_a_key_set_on_some_path_only_is_possibly_set(body: str) -> None:
    construction = only_worker(PRELUDE + body)
    assert isinstance(construction.graceful, Unknown) or construction.unresolved_splat.startswith("**")


def test_parameters_and_locals_of_the_same_name_do_not_taint_a_module_dict() -> None:
    construction = only_worker(PRELUDE + textwrap.dedent("""
        OPTS = {"task_queue": "q"}

        def tune(OPTS):
            OPTS["graceful_shutdown_timeout"] = timedelta(minutes=1)

        def unrelated():
            OPTS = {}
            OPTS["x"] = 1

        w = Worker(c, **OPTS)
    """))
    assert construction.graceful == Missing() and not construction.unresolved_splat


def test_explicit_keyword_beats_an_unseen_splat() -> None:
    construction = only_worker(PRELUDE + "w = Worker(c, graceful_shutdown_timeout=timedelta(0), **load())")
    assert construction.graceful == Dur(0.0)  # a duplicate would be a TypeError: the explicit one counts


def test_self_referencing_options_do_not_break_the_file() -> None:
    # Regression: `opts = {**opts}` recursed until RecursionError, and the whole module became a
    # "nested too deeply" parse error (TPR001) with no facts at all.
    source = PRELUDE + textwrap.dedent("""
        def build(client, opts):
            opts = {**opts, "task_queue": "q"}
            return Worker(client, **opts)

        if __name__ == "__main__":
            build(None, {})
    """)
    result = extract_file("app/worker.py", FileKind.PYTHON, source.encode())
    assert result.error is None
    assert result.python is not None and result.python.main_guard is not None


# -- wrappers ---------------------------------------------------------------------------------


def test_factory_forwarding_kwargs() -> None:
    construction = only_worker(PRELUDE + "def build_worker(client, **kwargs):\n    return Worker(client, **kwargs)\n")
    assert construction.forwards_kwargs and construction.function == "build_worker"
    assert not construction.unresolved_splat


@pytest.mark.parametrize(
    "body",
    [
        "    kwargs.setdefault('graceful_shutdown_timeout', timedelta(minutes=5))\n",
        "    kwargs['graceful_shutdown_timeout'] = timedelta(minutes=5)\n",
        "    kwargs = {'graceful_shutdown_timeout': timedelta(minutes=5), **kwargs}\n",
    ],
)
def test_factory_that_adds_to_its_kwargs_is_unresolved(body: str) -> None:
    # Regression: these factories were taken as plain pass-throughs, so callers were told the
    # timeout is missing.
    source = PRELUDE + "def build_worker(client, **kwargs):\n" + body + "    return Worker(client, **kwargs)\n"
    construction = only_worker(source)
    assert construction.forwards_kwargs
    assert construction.unresolved_splat == "**kwargs"


@pytest.mark.parametrize(
    "init_call",
    [
        "super().__init__(client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)",
        "super(DrainingWorker, self).__init__(client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)",
        "Worker.__init__(self, client, graceful_shutdown_timeout=timedelta(minutes=5), **kwargs)",  # regression
    ],
)
def test_subclass_init_is_recorded_as_the_subclass(init_call: str) -> None:
    source = PRELUDE + textwrap.dedent(f"""
        class DrainingWorker(Worker):
            def __init__(self, client, **kwargs):
                {init_call}
    """)
    module = facts(source)
    construction = only_worker(source)
    assert construction.in_subclass_init == "DrainingWorker"
    assert construction.forwards_kwargs
    assert construction.graceful == Dur(300.0)
    assert module.classes["DrainingWorker"].bases == (WORKER,)


def test_project_callee_with_task_queue_is_recorded_for_the_project_phase() -> None:
    construction = only_worker("from app.factory import build_worker\nw = build_worker(client, task_queue='q')\n")
    assert construction.callee == "app.factory.build_worker"


def test_calls_without_worker_keywords_are_not_constructions() -> None:
    assert facts("from app.factory import build_worker\nw = build_worker(client)\n").workers == []


# -- runs -------------------------------------------------------------------------------------


def test_worker_held_by_an_object_and_run_from_a_method() -> None:
    module = facts(PRELUDE + textwrap.dedent("""
        class WorkerService:
            def __init__(self, client):
                self.client = client

            async def start(self):
                self.worker = Worker(self.client, task_queue="q", graceful_shutdown_timeout=timedelta(seconds=30))
                await self.worker.run()
    """))
    assert [w.function for w in module.workers] == ["WorkerService.start"]
    assert module.workers[0].graceful == Dur(30.0)
    assert [r.how for r in module.runs] == ["self.worker.run()"]


@pytest.mark.parametrize(
    ("body", "how"),
    [
        ("    worker = Worker(c, task_queue='q')\n    await worker.run()\n", "worker.run()"),
        ("    async with Worker(c, task_queue='q'):\n        await stop.wait()\n", "async with"),
        ("    w = Worker(c, task_queue='q')\n    async with w:\n        await stop.wait()\n", "async with"),
        ("    a = Worker(c, task_queue='a')\n    b = Worker(c, task_queue='b')\n"
         "    await asyncio.gather(a.run(), b.run())\n", "a.run()"),
    ],
)
def test_runs(body: str, how: str) -> None:
    module = facts("import asyncio\n" + PRELUDE + "async def main(c, stop):\n" + body)
    assert how in [r.how for r in module.runs]


def test_run_of_something_else_is_not_a_worker_run() -> None:
    from tprlint.link.python_project import PythonProject

    module = facts("import uvicorn\nserver = uvicorn.Server(config)\nserver.run()\napp.run()\n")
    # What `uvicorn.Server` gives only the project can tell (a project factory might return a Worker):
    # the file keeps the run with its callee, and the project, finding no such factory, drops it.
    assert [(r.how, r.builder) for r in module.runs] == [("server.run()", "uvicorn.Server")]
    assert PythonProject([module]).runs(module) == []


# -- signals and entrypoints ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "signals", "mechanism"),
    [
        ("import signal\nsignal.signal(signal.SIGTERM, handler)", ("SIGTERM",), "signal.signal"),
        ("from signal import SIGTERM, signal as install\ninstall(SIGTERM, handler)", ("SIGTERM",), "signal.signal"),
        ("import signal\nloop.add_signal_handler(signal.SIGINT, stop.set)", ("SIGINT",), "loop.add_signal_handler"),
        ("import signal\nloop.add_signal_handler(signal.Signals.SIGTERM, stop.set)", ("SIGTERM",),
         "loop.add_signal_handler"),
        ("import signal\nfor s in (signal.SIGINT, signal.SIGTERM):\n    loop.add_signal_handler(s, stop.set)",
         ("SIGINT", "SIGTERM"), "loop.add_signal_handler"),
        ("import signal\nfor s in [signal.SIGINT]:\n    signal.signal(s, handler)", ("SIGINT",), "signal.signal"),
        ("import signal\nfor name in NAMES:\n    loop.add_signal_handler(getattr(signal, name), stop.set)", ("?",),
         "loop.add_signal_handler"),
        ("import uvicorn\nuvicorn.run(app, host='0.0.0.0')", ("SIGTERM", "SIGINT"), "uvicorn.run"),
    ],
)
def test_signal_handlers(source: str, signals: tuple[str, ...], mechanism: str) -> None:
    handlers = facts(source).signal_handlers
    assert [(h.signals, h.mechanism) for h in handlers] == [(signals, mechanism)]


def test_sigint_only_does_not_handle_sigterm() -> None:
    (handler,) = facts("import signal\nloop.add_signal_handler(signal.SIGINT, stop.set)").signal_handlers
    assert not handler.handles_sigterm


def test_entrypoints() -> None:
    assert facts("if __name__ == '__main__':\n    main()\n").is_entrypoint
    assert facts("if '__main__' == __name__:\n    main()\n").is_entrypoint
    assert facts("import asyncio\nasyncio.run(main())\n", "pkg/__main__.py").is_entrypoint
    assert not facts("def main():\n    pass\n", "pkg/worker.py").is_entrypoint


def test_module_keys_and_imports() -> None:
    module = facts("from . import settings\nfrom .factory import build_worker\nimport app.lifecycle\n", "app/main.py")
    assert module.key == "path:app/main"
    assert [(i.key, i.names) for i in module.imports] == [
        ("path:app", ("settings",)), ("path:app/factory", ("build_worker",)), ("mod:app.lifecycle", ()),
    ]
    assert facts("", "app/__init__.py").key == "path:app"


def test_unknown_reasons_are_kept_for_messages() -> None:
    construction = only_worker(PRELUDE + "def build(c, grace):\n    return Worker(c, task_queue='q', "
                                         "graceful_shutdown_timeout=grace)\n")
    assert isinstance(construction.graceful, Unknown) and "grace" in construction.graceful.reason
