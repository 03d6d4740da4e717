from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.link.commands import PythonLaunch, parse_launch, split_shell_commands, split_shell_form

M, S, C = "module", "script", "console_script"

# (argv, expected (kind, target, pid1) or None)
CASES: list[tuple[list[str], tuple[str, str, bool] | None]] = [
    # Plain interpreters, options before the target.
    (["python", "-m", "orders.worker"], (M, "orders.worker", True)),
    (["python3", "-u", "-m", "orders.worker", "--queue", "q"], (M, "orders.worker", True)),
    (["python3.12", "-X", "dev", "-W", "ignore", "-O", "-m", "w"], (M, "w", True)),
    (["/usr/local/bin/python", "app/worker.py", "--flag"], (S, "app/worker.py", True)),
    ([".venv/bin/python", "-OO", "-Wignore::DeprecationWarning", "-mpkg.main"], (M, "pkg.main", True)),
    (["python", "-uB", "worker.py"], (S, "worker.py", True)),
    (["python", "--check-hash-based-pycs", "never", "-m", "w"], (M, "w", True)),
    (["python", "-X", "importtime", "--", "run.py"], (S, "run.py", True)),
    (["pypy3", "main.py"], (S, "main.py", True)),
    # Not a program we can analyse.
    (["python", "-c", "import w; w.main()"], None),
    (["python"], None),
    (["python", "-m"], None),
    (["python", "--version"], None),
    (["python", "-", "arg"], None),
    (["python-config", "--cflags"], None),
    (["celery", "-A", "orders", "worker"], None),
    (["gunicorn", "app:app"], None),
    (["/docker-entrypoint.sh", "python", "-m", "w"], None),
    (["sh", "entrypoint.sh"], None),
    ([], None),
    # Init processes stay PID 1.
    (["tini", "--", "python", "-m", "w"], (M, "w", False)),
    (["/sbin/tini", "-g", "--", "python", "-m", "w"], (M, "w", False)),
    (["tini", "-p", "SIGTERM", "python", "w.py"], (S, "w.py", False)),
    (["dumb-init", "python", "w.py"], (S, "w.py", False)),
    (["/usr/bin/dumb-init", "--", "python", "-m", "w"], (M, "w", False)),
    (["dumb-init", "--rewrite", "15:2", "python", "-m", "w"], (M, "w", False)),
    # exec-style wrappers keep PID 1.
    (["gosu", "app", "python", "-m", "w"], (M, "w", True)),
    (["su-exec", "app:app", "python", "-m", "w"], (M, "w", True)),
    (["env", "-u", "DEBUG", "PYTHONUNBUFFERED=1", "python", "-m", "w"], (M, "w", True)),
    (["exec", "python", "-m", "w"], (M, "w", True)),
    (["poetry", "run", "python", "-m", "w"], (M, "w", True)),
    (["poetry", "-C", "svc", "run", "python", "w.py"], (S, "w.py", True)),
    (["pipenv", "run", "python", "-m", "w"], (M, "w", True)),
    (["opentelemetry-instrument", "--traces_exporter", "otlp", "python", "-m", "w"], (M, "w", True)),
    (["opentelemetry-instrument", "--service_name=orders", "python", "w.py"], (S, "w.py", True)),
    (["ddtrace-run", "python", "-m", "w"], (M, "w", True)),
    (["newrelic-admin", "run-program", "python", "-m", "w"], (M, "w", True)),
    (["newrelic-admin", "run-python", "-m", "w"], (M, "w", True)),
    (["tini", "--", "ddtrace-run", "python", "-m", "w"], (M, "w", False)),
    (["poetry", "install"], None),
    # uv run keeps itself as the parent process.
    (["uv", "run", "python", "-m", "w"], (M, "w", False)),
    (["uv", "run", "--frozen", "--no-dev", "--with", "rich", "python", "-m", "w"], (M, "w", False)),
    (["uv", "run", "-m", "w"], (M, "w", False)),
    (["uv", "run", "worker.py"], (S, "worker.py", False)),
    (["uv", "run", "--", "orders-worker"], (C, "orders-worker", False)),
    (["poetry", "run", "celery", "-A", "x", "worker"], (C, "celery", True)),
    (["uv", "run", "bash", "-c", "echo hi"], None),
    (["uv", "run", "node", "x.js"], None),
    (["uv", "pip", "install", "x"], None),
    # Shells: the last Python command wins; only `exec` replaces the shell.
    (["sh", "-c", "python manage.py migrate && python -m orders.worker"], (M, "orders.worker", False)),
    (["/bin/sh", "-c", "python -m orders.worker"], (M, "orders.worker", False)),
    (["/bin/bash", "-lc", "alembic upgrade head; exec python -m orders.worker"], (M, "orders.worker", True)),
    (["bash", "-ec", "cd /app\nexec python3 -u worker.py\n"], (S, "worker.py", True)),
    (["sh", "-c", "exec python -m w 2>&1 | tee /tmp/log"], (M, "w", False)),
    (["sh", "-c", "python -m w &\nwait"], (M, "w", False)),
    (["sh", "-c", "(exec python -m w)"], (M, "w", False)),
    (["sh", "-c", "exec tini -- python -m w"], (M, "w", False)),
    (["sh", "-c", "exec gosu app python -m w"], (M, "w", True)),
    (["sh", "-c", "FOO=1 exec python -m w"], (M, "w", True)),
    (["sh", "-c", "if python check.py; then exec python -m w; fi"], (M, "w", True)),
    (["sh", "-c", "exec \\\n  python -m w"], (M, "w", True)),
    (["sh", "-c", "set -e\n# don't break the quoting\npython -m w # trailing comment\n"], (M, "w", False)),
    (["sh", "-c", "python -m w; echo done"], (M, "w", False)),
    (["sh", "-c", 'exec "$@"', "--", "python", "-m", "w"], (M, "w", True)),
    (["sh", "-o", "pipefail", "-c", "exec python -m w"], (M, "w", True)),
    (["bash", "--login", "-c", "exec python -m w"], (M, "w", True)),
    (["sh", "-c", "echo 'unbalanced"], None),
    (["sh", "-c", "exec celery -A x worker"], None),
    (["sh", "-c"], None),
    (["busybox", "sh", "-c", "exec python -m w"], (M, "w", True)),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(argv)[:60] or "empty" for argv, _ in CASES])
