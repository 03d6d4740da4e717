"""End to end: the CLI in a subprocess, as a user, a GitHub Action or a release gate runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from conftest import DEMO_BY_SEVERITY, DEMO_FINDINGS, FIXTURES, REPO, run_cli

from tprlint.catalog import load_catalog

# The OASIS SARIF 2.1.0 schema, published for reuse: a copy travels with the tests.
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    copy = tmp_path / "demo-shop"
    shutil.copytree(FIXTURES / "demo-shop", copy)
    return copy


# -- outputs ---------------------------------------------------------------------------------------

def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    result = run_cli("fixtures/demo-shop", "-f", f"sarif:{out}", "--no-cache")
    assert result.returncode == 1
    assert result.stdout == ""
    log = json.loads(out.read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []
    results = log["runs"][0]["results"]
    assert len(results) == len(DEMO_FINDINGS)
    assert all(r["level"] in ("error", "warning", "note") for r in results)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] for r in results} == {"%SRCROOT%"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "fixtures/demo-shop/orders/worker.py" in uris
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["TPR601"]["helpUri"].endswith("TPR601.toml")
    assert rules["TPR601"]["help"]["markdown"]
    assert all(r["partialFingerprints"] for r in results)


def test_sarif_fingerprints_survive_unrelated_line_shifts(demo: Path, tmp_path: Path) -> None:
    def fingerprints() -> dict[str, str]:
        out = tmp_path / "r.sarif"
        run_cli(str(demo), "-f", f"sarif:{out}", "--no-cache", cwd=tmp_path)
        results = json.loads(out.read_text())["runs"][0]["results"]
        return {
            f"{r['ruleId']}:{r['message']['text'][:60]}": r["partialFingerprints"]["tprlint/v1"] for r in results
        }

    before = fingerprints()
    worker = demo / "orders" / "worker.py"
    worker.write_text("# a new header comment\n\n" + worker.read_text())
    manifest = demo / "deploy" / "workers.yaml"
    manifest.write_text("# reviewed by platform team\n" + manifest.read_text())
    after = fingerprints()
    assert before == after


def test_github_annotations_are_valid_workflow_commands() -> None:
    result = run_cli("fixtures/demo-shop", "-f", "github", "--no-cache")
    lines = result.stdout.splitlines()
    assert len(lines) == len(DEMO_FINDINGS)
    for line in lines:
        assert line.startswith(("::error file=", "::warning file=", "::notice file="))
        properties, _, message = line[2:].partition("::")
        assert message and "\n" not in message
        assert ",line=" in properties and ",title=TPR" in properties
    assert any(line.startswith("::error file=fixtures/demo-shop/orders/worker.py,line=15,") for line in lines)


def test_json_output_follows_its_documented_shape() -> None:
    result = run_cli("fixtures/demo-shop", "-f", "json", "--no-cache")
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["summary"]["by_severity"] == DEMO_BY_SEVERITY
    first = document["findings"][0]
    assert set(first) >= {"rule", "name", "severity", "checklist", "message", "path", "line", "column",
                          "related", "suppressed", "fingerprint"}
    docs = (REPO / "docs" / "json-output.md").read_text()
    for key in ("rule", "checklist", "fingerprint", "suppressed_by", "by_severity"):
        assert f"`{key}`" in docs or f'"{key}"' in docs


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    result = run_cli("fixtures/demo-shop", "-f", "concise", "-f", f"json:{tmp_path / 'r.json'}",
                     "-f", f"sarif:{tmp_path / 'r.sarif'}", "--no-cache")
    assert result.returncode == 1
    assert result.stdout.count("\n") == len(DEMO_FINDINGS)
    assert len(json.loads((tmp_path / "r.json").read_text())["findings"]) == len(DEMO_FINDINGS)
    assert (tmp_path / "r.sarif").stat().st_size > 0


def test_output_is_deterministic() -> None:
    first = run_cli("fixtures", "-f", "json", "--no-cache").stdout
    second = run_cli("fixtures", "-f", "json").stdout  # second: with the cache
    third = run_cli("fixtures", "-f", "json").stdout
    assert first == second == third


# -- gate: exit codes ------------------------------------------------------------------------------

def test_fail_on_and_exit_zero() -> None:
    warnings_only = ("fixtures/demo-shop", "--select", "TPR4", "--no-cache", "-f", "concise")
    assert run_cli(*warnings_only).returncode == 0  # default: fail on errors only
    assert run_cli(*warnings_only, "--fail-on", "warning").returncode == 1
    assert run_cli("fixtures/demo-shop", "--exit-zero", "--no-cache", "-f", "concise").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "TPR999"], "unknown rule 'TPR999'"),
        (["--ignore", "banana"], "is not a rule id"),
        (["does/not/exist"], "path does not exist"),
        (["-f", "xml"], "unknown format 'xml'"),
        (["--config", "missing.toml"], "config file not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run_cli("fixtures/demo-shop", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unknown_config_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".tprlint.toml").write_text('selectt = ["TPR1"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key 'selectt'" in result.stderr


@pytest.mark.parametrize(("make", "said"), [
    (lambda p: os.mkfifo(p), "a named pipe (FIFO), not a regular file"),
    (lambda p: p.symlink_to("nowhere"), "a symbolic link to nothing"),
    (lambda p: p.mkdir(), "a folder, not a regular file"),
])
def test_a_configuration_file_that_cannot_be_read_is_an_error(tmp_path: Path, make: Callable[[Path], None],
                                                              said: str) -> None:
    # Never waited on, never skipped: running with the defaults would silently drop its settings.
    (tmp_path / "worker.py").write_text("x = 1\n")
    make(tmp_path / ".tprlint.toml")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f".tprlint.toml: {said}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_rule_in_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tprlint]\nignore = ["TPR404", "TPR4O5"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert "TPR4O5" in result.stderr


def test_config_thresholds_change_the_verdict(demo: Path) -> None:
    (demo / ".tprlint.toml").write_text("[thresholds]\nworker-min-replicas = 1\ngrace-margin-seconds = 0\n")
    result = run_cli(str(demo), "-f", "concise", "--no-cache", cwd=demo)
    assert "TPR406" not in result.stdout
    assert "at least 601" in result.stdout


# -- robustness ------------------------------------------------------------------------------------

def test_unparsable_files_become_tpr001_and_other_findings_remain(demo: Path) -> None:
    (demo / "deploy" / "broken.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n\tname: x\n")
    (demo / "orders" / "broken.py").write_text("from temporalio.worker import Worker\ndef f(:\n    pass\n")
    (demo / "deploy" / "binary.yaml").write_bytes(b"apiVersion: v1\nkind: x\n\x00\x01\x02" * 10)
    (demo / "orders" / "py2.py").write_text("import temporalio\nprint 'hello'\n")
    result = run_cli(str(demo), "-f", "concise", "--no-cache", cwd=demo)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    tpr001 = [line for line in lines if " TPR001 " in line]
    assert any(line.startswith("deploy/broken.yaml:4:") for line in tpr001)
    assert any(line.startswith("orders/broken.py:2:") for line in tpr001)
    assert any(line.startswith("deploy/binary.yaml:") for line in tpr001)
    assert any(line.startswith("orders/py2.py:2:") for line in tpr001)
    assert sum(" TPR601 " in line for line in lines) == 2  # everything else still found


def test_alias_bomb_does_not_hang_or_crash(tmp_path: Path) -> None:
    bomb = ["apiVersion: v1", "kind: ConfigMap", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    result = run_cli(".", "-f", "concise", "--no-cache", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert "bomb.yaml" in result.stdout and "TPR001" in result.stdout


# -- suppressions ----------------------------------------------------------------------------------

def test_inline_annotation_and_config_suppressions(demo: Path, tmp_path: Path) -> None:
    worker = demo / "orders" / "worker.py"
    source = worker.read_text()
    worker.write_text(source.replace("    worker = Worker(", "    # tprlint: ignore[TPR101]\n    worker = Worker("))
    manifest = demo / "deploy" / "workers.yaml"
    text = manifest.read_text().replace(
        "      labels: {app: orders-worker}\n    spec:",
        '      labels: {app: orders-worker}\n      annotations:\n        tprlint.io/ignore: "TPR402,TPR403"\n    spec:',
    )
    manifest.write_text(text)
    (demo / ".tprlint.toml").write_text('[per-file-ignores]\n"deploy/*.yaml" = ["TPR405"]\n')
    out = tmp_path / "r.sarif"
    result = run_cli(str(demo), "-f", "concise", "-f", f"sarif:{out}", "--no-cache", cwd=demo)
    assert "TPR101" not in result.stdout
    assert "TPR402" not in result.stdout and "TPR403" not in result.stdout
    assert "TPR405" not in result.stdout
    assert "TPR103" in result.stdout  # only what was named is suppressed
    results = json.loads(out.read_text())["runs"][0]["results"]
    suppressed = {r["ruleId"]: r["suppressions"][0]["kind"] for r in results if r.get("suppressions")}
    assert suppressed == {"TPR101": "inSource", "TPR402": "inSource", "TPR403": "inSource", "TPR405": "external"}


# -- commands --------------------------------------------------------------------------------------

def test_rules_lists_every_rule() -> None:
    result = run_cli("rules")
    assert result.returncode == 0
    for rule_id, meta in load_catalog().items():
        assert rule_id in result.stdout and meta.name in result.stdout


@pytest.mark.parametrize("rule_id", sorted(load_catalog()))
def test_explain_documents_each_rule(rule_id: str) -> None:
    result = run_cli("explain", rule_id)
    assert result.returncode == 0
    meta = load_catalog()[rule_id]
    headings = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## How to fix"]
    if rule_id == "TPR000":  # tprlint's own bugs: no input shows one on purpose
        headings.remove("## Example")
    for heading in headings:
        assert heading in result.stdout
    assert meta.name in result.stdout


def test_explain_unknown_rule() -> None:
    result = run_cli("explain", "TPR999")
    assert result.returncode == 2 and "unknown rule" in result.stderr


def test_help_explains_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "exit codes" in result.stdout and "--fail-on" in result.stdout


def test_version_imports_no_heavy_module() -> None:
    probe = (
        "import sys\n"
        "from tprlint.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('rich', 'libcst', 'kubernetes', 'temporalio', 'helm', 'sarif_om', 'yaml', 'pathspec')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert "tprlint 0." in result.stdout
    assert "HEAVY []" in result.stdout


# -- cache -----------------------------------------------------------------------------------------

def test_an_unchanged_tree_replays_the_last_result_and_any_input_change_runs_again(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint.config import Config
    from tprlint.engine import run

    monkeypatch.chdir(demo)
    config = Config(root=demo)
    first = run([Path(".")], config)
    second = run([Path(".")], config)
    assert not first.replayed and second.replayed
    assert [f.sort_key() for f in second.findings] == [f.sort_key() for f in first.findings]
    # Inputs that are not discovered files count too: a chart's helper template...
    helpers = demo / "deploy" / "charts" / "reports-worker" / "templates" / "_helpers.tpl"
    assert helpers.is_file()
    helpers.write_text(helpers.read_text() + "\n{{/* edited */}}\n")
    assert not run([Path(".")], config).replayed
    assert run([Path(".")], config).replayed
    # ...and the configuration and the selected rules.
    assert not run([Path(".")], Config(root=demo, ignore=("TPR601",))).replayed
    assert not run([Path(".")], config).replayed
    # --no-cache neither reads nor writes it.
    assert not run([Path(".")], config, use_cache=False).replayed


def test_the_worker_pool_finds_what_a_serial_run_finds_and_caches_each_file(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.scan
    from tprlint.config import Config
    from tprlint.engine import run

    # Enough imported helper modules that the import rounds split them over several batches.
    helpers = demo / "orders" / "helpers"
    helpers.mkdir()
    for i in range(12):
        (helpers / f"h{i}.py").write_text(f"LIMIT_{i} = {i}\n")
    worker = demo / "orders" / "worker.py"
    imports = "".join(f"from orders.helpers.h{i} import LIMIT_{i}\n" for i in range(12))
    worker.write_text(imports + worker.read_text())
    monkeypatch.chdir(demo)
    serial = run([Path(".")], Config(root=demo), use_cache=False, jobs=1)
    monkeypatch.setattr(tprlint.scan, "PARALLEL_THRESHOLD", 0)  # the demo is small: use the pool anyway
    pooled = run([Path(".")], Config(root=demo), jobs=2)
    assert [(f.rule_id, f.location, f.message) for f in pooled.findings] == [
        (f.rule_id, f.location, f.message) for f in serial.findings]
    assert pooled.parsed == serial.parsed > 12
    # One edited file: only it is parsed again; every other file's facts come from the cache.
    worker.write_text(worker.read_text() + "\n# edited\n")
    again = run([Path(".")], Config(root=demo), jobs=2)
    assert (again.replayed, again.parsed) == (False, 1)
    assert [f.message for f in again.findings] == [f.message for f in pooled.findings]


def test_a_cache_restored_onto_a_fresh_checkout_still_saves_the_parsing(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from tprlint.config import Config
    from tprlint.engine import run

    monkeypatch.chdir(demo)
    first = run([Path(".")], Config(root=demo))
    # A fresh clone (or an actions/cache restore) gives every file a new modification time.
    later = 2_000_000_000
    for path in demo.rglob("*"):
        if path.is_file() and ".tprlint_cache" not in path.parts:
            os.utime(path, (later, later))
    again = run([Path(".")], Config(root=demo))
    assert first.parsed > 0 and (again.replayed, again.parsed) == (False, 0)
    assert [f.message for f in again.findings] == [f.message for f in first.findings]


def test_two_folders_sharing_one_cache_never_get_each_others_facts(tmp_path: Path) -> None:
    import os

    (tmp_path / "pyproject.toml").write_text("[tool.tprlint]\n")
    for folder, source in (("a", "import temporalio\nx = (\n"), ("b", "import temporalio\nx = 1\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "w.py").write_text(source)  # same name, same size
        os.utime(tmp_path / folder / "w.py", (1_700_000_000, 1_700_000_000))  # and the same time
    assert "TPR001" in run_cli(".", "-f", "concise", cwd=tmp_path / "a").stdout
    assert "TPR001" not in run_cli(".", "-f", "concise", cwd=tmp_path / "b").stdout


def test_a_file_that_could_not_be_read_is_read_again_next_run(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.scan
    from tprlint.config import Config
    from tprlint.engine import run

    monkeypatch.chdir(demo)
    (demo / "orders" / "broken.py").write_text("import temporalio\nx = (\n")
    real_read = tprlint.scan.read_source

    def flaky(candidate: object) -> object:
        if str(getattr(candidate, "display", "")).endswith("broken.py"):
            raise PermissionError(13, "Permission denied")
        return real_read(candidate)  # type: ignore[arg-type]

    monkeypatch.setattr(tprlint.scan, "read_source", flaky)
    first = run([Path(".")], Config(root=demo), jobs=1)
    (unreadable,) = [f for f in first.findings if f.location.path == "orders/broken.py"]
    assert unreadable.rule_id == "TPR001" and "cannot be read: Permission denied" in unreadable.message
    monkeypatch.setattr(tprlint.scan, "read_source", real_read)  # e.g. the permissions were fixed
    second = run([Path(".")], Config(root=demo), jobs=1)
    assert not second.replayed
    assert any(f.rule_id == "TPR001" and f.location.path == "orders/broken.py" for f in second.findings)


def test_file_names_that_are_not_utf8_are_scanned(tmp_path: Path) -> None:
    import os

    folder = tmp_path / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    (folder / "w.py").write_text("import temporalio\nx = (\n")
    for _ in range(2):  # cold, then replayed
        result = subprocess.run([sys.executable, "-m", "tprlint", ".", "-f", "concise"], capture_output=True,
                                cwd=tmp_path, timeout=120)
        # The byte that is not UTF-8 is shown as an escape: the output stays valid UTF-8.
        assert b"caf\\xe9/w.py" in result.stdout and b"TPR001" in result.stdout, result.stderr
        assert b"Traceback" not in result.stderr


def test_a_huge_single_line_of_import_words_is_scanned_in_linear_time(tmp_path: Path) -> None:
    # A bundle kept as a Python string (6.9 MB on one line): every `import ` is on the same line. A scan
    # that re-reads the line per occurrence takes minutes here; run_cli gives up after 120 s.
    (tmp_path / "bundle.py").write_text('BUNDLE = "' + "import a from './x.js';" * 300_000 + '"\n')
    (tmp_path / "w.py").write_text("import temporalio\nx = (\n")
    result = run_cli(".", "-f", "concise", "--no-cache", cwd=tmp_path)
    assert "w.py:2" in result.stdout and "TPR001" in result.stdout


def test_a_replayed_run_does_not_wait_for_the_analysis_code(demo: Path) -> None:
    # The analysis code loads while the walk runs in a child process, and only then: on this small tree
    # the walk is back long before the linking and rule code (last to load) would be reached.
    run_cli(".", "-f", "json:report.json", cwd=demo)
    probe = (
        "import sys\n"
        "from tprlint.cli import main\n"
        "code = main(['.', '-f', 'json:again.json'])\n"
        "loaded = [m for m in ('tprlint.pipeline', 'tprlint.helm.stage', 'tprlint.link.python_project')"
        " if m in sys.modules]\n"
        "print('LOADED', loaded, code)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=demo)
    assert "LOADED [] 1" in result.stdout, result.stdout + result.stderr
    assert json.loads((demo / "again.json").read_text())["findings"] == json.loads(
        (demo / "report.json").read_text())["findings"]


def test_repeated_selection_options_add_up(tmp_path: Path) -> None:
    both = run_cli(".", "-f", "concise", "--select", "TPR601", "--select", "TPR409", cwd=FIXTURES / "demo-shop")
    assert {line.split()[1] for line in both.stdout.splitlines()} == {"TPR601", "TPR409"}
    ignored = run_cli(".", "-f", "concise", "--select", "TPR6,TPR409", "--ignore", "TPR601", "--ignore", "TPR409",
                      cwd=FIXTURES / "demo-shop")
    assert {line.split()[1] for line in ignored.stdout.splitlines()} == {"TPR602", "TPR604"}
    extended = run_cli(".", "-f", "concise", "--select", "TPR601", "--extend-select", "TPR409",
                       "--extend-select", "TPR602", cwd=FIXTURES / "demo-shop")
    assert {line.split()[1] for line in extended.stdout.splitlines()} == {"TPR601", "TPR602", "TPR409"}


@pytest.mark.parametrize("args", [["rules"], ["explain", "TPR601"], [str(FIXTURES / "demo-shop"), "-f", "concise"]])
def test_a_reader_that_has_gone_gets_no_traceback(args: list[str]) -> None:
    # `tprlint rules | head -1`, at its most abrupt: the reading end is closed before tprlint writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "tprlint", *args], stdout=write_end, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120, check=False)
    finally:
        os.close(write_end)
    errors = result.stderr.decode()
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


def test_the_console_starts_with_errors() -> None:
    out = run_cli(str(FIXTURES / "demo-shop")).stdout
    headers = [line for line in out.splitlines() if " TPR" in line and "[" in line and not line.startswith(" ")]
    severities = [line.split("[", 1)[1].split("]", 1)[0] for line in headers]
    assert severities[0] == "error" and severities == sorted(severities, key=["error", "warning", "note"].index)


def test_statistics_count_findings_per_rule_most_first() -> None:
    result = run_cli(str(FIXTURES / "demo-shop"), "--statistics")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    counts = [int(row[0]) for row in rows]
    assert counts == sorted(counts, reverse=True) and sum(counts) == sum(DEMO_BY_SEVERITY.values())
    assert ["2", "TPR601", "[error] grace-period-shorter-than-drain"] in rows
    assert result.returncode == 1  # the gate is the same


def test_quiet_prints_the_findings_and_nothing_else() -> None:
    result = run_cli(str(FIXTURES / "demo-shop"), "-q")
    assert "TPR601" in result.stdout and "Found 9 errors" not in result.stdout
    assert not any(line.startswith("Rule ") for line in result.stdout.splitlines())  # no statistics table


def test_many_findings_of_one_rule_are_counted_after_the_first_ten(tmp_path: Path) -> None:
    for i in range(300):  # a samples folder: the same mistake in every sample
        (tmp_path / f"sample{i:03}.py").write_text(
            "from temporalio.worker import Worker\n\nasync def main(client):\n"
            "    worker = Worker(client, task_queue='q', workflows=[])\n    await worker.run()\n", encoding="utf-8")
    out = run_cli(".", "--select", "TPR101", cwd=tmp_path).stdout
    assert out.count("TPR101 [error]") == 10
    assert "... and 290 more TPR101 findings like this in 290 files" in out
    assert "Found 300 errors" in out


def test_a_file_named_on_the_command_line_is_analysed_in_full(tmp_path: Path) -> None:
    # No temporalio import: inside a folder it matters only if Temporal code imports it; named, it is linted.
    (tmp_path / "settings.py").write_text('API_KEY = "q8Zr2LmV9xT4kPw7Yb3NcJ5hGf6DsA1E"\n', encoding="utf-8")
    named = run_cli("settings.py", "-f", "concise", cwd=tmp_path)
    assert named.stdout.startswith("settings.py:1:11: TPR302") and named.returncode == 1
    assert "TPR302" not in run_cli(".", "-f", "concise", cwd=tmp_path).stdout  # as before, in a folder


UNRESOLVED_WORKER = """import asyncio
import signal
from temporalio.worker import Worker
from app.config import cfg

async def main(client):
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
    worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=cfg.timeout)
    await worker.run()

if __name__ == "__main__":
    asyncio.run(main(None))
"""


def test_a_headline_check_that_cannot_decide_says_so(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(UNRESOLVED_WORKER, encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - {name: worker, image: 'example/worker:1.0', command: [python, worker.py]}\n",
        encoding="utf-8")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  worker:\n    build: .\n    command: python worker.py\n", encoding="utf-8")
    for _ in range(2):  # cold, then replayed from the cache: the same words
        out = run_cli(".", cwd=tmp_path).stdout
        assert "TPR601: not checked for 1 workload: Deployment worker: the drain of worker.py:8 could not" in out
        assert "TPR602: not checked for 1 compose service: compose service worker: the drain of worker.py:8" in out
    document = json.loads(run_cli(".", "-f", "json", cwd=tmp_path).stdout)
    assert {entry["rule"] for entry in document["summary"]["not_checked"]} == {"TPR601", "TPR602"}
    assert "not checked" not in run_cli(".", "--select", "TPR4", cwd=tmp_path).stdout  # only for rules that ran
