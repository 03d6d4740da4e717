"""Console scripts declared by a scanned project's ``pyproject.toml``: each one is a process entrypoint."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

from tprlint.model import Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class ConsoleScript:
    name: str  # the command, e.g. "orders-worker"
    module: str  # dotted module, e.g. "orders.worker"
    function: str  # "main" (may be empty for `module` style entries)
    location: Location


@dataclass
class PyprojectFacts:
    path: str
    scripts: list[ConsoleScript] = field(default_factory=list)


class PyprojectError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_pyproject(text: str, path: str) -> PyprojectFacts:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position in the message ("... (at line 2, column 8)") before 3.14.
        found = re.search(r"at line (\d+)", str(exc))
        raise PyprojectError(str(exc), int(found.group(1)) if found else 1) from None
    facts = PyprojectFacts(path)
    tables: list[Any] = [
        _table(data, "project", "scripts"),
        _table(data, "project", "gui-scripts"),
        _table(data, "tool", "poetry", "scripts"),
    ]
    lines = text.splitlines()
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            target = value.get("callable", "") if isinstance(value, dict) else value
            if not isinstance(target, str) or not target:
                continue
            module, _, function = target.partition(":")
            facts.scripts.append(
                ConsoleScript(str(name), module.strip(), function.strip(), Location(path, _line_of(lines, name)))
            )
    return facts


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every step is a table; {} otherwise (a scanned file may say anything)."""
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _line_of(lines: list[str], key: str) -> int:
    """The line that declares ``key`` (TOML parsers keep no positions; a script name is a bare key)."""
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith((f"{key} ", f"{key}=", f'"{key}"', f"'{key}'")):
            return number
    return 1
