"""The walk in a forked child while the analysis code loads (tprlint.discover.background)."""

from __future__ import annotations

import importlib
import marshal
import os
import subprocess
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


@linux_only
def test_an_interrupted_run_does_not_wait_for_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "walk_probe_interrupt.py").write_text("raise KeyboardInterrupt\n")  # Ctrl-C while loading
    monkeypatch.syspath_prepend(str(tmp_path))

    def endless() -> list[Candidate]:
        time.sleep(60)
        return []

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        walk_while_importing(endless, ["walk_probe_interrupt"])
    assert time.monotonic() - started < 20  # the child was stopped and reaped, not waited for


_SCRIPT_PREAMBLE = """
import os, sys
from tprlint.discover.background import walk_while_importing
from tprlint.discover.walk import Candidate
"""


@linux_only
def test_the_child_writes_nothing_to_the_run_s_output(tmp_path: Path) -> None:
    script = _SCRIPT_PREAMBLE + (
        "def walk():\n"
        "    print('from the child', flush=True)\n"
        "    os.write(2, b'child stderr')\n"
        "    return [Candidate('/x', 'x', 1, 2, False, False)]\n"
        "print(len(walk_while_importing(walk, ())))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout == "1\n" and "child" not in result.stderr, result


@linux_only
def test_a_parent_that_ignores_sigchld_still_gets_the_walk(tmp_path: Path) -> None:
    # Ignoring SIGCHLD survives exec (a supervisor may leave it so): the child is reaped by the system.
    script = _SCRIPT_PREAMBLE + (
        "import signal\n"
        "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
        "rows = walk_while_importing(lambda: [Candidate('/x', 'x', 1, 2, False, False)], ())\n"
        "print(rows[0].display, len(rows))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout == "x 1\n", result


@linux_only
def test_a_process_with_many_files_open_still_gets_the_walk(tmp_path: Path) -> None:
    # Descriptors numbered above 1023 are out of select()'s range; poll() has no such limit.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    assert hard == resource.RLIM_INFINITY or hard >= wanted, f"the machine allows only {hard} open files"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert walk_while_importing(lambda: [Candidate("/x", "x", 1, 2, False, False)], ("json",))[0].size == 1
    finally:
        for descriptor in opened:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@linux_only
def test_a_parent_run_with_its_output_closed_still_gets_the_walk(tmp_path: Path) -> None:
    # With descriptors 1 and 2 closed, the pipe takes their numbers: the child must not lose its answer
    # when it points its own standard streams at /dev/null.
    out = tmp_path / "out"
    script = _SCRIPT_PREAMBLE + (
        "os.close(1); os.close(2)\n"
        "walked_here = []\n"
        "def walk():\n"
        "    walked_here.append(os.getpid())\n"
        "    return [Candidate('/x', 'x', 1, 2, False, False)]\n"
        "rows = walk_while_importing(walk, ())\n"
        f"open({str(out)!r}, 'w').write(f'{{len(rows)}} {{os.getpid() in walked_here}}')\n")
    subprocess.run([sys.executable, "-c", script], timeout=60, check=True)
    assert out.read_text() == "1 False"  # the answer came from the child; nothing was walked here
