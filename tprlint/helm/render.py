"""Rendering charts with real Helm: the ``helm`` binary when it is on PATH (``helm template``), else
the Helm library embedded in the ``helm-python-sdk`` package (``pip install 'tprlint[helm]'``).

Both run offline: ``helm template`` never contacts a cluster, and the library's ``Chart.render``
answers ``lookup`` with nothing. Rendering happens in one child process (``python -m
tprlint.helm.render``) started before tprlint parses anything else and read after: the charts render
while the rest of the repository is analysed, and the Go runtime the library brings never lives in
tprlint's own process (a Go fatal error cannot take the run down, and the parse pool forks a process
without foreign threads in it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import field
from pathlib import Path
from typing import Any

from tprlint.deadline import Deadline
from tprlint.discover.read import describe_mode, inside, read_regular, read_text
from tprlint.helm.renderer import Renderer
from tprlint.records import frozen, mutable

RENDER_TIMEOUT_SECONDS = 60  # per chart; the largest real charts render in a few seconds
RUN_TIMED_OUT = "not rendered: the run's --timeout expired first"
RENDER_MEMORY_BYTES = 1 << 30  # per chart: the renderer's data (heap and private mappings)
_SOURCE_LINE = re.compile(r"^# Source: (.+?)\s*$")
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__"})
_CHART_FILE = "Chart.yaml"
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


@frozen
class RenderedChart:
    """Helm's output for one chart: ``(source template, rendered YAML)`` in Helm's order, or its error."""

    manifests: tuple[tuple[str, str], ...] = ()
    error: str = ""
    seconds: float = 0.0  # time Helm took (0 for a cached result)


@frozen
class RenderJob:
    key: str  # cache key, also the job's id
    chart: str  # chart folder (absolute)
    release: str
    values: tuple[str, ...]  # -f files in order (absolute)
    leave_out: tuple[str, ...] = ()  # declared dependencies that are not vendored
    root: str = ""  # the scanned tree (resolved): chart content that leads out of it is never rendered


@mutable
class _Child:
    """A child process rendering charts, its output going to files (a pipe would stall a child whose
    output outgrows it while this process is busy parsing)."""

    jobs: list[RenderJob]
    process: subprocess.Popen[bytes] | None
    output: Any  # temporary files for the child's stdout and stderr
    errors: Any
    started: float
    error: str = ""  # why the child could not be started
    # The child's temporary folder (its TMPDIR), removed by _close: a child killed over its time or
    # memory never cleans up after itself, nor does a `helm` it was running.
    scratch: str = ""


@mutable
class PendingRender:
    """Charts rendering in child processes under a memory and a time limit; ``results()`` waits.

    All charts first render together in one child (one interpreter and one Helm library to load:
    most runs never need more). When that child fails - over its memory or time, or crashed - each
    of its charts renders again in a child of its own, a few at a time, so that only the chart at
    fault is lost."""

    renderer: Renderer
    queued: list[RenderJob]
    running: list[_Child] = field(default_factory=list)
    done: dict[str, RenderedChart] = field(default_factory=dict)
    limits: RenderLimits = field(default_factory=lambda: RenderLimits())
    batch: _Child | None = None

    def fill(self) -> None:
        while self.batch is None and self.queued and len(self.running) < self.limits.concurrency:
            self.running.append(_send(spawn_child(self.renderer, self.limits), self.renderer, [self.queued.pop(0)]))

    def results(self, deadline: Deadline | None = None) -> dict[str, RenderedChart]:
        if self.batch is not None:
            self.running = [self.batch]
        while self.running:
            if deadline is not None and deadline.expired():
                for job in [*self.queued, *(job for child in self.running for job in child.jobs)]:
                    self.done[job.key] = RenderedChart(error=RUN_TIMED_OUT)
                    deadline.skipped_charts.append(os.path.relpath(job.chart))
                self.cancel()
                break
            for child in list(self.running):
                outcome = _finished(child, self.limits)
                if outcome is None:
                    continue
                self.running.remove(child)
                if child is self.batch:
                    self.batch = None
                    halted = any(stopped(result.error) for result in outcome.values())
                    if len(outcome) == len(child.jobs) and not halted:
                        self.done.update(outcome)
                    else:  # one of its charts is at fault: each renders on its own
                        self.queued = [job for job in child.jobs if job.key not in outcome or outcome[job.key].error]
                        self.done.update({k: r for k, r in outcome.items() if not r.error})
                else:
                    self.done.update(outcome)
            self.fill()
            if self.running:
                time.sleep(0.005)
        return self.done

    def settled(self) -> bool:
        """Whether every child started has ended and none is queued: ``results()`` would wait for no
        render (unless a batch failed and its charts render again, one by one)."""
        children = [self.batch] if self.batch is not None else self.running
        return not self.queued and all(c.process is None or c.process.poll() is not None for c in children)

    def cancel(self) -> None:
        """Stop every child (the run's own time is up)."""
        self.queued = []
        if self.batch is not None and self.batch not in self.running:
            self.running.append(self.batch)  # not yet collected by results()
        for child in self.running:
            if child.process is not None and child.process.poll() is None:
                child.process.kill()
                child.process.wait()
            _close(child)
        self.running = []
        self.batch = None


@frozen
class RenderLimits:
    """What one chart may cost. Helm templates are a language: `range until 10000000` or a recursive
    `tpl` allocate gigabytes and run for minutes."""

    memory_bytes: int = RENDER_MEMORY_BYTES
    seconds: float = RENDER_TIMEOUT_SECONDS
    concurrency: int = max(1, min(os.cpu_count() or 1, 4))


def start_render(renderer: Renderer, jobs: list[RenderJob], limits: RenderLimits | None = None,
                 child: _Child | None = None) -> PendingRender:
    """Start rendering ``jobs`` and return at once; in ``child`` when given (``spawn_child``)."""
    pending = PendingRender(renderer, [], limits=limits or RenderLimits())
    if child is None and len(jobs) > 1:
        child = spawn_child(renderer, pending.limits)
    if child is None:  # one chart: the queue starts its child
        pending.queued = list(jobs)
        pending.fill()
    elif len(jobs) > 1:
        pending.batch = _send(child, renderer, list(jobs))
    else:
        pending.running = [_send(child, renderer, list(jobs))]
    return pending


def spawn_child(renderer: Renderer, limits: RenderLimits) -> _Child:
    """A renderer process, started now and given its charts later (``start_render``): its interpreter
    and the Helm library load meanwhile. ``discard`` stops one that is given nothing."""
    # Closed by _close once the child has ended: they outlive this function.
    output, errors = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
    child = _Child([], None, output, errors, time.monotonic(), scratch=tempfile.mkdtemp(prefix="tprlint-helm-"))
    try:
        # Isolated mode (-I): the scanned repository is usually the working directory, and nothing
        # in it (a stray `yaml.py`) may ever be imported. tprlint itself is found where it is loaded from.
        bootstrap = (f"import sys; sys.path.insert(0, {str(_PACKAGE_PARENT)!r}); "
                     "from tprlint.helm.render import main; sys.exit(main())")
        child.process = subprocess.Popen(
            [sys.executable, "-I", "-c", bootstrap, renderer.kind], stdin=subprocess.PIPE, stdout=output,
            stderr=errors,
            preexec_fn=_limited(limits),  # no threads run in this process when it forks
            env={**os.environ, "TMPDIR": child.scratch},
        )
    except (OSError, subprocess.SubprocessError) as exc:  # the latter: its limits could not be set
        child.error = f"the Helm renderer could not be started: {getattr(exc, 'strerror', None) or exc}"
    return child


def _send(child: _Child, renderer: Renderer, jobs: list[RenderJob]) -> _Child:
    child.jobs = jobs
    child.started = time.monotonic()  # its time limit counts from here, not from its start-up
    if child.process is None:
        return child
    request = json.dumps({"renderer": renderer.kind, "executable": renderer.executable,
                          "jobs": [job.__dict__ for job in jobs]})
    try:
        assert child.process.stdin is not None
        # One line (JSON escapes newlines), read as such: a process forked after the child started (a
        # parse worker) holds this pipe's end too, and the child would never see it closed. The request
        # is small: it fits the pipe, so this never waits for the child.
        child.process.stdin.write(request.encode("utf-8") + b"\n")
        child.process.stdin.close()
    except OSError as exc:  # it has died since it was started: its stderr says why, _finished reads it
        child.error = f"the Helm renderer could not be given its charts: {exc.strerror or exc}"
    return child


def discard(child: _Child) -> None:
    """Stop a child that was never given charts."""
    if child.process is not None:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()
        if child.process.stdin is not None:
            with contextlib.suppress(OSError):
                child.process.stdin.close()
    _close(child)


def _limited(limits: RenderLimits) -> Any:
    def apply() -> None:
        import resource

        # The data segment, which Linux counts as every private writable mapping: what the renderer
        # really allocates. Not the address space: Go's runtime and glibc's per-thread arenas reserve
        # far more than they use (measured: VmPeak 1.8 GB for a chart whose data is 140 MB), so an
        # address-space limit fails real charts at random. Over the limit, Go's runtime stops with
        # "cannot allocate memory".
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_bytes, limits.memory_bytes))
        cpu = int(limits.seconds) + 5  # a backstop behind the wall-clock limit kept by the parent
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    return apply


