"""``html``: the checklist report as one self-contained page, the artifact a release pipeline attaches.

The page loads nothing: the CSS is inline, there are no fonts, images or script files, and a Content
Security Policy forbids every fetch, so a viewer opened from an artifact store works offline and an
escaping mistake could neither load nor run anything. It reads fully without JavaScript; the one inline
script (allowed by its hash) only opens collapsed sections before printing.

Per checklist, in order: its compliance, then each item with its status (a coloured badge that also
says the status in words, so it prints in black and white), why it has that status, and the rules
behind it; under a failing item its findings with a code frame. Findings are capped per item so a
huge run stays a file one can open; the JSON and SARIF reports carry all of them.

Everything from the scanned tree is made printable (``tprlint.report.text``) and HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from tprlint.checklist.status import ChecklistReport, ChecklistResult, ItemResult, Status, item_findings
from tprlint.model import Finding, Location
from tprlint.report import ReportContext, checklist_report
from tprlint.report.text import printable

SHOWN_PER_ITEM = 20  # findings shown in full under one item (or one rule outside the checklists)
# Source lines around a finding: inside the window redact_near_credentials clears, never wider.
CONTEXT_BEFORE = 2
CONTEXT_AFTER = 1
MAX_LINE = 240  # characters of a source line shown: a minified file must not bloat the page
REDACTED = "source not shown: it contains a credential"

_ORDER = (Status.FAIL, Status.UNKNOWN, Status.NEEDS_ATTESTATION, Status.NEEDS_PROBE, Status.ATTESTED,
          Status.PASS, Status.NA)
_SYMBOLS = {
    Status.PASS: "✓", Status.FAIL: "✗", Status.UNKNOWN: "?", Status.NA: "-", Status.NEEDS_PROBE: "~",
    Status.ATTESTED: "✓", Status.NEEDS_ATTESTATION: "!",
}
_MEANING = {
    Status.FAIL: "a rule behind it found a problem",
    Status.UNKNOWN: "a rule could not decide, did not run, or no rule checks it yet",
    Status.NEEDS_ATTESTATION: "a person must point [tool.tprlint.attest] at the evidence",
    Status.NEEDS_PROBE: "only a live check of the running system can tell",
    Status.ATTESTED: "configured evidence exists",
    Status.PASS: "a rule applied to something in the scan and found nothing",
    Status.NA: "nothing in the scan that its rules apply to",
}
_EVIDENCE = {"static": "static analysis", "live": "live probe", "attest": "attestation"}
_CODE_SPAN = re.compile(r"`([^`\n]+)`")

_SCRIPT = ('addEventListener("beforeprint",function(){'
           'document.querySelectorAll("details").forEach(function(d){d.open=true})});')
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
        "base-uri 'none'; form-action 'none'")

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--accent:#0969da;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",
"DejaVu Sans","Liberation Sans",Roboto,Helvetica,Arial,sans-serif;overflow-wrap:anywhere}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:var(--mono);font-size:.92em}
p code,.text code,.msg code{background:#eff2f5;border-radius:4px;padding:0 .3em}
.wrap{max-width:1120px;margin:0 auto;padding:0 24px}
header.top{background:#24292f;color:#fff;padding:22px 0 20px;margin-bottom:24px}
header.top h1{margin:0;font-size:22px;font-weight:600;letter-spacing:.01em}
header.top .meta{margin:4px 0 14px;color:#c9d1d9}
.totals{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.totals li{background:#fff;color:var(--fg);border-radius:6px;padding:6px 12px;min-width:92px;
border-left:5px solid var(--c,#8c959f)}
.totals b{display:block;font-size:20px;line-height:1.2}
.totals .zero{color:#8c959f;--c:#d1d9e0}
.caveat{margin:16px 0 0;background:#fff8c5;color:#3b2300;border:1px solid #d4a72c;border-radius:6px;
padding:8px 12px}
h2{font-size:18px;margin:0}
section.card{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 24px;
overflow:hidden}
.card-head{padding:14px 18px;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;
align-items:center;gap:6px 18px}
.card-head .src{color:var(--muted);font-weight:400;font-size:14px}
.compliance{margin-left:auto;display:flex;align-items:center;gap:10px;color:var(--muted)}
.compliance .pct{font-size:20px;font-weight:600;color:var(--fg);min-width:3.2em;text-align:right}
.bar{width:140px;height:8px;background:#eaeef2;border-radius:4px;overflow:hidden;border:1px solid #d1d9e0}
.bar span{display:block;height:100%;background:#1a7f37}
.note{color:var(--muted);font-size:12.5px}
.card-sub{padding:6px 18px 10px;border-bottom:1px solid var(--line);color:var(--muted);font-size:12.5px}
table.overview{width:100%;border-collapse:collapse}
.overview th,.overview td{padding:8px 18px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:middle}
.overview th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:#f6f8fa}
.overview tr:last-child td{border-bottom:0}
.overview td.num{font-weight:600}
.overview th,.overview td:not(:last-child){white-space:nowrap;overflow-wrap:normal}
.counts{display:inline-flex;flex-wrap:wrap;gap:4px;vertical-align:middle}
.empty{margin:0;padding:12px 18px;color:var(--muted)}
.item{padding:12px 18px;border-bottom:1px solid var(--line);border-left:4px solid var(--c,transparent)}
.item:last-child{border-bottom:0}
.item-head{display:flex;gap:12px;align-items:baseline}
.item-head .id{font-weight:600;white-space:nowrap}
.item-head .text{flex:1}
.facts{margin:6px 0 0 calc(var(--badge) + 12px);display:grid;grid-template-columns:max-content 1fr;
gap:2px 12px;font-size:13px}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.badge{display:inline-block;border:1px solid var(--c);color:var(--c);background:var(--b);border-radius:999px;
padding:0 9px;font-size:12px;font-weight:600;white-space:nowrap;line-height:20px}
.item-head .badge{width:var(--badge);text-align:center;flex:none}
.item{--badge:146px}
.st-pass{--c:#1a7f37;--b:#dafbe1}.st-fail{--c:#cf222e;--b:#ffebe9}.st-unknown{--c:#9a6700;--b:#fff8c5}
.st-na{--c:#6e7781;--b:#f6f8fa}.st-needs-probe{--c:#0969da;--b:#ddf4ff}.st-attested{--c:#116329;--b:#d1f0dc}
.st-needs-attestation{--c:#8250df;--b:#fbefff}
details.findings{margin:10px 0 2px calc(var(--badge) + 12px)}
details>summary{cursor:pointer;color:var(--muted);font-size:13px;font-weight:600;margin-bottom:6px}
.finding{border:1px solid var(--line);border-radius:6px;margin:0 0 10px;background:#fff;overflow:hidden}
.f-head{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline;padding:6px 10px;background:#f6f8fa;
border-bottom:1px solid var(--line);font-size:13px}
.f-head .loc{font-family:var(--mono);font-size:12.5px;color:var(--fg)}
.f-head .rname{color:var(--muted)}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;border-radius:4px;
padding:0 6px;border:1px solid currentColor}
.sev-error{color:#cf222e}.sev-warning{color:#9a6700}.sev-note{color:#0969da}
.msg{margin:8px 10px;white-space:pre-line}
.related{margin:0 10px 8px;padding:0;list-style:none;font-size:13px;color:var(--muted)}
.related .loc{font-family:var(--mono);color:var(--fg)}
.frame{margin:0;border-top:1px solid var(--line);background:#f6f8fa;font-family:var(--mono);font-size:12.5px;
line-height:1.55;padding:4px 0}
.frame .l{display:flex;white-space:pre-wrap;tab-size:4;padding:0 10px 0 0}
.frame .n{flex:none;min-width:4.5em;padding:0 12px 0 10px;text-align:right;color:#8c959f;user-select:none}
.frame .hit{background:#fff1c2;font-weight:600}
.frame .hit .n{color:var(--fg);box-shadow:inset 3px 0 #d4a72c}
.frame .span{text-decoration:underline wavy #cf222e;text-underline-offset:3px}
.redacted{margin:0;border-top:1px solid var(--line);padding:6px 10px;font-style:italic;color:var(--muted);
font-size:13px;background:#f6f8fa}
.more{color:var(--muted);font-size:13px;margin:2px 0 6px}
.undecided{margin:0;padding-left:18px}
h3{font-size:14px;margin:14px 18px 8px}
h3 .sum{font-weight:400;color:var(--muted)}
.rule-group{padding:0 18px 6px}
footer{color:var(--muted);font-size:12.5px;padding:0 0 32px}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0 16px}
footer dd{margin:0}
@media (max-width:720px){.item-head{flex-wrap:wrap}.facts,details.findings{margin-left:0}
.compliance{margin-left:0}}
@media print{
@page{margin:14mm 12mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;font-size:10.5pt}
.wrap{max-width:none;padding:0}
header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 10px}
header.top .meta{color:#333}
.totals li{border:1px solid #999;border-left:5px solid var(--c,#8c959f)}
section.card{border:1px solid #999;border-radius:0;overflow:visible;break-inside:auto}
.card-head,.item-head,.f-head,.frame .l,tr{break-inside:avoid}
.card-head{break-after:avoid}
.finding{break-inside:avoid;overflow:visible}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none}
a{color:inherit}
}
"""


