"""scripts/synthetic_repo.py and scripts/benchmark.py: the generator is deterministic and produces the
promised shape (Temporal modules importing trees of ordinary modules, some holding names an analysis
needs; charts that render), and the benchmark's bound functions work on a small generated tree."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO

TEMPORAL_MARKERS = (b"temporalio", b"SIGTERM", b"add_signal_handler")  # what makes a file Temporal for tprlint


def _scripts() -> tuple[ModuleType, ModuleType]:
    """The two scripts as modules (they are not a package); importing them leaves sys alone."""
    saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import benchmark
        import synthetic_repo
    finally:
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
    return synthetic_repo, benchmark


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    synthetic_repo, _ = _scripts()
    root = tmp_path_factory.mktemp("synthetic") / "repo"
    counts = synthetic_repo.generate(root, 300, 0.08, 10, seed=3, charts=1, chart_entries=20)
    assert counts["python_total"] == 300 == sum(1 for _ in root.rglob("*.py"))
    return root


def _modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file, as Python would import it from the folder above each top-level package."""
    modules: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = [] if path.name == "__init__.py" else [path.stem]
        folder = path.parent
        while (folder / "__init__.py").exists():
            parts.insert(0, folder.name)
            folder = folder.parent
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path, dotted: str, modules: dict[str, Path]) -> set[str]:
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    return found


