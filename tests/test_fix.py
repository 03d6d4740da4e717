"""`tprlint --fix`, `--diff` and `--unsafe-fixes`: what they change in a user's files, and what they leave."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, REPO, run_cli
from tprlint.fix.apply import plan_fixes
from tprlint.model import Finding, Location, Severity


def demo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "demo-shop", root)
    return root


def findings(root: Path, *rules: str) -> list[tuple[str, str, int]]:
    result = run_cli(".", "-f", "json", "--exit-zero", cwd=root)
    assert result.returncode == 0, result.stderr
    found = [(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]
    return [f for f in found if not rules or f[0] in rules]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout


# -- TPR210: non-deterministic calls in workflow code ------------------------------------------------

WORKFLOW = '''\
"""Checkout workflow."""
import datetime
import random
import time
import uuid

from temporalio import workflow


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, order: str) -> str:
        started = datetime.datetime.now()  # when the run began
        stamp = time.time()
        token = uuid.uuid4()
        pick = random.randint(1,   6)  # a die
        time.sleep(2)
        later = datetime.datetime.utcnow().isoformat()
        zoned = datetime.datetime.now(datetime.timezone.utc)
        return f"{started} {stamp} {token} {pick} {later} {zoned}"
'''

WORKFLOW_FIXED = '''\
"""Checkout workflow."""
import asyncio

from temporalio import workflow


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, order: str) -> str:
        started = workflow.now()  # when the run began
        stamp = workflow.time()
        token = workflow.uuid4()
        pick = workflow.random().randint(1,   6)  # a die
        await asyncio.sleep(2)
        later = workflow.now().isoformat()
        zoned = workflow.now()
        return f"{started} {stamp} {token} {pick} {later} {zoned}"
'''


def test_fix_rewrites_clock_uuid_random_and_sleep_calls_and_drops_the_imports_left_unused(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(WORKFLOW)
    assert len(findings(tmp_path, "TPR210")) == 7

    result = run_cli(".", "--fix", "-f", "concise", cwd=tmp_path)

    fixed = (tmp_path / "wf.py").read_text()
    assert fixed == WORKFLOW_FIXED  # comments and the odd spacing of `randint(1,   6)` are kept
    compile(fixed, "wf.py", "exec")
    assert "Fixed 7 findings" in result.stderr
    assert "TPR210" not in result.stdout  # the report is the second run's: what remains
    assert findings(tmp_path, "TPR210") == []


def test_a_helper_the_workflow_calls_is_fixed_only_as_an_unsafe_fix(tmp_path: Path) -> None:
    """The demo's is_overdue is "shared by the API and the workflow": outside a workflow, workflow.now()
    raises, so rewriting the helper is the user's call (--unsafe-fixes)."""
    root = demo(tmp_path)
    original = (root / "orders/deadlines.py").read_text()
    run_cli(".", "--fix", cwd=root)
    assert (root / "orders/deadlines.py").read_text() == original
    run_cli(".", "--fix", "--unsafe-fixes", cwd=root)
    assert (root / "orders/deadlines.py").read_text() == (
        '"""Business rules for order deadlines, shared by the API and the workflow."""\n'
        "\n"
        "from datetime import datetime, timedelta\n"
        "from temporalio import workflow\n"
        "\n"
        "PROMISED_DISPATCH = timedelta(hours=48)\n"
        "\n"
        "\n"
        "def is_overdue(placed_at: datetime) -> bool:\n"
        "    return workflow.now() - placed_at > PROMISED_DISPATCH\n"
    )


@pytest.mark.parametrize("call", [
    "datetime.datetime.now(ZoneInfo('Europe/Paris'))",  # another time zone: not workflow.now()
    "random.seed(3)",  # would reseed the workflow's generator
    "time.perf_counter()",  # no workflow equivalent
])
def test_fix_leaves_calls_without_a_same_meaning_replacement(tmp_path: Path, call: str) -> None:
    source = (
        "import datetime\nimport random\nimport time\nfrom zoneinfo import ZoneInfo\n\n"
        "from temporalio import workflow\n\n\n@workflow.defn\nclass W:\n    @workflow.run\n"
        f"    async def run(self) -> None:\n        print({call})\n"
    )
    (tmp_path / "wf.py").write_text(source)
    assert any(rule == "TPR210" for rule, _, _ in findings(tmp_path))

    result = run_cli(".", "--fix", cwd=tmp_path)

    assert (tmp_path / "wf.py").read_text() == source
    assert "Fixed 0 findings" in result.stderr


