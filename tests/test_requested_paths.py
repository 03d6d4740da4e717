"""Which findings a run reports: those placed in the paths asked for (``tprlint PATH``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tprlint.discover.context import reported
from tprlint.engine import requested

SHOWN = [".", "a.py", "a/b.yaml", ".github/workflows/ci.yml", "./a.py", "./..", "./../x", "a/../../x", "a/./b",
         "..", "../x", "..foo/x", "/etc/passwd", "a/..", "a/.hidden/b", ""]


@pytest.mark.parametrize("asked", [["."], [".", "a"], ["a"], [".", ".."]])
def test_a_path_is_wanted_exactly_when_it_resolves_inside_a_path_asked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: list[str]) -> None:
    (tmp_path / "work" / "a").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    wanted = requested([Path(p) for p in asked])
    roots = [os.path.realpath(p) for p in asked]
    here = os.path.realpath(os.getcwd())
    for path in SHOWN:
        expected = path == "." or reported(os.path.normpath(os.path.join(here, path)), roots)
        assert wanted(path) == expected, path
