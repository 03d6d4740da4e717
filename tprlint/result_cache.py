"""The last run's result, replayed when nothing it depends on has changed.

tprlint's rules read across files (a Deployment's grace period against the worker code it runs), so
an unchanged tree is the one case where the whole result can be reused. The key covers every input of
a run without opening a file: each candidate file's path, size and modification time (as ruff's cache
does), the files of every Helm chart, values files given on the command line or in config, the
configuration, the selected rules, the working directory, and tprlint's own code and rule files. Any
change in them is a miss, and the pipeline runs with its per-file facts cache (``tprlint.cache``).

The file is a JSON header line holding the key, then the result as JSON. The key is compared before
the result is even parsed, and the result is decoded by ``tprlint.cache_codec`` into a ``RunResult``,
every value checked against its declared type: any other content is a miss, never code to run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import field
from pathlib import Path

from tprlint import __version__
from tprlint.cache import stat_lines
from tprlint.cache_codec import CodecError, decode_as, encode_as, schema_of
from tprlint.cache_store import read_bounded, write_atomic
from tprlint.catalog import catalog_dir
from tprlint.config import Config
from tprlint.discover.walk import Candidate
from tprlint.model import Finding, Undecided
from tprlint.records import mutable

RESULT_FILE = "last-run.json"
RESULT_FORMAT = "tprlint-last-run/1"
MAX_RESULT_BYTES = 64 * 1024 * 1024  # larger is not a result tprlint wrote: a miss


@mutable
class RunResult:
    findings: list[Finding]
    files_scanned: int
    rules_run: tuple[str, ...]
    parsed: int = 0
    cache_hits: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    # What the rules could not decide; see Project.undecided.
    not_checked: tuple[Undecided, ...] = ()
    # The files of the things each rule that ran applied to, one entry per thing (see
    # tprlint.checklist.subjects): none is no evidence.
    applied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per rule, the unsuppressed findings left out because they are outside the paths asked for.
    outside: dict[str, int] = field(default_factory=dict)
    incomplete: bool = False  # the run's time limit expired: something was not analysed (exit 2)
    replayed: bool = False  # the findings are the last run's: nothing they depend on changed
    # Seconds per pipeline stage (walk, scan, follow, helm, link, rules, report): see --profile.
    stages: dict[str, float] = field(default_factory=dict)
    # Files parsed in this run, by why: "temporal" (Python that mentions Temporal or signals), "needed"
    # (a module an analysis asked a name of), "importers" (imports a Worker module: an entry chain),
    # "other" (manifests, compose files, Dockerfiles, ...).
    parsed_why: dict[str, int] = field(default_factory=dict)


def run_key(paths: list[Path], candidates: list[Candidate], config: Config, rules: tuple[str, ...]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    header = [__version__, sys.version, os.getcwd(), repr(config), ",".join(rules),
              os.environ.get("TPRLINT_FOLLOW_ALL", ""),  # a full scan is its own result
              "\0".join(str(p.resolve()) for p in paths)]
    # Paths may hold bytes that are not UTF-8 (os.fsdecode keeps them as surrogates).
    digest.update("\n".join(header).encode("utf-8", "surrogateescape"))
    digest.update(_tool_fingerprint().encode("utf-8", "surrogateescape"))
    lines = [f"{c.display}\0{c.size}\0{c.mtime_ns}" for c in candidates]
    charts = [c.abspath for c in candidates if c.display.rsplit("/", 1)[-1] == "Chart.yaml"]
    if charts:
        lines += _helm_inputs(charts, config)
    digest.update("\n".join(lines).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _tool_fingerprint() -> str:
    """tprlint's own code and rule files by stat: a development checkout changes them under one version."""
    files: list[str] = []
    for folder in (Path(__file__).parent, catalog_dir()):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            files += [os.path.join(dirpath, name) for name in sorted(filenames) if name.endswith((".py", ".toml"))]
    return "\n".join(stat_lines(files))


def _helm_inputs(charts: list[str], config: Config) -> list[str]:
    """Helm reads files discovery does not list (templates, helpers, vendored sub-charts), values files
    from anywhere, and the renderer itself."""
    from tprlint.helm.render import chart_files  # only when the tree has charts
    from tprlint.helm.renderer import find_renderer

    renderer, _ = find_renderer()
    entries = [f"renderer\0{renderer.identity if renderer else None}"]
    files = [file for _, extra in config.helm.values for file in extra]
    for chart_file in charts:
        files += [str(path) for path in chart_files(Path(chart_file).parent)]
    return entries + stat_lines(files)


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.file = directory / RESULT_FILE

    def _header(self, key: str) -> bytes:
        header = {"format": RESULT_FORMAT, "version": __version__, "schema": schema_of(RunResult).digest, "key": key}
        return json.dumps(header, separators=(",", ":")).encode("ascii")

    def replay(self, key: str) -> RunResult | None:
        data = read_bounded(self.file, MAX_RESULT_BYTES)
        if data is None:
            return None
        header, newline, body = data.partition(b"\n")
        # The header is compared as bytes: the result is not parsed unless the key is this run's.
        if not newline or header != self._header(key):
            return None
        try:
            result = decode_as(RunResult, json.loads(body))
        except (ValueError, RecursionError):  # CodecError is a ValueError, as is invalid JSON
            return None
        result.replayed = True
        result.parsed = 0
        result.timings = {}
        return result

    def store(self, key: str, result: RunResult) -> None:
        try:
            body = json.dumps(encode_as(RunResult, result), separators=(",", ":")).encode("utf-8", "surrogateescape")
        except (CodecError, ValueError, RecursionError):
            return  # a result that would not load again is not stored
        write_atomic(self.directory, RESULT_FILE, self._header(key) + b"\n" + body)
