"""The extractors that read a module's ``ModuleCode`` after the walk, each filling its own facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tprlint.facts.python import activities, clients, determinism, process, workflows
from tprlint.facts.python.code import ModuleCode

if TYPE_CHECKING:
    from tprlint.facts.python.facts import PythonFacts

Extractor = Callable[[ModuleCode, "PythonFacts"], None]

EXTRACTORS: tuple[Extractor, ...] = (
    lambda code, facts: workflows.extract_workflows(code, facts.workflow_classes),
    lambda code, facts: determinism.extract_determinism(code, facts.determinism),
    lambda code, facts: activities.extract_activities(code, facts.activity),
    lambda code, facts: clients.extract_clients(code, facts.client),
    lambda code, facts: process.extract_process(code, facts.process),
)
