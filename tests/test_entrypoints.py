"""Which modules run as processes: main guards, console scripts of the scanned pyproject.toml and
Django management commands. TPR103 judges exactly these (and modules containers run)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run

SHAPES = Path(__file__).parent / "data" / "python_shapes"

WORKER_MODULE = """
    import asyncio
    from temporalio.client import Client
    from temporalio.worker import Worker

    async def serve():
        client = await Client.connect("temporal:7233")
        worker = Worker(client, task_queue="orders", activities=[])
        await worker.run()

    def main():
        asyncio.run(serve())
"""


def lint(root: Path, files: dict[str, str], rule: str) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = run([root], Config(root=root).with_overrides(select=(rule,)), use_cache=False, jobs=1)
    return [(f.location.path, f.location.line, f.message) for f in result.findings if f.rule_id == rule]


@pytest.mark.parametrize(
    "pyproject",
    [
        '[project]\nname = "orders"\n[project.scripts]\norders-worker = "orders.worker:main"\n',
        '[tool.poetry]\nname = "orders"\n[tool.poetry.scripts]\norders-worker = "orders.worker:main"\n',
        '[project]\nname = "orders"\n[project.scripts]\n"orders-worker" = "orders.worker:main"\n',
    ],
    ids=["pep621", "poetry", "quoted-name"],
)
def test_console_script_makes_a_module_an_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     pyproject: str) -> None:
    monkeypatch.chdir(tmp_path)
    found = lint(tmp_path, {"pyproject.toml": pyproject, "orders/__init__.py": "",
                            "orders/worker.py": WORKER_MODULE}, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("orders/worker.py", 9)]
    assert "console script `orders-worker` (pyproject.toml:" in found[0][2]


def test_a_library_module_without_an_entrypoint_is_not_judged(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = lint(tmp_path, {"pyproject.toml": '[project]\nname = "orders"\n', "orders/__init__.py": "",
                            "orders/worker.py": WORKER_MODULE}, "TPR103")
    assert found == []


def test_broken_pyproject_is_a_parse_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = lint(tmp_path, {"pyproject.toml": '[project]\nname = "orders\n', "orders/worker.py": WORKER_MODULE},
                 "TPR001")
    assert [(p, line) for p, line, _ in found] == [("pyproject.toml", 2)]
    assert "TOML error" in found[0][2]


def test_django_management_command_is_an_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "site"
    shutil.copytree(SHAPES / "django_command", root)
    monkeypatch.chdir(root)
    found = lint(root, {}, "TPR103")
    assert [(p, line) for p, line, _ in found] == [("orders/management/commands/run_temporal_worker.py", 30)]
    assert "Django management command `run_temporal_worker`" in found[0][2]


def test_django_command_with_a_sigterm_handler_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "site"
    shutil.copytree(SHAPES / "django_command", root)
    command = root / "orders/management/commands/run_temporal_worker.py"
    text = command.read_text().replace(
        "        await worker.run()",
        "        loop = asyncio.get_running_loop()\n"
        "        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(worker.shutdown()))\n"
        "        await worker.run()",
    ).replace("import asyncio\n", "import asyncio\nimport signal\n")
    command.write_text(text)
    monkeypatch.chdir(root)
    assert lint(root, {}, "TPR103") == []


@pytest.mark.parametrize("pyproject", ['project = "x"\n', '[tool]\npoetry = 3\n', '[project]\nscripts = ["a"]\n'])
def test_pyproject_tables_of_the_wrong_type_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        pyproject: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert lint(tmp_path, {"pyproject.toml": pyproject, "orders/worker.py": WORKER_MODULE}, "TPR001") == []
