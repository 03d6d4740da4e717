"""The console report, character for character: the code frame, the caret under what a finding points at,
the help block and the rule table. A layout change must show up here, on purpose."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tprlint.catalog import load_catalog
from tprlint.model import Finding, Location, RuleMeta, Severity, Undecided
from tprlint.report import ReportContext, load_reporter

SOURCE = 'import temporalio\nworker = Worker(client, task_queue="orders")\nx = f(a)\nconfig = {  \n    "a": 1,\n}\n'
FINDINGS = [
    Finding("TPR601", Severity.ERROR, "token at column 10", Location("worker.py", 2, 10)),  # the word there
    Finding("TPR103", Severity.WARNING, "past the end", Location("worker.py", 3, 99)),  # just after the line
    Finding("TPR101", Severity.WARNING, "one char", Location("worker.py", 3, 6, 3, 7)),
    # To its first line's end, trailing blanks left out.
    Finding("TPR201", Severity.NOTE, "multi-line", Location("worker.py", 4, 1, 6, 2)),
]
EXPECTED = """\
worker.py:2:10  TPR601 [error] grace-period-shorter-than-drain
  token at column 10
    1 │ import temporalio
  > 2 │ worker = Worker(client, task_queue="orders")
      │          ^^^^^^
    3 │ x = f(a)
  help: A workload's `terminationGracePeriodSeconds` (default 30) does not exceed the
        `graceful_shutdown_timeout` of the worker it runs, plus its preStop sleep and a margin.
        (tprlint explain TPR601)

