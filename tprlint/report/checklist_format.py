"""``checklist``: the production checklists in the terminal, one line per item, grouped by checklist.

Under each failing item its first finding, under each undecided one the reason, so that the question a
release manager asks ("are we ready?") is answered on one screen; the other formats carry the detail.
Like the console report it is rendered with ``rich`` from ``Text`` objects only (no markup), and every
text from the input is made printable first.
"""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from tprlint.checklist.status import ENGINE_RULES, ChecklistReport, ItemResult, Status, item_findings
from tprlint.model import Finding
from tprlint.report import ReportContext, checklist_report
from tprlint.report.console_format import strip_trailing_blanks
from tprlint.report.text import printable

WIDTH = 100

SYMBOLS = {
    Status.PASS: "✓", Status.FAIL: "✗", Status.UNKNOWN: "?", Status.NA: "-", Status.NEEDS_PROBE: "~",
    Status.ATTESTED: "✓", Status.NEEDS_ATTESTATION: "!",
}
_STYLES = {
    Status.PASS: "bold green", Status.FAIL: "bold red", Status.UNKNOWN: "bold yellow", Status.NA: "dim",
    Status.NEEDS_PROBE: "cyan", Status.ATTESTED: "green", Status.NEEDS_ATTESTATION: "magenta",
}
_STATUS_WIDTH = max(len(s.value) for s in Status) + 2  # symbol, space, the longest status word
_DETAIL_INDENT = 6


def render(findings: list[Finding], ctx: ReportContext) -> str:
    report = checklist_report(findings, ctx)
    out = StringIO()
    console = Console(file=out, force_terminal=ctx.color, no_color=not ctx.color, width=WIDTH, highlight=False,
                      markup=False, emoji=False, legacy_windows=False)
    id_width = max(len(result.item.id) for result in report.items)
    # With a probe, each item says what its static and its live evidence gave, side by side.
    source_width = max((len(_sources(r)) for r in report.items), default=0)
    for checklist in report.checklists:
        console.print(_heading(checklist.checklist.title, checklist.checklist.source, checklist.counts,
                               checklist.compliance))
        for result in checklist.items:
            console.print(_item_line(result, id_width, source_width), no_wrap=True, overflow="ellipsis")
            detail = _detail(result, findings)
            if detail is not None:  # a finding's first sentence on one line; a reason in full
                console.print(Padding(detail, (0, 0, 0, _DETAIL_INDENT)), no_wrap=detail.no_wrap,
                              overflow=detail.overflow)
        console.print()
    console.print(_summary(report, ctx))
    for line in _not_analysed(findings):
        console.print(Padding(line, (0, 0, 0, 2)))
    return strip_trailing_blanks(out.getvalue())


SHOWN_NOT_ANALYSED = 5


def _not_analysed(findings: list[Finding]) -> list[Text]:
    """What could not be analysed, in full: the reader must know which evidence is missing."""
    missing = [f for f in findings if f.rule_id in ENGINE_RULES and not f.is_suppressed]
    lines = []
    for finding in missing[:SHOWN_NOT_ANALYSED]:
        text = Text(f"{finding.rule_id} ", style="bold yellow")
        text.append(f"{finding.location.path}:{finding.location.line}", style="cyan")
        text.append(f" {finding.message}")
        lines.append(text)
    if len(missing) > SHOWN_NOT_ANALYSED:
        lines.append(Text(f"... and {len(missing) - SHOWN_NOT_ANALYSED} more (the console format lists them all)",
                          style="dim"))
    return lines


def _heading(title: str, source: str, counts: dict[Status, int], compliance: float | None) -> Text:
    text = Text(f"{title} ({source})", style="bold")
    parts = [f"{counts[s]} {s.value}" for s in Status if counts.get(s)]
    figure = f"{compliance:.0%} earned" if compliance is not None else "nothing applies"
    text.append(f"  {', '.join(parts)}; {figure}", style="dim")
    return text


def _sources(result: ItemResult) -> str:
    return " · ".join(f"{source} {status.value}" for source, status in result.sources)


def _item_line(result: ItemResult, id_width: int, source_width: int = 0) -> Text:
    status = result.status
    line = Text("  ")
    line.append(f"{SYMBOLS[status]} {status.value}".ljust(_STATUS_WIDTH), style=_STYLES[status])
    line.append("  ")
    line.append(result.item.id.ljust(id_width), style="bold" if status is Status.FAIL else "")
    line.append("  ")
    if source_width:
        line.append(_sources(result).ljust(source_width), style="dim")
        line.append("  ")
    line.append(printable(result.item.text.replace("`", "")))
    return line


def _detail(result: ItemResult, findings: list[Finding]) -> Text | None:
    """The first finding of a failing item, or why an item is undecided or attested."""
    if result.status is Status.FAIL:
        shown = item_findings(result.item, findings)  # redacted and printable already
        if not shown:
            return None
        first = shown[0]
        more = f"(+{len(shown) - 1}) " if len(shown) > 1 else ""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{first.rule_id} ", style=_STYLES[Status.FAIL])
        text.append(more, style="dim")
        text.append(f"{first.location.path}:{first.location.line}", style="cyan")
        text.append(f" {first_sentence(first.message)}")
        return text
    if result.status is Status.PASS and result.suppressed:  # a pass that suppressions helped: say so
        count = result.suppressed
        return Text(f"with {count} suppressed finding{'s' if count != 1 else ''}", style="dim")
    if result.status is Status.UNKNOWN or (result.status is Status.ATTESTED and result.reason):
        return Text(printable(result.reason), style="dim")
    if result.status is Status.NEEDS_ATTESTATION and result.attestation is not None:
        return Text(printable(result.reason), style="dim")  # configured, but the evidence is not there
    return None


def first_sentence(message: str) -> str:
    """Up to the first full stop that ends a sentence (not one inside `host:port.` or a file name)."""
    for index, char in enumerate(message):
        if char == "." and (index + 1 == len(message) or message[index + 1] == " ") and index > 0:
            return message[: index + 1]
    return message


def _summary(report: ChecklistReport, ctx: ReportContext) -> Text:
    counts = report.counts
    parts = [f"{counts[s]} {s.value}" for s in Status if counts.get(s)]
    text = Text(f"{len(report.items)} checklist items: {', '.join(parts)} ({ctx.files_scanned} files scanned).",
                style="bold")
    waiting = [r for r in report.items if r.status is Status.NEEDS_ATTESTATION and r.attestation is None]
    if waiting:
        text.append(f"\n{len(waiting)} item{'s' if len(waiting) != 1 else ''} need a person's word: point "
                    "[tool.tprlint.attest] at the evidence (`\"ops.runbooks\" = \"docs/runbooks/\"`).",
                    style="magenta")
    if report.not_analysed:
        text.append(f" {report.not_analysed} part{'s' if report.not_analysed != 1 else ''} of the tree could not "
                    "be analysed (TPR000-TPR002): items may lack their evidence.", style="bold yellow")
    return text
