"""The command line's contract at its edges: option bounds, which path an error names, colour only on a
terminal's stream, subcommands' own options, a report that fails, a terminal that cannot show a name."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import tprlint.report
from tests.conftest import FIXTURES, run_cli
from tprlint import cli

DEMO = FIXTURES / "demo-shop"
BROKEN = b"import temporalio\nx = (\n"  # a syntax error: one TPR001 warning


def _tree(root: Path, name: str = "worker.py") -> Path:
    (root / name).write_bytes(BROKEN)
    return root


@pytest.mark.parametrize(("value", "accepted"), [("0.5", True), ("5000000", True), ("9999999", True),
                                                 ("10000000", False), ("1e9", False)])
def test_timeout_is_refused_from_ten_million_seconds(tmp_path: Path, value: str, accepted: bool) -> None:
    result = run_cli(".", "--timeout", value, "-f", "concise", cwd=_tree(tmp_path))
    if accepted:  # the run goes ahead (half a second may not be enough on a busy machine: then it says so)
        assert result.returncode in (0, 2) and "TPR001" in result.stdout, result.stderr
        assert "--timeout must be" not in result.stderr
    else:
        assert result.returncode == 2 and "--timeout must be a number of seconds above 0" in result.stderr


@pytest.mark.parametrize(("value", "accepted"), [("1", True), ("2", True), ("0", False), ("-3", False)])
def test_jobs_must_be_at_least_one(tmp_path: Path, value: str, accepted: bool) -> None:
    result = run_cli(".", "--jobs", value, "-f", "concise", cwd=_tree(tmp_path))
    if accepted:
        assert result.returncode == 0 and "TPR001" in result.stdout, result.stderr
    else:
        assert result.returncode == 2 and "--jobs must be at least 1" in result.stderr


def test_the_error_names_the_first_path_that_does_not_exist(tmp_path: Path) -> None:
    result = run_cli("no-such-a", "no-such-b", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "tprlint: error: path does not exist: no-such-a"


def test_a_subcommand_reads_its_own_options() -> None:
    result = run_cli("rules", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: tprlint rules")
    wrong = run_cli("rules", "--bogus")
    assert wrong.returncode == 2 and "unrecognized arguments: --bogus" in wrong.stderr


def test_colour_goes_to_the_terminal_stream_never_into_a_report_file(tmp_path: Path) -> None:
    report = tmp_path / "console.txt"
    result = run_cli(".", "--color", "always", "-f", "console", "-f", f"console:{report}", cwd=DEMO)
    assert "\x1b[" in result.stdout
    written = report.read_text(encoding="utf-8")
    assert "TPR601" in written and "\x1b[" not in written


@pytest.mark.parametrize(("mode", "coloured"), [("always", True), ("never", False), ("auto", False)])
def test_color_modes(mode: str, coloured: bool) -> None:
    # `auto` colours a terminal only: here stdout is a pipe.
    result = run_cli(".", "--color", mode, "-f", "console", cwd=DEMO, env={"NO_COLOR": ""})
    assert ("\x1b[" in result.stdout) is coloured


def test_a_report_that_fails_costs_the_others_nothing_and_the_run_exits_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = tprlint.report.load_reporter

    def failing_sarif(name: str) -> tprlint.report.Renderer:
        if name != "sarif":
            return real(name)

        def render(findings: object, ctx: object) -> str:
            raise RuntimeError("the SARIF writer broke")
        return render

    monkeypatch.setattr(tprlint.report, "load_reporter", failing_sarif)
    monkeypatch.chdir(_tree(tmp_path))
    code = cli.main([".", "--exit-zero", "-f", f"sarif:{tmp_path / 'out.sarif'}",
                     "-f", f"json:{tmp_path / 'out.json'}"])
    assert code == 2  # a gate never passes on a report it could not write, whatever --exit-zero says
    assert "the sarif report" in capsys.readouterr().err
    assert not (tmp_path / "out.sarif").exists()
    assert [f["rule"] for f in json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["findings"]] == [
        "TPR001"]


def test_a_terminal_that_cannot_show_a_name_gets_an_escape_not_a_traceback(tmp_path: Path) -> None:
    _tree(tmp_path, "wörker.py")
    result = run_cli(".", "-f", "concise", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in result.stderr
    assert "w\\xf6rker.py" in result.stdout and "TPR001" in result.stdout


def test_the_rules_table_lines_up_its_columns() -> None:
    result = run_cli("rules")
    table = result.stdout.split("\n\n")[0].splitlines()
    header = table[0]
    assert header.startswith("ID      NAME ")  # the widest id, TPR000, and two blanks
    columns = [header.index(title) for title in ("NAME", "SEVERITY", "CHECKLIST")]
    rows = [row.split() for row in table[1:]]
    for row, (rule_id, name, severity, checklist) in zip(table[1:], rows, strict=True):
        assert [row.index(name, len(rule_id)), row.index(severity, columns[1]), row.rindex(checklist)] == columns
    # Each column as wide as its widest cell, then two blanks.
    widest_name, widest_severity = (max(len(row[i]) for row in rows) for i in (1, 2))
    assert columns[1] - columns[0] == widest_name + 2
    assert columns[2] - columns[1] == max(widest_severity, len("SEVERITY")) + 2
    by_id = {row[0]: row for row in rows}
    assert (by_id["TPR601"][3], by_id["TPR000"][3]) == ("shutdown.grace-period", "-")  # "-": on no checklist
    assert "TPR000  internal-error " in result.stdout and result.stdout.rstrip().endswith(
        f"{len(table) - 1} rules. `tprlint explain ID` shows one in full.")


def test_with_several_paths_the_configuration_is_found_from_the_first(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / ".tprlint.toml").write_text('ignore = ["TPR001"]\n', encoding="utf-8")
    _tree(tmp_path / "a")
    _tree(tmp_path / "b")
    first = run_cli("a", "b", "-f", "concise", cwd=tmp_path)
    assert first.returncode == 0 and "TPR001" not in first.stdout, first.stdout
    second = run_cli("b", "a", "-f", "concise", cwd=tmp_path)
    assert sorted(line.split(":")[0] for line in second.stdout.splitlines() if "TPR001" in line) == [
        "a/worker.py", "b/worker.py"]


def test_a_report_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = run_cli(".", "-f", "json:worker.py/report.json", cwd=tmp_path)  # a file where a folder must be
    assert result.returncode == 2
    assert result.stderr.startswith("tprlint: error: cannot write worker.py/report.json: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """What tprlint prints when its standard output is a terminal (a pseudo-terminal here)."""
    controller, terminal = pty.openpty()
    try:
        subprocess.run([sys.executable, "-m", "tprlint", *args], cwd=DEMO, stdout=terminal, stderr=subprocess.DEVNULL,
                       env=env, timeout=120, check=False)
    finally:
        os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_auto_colours_a_terminal_unless_no_color_is_set(no_color: str | None, coloured: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    shown = _on_a_terminal(".", "--select", "TPR601", "--color", "auto", env=env)
    assert "TPR601" in shown
    assert ("\x1b[" in shown) is coloured


@pytest.mark.parametrize("args", [["rules"], ["explain", "TPR601"], [str(DEMO), "-f", "concise", "--exit-zero"]])
def test_everything_printed_reaches_a_pipe_before_the_fast_exit(args: list[str]) -> None:
    # tprlint leaves through os._exit, which flushes nothing: output buffered for a pipe must be written
    # out first. The same command unbuffered shows what is expected.
    def run(unbuffered: bool) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        if unbuffered:
            env["PYTHONUNBUFFERED"] = "1"
        return subprocess.run([sys.executable, "-m", "tprlint", *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    buffered, unbuffered = run(False), run(True)
    assert buffered.returncode == unbuffered.returncode == 0, buffered.stderr
    assert len(unbuffered.stdout) > 1000
    assert buffered.stdout == unbuffered.stdout


def test_a_report_file_is_written_in_folders_that_do_not_exist_yet(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = run_cli(".", "-f", "json:reports/ci/tprlint.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "reports" / "ci" / "tprlint.json").read_text(encoding="utf-8"))["findings"]
