"""Static values of ``graceful_shutdown_timeout``: what tprlint folds, and what it must leave unknown.

Each case is the argument of a real ``Worker(...)`` call in a small module, resolved the way the
rules see it (extraction, then ``PythonProject.fold`` against every module of the tree).
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.names import split_qualname
from tprlint.facts.python.values import Dur, Expr, Lit, Missing, Unknown, apply_op, describe_seconds, fold
from tprlint.link.python_project import PythonProject

HEADER = """\
import datetime
import datetime as dt
import os
from datetime import timedelta
from os import environ, getenv

from temporalio.worker import Worker
"""


def project(files: dict[str, str]) -> PythonProject:
    return PythonProject(extract_python(ast.parse(textwrap.dedent(src)), path) for path, src in files.items())


def graceful_in(files: dict[str, str]) -> Expr:
    """The folded timeout of the one Worker the tree builds."""
    workers = project(files).workers
    assert len(workers) == 1, workers
    return workers[0].graceful


def graceful(expr: str, prelude: str = "") -> Expr:
    source = HEADER + textwrap.dedent(prelude) + (
        f"\nworker = Worker(client, task_queue='orders', graceful_shutdown_timeout={expr})\n"
    )
    return graceful_in({"app/worker.py": source})


# -- one module ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [
        ("timedelta(0, 30)", 30),  # positional: days, seconds
        ("timedelta(1)", 86400),
        ("timedelta(0, 0, 0, 1500)", 1.5),  # days, seconds, microseconds, milliseconds
        ("timedelta(minutes=5)", 300),
        ("timedelta(hours=1, minutes=30)", 5400),
        ("timedelta(weeks=0, seconds=90)", 90),
        ("timedelta(seconds=1.5 * 60)", 90),
        ("datetime.timedelta(minutes=2)", 120),
        ("dt.timedelta(seconds=45)", 45),
        ("timedelta(minutes=5) * 2", 600),
        ("2 * timedelta(minutes=5)", 600),
        ("timedelta(minutes=1) + timedelta(seconds=30)", 90),
        ("timedelta(minutes=1) + timedelta(seconds=30) + timedelta(milliseconds=500)", 90.5),
        ("timedelta(minutes=10) - timedelta(minutes=1)", 540),
        ("timedelta(minutes=10) / 4", 150),
        ("timedelta()", 0),
        ("timedelta(seconds=0)", 0),
    ],
)
def test_timedelta_forms_fold_to_seconds(expr: str, seconds: float) -> None:
    value = graceful(expr)
    assert isinstance(value, Dur), value
    assert value.seconds == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("expr", "seconds", "variable"),
    [
        ('timedelta(seconds=int(os.environ.get("DRAIN_SECONDS", "300")))', 300, "DRAIN_SECONDS"),
        ('timedelta(seconds=int(os.environ.get("DRAIN_SECONDS", 120)))', 120, "DRAIN_SECONDS"),
        ('timedelta(seconds=int(os.getenv("GRACE", default="30")))', 30, "GRACE"),
        ('timedelta(seconds=float(os.getenv("GRACE", "2.5")))', 2.5, "GRACE"),
        ('timedelta(seconds=int(os.environ.get("GRACE") or "45"))', 45, "GRACE"),
        ('timedelta(seconds=int(environ.get("GRACE", "9")))', 9, "GRACE"),
        ('timedelta(minutes=int(getenv("GRACE_MINUTES", "5")))', 300, "GRACE_MINUTES"),
        ('timedelta(seconds=int(os.environ.setdefault("GRACE", "60")))', 60, "GRACE"),
    ],
)
def test_environment_defaults_apply_and_are_noted(expr: str, seconds: float, variable: str) -> None:
    value = graceful(expr)
    assert isinstance(value, Dur), value
    assert value.seconds == pytest.approx(seconds)
    assert variable in value.note and "default" in value.note


def test_module_constants_chain() -> None:
    value = graceful("timedelta(seconds=B)", "A = 60\nB = A * 5\n")
    assert value == Dur(300.0)


def test_a_constant_built_from_the_environment_keeps_its_note() -> None:
    value = graceful("GRACE", 'GRACE = timedelta(seconds=int(os.environ.get("GRACE_S", "90")))\n')
    assert isinstance(value, Dur) and value.seconds == 90 and "GRACE_S" in value.note


@pytest.mark.parametrize(
    ("expr", "prelude"),
    [
        pytest.param('timedelta(seconds=int(os.environ["GRACE"]))', "", id="environ-subscript"),
        pytest.param('timedelta(seconds=int(os.environ.get("GRACE")))', "", id="env-without-default"),
        pytest.param("timedelta(seconds=int(os.environ.get(NAME, '30')))", "NAME = input()\n", id="env-computed-name"),
        pytest.param("timedelta(seconds=A)", "A = 60\nif os.environ.get('FAST'):\n    A = 0\n", id="reassigned"),
        pytest.param("timedelta(seconds=A)", "A = 60\nA += 0\n", id="augmented"),
        pytest.param("timedelta(seconds=A)", "A, B = 60, 0\n", id="unpacked"),
        pytest.param("timedelta(seconds=A)", "for A in (0, 60):\n    pass\n", id="loop-variable"),
        pytest.param("load_grace()", "def load_grace():\n    return timedelta(0)\n", id="function-result"),
        pytest.param("timedelta(**GRACE_PARTS)", "GRACE_PARTS = {'seconds': 0}\n", id="timedelta-kwargs"),
        pytest.param("timedelta(minutes=5) // timedelta(minutes=1)", "", id="ratio-is-not-a-duration"),
        pytest.param("UNDEFINED", "", id="undefined-name"),
        pytest.param("settings.WORKER_GRACE", "from django.conf import settings\n", id="django-settings"),
    ],
)
def test_values_tprlint_cannot_know_stay_unknown(expr: str, prelude: str) -> None:
    value = graceful(expr, prelude)
    assert isinstance(value, Unknown), value


def test_function_parameters_are_unknown() -> None:
    source = HEADER + textwrap.dedent("""
        def make(client, grace_seconds):
            return Worker(client, task_queue="q", graceful_shutdown_timeout=timedelta(seconds=grace_seconds))
    """)
    value = graceful_in({"app/worker.py": source})
    assert isinstance(value, Unknown) and "parameter" in value.reason


def test_a_parameter_shadows_a_module_constant_of_the_same_name() -> None:
    source = HEADER + textwrap.dedent("""
        GRACE = timedelta(0)

        def make(client, GRACE):
            return Worker(client, task_queue="q", graceful_shutdown_timeout=GRACE)
    """)
    assert isinstance(graceful_in({"app/worker.py": source}), Unknown)


def test_missing_keyword_is_missing_not_zero() -> None:
    source = HEADER + "worker = Worker(client, task_queue='orders')\n"
    assert graceful_in({"app/worker.py": source}) == Missing()


def test_try_import_with_fallback_is_not_a_constant() -> None:
    # Regression: the `except ImportError:` assignment used to be taken as the only value.
    value = graceful("GRACE", """
        try:
            from app.local_settings import GRACE
        except ImportError:
            GRACE = timedelta(0)
    """)
    assert isinstance(value, Unknown)


def test_global_rebinding_in_a_function_is_not_a_constant() -> None:
    # Regression: `global GRACE; GRACE = ...` in a setup function was ignored.
    value = graceful("GRACE", """
        GRACE = timedelta(0)

        def configure(seconds):
            global GRACE
            GRACE = timedelta(seconds=seconds)
    """)
    assert isinstance(value, Unknown)


def test_a_local_of_the_same_name_in_a_function_does_not_disturb_a_constant() -> None:
    value = graceful("GRACE", """
        GRACE = timedelta(minutes=2)

        def report():
            GRACE = "unused"
            return GRACE
    """)
    assert value == Dur(120.0)


# -- across modules --------------------------------------------------------------------------

SETTINGS = """\
from datetime import timedelta

