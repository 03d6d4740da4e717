"""The parse workers read the Python files first: following imports starts while they read the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tprlint.scan
from tprlint.discover.context import scan_roots
from tprlint.discover.walk import find_candidates
from tprlint.scan import Scanner

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n"


def test_the_python_files_come_first_and_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(40):
        (tmp_path / f"m{i}.py").write_text(f"from temporalio import workflow\nLIMIT = {i}\n")
        (tmp_path / f"c{i}.yaml").write_text(MANIFEST.format(i=i))
    monkeypatch.setattr(tprlint.scan, "PARALLEL_THRESHOLD", 0)  # a small tree: use the pool anyway
    candidates = find_candidates(scan_roots([tmp_path], None), (), exclude_root=tmp_path)
    scanner = Scanner(None, jobs=2)
    try:
        scanner.start(candidates)
        python = scanner.results(python_only=True)
        assert scanner.python_read(timeout=0)
        assert sorted(Path(s.display).name for s in python) == sorted(f"m{i}.py" for i in range(40))
        assert all(s.facts is not None and s.facts.python is not None for s in python)
        everything = scanner.results()
    finally:
        scanner.close()
    assert len(everything) == 80
    assert [s for s in everything if s.display.endswith(".py")] == python
    assert sum(s.facts is not None and s.facts.kube is not None for s in everything) == 40


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities on this platform")
def test_workers_give_way_to_the_main_process_while_helm_renders() -> None:
    own = os.nice(0)
    for yielding, expected in ((True, min(own + tprlint.scan.WORKER_NICENESS, 19)), (False, own)):
        scanner = Scanner(None, jobs=2, yielding=yielding)
        try:
            assert scanner._executor().submit(os.nice, 0).result() == expected
        finally:
            scanner.close()


def test_a_run_without_a_cache_computes_no_content_digest(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("from temporalio import workflow\n")
    (candidate,) = find_candidates(scan_roots([tmp_path], None), (), exclude_root=tmp_path)
    assert tprlint.scan.scan_file(candidate, cached=False).digest == ""
    assert tprlint.scan.scan_file(candidate).digest == tprlint.scan.content_digest(b"from temporalio import workflow\n")
