"""``github``: GitHub Actions workflow commands that annotate the pull request diff.

Each unsuppressed finding (with ``--baseline`` or ``--diff-base``: each new one) becomes one
``::error|warning|notice file=…,line=…::message`` command.
The runner parses these lines itself, so every value is escaped as the runner's toolkit does:
data (the message) escapes ``%``, CR and LF; property values additionally escape ``:`` and ``,``,
which would otherwise end the property.
"""

from __future__ import annotations

from tprlint.model import Finding, Severity
from tprlint.report import ReportContext

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render(findings: list[Finding], ctx: ReportContext) -> str:
    # With --baseline or --diff-base, only what the pull request brings: the annotations are its review.
    commands = [_command(finding, ctx) for finding in findings if not finding.is_suppressed and finding.is_new]
    return "".join(command + "\n" for command in commands)


def _command(finding: Finding, ctx: ReportContext) -> str:
    properties = ",".join(f"{key}={escape_property(value)}" for key, value in _properties(finding, ctx))
    return f"::{_COMMAND[finding.severity]} {properties}::{escape_data(_message(finding))}"


def _properties(finding: Finding, ctx: ReportContext) -> list[tuple[str, str]]:
    loc = finding.location
    if loc.path.startswith(("temporal://", "cluster://")):  # a live finding has no file to annotate
        meta = ctx.rules.get(finding.rule_id)
        return [("title", f"{finding.rule_id} {meta.name} ({loc.path})" if meta else f"{finding.rule_id} ({loc.path})")]
    props = [("file", loc.path), ("line", str(loc.line)), ("col", str(loc.column))]
    if loc.end_line is not None:
        props.append(("endLine", str(loc.end_line)))
    if loc.end_column is not None:
        props.append(("endColumn", str(loc.end_column)))
    meta = ctx.rules.get(finding.rule_id)
    props.append(("title", f"{finding.rule_id} {meta.name}" if meta else finding.rule_id))
    return props


def _message(finding: Finding) -> str:
    # Annotations can only point at one file, so the other artifacts of a cross-artifact finding
    # are named in the text, where the reviewer will see them.
    lines = [finding.message]
    lines.extend(
        f"related: {rel.location.path}:{rel.location.line}: {rel.message}" for rel in finding.related
    )
    return "\n".join(lines)


def escape_data(text: str) -> str:
    # ``%`` first, or the escapes introduced below would be escaped again.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
