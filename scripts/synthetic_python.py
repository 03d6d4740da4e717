"""Ordinary project Python of the synthetic monorepo: modules, tests, settings, shutdown helpers."""

from __future__ import annotations

from synthetic_base import FIELDS, NOUNS, SUBPACKAGES, THIRD_PARTY, VERBS, Module, WriterBase, camel


class PythonWriter(WriterBase):
    """Writes the ordinary (non-Temporal) Python files."""

    def body(self, indent: str, params: list[str], helpers: list[str]) -> list[str]:
        """A function body of 5-25 lines built from common shapes; always valid Python."""
        p = params[0] if params else "None"
        noun, fld = self.pick(NOUNS), self.pick(FIELDS)
        i = indent
        choice = self.rng.randrange(9)
        if choice == 0:
            lines = [
                f"{i}result: dict[str, Any] = {{}}",
                f"{i}for key, value in sorted(dict({p} or {{}}).items()):",
                f"{i}    if value is None:",
                f"{i}        continue",
                f"{i}    result[str(key).lower()] = value",
                f'{i}logger.debug("{noun}: %d entries", len(result))',
                f"{i}return result",
            ]
        elif choice == 1:
            lines = [
                f"{i}try:",
                f"{i}    payload = json.loads({p})",
                f"{i}except (TypeError, ValueError) as exc:",
                f'{i}    logger.warning("invalid {noun} payload: %s", exc)',
                f"{i}    return None",
                f'{i}if not isinstance(payload, dict) or "{fld}" not in payload:',
                f"{i}    return None",
                f'{i}return payload["{fld}"]',
            ]
        elif choice == 2:
            lines = [
                f"{i}items = [item for item in ({p} or []) if item]",
                f"{i}if not items:",
                f"{i}    return []",
                f"{i}seen: set[str] = set()",
                f"{i}unique = []",
                f"{i}for item in items:",
                f'{i}    key = getattr(item, "{fld}", None) or str(item)',
                f"{i}    if key in seen:",
                f"{i}        continue",
                f"{i}    seen.add(key)",
                f"{i}    unique.append(item)",
                f"{i}return unique",
            ]
        elif choice == 3:
            attempts = self.rng.randint(2, 6)
            lines = [
                f"{i}delay = {self.rng.choice(['0.1', '0.25', '0.5', '1.0'])}",
                f"{i}last_error: Exception | None = None",
                f"{i}for attempt in range({attempts}):",
                f"{i}    try:",
                f"{i}        return {self.pick(helpers) if helpers else 'dict'}({p})",
                f"{i}    except (OSError, RuntimeError) as exc:",
                f"{i}        last_error = exc",
                f'{i}        logger.info("retrying {noun} after %s (attempt %d)", exc, attempt + 1)',
                f"{i}        time.sleep(delay)",
                f"{i}        delay *= 2",
                f"{i}raise RuntimeError(\"{noun} failed\") from last_error",
            ]
        elif choice == 4:
            days = self.rng.randint(1, 90)
            lines = [
                f"{i}now = dt.datetime.now(dt.timezone.utc)",
                f"{i}cutoff = now - dt.timedelta(days={days})",
                f'{i}stamp = getattr({p}, "{fld}", None)',
                f"{i}if stamp is None:",
                f"{i}    return False",
                f"{i}if isinstance(stamp, str):",
                f"{i}    stamp = dt.datetime.fromisoformat(stamp)",
                f"{i}return stamp >= cutoff",
            ]
        elif choice == 5:
            a, b, c = self.rng.sample(FIELDS, 3)
            lines = [
                f'{i}kind = getattr({p}, "kind", None) or "default"',
                f'{i}if kind == "{a}":',
                f"{i}    value = {self.rng.randint(1, 100)}",
                f'{i}elif kind == "{b}":',
                f"{i}    value = {self.rng.randint(100, 1000)}",
                f'{i}elif kind == "{c}":',
                f"{i}    value = {self.rng.randint(1000, 10000)}",
                f"{i}else:",
                f'{i}    raise ValueError(f"unknown {noun} kind: {{kind}}")',
                f"{i}return value",
            ]
        elif choice == 6:
            helper = self.pick(helpers) if helpers else "str"
            lines = [
                f"{i}converted = {helper}({p})",
                f"{i}if converted is None:",
                f'{i}    raise LookupError("no {noun} for {fld}")',
                f'{i}logger.info("{noun} %s ready", converted)',
                f"{i}return converted",
            ]
        elif choice == 7:
            lines = [
                f"{i}counts: defaultdict[str, int] = defaultdict(int)",
                f"{i}totals: defaultdict[str, float] = defaultdict(float)",
                f"{i}for row in {p} or ():",
                f'{i}    group = str(row.get("{fld}", "unknown"))',
                f"{i}    counts[group] += 1",
                f'{i}    totals[group] += float(row.get("amount", 0) or 0)',
                f"{i}return {{group: totals[group] / counts[group] for group in counts}}",
            ]
        else:
            lines = [
                f'{i}path = Path(str({p})).expanduser()',
                f"{i}if not path.exists():",
                f"{i}    return []",
                f'{i}with path.open(encoding="utf-8") as handle:',
                f"{i}    rows = [line.strip() for line in handle if line.strip()]",
                f'{i}return [row for row in rows if not row.startswith("#")]',
            ]
        return lines

    def function(self, indent: str, name: str, helpers: list[str], method: bool = False,
                 is_async: bool = False) -> list[str]:
        params = list(dict.fromkeys(self.pick(NOUNS) for _ in range(self.rng.randint(1, 3))))
        args = ", ".join((["self"] if method else []) + [f"{p}: Any" for p in params])
        if self.rng.random() < 0.3:
            args += f", *, {self.pick(FIELDS)}_limit: int = {self.rng.randint(10, 500)}"
        lines = [f"{indent}{'async ' if is_async else ''}def {name}({args}) -> Any:"]
        lines += self.docstring(indent + "    ", name)
        if self.rng.random() < 0.3:
            lines.append(f"{indent}    # {self.pick(VERBS)} before the {self.pick(NOUNS).replace('_', ' ')} is used")
        lines += self.body(indent + "    ", params, helpers)
        return lines

    def klass(self, helpers: list[str]) -> tuple[str, list[str]]:
        noun = self.pick(NOUNS)
        style = self.rng.randrange(3)
        name = camel(noun) + self.pick(("", "Service", "Repository", "Manager", "Handler", "Record", "Client"))
        lines: list[str] = []
        if style == 0:
            lines += ["@dataclass", f"class {name}:"]
            lines += self.docstring("    ", noun)
            for fld in dict.fromkeys(self.rng.sample(FIELDS, self.rng.randint(3, 7))):
                typ = self.pick(("str", "int", "float", "bool", "str | None"))
                default = {"str": '""', "int": "0", "float": "0.0", "bool": "False", "str | None": "None"}[typ]
                lines.append(f"    {fld}: {typ} = {default}")
            lines.append("    extra: dict[str, Any] = field(default_factory=dict)")
        else:
            base = ""
            if style == 2:
                base = f"Base{camel(self.pick(NOUNS))}"
                lines += [f"class {base}:", f'    """Shared behaviour for {noun.replace("_", " ")} objects."""', "",
                          "    registry: dict[str, Any] = {}", "", ""]
            lines += [f"class {name}({base}):" if base else f"class {name}:"]
            lines += self.docstring("    ", noun)
            lines += ["", "    def __init__(self, settings: Any = None, *, timeout: float = 30.0) -> None:",
                      "        self.settings = settings or {}", "        self.timeout = timeout",
                      f"        self._{noun}_cache: dict[str, Any] = {{}}"]
        for _ in range(self.rng.randint(1, 6)):
            lines.append("")
            lines += self.function("    ", self.ident(), helpers, method=True, is_async=self.rng.random() < 0.15)
        return name, lines

    def ordinary_module(self, mod: Module, importable: list[Module], package: str, every: bool = False) -> str:
        """An ordinary module importing names from 1-4 of ``importable`` (from each of them when ``every``)."""
        rng = self.rng
        target = int(rng.triangular(50, 400, 130))
        lines = [f'"""{camel(mod.dotted.rsplit(".", 1)[-1])} for {mod.service.replace("_", " ")}:'
                 f' {self.pick(VERBS)} and {self.pick(VERBS)} {self.pick(NOUNS).replace("_", " ")} records.',
                 "",
                 f"Used by the {self.pick(SUBPACKAGES)} layer; see the package README for conventions.",
                 '"""', "", "from __future__ import annotations", "",
                 "import datetime as dt", "import json", "import logging", "import time",
                 "from collections import defaultdict", "from dataclasses import dataclass, field",
                 "from pathlib import Path", "from typing import Any"]
        if rng.random() < 0.3:
            lines.append(self.pick(THIRD_PARTY))
        helpers: list[str] = []
        siblings = [m for m in importable if m.exports]
        if siblings:
            lines.append("")
            chosen = siblings if every else rng.sample(siblings, min(len(siblings), rng.randint(1, 4)))
            for other in chosen:
                names = sorted(set(rng.sample(other.exports, min(len(other.exports), rng.randint(1, 3)))))
                if other.role == "settings":
                    lines.append(f"from {other.dotted.rsplit('.', 1)[0]} import settings")
                    continue
                same_pkg = other.dotted.rsplit(".", 1)[0] == mod.dotted.rsplit(".", 1)[0]
                source = "." + other.dotted.rsplit(".", 1)[1] if same_pkg and rng.random() < 0.5 else other.dotted
                lines.append(f"from {source} import {', '.join(names)}")
                helpers += [n for n in names if n[0].islower()]
        lines += ["", "logger = logging.getLogger(__name__)", ""]
        for _ in range(rng.randint(1, 4)):
            lines.append(f"{self.pick(FIELDS).upper()}_{self.pick(NOUNS).upper()} = {rng.randint(1, 5000)}")
        exports: list[str] = []
        while len(lines) < target:
            lines += ["", ""]
            if rng.random() < 0.35:
                name, block = self.klass(helpers)
            else:
                name = self.ident()
                while name in exports:
                    name = self.ident()
                block = self.function("", name, helpers, is_async=rng.random() < 0.1)
            lines += block
            exports.append(name)
        if mod.role == "script":
            lines += ["", "", "def main(argv: list[str] | None = None) -> int:",
                      "    import argparse", "",
                      f'    parser = argparse.ArgumentParser(description="{self.pick(VERBS)} {self.pick(NOUNS)} data")',
                      '    parser.add_argument("--dry-run", action="store_true")',
                      '    parser.add_argument("--limit", type=int, default=100)',
                      "    args = parser.parse_args(argv)",
                      '    logging.basicConfig(level=logging.INFO)',
                      '    logger.info("starting (dry run: %s, limit %d)", args.dry_run, args.limit)',
                      "    return 0", "", "",
                      'if __name__ == "__main__":', "    raise SystemExit(main())"]
        mod.exports = exports
        return "\n".join(lines)

    def test_module(self, mod: Module, importable: list[Module]) -> str:
        lines = ['"""Tests."""', "", "import pytest", ""]
        targets = [m for m in importable if m.exports and m.role == "module"]
        for other in self.rng.sample(targets, min(len(targets), 2)):
            lines.append(f"from {other.dotted} import {other.exports[0]}")
        target = int(self.rng.triangular(50, 250, 90))
        n = 0
        while len(lines) < target:
            n += 1
            noun = self.pick(NOUNS)
            lines += ["", "",
                      f'@pytest.mark.parametrize("value", [None, "", "{noun}", {self.rng.randint(1, 99)}])',
                      f"def test_{self.ident()}_{n}(value):",
                      f"    data = {{\"{self.pick(FIELDS)}\": value, \"kind\": \"{noun}\"}}",
                      "    assert isinstance(data, dict)",
                      f"    assert data[\"kind\"] == \"{noun}\""]
        return "\n".join(lines)

    def settings_module(self, mod: Module, service: str) -> str:
        upper = service.upper()
        mod.exports = ["DATABASE_URL", "REDIS_URL", "DEBUG", "PAGE_SIZE"]
        lines = [f'"""Settings of the {service} service, read from the environment."""', "", "import os", "",
                 f'DATABASE_URL = os.environ.get("{upper}_DATABASE_URL", "postgresql://localhost/{service}")',
                 'REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")',
                 'DEBUG = os.environ.get("DEBUG", "0") == "1"',
                 f"PAGE_SIZE = {self.rng.choice((25, 50, 100))}",
                 f'ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "{service}.internal").split(",")',
                 "", "FEATURES = {"]
        for _ in range(self.rng.randint(20, 60)):
            lines.append(f'    "{self.ident()}": {self.pick(("True", "False"))},')
        lines.append("}")
        return "\n".join(lines)

    def shutdown_module(self, mod: Module) -> str:
        mod.exports = ["wait_for_termination"]
        return "\n".join([
            '"""Process lifecycle helpers shared by every service."""', "",
            "from __future__ import annotations", "", "import asyncio", "import logging", "import signal", "",
            "logger = logging.getLogger(__name__)", "", "",
            "async def wait_for_termination() -> None:",
            '    """Return once the process receives SIGTERM or SIGINT."""',
            "    stop = asyncio.Event()",
            "    loop = asyncio.get_running_loop()",
            "    for sig in (signal.SIGTERM, signal.SIGINT):",
            "        loop.add_signal_handler(sig, stop.set)",
            "    await stop.wait()",
            '    logger.info("termination requested; shutting down")',
        ])