_STOPPED = "Helm "  # the start of the errors below: the renderer, not the chart, said no


def stopped(error: str) -> bool:
    """Whether a render error is a limit of the renderer (memory, time, a crash), not Helm's word."""
    return error.startswith(_STOPPED)


def _finished(child: _Child, limits: RenderLimits) -> dict[str, RenderedChart] | None:
    """The child's results once it has ended (killing it when over time); None while it runs."""
    if child.process is None:
        _close(child)
        return {job.key: RenderedChart(error=child.error) for job in child.jobs}
    elapsed = time.monotonic() - child.started
    if child.process.poll() is None:
        if elapsed <= limits.seconds:
            return None
        child.process.kill()
        child.process.wait()
        _close(child)
        error = (f"{_STOPPED}did not finish rendering this chart in {limits.seconds:g} s (a template that "
                 f"loops or recurses without end?); it was stopped")
        return {job.key: RenderedChart(error=error, seconds=elapsed) for job in child.jobs}
    out, err = _read(child.output), _read(child.errors)
    _close(child)
    try:
        raw = json.loads(out)
        return {job.key: RenderedChart(tuple((str(s), str(t)) for s, t in raw[job.key]["manifests"]),
                                       str(raw[job.key]["error"]), float(raw[job.key]["seconds"]))
                for job in child.jobs}
    except (ValueError, KeyError, TypeError):
        pass
    if "out of memory" in err or "MemoryError" in err or "cannot allocate memory" in err:
        gib = limits.memory_bytes / (1 << 30)
        error = (f"{_STOPPED}needed more than {gib:g} GiB of memory rendering this chart (a template that "
                 f"allocates without bound?); it was stopped")
    else:
        error = f"{_STOPPED}renderer stopped: {_last_lines(err) or f'exit code {child.process.returncode}'}"
    return {job.key: RenderedChart(error=error, seconds=elapsed) for job in child.jobs}


