"""Every example of every rule file runs as a test: bad examples must produce the rule (at the
lines given), good examples must not, nor any other rule at warning level and above. The examples are
the documentation, so they stay honest."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tprlint.catalog import load_catalog
from tprlint.config import Config, parse_table
from tprlint.engine import run
from tprlint.live.observe import LiveRun
from tprlint.live.snapshot import from_json
from tprlint.model import Example, Finding, RuleMeta, Severity
from tprlint.result_cache import RunResult
from tprlint.rules import ENGINE_RULES

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


def run_example(example: Example, root: Path, select: tuple[str, ...] | None = None) -> list[Finding]:
    return run_example_result(example, root, select).findings


def run_example_result(example: Example, root: Path, select: tuple[str, ...] | None = None) -> RunResult:
    """Lint the example the way a user's repository is linted: its files in a folder, its config."""
    for name, text in example.files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    base = parse_table(tomllib.loads(example.config), set(CATALOG), root / ".tprlint.toml") if example.config \
        else Config(root=root)
    config = base.with_overrides(select=select, root=root) if select else base.with_overrides(root=root)
    live = LiveRun(recorded=from_json(example.live)) if example.live else None
    return run([root], config, use_cache=False, jobs=1, live=live)


def lint_example(meta: RuleMeta, example: Example, root: Path) -> tuple[list[int], tuple[str, ...]]:
    """The lines the rule fired at, and the files of what it applied to (tprlint.checklist.subjects)."""
    result = run_example_result(example, root, select=(meta.id,))
    findings = [f for f in result.findings if f.rule_id == meta.id]
    first = Path(root / example.files[0][0]).resolve()
    lines = [f.location.line for f in findings if Path(f.location.path).resolve() == first] \
        + [-1 for f in findings if Path(f.location.path).resolve() != first]
    return lines, result.applied.get(meta.id, ())


