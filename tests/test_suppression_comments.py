"""Suppression comments as a user writes them, checked through the CLI: where a comment applies (its
own line and the next), where its TPR003 points, and what it says of selectors that name no rule.
Written to kill the mutants scripts/mutation.py found surviving in tprlint/suppress."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli

WORKER = """
    import asyncio
    from temporalio.worker import Worker


    async def main(client):
        {above}
        worker = Worker(client, task_queue="q")  {inline}
        await worker.run()
"""


def _findings(tmp_path: Path, text: str, *args: str) -> list[dict[str, object]]:
    (tmp_path / "worker.py").write_text(textwrap.dedent(text).lstrip())
    result = run_cli(".", "-f", "json", "--no-cache", *args, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def _tpr101(tmp_path: Path, above: str, inline: str = "") -> bool:
    """Whether TPR101 (no graceful_shutdown_timeout, line 7) is reported and not suppressed."""
    text = WORKER.replace("{above}", above).replace("{inline}", inline)
    return any(f["rule"] == "TPR101" and not f["suppressed"] for f in _findings(tmp_path, text))


@pytest.mark.parametrize(
    ("above", "inline", "reported"),
    [
        ("pass", "", True),
        ("pass", "# tprlint: ignore[TPR101]", False),  # on the finding's line
        ("# tprlint: ignore[TPR101]", "", False),  # on the line above it
        ("# tprlint: ignore[TPR1]", "", False),  # a prefix
        ("# tprlint: ignore[TPR102]", "", True),  # another rule
    ],
)
def test_a_comment_applies_to_its_own_line_and_the_next(tmp_path: Path, above: str, inline: str,
                                                         reported: bool) -> None:
    assert _tpr101(tmp_path, above, inline) is reported


def test_a_comment_two_lines_above_does_not_apply(tmp_path: Path) -> None:
    text = WORKER.replace("{above}", "# tprlint: ignore[TPR101]\n        x = 1").replace("{inline}", "")
    assert any(f["rule"] == "TPR101" and not f["suppressed"] for f in _findings(tmp_path, text))


def test_a_comment_for_another_line_does_not_stop_the_search(tmp_path: Path) -> None:
    text = """
        # tprlint: ignore[TPR303]
        import asyncio
        from temporalio.worker import Worker


        async def main(client):
            worker = Worker(client, task_queue="q")  # tprlint: ignore[TPR101]
            await worker.run()
    """
    assert not any(f["rule"] == "TPR101" and not f["suppressed"] for f in _findings(tmp_path, text))


def test_tpr003_points_at_the_comment_and_says_what_the_selector_is(tmp_path: Path) -> None:
    text = """
        import asyncio  # tprlint: ignore[TPR999]
        x = 1  # tprlint: ignore[foo]
        from temporalio import workflow
    """
    found = {int(str(f["line"])): f for f in _findings(tmp_path, text) if f["rule"] == "TPR003"}
    assert (found[1]["column"], found[2]["column"]) == (17, 8)  # where `# tprlint:` starts, 1-based
    assert "which is not a tprlint rule" in str(found[1]["message"])
    assert "which is not a rule id (like TPR101)" in str(found[2]["message"])


def test_the_line_above_counts_on_even_lines_too(tmp_path: Path) -> None:
    text = WORKER.replace("{above}", "x = 1\n        # tprlint: ignore[TPR101]").replace("{inline}", "")
    found = [f for f in _findings(tmp_path, text) if f["rule"] == "TPR101"]
    assert [(f["line"], f["suppressed"]) for f in found] == [(8, True)]


def test_a_bare_ignore_suppresses_every_rule_there(tmp_path: Path) -> None:
    assert not _tpr101(tmp_path, "pass", "# tprlint: ignore")


DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders-worker
      annotations:
        tprlint.io/ignore: "{selectors}"
    spec:
      replicas: 1
      selector:
        matchLabels: {app: orders-worker}
      template:
        metadata:
          labels: {app: orders-worker}
        spec:
          containers:
            - name: worker
              image: registry.example.com/orders-worker:1.0.0
              env: [{name: TEMPORAL_TASK_QUEUE, value: orders}]
"""


def _manifest_findings(tmp_path: Path, selectors: str) -> list[dict[str, object]]:
    (tmp_path / "worker.yaml").write_text(textwrap.dedent(DEPLOYMENT).lstrip().replace("{selectors}", selectors))
    result = run_cli(".", "-f", "json", "--no-cache", cwd=tmp_path)
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_an_annotation_suppresses_the_rules_it_names_and_no_other(tmp_path: Path) -> None:
    found = {str(f["rule"]): f["suppressed"] for f in _manifest_findings(tmp_path, "TPR406")}
    assert found["TPR406"] is True and found["TPR402"] is False


def test_unknown_selectors_in_annotations_labels_and_comments_are_tpr003(tmp_path: Path) -> None:
    assert any(f["rule"] == "TPR003" and "TPR999" in str(f["message"])
               for f in _manifest_findings(tmp_path, "TPR406,TPR999"))
    (tmp_path / "worker.yaml").unlink()
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  worker:\n    image: acme/worker:1\n    labels:\n      tprlint.io/ignore: TPR998\n")
    assert any(f["rule"] == "TPR003" and "TPR998" in str(f["message"])
               for f in json.loads(run_cli(".", "-f", "json", "--no-cache", cwd=tmp_path).stdout)["findings"])
    text = "from temporalio import workflow  # tprlint: ignore[!x]\n"
    assert [f["rule"] for f in _findings(tmp_path, text) if "`!x`" in str(f["message"])] == ["TPR003"]


def test_a_bare_ignore_is_not_an_unknown_selector(tmp_path: Path) -> None:
    text = WORKER.replace("{above}", "pass").replace("{inline}", "# tprlint: ignore")
    assert not [f for f in _findings(tmp_path, text) if f["rule"] == "TPR003"]


def test_every_service_and_every_annotation_place_is_checked(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  api:\n    image: acme/api:1\n"
        "  worker:\n    image: acme/worker:1\n    labels:\n      tprlint.io/ignore: TPR997\n")
    pod_only = textwrap.dedent(DEPLOYMENT).lstrip().replace(
        '  annotations:\n    tprlint.io/ignore: "{selectors}"\n', "").replace(
        "      labels: {app: orders-worker}\n    spec:",
        '      labels: {app: orders-worker}\n      annotations: {tprlint.io/ignore: "TPR996"}\n    spec:')
    (tmp_path / "worker.yaml").write_text(pod_only)
    found = json.loads(run_cli(".", "-f", "json", "--no-cache", cwd=tmp_path).stdout)["findings"]
    unknown = sorted(str(f["message"]).split("names `")[1].split("`")[0] for f in found if f["rule"] == "TPR003")
    assert unknown == ["TPR996", "TPR997"]
    assert not [f for f in found if f["rule"] == "TPR000"]


def test_an_odd_selector_suppresses_nothing_and_tpr003_names_the_comment_kind(tmp_path: Path) -> None:
    assert _tpr101(tmp_path, "pass", "# tprlint: ignore[!x]")
    text = "from temporalio import workflow  # tprlint: ignore[TPR999]\n# tprlint: ignore-file[TPR998]\n"
    kinds = {f["line"]: str(f["message"]).split(" names ")[0] for f in _findings(tmp_path, text)
             if f["rule"] == "TPR003"}
    assert kinds == {1: "`# tprlint: ignore[...]`", 2: "`# tprlint: ignore-file[...]`"}
