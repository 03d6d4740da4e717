"""``tprlint checklist``: the checklists' items, their evidence and the rules behind them."""

from __future__ import annotations

import argparse

from tprlint.checklist.catalog import load_checklists
from tprlint.checklist.subjects import RULE_SUBJECTS, SUBJECTS


def checklist_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tprlint checklist",
        description="List the production checklists: each item's id, its evidence (static: rules over the "
                    "files; live: a running system; attest: a person, with evidence named in "
                    "[tool.tprlint.attest]) and the rules behind it. `tprlint -f checklist` reports on them.")
    parser.add_argument("--rules", action="store_true", help="also say what each rule applies to")
    args = parser.parse_args(argv)
    width = max(len(item.id) for checklist in load_checklists() for item in checklist.items)
    for checklist in load_checklists():
        print(f"{checklist.title} ({checklist.source})")
        for item in checklist.items:
            evidence = "+".join(item.evidence)
            rules = ", ".join(item.rules) if item.rules else (item.not_yet or "-")
            print(f"  {item.id:<{width}}  {evidence:<13}  {rules}")
            if args.rules:
                for rule_id in item.rules:
                    subject = SUBJECTS[RULE_SUBJECTS[rule_id]].description
                    print(f"  {'':<{width}}  {'':<13}    {rule_id} applies to {subject}")
        print()
    count = sum(len(c.items) for c in load_checklists())
    print(f"{count} items in {len(load_checklists())} checklists. `tprlint . -f checklist` reports their status.")
    return 0