def test_parse_launch(argv: list[str], expected: tuple[str, str, bool] | None) -> None:
    launch = parse_launch(argv)
    if expected is None:
        assert launch is None
    else:
        assert launch is not None
        assert (launch.target_kind, launch.target, launch.python_is_pid1) == expected


def test_description_names_the_interpreter_and_the_layers() -> None:
    assert parse_launch(["python", "-m", "orders.worker"]) == PythonLaunch(
        "module", "orders.worker", True, "python -m orders.worker"
    )
    launch = parse_launch(["/sbin/tini", "--", "/bin/sh", "-c", "exec /usr/bin/python3 app/w.py"])
    assert launch is not None
    assert launch.description == "python3 app/w.py (via tini, sh -c)"


def test_tuple_argv_is_accepted_and_a_bare_string_is_not() -> None:
    assert parse_launch(("python", "-m", "w")) is not None
    assert parse_launch("python -m w") is None


def test_deep_wrapper_chains_stop() -> None:
    assert parse_launch(["env"] * 100 + ["python", "-m", "w"]) is None
    assert parse_launch(["env"] * 5 + ["python", "-m", "w"]) is not None


def test_split_shell_form() -> None:
    assert split_shell_form("python -m \"orders worker\" --x='1 2'") == ["python", "-m", "orders worker", "--x=1 2"]
    assert split_shell_form('python "unbalanced') == ["python", '"unbalanced']


def test_split_shell_commands_separators_and_background() -> None:
    commands = split_shell_commands("a && b || c; d\ne | f & g")
    assert [c.argv for c in commands] == [("a",), ("b",), ("c",), ("d",), ("e",), ("f",), ("g",)]
    assert [c.background for c in commands] == [False, False, False, False, True, True, False]


def test_split_shell_commands_exec_prefix_and_redirections() -> None:
    (command,) = split_shell_commands("A=1 exec python -m w >/proc/1/fd/1 2>&1")
    assert command.argv == ("python", "-m", "w", "2")  # the fd number is glued to `>&` in sh too
    assert command.exec_ and not command.background
    assert command.prefix == ("A=1",)


def test_split_shell_commands_keywords() -> None:
    commands = split_shell_commands("while true; do sleep 1; done")
    assert [(c.prefix, c.argv) for c in commands] == [
        (("while",), ("true",)),
        (("do",), ("sleep", "1")),
        ((), ("done",)),
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["python", "-m", "sh", "-c", "exec", "tini", "--", "env", "uv", "run", "&&", "'", '"']),
            st.text(max_size=12),
        ),
        max_size=10,
    )
)
def test_arbitrary_argv_never_raises(argv: list[str]) -> None:
    launch = parse_launch(argv)
    assert launch is None or launch.target_kind in ("module", "script", "console_script")