def render(findings: list[Finding], ctx: ReportContext) -> str:
    report = checklist_report(findings, ctx)
    body = [_header(report, ctx), '<main class="wrap">', _overview(report)]
    body += [_checklist(result, findings, ctx) for result in report.checklists]
    body += [_others(report, findings, ctx), "</main>", _footer(ctx)]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>tprlint checklist report {_esc(ctx.version)}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{_SCRIPT}</script>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])


# --- the page's parts --------------------------------------------------------------------------


def _header(report: ChecklistReport, ctx: ReportContext) -> str:
    counts = report.counts
    totals = "".join(
        f'<li class="st-{s.slug}{"" if counts.get(s) else " zero"}"><b>{counts.get(s, 0)}</b> {_esc(s.value)}</li>'
        for s in _ORDER)
    caveat = ""
    if report.not_analysed:
        parts = _plural(report.not_analysed, "part")
        caveat = (f'<p class="caveat"><strong>Incomplete evidence:</strong> {parts} of the tree could not be '
                  "analysed (TPR000/TPR001/TPR002 findings, listed under “Other findings”), so items may lack "
                  "their evidence.</p>")
    meta = (f"tprlint {_esc(ctx.version)} · {_plural(ctx.files_scanned, 'file')} scanned · "
            f"{_plural(len(report.items), 'checklist item')} in {_plural(len(report.checklists), 'checklist')}")
    return (f'<header class="top"><div class="wrap"><h1>tprlint checklist report</h1>'
            f'<p class="meta">{meta}</p><ul class="totals" aria-label="items per status">{totals}</ul>'
            f"{caveat}</div></header>")


