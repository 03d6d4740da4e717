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
