"""``console``: the human report, with code frames and a summary table (the default format).

Rendered with ``rich`` into a string. ``rich`` is imported here only, and this module is loaded
only when console output is requested, so the other formats and ``--version`` stay fast.

Every piece of user-controlled text (messages, source lines, paths) goes through ``Text``
objects, never through rich markup, so a ``[bold]`` in a YAML comment prints as itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from io import StringIO
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext

if TYPE_CHECKING:
    from collections.abc import Iterator

WIDTH = 100
SHOWN_PER_RULE = 10  # findings of one rule shown in full; the rest are counted
INDENT = 2
TAB_SIZE = 4
CONTEXT_BEFORE = 2
CONTEXT_AFTER = 1
REDACTED = "(source not shown: it contains a credential)"

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.NOTE: "bold cyan"}
_DIM = "dim"
_HELP_LABEL = "help:"
# Blanks at the end of a line, possibly followed by the codes that reset its style.
_TRAILING_BLANKS = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")


def render(findings: list[Finding], ctx: ReportContext) -> str:
    out = StringIO()
    console = Console(
        file=out,
        force_terminal=ctx.color,
        no_color=not ctx.color,
        width=WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    # Findings a baseline accepts are hidden (counted in the summary); those off the change are shown.
    baselined = sum(1 for f in findings if f.baseline_state == "unchanged" and not f.is_suppressed)
    findings = [f for f in findings if f.baseline_state != "unchanged"]
    active = [finding for finding in findings if not finding.is_suppressed]
    # Where the reader must act comes first: errors, then warnings, then notes (each in file order).
    ordered = sorted(active, key=lambda f: -f.severity)
    shown: Counter[str] = Counter()
    # The findings are laid out here, line by line, and printed at once: rich's tables and paddings
    # measured every block of every finding again (0.4 s for the 165 findings a 3,000-file tree shows:
    # half of a warm run).
    lines: list[Text] = []
    for finding in ordered:
        shown[finding.rule_id] += 1
        if shown[finding.rule_id] > SHOWN_PER_RULE:
            continue
        lines += _finding(finding, ctx, console)
        lines.append(Text())
        if shown[finding.rule_id] == SHOWN_PER_RULE:
            lines += _more_like_this(console, finding, ordered)
    if lines and not ctx.color:
        out.write("".join(f"{line.plain}\n" for line in lines))  # what rich writes without colour
    elif lines:
        console.print(Text("\n").join(lines), no_wrap=True, overflow="ignore", crop=False)
    if ctx.quiet:
        return strip_trailing_blanks(out.getvalue())
    if active:
        console.print(_rule_table(active, ctx))
        console.print()
    console.print(_summary_line(active, len(findings) - len(active), ctx))
    fixable = sum(1 for finding in active if _fixable(finding, ctx))
    if fixable:
        console.print(Text(f"[*] {fixable} fixable with --fix", style="bold"))
    for line in _pull_request_lines(active, baselined):
        console.print(Text(line, style="dim"))
    for line in not_checked_lines(ctx):
        console.print(Text(_clean(line), style="yellow"))
    return strip_trailing_blanks(out.getvalue())


def _more_like_this(console: Console, last: Finding, ordered: list[Finding]) -> list[Text]:
    """After the first findings of a rule, the rest are counted, not each framed: a samples folder with
    300 near-identical findings must still read as a report."""
    rest = [f for f in ordered if f.rule_id == last.rule_id][SHOWN_PER_RULE:]
    if not rest:
        return []
    files = len({f.location.path for f in rest})
    note = Text(f"... and {len(rest)} more {last.rule_id} findings like this in {_plural(files, 'file')} "
                f"(`--select {last.rule_id} -f concise` lists them all)", style=_DIM)
    return [*_wrapped(console, note, WIDTH), Text()]


def strip_trailing_blanks(text: str) -> str:
    # rich pads table cells to their column width; trailing blanks only make diffs noisy.
    return "".join(_TRAILING_BLANKS.sub(r"\1", line) + "\n" for line in text.splitlines())


# --- one finding ------------------------------------------------------------------------------
#
# Each block is wrapped to its width here, as rich would wrap it (``Text.wrap``), and indented by
# hand: a message under the header, a related location after its arrow with a hanging indent, the
# help after its label.


def _finding(finding: Finding, ctx: ReportContext, console: Console) -> list[Text]:
    lines = _wrapped(console, _header(finding, ctx), WIDTH)
    for line in finding.message.splitlines() or [""]:
        lines += _indented(console, Text(_clean(line)))
    lines += _frame(finding, ctx, console)
    for rel in finding.related:
        where = f"{rel.location.path}:{rel.location.line}"
        body = Text.assemble((_clean(where), "bold"), "  ", _clean(rel.message))
        lines += _hanging(console, Text("↳ "), body)
    lines += _help(finding, ctx, console)
    return lines


def _wrapped(console: Console, text: Text, width: int) -> list[Text]:
    plain = text.plain
    if "\n" not in plain and "\t" not in plain and text.cell_len <= width:
        return [text]  # one line that fits, as most are: nothing to wrap (and wrapping is slow)
    return list(text.wrap(console, width, justify=text.justify, overflow=text.overflow,
                          tab_size=console.tab_size, no_wrap=text.no_wrap))


def _indented(console: Console, text: Text) -> list[Text]:
    if not text:
        return []  # an empty line of a message takes no line (as rich's padding of nothing did)
    return [Text(" " * INDENT).append_text(line) for line in _wrapped(console, text, WIDTH - INDENT)]


def _hanging(console: Console, label: Text, body: Text) -> list[Text]:
    """``label`` then ``body``, indented, the body's wrapped lines aligned under its first."""
    under = Text(" " * label.cell_len, style=label.style)
    return [Text(" " * INDENT).append_text(label if i == 0 else under).append_text(line)
            for i, line in enumerate(_wrapped(console, body, WIDTH - INDENT - label.cell_len))]


