"""The status of every checklist item, after suppressions (see ``../shared/checklists.md``).

In order of precedence, an item's static answer is:

- **fail**: an unsuppressed finding of a rule behind it;
- **unknown**: a rule behind it met something it could not decide (the reason says what), or none of
  its rules ran (deselected, or the run's time limit), or no rule checks it yet;
- **pass**: a rule behind it applied to something in the scan, and none found or left anything;
- **n/a**: no rule behind it applied to anything in the scan.

An item without a decided static answer (n/a, or no rule yet) that a live probe can answer **needs
probe**; one that a person can attest is **attested** (``[tool.tprlint.attest]`` points at evidence that
exists) or **needs attestation**. A pass is never inferred: a rule that met nothing gives no evidence.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, replace

from tprlint.checklist.attest import Attestation
from tprlint.checklist.catalog import Checklist, Item, load_checklists
from tprlint.live import is_live_rule
from tprlint.model import SUBJECT_TAG as TAG
from tprlint.model import Finding, Undecided
from tprlint.records import frozen

ENGINE_RULES = ("TPR000", "TPR001", "TPR002")  # parts of the tree that were not analysed


class Status(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NA = "n/a"
    NEEDS_PROBE = "needs probe"
    ATTESTED = "attested"
    NEEDS_ATTESTATION = "needs attestation"

    @property
    def slug(self) -> str:
        """The word for it on the command line and in JUnit: `needs-probe`, `na`."""
        return "na" if self is Status.NA else self.value.replace(" ", "-")

    @classmethod
    def parse(cls, text: str) -> Status:
        wanted = text.strip().lower().replace("_", "-")
        for status in cls:
            if wanted in (status.slug, status.value):
                return status
        raise ValueError(f"unknown item status {text!r} (expected one of {', '.join(s.slug for s in cls)})")


# Statuses that say the item holds: what a release gate counts as earned.
EARNED = frozenset({Status.PASS, Status.ATTESTED})


@frozen
class ItemResult:
    item: Item
    status: Status
    reason: str = ""  # one line: why this status (not for a plain pass or fail)
    findings: tuple[Finding, ...] = ()  # the unsuppressed findings behind a fail, in report order
    suppressed: int = 0  # findings of its rules that a suppression accepted
    undecided: tuple[Undecided, ...] = ()  # what its rules could not decide
    rules: tuple[str, ...] = ()  # its rules that ran
    applied: int = 0  # things its rules applied to
    attestation: Attestation | None = None
    # With a probe: the status from each kind of evidence, ("static", Status.PASS), ("live", Status.FAIL).
    sources: tuple[tuple[str, Status], ...] = ()


@frozen
class ChecklistResult:
    checklist: Checklist
    items: tuple[ItemResult, ...]

    @property
    def counts(self) -> Counter[Status]:
        return Counter(result.status for result in self.items)

    @property
    def compliance(self) -> float | None:
        """Earned items (pass, attested) over the items that apply (all but n/a); None when none applies."""
        counts = self.counts
        applicable = len(self.items) - counts[Status.NA]
        return (counts[Status.PASS] + counts[Status.ATTESTED]) / applicable if applicable else None


@frozen
class ChecklistReport:
    checklists: tuple[ChecklistResult, ...]
    # Parts of the tree that were not analysed (TPR000/TPR001/TPR002 findings): their evidence is missing.
    not_analysed: int = 0
    counts: Counter[Status] = field(default_factory=Counter)

    @property
    def items(self) -> list[ItemResult]:
        return [result for checklist in self.checklists for result in checklist.items]

    def failing_gate(self, fail_on: Iterable[Status], require: Iterable[Status]) -> list[ItemResult]:
        """Items that fail `--fail-on-item` (their status is listed) or `--require` (an applicable item
        whose status is not listed)."""
        fail_on, require = frozenset(fail_on), frozenset(require)
        return [r for r in self.items if r.status in fail_on
                or (require and r.status is not Status.NA and r.status not in require)]


def build_report(findings: list[Finding], rules_run: Iterable[str], applied: Mapping[str, Sequence[str]],
                 undecided: Iterable[Undecided], attestations: Mapping[str, Attestation],
                 checklists: tuple[Checklist, ...] | None = None,
                 outside: Mapping[str, int] | None = None) -> ChecklistReport:
    """``applied``: the subjects each rule met (tprlint.checklist.subjects); ``outside``: per rule, the
    findings left out because they are outside the paths asked for (`tprlint PATH` in a project)."""
    ran = frozenset(rules_run)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    undecided_by_rule: dict[str, list[Undecided]] = {}
    for entry in undecided:
        undecided_by_rule.setdefault(entry.rule_id, []).append(entry)
    probed = any(is_live_rule(r) and applied.get(r) for r in ran)
    results = tuple(
        ChecklistResult(checklist, tuple(
            _side_by_side(item_status(item, ran, by_rule, applied, undecided_by_rule, attestations.get(item.id),
                                      outside or {}), ran, by_rule, applied, undecided_by_rule, outside or {})
            if probed else
            item_status(item, ran, by_rule, applied, undecided_by_rule, attestations.get(item.id), outside or {})
            for item in checklist.items))
        for checklist in (checklists or load_checklists()))
    not_analysed = sum(1 for f in findings if f.rule_id in ENGINE_RULES and not f.is_suppressed)
    counts = Counter(r.status for c in results for r in c.items)
    return ChecklistReport(results, not_analysed, counts)


def item_status(item: Item, ran: frozenset[str], findings: Mapping[str, list[Finding]],
                applied: Mapping[str, Sequence[str]], undecided: Mapping[str, list[Undecided]],
                attestation: Attestation | None, outside: Mapping[str, int] | None = None) -> ItemResult:
    static = _static(item, ran, findings, applied, undecided, outside or {})
    if static.status is Status.UNKNOWN and item.attest_when_unknown and static.undecided:
        # The scan could not see it (a database outside the repository): a person's evidence settles it.
        if attestation is not None and attestation.ok:
            return _with(static, Status.ATTESTED, f"attested by {attestation.reason} ({static.reason})", attestation)
        why = (f"the configured evidence does not hold: {attestation.reason}" if attestation is not None
               else f"point [tool.tprlint.attest] \"{item.id}\" at {item.attest_when_unknown}")
        return replace(static, reason=f"{static.reason}; {why}", attestation=attestation)
    if static.status in (Status.FAIL, Status.UNKNOWN, Status.PASS) and not (
            static.status is Status.UNKNOWN and not item.rules):
        return static
    # Nothing decided it statically: n/a, or no rule checks it yet.
    if item.attestable:
        if attestation is not None and attestation.ok:
            return _with(static, Status.ATTESTED, f"attested by {attestation.reason}", attestation)
        why = (f"the configured evidence does not hold: {attestation.reason}" if attestation is not None
               else f"point [tool.tprlint.attest] \"{item.id}\" at the evidence")
        return _with(static, Status.NEEDS_ATTESTATION, why, attestation)
    if "live" in item.evidence:
        why = "only the running system can say (a live check)"
        if static.reason:  # n/a, or no rule checks it yet: say that too
            why = f"{static.reason}; {why}"
        return _with(static, Status.NEEDS_PROBE, why, None)
    return static


def _side_by_side(result: ItemResult, ran: frozenset[str], findings: Mapping[str, list[Finding]],
                  applied: Mapping[str, Sequence[str]], undecided: Mapping[str, list[Undecided]],
                  outside: Mapping[str, int]) -> ItemResult:
    """With a probe, the item's status from its static rules and from its live rules, each on its own."""
    sources = []
    for source, live in (("static", False), ("live", True)):
        rules = tuple(r for r in result.item.rules if is_live_rule(r) == live)
        if not rules:
            continue
        requires = tuple(r for r in result.item.requires if is_live_rule(r) == live)
        alone = replace(result.item, rules=rules, requires=requires)
        sources.append((source, _static(alone, ran, findings, applied, undecided, outside).status))
    return replace(result, sources=tuple(sources))


