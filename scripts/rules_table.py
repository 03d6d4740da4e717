"""Write the README's rule table from the catalogue (``rules/*.toml``).

    .venv/bin/python scripts/rules_table.py          # print the table
    .venv/bin/python scripts/rules_table.py --write  # replace the table under "## Rules" in README.md

``tests/test_docs.py`` fails when the README's table and the catalogue disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tprlint.catalog import load_catalog
from tprlint.checklist.catalog import items_of_rule

README = Path(__file__).resolve().parent.parent / "README.md"


def table() -> str:
    lines = ["| id | name | severity | checklist items | what it checks |", "| --- | --- | --- | --- | --- |"]
    for meta in load_catalog().values():
        item = ", ".join(i.id for i in items_of_rule(meta.id)) or "—"
        lines.append(f"| [{meta.id}](rules/{meta.id}.toml) | `{meta.name}` | {meta.severity.label} | {item} "
                     f"| {meta.summary} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if "--write" not in argv:
        sys.stdout.write(table())
        return
    text = README.read_text(encoding="utf-8")
    updated, count = re.subn(r"(## Rules\n\n)\| id \|.*?\n(?=\n)", lambda m: m.group(1) + table(), text,
                             count=1, flags=re.DOTALL)
    if count != 1:
        raise SystemExit("README.md: no rule table under '## Rules'")
    README.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
