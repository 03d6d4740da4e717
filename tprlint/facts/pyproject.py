"""Console scripts declared by a scanned project's ``pyproject.toml``: each one is a process entrypoint."""

from __future__ import annotations

import re
import sys
from dataclasses import field
from typing import Any

from tprlint.model import Location
from tprlint.records import frozen, mutable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@frozen
class ConsoleScript:
    name: str  # the command, e.g. "orders-worker"
    module: str  # dotted module, e.g. "orders.worker"
    function: str  # "main" (may be empty for `module` style entries)
    location: Location


@mutable
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
    except RecursionError:  # `x = [[[[...]]]]` a thousand deep: tomllib recurses per level
        raise PyprojectError("nested too deeply to parse", 1) from None
    facts = PyprojectFacts(path)
    tables: list[Any] = [
        _table(data, "project", "scripts"),
        _table(data, "project", "gui-scripts"),
        _table(data, "tool", "poetry", "scripts"),
    ]
    lines = _key_lines(text)
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            target = value.get("callable", "") if isinstance(value, dict) else value
            if not isinstance(target, str) or not target:
                continue
            module, _, function = target.partition(":")
            facts.scripts.append(
                ConsoleScript(str(name), module.strip(), function.strip(), Location(path, lines.get(str(name), 1)))
            )
    return facts


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every step is a table; {} otherwise (a scanned file may say anything)."""
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


_KEY = re.compile(r"""^[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z0-9_.\-]+))[ \t]*=""", re.MULTILINE)


def _key_lines(text: str) -> dict[str, int]:
    """Where each key is first declared (TOML parsers keep no positions; a script name is a bare or
    quoted key). One pass over the text: looking each key up line by line was quadratic."""
    found: dict[str, int] = {}
    line, offset = 1, 0
    for match in _KEY.finditer(text):
        line += text.count("\n", offset, match.start())
        offset = match.start()
        key = next(group for group in match.groups() if group is not None)
        found.setdefault(key, line)
    return found
