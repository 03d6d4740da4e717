"""Discovery: what is read, what is skipped, and how files are classified before any parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_tree
from tprlint.discover import FileKind, discover
from tprlint.discover.classify import classify

WORKER = b"from temporalio.worker import Worker\n"
MANIFEST = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"


def test_gitignore_vendored_trees_and_config_excludes(tmp_path: Path) -> None:
    write_tree(tmp_path, {
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
    write_tree(tmp_path, {".gitignore": b"*.py\n", "w.py": WORKER})
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
        # Each case below tells one condition of classify() from a near miss.
        ("app/__main__.PY", b"pass\n", FileKind.PYTHON),
        ("app/_main_.py", b"pass\n", FileKind.PYTHON_OTHER),  # sorts before __main__.py, is not it
        ("a/__init__.py", b"pass\n", FileKind.PYTHON_OTHER),
        ("chart/Chart.yaml", b"apiVersion: v2\nname: c\n", FileKind.HELM_CHART),
        ("chart/Chart.lock", b"dependencies: []\n", FileKind.SKIP),
        ("chart/Abc.yaml", b"name: c\n", FileKind.SKIP),  # sorts before Chart.yaml
        ("chart/templates/notes.yaml", b"apiVersion: v1\nkind: ConfigMap\n", FileKind.KUBERNETES),  # no {{
        ("docs/example.yaml", b"apiVersion: v1\nkind: ConfigMap\nnote: '{{ x }}'\n", FileKind.KUBERNETES),
        ("deploy/compose.yaml", b"version: '3'\nservices:\n  w: {image: x}\n", FileKind.COMPOSE),
        ("deploy/stack.yaml", b"services:\n  w: {image: x}\n", FileKind.SKIP),  # not a compose name
        ("deploy/compose.yaml", b"volumes: {}\n", FileKind.SKIP),  # a compose name, no services
        ("deploy/kustomization.yaml", b"resources: [a.yaml]\n", FileKind.KUBERNETES),
        ("deploy/replicas.yaml", b"- op: replace\n  path: /spec/replicas\n  value: 3\n", FileKind.KUBERNETES),
        ("deploy/steps.yaml", b"- op: replace\n  name: x\n", FileKind.SKIP),  # an op, no JSON pointer
        ("ops/helmfile.yaml", b"releases: []\n", FileKind.TEMPORAL_VALUES),
        ("ops/helmfile.d/10-temporal.yaml", b"releases: []\n", FileKind.TEMPORAL_VALUES),
        ("ops/releases.yaml", b"releases: []\n", FileKind.SKIP),
        # Umbrella values: the Temporal key on any line, in any case.
        ("values/prod.yaml", b"global: {}\nTemporal:\n  server: {}\n", FileKind.TEMPORAL_VALUES),
        ("values/prod.yaml", b"global: {}\nmy-Temporal-Stack:\n  server: {}\n", FileKind.TEMPORAL_VALUES),
        ("values/prod.yaml", b"global:\n  temporal: {}\n", FileKind.SKIP),  # nested: not a top-level key
        ("config/temporal.yaml", b"log: {}\npersistence:\n  numHistoryShards: 512\n", FileKind.TEMPORAL_VALUES),
        ("rules/alerts.yaml", b"groups:\n  - rules:\n      - alert: WorkerDown\n", FileKind.TEMPORAL_VALUES),
        ("pyproject.toml", b"[project]\n", FileKind.PYPROJECT),
        ("sub/pyproject.toml.bak", b"[project]\n", FileKind.SKIP),
        ("docker/Containerfile", b"FROM python\n", FileKind.DOCKERFILE),
        ("docker/worker.dockerfile", b"FROM python\n", FileKind.DOCKERFILE),
        (".env", b"COMPOSE_FILE=a.yml\n", FileKind.COMPOSE_CHAIN),
        ("GNUmakefile", b"up:\n\tdocker compose up\n", FileKind.COMPOSE_CHAIN),
        ("justfile", b"up:\n  docker compose up\n", FileKind.COMPOSE_CHAIN),
        ("scripts/up.sh", b"docker compose up\n", FileKind.COMPOSE_CHAIN),
        ("scripts/up.bash", b"docker compose up\n", FileKind.SKIP),
        ("a/b/c/Dockerfile", b"FROM python\n", FileKind.DOCKERFILE),  # the name is the last part only
        ("Dockerfile/notes.txt", b"FROM python\n", FileKind.SKIP),
    ],
)
def test_classification(name: str, data: bytes, kind: FileKind) -> None:
    assert classify(name, data) is kind


def test_huge_files_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.discover.read as read

    monkeypatch.setattr(read, "MAX_FILE_BYTES", 1000)
    write_tree(tmp_path, {"big.yaml": MANIFEST + b"#" * 5000})
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
        (b"from app import setting, \\\n    worker\n", True),  # its newline at an even offset
        (b"import os\nfrom app import worker\n", True),  # the scan goes on after a first statement
        (b"\nimport worker\n", True),  # a file that starts with an empty line
        (b"if x:\n import worker\n", True),  # one blank of indentation
        (b"from app import settings, \\\n\nworker = 1\n", False),  # a continuation into an empty line ends there
        (b"def main():\n    from app.worker import run\n    run()\n", True),
        (b"import os\nworker = os.environ['WORKER']\n", False),  # the word, but not in an import
        (b'print("import worker")\n', False),
        (b"import importlib\nimportlib.import_module('worker')\n", False),
        (b"x = 1  # import worker\n", False),
        (b"from app import settings \\", False),  # a trailing backslash at the end of the file
        (b"# import helpers first\nfrom app.worker import run\n", True),  # the scan goes on after a comment
        (b'x = "import"\nimport worker', True),  # and after the word inside code, up to the last line
        (b"from app import settings, \\\r\n    worker\r\n", True),  # a continuation with Windows line ends
        (b"from app import (\n    settings,\n)\nworker = 1\n", False),  # the statement ends at its `)`
        (b"from app import settings, \\\n    other\nworker = 1\n", False),  # and at its last continued line
        (b"from app import (\n    settings,\n    worker", True),  # unclosed at the end of the file: all of it
        (b"from app import settings, \\\n    worker", True),  # continued onto a last line without a newline
        (b"#" * 300 + b"\nimport worker\n", True),  # far into the file (positions beyond small integers)
        (b"#" * 300 + b"\nfrom app import settings \\", False),  # a continuation at the end of a long file
        (b"from app import a, \\\n    B\nworker = 1\n", False),  # a continued line ends at one without `\\`
    ],
)
def test_import_words_find_module_names_only_in_import_statements(source: bytes, imported: bool) -> None:
    from tprlint.discover.imports import scan_import_words

    assert (b"worker" in scan_import_words(source)) is imported


def test_symlinked_folders_are_not_followed_so_a_loop_cannot_hang_the_walk(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/worker.py": WORKER})
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
    write_tree(tmp_path, {".gitignore": b"!\nbuild/\n", "build/w.py": WORKER, "app/w.py": WORKER})
    assert [f.display for f in discover([tmp_path], base=tmp_path)] == ["app/w.py"]
