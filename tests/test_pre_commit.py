"""The pre-commit hook (.pre-commit-hooks.yaml), run by real pre-commit with `pre-commit try-repo`:
it installs tprlint from this repository into pre-commit's own environment, as a user's would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")


def test_the_hook_lints_the_whole_repository_when_a_file_it_reads_changes() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["args"], hook["pass_filenames"]) == ("tprlint", "tprlint", ["."], False)
    import re

    files = re.compile(hook["files"])
    for name in ("app/worker.py", "deploy/workers.yaml", "chart/templates/_helpers.tpl", "pyproject.toml",
                 "Dockerfile", "docker/worker.dockerfile", "compose.yml", ".env", "Containerfile", "dockerfile",
                 "deploy/PROD.YAML", "Makefile", "justfile", "scripts/deploy.sh"):
        assert files.search(name), name
    for name in ("README.md", "app/static/logo.png", "docs/makefile-guide.md"):
        assert not files.search(name), name


def _repo(tmp_path: Path, fixture: str) -> Path:
    repo = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, repo)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")  # one environment for both runs: installed once


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    if PRE_COMMIT is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pre-commit is part of the test extras: it must be installed in CI")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    # try-repo takes this repository as it is on disk, uncommitted changes included.
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([PRE_COMMIT, "try-repo", str(REPO), "tprlint", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


def test_pre_commit_try_repo_passes_on_a_clean_repository(tmp_path: Path, pre_commit_home: Path) -> None:
    result = _try_repo(_repo(tmp_path, "prod-ready"), pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tprlint" in result.stdout and "Passed" in result.stdout


def test_pre_commit_try_repo_fails_on_the_demo_repository(tmp_path: Path, pre_commit_home: Path) -> None:
    result = _try_repo(_repo(tmp_path, "demo-shop"), pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "grace-period-shorter-than-drain" in result.stdout  # TPR601, as the console reports it
    assert "Found 9 errors" in result.stdout  # (the hook installs tprlint without Helm: charts are not rendered)
