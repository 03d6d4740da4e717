"""The walk in a forked child while the analysis code loads (tprlint.discover.background)."""

from __future__ import annotations

import importlib
import marshal
import os
import sys
import time
from pathlib import Path

import pytest

from tprlint.discover import background
from tprlint.discover.background import walk_while_importing
from tprlint.discover.walk import Candidate, find_candidates
from tprlint.engine import ANALYSIS_CODE

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the walk is forked on Linux only")


def _tree(root: Path) -> None:
    (root / "deploy").mkdir()
    (root / "deploy" / "worker.yaml").write_text("kind: Deployment\n")
    (root / "app").mkdir()
    (root / "app" / "worker.py").write_text("import temporalio\n")
    (root / "README.md").write_text("# x\n")
    (root / "link.py").symlink_to("/etc/hostname")  # outside the tree: a candidate marked so


def test_the_child_finds_what_the_walk_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = find_candidates([tmp_path])
    assert any(c.outside for c in expected)
    in_child: list[int] = []

    def walk() -> list[Candidate]:
        in_child.append(os.getpid())  # appended in the child's memory: this list stays empty here
        return find_candidates([tmp_path])

    assert walk_while_importing(walk, ()) == expected
    assert in_child == [] or sys.platform != "linux"


@linux_only
def test_modules_load_while_the_walk_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "slow_walk_probe_one.py").write_text("")
    (tmp_path / "slow_walk_probe_two.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def slow_walk() -> list[Candidate]:
        time.sleep(0.5)
        return []

    assert walk_while_importing(slow_walk, ["slow_walk_probe_one", "slow_walk_probe_two"]) == []
    assert {"slow_walk_probe_one", "slow_walk_probe_two"} <= set(sys.modules)


@linux_only
def test_loading_stops_once_the_walk_is_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "walk_probe_slow.py").write_text("import time\ntime.sleep(0.5)\n")
    (tmp_path / "walk_probe_never.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    walk_while_importing(lambda: [], ["walk_probe_slow", "walk_probe_never"])
    assert "walk_probe_never" not in sys.modules  # the walk was back by the time the first import ended


def test_a_failing_walk_fails_here_as_it_would_have(tmp_path: Path) -> None:
    def broken() -> list[Candidate]:
        raise FileNotFoundError("no such folder")

    with pytest.raises(FileNotFoundError, match="no such folder"):
        walk_while_importing(broken, ())


@pytest.mark.parametrize("payload", [
    marshal.dumps({"not": "a list"}),
    marshal.dumps([("a", "a", 1, 2, False, False)]),  # a field short
    marshal.dumps([("a", "a", "1", 2, False, False, "")]),  # a size that is text
    marshal.dumps([("a", "a", 1, 2, 0, False, "")]),  # an int where a bool belongs
    b"\x00not marshal",
])
def test_an_answer_of_another_shape_is_refused(payload: bytes) -> None:
    assert background._candidates(payload) is None


def test_the_analysis_code_loaded_meanwhile_exists() -> None:
    for module in ANALYSIS_CODE:  # a name that no longer exists would fail every run
        importlib.import_module(module)
