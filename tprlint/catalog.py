"""The rule catalogue: one TOML file per rule under ``rules/``.

The catalogue is the single source for ``tprlint rules``, ``tprlint explain``, SARIF ``rules[]``
and the example tests. In a wheel it ships as ``tprlint/_catalog``; in a source checkout it is the
top-level ``rules/`` folder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from tprlint.model import Example, RuleMeta, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class CatalogError(Exception):
    """A rule file is malformed: a bug in tprlint, reported clearly rather than as a traceback."""


def catalog_dir() -> Path:
    packaged = Path(__file__).parent / "_catalog"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


class Catalog(Mapping[str, RuleMeta]):
    """Rule ids come from the file names; a rule's file is parsed when the rule is first looked up.
    A run's report names a handful of rules, so most runs never parse most files (SARIF and
    `tprlint rules` do read them all)."""

    def __init__(self, files: dict[str, Path]) -> None:
        self._files = files
        self._parsed: dict[str, RuleMeta] = {}

    def __getitem__(self, rule_id: str) -> RuleMeta:
        meta = self._parsed.get(rule_id)
        if meta is None:
            meta = _parse_rule_file(self._files[rule_id])
            if meta.id != rule_id:
                raise CatalogError(f"{rule_id}.toml: id {meta.id!r} does not match the file name")
            self._parsed[rule_id] = meta
        return meta

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    return Catalog({path.stem: path for path in sorted(catalog_dir().glob("TPR*.toml"))})


def _parse_rule_file(path: Path) -> RuleMeta:
    """The rule's documentation; its examples, most of the file, are read when asked for
    (``RuleMeta.examples``): a report names rules, it never shows their examples."""
    try:
        text = path.read_text(encoding="utf-8")
        header, _, _ = text.partition(_FIRST_EXAMPLE)
        try:
            data = tomllib.loads(header)
        except tomllib.TOMLDecodeError:  # the marker sat inside a string: the whole file, then
            data = tomllib.loads(text)
        return RuleMeta(
            id=data["id"],
            name=data["name"],
            severity=Severity.parse(data["severity"]),
            checklist=data.get("checklist", ""),
            summary=data["summary"].strip(),
            rationale=data.get("why", "").strip(),
            fix=data.get("fix", "").strip(),
            references=tuple(data.get("references", ())),
            source=str(path),
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc


_FIRST_EXAMPLE = "\n[[example]]\n"


@cache
def rule_examples(source: str) -> tuple[Example, ...]:
    """The examples of the rule file at ``source`` (``RuleMeta.examples``)."""
    path = Path(source)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return tuple(_parse_example(e) for e in data.get("example", ()))
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc


def _parse_example(raw: dict[str, Any]) -> Example:
    verdict = raw["verdict"]
    if verdict not in ("bad", "good"):
        raise ValueError(f"example verdict must be 'bad' or 'good', not {verdict!r}")
    files = tuple((name, _dedent_example(text)) for name, text in raw["files"].items())
    return Example(
        title=raw["title"],
        verdict=verdict,
        files=files,
        lines=tuple(raw.get("lines", ())),
        config=raw.get("config", ""),
        allows=_parse_allows(raw.get("allows", {}), verdict),
        live=_dedent_example(raw.get("live", "")),
    )


def _parse_allows(raw: object, verdict: str) -> tuple[tuple[str, str], ...]:
    """`allows = { TPR404 = "why writing the resources here would bury the point" }`: a reason per rule."""
    if not isinstance(raw, dict):
        raise ValueError("allows must be a table of rule id = reason")
    if raw and verdict != "good":
        raise ValueError("only a good example can allow other rules")
    allows = []
    for rule_id, reason in raw.items():
        if not (isinstance(rule_id, str) and rule_id.startswith("TPR")):
            raise ValueError(f"allows: {rule_id!r} is not a rule id")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"allows: {rule_id} needs a reason")
        allows.append((rule_id, " ".join(reason.split())))
    return tuple(sorted(allows))


def _dedent_example(text: str) -> str:
    # TOML multi-line strings keep a leading newline only when the author wrote one; strip it so
    # line numbers in `lines = [...]` count from the first line of the example.
    return text[1:] if text.startswith("\n") else text
