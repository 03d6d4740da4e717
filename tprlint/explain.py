"""A rule's documentation as Markdown, in the order ruff uses: what, why, example, fix."""

from __future__ import annotations

from tprlint.checklist.catalog import items_of_rule
from tprlint.model import Example, RuleMeta


def checklist_items(rule_id: str) -> str:
    """The checklist items a rule gives evidence for (`tprlint checklist`), or "-"."""
    return ", ".join(item.id for item in items_of_rule(rule_id)) or "-"


def render_explanation(meta: RuleMeta) -> str:
    parts = [
        f"# {meta.name} ({meta.id})",
        f"Severity: {meta.severity.label} · Checklist items: {checklist_items(meta.id)}",
        "## What it does",
        meta.summary,
    ]
    if meta.rationale:
        parts += ["## Why is this bad?", meta.rationale]
    bad = [e for e in meta.examples if e.verdict == "bad"]
    good = [e for e in meta.examples if e.verdict == "good"]
    if bad:
        parts += ["## Example", _example(bad[0])]
    if good:
        parts += ["## Use instead", _example(good[0])]
    if meta.fix:
        parts += ["## How to fix", meta.fix]
    if meta.references:
        parts += ["## References", "\n".join(f"- {ref}" for ref in meta.references)]
    return "\n\n".join(parts) + "\n"


def _example(example: Example) -> str:
    blocks = [f"{example.title}:"]
    for name, text in example.files:
        language = "python" if name.endswith(".py") else "yaml" if name.endswith((".yaml", ".yml")) else ""
        blocks.append(f"`{name}`\n```{language}\n{text.rstrip()}\n```")
    return "\n\n".join(blocks)
