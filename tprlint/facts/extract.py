"""Per-file extraction: bytes in, small facts out. Runs in worker processes and is cached, so it
must be a pure function of (path, kind, bytes)."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import field

from tprlint.discover.classify import FileKind
from tprlint.facts.backups import BackupJob, extract_backup_jobs
from tprlint.facts.capacity import CapacityFacts, extract_capacity_manifests, extract_capacity_values
from tprlint.facts.compose import ComposeFile, extract_compose
from tprlint.facts.compose_chains import ComposeChains, extract_chains
from tprlint.facts.database import DatabaseFacts, extract_database_manifests, extract_database_values
from tprlint.facts.dockerfile import DockerfileFacts, parse_dockerfile
from tprlint.facts.kubernetes import KubeFacts, extract_kubernetes
from tprlint.facts.pyproject import PyprojectError, PyprojectFacts, parse_pyproject
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.scripts import ScriptFacts, extract_commands, is_ci_file
from tprlint.facts.temporal_server import (
    TemporalFileFacts,
    extract_temporal_manifests,
    extract_temporal_yaml,
    looks_like_temporal_values,
)
from tprlint.facts.yaml_docs import YamlDoc, YamlError, is_probably_binary, load_yaml_documents
from tprlint.internal import describe
from tprlint.model import Location
from tprlint.records import frozen, mutable
from tprlint.suppress.comments import FileSuppressions, scan_comments


@frozen
class ParseError:
    location: Location
    message: str
    internal: bool = False  # tprlint's own failure (TPR000), not a problem of the file (TPR001)


@mutable
class FileFacts:
    path: str
    kind: FileKind
    python: PythonFacts | None = None
    kube: KubeFacts | None = None
    compose: ComposeFile | None = None
    dockerfile: DockerfileFacts | None = None
    pyproject: PyprojectFacts | None = None
    temporal: TemporalFileFacts | None = None  # Temporal server values, operator resources, ops evidence
    compose_chains: ComposeChains | None = None  # COMPOSE_FILE in .env, -f chains in scripts
    scripts: ScriptFacts | None = None  # commands of scripts, Makefiles and CI files that stop processes
    backup_jobs: tuple[BackupJob, ...] = ()  # backup CronJobs of manifests (TPR904-TPR907)
    capacity: CapacityFacts | None = None  # autoscaler maxima, database storage, namespace retention
    database: DatabaseFacts | None = None  # PostgreSQL clusters, poolers, backup schedules (TPR52x)
    error: ParseError | None = None
    suppressions: FileSuppressions = field(default_factory=FileSuppressions)


def extract_file(path: str, kind: FileKind, data: bytes) -> FileFacts:
    """The file's facts. An exception inside the extractors is contained here: the file gets a TPR000
    and no facts, every other file is still analysed."""
    try:
        return _extract(path, kind, data)
    except Exception as exc:
        facts = FileFacts(path, kind)
        facts.error = ParseError(Location(path), describe(f"extracting facts from {path}", exc), internal=True)
        return facts


def _extract(path: str, kind: FileKind, data: bytes) -> FileFacts:
    facts = FileFacts(path, kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # only for suppression comments; parsers see the bytes
    facts.suppressions = scan_comments(text)
    if kind in (FileKind.PYTHON, FileKind.PYTHON_OTHER):
        _python(facts, data)
    elif kind is FileKind.KUBERNETES:
        _kubernetes(facts, data, text)
    elif kind is FileKind.COMPOSE:
        _compose(facts, data, text)
    elif kind is FileKind.TEMPORAL_VALUES:
        _temporal_values(facts, data, text)
    elif kind is FileKind.DOCKERFILE:
        facts.dockerfile = parse_dockerfile(text, path)
    elif kind is FileKind.COMPOSE_CHAIN:
        if b"compose" in data.lower() and not is_ci_file(path):
            chains = extract_chains(text, path)
            facts.compose_chains = chains if chains.chains else None
        facts.scripts = extract_commands(text, path)
    elif kind is FileKind.PYPROJECT:
        try:
            facts.pyproject = parse_pyproject(text, path)
        except PyprojectError as exc:
            facts.error = ParseError(Location(path, exc.line), f"TOML error: {exc}")
    return facts


# The syntax tree costs about 600 bytes per token (measured: 2.8 million tokens, 1.7 GB), so a file
# just under the size limit could take gigabytes. Counting tokens costs 30 ms per MiB, and only files
# big enough to hold that many are counted.
MAX_PYTHON_TOKENS = 500_000
_TOKEN = re.compile(rb"\w+|[^\w\s]")


def _python(facts: FileFacts, data: bytes) -> None:
    if len(data) > MAX_PYTHON_TOKENS:
        tokens = sum(1 for _ in _TOKEN.finditer(data))
        if tokens > MAX_PYTHON_TOKENS:
            facts.error = ParseError(Location(facts.path), f"Python source too large to analyse: about {tokens:,} "
                                     f"tokens, more than the {MAX_PYTHON_TOKENS:,} tprlint parses in one file")
            return
    tree: ast.Module | None
    try:
        tree = _parse(data, facts.path)
    except SyntaxError as exc:
        tree = _parse_newer_grammar(facts, data, exc)
    except (ValueError, RecursionError, MemoryError) as exc:
        facts.error = ParseError(Location(facts.path), f"Python source could not be parsed: {_reason(exc)}")
        return
    if tree is None:
        return
    try:
        facts.python = extract_python(tree, facts.path)
    except RecursionError:
        facts.error = ParseError(Location(facts.path), "Python source is nested too deeply to analyse")


def _parse(data: bytes, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of the scanned code are not ours to print
        return ast.parse(data, filename=path)


def _parse_newer_grammar(facts: FileFacts, data: bytes, error: SyntaxError) -> ast.Module | None:
    """The tree of a file valid only under a newer Python than this one (rewritten in place, positions
    kept), or None with ``facts.error`` set: the running Python's syntax error when it is one."""
    # Imported here: only a file the running Python rejects needs it.
    from tprlint.facts.python.newer_grammar import rewrite_in_child, worth_trying

    reason = ""
    if worth_trying(data, error):
        rewritten = rewrite_in_child(data)
        if rewritten.source is not None:
            try:
                return _parse(rewritten.source, facts.path)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                reason = "valid for a newer Python, but tprlint could not rewrite it for this one"
        reason = reason or rewritten.error
    line = error.lineno or 1
    said = f"Python syntax error: {error.msg}" + (f" ({reason})" if reason else "")
    facts.error = ParseError(Location(facts.path, line, max(error.offset or 1, 1)), said)
    return None


