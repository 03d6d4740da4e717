"""Modules that do not mention Temporal are parsed only when an analysis needs a name in them.

The promise checked here: the findings (and every checklist item's status) are those of a scan that
parses every module the Temporal code imports (``TPRLINT_FOLLOW_ALL=1``), on every fixture, while
fewer modules are parsed. ``fixtures/follow`` exercises each kind of lookup: a settings object whose
default is a constant of another module built from a third, an activity timeout from another module,
a workflow call chain three modules deep, and a SIGTERM handler installed in an imported module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO, run_cli, write_tree
from tprlint.discover.imports import has_process_words, import_words, scan_imports
from tprlint.facts.python.facts import ImportedModule
from tprlint.facts.python.import_statements import imports_of_statements
from tprlint.facts.python.names import SuffixIndex

FIXTURES = sorted(str(p.relative_to(REPO / "fixtures")) for p in [*(REPO / "fixtures").iterdir(),
                                                                   *(REPO / "fixtures" / "follow-cases").iterdir()]
                  if (p / "pyproject.toml").is_file())


def _scan(fixture: str, tmp_path: Path, full: bool) -> tuple[dict[str, Any], str]:
    out = tmp_path / ("full.json" if full else "demand.json")
    env = {"TPRLINT_FOLLOW_ALL": "1" if full else "0"}
    result = run_cli(".", "--no-cache", "--timings", "--exit-zero", "-f", f"json:{out}",
                     cwd=REPO / "fixtures" / fixture, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text()), result.stderr


def _statuses(report: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each checklist item's status and reason. (How many things an item's rules applied to is not
    compared: it counts the modules analysed, fewer when fewer are parsed.)"""
    return {item["id"]: (item["status"], item["reason"]) for checklist in report["checklist"]["checklists"]
            for item in checklist["items"]}


def _parsed(timings: str) -> int:
    found = re.search(r"files: \d+ scanned, (\d+) parsed", timings)
    assert found, timings
    return int(found.group(1))


def _lint_tree(root: Path, files: dict[str, str], *args: str) -> tuple[set[tuple[str, str]], str]:
    """Write ``files`` under ``root`` and lint it: each finding's (rule, path), and what went to stderr."""
    write_tree(root, {name: text.encode() for name, text in files.items()})
    out = root / "report.json"
    result = run_cli(".", "--no-cache", "--exit-zero", "-f", f"json:{out}", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return {(f["rule"], f["path"]) for f in json.loads(out.read_text())["findings"]}, result.stderr


@pytest.mark.parametrize("fixture", FIXTURES)
def test_parsing_on_demand_finds_what_parsing_every_imported_module_finds(fixture: str, tmp_path: Path) -> None:
    demand, demand_timings = _scan(fixture, tmp_path, full=False)
    full, full_timings = _scan(fixture, tmp_path, full=True)
    assert demand["findings"] == full["findings"]
    assert _statuses(demand) == _statuses(full)
    assert _parsed(demand_timings) <= _parsed(full_timings)


def test_each_kind_of_lookup_reaches_the_module_it_needs(tmp_path: Path) -> None:
    report, timings = _scan("follow", tmp_path, full=False)
    found = {(f["rule"], f["path"], f["line"]): f["message"] for f in report["findings"]}
    # The settings object's default: 10 * MINUTE, MINUTE = 60 * SECOND, two modules away.
    grace = found[("TPR601", "deploy/worker.yaml", 16)]
    assert "drains for up to 600 s" in grace and "shop/worker.py:18" in grace
    # The call chain, three modules deep, to the clock.
    chain = found[("TPR210", "shop/util/clock.py", 5)]
    assert "OrderWorkflow.run → total → rounded → stamp → datetime.now" in chain
    # The handler installed in shop/runtime/signals.py counts: no TPR103 for the entrypoint.
    assert not [key for key in found if key[0] == "TPR103"]
    # The activity timeout (90 s from limits.CHARGE_TIMEOUT_S) was read: no "no timeout" finding.
    assert not [key for key in found if key[0] in ("TPR201", "TPR202")]
    assert "modules an analysis needed a name from" in timings
    _, full_timings = _scan("follow", tmp_path, full=True)
    assert _parsed(timings) < _parsed(full_timings)  # models, serializers, boot helpers: never parsed


@pytest.mark.parametrize(("case", "expected", "absent"), [
    ("entry-chain-two-modules-deep", {("TPR601", "deploy/worker.yaml"), ("TPR103", "app/cli.py")}, {"TPR000"}),
    ("health-route-behind-a-commented-import", {("TPR109", "app/health.py")}, set()),
    ("heartbeat-in-a-helper-method", set(), {"TPR203"}),
    ("import-example-in-a-docstring", {("TPR103", "app/main.py")}, {"TPR104"}),
    ("loop-handover-in-a-helper", set(), {"TPR104"}),
    ("credential-in-an-imported-module", {("TPR302", "app/config.py")}, {"TPR000"}),
])
def test_a_module_that_never_mentions_temporal_still_decides(case: str, expected: set[tuple[str, str]],
                                                            absent: set[str], tmp_path: Path) -> None:
    report, _ = _scan(f"follow-cases/{case}", tmp_path, full=False)
    found = {(f["rule"], f["path"]) for f in report["findings"]}
    assert expected <= found
    assert not {rule for rule, _ in found} & absent


def test_timings_table_names_every_stage(tmp_path: Path) -> None:
    result = run_cli(".", "--no-cache", "--exit-zero", "-q", cwd=REPO / "fixtures" / "follow",
                     env={"TPRLINT_PROFILE": "1"})
    assert result.returncode == 0, result.stderr
    stages = re.findall(r"^  (\w+)\s+\d+\.\d{3}\s+\d+%$", result.stderr, re.MULTILINE)
    assert stages == ["walk", "load", "scan", "follow", "helm", "link", "rules", "report"]
    assert re.search(r"peak memory: \d+ MB in this process", result.stderr)
    warm = run_cli(".", "--timings", "-q", "--exit-zero", cwd=REPO / "fixtures" / "follow")
    again = run_cli(".", "--timings", "-q", "--exit-zero", cwd=REPO / "fixtures" / "follow")
    assert warm.returncode == again.returncode == 0
    assert "replayed" in again.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="Linux carries a process's peak memory over exec")
