"""The walk lists the files `git ls-files -o --exclude-standard` lists, and goes on past what it cannot read.

Each `.gitignore` case builds a small repository, asks git which files it keeps, and compares the walk's list
with git's and with the expected one. The walk's matcher choice (one combined regex, or wildmatch for the lines
the regex gets wrong) must never show: a line answers as git answers whichever matcher takes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write_tree
from tprlint.discover.walk import find_candidates

WORKER = b"from temporalio.worker import Worker\n"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git says which files it keeps")


def _git_keeps(root: Path) -> list[str]:
    result = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "-o", "--exclude-standard"],
                            capture_output=True, check=True)
    return sorted(path for path in result.stdout.decode().split("\0") if path and path != ".gitignore")


def _walk_lists(root: Path) -> list[str]:
    return [candidate.display for candidate in find_candidates([root], base=root)]


def _repository(root: Path, gitignore: str, files: list[str]) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write_tree(root, {".gitignore": gitignore.encode(), **{name: WORKER for name in files}})


@needs_git
@pytest.mark.parametrize("line", ["cache[!_]*", "cache[^_]*"])
def test_a_negated_character_class_never_matches_the_slash_between_folders(tmp_path: Path, line: str) -> None:
    # `cache[!_]*` ignores scratch folders such as cache1/ and keeps cache_utils.py; the folder cache/ has no
    # character for the class to match, so git keeps it and the worker in it.
    _repository(tmp_path, f"{line}\n", ["cache/worker.py", "cache1/worker.py", "cache-old/worker.py",
                                        "cache_utils.py", "app/cache/worker.py"])
    expected = ["app/cache/worker.py", "cache/worker.py", "cache_utils.py"]
    assert _git_keeps(tmp_path) == expected
    assert _walk_lists(tmp_path) == expected


@needs_git
@pytest.mark.parametrize("line", [
    "generated//*_pb2*.py",  # two stars: the combined regex's limit
    "[Gg]enerated//*.py",  # a plain character class
    "generated-[1-1]//*.py",  # a range of one character
    "generated]//*.py",  # a `]` that closes no class
])
def test_a_line_with_a_doubled_slash_ignores_nothing_as_in_git(tmp_path: Path, line: str) -> None:
    # git compares the pattern's `//` with the path's single `/`: such a line (a typo) matches no file.
    files = ["generated/orders_pb2.py", "Generated/worker.py", "generated-1/worker.py", "generated]/worker.py",
             "generated/sub/worker.py", "worker.py"]
    _repository(tmp_path, f"# protobuf output\n{line}\n", files)
    assert _git_keeps(tmp_path) == sorted(files)
    assert _walk_lists(tmp_path) == sorted(files)


@needs_git
def test_a_file_cannot_be_re_included_from_a_folder_that_is_ignored(tmp_path: Path) -> None:
    # git does not look into an ignored folder, so a later `!` line for a file in it changes nothing.
    _repository(tmp_path, "dist/\n!dist/worker.py\nbuild/*\n!build/worker.py\n",
                ["dist/worker.py", "dist/other.py", "build/worker.py", "build/other.py", "worker.py"])
    assert _git_keeps(tmp_path) == ["build/worker.py", "worker.py"]
    assert _walk_lists(tmp_path) == ["build/worker.py", "worker.py"]


def test_a_broken_link_inside_the_tree_is_left_out_and_the_walk_goes_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/worker.py": WORKER, "b_worker.py": WORKER, "settings.py": WORKER})
    os.symlink(tmp_path / "removed_worker.py", tmp_path / "a_link.py")  # its target was deleted
    os.symlink("a_loop.py", tmp_path / "a_loop.py")  # a link to itself
    assert _walk_lists(tmp_path) == ["app/worker.py", "b_worker.py", "settings.py"]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv drops root's file access rights")
def test_an_unreadable_folder_does_not_stop_the_scan_of_the_others(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": WORKER, "private/worker.py": WORKER, "zz/worker.py": WORKER})
    (tmp_path / "private").chmod(0)
    command = [sys.executable, "-m", "tprlint", ".", "-f", "json"]
    if os.geteuid() == 0:  # root lists mode-000 folders: drop the capabilities that allow it
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    finally:
        (tmp_path / "private").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 2  # app.py and zz/worker.py, after the folder
    # What the folder holds is unknown: said, never a silent pass.
    assert [(f["rule"], f["path"], f["message"]) for f in report["findings"] if f["rule"] == "TPR001"] == [
        ("TPR001", "private", "folder cannot be listed: Permission denied; nothing in it was analysed. The folder "
                              "was skipped; every other file was still analysed.")]
