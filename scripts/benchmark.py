"""Benchmark tprlint against the bound: what any tool must do to check the tree.

By default it generates a synthetic monorepo (``scripts/synthetic_repo.py``) in a temporary folder and
measures, each as the median of ``--repeat`` runs, all in the same run:

  (a) bound: walk the tree and read every file's bytes;
  (b) bound: ``ast.parse`` the Temporal Python files (those containing ``temporalio``);
  (c) bound: ``yaml.compose_all`` every ``.yaml``/``.yml`` file (CSafeLoader when PyYAML has it);
  (d) bound: render every Helm chart with the renderer tprlint would use (the ``helm`` binary on PATH,
      else helm-python-sdk), one chart at a time in a child process, timed per chart by tprlint's own
      rendering code (``tprlint.helm.render.render_jobs``);
  (e) tprlint cold: ``python -m tprlint ROOT --no-cache -f json:FILE --exit-zero`` in a fresh process;
  (f) tprlint warm: the same run with the facts cache (a fresh cache, populated by one untimed run);
  (g) tprlint warm after one Temporal file was edited;
  (h) ``python -m tprlint --version``.

An engine probe (``tprlint.engine.run`` in a child process, once without the cache) reports how many
files tprlint parsed and why (Temporal / needed by a name / importer scan), the time per stage, and
the peak memory (RSS) of its main process and of its largest child process (the parse workers, or the
Helm renderer).

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
import re
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

# The folders tprlint never descends into; the read bound skips them too.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tprlint_cache", ".eggs",
})
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Runs tprlint's engine the way the CLI does and prints what RunResult knows beyond the report (how
# many files were parsed and why, how many facts came from the cache, seconds per stage) and the peak
# RSS of this process (its own, not the one Linux carries over exec from this script, which holds the
# tree) and of its largest child (ru_maxrss: KiB on Linux, bytes on macOS).
# argv: jobs ("-": tprlint's default), then "cold" (no cache) or "cache".
_PROBE = """
import json, resource, sys
from pathlib import Path
from tprlint.catalog import load_catalog
from tprlint.config import find_config, load_config
from tprlint.engine import run
try:
    from tprlint.profile import peak_memory
except ImportError:  # a tprlint from before --timings
    def peak_memory():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024), 0