def test_fix_leaves_sleep_in_a_sync_function_and_a_rebound_workflow_name(tmp_path: Path) -> None:
    source = (
        "import time\n\nfrom temporalio import workflow as wf\n\n\n@wf.defn\nclass W:\n    @wf.run\n"
        "    async def run(self) -> None:\n"
        "        def pause() -> None:\n            time.sleep(1)\n\n"
        "        pause()\n"
        "        workflow = 'not the module'\n"
        "        print(workflow, time.time())\n"
    )
    (tmp_path / "wf.py").write_text(source)
    assert {line for rule, _, line in findings(tmp_path, "TPR210")} == {11, 15}

    run_cli(".", "--fix", cwd=tmp_path)

    assert (tmp_path / "wf.py").read_text() == source
    assert {line for rule, _, line in findings(tmp_path, "TPR210")} == {11, 15}


# -- TPR601 / TPR602: grace periods in manifests and compose files -----------------------------------


def test_fix_raises_an_explicit_grace_period_in_place_keeping_its_comment(tmp_path: Path) -> None:
    root = demo(tmp_path)
    manifest = root / "deploy/workers.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("terminationGracePeriodSeconds: 300",
                                     "terminationGracePeriodSeconds:   300   # agreed with ops"))

    run_cli(".", "--fix", cwd=root)

    fixed = manifest.read_text()
    assert "      terminationGracePeriodSeconds:   606   # agreed with ops\n" in fixed
    list(yaml.safe_load_all(fixed))
    assert findings(root, "TPR601") == []


def test_fix_adds_a_missing_grace_period_under_the_pod_spec(tmp_path: Path) -> None:
    root = demo(tmp_path)
    run_cli(".", "--fix", cwd=root)
    lines = (root / "deploy/workers.yaml").read_text().splitlines()
    at = lines.index("      labels: {app: shipping-worker}")
    assert lines[at + 1: at + 4] == ["    spec:", "      terminationGracePeriodSeconds: 126", "      containers:"]


def test_fix_sets_stop_grace_period_on_the_compose_service(tmp_path: Path) -> None:
    root = demo(tmp_path)
    run_cli(".", "--fix", cwd=root)
    compose = (root / "docker-compose.yml").read_text()
    assert compose.startswith(
        "# Staging: the shipping worker on a single VM, against the shared staging Temporal cluster.\n"
        "services:\n  shipping-worker:\n    stop_grace_period: 126s\n    build: .\n"
    )
    assert yaml.safe_load(compose)["services"]["shipping-worker"]["stop_grace_period"] == "126s"
    assert findings(root, "TPR602") == []


def test_fix_replaces_a_too_short_stop_grace_period_value(tmp_path: Path) -> None:
    root = demo(tmp_path)
    compose = root / "docker-compose.yml"
    service = compose.read_text().replace("    build: .\n", '    build: .\n    stop_grace_period: "20s"  # x\n')
    compose.write_text(service)
    assert findings(root, "TPR602")

    run_cli(".", "--fix", cwd=root)

    assert '    stop_grace_period: 126s  # x\n' in compose.read_text()
    assert findings(root, "TPR602") == []


# -- TPR101: an unsafe fix --------------------------------------------------------------------------


def test_worker_shutdown_fix_needs_unsafe_fixes(tmp_path: Path) -> None:
    root = demo(tmp_path)
    worker = root / "orders/worker.py"
    before = worker.read_text()

    run_cli(".", "--fix", cwd=root)
    assert worker.read_text() == before

    run_cli(".", "--fix", "--unsafe-fixes", cwd=root)
    after = worker.read_text()
    assert after == before.replace(
        '"""Orders worker: `python -m orders.worker`."""\n\n',
        '"""Orders worker: `python -m orders.worker`."""\n\nfrom datetime import timedelta\n',
    ).replace(
        "        activities=[reserve_stock, send_confirmation],\n",
        "        activities=[reserve_stock, send_confirmation],\n"
        "        graceful_shutdown_timeout=timedelta(seconds=30),\n",
    )
    compile(after, "worker.py", "exec")
    assert not findings(root, "TPR101")


def test_worker_shutdown_fix_skips_a_call_with_keyword_splat(tmp_path: Path) -> None:
    root = demo(tmp_path)
    worker = root / "orders/worker.py"
    worker.write_text(worker.read_text().replace("        task_queue=\"orders\",\n",
                                                 "        task_queue=\"orders\",\n        **{},\n"))
    before = worker.read_text()
    assert findings(root, "TPR101")
    run_cli(".", "--fix", "--unsafe-fixes", cwd=root)
    assert worker.read_text() == before


# -- --diff ----------------------------------------------------------------------------------------