def test_the_peak_memory_is_tprlints_own_not_the_launchers() -> None:
    # Started from a process holding 300 MB (a CI runner, the benchmark script holding the tree),
    # tprlint reported that process's peak as its own: 377 MB on a repository where it used 62 MB.
    launcher = (
        "import subprocess, sys\n"
        "held = b'x' * (300 * 2**20)\n"
        "done = subprocess.run([sys.executable, '-m', 'tprlint', '.', '--no-cache', '--timings', '-q',"
        " '--exit-zero'], capture_output=True, text=True, timeout=120)\n"
        "sys.stdout.write(done.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", launcher], cwd=REPO / "fixtures" / "follow",
                            capture_output=True, text=True, timeout=180, check=True,
                            env={**os.environ, "NO_COLOR": "1"})
    found = re.search(r"peak memory: (\d+) MB in this process", result.stdout)
    assert found is not None, result.stdout
    assert 10 < int(found.group(1)) < 200


def test_import_statements_give_the_imports_without_parsing_the_module() -> None:
    source = (
        b'"""Docs."""\nimport os, sys as system\nfrom . import helpers\n'
        b"def f():\n    from ..config.limits import (\n        DRAIN,\n        GRACE,\n    )\n"
        b"    import shop.models.order as order  # noqa\n"
        b"x = 'not an import statement: import nothing'\n"
    )
    statements = scan_imports(source)
    assert imports_of_statements("shop/runtime/boot.py", statements) == [
        ImportedModule("mod:os"), ImportedModule("mod:sys"), ImportedModule("path:shop/runtime", ("helpers",)),
        ImportedModule("path:shop/config/limits", ("DRAIN", "GRACE")), ImportedModule("mod:shop.models.order"),
    ]
    assert b"limits" in import_words(statements)


def test_a_statement_that_does_not_parse_alone_asks_for_the_module() -> None:
    assert imports_of_statements("a.py", b"import os; print(os.sep)") is None
    assert imports_of_statements("a.py", b"from x import (a,") is None
    assert imports_of_statements("a.py", b"") == []


