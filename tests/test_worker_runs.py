"""Which calls run a Worker: ``w = build(client); await w.run()`` counts when the project's ``build``
returns a Worker it builds (``PythonProject.runs``), whatever the names, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, write_tree

MAIN = """
import asyncio
from app.setup import {name}

async def main():
    w = await {name}(None)
    await w.run()

if __name__ == "__main__":
    asyncio.run(main())
"""
WORKER = 'Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=timedelta(seconds=5))'
SETUP_HEAD = "from datetime import timedelta\nfrom temporalio.worker import Worker\n\n"


def _findings(root: Path, files: dict[str, str], *args: str) -> list[tuple[str, str]]:
    write_tree(root, {name: text.encode() for name, text in files.items()})
    out = root / "report.json"
    result = run_cli(".", "--no-cache", "--exit-zero", "-f", f"json:{out}", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return sorted((f["rule"], f["path"]) for f in json.loads(out.read_text())["findings"])


def test_a_function_that_builds_a_worker_but_returns_something_else_is_no_worker(tmp_path: Path) -> None:
    setup = SETUP_HEAD + f"""
class App:
    def run(self): ...

async def create_app(client, with_worker=False):
    app = App()
    if with_worker:
        app.worker = {WORKER}
    return app
"""
    found = _findings(tmp_path, {"app/main.py": MAIN.format(name="create_app"), "app/setup.py": setup},
                      "--select", "TPR103")
    assert found == []


def test_factories_deeper_than_real_code_are_not_followed_and_nothing_fails(tmp_path: Path) -> None:
    chain = "".join(f"async def f{i}(client):\n    return await f{i + 1}(client)\n\n" for i in range(500))
    setup = SETUP_HEAD + chain + f"async def f500(client):\n    return {WORKER}\n"
    files = {"app/main.py": MAIN.format(name="f0"), "app/setup.py": setup}
    found = _findings(tmp_path, files, "--select", "TPR0,TPR103")
    assert found == []  # no TPR000: the chain is given up, not followed until Python's stack overflows
    shallow = SETUP_HEAD + chain.split("async def f3(")[0] + f"async def f3(client):\n    return {WORKER}\n"
    found = _findings(tmp_path, {"app/setup.py": shallow}, "--select", "TPR0,TPR103")
    assert found == [("TPR103", "app/main.py")]


def test_factories_calling_each_other_are_judged_the_same_whichever_is_asked_first(tmp_path: Path) -> None:
    setup = SETUP_HEAD + f"""
async def f(client, again=True):
    return await g(client, again)

async def g(client, again=True):
    if again:
        return await f(client, False)
    return {WORKER}

async def h(client):
    return await g(client)

async def k(client):
    return await f(client)
"""
    both = _findings(tmp_path / "both", {"app/h_main.py": MAIN.format(name="h"), "app/k_main.py": MAIN.format(name="k"),
                                         "app/setup.py": setup}, "--select", "TPR103")
    alone = _findings(tmp_path / "alone", {"app/k_main.py": MAIN.format(name="k"), "app/setup.py": setup},
                      "--select", "TPR103")
    assert both == [("TPR103", "app/h_main.py"), ("TPR103", "app/k_main.py")]
    assert alone == [("TPR103", "app/k_main.py")]


def test_a_name_bound_to_itself_hides_nothing_else_in_the_file(tmp_path: Path) -> None:
    worker = """
import temporalio.client

API_KEY = "tmprl_9fK2xQ7vLpR3mN8sWq4ZtB6y"

async def main(x):
    x = await x
    await x.run()
"""
    assert _findings(tmp_path, {"app/worker.py": worker}, "--select", "TPR001,TPR302") == [("TPR302", "app/worker.py")]


FACTORY_SHAPES = {
    "branches": f"def make(client, x=False):\n    if x:\n        w = {WORKER}\n    else:\n"
                f"        w = {WORKER}\n    return w\n",
    "conditional": f"def make(client, x=False):\n    return {WORKER} if x else {WORKER}\n",
    "alias": f"def make(client):\n    w = {WORKER}\n    worker = w\n    return worker\n",
    "kept": f"class Holder:\n    worker = None\n\ndef make(client):\n    Holder.worker = {WORKER}\n"
            "    return Holder.worker\n",
}


@pytest.mark.parametrize("shape", sorted(FACTORY_SHAPES))
def test_factories_written_every_common_way_count(tmp_path: Path, shape: str) -> None:
    files = {"app/main.py": MAIN.format(name="make").replace("await make(None)", "make(None)"),
             "app/setup.py": SETUP_HEAD + FACTORY_SHAPES[shape]}
    assert _findings(tmp_path, files, "--select", "TPR103") == [("TPR103", "app/main.py")]


def test_a_factory_method_counts(tmp_path: Path) -> None:
    setup = SETUP_HEAD + f"class Factory:\n    @classmethod\n    def create(cls, client):\n        return {WORKER}\n"
    main = MAIN.format(name="Factory").replace("await Factory(None)", "Factory.create(None)")
    found = _findings(tmp_path, {"app/main.py": main, "app/setup.py": setup}, "--select", "TPR103")
    assert found == [("TPR103", "app/main.py")]


def test_a_factory_method_of_a_nested_class_counts(tmp_path: Path) -> None:
    setup = SETUP_HEAD + ("class Outer:\n    class Inner:\n        @staticmethod\n        def create(client):\n"
                          f"            return {WORKER}\n")
    main = MAIN.format(name="Outer").replace("await Outer(None)", "Outer.Inner.create(None)")
    found = _findings(tmp_path, {"app/main.py": main, "app/setup.py": setup}, "--select", "TPR103")
    assert found == [("TPR103", "app/main.py")]


def test_a_name_bound_to_itself_on_many_paths_is_followed_once(tmp_path: Path) -> None:
    """`v = v` on twelve paths: following every binding of every binding took minutes and gigabytes."""
    branches = "".join(f"    if c == {i}:\n        v = v\n" for i in range(12))
    setup = SETUP_HEAD + f"def make(c):\n    v = {WORKER.replace('client', 'c')}\n{branches}    return v\n"
    main = MAIN.format(name="make").replace("await make(None)", "make(None)")
    found = _findings(tmp_path, {"app/main.py": main, "app/setup.py": setup}, "--select", "TPR103", "--timeout", "60")
    assert found == [("TPR103", "app/main.py")]


def test_guard_clauses_returning_none_do_not_hide_the_factory_return(tmp_path: Path) -> None:
    guards = "".join(f"    if client == {i}:\n        return None\n" for i in range(70))
    setup = SETUP_HEAD + f"def inner(client):\n    return {WORKER}\n\ndef make(client):\n{guards}"
    setup += "    return inner(client)\n"
    main = MAIN.format(name="make").replace("await make(None)", "make(None)")
    assert _findings(tmp_path, {"app/main.py": main, "app/setup.py": setup}, "--select", "TPR103") == [
        ("TPR103", "app/main.py")]
