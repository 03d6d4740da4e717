"""Facts about activities: definitions and calls from workflows. Filled in by the activity work."""

from __future__ import annotations

from dataclasses import dataclass

from tprlint.facts.python.code import ModuleCode


@dataclass
class ActivityFacts:
    pass


def extract_activities(code: ModuleCode, facts: ActivityFacts) -> None:
    return None
