"""`tprlint PATH` reports PATH's findings only, judged in the context of PATH's project: its SIGTERM
handler in a sibling package, the manifests that run it in another folder."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tprlint.discover.context import project_root, scan_roots

WORKER = """
    import asyncio
    from datetime import timedelta

    from temporalio.client import Client
    from temporalio.worker import Worker

    from app.lifecycle import install


    async def main() -> None:
        client = await Client.connect("temporal:7233")
        stop = asyncio.Event()
        install(stop)
        worker = Worker(client, task_queue="orders", workflows=[], activities=[],
                        graceful_shutdown_timeout=timedelta(minutes=10))
        async with worker:
            await stop.wait()


    if __name__ == "__main__":
        asyncio.run(main())
"""
LIFECYCLE = """
    import asyncio
    import signal


    def install(stop: asyncio.Event) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
"""
DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders-worker
    spec:
      replicas: 2
      selector:
        matchLabels: {app: orders-worker}
      template:
        metadata:
          labels: {app: orders-worker}
        spec:
          containers:
            - name: worker
              image: registry.example.com/orders-worker:1.4.2
              command: ["python", "-m", "app.workflows.worker"]
              resources:
                requests: {cpu: 500m, memory: 512Mi}
                limits: {memory: 1Gi}
"""


def _project(root: Path) -> Path:
    files = {"pyproject.toml": '[project]\nname = "app"\n', "src/app/__init__.py": "",
             "src/app/lifecycle.py": LIFECYCLE, "src/app/workflows/__init__.py": "",
             "src/app/workflows/worker.py": WORKER, "deploy/worker.yaml": DEPLOYMENT}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def _findings(cwd: Path, *args: str) -> list[tuple[str, str]]:
    result = run_cli(*args, "-f", "json", "--no-cache", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return sorted((f["path"], f["rule"]) for f in json.loads(result.stdout)["findings"])


def test_a_subfolder_is_judged_with_the_handler_that_lives_beside_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    whole = _findings(root, ".")
    part = _findings(root, "src/app/workflows")
    assert ("src/app/workflows/worker.py", "TPR103") not in part  # the handler is in src/app/lifecycle.py
    assert part == [f for f in whole if f[0].startswith("src/app/workflows/")]
    assert part and all(path.startswith("src/app/workflows/") for path, _ in part)


def test_a_manifest_folder_is_linked_to_the_code_outside_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    part = _findings(root, "deploy")
    assert ("deploy/worker.yaml", "TPR601") in part  # drain 600 s in src/, grace period 30 s here
    assert all(path == "deploy/worker.yaml" for path, _ in part)


def test_the_same_from_inside_the_subfolder(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = run_cli(".", "-f", "concise", "--no-cache", cwd=root / "deploy")
    assert "TPR601" in result.stdout and "worker.py" not in result.stdout.split("TPR601")[0]


def test_a_sample_with_its_own_project_file_is_its_own_context(tmp_path: Path) -> None:
    root = _project(tmp_path)
    sample = root / "samples" / "hello"
    sample.mkdir(parents=True)
    (sample / "pyproject.toml").write_text('[project]\nname = "hello"\n')
    assert project_root(sample) == sample.resolve()
    assert project_root(root / "src" / "app" / "workflows") == root.resolve()
    assert project_root(root / "src" / "app" / "workflows" / "worker.py") == root.resolve()


def test_the_configuration_folder_comes_first(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "src" / "setup.cfg").write_text("[metadata]\nname = app\n")
    assert project_root(root / "src" / "app") == (root / "src").resolve()
    assert project_root(root / "src" / "app", config_root=root) == root.resolve()


def test_a_home_folder_kept_in_git_is_not_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".git").mkdir(parents=True)
    work = home / "scratch" / "worker"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert project_root(work) == work.resolve()


def test_files_named_stay_explicit_and_come_first(tmp_path: Path) -> None:
    root = _project(tmp_path)
    worker = root / "src" / "app" / "workflows" / "worker.py"
    assert scan_roots([worker, root / "deploy"]) == [worker.resolve(), root.resolve()]


def test_a_file_named_alone_is_analysed_in_full_in_its_project(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "src" / "app" / "settings.py").write_text(
        'STRIPE_API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ8xKp2mVb7Rw"\n')
    assert _findings(root, "src/app/settings.py") == [("src/app/settings.py", "TPR302")]


@pytest.mark.parametrize("home", ["/", "/aaa-home", "/zzz-home"])  # before and after the tree when sorted
def test_a_project_outside_the_home_folder_is_found_wherever_home_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "deploy").mkdir()
    monkeypatch.setenv("HOME", home)
    assert project_root(tmp_path / "repo" / "deploy") == (tmp_path / "repo").resolve()


def test_a_path_that_holds_the_home_folder_is_its_own_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `tprlint /srv` where HOME=/srv/home/me: nothing at or above the home folder's ancestors is a project.
    (tmp_path / ".git").mkdir()
    (tmp_path / "srv" / "home" / "me").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "srv" / "home" / "me"))
    assert project_root(tmp_path / "srv") == (tmp_path / "srv").resolve()


@pytest.mark.parametrize("home", ["", "./home/me"])
def test_an_empty_or_relative_home_is_read_as_the_shell_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str) -> None:
    # An empty HOME is no home folder; a relative one is relative to the current folder.
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    inner = tmp_path / "repo" / "home" / "me" / "project"
    inner.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("HOME", home)
    expected = tmp_path / "repo" if not home else inner
    assert project_root(inner) == expected.resolve()


def test_sibling_projects_are_each_scanned(tmp_path: Path) -> None:
    for name in ("billing", "orders"):  # "orders" sorts after "billing": it is still not inside it
        (tmp_path / name / ".git").mkdir(parents=True)
    roots = scan_roots([tmp_path / "billing", tmp_path / "orders"])
    assert roots == [(tmp_path / "billing").resolve(), (tmp_path / "orders").resolve()]
    assert scan_roots([tmp_path / "orders" , tmp_path / "billing"]) == list(reversed(roots))
