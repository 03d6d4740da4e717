"""``markdown``: the production checklists as GitHub-flavoured Markdown, for ``$GITHUB_STEP_SUMMARY`` and
pull-request comments.

A title, a summary line, then one collapsed ``<details>`` per checklist (open when an item fails): each
item with its status, under a failing item its first findings, under an undecided one the reason. With
``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_SHA`` set (as in GitHub Actions), each finding
links to its line in the commit.

Escaping. Text from the scanned tree is written only inside raw HTML blocks: each section starts with a
``<details>`` line and has no blank line before its end, and CommonMark parses no Markdown inside such a
block. So HTML's escaping (``&``, ``<``, ``>``) is exact and complete there: a message cannot open a tag,
a link, a table or emphasis, and it reads as written (a masked ``****`` stays ``****``). Line breaks and
other controls are escaped first (``tprlint.report.text``), so no input can end a line, or the block.
GitHub then turns ``@name``, ``#123``, ``GH-123`` and bare URLs in the rendered text into mentions,
references and links; a zero-width space after ``@`` and ``#``, inside ``://`` and after ``www`` stops it.

Size. GitHub rejects a step summary over 1 MiB. Every text from the input is clipped, so the item
statuses (about 60 lines) always fit; the findings under them fill what is left of a 900 KiB budget
(UTF-8 bytes), in report order, and a closing note says how many did not fit.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from tprlint.checklist.status import ENGINE_RULES, ChecklistReport, ChecklistResult, ItemResult, Status, item_findings
from tprlint.model import Finding
from tprlint.records import frozen, mutable
from tprlint.report import ReportContext, checklist_report
from tprlint.report.text import printable

BUDGET = 900 * 1024  # bytes of UTF-8: GitHub refuses a step summary over 1 MiB
PER_ITEM = 5  # findings shown under one failing item
NOT_ANALYSED_SHOWN = 10  # parts of the tree that could not be analysed, listed by name
# Characters kept of one text from the input: a real message is well under 1000, and the clipping
# bounds what the statuses alone can take (a reason may quote an object's name).
MAX_MESSAGE = 2000
MAX_REASON = 1000
MAX_PATH = 400
_NOTE_RESERVE = 400  # bytes kept for the closing note

SYMBOLS = {
    Status.PASS: "✅", Status.FAIL: "❌", Status.UNKNOWN: "❔", Status.NA: "\u2796", Status.NEEDS_PROBE: "🔭",
    Status.ATTESTED: "📝", Status.NEEDS_ATTESTATION: "✍️",
}

# Where GitHub would make a mention, a reference or a link of plain text: a zero-width space goes here.
_UNLINK = re.compile(r"(?<=[@#])|(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?i:(?<=\bgh)(?=-[0-9]))")
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*/?")
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def render(findings: list[Finding], ctx: ReportContext) -> str:
    report = checklist_report(findings, ctx)
    links = Links.from_environment(os.environ, ctx.base_dir)
    document = _document(report, findings, ctx, links)
    return _fit(document)


# --- escaping ---------------------------------------------------------------------------------------


def text(value: str, limit: int = MAX_MESSAGE) -> str:
    """Text from the input, for inside an HTML block: printable, clipped, inert, HTML-escaped."""
    shown = printable(value)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return html.escape(_UNLINK.sub("\u200b", shown), quote=False)


def code(value: str, limit: int = MAX_PATH) -> str:
    # GitHub makes no mention, reference or link inside <code>; only HTML's characters need escaping.
    shown = printable(value)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return f"<code>{html.escape(shown, quote=False)}</code>"


def _item_text(value: str) -> str:
    """A checklist item's text, its `backticked` parts as code."""
    parts = value.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code
        return text(value)
    return "".join(code(part) if index % 2 else text(part) for index, part in enumerate(parts) if part)


# --- links ------------------------------------------------------------------------------------------


