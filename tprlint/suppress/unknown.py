"""TPR003: suppressions that name rule ids tprlint does not have suppress nothing - usually a typo
that leaves the finding someone meant to silence (or meant to keep an eye on) unexplained."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tprlint.facts.compose import ComposeService
from tprlint.facts.extract import FileFacts
from tprlint.facts.kubernetes import Workload
from tprlint.model import Location
from tprlint.rules.context import Hit
from tprlint.suppress.comments import ALL, parse_annotation

IGNORE_ANNOTATION = "tprlint.io/ignore"
_SELECTOR = re.compile(r"^TPR\d{0,3}$")


def unknown_suppressions(facts: Iterable[FileFacts], workloads: Iterable[Workload],
                         known: set[str], compose_services: Iterable[ComposeService] = ()) -> Iterator[Hit]:
    for file in facts:
        for comment in file.suppressions.comments:
            kind = "ignore-file" if comment.file_level else "ignore"
            for selector in _unknown(comment.rules, known):
                yield Hit(
                    Location(file.path, comment.line, comment.column),
                    f"`# tprlint: {kind}[...]` names {_describe(selector)}, so it suppresses nothing. "
                    f"Use an id from `tprlint rules` (a prefix such as `TPR4` covers a family).",
                    anchor=f"{file.path}:{comment.line}:{selector}",
                )
    for workload in workloads:
        for where, values in (("metadata", workload.annotations), ("pod template", workload.pod_annotations)):
            if IGNORE_ANNOTATION not in values:
                continue
            for selector in _unknown(parse_annotation(values[IGNORE_ANNOTATION]), known):
                yield Hit(
                    workload.location,
                    f"{workload.kind} {workload.name}: annotation `{IGNORE_ANNOTATION}` in its {where} names "
                    f"{_describe(selector)}, so it suppresses nothing. Use ids from `tprlint rules`.",
                    anchor=f"{workload.ref}/{where}:{selector}",
                )
    yield from _compose_labels(compose_services, known)


def _compose_labels(services: Iterable[ComposeService], known: set[str]) -> Iterator[Hit]:
    seen: set[tuple[str, int]] = set()  # a service merged from several files is one label
    for service in services:
        where = (service.location.path, service.location.line)
        if IGNORE_ANNOTATION not in service.labels or where in seen:
            continue
        seen.add(where)
        for selector in _unknown(parse_annotation(service.labels[IGNORE_ANNOTATION]), known):
            yield Hit(
                service.location,
                f"Compose service `{service.name}`: label `{IGNORE_ANNOTATION}` names {_describe(selector)}, so "
                "it suppresses nothing. Use ids from `tprlint rules`.",
                anchor=f"compose/{service.location.path}/{service.name}:{selector}",
            )


def _unknown(selectors: Iterable[str], known: set[str]) -> list[str]:
    def names_a_rule(selector: str) -> bool:
        return bool(_SELECTOR.match(selector)) and any(rule.startswith(selector) for rule in known)

    return [s for s in selectors if s != ALL and not names_a_rule(s)]


def _describe(selector: str) -> str:
    if not _SELECTOR.match(selector):
        return f"`{selector}`, which is not a rule id (like TPR101) or prefix (like TPR4)"
    return f"`{selector}`, which is not a tprlint rule"