@pytest.mark.parametrize(("meta", "example"), CASES)
def test_example(meta: RuleMeta, example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines, applied = lint_example(meta, example, tmp_path)
    if example.verdict == "good":
        assert lines == [], f"{meta.id} fired on a good example ({example.title}) at lines {lines}"
        use_instead = next(e for e in meta.examples if e.verdict == "good")
        if example is use_instead and meta.id not in ENGINE_RULES:
            # What to write instead is checked and passes: the checklist item behind it can pass on it.
            assert applied, f"{meta.id}: its 'Use instead' example gives the rule nothing to apply to"
    else:
        assert lines, f"{meta.id} did not fire on its bad example ({example.title})"
        # The checklist's "a pass must be earned" rests on this: a rule that fires met a subject it counts.
        assert applied or meta.id in ENGINE_RULES, f"{meta.id} fired but counted nothing it applies to"
        # Compared as lists: a rule that reports one problem twice shows up as a repeated line.
        assert example.lines, f"{meta.id}: the bad example {example.title!r} must list its lines"
        assert sorted(lines) == sorted(example.lines), f"{example.title}: fired at {sorted(lines)}"


GOOD = [pytest.param(meta, example, i == 0, id=f"{meta.id}-{i}")
        for meta in CATALOG.values()
        for i, example in enumerate(e for e in meta.examples if e.verdict == "good")]


@pytest.mark.parametrize(("meta", "example", "use_instead"), GOOD)
def test_a_good_example_passes_every_rule(meta: RuleMeta, example: Example, use_instead: bool, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user copies must not fail any rule at warning level or above. A good example other than
    the "Use instead" of `tprlint explain` may allow a rule, with its reason, when writing what that
    rule asks would bury the example's point; an allowed rule that no longer fires fails the test."""
    monkeypatch.chdir(tmp_path)
    findings = run_example(example, tmp_path)
    fired = {f.rule_id for f in findings if f.severity >= Severity.WARNING and not f.is_suppressed}
    allowed = {rule_id for rule_id, _ in example.allows}
    if use_instead:
        assert not allowed, f"{meta.id}: the 'Use instead' example ({example.title}) may allow nothing"
    assert allowed <= set(CATALOG), f"{meta.id} ({example.title}) allows unknown rules {sorted(allowed - set(CATALOG))}"
    assert meta.id not in allowed, f"{meta.id} ({example.title}) cannot allow its own rule"
    details = [f"{f.rule_id} {Path(f.location.path).name}:{f.location.line} {f.message}" for f in findings
               if f.rule_id in fired - allowed]
    assert sorted(fired - allowed) == [], f"{meta.id} ({example.title}) also fails other rules:\n" + "\n".join(details)
    stale = sorted(allowed - fired)
    assert stale == [], f"{meta.id} ({example.title}) no longer needs its allowance of {stale}: remove it"


def _code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[\w-]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def _excerpt_of(block: str, text: str) -> bool:
    """The block's lines, stripped and without blank lines, occur in the text in a row; a line `...`
    in the block stands for lines left out."""
    have = [line.strip() for line in text.splitlines() if line.strip()]
    start = 0
    chunk: list[str] = []
    for line in [line.strip() for line in block.splitlines() if line.strip()] + ["..."]:
        if line != "...":
            chunk.append(line)
            continue
        found = next((i for i in range(start, len(have) - len(chunk) + 1) if have[i:i + len(chunk)] == chunk), None)
        if found is None:
            return False
        start, chunk = found + len(chunk), []
    return True


def test_an_excerpt_keeps_its_order_and_may_leave_lines_out() -> None:
    text = "a = 1\nb = 2\n\nc = 3\nd = 4\n"
    assert _excerpt_of("a = 1\nb = 2", text) and _excerpt_of("  b = 2\n\n  c = 3", text)
    assert _excerpt_of("a = 1\n...\nd = 4", text)
    assert not _excerpt_of("a = 1\nc = 3", text) and not _excerpt_of("d = 4\n...\na = 1", text)
    assert not _excerpt_of("e = 5", text)


FIX_BLOCKS = [pytest.param(meta, block, id=f"{meta.id}-{i}")
              for meta in CATALOG.values() for i, block in enumerate(_code_blocks(meta.fix))]


@pytest.mark.parametrize(("meta", "block"), FIX_BLOCKS)
def test_the_code_of_how_to_fix_is_an_excerpt_of_a_tested_good_example(meta: RuleMeta, block: str) -> None:
    """`tprlint explain` shows the code of "How to fix" beside the "Use instead" example: it is cut from a
    good example (which the tests above run through every rule), never written a second time."""
    goods = [text for e in meta.examples if e.verdict == "good" for _, text in e.files]
    assert any(_excerpt_of(block, text) for text in goods), \
        f"{meta.id}: this code of 'How to fix' is in none of its good examples:\n{block}"


def test_the_use_instead_example_of_the_explanation_is_the_first_good_example() -> None:
    from tprlint.explain import render_explanation

    for meta in CATALOG.values():
        text = render_explanation(meta)
        first_good = next(e for e in meta.examples if e.verdict == "good")
        use_instead = text.split("## Use instead", 1)[1].split("\n## ", 1)[0]
        assert all(body.rstrip() in use_instead for _, body in first_good.files), meta.id


def test_an_allowance_needs_a_reason_and_only_good_examples_have_one(tmp_path: Path) -> None:
    from tprlint.catalog import CatalogError, _parse_rule_file, rule_examples

    head = 'id = "TPR999"\nname = "x"\nseverity = "warning"\nsummary = "x"\n'
    cases = {
        'verdict = "good"\nallows = { TPR404 = "" }': "needs a reason",
        'verdict = "good"\nallows = ["TPR404"]': "table of rule id",
        'verdict = "bad"\nallows = { TPR404 = "why" }': "only a good example",
    }
    for body, message in cases.items():
        path = tmp_path / f"TPR999-{len(body)}.toml"  # a file of its own: examples are read once per file
        path.write_text(head + f'[[example]]\ntitle = "t"\n{body}\n[example.files]\n"a.py" = ""\n', encoding="utf-8")
        with pytest.raises(CatalogError, match=message):
            _parse_rule_file(path).examples  # noqa: B018  (read when asked for)
    rule_examples.cache_clear()
    path.write_text(head + '[[example]]\ntitle = "t"\nverdict = "good"\nallows = { TPR404 = " the  point "}\n'
                    '[example.files]\n"a.py" = ""\n', encoding="utf-8")
    assert _parse_rule_file(path).examples[0].allows == (("TPR404", "the point"),)


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