def test_the_same_arguments_give_a_byte_identical_tree(tmp_path: Path, tree: Path) -> None:
    synthetic_repo, _ = _scripts()
    again = tmp_path / "again"
    synthetic_repo.generate(again, 300, 0.08, 10, seed=3, charts=1, chart_entries=20)
    first = {p.relative_to(tree): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert first == second


def test_temporal_modules_import_trees_of_ordinary_modules(tree: Path) -> None:
    modules = _modules(tree)
    graph = {name: _imports(path, name, modules) for name, path in modules.items()}
    data = {name: path.read_bytes() for name, path in modules.items()}
    temporal = [name for name in modules if b"temporalio" in data[name]]
    assert len(temporal) >= 10
    reachable_ordinary: set[str] = set()
    for name in temporal:
        seen: set[str] = set()
        todo = list(graph[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += graph[current]
        ordinary = {m for m in seen if not any(marker in data[m] for marker in TEMPORAL_MARKERS)}
        assert len(ordinary) >= 3, (name, sorted(seen))
        reachable_ordinary |= ordinary
    # About four ordinary modules per Temporal module in all, shared within each group.
    assert 2.5 * len(temporal) <= len(reachable_ordinary) <= 5 * len(temporal)
    # The support packages (beside each group) never look Temporal to tprlint.
    support = [p for p in tree.rglob("*.py") if (p.parent / "runtime_config.py").exists()]
    assert len(support) >= 7 * 3
    for path in support:
        assert not any(marker in path.read_bytes() for marker in TEMPORAL_MARKERS), path


def _need_tree(root: Path, need_share: float) -> Path:
    synthetic_repo, _ = _scripts()
    synthetic_repo.generate(root, 300, 0.08, 10, seed=3, charts=1, chart_entries=20, need_share=need_share)
    return root


def test_analyses_need_names_from_ordinary_modules(tmp_path: Path) -> None:
    tree = _need_tree(tmp_path / "repo", 1)
    workflows = [p.read_text() for p in sorted(tree.rglob("workflows.py"))]
    workers = "\n".join(p.read_text() for p in tree.rglob("worker.py"))
    assert workflows and all("timedelta(seconds=limits.ACTIVITY_TIMEOUT_S)" in text for text in workflows)
    # The call chain three modules deep is called from workflow code in some groups, from activities in the others.
    assert any("workflow_label(params." in text for text in workflows)
    for path, text in zip(sorted(tree.rglob("workflows.py")), workflows, strict=True):
        activities = (path.parent / "activities.py").read_text()
        assert "workflow_label(params." in text or "workflow_label(params." in activities
    assert "max_concurrent_activities=limits.MAX_CONCURRENT_ACTIVITIES" in workers
    # In some groups the constant itself comes from another module.
    limits = next(p for p in sorted(tree.rglob("limits.py")) if "import BASE_TIMEOUT_S" in p.read_text())
    chain = [(limits.parent / f"{name}.py").read_text() for name in ("naming", "keys", "text")]
    assert "scoped_key(" in chain[0] and "slug(" in chain[1] and "def slug(" in chain[2]
    assert "worker_settings = WorkerSettings()" in (limits.parent / "runtime_config.py").read_text()


def test_the_need_share_decides_which_groups_need_names_and_nothing_else(tmp_path: Path) -> None:
    every, some, none = (_need_tree(tmp_path / name, share) for name, share in
                         (("every", 1), ("some", 0.25), ("none", 0)))

    def needing(tree: Path) -> list[bool]:
        return ["limits.ACTIVITY_TIMEOUT_S" in p.read_text() for p in sorted(tree.rglob("workflows.py"))]

    assert all(needing(every)) and not any(needing(none))
    groups = len(needing(some))
    assert groups >= 4 and sum(needing(some)) == -(-groups // 4)  # the first group of every four
    # A group that needs nothing writes the values of its `limits` module as literals; only its worker
    # imports `limits`, for a name no analysis reads.
    for worker in sorted(none.rglob("worker.py")):
        text, workflows = worker.read_text(), (worker.parent / "workflows.py").read_text()
        assert "import limits" in text and "limits.RETRY_BACKOFF_S" in text
        assert "limits" not in workflows and "limits.MAX_CONCURRENT_ACTIVITIES" not in text
        domain = worker.parent.name.split("_", 1)[1]
        limits = dict(re.findall(r"^(\w+) = (\d+)$", (worker.parents[1] / domain / "limits.py").read_text(),
                                 re.MULTILINE))
        assert f"start_to_close_timeout=timedelta(seconds={limits['ACTIVITY_TIMEOUT_S']})," in workflows
        if "max_concurrent_activities=" in text:
            assert f"max_concurrent_activities={limits['MAX_CONCURRENT_ACTIVITIES']}" in text
    # Every other file of the tree is the same at any share.
    files = [{p.relative_to(t): p.read_bytes() for p in t.rglob("*") if p.is_file()} for t in (every, none)]
    assert files[0].keys() == files[1].keys()
    changed = {path.name for path in files[0] if files[0][path] != files[1][path]}
    assert changed == {"workflows.py", "worker.py", "limits.py", "activities.py"}


@pytest.mark.parametrize(("share", "needing", "chained", "chain_in_workflow"), [
    (1 / 8, [0, 8, 16], [0], [0]),
    (0.25, [0, 4, 8, 12, 16, 20], [0, 12], [0, 16]),
    (0.3, [0, 4, 7, 10, 14, 17, 20], [0, 10, 20], [0, 14]),
    (1 / 3, [0, 3, 6, 9, 12, 15, 18, 21], [0, 9, 18], [0, 12]),
    (1, list(range(24)), list(range(0, 24, 3)), list(range(0, 24, 4))),
])
def test_which_groups_need_names(share: float, needing: list[int], chained: list[int],
                                 chain_in_workflow: list[int]) -> None:
    synthetic_repo, _ = _scripts()
    writer = synthetic_repo._Writer(7, share)
    draws = [writer.next_group_needs() for _ in range(24)]
    assert [g for g, (needs, _, _) in enumerate(draws) if needs] == needing
    assert [g for g, (_, chains, _) in enumerate(draws) if chains] == chained
    assert [g for g, (_, _, calls) in enumerate(draws) if calls] == chain_in_workflow
    assert writer.rng.random() == synthetic_repo._Writer(7, share).rng.random()  # no draw from the seed


def test_the_bound_functions_on_a_small_tree(tree: Path) -> None:
    _, benchmark = _scripts()
    files = benchmark.read_tree(tree)
    assert len(files) == sum(1 for p in tree.rglob("*") if p.is_file())
    temporal = sum(1 for p, data in files.items() if p.suffix == ".py" and b"temporalio" in data)
    assert benchmark.parse_python(files) == (temporal, 0)
    charts = benchmark.find_charts(files)
    assert [c.folder.parent.name for c in charts] == ["charts"] and not charts[0].leave_out
    documents, failed = benchmark.compose_yaml(files, charts)
    assert documents > 10 and failed == 0  # chart templates are rendered, not composed
    renders = benchmark.render_charts(tree, charts)
    if not renders.renderer:
        pytest.skip(f"no Helm renderer here: {renders.why_not}")
    assert not renders.errors
    assert renders.total > 0 and renders.documents[charts[0].folder] >= 20


def test_the_probe_summary_with_and_without_counts() -> None:
    _, benchmark = _scripts()
    probe = {"files": 900, "parsed": 300, "parsed_why": {"temporal": 120, "needed": 40, "importers": 10,
                                                          "other": 130},
             "stages": {"walk": 0.1, "scan": 1.5}, "rss_main": 300 * 2**20, "rss_child": 150 * 2**20}
    text = benchmark.probe_summary(probe, 120)
    assert "Python files parsed: 170 (temporal + needed + importers) vs 120" in text and "1.42x" in text
    assert "scan 1.50 s" in text and "main process 300 MB" in text and "largest child process 150 MB" in text
    bare = benchmark.probe_summary({**probe, "parsed_why": {}, "stages": {}}, 120)
    assert "not reported" in bare and "120 Python files contain" in bare
    assert benchmark.probe_summary(None, 120) == "engine probe (cold): unavailable"