def _read(handle: Any) -> str:
    handle.seek(0)
    data: bytes = handle.read(64 * 1024 * 1024)
    return data.decode("utf-8", errors="replace")


def _close(child: _Child) -> None:
    child.output.close()
    child.errors.close()
    if child.scratch:
        shutil.rmtree(child.scratch, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The child process


def render_jobs(renderer: Renderer, jobs: list[RenderJob]) -> dict[str, RenderedChart]:
    """Render every job (in threads: `helm` processes, or library calls that release the GIL)."""
    render = _binary(renderer.executable) if renderer.kind == "binary" else _sdk()
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1, 8))) as pool:
        return dict(zip([job.key for job in jobs], pool.map(render, jobs), strict=True))


def _timed(render: Any) -> Any:
    def run(job: RenderJob) -> RenderedChart:
        start = time.perf_counter()
        try:
            result: RenderedChart = render(job)
        except Exception as exc:  # one chart's surprise must not cost the others their results
            result = RenderedChart(error=f"{type(exc).__name__}: {exc}")
        return RenderedChart(result.manifests, result.error, time.perf_counter() - start)

    return run


def _binary(executable: str) -> Any:
    def render(job: RenderJob) -> RenderedChart:
        with tempfile.TemporaryDirectory(prefix="tprlint-helm-") as scratch:
            # `helm template` refuses a chart whose declared dependencies are not in charts/; a copy
            # without them renders everything else, as the library does.
            folder = _folder_to_render(job, Path(scratch))
            command = [executable, "template", job.release, str(folder)]
            for path in job.values:
                command += ["--values", path]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS,
                                      stdin=subprocess.DEVNULL, check=False, encoding="utf-8", errors="replace")
            except subprocess.TimeoutExpired:
                return RenderedChart(error=f"`helm template` did not finish in {RENDER_TIMEOUT_SECONDS} s")
            except OSError as exc:
                return RenderedChart(error=f"`helm` could not be run: {exc.strerror or exc}")
        if done.returncode != 0:
            return RenderedChart(error=_helm_error(done.stderr) or f"`helm template` exited with {done.returncode}")
        return RenderedChart(split_sources(done.stdout))

    return _timed(render)


