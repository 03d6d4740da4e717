"""Gating a pull request on what it brings: a baseline of accepted findings (--write-baseline,
--baseline) and the lines a change touched (--diff-base), on real git repositories made in the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    import os

    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                            env={**os.environ, **GIT_ENV})
    return result.stdout


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The demo repository as a git repository: its main branch is the base, a branch is the change."""
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURES / "demo-shop", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def lint(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(".", "--no-cache", *args, cwd=repo)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# --- baseline --------------------------------------------------------------------------------------


def test_a_baseline_accepts_todays_findings_and_gates_on_new_ones(shop: Path) -> None:
    written = lint(shop, "--write-baseline", "tprlint-baseline.json")
    assert written.returncode == 0
    assert "tprlint: 46 findings recorded in tprlint-baseline.json;" in written.stderr
    document = json.loads((shop / "tprlint-baseline.json").read_text())
    entries = document["findings"]
    assert document["format"] == "tprlint-baseline/1" and len(entries) == 46
    assert entries == sorted(entries, key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    assert (shop / "tprlint-baseline.json").read_text().count("\n") == 46 + 5  # one line per finding

    accepted = lint(shop, "--baseline", "tprlint-baseline.json")
    assert accepted.returncode == 0, accepted.stdout
    assert "All checks passed!" in accepted.stdout
    assert "46 baselined findings hidden (--baseline)." in accepted.stdout

    # Lines inserted above a finding move it: it is still the accepted one.
    worker = shop / "orders" / "worker.py"
    worker.write_text("# Orders worker.\n# Runs the order workflows.\n\n" + worker.read_text())
    assert lint(shop, "--baseline", "tprlint-baseline.json").returncode == 0

    # A second Worker without a drain in the same file is a new finding of the same rule.
    worker.write_text(worker.read_text() + "\n\nasync def spare(client):\n"
                      "    return Worker(client, task_queue='spare', workflows=[OrderWorkflow],\n"
                      "                  activities=[reserve_stock])\n")
    new = lint(shop, "--baseline", "tprlint-baseline.json", "-f", "concise")
    assert new.returncode == 1
    assert [line.split(": ")[1].split(" ")[0] for line in new.stdout.splitlines()] == ["TPR101"]
    sarif = json.loads(lint(shop, "--baseline", "tprlint-baseline.json", "-f", "sarif").stdout)
    states = [(r["ruleId"], r["baselineState"]) for r in sarif["runs"][0]["results"]]
    assert states.count(("TPR101", "new")) == 1
    assert len([s for s in states if s[1] == "unchanged"]) == 46


def test_the_checklist_gate_counts_only_what_the_baseline_does_not_accept(shop: Path) -> None:
    assert lint(shop, "--fail-on-item", "fail").returncode == 1
    lint(shop, "--write-baseline", "base.json")
    result = lint(shop, "--baseline", "base.json", "--fail-on-item", "fail")
    assert result.returncode == 0, result.stderr
    view = lint(shop, "--baseline", "base.json", "-f", "checklist").stdout
    assert "✗ fail" in view  # the report still shows what is wrong; only the gate looks at what is new


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not JSON"),
    ('{"format": "other/1", "findings": []}', 'is not a tprlint baseline ("format": "tprlint-baseline/1")'),
    ('{"format": "tprlint-baseline/1", "findings": [{"fingerprint": "x"}]}', "entry 1 has no fingerprint"),
])
def test_a_baseline_that_cannot_be_used_is_a_usage_error(shop: Path, content: str, message: str) -> None:
    (shop / "base.json").write_text(content)
    result = lint(shop, "--baseline", "base.json")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_missing_baseline_is_a_usage_error(shop: Path) -> None:
    result = lint(shop, "--baseline", "nowhere.json")
    assert result.returncode == 2
    assert "cannot read the baseline nowhere.json" in result.stderr


# --- diff-aware gating -------------------------------------------------------------------------------


def test_findings_off_the_change_are_reported_but_do_not_gate(shop: Path) -> None:
    edit(shop / "README.md", "# ", "# The ")  # a change that touches no finding
    result = lint(shop, "--diff-base", "main")
    assert result.returncode == 0, result.stdout
    assert "Found 9 errors" in result.stdout  # still reported
    assert "46 findings are on lines this change did not touch: shown, not gating (--diff-base)." in result.stdout
    annotations = lint(shop, "--diff-base", "main", "-f", "github").stdout
    assert annotations == ""  # the pull request's lines only


