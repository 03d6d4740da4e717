"""The GitHub Action (action.yml): its metadata, and its steps run as the runner runs them.

actionlint is not used: it lints workflows, and reads an action's metadata only to check a workflow's
call to it (rhysd/actionlint#46), so it cannot check action.yml itself. The metadata rules below
(above all: no `${{ }}` expression inside a script, the injection rule) are the check.

The simulation runs each `run:` step with `bash --noprofile --norc -eo pipefail` (the runner's `shell:
bash`), the env values evaluated by a tiny evaluator that knows only the expressions the action may use,
and the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH). `uses:` steps (the cache)
are skipped. tprlint is "installed" by a prepared $RUNNER_TEMP/tprlint-venv running this checkout, which
the install step uses as it is (offline, fast); the install step itself runs against a fake python3.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, REPO

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
HOSTILE = '"; touch pwned #'


def load_action() -> dict[str, Any]:
    document = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps() -> list[dict[str, Any]]:
    return list(load_action()["runs"]["steps"])


# --- metadata -------------------------------------------------------------------------------------


def test_the_action_is_a_composite_action_with_a_shell_on_every_script() -> None:
    action = load_action()
    assert isinstance(action["name"], str) and action["name"]
    assert isinstance(action["description"], str) and action["description"]
    assert action["runs"]["using"] == "composite"
    for step in steps():
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")
    ids = [step["id"] for step in steps() if "id" in step]
    assert len(ids) == len(set(ids))


def test_no_expression_is_pasted_into_a_script() -> None:
    # The runner substitutes `${{ }}` into the script text before bash reads it: an input would be code.
    for step in steps():
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")


def test_every_input_is_declared_and_used() -> None:
    action = load_action()
    declared = set(action["inputs"])
    used = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", " ".join(EXPRESSION.findall(ACTION.read_text()))))
    assert used == declared
    assert {"paths", "fail-on", "config", "version", "sarif", "annotations", "summary", "baseline",
            "diff-base", "extra-args", "timeout"} == declared


def test_the_outputs_are_the_lint_steps() -> None:
    outputs = load_action()["outputs"]
    assert set(outputs) == {"findings", "errors", "new-findings", "sarif-file", "exit-code"}
    assert any(step.get("id") == "lint" for step in steps())
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.lint.outputs.{name} }}}}"


def test_the_cache_is_keyed_by_os_and_commit_outside_the_workspace() -> None:
    cache = next(step for step in steps() if "uses" in step)
    assert cache["uses"] == "actions/cache@v4"
    assert cache["with"] == {"path": "${{ runner.temp }}/tprlint-cache",
                             "key": "${{ runner.os }}-tprlint-${{ github.sha }}",
                             "restore-keys": "${{ runner.os }}-tprlint-"}
    lint = next(step for step in steps() if step.get("id") == "lint")
    assert lint["env"]["TPRLINT_CACHE_DIR"] == cache["with"]["path"]


# --- the simulated runner -------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str
    runner_temp: Path
    workspace: Path
    log: list[str] = field(default_factory=list)

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode

    @property
    def lint(self) -> StepRun:
        assert self.steps[-1].name == "Lint", [step.name for step in self.steps]
        return self.steps[-1]

    def annotations(self) -> list[str]:
        return [line for line in self.lint.stdout.splitlines() if line.startswith("::")]


def evaluate(value: object, context: dict[str, Any]) -> str:
    """Substitute the few expressions the action may use; any other expression fails the test."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if found := re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expression):
            return str(context["inputs"][found.group(1)])
        if found := re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expression):
            return str(context["steps"].get(found.group(1), {}).get(found.group(2), ""))
        simple = {"github.action_path": str(REPO), "github.event_name": str(context["event_name"]),
                  "runner.temp": str(context["runner_temp"])}
        if expression in simple:
            return simple[expression]
        pytest.fail(f"the simulation does not know the expression {expression!r}")

    return EXPRESSION.sub(one, str(value))


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        assert sep and "<<" not in name, f"not a name=value line: {line!r}"
        outputs[name] = value
    return outputs