def _header(finding: Finding, ctx: ReportContext) -> Text:
    style = _STYLE[finding.severity]
    header = Text.assemble(
        (_clean(str(finding.location)), "bold"),
        "  ",
        (finding.rule_id, style),
        " ",
        (f"[{finding.severity.label}]", style),
        (" [*]" if _fixable(finding, ctx) else "", "bold"),  # after the severity, which readers parse first
    )
    meta = ctx.rules.get(finding.rule_id)
    if meta is not None:
        header.append(f" {meta.name}", style="bold")
    return header


def _fixable(finding: Finding, ctx: ReportContext) -> bool:
    """Would `--fix` fix it: a text check on the finding's line (tprlint.fix.fixable loads no parser)."""
    from tprlint.fix.fixable import SAFE_RULES, is_fixable

    if finding.rule_id not in SAFE_RULES:
        return False
    lines = ctx.source_lines(finding.location.path)
    line = lines[finding.location.line - 1] if 1 <= finding.location.line <= len(lines) else ""
    return is_fixable(finding, line)


def _help(finding: Finding, ctx: ReportContext, console: Console) -> list[Text]:
    meta = ctx.rules.get(finding.rule_id)
    hint = Text(f"(tprlint explain {finding.rule_id})", style=_DIM)
    body = Text(_clean(meta.summary)) if meta else Text()
    if not body:
        body = hint
    elif cell_len(f"{body}  {hint}") <= WIDTH - INDENT - len(_HELP_LABEL) - 1:
        body.append_text(Text("  ").append_text(hint))
    else:
        # Never let the wrap split the command the user is meant to copy.
        body.append_text(Text("\n").append_text(hint))
    return _hanging(console, Text(f"{_HELP_LABEL} ", style="bold cyan"), body)


# --- code frame -------------------------------------------------------------------------------


def _frame(finding: Finding, ctx: ReportContext, console: Console) -> list[Text]:
    return [line for text in _frame_texts(finding, ctx) for line in _wrapped(console, text, WIDTH)]


def _frame_texts(finding: Finding, ctx: ReportContext) -> Iterator[Text]:
    if finding.redact_source:
        # Context lines may hold the rest of a multi-line secret (a PEM key), so show none.
        yield Text("  " + REDACTED, style="italic " + _DIM)
        return
    loc = finding.location
    lines = ctx.source_lines(loc.path)
    if not 1 <= loc.line <= len(lines):
        return  # file unreadable or changed since the scan: a wrong frame is worse than none
    first = max(1, loc.line - CONTEXT_BEFORE)
    last = min(len(lines), loc.line + CONTEXT_AFTER)
    gutter = len(str(last))
    for number in range(first, last + 1):
        text = _display(lines[number - 1])
        yield _frame_line(number, gutter, text, is_target=number == loc.line)
        if number == loc.line:
            yield _caret_line(gutter, lines[number - 1], loc, _STYLE[finding.severity])


def _frame_line(number: int, gutter: int, text: str, *, is_target: bool) -> Text:
    marker = "> " if is_target else "  "
    return _unwrapped(
        (f"  {marker}{number:>{gutter}} │ ", "bold" if is_target else _DIM),
        (text, "" if is_target else _DIM),
    )