@frozen
class Links:
    """Links to a file's line in the commit under test: ``{server}/{owner/name}/blob/{sha}/{path}#L{line}``."""

    blob: str  # {server}/{owner/name}/blob/{sha}
    git_root: str  # the checkout the paths are in (the findings' paths are relative to base_dir)
    base_dir: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], base_dir: Path) -> Links | None:
        """The links of a GitHub Actions run; None unless all three variables are set and well-formed."""
        server = environ.get("GITHUB_SERVER_URL", "")
        repository = environ.get("GITHUB_REPOSITORY", "")
        sha = environ.get("GITHUB_SHA", "")
        if not (_SERVER.fullmatch(server) and _REPOSITORY.fullmatch(repository) and _SHA.fullmatch(sha)):
            return None
        if repository.split("/")[1].strip(".") == "":  # `owner/..` would climb out of the repository
            return None
        base = os.path.realpath(base_dir)
        root = _git_root(base)
        return cls(f"{server.rstrip('/')}/{repository}/blob/{sha.lower()}", root or base, base)

    def url(self, path: str, line: int) -> str | None:
        """The link to a finding's line, or None when its file is outside the checkout."""
        try:
            relative = os.path.relpath(os.path.normpath(os.path.join(self.base_dir, path)), self.git_root)
        except ValueError:  # on Windows, another drive
            return None
        relative = relative.replace(os.sep, "/")
        if relative == "." or relative.startswith("../") or relative == ".." or posixpath.isabs(relative):
            return None
        try:  # a name that is not UTF-8 is linked by its bytes
            raw = relative.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return None
        return f"{self.blob}/{urllib.parse.quote(raw, safe='/')}#L{max(line, 1)}"


def _git_root(start: str) -> str | None:
    """The enclosing git checkout: when tprlint runs in a subfolder, its paths are relative to that."""
    for folder in (start, *map(str, Path(start).parents)):
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
    return None


def _location(finding: Finding, links: Links | None) -> str:
    loc = finding.location
    shown = code(f"{loc.path}:{loc.line}")
    url = links.url(loc.path, loc.line) if links is not None else None
    return f'<a href="{html.escape(url, quote=True)}">{shown}</a>' if url else shown


# --- the document -----------------------------------------------------------------------------------


@mutable
class Group:
    """Finding lines under one entry: the first ones while the budget lasts, then "and N more"."""

    lines: list[str]  # at most PER_ITEM candidate <li> lines
    total: int  # findings behind the entry


Part = str | Group


def _document(report: ChecklistReport, findings: list[Finding], ctx: ReportContext,
              links: Links | None) -> list[Part]:
    parts: list[Part] = [_header(report, ctx)]
    unanalysed = [f for f in findings if f.rule_id in ENGINE_RULES and not f.is_suppressed]
    if unanalysed:
        parts += ["<details>\n<summary><strong>Not analysed</strong> · "
                  f"{_plural(len(unanalysed), 'part')} of the tree</summary>",
                  Group([_finding_line(f, links) for f in unanalysed[:NOT_ANALYSED_SHOWN]], len(unanalysed)),
                  "\n</details>\n\n"]
    for checklist in report.checklists:
        parts += _checklist(checklist, findings, links)
    parts.append(f"<sub>tprlint {html.escape(ctx.version)}</sub>\n")
    return parts


def _header(report: ChecklistReport, ctx: ReportContext) -> str:
    counts = report.counts
    summary = " · ".join(f"{counts[s]} {s.value}" for s in Status if counts.get(s))
    lines = ["## tprlint: production checklists", "",
             f"**{summary or 'no items'}** in {_plural(len(report.items), 'item')} · "
             f"{_plural(ctx.files_scanned, 'file')} scanned", ""]
    waiting = sum(1 for r in report.items if r.status is Status.NEEDS_ATTESTATION and r.attestation is None)
    if waiting:
        lines += [f"{SYMBOLS[Status.NEEDS_ATTESTATION]} {_plural(waiting, 'item')} need a person's word: point "
                  "`[tool.tprlint.attest]` at the evidence.", ""]
    if report.not_analysed:
        lines += [f"> **Caveat:** {_plural(report.not_analysed, 'part')} of the tree could not be analysed "
                  "(TPR000-TPR002): items may lack their evidence.", ""]
    return "\n".join(lines) + "\n"


