"""The checklists as data: one TOML file per checklist under ``checklists/``, in chapter order.

Like the rule catalogue (``tprlint.catalog``), it ships in a wheel as ``tprlint/_checklists`` and is the
top-level ``checklists/`` folder in a source checkout. Its item ids are a public contract: the report,
JSON, SARIF, JUnit and ``[tool.tprlint.attest]`` all use them.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from tprlint.live import is_live_rule
from tprlint.records import frozen

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

EVIDENCE_KINDS = ("static", "live", "attest")


class ChecklistError(Exception):
    """A checklist file is malformed: a bug in tprlint, reported clearly rather than as a traceback."""


@frozen
class Item:
    id: str
    text: str
    evidence: tuple[str, ...]  # of EVIDENCE_KINDS
    rules: tuple[str, ...] = ()  # rules whose findings are its static evidence
    # When set, only findings whose anchor ends with one of these count (one rule, several items: TPR501
    # reports each Temporal service on its own).
    anchors: tuple[str, ...] = ()
    not_yet: str = ""  # for a static item without rules: why no rule checks it yet
    # A pass needs one of these rules to have applied to something (its own rules may still fail it): the
    # item is about what they judge (the frontend's health checks need a Temporal server in the scan).
    requires: tuple[str, ...] = ()
    checklist: str = ""  # the id of the checklist it belongs to
    # What a person can show when the scan cannot see the thing judged (a managed database outside the
    # repository): such an item's `unknown` can be attested, while a failure still wins.
    attest_when_unknown: str = ""

    @property
    def attestable(self) -> bool:
        return "attest" in self.evidence

    @property
    def accepts_attestation(self) -> bool:
        return self.attestable or bool(self.attest_when_unknown)


@frozen
class Checklist:
    id: str  # the file's name: "shutdown", "pre-deployment"
    title: str
    source: str  # the chapter's section
    items: tuple[Item, ...]


def checklists_dir() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "_checklists"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "checklists"


@lru_cache(maxsize=1)
def load_checklists() -> tuple[Checklist, ...]:
    """Every checklist, in the chapter's order."""
    found = [_parse(path) for path in sorted(checklists_dir().glob("*.toml"))]
    found.sort(key=lambda pair: pair[0])
    checklists = tuple(checklist for _, checklist in found)
    seen: set[str] = set()
    for item in all_items(checklists):
        if item.id in seen:
            raise ChecklistError(f"item {item.id!r} is listed twice")
        seen.add(item.id)
    return checklists


def all_items(checklists: tuple[Checklist, ...] | None = None) -> list[Item]:
    return [item for checklist in (checklists or load_checklists()) for item in checklist.items]


def item_ids() -> frozenset[str]:
    return frozenset(item.id for item in all_items())


def _parse(path: Path) -> tuple[int, Checklist]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        items = tuple(_item(raw, path.stem) for raw in data["item"])
        return int(data["order"]), Checklist(path.stem, str(data["title"]), str(data["source"]), items)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ChecklistError(f"checklists/{path.name}: {exc}") from exc


def _item(raw: dict[str, Any], checklist: str) -> Item:
    evidence = tuple(raw["evidence"])
    if not evidence or any(kind not in EVIDENCE_KINDS for kind in evidence):
        raise ValueError(f"{raw['id']}: evidence must be some of {', '.join(EVIDENCE_KINDS)}")
    rules = tuple(raw.get("rules", ()))
    not_yet = str(raw.get("not_yet", "")).strip()
    if any(not is_live_rule(r) for r in rules) and "static" not in evidence:
        raise ValueError(f"{raw['id']}: static rules give static evidence, but its evidence is not static")
    if "static" in evidence and not rules and not not_yet:
        raise ValueError(f"{raw['id']}: a static item names its rules, or says why there is none yet (not_yet)")
    requires = tuple(raw.get("requires", ()))
    if requires and not rules:
        raise ValueError(f"{raw['id']}: requires is for an item with rules")
    attest_when_unknown = str(raw.get("attest_when_unknown", "")).strip()
    if attest_when_unknown and not rules:
        raise ValueError(f"{raw['id']}: attest_when_unknown is for an item whose rules can be undecided")
    return Item(id=str(raw["id"]), text=str(raw["text"]), evidence=evidence, rules=rules,
                anchors=tuple(raw.get("anchors", ())), not_yet=not_yet, checklist=checklist, requires=requires,
                attest_when_unknown=attest_when_unknown)


def items_of_rule(rule_id: str) -> list[Item]:
    return list(_items_by_rule().get(rule_id, ()))


@lru_cache(maxsize=1)
def _items_by_rule() -> dict[str, tuple[Item, ...]]:
    """The items each rule gives evidence to, in the chapter's order: reports ask it of every finding."""
    found: dict[str, list[Item]] = {}
    for item in all_items():
        for rule_id in dict.fromkeys(item.rules):
            found.setdefault(rule_id, []).append(item)
    return {rule_id: tuple(items) for rule_id, items in found.items()}