config = load_config(find_config(Path(".")), set(load_catalog()))
jobs = int(sys.argv[1]) if sys.argv[1] != "-" else None
result = run([Path(".")], config, use_cache=sys.argv[2] != "cold", jobs=jobs)
unit = 1 if sys.platform == "darwin" else 1024
print(json.dumps({"files": result.files_scanned, "parsed": result.parsed, "cache_hits": result.cache_hits,
                  "replayed": result.replayed,
                  "parsed_why": dict(getattr(result, "parsed_why", None) or {}),
                  "stages": dict(getattr(result, "stages", None) or {}),
                  "rss_main": peak_memory()[0],
                  "rss_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit}))
"""

# Renders the charts named in a JSON request on stdin, one at a time, with tprlint's own rendering code
# and the renderer tprlint would pick; prints each chart's render time (the library load is not in it).
_RENDER = """
import json, sys
from tprlint.helm.render import RenderJob, render_jobs
from tprlint.helm.renderer import find_renderer
renderer, why = find_renderer()
request = json.loads(sys.stdin.read())
if renderer is None:
    print(json.dumps({"renderer": "", "why": why, "charts": {}}))
    raise SystemExit(0)
charts = {}
for chart in request["charts"]:
    job = RenderJob(chart["folder"], chart["folder"], chart["release"], (), tuple(chart["leave_out"]),
                    request["root"])
    result = render_jobs(renderer, [job])[job.key]
    charts[chart["folder"]] = {"seconds": result.seconds, "error": result.error,
                               "documents": sum(text.count("\\nkind:") + text.startswith("kind:")
                                                for _, text in result.manifests)}
print(json.dumps({"renderer": renderer.description, "why": "", "charts": charts}))
"""
_RELEASE_NAME = re.compile(r"[^a-z0-9-]+")


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


# -- the bound -------------------------------------------------------------------------------------

def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            yield Path(dirpath, name)


def read_tree(root: Path) -> dict[Path, bytes]:
    """Bound (a): every file's bytes."""
    files: dict[Path, bytes] = {}
    for path in _walk(root):
        try:
            files[path] = path.read_bytes()
        except OSError:
            continue
    return files


def parse_python(files: dict[Path, bytes]) -> tuple[int, int]:
    """Bound (b): ``ast.parse`` the Python files that contain ``temporalio``; returns (parsed, errors)."""
    parsed = errors = 0
    for path, data in files.items():
        if path.suffix.lower() == ".py" and b"temporalio" in data:
            try:
                ast.parse(data, filename=str(path))
                parsed += 1
            except (SyntaxError, ValueError):
                errors += 1
    return parsed, errors


def compose_yaml(files: dict[Path, bytes], charts: list[Chart] | None = None) -> tuple[int, int]:
    """Bound (c): ``yaml.compose_all`` every YAML file but the templates of ``charts`` (Go templates, not
    YAML: Helm renders them, bound (d)); returns (documents, files that failed)."""
    templates = [(c.folder / "templates", c.folder / "charts") for c in charts or ()]
    documents = errors = 0
    for path, data in files.items():
        if path.suffix.lower() in (".yaml", ".yml") and not any(
                folder in path.parents for pair in templates for folder in pair):
            try:
                documents += sum(1 for _ in yaml.compose_all(data, Loader=YAML_LOADER))
            except (ValueError, yaml.YAMLError):
                errors += 1
    return documents, errors


@dataclass(frozen=True)
class Chart:
    folder: Path
    release: str  # as tprlint names it: the chart's name, made a valid release name
    leave_out: tuple[str, ...]  # declared dependencies that are not vendored (tprlint leaves them out too)


def find_charts(files: dict[Path, bytes]) -> list[Chart]:
    """The charts tprlint renders: folders with a ``Chart.yaml`` that are not sub-charts of another."""
    folders = {path.parent for path in files if path.name == "Chart.yaml"}
    charts: list[Chart] = []
    for folder in sorted(folders):
        if any(parent in folders for parent in folder.parents):
            continue  # rendered with its parent
        try:
            data = yaml.safe_load(files[folder / "Chart.yaml"])
        except yaml.YAMLError:
            data = None
        data = data if isinstance(data, dict) else {}
        release = _RELEASE_NAME.sub("-", str(data.get("name", "")).lower()).strip("-")[:53].strip("-") or "release"
        leave_out = []
        for dependency in data.get("dependencies") or ():
            if not isinstance(dependency, dict):
                continue
            name = str(dependency.get("alias") or dependency.get("name") or "")
            plain = str(dependency.get("name") or "")
            vendored = (folder / "charts" / plain).is_dir() or any((folder / "charts").glob(f"{plain}-*.tgz"))
            if name and not vendored:
                leave_out.append(name)
        charts.append(Chart(folder, release, tuple(leave_out)))
    return charts


@dataclass
class HelmRenders:
    renderer: str  # how tprlint renders (empty when it cannot: why_not says why)
    seconds: dict[Path, float]  # chart folder -> render time
    errors: dict[Path, str]
    documents: dict[Path, int]
    why_not: str = ""

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def render_charts(root: Path, charts: list[Chart]) -> HelmRenders:
    """Bound (d): render each chart once, one at a time, in a child process (Helm's Go runtime never
    lives in this one), with the renderer and the code tprlint renders with."""
    if not charts:
        return HelmRenders("", {}, {}, {})
    request = {"root": os.path.realpath(root),
               "charts": [{"folder": str(c.folder), "release": c.release, "leave_out": list(c.leave_out)}
                          for c in charts]}
    done = subprocess.run([sys.executable, "-c", _RENDER], input=json.dumps(request), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return HelmRenders("", {}, {}, {}, f"the render probe failed: {done.stderr.strip()[-300:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    by_folder = {str(c.folder): c.folder for c in charts}
    rendered = {by_folder[k]: v for k, v in answer["charts"].items()}
    return HelmRenders(answer["renderer"], {k: float(v["seconds"]) for k, v in rendered.items()},
                       {k: v["error"] for k, v in rendered.items() if v["error"]},
                       {k: int(v["documents"]) for k, v in rendered.items()}, answer["why"])


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


def _probe(root: Path, jobs: int | None, cold: bool = False) -> dict[str, Any] | None:
    """Run ``tprlint.engine.run`` once in a child process (without the cache when ``cold``): see _PROBE."""
    result = subprocess.run([sys.executable, "-c", _PROBE, str(jobs) if jobs else "-", "cold" if cold else "cache"],
                            cwd=root, capture_output=True, text=True, check=False)
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
                    "(--repo), against the bound of reading the tree, parsing its Temporal Python and YAML and "
                    "rendering its Helm charts.",
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
    parser.add_argument("--charts", type=int, default=3, metavar="N",
                        help="Helm charts in the synthetic repo (default: 3)")
    parser.add_argument("--chart-entries", type=int, default=300, metavar="N",
                        help="entries of the values lists each synthetic chart ranges over (default: 300)")
    parser.add_argument("--need-share", type=float, default=synthetic_repo.NEED_SHARE, metavar="F",
                        help="share of the synthetic repo's Temporal groups whose code needs names of ordinary "
                             f"modules (default: {synthetic_repo.NEED_SHARE:.3g}; 1 is the denser tree used "
                             "before 2026-12-06)")
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
                                                    args.seed, args.charts, args.chart_entries, args.need_share)
            except (FileExistsError, ValueError) as exc:
                parser.error(str(exc))
            _log(f"generated {generated['files']} files in {time.perf_counter() - start:.1f} s")
            tree = (f"synthetic {generated['python_total']} py / {generated.get('kubernetes', 0)} k8s "
                    f"(seed {args.seed}, need share {args.need_share:.3g})")
        return _benchmark(root, tree, generated, scratch, args.jobs, args.repeat)


def _benchmark(root: Path, tree: str, generated: dict[str, int] | None, scratch: Path, jobs: int | None,
               repeat: int) -> int:
    report = scratch / "report.json"
    version = _tprlint(root, ["--version"])
    _checked(version, "tprlint --version")

    # The bound, part by part, in this run.
    files: dict[Path, bytes] = {}

    def read() -> None:
        nonlocal files
        files = read_tree(root)

    read_m = _measure("bound: read", repeat, read)
    python_counts, yaml_counts = (0, 0), (0, 0)

    def parse() -> None:
        nonlocal python_counts
        python_counts = parse_python(files)

    def compose() -> None:
        nonlocal yaml_counts
        yaml_counts = compose_yaml(files, charts)

    charts = find_charts(files)
    parse_m = _measure("bound: ast.parse", repeat, parse)
    compose_m = _measure("bound: yaml.compose_all", repeat, compose)
    renders: list[HelmRenders] = []
    helm_m = Measurement("bound: helm render")
    for i in range(repeat if charts else 0):
        renders.append(render_charts(root, charts))
        helm_m.runs.append(renders[-1].total)
        _log(f"{helm_m.label}: run {i + 1}/{repeat} {helm_m.runs[-1]:.3f} s ({len(charts)} charts)")
    helm_s = helm_m.median if helm_m.runs else 0.0
    total_bytes = sum(len(b) for b in files.values())

    # One untimed run first: Python writes tprlint's bytecode cache, as it does on a user's first run.
    _checked(_tprlint(root, _lint_args(report, jobs, cache=False)), "tprlint (warm-up run)")
    cold_results: list[subprocess.CompletedProcess[str]] = []
    cold_m = _measure("tprlint cold", repeat,
                      lambda: cold_results.append(_tprlint(root, _lint_args(report, jobs, cache=False))))
    _checked(cold_results[-1], "tprlint (cold run)")
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    _log("engine probe, cold: files parsed and why, stages, peak memory")
    cold_probe = _probe(root, jobs, cold=True)

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
        edit_probe: dict[str, Any] | None = None
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

    bound = read_m.median + parse_m.median + compose_m.median + helm_s
    cold, warm = cold_m.median, warm_m.median
    scanned = int(summary["files"])
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    today = datetime.date.today().isoformat()
    py = platform.python_version()
    findings = f"{summary['findings']} (+{summary['suppressed']} suppressed)"
    temporal_py, py_errors = python_counts
    yaml_docs, yaml_errors = yaml_counts

    print(f"\ntprlint benchmark - {today} - {version.stdout.strip()} - Python {py} ({platform.python_implementation()})"
          f" - {cpus} CPUs ({usable} usable) - {platform.system()} {platform.machine()}")
    print(f"tree: {root}")
    if generated is not None:
        kinds = ", ".join(f"{k} {v}" for k, v in generated.items() if k not in ("files", "bytes"))
        print(f"generated: {kinds}")
    python_files = sum(1 for p in files if p.suffix.lower() == ".py")
    print(f"{len(files)} files, {total_bytes / 1e6:.1f} MB on disk; {python_files} Python files, {temporal_py} of them "
          f"contain `temporalio`; {len(charts)} Helm charts; tprlint scanned {scanned} (jobs: {jobs or 'default'}); "
          f"median of {repeat} run(s)\n")
    last_render = renders[-1] if renders else None
    helm_note = f"{len(charts)} charts"
    if last_render is not None:
        if last_render.renderer:
            helm_note += f", {last_render.renderer}, one at a time"
        else:
            helm_note += f", not rendered: {last_render.why_not}"
        if last_render.errors:
            helm_note += f", {len(last_render.errors)} failed"
    rows = [
        ("measurement", "time", "notes"),
        ("(a) walk + read every file", _fmt_s(read_m.median), f"{len(files)} files, {total_bytes / 1e6:.1f} MB"),
        ("(b) ast.parse Temporal Python", _fmt_s(parse_m.median),
         f"{temporal_py} .py files containing `temporalio`" + (f", {py_errors} syntax errors" if py_errors else "")),
        ("(c) yaml.compose_all", _fmt_s(compose_m.median), f"{yaml_docs} YAML documents ({YAML_LOADER.__name__}), "
         "chart templates left to (d)" + (f", {yaml_errors} files failed" if yaml_errors else "")),
        ("(d) helm render", _fmt_s(helm_s), helm_note),
        *[(f"      {chart.folder.relative_to(root)}", _fmt_s(statistics.median(r.seconds.get(chart.folder, 0.0)
                                                                            for r in renders)),
           f"{last_render.documents.get(chart.folder, 0)} objects" if last_render else "")
          for chart in charts if renders],
        ("    bound (a + b + c + d)", _fmt_s(bound), ""),
        ("(e) tprlint cold (--no-cache)", _fmt_s(cold),
         f"{scanned / cold:.0f} files/s; findings {findings}"),
        ("(f) tprlint warm (cache)", _fmt_s(warm),
         f"findings {warm_summary['findings']}"
         + (("; replayed the last result" if warm_probe.get("replayed") else
             f"; cache hits {warm_probe['cache_hits']}, parsed {warm_probe['parsed']}") if warm_probe else "")),
        *([("(g) warm, one file edited", _fmt_s(edit_m.median),
            f"{edited.relative_to(root) if edited else ''} changed before each run"
            + (f"; cache hits {edit_probe['cache_hits']}, parsed {edit_probe['parsed']}" if edit_probe else ""))]
          if edit_m is not None else []),
        ("(h) tprlint --version", _fmt_s(version_m.median), "process start-up"),
        ("cold / bound", f"{cold / bound:.1f}x", "target <= 2.0x"),
        ("warm / cold", f"{warm / cold:.2f}x", "target <= 0.3x"),
        *([("one file edited / cold", f"{edit_m.median / cold:.2f}x", "target <= 0.5x")] if edit_m else []),
    ]
    print(_table(rows))
    for m in (read_m, parse_m, compose_m, *([helm_m] if helm_m.runs else []), cold_m, warm_m,
              *([edit_m] if edit_m else []), version_m):
        if len(m.runs) > 1:
            print(f"  runs of {m.label}: {', '.join(_fmt_s(r) for r in m.runs)}")
    print()
    print(probe_summary(cold_probe, temporal_py))

    print("\nMarkdown (README):")
    print("| tree | files scanned | bound (read + parse + compose + render) | cold | warm | one file edited "
          "| `--version` | cold/bound | warm/cold | edited/cold | findings | machine |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    edited_s = _fmt_s(edit_m.median) if edit_m else "-"
    edited_ratio = f"{edit_m.median / cold:.2f}x" if edit_m else "-"
    print(f"| {tree} | {scanned} | {_fmt_s(bound)} | {_fmt_s(cold)} | {_fmt_s(warm)} | {edited_s} | "
          f"{_fmt_s(version_m.median)} | {cold / bound:.1f}x | {warm / cold:.2f}x | {edited_ratio} | "
          f"{summary['findings']} | {cpus} CPUs, Python {py}, {today} |")
    return 0


def probe_summary(probe: dict[str, Any] | None, temporal_py: int) -> str:
    """What the cold engine probe saw: files parsed and why, time per stage, peak memory."""
    if probe is None:
        return "engine probe (cold): unavailable"
    lines = [f"engine probe (cold, one run): {probe['files']} files scanned, {probe['parsed']} parsed"]
    why: dict[str, int] = {str(k): int(v) for k, v in (probe.get("parsed_why") or {}).items()}
    if why:
        lines.append("  parsed, by why: " + ", ".join(f"{k} {v}" for k, v in why.items()))
        python = sum(v for k, v in why.items() if k != "other")
        ratio = f"{python / temporal_py:.2f}x" if temporal_py else "-"
        reasons = " + ".join(k for k in why if k != "other")
        lines.append(f"  Python files parsed: {python} ({reasons}) vs {temporal_py} containing "
                     f"`temporalio`: {ratio} (target <= 1.5x)")
    else:
        lines.append(f"  parsed, by why: not reported by this tprlint (RunResult.parsed_why is empty); "
                     f"{temporal_py} Python files contain `temporalio`")
    stages: dict[str, float] = {str(k): float(v) for k, v in (probe.get("stages") or {}).items()}
    lines.append("  stages: " + (", ".join(f"{k} {_fmt_s(v)}" for k, v in stages.items()) if stages
                                 else "not reported by this tprlint (RunResult.stages is empty)"))
    main_mb, child_mb = int(probe.get("rss_main", 0)) / 2**20, int(probe.get("rss_child", 0)) / 2**20
    lines.append(f"  peak RSS: main process {main_mb:.0f} MB (target < 500 MB), largest child process "
                 f"{child_mb:.0f} MB (parse workers or the Helm renderer)")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
