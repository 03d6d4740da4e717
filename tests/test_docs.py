"""The README's promises stay true: its rule table matches the catalogue, and its two set-up commands
are the ones CI runs."""

from __future__ import annotations

import re

from conftest import REPO

from tprlint.catalog import load_catalog
from tprlint.checklist.catalog import items_of_rule

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_rule_table_matches_the_catalogue() -> None:
    rows = re.findall(r"^\| \[(TPR\d{3})\]\(rules/\1\.toml\) \| `([^`]+)` \| (\w+) \| ([^|]+) \| (.+) \|$",
                      README, re.MULTILINE)
    table = {rule_id: (name, sev, item.strip(), summary.strip()) for rule_id, name, sev, item, summary in rows}
    expected = {
        r.id: (r.name, r.severity.label, ", ".join(i.id for i in items_of_rule(r.id)) or "—", r.summary)
        for r in load_catalog().values()
    }
    assert table == expected


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README, re.DOTALL)
    install_and_demo, tests = commands[0], commands[1]
    assert "fixtures/demo-shop" in install_and_demo
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_has_measured_benchmark_figures() -> None:
    assert "PLACEHOLDER" not in README
    performance = README.split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"on \d{4}-\d{2}-\d{2}", performance)  # dated
    rows = {line.split("|")[1].strip(): line for line in performance.splitlines() if line.startswith("| ")}
    for label in ("cold (`--no-cache`)", "warm, unchanged tree", "warm, one Temporal file edited",
                  "`tprlint --version`"):
        assert re.search(r"\b\d[\d.,]* m?s\b", rows[label]), label  # a measured time
    for label in ("cold (`--no-cache`)", "warm, unchanged tree", "warm, one Temporal file edited",
                  "Python files parsed (cold)"):
        assert re.search(r"\d[\d.]*\u00d7", rows[label]), label  # and its ratio (a multiplication sign)
    assert re.search(r"\d+ MB", rows["peak memory (cold)"])
    for placeholder in ("BOUND", "COLDX", "WARMX", "EDITEDX", "PARSEDX", "MEMORY", "TIMINGS"):
        assert placeholder not in performance, placeholder  # every figure filled in from a real run


def test_the_readme_shows_the_demos_real_checklist_output() -> None:
    """The "Is this repository production-ready?" block is what `tprlint fixtures/demo-shop -f checklist`
    prints: every line it shows, in order (its `[...]` marks sections left out)."""
    from conftest import run_cli

    block = README.split("$ tprlint fixtures/demo-shop -f checklist\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line and line != "[...]"]
    output = run_cli("fixtures/demo-shop", "-f", "checklist", "--no-cache").stdout.splitlines()
    position = 0
    for line in shown:
        assert line in output[position:], f"not in the real output (or out of order): {line!r}"
        position = output.index(line, position) + 1
    assert len(shown) > 40