def test_diff_prints_an_applicable_patch_and_writes_nothing(tmp_path: Path) -> None:
    root = demo(tmp_path)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "demo")

    result = run_cli(".", "--diff", cwd=root)

    assert result.returncode == 1
    assert git(root, "status", "--porcelain") == ""
    assert result.stdout.startswith("--- a/deploy/workers.yaml\n+++ b/deploy/workers.yaml\n@@ ")
    assert "datetime.now()" not in result.stdout  # in a helper shared with the API: an unsafe fix
    assert "graceful_shutdown_timeout" not in result.stdout  # unsafe: not without --unsafe-fixes
    patch = tmp_path / "fix.patch"
    patch.write_text(result.stdout)
    git(root, "apply", "--check", str(patch))
    git(root, "apply", str(patch))
    assert git(root, "diff", "--name-only").split() == ["deploy/workers.yaml", "docker-compose.yml"]


def test_diff_exits_zero_when_there_is_nothing_to_fix(tmp_path: Path) -> None:
    result = run_cli(str(FIXTURES / "prod-ready"), "--diff", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


# -- end to end ------------------------------------------------------------------------------------


def test_fix_on_the_demo_changes_only_the_files_with_safe_fixes_and_the_rest_is_still_reported(
        tmp_path: Path) -> None:
    root = demo(tmp_path)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "demo")
    before = findings(root)

    result = run_cli(".", "--fix", cwd=root)

    assert git(root, "diff", "--name-only").split() == ["deploy/workers.yaml", "docker-compose.yml"]
    assert "Fixed 3 findings" in result.stderr
    after = findings(root)
    fixed = {("TPR601", "deploy/workers.yaml", 35), ("TPR601", "deploy/workers.yaml", 60),
             ("TPR602", "docker-compose.yml", 3)}
    assert fixed <= set(before)
    assert not {rule for rule, _, _ in after} & {"TPR601", "TPR602"}
    # Everything else is still there (lines below an inserted line moved by one). The orders worker drains
    # for ten minutes, so its new grace period reaches the default progress deadline: TPR420 says so.
    assert sorted(rule for rule, _, _ in after if rule != "TPR420") == \
        sorted(rule for rule, *_ in before if (rule, *_) not in fixed)
    assert [(rule, path) for rule, path, _ in after if rule == "TPR420"] == [("TPR420", "deploy/workers.yaml")]
    assert result.returncode == 1


def test_a_file_reached_through_a_symlink_out_of_the_tree_is_never_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(WORKFLOW)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "wf.py").symlink_to(outside)
    (tree / "inside.py").write_text(WORKFLOW)
    finding = Finding("TPR210", Severity.ERROR, "`time.time()` in workflow code (W.run → time.time)",
                      Location("wf.py", 15, 17, 15, 28))

    cwd = os.getcwd()
    os.chdir(tree)
    try:
        assert plan_fixes([finding], (str(tree.resolve()),)) == []
        inside = plan_fixes([replace(finding, location=Location("inside.py", 15, 17, 15, 28))],
                            (str(tree.resolve()),))
    finally:
        os.chdir(cwd)
    assert [change.path for change in inside] == ["inside.py"]  # the same finding in a real file is fixed

    run_cli(".", "--fix", cwd=tree)
    assert outside.read_text() == WORKFLOW
    assert (tree / "wf.py").is_symlink()


