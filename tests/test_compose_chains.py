"""Compose files are one project when the repository chains them: COMPOSE_FILE in the folder's .env,
or an `-f` chain in a Makefile, justfile or shell script. Without such a chain, a variant that adds a
service of its own is a separate project (tests/test_compose.py)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tprlint.facts.compose_chains import extract_chains

SHAPE = Path(__file__).parent / "data" / "compose_chains"


def _project(tmp_path: Path, with_makefile: bool = True) -> Path:
    root = tmp_path / "orders"
    shutil.copytree(SHAPE, root)
    if not with_makefile:
        (root / "Makefile").unlink()
    return root


def _tpr602(root: Path) -> list[tuple[str, int]]:
    result = run_cli(".", "-f", "json", "--select", "TPR602", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return [(str(f["path"]), int(f["line"])) for f in json.loads(result.stdout)["findings"]]


def test_a_chain_in_the_makefile_is_judged_as_it_runs(tmp_path: Path) -> None:
    assert _tpr602(_project(tmp_path)) == [("docker-compose.prod.yml", 3)]  # 5 s against a 60 s drain


def test_without_the_chain_the_variant_is_a_project_of_its_own(tmp_path: Path) -> None:
    assert _tpr602(_project(tmp_path, with_makefile=False)) == []


def test_compose_file_in_dot_env_chains_the_files_and_nothing_else_of_it_is_kept(tmp_path: Path) -> None:
    root = _project(tmp_path, with_makefile=False)
    (root / ".env").write_text("API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dcQ8xKp2mV\n"
                               "COMPOSE_FILE=docker-compose.yml:docker-compose.prod.yml\n")
    assert _tpr602(root) == [("docker-compose.prod.yml", 3)]
    cache = Path(os.environ["TPRLINT_CACHE_DIR"])  # this test's own (conftest.py)
    stored = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert b"docker-compose.prod.yml" in stored  # the chain is cached...
    assert b"sk_live_4eC39" not in stored and b"API_KEY" not in stored  # ...and nothing else of the .env


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("up:\n\tdocker compose -f docker-compose.yml -f deploy/prod.yml up -d\n",
         [("docker-compose.yml", "deploy/prod.yml")]),
        ("#!/bin/sh\ndocker-compose --file=./base.yml --file ../shared/extra.yml \\\n  up\n",
         [("base.yml", "../shared/extra.yml")]),
        ("up:\n\tdocker compose -f docker-compose.yml -f docker-compose.$(ENV).yml up\n", []),
        ("echo 'docker compose -f a.yml' > /dev/null && docker compose -f b.yml up\n", [("b.yml",)]),
        ("run:\n\tdocker compose up -d\n", []),
        ("oops:\n\tdocker compose -f 'unbalanced.yml up\n", []),
    ],
)
def test_chains_read_from_scripts(text: str, expected: list[tuple[str, ...]]) -> None:
    assert [c.files for c in extract_chains(text, "Makefile").chains] == expected


def test_compose_file_uses_the_path_separator_of_the_env_file() -> None:
    [chain] = extract_chains('COMPOSE_PATH_SEPARATOR=;\nCOMPOSE_FILE="a.yml;b.yml"\n', "stack/.env").chains
    assert chain.files == ("stack/a.yml", "stack/b.yml") and chain.default


INCLUDING = """\
include:
  - temporal/compose.yaml
  - path: [workers/compose.yaml]
services:
  api:
    image: example/orders-api:1.0
    environment: {TEMPORAL_ADDRESS: "temporal:7233"}
"""
INCLUDED_WORKER = """\
services:
  worker:
    build: .
    command: ["python", "worker.py"]
    environment: {TEMPORAL_ADDRESS: "temporal:7233", TEMPORAL_TASK_QUEUE: orders}
"""
TEMPORAL = """\
services:
  temporal:
    image: temporalio/auto-setup:1.25
"""
OVERRIDE = """\
services:
  worker:
    stop_grace_period: 11m
"""
DRAINING_WORKER = """\
import asyncio
import signal
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
    worker = Worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=timedelta(minutes=10))
    await worker.run()

if __name__ == "__main__":
    asyncio.run(main(None))
"""


def _including_project(root: Path, *, include: bool) -> Path:
    (root / "temporal").mkdir()
    (root / "temporal" / "compose.yaml").write_text(TEMPORAL, encoding="utf-8")
    (root / "workers").mkdir()
    (root / "workers" / "compose.yaml").write_text(INCLUDED_WORKER, encoding="utf-8")
    (root / "workers" / "worker.py").write_text(DRAINING_WORKER, encoding="utf-8")
    (root / "compose.override.yml").write_text(OVERRIDE, encoding="utf-8")
    text = INCLUDING if include else INCLUDING.split("services:", 1)[1].join(["services:", ""])
    (root / "compose.yaml").write_text(text, encoding="utf-8")
    return root


def test_an_included_file_is_part_of_the_project_that_includes_it(tmp_path: Path) -> None:
    # compose.yaml includes workers/compose.yaml, and the root's override raises that worker's grace
    # period to 11 minutes: one project, whose worker outlasts its 10-minute drain.
    assert _tpr602(_including_project(tmp_path, include=True)) == []


def test_without_include_the_worker_file_is_a_project_of_its_own(tmp_path: Path) -> None:
    # The same files without `include:`: workers/compose.yaml runs alone, with the default 10 s.
    assert _tpr602(_including_project(tmp_path, include=False)) == [("workers/compose.yaml", 2)]


def test_include_entries_as_compose_writes_them() -> None:
    from tprlint.facts.compose import extract_compose
    from tprlint.facts.yaml_docs import load_yaml_documents

    text = ("include:\n  - ../shared/compose.yaml\n  - path: [a.yml, b.yml]\n    project_directory: x\n"
            "  - path: ${STACK}/c.yml\n  - https://example.com/compose.yaml\nservices: {}\n")
    found = extract_compose(load_yaml_documents(text, "apps/compose.yaml"), "apps/compose.yaml")
    assert found.includes == ("shared/compose.yaml", "apps/a.yml", "apps/b.yml")