def _checklist(result: ChecklistResult, findings: list[Finding], links: Links | None) -> list[Part]:
    counts = result.counts
    compliance = f"{result.compliance:.0%}" if result.compliance is not None else "—"
    opened = " open" if counts[Status.FAIL] else ""  # failures first: the reader sees them unfolded
    sheet = result.checklist
    parts: list[Part] = [
        f"<details{opened}>\n<summary><strong>{text(sheet.title)}</strong> ({text(sheet.source)}) · "
        f"compliance {compliance} · {counts[Status.FAIL]} fail · {counts[Status.UNKNOWN]} unknown</summary>\n"
        "<ul>\n"]
    for item in result.items:
        parts += _item(item, findings, links)
    parts.append("</ul>\n</details>\n\n")  # the blank line ends the HTML block
    return parts


def _item(result: ItemResult, findings: list[Finding], links: Links | None) -> list[Part]:
    status = result.status
    line = (f"<li>{SYMBOLS[status]} <strong>{status.value}</strong> · {code(result.item.id)} · "
            f"{_item_text(result.item.text)}")
    if status is Status.FAIL:
        shown = item_findings(result.item, findings)  # the redacted findings, not the report's own
        if shown:
            return [line, Group([_finding_line(f, links) for f in shown[:PER_ITEM]], len(shown)), "</li>\n"]
    reason = _reason(result)
    if reason:
        return [f"{line}\n<ul><li><em>{text(reason, MAX_REASON)}</em></li></ul></li>\n"]
    return [line + "</li>\n"]


def _reason(result: ItemResult) -> str:
    """Why an item is undecided, attested, or not attested though configured (as the checklist format)."""
    if result.status in (Status.UNKNOWN, Status.ATTESTED):
        return result.reason
    if result.status is Status.PASS and result.suppressed:  # a pass that suppressions helped: say so
        return f"with {result.suppressed} suppressed finding{'s' if result.suppressed != 1 else ''}"
    if result.status is Status.NEEDS_ATTESTATION and result.attestation is not None:
        return result.reason
    return ""


def _finding_line(finding: Finding, links: Links | None) -> str:
    return f"<li>{code(finding.rule_id, 40)} {_location(finding, links)}: {text(finding.message)}</li>\n"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# --- the budget -------------------------------------------------------------------------------------


def _fit(document: list[Part]) -> str:
    """The document with as many finding lines as fit the budget, in order, and a note on the rest."""
    fixed = len(_assemble(document, 0).encode("utf-8"))
    room = BUDGET - _NOTE_RESERVE - fixed
    kept = left_bytes = 0
    candidates = [line for part in document if isinstance(part, Group) for line in part.lines]
    for line in candidates:
        size = len(line.encode("utf-8"))
        if size > room:  # stop at the first that does not fit: what is shown stays in report order
            left_bytes = sum(len(rest.encode("utf-8")) for rest in candidates[kept:])
            break
        room -= size
        kept += 1
    result = _assemble(document, kept)
    left = len(candidates) - kept
    if left:
        result += (f"\n> **Note:** {_plural(left, 'finding')} ({left_bytes / 1024:,.0f} KiB) left out to keep this "
                   "summary under GitHub's 1 MiB limit; `-f json` or `-f sarif` lists every finding.\n")
    return result


def _assemble(document: list[Part], allowed: int) -> str:
    """The document with the first `allowed` finding lines; each group then says how many it leaves out."""
    out: list[str] = []
    for part in document:
        if isinstance(part, str):
            out.append(part)
            continue
        shown = part.lines[:allowed]
        allowed -= len(shown)
        more = part.total - len(shown)
        out.append("\n<ul>\n" + "".join(shown) + (f"<li>and {more:,} more</li>\n" if more else "") + "</ul>")
    return "".join(out)
