"""Character-set edges of the `.gitignore` matcher, each answered as `git check-ignore` answers it.

A `:` inside a set is a plain member (only `[:` starts a class name), `[:]` is no class, and a set left
open (after a range's `-`, or after a class name with no closing `]`) makes git give up on the line: it
ignores nothing. Such lines are typos in real `.gitignore` files; the walk must neither fail nor hang on
them, so every answer here is given under a deadline.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from tests.conftest import write_tree
from tprlint.discover.walk import _IgnoreFile, find_candidates
from tprlint.discover.wildmatch import parse

EDGES: dict[str, list[str]] = {
    "cache[0-": ["cache0", "cache-", "cache[0-", "cache", "sub/cache0"],
    "[a-": ["a", "-", "[a-", "b", "sub/a"],
    "y[a:]x": ["y:x", "yax", "y[x", "yx", "ybx", "sub/y:x", "y:x/worker.py"],
    "p[[:]:]x": ["p[:]x", "p::]x", "p]:]x", "p[x", "p:x", "sub/p[:]x"],
    "log[[:digit:*": ["log1", "log1.txt", "log[[:digit:*", "log", "logs/worker.py"],
    "x[[:alpha:y": ["xay", "x[[:alpha:y", "x:y", "x1y"],
    "][[:alpha:x": ["]ax", "][[:alpha:x", "]x", "ax"],
}

WORKER = b"from temporalio.worker import Worker\n"


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"no answer within {seconds} seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _git_ignores(root: Path, paths: list[str]) -> set[str]:
    result = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", "--stdin", "-z"],
                            input="\0".join(paths).encode() + b"\0", capture_output=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    return set(filter(None, result.stdout.decode().split("\0")))


@pytest.mark.skipif(shutil.which("git") is None, reason="git answers what git ignores")
@pytest.mark.parametrize("pattern", list(EDGES))
def test_a_character_set_edge_ignores_what_git_ignores(tmp_path: Path, pattern: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
    paths = EDGES[pattern]
    ignored = _git_ignores(tmp_path, paths)
    wild = parse(pattern)
    assert wild is not None
    with _within(5):
        assert {path for path in paths if wild.matches(path)} == ignored, pattern
        assert {path for path in paths if _IgnoreFile([pattern]).matches(path)} == ignored, pattern


def test_the_sets_git_reads_as_members_ignore_the_names_they_spell() -> None:
    with _within(5):
        colon = parse("y[a:]x")
        assert colon is not None
        assert [colon.matches(path) for path in ["y:x", "yax", "y[x"]] == [True, True, False]
        no_class = parse("p[[:]:]x")
        assert no_class is not None
        assert [no_class.matches(path) for path in ["p[:]x", "p::]x", "p]:]x"]] == [True, True, False]


@pytest.mark.parametrize("pattern", ["cache[0-", "[a-", "log[[:digit:*", "x[[:alpha:y", "][[:alpha:x"])
def test_a_set_git_gives_up_on_ignores_nothing(pattern: str) -> None:
    wild = parse(pattern)
    assert wild is not None
    with _within(5):
        assert not any(wild.matches(path) for path in ["a", "cache0", "log1", "xay", "x", pattern, f"{pattern}/"])


def test_the_walk_lists_what_git_lists_behind_character_set_edges(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": b"cache[0-\nlog[[:digit:*\ny[a:]x\n][[:alpha:x\n",
                          "cache0/worker.py": WORKER, "log1/worker.py": WORKER, "y:x/worker.py": WORKER,
                          "yax/worker.py": WORKER, "]ax/worker.py": WORKER, "worker.py": WORKER})
    with _within(10):
        found = [c.display for c in find_candidates([tmp_path], base=tmp_path)]
    assert found == ["]ax/worker.py", "cache0/worker.py", "log1/worker.py", "worker.py"]