def install_tprlint(runner_temp: Path) -> None:
    """A venv-like folder whose tprlint is this checkout: the install step uses it as it is."""
    bin_dir = runner_temp / "tprlint-venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = shlex.quote(sys.executable)
    scripts = {"python": f"exec {python} \"$@\"\n",
               "tprlint": f"PYTHONPATH={shlex.quote(str(REPO))} exec {python} -m tprlint \"$@\"\n"}
    for name, body in scripts.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)


def run_action(tmp_path: Path, workspace: Path, inputs: dict[str, str] | None = None, *,
               event_name: str = "pull_request", base_sha: str = "", installed: bool = True,
               extra_env: dict[str, str] | None = None) -> ActionRun:
    action = load_action()
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    for name, value in (inputs or {}).items():
        assert name in values, f"undeclared input {name}"
        values[name] = value
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(parents=True)
    if installed:
        install_tprlint(runner_temp)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": base_sha, "ref": "main"}}}))
    summary = tmp_path / "step-summary.md"
    summary.touch()
    context: dict[str, Any] = {"inputs": values, "steps": {}, "event_name": event_name, "runner_temp": runner_temp}
    runs: list[StepRun] = []
    for number, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            continue
        assert set(step) <= {"name", "id", "shell", "env", "run"}, f"the simulation ignores {set(step)}"
        output = tmp_path / f"output-{number}"
        output.touch()
        script = tmp_path / f"step-{number}.sh"
        script.write_text(step["run"])
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8", **GIT_ENV,
               "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": event_name,
               "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp), **(extra_env or {}),
               **{name: evaluate(value, context) for name, value in step.get("env", {}).items()}}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                env=env, capture_output=True, text=True, timeout=300)
        outputs = read_outputs(output)
        if "id" in step:
            context["steps"][step["id"]] = outputs
        runs.append(StepRun(step["name"], result.returncode, result.stdout, result.stderr, outputs))
        if result.returncode != 0:
            break
    action_outputs = {name: evaluate(spec["value"], context) for name, spec in action["outputs"].items()}
    return ActionRun(runs, action_outputs, summary.read_text(encoding="utf-8"), runner_temp, workspace)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """The demo shop as a git repository; a pull request shortens one grace period. Returns (repo, base sha)."""
    repo = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "demo-shop", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "change")
    workers = repo / "deploy" / "workers.yaml"
    text = workers.read_text()
    assert "terminationGracePeriodSeconds: 300" in text
    workers.write_text(text.replace("terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 200", 1))
    git(repo, "commit", "-q", "-a", "-m", "change")
    return repo, base


# --- the action run ---------------------------------------------------------------------------------