DRAIN = timedelta(minutes=2)
DRAIN_SECONDS = 150
"""


def worker_module(import_line: str, expr: str) -> str:
    return f"{import_line}\nfrom temporalio.worker import Worker\nfrom datetime import timedelta\n\n" \
           f"worker = Worker(client, task_queue='q', graceful_shutdown_timeout={expr})\n"


@pytest.mark.parametrize(
    ("import_line", "expr", "seconds"),
    [
        ("from .settings import DRAIN", "DRAIN", 120),
        ("from app.settings import DRAIN", "DRAIN", 120),
        ("from app.settings import DRAIN as GRACE", "GRACE", 120),
        ("from app import settings", "settings.DRAIN", 120),
        ("from . import settings", "settings.DRAIN", 120),  # regression: `path:app.settings` was not split
        ("import app.settings", "app.settings.DRAIN", 120),
        ("import app.settings as cfg", "cfg.DRAIN", 120),
        ("from .settings import DRAIN_SECONDS", "timedelta(seconds=DRAIN_SECONDS)", 150),
        ("from app.settings import DRAIN", "DRAIN * 2", 240),
        ("from app.settings import DRAIN_SECONDS", "timedelta(seconds=DRAIN_SECONDS + 30)", 180),
    ],
)
def test_constants_imported_from_project_modules(import_line: str, expr: str, seconds: float) -> None:
    value = graceful_in({
        "app/__init__.py": "",
        "app/settings.py": SETTINGS,
        "app/worker.py": worker_module(import_line, expr),
    })
    assert isinstance(value, Dur), value
    assert value.seconds == seconds


def test_relative_import_from_a_parent_package() -> None:
    value = graceful_in({
        "svc/orders/settings.py": "from datetime import timedelta\nDRAIN = timedelta(0)\n",
        "svc/orders/workers/main.py": worker_module("from ..settings import DRAIN", "DRAIN"),
    })
    assert value == Dur(0.0)


def test_src_layout_absolute_import() -> None:
    value = graceful_in({
        "src/billing/config.py": "import os\nGRACE_S = int(os.getenv('GRACE_S', '75'))\n",
        "src/billing/worker.py": worker_module("from billing.config import GRACE_S", "timedelta(seconds=GRACE_S)"),
    })
    assert isinstance(value, Dur) and value.seconds == 75 and "GRACE_S" in value.note


def test_constant_defined_from_another_modules_constant() -> None:
    # Regression: `timedelta(minutes=MINUTES * 2)` with MINUTES imported was given up at extraction.
    value = graceful_in({
        "app/base.py": "MINUTES = 3\n",
        "app/settings.py": "from datetime import timedelta\nfrom app.base import MINUTES\n"
                           "DRAIN = timedelta(minutes=MINUTES * 2)\n",
        "app/worker.py": worker_module("from app.settings import DRAIN", "DRAIN"),
    })
    assert value == Dur(360.0)


def test_constant_re_exported_by_a_package_init() -> None:
    # Regression: `from .timeouts import DRAIN` in config/__init__.py made `from app.config import DRAIN`
    # unresolvable.
    value = graceful_in({
        "app/config/__init__.py": "from .timeouts import DRAIN\n\n__all__ = ['DRAIN']\n",
        "app/config/timeouts.py": "from datetime import timedelta\nDRAIN = timedelta(minutes=4)\n",
        "app/worker.py": worker_module("from app.config import DRAIN", "DRAIN"),
    })
    assert value == Dur(240.0)


def test_re_export_cycle_ends_unknown() -> None:
    value = graceful_in({
        "app/a.py": "from app.b import DRAIN\n",
        "app/b.py": "from app.a import DRAIN\n",
        "app/worker.py": worker_module("from app.a import DRAIN", "DRAIN"),
    })
    assert isinstance(value, Unknown)


def test_ambiguous_module_name_is_never_guessed() -> None:
    value = graceful_in({
        "orders/settings.py": "from datetime import timedelta\nDRAIN = timedelta(minutes=5)\n",
        "payments/settings.py": "from datetime import timedelta\nDRAIN = timedelta(0)\n",
        "orders/worker.py": worker_module("from settings import DRAIN", "DRAIN"),
    })
    assert isinstance(value, Unknown)


def test_relative_import_disambiguates_same_named_modules() -> None:
    value = graceful_in({
        "orders/settings.py": "from datetime import timedelta\nDRAIN = timedelta(minutes=5)\n",
        "payments/settings.py": "from datetime import timedelta\nDRAIN = timedelta(0)\n",
        "orders/worker.py": worker_module("from .settings import DRAIN", "DRAIN"),
    })
    assert value == Dur(300.0)


def test_constant_reassigned_in_its_module_is_unknown() -> None:
    value = graceful_in({
        "app/settings.py": "from datetime import timedelta\nDRAIN = timedelta(0)\nDRAIN = timedelta(minutes=5)\n",
        "app/worker.py": worker_module("from app.settings import DRAIN", "DRAIN"),
    })
    assert isinstance(value, Unknown)


def test_settings_overridden_by_a_trailing_star_import_is_unknown() -> None:
    # Regression: the Django pattern `from .local_settings import *` at the end of settings.py may
    # rebind anything assigned above it.
    value = graceful_in({
        "app/settings.py": "from datetime import timedelta\nDRAIN = timedelta(0)\n\ntry:\n"
                           "    from .local_settings import *\nexcept ImportError:\n    pass\n",
        "app/worker.py": worker_module("from app.settings import DRAIN", "DRAIN"),
    })
    assert isinstance(value, Unknown)


def test_names_assigned_after_a_star_import_stay_constants() -> None:
    value = graceful_in({
        "app/base_settings.py": "X = 1\n",
        "app/settings.py": "from datetime import timedelta\nfrom .base_settings import *\n"
                           "DRAIN = timedelta(minutes=1)\n",
        "app/worker.py": worker_module("from app.settings import DRAIN", "DRAIN"),
    })
    assert value == Dur(60.0)


def test_module_outside_the_project_is_unknown() -> None:
    value = graceful_in({"app/worker.py": worker_module("from shared_config import DRAIN", "DRAIN")})
    assert isinstance(value, Unknown) and "DRAIN" in value.reason


# -- the value algebra -------------------------------------------------------------------------


def test_fold_without_project_keeps_imported_names_symbolic() -> None:
    facts = extract_python(ast.parse("from datetime import timedelta\nfrom app.settings import S\n"
                                     "G = timedelta(seconds=S)\n"), "app/w.py")
    assert not isinstance(facts.constants["G"], (Dur, Unknown))  # waits for the project phase


def test_apply_op_rules() -> None:
    assert apply_op("*", Lit(2), Dur(30.0)) == Dur(60.0)
    assert isinstance(apply_op("+", Dur(1.0), Lit(1)), Unknown)  # timedelta + int is a TypeError
    assert isinstance(apply_op("/", Lit(2), Dur(30.0)), Unknown)  # number / timedelta is a TypeError
    assert apply_op("//", Lit(7), Lit(2)) == Lit(3)
    assert apply_op("int", Lit("300"), None) == Lit(300)
    assert isinstance(apply_op("int", Lit("5m"), None), Unknown)
    assert isinstance(apply_op("int", Lit(None), None), Unknown)
    assert apply_op("neg", Dur(5.0), None) == Dur(-5.0)
    assert isinstance(fold(Missing()), Missing)


def test_describe_seconds() -> None:
    assert describe_seconds(300) == "300 s (5 min)"
    assert describe_seconds(90) == "90 s"
    assert describe_seconds(1.5) == "1.5 s"


@pytest.mark.parametrize(
    ("qualname", "expected"),
    [
        ("app.settings.DRAIN", ("mod:app.settings", "DRAIN")),
        ("path:app/settings.DRAIN", ("path:app/settings", "DRAIN")),
        ("path:app.settings.DRAIN", ("path:app/settings", "DRAIN")),  # from . import settings
        ("path:app/sub.pkg.mod.X", ("path:app/sub/pkg/mod", "X")),  # from .sub import pkg; pkg.mod.X
        ("path:/srv/app/settings.X", ("path:/srv/app/settings", "X")),
        ("path:.settings.X", ("path:settings", "X")),  # `from . import settings` at the tree's root
        ("path:app/worker.build_worker", ("path:app/worker", "build_worker")),
        ("path:app", None),
        ("DRAIN", None),
    ],
)
def test_split_qualname(qualname: str, expected: tuple[str, str] | None) -> None:
    assert split_qualname(qualname) == expected
