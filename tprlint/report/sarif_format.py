"""``sarif``: a SARIF 2.1.0 log for GitHub code scanning and other SARIF viewers.

The log is assembled from the ``sarif_om`` object model and serialised by :func:`to_json`, a
small converter that names each attribute by its ``schema_property_name`` and drops what SARIF
already implies (``None`` and schema defaults). A few defaults are written anyway because
consumers do not all apply them: ``level`` in particular, whose schema default ("warning") would
silently downgrade every error for a consumer that reads an absent level as "none".

Choices worth knowing:

* URIs are relative to ``%SRCROOT%`` (the scan root), so the log is portable between machines;
  ``originalUriBaseIds`` records where the root was for this run.
* Suppressed findings stay in the log with a ``suppressions`` entry, so viewers can show them as
  dismissed instead of losing their history.
* The offending source line is attached as ``region.snippet`` except for credential findings
  (``redact_source``), whose text must never leave the machine.
* Related locations are linked from the message text (``[path:line](id)``), the form GitHub needs
  before it shows them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import attr
import sarif_om as sarif

from tprlint.checklist.catalog import items_of_rule
from tprlint.model import Finding, Location, RelatedLocation, RuleMeta
from tprlint.report import ReportContext, checklist_report
from tprlint.report.checklist_data import checklist_summary
from tprlint.report.fingerprint import SCHEME, fingerprints
from tprlint.report.json_text import dumps_indented

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/tprlint/tprlint"
SRCROOT = "%SRCROOT%"

# Suppressions recorded outside the scanned file (configuration, baseline) are "external"; inline
# comments and Kubernetes annotations live in the file itself and are "inSource". The engine
# states the origin as the first word of ``Finding.suppressed_by``.
_EXTERNAL_ORIGINS = ("config", "baseline", "per-file-ignores", "pyproject.toml", ".tprlint.toml")

# (class, attribute) pairs written even when equal to the schema default; see module docstring.
_ALWAYS_WRITTEN = {(sarif.Result, "level"), (sarif.ReportingConfiguration, "level")}


def render(findings: list[Finding], ctx: ReportContext) -> str:
    log = sarif.SarifLog(runs=[_run(findings, ctx)], version=SARIF_VERSION, schema_uri=SCHEMA_URI)
    return dumps_indented(to_json(log)) + "\n"


# --- run and tool -----------------------------------------------------------------------------


def _run(findings: list[Finding], ctx: ReportContext) -> Any:
    rule_ids = _rule_ids(findings, ctx)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [
        _result(finding, ctx, index[finding.rule_id], fp)
        for finding, fp in zip(findings, fingerprints(findings, ctx), strict=True)
    ]
    driver = sarif.ToolComponent(
        name="tprlint",
        version=ctx.version,
        information_uri=INFORMATION_URI,
        rules=[_descriptor(rule_id, ctx.rules.get(rule_id)) for rule_id in rule_ids],
    )
    return sarif.Run(
        tool=sarif.Tool(driver=driver),
        results=results,
        invocations=[sarif.Invocation(execution_successful=True)],
        original_uri_base_ids={SRCROOT: sarif.ArtifactLocation(uri=_base_uri(ctx.base_dir))},
        # Columns are Python string indices, i.e. code points, not the UTF-16 units SARIF assumes.
        column_kind="unicodeCodePoints",
        # The production checklists' answer: counts per status and each checklist's compliance.
        properties={"checklist": checklist_summary(checklist_report(findings, ctx))},
    )


def _rule_ids(findings: list[Finding], ctx: ReportContext) -> list[str]:
    ids = list(dict.fromkeys(ctx.rules_run))
    # Every result needs a descriptor to index, even for a rule missing from rules_run.
    ids.extend(sorted({f.rule_id for f in findings} - set(ids)))
    return ids


def _descriptor(rule_id: str, meta: RuleMeta | None) -> Any:
    if meta is None:
        return sarif.ReportingDescriptor(id=rule_id)
    return sarif.ReportingDescriptor(
        id=rule_id,
        name=meta.name,
        short_description=sarif.MultiformatMessageString(text=meta.summary),
        full_description=sarif.MultiformatMessageString(text=meta.rationale or meta.summary),
        help=sarif.MultiformatMessageString(text=_help_text(meta), markdown=_help_markdown(meta)),
        help_uri=meta.help_uri,
        default_configuration=sarif.ReportingConfiguration(level=meta.severity.label),
        properties={"tags": _tags(meta), "checklist": meta.checklist},
    )


def _tags(meta: RuleMeta) -> list[str]:
    """`temporal`, the rule's area, and the checklist items it gives evidence for (`shutdown.timeout`):
    code-scanning UIs filter by tags."""
    area = meta.checklist.split(".", 1)[0]
    return sorted({"temporal", area, *(item.id for item in items_of_rule(meta.id))} - {""})


def _help_text(meta: RuleMeta) -> str:
    parts = [meta.rationale or meta.summary]
    if meta.fix:
        parts.append(f"How to fix: {meta.fix}")
    if meta.references:
        parts.append("References:\n" + "\n".join(f"- {ref}" for ref in meta.references))
    return "\n\n".join(parts)


def _help_markdown(meta: RuleMeta) -> str:
    parts = [meta.rationale or meta.summary]
    if meta.fix:
        parts.append(f"**How to fix:** {meta.fix}")
    if meta.references:
        parts.append("**References:**\n\n" + "\n".join(f"- <{ref}>" for ref in meta.references))
    items = ", ".join(f"`{item.id}`" for item in items_of_rule(meta.id))
    if items:
        parts.append(f"Checklist items: {items}")
    return "\n\n".join(parts)


# --- results ----------------------------------------------------------------------------------


def _result(finding: Finding, ctx: ReportContext, rule_index: int, fp: str) -> Any:
    return sarif.Result(
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=finding.severity.label,
        message=sarif.Message(text=_message_text(finding)),
        locations=[sarif.Location(physical_location=_primary_location(finding, ctx))],
        related_locations=[_related(i, rel, ctx) for i, rel in _numbered(finding.related)] or None,
        partial_fingerprints={SCHEME: fp},
        suppressions=[_suppression(finding.suppressed_by)] if finding.suppressed_by is not None else None,
        # With --baseline: "unchanged" (accepted by it) or "new"; code-scanning viewers read it.
        baseline_state=finding.baseline_state,
        # With --diff-base: whether the change touched one of its lines (those off it do not gate).
        properties={"inDiff": finding.in_diff} if finding.in_diff is not None else None,
        fixes=_fixes(finding, ctx),
    )


def _fixes(finding: Finding, ctx: ReportContext) -> list[Any] | None:
    """What `tprlint --fix` would change, for the fixes computed from lines alone (see tprlint.fix.regions)."""
    from tprlint.fix.regions import line_fix

    if finding.rule_id not in ("TPR210", "TPR601", "TPR602"):
        return None  # the others need a parser (libcst), which a report does not load
    replacements = line_fix(finding, ctx.source_lines(finding.location.path))
    if not replacements:
        return None
    change = sarif.ArtifactChange(
        artifact_location=_artifact(finding.location.path, ctx),
        replacements=[sarif.Replacement(
            deleted_region=sarif.Region(start_line=r.start_line, start_column=r.start_column, end_line=r.end_line,
                                        end_column=r.end_column),
            inserted_content=sarif.ArtifactContent(text=r.text),
        ) for r in replacements],
    )
    return [sarif.Fix(description=sarif.Message(text="tprlint --fix"), artifact_changes=[change])]


def _numbered(related: tuple[RelatedLocation, ...]) -> list[tuple[int, RelatedLocation]]:
    # Ids start at 1 so that "(0)" never looks like a forgotten placeholder in the message.
    return list(enumerate(related, start=1))


def _message_text(finding: Finding) -> str:
    text = _escape_brackets(finding.message)
    if finding.related:
        links = ", ".join(
            f"[{_escape_brackets(_short(rel.location))}]({i})" for i, rel in _numbered(finding.related)
        )
        text += f" (related: {links})"
    return text


def _escape_brackets(text: str) -> str:
    # Plain-text SARIF messages treat "[...](n)" as a link, so literal brackets are escaped.
    return text.replace("[", "\\[").replace("]", "\\]")


def _short(location: Location) -> str:
    return f"{location.path}:{location.line}"


def _primary_location(finding: Finding, ctx: ReportContext) -> Any:
    region = _region(finding.location)
    if not finding.redact_source:
        line = _source_line(finding.location, ctx)
        if line.strip():
            region.snippet = sarif.ArtifactContent(text=line)
    return sarif.PhysicalLocation(artifact_location=_artifact(finding.location.path, ctx), region=region)


def _related(rel_id: int, rel: RelatedLocation, ctx: ReportContext) -> Any:
    # No snippet here: the related artifact may hold the very credential a finding is about.
    physical = sarif.PhysicalLocation(
        artifact_location=_artifact(rel.location.path, ctx), region=_region(rel.location)
    )
    return sarif.Location(id=rel_id, physical_location=physical, message=sarif.Message(text=rel.message))


def _region(location: Location) -> Any:
    start_line = max(1, location.line)
    end_line = max(start_line, location.end_line) if location.end_line is not None else None
    end_column = max(1, location.end_column) if location.end_column is not None else None
    return sarif.Region(
        start_line=start_line,
        start_column=max(1, location.column),
        end_line=end_line,
        end_column=end_column,
    )


def _suppression(suppressed_by: str) -> Any:
    words = suppressed_by.strip().lower().split(maxsplit=1)
    origin = words[0].rstrip(":") if words else ""
    kind = "external" if origin.startswith(_EXTERNAL_ORIGINS) else "inSource"
    return sarif.Suppression(kind=kind, justification=suppressed_by)


def _source_line(location: Location, ctx: ReportContext) -> str:
    lines = ctx.source_lines(location.path)
    index = location.line - 1
    return lines[index] if 0 <= index < len(lines) else ""


# --- URIs -------------------------------------------------------------------------------------


def _artifact(path: str, ctx: ReportContext) -> Any:
    if path.startswith(("temporal://", "cluster://")):  # a live finding's place is its own absolute URI
        return sarif.ArtifactLocation(uri=quote(path, safe="/:@"))
    native = Path(path)
    if native.is_absolute():
        try:
            native = native.relative_to(ctx.base_dir.resolve())
        except ValueError:
            # Outside the scan root: an absolute URI is the only honest reference.
            return sarif.ArtifactLocation(uri=native.as_uri())
    # The file name's bytes, percent-encoded: a name that is not UTF-8 (`bad\xff.py`) is `bad%FF.py`.
    return sarif.ArtifactLocation(uri=quote(os.fsencode(native.as_posix()), safe="/"), uri_base_id=SRCROOT)


def _base_uri(base_dir: Path) -> str:
    uri: str = base_dir.resolve().as_uri()
    # A base URI without the trailing slash would make relative URIs resolve against its parent.
    return uri if uri.endswith("/") else uri + "/"


# --- serialisation ----------------------------------------------------------------------------


def to_json(value: object) -> Any:
    """Convert a ``sarif_om`` object tree into JSON-ready dicts and lists."""
    if attr.has(type(value)):
        return _attrs_object(value)
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def _attrs_object(obj: object) -> dict[str, Any]:
    cls = cast("type[attr.AttrsInstance]", type(obj))
    out: dict[str, Any] = {}
    for field in attr.fields(cls):
        value = getattr(obj, field.name)
        if value is None:
            continue
        if _is_default(field, value) and (cls, field.name) not in _ALWAYS_WRITTEN:
            continue
        out[field.metadata["schema_property_name"]] = to_json(value)
    return out


def _is_default(field: attr.Attribute[Any], value: object) -> bool:
    default: object = field.default
    if default is attr.NOTHING:
        return False
    factory = getattr(default, "factory", None)  # an attr.Factory, e.g. a list default
    if callable(factory):
        default = factory()
    # Compare types too: True == 1 and 0 == False must not count as "default".
    return type(value) is type(default) and bool(value == default)