def _overview(report: ChecklistReport) -> str:
    rows = []
    for result in report.checklists:
        checklist = result.checklist
        rows.append(
            f'<tr><td><a href="#{_esc(_anchor("checklist", checklist.id))}">{_esc(checklist.title)}</a></td>'
            f"<td>{_esc(checklist.source)}</td><td class=\"num\">{_percent(result.compliance)}</td>"
            f"<td>{_counts(result)}</td></tr>")
    return ('<section class="card"><div class="card-head"><h2>Checklists</h2>'
            '<span class="note">compliance = items that pass or are attested, over the items that apply '
            "(all but n/a)</span></div>"
            '<table class="overview"><thead><tr><th>Checklist</th><th>Section</th><th>Compliance</th>'
            f"<th>Items</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _checklist(result: ChecklistResult, findings: list[Finding], ctx: ReportContext) -> str:
    checklist = result.checklist
    counts = result.counts
    applicable = len(result.items) - counts[Status.NA]
    earned = counts[Status.PASS] + counts[Status.ATTESTED]
    if result.compliance is None:
        what = "no item applies (all are n/a)"
        bar = ""
    else:
        what = f"{earned} of {_plural(applicable, 'item')} that apply pass or are attested"
        bar = f'<span class="bar" aria-hidden="true"><span style="width:{result.compliance * 100:.1f}%"></span></span>'
    # Spaces between inline parts, although the layout spaces them: copied or read aloud, words stay apart.
    head = (f'<div class="card-head"><h2>{_esc(checklist.title)} <span class="src">section {_esc(checklist.source)}'
            f'</span></h2> <div class="compliance"><span class="pct">{_percent(result.compliance)}</span> {bar} '
            f'<span>compliance</span></div></div><div class="card-sub">{_esc(what)} · {_counts(result)}</div>')
    items = "".join(_item(item, findings, ctx) for item in result.items)
    return f'<section class="card" id="{_esc(_anchor("checklist", checklist.id))}">{head}{items}</section>'


def _item(result: ItemResult, findings: list[Finding], ctx: ReportContext) -> str:
    item, status = result.item, result.status
    head = (f'<div class="item-head">{_badge(status)} <code class="id">{_esc(item.id)}</code> '
            f'<span class="text">{_inline(item.text)}</span></div>')
    facts = []
    if status is Status.ATTESTED and result.attestation is not None:
        facts.append(("Attested by", _inline(result.attestation.reason)))
    elif status not in (Status.PASS, Status.FAIL) and result.reason:
        facts.append(("Why", _inline(result.reason)))
    if len(result.undecided) > 1:
        facts.append(("Undecided", _undecided(result)))
    rules = ", ".join(_rule(rule, ctx) for rule in item.rules) or ("none yet" if "static" in item.evidence else "none")
    facts.append(("Rules", rules))
    facts.append(("Checked by", _esc(", ".join(_EVIDENCE.get(kind, kind) for kind in item.evidence))))
    if result.suppressed:
        facts.append(("Suppressed", f"{_plural(result.suppressed, 'finding')} of its rules (accepted in the "
                                    "configuration or by a comment)"))
    details = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    shown = ""
    if status is Status.FAIL:
        shown = _finding_list(item_findings(item, findings), ctx)
    return (f'<article class="item st-{status.slug}" id="{_esc(_anchor("item", item.id))}">{head}'
            f'<dl class="facts">{details}</dl>{shown}</article>')


def _undecided(result: ItemResult) -> str:
    entries = []
    for entry in result.undecided[:SHOWN_PER_ITEM]:
        where = f" ({_where(entry.location)})" if entry.location is not None else ""
        entries.append(f"<li>{_esc(entry.rule_id)}: {_inline(entry.what)} — {_inline(entry.why)}{where}</li>")
    rest = len(result.undecided) - SHOWN_PER_ITEM
    if rest > 0:
        entries.append(f'<li class="more">… and {rest:,} more</li>')
    return f'<ul class="undecided">{"".join(entries)}</ul>'


def _others(report: ChecklistReport, findings: list[Finding], ctx: ReportContext) -> str:
    """Findings of rules no item uses: tprlint's own (files it could not analyse, unknown suppressions)."""
    behind = {rule for result in report.items for rule in result.item.rules}
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        if not finding.is_suppressed and finding.rule_id not in behind:
            by_rule.setdefault(finding.rule_id, []).append(finding)
    groups = []
    for rule_id in sorted(by_rule):
        meta = ctx.rules.get(rule_id)
        summary = f' <span class="sum">— {_inline(meta.summary)}</span>' if meta is not None else ""
        groups.append(f"<h3>{_rule(rule_id, ctx)}{summary}</h3>"
                      f'<div class="rule-group">{_finding_list(by_rule[rule_id], ctx)}</div>')
    body = "".join(groups) or '<p class="empty">None: every finding belongs to a checklist item.</p>'
    return (f'<section class="card" id="other-findings"><div class="card-head"><h2>Other findings</h2>'
            '<span class="note">rules behind no checklist item: parts of the tree tprlint could not analyse, '
            f"suppressions that name no rule</span></div>{body}</section>")


def _footer(ctx: ReportContext) -> str:
    legend = "".join(f"<dt>{_badge(status)}</dt><dd>{_esc(_MEANING[status])}</dd>" for status in _ORDER)
    return (f'<footer class="wrap"><strong>Statuses</strong><dl>{legend}</dl>'
            f"Generated by tprlint {_esc(ctx.version)}. Findings are capped at {SHOWN_PER_ITEM} per item; "
            "the json and sarif formats list them all.</footer>")


# --- findings ----------------------------------------------------------------------------------


def _finding_list(findings: list[Finding], ctx: ReportContext) -> str:
    if not findings:
        return ""
    # Errors first, each severity in report order: under the cap, what must be fixed is what is shown.
    ordered = sorted(findings, key=lambda f: -f.severity)
    shown = "".join(_finding(finding, ctx) for finding in ordered[:SHOWN_PER_ITEM])
    rest = len(ordered) - SHOWN_PER_ITEM
    more = ""
    if rest > 0:
        more = (f'<p class="more">… and {rest:,} more {"finding" if rest == 1 else "findings"} not shown '
                "(the json or sarif format lists every finding)</p>")
    summary = f"<summary>{_plural(len(findings), 'finding')}</summary>"
    return f'<details class="findings" open>{summary}{shown}{more}</details>'


def _finding(finding: Finding, ctx: ReportContext) -> str:
    meta = ctx.rules.get(finding.rule_id)
    name = f'<span class="rname">{_esc(meta.name)}</span>' if meta is not None else ""
    severity = finding.severity.label
    head = (f'<div class="f-head"><span class="sev sev-{severity}">{severity}</span> {_rule(finding.rule_id, ctx)} '
            f'{name} <span class="loc">{_where(finding.location)}</span></div>')
    message = f'<p class="msg">{_inline(finding.message)}</p>'
    related = "".join(f'<li>↳ <span class="loc">{_where(rel.location)}</span> {_inline(rel.message)}</li>'
                      for rel in finding.related)
    if related:
        related = f'<ul class="related">{related}</ul>'
    return f'<div class="finding">{head}{message}{related}{_frame(finding, ctx)}</div>'


def _frame(finding: Finding, ctx: ReportContext) -> str:
    if finding.redact_source:
        # Context lines may hold the rest of a multi-line secret (a PEM key), so none is shown.
        return f'<p class="redacted">{REDACTED}</p>'
    loc = finding.location
    lines = ctx.source_lines(loc.path)
    if not 1 <= loc.line <= len(lines):
        return ""  # unreadable, or changed since the scan: a wrong frame is worse than none
    rows = []
    for number in range(max(1, loc.line - CONTEXT_BEFORE), min(len(lines), loc.line + CONTEXT_AFTER) + 1):
        hit = number == loc.line
        code = _code(lines[number - 1], loc if hit else None)
        rows.append(f'<div class="l{" hit" if hit else ""}"><span class="n">{number}</span><code>{code}</code></div>')
    return f'<div class="frame">{"".join(rows)}</div>'


def _code(raw: str, loc: Location | None) -> str:
    """A source line, cut at MAX_LINE, the finding's columns underlined when it names where they end."""
    cut = len(raw) > MAX_LINE
    text = raw[:MAX_LINE]
    tail = "…" if cut else ""
    if loc is None or loc.end_column is None or (loc.end_line or loc.line) != loc.line:
        return _source(text) + tail
    start = min(max(loc.column, 1), len(text) + 1) - 1
    end = min(loc.end_column - 1, len(text))
    if end <= start:
        return _source(text) + tail
    return (f'{_source(text[:start])}<span class="span">{_source(text[start:end])}</span>'
            f"{_source(text[end:])}{tail}")


def _source(text: str) -> str:
    # Tabs stay tabs (CSS tab-size lays them out); every other control or bidi character is shown escaped.
    return "\t".join(_esc(printable(part)) for part in text.split("\t"))


# --- small pieces ------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _inline(text: str) -> str:
    """Text from a rule or the scanned tree: each line printable and escaped, `code` spans set as code
    (after escaping, so a backtick can only ever wrap escaped text)."""
    escaped = "\n".join(_esc(printable(line)) for line in text.splitlines())
    return _CODE_SPAN.sub(r"<code>\1</code>", escaped)


def _where(loc: Location) -> str:
    return _esc(f"{printable(loc.path)}:{loc.line}")


def _rule(rule_id: str, ctx: ReportContext) -> str:
    meta = ctx.rules.get(rule_id)
    if meta is None:
        return f'<code class="rule">{_esc(rule_id)}</code>'
    # A plain link to the rule's documentation: opened by the reader, never loaded by the page.
    return f'<a class="rule mono" href="{_esc(meta.help_uri)}" title="{_esc(meta.summary)}">{_esc(rule_id)}</a>'


def _badge(status: Status) -> str:
    return f'<span class="badge st-{status.slug}">{_SYMBOLS[status]} {_esc(status.value)}</span>'


def _counts(result: ChecklistResult) -> str:
    counts = result.counts
    badges = " ".join(f'<span class="badge st-{s.slug}">{counts[s]} {_esc(s.value)}</span>' for s in _ORDER
                     if counts.get(s))
    return f'<span class="counts">{badges}</span>'


def _percent(compliance: float | None) -> str:
    return "—" if compliance is None else f"{compliance:.0%}"


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