worker.py:3:99  TPR103 [warning] worker-no-sigterm-handler
  past the end
    1 │ import temporalio
    2 │ worker = Worker(client, task_queue="orders")
  > 3 │ x = f(a)
      │         ^
    4 │ config = {
  help: A process entrypoint runs a Temporal Worker but no module of the project it imports installs
        a SIGTERM handler.
        (tprlint explain TPR103)

worker.py:3:6  TPR101 [warning] worker-graceful-shutdown-missing
  one char
    1 │ import temporalio
    2 │ worker = Worker(client, task_queue="orders")
  > 3 │ x = f(a)
      │      ^
    4 │ config = {
  help: A Temporal `Worker` is constructed without `graceful_shutdown_timeout`, or with zero.
        (tprlint explain TPR101)

worker.py:4:1  TPR201 [note] activity-missing-timeout
  multi-line
    2 │ worker = Worker(client, task_queue="orders")
    3 │ x = f(a)
  > 4 │ config = {
      │ ^^^^^^^^^^
    5 │     "a": 1,
  help: An activity is scheduled without `start_to_close_timeout` or `schedule_to_close_timeout`.
        (tprlint explain TPR201)

Rule     Name                               Severity   Count
────────────────────────────────────────────────────────────
TPR601   grace-period-shorter-than-drain    error          1
TPR101   worker-graceful-shutdown-missing   warning        1
TPR103   worker-no-sigterm-handler          warning        1
TPR201   activity-missing-timeout           note           1

Found 1 error, 2 warnings, 1 note (1 file scanned).
"""


def _render(root: Path, *, color: bool = False) -> str:
    (root / "worker.py").write_text(SOURCE, encoding="utf-8")
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=color, base_dir=root)
    return load_reporter("console")(FINDINGS, context)


def test_the_console_report_character_for_character(tmp_path: Path) -> None:
    assert _render(tmp_path) == EXPECTED


def test_in_colour_only_the_lines_around_a_finding_are_dimmed(tmp_path: Path) -> None:
    dim = "\x1b[2m"
    lines = _render(tmp_path, color=True).splitlines()
    target = next(line for line in lines if "> 2" in line and "Worker(client" in line)
    context = next(line for line in lines if " 1 " in line and "import temporalio" in line)
    assert dim not in target.split("│", 1)[1]
    assert dim in context.split("│", 1)[1]
    bold = "\x1b[1m"
    assert bold in target.split("│", 1)[0] and dim not in target.split("│", 1)[0]  # the finding's line number
    assert dim in context.split("│", 1)[0]
    # Severities in colour: an error's rule id in bold red.
    assert "\x1b[1;31mTPR601" in "\n".join(lines)
    # Plain text is not "highlighted": a number in a message keeps the message's style.
    message = next(line for line in lines if "token at column 10" in line)
    assert "\x1b" not in message


def _one(root: Path, finding: Finding, source: str, **rules: RuleMeta) -> list[str]:
    (root / "worker.py").write_text(source, encoding="utf-8")
    context = ReportContext(rules={**load_catalog(), **rules}, version="test", files_scanned=1, color=False,
                            base_dir=root)
    return load_reporter("console")([finding], context).splitlines()


def test_tabs_in_the_frame_are_four_columns_wide_and_the_caret_follows(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 2)), "\tworker = 1\n")
    assert lines[2:4] == ["  > 1 │     worker = 1", "      │     ^^^^^^"]


def test_a_column_0_points_at_the_first_character(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 0)), "worker = 1\n")
    assert lines[2:4] == ["  > 1 │ worker = 1", "      │ ^^^^^^"]


@pytest.mark.parametrize(("length", "same_line"), [(66, True), (67, False)])
def test_the_explain_hint_follows_the_help_on_its_line_while_it_fits_in_92_columns(
        tmp_path: Path, length: int, same_line: bool) -> None:
    # 100 columns, less the indent (2), `help:` (5) and a blank: 92 for the summary, two blanks and the hint.
    meta = replace(load_catalog()["TPR101"], summary="s" * length)
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 1)), "x = 1\n",
                 TPR101=meta)
    help_lines = [line for line in lines if line.strip().startswith(("help:", "(tprlint"))]
    expected = [f"  help: {'s' * length}  (tprlint explain TPR101)"] if same_line else [
        f"  help: {'s' * length}", "        (tprlint explain TPR101)"]
    assert help_lines == expected


@pytest.mark.parametrize(("column", "caret"), [
    (1, "^^^^^^"),  # `worker`: the word at the column
    (10, "         ^^^^^^"),  # `Worker`, a word
    (8, "       ^"),  # `=`: not a word, so up to the next blank
    (7, "      ^"),  # a blank: the column itself
    (18, "                 ^^"),  # `==`: two symbols
])
def test_the_caret_underlines_the_token_at_the_column(tmp_path: Path, column: int, caret: str) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, column)),
                 "worker = Worker  == x\n")
    assert lines[3] == f"      │ {caret}"


def test_a_one_letter_word_gets_one_caret(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 1)), "x = f(a)\n")
    assert lines[3] == "      │ ^"


def test_after_ten_findings_of_a_rule_the_rest_are_counted_once(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text("x = 1\n" * 20, encoding="utf-8")
    findings = [Finding("TPR101", Severity.WARNING, f"m{n}", Location("worker.py", n)) for n in range(1, 13)]
    findings.append(Finding("TPR201", Severity.NOTE, "a note after them", Location("worker.py", 1)))
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=False, base_dir=tmp_path)
    text = load_reporter("console")(findings, context)
    assert [line.split()[:2] for line in text.splitlines() if line.startswith("worker.py:")] == [
        [f"worker.py:{n}:1", "TPR101"] for n in range(1, 11)] + [["worker.py:1:1", "TPR201"]]
    more = "... and 2 more TPR101 findings like this in 1 file"
    assert text.count(more) == 1
    assert text.index("worker.py:10:1") < text.index(more) < text.index("Rule ")


def test_what_a_rule_could_not_check_names_the_first_case_and_counts_the_rest(tmp_path: Path) -> None:
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=False, base_dir=tmp_path,
                            not_checked=(Undecided("TPR601", "worker.py:48", "the drain comes from `cfg.timeout`"),
                                         Undecided("TPR601", "jobs.py:9", "the grace period comes from a Helm value")))
    text = load_reporter("console")([], context)
    assert text.splitlines()[-1] == ("TPR601: not checked for 2 workloads: worker.py:48: the drain comes from "
                                     "`cfg.timeout` (and 1 more).")


def test_a_line_outside_the_file_shows_no_frame(tmp_path: Path) -> None:
    for line in (0, 3):
        lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", line)), "a = 1\nb = 2\n")
        assert not any("│" in shown for shown in lines), line


def test_one_case_a_rule_could_not_check_is_named_alone(tmp_path: Path) -> None:
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=False, base_dir=tmp_path,
                            not_checked=(Undecided("TPR602", "compose.yml:4", "the grace is ${GRACE}"),))
    assert load_reporter("console")([], context).splitlines()[-1] == (
        "TPR602: not checked for 1 compose service: compose.yml:4: the grace is ${GRACE}.")


def test_an_end_column_at_the_start_column_is_no_span_so_the_word_is_underlined(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 1, 1, 1)),
                 "worker = 1\n")
    assert lines[3] == "      │ ^^^^^^"


def test_a_word_that_ends_the_line_is_underlined_to_its_last_letter(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 5)), "x = Worker\n")
    assert lines[3] == "      │     ^^^^^^"


def test_a_span_that_starts_in_trailing_blanks_underlines_one_character(tmp_path: Path) -> None:
    lines = _one(tmp_path, Finding("TPR201", Severity.NOTE, "m", Location("worker.py", 1, 11, 2, 1)),
                 "config = {  \n}\n")
    assert lines[3] == "      │ " + " " * 10 + "^"


def test_long_words_and_wide_characters_fold_within_100_columns_and_nothing_is_cut(tmp_path: Path) -> None:
    """Every line fits in 100 terminal cells, and no text is lost for it: a path longer than a line
    folds onto the next, under the arrow's hanging indent, and wide characters count twice."""
    from rich.cells import cell_len

    from tprlint.model import RelatedLocation

    path = "deploy/" + "very-long-folder-name/" * 8 + "values.yaml"
    message = "宽字符 " * 40
    finding = Finding("TPR101", Severity.WARNING, message, Location("worker.py", 1, 1),
                      related=(RelatedLocation(Location(path, 3), "the values file"),))
    lines = _one(tmp_path, finding, "x = 1\n")
    assert max(cell_len(line) for line in lines) <= 100
    assert "…" not in "\n".join(lines)
    arrow = next(i for i, line in enumerate(lines) if line.startswith("  ↳ "))
    shown = lines[arrow][4:] + "".join(line[4:] for line in lines[arrow + 1:arrow + 3])
    assert shown.startswith(path) and lines[arrow + 1].startswith("    ") and not lines[arrow + 1].startswith("     ")
    assert "".join(line.strip() for line in lines[1:arrow]).count("宽字符") >= 40