def _with(base: ItemResult, status: Status, reason: str, attestation: Attestation | None) -> ItemResult:
    return ItemResult(base.item, status, reason, base.findings, base.suppressed, base.undecided, base.rules,
                      base.applied, attestation, base.sources)


def _static(item: Item, ran: frozenset[str], findings: Mapping[str, list[Finding]],
            applied: Mapping[str, Sequence[str]], undecided: Mapping[str, list[Undecided]],
            outside: Mapping[str, int]) -> ItemResult:
    if not item.rules:
        return ItemResult(item, Status.UNKNOWN, f"not checked: {item.not_yet}" if item.not_yet else "")
    # A rule with a finding applied to something, whatever the count says.
    rules = tuple(r for r in item.rules if r in ran and (r in applied or findings.get(r)))
    evidence = [f for r in rules for f in findings.get(r, ()) if _counts_for(item, f)]
    failing = tuple(f for f in evidence if not f.is_suppressed)
    suppressed = len(evidence) - len(failing)
    open_questions = tuple(u for r in rules for u in undecided.get(r, ()))
    met = sum(_met(item, applied.get(r, ())) or len(findings.get(r, ())) for r in rules)
    if failing:
        return ItemResult(item, Status.FAIL, "", failing, suppressed, open_questions, rules, met)
    if open_questions:
        first = open_questions[0]
        more = f" (and {len(open_questions) - 1} more)" if len(open_questions) > 1 else ""
        return ItemResult(item, Status.UNKNOWN, f"{first.rule_id} could not decide {first.what}: {first.why}{more}",
                          (), suppressed, open_questions, rules, met)
    # Every rule behind the item must have run: a deselected or timed-out one may hold the failure.
    missing = [r for r in item.rules if r not in rules]
    if missing:
        deselected = [r for r in missing if r not in ran]
        why = (f"{', '.join(deselected)} not selected" if deselected
               else f"{', '.join(missing)} did not run: the run's time limit")
        return ItemResult(item, Status.UNKNOWN, f"no evidence: {why}", (), suppressed, (), rules, met)
    elsewhere = [(r, outside[r]) for r in rules if outside.get(r)]
    if elsewhere:
        rule, count = elsewhere[0]
        return ItemResult(item, Status.UNKNOWN, f"{rule} has {count} finding{'s' if count != 1 else ''} outside the "
                          "paths asked for; lint the whole project to see them", (), suppressed, (), rules, met)
    if item.requires and not any(applied.get(r) for r in item.requires):
        return ItemResult(item, Status.NA, f"nothing in the scan that {', '.join(item.requires)} applies to", (),
                          suppressed, (), rules, met)
    if met:
        return ItemResult(item, Status.PASS, "", (), suppressed, (), rules, met)
    return ItemResult(item, Status.NA, f"nothing in the scan that {', '.join(rules)} applies to", (), suppressed,
                      (), rules, 0)


def _met(item: Item, subjects: Sequence[str]) -> int:
    """The subjects that count for this item: with anchors, those tagged with one of them (the frontend
    service for ha.frontend), or untagged."""
    if not item.anchors:
        return len(subjects)
    wanted = {anchor.lstrip("/") for anchor in item.anchors}
    return sum(1 for s in subjects if TAG not in s or s.split(TAG, 1)[1] in wanted)


def _counts_for(item: Item, finding: Finding) -> bool:
    return not item.anchors or any(finding.anchor.endswith(suffix) for suffix in item.anchors)


def item_findings(item: Item, findings: Iterable[Finding]) -> list[Finding]:
    """The unsuppressed findings that are this item's evidence, from a report's (redacted) findings."""
    return [f for f in findings if f.rule_id in item.rules and not f.is_suppressed and _counts_for(item, f)]