@pytest.mark.parametrize(("source", "matters"), [
    (b"import signal\n\nsignal.signal(15, handler)\n", True),  # a handler for a signal it cannot name
    (b"import uvicorn\n", True),  # a server that handles SIGTERM itself
    (b"def start(worker):\n    return worker.run()\n", True),  # a Worker run by its name
    (b'@router.get("/healthz")\ndef ok(): ...\n', True),
    (b"from shop.signals_score import score\n\nprint('already done')\n", False),
    (b"import json\n\ndef dump(order):\n    return json.dumps(order)\n", False),
])
def test_which_modules_of_a_process_may_matter_to_it(source: bytes, matters: bool) -> None:
    assert has_process_words(source, import_words(scan_imports(source))) is matters


@pytest.mark.parametrize("statements", [
    b"import os\nimport a.b.c as d, e",
    b"from . import x\nfrom .. import y as z\nfrom ...pkg.mod import (a, b as c,)",
    b"from .import x",  # no space after the dots
    b"from x import *",
    b"from x import*",
    b"import def",  # a keyword: not an import ast accepts
    b"from x import a b",
    b"from x import (a",
    b"import caf\xc3\xa9",  # not ASCII: left to ast
    b"import os;import sys",
    b"from __future__ import annotations",
])
def test_plain_import_statements_read_as_ast_reads_them(statements: bytes) -> None:
    from tprlint.facts.python.import_statements import _with_ast

    assert imports_of_statements("shop/runtime/boot.py", statements) == _with_ast("shop/runtime/boot.py", statements)


def test_only_module_names_of_import_statements_are_kept() -> None:
    from tprlint.discover.imports import plain_statements

    source = (b'import os\r\n"""\nimport password: hunter2\n    import db_password_hunter2, prod_db01\n'
              b'    from app import hooks\n"""\nfrom x import (a,\n    b)  # api_key=sk_live_51HqLyjWDarjtT1zdp7dc\n')
    kept = plain_statements(scan_imports(source))
    assert b"hunter2" not in kept and b"sk_live" not in kept and b"hooks" not in kept
    # The lines that may sit in a string send the module to the parser when what it imports matters.
    assert imports_of_statements("a.py", kept) is None
    assert imports_of_statements("a.py", plain_statements(scan_imports(b"import os\r\nimport sys\r\n"))) == [
        ImportedModule("mod:os"), ImportedModule("mod:sys")]


@pytest.mark.parametrize(("source", "statements"), [
    (b"# wires the runtime together \\\nimport shop.runtime.signals\n", b"import shop.runtime.signals"),
    (b"from shop.runtime \\\n    import signals\n", b"from shop.runtime     import signals"),
])
def test_a_backslash_continues_code_not_comments(source: bytes, statements: bytes) -> None:
    assert scan_imports(source) == statements


def test_thousands_of_continued_lines_are_scanned_in_linear_time(tmp_path: Path) -> None:
    # 100,000 lines continued with a backslash, each with an `import` word: a scan that walks back over
    # the continued lines for each word takes hours here; run_cli gives up after 120 s.
    (tmp_path / "bundle.py").write_bytes(b"x = 'import a' \\\n" * 100_000 + b"y = 1\n")
    (tmp_path / "w.py").write_text("import temporalio\nx = (\n")
    result = run_cli(".", "-f", "concise", "--no-cache", cwd=tmp_path)
    assert "w.py:2" in result.stdout and "TPR001" in result.stdout


def test_a_triple_quote_inside_a_string_does_not_hide_importers() -> None:
    source = b"SEP = '\"\"\"'\nfrom app.worker import run_worker\n"
    statements = scan_imports(source)
    assert b"worker" in import_words(statements)  # the importer scan still finds this module


def test_a_module_that_only_names_a_worker_module_is_no_importer(tmp_path: Path) -> None:
    """`from celery import worker` mentions the word `worker`, but imports no module of the project:
    it is not parsed as the entry of the process that runs `app/worker.py`; `app/cli.py` is."""
    files = {
        "pyproject.toml": '[project]\nname = "shop"\n',
        "app/__init__.py": "",
        "app/worker.py": "from temporalio.client import Client\nfrom temporalio.worker import Worker\n\n\n"
                         "async def main() -> None:\n"
                         "    client = await Client.connect('localhost:7233')\n"
                         "    await Worker(client, task_queue='orders', workflows=[], activities=[]).run()\n",
        "app/cli.py": "import asyncio\n\nfrom app.worker import main\n\nif __name__ == '__main__':\n"
                      "    asyncio.run(main())\n",
        **{f"reports/{name}.py": f"from celery import worker\n\nNAME = {name!r}\n"
           for name in ("queue", "beat", "tasks")},
    }
    _, timings = _lint_tree(tmp_path, files, "--timings")
    assert re.search(r"^ +1  modules importing a Worker module", timings, re.MULTILINE), timings


