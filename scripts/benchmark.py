"""Benchmark tprlint against the cost of just reading and parsing the tree.

By default it generates a synthetic monorepo (``scripts/synthetic_repo.py``) in a temporary folder and
measures, each as the median of ``--repeat`` runs:

  (a) baseline: walk the tree and read every file's bytes;
  (b) baseline: ``ast.parse`` the Temporal Python files (those containing ``temporalio``) and
      ``yaml.compose_all`` every ``.yaml``/``.yml`` file (CSafeLoader when PyYAML has it);
  (c) tprlint cold: ``python -m tprlint ROOT --no-cache -f json:FILE --exit-zero`` in a fresh process;
  (d) tprlint warm: the same run with the facts cache (a fresh cache, populated by one untimed run);
  (e) ``python -m tprlint --version``.

Run it with the Python that has tprlint installed:

    .venv/bin/python scripts/benchmark.py                       # 3000 .py files, 300 manifests
    .venv/bin/python scripts/benchmark.py --files 500 --manifests 50
    .venv/bin/python scripts/benchmark.py --repo ~/src/some-checkout

This is a measurement tool, not a test: it asserts nothing about the timings.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.dont_write_bytecode = True  # no scripts/__pycache__ from importing the sibling script
sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_repo  # noqa: E402  (a sibling script, not a package)

# The folders tprlint never descends into; the read baseline skips them too.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tprlint_cache", ".eggs",
})
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Runs tprlint's engine the way the CLI does and prints what RunResult knows beyond the report
# (how many files were parsed and how many facts came from the cache).
_PROBE = """
import json, sys
from pathlib import Path
from tprlint.catalog import load_catalog
from tprlint.config import find_config, load_config
from tprlint.engine import run
config = load_config(find_config(Path(".")), set(load_catalog()))
jobs = int(sys.argv[1]) if sys.argv[1] != "-" else None
result = run([Path(".")], config, use_cache=True, jobs=jobs)
print(json.dumps({"files": result.files_scanned, "parsed": result.parsed, "cache_hits": result.cache_hits,
                  "replayed": result.replayed}))
"""


@dataclass
class Measurement:
    label: str
    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def _log(message: str) -> None:
    print(f"[benchmark] {message}", file=sys.stderr, flush=True)


def _measure(label: str, repeat: int, action: Callable[[], object],
             before: Callable[[int], object] | None = None) -> Measurement:
    """Median-able timings of ``action``; ``before`` runs untimed ahead of each run."""
    measurement = Measurement(label)
    for i in range(repeat):
        if before is not None:
            before(i)
        start = time.perf_counter()
        action()
        measurement.runs.append(time.perf_counter() - start)
        _log(f"{label}: run {i + 1}/{repeat} {measurement.runs[-1]:.3f} s")
    return measurement


# -- baselines -----------------------------------------------------------------------------------

def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            yield Path(dirpath, name)


def read_tree(root: Path) -> dict[Path, bytes]:
    """Baseline (a): every file's bytes."""
    files: dict[Path, bytes] = {}
    for path in _walk(root):
        try:
            files[path] = path.read_bytes()
        except OSError:
            continue
    return files


def parse_tree(files: dict[Path, bytes]) -> tuple[int, int, int]:
    """Baseline (b): parse what a Temporal linter must parse at least; returns (python, yaml, errors)."""
    python = documents = errors = 0
    for path, data in files.items():
        suffix = path.suffix.lower()
        try:
            if suffix == ".py" and b"temporalio" in data:
                ast.parse(data, filename=str(path))
                python += 1
            elif suffix in (".yaml", ".yml"):
                documents += sum(1 for _ in yaml.compose_all(data, Loader=YAML_LOADER))
        except (SyntaxError, ValueError, yaml.YAMLError):
            errors += 1
    return python, documents, errors


# -- tprlint runs --------------------------------------------------------------------------------

def _tprlint(root: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    # tprlint runs as installed: with its bytecode cached (PYTHONDONTWRITEBYTECODE would make every run
    # compile the package from source, which no user's run does after the first).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([sys.executable, "-m", "tprlint", *args], cwd=root, capture_output=True, text=True,
                          check=False, env=env)


