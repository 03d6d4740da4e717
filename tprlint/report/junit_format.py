"""``junit``: the production checklists as a JUnit XML test report, for Jenkins, GitLab and other CI.

One ``<testcase>`` per checklist item, one ``<testsuite>`` per checklist, all under one ``<testsuites
name="tprlint">``, so a CI's test view answers "which checks does this release fail" item by item and
keeps each item's history under a stable name. The classname is ``tprlint.<checklist>`` (Jenkins
reads the part before the last dot as the package) and the name is the item's id and text.

How a status becomes a JUnit result:

* **fail**: ``<failure type="fail">``, its body the item's findings (rule, place, message);
* **unknown**, **needs probe**, **needs attestation**: ``<skipped message="<status>: <reason>">``: the
  linter could not decide, so neither a pass nor a failure would be true;
* **n/a**: skipped as well, ``n/a: <reason>``. CI test views have no "does not apply"; Jenkins and
  GitLab show a skip as neither green nor red, which is what the item is. A pass would claim evidence
  the scan did not have, and leaving the item out would make the number of tests change with the tree;
* **pass**, **attested**: a plain testcase; an attested one carries the evidence in ``<system-out>``.

When parts of the tree could not be analysed (TPR000-TPR002) one more testcase, in its own suite
``tprlint.run``, is an ``<error>`` listing them: the items above may lack their evidence.

The document is built with ElementTree, which escapes markup; every text and attribute from the
scanned tree is also cleaned of the characters XML 1.0 cannot carry, or the report would not parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from tprlint.checklist.status import ENGINE_RULES, ChecklistResult, ItemResult, Status, item_findings
from tprlint.model import Finding
from tprlint.report import ReportContext, checklist_report
from tprlint.report.text import printable

MAX_LISTED = 50  # findings listed in one failure's body: a CI page stays readable, the count stays exact
RUN_CLASSNAME = "tprlint.run"
NOT_ANALYSED_NAME = "parts of the tree were not analysed"

_UNDECIDED = frozenset({Status.UNKNOWN, Status.NEEDS_PROBE, Status.NEEDS_ATTESTATION, Status.NA})

# Outside XML 1.0's Char production: C0 controls but tab, LF and CR; U+FFFE and U+FFFF. C1 controls and
# DEL are allowed but "discouraged" (XML 1.0 section 2.2), and U+009B is a terminal's CSI when the report
# is printed in a CI log, so they go too.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# A lone surrogate (a file name that is not UTF-8, kept by surrogateescape) cannot be encoded either. It
# becomes U+FFFD rather than nothing, so that `caf\udce9.py` is not shown as another file, `caf.py`.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def render(findings: list[Finding], ctx: ReportContext) -> str:
    report = checklist_report(findings, ctx)
    root = ET.Element("testsuites", name="tprlint")
    for checklist in report.checklists:
        root.append(_suite(checklist, findings))
    if report.not_analysed:
        root.append(_run_suite(findings))
    _count(root, root.findall("testsuite/testcase"))
    for element in root.iter():
        _clean(element)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(result: ChecklistResult, findings: list[Finding]) -> ET.Element:
    checklist = result.checklist
    suite = ET.Element("testsuite", name=f"tprlint.{checklist.id}")
    properties = ET.SubElement(suite, "properties")
    shown = {"title": checklist.title, "source": checklist.source}
    if result.compliance is not None:  # earned items over those that apply, as in the other reports
        shown["compliance"] = f"{result.compliance:.4f}"
    for name, value in shown.items():
        ET.SubElement(properties, "property", name=name, value=value)
    for item in result.items:
        suite.append(_case(item, checklist.id, findings))
    _count(suite, suite.findall("testcase"))
    return suite


def _case(result: ItemResult, checklist_id: str, findings: list[Finding]) -> ET.Element:
    item = result.item
    # Backticks mark code in the checklists' Markdown; a test name is plain text.
    case = ET.Element("testcase", classname=f"tprlint.{checklist_id}",
                      name=f"{item.id}: {item.text.replace('`', '')}")
    if result.status is Status.FAIL:
        # The reporter's findings, not result.findings: these are the redacted ones.
        shown = item_findings(item, findings)
        rules = ", ".join(dict.fromkeys(f.rule_id for f in shown))
        failure = ET.SubElement(case, "failure", type="fail",
                                message=f"{_plural(len(shown), 'finding')} ({rules})")
        failure.text = _listing(shown, result.suppressed)
    elif result.status in _UNDECIDED:
        reason = f": {printable(result.reason)}" if result.reason else ""
        ET.SubElement(case, "skipped", message=f"{result.status.value}{reason}")
    elif result.status is Status.ATTESTED and result.reason:
        ET.SubElement(case, "system-out").text = printable(result.reason)
    elif result.status is Status.PASS and result.suppressed:  # a pass that suppressions helped: say so
        count = result.suppressed
        ET.SubElement(case, "system-out").text = f"with {count} suppressed finding{'s' if count != 1 else ''}"
    return case


def _run_suite(findings: list[Finding]) -> ET.Element:
    """The testcase that says the checklist lacks evidence: what could not be read or rendered."""
    engine = [f for f in findings if f.rule_id in ENGINE_RULES and not f.is_suppressed]
    suite = ET.Element("testsuite", name=RUN_CLASSNAME)
    case = ET.SubElement(suite, "testcase", classname=RUN_CLASSNAME, name=NOT_ANALYSED_NAME)
    error = ET.SubElement(case, "error", type="not-analysed",
                          message=f"{_plural(len(engine), 'part')} of the tree could not be analysed "
                                  "(TPR000-TPR002): checklist items may lack their evidence")
    error.text = _listing(engine, 0)
    _count(suite, [case])
    return suite


def _listing(findings: list[Finding], suppressed: int) -> str:
    lines = [f"{f.rule_id} {f.severity.label} {f.location.path}:{f.location.line}: {f.message}"
             for f in findings[:MAX_LISTED]]
    if len(findings) > MAX_LISTED:
        lines.append(f"and {len(findings) - MAX_LISTED} more")
    if suppressed:
        lines.append(f"({_plural(suppressed, 'suppressed finding')} not listed)")
    return "\n".join(lines)


def _count(element: ET.Element, cases: Iterable[ET.Element]) -> None:
    """tests/failures/errors/skipped of a suite (or of all suites) from its testcases, so they add up."""
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in cases:
        tally["tests"] += 1
        for tag, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            if case.find(tag) is not None:
                tally[key] += 1
    for key, value in tally.items():
        element.set(key, str(value))


def _clean(element: ET.Element) -> None:
    if element.text:
        element.text = xml_safe(element.text)
    for key, value in element.attrib.items():
        element.set(key, xml_safe(value))


def xml_safe(text: str) -> str:
    """``text`` with what XML 1.0 cannot carry removed (surrogates shown as U+FFFD); markup is left to
    ElementTree's escaping."""
    return _SURROGATE.sub("\ufffd", _NOT_XML.sub("", text))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