def _sdk() -> Any:
    try:
        import helm_python as helm
    except Exception as exc:  # the library's own errors, or OSError from ctypes on an unsupported platform
        reason = f"the `helm-python-sdk` library could not be loaded: {exc}"
        return lambda job: RenderedChart(error=reason)

    def render(job: RenderJob) -> RenderedChart:
        # The library renders the sub-charts that are present and skips absent ones.
        try:
            values: dict[str, Any] = {}
            for path in job.values:
                # Helm's own parser, so values mean exactly what they mean to `helm -f`.
                text = read_text(path)
                values = merge_maps(values, helm.values_from_yaml(text) or {})
            scratch = tempfile.mkdtemp(prefix="tprlint-helm-")
            try:
                with helm.Chart.load(str(_folder_to_render(job, Path(scratch)))) as loaded:
                    rendered = loaded.render(values=values or None, name=job.release, namespace="default",
                                             is_install=True)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        except helm.HelmError as exc:
            return RenderedChart(error=str(exc))
        except OSError as exc:
            return RenderedChart(error=f"values file cannot be read: {exc}")
        return RenderedChart(tuple((source, text) for source, text in sorted(rendered.items())
                                   if not source.endswith("NOTES.txt") and text.strip()))

    return _timed(render)


def merge_maps(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``mergeMaps`` for successive ``-f`` files: maps merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = merge_maps(current, value)
        else:
            merged[key] = value
    return merged


def split_sources(stream: str) -> tuple[tuple[str, str], ...]:
    """``helm template`` output → ``(source, documents)`` per template, in order of first appearance."""
    order: list[str] = []
    texts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stream.splitlines():
        match = _SOURCE_LINE.match(line)
        if match:
            source = match.group(1)
            if source not in texts:
                order.append(source)
                texts[source] = []
            current = texts[source]
            current.append("---")
            continue
        if current is not None and line.rstrip() != "---":
            current.append(line)
    return tuple((source, "\n".join(texts[source]) + "\n") for source in order)


def _helm_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if line.startswith("Error:")]
    if errors:
        lines = lines[errors[0]:]
        lines[0] = lines[0][len("Error:"):].strip()
    return "\n".join(lines).strip()


def _last_lines(text: str, count: int = 3) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines()[-count:])


def _folder_to_render(job: RenderJob, scratch: Path) -> Path:
    """The chart's own folder, or a copy of it in ``scratch`` when Helm must not see all of it: declared
    dependencies that are not vendored, or entries it must not read (``unsafe_chart_entries``)."""
    chart = Path(job.chart)
    root = job.root or None
    if not job.leave_out and not unsafe_chart_entries(chart, root):
        return chart
    return _without_dependencies(chart, set(job.leave_out), scratch, root)


