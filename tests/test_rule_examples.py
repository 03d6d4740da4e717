"""Every example of every rule file runs as a test: bad examples must produce the rule (at the
lines given), good examples must not. The examples are the documentation, so they stay honest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tprlint.catalog import load_allowances, load_catalog
from tprlint.config import Config, parse_table
from tprlint.engine import run
from tprlint.model import Example, RuleMeta, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG = load_catalog()
CASES = [
    pytest.param(meta, example, id=f"{meta.id}-{i}-{example.verdict}")
    for meta in CATALOG.values()
    for i, example in enumerate(meta.examples)
]


def lint_example(meta: RuleMeta, example: Example, root: Path) -> list[int]:
    for name, text in example.files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    base = parse_table(tomllib.loads(example.config), set(CATALOG), root / ".tprlint.toml") if example.config \
        else Config(root=root)
    config = base.with_overrides(select=(meta.id,), root=root)
    result = run([root], config, use_cache=False, jobs=1)
    first = Path(root / example.files[0][0]).resolve()
    return [
        f.location.line for f in result.findings
        if f.rule_id == meta.id and Path(f.location.path).resolve() == first
    ] + [-1 for f in result.findings if f.rule_id == meta.id and Path(f.location.path).resolve() != first]


@pytest.mark.parametrize(("meta", "example"), CASES)
def test_example(meta: RuleMeta, example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = lint_example(meta, example, tmp_path)
    if example.verdict == "good":
        assert lines == [], f"{meta.id} fired on a good example ({example.title}) at lines {lines}"
    else:
        assert lines, f"{meta.id} did not fire on its bad example ({example.title})"
        # Compared as lists: a rule that reports one problem twice shows up as a repeated line.
        assert example.lines, f"{meta.id}: the bad example {example.title!r} must list its lines"
        assert sorted(lines) == sorted(example.lines), f"{example.title}: fired at {sorted(lines)}"


ALLOWANCES = load_allowances()
GOOD = [pytest.param(meta, example, id=f"{meta.id}-{i}") for meta in CATALOG.values()
        for i, example in enumerate(meta.examples) if example.verdict == "good"]


@pytest.mark.parametrize(("meta", "example"), GOOD)
def test_a_good_example_passes_every_other_rule_too(meta: RuleMeta, example: Example, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user copies must not fail another rule at warning level or above, except the groups the
    example lists (rules/allowances.toml), each of which must still be needed."""
    monkeypatch.chdir(tmp_path)
    for name, text in example.files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    base = parse_table(tomllib.loads(example.config), set(CATALOG), tmp_path / ".tprlint.toml") if example.config \
        else Config(root=tmp_path)
    result = run([tmp_path], base.with_overrides(root=tmp_path), use_cache=False, jobs=1)
    fired = {f.rule_id for f in result.findings if f.severity >= Severity.WARNING and not f.is_suppressed}
    assert all(name in ALLOWANCES for name in example.allows), f"unknown allowance in {example.allows}"
    allowed = {rule for name in example.allows for rule in ALLOWANCES[name].rules}
    assert sorted(fired - allowed) == [], f"{meta.id} ({example.title}) also fails {sorted(fired - allowed)}"
    stale = [name for name in example.allows if not fired & set(ALLOWANCES[name].rules)]
    assert stale == [], f"{meta.id} ({example.title}) no longer needs {stale}: remove them"


def test_the_use_instead_example_of_the_explanation_is_tested_here() -> None:
    from tprlint.explain import render_explanation

    text = render_explanation(CATALOG["TPR601"])
    first_good = next(e for e in CATALOG["TPR601"].examples if e.verdict == "good")
    assert "## Use instead" in text and first_good.files[0][1].splitlines()[0] in text
    assert not first_good.allows  # the fix a user copies passes every rule


# TPR000 reports tprlint's own bugs: no input produces it on purpose (tests/test_internal_errors.py
# makes it happen by breaking an extractor and a rule).
WITHOUT_BAD_EXAMPLE = {"TPR000"}


def test_every_rule_has_bad_and_good_examples() -> None:
    for meta in CATALOG.values():
        verdicts = {e.verdict for e in meta.examples}
        expected = {"good"} if meta.id in WITHOUT_BAD_EXAMPLE else {"bad", "good"}
        assert verdicts == expected, f"{meta.id} needs at least one bad and one good example"


def test_every_registered_rule_is_catalogued_and_back() -> None:
    from tprlint.rules import ENGINE_RULES, REGISTRY

    assert set(REGISTRY) | ENGINE_RULES == set(CATALOG)
