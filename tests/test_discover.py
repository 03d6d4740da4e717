"""Discovery: what is read, what is skipped, and how files are classified before any parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tprlint.discover import FileKind, classify, discover

WORKER = b"from temporalio.worker import Worker\n"
MANIFEST = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_gitignore_vendored_trees_and_config_excludes(tmp_path: Path) -> None:
    _tree(tmp_path, {
        ".gitignore": b"build/\n*.generated.yaml\n",
        "app/worker.py": WORKER,
        "app/.gitignore": b"scratch.py\n",
        "app/scratch.py": WORKER,
        "build/worker.py": WORKER,
        "deploy/w.yaml": MANIFEST,
        "deploy/w.generated.yaml": MANIFEST,
        "node_modules/x/worker.py": WORKER,
        ".venv/lib/worker.py": WORKER,
        "env2/pyvenv.cfg": b"home = /usr\n",
        "env2/lib/worker.py": WORKER,
        "legacy/old.py": WORKER,
        "README.md": b"# docs\n",
    })
    found = [f.display for f in discover([tmp_path], exclude=("legacy/",), exclude_root=tmp_path, base=tmp_path)]
    assert found == ["app/worker.py", "deploy/w.yaml"]


def test_an_explicit_file_is_read_even_when_ignored(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": b"*.py\n", "w.py": WORKER})
    assert [f.display for f in discover([tmp_path / "w.py"], base=tmp_path)] == ["w.py"]


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("app/worker.py", WORKER, FileKind.PYTHON),
        # A script matters only through what it imports: the engine parses it when it imports a Worker builder.
        ("app/main.py", b"if __name__ == '__main__':\n    pass\n", FileKind.PYTHON_OTHER),
        ("app/__main__.py", b"pass\n", FileKind.PYTHON),
        ("app/stop.py", b"signal.signal(signal.SIGTERM, stop)\n", FileKind.PYTHON),
        ("app/util.py", b"def f(): pass\n", FileKind.PYTHON_OTHER),
        ("k8s/app.yaml", MANIFEST, FileKind.KUBERNETES),
        ("k8s/values.yaml", b"replicaCount: 2\n", FileKind.SKIP),
        ("chart/templates/deploy.yaml", b"apiVersion: v1\nkind: {{ .Values.kind }}\n", FileKind.SKIP),
        ("Dockerfile", b"FROM python\n", FileKind.DOCKERFILE),
        ("docker/Dockerfile.worker", b"FROM python\n", FileKind.DOCKERFILE),
        ("notes.txt", b"temporalio", FileKind.SKIP),
    ],
)
def test_classification(name: str, data: bytes, kind: FileKind) -> None:
    assert classify(name, data) is kind


def test_huge_files_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.discover.read as read

    monkeypatch.setattr(read, "MAX_FILE_BYTES", 1000)
    _tree(tmp_path, {"big.yaml": MANIFEST + b"#" * 5000})
    (source,) = discover([tmp_path], base=tmp_path)
    assert source.too_large and source.data == b""


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        (b"import app.worker\n", True),
        (b"from app.worker import main\n", True),
        (b"from app import worker\n", True),
        (b"from . import (\n    settings,\n    worker,\n)\n", True),  # the name is on a continuation line
        (b"from app import settings, \\\n    worker\n", True),
        (b"def main():\n    from app.worker import run\n    run()\n", True),
        (b"import os\nworker = os.environ['WORKER']\n", False),  # the word, but not in an import
        (b'print("import worker")\n', False),
        (b"import importlib\nimportlib.import_module('worker')\n", False),
        (b"x = 1  # import worker\n", False),
        (b"from app import settings \\", False),  # a trailing backslash at the end of the file
    ],
)
def test_import_words_find_module_names_only_in_import_statements(source: bytes, imported: bool) -> None:
    from tprlint.discover.imports import scan_import_words

    assert (b"worker" in scan_import_words(source)) is imported


def test_symlinked_folders_are_not_followed_so_a_loop_cannot_hang_the_walk(tmp_path: Path) -> None:
    _tree(tmp_path, {"app/worker.py": WORKER})
    (tmp_path / "app" / "loop").symlink_to(tmp_path)
    (tmp_path / "app" / "alias.py").symlink_to(tmp_path / "app" / "worker.py")
    assert [f.display for f in discover([tmp_path], base=tmp_path)] == ["app/alias.py", "app/worker.py"]


@pytest.mark.parametrize("patterns", [
    ["*/"], ["**/"], ["build/", "*.gen.py"], ["/top.py"], ["docs/**/*.py"], ["a/b"], ["*.py", "!keep.py"], ["**/x/*"],
])
def test_the_combined_gitignore_regex_matches_what_pathspec_matches(patterns: list[str]) -> None:
    import pathspec

    from tprlint.discover.walk import _IgnoreFile

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    rules = _IgnoreFile(patterns)
    paths = ["top.py", "a/top.py", "gen/w.py", "build/", "x/y/build/", "m.gen.py", "docs/a/b.py", "a/b",
             "keep.py", "k/keep.py", "x/", "q/x/z.py", "w.py"]
    assert [rules.matches(p) for p in paths] == [spec.match_file(p) for p in paths]


def test_a_gitignore_line_pathspec_rejects_is_dropped_not_fatal(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": b"!\nbuild/\n", "build/w.py": WORKER, "app/w.py": WORKER})
    assert [f.display for f in discover([tmp_path], base=tmp_path)] == ["app/w.py"]