def _caret_line(gutter: int, raw: str, loc: Location, style: str) -> Text:
    start, end = _span(raw, loc)
    # Widths are measured in terminal cells so wide characters (CJK, emoji) keep the caret aligned.
    pad = cell_len(_display(raw[: start - 1]))
    width = max(1, cell_len(_display(raw[: end - 1])) - pad)
    return _unwrapped((f"  {'':>{gutter + 2}} │ ", _DIM), (" " * pad + "^" * width, style))


def _unwrapped(*parts: tuple[str, str]) -> Text:
    # Source lines are cropped rather than wrapped: a wrapped line would misplace the caret.
    return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")


def _span(raw: str, loc: Location) -> tuple[int, int]:
    """1-based [start, end) columns to underline on the finding's first line."""
    start = min(max(1, loc.column), len(raw) + 1)
    if loc.end_line is not None and loc.end_line > loc.line:
        return start, max(start + 1, len(raw.rstrip()) + 1)
    if loc.end_column is not None and loc.end_column > start:
        return start, min(loc.end_column, len(raw) + 1)
    # No end known: underline the token at the column, which is what the finding points at:
    # an identifier or YAML key when it starts with one, else everything up to the next blank.
    in_token = _is_word if start <= len(raw) and _is_word(raw[start - 1]) else _is_not_blank
    end = start
    while end <= len(raw) and in_token(raw[end - 1]):
        end += 1
    return start, max(end, start + 1)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def _is_not_blank(ch: str) -> bool:
    return not ch.isspace()


def _display(text: str) -> str:
    return _clean(text.expandtabs(TAB_SIZE))


def _clean(text: str) -> str:
    # Scanned files are untrusted: an escape sequence in them must not reach the terminal.
    if text.isprintable():  # no control or format character at all: most lines, at C speed
        return text
    return "".join("\ufffd" if _is_control(ch) else ch for ch in text)


def _is_control(ch: str) -> bool:
    return ch != "\t" and unicodedata.category(ch) in {"Cc", "Cf"} and ch != "\u200d"


# --- summary ----------------------------------------------------------------------------------


def _rule_table(active: list[Finding], ctx: ReportContext) -> Table:
    counts = Counter((finding.rule_id, finding.severity) for finding in active)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Rule")
    table.add_column("Name")
    table.add_column("Severity")
    table.add_column("Count", justify="right")
    # Most severe first, then by id, so the table reads in the order things need fixing.
    for (rule_id, severity), count in sorted(counts.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        meta = ctx.rules.get(rule_id)
        table.add_row(
            Text(rule_id, style=_STYLE[severity]),
            Text(_clean(meta.name) if meta else ""),
            Text(severity.label, style=_STYLE[severity]),
            str(count),
        )
    return table


def _summary_line(active: list[Finding], suppressed: int, ctx: ReportContext) -> Text:
    # The files are those scanned, not those with findings: say so ("in 19 files" read as the latter).
    scanned = f"{_plural(ctx.files_scanned, 'file')} scanned"
    note = f", {suppressed} suppressed" if suppressed else ""
    if not active:
        return Text(f"All checks passed! ({scanned}{note})", style="bold green")
    counts = Counter(finding.severity for finding in active)
    parts = [_plural(counts[sev], sev.label) for sev in sorted(Severity, reverse=True) if counts[sev]]
    worst = max(counts)
    return Text(f"Found {', '.join(parts)} ({scanned}{note}).", style=_STYLE[worst])


def _pull_request_lines(active: list[Finding], baselined: int) -> list[str]:
    lines = []
    if baselined:
        lines.append(f"{_plural(baselined, 'baselined finding')} hidden (--baseline).")
    off_diff = sum(1 for f in active if f.in_diff is False)
    if off_diff:
        verb = "is" if off_diff == 1 else "are"
        lines.append(f"{_plural(off_diff, 'finding')} {verb} on lines this change did not touch: shown, not gating "
                     "(--diff-base).")
    return lines


def not_checked_lines(ctx: ReportContext) -> list[str]:
    """One line per rule that could not decide somewhere: "TPR601: not checked for 2 workloads: ..."."""
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for entry in ctx.not_checked:
        by_rule.setdefault(entry.rule_id, []).append((entry.what, entry.why))
    lines = []
    for rule_id, items in sorted(by_rule.items()):
        subjects = sorted({what for what, _ in items})
        noun = "workload" if rule_id == "TPR601" else "compose service" if rule_id == "TPR602" else "item"
        first_what, first_why = items[0]
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        lines.append(f"{rule_id}: not checked for {_plural(len(subjects), noun)}: {first_what}: {first_why}{more}.")
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