def _yaml(facts: FileFacts, data: bytes, text: str) -> list[YamlDoc] | None:
    """The file's YAML documents, or None with ``facts.error`` set (binary or invalid YAML)."""
    if is_probably_binary(data):
        facts.error = ParseError(Location(facts.path), "file looks binary, not YAML")
        return None
    skipped: list[YamlError] = []
    try:
        docs = load_yaml_documents(text, facts.path, skipped=skipped)
    except YamlError as exc:
        facts.error = ParseError(Location(facts.path, exc.line, exc.column), f"YAML error: {exc}")
        return None
    if skipped:  # a document over its node budget: reported, and the file's other documents are used
        first = skipped[0]
        more = f" ({len(skipped) - 1} more such documents)" if len(skipped) > 1 else ""
        facts.error = ParseError(Location(facts.path, first.line, first.column),
                                 f"YAML error: {first}; that document was skipped{more}")
    return docs


def _kubernetes(facts: FileFacts, data: bytes, text: str) -> None:
    docs = _yaml(facts, data, text)
    if docs is None:
        return
    facts.kube = extract_kubernetes(docs, facts.path)
    facts.temporal = extract_temporal_manifests(docs, facts.path, text) or None
    if "schedule:" in text:  # only scheduled objects can be backup jobs
        facts.backup_jobs = extract_backup_jobs(docs, facts.path)
    facts.capacity = extract_capacity_manifests(docs, facts.path) or None
    facts.database = extract_database_manifests(docs, facts.path) or None


def _temporal_values(facts: FileFacts, data: bytes, text: str) -> None:
    # Classified by loose markers: only a file that surely is Temporal values reports a parse error.
    if is_probably_binary(data):
        return
    try:
        docs = load_yaml_documents(text, facts.path)
    except YamlError as exc:
        if looks_like_temporal_values(facts.path, text):
            facts.error = ParseError(Location(facts.path, exc.line, exc.column), f"YAML error: {exc}")
        return
    facts.temporal = extract_temporal_yaml(docs, facts.path, text) or None
    facts.capacity = extract_capacity_values(docs, facts.path) or None
    facts.database = extract_database_values(docs, facts.path) or None


def _compose(facts: FileFacts, data: bytes, text: str) -> None:
    docs = _yaml(facts, data, text)
    if docs is not None:
        facts.compose = extract_compose(docs, facts.path)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large"
    return str(exc) or type(exc).__name__


__all__ = ["DockerfileFacts", "FileFacts", "KubeFacts", "ParseError", "extract_file"]