def test_fix_keeps_the_file_mode(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(WORKFLOW)
    (tmp_path / "wf.py").chmod(0o640)
    run_cli(".", "--fix", cwd=tmp_path)
    assert (tmp_path / "wf.py").read_text() == WORKFLOW_FIXED
    assert (tmp_path / "wf.py").stat().st_mode & 0o777 == 0o640


# -- console and start-up -------------------------------------------------------------------------


def test_console_marks_fixable_findings_and_counts_them(tmp_path: Path) -> None:
    out = run_cli(str(FIXTURES / "demo-shop"), cwd=REPO).stdout
    marked = [line.split()[0] for line in out.splitlines() if "] [*] " in line]
    assert marked == [  # errors first, each in file order
        f"{FIXTURES.relative_to(REPO)}/demo-shop/{where}" for where in
        ("deploy/workers.yaml:35:7", "deploy/workers.yaml:60:5", "docker-compose.yml:3:3")
    ]
    assert "[*] 3 fixable with --fix" in out


@pytest.mark.parametrize("args", [["--version"], [str(FIXTURES / "demo-shop"), "--no-cache"]])
def test_normal_runs_do_not_import_libcst_for_fixes(args: list[str]) -> None:
    code = (
        "import sys\nfrom tprlint.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('libcst', 'tprlint.fix.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120).stdout
    assert out.splitlines()[-1] in ("[]", "['tprlint.fix.fixable']")


def test_sarif_results_carry_the_grace_period_fixes(tmp_path: Path) -> None:
    root = demo(tmp_path)
    results = json.loads(run_cli(".", "-f", "sarif", cwd=root).stdout)["runs"][0]["results"]
    fixes = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["fixes"]
             for r in results if "fixes" in r}
    assert set(fixes) == {("TPR601", 35), ("TPR601", 60), ("TPR602", 3)}
    (change,) = fixes[("TPR602", 3)][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "docker-compose.yml"
    assert change["replacements"] == [{"deletedRegion": {"startLine": 4, "startColumn": 1, "endLine": 4,
                                                         "endColumn": 1},
                                       "insertedContent": {"text": "    stop_grace_period: 126s\n"}}]
    (change,) = fixes[("TPR601", 35)][0]["artifactChanges"]
    line = (root / "deploy/workers.yaml").read_text().splitlines()[34]
    region = change["replacements"][0]["deletedRegion"]
    assert line[region["startColumn"] - 1: region["endColumn"] - 1] == "300"


def test_sarif_results_carry_the_fix_of_a_call_in_the_workflows_own_code(tmp_path: Path) -> None:
    """The call's rewrite only: the module imports workflow already, as workflow code does."""
    (tmp_path / "checkout.py").write_text(WORKFLOW)
    results = json.loads(run_cli(".", "-f", "sarif", "--no-cache", cwd=tmp_path).stdout)["runs"][0]["results"]
    lines = WORKFLOW.splitlines()
    rewritten = {}
    for result in results:
        if result["ruleId"] != "TPR210" or "fixes" not in result:
            continue
        (change,) = result["fixes"][0]["artifactChanges"]
        (replacement,) = change["replacements"]
        region = replacement["deletedRegion"]
        line = lines[region["startLine"] - 1]
        rewritten[line[region["startColumn"] - 1:region["endColumn"] - 1]] = replacement["insertedContent"]["text"]
    assert rewritten["datetime.datetime.now()"] == "workflow.now()"
    assert rewritten["time.time()"] == "workflow.time()"
    assert rewritten["uuid.uuid4()"] == "workflow.uuid4()"
    # A helper's call is an unsafe fix: no SARIF fix either (the demo's is_overdue).
    root = demo(tmp_path / "demo")
    demo_results = json.loads(run_cli(".", "-f", "sarif", cwd=root).stdout)["runs"][0]["results"]
    assert not [r for r in demo_results if r["ruleId"] == "TPR210" and "fixes" in r]


def test_time_sleep_in_a_generator_expression_is_not_rewritten(tmp_path: Path) -> None:
    """`await` inside a generator expression would make it an async generator: a different program."""
    source = ("import time\n\nfrom temporalio import workflow\n\n\n@workflow.defn\nclass W:\n    @workflow.run\n"
              "    async def run(self) -> bool:\n        return all(time.sleep(1) is None for _ in range(3))\n")
    (tmp_path / "wf.py").write_text(source)
    run_cli(".", "--fix", "--no-cache", cwd=tmp_path)
    assert (tmp_path / "wf.py").read_text() == source


def test_an_added_import_goes_below_the_shebang_and_keeps_crlf_line_endings(tmp_path: Path) -> None:
    from tprlint.fix.python_fixes import settle_imports

    header = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n__version__ = '1'\n"
    assert settle_imports(header, ["from temporalio import workflow"], []) == (
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nfrom temporalio import workflow\n__version__ = '1'\n")
    crlf = settle_imports("import os\r\nx = 1\r\n", ["import asyncio"], [])
    assert crlf == "import asyncio\r\nimport os\r\nx = 1\r\n"


def test_a_diff_never_prints_a_context_line_a_ci_runner_would_read_as_a_command(tmp_path: Path) -> None:
    root = demo(tmp_path)
    manifest = root / "deploy" / "workers.yaml"
    lines = manifest.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "terminationGracePeriodSeconds: 300" in line)
    lines.insert(at, "      # ::error file=README.md::forged by a comment next to the fix")
    manifest.write_text("\n".join(lines) + "\n")
    out = run_cli(".", "--diff", "--no-cache", cwd=root).stdout
    assert "forged by a comment" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::")]


@pytest.mark.parametrize(("args", "message"), [
    (["--unsafe-fixes"], "--unsafe-fixes goes with --fix or --diff"),
    (["--fix", "--diff"], "--diff shows the fixes, --fix makes them: choose one"),
    (["--fix", "--baseline", "b.json"], "--fix and --diff do not combine with --baseline"),
])
def test_fix_options_that_do_not_go_together_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(".", *args, cwd=demo(tmp_path))
    assert result.returncode == 2 and message in result.stderr


def test_diff_with_exit_zero_exits_zero(tmp_path: Path) -> None:
    result = run_cli(".", "--diff", "--exit-zero", "--no-cache", cwd=demo(tmp_path))
    assert result.returncode == 0 and result.stdout.startswith("--- a/")
