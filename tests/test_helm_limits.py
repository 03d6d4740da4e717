"""Helm templates are a language: a chart can allocate without bound or loop for minutes. Each chart
renders in a child process of its own under a memory and a time limit; a chart over a limit is a
TPR002, and the other charts' results are unaffected."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tprlint.helm.render import RenderJob, RenderLimits, start_render
from tprlint.helm.renderer import find_renderer

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: ok-worker}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: example/worker:latest
          env: [{name: TEMPORAL_TASK_QUEUE, value: q}]
"""
GREEDY = """apiVersion: v1
kind: ConfigMap
metadata: {name: greedy}
data:
  {{- range $i := until 10000000 }}
  k{{ $i }}: "{{ $i }}"
  {{- end }}
"""
# A recursive `tpl`: the template renders a value that renders itself.
RECURSIVE = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata: {x: {{ tpl .Values.loop . | quote }}}\n'


def _chart(root: Path, name: str, templates: dict[str, str], values: str = "") -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text(values, encoding="utf-8")
    for file, text in templates.items():
        (chart / "templates" / file).write_text(text, encoding="utf-8")
    return chart


def test_a_chart_that_allocates_without_bound_is_stopped_and_the_others_render(tmp_path: Path) -> None:
    _chart(tmp_path, "greedy", {"cm.yaml": GREEDY})
    _chart(tmp_path, "ok", {"deploy.yaml": DEPLOYMENT})
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    (stopped,) = [f for f in findings if f["rule"] == "TPR002"]
    assert stopped["path"] == "greedy/Chart.yaml" and "more than 1 GiB of memory" in stopped["message"]
    assert any(f["rule"] == "TPR409" and f["path"] == "ok/templates/deploy.yaml" for f in findings)


def test_a_chart_that_recurses_without_end_is_stopped(tmp_path: Path) -> None:
    _chart(tmp_path, "recursive", {"cm.yaml": RECURSIVE}, values='loop: "{{ tpl .Values.loop . }}"\n')
    result = run_cli(".", "-f", "json", cwd=tmp_path)
    (stopped,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "TPR002"]
    assert stopped["path"].startswith("recursive/")


def test_a_chart_over_its_time_is_stopped_and_the_next_one_still_renders(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    renderer, _ = find_renderer()
    assert renderer is not None
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    slow = _chart(tmp_path, "slow", {"cm.yaml": GREEDY.replace("10000000", "3000000")})
    quick = _chart(tmp_path, "quick", {"deploy.yaml": DEPLOYMENT})
    jobs = [RenderJob("slow", str(slow), "slow", ()), RenderJob("quick", str(quick), "quick", ())]
    # A limit of memory no chart reaches here and a time the slow one cannot meet, one chart at a time.
    limits = RenderLimits(memory_bytes=8 << 30, seconds=1.0, concurrency=1)
    results = start_render(renderer, jobs, limits).results()
    assert "did not finish rendering this chart in 1 s" in results["slow"].error
    assert not results["quick"].error and results["quick"].manifests
    # The killed child never removed its scratch folder; this process did.
    assert list(temporary.iterdir()) == []


def test_the_runs_time_limit_stops_rendering_and_says_which_charts(tmp_path: Path) -> None:
    from tprlint.deadline import Deadline

    renderer, _ = find_renderer()
    assert renderer is not None
    slow = _chart(tmp_path, "slow", {"cm.yaml": GREEDY.replace("10000000", "3000000")})
    deadline = Deadline(0.5)
    limits = RenderLimits(memory_bytes=8 << 30, seconds=60.0, concurrency=1)
    results = start_render(renderer, [RenderJob("slow", str(slow), "slow", ())], limits).results(deadline)
    assert results["slow"].error.startswith("not rendered: the run's --timeout expired")
    assert [Path(p).name for p in deadline.skipped_charts] == ["slow"]
