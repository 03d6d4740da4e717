"""No Python input crashes a run: mutated Temporal modules (hypothesis), Python 2 files, non-UTF-8
bytes, huge and deeply nested sources. Every file ends up analysed or reported as TPR001, and the
other files' findings survive."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tprlint.config import Config
from tprlint.discover.classify import FileKind
from tprlint.engine import run
from tprlint.facts.extract import extract_file

REPO = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    p for folder in ("fixtures/demo-shop", "fixtures/prod-ready") for p in (REPO / folder).rglob("*.py")
    if p.stat().st_size > 200
)
# A module with one known finding: it must still be reported whatever happens to the other file.
SENTINEL = textwrap.dedent("""
    from temporalio.worker import Worker

    worker = Worker(client, task_queue="sentinel")
""")
NOISE = ["(", ")", "[", "]", "{", "}", ":", "\n", "    ", "\t", "lambda", "await ", "async ", "**", "*", "=",
         "'", '"""', "\\", "#", "@", "yield", "print 'x'", "exec 'x'", "\x00", "\ufeff", "é", "`", "0x", "1e"]


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@st.composite
def mutated_module(draw: st.DrawFn) -> bytes:
    text = _source(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 80)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "swap-lines", "truncate"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "insert":
            text = text[:start] + draw(st.sampled_from(NOISE)) + text[start:]
        elif action == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif action == "swap-lines":
            lines = text.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        else:
            text = text[:start]
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_module())
def test_extraction_never_raises_on_mutated_modules(data: bytes) -> None:
    facts = extract_file("app/worker.py", FileKind.PYTHON, data)
    assert (facts.python is None) == (facts.error is not None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(mutated_module())
def test_a_run_completes_and_keeps_other_findings(tmp_path: Path, data: bytes) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "worker.py").write_bytes(data)
    (root / "sentinel.py").write_text(SENTINEL, encoding="utf-8")
    result = run([root], Config(root=root), use_cache=False, jobs=1)
    assert any(f.rule_id == "TPR101" and f.location.path.endswith("sentinel.py") for f in result.findings)


@pytest.mark.parametrize(
    ("name", "data", "expect_error"),
    [
        ("python2", b"import temporalio\nprint 'hello'\nexec 'x = 1'\n", True),
        ("latin-1", "import temporalio\n# caf\xe9\nx = '\xe9'\n".encode("latin-1"), True),
        ("latin-1-declared", "# -*- coding: latin-1 -*-\nimport temporalio\nx = '\xe9'\n".encode("latin-1"), False),
        ("nul-bytes", b"import temporalio\x00\n", True),
        ("deep-parens", b"import temporalio\nx = " + b"(" * 500 + b"1" + b")" * 500 + b"\n", True),
        ("deep-binop", b"import temporalio\nx = " + b"1 + " * 20000 + b"1\n", None),
        ("deep-calls", b"import temporalio\nx = " + b"f(" * 150 + b")" * 150 + b"\n", None),
        ("deep-lists", b"import temporalio\nGRACE = " + b"[" * 150 + b"]" * 150 + b"\n", None),
        ("deep-attrs", b"import temporalio\nx = a" + b".b" * 20000 + b"\n", None),
        ("long-dict", b"import temporalio\nOPTS = {" + b"".join(b"'k%d': %d, " % (i, i) for i in range(50000))
         + b"}\nw = temporalio.worker.Worker(c, **OPTS)\n", False),
        ("empty", b"", False),
    ],
)
def test_hostile_sources(name: str, data: bytes, expect_error: bool | None) -> None:
    facts = extract_file(f"app/{name}.py", FileKind.PYTHON, data)
    if expect_error is not None:
        assert (facts.error is not None) == expect_error, facts.error
    assert (facts.python is None) == (facts.error is not None)