def _without_dependencies(chart: Path, leave_out: set[str], scratch: Path, root: str | None = None) -> Path:
    import yaml

    copy = scratch / chart.name
    # File by file, from the same walk that lists the chart: links out of the tree, FIFOs and devices
    # are left behind, links inside it are copied as the files they point to.
    for path in chart_files(chart, root):
        target = copy / path.relative_to(chart)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_bytes(path))
    try:
        data = yaml.safe_load((chart / _CHART_FILE).read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return copy
    if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
        data["dependencies"] = [d for d in data["dependencies"]
                                if not (isinstance(d, dict) and (d.get("alias") or d.get("name")) in leave_out)]
        (copy / _CHART_FILE).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (copy / "Chart.lock").unlink(missing_ok=True)
    return copy


def tree_root(chart: Path, project_root: Path) -> str:
    """The scanned tree a chart belongs to, resolved: the project's root when the chart is inside it,
    else the chart's own folder."""
    project = os.path.realpath(project_root)
    return project if inside(str(chart), project) else os.path.realpath(chart)


def render_key(chart: Path, release: str, values_files: Iterable[Path], renderer: Renderer,
               leave_out: Iterable[str], extra: str = "", root: str | None = None) -> str:
    """Cache key: every file of the chart and every values file (names and bytes), the renderer, and
    ``extra`` (what else the cached result depends on)."""
    digest = hashlib.blake2b(digest_size=16)
    # File names are bytes on Linux: one that is not UTF-8 (a stranger's `\xff.txt`) keeps its bytes.
    digest.update(f"{renderer.identity}\0{release}\0{sorted(leave_out)}\0{extra}\0".encode("utf-8", "surrogateescape"))
    for path in chart_files(chart, root):
        digest.update(path.relative_to(chart).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_bytes(path) + b"\0")
    for path in values_files:
        digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0" + _bytes(path) + b"\0")
    return f"helm:{chart}:{digest.hexdigest()}"


def chart_files(folder: Path, root: str | None = None) -> list[Path]:
    """Every file Helm may read for a chart. Helm follows symlinked folders (`templates -> ../shared`),
    so this does too, visiting each real folder once. Entries Helm must not read are left out (see
    ``unsafe_chart_entries``)."""
    return _walk_chart(folder, root)[0]


def unsafe_chart_entries(folder: Path, root: str | None = None) -> list[tuple[str, str]]:
    """``(path relative to the chart, why)`` for what the chart holds that must not be rendered: links
    that lead out of ``root`` (the scanned tree; their content would be rendered into the report),
    FIFOs and devices (Helm would wait on them forever)."""
    return _walk_chart(folder, root)[1]


def _walk_chart(folder: Path, root: str | None) -> tuple[list[Path], list[tuple[str, str]]]:
    found: list[Path] = []
    unsafe: list[tuple[str, str]] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []  # a symlink loop, or a folder linked twice
            continue
        seen.add(real)
        kept: list[str] = []
        for name in sorted(d for d in dirnames if d not in _SKIPPED_DIRS):
            path = os.path.join(dirpath, name)
            if root is not None and not inside(path, root):
                unsafe.append((os.path.relpath(path, folder), _OUTSIDE))
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if root is not None and not inside(path, root):
                unsafe.append((os.path.relpath(path, folder), _OUTSIDE))
                continue
            try:
                mode = os.stat(path).st_mode
            except OSError:
                mode = stat.S_IFREG  # a dangling link: Helm reports it, tprlint passes its words on
            if not stat.S_ISREG(mode):
                unsafe.append((os.path.relpath(path, folder), f"not a regular file but {describe_mode(mode)}"))
                continue
            found.append(Path(path))
    return found, unsafe


_OUTSIDE = "a symbolic link to a file outside the scanned tree"


def _bytes(path: Path) -> bytes:
    try:
        return read_regular(str(path))
    except OSError:
        return b"\0unreadable"


def main() -> int:
    """Child process: a JSON request on stdin, a JSON answer on stdout (see ``start_render``)."""
    if sys.argv[1:2] == ["sdk"]:  # loaded while the parent prepares the request (``spawn_child``)
        with contextlib.suppress(Exception):  # _sdk() meets the failure again and says it per chart
            import helm_python  # noqa: F401
    request = json.loads(sys.stdin.readline())
    renderer = Renderer(request["renderer"], request.get("executable", ""))
    jobs = [RenderJob(j["key"], j["chart"], j["release"], tuple(j["values"]), tuple(j["leave_out"]), j["root"])
            for j in request["jobs"]]
    results = render_jobs(renderer, jobs)
    json.dump({key: {"manifests": [list(m) for m in r.manifests], "error": r.error, "seconds": r.seconds}
               for key, r in results.items()}, sys.stdout)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
