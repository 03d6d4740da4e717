"""The vocabulary every stage shares: severities, locations, findings and rule metadata.

Everything here is a plain, picklable dataclass so facts and findings can cross process
boundaries and live in the on-disk cache.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tprlint.records import frozen, mutable


class Severity(enum.IntEnum):
    """SARIF levels, ordered so that ``severity >= threshold`` means "gates"."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None


@dataclass(frozen=True, order=True)
class Location:
    """A span in a file. Lines and columns are 1-based; ``path`` is relative to the scan root."""

    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@frozen
class RelatedLocation:
    """Another artifact a finding relies on, e.g. the worker code linked to a Deployment."""

    location: Location
    message: str


@mutable
class Finding:
    rule_id: str
    severity: Severity
    message: str
    location: Location
    related: tuple[RelatedLocation, ...] = ()
    # Stable identity of the offending thing (e.g. "Deployment/orders/order-worker" or the
    # enclosing function) so fingerprints survive unrelated line shifts.
    anchor: str = ""
    # Findings about credentials must never show the offending source text.
    redact_source: bool = False
    suppressed_by: str | None = None
    # Set by the pull-request gates after the run (tprlint.suppress.baseline and .diff): "unchanged" for a
    # finding the baseline accepts, "new" for one it does not (None without a baseline); False when none
    # of its locations is on a line the change touched (None without --diff-base).
    baseline_state: str | None = None
    in_diff: bool | None = None

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed_by is not None

    @property
    def is_new(self) -> bool:
        """Whether this pull request brought it: not accepted by the baseline, on a line it changed."""
        return self.baseline_state != "unchanged" and self.in_diff is not False

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule_id, self.message)


# Between a checklist subject's path and its tag ("deploy/temporal.yaml" + SUBJECT_TAG + "frontend"), see
# tprlint.checklist.subjects.
SUBJECT_TAG = "\0"


@frozen
class Undecided:
    """Something a rule applies to but could not judge (a drain from a value it cannot resolve): shown as
    the checklist's `unknown` with this reason, so that a silent skip never looks like a pass."""

    rule_id: str
    what: str  # "Deployment orders-worker", "Worker at worker.py:48"
    why: str  # "the drain comes from `cfg.timeout`, which could not be resolved"
    location: Location | None = None
    # The live probe tried to look and could not (a refused call, a namespace it could not describe): a probe
    # that could not see fails its run, where an undecided static rule only shows as unknown.
    gate: bool = False


@frozen
class Example:
    """One example of a rule's catalogue file: files of a tiny repository and the verdict."""

    title: str
    verdict: str  # "bad" (the rule must fire) or "good" (it must not)
    files: tuple[tuple[str, str], ...]
    lines: tuple[int, ...] = ()  # for bad examples: lines (of the first file) where it fires
    config: str = ""  # optional TOML for [tool.tprlint], e.g. scope = "all"
    # For good examples other than the first: (rule id, reason) of other rules the example may trigger
    # at warning level and above because writing what they ask would bury the example's point. The
    # example tests check that each allowed rule still fires, so an allowance cannot outlive its need.
    allows: tuple[tuple[str, str], ...] = ()
    # For the live rules (TPR7xx, TPR8xx): what the probe saw, as `--record` writes it (tprlint.live.snapshot).
    live: str = ""


@frozen
class RuleMeta:
    id: str
    name: str
    severity: Severity
    checklist: str
    summary: str
    rationale: str = ""
    fix: str = ""
    references: tuple[str, ...] = ()
    # The rule file, whose examples are read when first asked for: a report needs the rest only, and
    # the examples are most of a rule file's text.
    source: str = field(default="", compare=False, repr=False)

    @property
    def examples(self) -> tuple[Example, ...]:
        """The rule's bad and good examples (``tprlint explain``, and the tests that run them)."""
        if not self.source:
            return ()
        from tprlint.catalog import rule_examples  # the catalogue reads rule files; the model does not

        return rule_examples(self.source)

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}/{self.id}.toml"


DOCS_URL = "https://github.com/tprlint/tprlint/blob/main/rules"
