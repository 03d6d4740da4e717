"""Facts about Temporal client connections and credentials in code. Filled in by the client work."""

from __future__ import annotations

from dataclasses import dataclass

from tprlint.facts.python.code import ModuleCode


@dataclass
class ClientFacts:
    pass


def extract_clients(code: ModuleCode, facts: ClientFacts) -> None:
    return None