def test_a_shorter_grace_period_gates_on_the_manifest(shop: Path) -> None:
    manifest = shop / "deploy" / "workers.yaml"
    edit(manifest, "terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 200")
    result = lint(shop, "--diff-base", "main", "-f", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error file=deploy/workers.yaml,line=35,")
    assert "title=TPR601 " in lines[0]


def test_a_longer_drain_gates_on_the_manifest_the_worker_code_is_linked_to(shop: Path) -> None:
    """The manifest did not change, the worker's drain did: the cross-artifact finding gates."""
    edit(shop / "deploy" / "workers.yaml", "terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 700")
    git(shop, "commit", "-q", "-am", "a grace period that covers the drain")
    git(shop, "branch", "-f", "main")
    assert lint(shop, "--diff-base", "main", "--select", "TPR601").returncode == 0
    # The Worker now drains for longer than the grace period: its construction is the related location.
    edit(shop / "payments" / "worker.py", "async with Worker(client, **WORKER_OPTIONS):",
         "async with Worker(client, **{**WORKER_OPTIONS, \"graceful_shutdown_timeout\": timedelta(minutes=20)}):")
    edit(shop / "payments" / "worker.py", "import asyncio\n", "import asyncio\nfrom datetime import timedelta\n")
    result = lint(shop, "--diff-base", "main", "--select", "TPR601", "-f", "json")
    document = json.loads(result.stdout)
    gating = [f for f in document["findings"] if f["in_diff"]]
    assert result.returncode == 1
    assert [(f["rule"], f["path"]) for f in gating] == [("TPR601", "deploy/workers.yaml")]


def test_new_and_uncommitted_files_are_changed_in_full(shop: Path) -> None:
    (shop / "extra.py").write_text("from temporalio.worker import Worker\n\n"
                                   "def build(client):\n    return Worker(client, task_queue='x', workflows=[])\n")
    result = lint(shop, "--diff-base", "main", "-f", "concise")
    assert result.returncode == 1
    gating = [f for f in json.loads(lint(shop, "--diff-base", "main", "-f", "json").stdout)["findings"]
              if f["in_diff"]]
    # TPR101 on the new Worker, and project-wide findings that now name it (TPR306: no SDK metrics).
    assert ("TPR101", "extra.py") in {(f["rule"], f["path"]) for f in gating}
    assert all("extra.py" in [f["path"], *(r["path"] for r in f["related"])] for f in gating)


@pytest.mark.parametrize(("ref", "message"), [
    ("no-such-branch", "--diff-base 'no-such-branch' is not a commit in this repository"),
    ("--output=/tmp/x", "is not a git revision"),
])
def test_a_base_that_cannot_be_used_is_a_usage_error(shop: Path, ref: str, message: str) -> None:
    result = run_cli(".", "--no-cache", f"--diff-base={ref}", cwd=shop)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_diff_base_outside_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    tree = tmp_path / "plain"
    shutil.copytree(FIXTURES / "prod-ready", tree)
    result = run_cli(".", "--no-cache", "--diff-base", "main", cwd=tree, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.returncode == 2
    assert "git rev-parse" in result.stderr and "Traceback" not in result.stderr


def test_a_gitattributes_diff_driver_in_the_tree_never_runs(shop: Path) -> None:
    """A pull request can add .gitattributes, but not the git configuration that would define a driver."""
    (shop / ".gitattributes").write_text("*.yaml diff=evil\n*.py diff=evil\n")
    marker = shop / "pwned"
    git(shop, "config", "diff.evil.textconv", f"touch {marker};cat")
    edit(shop / "deploy" / "workers.yaml", "terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 200")
    result = lint(shop, "--diff-base", "main")
    assert result.returncode == 1
    assert not marker.exists()


WORKFLOW = ('from datetime import datetime\n\nfrom temporalio import workflow\n\n\n@workflow.defn\nclass Audit:\n'
            '    @workflow.run\n    async def run(self) -> str:\n        return "ok"\n')


def _base_with(shop: Path, name: str) -> Path:
    path = shop / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(WORKFLOW)
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "a workflow")
    git(shop, "branch", "-f", "main")
    return path


@pytest.mark.parametrize("content", [
    '"""\n++ /dev/null\n"""\n',  # added as "+++ /dev/null": content, not a header
    "# x\u2028+++ /dev/null\n",  # a line separator inside a comment
    "# a form feed \x0c+++ b/elsewhere.py\n",
])
def test_added_content_cannot_pass_for_a_diff_header(shop: Path, content: str) -> None:
    path = _base_with(shop, "audit.py")
    path.write_text(content + WORKFLOW.replace('return "ok"', "return str(datetime.now())"))
    result = lint(shop, "--diff-base", "main", "--select", "TPR210", "-f", "concise")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "audit.py" in result.stdout and "TPR210" in result.stdout


@pytest.mark.parametrize("name", ["my dir/audit.py", "caf\u00e9/audit.py", 'odd "quote"/audit.py',
                                  "tab\there/audit.py"])
def test_file_names_git_quotes_or_pads_still_gate(shop: Path, name: str) -> None:
    path = _base_with(shop, name)
    path.write_text(WORKFLOW.replace('return "ok"', "return str(datetime.now())"))
    result = lint(shop, "--diff-base", "main", "--select", "TPR210", "-f", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 1, result.stderr
    assert [f["in_diff"] for f in document["findings"] if f["rule"] == "TPR210" and "audit.py" in f["path"]] == [True]


def test_a_users_diff_prefix_settings_do_not_hide_the_change(shop: Path) -> None:
    git(shop, "config", "diff.mnemonicPrefix", "true")
    git(shop, "config", "diff.noprefix", "true")
    edit(shop / "deploy" / "workers.yaml", "terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 200")
    assert lint(shop, "--diff-base", "main").returncode == 1


def test_an_edit_inside_a_workflow_class_does_not_bring_the_projects_findings_about_it(shop: Path) -> None:
    """TPR250 (no replay test) spans the workflow class: changing a line in its body did not bring it."""
    workflows = shop / "orders" / "workflows.py"
    text = workflows.read_text()
    lines = text.splitlines()
    body = next(i for i, line in enumerate(lines) if "execute_activity" in line)
    lines[body] = lines[body] + "  # reviewed"
    workflows.write_text("\n".join(lines) + "\n")
    document = json.loads(lint(shop, "--diff-base", "main", "-f", "json").stdout)
    gating = {f["rule"] for f in document["findings"] if f["in_diff"]}
    assert "TPR250" not in gating and "TPR230" not in gating


def test_removing_a_key_gates_the_finding_on_the_mapping_that_held_it(shop: Path) -> None:
    """Deleting terminationGracePeriodSeconds written after the containers: the finding then points at the
    pod `spec:`, lines above the deletion, on the mapping the pull request removed a key from."""
    manifest = shop / "deploy" / "workers.yaml"
    probe = '            exec: {command: ["test", "-f", "/tmp/alive"]}\n'
    text = manifest.read_text()
    grace = "      terminationGracePeriodSeconds: 300\n"
    at = text.index(grace)
    end = text.index(probe, at) + len(probe)  # the payments worker's last container line
    text = text[:at] + text[at + len(grace):end] + "      terminationGracePeriodSeconds: 700\n" + text[end:]
    manifest.write_text(text)
    git(shop, "commit", "-q", "-am", "the grace period last, and long enough")
    git(shop, "branch", "-f", "main")
    base = manifest.read_text()
    manifest.write_text(base.replace("      terminationGracePeriodSeconds: 700\n", "", 1))
    document = json.loads(lint(shop, "--diff-base", "main", "--select", "TPR601", "-f", "json").stdout)
    gating = [(f["rule"], f["path"], f["line"]) for f in document["findings"] if f["in_diff"]]
    assert [(rule, path) for rule, path, _ in gating] == [("TPR601", "deploy/workers.yaml")]
    assert manifest.read_text().splitlines()[gating[0][2] - 1].strip() == "spec:"
    assert lint(shop, "--diff-base", "main", "--select", "TPR601").returncode == 1
