"""The checklists as data (checklists/*.toml) hold together with the rules, their subjects and the
checklist text the project works from (../shared/checklists.md)."""

from __future__ import annotations

import os
import re

import pytest
from conftest import REPO

from tprlint.checklist.catalog import EVIDENCE_KINDS, all_items, load_checklists
from tprlint.checklist.subjects import RULE_SUBJECTS, SUBJECTS
from tprlint.live import is_live_rule
from tprlint.rules import ENGINE_RULES, REGISTRY

SHARED = REPO.parent / "shared" / "checklists.md"


def test_every_rule_gives_evidence_for_an_item_and_every_item_rule_exists() -> None:
    mapped = {rule for item in all_items() for rule in item.rules}
    assert sorted(set(REGISTRY) - mapped) == []
    assert sorted(mapped - set(REGISTRY)) == []


def test_every_static_item_has_a_rule_or_says_why_not_yet() -> None:
    for item in all_items():
        assert set(item.evidence) <= set(EVIDENCE_KINDS), item.id
        if "static" in item.evidence:
            assert item.rules or item.not_yet, item.id
        else:  # a live item's rules are live rules (TPR7xx, TPR8xx); an attest item has none
            assert all(is_live_rule(r) for r in item.rules), f"{item.id}: static rules give static evidence only"
        if any(is_live_rule(r) for r in item.rules):
            assert "live" in item.evidence or "static" in item.evidence, item.id
        if item.rules:
            assert not item.not_yet, f"{item.id} has rules: it is checked"


def test_every_rule_says_what_it_applies_to() -> None:
    assert set(RULE_SUBJECTS) == set(REGISTRY)
    assert set(RULE_SUBJECTS.values()) <= set(SUBJECTS)
    assert not set(ENGINE_RULES) & set(RULE_SUBJECTS)


def test_anchors_only_narrow_a_rule_that_reports_several_items() -> None:
    narrowed = [item for item in all_items() if item.anchors]
    assert {item.id for item in narrowed} == {"ha.frontend", "ha.history", "ha.matching", "ha.worker"}
    assert all(item.rules == ("TPR501",) for item in narrowed)


def test_checklists_come_in_the_chapters_order() -> None:
    assert [c.id for c in load_checklists()] == [
        "shutdown", "ha", "pre-deployment", "deployment", "post-deployment", "capacity"]


@pytest.mark.skipif(not SHARED.is_file() and os.environ.get("CI") != "true",
                    reason="../shared/checklists.md is beside the repository only in CI and the team's sessions")
def test_the_items_are_those_of_the_shared_checklists() -> None:
    """Same ids, same evidence kinds, same order as the checklist text the project works from."""
    rows = re.findall(r"^\| `([a-z]+\.[a-z-]+)` \| .* \| ([a-z, ()]+?) \|$", SHARED.read_text(), re.MULTILINE)
    assert rows, "no item rows found in ../shared/checklists.md"
    expected = [(item_id, tuple(k.strip() for k in re.sub(r"\(.*?\)", "", kinds).split(",") if k.strip()))
                for item_id, kinds in rows]
    assert [(item.id, item.evidence) for item in all_items()] == expected