def test_a_candidate_turned_down_in_one_round_is_an_importer_in_the_next(tmp_path: Path) -> None:
    """`entry.py` is parsed in the first round (its docstring holds an import line, so its statements
    do not read alone) and turned down: it imports no module that builds a Worker. In the next round it
    is the importer of `bootstrap`, which runs one: the entry of the process, without a SIGTERM handler."""
    files = {
        "pyproject.toml": '[project]\nname = "shop"\n',
        "pkg/__init__.py": "",
        "pkg/worker.py": "from temporalio.client import Client\nfrom temporalio.worker import Worker\n\n\n"
                         "async def run() -> None:\n"
                         "    client = await Client.connect('localhost:7233')\n"
                         "    w = Worker(client, task_queue='q', workflows=[], activities=[])\n"
                         "    await w.run()\n",
        "pkg/bootstrap.py": "from pkg import worker\n\n\nasync def boot() -> None:\n    await worker.run()\n",
        "entry.py": '"""Usage:\n    import entry\n"""\nimport asyncio\n\nfrom celery import worker as celery_worker\n'
                    "from pkg import bootstrap\n\n\ndef main() -> None:\n    asyncio.run(bootstrap.boot())\n\n\n"
                    'if __name__ == "__main__":\n    main()\n',
    }
    found, _ = _lint_tree(tmp_path, files)
    assert ("TPR103", "entry.py") in found


def test_a_temporal_module_that_builds_no_worker_starts_no_entry_chain(tmp_path: Path) -> None:
    """A library's Temporal integration: a toolset class calling `super().__init__()` and a workflow
    calling `execute_activity(task_queue=...)`. Neither builds a Worker, so the modules importing it
    are not parsed as entries of a Worker process."""
    files = {
        "pyproject.toml": '[project]\nname = "lib"\n',
        "lib/__init__.py": "",
        "lib/base.py": "class Toolset:\n    def __init__(self, name: str) -> None:\n        self.name = name\n",
        "lib/durable.py": "from datetime import timedelta\n\nfrom temporalio import workflow\n\n"
                          "from lib.base import Toolset\n\n\n"
                          "class DurableToolset(Toolset):\n    def __init__(self, name: str) -> None:\n"
                          "        super().__init__(name)\n\n\n"
                          "async def call(name: str) -> object:\n"
                          "    return await workflow.execute_activity(name, task_queue='tools',\n"
                          "                                           start_to_close_timeout=timedelta(seconds=30))\n",
        **{f"lib/{name}.py": "from lib.durable import DurableToolset\n\n\ndef make() -> DurableToolset:\n"
                             "    return DurableToolset('x')\n" for name in ("agent", "cli", "models")},
    }
    _, timings = _lint_tree(tmp_path, files, "--timings")
    assert "importing a Worker module" not in timings, timings


def test_a_helper_that_builds_the_worker_from_its_parameters_starts_the_entry_chain(tmp_path: Path) -> None:
    """`bootstrap` calls `run_worker(client, task_queue="orders")`, a helper that builds and runs the
    Worker from its parameters (no `**kwargs` passed on): `main.py`, which imports `bootstrap`, is the
    entry of that process - without a SIGTERM handler - and the Deployment running it runs a worker."""
    files = {
        "pyproject.toml": '[project]\nname = "shop"\n',
        "app/__init__.py": "",
        "app/lib.py": "from datetime import timedelta\n\nfrom temporalio.client import Client\n"
                      "from temporalio.worker import Worker\n\n\n"
                      "async def run_worker(client: Client, task_queue: str) -> None:\n"
                      "    worker = Worker(client, task_queue=task_queue, workflows=[], activities=[],\n"
                      "                    graceful_shutdown_timeout=timedelta(seconds=30))\n"
                      "    await worker.run()\n",
        "app/bootstrap.py": "from temporalio.client import Client\n\nfrom app.lib import run_worker\n\n\n"
                            "async def main() -> None:\n    client = await Client.connect('temporal:7233')\n"
                            "    await run_worker(client, task_queue='orders')\n",
        "main.py": "import asyncio\n\nfrom app import bootstrap\n\nif __name__ == '__main__':\n"
                   "    asyncio.run(bootstrap.main())\n",
        "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders-worker\nspec:\n"
                       "  template:\n    spec:\n      terminationGracePeriodSeconds: 3\n      containers:\n"
                       "        - name: worker\n          image: shop:1.0\n"
                       '          command: ["python", "main.py"]\n',
    }
    found, _ = _lint_tree(tmp_path, files)
    assert {("TPR103", "main.py"), ("TPR604", "deploy.yaml")} <= found, sorted(found)


