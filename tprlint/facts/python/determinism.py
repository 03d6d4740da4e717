"""Facts for the workflow determinism checker (TPR210-TPR213). Filled in by the determinism work."""

from __future__ import annotations

from dataclasses import dataclass

from tprlint.facts.python.code import ModuleCode


@dataclass
class DeterminismFacts:
    pass


def extract_determinism(code: ModuleCode, facts: DeterminismFacts) -> None:
    return None
