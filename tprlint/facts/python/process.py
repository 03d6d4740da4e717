"""Facts about the worker process beyond the Worker call: signal handler bodies, health routes,
versioning and test APIs. Filled in by the process work."""

from __future__ import annotations

from dataclasses import dataclass

from tprlint.facts.python.code import ModuleCode


@dataclass
class ProcessFacts:
    pass


def extract_process(code: ModuleCode, facts: ProcessFacts) -> None:
    return None
