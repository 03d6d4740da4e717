"""The console report at its edges: tabs under the caret, source lines and messages wider than the terminal,
a finding without a message. Rendered without colour at the fixed width of 100 columns, as a user sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tprlint.catalog import load_catalog
from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, load_reporter


def _report(root: Path, path: str, source: str, finding: Finding) -> list[str]:
    (root / path).write_text(source, encoding="utf-8")
    context = ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=False, base_dir=root)
    return load_reporter("console")([finding], context).splitlines()


def test_a_finding_on_a_tab_indented_line_underlines_the_whole_tab(tmp_path: Path) -> None:
    finding = Finding("TPR103", Severity.WARNING, "the recipe starts a worker", Location("Makefile", 2))
    lines = _report(tmp_path, "Makefile", "run:\n\tpython -m worker\n", finding)
    assert lines[:5] == [
        "Makefile:2:1  TPR103 [warning] worker-no-sigterm-handler",
        "  the recipe starts a worker",
        "    1 │ run:",
        "  > 2 │     python -m worker",
        "      │ ^^^^",
    ]


def test_a_span_that_starts_at_a_trailing_tab_underlines_the_tab_as_wide_as_it_is_shown(tmp_path: Path) -> None:
    finding = Finding("TPR201", Severity.NOTE, "m", Location("worker.py", 1, 9, 2, 1))
    lines = _report(tmp_path, "worker.py", "opts = {\t\n}\n", finding)
    assert lines[2:5] == [
        "  > 1 │ opts = {",
        "      │         ^^^^",
        "    2 │ }",
    ]


def test_a_source_line_wider_than_the_terminal_is_cropped_so_the_caret_stays_under_it(tmp_path: Path) -> None:
    source = "command = " + " ".join(f"--flag{n}=value{n}" for n in range(12)) + "\n"
    finding = Finding("TPR101", Severity.WARNING, "m", Location("worker.py", 1, 1))
    lines = _report(tmp_path, "worker.py", source, finding)
    assert lines[2:4] == [
        "  > 1 │ command = --flag0=value0 --flag1=value1 --flag2=value2 --flag3=value3 --flag4=value4 --flag…",
        "      │ ^^^^^^^",
    ]
    assert len(lines[2]) == 100


def test_a_long_message_wraps_inside_the_indent_and_within_100_columns(tmp_path: Path) -> None:
    message = " ".join(f"service-{n:02}" for n in range(20))
    finding = Finding("TPR101", Severity.WARNING, message, Location("worker.py", 1, 1))
    lines = _report(tmp_path, "worker.py", "x = 1\n", finding)
    assert lines[1:4] == [
        "  " + " ".join(f"service-{n:02}" for n in range(9)),
        "  " + " ".join(f"service-{n:02}" for n in range(9, 18)),
        "  service-18 service-19",
    ]
    assert max(len(line) for line in lines) <= 100


@pytest.mark.parametrize("length", [98, 99, 130])
def test_a_message_without_blanks_is_cut_at_98_columns_and_continues_indented(tmp_path: Path, length: int) -> None:
    finding = Finding("TPR101", Severity.WARNING, "w" * length, Location("worker.py", 1, 1))
    lines = _report(tmp_path, "worker.py", "x = 1\n", finding)
    shown = [line for line in lines[1:] if set(line.strip()) == {"w"}]
    assert shown == ["  " + "w" * 98] + (["  " + "w" * (length - 98)] if length > 98 else [])


def test_a_finding_without_a_message_goes_from_its_header_straight_to_its_frame(tmp_path: Path) -> None:
    finding = Finding("TPR101", Severity.WARNING, "", Location("worker.py", 1, 1))
    lines = _report(tmp_path, "worker.py", "x = 1\n", finding)
    assert lines[:3] == [
        "worker.py:1:1  TPR101 [warning] worker-graceful-shutdown-missing",
        "  > 1 │ x = 1",
        "      │ ^",
    ]