def _checked(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        print(f"benchmark: {what} failed with exit code {result.returncode}:\n{result.stderr[-4000:]}",
              file=sys.stderr)
        raise SystemExit(1)


def _lint_args(report: Path, jobs: int | None, cache: bool) -> list[str]:
    args = [".", "-f", f"json:{report}", "--exit-zero"]
    if not cache:
        args.append("--no-cache")
    if jobs is not None:
        args += ["--jobs", str(jobs)]
    return args


def _probe(root: Path, jobs: int | None) -> dict[str, int] | None:
    result = subprocess.run([sys.executable, "-c", _PROBE, str(jobs) if jobs else "-"], cwd=root,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        _log(f"engine probe failed (parsed/cache-hit counts unavailable): {result.stderr.strip()[-300:]}")
        return None
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def cache_dir_for(root: Path) -> Path:
    """Where tprlint keeps its cache during the benchmark: the scratch folder in $TPRLINT_CACHE_DIR
    (set by main), never the user's own cache folder."""
    return Path(os.environ["TPRLINT_CACHE_DIR"])


class _FreshCache:
    """A fresh, empty cache directory for the duration of the block; an existing one is put back."""

    def __init__(self, directory: Path, scratch: Path) -> None:
        self.directory = directory
        self.saved = scratch / "saved-tprlint-cache"

    def __enter__(self) -> _FreshCache:
        if self.directory.exists():
            shutil.move(str(self.directory), self.saved)
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.saved.exists():
            shutil.move(str(self.saved), self.directory)


# -- report --------------------------------------------------------------------------------------

def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    out = []
    for i, row in enumerate(rows):
        out.append(f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]}".rstrip())
        if i == 0:
            out.append(f"  {'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark tprlint on a generated synthetic monorepo (default) or a real checkout "
                    "(--repo), against the baseline of reading the tree and parsing its Temporal Python and YAML.",
        epilog="Run it with the interpreter that has tprlint installed (e.g. .venv/bin/python); every tprlint "
               "run is a fresh `python -m tprlint` process of that interpreter. Timings are medians of --repeat "
               "runs; nothing is asserted.",
    )
    parser.add_argument("--files", type=int, default=3000, metavar="N",
                        help="Python files in the synthetic repo (default: 3000)")
    parser.add_argument("--manifests", type=int, default=300, metavar="N",
                        help="Kubernetes YAML files in the synthetic repo (default: 300)")
    parser.add_argument("--temporal-share", type=float, default=0.04, metavar="F",
                        help="share of the Python files that are Temporal code (default: 0.04)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic repo (default: 7)")
    parser.add_argument("--repo", type=Path, metavar="PATH",
                        help="benchmark this existing checkout instead of a synthetic repo (it is not modified; "
                             "tprlint's cache goes to a scratch folder, never the user's own)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="generate the synthetic repo in DIR (must be empty or missing) and keep it")
    parser.add_argument("--jobs", type=int, metavar="N", help="pass --jobs N to tprlint (default: its own default)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="runs per measurement (default: 3)")
    args = parser.parse_args(argv)
    # On SIGTERM unwind normally: subprocess.run kills the running tprlint and temporary files are removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.repo and args.keep:
        parser.error("--repo and --keep exclude each other")
    if args.repo and not args.repo.is_dir():
        parser.error(f"--repo {args.repo} is not a directory")

    with tempfile.TemporaryDirectory(prefix="tprlint-bench-") as scratch_name:
        scratch = Path(scratch_name)
        os.environ["TPRLINT_CACHE_DIR"] = str(scratch / "tprlint-cache")  # every tprlint run inherits it
        generated: dict[str, int] | None = None
        if args.repo:
            root = args.repo.resolve()
            tree = f"{root.name} (checkout)"
        else:
            root = (args.keep or scratch / "repo").resolve()
            _log(f"generating synthetic repo in {root}")
            start = time.perf_counter()
            try:
                generated = synthetic_repo.generate(root, args.files, args.temporal_share, args.manifests,
                                                    args.seed)
            except (FileExistsError, ValueError) as exc:
                parser.error(str(exc))
            _log(f"generated {generated['files']} files in {time.perf_counter() - start:.1f} s")
            tree = f"synthetic {generated['python_total']} py / {generated.get('kubernetes', 0)} k8s"
        return _benchmark(root, tree, generated, scratch, args.jobs, args.repeat)


def _benchmark(root: Path, tree: str, generated: dict[str, int] | None, scratch: Path, jobs: int | None,
               repeat: int) -> int:
    report = scratch / "report.json"
    version = _tprlint(root, ["--version"])
    _checked(version, "tprlint --version")

    files: dict[Path, bytes] = {}

    def read() -> None:
        nonlocal files
        files = read_tree(root)

    read_m = _measure("baseline read", repeat, read)
    parsed_counts: tuple[int, int, int] = (0, 0, 0)

    def parse() -> None:
        nonlocal parsed_counts
        parsed_counts = parse_tree(files)

    parse_m = _measure("baseline parse", repeat, parse)
    total_bytes = sum(len(b) for b in files.values())

    # One untimed run first: Python writes tprlint's bytecode cache, as it does on a user's first run.
    _checked(_tprlint(root, _lint_args(report, jobs, cache=False)), "tprlint (warm-up run)")
    cold_results: list[subprocess.CompletedProcess[str]] = []
    cold_m = _measure("tprlint cold", repeat,
                      lambda: cold_results.append(_tprlint(root, _lint_args(report, jobs, cache=False))))
    _checked(cold_results[-1], "tprlint (cold run)")
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]

    with _FreshCache(cache_dir_for(root), scratch) as cache:
        _log(f"populating a fresh cache in {cache.directory}")
        populate = _probe(root, jobs)
        if populate is None:
            _checked(_tprlint(root, _lint_args(report, jobs, cache=True)), "tprlint (cache populate run)")
        warm_results: list[subprocess.CompletedProcess[str]] = []
        warm_m = _measure("tprlint warm", repeat,
                          lambda: warm_results.append(_tprlint(root, _lint_args(report, jobs, cache=True))))
        _checked(warm_results[-1], "tprlint (warm run)")
        warm_summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
        warm_probe = _probe(root, jobs)
        # An edit between runs: the last result cannot be replayed, the other files' facts come from the cache.
        edited = next((p for p, data in sorted(files.items()) if p.suffix == ".py" and b"temporalio" in data), None)
        edit_m: Measurement | None = None
        edit_probe: dict[str, int] | None = None
        if edited is not None:
            original = edited.read_bytes()

            def edit(i: int) -> None:
                edited.write_bytes(original + f"\n# benchmark edit {i}\n".encode())

            try:
                edit_m = _measure("tprlint warm, one file edited", repeat,
                                  lambda: _checked(_tprlint(root, _lint_args(report, jobs, cache=True)), "edit run"),
                                  before=edit)
                edit(repeat)
                edit_probe = _probe(root, jobs)
            finally:
                edited.write_bytes(original)
    version_m = _measure("tprlint --version", repeat, lambda: _checked(_tprlint(root, ["--version"]), "--version"))

    baseline = read_m.median + parse_m.median
    cold, warm = cold_m.median, warm_m.median
    scanned = int(summary["files"])
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    today = datetime.date.today().isoformat()
    py = platform.python_version()
    findings = f"{summary['findings']} (+{summary['suppressed']} suppressed)"

    print(f"\ntprlint benchmark - {today} - {version.stdout.strip()} - Python {py} ({platform.python_implementation()})"
          f" - {cpus} CPUs ({usable} usable) - {platform.system()} {platform.machine()}")
    print(f"tree: {root}")
    if generated is not None:
        kinds = ", ".join(f"{k} {v}" for k, v in generated.items() if k not in ("files", "bytes"))
        print(f"generated: {kinds}")
    print(f"{len(files)} files, {total_bytes / 1e6:.1f} MB on disk; tprlint scanned {scanned} "
          f"(jobs: {jobs or 'default'}); median of {repeat} run(s)\n")
    python_n, yaml_docs, errors = parsed_counts
    rows = [
        ("measurement", "time", "notes"),
        ("(a) walk + read every file", _fmt_s(read_m.median), f"{len(files)} files, {total_bytes / 1e6:.1f} MB"),
        ("(b) ast.parse + yaml.compose_all", _fmt_s(parse_m.median),
         f"{python_n} Temporal .py, {yaml_docs} YAML documents ({YAML_LOADER.__name__})"
         + (f", {errors} parse errors" if errors else "")),
        ("    baseline (a + b)", _fmt_s(baseline), ""),
        ("(c) tprlint cold (--no-cache)", _fmt_s(cold),
         f"{scanned / cold:.0f} files/s; findings {findings}"
         + (f"; parsed {populate['parsed']} files" if populate else "")),
        ("(d) tprlint warm (cache)", _fmt_s(warm),
         f"findings {warm_summary['findings']}"
         + (("; replayed the last result" if warm_probe.get("replayed") else
             f"; cache hits {warm_probe['cache_hits']}, parsed {warm_probe['parsed']}") if warm_probe else "")),
        *([("(d2) warm, one file edited", _fmt_s(edit_m.median),
            f"{edited.relative_to(root) if edited else ''} changed before each run"
            + (f"; cache hits {edit_probe['cache_hits']}, parsed {edit_probe['parsed']}" if edit_probe else ""))]
          if edit_m is not None else []),
        ("(e) tprlint --version", _fmt_s(version_m.median), "process start-up"),
        ("cold / baseline", f"{cold / baseline:.1f}x", ""),
        ("warm / cold", f"{warm / cold:.2f}x", ""),
        *([("one file edited / cold", f"{edit_m.median / cold:.2f}x", "")] if edit_m else []),
    ]
    print(_table(rows))
    for m in (read_m, parse_m, cold_m, warm_m, *([edit_m] if edit_m else []), version_m):
        if len(m.runs) > 1:
            print(f"  runs of {m.label}: {', '.join(_fmt_s(r) for r in m.runs)}")

    print("\nMarkdown (README):")
    print("| tree | files scanned | baseline (read + parse) | cold | warm | `--version` | cold/baseline "
          "| warm/cold | findings | machine |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {tree} | {scanned} | {_fmt_s(baseline)} | {_fmt_s(cold)} | {_fmt_s(warm)} | "
          f"{_fmt_s(version_m.median)} | {cold / baseline:.1f}x | {warm / cold:.2f}x | {summary['findings']} | "
          f"{cpus} CPUs, Python {py}, {today} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
