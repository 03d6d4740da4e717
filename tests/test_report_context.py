"""What every reporter shares: which source lines may be shown, and which must be hidden because a
credential is on them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tprlint.catalog import load_catalog
from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, redact_near_credentials


def _finding(line: int, end_line: int | None = None, *, path: str = "settings.py", secret: bool = False) -> Finding:
    return Finding("TPR302" if secret else "TPR101", Severity.ERROR, "message",
                   Location(path, line, 1, end_line), redact_source=secret)


def _hidden(findings: list[Finding]) -> list[int]:
    return [f.location.line for f in redact_near_credentials(findings) if f.redact_source and f.rule_id != "TPR302"]


# A finding shows two lines before its own and one after: the console frame, the SARIF snippet and the
# fingerprint's text all stay inside that window.
@pytest.mark.parametrize(("line", "hidden"), [
    (8, False),   # shows 6-9: one line short of the credential on 10
    (9, True),    # shows 7-10
    (10, True),
    (12, True),   # shows 10-13
    (13, False),  # shows 11-14
])
def test_a_finding_whose_shown_lines_reach_a_credential_hides_its_source(line: int, hidden: bool) -> None:
    assert _hidden([_finding(10, secret=True), _finding(line)]) == ([line] if hidden else [])


def test_a_credential_spanning_lines_hides_what_shows_any_of_them() -> None:
    credential = _finding(10, 14, secret=True)  # a multi-line string
    assert _hidden([credential, _finding(16), _finding(17)]) == [16]  # 16 shows 14-17; 17 shows 15-18


def test_credentials_in_other_files_hide_nothing() -> None:
    assert _hidden([_finding(10, secret=True, path="other.py"), _finding(10)]) == []
    findings = [_finding(3), _finding(4)]
    assert redact_near_credentials(findings) == findings


def _context(base: Path, roots: tuple[str, ...] = ()) -> ReportContext:
    return ReportContext(rules=load_catalog(), version="test", files_scanned=1, color=False, base_dir=base,
                         roots=roots)


def test_source_lines_follow_a_link_inside_the_scanned_tree(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text("import temporalio\nworker = 1\n", encoding="utf-8")
    os.symlink(tmp_path / "worker.py", tmp_path / "alias.py")
    # No roots given: the base folder is the tree.
    assert _context(tmp_path).source_lines("alias.py") == ["import temporalio", "worker = 1"]
    assert _context(tmp_path, (str(tmp_path),)).source_lines("worker.py") == ["import temporalio", "worker = 1"]


def test_source_lines_never_follow_a_link_out_of_the_scanned_tree(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    (tmp_path / "tree").mkdir()
    os.symlink(tmp_path / "outside" / "id_rsa", tmp_path / "tree" / "worker.py")
    assert _context(tmp_path / "tree").source_lines("worker.py") == []
    assert _context(tmp_path / "tree", (str(tmp_path / "tree"),)).source_lines("worker.py") == []
