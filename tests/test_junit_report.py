"""``-f junit``: one JUnit testcase per checklist item, in the shape Jenkins and GitLab read, and XML that
parses whatever text the scanned tree holds."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, run_cli
from tprlint.checklist.catalog import load_checklists
from tprlint.checklist.status import build_report
from tprlint.model import Finding, Location, Severity, Undecided
from tprlint.report import ReportContext, load_reporter

DEMO = FIXTURES / "demo-shop"
RESULT_TAGS = ("failure", "error", "skipped")
COUNTS = ("tests", "failures", "errors", "skipped")
# What the Jenkins JUnit schema lets each element hold (testsuite: properties first, then testcases,
# then its output; testcase: its result and output).
CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "testcase": {*RESULT_TAGS, "system-out", "system-err"},
}


def assert_junit_shape(root: ET.Element) -> None:
    """The structure CI servers parse: a structural stand-in for the JUnit XSD (no schema library here)."""
    assert root.tag == "testsuites"
    assert root.get("name") == "tprlint"
    totals = dict.fromkeys(COUNTS, 0)
    for element in root.iter():
        allowed = CHILDREN.get(element.tag, set())
        assert {child.tag for child in element} <= allowed, element.tag
        if element.tag == "property":
            assert element.get("name") and element.get("value") is not None
    for suite in root.findall("testsuite"):
        assert suite.get("name")
        tags = [child.tag for child in suite]
        if "properties" in tags:
            assert tags.index("properties") == 0 and tags.count("properties") == 1
        cases = suite.findall("testcase")
        counted = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
        for case in cases:
            assert case.get("name") and case.get("classname")
            results = [child for child in case if child.tag in RESULT_TAGS]
            assert len(results) <= 1, case.get("name")
            for result in results:
                counted[{"failure": "failures", "error": "errors", "skipped": "skipped"}[result.tag]] += 1
                assert result.get("message")
        assert {key: int(suite.get(key, "-1")) for key in COUNTS} == counted, suite.get("name")
        for key in COUNTS:
            totals[key] += counted[key]
    assert {key: int(root.get(key, "-1")) for key in COUNTS} == totals


def run_junit(tmp_path: Path, tree: Path, *extra: str) -> tuple[ET.Element, dict[str, Any]]:
    """The JUnit report and the JSON report of one run over ``tree``."""
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.json"
    result = run_cli(".", "-f", f"junit:{junit}", "-f", f"json:{report}", *extra, cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    data = junit.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    data.decode("utf-8")  # strict: valid UTF-8
    document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return ET.fromstring(data), document


def cases_by_item(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", "").split(":")[0]: case for case in root.iter("testcase")}


def test_demo_shop_has_one_testcase_per_checklist_item_in_checklist_suites(tmp_path: Path) -> None:
    root, _ = run_junit(tmp_path, DEMO)
    assert_junit_shape(root)
    expected = [(f"tprlint.{c.id}", [(f"tprlint.{c.id}", f"{i.id}: {i.text.replace('`', '')}") for i in c.items])
                for c in load_checklists()]
    got = [(suite.get("name"), [(case.get("classname"), case.get("name")) for case in suite.findall("testcase")])
           for suite in root.findall("testsuite")]
    assert got == expected  # and no `tprlint.run` suite: every file of the demo was analysed
    assert int(root.get("tests", "0")) == sum(len(c.items) for c in load_checklists())


def test_each_item_status_becomes_its_junit_result(tmp_path: Path) -> None:
    root, document = run_junit(tmp_path, DEMO)
    cases = cases_by_item(root)
    items = [item for checklist in document["checklist"]["checklists"] for item in checklist["items"]]
    assert {item["status"] for item in items} >= {"fail", "pass", "unknown", "n/a", "needs probe",
                                                   "needs attestation"}
    for item in items:
        case = cases[item["id"]]
        results = [child for child in case if child.tag in RESULT_TAGS]
        if item["status"] == "fail":
            assert [r.tag for r in results] == ["failure"] and results[0].get("type") == "fail"
        elif item["status"] == "pass":
            assert results == []
        else:
            assert [r.tag for r in results] == ["skipped"], item["id"]
            assert results[0].get("message") == f"{item['status']}: {item['reason']}"
    summary = document["checklist"]["summary"]["by_status"]
    assert int(root.get("failures", "0")) == summary["fail"] > 0
    assert int(root.get("skipped", "0")) == sum(summary[s] for s in ("unknown", "n/a", "needs probe",
                                                                      "needs attestation"))


def test_a_failure_lists_the_items_findings(tmp_path: Path) -> None:
    root, document = run_junit(tmp_path, DEMO)
    failure = cases_by_item(root)["shutdown.grace-period"].find("failure")
    assert failure is not None
    expected = [(f["rule"], f"{f['path']}:{f['line']}: {f['message']}") for f in document["findings"]
                if "shutdown.grace-period" in f["items"]]
    lines = (failure.text or "").splitlines()
    assert len(lines) == len(expected) == 4
    for (rule, where), line in zip(expected, lines, strict=True):
        assert line.startswith(f"{rule} ") and line.endswith(where)
    assert failure.get("message") == "4 findings (TPR601, TPR401, TPR602)"


def test_an_attested_item_passes_and_shows_its_evidence(tmp_path: Path) -> None:
    tree = tmp_path / "demo"
    shutil.copytree(DEMO, tree)
    (tree / "docs").mkdir()
    (tree / "docs" / "deploy-window.md").write_text("Deploys happen Tuesday 10:00-12:00.\n", encoding="utf-8")
    with (tree / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('\n[tool.tprlint.attest]\n"deploy.off-peak" = "docs/deploy-window.md"\n')
    root, _ = run_junit(tmp_path, tree)
    case = cases_by_item(root)["deploy.off-peak"]
    assert [child.tag for child in case] == ["system-out"]
    assert case.findtext("system-out") == "attested by docs/deploy-window.md"


def test_parts_not_analysed_are_an_error_testcase_that_parses_whatever_the_file_names(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    broken = b"from temporalio import workflow\ndef broken(:\n"
    (tree / "bad]]><\x1b&.py").write_bytes(broken)  # markup, a CDATA end and an ESC in a file name
    (tree / os.fsdecode(b"caf\xe9.py")).write_bytes(broken)  # not UTF-8: a lone surrogate once decoded
    root, document = run_junit(tmp_path, tree)
    assert_junit_shape(root)
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == "tprlint.run"]
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == ("tprlint.run", "parts of the tree were not analysed")
    error = case.find("error")
    assert error is not None
    assert error.get("message", "").startswith("2 parts of the tree could not be analysed")
    assert document["checklist"]["summary"]["not_analysed"] == 2
    listed = (error.text or "").splitlines()
    assert [line.split(" ")[0] for line in listed] == ["TPR001", "TPR001"]
    assert "bad]]><\\x1b&.py:2: Python syntax error" in listed[0]  # the ESC shown as an escape, the rest as it is
    assert "caf\\xe9.py:2: " in listed[1]  # the byte that is not UTF-8, as an escape


# --- rendered directly: text no file name can carry ---------------------------------------------------

HOSTILE = "a ]]> b \x00 c \x1b[31m d < e \ud800 f & \"g\" \x7f\n\th \ufffe"
# Controls, surrogates and line breaks shown as escapes (tprlint.report.text); U+FFFE, which XML cannot
# carry and no escape rule covers, removed.
VISIBLE = "a ]]> b \\x00 c \\x1b[31m d < e \\ud800 f & \"g\" \\x7f\\n\\th "


def _ctx(tmp_path: Path, findings: list[Finding], undecided: tuple[Undecided, ...] = ()) -> ReportContext:
    ran = ("TPR101", "TPR103")
    report = build_report(findings, ran, {"TPR103": ("w.py",)}, undecided, {})
    return ReportContext(rules={}, version="0", files_scanned=1, color=False, base_dir=tmp_path, rules_run=ran,
                         not_checked=undecided, checklist=report)


def test_hostile_text_still_makes_well_formed_xml_with_its_visible_text(tmp_path: Path) -> None:
    findings = [Finding("TPR101", Severity.ERROR, HOSTILE, Location(f"w{HOSTILE}.py", 3))]
    undecided = (Undecided("TPR103", what="Worker", why=HOSTILE),)
    output = load_reporter("junit")(findings, _ctx(tmp_path, findings, undecided))
    root = ET.fromstring(output.encode("utf-8"))  # encodable (no surrogate left) and well-formed
    assert_junit_shape(root)
    cases = cases_by_item(root)
    failure = cases["shutdown.timeout"].find("failure")
    assert failure is not None
    assert failure.text == f"TPR101 error w{VISIBLE}.py:3: {VISIBLE}"
    skipped = cases["shutdown.signals"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == f"unknown: TPR103 could not decide Worker: {VISIBLE}"


def test_a_long_failure_lists_fifty_findings_and_counts_the_rest(tmp_path: Path) -> None:
    findings = [Finding("TPR101", Severity.ERROR, f"worker {n}", Location("w.py", n)) for n in range(1, 61)]
    root = ET.fromstring(load_reporter("junit")(findings, _ctx(tmp_path, findings)))
    failure = cases_by_item(root)["shutdown.timeout"].find("failure")
    assert failure is not None
    assert failure.get("message") == "60 findings (TPR101)"
    lines = (failure.text or "").splitlines()
    assert lines[0] == "TPR101 error w.py:1: worker 1"
    assert lines[49] == "TPR101 error w.py:50: worker 50"
    assert lines[50:] == ["and 10 more"]
