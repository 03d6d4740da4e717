"""Files written for a newer Python than the one running tprlint are analysed in full, with exact
positions; a real syntax error is still TPR001, and a file that crashes the newer parser is contained."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tprlint.discover.classify import FileKind
from tprlint.facts.extract import extract_file
from tprlint.facts.python.newer_grammar import rewrite, rewrite_in_child

DATA = REPO / "tests" / "data" / "newer_grammar"

# (rule, line, column) of every warning and error, the same whichever Python (3.10+) runs tprlint.
EXPECTED = {
    "py312.py": [("TPR210", 17, 36), ("TPR210", 21, 26), ("TPR250", 14, 1)],
    "py313.py": [("TPR210", 16, 28), ("TPR250", 13, 1)],
    "py314.py": [("TPR210", 12, 31), ("TPR250", 8, 1)],
}


def _findings(folder: Path, name: str) -> list[tuple[str, int, int]]:
    result = run_cli(name, "-f", "json", "--no-cache", cwd=folder)
    assert result.returncode in (0, 1), result.stderr
    found = json.loads(result.stdout)["findings"]
    return sorted((f["rule"], f["line"], f["column"]) for f in found
                  if f["severity"] in ("error", "warning"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_newer_grammar_gives_the_same_findings_at_the_same_places(tmp_path: Path, name: str) -> None:
    shutil.copy(DATA / name, tmp_path / name)  # out of tests/: a workflow there is a test fixture
    assert _findings(tmp_path, name) == EXPECTED[name]


def test_a_real_syntax_error_is_still_reported_with_the_running_pythons_message(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text('def f(:\n    return f"{x}"\n')
    result = run_cli("broken.py", "-f", "json", "--no-cache", cwd=tmp_path)
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["line"]) == ("TPR001", 1)
    assert finding["message"].startswith("Python syntax error: ")
    assert "newer Python" not in finding["message"]


def test_the_rewrite_keeps_every_byte_offset() -> None:
    source = 'x = "é"; y = f"{d["k"]}"; z = 1\ntype Alias[T] = list[T]\ndef g[T: int = str](a: T) -> T: ...\n'
    rewritten = rewrite(source.encode())
    assert len(rewritten) == len(source.encode())
    assert [len(line) for line in rewritten.splitlines()] == [len(line) for line in source.encode().splitlines()]
    assert rewritten.splitlines()[0].endswith(b"f'{d[\"k\"]}'; z = 1")
    assert rewritten.splitlines()[1] == b"(0); Alias    = list[T]"


def test_an_fstring_the_running_python_cannot_read_is_blanked_not_guessed() -> None:
    source = 'msg = f"{"\\n".join(parts)}" + tail\n'  # a backslash inside {}: 3.12 only, no quote swap helps
    rewritten = rewrite(source.encode())
    if sys.version_info < (3, 12):
        assert rewritten.startswith(b"msg = (0") and rewritten.endswith(b") + tail\n")
    assert len(rewritten) == len(source.encode())


def test_a_parser_crash_is_contained_and_reported() -> None:
    # libcst's native parser ends its process on 10,000 nested parentheses (SIGSEGV).
    outcome = rewrite_in_child(b"x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"\n")
    assert outcome.source is None and "stopped on it (signal" in outcome.error


def test_nesting_no_grammar_accepts_is_not_sent_to_the_newer_parser() -> None:
    data = b"type X = int\nx = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"\n"
    facts = extract_file("deep.py", FileKind.PYTHON, data)
    assert facts.error is not None and facts.error.message == "Python syntax error: too many nested parentheses"


def test_a_slow_rewrite_is_stopped() -> None:
    outcome = rewrite_in_child(b"type X = int\n" * 20_000, seconds=0.05)
    assert outcome.source is None and "took more than 0.05 s" in outcome.error