def test_a_pull_request_is_annotated_on_its_own_lines_and_gated(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, base = pull_request
    run = run_action(tmp_path, repo, base_sha=base)

    assert [step.name for step in run.steps] == ["Install tprlint", "Lint"]
    assert "Using tprlint " in run.steps[0].stdout  # the prepared installation, not pip
    assert run.returncode == 1, run.lint.stderr
    # Only what the pull request brought, from the base commit in the event: the grace period it changed.
    annotations = run.annotations()
    changed = ("file=deploy/workers.yaml,line=35,", "related: deploy/workers.yaml:35:")
    assert annotations and all(any(mark in line for mark in changed) for line in annotations), annotations
    assert any(line.startswith("::error file=deploy/workers.yaml,line=35,") and "TPR601" in line
               for line in annotations)

    report = json.loads(subprocess.run(
        [sys.executable, "-m", "tprlint", "--no-cache", "-f", "json", "."], cwd=repo, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)}).stdout)
    active = [f for f in report["findings"] if not f["suppressed"]]
    assert run.outputs == {
        "findings": str(len(active)),
        "errors": str(sum(f["severity"] == "error" for f in active)),
        "new-findings": str(len(annotations)),
        "sarif-file": "tprlint.sarif",
        "exit-code": "1",
    }
    assert 0 < len(annotations) < len(active)
    sarif = json.loads((repo / "tprlint.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])

    assert run.summary.startswith("## tprlint: production checklists")
    assert "<details open>" in run.summary and "not annotated" not in run.summary
    assert list(run.runner_temp.joinpath("tprlint-cache").iterdir())  # the folder actions/cache keeps


def test_findings_beyond_githubs_ten_annotations_per_level_are_counted_in_the_summary(
        tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, _ = pull_request
    run = run_action(tmp_path, repo, event_name="push")  # no pull request: every finding gates

    assert run.returncode == 1
    levels = [line.split(" ", 1)[0] for line in run.annotations()]
    hidden = sum(max(0, levels.count(level) - 10) for level in ("::error", "::warning", "::notice"))
    assert hidden > 0  # the demo shop has more than ten warnings and notices
    assert run.outputs["new-findings"] == run.outputs["findings"] == str(len(levels))
    note = f"GitHub shows at most 10 annotations of each level per step: {hidden} findings are not annotated."
    assert note in run.summary and note in run.lint.stdout
    assert "code scanning once the SARIF report" in run.summary
    assert run.summary.index("## tprlint: production checklists") < run.summary.index(note)


def test_annotations_and_summary_can_be_turned_off(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, _ = pull_request
    run = run_action(tmp_path, repo, {"annotations": "false", "summary": "false", "sarif": ""}, event_name="push")

    assert run.returncode == 1
    assert run.annotations() == [] and run.summary == ""
    assert run.outputs["sarif-file"] == "" and not (repo / "tprlint.sarif").exists()
    assert int(run.outputs["findings"]) > 0


def test_a_baseline_gates_only_on_new_findings(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, _ = pull_request
    written = subprocess.run([sys.executable, "-m", "tprlint", "--no-cache", "--write-baseline", "accepted.json", "."],
                             cwd=repo, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert written.returncode == 0, written.stderr
    run = run_action(tmp_path, repo, {"baseline": "accepted.json", "extra-args": "--select TPR6"}, event_name="push")

    assert run.returncode == 0, run.lint.stderr
    assert run.annotations() == []
    assert run.outputs["new-findings"] == "0" and int(run.outputs["findings"]) > 0


@pytest.mark.parametrize(("name", "error"), [
    ("paths", 'path does not exist: ";'),             # split into words, each one a path
    ("extra-args", 'path does not exist: ";'),        # words that are not options are paths too
    ("config", f"config file not found: {HOSTILE}"),  # one value, as given
])
def test_a_crafted_input_is_data_not_code(tmp_path: Path, pull_request: tuple[Path, str], name: str,
                                          error: str) -> None:
    repo, base = pull_request
    run = run_action(tmp_path, repo, {name: HOSTILE}, base_sha=base)

    assert not [*tmp_path.rglob("pwned"), *REPO.glob("pwned")]
    assert run.returncode == 2 and run.outputs["exit-code"] == "2"
    assert f"tprlint: error: {error}\n" in run.lint.stderr


def test_a_crafted_sarif_path_is_only_a_file_name(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, base = pull_request
    run = run_action(tmp_path, repo, {"sarif": HOSTILE}, base_sha=base)

    assert not [*tmp_path.rglob("pwned"), *REPO.glob("pwned")]
    assert run.returncode == 1
    assert run.outputs["sarif-file"] == HOSTILE
    assert json.loads((repo / HOSTILE).read_text())["version"] == "2.1.0"


def test_a_sarif_path_cannot_add_a_step_output(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, base = pull_request
    run = run_action(tmp_path, repo, {"sarif": "x.sarif\nexit-code=0"}, base_sha=base)

    assert run.returncode == 2
    assert run.outputs["exit-code"] == "2" and run.outputs["sarif-file"] == ""


# --- the install step ---------------------------------------------------------------------------------

FAKE_PYTHON = """\
import json, os, sys
from pathlib import Path
with open(os.environ["FAKE_PYTHON_LOG"], "a") as log:
    log.write(json.dumps(sys.argv) + "\\n")
if sys.argv[1:3] == ["-m", "venv"]:
    (Path(sys.argv[3]) / "bin").mkdir(parents=True)
    (Path(sys.argv[3]) / "bin" / "python").symlink_to(__file__)
"""


def fake_install(tmp_path: Path, pull_request: tuple[Path, str], version: str) -> tuple[ActionRun, list[list[str]]]:
    """Run the action with a python3 that only records its calls (and makes the venv's python)."""
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "python3").write_text(f"#!{sys.executable}\n{FAKE_PYTHON}")
    (fake_bin / "python3").chmod(0o755)
    log = tmp_path / "python-calls.jsonl"
    log.touch()
    run = run_action(tmp_path, pull_request[0], {"version": version}, installed=False,
                     extra_env={"PATH": f"{fake_bin}:{os.environ['PATH']}", "FAKE_PYTHON_LOG": str(log)})
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    # The lint step's calls (reading the event) are not the install's.
    return run, [call for call in calls if call[1:3] in (["-m", "venv"], ["-m", "pip"])]


def test_the_install_step_pins_the_version_in_its_own_venv(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    run, calls = fake_install(tmp_path, pull_request, "1.2.3")

    venv = run.runner_temp / "tprlint-venv"
    assert run.steps[0].returncode == 0, run.steps[0].stderr
    assert calls == [[str(tmp_path / "fake-bin" / "python3"), "-m", "venv", str(venv)],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "tprlint[helm]==1.2.3"]]


def test_without_a_version_the_action_installs_its_own_source(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    _, calls = fake_install(tmp_path, pull_request, "")

    assert calls[-1][-1] == f"{REPO}[helm]"


def test_a_crafted_version_is_refused(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    run, calls = fake_install(tmp_path, pull_request, HOSTILE)

    assert not [*tmp_path.rglob("pwned"), *REPO.glob("pwned")]
    assert run.steps[0].returncode == 2 and calls == []
    assert "::error title=tprlint::The input 'version' is not a version number." in run.steps[0].stdout


def test_paths_are_split_on_whitespace_and_never_globbed(tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, _ = pull_request
    run = run_action(tmp_path, repo, {"paths": "orders\n  deploy/workers.yaml"}, event_name="push")
    assert run.returncode == 1, run.lint.stderr
    files = set(re.findall(r"^::\w+ file=([^,]*),", run.lint.stdout, re.MULTILINE))
    assert files and all(name.startswith(("orders/", "deploy/workers.yaml")) for name in files), files

    globbed = run_action(tmp_path / "again", repo, {"paths": "dep*"}, event_name="push")
    assert globbed.returncode == 2
    assert "tprlint: error: path does not exist: dep*\n" in globbed.lint.stderr


def test_a_base_commit_missing_from_a_shallow_checkout_gates_every_finding(
        tmp_path: Path, pull_request: tuple[Path, str]) -> None:
    repo, _ = pull_request
    run = run_action(tmp_path, repo, base_sha="0" * 40)

    assert run.returncode == 1
    assert "::warning title=tprlint::The pull request's base commit is not in the checkout" in run.lint.stdout
    assert run.outputs["new-findings"] == run.outputs["findings"]


def test_the_workflow_in_the_readme_runs_the_action_on_a_pull_request(tmp_path: Path,
                                                                       pull_request: tuple[Path, str]) -> None:
    """The workflow a user copies from the README: its permissions, checkout depth and SARIF upload, and
    the action step with its inputs, run as the action's steps on a pull request."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### GitHub Actions\n", 1)[1]
    workflow = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    assert workflow["permissions"] == {"contents": "read", "security-events": "write"}
    (job,) = workflow["jobs"].values()
    by_action = {step["uses"].split("@")[0]: step for step in job["steps"]}
    assert by_action["actions/checkout"]["with"]["fetch-depth"] == 0  # the base commit, for diff-base
    upload = by_action["github/codeql-action/upload-sarif"]
    assert upload["if"] == "always()" and upload["with"]["category"] == "tprlint"
    ours = by_action["tprlint/tprlint"]
    inputs = {name: str(value) for name, value in ours.get("with", {}).items()}
    assert upload["with"]["sarif_file"] == load_action()["inputs"]["sarif"]["default"]

    repo, base = pull_request
    run = run_action(tmp_path, repo, inputs, base_sha=base)
    assert run.returncode == 1  # the pull request shortened a grace period below the drain
    assert run.annotations() and all("deploy/workers.yaml" in line for line in run.annotations())
    assert run.summary.startswith("## tprlint: production checklists")
    assert run.outputs["exit-code"] == "1" and (repo / upload["with"]["sarif_file"]).is_file()