@given(st.lists(st.lists(st.sampled_from(["a", "b", "app", "worker", ".", ""]), min_size=1, max_size=4),
                max_size=30),
       st.lists(st.sampled_from(["a", "b", "app", "worker", "app/worker", "a/b", "b/app/worker", ".", "", "a/"]),
                max_size=10))
def test_the_suffix_index_finds_every_module_a_dotted_import_may_denote(folders: list[list[str]],
                                                                       asked: list[str]) -> None:
    keys = {"path:" + "/".join(parts) for parts in folders}
    every_suffix: dict[str, list[str]] = {}  # what the index stands for: each key under each trailing part
    for key in sorted(keys):
        parts = key[len("path:"):].split("/")
        for i in range(len(parts)):
            every_suffix.setdefault("/".join(parts[i:]), []).append(key)
    index = SuffixIndex(keys)
    for suffix in asked:
        assert list(index.get(suffix)) == every_suffix.get(suffix, [])


def test_an_import_only_parsing_sees_counts_once_the_module_is_parsed(tmp_path: Path) -> None:
    # `_ = 0; import app.handlers` is no import statement of a line's own: while following imports the
    # module's imports come from its statements and miss it; once the module is parsed (it is on the
    # Worker's entry chain), the projects the rules judge see the import, and the handler it installs.
    shutil.copytree(REPO / "fixtures/follow-cases/entry-chain-two-modules-deep", tmp_path / "t")
    bootstrap = tmp_path / "t/app/bootstrap.py"
    text = bootstrap.read_text().replace("from app.worker import run_worker\n",
                                         "from app.worker import run_worker\n_ = 0; import app.handlers\n")
    bootstrap.write_text(text.replace("    logging.basicConfig()\n",
                                      "    logging.basicConfig()\n    app.handlers.install()\n"))
    (tmp_path / "t/app/handlers.py").write_text(
        "import signal\nimport sys\n\n\ndef install() -> None:\n"
        "    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n")
    found = {line.split(" ")[1] for line in run_cli(".", "-f", "concise", "--no-cache", "--exit-zero",
                                                     cwd=tmp_path / "t").stdout.splitlines() if " TPR" in line}
    assert "TPR104" in found  # the handler exits without shutting the Worker down
    assert not {"TPR103", "TPR604"} & found  # a handler there is: not "no SIGTERM handler"


def test_a_worker_module_at_the_top_of_the_tree_has_its_entry_chain_found(tmp_path: Path) -> None:
    # `worker.py` beside `bootstrap.py` and `cli.py`, no package: the importers of a module whose key has
    # no folder (`path:worker`) are found as those of `app/worker.py` are.
    fixture = REPO / "fixtures/follow-cases/entry-chain-two-modules-deep"
    (tmp_path / "deploy").mkdir()
    for module in ("bootstrap.py", "cli.py", "worker.py"):
        text = (fixture / "app" / module).read_text()
        (tmp_path / module).write_text(text.replace("from app.", "from ").replace("import app.", "import "))
    manifest = (fixture / "deploy/worker.yaml").read_text()
    (tmp_path / "deploy/worker.yaml").write_text(manifest.replace('"-m", "app.cli"', '"-m", "cli"'))

    def rules(tree: Path) -> set[str]:
        output = run_cli(".", "-f", "concise", "--no-cache", "--exit-zero", cwd=tree).stdout
        return {line.split(" ")[1] for line in output.splitlines() if " TPR" in line}

    nested = rules(fixture)
    assert {"TPR103", "TPR601", "TPR604"} <= nested
    assert rules(tmp_path) == nested
