"""How an item's status follows from findings, what the rules applied to, what they could not decide and
what configuration attests (tprlint.checklist.status): the precedence of ../shared/checklists.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from tprlint.checklist.attest import Attestation, check
from tprlint.checklist.catalog import Checklist, Item
from tprlint.checklist.status import ChecklistReport, Status, build_report, item_status
from tprlint.model import Finding, Location, Severity, Undecided

TIMEOUT = Item("shutdown.timeout", "Workers set graceful_shutdown_timeout", ("static",), ("TPR101", "TPR102"))
ZONES = Item("ha.zones", "Multiple availability zones", ("static", "live"), ("TPR411",))
BACKUPS = Item("infra.backups", "Backups automated and tested", ("static", "attest"), ("TPR901",))
RUNBOOKS = Item("ops.runbooks", "Runbooks", ("attest",))
HEALTHY = Item("post.workers-healthy", "All workers healthy", ("live",))
NO_KILL = Item("shutdown.no-kill", "Nothing kills workers abruptly", ("static",), not_yet="no rule reads scripts yet")
FRONTEND = Item("ha.frontend", "Frontend >= 3 replicas", ("static", "live"), ("TPR501",), anchors=("/frontend", "/all"))

RAN = frozenset({"TPR101", "TPR102", "TPR411", "TPR901", "TPR501"})


def finding(rule: str, anchor: str = "", suppressed: bool = False) -> Finding:
    return Finding(rule, Severity.ERROR, f"{rule} fired", Location("worker.py", 3), anchor=anchor,
                   suppressed_by="inline comment" if suppressed else None)


def status_of(item: Item, findings: list[Finding] | None = None, applied: dict[str, int] | None = None,
              undecided: list[Undecided] | None = None, attestation: Attestation | None = None,
              ran: frozenset[str] = RAN) -> tuple[Status, str]:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings or ():
        by_rule.setdefault(f.rule_id, []).append(f)
    by_rule_undecided: dict[str, list[Undecided]] = {}
    for u in undecided or ():
        by_rule_undecided.setdefault(u.rule_id, []).append(u)
    subjects = {rule: ("w.py",) * count for rule, count in (applied or {}).items()}
    result = item_status(item, ran, by_rule, subjects, by_rule_undecided, attestation)
    return result.status, result.reason


def test_a_finding_fails_the_item_before_anything_else() -> None:
    undecided = [Undecided("TPR102", "the Worker at w.py:3", "its drain could not be resolved")]
    assert status_of(TIMEOUT, [finding("TPR101")], {"TPR101": 2, "TPR102": 2}, undecided)[0] is Status.FAIL


def test_what_a_rule_could_not_decide_makes_the_item_unknown_with_the_reason() -> None:
    undecided = [Undecided("TPR102", "the Worker at w.py:3", "its drain could not be resolved"),
                 Undecided("TPR102", "the Worker at x.py:9", "its drain could not be resolved")]
    status, reason = status_of(TIMEOUT, [], {"TPR101": 2, "TPR102": 2}, undecided)
    assert status is Status.UNKNOWN
    assert reason == "TPR102 could not decide the Worker at w.py:3: its drain could not be resolved (and 1 more)"


def test_a_pass_is_earned_by_a_rule_that_applied_to_something() -> None:
    assert status_of(TIMEOUT, [], {"TPR101": 1, "TPR102": 0})[0] is Status.PASS
    status, reason = status_of(TIMEOUT, [], {"TPR101": 0, "TPR102": 0})
    assert status is Status.NA
    assert reason == "nothing in the scan that TPR101, TPR102 applies to"


def test_a_suppressed_finding_does_not_fail_the_item_but_is_counted() -> None:
    findings = [finding("TPR101", suppressed=True)]
    by_rule = {"TPR101": findings}
    result = item_status(TIMEOUT, RAN, by_rule, {"TPR101": ("w.py",), "TPR102": ()}, {}, None)
    assert (result.status, result.suppressed) == (Status.PASS, 1)


def test_rules_that_did_not_run_give_no_evidence() -> None:
    status, reason = status_of(TIMEOUT, [], {}, ran=frozenset({"TPR411"}))
    assert (status, reason) == (Status.UNKNOWN, "no evidence: TPR101, TPR102 not selected")
    # One of its rules deselected (--ignore TPR101): the rest cannot pass it, TPR101 may hold the failure.
    status, reason = status_of(TIMEOUT, [], {"TPR102": 3}, ran=frozenset({"TPR102"}))
    assert (status, reason) == (Status.UNKNOWN, "no evidence: TPR101 not selected")
    # Selected, but the run's time limit stopped TPR102 before it ran: no count was taken.
    status, reason = status_of(TIMEOUT, [], {"TPR101": 1}, ran=frozenset({"TPR101", "TPR102"}))
    assert (status, reason) == (Status.UNKNOWN, "no evidence: TPR102 did not run: the run's time limit")
    # A failure found by the rules that did run still fails it.
    assert status_of(TIMEOUT, [finding("TPR102")], {"TPR102": 1}, ran=frozenset({"TPR102"}))[0] is Status.FAIL


def test_a_static_item_without_a_rule_is_unknown_and_says_why() -> None:
    assert status_of(NO_KILL) == (Status.UNKNOWN, "not checked: no rule reads scripts yet")


def test_live_evidence_turns_an_undecided_static_answer_into_needs_probe() -> None:
    assert status_of(HEALTHY)[0] is Status.NEEDS_PROBE
    status, reason = status_of(ZONES, [], {"TPR411": 0})
    assert status is Status.NEEDS_PROBE and reason.startswith("nothing in the scan that TPR411 applies to; ")
    assert status_of(ZONES, [], {"TPR411": 3})[0] is Status.PASS  # a static answer wins


def test_attest_items_are_attested_only_by_evidence_that_holds() -> None:
    assert status_of(RUNBOOKS)[0] is Status.NEEDS_ATTESTATION
    held = Attestation("ops.runbooks", ("docs/runbooks/",), True, "docs/runbooks/ (3 files)")
    assert status_of(RUNBOOKS, attestation=held) == (Status.ATTESTED, "attested by docs/runbooks/ (3 files)")
    empty = Attestation("ops.runbooks", ("docs/runbooks/",), False, "docs/runbooks/ holds no file with content")
    assert status_of(RUNBOOKS, attestation=empty) == (
        Status.NEEDS_ATTESTATION, "the configured evidence does not hold: docs/runbooks/ holds no file with content")


def test_a_static_and_attest_item_takes_its_static_answer_first() -> None:
    held = Attestation("infra.backups", ("ops/backups.md",), True, "ops/backups.md")
    assert status_of(BACKUPS, [finding("TPR901")], {"TPR901": 1}, attestation=held)[0] is Status.FAIL
    assert status_of(BACKUPS, [], {"TPR901": 1}, attestation=held)[0] is Status.PASS
    # No Temporal server in the scan: only a person can say.
    assert status_of(BACKUPS, [], {"TPR901": 0}, attestation=held)[0] is Status.ATTESTED
    assert status_of(BACKUPS, [], {"TPR901": 0})[0] is Status.NEEDS_ATTESTATION


def test_an_item_with_anchors_counts_only_its_own_findings() -> None:
    history_short = finding("TPR501", anchor="Deployment/temporal/temporal-history/history")
    assert status_of(FRONTEND, [history_short], {"TPR501": 4})[0] is Status.PASS
    frontend_short = finding("TPR501", anchor="Deployment/temporal/temporal-frontend/frontend")
    all_in_one = finding("TPR501", anchor="Deployment/temporal/temporal/all")
    assert status_of(FRONTEND, [frontend_short], {"TPR501": 4})[0] is Status.FAIL
    assert status_of(FRONTEND, [all_in_one], {"TPR501": 1})[0] is Status.FAIL


def test_a_rule_that_fired_applied_even_when_nothing_was_counted() -> None:
    """A report rendered by a library caller from findings alone: the finding is evidence."""
    assert status_of(TIMEOUT, [finding("TPR101")], {})[0] is Status.FAIL


def test_compliance_counts_earned_items_over_the_items_that_apply() -> None:
    checklist = Checklist("shutdown", "Worker shutdown", "10.1.1", (TIMEOUT, ZONES, RUNBOOKS, NO_KILL))
    report = build_report([finding("TPR411")], RAN, {"TPR101": ("w.py",), "TPR102": (), "TPR411": ("d.yaml",)}, [],
                          {}, (checklist,))
    (result,) = report.checklists
    statuses = [r.status for r in result.items]
    assert statuses == [Status.PASS, Status.FAIL, Status.NEEDS_ATTESTATION, Status.UNKNOWN]
    assert result.compliance == 0.25
    nothing = build_report([], RAN, {"TPR101": (), "TPR102": ()}, [], {}, (Checklist("x", "X", "1", (TIMEOUT,)),))
    assert nothing.checklists[0].compliance is None  # n/a only: nothing applies


def test_engine_findings_are_counted_as_parts_not_analysed() -> None:
    broken = Finding("TPR001", Severity.WARNING, "cannot be parsed", Location("bad.py", 1))
    report = build_report([broken, finding("TPR101")], RAN, {}, [], {}, (Checklist("x", "X", "1", (TIMEOUT,)),))
    assert report.not_analysed == 1


@pytest.mark.parametrize(("fail_on", "require", "failing"), [
    ((Status.FAIL,), (), ["shutdown.timeout"]),
    ((), (Status.PASS, Status.ATTESTED), ["shutdown.timeout", "ops.runbooks", "shutdown.no-kill"]),
    ((Status.UNKNOWN,), (), ["shutdown.no-kill"]),
    ((), (), []),
])
def test_the_checklist_gates(fail_on: tuple[Status, ...], require: tuple[Status, ...], failing: list[str]) -> None:
    checklist = Checklist("x", "X", "1", (TIMEOUT, ZONES, RUNBOOKS, NO_KILL, Item("ha.autoscaling", "HPA", ("static",),
                                                                             ("TPR410",))))
    report: ChecklistReport = build_report([finding("TPR101")], RAN | {"TPR410"},
                                           {"TPR102": (), "TPR411": ("a", "b"), "TPR410": ()}, [], {}, (checklist,))
    # ha.zones passes, ha.autoscaling is n/a: n/a never fails --require, there is nothing to earn.
    assert [r.item.id for r in report.failing_gate(fail_on, require)] == failing


@pytest.mark.parametrize("text", ["needs-probe", "needs probe", "NEEDS_PROBE", " needs-probe "])
def test_statuses_are_read_by_slug_or_label(text: str) -> None:
    assert Status.parse(text) is Status.NEEDS_PROBE
    assert Status.parse("na") is Status.NA and Status.parse("n/a") is Status.NA


def test_an_unknown_status_word_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown item status 'passed'"):
        Status.parse("passed")


# --- attestation ----------------------------------------------------------------------------------


def test_evidence_must_exist_inside_the_project_and_hold_something(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "docs" / "runbooks").mkdir(parents=True)
    (project / "docs" / "empty.md").write_text("")
    (project / "docs" / "oncall.md").write_text("Primary: payments team, PagerDuty schedule P123\n")
    (tmp_path / "outside.md").write_text("not ours\n")
    (project / "docs" / "link.md").symlink_to(tmp_path / "outside.md")

    assert check("ops.oncall", ("docs/oncall.md",), project).ok
    assert check("ops.runbooks", ("docs/runbooks/",), project).reason == "docs/runbooks/ holds no file with content"
    (project / "docs" / "runbooks" / "incident.md").write_text("1. Page the on-call.\n")
    found = check("ops.runbooks", ("docs/runbooks/",), project)
    assert (found.ok, found.reason) == (True, "docs/runbooks/ (1 file)")
    assert check("ops.slo", ("docs/empty.md",), project).reason == "docs/empty.md is empty"
    assert check("ops.slo", ("docs/missing.md",), project).reason == "docs/missing.md does not exist"
    assert check("ops.slo", ("../outside.md",), project).reason == "../outside.md is outside the project"
    assert check("ops.slo", ("docs/link.md",), project).reason == "docs/link.md is outside the project"
    # Any of several paths will do; when none holds, each says why.
    either = check("ops.slo", ("docs/missing.md", "docs/oncall.md"), project)
    assert (either.ok, either.reason) == (True, "docs/oncall.md")


def test_a_folder_whose_only_file_leads_out_of_the_project_holds_nothing(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "runbooks").mkdir(parents=True)
    (tmp_path / "secret-runbook.md").write_text("outside\n")
    (project / "runbooks" / "r.md").symlink_to(tmp_path / "secret-runbook.md")
    assert not check("ops.runbooks", ("runbooks",), project).ok


def test_findings_outside_the_paths_asked_for_make_their_items_unknown() -> None:
    """`tprlint orders/workflows.py`: the missing SIGTERM handler is reported in orders/worker.py, outside."""
    result = item_status(TIMEOUT, RAN, {}, {"TPR101": ("w.py",), "TPR102": ()}, {}, None, outside={"TPR101": 2})
    assert (result.status, result.reason) == (
        Status.UNKNOWN, "TPR101 has 2 findings outside the paths asked for; lint the whole project to see them")


def test_an_item_about_something_particular_needs_a_rule_that_judged_it() -> None:
    """ha.lb-health: worker probes alone do not pass the frontend's health checks."""
    lb = Item("ha.lb-health", "Load balancer health checks on the frontend", ("static",), ("TPR402",),
              requires=("TPR501",))
    ran = frozenset({"TPR402", "TPR501"})
    assert status_of(lb, [], {"TPR402": 3, "TPR501": 0}, ran=ran) == (
        Status.NA, "nothing in the scan that TPR501 applies to")
    assert status_of(lb, [], {"TPR402": 3, "TPR501": 1}, ran=ran)[0] is Status.PASS
    assert status_of(lb, [finding("TPR402")], {"TPR402": 3, "TPR501": 0}, ran=ran)[0] is Status.FAIL


def test_a_service_item_counts_only_that_services_subjects() -> None:
    history_only = {"TPR501": ("values.yaml\0history",)}
    assert item_status(FRONTEND, RAN, {}, history_only, {}, None).status is Status.NEEDS_PROBE  # n/a statically
    all_in_one = {"TPR501": ("values.yaml\0all",)}
    assert item_status(FRONTEND, RAN, {}, all_in_one, {}, None).status is Status.PASS
